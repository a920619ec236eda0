"""SFR box call history XML."""

SFR = """<?xml version="1.0" encoding="UTF-8"?>
<rsp stat="ok">
  <calllist>
    <call type="voip" direction="incoming" number="0162345012" length="2" date="1791796807" />
    <call type="voip" direction="missed" number="0162345013" length="0" date="1791800000" />
    <call type="pstn" direction="outgoing" number="0611223344" length="600" date="1791820000" />
    <call type="voip" direction="missed" number="" length="0" date="1791830000" />
    <call type="voip" direction="sideways" number="0162345014" length="0" date="1791840000" />
  </calllist>
</rsp>
"""


def test_sfr_directions_lengths_and_withheld(household):
    r = household.import_(household.write("calllist.xml", SFR))
    assert (r.format, r.read, r.new, r.rejected) == ("sfr-xml", 5, 4, 1)
    answered, missed, out, withheld = household.calls()
    assert (answered["start_utc"], answered["outcome"], answered["duration_s"]) == \
        ("2026-10-12T09:20:07.000Z", "answered", 2)
    assert missed["outcome"] == "missed" and (out["direction"], out["duration_s"]) == ("out", 600)
    assert withheld["presentation"] == "withheld"
    assert "unknown direction 'sideways'" in household.store.rejects(r.import_id)[0]["reason"]
