"""FRITZ!Box call list as TR-064 serves it (``X_AVM-DE_OnTel:GetCallList``): ``<Call>`` elements
with ``Id``, ``Type`` (1 incoming, 2 missed, 3 outgoing, 9 active incoming, 10 rejected,
11 active outgoing), ``Caller``, ``Called`` (``SIP: `` prefixes), ``CalledNumber``, ``CallerNumber``,
``Name``, ``Device``, ``Date`` (``dd.mm.yy HH:MM`` local), ``Duration`` (``H:MM``). Inside
``<root>`` with a ``<timestamp>``, or copied as bare ``<Call>`` fragments (wrapped before parsing).
Same box, same identity as the web CSV export: the two deduplicate.
"""

from __future__ import annotations

import re
import xml.sax

from callwatch.importers import Format
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, REJECTED, UNKNOWN_OUTCOME, XML_PROLOGUE, Call, Reject,
                                      stream_xml)
from callwatch.importers.fritzbox_csv import _DATE, _DUR, identity

_TYPES = {"1": (IN, ANSWERED, "incoming"), "2": (IN, MISSED, "missed"), "3": (OUT, None, "outgoing"),
          "9": (IN, ANSWERED, "active incoming"), "10": (IN, REJECTED, "rejected"),
          "11": (OUT, None, "active outgoing")}


# A box with no call in its list: the root and its timestamp only (0 calls, not an unknown format).
_EMPTY = re.compile(XML_PROLOGUE + r"<root>\s*<timestamp>\d*</timestamp>\s*</root>\s*", re.S)


def _recognise(sniff) -> int:
    text = sniff.stripped
    if re.match(XML_PROLOGUE + r"(<root>\s*(<timestamp>[^<]*</timestamp>\s*)?)?<Call>", text, re.S) \
            and "<Type>" in text and "<Date>" in text:
        return 90
    if _EMPTY.fullmatch(text):
        return 60
    return 0


class _Handler(xml.sax.handler.ContentHandler):
    def __init__(self, sink):
        super().__init__()
        self.sink, self.record, self.field, self.text, self.count, self.where = sink, None, None, [], 0, ""
        self.start = 0                 # where the current <Call> begins in the file
        self.locator = None

    def setDocumentLocator(self, locator):
        self.locator = locator

    def startElement(self, name, attrs):
        if name == "Call":
            self.count += 1
            self.record = {}
            self.where = f"<Call> #{self.count} (line {self.locator.getLineNumber()})"
            self.start = self.start_byte()
        elif self.record is not None:
            self.field, self.text = name, []

    def characters(self, content):
        if self.field:
            self.text.append(content)

    def endElement(self, name):
        if name == "Call" and self.record is not None:
            self.sink.append((self.where, self.record, lambda start=self.start: self.original.element(start, "Call")))
            self.record = None
        elif self.record is not None and name == self.field:
            self.record[name] = "".join(self.text).strip()
            self.field = None


def _parse(sniff, ctx):
    records: list = []
    seen: dict[str, int] = {}
    wrap = None if sniff.stripped.startswith(("<?xml", "<root")) else "root"   # bare <Call> fragments
    for item in stream_xml(sniff, _Handler(records), records, wrap):
        yield from _calls([item], ctx, seen)


def _calls(records, ctx, seen):
    for where, r, original in records:
        code = r.get("Type", "")
        if code not in _TYPES:
            yield Reject(where, f"unknown call type {code!r}", original())
            continue
        direction, outcome, label = _TYPES[code]
        when, dur = r.get("Date", ""), r.get("Duration", "")
        m, d = _DATE.fullmatch(when), _DUR.fullmatch(dur)
        if not m:
            yield Reject(where, f"Date {when[:40]!r} is not dd.mm.yy HH:MM", original())
            continue
        if not d:
            yield Reject(where, f"Duration {dur[:40]!r} is not H:MM", original())
            continue
        day, month, year, hour, minute = (int(g) for g in m.groups())
        try:
            start_ms, flag = ctx.clock.to_utc_ms(year + (2000 if year < 100 else 0), month, day, hour, minute, 0)
        except ValueError as exc:
            yield Reject(where, str(exc), original())
            continue
        seconds = (int(d.group(1)) * 60 + int(d.group(2))) * 60
        if direction == IN:
            number, own = r.get("Caller", ""), r.get("CalledNumber") or r.get("Called", "")
        else:
            number, own = r.get("Called", ""), r.get("CallerNumber") or r.get("Caller", "")
            outcome = ANSWERED if seconds else UNKNOWN_OUTCOME
        number = number.removeprefix("SIP: ").strip()
        key = identity(when, number, direction, outcome if direction == IN else "", dur)
        seen[key] = n = seen.get(key, 0) + 1
        yield Call(start_ms=start_ms, direction=direction, outcome=outcome, number_raw=number, locator=where,
                   key=key if n == 1 else f"{key}#{n}", source_type=f"{code} {label}", tz=ctx.clock.name,
                   time_raw=when, time_flag=flag, time_precision_s=60, duration_s=seconds, duration_precision_s=60,
                   own_number_raw=own.removeprefix("SIP: ").strip() or None, caller_name=r.get("Name") or None)


FORMAT = Format(
    name="fritzbox-xml", family="fritzbox", description="FRITZ!Box call list XML (TR-064 GetCallList)",
    identity="date (minute), number, direction/outcome, duration (shared with fritzbox-csv); #n for look-alikes",
    recognise=_recognise, parse=_parse, precision="time: 1 min; duration: 1 min")
