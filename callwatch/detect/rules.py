"""The rule engine: rule packs are data (``config/rules/<jurisdiction>.toml``); this module
knows only generic kinds of rule, never a country.

Kinds: ``allowed_window`` (days, hours, public holidays), ``max_per_window`` (calls or
attempts per sliding window of calendar days), ``after_objection`` (calls after an objection
plus a delay), ``cooldown_after`` (calls within N days after a refusal), ``withheld``,
``automated_from_ordinary_number``, ``silent_call``, ``short_ring``, ``repeat_after_abandoned``.
Each returns, for the calls of one campaign, the calls that break the rule with the facts found
(worded in English or French by callwatch.wording).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from callwatch.detect.frame import days_to_date
from callwatch.errors import CallwatchError
from callwatch.wording import describe

def _rules_dir() -> Path:
    """config/rules/ of the source tree, installed as the package callwatch.rulepacks."""
    import callwatch.rulepacks
    return Path(callwatch.rulepacks.__file__).parent


RULES_DIR = _rules_dir()
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    citation: str
    text_fr: str
    text_en: str
    assumes: str                          # in English
    params: dict = field(default_factory=dict)
    assumes_fr: str | None = None
    valid_from: dt.date | None = None     # the law in force: a call is judged by the text of its own day
    valid_until: dt.date | None = None    # (local date, inclusive)

    def in_force(self, day: dt.date) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (self.valid_until is None or day <= self.valid_until)

    def text(self, lang: str = "en") -> str:
        return self.text_fr if lang == "fr" else self.text_en

    def assumption(self, lang: str = "en") -> str:
        return self.assumes_fr if lang == "fr" and self.assumes_fr else self.assumes


@dataclass(frozen=True)
class RulePack:
    id: str
    version: str
    name: str
    holidays: str
    rules: tuple[Rule, ...]
    path: Path


@dataclass
class Breach:
    rule_id: str
    index: object            # row label of the call in the frame
    facts: list              # [[code, values], ...]: what was found, worded by callwatch.wording

    @property
    def detail(self) -> str:
        return describe(self.facts, "en")


def load_pack(jurisdiction: str, rules_dir: Path | None = None) -> RulePack:
    path = (rules_dir or RULES_DIR) / f"{jurisdiction}.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CallwatchError(f"{path}: rule pack not found ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CallwatchError(f"{path}: not valid TOML: {exc}") from exc
    pack = doc.get("pack", {})
    rules = []
    for i, r in enumerate(doc.get("rules", [])):
        missing = [k for k in ("id", "kind", "citation", "text_fr", "text_en", "assumes") if k not in r]
        if missing:
            raise CallwatchError(f"{path}: rules[{i}]: missing {', '.join(missing)}")
        if r["kind"] not in KINDS:
            raise CallwatchError(f"{path}: rules[{i}].kind: unknown kind {r['kind']!r} "
                                 f"(known: {', '.join(sorted(KINDS))})")
        texts = ("id", "kind", "citation", "text_fr", "text_en", "assumes", "assumes_fr", "valid_from", "valid_until")
        params = {k: v for k, v in r.items() if k not in texts}
        if params.get("count_per", "household") not in COUNT_PER:
            raise CallwatchError(f"{path}: rules[{i}].count_per: must be one of {', '.join(COUNT_PER)}")
        bounds = []
        for key in ("valid_from", "valid_until"):
            value = r.get(key)
            if isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    raise CallwatchError(f"{path}: rules[{i}].{key}: not a date like 2026-08-11") from None
            if value is not None and not isinstance(value, dt.date):
                raise CallwatchError(f"{path}: rules[{i}].{key}: not a date like 2026-08-11")
            bounds.append(value)
        rules.append(Rule(r["id"], r["kind"], r["citation"], r["text_fr"], r["text_en"], r["assumes"], params,
                          r.get("assumes_fr"), *bounds))
    return RulePack(pack.get("id", jurisdiction), str(pack.get("version", "?")), pack.get("name", jurisdiction),
                    pack.get("holidays", ""), tuple(rules), path)


# -- the kinds ------------------------------------------------------------------------------

def _hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * 60


def allowed_window(rule, calls, ctx):
    days = np.array([WEEKDAYS.index(d) for d in rule.params["days"]])
    ranges = [(_hm(a), _hm(b)) for a, b in rule.params["hours"]]
    window_text = ", ".join(f"{a}-{b}" for a, b in rule.params["hours"])
    sod = calls["second_of_day"].to_numpy()
    weekday = calls["weekday"].to_numpy()
    inside = np.zeros(len(calls), dtype=bool)
    for a, b in ranges:                      # [start, end): 12:59:59 is inside, 13:00:00 is not
        inside |= (sod >= a) & (sod < b)
    bad_day = ~np.isin(weekday, days)
    holiday = calls["holiday"].to_numpy(dtype=bool) if rule.params.get("exclude_holidays") \
        else np.zeros(len(calls), dtype=bool)
    hit = np.flatnonzero(bad_day | holiday | ~inside)
    labels, names = calls.index.to_numpy()[hit], calls["holiday_name"].to_numpy()[hit]
    out = []
    for label, wd, is_bad_day, is_holiday, ok, name, s, day in zip(labels, weekday[hit], bad_day[hit], holiday[hit],
                                                                inside[hit], names, sod[hit],
                                                                calls["day"].to_numpy()[hit]):
        facts = []
        if is_bad_day:
            facts.append(["day", {"weekday": int(wd)}])
        if is_holiday:
            facts.append(["holiday", {"name": name, "date": str(days_to_date(int(day))),
                                      "country": ctx.holiday_country}])
        if not ok:
            facts.append(["outside_hours", {"time": f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}",
                                            "window": window_text}])
        out.append(Breach(rule.id, label, facts))
    return out


def max_per_window(rule, calls, ctx):
    cap, width = int(rule.params["max_calls"]), int(rule.params["window_days"])
    days = calls["day"].to_numpy()
    first = np.searchsorted(days, days - (width - 1), side="left")
    rank = np.arange(len(days)) - first + 1            # this call's place in the window ending today
    hit = np.flatnonzero(rank > cap)
    epoch = dt.date(1970, 1, 1)
    out = []
    for label, n, day in zip(calls.index.to_numpy()[hit], rank[hit], days[hit]):
        end = epoch + dt.timedelta(days=int(day))
        out.append(Breach(rule.id, label, [["rank", {"n": int(n), "width": width, "cap": cap, "end": str(end),
                                                     "start": str(end - dt.timedelta(days=width - 1))}]]))
    return out


def _objections(rule, ctx):
    """The objections this rule reads: of its kinds, and made while it was in force (a text
    attaches effects to an objection made under it, not to one made before it existed)."""
    kinds = set(rule.params["objection_kinds"])
    return [o for o in ctx.objections if o.kind in kinds and rule.in_force(o.date)]


def _effective(rule, date: dt.date) -> dt.date:
    since = rule.params.get("delay_business_days_since")
    if since and date >= dt.date.fromisoformat(since):
        return np.busday_offset(np.datetime64(date), int(rule.params["delay_business_days"]),
                                roll="forward").astype(object)
    return date + dt.timedelta(days=int(rule.params.get("delay_days", 0)))


def after_objection(rule, calls, ctx):
    out = []
    for obj in _objections(rule, ctx):
        effective = _effective(rule, obj.date)
        facts = [["after_objection", {"kind": obj.kind, "date": str(obj.date), "company": obj.company,
                                      "effective": str(effective)}]]
        out += [Breach(rule.id, label, facts) for label in calls.index[calls["day"] > _day(effective)]]
    return _first_per_call(out)


def cooldown_after(rule, calls, ctx):
    out = []
    span = int(rule.params["days"])
    for obj in _objections(rule, ctx):
        until = obj.date + dt.timedelta(days=span)
        start = _day(obj.date)
        mask = (calls["day"] > start) & (calls["day"] <= _day(until))
        out += [Breach(rule.id, label, [["cooldown", {"days": int(day - start), "date": str(obj.date),
                                                      "until": str(until)}]])
                for label, day in zip(calls.index[mask], calls["day"][mask])]
    return _first_per_call(out)


def _day(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def withheld(rule, calls, ctx):
    return [Breach(rule.id, label, [["withheld", {}]]) for label in calls.index[calls["withheld"]]]


def automated_from_ordinary_number(rule, calls, ctx):
    since = dt.date.fromisoformat(rule.params["since"])
    kinds = set(rule.params["number_kinds"])
    hit = calls[(calls["silent"] | calls["ping"]) & calls["kind"].isin(kinds) & calls["npv"].isna()
                & (calls["day"] >= _day(since))]
    return [Breach(rule.id, label, [["automated", {"silent": bool(silent), "kind": kind}]])
            for label, silent, kind in zip(hit.index, hit["silent"], hit["kind"])]


def silent_call(rule, calls, ctx):
    hit = calls[calls["silent"]]
    return [Breach(rule.id, label, [["silent", {"talk_s": int(d)}]]) for label, d in zip(hit.index, hit["duration_s"])]


def short_ring(rule, calls, ctx):
    limit = int(rule.params["min_ring_s"])
    hit = calls[(calls["outcome"] == "missed") & calls["ring_s"].notna() & (calls["ring_s"] < limit)]
    return [Breach(rule.id, label, [["short_ring", {"ring_s": int(r), "min_s": limit}]])
            for label, r in zip(hit.index, hit["ring_s"])]


def repeat_after_abandoned(rule, calls, ctx):
    """A call within ``hours`` of an abandoned call to the same line. Abandoned (Ofcom): the call
    was answered and no agent came, i.e. silent, measured to the second; a short unanswered
    ring is not an abandoned call, nor is a minute-precision "0:01" (not provably silent)."""
    limit_ms = float(rule.params["hours"]) * 3600_000
    t = calls["start_ms"].to_numpy()
    abandoned = calls["silent"].to_numpy()
    # position of the latest abandoned call strictly before each call
    marks = np.where(abandoned, np.arange(len(t)), -1)
    latest = np.maximum.accumulate(marks)
    previous = np.concatenate(([-1], latest[:-1]))
    hit = np.flatnonzero((previous >= 0) & (t - t[np.maximum(previous, 0)] <= limit_ms))
    local = calls["local"]
    return [Breach(rule.id, calls.index[i], [["repeat", {
                "hours": round(float(t[i] - t[previous[i]]) / 3600_000, 1),
                "previous": local.iloc[previous[i]].strftime("%Y-%m-%d %H:%M %Z")}]])
            for i in hit]


def without_consent(rule, calls, ctx):
    """Every canvassing call is a breach when the law requires the consumer's prior consent and
    the consumer declared none (``consent_given``); the contract exception is ``waived_by_customer``."""
    since = str(rule.valid_from) if rule.valid_from else None
    return [Breach(rule.id, label, [["no_consent", {"since": since}]]) for label in calls.index]


def after_registration(rule, calls, ctx):
    """Calls to a line registered on an opposition list (Bloctel, TPS, the US Do-Not-Call
    Registry) once the list's delay has passed since the registration."""
    delay = int(rule.params.get("delay_days", 0))
    out = []
    for reg in ctx.registrations:
        if reg.list != rule.params["list"]:
            continue
        effective = reg.date + dt.timedelta(days=delay)
        mask = calls["day"] > _day(effective)
        if reg.line is not None:
            mask &= (calls["line"] == reg.line).to_numpy()
        facts = [["registered", {"list": reg.list, "date": str(reg.date), "effective": str(effective)}]]
        out += [Breach(rule.id, label, facts) for label in calls.index[mask]]
    return _first_per_call(out)


def abandoned_rate(rule, calls, ctx):
    """A campaign's abandoned-call rate as this household saw it, period by period: the share of
    its answered calls that were abandoned (answered, no agent: silent, to the second). Ofcom
    measures it per campaign (3 % at most); one household's share above it is evidence of a
    campaign-wide rate, stated once per period on the period's last abandoned call, never one
    breach per silent call."""
    width, cap = int(rule.params.get("window_days", 30)), float(rule.params["max_rate"])
    least = int(rule.params.get("min_answered", 3))
    answered = calls[calls["outcome"] == "answered"]
    if answered.empty:
        return []
    first = int(answered["day"].iloc[0])
    period = (answered["day"].to_numpy() - first) // width
    out = []
    for p in np.unique(period):
        part = answered[period == p]
        silent = part[part["silent"]]
        if len(part) >= least and len(silent) and len(silent) / len(part) > cap:
            # the days actually observed within the period: its first and last answered call
            out.append(Breach(rule.id, silent.index[-1], [["abandoned_rate", {
                "silent": int(len(silent)), "answered": int(len(part)),
                "rate": round(len(silent) / len(part), 3), "max": cap,
                "from": str(days_to_date(int(part["day"].iloc[0]))),
                "to": str(days_to_date(int(part["day"].iloc[-1])))}]]))
    return out


def _first_per_call(breaches):
    seen, out = set(), []
    for b in breaches:
        if b.index not in seen:
            seen.add(b.index)
            out.append(b)
    return out


KINDS = {f.__name__: f for f in (allowed_window, max_per_window, after_objection, cooldown_after, withheld,
                                 automated_from_ordinary_number, silent_call, short_ring, repeat_after_abandoned,
                                 without_consent, after_registration, abandoned_rate)}


@dataclass
class Context:
    objections: list          # the user's objections that apply to this campaign's company
    declared: dict = field(default_factory=dict)   # facts the user declared: purpose, consent_given, customer
    holiday_country: str = ""  # the pack's calendar, to name a holiday in the report's language
    registrations: tuple = ()  # the household's opposition-list registrations (config.Registration)


def applies(rule: Rule, ctx: Context) -> bool:
    """A rule marked ``needs_purpose``, ``waived_by_consent`` or ``waived_by_customer`` applies
    only if the user's declarations (for this campaign's company) allow it: a customer of the
    company may fall under a contract exception (L223-1's "contrat en cours", the US
    established business relationship), so such rules are not applied to the company's calls."""
    need = rule.params.get("needs_purpose")
    if need and ctx.declared.get("purpose", "canvassing") != need:
        return False
    if rule.params.get("waived_by_customer") and ctx.declared.get("customer"):
        return False
    return not (rule.params.get("waived_by_consent") and ctx.declared.get("consent_given"))


COUNT_PER = ("household", "consumer", "line")


def evaluate(pack: RulePack, calls: pd.DataFrame, ctx: Context) -> list[Breach]:
    """Breaches of every rule of the pack by the calls of one campaign (sorted by time).

    Each rule sees only the calls of the days it was in force (``valid_from``, ``valid_until``):
    a call is judged by the law of its own date. A rule's ``count_per`` says whose calls it counts
    together: ``consumer`` (the lines of one holder: D223-9's "un même consommateur"), ``line``
    (one number: Ofcom's repeat to "that number"), or ``household`` (every line; the default)."""
    out = []
    for rule in pack.rules:
        if applies(rule, ctx):
            out += _evaluate_rule(rule, _in_force(rule, calls), ctx)
    return out


def _in_force(rule: Rule, calls: pd.DataFrame) -> pd.DataFrame:
    if not (rule.valid_from or rule.valid_until):
        return calls
    day = calls["day"].to_numpy()
    keep = np.ones(len(calls), dtype=bool)
    if rule.valid_from:
        keep &= day >= _day(rule.valid_from)
    if rule.valid_until:
        keep &= day <= _day(rule.valid_until)
    return calls[keep]


def _evaluate_rule(rule: Rule, calls: pd.DataFrame, ctx: Context) -> list[Breach]:
    if calls.empty:                   # no call in the rule's time of force (or none at all)
        return []
    per = rule.params.get("count_per", "household")
    if per == "household":
        return KINDS[rule.kind](rule, calls, ctx)
    found = []
    for _key, part in calls.groupby(per, observed=True, dropna=False, sort=True):
        if len(part):
            found += KINDS[rule.kind](rule, part, ctx)
    position = {label: i for i, label in enumerate(calls.index)}
    found.sort(key=lambda b: position[b.index])           # in call order, whoever's calls they are
    return found
