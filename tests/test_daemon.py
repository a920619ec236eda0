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
