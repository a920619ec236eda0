"""Security review, as tests: what callwatch writes is private, the inbox never follows a link out,
names from configs and packs cannot reach outside their folder, secrets stay out of logs."""

import os
import signal
import stat
import subprocess
import sys

from click.testing import CliRunner

from callwatch.cli import cli
from callwatch.inbox import candidates
from test_daemon import CONFIG, _wait, start_daemon
from test_import_fritzbox import GERMAN


def _loose(root):
    """Every file or folder under root that its group or others can read, write or enter."""
    out = []
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if not os.path.islink(path) and stat.S_IMODE(os.lstat(path).st_mode) & 0o077:
                out.append((path, oct(stat.S_IMODE(os.lstat(path).st_mode))))
    return out


def test_everything_the_demo_writes_is_private(tmp_path):
    os.umask(0o022)                                  # a usual login umask: callwatch must not rely on it
    result = CliRunner().invoke(cli, ["demo", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert _loose(tmp_path / "demo") == []


def test_the_inbox_never_follows_a_link_out(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    outside = tmp_path / "elsewhere.csv"
    outside.write_text(GERMAN, encoding="iso-8859-1")
    (inbox / "link.csv").symlink_to(outside)
    (inbox / "dir-link").symlink_to(tmp_path)
    (inbox / "real.csv").write_text(GERMAN, encoding="iso-8859-1")
    assert [p.name for p in candidates(inbox)] == ["real.csv"]


def test_secrets_stay_out_of_the_daemon_log(tmp_path):
    """An apprise URL carries a password; a box password is stored by `source login`: neither is
    ever printed, even when the alert cannot be delivered and the box refuses the login."""
    data = tmp_path / "data"
    from callwatch.sources import save_secret
    save_secret(data, "fritz", {"user": "callwatch", "password": "Box-Pa55word-xyz"})
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(CONFIG + """alert_urls = ["json://alice:Al3rt-s3cret-pw@127.0.0.1:9/hook"]
[[sources]]
kind = "fritzbox"
name = "fritz"
url = "http://127.0.0.1:9"
user = "callwatch"
every_s = 1
""")
    lines = [f"17.10.26 1{h}:0{h};Rufnummer;0162345010;Festnetz;;;0:00\n".replace("Rufnummer", "2") for h in range(5)]
    proc, env = start_daemon(cfg, data, subprocess.PIPE)
    try:
        (data / "inbox").mkdir(parents=True, exist_ok=True)
        (data / "inbox" / "FRITZ.csv").write_bytes((GERMAN + "".join(lines)).encode("iso-8859-1"))
        assert _wait(lambda: (data / "inbox" / "done" / "FRITZ.csv").exists()
                     or (data / "inbox" / "failed" / "FRITZ.csv").exists())
        import sqlite3

        def tried_both():
            conn = sqlite3.connect(data / "callwatch.db")
            try:
                jobs = {r[0] for r in conn.execute("SELECT job FROM job_runs")}
            finally:
                conn.close()
            return {"alert", "source:fritz"} <= jobs
        assert _wait(tried_both)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = out.decode(errors="replace")
    assert "source fritz" in text                        # the log does speak of the failing box...
    assert "Box-Pa55word-xyz" not in text and "Al3rt-s3cret-pw" not in text      # ...never of its secrets
    status = subprocess.run([sys.executable, "-m", "callwatch", "status"], env=env, capture_output=True, text=True)
    assert "Box-Pa55word-xyz" not in status.stdout and "Al3rt-s3cret-pw" not in status.stdout
