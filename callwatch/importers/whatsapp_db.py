"""WhatsApp call history from Android's ``msgstore.db``, decrypted (SQLite).

Tables (WhatsApp 2.19 and later): ``call_log`` (``_id``, ``jid_row_id``, ``from_me``, ``call_id``,
``timestamp`` in epoch ms UTC, ``video_call``, ``duration`` in s, ``call_result``,
``group_jid_row_id``...) and ``jid`` (``_id``, ``user``, ``server``, ``raw_string``): the other party
is ``jid.user`` on server ``s.whatsapp.net``, its international number without ``+``. A ``@lid``
party (WhatsApp's hidden-number id) has no telephone number: kept with its id as written.
``call_result``, as forensic tools read it: 2 missed (incoming) or not answered (outgoing),
3 unavailable, 4 missed, 5 answered, 6 answered on another device; any other code is kept as an
unknown outcome with its code. The phone's backups (``msgstore.db.crypt12/14/15``) are encrypted:
ingest refuses them with how to decrypt them.
"""

from __future__ import annotations

import sqlite3

from callwatch.errors import UnreadableFile
from callwatch.importers import Format
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, UNKNOWN_OUTCOME, Call, Reject, sqlite_columns,
                                      sqlite_open)

_NEEDED = {"_id", "jid_row_id", "from_me", "timestamp", "duration", "call_result"}
# call_result: (label, outcome of an incoming call, outcome of an outgoing one)
_RESULTS = {2: ("missed / not answered", MISSED, UNKNOWN_OUTCOME), 3: ("unavailable", UNKNOWN_OUTCOME, UNKNOWN_OUTCOME),
            4: ("missed", MISSED, UNKNOWN_OUTCOME), 5: ("answered", ANSWERED, ANSWERED),
            6: ("answered on another device", ANSWERED, ANSWERED)}


def _recognise(sniff) -> int:
    if not sniff.is_sqlite:
        return 0
    if _NEEDED <= sqlite_columns(sniff.path, "call_log") and sqlite_columns(sniff.path, "jid"):
        return 90
    if sqlite_columns(sniff.path, "messages") and sqlite_columns(sniff.path, "chat_list"):
        return 60           # a WhatsApp database of the layout before call_log/jid: refused with its reason
    return 0


def _read(row) -> Call:
    rid, call_id, from_me, ts, video, duration, result, user, server, raw_jid, group = row
    if user is None and raw_jid is None:
        raise ValueError("no contact (jid row) for this call")
    if type(ts) is not int or not 0 < ts < 32503680000000:
        raise ValueError(f"timestamp {str(ts)[:40]!r} is not epoch milliseconds")
    if duration is not None and (type(duration) is not int or duration < 0):
        raise ValueError(f"duration {str(duration)[:40]!r} is not a number of seconds")
    direction = OUT if from_me == 1 else IN
    label, outcome_in, outcome_out = _RESULTS.get(result, (f"result {result}", UNKNOWN_OUTCOME, UNKNOWN_OUTCOME))
    outcome = outcome_out if direction == OUT else outcome_in
    if result == 6:
        duration = None         # talked on another device: this database has no talk time for it
    if server == "s.whatsapp.net" and user:
        number = "+" + str(user)
    else:
        number = str(raw_jid or f"{user}@{server}")
    kind = ("video" if video else "voice") + (" group call" if group else " call")
    identity = call_id if call_id else f"{ts}|{number}|{from_me}"
    return Call(start_ms=ts, direction=direction, outcome=outcome, number_raw=number, locator=f"call_log._id={rid}",
                key=str(identity), source_type=f"{result} {label}, {kind}", time_raw=str(ts), duration_s=duration)


def _parse(sniff, ctx):
    cols = sqlite_columns(sniff.path, "call_log")
    if not _NEEDED <= cols:
        raise UnreadableFile(sniff.path, "a WhatsApp database of an older layout (no call_log table with jid_row_id): "
                                         "open it once in a recent WhatsApp, back it up again, then decrypt and import it")
    def col(name):              # columns some versions lack
        return f"c.{name}" if name in cols else f"NULL AS {name}"
    try:
        conn = sqlite_open(sniff.path)
    except sqlite3.Error as exc:
        raise UnreadableFile(sniff.path, f"not a readable SQLite database: {exc}") from None
    count = 0
    try:
        rows = conn.execute(
            f"SELECT c._id, {col('call_id')}, c.from_me, c.timestamp, {col('video_call')}, c.duration, "
            f"c.call_result, j.user, j.server, j.raw_string, {col('group_jid_row_id')} "
            f"FROM call_log c LEFT JOIN jid j ON j._id = c.jid_row_id ORDER BY c._id")
        for row in rows:
            count += 1
            try:
                yield _read(row)
            except ValueError as exc:
                yield Reject(f"call_log._id={row[0]}", str(exc), repr(row)[:4000])
            if count % 4096 == 0:
                ctx.progress(count)
    except sqlite3.DatabaseError as exc:
        raise UnreadableFile(sniff.path, f"database damaged after row {count}: {exc}; nothing of it was stored") from None
    finally:
        conn.close()


FORMAT = Format(
    name="whatsapp-db", family="whatsapp",
    description="WhatsApp call history from Android's msgstore.db (decrypted; tables call_log and jid)",
    identity="call_id (WhatsApp's id of the call)", recognise=_recognise, parse=_parse, binary=True)
