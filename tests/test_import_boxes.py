"""FRITZ!Box TR-064 XML, Orange Livebox JSON, Bouygues Bbox JSON."""

import json

from test_import_freeswitch import RESAVED, WRITTEN
from test_import_google_voice import page
from test_import_ios_csv import AMBIGUOUS, IEXPLORER
from test_import_fritzbox_monitor import MONITOR
from test_import_sfr import SFR
from test_import_fritzbox import GERMAN

TR064_FRAGMENT = """\
<Call><Id>2941</Id><Type>1</Type><Caller>0162345012</Caller><Called>SIP: 0123456789</Called><CalledNumber>0123456789</CalledNumber><Name></Name><Numbertype>sip</Numbertype><Device>Telefon Küche</Device><Port>10</Port><Date>12.10.26 11:20</Date><Duration>0:01</Duration><Count></Count><Path /></Call>

<Call><Id>2940</Id><Type>2</Type><Caller>0162345013</Caller><Called>SIP: 0123456789</Called><CalledNumber>0123456789</CalledNumber><Name></Name><Numbertype>sip</Numbertype><Device></Device><Port>-1</Port><Date>12.10.26 10:05</Date><Duration>0:00</Duration><Count></Count><Path /></Call>
"""

TR064_ROOT = """<?xml version="1.0" encoding="UTF-8"?>
<root><timestamp>1792000000</timestamp>
<Call><Id>3000</Id><Type>3</Type><Caller>0123456789</Caller><CallerNumber>0123456789</CallerNumber><Called>0611223344</Called><Name>Mère</Name><Device>Telefon Küche</Device><Date>12.10.26 18:02</Date><Duration>0:12</Duration></Call>
<Call><Id>3001</Id><Type>10</Type><Caller></Caller><Called>SIP: 0123456789</Called><CalledNumber>0123456789</CalledNumber><Date>11.10.26 09:15</Date><Duration>0:00</Duration></Call>
<Call><Id>3002</Id><Type>7</Type><Caller>0162345019</Caller><Called>SIP: 0123456789</Called><Date>11.10.26 09:16</Date><Duration>0:00</Duration></Call>
</root>
"""


def test_tr064_fragment_without_root(household):
    r = household.import_(household.write("calllist.xml", TR064_FRAGMENT))
    assert (r.format, r.read, r.new) == ("fritzbox-xml", 2, 2)
    answered = household.calls("outcome = 'answered'")[0]
    assert (answered["number"], answered["own_line"], answered["duration_s"], answered["duration_precision_s"]) == \
        ("+33162345012", "+33123456789", 60, 60)
    assert answered["start_utc"] == "2026-10-12T09:20:00.000Z" and answered["locator"].startswith("<Call> #1")


def test_tr064_with_root_outgoing_rejected_and_unknown_type(household):
    r = household.import_(household.write("calllist.xml", TR064_ROOT))
    assert (r.read, r.new, r.rejected) == (3, 2, 1)
    out = household.calls("direction = 'out'")[0]
    assert (out["number"], out["own_line"], out["duration_s"], out["caller_name"]) == \
        ("+33611223344", "+33123456789", 720, "Mère")
    assert household.calls("source_type = '10 rejected'")[0]["presentation"] == "withheld"
    assert "unknown call type '7'" in household.store.rejects(r.import_id)[0]["reason"]


def test_tr064_and_web_csv_of_one_box_deduplicate(household):
    household.import_(household.write("fritz.csv", GERMAN, encoding="iso-8859-1"))
    r = household.import_(household.write("calllist.xml", TR064_FRAGMENT + TR064_ROOT.split("<root>")[1]
                                          .split("</root>")[0].replace("<timestamp>1792000000</timestamp>", "")))
    # the two incoming calls, the outgoing one and the rejected one are all in the CSV already
    assert (r.new, r.duplicate, r.rejected) == (0, 4, 1)


LIVEBOX = {"status": [
    {"remoteNumber": "0162345012", "remoteName": "", "terminal": "HOME", "startTime": "2026-10-12T09:20:07Z",
     "duration": 2, "callType": "succeeded", "callOrigin": "external", "callDestination": "0123456789",
     "trunkLineNumber": "0123456789", "viewed": False, "callId": "30"},
    {"remoteNumber": "", "remoteName": "", "terminal": "", "startTime": "2026-10-12T12:00:00Z", "duration": 0,
     "callType": "missed", "callOrigin": "external", "callDestination": "0123456789", "trunkLineNumber": "",
     "viewed": True, "callId": "31"},
    {"remoteNumber": "0611223344", "remoteName": "Maman", "terminal": "HOME", "startTime": "2026-10-12T17:00:00Z",
     "duration": 0, "callType": "failed", "callOrigin": "local", "callDestination": "0611223344",
     "trunkLineNumber": "0123456789", "viewed": True, "callId": "32"},
    {"remoteNumber": "**REDACTED**", "startTime": "1900-01-01T00:00:00Z", "duration": "**REDACTED**",
     "callType": "succeeded", "callOrigin": "external", "callId": "33"},
]}


def test_livebox_utc_times_origin_and_withheld(household):
    r = household.import_(household.write("calllist.json", json.dumps(LIVEBOX)))
    assert (r.format, r.read, r.new, r.rejected) == ("livebox-json", 4, 3, 1)
    first, withheld, out = household.calls()
    assert (first["start_utc"], first["outcome"], first["duration_s"]) == ("2026-10-12T09:20:07.000Z", "answered", 2)
    assert (withheld["presentation"], withheld["outcome"]) == ("withheld", "missed")
    assert (out["direction"], out["outcome"], out["number"]) == ("out", "unknown", "+33611223344")
    # the line reached: trunkLineNumber, else (incoming) callDestination
    assert (first["own_line"], withheld["own_line"], out["own_line"]) == ("+33123456789",) * 3
    assert "duration '**REDACTED**'" in household.store.rejects(r.import_id)[0]["reason"]


BBOX = [{"calllog": [
    {"id": 4, "number": "0162345012", "date": 1791716407, "type": "in", "answered": 1, "duree": 2},
    {"id": 3, "number": "0162345013", "date": 1791712800, "type": "in", "answered": 0, "duree": 0},
    {"id": 2, "number": "0611223344", "date": 1791700000, "type": "out", "answered": 1, "duree": 600},
    {"id": 1, "number": "0162345014", "date": "hier", "type": "in", "answered": 0, "duree": 0},
]}]


def test_bbox_wrapped_array_answered_and_duree(household):
    r = household.import_(household.write("calllog.json", json.dumps(BBOX)))
    assert (r.format, r.read, r.new, r.rejected) == ("bbox-json", 4, 3, 1)
    out, missed, answered = household.calls()
    assert (answered["outcome"], answered["duration_s"], answered["number"]) == ("answered", 2, "+33162345012")
    assert missed["outcome"] == "missed" and (out["direction"], out["duration_s"]) == ("out", 600)


def test_every_fixture_is_recognised_as_exactly_one_format(household):
    from callwatch.importers import recognise
    from callwatch.importers.base import Sniff, decode_head, detect_encoding
    from test_import_android import SBR_ALL_TYPES, OPPO, SMS_BACKUP
    from test_import_asterisk import CDR_CSV, CDR_CUSTOM, CDR_TABLE_DUMP, FREEPBX_REPORT, WITH_HEADER
    from test_import_fritzbox import ENGLISH_8_COLUMNS, OLD_FIRMWARE, OLD_OR_NEW
    from test_import_freebox import ENTRIES
    from test_import_sfr import EMPTY as SFR_EMPTY, REFUSED as SFR_REFUSED
    headless = page("Missed call from", "missed")
    headless = headless[headless.index("<body>"):].replace("Call Log for", "")
    fixtures = {
        "android-xml": [SBR_ALL_TYPES, SMS_BACKUP], "android-oppo-xml": [OPPO],
        "fritzbox-csv": [GERMAN, ENGLISH_8_COLUMNS, OLD_FIRMWARE, OLD_OR_NEW,
                         "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n\r\n" + GERMAN],
        "fritzbox-xml": [TR064_FRAGMENT, TR064_ROOT, '<?xml version="1.0"?>\n<root><timestamp>1</timestamp></root>'],
        "asterisk-csv": [CDR_CSV, CDR_CUSTOM, WITH_HEADER, FREEPBX_REPORT, CDR_TABLE_DUMP],
        "freebox-json": [json.dumps(ENTRIES), json.dumps({"success": True, "result": ENTRIES}), '{"success": true}'],
        "livebox-json": [json.dumps(LIVEBOX), '{"status": []}'], "bbox-json": [json.dumps(BBOX)],
        "freeswitch-csv": [WRITTEN, RESAVED],
        "google-voice-html": [page("Missed call from", "missed"), headless],
        "iexplorer-csv": [IEXPLORER], "imazing-csv": [AMBIGUOUS], "sfr-xml": [SFR, SFR_EMPTY, SFR_REFUSED],
        "fritzbox-monitor": [MONITOR],
    }
    for expected, texts in fixtures.items():
        for i, text in enumerate(texts):
            path = household.write(f"f-{expected}-{i}", text)
            head = path.read_bytes()
            enc = detect_encoding(head)
            winners, _ = recognise(Sniff(path, head, len(head), enc, decode_head(head, enc)), household.config)
            assert [w.name for w in winners] == [expected], (expected, i)
    # and the two databases
    from conftest import android_db
    from test_import_android import GINGERBREAD
    from test_import_ios import _db
    for expected, path in (("android-db", android_db(household.exports / "contacts2.db", GINGERBREAD, [],
                                                     "_id,number,date,duration,type")),
                           ("ios-callhistory", _db(household.exports / "CallHistory.storedata"))):
        head = path.read_bytes()[:65536]
        winners, _ = recognise(Sniff(path, head, path.stat().st_size, None, ""), household.config)
        assert [w.name for w in winners] == [expected]


def test_a_box_with_no_calls_reads_zero_calls_not_an_unknown_format(household):
    # What each polled box answers when its list is empty: the Livebox an empty "status", the
    # Freebox {"success": true} with no "result" at all, the FRITZ!Box a <root> with its timestamp only.
    empties = {"livebox-json": '{"status": []}',
               "freebox-json": '{\n "success": true\n}',
               "fritzbox-xml": '<?xml version="1.0" encoding="utf-8"?>\n<root><timestamp>1793100000</timestamp>\n</root>\n'}
    for fmt, text in empties.items():
        r = household.import_(household.write(f"empty-{fmt}", text))
        assert (r.status, r.format, r.read, r.new, r.rejected) == ("imported", fmt, 0, 0, 0), (fmt, r.message)


def test_time_raw_keeps_the_sources_own_time_text_for_timestamp_formats(household):
    # What the source wrote, whatever form its time takes: the evidence can be checked against it.
    from conftest import android_db
    from test_import_android import GINGERBREAD, SBR_ALL_TYPES
    from test_import_freebox import ENTRIES
    from test_import_ios import _db as ios_db
    household.import_(household.write("calls.xml", SBR_ALL_TYPES))
    household.import_(android_db(household.exports / "contacts2.db", GINGERBREAD,
                                 [(1, "0162345099", 1791000000456, 3, 1)], "_id,number,date,duration,type"))
    household.import_(household.write("freebox.json", json.dumps(ENTRIES)))
    household.import_(household.write("livebox.json", json.dumps(LIVEBOX)))
    household.import_(household.write("bbox.json", json.dumps(BBOX)))
    household.import_(ios_db(household.exports / "CallHistory.storedata"))
    raw = {c["locator"]: c["time_raw"] for c in household.calls()}
    assert raw["<call> #1 (line 5, column 3)"] == "1791712800123"            # android-xml: date="..."
    assert raw["calls._id=1"] == "1791000000456"                              # android-db: the column's value
    assert raw["result[2] id=93"] == "1791716400"                             # freebox-json: datetime
    assert raw["status[0] callId=30"] == "2026-10-12T09:20:07Z"              # livebox-json: startTime
    assert raw["calllog[0] id=4"] == "1791716407"                             # bbox-json: date
    assert raw["ZCALLRECORD.Z_PK=1"] == "813489607.5"                         # ios-callhistory: ZDATE
    assert None not in raw.values()


def test_a_refused_record_is_kept_as_it_stands_in_the_file(household):
    # The rejects table is evidence of what was refused: the file's own text, never the record
    # written out again from its parsed fields (which would change quoting, spacing and escapes).
    livebox = ('{"status": [\n'
               '  {"remoteNumber": "0162345012", "remoteName": "Z\\u00e9ro", "startTime": "2026-10-12T09:20:07Z",\n'
               '   "duration": 2, "callType": "succeeded", "callOrigin": "external", "callId": "30"},\n'
               '  {"remoteNumber": "0162345013", "startTime": "2026-10-12T10:00:00Z", "duration": "**REDACTED**",\n'
               '   "callType": "succeeded", "callOrigin": "external", "callId": "31"}\n]}\n')
    bbox = ('[ {"calllog": [\n'
            '    {"id":2,"number":"0162345013","date":1791712800,"type":"in","answered":0,"duree":0},\n'
            '    {"id":1,"number":"0162345014","date":"hier","type":"in","answered":0,"duree":0}\n] } ]\n')
    freebox = ('{"success":true,"result":[{"number":"0162345012","type":"missed","id":95,"duration":15,'
               '"datetime":1791712800,"contact_id":0,"line_id":0,"name":"0162345012","new":true},'
               '{"number":"0162345013","type":"transferred","id":96,"duration":15,"datetime":1791712900,'
               '"contact_id":0,"line_id":0,"name":"0162345013","new":true}]}')
    tr064 = TR064_ROOT.replace("<Type>10</Type>", "<Type>77</Type>")
    fragment = TR064_FRAGMENT.replace("<Type>2</Type>", "<Type>66</Type>")       # parsed wrapped in a <root>
    sbr = ('<?xml version="1.0" encoding="UTF-8"?>\n<calls count="1">\n'
           "  <call number='0162345012' duration='2' date='yesterday' type='1' presentation='1' "
           "contact_name='L&amp;B' />\n</calls>\n")
    expected = {
        "calllog.json": '{"remoteNumber": "0162345013", "startTime": "2026-10-12T10:00:00Z", "duration": "**REDACTED**",\n'
                        '   "callType": "succeeded", "callOrigin": "external", "callId": "31"}',
        "bbox.json": '{"id":1,"number":"0162345014","date":"hier","type":"in","answered":0,"duree":0}',
        "freebox.json": '{"number":"0162345013","type":"transferred","id":96,"duration":15,"datetime":1791712900,'
                        '"contact_id":0,"line_id":0,"name":"0162345013","new":true}',
        "calllist.xml": "<Call><Id>3001</Id><Type>77</Type><Caller></Caller><Called>SIP: 0123456789</Called>"
                        "<CalledNumber>0123456789</CalledNumber><Date>11.10.26 09:15</Date><Duration>0:00</Duration>"
                        "</Call>",
        "calls.xml": "<call number='0162345012' duration='2' date='yesterday' type='1' presentation='1' "
                     "contact_name='L&amp;B' />",
        "fragment.xml": TR064_FRAGMENT.strip().split("\n\n")[1].replace("<Type>2</Type>", "<Type>66</Type>"),
    }
    for name, text in (("calllog.json", livebox), ("bbox.json", bbox), ("freebox.json", freebox),
                       ("calllist.xml", tr064), ("calls.xml", sbr), ("fragment.xml", fragment)):
        r = household.import_(household.write(name, text))
        assert r.status == "imported" and r.rejected >= 1, (name, r.message)
        raws = [x["raw"] for x in household.store.rejects(r.import_id)]
        assert expected[name] in raws, (name, raws)
