"""SMS Import / Export (``sms-ie``, F-Droid): its call-log export, by hand or scheduled daily.

The app writes ``calls-<yyyy-MM-dd>.json`` (``calls.json`` when told to drop the date stamp):
a JSON array, pretty-printed, of one object per row of Android's ``CallLog.Calls``, every column
the phone's provider has (``_id``, ``number``, ``date``, ``duration``, ``type``, ``presentation``,
``subscription_id``, ``phone_account_address``, ``countryiso``, ``name``...; a NULL column is
left out) plus ``display_name``, the contact's current name. Every value is a JSON *string*
(the app reads the cursor with getString). The app's newer message format is NDJSON with its own
tags prefixed ``__`` (``__display_name``), and its author plans the same for call logs: one
object a line is read too.

Same semantics and identity as the other Android call logs (android_common): a phone's daily
exports overlap, and each call is stored once whichever export or backup brought it first.
"""

from __future__ import annotations

import json

from callwatch.errors import UnreadableFile
from callwatch.importers import Format
from callwatch.importers.android_common import FAMILY, IDENTITY, BadRecord, make_call
from callwatch.importers.base import OVERLONG, JsonOriginal, LineReader, Reject, json_entries, load_json

# Columns of CallLog.Calls that no other JSON export in the registry has.
_ANDROID_COLUMNS = ('"presentation"', '"subscription_id"', '"subscription_component_name"', '"countryiso"',
                    '"phone_account_address"', '"numbertype"', '"geocoded_location"', '"normalized_number"',
                    '"last_modified"', '"post_dial_digits"', '"is_read"', '"display_name"', '"__display_name"')


def _recognise(sniff) -> int:
    text = sniff.stripped
    if not text.startswith(("[", "{")):
        return 0
    if not all(k in text for k in ('"date"', '"type"', '"duration"', '"number"')):
        return 0
    return 85 if sum(k in text for k in _ANDROID_COLUMNS) >= 2 else 0


def _read(entry: dict, loc: str):
    try:
        return make_call(number=entry.get("number"), date=entry.get("date"), duration=entry.get("duration"),
                         type_=entry.get("type"), presentation=entry.get("presentation"),
                         name=entry.get("name") or entry.get("display_name") or entry.get("__display_name"),
                         ring=None, locator=loc, country=entry.get("countryiso"),
                         own=entry.get("phone_account_address"), account=entry.get("subscription_id"))
    except BadRecord as exc:
        raise ValueError(str(exc)) from None


def _lines(sniff, ctx):
    """NDJSON: one object a line; a line that is not one is that record's reject."""
    reader = LineReader(sniff.path, sniff.encoding or "utf-8", ctx.progress)
    start, number = 0, 0
    for line in reader:
        number += 1
        loc = f"line {number} (bytes {start}-{reader.end})"
        start = reader.end
        if not line.strip():
            continue
        if line == OVERLONG:
            yield Reject(loc, f"line of {reader.overlong:,} bytes: not a call record", "")
            continue
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError) as exc:
            yield Reject(loc, f"not a JSON object ({str(exc)[:80]})", line.rstrip("\r\n")[:4000])
            continue
        if not isinstance(entry, dict):
            yield Reject(loc, "entry is not an object", line.rstrip("\r\n")[:4000])    # the line as in the file
            continue
        loc += f" _id={entry.get('_id')}"
        try:
            yield _read(entry, loc)
        except ValueError as exc:
            yield Reject(loc, str(exc), line.rstrip("\r\n")[:4000])


def _parse(sniff, ctx):
    if sniff.stripped.startswith("{"):          # the app's array starts with "[": this is NDJSON
        yield from _lines(sniff, ctx)
        return
    doc = load_json(sniff)
    if not isinstance(doc, list):
        raise UnreadableFile(sniff.path, "expected a JSON array of call-log rows (an sms-ie calls-*.json export)")
    yield from json_entries(doc, "", "_id", _read, JsonOriginal(sniff, (), len(doc)))


FORMAT = Format(
    name="android-smsie-json", family=FAMILY,
    description="Android call log exported by SMS Import / Export (sms-ie): JSON or NDJSON",
    identity=IDENTITY, recognise=_recognise, parse=_parse)
