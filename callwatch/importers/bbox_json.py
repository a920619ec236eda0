"""Bouygues Bbox call log (``/api/v1/voip/fullcalllog``): ``[{"calllog": [...]}]``, a top-level
array wrapping one object. Entries: ``id``, ``number``, ``date`` (Unix s), ``type`` (``in`` /
``out``), ``answered`` (0/1), ``duree`` (seconds, French for duration)."""

from __future__ import annotations

from callwatch.errors import UnreadableFile
from callwatch.importers import Format
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, UNKNOWN_OUTCOME, Call, count_of_seconds,
                                      json_entries, JsonOriginal, load_json, unix_seconds)


def _recognise(sniff) -> int:
    text = sniff.stripped
    if text.startswith(("[", "{")) and '"calllog"' in text and '"duree"' in text:
        return 85
    return 0


def _entries(doc):
    if isinstance(doc, list) and doc and isinstance(doc[0], dict) and "calllog" in doc[0]:
        return [e for part in doc if isinstance(part, dict) for e in part.get("calllog", [])]
    if isinstance(doc, dict) and isinstance(doc.get("calllog"), list):
        return doc["calllog"]
    return None


def _parse(sniff, ctx):
    doc = load_json(sniff)
    entries = _entries(doc)
    if entries is None:
        raise UnreadableFile(sniff.path, 'no call list: expected [{"calllog": [...]}]')
    where = ("*", "calllog") if isinstance(doc, list) else ("calllog",)
    return json_entries(entries, "calllog", "id", _read, JsonOriginal(sniff, where, len(entries)))


def _read(e, loc) -> Call:
    kind = e.get("type")
    if kind not in ("in", "out"):
        raise ValueError(f"unknown type {kind!r}")
    when = unix_seconds(e.get("date"), "date")
    seconds = count_of_seconds(e.get("duree", 0), "duree")
    answered = e.get("answered") in (1, True, "1")
    if kind == "in":
        outcome = ANSWERED if answered else MISSED
    else:
        outcome = ANSWERED if answered or seconds else UNKNOWN_OUTCOME
    number = "" if e.get("number") is None else str(e.get("number"))
    return Call(start_ms=when * 1000, direction=IN if kind == "in" else OUT, outcome=outcome, number_raw=number,
                locator=loc, key=f"{when}|{number}|{kind}|{seconds}", source_type=f"{kind}/answered={int(answered)}",
                time_raw=str(when), duration_s=seconds)


FORMAT = Format(
    name="bbox-json", family="bbox", description="Bouygues Bbox call log JSON (voip/fullcalllog)",
    identity="date, number, type, duree", recognise=_recognise, parse=_parse)
