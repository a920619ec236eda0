"""SFR box (neufbox, efixo firmware) call history: the box's REST API, ``GET /api/1.0/?method=
voip.getCallhistoryList`` (firmware 3.0.7 and later)::

    <?xml version="1.0" encoding="UTF-8"?>
    <rsp stat="ok" version="1.0">
         <calls>

          <call type="voip" direction="incoming" number="012345 XXXX" length="41" date="1774253416" />

         </calls>
    </rsp>

Sources: the API's own documentation (``apirest.doc``, section voip.getCallhistoryList, in the
box's published firmware sources, ``efixo-api``), its response template
(``fcgiroot/api/voip.getCallhistoryList.xml``) and handler (``src/ctl/voip.c``), and a capture
kept as a test fixture by the hacf-fr/sfrbox-api client (``tests/fixtures/voip.getCallHistory.xml``).

* ``type``: the line used, ``pstn``, ``voip`` or ``radio`` (3G back-up).
* ``direction``: ``incoming`` or ``outgoing``, nothing else (the handler writes only these two).
* ``number``: the other party; the box itself replaces the last four digits of a number longer
  than four with `` XXXX``; empty for a withheld caller; short codes (``18``) as dialled.
* ``length``: seconds of conversation; ``-1`` for a call that was never connected: a missed call
  when incoming (the box has no "missed" direction), an unanswered one when outgoing.
* ``date``: Unix seconds (UTC).

An error answer is ``<rsp stat="fail"><err code=".." msg=".."/></rsp>``: recognised, and refused
with the box's own message. A layout ``<rsp><calllist>`` with a ``missed`` direction, which
callwatch once assumed, is in no firmware, documentation or client seen: it is not read.
"""

from __future__ import annotations

import re
import xml.sax

from callwatch.errors import UnreadableFile
from callwatch.importers import Format
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, UNKNOWN_OUTCOME, XML_PROLOGUE, Call, Reject,
                                      stream_xml, unix_seconds)

_DIRECTIONS = {"incoming": IN, "outgoing": OUT}
_ROOT = re.compile(XML_PROLOGUE + r"<rsp\s[^>]*\bstat=[\"'](ok|fail)[\"']", re.S)
_CALLS = re.compile(r"<calls[\s/>]")


def _recognise(sniff) -> int:
    m = _ROOT.match(sniff.stripped)
    if not m:
        return 0
    if m.group(1) == "fail":
        return 60 if "<err " in sniff.text else 0
    return 85 if _CALLS.search(sniff.text) else 0


class _Handler(xml.sax.handler.ContentHandler):
    def __init__(self, sink):
        super().__init__()
        self.sink, self.count, self.locator, self.error = sink, 0, None, None

    def setDocumentLocator(self, locator):
        self.locator = locator

    def startElement(self, name, attrs):
        if name == "call":
            self.count += 1
            loc = f"<call> #{self.count} (line {self.locator.getLineNumber()})"
            self.sink.append(_call(loc, dict(attrs.items()), lambda start=self.start_byte(): self.original.element(
                start, "call")))
        elif name == "err" and self.error is None:
            self.error = f"{attrs.get('code', '')} {attrs.get('msg', '')}".strip()


def _parse(sniff, ctx):
    records: list = []
    handler = _Handler(records)
    yield from stream_xml(sniff, handler, records)
    if handler.error is not None:
        raise UnreadableFile(sniff.path, f"the SFR box refused the request: {handler.error or 'no reason given'}; "
                                         f"nothing of it was stored")


def _seconds(a, name, low) -> int:
    text = a.get(name, "")
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} {text[:40]!r} is not a whole number") from None
    if value < low:
        raise ValueError(f"{name} {value} is out of range")
    return value


def _call(loc, a, original) -> Call | Reject:
    try:
        kind = a.get("direction", "")
        if kind not in _DIRECTIONS:
            raise ValueError(f"unknown direction {kind[:40]!r}")
        when = unix_seconds(_seconds(a, "date", 1), "date")
        length = _seconds(a, "length", -1)
    except ValueError as exc:
        return Reject(loc, str(exc), original())
    direction = _DIRECTIONS[kind]
    if length < 0:                          # never connected
        outcome = MISSED if direction == IN else UNKNOWN_OUTCOME
    else:
        outcome = ANSWERED
    number = a.get("number", "")
    return Call(start_ms=when * 1000, direction=direction, outcome=outcome, number_raw=number, locator=loc,
                key=f"{when}|{number}|{kind}|{length}", source_type=f"{kind}/{a.get('type', '')}",
                time_raw=a.get("date"), duration_s=max(length, 0))


FORMAT = Format(
    name="sfr-xml", family="sfr", description="SFR box call history (voip.getCallhistoryList XML)",
    identity="date, number, direction, length", recognise=_recognise, parse=_parse)
