"""FreeSWITCH mod_cdr_csv default template, as written and as re-saved by a spreadsheet."""

WRITTEN = '''\
"Exemple","0162345012","0123456789","public","2026-10-12 11:20:07","2026-10-12 11:20:15","2026-10-12 11:20:17","10","2","NORMAL_CLEARING","a3c1e0f2-1111-4a2b-9c3d-000000000001","","","PCMA","PCMA"
"","0162345013","0123456789","public","2026-10-12 12:00:00","","2026-10-12 12:00:20","20","0","ORIGINATOR_CANCEL","a3c1e0f2-1111-4a2b-9c3d-000000000002","","","PCMA","PCMA"
"Home","1000","0611223344","default","2026-10-12 18:00:00","2026-10-12 18:00:09","2026-10-12 18:10:09","609","600","NORMAL_CLEARING","a3c1e0f2-1111-4a2b-9c3d-000000000003","b0000000-1111-4a2b-9c3d-000000000003","","PCMA","PCMA"
"Exemple","0162345012","0123456789","public","2026-10-12 11:20:07","2026-10-12 11:20:15","2026-10-12 11:20:17","10","2","NORMAL_CLEARING","a3c1e0f2-1111-4a2b-9c3d-000000000001","","","PCMA","PCMA"
'''

RESAVED = '''\
Exemple,0162345014,0123456789,public,2020/2/10 22:41,2020/2/10 22:41,2020/2/10 22:42,45,40,NORMAL_CLEARING,c0ffee00-1111-4a2b-9c3d-000000000009,,,PCMU,PCMU
'''


def test_default_template_direction_causes_and_repeated_uuid(household):
    r = household.import_(household.write("Master.csv", WRITTEN))
    assert (r.format, r.read, r.new, r.duplicate) == ("freeswitch-csv", 4, 3, 1)
    first, missed, out = household.calls()
    assert (first["outcome"], first["duration_s"], first["ring_s"], first["caller_name"]) == ("answered", 2, 8, "Exemple")
    assert first["start_utc"] == "2026-10-12T09:20:07.000Z"
    assert (missed["outcome"], missed["ring_s"]) == ("missed", 20)
    assert (out["direction"], out["number"], out["duration_s"]) == ("out", "+33611223344", 600)


def test_spreadsheet_resave_without_quotes_or_seconds(household):
    r = household.import_(household.write("cdr.csv", RESAVED))
    assert (r.format, r.new) == ("freeswitch-csv", 1)
    call = household.calls()[0]
    assert (call["time_raw"], call["time_precision_s"], call["start_utc"]) == \
        ("2020/2/10 22:41", 60, "2020-02-10T21:41:00.000Z")


def test_a_connected_call_is_answered_whatever_its_hangup_cause(household):
    rows = (
        '"Exemple","0162345012","0123456789","public","2026-10-12 11:20:07","2026-10-12 11:20:15",'
        '"2026-10-12 11:20:50","43","35","NORMAL_UNSPECIFIED","a3c1e0f2-1111-4a2b-9c3d-000000000011","","","PCMA","PCMA"\n'
        '"","0162345013","0123456789","public","2026-10-12 12:00:00","2026-10-12 12:00:03",'
        '"2026-10-12 12:00:15","15","12","RECOVERY_ON_TIMER_EXPIRE","a3c1e0f2-1111-4a2b-9c3d-000000000012","","","PCMA","PCMA"\n'
        '"","0162345014","0123456789","public","2026-10-12 13:00:00","",'
        '"2026-10-12 13:00:30","30","0","RECOVERY_ON_TIMER_EXPIRE","a3c1e0f2-1111-4a2b-9c3d-000000000013","","","PCMA","PCMA"\n')
    r = household.import_(household.write("Master.csv", rows))
    assert (r.read, r.new) == (3, 3)
    unspecified, timer, never = household.calls()
    assert (unspecified["outcome"], unspecified["duration_s"], unspecified["source_type"]) == \
        ("answered", 35, "NORMAL_UNSPECIFIED")
    assert (timer["outcome"], timer["duration_s"]) == ("answered", 12)
    assert never["outcome"] == "unknown"               # never answered: the cause alone does not say more


def test_a_call_between_two_extensions_is_refused_as_in_asterisk(household):
    # the same rule in both PBX importers (asterisk_csv.internal_call): counted, with its reason
    rows = WRITTEN + ('"Home","100","101","default","2026-10-12 20:00:00","2026-10-12 20:00:02","2026-10-12 20:01:00",'
                      '"60","58","NORMAL_CLEARING","a3c1e0f2-1111-4a2b-9c3d-000000000020","","","PCMA","PCMA"\n')
    r = household.import_(household.write("Master.csv", rows))
    assert (r.read, r.new, r.duplicate, r.rejected) == (5, 3, 1, 1)
    (reject,) = household.store.rejects(r.import_id)
    assert "internal call between extensions 100 and 101" in reject["reason"]
    assert reject["raw"].startswith('"Home","100","101","default"')       # the line as it is in the file
