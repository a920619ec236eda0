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

import holidays as holidays_lib
import numpy as np
import pandas as pd

OUTCOMES = ["answered", "missed", "rejected", "blocked", "voicemail", "unknown"]
PRESENTATIONS = ["allowed", "withheld", "unknown", "payphone"]
_CHUNK = 200_000
# A call cannot happen after the export holding it was imported. A day of slack: a phone or box a
# few hours off (a wrong zone, a drifting clock) is not the clock glitch this flag is for.
FUTURE_MARGIN_MS = 24 * 3600 * 1000


def _codes(column: str, values: list[str], missing: int | None = None) -> str:
    """A CASE turning a text column into the index of its value (else ``missing``, by default
    the last value's index)."""
    whens = " ".join("WHEN '{}' THEN {}".format(v.replace("'", "''"), i) for i, v in enumerate(values))
    return f"CASE {column} {whens} ELSE {len(values) - 1 if missing is None else missing} END" if values \
        else str(-1 if missing is None else missing)


def load_calls(store, zone: str, only: list[str] | None = None, withheld: bool = False,
               consumers: dict[str, str] | None = None) -> pd.DataFrame:
    """Calls as compact columns (integers, categoricals), with local time columns: every call,
    or (``only`` given) only the calls of those numbers, plus incoming withheld ones if asked.
    ``line`` is the household line each call reached; ``consumer`` the person holding it
    (``consumers``: line -> holder, from callwatch.lines.holders; a line not listed is its own).

    SQLite hands over small integers only (codes for outcome, presentation and number), read
    in chunks straight into numpy: a million calls cost tens of megabytes, not a gigabyte of
    Python strings."""
    conn = store.conn
    numbers = pd.read_sql_query("SELECT rowid AS code, number, kind, npv, country FROM numbers", conn)
    lines = [r[0] for r in conn.execute("SELECT line FROM lines_seen ORDER BY line")]
    where = ""
    if only is not None:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS scan_numbers (number TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM temp.scan_numbers")
        conn.executemany("INSERT OR IGNORE INTO temp.scan_numbers VALUES (?)", [(n,) for n in only])
        where = "WHERE c.number IN (SELECT number FROM temp.scan_numbers)"
        if withheld:
            where += " OR (c.number IS NULL AND c.direction = 'in')"
    cur = conn.execute(
        f"SELECT c.id, c.start_ms, c.direction = 'in', {_codes('c.outcome', OUTCOMES)}, "
        f"IFNULL(c.duration_s, -1), c.duration_precision_s, IFNULL(c.ring_s, -1), IFNULL(n.rowid, 0), "
        f"{_codes('c.presentation', PRESENTATIONS)}, {_codes('c.line', lines, missing=-1)}, c.import_id "
        f"FROM calls c LEFT JOIN numbers n ON n.number = c.number {where} ORDER BY c.start_ms, c.id")
    chunks = []
    while rows := cur.fetchmany(_CHUNK):
        chunks.append(np.array(rows, dtype=np.int64))
    a = np.concatenate(chunks) if chunks else np.empty((0, 11), dtype=np.int64)
    lookup = np.full(int(numbers["code"].max() or 0) + 2 if len(numbers) else 2, -1, dtype=np.int64)
    lookup[numbers["code"].to_numpy(dtype=np.int64)] = np.arange(len(numbers))   # int even when empty
    pos = lookup[a[:, 7]]                                   # -1 where the call has no number

    def by_number(column):
        values = numbers[column]
        cats = pd.Index(sorted(values.dropna().unique()))
        per_number = np.where(values.notna(), cats.get_indexer(values), -1)
        return pd.Categorical.from_codes(np.where(pos >= 0, per_number[pos], -1) if len(numbers) else pos,
                                         categories=cats)

    df = pd.DataFrame({
        "id": a[:, 0], "start_ms": a[:, 1],
        "direction": pd.Categorical.from_codes(a[:, 2], categories=["out", "in"]),
        "outcome": pd.Categorical.from_codes(a[:, 3], categories=OUTCOMES),
        "duration_s": np.where(a[:, 4] >= 0, a[:, 4], np.nan),
        "duration_precision_s": a[:, 5],
        "ring_s": np.where(a[:, 6] >= 0, a[:, 6], np.nan),
        "number": pd.Categorical.from_codes(pos, categories=pd.Index(numbers["number"])),
        "presentation": pd.Categorical.from_codes(a[:, 8], categories=PRESENTATIONS),
        "kind": by_number("kind"), "npv": by_number("npv"), "country": by_number("country"),
        "future": a[:, 1] > import_times(conn)[a[:, 10]] + FUTURE_MARGIN_MS,
    })
    line_codes = a[:, 9]                                    # -1: a call stored before lines were
    df["line"] = pd.Categorical.from_codes(line_codes, categories=pd.Index(lines, dtype=object))
    holder = [(consumers or {}).get(ln, ln) for ln in lines]
    people = pd.Index(sorted(set(holder)), dtype=object)
    per_line = np.append(people.get_indexer(holder), -1)    # index -1 (no line) reads the last: -1
    df["consumer"] = pd.Categorical.from_codes(per_line[line_codes], categories=people)
    utc = pd.to_datetime(df["start_ms"], unit="ms", utc=True)
    local = utc.dt.tz_convert(zone)
    df["utc"] = utc
    df["local"] = local
    df["day"] = (local.dt.tz_localize(None).dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    df["weekday"] = local.dt.day_of_week
    df["minute_of_day"] = local.dt.hour * 60 + local.dt.minute
    df["second_of_day"] = df["minute_of_day"] * 60 + local.dt.second
    return df


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
