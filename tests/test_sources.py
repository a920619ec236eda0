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
from test_daemon import CONFIG, _wait, start_daemon


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
    cfg.write_text(CONFIG + f"""alert_urls = ["{url}"]
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
        assert _wait(lambda: len(_job_rows(data, "source:freebox", "ok")) >= 3)
        assert not list((data / "polls").iterdir())                   # archived by hash, not one copy per poll
        time.sleep(2)
        assert sum("went over the limit" in r["title"] for r in received) == 1
        status = subprocess.run([sys.executable, "-m", "callwatch", "status"], env=env, capture_output=True, text=True)
        assert "source:freebox" in status.stdout and "6 calls" in status.stdout and "latest snapshot:" in status.stdout
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def _job_rows(data, job, result):
    """The details of the recorded runs of `job` that ended with `result` (none while the store is new)."""
    if not (data / "callwatch.db").exists():
        return []
    conn = sqlite3.connect(data / "callwatch.db")
    try:
        return [r[0] for r in conn.execute("SELECT detail FROM job_runs WHERE job = ? AND result = ? ORDER BY id",
                                           [job, result])]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


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
            rows = _job_rows(data, "source:freebox", "failed")
            return len(rows) >= 2 and "unreachable" in rows[-1] and "next try in" in rows[-1]
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


def _children(pid):
    from pathlib import Path
    return [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
            for c in (task / "children").read_text().split()]


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/task"), reason="needs /proc")
def test_a_job_process_that_hangs_or_dies_is_recorded_and_stop_still_takes_under_10_s(tmp_path):
    """A box that accepts the connection and never answers: the poll's process hangs (15 s timeout).
    Killed from outside, its death is recorded and the daemon goes on; hung again at SIGTERM, the
    daemon kills it after its grace period and still exits within systemd's 10 s."""
    import os
    import socket
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(16)                                   # connections are accepted by the kernel, never answered
    url = f"http://127.0.0.1:{mute.getsockname()[1]}"
    data = tmp_path / "data"
    freebox.token_path(data).write_text(json.dumps({"base_url": url, "app_id": freebox.APP_ID, "app_token": "t"}))
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(CONFIG + f'[[sources]]\nkind = "freebox"\nurl = "{url}"\nevery_s = 1\n')
    proc, env = start_daemon(cfg, data)
    try:
        assert _wait(lambda: (data / "daemon.json").exists())          # started: its children are polls now
        assert _wait(lambda: proc.poll() is None and _children(proc.pid))
        for child in _children(proc.pid):
            os.kill(child, signal.SIGKILL)
        assert _wait(lambda: any("ended with signal 9" in d for d in _job_rows(data, "source:freebox", "failed")))
        assert proc.poll() is None                                     # the daemon goes on
        (data / "inbox" / "x.txt").write_text("still working\n")
        assert _wait(lambda: (data / "inbox" / "failed" / "x.txt").exists())
        assert _wait(lambda: _children(proc.pid))                      # polling (and hanging) again
        started = time.time()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0 and time.time() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
        mute.close()


# --- FRITZ!Box (TR-064 through fritzconnection) and Livebox (sah JSON API) ------------------------

from callwatch.sources import fritzbox, livebox  # noqa: E402
from fritzbox_emulator import FritzBoxEmulator, call as fritz_call  # noqa: E402
from livebox_emulator import LiveboxEmulator, call as livebox_call  # noqa: E402


@pytest.fixture
def fritz():
    emulator = FritzBoxEmulator()
    yield emulator
    emulator.close()


@pytest.fixture
def orange():
    emulator = LiveboxEmulator()
    yield emulator
    emulator.close()


def test_fritzbox_call_list_over_tr064_imports_with_minute_precision(fritz, household):
    fritz.calls = [fritz_call(7, "12.10.26 11:20"), fritz_call(8, "13.10.26 14:05", kind=1, duration="0:03")]
    body = fritzbox.fetch_call_list(fritz.url, fritz.user, fritz.password)
    # The protocol as the box runs it: description, SCPDs, a digest-challenged SOAP call, the list by sid.
    assert ("POST", "/upnp/control/x_contact") in fritz.requests
    assert any(path.startswith("/calllist.lua?sid=") for _, path in fritz.requests)
    r = household.import_(household.write("poll.xml", body.decode()))
    assert (r.format, r.read, r.new) == ("fritzbox-xml", 2, 2)
    answered = household.calls("outcome = 'answered'")[0]
    assert (answered["duration_s"], answered["duration_precision_s"], answered["start_utc"]) == \
        (180, 60, "2026-10-13T12:05:00.000Z")


def test_fritzbox_wrong_password_and_box_down_are_clear_and_keep_the_password_out(fritz):
    with pytest.raises(CallwatchError, match="password refused") as refused:
        fritzbox.fetch_call_list(fritz.url, fritz.user, "not-the-password")
    assert "not-the-password" not in str(refused.value) and fritz.refused_logins >= 1
    fritz.close()
    with pytest.raises(CallwatchError, match="unreachable") as down:
        fritzbox.fetch_call_list(fritz.url, fritz.user, fritz.password)
    assert fritz.password not in str(down.value)


def test_livebox_login_call_list_and_logout(orange, household):
    orange.calls = [livebox_call(1, "2026-10-12T09:20:00Z"), livebox_call(2, "2026-10-12T15:00:00Z", kind="succeeded",
                                                                          duration=95)]
    body = livebox.fetch_call_list(orange.url, "admin", orange.password)
    assert orange.requests == [("sah.Device.Information", "createContext"),
                               ("VoiceService.VoiceApplication", "getCallList"),
                               ("sah.Device.Information", "releaseContext")]
    assert orange.released == 1 and not orange.contexts
    r = household.import_(household.write("poll.json", body.decode()))
    assert (r.format, r.read, r.new) == ("livebox-json", 2, 2)


def test_livebox_wrong_password_is_refused_clearly(orange):
    with pytest.raises(CallwatchError, match="Permission denied") as refused:
        livebox.fetch_call_list(orange.url, "admin", "guess")
    assert "guess" not in str(refused.value)


def test_source_login_stores_the_password_private_after_a_test_poll(fritz, tmp_path):
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(f'[[sources]]\nkind = "fritzbox"\nname = "box"\nurl = "{fritz.url}"\nuser = "{fritz.user}"\n')
    env = {"CALLWATCH_CONFIG": str(cfg), "CALLWATCH_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    wrong = subprocess.run([sys.executable, "-m", "callwatch", "source", "login", "box", "--password-stdin"],
                           input="nope\n", env=env, capture_output=True, text=True)
    assert wrong.returncode != 0 and "password refused" in wrong.stderr + wrong.stdout
    assert not (tmp_path / "data" / "secrets" / "box.json").exists()
    ok = subprocess.run([sys.executable, "-m", "callwatch", "source", "login", "box", "--password-stdin"],
                        input=fritz.password + "\n", env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    secret = tmp_path / "data" / "secrets" / "box.json"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and json.loads(secret.read_text())["password"] == fritz.password
    assert fritz.password not in ok.stdout + ok.stderr


def test_daemon_polls_fritzbox_and_livebox_beside_the_freebox(fritz, orange, box, tmp_path):
    data = tmp_path / "data"
    freebox.pair(box.url, data, say=lambda text: None, poll_s=0.01)
    from callwatch.sources import save_secret
    save_secret(data, "fritz", {"user": fritz.user, "password": fritz.password})
    save_secret(data, "orange", {"user": "admin", "password": orange.password})
    box.calls = [call(ts(1))]
    fritz.calls = [fritz_call(1, "02.09.26 11:00")]
    orange.calls = [livebox_call(1, "2026-09-03T09:00:00Z")]
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(f"""
[daemon]
inbox_every_s = 1
stable_s = 1
[[sources]]
kind = "freebox"
url = "{box.url}"
every_s = 1
[[sources]]
kind = "fritzbox"
name = "fritz"
url = "{fritz.url}"
user = "{fritz.user}"
every_s = 1
[[sources]]
kind = "livebox"
name = "orange"
url = "{orange.url}"
every_s = 1
""")
    proc, env = start_daemon(cfg, data)
    try:
        def three_formats():
            if not (data / "callwatch.db").exists():
                return False
            conn = sqlite3.connect(data / "callwatch.db")
            try:
                return {r[0] for r in conn.execute("SELECT DISTINCT format FROM imports")} >= \
                    {"freebox-json", "fritzbox-xml", "livebox-json"}
            except sqlite3.OperationalError:
                return False
            finally:
                conn.close()
        assert _wait(three_formats)
        status = subprocess.run([sys.executable, "-m", "callwatch", "status"], env=env, capture_output=True, text=True)
        for name in ("source:freebox", "source:fritz", "source:orange"):
            assert name in status.stdout
        assert "3 calls" in status.stdout
        archived = [p for p in (data / "archive").rglob("*") if p.is_file()]
        assert len(archived) >= 3 and all(stat.S_IMODE(p.stat().st_mode) == 0o400 for p in archived)  # read-only
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_poll_of_an_empty_box_is_a_success_of_zero_calls(fritz, orange, box, tmp_path):
    # The daemon's poll path itself (Jobs.source, what the job process runs): no failure, no back-off.
    from callwatch import config as config_mod
    from callwatch.jobs import Jobs
    from callwatch.sources import save_secret
    data = tmp_path / "data"
    freebox.pair(box.url, data, say=lambda text: None, poll_s=0.01)
    save_secret(data, "fritz", {"user": fritz.user, "password": fritz.password})
    save_secret(data, "orange", {"user": "admin", "password": orange.password})
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(f"""
[[sources]]
kind = "freebox"
url = "{box.url}"
[[sources]]
kind = "fritzbox"
name = "fritz"
url = "{fritz.url}"
user = "{fritz.user}"
[[sources]]
kind = "livebox"
name = "orange"
url = "{orange.url}"
""")
    jobs = Jobs(config_mod.load(cfg, data))
    for name in ("freebox", "fritz", "orange"):
        outcome = jobs.source(name, failures=2)
        assert (outcome["result"], outcome["failures"], outcome["retry_in"]) == ("ok", 0, 0), (name, outcome)
        assert outcome["detail"] == "0 calls read, 0 new"
