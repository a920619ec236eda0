"""A large first load (Store._first_load): written with a rollback journal when the store holds no
call and nobody else has it open, WAL again afterwards; an opener meanwhile waits; a crash in the
middle is rolled back at the next open; a store with calls, or one another connection holds,
stays in WAL all along."""

import os
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from callwatch.errors import StoreError
from callwatch.store import BULK_ROWS, Store

ROW = ("INSERT INTO calls (import_id, locator, family, source_key, start_ms, tz, time_precision_s, direction, "
       "outcome, duration_precision_s, number_raw, presentation) "
       "VALUES (?, 'line 1', 'asterisk', ?, 0, 'UTC', 1, 'in', 'missed', 1, '', 'withheld')")


def _new_import(store) -> int:
    return store.create_import(original_name="x.csv", original_path="/x.csv", sha256=os.urandom(32).hex(), size=1,
                               format="asterisk-csv", family="asterisk", archive_path="a", callwatch_version="t")


def _mode(store) -> str:
    return store.conn.execute("PRAGMA journal_mode").fetchone()[0]


def test_a_large_first_load_uses_a_rollback_journal_and_leaves_the_store_in_wal(tmp_path):
    store = Store(tmp_path / "data")
    with store.transaction(BULK_ROWS):
        assert _mode(store) == "delete"
        assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 3          # EXTRA
        import_id = _new_import(store)
        store.conn.executemany(ROW, [(import_id, f"k{i}") for i in range(1000)])
    assert _mode(store) == "wal" and store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2   # FULL
    assert store.count_calls() == 1000
    # the next load finds calls: WAL all along
    with store.transaction(BULK_ROWS):
        assert _mode(store) == "wal"
    # a small load into an empty store: WAL too
    other = Store(tmp_path / "other")
    with other.transaction(BULK_ROWS - 1):
        assert _mode(other) == "wal"
    store.close()
    other.close()


def test_a_store_another_connection_holds_stays_in_wal(tmp_path):
    store = Store(tmp_path / "data")
    reader = Store(tmp_path / "data")
    with store.transaction(BULK_ROWS):
        assert _mode(store) == "wal"
        store.conn.executemany(ROW, [(_new_import(store), "k1")])
    assert reader.count_calls() == 1
    store.close()
    reader.close()


def test_an_opener_during_the_first_load_is_told_the_store_is_busy(tmp_path):
    store = Store(tmp_path / "data")
    with store.transaction(BULK_ROWS):
        assert _mode(store) == "delete"
        store.conn.executemany(ROW, [(_new_import(store), f"k{i}") for i in range(10)])
        with pytest.raises(StoreError) as caught:
            Store(tmp_path / "data", timeout_s=0.3)
    assert "the call store is busy" in str(caught.value) and "run it again" in str(caught.value)
    other = Store(tmp_path / "data")                   # once the load has ended: WAL, its calls
    assert (_mode(other), other.count_calls()) == ("wal", 10)
    other.close()
    store.close()


CRASHING_LOAD = """
import os, sys
from callwatch.store import BULK_ROWS, Store
store = Store(sys.argv[1])
store.conn.execute("PRAGMA cache_size = -256")        # spill to the store file mid-load
with store.transaction(BULK_ROWS):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    import_id = store.create_import(original_name="x.csv", original_path="/x.csv", sha256="0" * 64, size=1,
                                    format="asterisk-csv", family="asterisk", archive_path="a",
                                    callwatch_version="t")
    store.conn.executemany({row!r}, [(import_id, f"k{{i}}") for i in range(60_000)])
    assert os.path.exists(str(store.path) + "-journal")
    os.kill(os.getpid(), 9)                            # killed before the commit
"""


def test_a_first_load_killed_midway_is_rolled_back_at_the_next_open(tmp_path):
    data = tmp_path / "data"
    Store(data).close()
    script = textwrap.dedent(CRASHING_LOAD).format(row=ROW)
    done = subprocess.run([sys.executable, "-c", script, str(data)], capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    db = data / "callwatch.db"
    assert (data / "callwatch.db-journal").exists()                      # a hot journal
    assert db.stat().st_size > 1 << 20                                   # pages were written to the store
    store = Store(data)
    assert store.count_calls() == 0
    assert store.conn.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == 0
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _mode(store) == "wal"
    assert not (data / "callwatch.db-journal").exists()
    store.close()
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_journal_is_private(tmp_path):
    store = Store(tmp_path / "data")
    with store.transaction(BULK_ROWS):
        store.conn.executemany(ROW, [(_new_import(store), f"k{i}") for i in range(100)])
        journal = store.path.with_name(store.path.name + "-journal")
        assert journal.exists() and journal.stat().st_mode & 0o077 == 0
    store.close()


def test_a_store_held_past_the_wait_is_said_busy_in_one_sentence(tmp_path):
    """Once the first load writes into the store file (an exclusive lock), even reading waits; past
    the opener's wait: one sentence, never SQLite's exception."""
    store = Store(tmp_path / "data")
    with store.transaction(BULK_ROWS):
        assert _mode(store) == "delete"
        store.conn.execute("PRAGMA cache_size = -64")
        store.conn.executemany(ROW, [(_new_import(store), f"k{i}") for i in range(20_000)])   # spilled
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            Store(tmp_path / "data", timeout_s=0.5)
        assert time.monotonic() - started >= 0.4
    assert "the call store is busy" in str(caught.value) and "run it again" in str(caught.value)
    store.close()


OTHER_WRITER = """
import sqlite3, sys
try:
    sqlite3.connect(sys.argv[1], timeout=0).execute("BEGIN IMMEDIATE")
    print("got the write lock")
except sqlite3.OperationalError as e:
    print(e)
"""


def test_the_first_load_syncs_the_store_through_sqlites_descriptor_and_keeps_its_locks(tmp_path, monkeypatch):
    """During a first load (rollback-journal mode) the flusher syncs the store file itself, through
    the descriptor SQLite holds: one of our own, once closed, would drop SQLite's POSIX locks mid-
    transaction, and another process could then write into the load. So: synced meanwhile, the
    store's very file, and another process still refused the write lock after many syncs."""
    import threading

    from callwatch import store as store_mod
    monkeypatch.setattr(store_mod._Flusher, "INTERVAL_S", 0.01)
    synced, real = [], os.fdatasync
    monkeypatch.setattr(store_mod.os, "fdatasync", lambda fd: (synced.append(os.fstat(fd).st_ino), real(fd)))
    store = Store(tmp_path / "data")
    with store.transaction(BULK_ROWS):
        assert _mode(store) == "delete"
        with store.bulk_load(expected_rows=BULK_ROWS):
            store.conn.executemany(ROW, [(_new_import(store), f"k{i}") for i in range(1000)])
            deadline = time.monotonic() + 10
            while len(synced) < 5 and time.monotonic() < deadline:
                time.sleep(0.01)
            other = subprocess.run([sys.executable, "-c", OTHER_WRITER, str(store.path)], capture_output=True,
                                   text=True, timeout=60)
            assert other.stdout.strip() == "database is locked", other.stdout + other.stderr
    assert len(synced) >= 5 and set(synced) == {os.stat(store.path).st_ino}
    assert not [t for t in threading.enumerate() if t.name == "callwatch-flush"]
    assert store.count_calls() == 1000 and _mode(store) == "wal"
    store.close()
