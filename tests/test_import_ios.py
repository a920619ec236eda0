"""iPhone CallHistory.storedata (Core Data SQLite, dates since 2001-01-01 UTC)."""

import sqlite3

SCHEMA = ("CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, ZANSWERED INTEGER, "
          "ZCALLTYPE INTEGER, ZDISCONNECTED_CAUSE INTEGER, ZFACE_TIME_DATA BLOB, ZNUMBER_AVAILABILITY INTEGER, "
          "ZORIGINATED INTEGER, ZREAD INTEGER, ZDATE TIMESTAMP, ZDURATION FLOAT, ZADDRESS VARCHAR, "
          "ZDEVICE_ID VARCHAR, ZISO_COUNTRY_CODE VARCHAR, ZNAME VARCHAR, ZUNIQUE_ID VARCHAR)")
# 2026-10-12T09:20:07Z is 813489607 s after 2001-01-01T00:00:00Z (1791796807 - 978307200)
ROWS = [
    (1, 1, 1, 1, 0, 813489607.5, 2.4, "+33162345012", "fr", None, "A1B2-1"),     # answered, 2 s
    (2, 0, 1, 1, 0, 813493207.0, 0.0, "0162345013", "fr", None, "A1B2-2"),      # missed
    (3, 1, 1, 1, 1, 813496807.0, 600.0, "0611223344", "fr", "Maman", "A1B2-3"),  # outgoing
    (4, 0, 1, 1, 0, 813500407.0, 0.0, "", "fr", None, "A1B2-4"),                # withheld, missed
    (5, 0, 1, 1, 0, "yesterday", 0.0, "0162345014", "fr", None, "A1B2-5"),      # bad date
]


def _db(path):
    conn = sqlite3.connect(path)
    conn.execute(SCHEMA)
    conn.executemany("INSERT INTO ZCALLRECORD (Z_PK, ZANSWERED, ZCALLTYPE, ZNUMBER_AVAILABILITY, ZORIGINATED, ZDATE, "
                     "ZDURATION, ZADDRESS, ZISO_COUNTRY_CODE, ZNAME, ZUNIQUE_ID) VALUES (?,?,?,?,?,?,?,?,?,?,?)", ROWS)
    conn.commit()
    conn.close()
    return path


def test_call_history_dates_outcomes_and_withheld(household):
    r = household.import_(_db(household.exports / "CallHistory.storedata"))
    assert (r.format, r.read, r.new, r.rejected) == ("ios-callhistory", 5, 4, 1)
    answered, missed, out, withheld = household.calls()
    assert answered["start_utc"] == "2026-10-12T09:20:07.500Z" and answered["duration_s"] == 2
    assert (answered["outcome"], answered["number"]) == ("answered", "+33162345012")
    assert (missed["outcome"], missed["number"]) == ("missed", "+33162345013")
    assert (out["direction"], out["duration_s"], out["caller_name"]) == ("out", 600, "Maman")
    assert withheld["presentation"] == "withheld"
    assert household.store.rejects(r.import_id)[0]["locator"] == "ZCALLRECORD.Z_PK=5"


def test_same_backup_twice_adds_nothing(household):
    household.import_(_db(household.exports / "a.storedata"))
    r = household.import_(_db(household.exports / "b.storedata"))
    assert (r.new, r.duplicate) == (0, 4)
