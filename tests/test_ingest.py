"""Exactly once, all or nothing, chain of custody, and bad input."""

import hashlib
import os
import stat
import zipfile

import pytest

from callwatch.importers import android_xml
from test_import_android import SBR_ALL_TYPES
from test_import_asterisk import CDR_CSV
from test_import_fritzbox import GERMAN


def test_reimporting_a_file_adds_nothing(household):
    path = household.write("calls.xml", SBR_ALL_TYPES)
    first = household.import_(path)
    again = household.import_(path)
    assert first.new == 9
    assert (again.status, again.new, again.import_id) == ("already", 0, first.import_id)
    assert household.count() == 9 and household.count("imports") == 1


def test_same_calls_under_another_file_name_are_duplicates(household):
    household.import_(household.write("a.xml", SBR_ALL_TYPES))
    r = household.import_(household.write("b.xml", SBR_ALL_TYPES.replace('type="full"', 'type="full" ')))
    assert (r.status, r.new, r.duplicate) == ("imported", 0, 9)


def test_fritzbox_and_the_pbx_behind_it_record_one_call(household):
    fritz = GERMAN.replace("0:01", "0:01")   # the box's 11:20 answered call is the PBX's 11:20:07 one
    household.import_(household.write("Master.csv", CDR_CSV))
    r = household.import_(household.write("fritz.csv", fritz, encoding="iso-8859-1"))
    # 11:20 answered 0162345012 matches the PBX record; the others are the box's own
    assert r.merged == 1 and r.new == 3
    (call,) = household.calls("number = '+33162345012'")
    assert (call["time_precision_s"], call["duration_s"], call["duration_precision_s"]) == (1, 2, 1)
    (source,) = household.store.db.query("SELECT * FROM call_sources WHERE call_id = ?", [call["id"]])
    assert (source["family"], source["time_precision_s"], source["duration_s"]) == ("fritzbox", 60, 60)
    assert source["locator"].startswith("line 4")


def test_merge_keeps_the_finer_record_whichever_comes_first(make_household):
    h = make_household(name="reverse")
    h.import_(h.write("fritz.csv", GERMAN, encoding="iso-8859-1"))
    r = h.import_(h.write("Master.csv", CDR_CSV))
    assert r.merged == 1
    (call,) = h.calls("number = '+33162345012'")
    assert call["family"] == "asterisk" and call["time_raw"] == "2026-10-12 11:20:07"
    assert h.count("call_sources") == 1
    # and re-importing the box's list later adds nothing: its record is known as a source
    again = h.import_(h.write("fritz-again.csv", GERMAN + "\n", encoding="iso-8859-1"))
    assert (again.new, again.merged, again.duplicate) == (0, 0, 4)


def test_withheld_calls_from_two_sources_are_matched(household):
    household.import_(household.write("Master.csv", CDR_CSV))
    fritz = "sep=;\nTyp;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer\n" \
            "2;12.10.26 14:02;;;;Internet: 0123456789;0:00\n"
    r = household.import_(household.write("fritz.csv", fritz))
    assert (r.merged, r.new) == (1, 0)


def test_a_failure_mid_file_leaves_nothing_of_it(household, monkeypatch):
    household.import_(household.write("first.xml", SBR_ALL_TYPES.replace("0162345012", "0162345099")))
    before = (household.count(), household.count("imports"), household.count("rejects"))

    real = android_xml._Handler.startElement

    def explode_on_fifth(self, name, attrs):
        if self.count == 4:
            raise RuntimeError("simulated crash")
        real(self, name, attrs)
    monkeypatch.setattr(android_xml._Handler, "startElement", explode_on_fifth)
    r = household.import_(household.write("second.xml", SBR_ALL_TYPES))
    assert r.status == "failed" and "nothing of it was stored" in r.message
    assert (household.count(), household.count("imports"), household.count("rejects")) == before
    monkeypatch.undo()
    assert household.import_(household.exports / "second.xml").status == "imported"


def test_truncated_xml_is_refused_whole(household):
    text = SBR_ALL_TYPES.strip()
    r = household.import_(household.write("cut.xml", text[: len(text) // 2]))
    assert r.status == "failed" and "not well-formed XML" in r.message
    assert household.count() == 0 and household.count("imports") == 0


def test_entity_expansion_is_refused(household):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE calls [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<calls count="1">'
            '<call number="&b;" duration="1" date="1791712800000" type="1" presentation="1" /></calls>')
    r = household.import_(household.write("bomb.xml", bomb))
    assert r.status == "failed" and "entities" in r.message
    assert household.count() == 0


@pytest.mark.parametrize("content,words", [
    (b"", "empty file"),
    (bytes(range(256)) * 64, "not recognised"),
    (b"hello;world\n1;2\n", "not recognised"),
])
def test_unreadable_files_fail_with_reason_and_formats_tried(household, content, words):
    r = household.import_(household.write("odd.bin", content))
    assert r.status == "failed" and words in r.message
    if words == "not recognised":
        assert "fritzbox-csv" in r.tried and "android-xml" in r.tried


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_text_encodings(household, encoding):
    r = household.import_(household.write("fritz.csv", GERMAN, encoding=encoding))
    assert (r.format, r.new, r.rejected) == ("fritzbox-csv", 4, 0)
    assert household.calls("source_type = '4 outgoing'")[0]["caller_name"] == "Mère"


def test_original_is_archived_read_only_and_hashed(household):
    path = household.write("calls.xml", SBR_ALL_TYPES)
    r = household.import_(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (row,) = household.store.imports()
    assert row["sha256"] == r.sha256 == digest and row["size"] == path.stat().st_size
    archived = household.config.data_dir / row["archive_path"]
    assert archived.read_bytes() == path.read_bytes()
    assert stat.S_IMODE(archived.stat().st_mode) == 0o400
    for folder in (household.config.data_dir, archived.parent, archived.parent.parent,
                   household.config.data_dir / "archive"):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
    assert stat.S_IMODE(os.stat(household.store.path).st_mode) == 0o600
    assert (row["read"], row["new"], row["duplicate"], row["rejected"]) == (9, 9, 0, 0)


def test_folders_are_walked_recursively(household):
    from callwatch.ingest import expand
    household.write("a/b/calls.xml", SBR_ALL_TYPES)
    household.write("a/fritz.csv", GERMAN)
    household.write("a/.hidden", "x")
    names = [p.name for p in expand([household.exports / "a"])]
    assert names == ["fritz.csv", "calls.xml"]


def test_truncated_csv_keeps_good_records_and_says_where_it_ends(household):
    text = GERMAN.rstrip("\n")
    cut = text[: text.rindex(";") - 5]          # the export stops in the middle of its last record
    r = household.import_(household.write("cut.csv", cut))
    assert (r.new, r.rejected) == (3, 1)
    (reject,) = household.store.rejects(r.import_id)
    assert "truncated export" in reject["reason"] and reject["locator"].startswith("line 6")
