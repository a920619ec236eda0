"""Findings: per campaign (or stand-alone number), the figures, the rules broken call by
call, a severity and one plain sentence saying why."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from callwatch.detect.campaigns import NUISANCE, Group
from callwatch.detect.rules import Breach, RulePack


@dataclass
class Finding:
    group: Group
    calls: pd.DataFrame
    breaches: list[Breach]
    stats: dict
    severity: str
    why: str
    rule_counts: dict = field(default_factory=dict)


def stats_of(calls: pd.DataFrame, breaches: list[Breach], objection_rule_ids: set[str]) -> dict:
    per_day = calls.groupby("day").size()
    return {
        "calls": int(len(calls)),                  # every incoming call or attempt
        "answered": int((calls["outcome"] == "answered").sum()),
        "silent": int(calls["silent"].sum()),
        "short": int(calls["short"].sum()),
        "missed": int((calls["outcome"] == "missed").sum()),
        "rejected": int(calls["outcome"].isin(["rejected", "blocked"]).sum()),
        "voicemail": int((calls["outcome"] == "voicemail").sum()),
        "withheld": int(calls["withheld"].sum()),
        "numbers": int(calls["number"].nunique()),
        "days_with_calls": int(per_day.size),
        "max_per_day": int(per_day.max()) if len(per_day) else 0,
        "after_objection": len({b.index for b in breaches if b.rule_id in objection_rule_ids}),
        "first_local": calls["local"].iloc[0].isoformat(),
        "last_local": calls["local"].iloc[-1].isoformat(),
        "first_utc": calls["utc"].iloc[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "last_utc": calls["utc"].iloc[-1].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def build(group: Group, calls: pd.DataFrame, breaches: list[Breach], pack: RulePack) -> Finding:
    objection_rules = {r.id for r in pack.rules if r.kind in ("after_objection", "cooldown_after")}
    stats = stats_of(calls, breaches, objection_rules)
    counts: dict[str, int] = {}
    for b in breaches:
        counts[b.rule_id] = counts.get(b.rule_id, 0) + 1
    legal = sum(n for rid, n in counts.items() if not rid.startswith("generic."))
    if (legal and stats["calls"] >= 10) or stats["after_objection"]:
        severity = "high"
    elif legal or counts:
        severity = "medium"
    else:
        severity = "low"
    return Finding(group, calls, breaches, stats, severity, _why(group, stats, counts, pack), counts)


def _why(group: Group, s: dict, counts: dict, pack: RulePack) -> str:
    first, last = s["first_local"][:10], s["last_local"][:10]
    who = group.label
    probable = [a for a in group.attributions.values() if a.certainty == "probable"]
    parts = [f"{who}: {s['calls']} calls or attempts from {s['numbers']} number(s)"
             + (f" and {s['withheld']} withheld" if s["withheld"] else "")
             + f" between {first} and {last}, on {s['days_with_calls']} days, up to {s['max_per_day']} a day"]
    mix = [f"{s['silent']} silent" if s["silent"] else "", f"{s['short']} under a minute (minute precision)" if s["short"] else "",
           f"{s['missed']} missed" if s["missed"] else "", f"{s['answered']} answered" if s["answered"] else ""]
    parts.append(", ".join(m for m in mix if m))
    by_id = {r.id: r for r in pack.rules}
    for rid, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        rule = by_id[rid]
        parts.append(f"{n} breaking {rid} ({rule.text_en.rstrip('.')})")
    if probable:
        parts.append(f"{len(probable)} number(s) linked by behaviour only (probable)")
    if group.category == NUISANCE and not counts:
        parts.append("no rule of the pack applies")
    return "; ".join(p for p in parts if p) + "."

