"""`callwatch verify`: recompute every hash of a pack (folder or zip)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from callwatch.archive import verify_archived
from callwatch.errors import CallwatchError


@dataclass
class VerifyReport:
    fingerprint: str | None = None
    checked: int = 0
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    sources_bad: list[str] = field(default_factory=list)
    sources_checked: int = 0
    problems: list[str] = field(default_factory=list)
    timestamp: str | None = None     # what the time-stamp check found, when the pack has one

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.extra or self.sources_bad or self.problems)


def _read_pack(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}
    if zipfile.is_zipfile(path):
        out = {}
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if info.is_dir():
                    continue
                name = info.filename.split("/", 1)[1] if "/" in info.filename else info.filename
                if info.file_size > 512 * 2**20:
                    raise CallwatchError(f"{path}: {info.filename} is too large for an evidence pack")
                out[name] = z.read(info)
        return out
    raise CallwatchError(f"{path}: not a pack folder or zip")


def verify(path: Path, store=None, tsa_ca: Path | None = None) -> VerifyReport:
    files = _read_pack(Path(path))
    report = VerifyReport()
    sums = files.get("SHA256SUMS")
    if sums is None:
        report.problems.append("SHA256SUMS is missing")
        listed = {}
    else:
        listed = {}
        for line in sums.decode("utf-8", "replace").splitlines():
            digest, _, name = line.partition("  ")
            if len(digest) == 64 and name:
                listed[name] = digest
    manifest_bytes = files.get("manifest.json")
    if manifest_bytes is None:
        report.problems.append("manifest.json is missing")
    else:
        report.fingerprint = hashlib.sha256(manifest_bytes).hexdigest()
        try:
            manifest = json.loads(manifest_bytes)
        except ValueError:
            manifest = None
            report.problems.append("manifest.json is not valid JSON")
        if manifest:
            for entry in manifest.get("files", []):
                name = entry.get("name")
                if name not in files:
                    if name not in report.missing:
                        report.missing.append(name)
                elif hashlib.sha256(files[name]).hexdigest() != entry.get("sha256"):
                    if name not in report.changed:
                        report.changed.append(name)
            if store is not None:
                for source in manifest.get("sources", []):
                    report.sources_checked += 1
                    archived = store.data_dir / source.get("archive_path", "")
                    if not archived.is_file():
                        report.sources_bad.append(f"{source.get('name')} ({archived}: missing)")
                    elif not verify_archived(archived, source.get("sha256")):   # streamed: exports can be large
                        report.sources_bad.append(f"{source.get('name')} ({archived}: altered)")
    for name, digest in listed.items():
        report.checked += 1
        if name not in files:
            if name not in report.missing:
                report.missing.append(name)
        elif hashlib.sha256(files[name]).hexdigest() != digest and name not in report.changed:
            report.changed.append(name)
    for name in files:
        if name != "SHA256SUMS" and name not in listed:
            report.extra.append(name)
    token = files.get("manifest.tsr")
    if token is not None and manifest_bytes is not None:
        from callwatch.evidence import timestamp
        try:
            report.timestamp = timestamp.check(token, manifest_bytes, tsa_ca)
        except CallwatchError as exc:
            report.problems.append(f"time-stamp: {exc}")
    return report
