"""Detection: signals per call, campaigns, rules, findings.

``scan()`` looks at the calls imported since the previous scan and re-evaluates only the
findings they touch; it falls back to a full scan whenever new calls could change how numbers
are grouped (a new rotation, a stand-alone nuisance, a contact), when the configuration or the
rule pack changed, or when asked (``full=True``). Findings are stored; readers (the report,
the daemon) read them from the store.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from callwatch import __version__, lines
from callwatch.detect import campaigns, findings, frame, review, rules
from callwatch.readout import stored_findings  # noqa: F401 (read by the edges too, without pandas)


@dataclass
class ScanResult:
    scan_id: int
    mode: str                     # full | incremental
    pack: rules.RulePack
    findings: list[dict]          # as stored, most severe first
    changed: int                  # findings written by this scan
    calls_considered: int         # calls read by this scan
    full_because: str | None = None   # a full scan: why (asked for, or what the new calls could change)


def _applicable_objections(group, config):
    if not group.company:
        return []
    name = group.company.casefold()
    return [o for o in config.objections if o.company.casefold() == name]


def _evaluate(group, df, pack, config):
    """The finding of one group: its calls with their tiers, the rules broken by the counted
    calls, and those the leads would add if the user confirmed them."""
    calls = df.loc[group.index].sort_values(["start_ms", "id"])
    calls["tier"] = group.tiers(calls)
    kept = calls[calls["tier"] != campaigns.EXCLUDED]
    if kept.empty:               # every call excluded by the user: no finding left
        return None
    # A call dated after its own import (a clock glitch) stays in the finding, flagged
    # ``future``, but breaks no rule, counted or lead: its date, what the rules judge, is wrong.
    dated = kept[~kept["future"]]
    counted = dated[dated["tier"].isin(campaigns.COUNTED)]
    # Another company than the operator: nothing says the household is its customer.
    declared = {"customer": False}
    if group.category == campaigns.OPERATOR:
        declared = {"purpose": config.operator.purpose, "consent_given": config.operator.consent_given,
                    "customer": config.operator.customer}
    ctx = rules.Context(_applicable_objections(group, config), declared=declared, holiday_country=pack.holidays,
                        registrations=lines.registrations(config))
    breaches = rules.evaluate(pack, counted, ctx)
    if_confirmed = rules.evaluate(pack, dated, ctx) if len(dated) > len(counted) else breaches
    return findings.build(group, calls, breaches, if_confirmed, pack)


def analyse(store, config, pack: rules.RulePack | None = None, prefetched: frame.Prefetched | None = None):
    """Compute every finding from every call and the user's decisions, without storing them
    (``prefetched``: see frame.load_calls)."""
    pack = pack or rules.load_pack(config.jurisdiction)
    df = frame.load_calls(store, config.timezone, consumers=lines.holders(config), prefetched=prefetched)
    df = frame.add_signals(df, config.detect, pack.holidays)
    names = frame.caller_names(store) if config.operator.caller_name_patterns else {}
    decisions = review.effective(store)
    groups, known = campaigns.group_calls(df, config, names, review.other_companies(decisions))
    decided = review.apply(groups, df, decisions)
    campaigns.add_withheld_leads(groups[0], df, decided)
    result = [f for f in (_evaluate(group, df, pack, config) for group in groups if group.index) if f is not None]
    order = {"high": 0, "medium": 1, "low": 2}
    result.sort(key=lambda f: (order[f.severity], -f.stats["calls"], -f.stats["leads"]["calls"]))
    return pack, df, result, known


def scan(store, config, full: bool = False) -> ScanResult:
    pack = rules.load_pack(config.jurisdiction)
    because = "asked for"
    if not full:
        result = _incremental(store, config, pack)
        if isinstance(result, ScanResult):
            return result
        because = result
    # One read snapshot for the whole analysis, and the ids recorded as "considered" taken from it:
    # an import committing meanwhile is neither half seen nor skipped by the next incremental scan.
    # A large store's calls are read before it opens, by child processes: the snapshot takes them
    # only if no other connection committed since they started (frame.prefetch).
    prefetched = frame.prefetch(store)
    store.conn.execute("BEGIN")
    try:
        seen = _max_ids(store.conn)
        pack, df, result, _known = analyse(store, config, pack, prefetched)
    finally:
        store.conn.execute("COMMIT")
    with store.transaction():
        for table in ("breaches", "finding_calls", "finding_numbers", "findings"):
            store.conn.execute(f"DELETE FROM {table}")
        scan_id = _record_scan(store, config, pack, "full", len(df), len(result), seen)
        for f in result:
            _store_finding(store.conn, scan_id, f)
    return ScanResult(scan_id, "full", pack, stored_findings(store), len(result), int(len(df)), because)


def _max_ids(conn) -> tuple[int, int, int]:
    return (conn.execute("SELECT IFNULL(MAX(id), 0) FROM calls").fetchone()[0],
            conn.execute("SELECT IFNULL(MAX(id), 0) FROM imports").fetchone()[0],
            review.last_id(conn))


def _record_scan(store, config, pack, mode, considered, changed, seen: tuple[int, int, int] | None = None) -> int:
    conn = store.conn
    max_call, max_import, max_decision = seen or _max_ids(conn)
    return conn.execute(
        "INSERT INTO scans (at, rule_pack, rule_pack_version, config_sha256, calls_considered, callwatch_version, "
        "mode, max_call_id, max_import_id, findings_changed, max_decision_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), pack.id, pack.version, config.fingerprint,
         int(considered), __version__, mode, max_call, max_import, changed, max_decision]).lastrowid


def _store_finding(conn, scan_id, f, finding_id: int | None = None) -> int:
    stats = {**f.stats, "rules": f.rule_counts, "rules_if_confirmed": f.rules_if_confirmed}
    values = [scan_id, f.group.key, f.group.category, f.group.label, f.group.company, f.severity, f.why,
              f.stats["period_first_utc"], f.stats["period_last_utc"], json.dumps(stats, ensure_ascii=False)]
    if finding_id is None:
        finding_id = conn.execute(
            "INSERT INTO findings (scan_id, key, category, label, company, severity, why, first_utc, last_utc, stats) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values).lastrowid
    else:       # the finding keeps its id: the calls listed under it stay addressable
        conn.execute("UPDATE findings SET scan_id = ?, key = ?, category = ?, label = ?, company = ?, severity = ?, "
                     "why = ?, first_utc = ?, last_utc = ?, stats = ? WHERE id = ?", values + [finding_id])
        for table in ("breaches", "finding_calls", "finding_numbers"):
            conn.execute(f"DELETE FROM {table} WHERE finding_id = ?", [finding_id])
    f.id = finding_id
    conn.executemany(
        "INSERT INTO finding_numbers (finding_id, number, basis, detail, certainty, similarity, facts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(finding_id, a.number, a.basis, a.detail, a.certainty, a.similarity, json.dumps(a.facts, ensure_ascii=False))
         for a in f.group.attributions.values()])
    decisions = f.group.decisions
    conn.executemany("INSERT INTO finding_calls (finding_id, call_id, signals, attribution, decision_id) "
                     "VALUES (?, ?, ?, ?, ?)",
                     zip([finding_id] * len(f.calls), f.calls["id"].tolist(), frame.signal_texts(f.calls),
                         f.calls["tier"].tolist(), [decisions.get(label) for label in f.calls.index]))
    call_ids = f.calls["id"]
    conn.executemany("INSERT INTO breaches (finding_id, rule_id, call_id, detail, facts) VALUES (?, ?, ?, ?, ?)",
                     [(finding_id, b.rule_id, int(call_ids.at[b.index]), b.detail, json.dumps(b.facts, ensure_ascii=False))
                      for b in f.breaches])
    return finding_id


# -- incremental ---------------------------------------------------------------------------

def _incremental(store, config, pack) -> ScanResult | str:
    """Re-evaluate only the findings the new calls touch; else why a full scan is needed."""
    with store.transaction():     # the new calls read are exactly those recorded as considered
        return _incremental_in(store, config, pack)


def _incremental_in(store, config, pack) -> ScanResult | str:
    conn, d = store.conn, config.detect
    last = next(store.db.query("SELECT * FROM scans ORDER BY id DESC LIMIT 1"), None)
    if last is None:
        return "there was no scan before"
    if last["max_call_id"] is None or last["max_decision_id"] is None:     # before tiers and decisions
        return "the last scan was made by an older callwatch"
    if last["config_sha256"] != config.fingerprint:
        return "the configuration changed since the last scan"
    if last["rule_pack"] != pack.id or last["rule_pack_version"] != pack.version:
        return "the rule pack changed since the last scan"
    if last["max_decision_id"] != review.last_id(conn):
        return "a review decision was made since the last scan"
    new = conn.execute(
        "SELECT id, number, direction, caller_name, outcome, duration_s FROM calls WHERE id > ? UNION "
        "SELECT c.id, c.number, c.direction, c.caller_name, c.outcome, c.duration_s FROM call_sources s "
        "JOIN calls c ON c.id = s.call_id WHERE s.import_id > ?", [last["max_call_id"], last["max_import_id"]]).fetchall()
    owner, blocks_owned, op_id, declared_blocks, tier_of = {}, set(), None, {}, {}
    for r in store.db.query("SELECT n.number, n.basis, n.certainty, f.id, f.key FROM finding_numbers n "
                            "JOIN findings f ON f.id = n.finding_id"):
        owner[r["number"]] = r["id"]
        tier_of[r["number"]] = r["certainty"]
        blk = campaigns.block_of(r["number"], d.block_suffix_digits)
        if r["key"] == "operator":
            if r["basis"] in ("declared-number", "declared-prefix", "caller-name") and blk:
                declared_blocks[blk] = r["number"]
        elif blk and r["basis"] in ("rotation", "reserved-range"):
            blocks_owned.add(blk)
    row = conn.execute("SELECT id FROM findings WHERE key = 'operator'").fetchone()
    op_id = row[0] if row else None
    decided = {r[0] for r in conn.execute("SELECT number FROM decisions WHERE number IS NOT NULL")}
    declared = campaigns.Declared(config)
    affected: dict[int, list] = {}
    withheld_seen = False
    unowned: set[str] = set()
    talking: set[str] = set()           # numbers with a new conversation: contacts now?
    rotation_checked: dict[str, bool] = {}
    for _call_id, number, direction, caller_name, outcome, duration in new:
        if number in decided:                 # a decision on this number may cover this call: apply it in full
            return "a new call from a number you decided on"
        if direction == "out":
            if number in owner:            # the user called a number of a finding: a contact now?
                return "the household called a number of a finding (someone it knows now?)"
            continue
        if number is None:
            withheld_seen = True
            continue
        talk = outcome == "answered" and (duration or 0) >= 60
        if number in owner:
            if talk and tier_of[number] != campaigns.DECLARED:
                talking.add(number)
            affected.setdefault(owner[number], [])
            continue
        att = declared.attribution(number, [caller_name] if caller_name else ())
        if att is None:
            att = campaigns.same_block(number, declared_blocks, d.block_suffix_digits)
            if att is not None:
                talking.add(number)        # in a declared block: unless the household knows it
        elif att.basis == "declared-prefix":
            talking.add(number)
        if att is not None:
            if op_id is None:
                return "a new number of the operator, and no operator finding yet"
            affected.setdefault(op_id, []).append(att)
            owner[number] = op_id
            continue
        if _block_could_rotate(conn, config, number, blocks_owned, rotation_checked):
            return (f"a new number in the block {campaigns.block_of(number, d.block_suffix_digits)}..., which could "
                    "now be a rotation or an automated range")
        unowned.add(number)
    if unowned and _could_stand_alone(store, config, pack, unowned):
        return "a new number could now be a nuisance on its own"
    if talking and _any_contact(store, config, pack, talking):
        return "a number of a finding may now be someone the household knows"
    if withheld_seen and op_id is not None:
        affected.setdefault(op_id, [])     # a withheld call may be a lead of the operator campaign
    considered = 0
    for finding_id, additions in affected.items():
        considered += _reevaluate(store, config, pack, finding_id, additions)
    scan_id = _record_scan(store, config, pack, "incremental", considered, len(affected))
    return ScanResult(scan_id, "incremental", pack, stored_findings(store), len(affected), considered)


def _any_contact(store, config, pack, numbers) -> bool:
    """Whether any of these numbers is now someone the household knows (the full scan's test)."""
    df = frame.add_signals(frame.load_calls(store, config.timezone, sorted(numbers)), config.detect, pack.holidays)
    return bool(set(campaigns.contacts(df)) & set(numbers))


def _block_could_rotate(conn, config, number, blocks_owned, known: dict) -> bool:
    """Whether a new number's block could now be (or join) a rotation or an automated range.
    ``known``: the answer per block, during one scan (a block's frequent callers make many new
    calls: each asked once, and the counts stop at their thresholds)."""
    d = config.detect
    blk = campaigns.block_of(number, d.block_suffix_digits)
    if not blk:
        return False
    if blk not in known:
        known[blk] = blk in blocks_owned or _block_counts_reach(conn, blk, d.rotation_min_numbers)
    return known[blk]


def _block_counts_reach(conn, blk: str, rotation_min_numbers: int) -> bool:
    """Whether the block has rotation_min_numbers numbers with an incoming call, or two incoming
    calls from ARCEP's reserved ranges. Found number by number through the (number, start) index
    and the reserved numbers first: counting over the block's calls read every call of its
    frequent callers (1,000 new calls of a million-call household: 0.6-0.9 s)."""
    next_number = ("SELECT number FROM calls WHERE number {} ? AND number < ? AND direction = 'in' "
                   "ORDER BY number LIMIT 1")
    seen, after = 0, None
    while seen < rotation_min_numbers:
        row = conn.execute(next_number.format(">=" if after is None else ">"),
                           [blk if after is None else after, blk + ":"]).fetchone()
        if row is None:
            break
        seen, after = seen + 1, row[0]
    if seen >= rotation_min_numbers:
        return True
    npv = conn.execute("SELECT COUNT(*) FROM (SELECT 1 FROM numbers n CROSS JOIN calls c ON c.number = n.number "
                       "WHERE n.number >= ? AND n.number < ? AND n.npv IS NOT NULL AND c.direction = 'in' LIMIT 2)",
                       [blk, blk + ":"]).fetchone()[0]
    return npv >= 2


def _could_stand_alone(store, config, pack, numbers) -> bool:
    """Whether any of these numbers (no finding holds them) is now a nuisance on its own, with
    the very criteria of the full scan, on their calls only."""
    df = frame.add_signals(frame.load_calls(store, config.timezone, sorted(numbers)), config.detect, pack.holidays)
    known = campaigns.contacts(df)
    free = df[df["incoming"] & ~df["number"].isin(known.keys())]
    return not campaigns.standalone(free, config.region).empty


def _reevaluate(store, config, pack, finding_id, additions) -> int:
    """One finding again, from its stored numbers and per-call tiers (the decisions already
    applied to it), with the new calls of its numbers and, for the operator, the withheld leads."""
    row = next(store.db.query("SELECT * FROM findings WHERE id = ?", [finding_id]))
    stats = json.loads(row["stats"])
    group = campaigns.Group(row["key"], row["category"], row["label"], row["company"],
                            confirmed_by_user=bool(stats.get("confirmed_by_user")), review=stats.get("review") or {})
    for n in store.db.query("SELECT * FROM finding_numbers WHERE finding_id = ?", [finding_id]):
        facts = json.loads(n["facts"]) if n["facts"] else [["text", {"en": n["detail"]}]]    # before schema 5
        group.attributions[n["number"]] = campaigns.Attribution(n["number"], n["basis"], facts, n["certainty"],
                                                                n["similarity"])
    for att in additions:
        group.attributions[att.number] = att
    numbers = list(group.attributions)
    operator = row["key"] == "operator"
    df = frame.load_calls(store, config.timezone, numbers, withheld=operator, consumers=lines.holders(config))
    df = frame.add_signals(df, config.detect, pack.holidays)
    label_of = dict(zip(df["id"].tolist(), df.index))
    decided = set()
    for call_id, tier, decision_id in store.conn.execute(
            "SELECT fc.call_id, fc.attribution, fc.decision_id FROM finding_calls fc WHERE fc.finding_id = ? "
            "AND (fc.decision_id IS NOT NULL)", [finding_id]):
        label = label_of.get(call_id)
        if label is not None:
            group.call_tiers[label] = tier
            group.decisions[label] = decision_id
            decided.add(label)
    inc = df[df["incoming"]]
    group.index = list(inc.index[inc["number"].isin(numbers)]) + [label for label in decided
                                                                    if not inc.at[label, "number"] in numbers]
    if operator:
        campaigns.add_withheld_leads(group, df, decided)
    finding = _evaluate(group, df, pack, config)
    if finding is None:          # nothing left but calls the user excluded
        for table in ("breaches", "finding_calls", "finding_numbers"):
            store.conn.execute(f"DELETE FROM {table} WHERE finding_id = ?", [finding_id])
        store.conn.execute("DELETE FROM findings WHERE id = ?", [finding_id])
    else:
        _store_finding(store.conn, row["scan_id"], finding, finding_id)
    return int(len(group.index))
