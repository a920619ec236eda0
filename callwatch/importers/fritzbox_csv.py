"""FRITZ!Box call list as exported from the web interface (Telefonie > Anrufe > export).

Layout: a first line ``sep=;``, then a header, ISO-8859-1 text, ``;``-separated::

    sep=;
    Typ;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer
    1;23.11.26 14:03;;0162123456;Telefon;Internet: 0123456789;0:01

English firmware writes English headers; FRITZ!OS 7.90 adds a column (country/region), so
columns are found by header name, not position. Types: 1 incoming, 2 missed, 3 rejected
(call barring), 4 outgoing. ``Datum`` is local time to the minute (``dd.mm.yy HH:MM``),
``Dauer`` is ``H:MM``: minute precision for both, which every report states.
"""

from __future__ import annotations

import re

from callwatch.importers import Format
from callwatch.importers.base import ANSWERED, IN, MISSED, OUT, REJECTED, UNKNOWN_OUTCOME, Call, csv_calls

_ALIASES = {
    "type": {"typ", "type", "call type"},
    "date": {"datum", "date", "date/time"},
    "name": {"name"},
    "number": {"rufnummer", "number", "phone number", "telephone number", "caller", "call number"},
    "extension": {"nebenstelle", "extension", "telephone", "device", "telephony device"},
    "own": {"eigene rufnummer", "own number", "own telephone number", "own phone number",
            "number used", "telephone number used", "line"},
    "duration": {"dauer", "duration"},
}
_TYPES = {"1": (IN, ANSWERED, "incoming"), "2": (IN, MISSED, "missed"),
          "3": (IN, REJECTED, "rejected"), "4": (OUT, None, "outgoing")}


def identity(when: str, number: str, direction: str, outcome: str, duration: str) -> str:
    """A FRITZ!Box call's key, the same for its web CSV export and its TR-064 list (whose type
    codes differ), so that the two deduplicate: minute, number, direction/outcome, duration."""
    kind = "out" if direction == OUT else {ANSWERED: "in", MISSED: "missed"}.get(outcome, "rejected")
    return f"{when}|{number.removeprefix('SIP: ').strip()}|{kind}|{duration}"
_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})")
_DUR = re.compile(r"(\d+):(\d{2})")


def _header_map(fields: list[str]) -> dict[str, int]:
    found = {}
    for i, name in enumerate(fields):
        label = name.strip().strip("\ufeff").lower()
        for key, names in _ALIASES.items():
            if label in names and key not in found:
                found[key] = i
                break
    return found


def _split_head(sniff):
    lines = sniff.first_lines(2)
    if not lines:
        return ";", [], 0
    skip = 1 if lines[0].strip().lower().startswith("sep=") else 0
    sep = lines[0].strip()[4:5] if skip else ";"
    header = lines[skip] if len(lines) > skip else ""
    return (sep or ";"), header.split(sep or ";"), skip


def _recognise(sniff) -> int:
    if not sniff.text:
        return 0
    try:
        sep, header, skip = _split_head(sniff)
    except ValueError:
        return 0
    found = _header_map(header)
    if {"type", "date", "number", "duration"} <= found.keys():
        return 95 if skip else 80
    return 0


def _parse(sniff, ctx):
    sep, _header, skip = _split_head(sniff)
    cols = None

    def read(fields, loc):
        nonlocal cols
        if cols is None:                             # the header row names the columns
            cols = _header_map(fields)
            return None
        return _call(fields, cols, loc, ctx.clock)
    # minute precision and no id: look-alike calls are numbered (see csv_calls)
    return csv_calls(sniff, ctx, sep, read, skip_lines=skip, number_lookalikes=True)


def _call(fields, cols, loc, clock) -> Call:
    if len(fields) < len(cols):
        raise ValueError(f"{len(fields)} fields, the header has {len(cols)}")

    def col(name):
        i = cols.get(name)
        return fields[i].strip() if i is not None and i < len(fields) else ""

    code = col("type")
    if code not in _TYPES:
        raise ValueError(f"unknown call type {code!r}")
    direction, outcome, label = _TYPES[code]
    when = col("date")
    m = _DATE.fullmatch(when)
    if not m:
        raise ValueError(f"date {when!r} is not dd.mm.yy HH:MM")
    day, month, year, hour, minute = (int(g) for g in m.groups())
    year += 2000 if year < 100 else 0
    start_ms, flag = clock.to_utc_ms(year, month, day, hour, minute, 0)
    dur = col("duration")
    d = _DUR.fullmatch(dur)
    if not d:
        raise ValueError(f"duration {dur!r} is not H:MM")
    seconds = (int(d.group(1)) * 60 + int(d.group(2))) * 60
    if outcome is None:
        outcome = ANSWERED if seconds else UNKNOWN_OUTCOME
    number, own = col("number"), col("own")
    return Call(
        start_ms=start_ms, direction=direction, outcome=outcome, number_raw=number, locator=loc,
        key=identity(when, number, direction, outcome if direction == IN else "", dur),
        source_type=f"{code} {label}",
        tz=clock.name, time_raw=when, time_flag=flag, time_precision_s=60,
        duration_s=seconds, duration_precision_s=60,
        own_number_raw=own or None, caller_name=col("name") or None)


FORMAT = Format(
    name="fritzbox-csv", family="fritzbox",
    description="FRITZ!Box call list CSV (web interface export)",
    identity="date (minute), number, direction/outcome, duration (shared with fritzbox-xml); #n for look-alikes",
    recognise=_recognise, parse=_parse, precision="time: 1 min; duration: 1 min", line_based=True)
