"""FRITZ!Box call list CSV from the web interface."""

import pytest

GERMAN = """\
sep=;
Typ;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer
4;12.10.26 18:02;Mère;0611223344;Telefon Küche;Internet: 0123456789;0:12
1;12.10.26 11:20;;0162345012;Telefon Küche;Internet: 0123456789;0:01
2;12.10.26 10:05;;0162345013;;Internet: 0123456789;0:00
3;11.10.26 09:15;;;;Internet: 0123456789;0:00
"""

ENGLISH_8_COLUMNS = """\
sep=;
Type;Date;Name;Number;Country/Region;Extension;Own Number;Duration
1;12.10.26 11:20;;0162345012;France;Kitchen;Internet: 0123456789;1:05
"""


def test_german_iso_8859_1_export(household):
    path = household.write("FRITZ!Box_Anrufliste.csv", GERMAN, encoding="iso-8859-1")
    r = household.import_(path)
    assert (r.format, r.read, r.new, r.rejected) == ("fritzbox-csv", 4, 4, 0)
    calls = {c["source_type"]: c for c in household.calls()}
    out = calls["4 outgoing"]
    assert out["caller_name"] == "Mère"                       # ISO-8859-1 decoded
    assert (out["direction"], out["duration_s"], out["duration_precision_s"]) == ("out", 720, 60)
    answered = calls["1 incoming"]
    # local 11:20 in Paris (summer time) is 09:20 UTC; minute precision on time and duration
    assert answered["start_utc"] == "2026-10-12T09:20:00.000Z"
    assert (answered["time_raw"], answered["tz"], answered["time_precision_s"]) == ("12.10.26 11:20", "Europe/Paris", 60)
    assert (answered["duration_s"], answered["duration_precision_s"]) == (60, 60)
    assert answered["own_line"] == "+33123456789"             # "Internet: " prefix removed
    assert calls["2 missed"]["outcome"] == "missed"
    assert calls["3 rejected"]["outcome"] == "rejected"
    assert calls["3 rejected"]["presentation"] == "withheld"
    assert answered["locator"].startswith("line 4 (bytes ")


def test_english_headers_with_the_fritzos_7_90_region_column(household):
    r = household.import_(household.write("calls.csv", ENGLISH_8_COLUMNS))
    assert (r.format, r.new) == ("fritzbox-csv", 1)
    call = household.calls()[0]
    assert (call["number"], call["duration_s"], call["own_line"]) == ("+33162345012", 3900, "+33123456789")


def test_locator_byte_range_points_at_the_record(household):
    path = household.write("calls.csv", GERMAN, encoding="iso-8859-1")
    household.import_(path)
    call = household.calls("source_type = '2 missed'")[0]
    start, end = (int(x) for x in call["locator"].split("bytes ")[1].rstrip(")").split("-"))
    assert path.read_bytes()[start:end] == "2;12.10.26 10:05;;0162345013;;Internet: 0123456789;0:00\n".encode()


def test_two_lookalike_calls_in_one_minute_both_kept_and_reimport_adds_nothing(household):
    text = GERMAN + "2;11.10.26 09:15;;;;Internet: 0123456789;0:00\n"
    r = household.import_(household.write("a.csv", text))
    assert r.new == 5
    later = household.write("b.csv", text.replace("sep=;\n", "sep=;\n", 1) + "2;13.10.26 09:00;;0162345019;;Internet: 0123456789;0:00\n")
    r2 = household.import_(later)
    assert (r2.new, r2.duplicate) == (1, 5)


@pytest.mark.parametrize("line,reason", [
    ("7;12.10.26 11:20;;0162345012;;Internet: 0123456789;0:01", "unknown call type '7'"),
    ("1;2026-10-12 11:20;;0162345012;;Internet: 0123456789;0:01", "is not dd.mm.yy HH:MM"),
    ("1;31.02.26 11:20;;0162345012;;Internet: 0123456789;0:01", "day is out of range for month"),
    ("1;12.10.26 11:20;;0162345012;;Internet: 0123456789;soon", "is not H:MM"),
    ("1;12.10.26 11:20", "fields, the header has 7"),
])
def test_malformed_rows_are_rejected_with_reason(household, line, reason):
    r = household.import_(household.write("calls.csv", GERMAN + line + "\n"))
    assert (r.new, r.rejected) == (4, 1)
    (reject,) = household.store.rejects(r.import_id)
    assert reason in reject["reason"]
    assert reject["locator"].startswith("line 7")
    assert reject["file"] == "calls.csv"


def test_dst_edges_are_flagged_not_shifted(household):
    text = GERMAN + "2;25.10.26 02:30;;0162345019;;Internet: 0123456789;0:00\n" \
                    "2;29.03.26 02:30;;0162345019;;Internet: 0123456789;0:00\n"
    r = household.import_(household.write("calls.csv", text))
    assert r.new == 6
    flags = {c["time_raw"]: (c["time_flag"], c["start_utc"]) for c in household.calls("time_flag IS NOT NULL")}
    assert flags == {"25.10.26 02:30": ("dst-ambiguous", "2026-10-25T00:30:00.000Z"),
                     "29.03.26 02:30": ("dst-nonexistent", "2026-03-29T01:30:00.000Z")}


# FRITZ!OS before 04.74 numbered the list 1 incoming, 2 missed, 3 outgoing (no type 4, no
# rejected calls): here a type-3 call has talk time, which a refused call never has.
OLD_FIRMWARE = """\
sep=;
Typ;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer
3;12.10.26 18:02;Mère;0611223344;Telefon Küche;0123456789;0:12
3;12.10.26 18:30;;0162345099;Telefon Küche;0123456789;0:00
1;12.10.26 11:20;;0162345012;Telefon Küche;0123456789;0:01
2;12.10.26 10:05;;0162345013;;0123456789;0:00
"""

# Nothing settles it: no type 4, and the type-3 calls have no talk time.
OLD_OR_NEW = """\
sep=;
Type;Date;Name;Number;Extension;Outgoing Caller ID;Duration
3;12.10.26 18:30;;0162345099;Kitchen;0123456789;0:00
3;12.10.26 18:31;;0162345099;Kitchen;0123456789;0:00
1;12.10.26 11:20;;0162345012;Kitchen;0123456789;0:01
"""


def test_old_firmware_type_3_is_outgoing_when_the_file_settles_it(household):
    r = household.import_(household.write("FRITZ!Box_Anrufliste.csv", OLD_FIRMWARE, encoding="iso-8859-1"))
    assert (r.format, r.read, r.new, r.rejected) == ("fritzbox-csv", 4, 4, 0)
    talked, unanswered = household.calls("source_type LIKE '3 %'")
    assert (talked["direction"], talked["outcome"], talked["number"], talked["duration_s"]) == \
        ("out", "answered", "+33611223344", 720)
    assert (unanswered["direction"], unanswered["outcome"]) == ("out", "unknown")
    assert talked["source_type"] == unanswered["source_type"] == "3 outgoing"      # settled: nothing assumed
    assert household.count("calls WHERE direction = 'in' AND outcome = 'rejected'") == 0


def test_old_or_new_numbering_unsettled_is_read_as_old_and_flagged_on_each_call(household):
    r = household.import_(household.write("calls.csv", OLD_OR_NEW))
    assert (r.read, r.new, r.rejected) == (3, 3, 0)
    threes = household.calls("source_type LIKE '3 %'")
    assert len(threes) == 2 and all(c["direction"] == "out" for c in threes)
    assert all("assumed" in c["source_type"] and "no type 4" in c["source_type"] for c in threes)
    # the English "Outgoing Caller ID" column is the own line
    assert {c["own_line"] for c in household.calls()} == {"+33123456789"}
    assert household.calls("source_type = '1 incoming'")[0]["source_type"] == "1 incoming"   # not flagged


def test_modern_numbering_with_type_4_keeps_type_3_rejected(household):
    r = household.import_(household.write("calls.csv", GERMAN))
    assert r.new == 4
    assert household.calls("source_type = '3 rejected'")[0]["direction"] == "in"


def test_a_list_saved_with_its_http_response_headers_is_read_after_them(household):
    http = ("HTTP/1.1 200 OK\r\nCache-Control: no-cache\r\nContent-Type: text/csv; charset=ISO-8859-1\r\n"
            'Content-Disposition: attachment; filename="FRITZ!Box_Anrufliste.csv"\r\n\r\n')
    path = household.write("anrufliste.csv", (http + GERMAN).encode("iso-8859-1"))
    r = household.import_(path)
    assert (r.format, r.read, r.new, r.rejected) == ("fritzbox-csv", 4, 4, 0)
    missed = household.calls("source_type = '2 missed'")[0]
    assert missed["locator"].startswith("line 10 (bytes ")       # counted from the file's first byte
    start, end = (int(x) for x in missed["locator"].split("bytes ")[1].rstrip(")").split("-"))
    assert path.read_bytes()[start:end] == b"2;12.10.26 10:05;;0162345013;;Internet: 0123456789;0:00\n"
