"""Android's own call-log database: ``calllog.db`` (Android 7+) or ``contacts2.db`` (older),
table ``calls``. Read from the archived copy, opened read-only and immutable.

Old schemas (Gingerbread: ``_id, number, date, duration, type, new, name, ...``) have no
``presentation`` column: withheld callers show as the number ``-1``, ``-2`` or ``-3``.
Rows soft-deleted by the dialer (``deleted = 1``) are still calls that happened: kept, and
marked in ``source_type``.
"""

from __future__ import annotations

import sqlite3

from callwatch.errors import UnreadableFile
from callwatch.importers import Format
from callwatch.importers.android_common import FAMILY, IDENTITY, BadRecord, make_call
from callwatch.importers.base import Reject, sqlite_columns, sqlite_open

_NEEDED = {"number", "date", "duration", "type"}


def _recognise(sniff) -> int:
    if not sniff.is_sqlite:
        return 0
    cols = sqlite_columns(sniff.path, "calls")
    return 90 if _NEEDED <= cols else 0


def _parse(sniff, ctx):
    try:
        conn = sqlite_open(sniff.path)
        cols = {row[1] for row in conn.execute("PRAGMA table_info(calls)")}
    except sqlite3.Error as exc:
        raise UnreadableFile(sniff.path, f"not a readable SQLite database: {exc}") from None
    try:
        missing = _NEEDED - cols
        if missing:
            raise UnreadableFile(sniff.path, f"table calls lacks column(s) {', '.join(sorted(missing))}")
        wanted = ["_id", "number", "date", "duration", "type", "presentation", "name", "deleted", "countryiso",
                  "phone_account_address", "subscription_id"]
        select = ", ".join(c if c in cols else f"NULL AS {c}" for c in wanted)
        count = 0
        try:
            for row in conn.execute(f"SELECT {select} FROM calls ORDER BY _id"):
                rid, number, date, duration, type_, presentation, name, deleted, country, own, account = row
                count += 1
                loc = f"calls._id={rid}"
                try:
                    call = make_call(number=number, date=date, duration=duration, type_=type_,
                                     presentation=presentation, name=name, ring=None, locator=loc,
                                     country=country, own=own, account=account)
                except BadRecord as exc:
                    yield Reject(loc, str(exc), repr(row)[:4000])
                    continue
                if deleted:
                    call.source_type += " (deleted in the dialer)"
                yield call
                if count % 4096 == 0:
                    ctx.progress(count)
        except sqlite3.DatabaseError as exc:
            raise UnreadableFile(sniff.path, f"database damaged after row {count}: {exc}; nothing of it "
                                 f"was stored") from None
    finally:
        conn.close()


FORMAT = Format(
    name="android-db", family=FAMILY,
    description="Android calllog.db / contacts2.db (SQLite, table calls)",
    identity=IDENTITY, recognise=_recognise, parse=_parse, binary=True)
