"""FRITZ!Box call monitor log: second-precision durations, merged into the box's call list."""

from test_import_fritzbox import GERMAN

MONITOR = """\
12.10.26 10:05:02;RING;1;0162345013;0123456789;SIP0;
12.10.26 10:05:09;DISCONNECT;1;0;
12.10.26 11:20:07;RING;0;0162345012;0123456789;SIP0;
12.10.26 11:20:15;CONNECT;0;10;0162345012;
12.10.26 11:20:17;DISCONNECT;0;2;
12.10.26 18:02:00;CALL;2;10;0123456789;0611223344;SIP0;
12.10.26 18:02:05;CONNECT;2;10;0611223344;
12.10.26 18:14:05;DISCONNECT;2;720;
12.10.26 19:00:00;RING;3;0162345019;0123456789;SIP0;
"""


def test_monitor_gives_seconds_and_ring_time(household):
    r = household.import_(household.write("monitor.log", MONITOR))
    assert (r.format, r.read, r.new, r.rejected) == ("fritzbox-monitor", 4, 3, 1)
    missed, answered, out = household.calls()
    assert (missed["outcome"], missed["ring_s"]) == ("missed", 7)
    assert (answered["duration_s"], answered["duration_precision_s"], answered["ring_s"]) == (2, 1, 8)
    assert answered["start_utc"] == "2026-10-12T09:20:07.000Z" and answered["locator"] == "line 3 to line 5"
    assert (out["direction"], out["duration_s"], out["number"]) == ("out", 720, "+33611223344")
    assert "still in progress" in household.store.rejects(r.import_id)[0]["reason"]


def test_monitor_and_call_list_are_one_call_each_the_finer_kept(household):
    household.import_(household.write("fritz.csv", GERMAN, encoding="iso-8859-1"))
    r = household.import_(household.write("monitor.log", MONITOR))
    assert r.merged == 3 and r.new == 0
    answered = household.calls("number = '+33162345012'")[0]
    assert (answered["family"], answered["duration_s"], answered["time_precision_s"]) == ("fritzbox-monitor", 2, 1)
    assert household.count("call_sources") == 3
