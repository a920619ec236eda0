"""Freebox OS call log JSON."""

import json

ENTRIES = [
    {"number": "0162345012", "type": "missed", "id": 95, "duration": 15, "datetime": 1791712800,
     "contact_id": 0, "line_id": 0, "name": "Exemple", "new": False},
    {"number": "0162345012", "type": "missed", "id": 94, "duration": 15, "datetime": 1791712800,
     "contact_id": 0, "line_id": 0, "name": "0162345012", "new": True},
    {"number": "0611223344", "type": "accepted", "id": 93, "duration": 600, "datetime": 1791716400,
     "contact_id": 3, "line_id": 0, "name": "Maman", "new": False},
    {"number": "0611223344", "type": "outgoing", "id": 92, "duration": 0, "datetime": 1791720000,
     "contact_id": 3, "line_id": 0, "name": "Maman", "new": False},
]


def test_bare_array_twins_and_ring_time(household):
    r = household.import_(household.write("log.json", json.dumps(ENTRIES)))
    assert (r.format, r.read, r.new, r.duplicate) == ("freebox-json", 4, 3, 1)
    missed, accepted, outgoing = household.calls()
    assert (missed["outcome"], missed["duration_s"], missed["ring_s"]) == ("missed", 0, 15)
    assert missed["start_utc"] == "2026-10-11T10:00:00.000Z"
    assert (accepted["outcome"], accepted["duration_s"]) == ("answered", 600)
    assert (outgoing["direction"], outgoing["outcome"]) == ("out", "unknown")


def test_envelope_and_bad_entries(household):
    doc = {"success": True, "result": ENTRIES[2:] + [{"type": "missed", "datetime": "today", "number": "1",
                                                      "duration": 1, "line_id": 0}, "junk"]}
    r = household.import_(household.write("log.json", json.dumps(doc)))
    assert (r.read, r.new, r.rejected) == (4, 2, 2)
    reasons = [x["reason"] for x in household.store.rejects(r.import_id)]
    assert reasons == ["datetime 'today' is not Unix seconds", "entry is not an object"]
