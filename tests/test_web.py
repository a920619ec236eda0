"""The web page without a browser: who is admitted (loopback, password, reverse proxy), CSRF, the
login limit, the password file, what the status page hides, the charts, and the same figures as
`callwatch scan --json`. The browser tests (test_web_browser.py) drive the same page in Chromium."""

from __future__ import annotations

import json
import re
import stat
import time
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("httpx2")     # what starlette.testclient imports (a test extra)
from starlette.testclient import TestClient  # noqa: E402

from callwatch import config as config_mod, demo  # noqa: E402
from callwatch.cli import cli  # noqa: E402
from callwatch.errors import CallwatchError  # noqa: E402
from callwatch.web import auth, svg  # noqa: E402
from callwatch.web.app import CSRF_COOKIE, SESSION_COOKIE, create_app, redact_config  # noqa: E402
from callwatch.web.words import UI  # noqa: E402

PAGES = ["/", "/finding/1", "/review", "/imports", "/evidence", "/status"]
PASSWORD = "a long home password"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """The demo household imported and scanned, once for this module (read-only for the tests)."""
    data = tmp_path_factory.mktemp("web") / "data"
    runner = CliRunner()
    for args in (["import", str(demo.EXPORTS)], ["scan"]):
        result = runner.invoke(cli, ["--config", str(demo.CONFIG), "--data-dir", str(data), *args])
        assert result.exit_code == 0, result.output
    return data


def _config(data_dir: Path, **web):
    cfg = config_mod.load(demo.CONFIG, data_dir)
    return replace(cfg, web=replace(cfg.web, **web))


def _client(cfg, bind="127.0.0.1:8740", host="127.0.0.1:8740"):
    return TestClient(create_app(cfg, bind), base_url=f"http://{host}", follow_redirects=False)


def test_loopback_serves_every_page_without_login(demo_dir):
    client = _client(_config(demo_dir))
    for page in PAGES:
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")
        assert "cdn" not in answer.text.lower() and "https://" not in answer.text
    cookie = client.cookies.jar
    assert any(c.name == CSRF_COOKIE for c in cookie)


def test_loopback_refuses_another_host_name(demo_dir):
    """DNS rebinding: a site whose name resolves to 127.0.0.1 must not read the page."""
    client = _client(_config(demo_dir), host="evil.example:8740")
    answer = client.get("/")
    assert answer.status_code == 400 and "evil.example" in answer.text


def test_network_address_without_password_refuses_to_start(tmp_path):
    cfg = _config(tmp_path / "data")
    with pytest.raises(CallwatchError, match="without a login: set a password first"):
        create_app(cfg, "0.0.0.0:8740")
    result = CliRunner().invoke(cli, ["--config", str(demo.CONFIG), "--data-dir", str(tmp_path / "data"), "web",
                                      "--bind", "192.168.1.20:8740"])
    assert result.exit_code == 2 and "callwatch web set-password" in result.output
    assert "Traceback" not in result.output


def test_password_is_a_private_slow_hash(tmp_path):
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "web", "set-password", "--password-stdin"],
                                input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    path = auth.password_path(tmp_path / "data")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = path.read_text()
    assert PASSWORD not in stored and stored.startswith("scrypt$32768$8$3$")
    assert auth.check_password(PASSWORD, stored) and not auth.check_password(PASSWORD + "x", stored)
    short = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "web", "set-password", "--password-stdin"],
                               input="short\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output


@pytest.fixture
def guarded(demo_dir, tmp_path):
    """The demo store behind a password, the page bound to a network address."""
    import shutil
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    auth.set_password(data, PASSWORD)
    return _client(_config(data), bind="0.0.0.0:8740", host="192.168.1.20:8740")


def _csrf(client) -> str:
    client.get("/login")
    return client.cookies.get(CSRF_COOKIE)


def test_every_page_but_login_needs_a_session(guarded):
    for page in PAGES + ["/tasks/1", "/evidence/download/packs/callwatch-evidence-x.zip"]:
        answer = guarded.get(page)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), page
        assert guarded.get(page, headers={"accept": "application/json"}).status_code == 401, page
    for page in ["/review/exclude", "/imports/upload", "/evidence/make", "/logout"]:
        assert guarded.post(page, data={"reason": "x"}).status_code == 401, page
    assert guarded.get("/login").status_code == 200
    assert guarded.get("/static/style.css").status_code == 200


def test_login_opens_a_strict_http_only_session(guarded):
    token = _csrf(guarded)
    wrong = guarded.post("/login", data={"csrf": token, "password": "not it", "next": "/review"})
    assert wrong.status_code == 303 and "error" in wrong.headers["location"]
    assert guarded.get("/review").status_code == 303
    right = guarded.post("/login", data={"csrf": token, "password": PASSWORD, "next": "/review"})
    assert right.status_code == 303 and right.headers["location"] == "/review"
    cookie = right.headers["set-cookie"]
    assert cookie.startswith(SESSION_COOKIE) and "HttpOnly" in cookie and "SameSite=strict" in cookie
    for page in PAGES:
        assert guarded.get(page).status_code == 200, page
    assert 'action="/logout"' in guarded.get("/").text
    assert guarded.post("/logout", data={"csrf": token}).status_code == 303
    assert 'action="/logout"' not in guarded.get("/login").text
    assert guarded.get("/").status_code == 303


def test_login_without_csrf_token_is_refused(guarded):
    _csrf(guarded)
    answer = guarded.post("/login", data={"password": PASSWORD})
    assert answer.status_code == 403 and "CSRF" in answer.text


def test_login_attempts_are_limited(guarded):
    token = _csrf(guarded)
    for _ in range(auth.LOGIN_MAX_PER_CLIENT):
        assert guarded.post("/login", data={"csrf": token, "password": "guess"}).status_code == 303
    limited = guarded.post("/login", data={"csrf": token, "password": PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert guarded.get("/").status_code == 303            # even the right password waits


def test_post_without_csrf_token_is_refused(demo_dir, tmp_path):
    import shutil
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    client = _client(_config(data))
    client.get("/review")
    before = _decisions(data)
    answer = client.post("/review/exclude", data={"number": "0948172210", "reason": "technician"})
    assert answer.status_code == 403
    forged = client.post("/review/exclude", data={"number": "0948172210", "reason": "technician", "csrf": "forged"})
    assert forged.status_code == 403
    assert _decisions(data) == before
    ok = client.post("/review/exclude", data={"number": "0948172210", "reason": "technician",
                                              "csrf": client.cookies.get(CSRF_COOKIE)})
    assert ok.status_code == 303 and _decisions(data) == before + 1
    _wait_task(client, ok.headers["location"])


def _decisions(data: Path) -> int:
    import sqlite3
    with sqlite3.connect(data / "callwatch.db") as conn:
        return conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]


def _wait_task(client, location: str, timeout_s: float = 120) -> dict:
    task = re.search(r"task=(\w+)", location)
    assert task, location
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(f"/tasks/{task.group(1)}").json()
        if status["state"] != "running":
            return status
        time.sleep(0.2)
    raise AssertionError(f"task {task.group(1)} still running after {timeout_s} s")


def test_trusted_proxy_header(demo_dir):
    cfg = _config(demo_dir, trusted_proxy_header="Remote-User")
    client = _client(cfg, host="calls.home.example")       # the proxy passes its own host name on
    assert client.get("/").status_code == 401
    assert client.get("/", headers={"Remote-User": "alice"}).status_code == 200
    with pytest.raises(CallwatchError, match="must then listen on 127.0.0.1"):
        create_app(cfg, "0.0.0.0:8740")                     # reachable directly, anyone could send the header


def test_overview_shows_the_figures_of_scan_json(demo_dir):
    scan = json.loads(CliRunner().invoke(cli, ["--config", str(demo.CONFIG), "--data-dir", str(demo_dir),
                                               "scan", "--json"]).output)
    page = _client(_config(demo_dir)).get("/").text
    for f in scan["findings"]:
        card = page[page.index(f'data-finding="{f["id"]}"'):]
        card = card[:card.index("</article>")]
        assert re.search(rf'data-figure="calls">{f["stats"]["calls"]}<', card)
        assert re.search(rf'data-figure="breaches">{sum(f["rules"].values())}<', card)
        for rule, n in f["rules"].items():
            assert f'data-rule="{rule}">{n}<' in card
        if f["stats"]["leads"]["calls"]:
            assert re.search(rf'data-figure="leads">{f["stats"]["leads"]["calls"]}<', card)


def test_status_names_the_config_and_hides_secrets(tmp_path):
    text = (demo.CONFIG.read_text() + '\n[daemon]\nalert_urls = ["ntfy://s3cr3t-topic", '
            '"mailto://me:hunter2@mail.example"]\n\n[timestamp]\nurl = "https://user:tsapass@tsa.example/tsr"\n')
    path = tmp_path / "callwatch.toml"
    path.write_text(text)
    cfg = config_mod.load(path, tmp_path / "data")
    page = _client(cfg).get("/status").text
    assert str(path) in page
    for secret in ("s3cr3t-topic", "hunter2", "tsapass"):
        assert secret not in page
    assert "ntfy://(hidden)" in page and "https://(hidden)@tsa.example/tsr" in page
    assert redact_config('url = "http://fritz.box:49000"') == 'url = "http://fritz.box:49000"'


def test_words_exist_in_both_languages():
    assert set(UI["en"]) == set(UI["fr"])
    assert set(UI["en"]["kinds"]) == set(UI["fr"]["kinds"])
    assert not set(UI["en"]) & set(dir(dict))      # Jinja's t.clear would be the dict's method, not the word


def test_charts_are_readable_without_colour():
    from datetime import date, timedelta
    days = [date(2026, 10, 1) + timedelta(days=i) for i in range(3)]
    bars = svg.stacked_bars(days, {"answered": [1, 0, 2], "missed": [0, 3, 1], "voicemail": [0, 0, 0]},
                            {"answered": "answered", "missed": "missed", "voicemail": "voicemail"}, title="t")
    # each band drawn has its own pattern, shown in the legend; an empty band is left out
    assert bars.count('fill="url(#b-answered)"') == 2 + 1 and bars.count('fill="url(#b-missed)"') == 2 + 1
    assert "url(#b-voicemail)" not in bars
    assert "<title>2026-10-02: 3 missed</title>" in bars
    grid = [[0] * 24 for _ in range(7)]
    grid[0][11] = 4
    grid[6][22] = 1
    heat = svg.heat_map(grid, [{"days": ["mon", "tue"], "hours": [["10:00", "13:00"]]}], list("MTWTFSS"), title="h")
    assert re.findall(r'class="count"[^>]*>(\d+)<', heat) == ["4", "1"]      # counts written, not only shaded
    assert heat.count('class="window"') == 2                                     # Monday and Tuesday framed


def test_a_task_that_wrote_its_outcome_no_longer_holds_the_page(tmp_path):
    """The page shows "done" from the task's status file; its process may still be exiting
    (interpreter teardown). It must not be "a task is running" on the next page, nor refuse the
    user's next task (seen in the browser test: the overview reloaded under the reader)."""
    import subprocess
    import sys
    from callwatch.web import tasks
    runner = tasks.Runner(_config(tmp_path / "data"))
    task_id = "20261201000000abcd0001"
    path = runner._path(task_id)
    path.write_text(json.dumps({"id": task_id, "kind": "scan", "state": "running"}))
    exiting = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        runner._procs[task_id] = exiting
        assert runner.running() == task_id                      # still at work: it holds the page
        tasks.Progress(path).end("done", "scan #3 (full): 1 finding(s)")
        assert runner.running() is None                         # its outcome is written: finished
        assert runner.get(task_id)["state"] == "done"
    finally:
        exiting.kill()
        exiting.wait()
    assert runner.running() is None and task_id not in runner._procs    # reaped once it ended
    assert runner._read(task_id)["state"] == "done"                      # and its outcome kept
