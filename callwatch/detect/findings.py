"""Findings: per campaign (or stand-alone number), the figures, the rules broken call by
call, a severity and one plain sentence saying why.

A finding's calls carry their tier (detect/campaigns.py). Its figures and its breaches rest on
the counted calls only (declared, same-block, confirmed); the leads (rotation, probable) are
counted apart, with the rules they would break if the user confirmed them; the calls the user
excluded are listed with the decision that excluded them and counted in nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from callwatch.detect.campaigns import COUNTED, EXCLUDED, LEADS, NUISANCE, Group
from callwatch.detect.rules import Breach, RulePack


@dataclass
class Finding:
    group: Group
    calls: pd.DataFrame               # every call of the finding, column "tier"; excluded ones included
    breaches: list[Breach]            # on counted calls only
    stats: dict                       # of the counted calls, with "leads" and "excluded" beside
    severity: str
    why: str
    rule_counts: dict = field(default_factory=dict)
    rules_if_confirmed: dict = field(default_factory=dict)
    id: int | None = None


def stats_of(calls: pd.DataFrame, breaches: list[Breach], objection_rule_ids: set[str]) -> dict:
    per_day = calls.groupby("day").size()
    empty = calls.empty
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
        "first_local": None if empty else calls["local"].iloc[0].isoformat(),
        "last_local": None if empty else calls["local"].iloc[-1].isoformat(),
        "first_utc": None if empty else calls["utc"].iloc[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "last_utc": None if empty else calls["utc"].iloc[-1].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _counts(breaches: list[Breach]) -> dict:
    counts: dict[str, int] = {}
    for b in breaches:
        counts[b.rule_id] = counts.get(b.rule_id, 0) + 1
    return counts


def build(group: Group, calls: pd.DataFrame, breaches: list[Breach], if_confirmed: list[Breach],
          pack: RulePack) -> Finding:
    """``calls``: every call of the group with its tier; ``breaches``: found on the counted calls;
    ``if_confirmed``: found on the counted calls and the leads together."""
    objection_rules = {r.id for r in pack.rules if r.kind in ("after_objection", "cooldown_after")}
    tier = calls["tier"]
    counted = calls[tier.isin(COUNTED)]
    leads = calls[tier.isin(LEADS)]
    excluded = calls[tier == EXCLUDED]
    stats = stats_of(counted, breaches, objection_rules)
    kept = calls[tier != EXCLUDED]
    stats["period_first_utc"] = kept["utc"].iloc[0].strftime("%Y-%m-%dT%H:%M:%SZ")
    stats["period_last_utc"] = kept["utc"].iloc[-1].strftime("%Y-%m-%dT%H:%M:%SZ")
    stats["leads"] = {"calls": int(len(leads)), "numbers": int(leads["number"].nunique()),
                      "withheld": int(leads["withheld"].sum()), "silent": int(leads["silent"].sum())}
    stats["excluded"] = {"calls": int(len(excluded))}
    stats["by_tier"] = {t: int(n) for t, n in tier.value_counts().items()}
    stats["lines"] = {str(k): int(v) for k, v in counted["line"].value_counts().items() if v}
    stats["confirmed_by_user"] = group.confirmed_by_user
    stats["review"] = group.review
    counts, if_counts = _counts(breaches), _counts(if_confirmed)
    legal = sum(n for rid, n in counts.items() if not rid.startswith("generic."))
    if (legal and stats["calls"] >= 10) or stats["after_objection"]:
        severity = "high"
    elif counts:
        severity = "medium"
    else:
        severity = "low"
    return Finding(group, calls, breaches, stats, severity, _why(group, stats, counts, if_counts, pack), counts,
                   if_counts)


def _from_whom(s: dict) -> str:
    """ "from 3 numbers", "from 3 numbers and 2 withheld", "all withheld": never "from 0 number(s)"."""
    n, w = s["numbers"], s["withheld"]
    numbers = f"from {n} number{'s' if n != 1 else ''}" if n else ""
    if not w:
        return numbers
    return f"{numbers} and {w} withheld" if n else ("withheld" if w == 1 else f"all {w} withheld")


def _why(group: Group, s: dict, counts: dict, if_counts: dict, pack: RulePack) -> str:
    leads = s["leads"]
    parts = []
    if s["calls"]:
        first, last = s["first_local"][:10], s["last_local"][:10]
        parts.append(f"{group.label}: {s['calls']} calls or attempts counted (declared, same block or confirmed) "
                     f"{_from_whom(s)} between {first} and {last}, on {s['days_with_calls']} days with calls, "
                     f"up to {s['max_per_day']} a day")
        mix = [f"{s['silent']} silent" if s["silent"] else "",
               f"{s['short']} under a minute (minute precision)" if s["short"] else "",
               f"{s['missed']} missed" if s["missed"] else "", f"{s['answered']} answered" if s["answered"] else ""]
        parts.append(", ".join(m for m in mix if m))
    else:
        parts.append(f"{group.label}: no call counted yet")
    by_id = {r.id: r for r in pack.rules}
    for rid, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        parts.append(f"{n} breaking {rid} ({by_id[rid].text_en.rstrip('.')})")
    if leads["calls"]:
        more = {rid: n - counts.get(rid, 0) for rid, n in if_counts.items() if n > counts.get(rid, 0)}
        n = leads["calls"]
        lead_text = (f"{n} more call{'s are leads' if n != 1 else ' is a lead'} only (behaviour or pattern, not counted)"
                     + (f"; if you confirm them: " + ", ".join(f"{n} more breaking {rid}" for rid, n in more.items())
                        if more else ""))
        parts.append(lead_text)
    if s["excluded"]["calls"]:
        k = s["excluded"]["calls"]
        parts.append(f"{k} call{'s' if k != 1 else ''} excluded by you")
    if group.category == NUISANCE and not counts:
        parts.append("no rule applies until you say these calls are canvassing (callwatch review)")
    return "; ".join(p for p in parts if p) + "."
