"""Folders and files other users could change, refused with the reason (as ssh refuses a loose
key); folders callwatch did not create keep their mode."""

import os
import stat

import pytest

from callwatch.store import Store
from test_store_faults import export, run

OTHER_UID = 65534          # nobody


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def give_away(path, monkeypatch):
    """Make path another user's: chown as root; otherwise callwatch is made to believe it runs as
    another uid (what it compares with is os.geteuid())."""
    if os.geteuid() == 0:
        os.chown(path, OTHER_UID, -1)
    else:
        monkeypatch.setattr(os, "geteuid", lambda: OTHER_UID)


def test_an_existing_data_directory_keeps_its_mode_and_new_folders_are_private(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, 0o750)                  # the owner's choice (a group that backs it up, say)
    assert run(tmp_path, "import", str(export(tmp_path))).exit_code == 0
    assert mode(data) == 0o750
    assert mode(data / "archive") == 0o700 and mode(data / "callwatch.db") == 0o600
    assert mode(data / "callwatch.db.identity") == 0o600


@pytest.mark.parametrize("loose", [0o777, 0o1777, 0o703], ids=["0777", "1777", "0703"])
def test_a_data_directory_every_user_may_write_is_refused(tmp_path, loose):
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, loose)
    result = run(tmp_path, "import", str(export(tmp_path)))
    assert result.exit_code == 2
    assert f"{data}: the data directory is writable by every user (mode {loose:04o}): run `chmod o-w {data}`" \
        in result.text
    assert mode(data) == loose and not (data / "callwatch.db").exists()      # refused, not "fixed"


def test_a_data_directory_owned_by_another_user_is_refused(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    give_away(data, monkeypatch)
    result = run(tmp_path, "imports")
    assert result.exit_code == 2 and f"{data}: the data directory belongs to another user (uid" in result.text


@pytest.mark.parametrize("how", ["writable by every user", "another user's"])
def test_the_daemon_refuses_an_inbox_others_can_change(tmp_path, monkeypatch, how):
    data, inbox = tmp_path / "data", tmp_path / "shared-inbox"
    Store(data).close()
    inbox.mkdir()
    if how == "writable by every user":
        os.chmod(inbox, 0o777)
    else:
        os.chmod(inbox, 0o770)             # a household group may share it: allowed, but not another's folder
        give_away(inbox, monkeypatch)
        if os.geteuid() != 0:              # the data directory is this user's: only the inbox looks foreign
            pytest.skip("needs root to give the inbox alone away")
    (tmp_path / "callwatch.toml").write_text(f'[daemon]\ninbox = "{inbox}"\n')
    from callwatch.daemon import Daemon
    monkeypatch.setattr(Daemon, "run", lambda self: pytest.fail("the daemon started on that inbox"))
    result = run(tmp_path, "daemon")
    assert result.exit_code == 2
    words = "is writable by every user (mode 0777)" if how == "writable by every user" else "belongs to another user"
    assert f"{inbox}: the inbox {words}" in result.text


def test_a_group_writable_inbox_is_accepted(tmp_path):
    from callwatch import config as config_mod
    from callwatch.inbox import inbox_dir
    inbox = tmp_path / "shared-inbox"
    inbox.mkdir()
    os.chmod(inbox, 0o2770)                # setgid household folder
    (tmp_path / "callwatch.toml").write_text(f'[daemon]\ninbox = "{inbox}"\n')
    assert inbox_dir(config_mod.load(tmp_path / "callwatch.toml", tmp_path / "data")) == inbox
    assert mode(inbox) == 0o2770


def test_a_configuration_file_others_can_write_is_refused(tmp_path, monkeypatch):
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text('region = "FR"\n')
    os.chmod(cfg, 0o666)
    result = run(tmp_path, "imports")
    assert result.exit_code == 2
    assert f"{cfg}: the configuration file is writable by every user (mode 0666): run `chmod o-w {cfg}`" in result.text
    os.chmod(cfg, 0o644)
    assert run(tmp_path, "imports").exit_code == 0
    give_away(cfg, monkeypatch)
    result = run(tmp_path, "imports")
    assert result.exit_code == 2 and f"{cfg}: the configuration file belongs to another user" in result.text
