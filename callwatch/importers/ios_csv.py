"""iPhone call history as exported by iExplorer and iMazing (CSV).

* iExplorer: header ``"Contact","Number","Date","Duration","Call Type","Unformatted Number",...``;
  ``Date`` local ``YYYY-MM-DD HH:MM:SS``; ``Duration`` ``m:ss``.
* iMazing: no header; ``type, dd/mm/yy HH:MM, hh:mm:ss, number, name``. Whether the date is
  day/month or month/day is read from the file when a day above 12 settles it; otherwise it
  is taken from the configured region (month first for US, CA, PH; day first elsewhere) and every
  call of the file is flagged ``date-order-assumed``.
"""

from __future__ import annotations

import re

from callwatch.importers import Format
from callwatch.importers.base import ANSWERED, IN, MISSED, OUT, Call, csv_calls, day_first, first_csv_row, parse_hms

_TYPES = {"incoming": IN, "outgoing": OUT, "missed": IN, "received": IN, "dialed": OUT}
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})")
_SLASH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2,4}) (\d{1,2}):(\d{2})(?::(\d{2}))?")


def _kind(value: str):
    kind = value.strip().lower()
    if kind not in _TYPES:
        raise ValueError(f"unknown call type {value[:40]!r}")
    return kind


def _call(kind, number, name, start_ms, flag, tz, when, seconds, precision, loc) -> Call:
    direction = _TYPES[kind]
    if direction == IN:
        outcome = MISSED if kind == "missed" or not seconds else ANSWERED
    else:
        outcome = ANSWERED if seconds else "unknown"
    return Call(start_ms=start_ms, direction=direction, outcome=outcome, number_raw=number, locator=loc,
                key=f"{when}|{number}|{kind}|{seconds}", source_type=kind, tz=tz, time_raw=when, time_flag=flag,
                time_precision_s=precision, duration_s=seconds, caller_name=name or None)


# -- iExplorer ---------------------------------------------------------------------------------

def _recognise_iexplorer(sniff) -> int:
    first = (sniff.first_lines(1) or [""])[0].lower()
    return 85 if '"call type"' in first and '"unformatted number"' in first else 0


def _parse_iexplorer(sniff, ctx):
    cols: dict[str, int] = {}

    def read(fields, loc):
        if not cols:                                    # the header row
            cols.update({name.strip().lower(): i for i, name in enumerate(fields)})
            return None
        get = lambda name: fields[cols[name]].strip()  # noqa: E731
        kind, when = _kind(get("call type")), get("date")
        m = _ISO.fullmatch(when)
        if not m:
            raise ValueError(f"Date {when[:40]!r} is not YYYY-MM-DD HH:MM:SS")
        start_ms, flag = ctx.clock.to_utc_ms(*(int(g) for g in m.groups()))
        seconds = parse_hms(get("duration")) if get("duration") else 0
        return _call(kind, get("number") or get("unformatted number"), get("contact"), start_ms, flag,
                     ctx.clock.name, when, seconds, 1, loc)
    return csv_calls(sniff, ctx, ",", read)


# -- iMazing -----------------------------------------------------------------------------------

def _recognise_imazing(sniff) -> int:
    f = first_csv_row(sniff) or []
    if len(f) >= 4 and f[0].strip().lower() in _TYPES and _SLASH.fullmatch(f[1].strip()) \
            and re.fullmatch(r"\d+:\d{2}(:\d{2})?", f[2].strip()):
        return 85
    return 0


def _parse_imazing(sniff, ctx):
    first, assumed = day_first(sniff, 1, ctx.config.region)

    def read(fields, loc):
        kind, when = _kind(fields[0]), fields[1].strip()
        m = _SLASH.fullmatch(when)
        if not m:
            raise ValueError(f"date {when[:40]!r} is not dd/mm/yy HH:MM")
        a, b, y, h, mi, s = m.groups()
        day, month = (int(a), int(b)) if first else (int(b), int(a))
        year = int(y) + (2000 if len(y) == 2 else 0)
        start_ms, flag = ctx.clock.to_utc_ms(year, month, day, int(h), int(mi), int(s or 0))
        return _call(kind, fields[3].strip(), fields[4].strip() if len(fields) > 4 else "", start_ms,
                     flag or assumed, ctx.clock.name, when, parse_hms(fields[2]), 1 if s else 60, loc)
    return csv_calls(sniff, ctx, ",", read)


IEXPLORER = Format(
    name="iexplorer-csv", family="ios-csv", description="iPhone call history CSV exported by iExplorer",
    identity="date, number, call type, duration", recognise=_recognise_iexplorer, parse=_parse_iexplorer,
    line_based=True)
IMAZING = Format(
    name="imazing-csv", family="ios-csv", description="iPhone call history CSV exported by iMazing (no header)",
    identity="date, number, call type, duration", recognise=_recognise_imazing, parse=_parse_imazing,
    precision="time: 1 min; duration: 1 s", line_based=True)
