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
