"""Android call logs as XML: "SMS Backup & Restore" (``<calls><call .../>``) and the
OPPO/ColorOS backup (``<CallLog><CALL_RECORDS .../>``).

Attributes: ``number``, ``duration`` (s), ``date`` (epoch ms, UTC), ``type`` (1-7),
``presentation`` (1-4), ``contact_name`` or ``name``; OPPO adds ``ring_time`` (s).
``readable_date`` is a locale-formatted local string and is never trusted. Files may be
newest-first or unordered. Parsed as a stream with defusedxml (any DTD or entity declaration
is refused), so memory stays flat on any size.
"""

from __future__ import annotations

import re
import xml.sax

from callwatch.errors import NotACallLog, UnreadableFile
from callwatch.importers import Format
from callwatch.importers.android_common import FAMILY, IDENTITY, BadRecord, make_call
from callwatch.importers.base import XML_PROLOGUE, Reject, stream_xml

_SBR_ROOT = re.compile(XML_PROLOGUE + r"<calls[\s>/]", re.S)
_SMS_ROOT = re.compile(XML_PROLOGUE + r"<smses[\s>/]", re.S)      # the same app's messages backup
_OPPO_ROOT = re.compile(XML_PROLOGUE + r"<CallLog[\s>/]", re.S)


def _recognise_sbr(sniff) -> int:
    if not sniff.text:
        return 0
    if _SBR_ROOT.match(sniff.stripped):
        return 90 if "<call " in sniff.text or "count=" in sniff.text else 70
    if _SMS_ROOT.match(sniff.stripped):
        return 50           # an SMS backup lands beside the calls one: parsed only to be skipped
    return 0


def _recognise_oppo(sniff) -> int:
    if sniff.text and _OPPO_ROOT.match(sniff.stripped):
        return 90 if "CALL_RECORDS" in sniff.text else 60
    return 0


class _Handler(xml.sax.handler.ContentHandler):
    def __init__(self, element, sink):
        super().__init__()
        self.element, self.sink = element, sink
        self.count = 0
        self.locator = None

    def setDocumentLocator(self, locator):
        self.locator = locator

    def startElement(self, name, attrs):
        if name != self.element:
            return
        self.count += 1
        loc = f"<{name}> #{self.count} (line {self.locator.getLineNumber()}, column {self.locator.getColumnNumber() + 1})"
        get = attrs.get
        try:
            call = make_call(number=get("number"), date=get("date"), duration=get("duration"),
                             type_=get("type"), presentation=get("presentation"),
                             name=get("contact_name") or get("name"), ring=get("ring_time"), locator=loc,
                             country=get("countryiso"), own=get("phone_account_address"),
                             account=get("subscription_id"))
            if call.caller_name == "(Unknown)":
                call.caller_name = None
            self.sink.append(call)
        except BadRecord as exc:
            self.sink.append(Reject(loc, str(exc), self.original.element(self.start_byte(), name)))


def _parse(element):
    def parse(sniff, ctx):
        if _SMS_ROOT.match(sniff.stripped):
            raise NotACallLog(sniff.path, "an SMS backup: no calls in it, skipped")
        records: list = []
        handler = _Handler(element, records)
        yield from stream_xml(sniff, handler, records)
        if handler.count == 0:
            raise UnreadableFile(sniff.path, f"no <{element}> records in this XML file")
    return parse


FORMAT = Format(
    name="android-xml", family=FAMILY,
    description='Android "SMS Backup & Restore" calls XML',
    identity=IDENTITY, recognise=_recognise_sbr, parse=_parse("call"))

OPPO_FORMAT = Format(
    name="android-oppo-xml", family=FAMILY,
    description="OPPO / ColorOS call-log backup XML",
    identity=IDENTITY, recognise=_recognise_oppo, parse=_parse("CALL_RECORDS"))
