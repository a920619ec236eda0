"""The user's review: decisions that confirm or exclude what detection alone cannot settle.

A decision is stored once, dated, with its reason, and never deleted: a later decision on the
same number or call supersedes it, and ``undo`` records a decision that cancels another. Every
scan (full or incremental) applies the decisions in force in the order they were taken, so they
survive rescans. The command line and the web page both call these functions; nothing here
knows about either.

* ``confirm``: a number, a call, or a whole campaign belongs to a campaign (by default the
  operator's): its calls become ``confirmed`` and count toward the legal thresholds. Confirming
  a campaign that is not the operator's says that its calls are one caller's canvassing
  (``company`` names the caller; a group given to another company is never linked to the
  operator by behaviour).
* ``exclude``: a number (optionally only between two dates: the operator's technician booking a
  visit), or a call, is not harassment: its calls leave every finding and are listed apart in the
  pack with the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from callwatch.detect.campaigns import (COUNTED, CONFIRMED, EXCLUDED, LEADS, NUISANCE, OPERATOR, Attribution,
                                        Group)  # noqa: F401 (COUNTED re-exported)
from callwatch.errors import CallwatchError


@dataclass(frozen=True)
class Decision:
    id: int
    at: str                       # UTC ISO 8601
    action: str                   # confirm | exclude | undo
    number: str | None = None
    call_id: int | None = None
    finding_key: str | None = None
    company: str | None = None
    from_utc: str | None = None
    to_utc: str | None = None
    reason: str = ""
    undoes: int | None = None

    @property
    def date(self) -> str:
        return self.at[:10]

    def describe(self) -> str:
        """One line, in English, for the CLI and logs."""
        what = (f"number {self.number}" if self.number else f"call {self.call_id}" if self.call_id is not None
                else f"campaign {self.finding_key}")
        if self.action == "undo":
            return f"#{self.id} {self.date}: undo of decision #{self.undoes}"
        where = f" into {self.finding_key}" if self.action == "confirm" and (self.number or self.call_id) else ""
        window = f" from {self.from_utc[:10]} to {self.to_utc[:10]}" if self.from_utc else ""
        company = f" as {self.company}" if self.company else ""
        reason = f" ({self.reason})" if self.reason else ""
        return f"#{self.id} {self.date}: {self.action} {what}{where}{company}{window}{reason}"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def history(store) -> list[Decision]:
    """Every decision ever taken, oldest first."""
    return [Decision(**row) for row in store.db.query("SELECT * FROM decisions ORDER BY id")]


def effective(store) -> list[Decision]:
    """The confirm and exclude decisions in force (not undone), oldest first."""
    every = history(store)
    undone, out = set(), []
    for d in reversed(every):            # an undo of an undo restores the first decision
        if d.id in undone:
            continue
        if d.action == "undo":
            undone.add(d.undoes)
    return [d for d in every if d.action != "undo" and d.id not in undone]


def last_id(conn) -> int:
    return conn.execute("SELECT IFNULL(MAX(id), 0) FROM decisions").fetchone()[0]


def _finding_key(store, finding_id: int | None) -> str:
    if finding_id is None:
        return OPERATOR
    row = store.conn.execute("SELECT key FROM findings WHERE id = ?", [finding_id]).fetchone()
    if row is None:
        raise CallwatchError(f"no finding {finding_id} in the latest scan (see `callwatch scan`)")
    return row[0]


def _number_key(config, number: str) -> str:
    from callwatch.numbers import Normaliser
    key = Normaliser(config.region).normalise(number).key
    if not key:
        raise CallwatchError(f"{number!r} is not a telephone number")
    return key


def _check_call(store, call_id: int) -> None:
    row = store.conn.execute("SELECT direction FROM calls WHERE id = ?", [call_id]).fetchone()
    if row is None:
        raise CallwatchError(f"no call {call_id} in the store (see `callwatch calls`)")
    if row[0] != "in":
        raise CallwatchError(f"call {call_id} is one you made, not one you received")


def _record(store, **fields) -> Decision:
    fields.setdefault("at", _now())
    cols = ", ".join(fields)
    with store.transaction():
        new_id = store.conn.execute(f"INSERT INTO decisions ({cols}) VALUES ({', '.join('?' * len(fields))})",
                                    list(fields.values())).lastrowid
    return next(d for d in history(store) if d.id == new_id)


def confirm(store, config, *, number: str | None = None, call_id: int | None = None,
            finding_id: int | None = None, company: str | None = None, reason: str = "") -> Decision:
    """Confirm a number or a call as part of a campaign (default: the operator's), or, given a
    campaign alone, the whole campaign as one caller's canvassing."""
    if number is not None and call_id is not None:
        raise CallwatchError("confirm a number or a call, not both")
    key = _finding_key(store, finding_id)
    if number is None and call_id is None and finding_id is None:
        raise CallwatchError("say what to confirm: a number, --call ID, or --campaign ID")
    if call_id is not None:
        _check_call(store, call_id)
    return _record(store, action="confirm", number=_number_key(config, number) if number else None,
                   call_id=call_id, finding_key=key, company=company or None, reason=reason.strip())


def exclude(store, config, *, number: str | None = None, call_id: int | None = None, reason: str,
            start: dt.date | None = None, end: dt.date | None = None) -> Decision:
    """Exclude a number (all its calls, or those between two local dates) or one call."""
    if (number is None) == (call_id is None):
        raise CallwatchError("exclude a number or a call (--call ID)")
    if not reason or not reason.strip():
        raise CallwatchError("give the reason (--reason \"service call: technician\"): the pack prints it")
    if (start or end) and number is None:
        raise CallwatchError("--from/--to limit the exclusion of a number, not of a single call")
    if start and end and start > end:
        raise CallwatchError(f"--from {start} is after --to {end}")
    if call_id is not None:
        _check_call(store, call_id)
    tz = ZoneInfo(config.timezone)

    def utc(day: dt.date | None, end_of_day: bool) -> str | None:
        if day is None:
            return None
        local = dt.datetime.combine(day + dt.timedelta(days=1) if end_of_day else day, dt.time(), tz)
        return local.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    from_utc = utc(start, False) if start or end else None
    to_utc = utc(end, True) if start or end else None
    if start or end:
        from_utc = from_utc or "0000-01-01T00:00:00Z"
        to_utc = to_utc or "9999-12-31T00:00:00Z"
    return _record(store, action="exclude", number=_number_key(config, number) if number else None,
                   call_id=call_id, from_utc=from_utc, to_utc=to_utc, reason=reason.strip())


def undo(store, decision_id: int | None = None) -> Decision:
    """Cancel a decision in force (by default the latest); the record of both stays."""
    live = effective(store)
    if not live:
        raise CallwatchError("no decision to undo")
    if decision_id is None:
        target = live[-1]
    else:
        target = next((d for d in live if d.id == decision_id), None)
        if target is None:
            raise CallwatchError(f"decision {decision_id} is not in force (see `callwatch review --history`)")
    return _record(store, action="undo", undoes=target.id, reason=f"undo of: {target.describe()}")


# -- applying decisions to a scan's groups ----------------------------------------------------

def other_companies(decisions: list[Decision]) -> frozenset:
    """Keys of campaigns the user confirmed as another caller's: never linked to the operator."""
    return frozenset(d.finding_key for d in decisions
                     if d.action == "confirm" and d.number is None and d.call_id is None and d.finding_key != OPERATOR)


def apply(groups: list[Group], df: pd.DataFrame, decisions: list[Decision]) -> set:
    """Apply the decisions in force, in order, to the scan's groups; returns the row labels of
    every call a decision placed or excluded (no withheld lead is made of them)."""
    inc = df.loc[df["incoming"], ["id", "number", "start_ms"]]     # what a decision reads, not every column
    label_of = pd.Series(inc.index, index=inc["id"].to_numpy())
    by_key = {g.key: g for g in groups}
    decided: set = set()
    for d in decisions:
        if d.number is not None:
            rows = inc[inc["number"] == d.number]
            if d.from_utc:
                lo, hi = _ms(d.from_utc), _ms(d.to_utc)
                rows = rows[(rows["start_ms"] >= lo) & (rows["start_ms"] < hi)]
            labels = list(rows.index)
        elif d.call_id is not None:
            labels = [label_of[d.call_id]] if d.call_id in label_of.index else []
        else:
            labels = []
        if d.action == "exclude":
            _exclude(groups, d, labels)
        elif d.number is None and d.call_id is None:
            group = by_key.get(d.finding_key)
            if group is not None:
                _confirm_group(group, d)
        else:
            group = by_key.get(d.finding_key)
            if group is not None:
                _confirm_into(groups, group, d, labels, inc)
        decided.update(labels)
    return decided


def _ms(iso: str) -> int:
    if iso.startswith("0000"):
        return -(1 << 62)
    if iso.startswith("9999"):
        return 1 << 62
    return int(dt.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp() * 1000)


def _note(d: Decision) -> list:
    return [["user_decision", {"action": d.action, "date": d.date, "reason": d.reason, "id": d.id}]]


def _exclude(groups, d: Decision, labels: list) -> None:
    wanted = set(labels)
    for g in groups:
        for label in wanted.intersection(g.index):
            g.call_tiers[label] = EXCLUDED
            g.decisions[label] = d.id
        if d.number is not None and d.from_utc is None and d.number in g.attributions:
            a = g.attributions[d.number]
            g.attributions[d.number] = Attribution(a.number, a.basis, [*a.facts, *_note(d)], EXCLUDED, a.similarity)


def _confirm_group(group: Group, d: Decision) -> None:
    group.confirmed_by_user = True
    if d.company and group.category != OPERATOR:
        group.company = d.company
        group.label = f"{d.company} ({group.label})"
    for number, a in list(group.attributions.items()):
        if a.certainty in LEADS:
            group.attributions[number] = Attribution(a.number, a.basis, [*a.facts, *_note(d)], CONFIRMED,
                                                     a.similarity)
    for label, tier in list(group.call_tiers.items()):
        if tier in LEADS:
            group.call_tiers[label] = CONFIRMED
            group.decisions[label] = d.id


def _confirm_into(groups, target: Group, d: Decision, labels: list, inc: pd.DataFrame) -> None:
    wanted = set(labels)
    previous = None
    for g in groups:                          # out of wherever they were
        if d.number is not None and d.number in g.attributions and g is not target:
            previous = previous or g.attributions.pop(d.number)
        if g is not target and wanted.intersection(g.index):
            g.index = [i for i in g.index if i not in wanted]
            for label in wanted:
                g.call_tiers.pop(label, None)
                g.decisions.pop(label, None)
    if d.number is not None:
        base = target.attributions.get(d.number) or previous
        basis, facts, sim = (base.basis, base.facts, base.similarity) if base else ("user", [], None)
        target.attributions[d.number] = Attribution(d.number, basis, [*facts, *_note(d)], CONFIRMED, sim)
    present = set(target.index)
    target.index += [label for label in labels if label not in present]
    for label in labels:
        target.call_tiers[label] = CONFIRMED
        target.decisions[label] = d.id


# -- what awaits the user ---------------------------------------------------------------------

def _when(start_utc: str, zone: str | None) -> str:
    """A call's time in the household's zone (with the zone), or UTC when no zone is given."""
    if not zone:
        return start_utc
    when = dt.datetime.strptime(start_utc[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def pending(store, zone: str | None = None) -> list[dict]:
    """What the latest scan could not settle and the user has not decided: probable links,
    withheld calls inside a campaign's waves, repeated callers and rotating blocks nobody said
    were canvassing, and numbers the household knows inside a declared block. Each item: kind,
    finding (id, key, label), number or call, calls, and a sentence saying why."""
    import json
    decided_numbers = {d.number for d in effective(store) if d.number}
    decided_calls = {d.call_id for d in effective(store) if d.call_id is not None}
    items = []
    for f in store.db.query("SELECT id, key, label, category, stats FROM findings ORDER BY id"):
        where = {"finding_id": f["id"], "finding_key": f["key"], "finding": f["label"]}
        stats = json.loads(f["stats"])
        confirmed_group = stats.get("confirmed_by_user")
        for n in store.db.query(
                "SELECT n.number, n.basis, n.detail, n.certainty, n.similarity, (SELECT COUNT(*) FROM finding_calls fc "
                "JOIN calls c ON c.id = fc.call_id WHERE fc.finding_id = n.finding_id AND c.number = n.number) AS calls "
                "FROM finding_numbers n WHERE n.finding_id = ? AND n.certainty IN ('probable', 'rotation') "
                "ORDER BY n.number", [f["id"]]):
            if n["number"] in decided_numbers or confirmed_group:
                continue
            kind = ("probable-link" if f["key"] == OPERATOR else
                    "repeated-caller" if f["category"] == NUISANCE else "unknown-campaign")
            items.append({"kind": kind, **where, "number": n["number"], "calls": n["calls"],
                          "similarity": n["similarity"], "why": n["detail"]})
        for c in store.db.query(
                "SELECT c.id, c.start_utc, fc.signals FROM finding_calls fc JOIN calls c ON c.id = fc.call_id "
                "WHERE fc.finding_id = ? AND fc.attribution = 'probable' AND c.number IS NULL ORDER BY c.start_ms",
                [f["id"]]):
            if c["id"] in decided_calls:
                continue
            items.append({"kind": "withheld-call", **where, "call_id": c["id"], "calls": 1, "number": None,
                          "start_utc": c["start_utc"],
                          "why": f"withheld call at {_when(c['start_utc'], zone)} ({c['signals']}), on a day and at "
                                 "an hour the campaign calls"})
        for number, why in (stats.get("review", {}).get("block_contacts") or {}).items():
            if number in decided_numbers:
                continue
            items.append({"kind": "contact-in-block", **where, "number": number, "calls": None,
                          "why": f"in a declared block but you know this number ({why}): not attributed"})
    return items


__all__ = ["Decision", "confirm", "exclude", "undo", "effective", "history", "pending", "apply", "COUNTED"]
