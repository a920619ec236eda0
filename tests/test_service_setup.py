"""README's home-server set-up, as a new user follows it: the example configuration copied as is
runs the service (no box enabled, the inbox in the data directory), `status` names the
configuration it read, `callwatch alerts test` reaches each alert URL, the daemon serves the web
page when [web] enabled, and a drop folder shared with a group (README's Samba recipe) keeps
working after the service has taken the first file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from callwatch import config as config_mod
from callwatch.cli import cli
from callwatch.inbox import inbox_dir
from test_alerts import sink  # noqa: F401 (a fixture: a local apprise json:// endpoint)
from test_daemon import _wait, start_daemon
from test_import_fritzbox import GERMAN

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "callwatch.example.toml"
UNIT = ROOT / "systemd" / "callwatch.service"


def test_the_example_config_copied_as_is_runs_the_service(tmp_path):
    cfg = tmp_path / "callwatch.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    # as copied, but for the test's patience: the inbox looked at every second, not every 30 s
    cfg.write_text(text.replace("inbox_every_s = 30", "inbox_every_s = 1").replace("stable_s = 10", "stable_s = 1"),
                   encoding="utf-8")
    assert cfg.read_text(encoding="utf-8") != text
    data = tmp_path / "var-lib-callwatch"                        # the service's --data-dir
    config = config_mod.load(cfg, data)
    assert config.sources == () and not config.web.enabled
    assert inbox_dir(config) == data / "inbox"                  # not a path under some user's home
    proc, env = start_daemon(cfg, data, subprocess.PIPE)
    try:
        assert _wait(lambda: (data / "daemon.json").exists()), proc.stdout.read1().decode() if proc.poll() else ""
        (data / "inbox" / "FRITZ.csv").write_bytes(GERMAN.encode("iso-8859-1"))
        assert _wait(lambda: (data / "inbox" / "done" / "FRITZ.csv").exists(), timeout=60)
        status = subprocess.run([sys.executable, "-m", "callwatch", "--config", str(cfg), "--data-dir", str(data),
                                 "status"], env={**env, "COLUMNS": "300"}, capture_output=True, text=True)
        assert status.returncode == 0, status.stderr
        assert f"config: {cfg}" in status.stdout and "daemon: running" in status.stdout
        assert "source:" not in status.stdout                        # no box polled, none failing
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_status_says_when_no_config_file_was_found(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "none"))
    monkeypatch.delenv("CALLWATCH_CONFIG", raising=False)
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "status"])
    assert result.exit_code == 0 and "config: none (built-in defaults)" in result.output


def test_the_unit_documents_a_file_that_the_install_steps_put_there():
    doc = next(line for line in UNIT.read_text().splitlines() if line.startswith("Documentation="))
    assert doc == "Documentation=file:///opt/callwatch/src/README.md"
    readme = (ROOT / "README.md").read_text()
    assert "git clone <this repository> /opt/callwatch/src" in readme


def test_alerts_test_reaches_each_url_and_names_a_failing_one(tmp_path, sink):  # noqa: F811
    url, received = sink
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(f'[daemon]\nalert_urls = ["{url}", "json://127.0.0.1:9/nobody-listens?token=s3cr3t"]\n')
    result = CliRunner().invoke(cli, ["--config", str(cfg), "--data-dir", str(tmp_path / "data"), "alerts", "test"])
    assert result.exit_code == 1
    assert "delivered: json://127.0.0.1/..." in result.output and "FAILED: json://127.0.0.1/..." in result.output
    assert "s3cr3t" not in result.output
    assert len(received) == 1 and received[0]["title"] == "callwatch: test alert"
    cfg.write_text("")
    none = CliRunner().invoke(cli, ["--config", str(cfg), "--data-dir", str(tmp_path / "data"), "alerts", "test"])
    assert none.exit_code == 2 and "no alert URL configured" in none.output


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_daemon_serves_the_web_page_when_enabled_and_stops_it(tmp_path):
    port = _free_port()
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(f'[daemon]\ninbox_every_s = 1\n[web]\nenabled = true\nbind = "127.0.0.1:{port}"\n')
    data = tmp_path / "data"
    proc, _ = start_daemon(cfg, data)
    try:
        def answers():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5) as page:
                    return b"callwatch" in page.read()
            except OSError:
                return False
        assert _wait(answers, timeout=60)
        state = json.loads((data / "daemon.json").read_text())
        page_pid = state["web_pid"]
        assert page_pid and f"127.0.0.1:{port}" in state["web"]
        # The page's process dies (the OOM killer, say): daemon.json says so at once, not at some
        # job's next run, and the page is started again within the web job's 30 s.
        os.kill(page_pid, signal.SIGKILL)
        assert _wait(lambda: json.loads((data / "daemon.json").read_text()).get("web") == "not running", timeout=10)
        assert _wait(answers, timeout=60)
        again = json.loads((data / "daemon.json").read_text())
        assert again["web_pid"] not in (None, page_pid)
        page_pid = again["web_pid"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert not Path(f"/proc/{page_pid}").exists() or "zombie" in Path(f"/proc/{page_pid}/status").read_text()


def test_the_daemon_does_not_open_the_page_to_the_network_without_a_password(tmp_path):
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(f'[web]\nenabled = true\nbind = "0.0.0.0:{_free_port()}"\n')
    data = tmp_path / "data"
    proc, _ = start_daemon(cfg, data, subprocess.PIPE)
    try:
        # Said as soon as the page refuses (a few seconds), not at the next run of a 30 s job.
        assert _wait(lambda: (data / "daemon.json").exists()
                     and json.loads((data / "daemon.json").read_text()).get("web") == "not running", timeout=20)
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=30)[0].decode()
    assert "set a password first" in out and proc.returncode == 0


# -- README's drop folder: a group-shared folder (Samba's `force group`, `create mask = 0660`) --------

DROP_GID, SHARER_UID, SERVICE_UID = 64801, 64802, 64803


def _as(uid: int, *cmd, umask: str, groups=(DROP_GID,), env=None, **kw):
    """Run cmd as another user (a numeric uid, as systemd's DynamicUser gives), with `groups`."""
    return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", f"--groups={','.join(map(str, groups))}",
                           "--", "sh", "-c", f"umask {umask}; exec \"$@\"", "sh", *cmd], env=env, **kw)


def _drop(source: Path, target: Path):
    """The sharer writes a new file, as Samba does for a client (mode 0666 less its umask 007)."""
    return _as(SHARER_UID, "sh", "-c", f"cat '{source}' > '{target}'", umask="007", capture_output=True)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv (util-linux)")
def test_a_group_shared_drop_folder_keeps_working(tmp_path):
    """The sharer (Samba's user) and the service's user are other users than the one running the
    test; what each does in the folder runs as them (setpriv), with the recipe's umask and groups."""
    base = Path(tempfile.mkdtemp(prefix="callwatch-drop-"))
    try:
        base.chmod(0o755)
        # README: install -d -o root -g callwatch-drop -m 2770 /srv/callwatch-drop
        drop = base / "drop"
        drop.mkdir()
        os.chown(drop, 0, DROP_GID)
        drop.chmod(0o2770)
        export = base / "FRITZ.csv"
        export.write_bytes(GERMAN.encode("iso-8859-1"))
        export.chmod(0o644)
        # The sharer drops a file: Samba's `create mask = 0660`, the group from the setgid folder.
        assert _drop(export, drop / "first.csv").returncode == 0
        first = (drop / "first.csv").stat()
        assert first.st_gid == DROP_GID and stat.S_IMODE(first.st_mode) == 0o660
        # The service's user (SupplementaryGroups=callwatch-drop, UMask=0077) reads it, and may make
        # done/ and move files into it, as the daemon does.
        service = _as(SERVICE_UID, "sh", "-c", f"cat '{drop}/first.csv' >/dev/null && mkdir '{drop}/probe' && "
                      f"mv '{drop}/first.csv' '{drop}/probe/' && mv '{drop}/probe/first.csv' '{drop}/' && "
                      f"rmdir '{drop}/probe'", umask="077", capture_output=True, text=True)
        assert service.returncode == 0, service.stderr
        assert _as(SERVICE_UID, "cat", str(drop / "first.csv"), umask="077", groups=(SERVICE_UID,),
                   capture_output=True).returncode != 0          # without the group, no access: the group is needed
        # The daemon takes the file; the folder stays the group's, so the next drop works and is taken too.
        cfg = base / "callwatch.toml"
        cfg.write_text(f'[daemon]\ninbox = "{drop}"\ninbox_every_s = 1\nstable_s = 1\n')
        data = base / "data"
        proc, env = start_daemon(cfg, data)
        try:
            assert _wait(lambda: (drop / "done" / "first.csv").exists(), timeout=60)
            assert stat.S_IMODE(drop.stat().st_mode) == 0o2770 and drop.stat().st_gid == DROP_GID
            assert _drop(export, drop / "second.csv").returncode == 0
            assert _wait(lambda: (drop / "done" / "second.csv").exists(), timeout=60)
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        assert stat.S_IMODE((drop / "done").stat().st_mode) == 0o700           # what was taken stays private
        imports = json.loads(CliRunner().invoke(cli, ["--config", str(cfg), "--data-dir", str(data), "imports",
                                                      "--json"]).output)
        assert [i["original_name"] for i in imports] == ["first.csv"]             # the second is the same file
    finally:
        shutil.rmtree(base, ignore_errors=True)
