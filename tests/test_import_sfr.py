"""SFR box call history XML, as the box's API answers ``voip.getCallhistoryList``."""

# The box's own layout (efixo API template): <calls>, blank lines between the elements, the box's
# own masking of the last four digits ("016234 XXXX"), "" for a withheld caller, short codes,
# length="-1" for a call that was never connected (a missed call when incoming).
SFR = """<?xml version="1.0" encoding="UTF-8"?>
<rsp stat="ok" version="1.0">
     <calls>

      <call type="voip" direction="incoming" number="016234 XXXX" length="41" date="1791796807" />

      <call type="voip" direction="incoming" number="0162345013" length="-1" date="1791800000" />

      <call type="voip" direction="outgoing" number="18" length="665" date="1791820000" />

      <call type="pstn" direction="outgoing" number="0611223344" length="-1" date="1791821000" />

      <call type="voip" direction="incoming" number="" length="17" date="1791830000" />

      <call type="voip" direction="incoming" number="" length="-1" date="1791831000" />

      <call type="radio" direction="sideways" number="0162345014" length="3" date="1791840000" />

   </calls>


</rsp>
"""

EMPTY = """<?xml version="1.0" encoding="UTF-8"?>
<rsp stat="ok" version="1.0">
   <calls>
   </calls>
</rsp>
"""

REFUSED = """<?xml version="1.0" encoding="UTF-8"?>
<rsp stat="fail" version="1.0">
   <err code="115" msg="Need authentication" />
</rsp>
"""


def test_box_layout_is_read_with_missed_calls_stored_as_missed(household):
    r = household.import_(household.write("voip.getCallhistoryList.xml", SFR))
    assert (r.format, r.read, r.new, r.rejected) == ("sfr-xml", 7, 6, 1)
    masked, missed, short, unanswered, withheld, withheld_missed = household.calls()
    # times are Unix seconds (UTC), and time_raw keeps the box's own text
    assert (masked["start_utc"], masked["time_raw"], masked["tz"]) == ("2026-10-12T09:20:07.000Z", "1791796807", "UTC")
    assert (masked["direction"], masked["outcome"], masked["duration_s"]) == ("in", "answered", 41)
    # the box masked the number itself: kept as written, never turned into some other number
    assert (masked["number_raw"], masked["number"]) == ("016234 XXXX", None)
    assert (missed["direction"], missed["outcome"], missed["duration_s"], missed["number"]) == \
        ("in", "missed", 0, "+33162345013")
    assert (short["direction"], short["outcome"], short["duration_s"], short["number"]) == ("out", "answered", 665, "18")
    assert (unanswered["direction"], unanswered["outcome"], unanswered["duration_s"]) == ("out", "unknown", 0)
    assert (withheld["presentation"], withheld["outcome"]) == ("withheld", "answered")
    assert (withheld_missed["presentation"], withheld_missed["outcome"]) == ("withheld", "missed")
    reject = household.store.rejects(r.import_id)[0]
    assert "unknown direction 'sideways'" in reject["reason"]
    # the refused record as it stands in the file, not rebuilt from its attributes
    assert reject["raw"] == '<call type="radio" direction="sideways" number="0162345014" length="3" date="1791840000" />'


def test_a_box_with_no_calls_is_a_successful_read_of_none(household):
    r = household.import_(household.write("empty.xml", EMPTY))
    assert (r.status, r.format, r.read, r.new) == ("imported", "sfr-xml", 0, 0)


def test_an_error_answer_of_the_box_says_what_the_box_said(household):
    r = household.import_(household.write("refused.xml", REFUSED))
    assert (r.status, r.format) == ("failed", None)
    assert "SFR box refused the request: 115 Need authentication" in r.message and household.count() == 0
