"""Asterisk CDR CSV (``/var/log/asterisk/cdr-csv/Master.csv``, ``cdr-custom/Master.csv``).

Two column orders exist, usually without a header line:

* ``cdr_csv``: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata,
  start, answer, end, duration, billsec, disposition, amaflags[, uniqueid, userfield, ...]
* ``cdr_custom`` (the sample mapping): clid, src, dst, dcontext, channel, dstchannel, lastapp,
  lastdata, start, answer, end, duration, billsec, disposition, amaflags, accountcode,
  uniqueid, userfield[, sequence]

A header naming the columns, if present, wins. Times are the PBX's local time without a
zone. ``billsec`` is talk time, ``duration`` is from the start of the call to hang-up
(ringing included). The direction comes from the dialplan context (configurable) or, failing
that, from the user's extensions. One call ringing several phones writes one CDR per leg
with the same ``uniqueid``: they are one call, and the best leg (answered) is kept.
"""

from __future__ import annotations

import re

from callwatch.importers import Format
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, REJECTED, UNKNOWN_OUTCOME, VOICEMAIL, Call,
                                      Reject, csv_records, raw_of)

CDR_CSV = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
           "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
           "uniqueid", "userfield")
CDR_CUSTOM = ("clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
              "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
              "accountcode", "uniqueid", "userfield", "sequence")
_DISPOSITIONS = {"ANSWERED": ANSWERED, "NO ANSWER": MISSED, "NOANSWER": MISSED, "BUSY": REJECTED,
                 "FAILED": UNKNOWN_OUTCOME, "CONGESTION": UNKNOWN_OUTCOME}
_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_CLID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<num>[^>]*)>\s*$')


def _layout_of(fields: list[str]) -> tuple[str, dict[str, int]] | None:
    lowered = [f.strip().lower() for f in fields]
    if "start" in lowered and "billsec" in lowered and "disposition" in lowered:
        return "header", {name: i for i, name in enumerate(lowered)}
    for name, order in (("cdr_csv", CDR_CSV), ("cdr_custom", CDR_CUSTOM)):
        start, disp = order.index("start"), order.index("disposition")
        if len(fields) > disp and _TIME.fullmatch(fields[start].strip()) \
                and fields[disp].strip().upper() in _DISPOSITIONS:
            return name, {col: i for i, col in enumerate(order)}
    return None


def _recognise(sniff) -> int:
    import csv
    lines = sniff.first_lines(2)
    if not lines:
        return 0
    try:
        first = next(csv.reader([lines[0]]))
    except csv.Error:
        return 0
    layout = _layout_of(first)
    if layout is None:
        return 0
    return 90 if layout[0] == "header" else 85


def _parse(sniff, ctx):
    cfg = ctx.config.asterisk
    incoming, outgoing = set(cfg.incoming_contexts), set(cfg.outgoing_contexts)
    extensions = set(cfg.extensions)
    clock = ctx.clock
    tzname = clock.name
    to_utc = clock.to_utc_ms
    cols = None
    for fields, loc, problem in csv_records(sniff.path, sniff.encoding, ",", progress=ctx.progress):
        if fields is None:
            yield Reject(loc, problem, "")
            continue
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        if cols is None:
            layout = _layout_of(fields)
            if layout is None:
                yield Reject(loc, "neither the cdr_csv nor the cdr_custom column order", raw_of(fields))
                continue
            cols = layout[1]
            if layout[0] == "header":
                continue
        try:
            yield _call(fields, cols, loc, to_utc, tzname, incoming, outgoing, extensions)
        except (ValueError, IndexError) as exc:
            yield Reject(loc, str(exc) if isinstance(exc, ValueError) else "too few fields", raw_of(fields))


def _call(f, c, loc, to_utc, tzname, incoming, outgoing, extensions) -> Call:
    start = f[c["start"]]
    if len(start) != 19 or start[4] != "-" or start[13] != ":":
        raise ValueError(f"start {start[:40]!r} is not YYYY-MM-DD HH:MM:SS")
    start_ms, flag = to_utc(int(start[0:4]), int(start[5:7]), int(start[8:10]),
                            int(start[11:13]), int(start[14:16]), int(start[17:19]))
    disposition = f[c["disposition"]].strip().upper()
    outcome = _DISPOSITIONS.get(disposition)
    if outcome is None:
        raise ValueError(f"unknown disposition {disposition[:40]!r}")
    billsec, total = int(f[c["billsec"]]), int(f[c["duration"]])
    if billsec < 0 or total < 0:
        raise ValueError("negative duration")
    src, dst, context = f[c["src"]].strip(), f[c["dst"]].strip(), f[c["dcontext"]].strip()
    if extensions and src in extensions and dst in extensions:
        raise ValueError("internal call between two extensions (not a call from outside)")
    if context in incoming:
        direction = IN
    elif context in outgoing:
        direction = OUT
    elif extensions and (src in extensions) != (dst in extensions):
        direction = OUT if src in extensions else IN
    else:
        raise ValueError(f"cannot tell the direction: context {context!r} is not in [asterisk] "
                         f"incoming_contexts or outgoing_contexts, and no extension matches")
    name = None
    m = _CLID.match(f[c["clid"]])
    if m:
        name = m.group("name").strip() or None
    if direction == IN:
        number = src or (m.group("num").strip() if m else "")
        own = dst
        if outcome == ANSWERED and f[c["lastapp"]].strip().lower() == "voicemail":
            outcome = VOICEMAIL
    else:
        number, own, name = dst, src, None
    uid = f[c["uniqueid"]].strip() if "uniqueid" in c and c["uniqueid"] < len(f) else ""
    key = uid or f"{start}|{src}|{f[c['channel']].strip()}"
    return Call(start_ms=start_ms, direction=direction, outcome=outcome, number_raw=number, locator=loc,
                key=key, source_type=disposition, tz=tzname, time_raw=start, time_flag=flag,
                duration_s=billsec, ring_s=total - billsec, own_number_raw=own or None, caller_name=name)


FORMAT = Format(
    name="asterisk-csv", family="asterisk",
    description="Asterisk CDR CSV (cdr_csv or cdr_custom column order)",
    identity="uniqueid (all legs of one call share it); without it: start, src, channel",
    recognise=_recognise, parse=_parse)
