"""iPhone call history: ``CallHistory.storedata`` (Core Data SQLite) from an unencrypted
iTunes/Finder backup or an extraction. Table ``ZCALLRECORD``: ``ZADDRESS`` (text, or a blob on
some iOS versions), ``ZDATE`` (seconds since 2001-01-01 UTC, fractional), ``ZDURATION`` (s),
``ZORIGINATED`` (1: the phone called out), ``ZANSWERED``, ``ZCALLTYPE`` (1 phone, 8 FaceTime
video, 16 FaceTime audio), ``ZUNIQUE_ID``, ``ZISO_COUNTRY_CODE``, ``ZNAME``."""

from __future__ import annotations

import sqlite3

from callwatch.errors import UnreadableFile
from callwatch.importers import Format
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, UNKNOWN_OUTCOME, Call, Reject, sqlite_columns,
                                      sqlite_open)

APPLE_EPOCH_S = 978307200          # 2001-01-01T00:00:00Z in Unix seconds
_KINDS = {1: "phone", 8: "FaceTime video", 16: "FaceTime audio"}


def _recognise(sniff) -> int:
    if not sniff.is_sqlite:
        return 0
    cols = sqlite_columns(sniff.path, "ZCALLRECORD")
    return 90 if {"ZADDRESS", "ZDATE", "ZORIGINATED"} <= cols else 0


def _parse(sniff, ctx):
    try:
        conn = sqlite_open(sniff.path)
        cols = {row[1] for row in conn.execute("PRAGMA table_info(ZCALLRECORD)")}
    except sqlite3.Error as exc:
        raise UnreadableFile(sniff.path, f"not a readable SQLite database: {exc}") from None
    wanted = ["Z_PK", "ZADDRESS", "ZDATE", "ZDURATION", "ZORIGINATED", "ZANSWERED", "ZCALLTYPE", "ZUNIQUE_ID",
              "ZISO_COUNTRY_CODE", "ZNAME"]
    select = ", ".join(c if c in cols else f"NULL AS {c}" for c in wanted)
    try:
        for row in conn.execute(f"SELECT {select} FROM ZCALLRECORD ORDER BY Z_PK"):
            pk, address, date, duration, originated, answered, kind, uid, country, name = row
            loc = f"ZCALLRECORD.Z_PK={pk}"
            if isinstance(address, bytes):
                address = address.decode("utf-8", "replace")
            if not isinstance(date, (int, float)):
                yield Reject(loc, f"ZDATE {str(date)[:40]!r} is not a number of seconds", repr(row)[:4000])
                continue
            seconds = int(round(duration)) if isinstance(duration, (int, float)) and duration >= 0 else None
            direction = OUT if originated else IN
            if direction == IN:
                outcome = ANSWERED if answered else MISSED
            else:
                outcome = ANSWERED if answered or seconds else UNKNOWN_OUTCOME
            start_ms = int(round((date + APPLE_EPOCH_S) * 1000))
            yield Call(start_ms=start_ms, direction=direction, outcome=outcome, number_raw=address or "", locator=loc,
                       key=uid or f"{start_ms}|{address}|{originated}", source_type=_KINDS.get(kind, f"type {kind}"),
                       time_raw=str(date),
                       duration_s=seconds, caller_name=name or None,
                       region=country.upper() if isinstance(country, str) and len(country) == 2 else None)
    except sqlite3.DatabaseError as exc:
        raise UnreadableFile(sniff.path, f"database damaged: {exc}; nothing of it was stored") from None
    finally:
        conn.close()


FORMAT = Format(
    name="ios-callhistory", family="ios-callhistory", description="iPhone CallHistory.storedata (ZCALLRECORD)",
    identity="ZUNIQUE_ID", recognise=_recognise, parse=_parse, binary=True)
