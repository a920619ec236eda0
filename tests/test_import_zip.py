"""Archives as delivered: a Google Takeout zip imports in one command, each file in it archived
and hashed like a file given alone, the zip's own hash recorded as their container; a hostile zip
is refused before anything of it is inflated or stored."""

import hashlib
import json
import stat
import zipfile

from test_import_android import SBR_ALL_TYPES as _SBR

SBR_ALL_TYPES = _SBR.lstrip()         # as household.write() writes it
from test_import_google_voice import page

TAKEOUT = {
    "Takeout/archive_browser.html": "<html><body><h1>Archive for someone@example.com</h1></body></html>",
    "Takeout/Voice/Calls/+12025550143 - Received - 2026-10-12T09_20_07Z.html":
        page("Received call from", "received", duration="PT1M5S"),
    "Takeout/Voice/Calls/ - Missed - 2026-10-12T10_00_00Z.html":
        page("Missed call from", "missed", number="", when="2026-10-12T06:00:00.000-04:00"),
    "Takeout/Voice/Calls/+12025550143 - Placed - 2026-10-13T01_00_00Z.html":
        page("Placed call to", "placed", duration="PT3S", when="2026-10-12T21:00:00.000-04:00"),
    "Takeout/Voice/Calls/+12025550143 - Voicemail - 2026-10-12T11_00_00Z.mp3": b"ID3\x04\x00" + bytes(300),
    "Takeout/Voice/Phones.vcf": "BEGIN:VCARD\nVERSION:3.0\nTEL;TYPE=VOICE:+12025550199\nEND:VCARD\n",
}


def _zip(path, files, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, content in files.items():
            z.writestr(name, content)
    return path


def test_a_takeout_zip_imports_in_one_command(household):
    path = _zip(household.exports / "takeout-20261120T101010Z-001.zip", TAKEOUT)
    r = household.import_(path)
    assert (r.status, r.format, r.read, r.new, r.rejected) == ("imported", "zip", 3, 3, 0)
    by_name = {m.path.name: m for m in r.members}
    assert sorted(m.status for m in r.members) == ["imported"] * 3 + ["skipped"] * 3
    assert by_name["Phones.vcf"].status == "skipped" and by_name["archive_browser.html"].status == "skipped"
    received, missed, placed = household.calls()
    assert (received["direction"], received["outcome"], received["start_utc"]) == ("in", "answered",
                                                                                  "2026-10-12T09:20:07.250Z")
    assert (missed["outcome"], missed["presentation"]) == ("missed", "withheld")
    assert (placed["direction"], placed["start_utc"]) == ("out", "2026-10-13T01:00:00.000Z")
    # every member is an import of its own, archived under its own hash, with the zip as container
    zip_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    (container,) = household.store.db.query("SELECT * FROM containers")
    assert (container["sha256"], container["members"], container["original_name"]) == (zip_sha, 6, path.name)
    assert (household.root / "data" / container["archive_path"]).read_bytes() == path.read_bytes()
    imports = household.store.imports()
    assert len(imports) == 3 and {i["container_id"] for i in imports} == {container["id"]}
    for row in imports:
        inside = TAKEOUT[row["member"]].encode()
        assert row["sha256"] == hashlib.sha256(inside).hexdigest() and row["original_name"] == row["member"].split("/")[-1]
        assert (household.root / "data" / row["archive_path"]).read_bytes() == inside
    assert not any((household.root / "data" / "unpacking").iterdir())      # nothing left inflated
    again = household.import_(path)
    assert (again.status, again.new, again.duplicate) == ("imported", 0, 3)
    assert {m.status for m in again.members if m.status != "skipped"} == {"already"}


def test_a_zip_holding_no_call_log_says_so(household):
    path = _zip(household.exports / "photos.zip", {"DCIM/a.jpg": b"\xff\xd8\xff\xe0" + bytes(100),
                                                   "notes.txt": "nothing here\n"})
    r = household.import_(path)
    assert r.status == "skipped" and "none of them a call log" in r.message and household.count("imports") == 0


def test_a_zip_of_phone_backups_dedupes_like_the_files(household):
    household.import_(household.write("calls.xml", SBR_ALL_TYPES))
    r = household.import_(_zip(household.exports / "backup.zip",
                               {"calls-1.xml": SBR_ALL_TYPES.replace('type="full"', 'type="full" ')}))
    assert (r.status, r.read, r.new, r.duplicate) == ("imported", 9, 0, 9)


def _link(z, name, target):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    z.writestr(info, target)


def test_hostile_zips_are_refused_and_store_nothing(household):
    cases = {
        "escape.zip": ({"../../outside.xml": SBR_ALL_TYPES, "calls.xml": SBR_ALL_TYPES}, "'..' component"),
        "absolute.zip": ({"/etc/cron.d/x": "* * * * * root true\n"}, "absolute path"),
        "many.zip": ({f"f{i}.txt": "" for i in range(10_000)}, "10,000 files"),
        "bomb.zip": ({"calls.xml": b"\0" * (50 * 2**20)}, "holding a bomb"),
    }
    for name, (files, words) in cases.items():
        r = household.import_(_zip(household.exports / name, files))
        assert r.status == "failed" and words in r.message, (name, r.message)
    assert household.count("imports") == household.count("calls") == household.count("containers") == 0
    assert not (household.root / "outside.xml").exists() and not (household.root.parent / "outside.xml").exists()


def test_nested_archives_and_links_are_refused_members_while_the_rest_imports(household):
    inner = household.exports / "inner.zip"
    _zip(inner, {"calls.xml": SBR_ALL_TYPES})
    outer = household.exports / "outer.zip"
    with zipfile.ZipFile(outer, "w") as z:
        z.writestr("calls.xml", SBR_ALL_TYPES)
        z.write(inner, "more/inner.zip")
        z.writestr("disguised.dat", inner.read_bytes())
        _link(z, "link.xml", "/etc/passwd")
    r = household.import_(outer)
    got = {m.path.name: (m.status, m.message) for m in r.members}
    assert (r.status, r.new) == ("imported", 9)
    assert got["inner.zip"][0] == got["disguised.dat"][0] == "failed"
    assert "archive inside the archive" in got["inner.zip"][1] and "archive inside" in got["disguised.dat"][1]
    assert got["link.xml"] == ("failed", "a symbolic link inside the archive: not followed")


def test_cli_prints_each_file_of_the_zip(tmp_path):
    from click.testing import CliRunner
    from callwatch.cli import cli
    path = _zip(tmp_path / "takeout.zip", TAKEOUT)
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "import", "--json", str(path)],
                                env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.output)
    assert doc["status"] == "imported" and len(doc["members"]) == 6 and doc["new"] == 3
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data2"), "import", str(path)],
                                env={"XDG_CONFIG_HOME": str(tmp_path), "COLUMNS": "300"})
    assert "  Takeout/Voice/Calls/+12025550143 - Received - 2026-10-12T09_20_07Z.html" in result.output
    assert "3 file(s) inside" not in result.output and "3 of its 6 files imported" in result.output


def test_folders_left_by_a_killed_zip_import_are_removed_after_a_day(household):
    import os
    import time
    root = household.root / "data" / "unpacking"
    old, fresh = root / "tmpold", root / "tmpfresh"
    for folder in (old, fresh):
        folder.mkdir(parents=True)
        (folder / "00001-calls.xml").write_text("<calls/>")
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    household.import_(_zip(household.exports / "b.zip", {"calls.xml": SBR_ALL_TYPES}))
    assert not old.exists() and fresh.exists()
