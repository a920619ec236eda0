"""The calls of the store as a pandas DataFrame, in the household's time zone, with the
per-call signals every later step reads.

Signals (boolean columns), on incoming calls:

* ``silent``: answered with talk time <= ``silent_max_s``, only where the source measures
  talk time finely enough (precision <= silent_max_s); a FRITZ!Box "0:01" is never silent;
* ``short``: answered with talk time under a minute at minute precision ("0:01"): short,
  not provably silent;
* ``missed``: not answered (missed, rejected, blocked); a call that reached voicemail is not
  "missed" (a caller who leaves a message is not a nuisance by that alone);
* ``ping``: missed after ringing less than ``ping_max_ring_s``, where ring time is known;
* ``withheld``: no number presented (withheld, unknown, payphone);
* ``weekend``, ``holiday`` (the rule pack's calendar), local ``hour``/``minute``/``weekday``;
* ``future`` (every call, read in ``load_calls``): dated more than ``FUTURE_MARGIN_MS`` after the
  import that brought it, which no real call can be (a phone whose clock jumped to 2030, 2038,
  2100). Such a call is kept and shown, but no rule counts it and no calendar spans to it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass

import holidays as holidays_lib
import numpy as np
import pandas as pd

from callwatch import bulkread

log = logging.getLogger(__name__)

OUTCOMES = ["answered", "missed", "rejected", "blocked", "voicemail", "unknown"]
PRESENTATIONS = ["allowed", "withheld", "unknown", "payphone"]
# Below this many calls a full read stays in process: starting the readers (Python, pyarrow, the
# driver) costs more than it saves (2 cores: even at 400,000 calls, 1.0x in process; 1,000,000
# calls: 0.97 s against 1.83 s; README, Benchmark).
BULK_MIN_CALLS = 500_000
BULK_PARTS = 2              # readers at once, each a span of start times (never more than the machine's cores)
# A call cannot happen after the export holding it was imported. A day of slack: a phone or box a
# few hours off (a wrong zone, a drifting clock) is not the clock glitch this flag is for.
FUTURE_MARGIN_MS = 24 * 3600 * 1000


def _codes(column: str, values: list[str], missing: int | None = None) -> str:
    """A CASE turning a text column into the index of its value (else ``missing``, by default
    the last value's index)."""
    whens = " ".join("WHEN '{}' THEN {}".format(v.replace("'", "''"), i) for i, v in enumerate(values))
    return f"CASE {column} {whens} ELSE {len(values) - 1 if missing is None else missing} END" if values \
        else str(-1 if missing is None else missing)


def _flags(lines: list[str]) -> str:
    """Direction, outcome, presentation and line as codes packed in one integer (``_unpack``)."""
    return (f"(c.direction = 'in') + 2 * ({_codes('c.outcome', OUTCOMES)}) "
            f"+ 16 * ({_codes('c.presentation', PRESENTATIONS)}) + 64 * ({_codes('c.line', lines, missing=-1)} + 1)")


def _select(lines: list[str], number: str, tail: str) -> str:
    """The scan's columns of each call, as integers (``number`` as given): each value SQLite
    hands over costs more than the arithmetic packing the codes."""
    return (f"SELECT c.id, c.start_ms, {_flags(lines)}, IFNULL(c.duration_s, -1), c.duration_precision_s, "
            f"IFNULL(c.ring_s, -1), {number}, c.import_id FROM calls c {tail}")


# The children's rows carry five values (the driver's cost is per value, not per byte): the flags
# with the import's id in mixed radix (``radix``: the line codes, -1 included), and the talk, ring
# and precision times in one integer, each within bounds SQL checks (else NULL: then the process
# reads the calls itself). A REAL or TEXT where an integer belongs fails the same way.
_TIMES = ("CASE WHEN IFNULL(c.duration_s, -1) BETWEEN -1 AND 2147483646 AND IFNULL(c.ring_s, -1) BETWEEN -1 AND 65534 "
          "AND c.duration_precision_s BETWEEN 0 AND 32767 THEN (IFNULL(c.duration_s, -1) + 1) "
          "+ 4294967296 * (IFNULL(c.ring_s, -1) + 1) + 281474976710656 * c.duration_precision_s END")


def _select_packed(lines: list[str], tail: str) -> str:
    return (f"SELECT c.id, c.start_ms, {_flags(lines)} + {64 * (len(lines) + 1)} * c.import_id, {_TIMES}, c.number "
            f"FROM calls c {tail}")


COLUMNS = ("id", "start_ms", "flags", "duration_s", "duration_precision_s", "ring_s", "number", "import_id")
_ROW = np.dtype([(name, np.int64) for name in COLUMNS])


def _unpack(flags: np.ndarray, radix: int | None = None) -> dict:
    """Direction, outcome, presentation and line codes out of ``_flags`` (int8, int32); with
    ``radix`` (the children's packing) the import's id above them, else the flags are spent."""
    small = flags.astype(np.int8)                      # the low bits: direction, outcome, presentation
    codes = {"incoming": small & 1, "outcome": (small >> 1) & 7, "presentation": (small >> 4) & 3}
    rest = np.right_shift(flags, 6, out=flags)         # in place: the flags' memory, not a copy
    if radix is None:
        codes["line"] = (rest - 1).astype(np.int32)
    else:
        codes["line"] = (rest % radix).astype(np.int32) - 1
        codes["import_id"] = np.floor_divide(rest, radix, out=rest)
    return codes


def _owned(values) -> np.ndarray:
    """A pyarrow column as a numpy array this module may change in place."""
    array = values.to_numpy()
    return array if array.flags.writeable else array.copy()


def _read_in_process(conn, lines, numbers, where: str) -> dict:
    """Every row through the sqlite3 module, straight into one structured array (no list of
    tuples); ``number``: the number's position in ``numbers``, -1 for none."""
    cur = conn.execute(_select(lines, "IFNULL(n.rowid, 0)",
                               f"LEFT JOIN numbers n ON n.number = c.number {where} ORDER BY c.start_ms, c.id"))
    rows = np.fromiter(cur, dtype=_ROW)
    cols = {name: np.array(rows[name]) for name in COLUMNS}      # contiguous copies
    cols.update(_unpack(cols.pop("flags")))
    lookup = np.full(int(numbers["code"].max() or 0) + 2 if len(numbers) else 2, -1, dtype=np.int64)
    lookup[numbers["code"].to_numpy(dtype=np.int64)] = np.arange(len(numbers))   # int even when empty
    cols["number"] = lookup[cols["number"]]
    return cols


def data_version(conn) -> int:
    """Changes when another connection (any process) commits to the store: SQLite's data_version."""
    return conn.execute("PRAGMA data_version").fetchone()[0]


@dataclass
class Prefetched:
    """Every call of a large store, read by child processes before the scan's snapshot opened."""
    version: int                  # the store's data_version before the children started
    lines: list[str]              # the line codes their SQL used
    tables: list | None           # their pyarrow Tables, by ascending spans of start time (taken once)


def prefetch(store) -> Prefetched | None:
    """Outside any transaction: every call of a large store read by child processes
    (callwatch/bulkread.py), each the calls of a span of time, in order of start then id (the
    order of the calls_start index: no sort), in snapshots of their own. ``load_calls``, in the
    caller's snapshot, takes them only if no other connection committed since they started.
    None for a small store (starting the children costs more than it saves) or a failed child."""
    conn = store.conn
    version = data_version(conn)
    lines = [r[0] for r in conn.execute("SELECT line FROM lines_seen ORDER BY line")]
    low, high = conn.execute("SELECT IFNULL(MIN(id), 0), IFNULL(MAX(id), 0) FROM calls").fetchone()
    if high - low + 1 < BULK_MIN_CALLS:
        return None
    last_import = conn.execute("SELECT IFNULL(MAX(id), 0) FROM imports").fetchone()[0]
    if 64 * (len(lines) + 1) * (last_import + 1) >= 1 << 62:     # no room left for the import's id
        return None
    count = conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
    parts = max(1, min(BULK_PARTS, os.cpu_count() or 1))
    # as many calls in each span: the start times at the quantiles, from the index
    cuts = [conn.execute("SELECT start_ms FROM calls ORDER BY start_ms LIMIT 1 OFFSET ?", [count * i // parts])
            .fetchone() for i in range(1, parts)]
    cuts = [int(c[0]) for c in cuts if c is not None]
    spans = [" AND ".join(term for term in (f"c.start_ms >= {lo}" if lo is not None else "",
                                            f"c.start_ms < {hi}" if hi is not None else "") if term)
             for lo, hi in zip([None, *cuts], [*cuts, None])]
    tables = bulkread.read(store.path, [_select_packed(lines, (f"WHERE {span} " if span else "")
                                                       + "ORDER BY c.start_ms, c.id") for span in spans])
    return Prefetched(version, lines, tables) if tables is not None else None


def _prefetched_columns(prefetched: Prefetched, numbers: pd.DataFrame) -> dict | None:
    """The children's rows as the in-process read gives them (the number's position in
    ``numbers``: what the in-process JOIN finds, equal text, a NULL matching nothing); None if a
    value did not fit its packing (read in process then)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    tables, prefetched.tables = prefetched.tables, None   # the memory goes with the frame's copy

    def fits(table):
        *ints, number = table.columns
        return all(c.type == pa.int64() and c.null_count == 0 for c in ints) and (
            pa.types.is_string(number.type) or number.null_count == len(number))
    if not all(fits(t) for t in tables):
        log.info("a call's value does not fit the readers' packing: the calls are read in process")
        return None
    ids, start, packed, times = (pa.chunked_array([c for t in tables for c in t.column(i).chunks], type=pa.int64())
                                 for i in range(4))
    # a span of withheld calls only: the driver took its numbers column (all NULL) for integers
    number = pa.chunked_array([c.cast(pa.string()) for t in tables for c in t.column(4).chunks], type=pa.string())
    del tables
    known = pa.array(numbers["number"], type=pa.string())
    position = pc.fill_null(pc.index_in(number, value_set=known, skip_nulls=True), -1)
    cols = {"id": ids.to_numpy(), "start_ms": start.to_numpy(), "number": position.to_numpy()}
    cols.update(_unpack(_owned(packed), radix=len(prefetched.lines) + 1))
    # few temporaries of ten million values: the first touch of fresh memory is what costs here
    times = _owned(times)
    cols["duration_s"] = (times & 0xFFFFFFFF) - 1
    ring = np.right_shift(times, 32)
    np.bitwise_and(ring, 0xFFFF, out=ring)
    cols["ring_s"] = np.subtract(ring, 1, out=ring)
    cols["duration_precision_s"] = np.right_shift(times, 48, out=times)
    return cols


def load_calls(store, zone: str, only: list[str] | None = None, withheld: bool = False,
               consumers: dict[str, str] | None = None, prefetched: Prefetched | None = None) -> pd.DataFrame:
    """Calls as compact columns (integers, categoricals), with local time columns: every call,
    or (``only`` given) only the calls of those numbers, plus incoming withheld ones if asked.
    ``line`` is the household line each call reached; ``consumer`` the person holding it
    (``consumers``: line -> holder, from callwatch.lines.holders; a line not listed is its own).

    SQLite hands over small integers only (codes for outcome, presentation and number): a
    million calls cost tens of megabytes, not a gigabyte of Python strings. ``prefetched``
    (``prefetch``): every call, already read; taken only if nothing was committed since, which
    the caller's read transaction (required then) tells."""
    conn = store.conn
    numbers = pd.read_sql_query("SELECT rowid AS code, number, kind, npv, country FROM numbers", conn)
    lines = [r[0] for r in conn.execute("SELECT line FROM lines_seen ORDER BY line")]
    fresh = (prefetched is not None and prefetched.tables is not None and only is None and conn.in_transaction
             and prefetched.version == data_version(conn) and prefetched.lines == lines)
    cols = _prefetched_columns(prefetched, numbers) if fresh else None
    if cols is None:
        where = ""
        if only is not None:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS scan_numbers (number TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM temp.scan_numbers")
            conn.executemany("INSERT OR IGNORE INTO temp.scan_numbers VALUES (?)", [(n,) for n in only])
            where = "WHERE c.number IN (SELECT number FROM temp.scan_numbers)"
            if withheld:
                where += " OR (c.number IS NULL AND c.direction = 'in')"
        cols = _read_in_process(conn, lines, numbers, where)
    return _frame(cols, numbers, lines, zone, import_times(conn), consumers)


def _frame(cols: dict, numbers: pd.DataFrame, lines: list[str], zone: str, imported: np.ndarray,
           consumers: dict[str, str] | None) -> pd.DataFrame:
    """The frame of the columns read (``_read_in_process``, ``_prefetched_columns``). Few
    temporaries of ten million values: the first touch of fresh memory is what costs most here."""
    pos = cols["number"]                                    # -1 where the call has no number

    def by_number(column):
        values = numbers[column]
        cats = pd.Index(sorted(values.dropna().unique()))
        per_number = np.where(values.notna(), cats.get_indexer(values), -1).astype(np.int32)
        # position -1 (no number) reads the -1 appended last
        return pd.Categorical.from_codes(np.append(per_number, np.int32(-1))[pos], categories=cats)

    def unknown_as_nan(seconds):                            # -1 read for NULL
        out = seconds.astype(np.float64)
        out[seconds < 0] = np.nan
        return out

    start_ms = cols["start_ms"]
    future = imported[cols["import_id"]]
    future += FUTURE_MARGIN_MS
    data = {
        "id": cols["id"], "start_ms": start_ms,
        "direction": pd.Categorical.from_codes(cols["incoming"], categories=["out", "in"]),
        "outcome": pd.Categorical.from_codes(cols["outcome"], categories=OUTCOMES),
        "duration_s": unknown_as_nan(cols["duration_s"]),
        "duration_precision_s": cols["duration_precision_s"],
        "ring_s": unknown_as_nan(cols["ring_s"]),
        "number": pd.Categorical.from_codes(pos, categories=pd.Index(numbers["number"])),
        "presentation": pd.Categorical.from_codes(cols["presentation"], categories=PRESENTATIONS),
        "kind": by_number("kind"), "npv": by_number("npv"), "country": by_number("country"),
        "future": np.greater(start_ms, future),
    }
    del future
    line_codes = cols["line"]                               # -1: a call stored before lines were
    data["line"] = pd.Categorical.from_codes(line_codes, categories=pd.Index(lines, dtype=object))
    holder = [(consumers or {}).get(ln, ln) for ln in lines]
    people = pd.Index(sorted(set(holder)), dtype=object)
    per_line = np.append(people.get_indexer(holder), -1).astype(np.int32)   # index -1 (no line) reads the last
    data["consumer"] = pd.Categorical.from_codes(per_line[line_codes], categories=people)
    # pandas' own conversion of each time to the zone, once; the calendar fields from the local
    # wall-clock seconds by integer arithmetic (floor division: right before 1970 too), which is
    # what .dt.normalize/.day_of_week/.hour/.minute/.second compute, one pass each
    utc = pd.DatetimeIndex((start_ms * 1000).view("datetime64[us]")).tz_localize("UTC")
    local = utc.tz_convert(zone)
    wall = local.tz_localize(None).asi8 // 1_000_000
    day = wall // 86400
    scratch = day * 86400
    second_of_day = np.subtract(wall, scratch, out=wall).astype(np.int32)
    del wall
    np.add(day, 3, out=scratch)                             # 1970-01-01 was a Thursday (Monday is 0)
    data["weekday"] = np.remainder(scratch, 7, out=scratch).astype(np.int32)
    del scratch
    data["utc"] = utc
    data["local"] = local
    data["day"] = day
    data["minute_of_day"] = second_of_day // 60
    data["second_of_day"] = second_of_day
    order = ["id", "start_ms", "direction", "outcome", "duration_s", "duration_precision_s", "ring_s", "number",
             "presentation", "kind", "npv", "country", "future", "line", "consumer", "utc", "local", "day",
             "weekday", "minute_of_day", "second_of_day"]
    # the arrays as they are, one block each: no copy into consolidated blocks, and selecting rows
    # (a campaign's, the incoming calls) takes one contiguous column at a time
    return pd.DataFrame({name: data[name] for name in order}, copy=False)


def import_times(conn) -> np.ndarray:
    """Each import's start (UTC epoch ms), indexed by import id; an id without one never flags."""
    rows = conn.execute("SELECT id, CAST(strftime('%s', started_at) AS INTEGER) * 1000 FROM imports").fetchall()
    times = np.full(max((r[0] for r in rows), default=0) + 1, np.iinfo(np.int64).max // 2, dtype=np.int64)
    for import_id, ms in rows:
        if ms is not None:
            times[import_id] = ms
    return times


def caller_names(store) -> dict[str, list[str]]:
    """The caller names each number was shown with (for the declared name patterns)."""
    rows = store.conn.execute("SELECT DISTINCT number, caller_name FROM calls "
                              "WHERE number IS NOT NULL AND caller_name IS NOT NULL AND direction = 'in'")
    names: dict[str, list[str]] = {}
    for number, name in rows:
        names.setdefault(number, []).append(name)
    return names


def add_signals(df: pd.DataFrame, detect, holiday_country: str) -> pd.DataFrame:
    incoming = df["direction"] == "in"
    answered = df["outcome"] == "answered"
    dur = df["duration_s"]
    prec = df["duration_precision_s"]
    fine = prec <= detect.silent_max_s
    df["incoming"] = incoming
    df["silent"] = incoming & answered & dur.notna() & (dur <= detect.silent_max_s) & fine
    df["short"] = incoming & answered & dur.notna() & ~fine & (dur <= prec)
    df["missed"] = incoming & df["outcome"].isin(["missed", "rejected", "blocked"])
    ring = df["ring_s"]
    df["ping"] = incoming & (df["outcome"] == "missed") & ring.notna() & (ring < detect.ping_max_ring_s)
    df["withheld"] = incoming & (df["presentation"] != "allowed")
    df["weekend"] = df["weekday"] >= 5
    df["holiday"] = False
    df["holiday_name"] = None
    # a few thousand days, not millions of calls; a call dated 2100 by a clock glitch must not
    # make the calendar span 75 years
    days = np.unique(df.loc[~df["future"], "day"].to_numpy()) if len(df) else []
    if holiday_country and len(days):
        dates = [days_to_date(d) for d in days]
        calendar = holidays_lib.country_holidays(holiday_country, years=range(dates[0].year, dates[-1].year + 1))
        names = {d: calendar.get(date) for d, date in zip(days, dates) if date in calendar}
        if names:
            df["holiday_name"] = df["day"].map(names)
            df["holiday"] = df["holiday_name"].notna()
    return df


SIGNAL_NAMES = ("silent", "short", "ping", "withheld", "weekend", "holiday", "future")


def signal_texts(calls: pd.DataFrame) -> list[str]:
    """Comma-separated signal names per call, computed column-wise."""
    text = np.full(len(calls), "", dtype=object)
    for name in SIGNAL_NAMES:
        text = text + np.where(calls[name].to_numpy(dtype=bool), name + ",", "")
    return [t[:-1] for t in text]


def days_to_date(day: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(day))


__all__ = ["load_calls", "add_signals", "signal_texts", "SIGNAL_NAMES"]
