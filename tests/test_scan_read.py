"""How a full scan reads the calls of a large store: child processes (callwatch/bulkread.py, ADBC's
SQLite into Arrow) give the very frame the in-process read gives, column by column, on a household
with every trap; the calendar columns are the zone's own; a commit racing the children is never
half seen; a child that fails leaves the read to the process, and says so without a number."""

import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from callwatch import bulkread, lines
from callwatch.detect import frame, scan
from callwatch.ingest import Importer
from callwatch.store import Store
from trap_household import CONFIG, Event, _cdr, _sbr, events, write_exports

ZONE = "Europe/Paris"


def _edges() -> list[Event]:
    """Calls on the landline at the edges a calendar gets wrong: the hour repeated and the hour
    skipped by DST in Paris, the last second of a day and of a year, before 1970's epoch day
    changes nothing; a clock glitch in 2037 (a ``future`` call)."""
    return [Event("home", dt.datetime(2026, 10, 25, 2, 30, 0), "x", "0612345670", "missed", 0, 7),
            Event("home", dt.datetime(2026, 3, 29, 2, 30, 0), "x", "0612345671", "answered", 30),
            Event("home", dt.datetime(2026, 10, 25, 3, 0, 0), "x", "0612345672", "answered", 2),
            Event("home", dt.datetime(2025, 12, 31, 23, 59, 59), "x", "0612345673", "missed", 0, 3),
            Event("home", dt.datetime(2026, 11, 2, 0, 0, 0), "x", "0612345674", "answered", 61),
            Event("home", dt.datetime(2037, 6, 1, 12, 0, 0), "x", "0612345675", "answered", 5)]


@pytest.fixture
def traps(make_household):
    """The trap household (three phones, imported one after the other: ids do not follow time),
    the DST and glitch edges imported last, a number the numbers table lost (a store from before
    it was filled) and a call from before lines were recorded."""
    h = make_household(CONFIG, name="traps")
    for path in write_exports(h.exports, events()):
        assert h.import_(path).rejected == 0
    edges = h.write("Master-edges.csv", "".join(_cdr(e, 90_000 + i) + "\n" for i, e in enumerate(_edges())))
    assert h.import_(edges).new == len(_edges())
    conn = h.store.conn
    conn.execute("DELETE FROM numbers WHERE number = '+33612345674'")
    conn.execute("UPDATE calls SET line = NULL WHERE number = '+33612345673'")
    # the largest talk, ring and precision times the children's packing carries
    conn.execute("UPDATE calls SET duration_s = 2147483646, ring_s = 65534, duration_precision_s = 32767 "
                 "WHERE number = '+33612345675'")
    return h


def _load(h, prefetched=None):
    h.store.conn.execute("BEGIN")
    try:
        return frame.load_calls(h.store, ZONE, consumers=lines.holders(h.config), prefetched=prefetched)
    finally:
        h.store.conn.execute("COMMIT")


def test_children_read_the_frame_the_process_reads(traps, monkeypatch):
    h = traps
    monkeypatch.setattr(frame, "BULK_MIN_CALLS", 1)
    monkeypatch.setattr(frame, "BULK_PARTS", 3)                 # three ranges of ids, three children
    monkeypatch.setattr(frame.os, "cpu_count", lambda: 4)
    prefetched = frame.prefetch(h.store)
    assert prefetched is not None and len(prefetched.tables) == 3
    children = _load(h, prefetched)
    assert prefetched.tables is None                            # taken: nothing was committed since
    process = _load(h)
    pd.testing.assert_frame_equal(children, process, check_exact=True)
    # the traps are in the frame: ids out of time order, withheld calls, a number the numbers table
    # does not hold, a call without a line, unknown ring times, a future call, three outcomes
    assert not process["id"].is_monotonic_increasing
    assert (process["presentation"] != "allowed").any()
    lost = process[process["start_ms"] == _edges()[4].start_ms]
    assert len(lost) == 1 and lost["number"].isna().all() and (lost["presentation"] == "allowed").all()
    assert process["line"].isna().sum() == 1 and process["consumer"].isna().sum() == 1
    assert process["ring_s"].isna().any() and process["future"].sum() == 1
    glitch = process[process["future"]].iloc[0]
    assert (glitch["duration_s"], glitch["ring_s"], glitch["duration_precision_s"]) == (2147483646, 65534, 32767)
    assert set(process["outcome"]) >= {"answered", "missed", "voicemail"}
    assert len(process) == h.count()


@pytest.mark.parametrize("column, value", [("duration_s", 2147483647), ("ring_s", 65535),
                                           ("duration_precision_s", 32768), ("duration_s", 12.5)])
def test_a_value_the_packing_cannot_carry_is_read_in_process(traps, monkeypatch, caplog, column, value):
    h = traps
    h.store.conn.execute(f"UPDATE calls SET {column} = ? WHERE number = '+33612345671'", [value])
    monkeypatch.setattr(frame, "BULK_MIN_CALLS", 1)
    prefetched = frame.prefetch(h.store)
    assert prefetched is not None
    with caplog.at_level(logging.INFO, logger="callwatch.detect.frame"):
        children = _load(h, prefetched)
    assert any("read in process" in r.getMessage() for r in caplog.records)
    pd.testing.assert_frame_equal(children, _load(h), check_exact=True)


def test_the_calendar_columns_are_the_zones_own(traps):
    df = _load(traps)
    zone = ZoneInfo(ZONE)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    for row in df.itertuples():
        local = (epoch + dt.timedelta(milliseconds=int(row.start_ms))).astimezone(zone)
        assert row.local == pd.Timestamp(local) and row.utc == pd.Timestamp(local)
        assert row.local.utcoffset() == local.utcoffset()
        assert row.day == (local.date() - dt.date(1970, 1, 1)).days
        assert (row.weekday, row.minute_of_day) == (local.weekday(), local.hour * 60 + local.minute)
        assert row.second_of_day == local.hour * 3600 + local.minute * 60 + local.second
    repeated = df[df["start_ms"] == _edges()[0].start_ms]
    assert len(repeated) == 1 and repeated["minute_of_day"].iloc[0] == 150


def test_a_commit_after_the_children_read_is_not_half_seen(traps, monkeypatch):
    """The box logged a call at the minute (60 s, minute precision: "short", never provably silent).
    Once the children have read it, and before the scan's snapshot opens, another process imports
    the PBX's record of the same call, to the second: answered, 1 s of talk (silent); the call keeps
    its id and takes the finer record. The snapshot knows that import, the children's rows do not:
    the scan reads the calls again, in process, and sees one silent call."""
    h = traps
    box = h.write("fritz.csv", "sep=;\nTyp;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer\n"
                               "1;11.10.26 11:20;;0162345012;;Internet: 0123456789;0:01\n")
    assert h.import_(box).new == 1
    pbx = h.write("Master-pbx.csv", _cdr(Event("home", dt.datetime(2026, 10, 11, 11, 20, 7), "operator",
                                               "0162345012", "answered", 1, 4), 96_000) + "\n")
    monkeypatch.setattr(frame, "BULK_MIN_CALLS", 1)
    read, passes = bulkread.read, []

    def racing(path, queries):
        passes.append(read(path, queries))
        other = Store(h.config.data_dir)
        try:
            assert Importer(other, h.config).import_file(Path(pbx)).merged == 1
        finally:
            other.close()
        return passes[-1]

    monkeypatch.setattr(bulkread, "read", racing)
    result = scan(h.store, h.config, full=True)
    assert len(passes) == 1 and passes[0] is not None
    conn = h.store.conn
    (merged_id,) = conn.execute("SELECT call_id FROM call_sources WHERE family = 'fritzbox'").fetchone()
    assert conn.execute("SELECT family, duration_s FROM calls WHERE id = ?", [merged_id]).fetchone() == ("asterisk", 1)
    operator = next(f for f in result.findings if f["key"] == "operator")
    assert conn.execute("SELECT attribution, signals FROM finding_calls WHERE finding_id = ? AND call_id = ?",
                        [operator["id"], merged_id]).fetchone() == ("declared", "silent,weekend")
    recorded = conn.execute("SELECT max_call_id, max_import_id, calls_considered FROM scans WHERE id = ?",
                            [result.scan_id]).fetchone()
    assert recorded == conn.execute("SELECT MAX(id), (SELECT MAX(id) FROM imports), COUNT(*) FROM calls").fetchone()


def test_a_child_that_fails_leaves_the_read_to_the_process(make_household, monkeypatch, caplog):
    """The driver infers a column's type from its first batch: with batches of one row and a first
    call without a number, the numbers column is taken for integers and the child fails on the
    next row. The scan is the one the process alone finds, and the log names no number."""
    h = make_household(CONFIG, name="withheld-first")
    first = h.write("calls-first.xml", _sbr([Event("anne", dt.datetime(2026, 8, 30, 9, 0), "dialler", "", "answered", 1)]))
    for path in [first, *write_exports(h.exports, events())]:
        assert h.import_(path).rejected == 0
    assert h.store.conn.execute("SELECT number FROM calls ORDER BY id LIMIT 1").fetchone() == (None,)
    expected = scan(h.store, h.config, full=True).findings
    monkeypatch.setattr(frame, "BULK_MIN_CALLS", 1)
    monkeypatch.setattr(frame.os, "cpu_count", lambda: 1)
    monkeypatch.setattr(bulkread, "BATCH_ROWS", 1)
    with caplog.at_level(logging.WARNING, logger="callwatch.bulkread"):
        failed = scan(h.store, h.config, full=True).findings
    messages = [r.getMessage() for r in caplog.records if r.name == "callwatch.bulkread"]
    assert len(messages) == 1 and "reading them in process" in messages[0]
    assert "+33" not in messages[0] and "SELECT" not in messages[0]
    assert len(expected) >= 3

    def same(findings):
        return [{k: v for k, v in f.items() if k not in ("id", "scan_id")} for f in findings]
    assert same(failed) == same(expected)


def test_no_reader_process_to_be_had_leaves_the_read_to_the_process(traps, monkeypatch, caplog):
    """The machine refuses a new process (EAGAIN: too many, no memory): the scan reads in process."""
    import errno
    h = traps
    monkeypatch.setattr(frame, "BULK_MIN_CALLS", 1)

    def refuse(*args, **kwargs):
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
    monkeypatch.setattr(bulkread.subprocess, "Popen", refuse)
    with caplog.at_level(logging.WARNING, logger="callwatch.bulkread"):
        assert frame.prefetch(h.store) is None
    assert [r.getMessage() for r in caplog.records] == [
        "could not start a reader process (Resource temporarily unavailable); reading the calls in process"]
    assert len(_load(h)) == h.count()
