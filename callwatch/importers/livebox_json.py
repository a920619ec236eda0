"""Orange Livebox call list (``VoiceService`` ``getCallList``): ``{"status": [...]}``.

Entries: ``remoteNumber`` ("" when withheld), ``remoteName``, ``startTime`` (ISO 8601 UTC, "Z"),
``duration`` (s), ``callType`` (``succeeded``, ``missed``, ``failed``), ``callOrigin`` (``local``:
the household called out), ``callId`` (the box's own id, a string), ``trunkLineNumber`` (the
household's line the call used; ``callDestination`` is that number too on an incoming call).
"""

from __future__ import annotations

import re
from datetime import datetime

from callwatch.errors import UnreadableFile
from callwatch.importers import Format
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, UNKNOWN_OUTCOME, Call, count_of_seconds,
                                      json_entries, JsonOriginal, load_json)
from callwatch.times import EPOCH

_OUTCOMES = {"succeeded": ANSWERED, "missed": MISSED, "failed": UNKNOWN_OUTCOME}


# A box with no call answers an empty list: a successful read of 0 calls, not an unknown format
# (every poll of such a box would otherwise count as a failure, with back-off and an alert).
_EMPTY = re.compile(r'\{\s*"status"\s*:\s*\[\s*\]\s*\}\s*')


def _recognise(sniff) -> int:
    text = sniff.stripped
    if text.startswith("{") and '"status"' in text and '"callType"' in text and '"startTime"' in text:
        return 85
    if _EMPTY.fullmatch(text):
        return 60
    return 0


def _parse(sniff, ctx):
    doc = load_json(sniff)
    entries = doc.get("status") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise UnreadableFile(sniff.path, 'no call list: expected {"status": [...]}')
    return json_entries(entries, "status", "callId", _read, JsonOriginal(sniff, ("status",), len(entries)))


def _read(e, loc) -> Call:
    kind, when = e.get("callType"), e.get("startTime")
    if kind not in _OUTCOMES:
        raise ValueError(f"unknown callType {kind!r}")
    try:
        start = datetime.fromisoformat(str(when).replace("Z", "+00:00"))
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise ValueError(f"startTime {str(when)[:40]!r} is not an ISO 8601 time with its zone")
    seconds = count_of_seconds(e.get("duration"), "duration")
    delta = start - EPOCH
    start_ms = (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000
    direction = OUT if str(e.get("callOrigin", "")).lower() == "local" else IN
    outcome = _OUTCOMES[kind]
    return Call(start_ms=start_ms, direction=direction, outcome=outcome, number_raw=str(e.get("remoteNumber") or ""),
                locator=loc, key=f"{e.get('callId', '')}|{when}", source_type=f"{kind}/{e.get('callOrigin', '')}",
                time_raw=str(when),
                duration_s=seconds if outcome != MISSED else 0,
                own_number_raw=str(e.get("trunkLineNumber") or (e.get("callDestination") if direction == IN else "")
                                   or "") or None,
                caller_name=(e.get("remoteName") or None) if direction == IN else None)


FORMAT = Format(
    name="livebox-json", family="livebox", description="Orange Livebox call list JSON (getCallList)",
    identity="callId and startTime", recognise=_recognise, parse=_parse)
