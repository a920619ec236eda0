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
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, REJECTED, UNKNOWN_OUTCOME, Call, csv_calls,
                                      first_csv_row)

_TIME = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_CAUSES = {"NORMAL_CLEARING": ANSWERED, "NO_ANSWER": MISSED, "ORIGINATOR_CANCEL": MISSED,
           "NO_USER_RESPONSE": MISSED, "USER_BUSY": REJECTED, "CALL_REJECTED": REJECTED}


def _recognise(sniff) -> int:
    f = first_csv_row(sniff) or []
    if len(f) >= 11 and _TIME.fullmatch(f[4].strip()) and _UUID.fullmatch(f[10].strip()):
        return 85
    return 0


def _parse(sniff, ctx):
    cfg = ctx.config.asterisk
    incoming = set(cfg.incoming_contexts) | {"public"}
    outgoing = set(cfg.outgoing_contexts) | {"default"}
    extensions = set(cfg.extensions)
    return csv_calls(sniff, ctx, ",", lambda fields, loc: _call(fields, loc, ctx.clock, incoming, outgoing, extensions))


def _call(f, loc, clock, incoming, outgoing, extensions) -> Call:
    name, src, dst, context, start = (x.strip() for x in f[:5])
    m = _TIME.fullmatch(start)
    if not m:
        raise ValueError(f"start_stamp {start[:40]!r} is not a date and time")
    y, mo, d, h, mi, s = m.groups()
    start_ms, flag = clock.to_utc_ms(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
    duration, billsec = int(float(f[7])), int(float(f[8]))
    cause = f[9].strip().upper()
    if f[5].strip() and billsec > 0:          # answered and talked: answered is answered
        outcome = ANSWERED
    else:
        outcome = _CAUSES.get(cause, UNKNOWN_OUTCOME)
        if outcome == ANSWERED and not billsec:
            outcome = MISSED if cause == "NORMAL_CLEARING" and not f[5].strip() else outcome
    internal_call(src, dst, extensions)
    if context in incoming:
        direction = IN
    elif context in outgoing:
        direction = OUT
    elif extensions and (src in extensions) != (dst in extensions):
        direction = OUT if src in extensions else IN
    else:
        raise ValueError(f"cannot tell the direction: context {context!r} is not declared")
    uuid = f[10].strip()
    return Call(start_ms=start_ms, direction=direction, outcome=outcome, number_raw=src if direction == IN else dst,
                locator=loc, key=uuid, source_type=cause, tz=clock.name, time_raw=start, time_flag=flag,
                time_precision_s=1 if s else 60, duration_s=billsec, ring_s=max(duration - billsec, 0),
                own_number_raw=(dst if direction == IN else src) or None,
                caller_name=(name or None) if direction == IN else None)


FORMAT = Format(
    name="freeswitch-csv", family="freeswitch", description="FreeSWITCH mod_cdr_csv (default template)",
    identity="uuid (repeated rows of one uuid are one call)", recognise=_recognise, parse=_parse, line_based=True)
