"""The daemon as a real process: inbox in, failed files explained, clean stop on SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from callwatch.inbox import StabilityTracker
from test_import_fritzbox import GERMAN

CONFIG = """
region = "FR"
timezone = "Europe/Paris"

[operator]
name = "Opérateur X"
prefixes = ["01 62 34 50"]

[daemon]
inbox_every_s = 1
stable_s = 1
maintenance_every_s = 3600
"""


def _wait(predicate, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def start_daemon(cfg, data, output=subprocess.DEVNULL):
    """`callwatch daemon` as a real process on this config and data directory; (process, env)."""
    env = {**os.environ, "CALLWATCH_CONFIG": str(cfg), "CALLWATCH_DATA_DIR": str(data), "COLUMNS": "200"}
    env.pop("NOTIFY_SOCKET", None)
    proc = subprocess.Popen([sys.executable, "-m", "callwatch", "daemon"], env=env, stdout=output,
                            stderr=subprocess.STDOUT if output == subprocess.PIPE else subprocess.DEVNULL)
    return proc, env


@pytest.fixture
def daemon(tmp_path):
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(CONFIG)
    data = tmp_path / "data"
    proc, env = start_daemon(cfg, data, subprocess.PIPE)
    assert _wait(lambda: (data / "daemon.json").exists()), proc.stdout.read1().decode() if proc.poll() else "no state"
    yield proc, data, env
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_inbox_import_failure_reason_status_and_clean_stop(daemon):
    proc, data, env = daemon
    inbox = data / "inbox"
    (inbox / "FRITZ.csv").write_bytes(GERMAN.encode("iso-8859-1"))
    (inbox / "notes.txt").write_text("not a call log\n")
    (inbox / "partial.csv.part").write_text("still copying")
    assert _wait(lambda: (inbox / "done" / "FRITZ.csv").exists() and (inbox / "failed" / "notes.txt").exists())
    reason = (inbox / "failed" / "notes.txt.reason").read_text()
    assert "format not recognised" in reason and "formats tried" in reason
    assert (inbox / "partial.csv.part").exists()                       # never touched
    assert _wait(lambda: b"scan" in subprocess.run([sys.executable, "-m", "callwatch", "status"], env=env,
                                                    capture_output=True).stdout)
    status = subprocess.run([sys.executable, "-m", "callwatch", "status"], env={**env, "COLUMNS": "200"},
                            capture_output=True, text=True)
    assert "daemon: running" in status.stdout and "inbox" in status.stdout and "4 calls" in status.stdout
    # The scan ran in a child process: what it loaded (pandas, numpy) is not mapped in the daemon.
    maps = Path(f"/proc/{proc.pid}/maps")
    if maps.exists():
        loaded = maps.read_text()
        assert ".so" in loaded                                          # extension modules show here
        assert "numpy" not in loaded and "pandas" not in loaded
    # a second daemon on the same data refuses to start
    second = subprocess.run([sys.executable, "-m", "callwatch", "daemon"], env=env, capture_output=True, text=True,
                            timeout=30)
    assert second.returncode == 2 and "another callwatch daemon already runs" in second.stderr
    started = time.time()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0 and time.time() - started < 10
    assert json.loads((data / "daemon.json").read_text())["running"] is False


def test_stability_waits_for_a_file_to_stop_changing(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("a")
    tracker = StabilityTracker(stable_s=5)
    assert tracker.stable([path], now=100) == []
    assert tracker.stable([path], now=104) == []
    path.write_text("ab")                          # still growing
    assert tracker.stable([path], now=106) == []
    assert tracker.stable([path], now=110) == []
    assert tracker.stable([path], now=111.5) == [path]


def test_a_file_whose_import_process_keeps_dying_goes_to_failed_alone(tmp_path):
    """Policy, without real deaths: the child is replaced by a stand-in that 'dies' (no outcome)
    whenever the bad file is in its batch and otherwise imports, as the real one would."""
    from callwatch import config as config_mod
    from callwatch.daemon import MAX_IMPORT_DEATHS, Daemon
    from callwatch.inbox import settle

    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(CONFIG.replace("stable_s = 1", "stable_s = 0"))
    daemon = Daemon(config_mod.load(cfg, tmp_path / "data"))
    bad, good = daemon.inbox / "huge.csv", daemon.inbox / "fine.csv"
    bad.write_text("pretend this exhausts memory\n")
    good.write_text("pretend this imports\n")
    batches = []

    def child(job, paths):
        batches.append(sorted(Path(p).name for p in paths))
        if str(bad) in paths:
            daemon.last_death = "signal 9"
            return None
        for p in paths:
            settle(Path(p), daemon.inbox, True)
        return {"result": "ok", "detail": ""}

    daemon._run_child = child
    for _ in range(MAX_IMPORT_DEATHS + 2):
        daemon.job_inbox()
    # together once, then each alone: the good one imports, the bad one dies until it is set aside
    assert batches[0] == ["fine.csv", "huge.csv"] and ["fine.csv"] in batches
    assert batches.count(["huge.csv"]) == MAX_IMPORT_DEATHS - 1          # its first death was shared
    assert (daemon.inbox / "done" / "fine.csv").exists()
    reason = (daemon.inbox / "failed" / "huge.csv.reason").read_text()
    assert f"died {MAX_IMPORT_DEATHS} times" in reason and "signal 9" in reason
    assert not bad.exists() and len(batches) == MAX_IMPORT_DEATHS + 1  # then nothing left to try


def test_maintenance_backs_up_privately_and_prunes_only_old_routine_runs(tmp_path):
    import sqlite3
    import stat

    from callwatch import config as config_mod
    from callwatch.jobs import ROUTINE_KEPT_DAYS, Jobs
    from callwatch.store import Store

    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(CONFIG)
    config = config_mod.load(cfg, tmp_path / "data")
    old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - (ROUTINE_KEPT_DAYS + 1) * 86400))
    runs = [("inbox", "nothing"), ("inbox", "nothing"), ("inbox", "failed"), ("inbox", "ok"),
            ("source:box", "ok"), ("source:box", "ok"), ("source:box", "failed"), ("source:box", "ok"),
            ("source:box", "failed")]
    with Store(config.data_dir) as store:
        for job, result in runs:
            store.record_job(job, old, result)
        with store.transaction():
            store.conn.execute("UPDATE job_runs SET finished_at = started_at")     # all of them old
        store.record_job("inbox", old, "nothing")                                  # finished now: recent
    result, detail = Jobs(config).run("maintenance")
    assert result == "ok" and "4 old routine run(s) pruned" in detail
    backup = config.data_dir / "backup" / "callwatch-backup.db"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    conn = sqlite3.connect(backup)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with Store(config.data_dir) as store:
        kept = [tuple(r) for r in store.conn.execute(
            "SELECT job, result FROM job_runs WHERE job != 'maintenance' ORDER BY id")]
    # failures stay; the box's latest success stays (its failure streak counts from there); the recent look stays
    assert kept == [("inbox", "failed"), ("inbox", "ok"), ("source:box", "failed"), ("source:box", "ok"),
                    ("source:box", "failed"), ("inbox", "nothing")]
