"""The web page in a real browser: Debian's Chromium, headless, driven by Playwright's Python
package over the DevTools protocol (the system browser: no browser is downloaded). One browser and
one page server (`callwatch web`, a child process) for the module, on the demo household.

The tests run in file order on one store: the overview first, then a review decision, an upload,
a pack. Skipped where Chromium is absent; CI installs it (.ci/run).
``CALLWATCH_SCREENSHOTS=DIR`` also saves every page at a desktop and a phone width.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from callwatch import demo
from callwatch.cli import cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (CI installs it: .ci/run)")
sync_api = pytest.importorskip("playwright.sync_api")

# As root Chromium needs --no-sandbox; the machine's network is closed, so nothing in the background.
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PAGES = ["/", "/finding/1", "/review", "/imports", "/evidence", "/status"]
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
TASK_MS = 120_000

# A phone's next export, in SMS Backup & Restore's layout: two calls the demo does not hold, from a
# number of the operator's declared block (01 62 34 50 xx), one answered silently, one missed.
NEW_EXPORT = """<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<!--File Created By SMS Backup & Restore v10.20.002 on 27/11/2026 21:00:00-->
<?xml-stylesheet type="text/xsl" href="calls.xsl"?>
<calls count="2" backup_set="9d1c7a60-2b8e-4a55-8c0e-5a1f0e3c2b77" backup_date="1795809600000" type="full">
  <call number="0162345077" duration="2" date="1795455300000" type="1" presentation="1" subscription_id="1" post_dial_digits="" readable_date="23 Nov 2026 11:55:00" contact_name="(Unknown)" />
  <call number="0162345077" duration="0" date="1795531560000" type="3" presentation="1" subscription_id="1" post_dial_digits="" readable_date="24 Nov 2026 09:06:00" contact_name="(Unknown)" />
</calls>
"""


def _cli(data: Path, *args) -> str:
    result = CliRunner().invoke(cli, ["--config", str(demo.CONFIG), "--data-dir", str(data), *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("browser") / "data"
    _cli(data, "import", str(demo.EXPORTS))
    _cli(data, "scan")
    proc = subprocess.Popen([sys.executable, "-m", "callwatch", "--config", str(demo.CONFIG), "--data-dir", str(data),
                             "web", "--bind", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    url = None
    for line in proc.stdout:
        found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        if found:
            url = found.group(1)
            break
    assert url, "the page did not start"
    yield url, data
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    yield context.new_page()
    context.close()


def _finish_task(page) -> None:
    """Wait for the task the page started: its box polls, then the page reloads with the outcome."""
    page.wait_for_selector(".task[data-state='done'], .task[data-state='failed']", timeout=TASK_MS)


def _card(page, finding_id: int) -> dict:
    card = page.locator(f"article[data-finding='{finding_id}']")
    assert card.count() == 1, (f"no card for finding {finding_id} on {page.url}: cards "
                               f"{[a.get_attribute('data-finding') for a in page.locator('article.finding').all()]}: "
                               f"{page.inner_text('body')[:600]}")
    figures = {el.get_attribute("data-figure"): int(el.inner_text()) for el in card.locator("[data-figure]").all()}
    figures["rules"] = {el.get_attribute("data-rule"): int(el.inner_text()) for el in card.locator("[data-rule]").all()}
    return figures


def test_overview_shows_the_campaign_with_the_figures_of_scan(site, page):
    url, data = site
    scan = json.loads(_cli(data, "scan", "--json"))
    page.goto(url + "/")
    assert page.locator("article.finding").count() == len(scan["findings"])
    for f in scan["findings"]:
        card = _card(page, f["id"])
        assert card["calls"] == f["stats"]["calls"] and card["silent"] == f["stats"]["silent"]
        assert card["days"] == f["stats"]["days_with_calls"]
        assert card["breaches"] == sum(f["rules"].values()) and card["rules"] == f["rules"]
        assert card.get("leads", 0) == f["stats"]["leads"]["calls"]
    assert "Exemple Télécom" in page.locator("article.finding h2").first.inner_text()
    assert page.locator("svg.chart").count() == 1


def test_confirming_a_withheld_call_in_the_page_changes_the_counts(site, page):
    url, data = site
    page.goto(url + "/")
    before = _card(page, 1)
    page.goto(url + "/review")
    item = page.locator("article.item[data-kind='withheld-call']").first
    call_id = int(item.get_attribute("data-call"))
    item.locator("form.confirm input[name=reason]").fill("the same silent dialler, same minute as its wave")
    item.locator("form.confirm button").click()
    _finish_task(page)
    assert str(call_id) in page.locator(".flash.ok").inner_text()
    assert page.locator(f"article.item[data-call='{call_id}']").count() == 0       # no longer awaits review
    decision = page.locator("ul.decisions li").first.inner_text()
    assert f"#{call_id}" in decision or f"n°{call_id}" in decision
    assert "in force" in decision or "en vigueur" in decision
    page.goto(url + "/")
    after = _card(page, 1)
    assert after["calls"] == before["calls"] + 1 and after["leads"] == before["leads"] - 1
    assert after["breaches"] > before["breaches"]                # a withheld call breaks L221-17 once counted
    scan = json.loads(_cli(data, "scan", "--json"))               # the command line sees the same
    assert scan["findings"][0]["stats"]["calls"] == after["calls"]


def test_an_uploaded_export_is_imported_once(site, page, tmp_path):
    url, data = site
    export = tmp_path / "calls-20261127.xml"
    export.write_text(NEW_EXPORT, encoding="utf-8")
    page.goto(url + "/imports")
    imports_before = page.locator("tr[data-import]").count()
    page.set_input_files("#files", str(export))
    page.locator("form.drop button[type=submit]").click()
    _finish_task(page)
    row = page.locator(".task tr.import-imported")
    assert row.count() == 1 and "calls-20261127.xml" in row.inner_text()
    assert page.locator("tr[data-import]").count() == imports_before + 1
    page.set_input_files("#files", str(export))                     # the same file again
    page.locator("form.drop button[type=submit]").click()
    _finish_task(page)
    assert page.locator(".task tr.import-already").count() == 1
    assert page.locator("tr[data-import]").count() == imports_before + 1
    calls = json.loads(_cli(data, "calls", "--number", "0162345077", "--json"))["calls"]
    assert len(calls) == 2
    assert not any((data / "uploads").iterdir())                   # the archive keeps the bytes, not the upload


def test_a_pack_made_in_the_page_downloads_and_verifies(site, page, tmp_path):
    url, data = site
    page.goto(url + "/evidence")
    page.select_option("select[name=finding_id]", "1")
    page.select_option("select[name=lang]", "en")
    page.locator("form[action='/evidence/make'] button").click()
    _finish_task(page)
    # intact files, no time-stamping authority configured: never called simply "intact"
    assert page.locator(".task .verdict.warn").count() == 1 and "(exit 4)" in page.locator(".task").inner_text()
    with page.expect_download() as download:
        page.locator(".task a.button").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("callwatch-evidence-") and saved.suffix == ".zip"
    out = CliRunner().invoke(cli, ["--config", str(demo.CONFIG), "--data-dir", str(data), "verify", str(saved)])
    assert out.exit_code == 4, out.output                  # files intact, not time-stamped (exit 4)
    assert "files: intact" in out.output and "source export(s) match their archived copies" in out.output
    page.goto(url + "/evidence")
    assert page.locator(f"li[data-pack='{saved.name}'] [data-verified='intact-files']").count() == 1


def test_pages_fit_a_phone_screen(site, browser):
    """No page is wider than a phone held upright (wide tables scroll or stack inside it)."""
    url, _ = site
    shots = os.environ.get("CALLWATCH_SCREENSHOTS")
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(viewport=viewport, is_mobile=label == "phone")
        page = context.new_page()
        for path in PAGES:
            page.goto(url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{path} is {width} px wide on a {viewport['width']} px {label}"
            if shots:
                name = path.strip("/").replace("/", "-") or "overview"
                page.screenshot(path=str(Path(shots) / f"{name}-{label}.png"), full_page=True)
        context.close()
