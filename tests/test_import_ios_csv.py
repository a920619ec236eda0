"""iPhone call history CSVs from iExplorer and iMazing; the dd/mm or mm/dd question."""

IEXPLORER = '''\
"Contact","Number","Date","Duration","Call Type","Unformatted Number","Number Geo Description"
"Exemple","+33162345012","2026-10-12 11:20:07","0:02","Incoming","0162345012","France"
"","+33162345013","2026-10-12 12:00:00","0:00","Missed","0162345013","France"
"Maman","+33611223344","2026-10-12 18:00:00","10:00","Outgoing","0611223344","France"
'''

AMBIGUOUS = "Incoming,02/06/26 09:45,00:00:02,+33162345012,\nOutgoing,03/06/26 10:42,00:02:10,+33611223344,Maman\n"
SETTLED = AMBIGUOUS + "Incoming,25/06/26 11:00,00:00:01,+33162345012,\n"


def test_iexplorer_header_local_seconds(household):
    r = household.import_(household.write("calls.csv", IEXPLORER))
    assert (r.format, r.new) == ("iexplorer-csv", 3)
    first, missed, out = household.calls()
    assert (first["start_utc"], first["duration_s"], first["outcome"]) == ("2026-10-12T09:20:07.000Z", 2, "answered")
    assert missed["outcome"] == "missed" and (out["direction"], out["duration_s"]) == ("out", 600)


def test_imazing_ambiguous_dates_follow_the_region_and_are_flagged(household):
    r = household.import_(household.write("imazing.csv", AMBIGUOUS))
    assert (r.format, r.new) == ("imazing-csv", 2)
    first = household.calls()[0]
    assert first["start_utc"] == "2026-06-02T07:45:00.000Z"          # 2 June (FR: day first), 09:45 CEST
    assert first["time_flag"] == "date-order-assumed:dd/mm" and first["time_precision_s"] == 60


def test_imazing_a_day_above_12_settles_the_order(household):
    household.import_(household.write("imazing.csv", SETTLED))
    assert all(c["time_flag"] is None for c in household.calls())


def test_imazing_month_first_in_the_us(make_household):
    h = make_household('region = "US"\ntimezone = "America/New_York"\n', name="us")
    h.import_(h.write("imazing.csv", AMBIGUOUS))
    first = h.calls()[0]
    assert first["start_utc"] == "2026-02-06T14:45:00.000Z" and first["time_flag"] == "date-order-assumed:mm/dd"
