"""FRITZ!Box call list as exported from the web interface (Telefonie > Anrufe > export).

Layout: a first line ``sep=;``, then a header, ISO-8859-1 text, ``;``-separated::

    sep=;
    Typ;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer
    1;23.11.26 14:03;;0162123456;Telefon;Internet: 0123456789;0:01

English firmware writes English headers (``Number``, and ``Outgoing Caller ID`` or a second
``Telephone number`` for the own number); FRITZ!OS 7.90 adds a column (country/region), so
columns are found by header name, not position. ``Datum`` is local time to the minute
(``dd.mm.yy HH:MM``), ``Dauer`` is ``H:MM``: minute precision for both, which every report states.
A list saved with the HTTP response in front (``curl -i``, a browser's network tab) is read after
the response's headers; locators still count lines and bytes from the file's first byte.

Type codes changed with the firmware. Today: 1 incoming, 2 missed, 3 rejected (call barring),
4 outgoing. Before FRITZ!OS 04.74 there was no type 4 and no rejected call: 3 was outgoing
(Roger Router, the established open-source FRITZ!Box client, switches on the box's firmware
version: ``libroutermanager/plugins/fritzbox/csv.c``, ``FIRMWARE_IS(4, 74)``; its earlier versions
read 3 and 4 both as outgoing). The export names no firmware, so the file decides:

* a type 4 anywhere in the file: today's numbering, 3 is a rejected call;
* no type 4, and a type-3 call with talk time: the old numbering (a refused call is never
  connected), 3 is outgoing;
* no type 4, and no type-3 call with talk time: nothing settles it. Read as the old numbering (a
  list from today's firmware holds outgoing calls, type 4, unless the line never calls out), and
  each type-3 call says so in its ``source_type`` ("3 outgoing (assumed: ...)"), shown in reports.
"""

from __future__ import annotations

import re

from callwatch.importers import Format
from callwatch.importers.base import ANSWERED, IN, MISSED, OUT, REJECTED, UNKNOWN_OUTCOME, Call, csv_calls, csv_records

_ALIASES = {
    "type": {"typ", "type", "call type"},
    "date": {"datum", "date", "date/time"},
    "name": {"name"},
    "number": {"rufnummer", "number", "phone number", "telephone number", "caller", "call number"},
    "extension": {"nebenstelle", "extension", "telephone", "device", "telephony device"},
    "own": {"eigene rufnummer", "own number", "own telephone number", "own phone number",
            "number used", "telephone number used", "line", "outgoing caller id"},
    "duration": {"dauer", "duration"},
}
_TYPES = {"1": (IN, ANSWERED, "incoming"), "2": (IN, MISSED, "missed"),
          "3": (IN, REJECTED, "rejected"), "4": (OUT, None, "outgoing")}
_OLD_3 = (OUT, None, "outgoing")                # type 3 before FRITZ!OS 04.74 (see above)
_OLD_3_ASSUMED = (OUT, None, "outgoing (assumed: no type 4 in this export, read as the numbering of "
                             "FRITZ!OS before 04.74)")
_HTTP_STATUS = re.compile(r"HTTP/\d(?:\.\d)? \d{3}\b")


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
        else:
            if label in _ALIASES["number"] and "own" not in found:
                found["own"] = i          # "Telephone number" twice: the second is the own number
    return found


def _split_head(sniff):
    """(separator, column names, lines before the column names). What may stand before them: an
    HTTP response's status line and headers up to their blank line, blank lines, ``sep=;``. Lines
    are counted as the CSV reader counts them (each ends with a line feed)."""
    lines = sniff.text.removeprefix("\ufeff").split("\n")[:200]
    i = 0
    if lines and _HTTP_STATUS.match(lines[0]):
        i = next((n + 1 for n, line in enumerate(lines) if not line.strip()), len(lines))
    while i < len(lines) and not lines[i].strip():
        i += 1
    sep = ";"
    if i < len(lines) and lines[i].strip().lower().startswith("sep="):
        sep = lines[i].strip()[4:5] or ";"
        i += 1
    header = lines[i].rstrip("\r") if i < len(lines) else ""
    return sep, header.split(sep), i


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


def _type_3(sniff, sep: str, skip: int):
    """What type 3 means in this file (see the module's docstring), from the whole file."""
    cols, codes, talked = None, set(), False
    for fields, _loc, _problem, _span in csv_records(sniff.path, sniff.encoding, sep, skip_lines=skip):
        if not fields or not any(f.strip() for f in fields):
            continue
        if cols is None:
            cols = _header_map(fields)
            continue
        code = fields[cols["type"]].strip() if cols.get("type", 99) < len(fields) else ""
        codes.add(code)
        if code == "3" and cols.get("duration", 99) < len(fields):
            d = _DUR.fullmatch(fields[cols["duration"]].strip())
            talked = talked or bool(d and (int(d.group(1)) or int(d.group(2))))
    if "4" in codes or "3" not in codes:
        return _TYPES["3"]
    return _OLD_3 if talked else _OLD_3_ASSUMED


def _parse(sniff, ctx):
    sep, _header, skip = _split_head(sniff)
    types = {**_TYPES, "3": _type_3(sniff, sep, skip)}
    cols = None

    def read(fields, loc):
        nonlocal cols
        if cols is None:                             # the header row names the columns
            cols = _header_map(fields)
            return None
        return _call(fields, cols, loc, ctx.clock, types)
    # minute precision and no id: look-alike calls are numbered (see csv_calls)
    return csv_calls(sniff, ctx, sep, read, skip_lines=skip, number_lookalikes=True)


def _call(fields, cols, loc, clock, types=_TYPES) -> Call:
    if len(fields) < len(cols):
        raise ValueError(f"{len(fields)} fields, the header has {len(cols)}")

    def col(name):
        i = cols.get(name)
        return fields[i].strip() if i is not None and i < len(fields) else ""

    code = col("type")
    if code not in types:
        raise ValueError(f"unknown call type {code!r}")
    direction, outcome, label = types[code]
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
