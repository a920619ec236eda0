"""FRITZ!Box call monitor (TCP port 1012, enabled with #96*5*), as recorded to a file::

    12.10.26 11:20:07;RING;0;0162345012;0123456789;SIP0;
    12.10.26 11:20:15;CONNECT;0;10;0162345012;
    12.10.26 11:20:17;DISCONNECT;0;2;
    12.10.26 18:00:00;CALL;1;10;0123456789;0611223344;SIP0;

Unlike the call list, it gives seconds: the talk time of DISCONNECT and the ring time between
RING and CONNECT. Its records are a source of their own ("fritzbox-monitor"): when the box's
call list is imported too, each call is matched and the monitor's finer record is kept.
"""

from __future__ import annotations

import re

from callwatch.importers import Format
from callwatch.importers.base import ANSWERED, IN, MISSED, OUT, UNKNOWN_OUTCOME, Call, LineReader, Reject

_LINE = re.compile(r"(\d{2})\.(\d{2})\.(\d{2}) (\d{2}):(\d{2}):(\d{2});(RING|CALL|CONNECT|DISCONNECT);(\d+);(.*)")


def _recognise(sniff) -> int:
    first = next((line for line in sniff.first_lines(3) if line.strip()), "")
    return 90 if _LINE.match(first.strip()) else 0


def _parse(sniff, ctx):
    clock = ctx.clock
    open_calls: dict[str, dict] = {}
    lines = LineReader(sniff.path, sniff.encoding, ctx.progress)
    for number, text in enumerate(lines, start=1):
        text = text.strip()
        if not text:
            continue
        loc = f"line {number}"
        m = _LINE.fullmatch(text)
        if not m:
            yield Reject(loc, "not a call monitor line (date;EVENT;id;...)", text[:4000])
            continue
        d, mo, y, h, mi, s, event, conn, rest = m.groups()
        fields = rest.split(";")
        try:
            ms, flag = clock.to_utc_ms(2000 + int(y), int(mo), int(d), int(h), int(mi), int(s))
        except ValueError as exc:
            yield Reject(loc, str(exc), text)
            continue
        when = f"{d}.{mo}.{y} {h}:{mi}:{s}"
        if event in ("RING", "CALL"):
            if conn in open_calls:
                yield Reject(open_calls[conn]["loc"], "no DISCONNECT before the connection id was reused",
                             open_calls[conn]["raw"])
            if event == "RING":
                other, own = fields[0], fields[1] if len(fields) > 1 else ""
            else:
                own, other = (fields[1] if len(fields) > 1 else ""), (fields[2] if len(fields) > 2 else "")
            open_calls[conn] = {"start": ms, "flag": flag, "when": when, "dir": IN if event == "RING" else OUT,
                                "number": other, "own": own, "connect": None, "loc": loc, "raw": text}
        elif event == "CONNECT":
            if conn in open_calls:
                open_calls[conn]["connect"] = ms
        else:   # DISCONNECT
            c = open_calls.pop(conn, None)
            if c is None:
                yield Reject(loc, "DISCONNECT without its RING or CALL (the log starts mid-call?)", text)
                continue
            try:
                talk = int(fields[0])
            except (ValueError, IndexError):
                yield Reject(c["loc"], "DISCONNECT without a duration", c["raw"] + " / " + text)
                continue
            answered = c["connect"] is not None
            outcome = ANSWERED if answered else (MISSED if c["dir"] == IN else UNKNOWN_OUTCOME)
            ring_end = c["connect"] if answered else ms
            yield Call(start_ms=c["start"], direction=c["dir"], outcome=outcome, number_raw=c["number"],
                       locator=f"{c['loc']} to {loc}", key=f"{c['when']}|{conn}|{c['number']}",
                       source_type=f"{'RING' if c['dir'] == IN else 'CALL'}/{'CONNECT' if answered else '-'}",
                       tz=clock.name, time_raw=c["when"], time_flag=c["flag"], duration_s=talk if answered else 0,
                       ring_s=max((ring_end - c["start"]) // 1000, 0) if c["dir"] == IN else None,
                       own_number_raw=c["own"] or None)
    for c in open_calls.values():
        yield Reject(c["loc"], "call still in progress when the log ends (no DISCONNECT)", c["raw"])


FORMAT = Format(
    name="fritzbox-monitor", family="fritzbox-monitor", description="FRITZ!Box call monitor log (port 1012)",
    identity="RING/CALL time, connection id, number", recognise=_recognise, parse=_parse, line_based=True)
