"""Live sources against a local emulator of the box's real API."""

import json
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from callwatch.errors import CallwatchError
from callwatch.sources import freebox
from freebox_emulator import FreeboxEmulator, call
from test_alerts import sink  # noqa: F401  (the local apprise sink)
from test_daemon import _wait, start_daemon


def ts(day, hour=11):
    return int(datetime(2026, 9, day, hour - 2, 0, tzinfo=timezone.utc).timestamp())     # 11:00 in Paris


@pytest.fixture
def box():
    emulator = FreeboxEmulator()
    yield emulator
    emulator.close()


def test_pairing_then_session_login_and_call_log(box, tmp_path):
    path = freebox.pair(box.url, tmp_path / "data", say=lambda text: None, poll_s=0.01)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert box.app_token in path.read_text() and box.authorize_polls == 2
    box.calls = [call(ts(1)), call(ts(2))]
    doc = json.loads(freebox.fetch_call_log(tmp_path / "data"))
    assert doc["success"] and len(doc["result"]) == 2


def test_wrong_token_is_refused_clearly(box, tmp_path):
    freebox.pair(box.url, tmp_path / "data", say=lambda text: None, poll_s=0.01)
    path = freebox.token_path(tmp_path / "data")
    path.write_text(path.read_text().replace(box.app_token, "forged"))
    with pytest.raises(CallwatchError, match="invalid_token"):
        freebox.fetch_call_log(tmp_path / "data")


def test_daemon_polls_the_box_alerts_once_snapshots_and_stops(box, tmp_path, sink):  # noqa: F811
    url, received = sink
    data = tmp_path / "data"
    freebox.pair(box.url, data, say=lambda text: None, poll_s=0.01)
    box.calls = [call(ts(d)) for d in (1, 2, 3, 4, 7)]            # the 5th attempt in 30 days
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(f"""
region = "FR"
timezone = "Europe/Paris"
[operator]
name = "Opérateur X"
prefixes = ["01 62 34 50"]
[daemon]
inbox_every_s = 1
stable_s = 1
alert_urls = ["{url}"]
[[sources]]
kind = "freebox"
url = "{box.url}"
every_s = 1
""")
    proc, env = start_daemon(cfg, data)
    try:
        assert _wait(lambda: any("went over the limit" in r["title"] for r in received))
        assert _wait(lambda: list((data / "snapshots").glob("*.zip")))
        box.calls.append(call(ts(8)))                                 # a 6th: the same event, no new alert
        assert _wait(lambda: sum(1 for _ in (data / "polls").glob("*.json")) >= 3)
        time.sleep(2)
        assert sum("went over the limit" in r["title"] for r in received) == 1
        status = subprocess.run([sys.executable, "-m", "callwatch", "status"], env=env, capture_output=True, text=True)
        assert "source:freebox" in status.stdout and "6 calls" in status.stdout and "latest snapshot:" in status.stdout
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_box_that_is_down_backs_off_without_stopping_the_daemon(tmp_path, box):
    data = tmp_path / "data"
    freebox.pair(box.url, data, say=lambda text: None, poll_s=0.01)
    box.close()                                                       # the box goes away
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(f'[daemon]\ninbox_every_s = 1\nstable_s = 1\n[[sources]]\nkind = "freebox"\nurl = "{box.url}"\n'
                   f'every_s = 1\n')
    proc, env = start_daemon(cfg, data)
    try:
        def failed_twice():
            if not (data / "callwatch.db").exists():
                return False
            conn = sqlite3.connect(data / "callwatch.db")
            try:
                rows = conn.execute("SELECT detail FROM job_runs WHERE job = 'source:freebox' AND result = 'failed'"
                                    ).fetchall()
            except sqlite3.OperationalError:
                return False
            finally:
                conn.close()
            return len(rows) >= 2 and "unreachable" in rows[-1][0] and "next try in" in rows[-1][0]
        assert _wait(failed_twice)
        status = subprocess.run([sys.executable, "-m", "callwatch", "status"], env=env, capture_output=True, text=True)
        assert "source:freebox" in status.stdout and "failed" in status.stdout
        (data / "inbox" / "x.txt").write_text("still working\n")          # the other jobs go on
        assert _wait(lambda: (data / "inbox" / "failed" / "x.txt").exists())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
