"""Asterisk CDR CSV: cdr_csv and cdr_custom orders, headers, legs, direction."""

CDR_CSV = '''\
"","0162345012","0123456789","from-trunk","""Exemple"" <0162345012>","PJSIP/trunk-00000001","PJSIP/100-00000002","Dial","PJSIP/100&PJSIP/101,30","2026-10-12 11:20:07","2026-10-12 11:20:15","2026-10-12 11:20:17",10,2,"ANSWERED","DOCUMENTATION","1791718807.1",""
"","0162345012","0123456789","from-trunk","""Exemple"" <0162345012>","PJSIP/trunk-00000001","PJSIP/101-00000003","Dial","PJSIP/100&PJSIP/101,30","2026-10-12 11:20:07","","2026-10-12 11:20:17",10,0,"NO ANSWER","DOCUMENTATION","1791718807.1",""
"","anonymous","0123456789","from-trunk","""Anonymous"" <anonymous>","PJSIP/trunk-00000004","PJSIP/100-00000005","Dial","PJSIP/100,30","2026-10-12 14:02:00","","2026-10-12 14:02:25",25,0,"NO ANSWER","DOCUMENTATION","1791762120.4",""
"","100","0611223344","from-internal","""Home"" <100>","PJSIP/100-00000006","PJSIP/trunk-00000007","Dial","PJSIP/trunk/0611223344","2026-10-12 18:00:00","2026-10-12 18:00:09","2026-10-12 18:10:09",609,600,"ANSWERED","DOCUMENTATION","1791770400.6",""
"","0162345013","0123456789","from-trunk",""""" <0162345013>","PJSIP/trunk-00000008","","VoiceMail","100@default","2026-10-12 19:00:00","2026-10-12 19:00:20","2026-10-12 19:00:50",50,30,"ANSWERED","DOCUMENTATION","1791774000.8",""
'''

CDR_CUSTOM = '''\
"""Exemple"" <0162345012>","0162345012","0123456789","from-trunk","PJSIP/trunk-00000001","PJSIP/100-00000002","Dial","PJSIP/100,30","2026-10-12 11:20:07","2026-10-12 11:20:15","2026-10-12 11:20:17","10","2","ANSWERED","DOCUMENTATION","","1791718807.1","","3"
'''

WITH_HEADER = '''\
clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,start,answer,end,duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield
"" <0162345014>,0162345014,0123456789,ext-did,SIP/trunk-1,SIP/100-2,Dial,SIP/100,2026-10-13 10:00:00,,2026-10-13 10:00:04,4,0,NO ANSWER,DOCUMENTATION,,1791878400.9,
'''


def test_cdr_csv_order_legs_withheld_outgoing_voicemail(household):
    r = household.import_(household.write("Master.csv", CDR_CSV))
    assert (r.format, r.read, r.new, r.duplicate, r.rejected) == ("asterisk-csv", 5, 4, 1, 0)
    calls = household.calls()
    first = calls[0]
    # the ring group's answered leg wins over the unanswered one of the same uniqueid
    assert (first["outcome"], first["duration_s"], first["ring_s"], first["caller_name"]) == ("answered", 2, 8, "Exemple")
    assert first["start_utc"] == "2026-10-12T09:20:07.000Z" and first["own_line"] == "+33123456789"
    assert first["time_raw"] == "2026-10-12 11:20:07"
    anonymous = calls[1]
    assert (anonymous["presentation"], anonymous["number"], anonymous["outcome"]) == ("withheld", None, "missed")
    out = calls[2]
    assert (out["direction"], out["number"], out["duration_s"]) == ("out", "+33611223344", 600)
    assert calls[3]["outcome"] == "voicemail"


def test_cdr_custom_order_is_recognised(household):
    r = household.import_(household.write("Master.csv", CDR_CUSTOM))
    assert (r.format, r.new) == ("asterisk-csv", 1)
    assert household.calls()[0]["number"] == "+33162345012"


def test_header_and_direction_from_extensions(household):
    # "ext-did" is no declared context and dst is the DID: extension 100 answers on dstchannel
    r = household.import_(household.write("cdr.csv", WITH_HEADER))
    assert (r.new, r.rejected) == (1, 0)
    assert household.calls()[0]["direction"] == "in"


def test_unknown_direction_and_internal_calls_are_rejected_not_guessed(household):
    rows = CDR_CSV + ('"","100","101","from-internal","""Home"" <100>","PJSIP/100-1","PJSIP/101-2","Dial","PJSIP/101",'
                      '"2026-10-12 20:00:00","2026-10-12 20:00:02","2026-10-12 20:01:00",60,58,"ANSWERED","DOCUMENTATION","1.2",""\n'
                      '"","0162345015","0999","macro-x","""" <0162345015>","DAHDI/1-1","","Hangup","","2026-10-12 20:05:00",'
                      '"","2026-10-12 20:05:01",1,0,"FAILED","DOCUMENTATION","1.3",""\n')
    r = household.import_(household.write("Master.csv", rows))
    assert (r.new, r.rejected) == (4, 2)
    reasons = [x["reason"] for x in household.store.rejects(r.import_id)]
    assert "internal call" in reasons[0]
    assert "cannot tell the direction: context 'macro-x'" in reasons[1]


# FreePBX "Reports > CDR Reports" download: the cdr module's header (fputcsv: quoted only where
# needed), newest first. The inbound calls end in FreePBX's own contexts (ext-local), not in the
# trunk's: the did column (filled on calls that came in on a DID) tells their direction.
FREEPBX_REPORT = '''\
calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield,did,cnum,cnam,outbound_cnum,outbound_cnam,dst_cnam,recordingfile,linkedid,peeraccount,sequence
2026-10-12 18:00:00,"""Home"" <100>",100,0611223344,from-internal,PJSIP/100-00000006,PJSIP/ovh-00000007,Dial,"PJSIP/0611223344@ovh,300,Tt",609,600,ANSWERED,3,,1791770400.6,,,100,Home,0123456789,,,,1791770400.6,,12
2026-10-12 14:02:00,"""Anonymous"" <anonymous>",anonymous,100,ext-local,PJSIP/ovh-00000004,PJSIP/100-00000005,Dial,"PJSIP/100,30",25,0,"NO ANSWER",3,,1791762120.4,,0123456789,anonymous,Anonymous,,,,,1791762120.4,,9
2026-10-12 11:20:07,"""Exemple"" <0162345012>",0162345012,100,ext-local,PJSIP/ovh-00000001,PJSIP/100-00000002,Dial,"PJSIP/100,30",10,2,ANSWERED,3,,1791718807.1,,0123456789,0162345012,Exemple,,,,,1791718807.1,,5
'''

# The MySQL cdr table (asteriskcdrdb) dumped to CSV: no header, 25 columns and a trailing comma,
# calldate first as d/m/yyyy H:MM:SS (a day above 12 settles the order).
CDR_TABLE_DUMP = '''\
13/10/2026 9:05:00,"""Exemple"" <0162345012>",0162345012,0123456789,from-trunk,PJSIP/ovh-00000011,PJSIP/100-00000012,Dial,"PJSIP/100,30",20,0,NO ANSWER,3,,1791875100.11,,0123456789,,0162345012,Exemple,,,,1791875100.11,,
12/10/2026 18:00:00,"""Home"" <100>",100,0611223344,from-internal,PJSIP/100-00000006,PJSIP/ovh-00000007,Dial,"PJSIP/0611223344@ovh,300,Tt",609,600,ANSWERED,3,,1791770400.6,,,,100,Home,0123456789,,,1791770400.6,,
12/10/2026 11:20:07,"""Exemple"" <0162345012>",0162345012,0123456789,from-trunk,PJSIP/ovh-00000001,PJSIP/100-00000002,Dial,"PJSIP/100,30",10,2,ANSWERED,3,,1791718807.1,,0123456789,,0162345012,Exemple,,,,1791718807.1,,
'''


def _freepbx_checks(household):
    calls = household.calls()
    by_start = {c["start_utc"]: c for c in calls}
    answered = by_start["2026-10-12T09:20:07.000Z"]
    assert (answered["direction"], answered["outcome"], answered["duration_s"], answered["ring_s"],
            answered["caller_name"], answered["number"]) == ("in", "answered", 2, 8, "Exemple", "+33162345012")
    assert answered["own_line"] == "+33123456789"              # the DID the call came in on
    out = by_start["2026-10-12T16:00:00.000Z"]
    assert (out["direction"], out["outcome"], out["number"], out["duration_s"]) == ("out", "answered", "+33611223344", 600)


def test_freepbx_cdr_report_is_recognised_and_read(household):
    r = household.import_(household.write("cdr__1791800000pbx.csv", FREEPBX_REPORT))
    assert (r.format, r.read, r.new, r.rejected) == ("asterisk-csv", 3, 3, 0)
    _freepbx_checks(household)
    withheld = household.calls("presentation = 'withheld'")[0]
    assert (withheld["direction"], withheld["outcome"], withheld["time_raw"]) == ("in", "missed", "2026-10-12 14:02:00")


def test_mysql_cdr_table_dump_day_first_with_trailing_comma(household):
    r = household.import_(household.write("cdr.csv", CDR_TABLE_DUMP))
    assert (r.format, r.read, r.new, r.rejected) == ("asterisk-csv", 3, 3, 0)
    _freepbx_checks(household)
    answered = household.calls("time_raw = '12/10/2026 11:20:07'")[0]
    assert answered["time_flag"] is None                              # settled by "13/10"
    missed = household.calls("outcome = 'missed'")[0]
    assert (missed["start_utc"], missed["direction"]) == ("2026-10-13T07:05:00.000Z", "in")


def test_an_unsettled_day_month_order_is_flagged(household):
    rows = CDR_TABLE_DUMP.splitlines()[2].replace("12/10/2026", "5/10/2026") + "\n"    # day or month first?
    household.import_(household.write("cdr.csv", rows))
    (call,) = household.calls()
    assert (call["start_utc"], call["time_flag"]) == ("2026-10-05T09:20:07.000Z", "date-order-assumed:dd/mm")


def test_format_asterisk_csv_forced_on_freepbx_files(household):
    for name, text in (("report.csv", FREEPBX_REPORT), ("dump.csv", CDR_TABLE_DUMP)):
        r = household.import_(household.write(name, text), "asterisk-csv")
        assert (r.status, r.read, r.rejected) == ("imported", 3, 0), name
