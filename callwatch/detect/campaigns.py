"""Who is calling: numbers grouped into campaigns, each attribution with its basis.

Order of attribution, most certain first:

1. *declared*: a number, an E.164 prefix or a caller-name pattern the user gave for the operator;
2. *same block*: another number of a declared number's block (the E.164 number without its last
   ``block_suffix_digits`` digits);
3. *rotation*: an undeclared block from which ``rotation_min_numbers`` or more distinct numbers
   called: one campaign, company unknown;
4. *probable*: an undeclared block (or the withheld calls) whose behaviour matches the operator
   campaign's fingerprint (hours, weekdays, outcome mix, calls per day) with a similarity of at
   least ``probable_min_similarity``: linked to the operator as probable, never as certain.

A number reserved by ARCEP for automated calls says "automated caller", not "your operator".
People the user talks to (numbers the user called, or long conversations) are never grouped
into a campaign unless the user declared them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from callwatch.numbers import Normaliser
from callwatch.wording import describe

OPERATOR, OTHER, AUTOMATED, NUISANCE = "operator", "other-company", "automated", "nuisance"
MIN_CALLS_FOR_LINK = 5


@dataclass
class Attribution:
    number: str
    basis: str
    facts: list              # [[code, values], ...]: why, worded by callwatch.wording
    certainty: str = "certain"
    similarity: float | None = None

    @property
    def detail(self) -> str:
        return describe(self.facts, "en")


@dataclass
class Group:
    key: str
    category: str
    label: str
    company: str | None = None
    attributions: dict[str, Attribution] = field(default_factory=dict)
    index: list = field(default_factory=list)        # row labels of its calls in the frame


def block_of(number: str, suffix: int) -> str | None:
    if not isinstance(number, str) or not number.startswith("+") or len(number) < suffix + 6:
        return None
    return number[:-suffix]


def block_label(block: str, suffix: int) -> str:
    return block + "x" * suffix


def _prefix_e164(prefix: str, normaliser: Normaliser) -> str:
    compact = re.sub(r"[\s.\-()]", "", prefix)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+"):
        return compact
    if compact.startswith("0"):      # a national prefix: pad, normalise, cut back
        padded = compact + "0" * max(0, 10 - len(compact))
        e164 = normaliser.normalise(padded).e164
        if e164:
            return e164[: len(e164) - (len(padded) - len(compact))]
    return compact


def contacts(df: pd.DataFrame) -> dict[str, str]:
    """Numbers the household knows: it calls them, or talks with them at length."""
    known: dict[str, str] = {}
    out = df[(df["direction"] == "out") & df["number"].notna()]
    for number in out["number"].unique():
        known[number] = "you called this number"
    # Long conversations, again and again, rarely unanswered: family and friends. A call
    # centre's agent may talk long once or twice, but its numbers also ring unanswered.
    inc = df[df["incoming"] & df["number"].notna()]
    per = inc.assign(talk=inc["duration_s"].where(inc["outcome"] == "answered"),
                     unwanted=inc["silent"] | inc["missed"] | inc["short"])
    talk = per.groupby("number").agg(median=("talk", "median"), answered=("talk", "count"),
                                      unwanted=("unwanted", "mean"))
    close = talk[(talk["median"] >= 60) & (talk["answered"] >= 3) & (talk["unwanted"] < 0.3)]
    for number, row in close.iterrows():
        known.setdefault(number, f"{int(row['answered'])} conversations, {int(row['median'])} s typical")
    return known


def fingerprint(calls: pd.DataFrame) -> dict:
    # Hours smoothed over their neighbours: a few dozen calls are too few for sharp hourly bins.
    raw = np.bincount(calls["minute_of_day"] // 60, minlength=24).astype(float)
    hours = 0.5 * raw + 0.25 * np.roll(raw, 1) + 0.25 * np.roll(raw, -1)
    days = np.bincount(calls["weekday"], minlength=7).astype(float)
    n = max(len(calls), 1)
    active_days = max(calls["day"].nunique(), 1)
    return {"hours": hours / n, "weekdays": days / n,
            "silent": calls["silent"].sum() / n, "answered": (calls["outcome"] == "answered").sum() / n,
            "missed": calls["missed"].sum() / n, "per_day": len(calls) / active_days}


def _cos(a, b) -> float:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(a @ b / (na * nb)) if na and nb else 0.0


def similarity(a: dict, b: dict) -> tuple[float, str]:
    s_hour = _cos(a["hours"], b["hours"])
    s_day = _cos(a["weekdays"], b["weekdays"])
    s_mix = 1 - (abs(a["silent"] - b["silent"]) + abs(a["answered"] - b["answered"])
                 + abs(a["missed"] - b["missed"])) / 3
    s_rate = min(a["per_day"], b["per_day"]) / max(a["per_day"], b["per_day"])
    # calls per day weighs least: a withheld or second block is often a share of the campaign
    score = 0.4 * s_hour + 0.2 * s_day + 0.3 * s_mix + 0.1 * s_rate
    parts = {"hours": round(s_hour, 2), "weekdays": round(s_day, 2), "mix": round(s_mix, 2),
             "rate": round(s_rate, 2), "score": round(score, 2)}
    return score, parts


class Declared:
    """What the user declared about the operator: numbers, E.164 prefixes, caller-name patterns."""

    def __init__(self, config):
        normaliser = Normaliser(config.region)
        op = config.operator
        self.numbers = {normaliser.normalise(n).key: n for n in op.numbers}
        self.numbers.pop(None, None)
        self.prefixes = [(_prefix_e164(p, normaliser), p) for p in op.prefixes]
        self.patterns = [re.compile(p) for p in op.caller_name_patterns]

    def attribution(self, number: str, names=()) -> Attribution | None:
        if number in self.numbers:
            return Attribution(number, "declared-number", [["declared_number", {"as": self.numbers[number]}]])
        hit = next((raw for pre, raw in self.prefixes if pre and number.startswith(pre)), None)
        if hit:
            return Attribution(number, "declared-prefix", [["declared_prefix", {"prefix": hit}]])
        match = next((n for n in names for p in self.patterns if p.search(n)), None)
        if match:
            return Attribution(number, "caller-name", [["caller_name", {"name": match}]])
        return None


def same_block(number: str, declared_blocks: dict[str, str], suffix: int) -> Attribution | None:
    blk = block_of(number, suffix)
    if blk in declared_blocks:
        return Attribution(number, "same-block", [["same_block", {"block": block_label(blk, suffix),
                                                                  "declared": declared_blocks[blk]}]])
    return None


def standalone(calls: pd.DataFrame, home: str) -> pd.DataFrame:
    """Numbers that are a nuisance on their own: repeated unexplained calls (5 or more, on 2 days
    or more, half of them silent, missed or short), or a ping from abroad. One row each."""
    per = calls.assign(unwanted=calls["silent"] | calls["missed"] | calls["short"],
                       abroad=calls["country"].notna() & (calls["country"] != home)).groupby("number").agg(
        calls=("id", "size"), days=("day", "nunique"), unwanted=("unwanted", "mean"),
        ping=("ping", "any"), abroad=("abroad", "all"), country=("country", "first"))
    per["foreign_ping"] = per["ping"] & per["abroad"]
    per["repeated"] = (per["calls"] >= 5) & (per["days"] >= 2) & (per["unwanted"] >= 0.5)
    return per[per["foreign_ping"] | per["repeated"]]


def group_calls(df: pd.DataFrame, config, names_of: dict | None = None) -> tuple[list[Group], dict[str, str]]:
    """Campaigns and stand-alone nuisances among incoming calls; also the known contacts."""
    d = config.detect
    inc = df[df["incoming"]]
    known = contacts(df)
    op = config.operator
    groups: list[Group] = []
    assigned: dict[str, str] = {}          # number -> group key

    # 1-2. the operator: declared, then same block
    operator = Group("operator", OPERATOR, op.name or "your operator", op.name or None)
    declared = Declared(config)
    numbered = inc[inc["number"].notna()]
    unique_numbers = sorted(numbered["number"].unique())
    names_of = names_of or {}
    for number in unique_numbers:
        att = declared.attribution(number, names_of.get(number, ()))
        if att:
            operator.attributions[number] = att
    declared_blocks = {block_of(n, d.block_suffix_digits): n for n in operator.attributions}
    declared_blocks.pop(None, None)
    for number in unique_numbers:
        if number not in operator.attributions:
            att = same_block(number, declared_blocks, d.block_suffix_digits)
            if att:
                operator.attributions[number] = att
    for number in operator.attributions:
        assigned[number] = operator.key

    # 3. rotations in undeclared blocks, and ARCEP automated-call ranges
    free = numbered[~numbered["number"].isin(assigned.keys()) & ~numbered["number"].isin(known.keys())]
    blocks = free.assign(block=free["number"].map(lambda n: block_of(n, d.block_suffix_digits)))
    candidates: list[Group] = []
    for blk, calls in blocks[blocks["block"].notna()].groupby("block", sort=True):
        numbers = sorted(calls["number"].unique())
        npv = calls["npv"].dropna()
        if len(numbers) >= d.rotation_min_numbers or (len(npv) and len(calls) >= 2):
            category = AUTOMATED if len(npv) else OTHER
            label = (f"automated caller, ARCEP reserved range, block {block_label(blk, d.block_suffix_digits)}"
                     if category == AUTOMATED else f"unknown caller rotating numbers in {block_label(blk, d.block_suffix_digits)}")
            g = Group(f"block:{blk}", category, label)
            for n in numbers:
                basis, facts = ("rotation", [["rotation", {"count": len(numbers),
                                                           "block": block_label(blk, d.block_suffix_digits)}]]) \
                    if len(numbers) > 1 else ("reserved-range", [["reserved_range", {"range": npv.iloc[0]}]])
                g.attributions[n] = Attribution(n, basis, facts)
            candidates.append(g)
    withheld = inc[inc["withheld"]]
    if len(withheld) >= MIN_CALLS_FOR_LINK:
        g = Group("withheld", NUISANCE, "calls with the number withheld")
        g.attributions["withheld"] = Attribution("withheld", "withheld", [["withheld_group", {}]])
        candidates.append(g)

    # 4. probable links to the operator, by behaviour
    op_calls = inc[inc["number"].isin(operator.attributions.keys())]
    op_print = fingerprint(op_calls) if len(op_calls) >= MIN_CALLS_FOR_LINK else None
    for g in candidates:
        calls = withheld if g.key == "withheld" else inc[inc["number"].isin(g.attributions.keys())]
        linked = False
        if op_print is not None and len(calls) >= MIN_CALLS_FOR_LINK:
            score, parts = similarity(op_print, fingerprint(calls))
            if score >= d.probable_min_similarity:
                linked = True
                for a in g.attributions.values():
                    operator.attributions[a.number] = Attribution(
                        a.number, "probable", [["behaves_like", {"company": operator.label, **parts}], *a.facts],
                        "probable", round(score, 3))
        if not linked:
            groups.append(g)
        for number in g.attributions:
            assigned[number] = "operator" if linked else g.key

    # stand-alone numbers: repeated unexplained calls, and pings from abroad
    rest = free[~free["number"].isin(assigned.keys())]
    for number, row in standalone(rest, config.region).iterrows():
        g = Group(f"number:{number}", NUISANCE,
                  f"ping call from abroad ({row['country']})" if row["foreign_ping"] and not row["repeated"]
                  else f"repeated unexplained calls from {number}")
        g.attributions[number] = Attribution(number, "single-number", [["single_number", {}]])
        groups.append(g)
        assigned[number] = g.key

    if operator.attributions:
        groups.insert(0, operator)
    owner = {n: g.key for g in groups for n in g.attributions}
    keyed = inc["number"].map(owner)
    by_key = {k: list(idx) for k, idx in keyed.groupby(keyed).groups.items()} if keyed.notna().any() else {}
    for g in groups:
        g.index = list(withheld.index) if g.key == "withheld" else by_key.get(g.key, [])
        if g is operator and "withheld" in g.attributions:
            g.index = sorted(set(g.index) | set(withheld.index))
    return groups, known
