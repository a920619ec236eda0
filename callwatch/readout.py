"""What the edges show, read from the store: the latest findings as `callwatch scan --json` gives
them, the calls of a finding or of a number, and the counts the page's charts draw.

The command line and the web page (callwatch/web) call these same functions, so the figures they
show cannot disagree. Reads only, and nothing here loads pandas: the web page's process stays small.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SEVERITY_ORDER = "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"
# Outcomes as the per-day chart stacks them; rejected and blocked are one band.
OUTCOME_BANDS = ("answered", "missed", "voicemail", "rejected", "unknown")


def stored_findings(store) -> list[dict]:
    """The latest scan's findings, most severe first, stats parsed, rules apart."""
    rows = list(store.db.query(
        f"SELECT * FROM findings ORDER BY {SEVERITY_ORDER}, "
        "json_extract(stats, '$.calls') DESC, json_extract(stats, '$.leads.calls') DESC, id"))
    for r in rows:
        r["stats"] = json.loads(r["stats"])
        r["rules"] = r["stats"].pop("rules", {})
        r["rules_if_confirmed"] = r["stats"].pop("rules_if_confirmed", dict(r["rules"]))
    return rows


def latest_scan(store) -> dict | None:
    return next(store.db.query("SELECT * FROM scans ORDER BY id DESC LIMIT 1"), None)


def findings_document(store, config) -> dict:
    """The `scan --json` document of the latest scan (a contract: tests and other tools read it)."""
    scan = latest_scan(store) or {}
    out = {"scan_id": scan.get("id"), "mode": scan.get("mode"),
           "rule_pack": {"id": scan.get("rule_pack"), "version": scan.get("rule_pack_version")},
           "timezone": config.timezone, "findings": []}
    for f in stored_findings(store):
        item = {k: f[k] for k in ("id", "key", "category", "label", "company", "severity", "why",
                                  "first_utc", "last_utc", "stats", "rules", "rules_if_confirmed")}
        item["numbers"] = finding_numbers(store, f["id"])
        item["breaches"] = list(store.db.query(
            "SELECT rule_id AS rule, call_id, detail FROM breaches WHERE finding_id = ? ORDER BY id", [f["id"]]))
        out["findings"].append(item)
    return out


def finding_numbers(store, finding_id: int) -> list[dict]:
    return list(store.db.query(
        "SELECT number, basis, detail, certainty, similarity FROM finding_numbers WHERE finding_id = ? "
        "ORDER BY number", [finding_id]))


_CALL_SELECT = ("SELECT c.*, {extra}, i.original_name AS source FROM {source} JOIN imports i ON i.id = c.import_id")


def finding_calls(store, finding_id: int) -> list[dict]:
    """Every call of a finding (counted, leads, excluded), oldest first, with its tier, signals,
    the rules it breaks (one ``rule_id: detail`` a line) and its source file."""
    extra = ("fc.signals, fc.attribution, fc.decision_id, (SELECT group_concat(b.rule_id || ': ' || b.detail, "
             "char(10)) FROM breaches b WHERE b.finding_id = fc.finding_id AND b.call_id = c.id) AS broken")
    return list(store.db.query(
        _CALL_SELECT.format(extra=extra, source="finding_calls fc JOIN calls c ON c.id = fc.call_id")
        + " WHERE fc.finding_id = ? ORDER BY c.start_ms, c.id", [finding_id]))


def number_calls(store, key: str) -> list[dict]:
    """Every call from or to one number (its normalised key)."""
    extra = "NULL AS signals, NULL AS attribution, NULL AS decision_id, NULL AS broken"
    return list(store.db.query(_CALL_SELECT.format(extra=extra, source="calls c")
                               + " WHERE c.number = ? ORDER BY c.start_ms, c.id", [key]))


def local(ms: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).astimezone(tz)


def _midnights(first: date, days: int, tz: ZoneInfo) -> list[int]:
    """UTC ms of each local midnight from `first`, days + 1 of them (a DST day is 23 or 25 h long)."""
    return [int(datetime.combine(first + timedelta(days=i), datetime.min.time(), tz).timestamp() * 1000)
            for i in range(days + 1)]


def calls_per_day(store, config, days: int = 90, today: date | None = None) -> dict:
    """Incoming calls of the household per local day over `days` days ending today (or at the
    newest call, when every call is older than that), stacked by outcome."""
    tz = ZoneInfo(config.timezone)
    newest = store.conn.execute("SELECT MAX(start_ms) FROM calls WHERE direction = 'in'").fetchone()[0]
    end = today or datetime.now(tz).date()
    if newest is not None and local(newest, tz).date() < end - timedelta(days=days - 1):
        end = local(newest, tz).date()
    first = end - timedelta(days=days - 1)
    edges = _midnights(first, days, tz)
    counts = {band: [0] * days for band in OUTCOME_BANDS}
    for start_ms, outcome in store.conn.execute(
            "SELECT start_ms, outcome FROM calls WHERE direction = 'in' AND start_ms >= ? AND start_ms < ?",
            [edges[0], edges[-1]]):
        i = bisect.bisect_right(edges, start_ms) - 1
        band = "rejected" if outcome == "blocked" else outcome if outcome in OUTCOME_BANDS else "unknown"
        counts[band][i] += 1
    return {"first": first, "last": end, "days": [first + timedelta(days=i) for i in range(days)],
            "counts": counts}


def hour_weekday(calls: list[dict], tz: ZoneInfo) -> list[list[int]]:
    """7 x 24 counts (Monday first) of the calls' local weekday and hour."""
    grid = [[0] * 24 for _ in range(7)]
    for c in calls:
        t = local(c["start_ms"], tz)
        grid[t.weekday()][t.hour] += 1
    return grid


def per_day_by(calls: list[dict], tz: ZoneInfo, key) -> dict:
    """Calls per local day from the first call's day to the last's, stacked by key(call)."""
    if not calls:
        return {"days": [], "counts": {}}
    first = local(calls[0]["start_ms"], tz).date()
    last = local(calls[-1]["start_ms"], tz).date()
    n = (last - first).days + 1
    counts: dict[str, list[int]] = {}
    for c in calls:
        i = (local(c["start_ms"], tz).date() - first).days
        counts.setdefault(key(c), [0] * n)[i] += 1
    return {"days": [first + timedelta(days=i) for i in range(n)], "counts": counts}


def holidays_with_calls(calls: list[dict], tz: ZoneInfo, country: str | None, lang: str = "en") -> list[tuple]:
    """(date, holiday name, calls) for each public holiday of `country` on which calls came."""
    if not country or not calls:
        return []
    import holidays
    days = Counter(local(c["start_ms"], tz).date() for c in calls)
    years = sorted({d.year for d in days})
    try:
        calendar = holidays.country_holidays(country, years=years, language=lang)
    except (NotImplementedError, KeyError, AttributeError):
        return []
    return [(d, calendar.get(d), n) for d, n in sorted(days.items()) if d in calendar]
