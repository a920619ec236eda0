"""Bouygues Bbox call log (``/api/v1/voip/fullcalllog``): ``[{"calllog": [...]}]``, a top-level
array wrapping one object. Entries: ``id``, ``number``, ``date`` (Unix s), ``type`` (``in`` /
``out``), ``answered`` (0/1), ``duree`` (seconds, French for duration)."""

from __future__ import annotations

from callwatch.errors import UnreadableFile
from callwatch.importers import Format
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, UNKNOWN_OUTCOME, Call, Reject, json_raw,
                                      load_json)


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
    entries = _entries(load_json(sniff))
    if entries is None:
        raise UnreadableFile(sniff.path, 'no call list: expected [{"calllog": [...]}]')
    for i, e in enumerate(entries):
        loc = f"calllog[{i}]" + (f" id={e.get('id')}" if isinstance(e, dict) else "")
        if not isinstance(e, dict):
            yield Reject(loc, "entry is not an object", json_raw(e))
            continue
        when, seconds, kind = e.get("date"), e.get("duree", 0), e.get("type")
        if kind not in ("in", "out"):
            yield Reject(loc, f"unknown type {kind!r}", json_raw(e))
            continue
        if not isinstance(when, int) or isinstance(when, bool) or not 0 < when < 32503680000:
            yield Reject(loc, f"date {str(when)[:40]!r} is not Unix seconds", json_raw(e))
            continue
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
            yield Reject(loc, f"duree {str(seconds)[:40]!r} is not a number of seconds", json_raw(e))
            continue
        answered = e.get("answered") in (1, True, "1")
        if kind == "in":
            outcome = ANSWERED if answered else MISSED
        else:
            outcome = ANSWERED if answered or seconds else UNKNOWN_OUTCOME
        number = "" if e.get("number") is None else str(e.get("number"))
        yield Call(start_ms=when * 1000, direction=IN if kind == "in" else OUT, outcome=outcome, number_raw=number,
                   locator=loc, key=f"{when}|{number}|{kind}|{seconds}", source_type=f"{kind}/answered={int(answered)}",
                   duration_s=seconds)


FORMAT = Format(
    name="bbox-json", family="bbox", description="Bouygues Bbox call log JSON (voip/fullcalllog)",
    identity="date, number, type, duree", recognise=_recognise, parse=_parse)
