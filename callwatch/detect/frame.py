"""The calls of the store as a pandas DataFrame, in the household's time zone, with the
per-call signals every later step reads.

Signals (boolean columns), on incoming calls:

* ``silent``: answered with talk time <= ``silent_max_s``, only where the source measures
  talk time finely enough (precision <= silent_max_s); a FRITZ!Box "0:01" is never silent;
* ``short``: answered with talk time under a minute at minute precision ("0:01"): short,
  not provably silent;
* ``ping``: missed after ringing less than ``ping_max_ring_s``, where ring time is known;
* ``withheld``: no number presented (withheld, unknown, payphone);
* ``weekend``, ``holiday`` (the rule pack's calendar), local ``hour``/``minute``/``weekday``.
"""

from __future__ import annotations

import datetime as dt

import holidays as holidays_lib
import numpy as np
import pandas as pd

COLUMNS = ("id, start_ms, direction, outcome, duration_s, duration_precision_s, ring_s, number, "
           "presentation, caller_name, own_line, import_id")


def load_calls(store, zone: str) -> pd.DataFrame:
    """Every call, with local time columns and the facts of its number."""
    df = pd.read_sql_query(
        f"SELECT c.{COLUMNS.replace(', ', ', c.')}, n.kind, n.npv, n.country "
        "FROM calls c LEFT JOIN numbers n ON n.number = c.number ORDER BY c.start_ms, c.id",
        store.conn, dtype={"number": "object", "caller_name": "object", "own_line": "object"})
    utc = pd.to_datetime(df["start_ms"], unit="ms", utc=True)
    local = utc.dt.tz_convert(zone)
    df["utc"] = utc
    df["local"] = local
    df["day"] = (local.dt.tz_localize(None).dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    df["weekday"] = local.dt.day_of_week
    df["minute_of_day"] = local.dt.hour * 60 + local.dt.minute
    df["second_of_day"] = df["minute_of_day"] * 60 + local.dt.second
    return df


def add_signals(df: pd.DataFrame, detect, holiday_country: str) -> pd.DataFrame:
    incoming = df["direction"] == "in"
    answered = df["outcome"] == "answered"
    dur = df["duration_s"]
    prec = df["duration_precision_s"]
    fine = prec <= detect.silent_max_s
    df["incoming"] = incoming
    df["silent"] = incoming & answered & dur.notna() & (dur <= detect.silent_max_s) & fine
    df["short"] = incoming & answered & dur.notna() & ~fine & (dur <= prec)
    df["missed"] = incoming & df["outcome"].isin(["missed", "rejected", "blocked", "voicemail"])
    ring = df["ring_s"]
    df["ping"] = incoming & (df["outcome"] == "missed") & ring.notna() & (ring < detect.ping_max_ring_s)
    df["withheld"] = incoming & (df["presentation"] != "allowed")
    df["weekend"] = df["weekday"] >= 5
    df["holiday"] = False
    df["holiday_name"] = None
    if holiday_country and len(df):
        days = np.unique(df["day"].to_numpy())          # a few thousand days, not millions of calls
        dates = [days_to_date(d) for d in days]
        calendar = holidays_lib.country_holidays(holiday_country, years=range(dates[0].year, dates[-1].year + 1))
        names = {d: calendar.get(date) for d, date in zip(days, dates) if date in calendar}
        if names:
            df["holiday_name"] = df["day"].map(names)
            df["holiday"] = df["holiday_name"].notna()
    return df


SIGNAL_NAMES = ("silent", "short", "ping", "withheld", "weekend", "holiday")


def signal_texts(calls: pd.DataFrame) -> list[str]:
    """Comma-separated signal names per call, computed column-wise."""
    text = np.full(len(calls), "", dtype=object)
    for name in SIGNAL_NAMES:
        text = text + np.where(calls[name].to_numpy(dtype=bool), name + ",", "")
    return [t[:-1] for t in text]


def fmt_local(ts) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S %Z")


def days_to_date(day: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(day))


__all__ = ["load_calls", "add_signals", "signal_texts", "SIGNAL_NAMES"]
