"""WhatsApp call history from a decrypted Android msgstore.db (tables call_log and jid, in the
layout of WhatsApp 2.23), and the plain refusal of its encrypted backups (.crypt14/.crypt15)."""

import sqlite3
import zipfile

import pytest

SCHEMA = """
CREATE TABLE jid (_id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, server TEXT NOT NULL, agent INTEGER,
    device INTEGER, type INTEGER, raw_string TEXT);
CREATE TABLE call_log (_id INTEGER PRIMARY KEY AUTOINCREMENT, jid_row_id INTEGER, from_me INTEGER, call_id TEXT,
    transaction_id INTEGER, timestamp INTEGER, video_call INTEGER, duration INTEGER, call_result INTEGER,
    bytes_transferred INTEGER, group_jid_row_id INTEGER NOT NULL DEFAULT 0, is_joinable_group_call INTEGER,
    call_creator_device_jid_row_id INTEGER NOT NULL DEFAULT 0, call_random_id TEXT,
    call_link_row_id INTEGER NOT NULL DEFAULT 0, is_dnd_mode_on INTEGER, call_type INTEGER,
    offer_silence_reason INTEGER, scheduled_id TEXT);
CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, chat_row_id INTEGER NOT NULL, from_me INTEGER NOT NULL,
    key_id TEXT NOT NULL, timestamp INTEGER, message_type INTEGER, text_data TEXT);
CREATE TABLE props (_id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE, value TEXT);
"""
JIDS = [(1, "33162345012", "s.whatsapp.net", 0, 0, 0, "33162345012@s.whatsapp.net"),
        (2, "33612000111", "s.whatsapp.net", 0, 0, 0, "33612000111@s.whatsapp.net"),
        (3, "120363000000000001", "g.us", 0, 0, 1, "120363000000000001@g.us"),
        (4, "81234567890123", "lid", 0, 0, 0, "81234567890123@lid")]
# _id, jid_row_id, from_me, call_id, timestamp (ms UTC), video, duration (s), call_result, group
CALLS = [(1, 1, 0, "9F1C2A0B7E5D4C3B2A19", 1791712800123, 0, 2, 5, 0),      # answered, 2 s: a silent call
         (2, 1, 0, "A0B1C2D3E4F5061728", 1791716400000, 1, 0, 2, 0),        # missed video call
         (3, 2, 1, "B1C2D3E4F50617283A", 1791720000000, 0, 0, 2, 0),        # outgoing, not answered
         (4, 2, 1, "C2D3E4F50617283A4B", 1791723600000, 0, 125, 5, 0),      # outgoing, answered
         (5, 2, 0, "D3E4F50617283A4B5C", 1791727200000, 0, 40, 6, 0),       # answered on another device
         (6, 2, 0, "E4F50617283A4B5C6D", 1791730800000, 1, 300, 5, 3),      # a group video call
         (7, 4, 0, "F50617283A4B5C6D7E", 1791734400000, 0, 0, 4, 0),        # missed, hidden-number id
         (8, 9, 0, "0617283A4B5C6D7E8F", 1791738000000, 0, 0, 2, 0),        # no jid row: reject
         (9, 1, 0, "17283A4B5C6D7E8F90", 1791741600000, 0, 0, 7, 0)]        # an unknown result code


def msgstore(path, calls=CALLS):
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.executemany("INSERT INTO jid VALUES (?, ?, ?, ?, ?, ?, ?)", JIDS)
    conn.executemany("INSERT INTO call_log (_id, jid_row_id, from_me, call_id, timestamp, video_call, duration, "
                     "call_result, group_jid_row_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", calls)
    conn.execute("INSERT INTO props (key, value) VALUES ('user_push_name', 'Me')")
    conn.commit()
    conn.close()
    return path


def test_whatsapp_calls_with_direction_outcome_time_and_number(household):
    r = household.import_(msgstore(household.exports / "msgstore.db"))
    assert (r.status, r.format, r.read, r.new, r.rejected) == ("imported", "whatsapp-db", 9, 8, 1)
    got = {c["locator"]: c for c in household.calls()}
    outcome = {i: (got[f"call_log._id={i}"]["direction"], got[f"call_log._id={i}"]["outcome"]) for i in (1, 2, 3, 4, 5, 7, 9)}
    assert outcome == {1: ("in", "answered"), 2: ("in", "missed"), 3: ("out", "unknown"), 4: ("out", "answered"),
                       5: ("in", "answered"), 7: ("in", "missed"), 9: ("in", "unknown")}
    first = got["call_log._id=1"]
    assert (first["start_utc"], first["number"], first["duration_s"], first["tz"]) == \
        ("2026-10-11T10:00:00.123Z", "+33162345012", 2, "UTC")
    assert got["call_log._id=5"]["duration_s"] is None                       # talked on another device
    assert got["call_log._id=6"]["source_type"] == "5 answered, video group call"
    assert got["call_log._id=7"]["number_raw"] == "81234567890123@lid" and got["call_log._id=7"]["number"] is None
    assert got["call_log._id=9"]["source_type"].startswith("7 result 7")
    (reject,) = household.store.rejects(r.import_id)
    assert (reject["locator"], reject["reason"]) == ("call_log._id=8", "no contact (jid row) for this call")


def test_a_later_copy_of_the_database_adds_only_new_calls(household):
    household.import_(msgstore(household.exports / "msgstore-1.db", CALLS[:4]))
    r = household.import_(msgstore(household.exports / "msgstore-2.db", CALLS[2:7]))
    assert (r.new, r.duplicate) == (3, 2)


@pytest.mark.parametrize("name", ["msgstore.db.crypt14", "msgstore-2026-11-20.1.db.crypt15", "msgstore.db.crypt12"])
def test_encrypted_backups_are_refused_with_how_to_decrypt(household, name):
    r = household.import_(household.write(name, bytes(range(7, 256)) * 40))
    assert r.status == "failed" and "encrypted WhatsApp backup" in r.message and "Decrypt it first" in r.message
    assert household.count("imports") == 0


def test_an_encrypted_backup_inside_a_zip_says_so_too(household):
    path = household.exports / "whatsapp.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("Databases/msgstore.db.crypt15", bytes(range(7, 256)) * 40)
    (member,) = household.import_(path).members
    assert member.status == "failed" and "encrypted WhatsApp backup" in member.message
