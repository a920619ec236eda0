"""SMS Import / Export (sms-ie) call-log exports: the JSON array the app writes (every
CallLog.Calls column as a string, NULL columns left out, plus display_name), and one object a
line (NDJSON, the app's newer layout with ``__`` tags)."""

import json

from callwatch.importers import by_name
from callwatch.importers.base import ParseContext, Sniff, decode_head
from callwatch.times import LocalClock

# Android 13 call-log rows as the app's JsonWriter writes them (2-space indent, newest first).
ROWS = [
    {"_id": "215", "number": "0162345012", "presentation": "1", "date": "1791730800000", "duration": "0",
     "type": "5", "features": "0", "subscription_component_name":
     "com.android.phone/com.android.services.telephony.TelephonyConnectionService", "subscription_id": "1",
     "phone_account_address": "+33612345678", "phone_account_hidden": "0", "new": "1", "numbertype": "0",
     "countryiso": "FR", "geocoded_location": "France", "is_read": "1", "last_modified": "1791730810000",
     "post_dial_digits": "", "via_number": "", "add_for_all_users": "1", "block_reason": "0",
     "missed_reason": "0", "priority": "0", "is_business_call": "0"},
    {"_id": "214", "number": "", "presentation": "2", "date": "1791727200000", "duration": "0", "type": "3",
     "subscription_id": "1", "phone_account_address": "+33612345678", "countryiso": "FR", "new": "1"},
    {"_id": "213", "number": "0612000111", "presentation": "1", "date": "1791723600000", "duration": "65",
     "type": "2", "subscription_id": "2", "phone_account_address": "", "countryiso": "FR", "name": "Camille",
     "display_name": "Camille D."},
    {"_id": "212", "number": "0162345013", "presentation": "1", "date": "1791720000000", "duration": "2",
     "type": "1", "subscription_id": "1", "phone_account_address": "+33612345678", "countryiso": "FR"},
]


def _export(rows) -> str:
    return json.dumps(rows, indent=2)


def test_sms_ie_export_imports_with_direction_outcome_time_and_own_line(household):
    r = household.import_(household.write("calls-2026-10-11.json", _export(ROWS)))
    assert (r.status, r.format, r.read, r.new, r.rejected) == ("imported", "android-smsie-json", 4, 4, 0)
    got = {c["locator"].split()[-1]: c for c in household.calls()}
    assert [(got[f"_id={i}"]["direction"], got[f"_id={i}"]["outcome"]) for i in (215, 214, 213, 212)] == [
        ("in", "rejected"), ("in", "missed"), ("out", "answered"), ("in", "answered")]
    assert got["_id=215"]["start_utc"] == "2026-10-11T15:00:00.000Z" and got["_id=215"]["tz"] == "UTC"
    assert got["_id=214"]["presentation"] == "withheld" and got["_id=214"]["number"] is None
    assert got["_id=213"]["duration_s"] == 65 and got["_id=213"]["caller_name"] == "Camille"
    assert got["_id=212"]["own_line"] == "+33612345678"          # phone_account_address
    assert got["_id=213"]["own_line"] == "account:2"             # the second SIM names no number: its account


def test_subscription_id_becomes_own_account(tmp_path):
    path = tmp_path / "calls.json"
    path.write_text(_export(ROWS))
    head = path.read_bytes()[:65536]
    sniff = Sniff(path, head, len(head), "utf-8", decode_head(head, "utf-8"))
    fmt = by_name("android-smsie-json")
    assert fmt.recognise(sniff) > 0
    calls = list(fmt.parse(sniff, ParseContext(LocalClock("Europe/Paris"), None)))
    assert [(c.own_account, c.own_number_raw) for c in calls] == [
        ("1", "+33612345678"), ("1", "+33612345678"), ("2", None), ("1", "+33612345678")]


def test_daily_exports_overlap_and_each_call_is_stored_once(household):
    monday = household.import_(household.write("calls-2026-10-11.json", _export(ROWS[1:])))
    tuesday = household.import_(household.write("calls-2026-10-12.json", _export(ROWS)))
    assert (monday.new, tuesday.new, tuesday.duplicate) == (3, 1, 3)
    # the same call in an SMS Backup & Restore backup of the phone is the same call too
    sbr = ('<?xml version="1.0" encoding="UTF-8"?><calls count="1">'
           '<call number="0162345013" duration="2" date="1791720000000" type="1" presentation="1" '
           'subscription_id="1" contact_name="(Unknown)" /></calls>')
    r = household.import_(household.write("calls-20261012000000.xml", sbr))
    assert (r.format, r.new, r.duplicate) == ("android-xml", 0, 1)
    assert household.count() == 4


def test_ndjson_layout_with_a_bad_line_and_a_bad_record(household):
    rows = [dict(ROWS[2], __display_name="Camille D."), dict(ROWS[3], type="42")]
    text = "\n".join(json.dumps(r) for r in rows) + "\n{not json\n" + json.dumps(ROWS[0]) + "\n"
    r = household.import_(household.write("calls.ndjson", text))
    assert (r.format, r.read, r.new, r.rejected) == ("android-smsie-json", 4, 2, 2)
    reasons = sorted(x["reason"].split(" (")[0] for x in household.store.rejects(r.import_id))
    assert reasons == ["not a JSON object", "unknown call type 42"]
    assert household.store.rejects(r.import_id)[1]["locator"].startswith("line 3 (bytes ")


def test_a_refused_row_is_kept_as_the_export_wrote_it(household):
    bad = dict(ROWS[3], type="42")
    r = household.import_(household.write("calls-2026-10-12.json", _export([ROWS[2], bad])))
    (reject,) = household.store.rejects(r.import_id)
    # the app's 2-space layout, one level in: the row's own lines as they stand in the file
    lines = json.dumps(bad, indent=2).splitlines()
    assert reject["raw"] == "\n".join([lines[0]] + ["  " + line for line in lines[1:]])
