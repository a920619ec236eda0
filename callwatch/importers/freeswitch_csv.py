"""FreeSWITCH ``mod_cdr_csv`` with its default ("example") template, no header::

    "${caller_id_name}","${caller_id_number}","${destination_number}","${context}","${start_stamp}",
    "${answer_stamp}","${end_stamp}","${duration}","${billsec}","${hangup_cause}","${uuid}",
    "${bleg_uuid}","${accountcode}","${read_codec}","${write_codec}"

Times are the switch's local time. Files re-saved by a spreadsheet lose their quotes and
write ``2020/2/10 22:41`` (no seconds: minute precision). Direction from the dialplan context
(FreeSWITCH's ``public`` = from outside, ``default`` = from the user's phones; more in
``[asterisk]`` contexts) or the user's extensions; a call between two of the user's extensions is
refused with its reason, by the rule the Asterisk importer applies (``asterisk_csv.internal_call``).
One uuid is one call: repeated rows count once.

Outcome: a call with an ``answer_stamp`` and talk time (``billsec`` > 0) was answered, whatever
the hangup cause says of how it ended (NORMAL_UNSPECIFIED, RECOVERY_ON_TIMER_EXPIRE, a media
timeout...: the cause is kept in ``source_type``). Otherwise the cause decides where it is known.
"""

from __future__ import annotations

import re

from callwatch.importers import Format
from callwatch.importers.asterisk_csv import internal_call
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, REJECTED, UNKNOWN_OUTCOME, Call, CsvPlan,
                                      first_csv_row, plan_calls)

_TIME = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CAUSES = {"NORMAL_CLEARING": ANSWERED, "NO_ANSWER": MISSED, "ORIGINATOR_CANCEL": MISSED,
           "NO_USER_RESPONSE": MISSED, "USER_BUSY": REJECTED, "CALL_REJECTED": REJECTED}


def _recognise(sniff) -> int:
    f = first_csv_row(sniff) or []
    if len(f) >= 11 and _TIME.fullmatch(f[4].strip()) and _UUID.fullmatch(f[10].strip()):
        return 85
    return 0


def _plan(sniff, ctx) -> CsvPlan:
    cfg = ctx.config.asterisk
    incoming = set(cfg.incoming_contexts) | {"public"}
    outgoing = set(cfg.outgoing_contexts) | {"default"}
    extensions = set(cfg.extensions)
    derive = _Derive(ctx.clock, incoming, outgoing, extensions)
    return CsvPlan(",", lambda fields, loc: _call(fields, loc, ctx.clock, incoming, outgoing, extensions),
                   derive=derive)


def _parse(sniff, ctx):
    return plan_calls(sniff, ctx, _plan(sniff, ctx))


def _outcome(answered: bool, billsec: int, cause: str) -> str:
    if answered and billsec > 0:              # answered and talked: answered is answered
        return ANSWERED
    outcome = _CAUSES.get(cause, UNKNOWN_OUTCOME)
    if outcome == ANSWERED and not billsec:
        outcome = MISSED if cause == "NORMAL_CLEARING" and not answered else outcome
    return outcome


def _direction(src: str, dst: str, context: str, incoming, outgoing, extensions) -> str:
    internal_call(src, dst, extensions)
    if context in incoming:
        return IN
    if context in outgoing:
        return OUT
    if extensions and (src in extensions) != (dst in extensions):
        return OUT if src in extensions else IN
    raise ValueError(f"cannot tell the direction: context {context!r} is not declared")


def _call(f, loc, clock, incoming, outgoing, extensions) -> Call:
    name, src, dst, context, start = (x.strip() for x in f[:5])
    m = _TIME.fullmatch(start)
    if not m:
        raise ValueError(f"start_stamp {start[:40]!r} is not a date and time")
    y, mo, d, h, mi, s = m.groups()
    start_ms, flag = clock.to_utc_ms(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
    duration, billsec = int(float(f[7])), int(float(f[8]))
    cause = f[9].strip().upper()
    outcome = _outcome(bool(f[5].strip()), billsec, cause)
    direction = _direction(src, dst, context, incoming, outgoing, extensions)
    uuid = f[10].strip()
    return Call(start_ms=start_ms, direction=direction, outcome=outcome, number_raw=src if direction == IN else dst,
                locator=loc, key=uuid, source_type=cause, tz=clock.name, time_raw=start, time_flag=flag,
                time_precision_s=1 if s else 60, duration_s=billsec, ring_s=max(duration - billsec, 0),
                own_number_raw=(dst if direction == IN else src) or None,
                caller_name=(name or None) if direction == IN else None)


class _Derive:
    """The columnar path (importers/columnar.py): _call's own functions, once per distinct input."""

    def __init__(self, clock, incoming, outgoing, extensions):
        self.clock, self.incoming, self.outgoing, self.extensions = clock, incoming, outgoing, extensions
        self.parts = None

    def _part(self, name, src, dst, context, cause, answered, talked):
        name, src, dst, context = name.strip(), src.strip(), dst.strip(), context.strip()
        cause = cause.strip().upper()
        outcome = _outcome(answered == "1", 1 if talked == "1" else 0, cause)
        direction = _direction(src, dst, context, self.incoming, self.outgoing, self.extensions)
        if direction == IN:
            return direction, outcome, src, dst or None, name or None, cause
        return direction, outcome, dst, src or None, None, cause

    def __call__(self, cols):
        import numpy as np
        import pyarrow.compute as pc

        from callwatch.importers import columnar
        n = len(cols[0])
        if len(cols) < 11:
            return columnar.Derived.nothing(n)
        if self.parts is None:
            self.parts = columnar.Distincts(self._part, 6)
        ok, start_ms = columnar.local_times(pc, cols[4], self.clock, "2000-01-01 00:00:00",
                                            ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19)))
        ok_dur, duration = columnar.digits(pc, cols[7])
        ok_bill, billsec = columnar.digits(pc, cols[8])
        ok &= ok_dur & ok_bill
        # answer_stamp given? "" is not; a first character that is printable ASCII is; else per row
        answer = cols[5]
        empty = pc.equal(answer, columnar.scalar(""))
        ok &= columnar.numpy(pc.or_(empty, pc.match_substring_regex(answer, "^[!-~]")))
        answered = pc.if_else(empty, columnar.scalar("0"), columnar.scalar("1"))
        talked = columnar.flags(billsec > 0)
        codes = self.parts.codes(pc, cols[0], cols[1], cols[2], cols[3], cols[9], answered, talked)
        ok &= ~self.parts.refused_rows(codes)
        ok &= columnar.printable(pc, cols[10])
        p = self.parts
        return columnar.Derived(ok, {
            "start_ms": start_ms, "direction": p.column(codes, 0), "outcome": p.column(codes, 1),
            "number_raw": p.column(codes, 2), "key": cols[10], "source_type": p.column(codes, 5),
            "tz": self.clock.name, "time_raw": cols[4], "time_flag": None, "time_precision_s": 1,
            "duration_s": billsec, "duration_precision_s": 1, "ring_s": np.maximum(duration - billsec, 0),
            "presentation": None, "own_number_raw": p.column(codes, 3), "caller_name": p.column(codes, 4),
            "region": None, "own_account": None})


FORMAT = Format(
    name="freeswitch-csv", family="freeswitch", description="FreeSWITCH mod_cdr_csv (default template)",
    identity="uuid (repeated rows of one uuid are one call)", recognise=_recognise, parse=_parse, line_based=True,
    columnar=_plan)
