"""The command line as a user meets it."""

import hashlib
import json

from click.testing import CliRunner

from callwatch.cli import cli
from test_import_fritzbox import GERMAN


def run(tmp_path, *args):
    runner = CliRunner()
    env = {"CALLWATCH_DATA_DIR": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "noconfig"),
           "CALLWATCH_CONFIG": "", "COLUMNS": "200"}
    return runner.invoke(cli, list(args), env=env, catch_exceptions=False)


def test_import_summary_rejects_and_imports(tmp_path):
    export = tmp_path / "FRITZ.csv"
    export.write_bytes((GERMAN + "9;12.10.26 11:20;;0162345012;;Internet: 0123456789;0:01\n").encode("iso-8859-1"))
    result = run(tmp_path, "import", str(export))
    assert result.exit_code == 0
    assert "FRITZ.csv" in result.output and "fritzbox-csv" in result.output
    assert "1 record(s) rejected" in result.output
    rejects = run(tmp_path, "rejects")
    assert "FRITZ.csv" in rejects.output and "line 7" in rejects.output and "unknown call type '9'" in rejects.output
    imports = run(tmp_path, "imports")
    assert hashlib.sha256(export.read_bytes()).hexdigest() in imports.output


def test_json_summary_and_second_run_reports_zero_new(tmp_path):
    export = tmp_path / "FRITZ.csv"
    export.write_bytes(GERMAN.encode("iso-8859-1"))
    first = json.loads(run(tmp_path, "import", "--json", str(export)).output)
    second = json.loads(run(tmp_path, "import", "--json", str(export)).output)
    assert (first[0]["new"], second[0]["new"], second[0]["status"]) == (4, 0, "already")


def test_unreadable_file_exits_non_zero_naming_reason_and_formats(tmp_path):
    bad = tmp_path / "notes[1].txt"                # brackets: printed as they are, not read as console markup
    bad.write_text("shopping list\n")
    result = run(tmp_path, "import", str(bad))
    assert result.exit_code == 1
    assert "format not recognised" in result.output and "formats tried: android-xml" in result.output
    assert "notes[1].txt" in result.output


def test_bad_config_is_one_clear_line(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('timezone = "Mars/Olympus"\n')
    result = run(tmp_path, "--config", str(cfg), "imports")
    assert result.exit_code == 2
    assert f"{cfg}: timezone: unknown time zone 'Mars/Olympus'" in " ".join(result.output.split())


def test_unknown_format_name(tmp_path):
    export = tmp_path / "x.csv"
    export.write_text("a,b\n")
    result = run(tmp_path, "import", "--format", "nokia-3310", str(export))
    assert result.exit_code == 2 and "unknown format 'nokia-3310'" in result.output


def test_demo_runs_on_the_bundled_household_and_is_idempotent(tmp_path):
    first = run(tmp_path, "demo")
    assert first.exit_code == 0, first.output
    assert "FAILED" not in first.output and "recorded by two sources and merged" in first.output
    second = run(tmp_path, "demo")
    assert second.output.count("already imported") == 4
    assert (tmp_path / "data" / "demo" / "callwatch.db").exists()
    assert not (tmp_path / "data" / "callwatch.db").exists()      # the user's own store is untouched


def test_demo_in_a_given_folder_ends_with_a_verified_pack(tmp_path):
    result = run(tmp_path, "demo", "--dir", str(tmp_path / "showroom"))
    assert result.exit_code == 0, result.output
    (zip_path,) = (tmp_path / "showroom" / "reports").glob("*.zip")
    assert "Evidence pack:" in result.output and str(zip_path) in result.output
    check = run(tmp_path, "--data-dir", str(tmp_path / "showroom"), "verify", str(zip_path))
    # the demo has no time-stamping authority: files intact, date self-declared (exit 4)
    assert check.exit_code == 4 and "files: intact" in check.output and "4 source export(s) match" in check.output


def test_import_table_and_hints_print_no_literal_markup(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("shopping list\n")
    export = tmp_path / "FRITZ.csv"
    export.write_bytes((GERMAN + "9;12.10.26 11:20;;0162345012;;Internet: 0123456789;0:01\n").encode("iso-8859-1"))
    result = run(tmp_path, "import", str(export), str(bad))
    assert result.exit_code == 1
    assert "FAILED" in result.output and "callwatch rejects --import 1" in result.output
    assert "[red]" not in result.output and "[bold]" not in result.output and "[/]" not in result.output


def test_rejects_show_the_record_as_it_stands_in_the_file(tmp_path):
    # a CDR whose context says nothing of its direction: refused, and shown byte for byte
    line = ('"","0162345015","0999","macro-x","""User 10"" <114>","DAHDI/1-1","","Hangup","",'
            '"2026-10-12 20:05:00","","2026-10-12 20:05:01",1,0,"FAILED","DOCUMENTATION","1.3",""')
    cdr = tmp_path / "Master.csv"
    cdr.write_text(line + "\r\n", encoding="utf-8")
    assert run(tmp_path, "import", str(cdr)).exit_code == 0
    shown = run(tmp_path, "rejects")
    assert "    " + line + "\n" in shown.output                  # not 'User 10 <114>', not re-quoted
    as_json = json.loads(run(tmp_path, "rejects", "--json").output)
    assert as_json[0]["raw"] == line
