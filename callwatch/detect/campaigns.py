"""Who is calling: numbers grouped into campaigns, each number and each call with its tier.

Tiers, from what the user can defend to what rests on behaviour alone:

* ``declared``: a number, an E.164 prefix or a caller-name pattern the user gave for the operator;
  what the user declared wins over everything else (an automated range; a contact too, except
  through a prefix: a prefix is a block, and a person the household knows inside it is left to
  the user's review);
* ``same-block``: another number of a declared number's block (the E.164 number without its last
  ``block_suffix_digits`` digits), unless the household knows it (a contact: see below);
* ``rotation``: ``rotation_min_numbers`` or more numbers of one undeclared block calling in turn:
  one caller, company unknown;
* ``probable``: behaviour only. An undeclared block whose calls match the operator campaign's
  fingerprint (hours, weekdays, outcome mix, calls per day) with a similarity of at least
  ``probable_min_similarity``; a withheld call that looks like the campaign's own (silent, short
  or abandoned, on a day it called, in its hours); a number that is a nuisance on its own;
* ``confirmed`` / ``excluded``: the user's review (detect/review.py), which wins over all the above.

Only declared, same-block and confirmed calls count toward legal thresholds and breach lists; the
others are leads, shown apart (detect/__init__.py). People the household knows (numbers it calls,
long two-way conversations) are never attributed by block or behaviour, whatever their block.
Withheld calls are never grouped together: each is judged alone. A block in an ARCEP range
reserved for automated calls, or a group the user gave to another company, is never linked to the
operator by behaviour: generic dialler behaviour is not an identity.
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
CONVERSATION_S = 120       # a typical talk this long, three times or more, rarely unanswered: someone known

DECLARED, SAME_BLOCK, ROTATION, PROBABLE, CONFIRMED, EXCLUDED = (
    "declared", "same-block", "rotation", "probable", "confirmed", "excluded")
TIERS = (DECLARED, SAME_BLOCK, ROTATION, PROBABLE, CONFIRMED, EXCLUDED)
COUNTED = frozenset({DECLARED, SAME_BLOCK, CONFIRMED})      # what a legal figure may rest on
LEADS = frozenset({ROTATION, PROBABLE})                     # shown apart, never counted


@dataclass
class Attribution:
    number: str
    basis: str
    facts: list              # [[code, values], ...]: why, worded by callwatch.wording
    certainty: str = DECLARED    # the tier (TIERS)
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
    # calls whose tier is not their number's: withheld leads, calls the user confirmed or excluded
    call_tiers: dict = field(default_factory=dict)   # row label -> tier
    decisions: dict = field(default_factory=dict)    # row label -> id of the user's decision on it
    confirmed_by_user: bool = False                  # the user confirmed the group as one caller's canvassing
    review: dict = field(default_factory=dict)       # what awaits the user's decision (numbers not attributed...)

    def tiers(self, calls: pd.DataFrame) -> pd.Series:
        """The tier of each of these calls (rows of the frame): its own, else its number's."""
        by_number = {n: a.certainty for n, a in self.attributions.items()}
        out = pd.Series(calls["number"].astype(object).map(by_number), index=calls.index, dtype=object)
        own = {label: tier for label, tier in self.call_tiers.items() if label in out.index}
        if own:
            out.loc[list(own)] = list(own.values())
        return out.fillna(PROBABLE)


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
    numbered = df["number"].notna()
    # only the columns needed: a boolean selection copies every column it keeps (a full scan's frame
    # has 25 and millions of rows)
    out = df.loc[(df["direction"] == "out") & numbered, "number"]
    for number in out.unique():
        known[number] = "you called this number"
    # Long conversations, again and again, rarely unanswered: family and friends. A call
    # centre's agent may talk long once or twice, but its numbers also ring unanswered, and a
    # customer saying "no" for a minute each time is no conversation (hence two minutes).
    inc = df.loc[df["incoming"] & numbered, ["number", "duration_s", "outcome", "silent", "missed", "short"]]
    per = inc.assign(talk=inc["duration_s"].where(inc["outcome"] == "answered"),
                     unwanted=inc["silent"] | inc["missed"] | inc["short"])
    talk = per.groupby("number").agg(median=("talk", "median"), answered=("talk", "count"),
                                      unwanted=("unwanted", "mean"))
    close = talk[(talk["median"] >= CONVERSATION_S) & (talk["answered"] >= 3) & (talk["unwanted"] < 0.3)]
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
                                                                  "declared": declared_blocks[blk]}]], SAME_BLOCK)
    return None


def standalone(calls: pd.DataFrame, home: str) -> pd.DataFrame:
    """Numbers that are a nuisance on their own: repeated unexplained calls (5 or more, on 2 days
    or more, half of them silent, missed or short; a message left on voicemail is no nuisance by
    itself), or a ping from abroad. One row each."""
    per = calls.assign(unwanted=calls["silent"] | calls["missed"] | calls["short"],
                       abroad=calls["country"].notna() & (calls["country"] != home)).groupby(
        "number", observed=True).agg(
        calls=("id", "size"), days=("day", "nunique"), unwanted=("unwanted", "mean"),
        ping=("ping", "any"), abroad=("abroad", "all"), country=("country", "first"))
    per["foreign_ping"] = per["ping"] & per["abroad"]
    per["repeated"] = (per["calls"] >= 5) & (per["days"] >= 2) & (per["unwanted"] >= 0.5)
    return per[per["foreign_ping"] | per["repeated"]]


def withheld_leads(campaign: pd.DataFrame, withheld: pd.DataFrame) -> list:
    """Row labels of the withheld calls that look like the campaign's own: silent, short or
    abandoned (a short ring), inside one of its waves (a day on which it called), in an hour in
    which it calls (twice or more over the period). Never an answered conversation, never a
    plain missed call. Each is a lead, alone."""
    if len(campaign) < MIN_CALLS_FOR_LINK or withheld.empty:
        return []
    candidates = withheld[withheld["silent"] | withheld["short"] | withheld["ping"]]
    if candidates.empty:
        return []
    per_hour = (campaign["minute_of_day"] // 60).value_counts()
    hours = set(per_hour[per_hour >= 2].index)
    days = set(campaign["day"])
    inside = candidates["day"].isin(days) & (candidates["minute_of_day"] // 60).isin(hours)
    return list(candidates.index[inside.to_numpy()])


def group_calls(df: pd.DataFrame, config, names_of: dict | None = None,
                other_companies: frozenset = frozenset()) -> tuple[list[Group], dict[str, str]]:
    """Campaigns and stand-alone nuisances among incoming calls; also the known contacts.
    ``other_companies``: keys of groups the user gave to another company (never linked by behaviour)."""
    d = config.detect
    # the columns the grouping reads (fingerprint, standalone, the groups' rows), not the whole frame;
    # only calls with a number (withheld calls are never grouped): one copy of the incoming calls
    inc = df.loc[df["incoming"] & df["number"].notna(), ["id", "number", "npv", "country", "minute_of_day", "weekday",
                                                         "day", "silent", "outcome", "missed", "short", "ping"]]
    known = contacts(df)
    op = config.operator
    groups: list[Group] = []
    assigned: dict[str, str] = {}          # number -> group key

    # 1-2. the operator: declared (whatever the number is), then same block (never a contact)
    operator = Group("operator", OPERATOR, op.name or "your operator", op.name or None)
    declared = Declared(config)
    numbered = inc                                   # every call read above has a number
    unique_numbers = sorted(numbered["number"].unique())
    names_of = names_of or {}
    block_contacts = {}
    for number in unique_numbers:
        att = declared.attribution(number, names_of.get(number, ()))
        if att and att.basis == "declared-prefix" and number in known:
            block_contacts[number] = known[number]         # a prefix is a block: people the user knows
        elif att:                                          # are the user's to decide (review)
            operator.attributions[number] = att
    declared_blocks = {block_of(n, d.block_suffix_digits): n for n in operator.attributions}
    declared_blocks.pop(None, None)
    for number in unique_numbers:
        if number not in operator.attributions:
            att = same_block(number, declared_blocks, d.block_suffix_digits)
            if att and number in known:
                block_contacts[number] = known[number]     # the user decides (review), not the block
            elif att:
                operator.attributions[number] = att
    operator.review["block_contacts"] = block_contacts
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
            rotating = len(numbers) >= d.rotation_min_numbers
            for n in numbers:
                basis, facts = ("rotation", [["rotation", {"count": len(numbers),
                                                           "block": block_label(blk, d.block_suffix_digits)}]]) \
                    if len(numbers) > 1 else ("reserved-range", [["reserved_range", {"range": npv.iloc[0]}]])
                g.attributions[n] = Attribution(n, basis, facts, ROTATION if rotating else PROBABLE)
            candidates.append(g)

    # 4. probable links to the operator, by behaviour: never an automated range, never a group the
    # user gave to another company, never a block of another country than the operator's numbers
    op_calls = inc[inc["number"].isin(operator.attributions.keys())]
    op_print = fingerprint(op_calls) if len(op_calls) >= MIN_CALLS_FOR_LINK else None
    op_countries = set(op_calls["country"].dropna().unique())
    for g in candidates:
        calls = inc[inc["number"].isin(g.attributions.keys())]
        linked = False
        eligible = (g.category == OTHER and g.key not in other_companies
                    and (not op_countries or set(calls["country"].dropna().unique()) <= op_countries))
        if op_print is not None and eligible and len(calls) >= MIN_CALLS_FOR_LINK:
            score, parts = similarity(op_print, fingerprint(calls))
            if score >= d.probable_min_similarity:
                linked = True
                for a in g.attributions.values():
                    operator.attributions[a.number] = Attribution(
                        a.number, "probable", [["behaves_like", {"company": operator.label, **parts}], *a.facts],
                        PROBABLE, round(score, 3))
        if not linked:
            groups.append(g)
        for number in g.attributions:
            assigned[number] = "operator" if linked else g.key

    # stand-alone numbers: repeated unexplained calls, and pings from abroad (leads: nobody said
    # they are canvassing)
    rest = free[~free["number"].isin(assigned.keys())]
    for number, row in standalone(rest, config.region).iterrows():
        g = Group(f"number:{number}", NUISANCE,
                  f"ping call from abroad ({row['country']})" if row["foreign_ping"] and not row["repeated"]
                  else f"repeated calls from {number}")
        g.attributions[number] = Attribution(number, "single-number", [["single_number", {}]], PROBABLE)
        groups.append(g)
        assigned[number] = g.key

    groups.insert(0, operator)
    owner = {n: g.key for g in groups for n in g.attributions}
    keyed = inc["number"].map(owner)
    keyed = keyed[keyed.notna()]                 # the calls of some group (groupby leaves the others out too)
    by_key = {k: list(idx) for k, idx in keyed.groupby(keyed).groups.items()} if len(keyed) else {}
    for g in groups:
        g.index = by_key.get(g.key, [])
    return groups, known


def add_withheld_leads(operator: Group, df: pd.DataFrame, decided: set) -> None:
    """Withheld calls, each alone: a lead of the operator campaign when it looks like its own
    (after the user's decisions: ``decided`` holds the calls they already placed or excluded)."""
    # the columns withheld_leads reads (and tiers: the number), not every column of every call
    columns = ["number", "day", "minute_of_day", "silent", "short", "ping"]
    rows = df.loc[operator.index, columns]
    counted = rows[operator.tiers(rows).isin(COUNTED)]
    withheld = df.loc[df["incoming"] & df["withheld"], columns]
    withheld = withheld[~withheld.index.isin(list(decided))]
    for label in withheld_leads(counted, withheld):
        operator.index.append(label)
        operator.call_tiers[label] = PROBABLE
