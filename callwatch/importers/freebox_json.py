"""Freebox OS call log (``GET /api/v8/call/log/``), with or without the
``{"success": true, "result": [...]}`` envelope.

Entries: ``id``, ``type`` (``missed``, ``accepted``, ``outgoing``), ``datetime`` (Unix
seconds, UTC), ``number``, ``name`` (the number again when unknown), ``duration`` (s),
``line_id``, ``contact_id``, ``new``. For a missed call the box's ``duration`` is how long it
rang, so it is stored as ring time, never as talk time. The box can list one call twice
under two ids; the identity leaves ``id`` out so that such twins count once.
"""

from __future__ import annotations

from callwatch.errors import UnreadableFile
from callwatch.importers import Format
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, UNKNOWN_OUTCOME, Call, Reject, json_raw,
                                      load_json)
_TYPES = {"missed": (IN, MISSED), "accepted": (IN, ANSWERED), "outgoing": (OUT, None)}


def _entries(doc):
    if isinstance(doc, dict) and "result" in doc:
        if doc.get("success") is False:
            return None
        doc = doc["result"]
    if isinstance(doc, list):
        return doc
    return None


def _recognise(sniff) -> int:
    text = sniff.stripped
    if not text.startswith(("{", "[")):
        return 0
    keys = ('"datetime"', '"type"', '"number"', '"duration"')
    if all(k in text for k in keys) and ('"line_id"' in text or '"contact_id"' in text):
        return 85
    return 0


def _parse(sniff, ctx):
    entries = _entries(load_json(sniff))
    if entries is None:
        raise UnreadableFile(sniff.path, "no call list: expected a list or {success, result: [...]}")
    for i, entry in enumerate(entries):
        loc = f"result[{i}]" + (f" id={entry.get('id')}" if isinstance(entry, dict) else "")
        raw = json_raw(entry)
        if not isinstance(entry, dict):
            yield Reject(loc, "entry is not an object", raw)
            continue
        kind = entry.get("type")
        if kind not in _TYPES:
            yield Reject(loc, f"unknown call type {kind!r}", raw)
            continue
        when, seconds = entry.get("datetime"), entry.get("duration", 0)
        if not isinstance(when, int) or isinstance(when, bool) or not 0 < when < 32503680000:
            yield Reject(loc, f"datetime {when!r} is not Unix seconds", raw)
            continue
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
            yield Reject(loc, f"duration {seconds!r} is not a number of seconds", raw)
            continue
        direction, outcome = _TYPES[kind]
        number = entry.get("number")
        number = "" if number is None else str(number)
        talk, ring = seconds, None
        if outcome == MISSED:
            talk, ring = 0, seconds
        elif outcome is None:
            outcome = ANSWERED if seconds else UNKNOWN_OUTCOME
        name = entry.get("name")
        if isinstance(name, str) and name.strip() in ("", number):
            name = None
        yield Call(start_ms=when * 1000, direction=direction, outcome=outcome, number_raw=number,
                   locator=loc, key=f"{when}|{number}|{kind}|{seconds}|{entry.get('line_id', '')}",
                   source_type=kind, duration_s=talk, ring_s=ring,
                   caller_name=name if isinstance(name, str) else None)


FORMAT = Format(
    name="freebox-json", family="freebox",
    description="Freebox OS call log JSON (API call/log)",
    identity="datetime, number, type, duration, line_id (not id: the box may list a call twice)",
    recognise=_recognise, parse=_parse)
