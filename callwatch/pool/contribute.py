"""A household's contribution to an association's pool: the calls of its harassment findings, one
Parquet row each (schema.py), and a small manifest, inside the file and beside it.

What is left in the house, whatever the member asks: names, the household's own numbers and the
line each call reached, contacts (never in a finding: detect/campaigns.py), calls and numbers the
user excluded, repeated callers nobody said are canvassing, calls dated after their own import (a
device clock error). A number that is not attributed to a company, nor in a range reserved for
automated calls, leaves as its block only. Defence in depth: a number the household itself calls,
or one of its own lines, never leaves unless the user declared it exactly as the operator's.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

from callwatch import __version__, lines as lines_mod
from callwatch.detect.campaigns import COUNTED, EXCLUDED, NUISANCE
from callwatch.errors import CallwatchError
from callwatch.pool import keys, schema
from callwatch.private import private_dir, write_private


@dataclass
class Contribution:
    table: pa.Table
    manifest: dict
    left_out: dict = field(default_factory=dict)      # what stayed in the house, counted

    @property
    def manifest_bytes(self) -> bytes:
        return (json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def parquet_bytes(self) -> bytes:
        table = self.table.replace_schema_metadata({schema.MANIFEST_KEY: self.manifest_bytes})
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        return sink.getvalue().to_pybytes()

    def show(self) -> str:
        """Exactly what would leave the house: the manifest, then every row."""
        out = io.StringIO()
        out.write("What would leave the house, and nothing else:\n\n")
        out.write("1. The manifest (also inside the Parquet file):\n")
        out.write(self.manifest_bytes.decode("utf-8"))
        out.write(f"\n2. {self.table.num_rows} row(s), one per call, with these columns:\n")
        for name, _kind, _nullable, what in schema.COLUMNS:
            out.write(f"   {name}: {what}\n")
        out.write("\n")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.table.column_names)
        for row in self.table.to_pylist():
            writer.writerow(["|".join(v) if isinstance(v, list) else
                             v.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" if isinstance(v, datetime) else
                             "" if v is None else v for v in row.values()])
        out.write("\nLeft in the house: " + left_out_text(self.left_out) + "\n")
        return out.getvalue()


def left_out_text(left: dict) -> str:
    parts = [f"{n} {what}" for what, n in (
        ("call(s) you excluded", left.get("excluded_calls", 0)),
        ("call(s) dated after their own import (a device clock error)", left.get("future_calls", 0)),
        ("call(s) of repeated callers nobody said are canvassing", left.get("unreviewed_calls", 0)),
        ("number(s) reduced to their block (not attributed to a company)", left.get("numbers_as_block", 0)),
        ("number(s) removed: your own lines, or numbers you call yourself", left.get("numbers_removed", 0)),
    ) if n]
    return "; ".join(parts) + ("." if parts else "nothing else from these findings.") + (
        " Never: names, your own numbers, the line each call reached, your contacts.")


def _findings(store, finding_ids) -> list[dict]:
    rows = list(store.db.query("SELECT f.*, s.rule_pack, s.rule_pack_version FROM findings f "
                               "JOIN scans s ON s.id = f.scan_id ORDER BY f.id"))
    if not rows:
        raise CallwatchError("no finding to contribute: run `callwatch scan` first (or there is nothing to report)")
    for r in rows:
        r["stats"] = json.loads(r["stats"])
    if finding_ids:
        by_id = {r["id"]: r for r in rows}
        missing = [i for i in finding_ids if i not in by_id]
        if missing:
            raise CallwatchError(f"no finding {missing[0]} in the latest scan (see `callwatch scan`)")
        chosen = [by_id[i] for i in dict.fromkeys(finding_ids)]
        for r in chosen:
            if r["category"] == NUISANCE and not r["stats"].get("confirmed_by_user"):
                raise CallwatchError(
                    f"finding {r['id']} ({r['label']}) is a repeated caller nobody said is canvassing: it may be a "
                    f"private person, so its calls stay in the house until you confirm it "
                    f"(`callwatch confirm --campaign {r['id']}`)")
        return chosen
    return [r for r in rows if r["category"] != NUISANCE or r["stats"].get("confirmed_by_user")]


def gather(store, config, key: bytes, *, finding_ids=(), packs=(), area: str | None = None,
           now: datetime | None = None) -> Contribution:
    """The contribution of this store's findings (``finding_ids``, or every harassment finding),
    read in one snapshot. ``area``: what the member opted to share (schema.area), or None."""
    jurisdiction_area = None
    store.conn.execute("BEGIN")
    try:
        findings = _findings(store, list(finding_ids))
        all_findings = list(store.db.query("SELECT id, category, stats FROM findings"))
        unreviewed = [f["id"] for f in all_findings
                      if f["category"] == NUISANCE and not json.loads(f["stats"]).get("confirmed_by_user")
                      and f["id"] not in {x["id"] for x in findings}]
        packs_found = {(f["rule_pack"], f["rule_pack_version"]) for f in findings}
        if len(packs_found) > 1:
            raise CallwatchError("the findings come from scans with different rule packs: run `callwatch scan --full`")
        if not findings:
            raise CallwatchError("no harassment finding to contribute: only repeated callers nobody said are "
                                 "canvassing, which stay in the house (confirm one with `callwatch confirm --campaign ID`)")
        rule_pack, rule_pack_version = next(iter(packs_found))
        if area is not None:
            try:
                jurisdiction_area = schema.area(area, rule_pack, config.complainant.address)
            except ValueError as exc:
                raise CallwatchError(f"--area {area}: {exc}") from None
        own = {r[0] for r in store.conn.execute("SELECT line FROM lines_seen WHERE line LIKE '+%'")}
        own |= set(lines_mod.labels(config))
        called = {r[0] for r in store.conn.execute(
            "SELECT DISTINCT number FROM calls WHERE direction = 'out' AND number IS NOT NULL")}
        unreviewed_calls = store.conn.execute(
            f"SELECT COUNT(*) FROM finding_calls WHERE finding_id IN ({','.join('?' * len(unreviewed))})",
            unreviewed).fetchone()[0] if unreviewed else 0
        rows, left, summaries = _rows(store, config, findings, own, called)
    finally:
        store.conn.execute("COMMIT")
    left["unreviewed_calls"] = unreviewed_calls
    household = keys.pseudonym(key, keys.household_secret(store.data_dir))
    contribution_id = secrets.token_hex(16)
    for r in rows:
        r.update(contribution=contribution_id, household=household, area=jurisdiction_area,
                 rule_pack=rule_pack, rule_pack_version=rule_pack_version)
    table = pa.Table.from_pylist(rows, schema=schema.SCHEMA) if rows else schema.SCHEMA.empty_table()
    created = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    manifest = {
        "format": schema.FORMAT, "format_version": schema.FORMAT_VERSION,
        "contribution": contribution_id, "household": household,
        "key_fingerprint": keys.fingerprint(key),
        "created_at_utc": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "callwatch_version": __version__,
        "rule_pack": {"id": rule_pack, "version": rule_pack_version},
        "area": jurisdiction_area, "rows": table.num_rows,
        "findings": summaries,
        "packs": [_pack_reference(Path(p), findings) for p in packs],
        "left_out": left,
    }
    return Contribution(table, manifest, left)


def _rows(store, config, findings, own: set, called: set):
    tz = ZoneInfo(config.timezone)
    rows, summaries = [], []
    left = {"excluded_calls": 0, "future_calls": 0, "numbers_as_block": 0, "numbers_removed": 0}
    as_block, removed = set(), set()
    for ordinal, f in enumerate(findings, start=1):
        basis = {r[0]: r[1] for r in store.conn.execute(
            "SELECT number, basis FROM finding_numbers WHERE finding_id = ?", [f["id"]])}
        breaches: dict[int, set] = {}
        for call_id, rule_id in store.conn.execute("SELECT call_id, rule_id FROM breaches WHERE finding_id = ?",
                                                   [f["id"]]):
            breaches.setdefault(call_id, set()).add(rule_id)
        operator = schema.operator_name(f["company"])
        shared = counted = 0
        for (call_id, start_ms, outcome, duration_s, duration_prec, time_prec, number, signals,
             tier) in store.conn.execute(
                "SELECT c.id, c.start_ms, c.outcome, c.duration_s, c.duration_precision_s, c.time_precision_s, "
                "c.number, fc.signals, fc.attribution FROM finding_calls fc JOIN calls c ON c.id = fc.call_id "
                "WHERE fc.finding_id = ? ORDER BY c.start_ms, c.id", [f["id"]]):
            if tier is None:
                raise CallwatchError("the latest scan was made by an older callwatch, before calls had attribution "
                                     "tiers: run `callwatch scan --full`")
            flags = set(signals.split(",")) if signals else set()
            if tier == EXCLUDED:
                left["excluded_calls"] += 1
                continue
            if "future" in flags:
                left["future_calls"] += 1
                continue
            if not schema.shareable_category(f["category"], tier):
                continue          # a lead of an unreviewed repeated caller: counted with unreviewed_calls
            caller_number = caller_block = None
            if number:
                mine = number in own or (number in called and basis.get(number) != "declared-number"
                                         and tier != "confirmed")
                if mine:
                    removed.add(number)
                else:
                    caller_block = schema.block(number)
                    if schema.may_carry_number(tier, f["category"]):
                        caller_number = number
                    else:
                        as_block.add(number)
            local = datetime.fromtimestamp(start_ms / 1000, timezone.utc).astimezone(tz)
            rows.append({
                "finding": ordinal, "category": f["category"], "operator": operator,
                "start_utc": datetime.fromtimestamp(start_ms / 1000, timezone.utc),
                "month": local.strftime("%Y-%m"), "local_hour": local.hour, "local_weekday": local.weekday(),
                "outcome": outcome if outcome in schema.OUTCOMES else "unknown",
                "silent": "silent" in flags, "short": "short" in flags, "withheld": "withheld" in flags,
                "duration_s": duration_s, "duration_precision_s": duration_prec, "time_precision_s": time_prec,
                "caller_number": caller_number, "caller_block": caller_block, "tier": tier,
                "rules_broken": sorted(breaches.get(call_id, ())) if tier in COUNTED else [],
            })
            shared += 1
            counted += tier in COUNTED
        summaries.append({"finding": ordinal, "category": f["category"], "operator": operator,
                          "calls": shared, "counted": counted})
    left["numbers_as_block"] = len(as_block)
    left["numbers_removed"] = len(removed)
    rows.sort(key=lambda r: r["start_utc"])
    return rows, left, summaries


def _pack_reference(path: Path, findings: list[dict]) -> dict:
    """What a contribution may say of an evidence pack: its fingerprint, its root and its RFC 3161
    token (which stamps the root), so that the association can check provenance later; never its
    content. The pack is checked first, and must be of one of the contributed findings."""
    from callwatch.evidence.verify import TOKEN, read_checked
    report, files = read_checked(path)
    if report.not_a_pack:
        raise CallwatchError(f"--pack {path}: not a callwatch pack: {report.not_a_pack}")
    if not report.files_ok:
        faults = report.changed + report.missing + report.extra + report.problems
        raise CallwatchError(f"--pack {path}: the pack is altered ({'; '.join(map(str, faults[:3]))}): "
                             f"check it with `callwatch verify {path}`")
    manifest = json.loads(files["manifest.json"])
    ordinal = next((i for i, f in enumerate(findings, start=1) if f["key"] == manifest.get("finding_key")), None)
    if ordinal is None:
        raise CallwatchError(f"--pack {path}: the pack is of a finding this contribution does not hold")
    token = files.get(TOKEN)
    ts = report.timestamp
    return {"finding": ordinal, "fingerprint": report.fingerprint, "root": report.root,
            "generated_at_utc": manifest.get("generated_at_utc"), "rule_pack": manifest.get("rule_pack"),
            "timestamp": None if token is None else {
                "token_base64": base64.b64encode(token).decode("ascii"),
                "time": ts.time if ts else None, "authority": ts.tsa_name if ts else None}}


def manifest_path(out: Path) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".manifest.json") if out.suffix == ".parquet" else \
        out.with_name(out.name + ".manifest.json")


def write(contribution: Contribution, out: Path) -> tuple[Path, Path]:
    """The Parquet file (manifest inside) and the manifest beside it, private (0600)."""
    out = Path(out)
    private_dir(out.parent)
    write_private(out, contribution.parquet_bytes())
    side = manifest_path(out)
    write_private(side, contribution.manifest_bytes)
    return out, side

