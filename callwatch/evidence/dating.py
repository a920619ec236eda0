"""When a pack may say it was made: never before the data it holds.

A Raspberry Pi without a real-time clock boots in the past (2001, or its last shutdown) until it
reaches a time server; a pack made then would be dated before calls it lists, and a lawyer
would rightly doubt every date in it. ``check`` stops such a report with one sentence.
"""

from __future__ import annotations

from datetime import datetime, timezone

from callwatch.detect.frame import FUTURE_MARGIN_MS
from callwatch.errors import CallwatchError


class ClockError(CallwatchError):
    """The generation time is before data the store already holds."""


def _utc(text: str) -> datetime:
    return datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)


def newest_data(conn) -> tuple[datetime | None, datetime | None]:
    """The newest import's start and the newest call that is not dated after its own import
    (those are clock glitches of a phone, flagged ``future`` by the scan, not data to date by)."""
    row = conn.execute("SELECT MAX(started_at) FROM imports").fetchone()
    newest_import = _utc(row[0]) if row and row[0] else None
    newest_call = None
    cur = conn.execute("SELECT c.start_ms, CAST(strftime('%s', i.started_at) AS INTEGER) * 1000 FROM calls c "
                       "JOIN imports i ON i.id = c.import_id ORDER BY c.start_ms DESC")
    try:
        while rows := cur.fetchmany(256):          # newest first, by the start index: stops at once
            hit = next((start for start, imported in rows
                        if imported is None or start <= imported + FUTURE_MARGIN_MS), None)
            if hit is not None:
                newest_call = datetime.fromtimestamp(hit / 1000, timezone.utc)
                break
    finally:
        cur.close()
    return newest_import, newest_call


def check(conn, generated_at: datetime, stated: bool = False) -> None:
    """Raise ClockError if ``generated_at`` is before the newest import, or more than a day
    before the newest call (a phone a few hours ahead is not a wrong computer clock).
    ``stated``: the time was given by the user (``--at``), not read from the clock."""
    newest_import, newest_call = newest_data(conn)
    late = None
    if newest_import and generated_at < newest_import:
        late = ("the newest import", newest_import)
    elif newest_call and generated_at.timestamp() * 1000 + FUTURE_MARGIN_MS < newest_call.timestamp() * 1000:
        late = ("the newest call", newest_call)
    if late is None:
        return
    what, when = late
    said, newest = f"{generated_at:%Y-%m-%d %H:%M} UTC", f"{when:%Y-%m-%d %H:%M} UTC"
    if stated:
        raise ClockError(f"--at {said} is before {what} in the store ({newest}): a pack cannot be dated before "
                         "the data it holds")
    raise ClockError(f"this computer's clock says {said}, before {what} in the store ({newest}): set the clock "
                     "(a device without a real-time clock starts in the past until it reaches a time server), "
                     "then run the report again")
