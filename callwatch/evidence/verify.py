"""`callwatch verify`: recompute every hash of a pack (folder or zip).

What is checked, so that any change, truncation, removal or addition is caught:
- every file against ``SHA256SUMS`` and ``manifest.json`` (changed, missing, extra);
- ``SHA256SUMS`` itself, which nothing else hashes: it must be byte for byte the canonical
  listing of the files present (sorted, ``<sha256>  <name>\\n``), so a change in it cannot hide;
- a zip: readable, one top folder, no duplicate or odd member, and byte for byte the canonical
  zip ``pack.zip_bytes`` writes from those files and the manifest's generation time (headers,
  dates, order and any byte outside the members included);
- a folder: no symbolic link, no stray directory;
- with the store: every source export named by the manifest against its archived copy;
- with a time-stamp (``manifest.tsr``): the token against the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from callwatch.archive import verify_archived
from callwatch.errors import CallwatchError

MAX_MEMBER = 512 * 2**20


PACK_FOLDERS = ("letters", "complaints")      # the only folders a pack holds


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
    tsa_ca: Path | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.extra or self.sources_bad or self.problems)


def _read_folder(path: Path, problems: list[str]) -> dict[str, bytes]:
    files = {}
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).as_posix()
        if p.is_symlink():
            problems.append(f"{rel} is a symbolic link, not a file of the pack")
        elif p.is_dir():
            if rel not in PACK_FOLDERS:
                problems.append(f"{rel}/ is a directory the pack does not have")
        elif p.is_file():
            files[rel] = p.read_bytes()
        else:
            problems.append(f"{rel} is not a regular file")
    return files


def _read_zip(raw: bytes, problems: list[str]) -> tuple[dict[str, bytes], str | None]:
    files: dict[str, bytes] = {}
    tops = set()
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            for info in z.infolist():
                top, _, name = info.filename.partition("/")
                tops.add(top)
                if info.is_dir() and name in ("", "letters/"):     # the pack's own folders, as `zip -r` lists them
                    continue
                if info.is_dir() or not name:
                    problems.append(f"zip member {info.filename!r} is not a file of the pack")
                    continue
                if info.file_size > MAX_MEMBER:           # a doctored size must not make us read gigabytes
                    problems.append(f"zip member {info.filename!r} claims {info.file_size} bytes, too large")
                    continue
                if name in files:
                    problems.append(f"zip member {info.filename!r} appears twice")
                files[name] = z.read(info)
    except Exception as exc:          # zipfile raises many kinds (BadZipFile, zlib.error, EOFError...)
        problems.append(f"the zip is damaged: {type(exc).__name__}: {exc}")
    if len(tops) > 1:
        problems.append(f"the zip holds {len(tops)} top folders, a pack has one")
    return files, (tops.pop() if len(tops) == 1 else None)


def check_files(files: dict[str, bytes], report: VerifyReport | None = None) -> VerifyReport:
    """Check a pack's contents, read from a folder or a zip (in memory: the tamper tests call it)."""
    report = report or VerifyReport()
    sums = files.get("SHA256SUMS")
    listed: dict[str, str] = {}
    if sums is None:
        report.problems.append("SHA256SUMS is missing")
    else:
        for line in sums.decode("utf-8", "replace").split("\n"):
            digest, _, name = line.partition("  ")
            if len(digest) == 64 and name:
                listed[name] = digest
    actual = {name: hashlib.sha256(content).hexdigest() for name, content in files.items() if name != "SHA256SUMS"}
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
        if isinstance(manifest, dict):
            for entry in manifest.get("files", []):
                name = entry.get("name") if isinstance(entry, dict) else None
                if name not in actual:
                    if name not in report.missing:
                        report.missing.append(str(name))
                elif actual[name] != entry.get("sha256") and name not in report.changed:
                    report.changed.append(name)
    for name, digest in listed.items():
        report.checked += 1
        if name not in files:
            if name not in report.missing:
                report.missing.append(name)
        elif actual.get(name) != digest and name not in report.changed:
            report.changed.append(name)
    for name in sorted(actual):
        if name not in listed:
            report.extra.append(name)
    if sums is not None:
        canonical = "".join(f"{listed[n]}  {n}\n" for n in sorted(listed)).encode()
        if sums != canonical:
            report.problems.append("SHA256SUMS was altered (it is not the canonical listing of its own lines)")
    token = files.get("manifest.tsr")
    if token is not None and manifest_bytes is not None:
        from callwatch.evidence import timestamp
        try:
            report.timestamp = timestamp.check(token, manifest_bytes, report.tsa_ca)
        except CallwatchError as exc:
            report.problems.append(f"time-stamp: {exc}")
    return report


def _generated_at(files: dict[str, bytes]) -> datetime | None:
    try:
        text = json.loads(files["manifest.json"])["generated_at_utc"]
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (KeyError, ValueError, TypeError):
        return None


def check_zip(raw: bytes, report: VerifyReport | None = None) -> VerifyReport:
    """Check a zipped pack held in memory: its files, then its container byte for byte."""
    from callwatch.evidence.pack import zip_bytes
    report = report or VerifyReport()
    files, top = _read_zip(raw, report.problems)
    check_files(files, report)
    when = _generated_at(files) if "manifest.json" in files else None
    if top and when and report.ok and zip_bytes(top, files, when) != raw:
        # Every file matches: a user's re-zip (or a change outside the files), not a changed file.
        report.problems.append("re-zipped: the files inside are intact (each matches SHA256SUMS and the manifest), "
                               "but the zip container was altered outside the files (headers, compression, dates, "
                               "order or extra bytes): it is not the zip callwatch wrote; verify the original zip, "
                               "or the folder. Packs made by callwatch 0.1.0 before 2026-11-24 were compressed: "
                               "check their folder")
    return report


def verify(path: Path, store=None, tsa_ca: Path | None = None) -> VerifyReport:
    path = Path(path)
    report = VerifyReport()
    report.tsa_ca = tsa_ca
    if path.is_dir():
        files = _read_folder(path, report.problems)
        check_files(files, report)
    elif path.is_file() and zipfile.is_zipfile(path):
        raw = path.read_bytes()
        check_zip(raw, report)
        files, _ = _read_zip(raw, [])
    else:
        raise CallwatchError(f"{path}: not a pack folder or zip")
    if store is not None and "manifest.json" in files:
        try:
            manifest = json.loads(files["manifest.json"])
        except ValueError:
            manifest = None
        for source in (manifest or {}).get("sources", []) if isinstance(manifest, dict) else []:
            report.sources_checked += 1
            archive = (store.data_dir / "archive").resolve()
            archived = (store.data_dir / str(source.get("archive_path", ""))).resolve()
            if not archived.is_relative_to(archive):     # a doctored manifest must not point elsewhere
                report.sources_bad.append(f"{source.get('name')} (archive path outside the archive)")
            elif not archived.is_file():
                report.sources_bad.append(f"{source.get('name')} ({archived}: missing)")
            elif not verify_archived(archived, source.get("sha256")):   # streamed: exports can be large
                report.sources_bad.append(f"{source.get('name')} ({archived}: altered)")
    return report
