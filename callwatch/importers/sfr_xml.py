"""SFR box (neufbox) call history, API ``voip.getCallhistoryList``::

    <rsp stat="ok"><calllist>
      <call type="voip" direction="incoming" number="0123456789" length="120" date="1231256532" />
    </calllist></rsp>

``direction`` is ``incoming``, ``outgoing`` or ``missed``; ``length`` is seconds; ``date`` Unix
seconds; ``type`` the line (``voip``, ``pstn``, ``radio``).
"""

from __future__ import annotations

import re
import xml.sax

from callwatch.importers import Format
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, UNKNOWN_OUTCOME, Call, Reject, count_of_seconds,
                                      XML_PROLOGUE, stream_xml, unix_seconds)

_DIRECTIONS = {"incoming": (IN, ANSWERED), "missed": (IN, MISSED), "outgoing": (OUT, None)}


def _recognise(sniff) -> int:
    text = sniff.stripped
    if re.match(XML_PROLOGUE + r"<rsp[\s>]", text, re.S) and "<calllist" in text:
        return 85
    return 0


class _Handler(xml.sax.handler.ContentHandler):
    def __init__(self, sink):
        super().__init__()
        self.sink, self.count, self.locator = sink, 0, None

    def setDocumentLocator(self, locator):
        self.locator = locator

    def startElement(self, name, attrs):
        if name == "call":
            self.count += 1
            self.sink.append((f"<call> #{self.count} (line {self.locator.getLineNumber()})", dict(attrs.items())))


def _parse(sniff, ctx):
    records: list = []
    for item in stream_xml(sniff, _Handler(records), records):
        yield from _calls([item])


def _calls(records):
    for loc, a in records:
        raw = " ".join(f'{k}="{v}"' for k, v in a.items())[:4000]
        try:
            kind = a.get("direction", "")
            if kind not in _DIRECTIONS:
                raise ValueError(f"unknown direction {kind[:40]!r}")
            when = unix_seconds(int(a["date"]) if a.get("date", "").isdigit() else a.get("date"), "date")
            length = count_of_seconds(int(a["length"]) if a.get("length", "").isdigit() else a.get("length"), "length")
        except ValueError as exc:
            yield Reject(loc, str(exc), raw)
            continue
        direction, outcome = _DIRECTIONS[kind]
        if outcome is None:
            outcome = ANSWERED if length else UNKNOWN_OUTCOME
        number = a.get("number", "")
        yield Call(start_ms=when * 1000, direction=direction, outcome=outcome, number_raw=number, locator=loc,
                   key=f"{when}|{number}|{kind}|{length}", source_type=f"{kind}/{a.get('type', '')}",
                   duration_s=length if outcome != MISSED else 0)


FORMAT = Format(
    name="sfr-xml", family="sfr", description="SFR box call history (voip.getCallhistoryList XML)",
    identity="date, number, direction, length", recognise=_recognise, parse=_parse)
