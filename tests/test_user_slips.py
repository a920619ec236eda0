"""A user's slips and hostile names, each met with one clear sentence: --from after --to, a
number that is not one, an own line that is not one, integers beyond SQLite, URL passwords kept
out of every message, and file names that would forge or hide terminal output printed escaped."""

import logging
import os

import pytest

from callwatch import config as config_mod
from callwatch.errors import ConfigError
from callwatch.jobs import Jobs
from callwatch.shown import LogFilter, redact
from callwatch.store import Store
from test_inbox_races import CONFIG, cdr_lines
from test_store_faults import export, run

HUGE = "99999999999999999999"      # 20 digits: beyond SQLite's 64-bit INTEGER


SCANNED_CONFIG = CONFIG + """
[operator]
name = "Vendeur SA"
prefixes = ["01 62 34 5"]
"""


@pytest.fixture
def scanned(tmp_path):
    """A store holding calls from a declared operator's numbers (a finding to report), scanned."""
    (tmp_path / "callwatch.toml").write_text(SCANNED_CONFIG)
    assert run(tmp_path, "import", str(export(tmp_path, count=12))).exit_code == 0
    assert run(tmp_path, "scan").exit_code == 0
    return tmp_path


def test_from_after_to_says_so(scanned):
    result = run(scanned, "report", "--from", "2026-12-01", "--to", "2026-11-01", "--out", str(scanned / "out"))
    assert result.exit_code == 2
    assert "error: --from 2026-12-01 is after --to 2026-11-01: the period would hold no day" in result.text
    assert not (scanned / "out").exists()


@pytest.mark.parametrize("command", ["calls", "report"])
def test_a_number_that_is_not_one_says_so(scanned, command):
    result = run(scanned, command, "--number", "hello", *(["--out", str(scanned / "out")] if command == "report" else []))
    assert result.exit_code == 2
    assert "error: --number 'hello' is not a telephone number" in result.text and "scan" not in result.text
    withheld = run(scanned, command, "--number", "anonymous", *(["--out", str(scanned / "o")] if command == "report" else []))
    assert withheld.exit_code == 2 and "stands for a withheld number, not a number" in withheld.text


@pytest.mark.parametrize("number", ["hello", "home", "+", "0", "01 23 45 67 89 ext. 2"])
def test_an_own_line_that_is_not_a_number_is_refused(tmp_path, number):
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(f'[[lines]]\nnumber = "{number}"\nlabel = "home"\n')
    with pytest.raises(ConfigError) as info:
        config_mod.load(cfg)
    assert info.value.key == "lines[0].number" and f"{number!r} is not a telephone number" in str(info.value)


@pytest.mark.parametrize("number", ["01 23 45 67 89", "+33 1 23 45 67 89", "(01) 23.45.67.89"])
def test_own_lines_as_people_write_them_are_accepted(tmp_path, number):
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(f'[[lines]]\nnumber = "{number}"\n')
    assert config_mod.load(cfg).lines[0].number == number


@pytest.mark.parametrize("args", [["calls", "--campaign", HUGE], ["calls", "--finding", "0"],
                                  ["rejects", "--import", HUGE], ["report", "--campaign", HUGE],
                                  ["confirm", "--call", HUGE], ["exclude", "--call", HUGE], ["undo", HUGE]])
def test_ids_beyond_sqlite_are_a_message(scanned, args):
    result = run(scanned, *args)                 # catch_exceptions=False: an OverflowError would fail here
    assert result.exit_code == 2 and f"is not in the range 1<=x<=9223372036854775807" in result.text


@pytest.mark.parametrize("text,key", [
    (f"[daemon]\ninbox_every_s = 9223372036854775807", "daemon.inbox_every_s"),
    (f"[daemon]\njob_time_limit_s = {10**12}", "daemon.job_time_limit_s"),
    ('[[sources]]\nkind = "freebox"\nevery_s = 9223372036854775807', "sources[0].every_s"),
    ("[detect]\nsilent_max_s = 9223372036854775807", "detect.silent_max_s"),
])
def test_configured_integers_beyond_reason_are_refused(tmp_path, text, key):
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(text + "\n")
    with pytest.raises(ConfigError) as info:
        config_mod.load(cfg)
    assert info.value.key == key and ("a year" in str(info.value) or "at most" in str(info.value))


def test_a_record_with_integers_beyond_sqlite_is_a_reject_not_a_failed_file(household):
    """An SMS Backup & Restore calls file (its documented <call> attributes) whose second record has
    a 23-digit date (the importer already refused it) and whose third a 20-digit duration (which
    failed the whole file with OverflowError): those two are rejects, the others calls."""
    xml = ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
           '<calls count="4" backup_set="5d2a" backup_date="1795550400000" type="full">\n'
           '  <call number="0162345012" duration="2" date="1791712800000" type="1" presentation="1" />\n'
           f'  <call number="0162345013" duration="2" date="{HUGE}000" type="1" presentation="1" />\n'
           f'  <call number="0162345014" duration="{HUGE}" date="1791716400000" type="1" presentation="1" />\n'
           '  <call number="0162345015" duration="0" date="1791720000000" type="3" presentation="1" />\n'
           "</calls>\n")
    r = household.import_(household.write("calls-huge.xml", xml))
    assert (r.status, r.read, r.new, r.rejected) == ("imported", 4, 2, 2)
    reasons = sorted(x["reason"] for x in household.store.rejects())
    assert reasons == [f"date {HUGE}000 is not epoch milliseconds", "duration is out of range"]


def test_url_passwords_never_reach_errors_status_or_logs(tmp_path, scanned, caplog):
    secret = "Ts4-s3cret-pw"
    cfg = scanned / "callwatch.toml"
    cfg.write_text(SCANNED_CONFIG + f'[timestamp]\nurl = "http://alice:{secret}@127.0.0.1:9/tsa"\ntimeout_s = 2\n')
    result = run(scanned, "report", "--out", str(scanned / "out"))
    assert result.exit_code == 2 and "127.0.0.1:9/tsa" in result.text   # the authority did not answer...
    assert secret not in result.output                                   # ...and its password is not shown
    cfg.write_text(f'[[sources]]\nkind = "livebox"\nurl = "ftp://admin:{secret}@192.168.1.1"\n')
    result = run(scanned, "status")
    assert result.exit_code == 2 and "ftp://***@192.168.1.1" in result.text and secret not in result.output
    # what a job records for `status`, and what the daemon's handlers log
    cfg.write_text(CONFIG)
    config = config_mod.load(cfg, scanned / "data")
    Jobs(config).record("snapshot", "2026-11-30T00:00:00Z", "failed",
                        f"time-stamping authority https://alice:{secret}@tsa.example/ did not answer")
    with Store(config.data_dir) as store:
        (detail,) = [r[0] for r in store.conn.execute("SELECT detail FROM job_runs WHERE job = 'snapshot'")]
    assert detail == "time-stamping authority https://***@tsa.example/ did not answer"
    status = run(scanned, "status")
    assert "https://***@tsa.example/" in status.text and secret not in status.output
    record = logging.LogRecord("callwatch.jobs", logging.WARNING, __file__, 1, "poll of %s failed: %s", None, None)
    record.args = (f"mailto://bob:{secret}@example.org", "line one\nline two")
    LogFilter().filter(record)
    assert record.getMessage() == "poll of mailto://***@example.org failed: line one\\nline two"
    assert redact(f"a json://u:{secret}@h/x and https://example.org/a@b") == "a json://***@h/x and https://example.org/a@b"


def test_file_names_that_would_forge_output_are_printed_escaped(tmp_path):
    name = "calls\n\x1b[2J\x1b[31mOK\u202etxt.csv"          # a newline, screen-clearing and colour escapes, RLO
    path = tmp_path / "exports" / name
    path.parent.mkdir()
    path.write_text(cdr_lines(0, 2) + "not,a,record\n")
    shown = "calls\\n\\x1b[2J\\x1b[31mOK\\u202etxt.csv"
    for args in (["import", str(path)], ["imports"], ["rejects"], ["calls", "--number", "0162345000"]):
        result = run(tmp_path, *args)
        assert result.exit_code == 0, result.output
        assert shown in result.output, args
        assert "\x1b" not in result.output and "\u202e" not in result.output
    bad = tmp_path / "exports" / "notes\x1b]0;pwned\x07.txt"
    bad.write_text("shopping list\n")
    result = run(tmp_path, "import", str(bad))
    assert result.exit_code == 1 and "notes\\x1b]0;pwned\\x07.txt" in result.output and "\x1b" not in result.output


def test_a_pack_re_zipped_by_the_user_is_reported_as_re_zipped_not_as_tampered(scanned):
    import zipfile
    result = run(scanned, "report", "--out", str(scanned / "out"))
    assert result.exit_code == 0, result.output
    (original,) = (scanned / "out").glob("*.zip")
    folder = original.with_suffix("")

    def rezip(target, change=None):
        """As `zip -r` does: the folders listed too, members deflated, today's dates."""
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted([folder, *folder.rglob("*")]):
                arcname = path.relative_to(folder.parent).as_posix() + ("/" if path.is_dir() else "")
                if path.is_dir():
                    z.writestr(arcname, b"")
                else:
                    z.writestr(arcname, change(path) if change else path.read_bytes())
    rezip(scanned / "rezipped.zip")
    result = run(scanned, "verify", str(scanned / "rezipped.zip"))
    assert result.exit_code == 1
    assert "re-zipped: the files inside are intact" in result.text
    assert not any(word in result.output for word in ("changed:", "missing:", "extra:", "not a file of the pack"))
    rezip(scanned / "doctored.zip", lambda p: p.read_bytes() + (b"\r\n" if p.name == "calls.csv" else b""))
    result = run(scanned, "verify", str(scanned / "doctored.zip"))
    assert result.exit_code == 1 and "changed: calls.csv" in result.text and "re-zipped" not in result.text
    assert run(scanned, "verify", str(original)).exit_code == 4          # intact; no time-stamp (exit 4)
