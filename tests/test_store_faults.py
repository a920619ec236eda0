"""Attacks on the store and the data directory: the database deleted or replaced (under the CLI
and under the running daemon), a damaged page, a read-only data directory, a full disk. Each ends
in one sentence naming the path and what to do, never a traceback, never a new empty store, and
nothing half-written under a final name."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from callwatch import config as config_mod
from callwatch.cli import cli
from callwatch.errors import StoreLost
from callwatch.identity import MARKER
from callwatch.ingest import Importer
from callwatch.jobs import Jobs
from callwatch.store import MIGRATIONS, Store
from test_daemon import CONFIG as DAEMON_CONFIG, _wait, start_daemon
from test_inbox_races import CONFIG, cdr_lines


def run(tmp_path, *args, data=None):
    """The CLI in this process (so that monkeypatches reach it); a traceback fails the test."""
    env = {"CALLWATCH_DATA_DIR": str(data or tmp_path / "data"), "CALLWATCH_CONFIG": str(tmp_path / "callwatch.toml"),
           "COLUMNS": "250"}
    if not (tmp_path / "callwatch.toml").exists():
        (tmp_path / "callwatch.toml").write_text(CONFIG)
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    result.text = " ".join(result.output.split())          # the sentence, whatever the terminal wrapped
    return result


def export(tmp_path, name="Master.csv", first=0, count=3) -> Path:
    path = tmp_path / "exports" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(cdr_lines(first, count))
    return path


def db_files(data: Path) -> list[Path]:
    return [p for p in data.glob("callwatch.db*") if p.name != MARKER]


def test_a_deleted_store_stops_every_command_and_is_never_recreated(tmp_path):
    data = tmp_path / "data"
    assert run(tmp_path, "import", str(export(tmp_path))).exit_code == 0
    for p in db_files(data):
        p.unlink()
    for args in (["imports"], ["rejects"], ["scan"], ["status"], ["calls", "--number", "0162345000"],
                 ["report", "--out", str(tmp_path / "out")], ["import", str(export(tmp_path, "new.csv", 5, 2))]):
        result = run(tmp_path, *args)
        assert result.exit_code == 2, (args, result.output)
        assert f"{data / 'callwatch.db'}: the call store is missing" in result.text, args
        assert f"remove {data / MARKER}" in result.text and "Traceback" not in result.output
    assert db_files(data) == []
    pack = tmp_path / "pack"
    pack.mkdir()
    result = run(tmp_path, "verify", str(pack))              # would check the sources against a store
    assert result.exit_code == 2 and "the call store is missing" in result.text


@pytest.mark.parametrize("replacement,words", [
    ("an empty file", "this is not the call store that was kept here (expected identity"),
    ("another callwatch store", "this is not the call store that was kept here (expected identity"),
    ("random bytes", "the call store is damaged (file is not a database)"),
], ids=["empty file", "another store", "random bytes"])
def test_a_replaced_store_is_refused_and_left_as_it_is(tmp_path, replacement, words):
    data = tmp_path / "data"
    assert run(tmp_path, "import", str(export(tmp_path))).exit_code == 0
    db = data / "callwatch.db"
    if replacement == "an empty file":
        db.write_bytes(b"")
    elif replacement == "another callwatch store":
        Store(tmp_path / "elsewhere").close()
        shutil.copy(tmp_path / "elsewhere" / "callwatch.db", db)
    else:
        db.write_bytes(os.urandom(8192))
    before = db.read_bytes()
    result = run(tmp_path, "imports")
    assert result.exit_code == 2 and f"{db}: {words}" in result.text
    assert db.read_bytes() == before                       # not "repaired" into a new empty store


def test_the_daily_backup_put_back_is_the_same_store(tmp_path):
    data = tmp_path / "data"
    assert run(tmp_path, "import", str(export(tmp_path))).exit_code == 0
    result, detail = Jobs(config_mod.load(tmp_path / "callwatch.toml", data)).run("maintenance")
    assert result == "ok"
    for p in db_files(data):
        p.unlink()
    shutil.copy(data / "backup" / "callwatch-backup.db", data / "callwatch.db")
    result = run(tmp_path, "imports")
    assert result.exit_code == 0 and "Master.csv" in result.output and "new 3" in result.output


def test_a_store_made_before_the_identity_is_adopted_then_guarded(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    conn = sqlite3.connect(data / "callwatch.db")          # a store as callwatch left it at schema 5
    for script in MIGRATIONS[:5]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 5")
    conn.close()
    with Store(data) as store:
        found = store.identity()
    assert found and len(found) == 32 and found in (data / MARKER).read_text()
    (data / "callwatch.db").unlink()
    with pytest.raises(StoreLost):
        Store(data)


def test_a_damaged_page_is_one_sentence(tmp_path):
    data = tmp_path / "data"
    assert run(tmp_path, "import", str(export(tmp_path, count=28))).exit_code == 0
    db = data / "callwatch.db"
    raw = bytearray(db.read_bytes())
    page = 4096
    assert len(raw) > 6 * page
    raw[2 * page:] = os.urandom(len(raw) - 2 * page)      # every page after the first two
    db.write_bytes(bytes(raw))
    result = run(tmp_path, "calls", "--number", "0162345001")
    assert result.exit_code == 2 and f"{db}: the call store is damaged" in result.text
    assert "put the latest backup in its place" in result.text and "Traceback" not in result.output


@pytest.fixture
def small_fs(tmp_path):
    """A 2 MB tmpfs, where the test may mount one (as root); skipped elsewhere (the simulated
    variants below always run)."""
    mount = tmp_path / "fs"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path, leave: int = 0) -> Path:
    """Fill the filesystem of folder but for about `leave` bytes; returns the filler (remove it
    to free the space)."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    os.ftruncate(fd, max(os.fstat(fd).st_size - leave, 0))
    os.close(fd)
    return filler


def _check_store(data: Path, imports: int, calls: int) -> None:
    conn = sqlite3.connect(data / "callwatch.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == imports
        assert conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == calls
    finally:
        conn.close()


def test_a_read_only_data_directory_is_one_sentence(tmp_path, small_fs):
    data = small_fs / "data"
    assert run(tmp_path, "import", str(export(tmp_path)), data=data).exit_code == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    for args in (["import", str(export(tmp_path, "new.csv", 5, 2))], ["imports"]):
        result = run(tmp_path, *args, data=data)
        assert result.exit_code == 2 and "Traceback" not in result.output, (args, result.output)
        assert "cannot write there (" in result.text and "writable for" in result.text and str(data) in result.text


def test_a_full_disk_while_archiving_and_while_storing(tmp_path, small_fs, monkeypatch):
    data = small_fs / "data"
    assert run(tmp_path, "import", str(export(tmp_path)), data=data).exit_code == 0
    big = export(tmp_path, "big.csv", 10, 2000)
    filler = _fill(small_fs, leave=big.stat().st_size // 2)
    # 1. room to open the store, none for the archive copy
    result = run(tmp_path, "import", str(big), data=data)
    assert result.exit_code == 2 and "the disk is full (No space left on device)" in result.text
    assert "free some space on the disk holding" in result.text and "Traceback" not in result.output
    assert list((data / "archive" / "sha256").glob(".incoming-*")) == []
    _check_store(data, imports=1, calls=3)
    # 2. room for the archive copy, none for the store's write: the transaction rolls back
    filler.unlink()
    real = Importer._load

    def full_at_the_insert(self, *args):
        _fill(small_fs)
        return real(self, *args)
    monkeypatch.setattr(Importer, "_load", full_at_the_insert)
    result = run(tmp_path, "import", str(export(tmp_path, "second.csv", 10, 200)), data=data)
    monkeypatch.undo()
    assert result.exit_code == 2 and f"{data / 'callwatch.db'}: the disk is full" in result.text
    _check_store(data, imports=1, calls=3)
    # 3. space freed: the same file imports whole
    (small_fs / "filler").unlink()
    assert run(tmp_path, "import", str(export(tmp_path, "second.csv", 10, 200)), data=data).exit_code == 0
    _check_store(data, imports=2, calls=203)


def test_a_full_disk_leaves_the_inbox_file_and_the_last_backup(tmp_path, small_fs):
    (tmp_path / "callwatch.toml").write_text(CONFIG)
    config = config_mod.load(tmp_path / "callwatch.toml", small_fs / "data")
    jobs = Jobs(config)
    path = jobs.inbox / "Master.csv"
    path.write_text(cdr_lines(0, 3))
    assert jobs.run("inbox", paths=[str(path)])[0] == "ok"
    assert jobs.run("maintenance")[0] == "ok"
    backup = jobs.data_dir / "backup" / "callwatch-backup.db"
    good = backup.read_bytes()
    path = jobs.inbox / "Later.csv"
    path.write_text(cdr_lines(10, 150))
    _fill(small_fs)
    result, detail = jobs.run("inbox", paths=[str(path)])
    assert result == "failed" and "the disk is full" in detail
    assert path.exists() and not (jobs.inbox / "failed").exists()     # the machine's fault, not the file's
    result, detail = jobs.run("maintenance")
    assert result == "failed" and "the disk is full" in detail
    assert backup.read_bytes() == good and list(backup.parent.glob(".*")) == []


def test_a_full_disk_simulated_where_no_small_filesystem_can_be_mounted(tmp_path, monkeypatch):
    """The same promises without root: SQLite's own SQLITE_FULL (a page limit set on the store's
    connection) and ENOSPC raised by the archive's write."""
    data = tmp_path / "data"
    assert run(tmp_path, "import", str(export(tmp_path)), data=data).exit_code == 0
    real_open = Store._open

    def no_room_to_grow_by(extra: int):
        def opened(self, *args):
            real_open(self, *args)
            pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
            self.conn.execute(f"PRAGMA max_page_count = {pages + extra}")
        return opened
    monkeypatch.setattr(Store, "_open", no_room_to_grow_by(0))
    result = run(tmp_path, "import", str(export(tmp_path, "second.csv", 10, 200)))
    assert result.exit_code == 2 and f"{data / 'callwatch.db'}: the disk is full (database or disk is full)" in result.text
    monkeypatch.undo()
    _check_store(data, imports=1, calls=3)

    # the same in the columnar path, the store full while a block goes in on the writer thread
    import callwatch.ingest as ingest
    from callwatch.importers import columnar
    monkeypatch.setattr(Store, "_open", no_room_to_grow_by(15))
    monkeypatch.setattr(ingest, "COLUMNAR_MIN_BYTES", 0)
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 8192)
    big = export(tmp_path, "large.csv", 100, 900)            # about 25 blocks of 8 KB
    result = run(tmp_path, "import", str(big))
    assert result.exit_code == 2 and f"{data / 'callwatch.db'}: the disk is full (database or disk is full)" in result.text
    monkeypatch.setattr(Store, "_open", real_open)
    _check_store(data, imports=1, calls=3)
    assert run(tmp_path, "import", str(big)).exit_code == 0  # room again: the same file, whole
    _check_store(data, imports=2, calls=903)
    monkeypatch.undo()

    import callwatch.archive as archive

    def enospc(fd):
        raise OSError(28, os.strerror(28))
    monkeypatch.setattr(archive.os, "fsync", enospc)
    result = run(tmp_path, "import", str(export(tmp_path, "third.csv", 20, 5)))
    monkeypatch.undo()
    assert result.exit_code == 2 and "the disk is full (No space left on device)" in result.text
    assert list((data / "archive" / "sha256").glob(".incoming-*")) == []
    _check_store(data, imports=2, calls=903)


@pytest.mark.parametrize("attack", ["deleted", "replaced by an empty file"])
def test_the_store_lost_under_the_running_daemon_stops_it(tmp_path, attack):
    cfg = tmp_path / "daemon.toml"
    cfg.write_text(DAEMON_CONFIG)
    data = tmp_path / "data"
    proc, env = start_daemon(cfg, data, subprocess.PIPE)
    try:
        assert _wait(lambda: (data / "daemon.json").exists())
        for p in db_files(data):
            p.unlink()
        if attack != "deleted":
            (data / "callwatch.db").write_bytes(b"")
        (data / "inbox" / "Master.csv").write_text(cdr_lines(0, 3))
        assert proc.wait(timeout=60) == 2
        out = " ".join(proc.stdout.read().decode().split())
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    words = "the call store is missing" if attack == "deleted" else "this is not the call store that was kept here"
    assert f"error: {data / 'callwatch.db'}: {words}" in out and "Traceback" not in out
    assert (data / "inbox" / "Master.csv").exists() and not (data / "inbox" / "done").exists()
    assert [p.stat().st_size for p in db_files(data)] == ([] if attack == "deleted" else [0])
