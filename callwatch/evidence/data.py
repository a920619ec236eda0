"""What a pack says, gathered once from the store: the finding, its numbers, its calls with
their signals and broken rules, the source exports. The PDF, the CSV, the JSON and the
letters are all rendered from this one object, so their figures cannot disagree."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from callwatch import lines as lines_mod
from callwatch.detect import review, rules as rules_mod
from callwatch.detect.campaigns import COUNTED, LEADS
from callwatch.errors import CallwatchError
from callwatch.numbers import Normaliser

SEVERITY_ORDER = "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"


@dataclass
class PackData:
    finding: dict
    numbers: list[dict]
    calls: list[dict]                        # the counted calls (declared, same-block, confirmed): every figure
    breaches: dict[str, list[dict]]          # rule id -> [{call_id, detail}], on counted calls only
    rules: dict[str, rules_mod.Rule]
    pack: rules_mod.RulePack
    sources: list[dict]
    config: object
    generated_at: datetime                   # aware, UTC
    period: tuple[date | None, date | None]
    objections: list = field(default_factory=list)
    leads: list[dict] = field(default_factory=list)      # rotation / probable calls: shown apart, never counted
    excluded: list[dict] = field(default_factory=list)   # calls the user excluded, with the decision
    decisions: list = field(default_factory=list)        # review.Decision in force that concern this finding
    line_names: dict = field(default_factory=dict)       # line key -> label
    date_given: bool = False                 # generated_at was given by the user (--at), not read from the clock
    future_calls: list[dict] = field(default_factory=list)   # dated after their import: shown apart

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.timezone)

    @property
    def subject(self) -> str:
        return self.finding["company"] or self.finding["label"]

    @property
    def slug(self) -> str:
        text = re.sub(r"[^A-Za-z0-9+]+", "-", _ascii(self.subject)).strip("-").lower()
        return text[:40] or "finding"

    def line_key(self, line) -> str:
        """A configured line's key (its E.164 number), as calls.line holds it."""
        return lines_mod.line_key(line, Normaliser(self.config.region))

    def line_name(self, line: str | None, lang: str = "en") -> str:
        return lines_mod.name(line, self.line_names, lang)

    def rules_if_confirmed(self) -> dict[str, int]:
        """Per rule: the breaches found on the counted calls and the leads together (the scan's
        figure, for the calls of the finding; a pack cut to a period says so beside it)."""
        return dict(self.finding["stats"].get("rules_if_confirmed") or {})

    def figures(self) -> dict:
        """The summary figures, computed from the counted calls themselves."""
        calls = self.calls
        days = Counter(c["local_date"] for c in calls)
        signals = Counter(s for c in calls for s in c["signals"].split(",") if s)
        after = {b["call_id"] for rid, bs in self.breaches.items()
                 if self.rules[rid].kind in ("after_objection", "cooldown_after") for b in bs}
        return {
            "calls": len(calls),
            "answered": sum(c["outcome"] == "answered" for c in calls),
            "missed": sum(c["outcome"] == "missed" for c in calls),
            "rejected": sum(c["outcome"] in ("rejected", "blocked") for c in calls),
            "voicemail": sum(c["outcome"] == "voicemail" for c in calls),
            "silent": signals["silent"],
            "short": signals["short"],
            "withheld": signals["withheld"],
            "days_with_calls": len(days),
            "max_per_day": max(days.values()) if days else 0,
            "after_objection": len(after),
            "numbers": len({c["number"] for c in calls if c["number"]}),
            "first": calls[0]["local"] if calls else "",
            "last": calls[-1]["local"] if calls else "",
        }


def _ascii(text: str) -> str:
    import unicodedata
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def gather(store, config, *, finding_id: int | None = None, number: str | None = None,
           start: date | None = None, end: date | None = None, at: datetime | None = None) -> PackData:
    """Everything one pack shows, read in one snapshot: a scan or an import committing meanwhile
    cannot make the figures, the call list and the sources disagree."""
    store.conn.execute("BEGIN")
    try:
        return _gather(store, config, finding_id=finding_id, number=number, start=start, end=end, at=at)
    finally:
        store.conn.execute("COMMIT")


def _gather(store, config, *, finding_id, number, start, end, at) -> PackData:
    db = store.db
    if number is not None:
        key = Normaliser(config.region).normalise(number).key or number
        rows = list(db.query("SELECT f.* FROM findings f JOIN finding_numbers n ON n.finding_id = f.id "
                             "WHERE n.number = ?", [key]))
        if not rows:
            raise CallwatchError(f"no finding of the latest scan involves {number} (run `callwatch scan`)")
    elif finding_id is not None:
        rows = list(db.query("SELECT * FROM findings WHERE id = ?", [finding_id]))
        if not rows:
            raise CallwatchError(f"no finding {finding_id} in the latest scan (run `callwatch scan`)")
    else:
        rows = list(db.query(f"SELECT * FROM findings ORDER BY {SEVERITY_ORDER}, json_extract(stats, '$.calls') DESC "
                             "LIMIT 1"))
        if not rows:
            raise CallwatchError("no finding to report: run `callwatch scan` first (or there is nothing to report)")
    finding = rows[0]
    scan = next(db.query("SELECT * FROM scans WHERE id = ?", [finding["scan_id"]]))
    pack = rules_mod.load_pack(scan["rule_pack"])
    tz = ZoneInfo(config.timezone)
    names = lines_mod.labels(config)
    calls, leads, excluded, future = [], [], [], []
    for r in db.query(
            "SELECT c.*, fc.signals, fc.attribution, fc.decision_id, i.original_name AS source, "
            "i.sha256 AS source_sha256, i.started_at AS imported_at FROM finding_calls fc JOIN calls c ON c.id = fc.call_id "
            "JOIN imports i ON i.id = c.import_id WHERE fc.finding_id = ? ORDER BY c.start_ms, c.id", [finding["id"]]):
        if r["attribution"] is None:
            raise CallwatchError("the latest scan was made by an older callwatch, before calls had attribution "
                                 "tiers: run `callwatch scan --full`")
        local = datetime.fromtimestamp(r["start_ms"] / 1000, timezone.utc).astimezone(tz)
        if (start and local.date() < start) or (end and local.date() > end):
            continue
        call = {**r, "local": local.strftime("%Y-%m-%d %H:%M:%S"), "local_date": local.strftime("%Y-%m-%d"),
                "local_time": local.strftime("%H:%M:%S"), "zone": local.strftime("%Z"),
                "weekday": local.strftime("%A"), "utc": r["start_utc"]}
        if "future" in r["signals"].split(","):
            # dated after the import that brought it (a device clock glitch: detect/frame.py): listed
            # apart from every tier, out of the tables, figures and charts (a 2100 date would stretch
            # a chart over 75 years)
            future.append(call)
            continue
        (calls if r["attribution"] in COUNTED else leads if r["attribution"] in LEADS else excluded).append(call)
    if not calls:
        if leads:
            raise CallwatchError(
                f"finding {finding['id']} ({finding['label']}) has no counted call in the period: its "
                f"{len(leads)} call(s) rest on behaviour or a pattern only. Confirm what you can defend first "
                "(`callwatch review`, `callwatch confirm`)")
        raise CallwatchError("the finding has no call in the period asked" + (
            f" (its {len(future)} call(s) there are dated after their own import: a device clock error)"
            if future else ""))
    ids = {c["id"] for c in calls}
    breaches: dict[str, list[dict]] = {}
    for b in db.query("SELECT rule_id, call_id, detail, facts FROM breaches WHERE finding_id = ? ORDER BY id",
                      [finding["id"]]):
        if b["call_id"] in ids:
            # facts: what the rule found, for the report to word in its language (None: a scan before schema 5)
            breaches.setdefault(b["rule_id"], []).append({"call_id": b["call_id"], "detail": b["detail"],
                                                          "facts": json.loads(b["facts"]) if b["facts"] else None})
    by_call: dict[int, list[str]] = {}
    for rid, bs in breaches.items():
        for b in bs:
            by_call.setdefault(b["call_id"], []).append(rid)
    for c in calls:
        c["rules"] = by_call.get(c["id"], [])
    used = {c["import_id"] for c in calls + leads + excluded + future}
    sources = [s for s in store.imports() if s["id"] in used]
    numbers = [{**n, "facts": json.loads(n["facts"]) if n["facts"] else None}
               for n in db.query("SELECT fn.*, nb.kind AS kind FROM finding_numbers fn LEFT JOIN numbers nb "
                                 "ON nb.number = fn.number WHERE fn.finding_id = ? ORDER BY fn.certainty, fn.number",
                                 [finding["id"]])]
    company = (finding["company"] or "").casefold()
    objections = [o for o in config.objections if company and o.company.casefold() == company]
    finding = {**finding, "stats": json.loads(finding["stats"])}
    numbers_here = {n["number"] for n in numbers}
    call_ids = {c["id"] for c in calls + leads + excluded}
    decisions = [d for d in review.effective(store)
                 if d.number in numbers_here or d.call_id in call_ids
                 or (d.number is None and d.call_id is None and d.finding_key == finding["key"])]
    return PackData(finding, numbers, calls, breaches, {r.id: r for r in pack.rules}, pack, sources, config,
                    (at or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0),
                    (start, end), objections, leads=leads, excluded=excluded, decisions=decisions,
                    line_names=names, future_calls=future)
