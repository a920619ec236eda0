"""Detection: signals per call, campaigns, rules, findings. ``scan()`` runs it all on the
store and stores the findings (they replace the previous scan's)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from callwatch import __version__
from callwatch.detect import campaigns, findings, frame, rules


@dataclass
class ScanResult:
    scan_id: int
    pack: rules.RulePack
    findings: list
    contacts: dict
    calls_considered: int


def _applicable_objections(group, config):
    if not group.company:
        return []
    name = group.company.casefold()
    return [o for o in config.objections if o.company.casefold() == name]


def analyse(store, config, pack: rules.RulePack | None = None):
    """Compute the findings without storing them."""
    pack = pack or rules.load_pack(config.jurisdiction)
    df = frame.load_calls(store, config.timezone)
    df = frame.add_signals(df, config.detect, pack.holidays)
    names = frame.caller_names(store) if config.operator.caller_name_patterns else {}
    groups, known = campaigns.group_calls(df, config, names)
    result = []
    for group in groups:
        calls = df.loc[sorted(group.index, key=lambda i: (df.at[i, "start_ms"], df.at[i, "id"]))]
        if calls.empty:
            continue
        breaches = rules.evaluate(pack, calls, rules.Context(_applicable_objections(group, config),
                                                                one_caller=group.key != "withheld"))
        result.append(findings.build(group, calls, breaches, pack))
    order = {"high": 0, "medium": 1, "low": 2}
    result.sort(key=lambda f: (order[f.severity], -f.stats["calls"]))
    return pack, df, result, known


def scan(store, config) -> ScanResult:
    pack, df, result, known = analyse(store, config)
    conn = store.conn
    with store.transaction():
        for table in ("breaches", "finding_calls", "finding_numbers", "findings"):
            conn.execute(f"DELETE FROM {table}")
        scan_id = conn.execute(
            "INSERT INTO scans (at, rule_pack, rule_pack_version, config_sha256, calls_considered, callwatch_version) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), pack.id, pack.version, config.fingerprint,
             int(len(df)), __version__]).lastrowid
        for f in result:
            fid = conn.execute(
                "INSERT INTO findings (scan_id, key, category, label, company, severity, why, first_utc, last_utc, stats) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [scan_id, f.group.key, f.group.category, f.group.label, f.group.company, f.severity, f.why,
                 f.stats["first_utc"], f.stats["last_utc"], json.dumps({**f.stats, "rules": f.rule_counts})]).lastrowid
            f.id = fid
            conn.executemany(
                "INSERT INTO finding_numbers (finding_id, number, basis, detail, certainty, similarity) VALUES (?, ?, ?, ?, ?, ?)",
                [(fid, a.number, a.basis, a.detail, a.certainty, a.similarity) for a in f.group.attributions.values()])
            conn.executemany(
                "INSERT INTO finding_calls (finding_id, call_id, signals) VALUES (?, ?, ?)",
                zip([fid] * len(f.calls), f.calls["id"].tolist(), frame.signal_texts(f.calls)))
            call_ids = f.calls["id"]
            conn.executemany(
                "INSERT INTO breaches (finding_id, rule_id, call_id, detail) VALUES (?, ?, ?, ?)",
                [(fid, b.rule_id, int(call_ids.at[b.index]), b.detail) for b in f.breaches])
    return ScanResult(scan_id, pack, result, known, int(len(df)))
