"""Freebox OS call log (``GET /api/v8/call/log/``), with or without the
``{"success": true, "result": [...]}`` envelope.

Entries: ``id``, ``type`` (``missed``, ``accepted``, ``outgoing``), ``datetime`` (Unix
seconds, UTC), ``number``, ``name`` (the number again when unknown), ``duration`` (s),
``line_id``, ``contact_id``, ``new``. For a missed call the box's ``duration`` is how long it
rang, so it is stored as ring time, never as talk time. The box can list one call twice
under two ids; the identity leaves ``id`` out so that such twins count once.
"""

from __future__ import annotations

import re

from callwatch.errors import UnreadableFile
from callwatch.importers import Format
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, UNKNOWN_OUTCOME, Call, count_of_seconds,
                                      json_entries, JsonOriginal, load_json, unix_seconds)
_TYPES = {"missed": (IN, MISSED), "accepted": (IN, ANSWERED), "outgoing": (OUT, None)}


def _entries(doc):
    if isinstance(doc, dict) and doc.get("success") is True and set(doc) == {"success"}:
        return []                   # an empty log: the box leaves "result" out
    if isinstance(doc, dict) and "result" in doc:
        if doc.get("success") is False:
            return None
        doc = doc["result"]
    if isinstance(doc, list):
        return doc
    return None


# An empty call log, as polled: {"success": true} (or with an empty result). A successful read of
# 0 calls, not an unknown format. Open-source clients read it so too (fbxtools: a missing "result"
# is an empty log).
_EMPTY = re.compile(r'\{\s*"success"\s*:\s*true\s*(?:,\s*"result"\s*:\s*\[\s*\]\s*)?\}\s*')


def _recognise(sniff) -> int:
    text = sniff.stripped
    if not text.startswith(("{", "[")):
        return 0
    keys = ('"datetime"', '"type"', '"number"', '"duration"')
    if all(k in text for k in keys) and ('"line_id"' in text or '"contact_id"' in text):
        return 85
    if _EMPTY.fullmatch(text):
        return 60
    return 0


def _parse(sniff, ctx):
    doc = load_json(sniff)
    entries = _entries(doc)
    if entries is None:
        raise UnreadableFile(sniff.path, "no call list: expected a list or {success, result: [...]}")
    where = ("result",) if isinstance(doc, dict) else ()
    return json_entries(entries, "result", "id", _read, JsonOriginal(sniff, where, len(entries)))


def _read(entry, loc) -> Call:
    kind = entry.get("type")
    if kind not in _TYPES:
        raise ValueError(f"unknown call type {kind!r}")
    when = unix_seconds(entry.get("datetime"), "datetime")
    seconds = count_of_seconds(entry.get("duration", 0), "duration")
    direction, outcome = _TYPES[kind]
    number = "" if entry.get("number") is None else str(entry["number"])
    talk, ring = seconds, None
    if outcome == MISSED:
        talk, ring = 0, seconds
    elif outcome is None:
        outcome = ANSWERED if seconds else UNKNOWN_OUTCOME
    name = entry.get("name")
    if not isinstance(name, str) or name.strip() in ("", number):
        name = None
    return Call(start_ms=when * 1000, direction=direction, outcome=outcome, number_raw=number, locator=loc,
                key=f"{when}|{number}|{kind}|{seconds}|{entry.get('line_id', '')}",
                source_type=kind, time_raw=str(when), duration_s=talk, ring_s=ring, caller_name=name)


FORMAT = Format(
    name="freebox-json", family="freebox",
    description="Freebox OS call log JSON (API call/log)",
    identity="datetime, number, type, duration, line_id (not id: the box may list a call twice)",
    recognise=_recognise, parse=_parse)
