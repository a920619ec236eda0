"""Android call logs: SMS Backup & Restore XML, the OPPO/ColorOS variant, calllog.db/contacts2.db."""

from callwatch.times import utc_iso
from conftest import android_db

SBR_ALL_TYPES = """
<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<!--File Created By SMS Backup & Restore v10.20.002 on 20/11/2026 21:00:00-->
<?xml-stylesheet type="text/xsl" href="calls.xsl"?>
<calls count="8" backup_set="0b4f6b43-2c9a-4d1a-9a4c-3f0d0ad5c1f2" backup_date="1795550400000" type="full">
  <call number="0162345012" duration="2" date="1791712800123" type="1" presentation="1" readable_date="12 oct. 2026 11:20:00" contact_name="(Unknown)" />
  <call number="0612345678" duration="65" date="1791716400000" type="2" presentation="1" readable_date="nonsense" contact_name="Camille" />
  <call number="0162345013" duration="0" date="1791720000000" type="3" presentation="1" readable_date="" contact_name="(Unknown)" />
  <call number="0162345014" duration="25" date="1791723600000" type="4" presentation="1" readable_date="" contact_name="(Unknown)" />
  <call number="0162345015" duration="0" date="1791727200000" type="5" presentation="1" readable_date="" contact_name="(Unknown)" />
  <call number="0162345016" duration="0" date="1791730800000" type="6" presentation="1" readable_date="" contact_name="(Unknown)" />
  <call number="0162345017" duration="0" date="1791734400000" type="7" presentation="1" readable_date="" contact_name="(Unknown)" />
  <call number="" duration="1" date="1791738000000" type="1" presentation="2" readable_date="" contact_name="(Unknown)" />
  <call number="-3" duration="0" date="1791741600000" type="3" presentation="4" readable_date="" contact_name="(Unknown)" />
</calls>
"""


def test_every_android_type_and_presentation(household):
    r = household.import_(household.write("calls.xml", SBR_ALL_TYPES))
    assert (r.status, r.format, r.read, r.new, r.rejected) == ("imported", "android-xml", 9, 9, 0)
    got = {c["number_raw"]: c for c in household.calls()}
    assert [(got[n]["direction"], got[n]["outcome"]) for n in
            ("0162345012", "0612345678", "0162345013", "0162345014", "0162345015", "0162345016")] == [
        ("in", "answered"), ("out", "answered"), ("in", "missed"), ("in", "voicemail"),
        ("in", "rejected"), ("in", "blocked")]
    elsewhere = got["0162345017"]
    assert elsewhere["outcome"] == "answered" and elsewhere["duration_s"] is None   # talked on another device
    assert got[""]["presentation"] == "withheld" and got[""]["number"] is None
    assert got["-3"]["presentation"] == "payphone"


def test_date_is_epoch_ms_utc_and_readable_date_is_ignored(household):
    household.import_(household.write("calls.xml", SBR_ALL_TYPES))
    call = household.calls("number_raw = '0162345012'")[0]
    assert call["start_ms"] == 1791712800123
    assert call["start_utc"] == utc_iso(1791712800123) == "2026-10-11T10:00:00.123Z"
    assert call["tz"] == "UTC" and call["number"] == "+33162345012"
    assert call["locator"].startswith("<call> #1 (line 5")


def test_overlapping_backups_add_each_call_once(household):
    lines = SBR_ALL_TYPES.strip().splitlines()
    head, calls, tail = lines[:4], lines[4:-1], lines[-1:]
    june = "\n".join(head + calls[:6] + tail)
    november = "\n".join(head + list(reversed(calls[3:])) + tail)   # newest first, overlapping 3
    first = household.import_(household.write("june.xml", june))
    second = household.import_(household.write("november.xml", november))
    assert (first.new, second.new, second.duplicate) == (6, 3, 3)
    assert household.count() == 9


OPPO = ("<?xml version='1.0' standalone='no' ?><CallLog>"
        '<CALL_RECORDS _id="12" number="0162345012" duration="0" type="3" date="1791712800000" name=" " '
        'numbertype="0" numberlabel=" " ring_time="32" new="0" features="0" countryiso="FR" />'
        '<CALL_RECORDS _id="11" number="0925000000" duration="0" type="3" date="1791709200000" name=" " '
        'numbertype="0" numberlabel=" " ring_time="4" new="0" features="0" countryiso="TH" /></CallLog>')


def test_oppo_variant_one_line_with_ring_time_and_country(household):
    r = household.import_(household.write("oppo.xml", OPPO))
    assert (r.format, r.new) == ("android-oppo-xml", 2)
    by_raw = {c["number_raw"]: c for c in household.calls()}
    assert by_raw["0162345012"]["ring_s"] == 32 and by_raw["0162345012"]["caller_name"] is None
    assert by_raw["0925000000"]["number"] == "+66925000000"    # countryiso TH, not the default FR


GINGERBREAD = ("CREATE TABLE calls (_id INTEGER PRIMARY KEY AUTOINCREMENT,number TEXT,date INTEGER,"
               "duration INTEGER,type INTEGER,new INTEGER,name TEXT,numbertype INTEGER,numberlabel TEXT)")
MODERN = ("CREATE TABLE calls (_id INTEGER PRIMARY KEY AUTOINCREMENT,number TEXT,presentation INTEGER NOT NULL "
          "DEFAULT 1,post_dial_digits TEXT NOT NULL DEFAULT '',date INTEGER,duration INTEGER,type INTEGER,"
          "name TEXT,countryiso TEXT,deleted INTEGER NOT NULL DEFAULT 0)")


def test_old_schema_without_presentation_uses_number_sentinels(household):
    path = android_db(household.exports / "contacts2.db", GINGERBREAD, [
        (1, "-2", 1791712800000, 0, 3), (2, "-1", 1791716400000, 0, 3), (3, "-3", 1791720000000, 0, 1),
        (4, "0162345012", 1791723600000, 3, 1)], "_id,number,date,duration,type")
    r = household.import_(path)
    assert (r.format, r.new) == ("android-db", 4)
    pres = {c["number_raw"]: c["presentation"] for c in household.calls()}
    assert pres == {"-2": "withheld", "-1": "unknown", "-3": "payphone", "0162345012": "allowed"}
    assert household.calls("number_raw = '0162345012'")[0]["locator"] == "calls._id=4"


def test_database_and_xml_of_one_phone_deduplicate(household):
    household.import_(household.write("calls.xml", SBR_ALL_TYPES))
    path = android_db(household.exports / "calllog.db", MODERN, [
        (1, "0162345012", 1, 1791712800123, 2, 1, "FR", 0),        # the same call as the XML's first
        (2, "0162345099", 1, 1791800000000, 0, 3, "FR", 1)],       # a new one, deleted in the dialer
        "_id,number,presentation,date,duration,type,countryiso,deleted")
    r = household.import_(path)
    assert (r.new, r.duplicate) == (1, 1)
    assert "deleted in the dialer" in household.calls("number_raw = '0162345099'")[0]["source_type"]


def test_bad_records_are_rejected_and_good_ones_kept(household):
    xml = SBR_ALL_TYPES.replace('type="5"', 'type="42"').replace('date="1791730800000"', 'date="yesterday"')
    r = household.import_(household.write("calls.xml", xml))
    assert (r.read, r.new, r.rejected) == (9, 7, 2)
    reasons = sorted(x["reason"] for x in household.store.rejects(r.import_id))
    assert reasons == ["date is not a number: 'yesterday'", "unknown call type 42"]


SMS_BACKUP = """<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<!--File Created By SMS Backup & Restore v10.20.002 on 20/11/2026 21:00:00-->
<?xml-stylesheet type="text/xsl" href="sms.xsl"?>
<smses count="2" backup_set="8d3c6c62-0f5c-4d8e-9a55-6f5e2d7c1a11" backup_date="1795204800000" type="full">
  <sms protocol="0" address="0612345678" date="1795200000000" type="1" subject="null" body="Bonjour" toa="null" sc_toa="null" service_center="null" read="1" status="-1" locked="0" date_sent="1795199990000" sub_id="1" readable_date="20 nov. 2026 20:00:00" contact_name="Maman" />
  <sms protocol="0" address="38000" date="1795201000000" type="1" subject="null" body="Offre" toa="null" sc_toa="null" service_center="null" read="1" status="-1" locked="0" date_sent="1795200990000" sub_id="1" readable_date="20 nov. 2026 20:16:40" contact_name="(Unknown)" />
</smses>
"""


def test_an_sms_backup_is_skipped_with_what_it_is(household):
    for fmt in (None, "android-xml"):
        r = household.import_(household.write("sms-20261120210000.xml", SMS_BACKUP), fmt)
        assert (r.status, r.message) == ("skipped", "an SMS backup: no calls in it, skipped"), fmt
    assert household.count() == 0 and household.count("imports") == 0


def test_an_sms_backup_dropped_in_the_inbox_is_no_failure_of_the_daemon(household):
    from callwatch.jobs import Jobs
    jobs = Jobs(household.config)
    path = jobs.inbox / "sms-20261120210000.xml"
    path.write_text(SMS_BACKUP, encoding="utf-8")
    result, detail = jobs.job_inbox([str(path)])
    assert (result, detail) == ("ok", "0 imported (0 new calls), 1 skipped, 0 refused")
    assert (jobs.inbox / "done" / path.name).exists() and not (jobs.inbox / "failed").exists()
