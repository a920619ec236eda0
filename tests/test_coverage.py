"""`status` per phone: the newest call of each phone's exports, and the days no export covers
(Android keeps only its newest 500 calls: two successive exports that do not overlap may have
lost the calls in between)."""

import json

from click.testing import CliRunner

from callwatch.cli import cli
from callwatch.coverage import DAY_MS, phone_coverage

DAY0 = 1788220800000            # 2026-09-01T00:00:00Z


def _smsie(days, sim="1", own="+33612345678"):
    """An sms-ie export holding one incoming call at noon on each of these days (newest first)."""
    rows = [{"_id": str(100 + d), "number": f"06123450{d:02d}", "presentation": "1",
             "date": str(DAY0 + d * DAY_MS + DAY_MS // 2), "duration": "30", "type": "1",
             "subscription_id": sim, "phone_account_address": own, "countryiso": "FR"} for d in sorted(days, reverse=True)]
    return json.dumps(rows, indent=2)


def _sbr(days):
    calls = "".join(f'<call number="07000000{d:02d}" duration="0" date="{DAY0 + d * DAY_MS}" type="3" presentation="1" />'
                    for d in days)
    return f'<?xml version="1.0" encoding="UTF-8"?><calls count="{len(days)}">{calls}</calls>'


def _household_with_two_phones(household):
    household.import_(household.write("calls-2026-09-11.json", _smsie(range(1, 11))))
    household.import_(household.write("calls-2026-09-21.json", _smsie(range(5, 21))))
    household.import_(household.write("calls-2026-09-21-again.json", _smsie(range(5, 21)) + "\n"))   # all duplicates
    household.import_(household.write("calls-2026-10-01.json", _smsie(range(25, 31))))
    household.import_(household.write("calls-20260905.xml", _sbr([2, 3, 4])))   # another phone: no SIM named


def test_gaps_between_successive_exports_and_stale_phones(household):
    _household_with_two_phones(household)
    now = DAY0 + 31 * DAY_MS
    phones = {p.label: p for p in phone_coverage(household.store, now_ms=now, stale_after_days=7)}
    assert sorted(phones) == ["phone (no SIM account named)", "phone 1"]
    sms_ie = phones["phone 1"]
    assert len(sms_ie.exports) == 4 and sms_ie.newest_ms == DAY0 + 30 * DAY_MS + DAY_MS // 2
    (gap,) = sms_ie.gaps              # day 20 noon to day 25 noon; the duplicate-only export covers like its twin
    assert (gap.from_ms, gap.to_ms, gap.days) == (DAY0 + 20 * DAY_MS + DAY_MS // 2, DAY0 + 25 * DAY_MS + DAY_MS // 2, 5.0)
    assert gap.before.name == "calls-2026-10-01.json" and gap.after.name.startswith("calls-2026-09-21")
    assert sms_ie.stale_days is None
    other = phones["phone (no SIM account named)"]
    assert other.gaps == [] and other.stale_days == 27.0           # newest call day 4 00:00, now day 31
    assert "500 calls" in other.warnings()[0] and "5.0 days uncovered" in sms_ie.warnings()[0]


def test_a_second_sim_of_the_same_phone_joins_it(household):
    household.import_(household.write("a.json", _smsie(range(1, 5))))
    household.import_(household.write("b.json", json.dumps(json.loads(_smsie([3], sim="2"))
                                                             + json.loads(_smsie([4], sim="1")))))
    household.import_(household.write("c.json", _smsie([4, 6], sim="2")))
    (phone,) = phone_coverage(household.store, now_ms=DAY0 + 7 * DAY_MS)
    assert phone.accounts == {"1", "2"} and len(phone.exports) == 3 and phone.gaps == []


def test_status_prints_each_phone_and_its_warnings(tmp_path):
    data, phone = tmp_path / "data", tmp_path / "phone"
    phone.mkdir()
    for name, text in (("calls-2026-09-11.json", _smsie(range(1, 11))), ("calls-2026-10-01.json", _smsie(range(25, 31)))):
        (phone / name).write_text(text)
    runner = CliRunner()
    env = {"XDG_CONFIG_HOME": str(tmp_path), "COLUMNS": "400"}
    assert runner.invoke(cli, ["--data-dir", str(data), "import", str(phone)], env=env).exit_code == 0
    out = runner.invoke(cli, ["--data-dir", str(data), "status", "--stale-days", "100000"], env=env).output
    assert "phone 1: 2 export(s), newest call 2026-10-01 12:00 UTC" in out
    assert "WARNING: 15.0 days uncovered, 2026-09-11 12:00 UTC to 2026-09-26 12:00 UTC" in out
    assert "newest call" in runner.invoke(cli, ["--data-dir", str(data), "status"], env=env).output.split("WARNING")[1]
