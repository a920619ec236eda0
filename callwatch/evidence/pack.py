"""Writes the evidence pack: a folder and the same as a zip.

    callwatch-evidence-<subject>-<YYYY-MM-DD>/
        evidence.pdf      PDF/A-3B, calls.csv and manifest.json attached inside
        calls.csv         exactly the PDF's call table (UTF-8 with BOM, for spreadsheets)
        findings.json     the finding, its figures, rules, numbers and breaches
        letters/*.md      drafts filled with the facts
        manifest.json     every file above (but the PDF) and every source export, hashed
        SHA256SUMS        every file of the pack, in `sha256sum -c` format

The pack's fingerprint is the SHA-256 of manifest.json: printed on the PDF's cover and by
the command. Files are written private (0600, folder 0700). Given the same store, subject
and generation time (``at``), every file is byte-identical.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

from callwatch import __version__
from callwatch.evidence import letters, pdf, timestamp
from callwatch.evidence.data import PackData
from callwatch.private import private_dir, write_private

CSV_COLUMNS = ("call_id", "local_date", "local_time", "time_zone", "weekday", "utc", "called_line", "number",
               "presentation", "outcome", "talk_s", "talk_precision_s", "ring_s", "attribution", "signals",
               "rules_broken", "source_file", "source_sha256", "locator")


@dataclass
class PackResult:
    folder: Path
    zip_path: Path
    fingerprint: str
    files: list[str]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def csv_rows(data: PackData) -> list[list[str]]:
    rows = []
    for c in data.calls:
        rows.append([str(c["id"]), c["local_date"], c["local_time"], c["zone"], c["weekday"], c["utc"],
                     data.line_name(c["line"]), c["number"] or f"({c['presentation']})", c["presentation"],
                     c["outcome"], "" if c["duration_s"] is None else str(c["duration_s"]),
                     str(c["duration_precision_s"]), "" if c["ring_s"] is None else str(c["ring_s"]),
                     c["attribution"], c["signals"], " ".join(c["rules"]), c["source"], c["source_sha256"],
                     c["locator"]])
    return rows


def calls_csv(data: PackData) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(data))
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def findings_json(data: PackData) -> bytes:
    doc = {
        "subject": data.subject,
        "finding": {k: data.finding[k] for k in ("id", "key", "category", "label", "company", "severity", "why")},
        "figures": data.figures(),
        "time_zone": data.config.timezone,
        "period": {"from": data.calls[0]["local_date"], "to": data.calls[-1]["local_date"]},
        "rule_pack": {"id": data.pack.id, "version": data.pack.version, "name": data.pack.name},
        "rules_broken": [{"id": rid, "citation": data.rules[rid].citation, "text_en": data.rules[rid].text_en,
                          "text_fr": data.rules[rid].text_fr, "assumes": data.rules[rid].assumes,
                          "assumes_fr": data.rules[rid].assumes_fr,
                          "in_force": {"from": str(data.rules[rid].valid_from) if data.rules[rid].valid_from else None,
                                       "until": str(data.rules[rid].valid_until) if data.rules[rid].valid_until else None},
                          "count_per": data.rules[rid].params.get("count_per"),
                          "calls": bs} for rid, bs in data.breaches.items()],
        "counted_tiers": ["declared", "same-block", "confirmed"],
        "rules_if_confirmed": data.rules_if_confirmed(),
        "numbers": [{k: n[k] for k in ("number", "basis", "detail", "certainty", "similarity")} for n in data.numbers],
        "leads": [_brief(data, c) for c in data.leads],
        "excluded": [{**_brief(data, c), "decision_id": c["decision_id"]} for c in data.excluded],
        "decisions": [{"id": d.id, "at": d.at, "action": d.action, "number": d.number, "call_id": d.call_id,
                       "finding_key": d.finding_key, "company": d.company, "from_utc": d.from_utc,
                       "to_utc": d.to_utc, "reason": d.reason} for d in data.decisions],
        "lines": {line: data.line_name(line) for line in sorted({c["line"] for c in data.calls if c["line"]})},
        "objections": [{"company": o.company, "date": o.date.isoformat(), "kind": o.kind} for o in data.objections],
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _brief(data: PackData, c: dict) -> dict:
    return {"call_id": c["id"], "local": f"{c['local']} {c['zone']}", "utc": c["utc"], "called_line": data.line_name(c["line"]),
            "number": c["number"], "presentation": c["presentation"], "outcome": c["outcome"],
            "attribution": c["attribution"], "signals": c["signals"]}


def build(data: PackData, out_dir: Path, lang: str = "fr") -> PackResult:
    try:
        return _build(data, out_dir, lang)
    finally:                                   # a failed build leaves no half pack behind
        for partial in Path(out_dir).glob(".callwatch-evidence-*.partial"):
            shutil.rmtree(partial, ignore_errors=True)


def _build(data: PackData, out_dir: Path, lang: str) -> PackResult:
    stamp = data.generated_at.astimezone(data.tz).strftime("%Y-%m-%d")
    name = f"callwatch-evidence-{data.slug}-{stamp}"
    final = Path(out_dir) / name
    # Built beside its final place, then renamed: a failure never leaves half a pack behind.
    folder = Path(out_dir) / f".{name}.partial"
    if folder.exists():
        shutil.rmtree(folder)
    private_dir(folder)
    files: dict[str, bytes] = {"calls.csv": calls_csv(data), "findings.json": findings_json(data)}
    for letter_name, text in letters.render(data, lang).items():
        files[f"letters/{letter_name}"] = text.encode("utf-8")
    private_dir(folder / "letters")
    for rel, content in files.items():
        write_private(folder / rel, content)
    manifest = {
        "callwatch_version": __version__,
        "generated_at_utc": data.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generated_at_local": data.generated_at.astimezone(data.tz).isoformat(),
        "time_zone": data.config.timezone,
        "subject": data.subject,
        "finding_key": data.finding["key"],
        "period": {"from": data.calls[0]["local_date"], "to": data.calls[-1]["local_date"]},
        "rule_pack": {"id": data.pack.id, "version": data.pack.version, "sha256": sha256_file(data.pack.path)},
        "config_sha256": data.config.fingerprint,
        "date_basis": "the generation time is the clock of the computer that made this pack; a trusted "
                      "time-stamp of this manifest, when one was obtained, is the file manifest.tsr (RFC 3161)",
        "files": [{"name": rel, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
                  for rel, content in sorted(files.items())],
        "sources": [{"name": s["original_name"], "sha256": s["sha256"], "size": s["size"], "format": s["format"],
                     "imported_at_utc": s["started_at"], "archive_path": s["archive_path"]} for s in data.sources],
    }
    manifest_bytes = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    write_private(folder / "manifest.json", manifest_bytes)
    fingerprint = hashlib.sha256(manifest_bytes).hexdigest()
    token_info = None
    if data.config.timestamp.url:
        token = timestamp.request_token(data.config.timestamp.url, manifest_bytes, data.config.timestamp.timeout_s)
        write_private(folder / "manifest.tsr", token)
        token_info = (data.config.timestamp.url, timestamp.describe(token))
    write_private(folder / "evidence.pdf", pdf.render(data, fingerprint, folder / "calls.csv", folder / "manifest.json", lang,
                                               token_info))
    every = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    sums = "".join(f"{sha256_file(folder / rel)}  {rel}\n" for rel in every)
    write_private(folder / "SHA256SUMS", sums.encode())
    if final.exists():                                       # a re-run replaces the pack whole
        shutil.rmtree(final)
    os.replace(folder, final)
    zip_path = Path(out_dir) / f"{name}.zip"
    _zip(final, zip_path, data.generated_at)
    return PackResult(final, zip_path, fingerprint, every + ["SHA256SUMS"])


def _zip(folder: Path, zip_path: Path, when) -> None:
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    write_private(zip_path, zip_bytes(folder.name, files, when))


def zip_bytes(top: str, files: dict[str, bytes], when) -> bytes:
    """The pack's zip in its one canonical form: members stored (not compressed), sorted, dated
    with the generation time (UTC), fixed attributes. Every byte of it is then either a file's
    content (hashed) or a header field `verify` can rebuild, so any change anywhere is caught;
    a compressed member could hide a change in the unused bits that end a deflate stream."""
    stamp = when.astimezone(timezone.utc).timetuple()[:6]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for rel in sorted(files):
            info = zipfile.ZipInfo(f"{top}/{rel}", date_time=stamp)
            info.create_system = 3                   # the same bytes whichever system writes them
            info.external_attr = 0o600 << 16
            info.compress_type = zipfile.ZIP_STORED
            z.writestr(info, files[rel])
    return buf.getvalue()
