"""The daemon's jobs under time: a job over its time limit is stopped and recorded, and neither
a long job (runs skipped meanwhile) nor a normal SIGTERM fills the journal with warnings or errors."""

import json
import signal
import subprocess
import time

import pytest

from callwatch.sources import freebox
from test_daemon import CONFIG, _wait, start_daemon
from test_sources import _children, _job_rows


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/task"), reason="needs /proc")
def test_a_job_over_its_time_limit_is_stopped_and_a_normal_stop_logs_no_warning(tmp_path):
    import socket
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(16)                          # a box that accepts and never answers: each poll hangs (15 s timeout)
    url = f"http://127.0.0.1:{mute.getsockname()[1]}"
    data = tmp_path / "data"
    freebox.token_path(data).write_text(json.dumps({"base_url": url, "app_id": freebox.APP_ID, "app_token": "t"}))
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(CONFIG + f'job_time_limit_s = 2\n[[sources]]\nkind = "freebox"\nurl = "{url}"\nevery_s = 1\n')
    proc, env = start_daemon(cfg, data, subprocess.PIPE)
    try:
        assert _wait(lambda: any("stopped at the time limit of 2 s" in d
                                 for d in _job_rows(data, "source:freebox", "failed")), timeout=60)
        assert proc.poll() is None                                     # the daemon goes on
        seen = {}

        def a_poll_hangs():             # a child alive for a second: a poll (a note's child lives 0.3 s)
            now = time.time()
            for pid in _children(proc.pid):
                seen.setdefault(pid, now)
            return any(now - since >= 1 for pid, since in seen.items() if pid in _children(proc.pid))
        assert _wait(a_poll_hangs)
        started = time.time()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
        assert proc.returncode == 0 and time.time() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
        mute.close()
    lines = out.decode().splitlines()
    # The time limit is news (a WARNING); the runs skipped while a poll hangs are said once per stretch,
    # at INFO; stopping with a job that has to be killed is a normal stop: INFO only.
    warnings = [ln for ln in lines if ln.startswith("WARNING")]
    assert warnings and set(warnings) == {
        "WARNING callwatch.daemon: source job: still running after its time limit of 2 s ([daemon] job_time_limit_s): "
        "stopping it (its transaction is rolled back)"}            # once per hung poll that reached it
    assert not [ln for ln in lines if ln.startswith("ERROR")]
    assert not [ln for ln in lines if "skipped" in ln]
    assert 1 <= sum("a run came while the previous job still runs" in ln for ln in lines) <= len(warnings) + 1
    assert [ln for ln in lines if "stopped with the daemon" in ln] == [
        "INFO callwatch.daemon: source job: stopped with the daemon (what it had not committed was rolled back)"]
