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
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, REJECTED, UNKNOWN_OUTCOME, Call, CsvPlan, csv_records,
                                      plan_calls)

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
    return f"{when}|{_number_key(number)}|{_kind(direction, outcome)}|{duration}"


def _kind(direction: str, outcome: str) -> str:
    return "out" if direction == OUT else {ANSWERED: "in", MISSED: "missed"}.get(outcome, "rejected")


def _number_key(number: str) -> str:
    return number.removeprefix('SIP: ').strip()


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


def _plan(sniff, ctx) -> CsvPlan:
    sep, _header, skip = _split_head(sniff)
    types = {**_TYPES, "3": _type_3(sniff, sep, skip)}
    reading = _Reading(ctx.clock, types)
    # minute precision and no id: look-alike calls are numbered (see base.Lookalikes)
    return CsvPlan(sep, reading.read, skip_lines=skip, number_lookalikes=True, ready=lambda: reading.cols is not None,
                   derive=reading.derive)


def _parse(sniff, ctx):
    return plan_calls(sniff, ctx, _plan(sniff, ctx))


class _Reading:
    """The header row names the columns; then every row is read with them."""

    def __init__(self, clock, types):
        self.clock, self.types, self.cols = clock, types, None
        self.kinds = self.parties = None

    def read(self, fields, loc):
        if self.cols is None:
            self.cols = _header_map(fields)
            return None
        return _call(fields, self.cols, loc, self.clock, self.types)

    # -- the columnar path (importers/columnar.py): _call's own functions, once per distinct input --

    def _kind(self, code, dur):
        code, dur = code.strip(), dur.strip()
        direction, outcome, label = _type(code, self.types)
        seconds = _seconds(dur)
        if outcome is None:
            outcome = ANSWERED if seconds else UNKNOWN_OUTCOME
        return direction, outcome, f"{code} {label}", seconds, _kind(direction, outcome if direction == IN else ""), dur

    @staticmethod
    def _party(number, own, name):
        number, own, name = number.strip(), own.strip(), name.strip()
        return number, own or None, name or None, _number_key(number)

    def derive(self, cols):
        import pyarrow.compute as pc

        from callwatch.importers import columnar
        n, width, c = len(cols[0]), len(cols), self.cols
        if len(c) > width or any(c.get(k, 0) >= width for k in ("type", "date", "duration")):
            return columnar.Derived.nothing(n)
        empty = columnar.constant("", n)

        def col(name):
            i = c.get(name)
            return cols[i] if i is not None and i < width else empty
        if self.kinds is None:
            self.kinds, self.parties = columnar.Distincts(self._kind, 6), columnar.Distincts(self._party, 4)
        ok, start_ms = columnar.local_times(pc, col("date"), self.clock, "01.01.00 00:00",
                                            ((6, 8), (3, 5), (0, 2), (9, 11), (12, 14)), year_base=2000)
        kinds = self.kinds.codes(pc, col("type"), col("duration"))
        parties = self.parties.codes(pc, col("number"), col("own"), col("name"))
        ok &= ~self.kinds.refused_rows(kinds) & ~self.parties.refused_rows(parties)
        k, p = self.kinds, self.parties
        key = pc.binary_join_element_wise(col("date"), p.column(parties, 3).arrow(), k.column(kinds, 4).arrow(),
                                          k.column(kinds, 5).arrow(), columnar.scalar("|"))
        import numpy as np
        seconds = np.array([s if s is not None else 0 for s in k.parts[3]], dtype=np.int64)[kinds] \
            if k.parts[3] else np.zeros(n, dtype=np.int64)
        return columnar.Derived(ok, {
            "start_ms": start_ms, "direction": k.column(kinds, 0), "outcome": k.column(kinds, 1),
            "number_raw": p.column(parties, 0), "key": key, "source_type": k.column(kinds, 2),
            "tz": self.clock.name, "time_raw": col("date"), "time_flag": None, "time_precision_s": 60,
            "duration_s": seconds, "duration_precision_s": 60, "ring_s": None, "presentation": None,
            "own_number_raw": p.column(parties, 1), "caller_name": p.column(parties, 2), "region": None,
            "own_account": None})


def _type(code: str, types) -> tuple:
    if code not in types:
        raise ValueError(f"unknown call type {code!r}")
    return types[code]


def _seconds(dur: str) -> int:
    d = _DUR.fullmatch(dur)
    if not d:
        raise ValueError(f"duration {dur!r} is not H:MM")
    return (int(d.group(1)) * 60 + int(d.group(2))) * 60


def _call(fields, cols, loc, clock, types=_TYPES) -> Call:
    if len(fields) < len(cols):
        raise ValueError(f"{len(fields)} fields, the header has {len(cols)}")

    def col(name):
        i = cols.get(name)
        return fields[i].strip() if i is not None and i < len(fields) else ""

    code = col("type")
    direction, outcome, label = _type(code, types)
    when = col("date")
    m = _DATE.fullmatch(when)
    if not m:
        raise ValueError(f"date {when!r} is not dd.mm.yy HH:MM")
    day, month, year, hour, minute = (int(g) for g in m.groups())
    year += 2000 if year < 100 else 0
    start_ms, flag = clock.to_utc_ms(year, month, day, hour, minute, 0)
    dur = col("duration")
    seconds = _seconds(dur)
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
    recognise=_recognise, parse=_parse, precision="time: 1 min; duration: 1 min", line_based=True,
    columnar=_plan)
