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
