"""What letters and complaint forms may state, each figure taken from the rule it names.

A letter never adds two rules' breaches together nor pins one rule's figure on another's
objection: ``Claims.rule(id)`` is the number of counted calls that broke that rule, and each
objection or refusal carries the breaches of the rules that read that very objection (matched
by the objection's date stored with each breach). Everything comes from the same PackData as
the PDF, the CSV and findings.json.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from callwatch.evidence.data import PackData

OBJECTION_KINDS = ("after_objection", "cooldown_after")


@dataclass
class ObjectionClaim:
    kind: str                 # gdpr-art21 | refusal | do-not-call
    date: str                 # ISO date the user recorded
    company: str
    by_rule: dict             # rule id -> calls breaking that rule because of this objection


@dataclass
class Claims:
    subject: str
    calls: int
    answered: int
    silent: int
    short: int
    missed: int
    withheld: int
    days_with_calls: int
    max_per_day: int
    first: str                # local ISO date-time of the first counted call
    last: str
    zone: str
    numbers: list[str]        # E.164 (or short codes) of the counted calls, most frequent first
    per_rule: dict            # rule id -> breaches on counted calls
    objections: list[ObjectionClaim]
    leads: int
    lines: list[str]          # the called lines, as the pack names them
    calls_by_date: dict = field(default_factory=dict)    # local date -> counted calls that day
    jurisdiction: str = "fr"

    def rule(self, rule_id: str) -> int:
        return self.per_rule.get(rule_id, 0)

    def has(self, rule_id: str) -> bool:
        return self.per_rule.get(rule_id, 0) > 0


def claims_of(data: PackData, lang: str = "en") -> Claims:
    f = data.figures()
    per_rule = {rid: len(bs) for rid, bs in data.breaches.items()}
    objections = []
    for o in data.objections:
        by_rule = {}
        for rid, bs in data.breaches.items():
            rule = data.rules[rid]
            if rule.kind not in OBJECTION_KINDS or o.kind not in rule.params.get("objection_kinds", ()):
                continue
            n = sum(1 for b in bs if _objection_date(b) == o.date.isoformat())
            if n:
                by_rule[rid] = n
        objections.append(ObjectionClaim(o.kind, o.date.isoformat(), o.company, by_rule))
    counts = Counter(c["number"] for c in data.calls if c["number"])
    return Claims(
        subject=data.subject, calls=f["calls"], answered=f["answered"], silent=f["silent"], short=f["short"],
        missed=f["missed"], withheld=f["withheld"], days_with_calls=f["days_with_calls"],
        max_per_day=f["max_per_day"], first=f["first"], last=f["last"], zone=data.config.timezone,
        numbers=[n for n, _ in counts.most_common()], per_rule=per_rule, objections=objections,
        leads=len(data.leads), lines=sorted({data.line_name(c["line"], lang) for c in data.calls}),
        calls_by_date=dict(Counter(c["local_date"] for c in data.calls)), jurisdiction=data.pack.id)


def _objection_date(breach: dict) -> str | None:
    """The objection a breach was found against (stored in its facts)."""
    for code, values in breach.get("facts") or []:
        if code in ("after_objection", "cooldown") and "date" in values:
            return values["date"]
    return None
