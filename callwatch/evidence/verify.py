"""`callwatch verify`: what a pack (folder or zip) proves, level by level.

Levels, each one line, in this order; the exit code is that of the first level not reached
(``EXIT``, documented in README and `callwatch verify --help`):

1. pack: a callwatch pack at all (a readable zip or folder within the size limits, a
   ``manifest.json`` of the expected shape); else "not a callwatch pack" (3).
2. files: every file against ``SHA256SUMS`` and ``manifest.json`` (changed, missing, extra);
   ``SHA256SUMS`` byte for byte in its canonical form; a zip byte for byte the canonical zip
   ``pack.zip_bytes`` writes; no link or stray folder; the PDF's attached ``calls.csv`` and
   ``manifest.json`` and the fingerprint printed on its cover equal to the pack's (1 if not).
   With the store, every source export named by the manifest against its archived copy.
3. time-stamp: present (``SHA256SUMS.tsr``) or absent (4: the date is self-declared).
4. signature: the token covers this ``SHA256SUMS`` and is validly signed; by whom, when (1 if not).
5. authority: the signer chains to a CA given (``--tsa-ca``), checked at the token's time (5 if not).
6. rebuild (``--store``): the pack made again from the store is byte for byte the same (1 if it
   differs and nothing explains it; 6 if the store has newer data, another configuration or
   another software version, which explain a difference without proving tampering).

Everything read from the pack is hostile until checked: sizes and counts are bounded before
anything is read or inflated, and every parser's failure becomes a sentence, never a traceback.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from callwatch.archive import verify_archived
from callwatch.errors import CallwatchError

# A 10,000-call pack is 5 MB in 10 files; these bounds are far above any real pack and far
# below what would hurt a small server (a 3 MB zip bomb once took 2 GB).
MAX_MEMBERS = 1000
MAX_MEMBER = 512 * 2**20
MAX_TOTAL = 1024 * 2**20
MAX_RATIO = 100            # inflated / compressed, for a compressed member (callwatch's are stored)
TOKEN = "SHA256SUMS.tsr"
LEGACY_TOKEN = "manifest.tsr"          # pack format 1: the token stamped manifest.json only

EXIT = {"intact": 0, "altered": 1, "not_a_pack": 3, "no_timestamp": 4, "untrusted": 5, "unconfirmed": 6}
EXIT_HELP = ("Exit status: 0 intact, time-stamped by a trusted authority (and, with --store, rebuilt "
             "identical); 1 altered (a file, the time-stamp's signature or imprint, a source export, or a "
             "rebuild that differs with the same data); 2 usage error; 3 not a callwatch pack (unreadable, "
             "malformed manifest, over the size limits); 4 files intact but no time-stamp (the date is "
             "self-declared); 5 files intact, time-stamp valid but its authority not trusted (no CA given, "
             "or it does not chain to it); 6 files intact but the rebuild cannot confirm them (the store has "
             "newer data, another configuration or software version).")


@dataclass
class TimestampCheck:
    file: str
    covers: str = ""                        # what the token stamps
    signed: bool = False                    # signature valid and covering this pack
    signer: str = ""
    time: str = ""
    tsa_name: str = ""
    serial: str = ""
    policy: str = ""
    invalid: str | None = None              # why the token is not valid, when it is not
    trusted: bool = False
    trust: str = ""                         # the authority line's explanation
    legacy: bool = False                    # pack format 1: evidence.pdf not covered


@dataclass
class RebuildCheck:
    differs: list[str] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)   # a reason other than tampering
    impossible: str | None = None


PACK_FOLDERS = ("letters", "complaints")      # the only folders a pack holds
CONTAINER_ALTERED = ("the zip container was altered outside the files (headers, compression, dates, order or extra "
                     "bytes); packs made by callwatch 0.1.0 before 2026-11-24 were compressed: check their folder")


@dataclass
class VerifyReport:
    fingerprint: str | None = None
    root: str | None = None
    checked: int = 0
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    sources_bad: list[str] = field(default_factory=list)
    sources_checked: int = 0
    problems: list[str] = field(default_factory=list)
    not_a_pack: str | None = None
    pdf_checked: bool = False
    timestamp: TimestampCheck | None = None
    rebuild: RebuildCheck | None = None
    tsa_ca: Path | None = field(default=None, repr=False)

    @property
    def files_ok(self) -> bool:
        return not (self.not_a_pack or self.changed or self.missing or self.extra or self.problems)

    @property
    def ok(self) -> bool:
        """Nothing found altered (which is not yet proven: see ``level`` and ``exit_code``)."""
        return (self.files_ok and not self.sources_bad
                and not (self.timestamp and self.timestamp.invalid)
                and not (self.rebuild and self.rebuild.differs and not self.rebuild.explanations
                         and not self.rebuild.impossible))

    @property
    def level(self) -> str:
        """The first level not reached (a key of EXIT), or "intact"."""
        if self.not_a_pack:
            return "not_a_pack"
        if not self.ok:
            return "altered"
        if self.timestamp is None or self.timestamp.legacy:
            return "no_timestamp"
        if not self.timestamp.trusted:
            return "untrusted"
        if self.rebuild and (self.rebuild.differs or self.rebuild.impossible):
            return "unconfirmed"
        return "intact"

    @property
    def exit_code(self) -> int:
        return EXIT[self.level]

    def lines(self) -> list[tuple[bool, str]]:
        """One (good, text) line per level checked, in order; then the verdict."""
        out: list[tuple[bool, str]] = []
        if self.not_a_pack:
            return [(False, f"pack: not a callwatch pack: {self.not_a_pack}"), (False, "verdict: " + VERDICTS[self.level])]
        if self.files_ok:
            pdf = "; the PDF's attachments and printed fingerprint match" if self.pdf_checked else ""
            out.append((True, f"files: intact, {self.checked} files match SHA256SUMS and the manifest{pdf}"))
        else:
            out.append((False, "files: ALTERED (" + "; ".join(self._file_faults()) + ")"))
        if self.sources_checked:
            out.append((not self.sources_bad, f"sources: {self.sources_checked} source export(s) "
                        + ("match their archived copies" if not self.sources_bad else
                           "checked, ALTERED: " + "; ".join(self.sources_bad))))
        t = self.timestamp
        if t is None:
            out.append((False, "time-stamp: absent; the pack's date is the clock of the computer that made it "
                               "(self-declared)"))
        else:
            out.append((True, f"time-stamp: present ({t.file}, stamping {t.covers})"))
            if t.invalid:
                out.append((False, f"signature: INVALID: {t.invalid}"))
            else:
                out.append((True, f"signature: valid, by {t.signer}, at {t.time}"
                            + (f" (TSA name {t.tsa_name})" if t.tsa_name else "")
                            + f", serial {t.serial}, policy {t.policy}"))
                out.append((t.trusted, f"authority: {'trusted' if t.trusted else 'NOT TRUSTED'}: {t.trust}"))
        if self.rebuild is not None:
            r = self.rebuild
            if r.impossible:
                out.append((False, f"rebuild: not possible: {r.impossible}"))
            elif not r.differs:
                out.append((True, "rebuild: the store gives this pack again, byte for byte"
                            + (f" ({'; '.join(r.explanations)})" if r.explanations else "")))
            elif r.explanations:
                out.append((False, f"rebuild: differs ({', '.join(r.differs)}), because "
                            + "; ".join(r.explanations) + ": this does not show tampering, nor rule it out"))
            else:
                out.append((False, f"rebuild: DIFFERS ({', '.join(r.differs)}) from what this store gives with "
                            "the same data, configuration and software: the pack was altered, or made from another "
                            "store"))
        out.append((self.level == "intact", "verdict: " + VERDICTS[self.level]))
        return out

    def _file_faults(self) -> list[str]:
        faults = [f"changed: {', '.join(self.changed)}"] if self.changed else []
        faults += [f"missing: {', '.join(self.missing)}"] if self.missing else []
        faults += [f"extra: {', '.join(self.extra)}"] if self.extra else []
        return faults + self.problems


VERDICTS = {
    "intact": "intact, and time-stamped by a trusted authority (exit 0)",
    "altered": "ALTERED (exit 1)",
    "not_a_pack": "not a callwatch pack (exit 3)",
    "no_timestamp": "files intact, but nothing proves when the pack was made, nor that it was not remade "
                    "(exit 4)",
    "untrusted": "files intact, time-stamped, but by an authority not known to be trusted (exit 5)",
    "unconfirmed": "files intact and time-stamped, but the rebuild from the store does not confirm them (exit 6)",
}


# -- reading, bounded ----------------------------------------------------------------------

class NotAPack(CallwatchError):
    pass


def _read_folder(path: Path, problems: list[str]) -> dict[str, bytes]:
    entries, total = [], 0
    for p in sorted(path.rglob("*")):
        if len(entries) >= MAX_MEMBERS:
            raise NotAPack(f"the folder holds more than {MAX_MEMBERS} entries")
        rel = p.relative_to(path).as_posix()
        mode = p.lstat().st_mode
        if stat.S_ISLNK(mode):
            problems.append(f"{rel} is a symbolic link, not a file of the pack")
        elif stat.S_ISDIR(mode):
            if rel not in PACK_FOLDERS:
                problems.append(f"{rel}/ is a directory the pack does not have")
        elif stat.S_ISREG(mode):
            total += p.lstat().st_size
            if total > MAX_TOTAL:
                raise NotAPack(f"its files add up to more than {MAX_TOTAL >> 20} MB")
            entries.append((rel, p))
        else:
            problems.append(f"{rel} is not a regular file")
    return {rel: p.read_bytes() for rel, p in entries}


def _read_zip(raw: bytes, problems: list[str]) -> tuple[dict[str, bytes], str | None]:
    """The zip's members, once their count, sizes and compression ratios are within bounds:
    the central directory is read first and nothing is inflated before it passes."""
    files: dict[str, bytes] = {}
    tops = set()
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            infos = z.infolist()
            if len(infos) > MAX_MEMBERS:
                raise NotAPack(f"the zip holds {len(infos)} members (a pack has a dozen; limit {MAX_MEMBERS})")
            total = 0
            for info in infos:
                total += info.file_size
                if info.file_size > MAX_MEMBER or total > MAX_TOTAL:
                    raise NotAPack(f"the zip's member {info.filename!r} would inflate past "
                                   f"{(MAX_MEMBER if info.file_size > MAX_MEMBER else MAX_TOTAL) >> 20} MB")
                if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise NotAPack(f"the zip's member {info.filename!r} inflates {info.file_size} bytes from "
                                   f"{info.compress_size} (more than {MAX_RATIO} to 1: a zip bomb)")
            for info in infos:
                top, _, name = info.filename.partition("/")
                tops.add(top)
                if info.is_dir() and name.rstrip("/") in ("",) + PACK_FOLDERS:   # as `zip -r` lists them
                    continue
                if info.is_dir() or not name:
                    problems.append(f"zip member {info.filename!r} is not a file of the pack")
                    continue
                if name in files:
                    problems.append(f"zip member {info.filename!r} appears twice")
                files[name] = z.read(info)      # bounded by the declared size (checked above)
    except NotAPack:
        raise
    except Exception as exc:          # zipfile raises many kinds (BadZipFile, zlib.error, EOFError...)
        problems.append(f"the zip is damaged: {type(exc).__name__}: {exc}")
    if len(tops) > 1:
        problems.append(f"the zip holds {len(tops)} top folders, a pack has one")
    return files, (tops.pop() if len(tops) == 1 else None)


_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def manifest_problem(doc) -> str | None:
    """Why a parsed manifest.json is not a callwatch manifest, or None."""
    if not isinstance(doc, dict):
        return f"manifest.json holds a JSON {type(doc).__name__}, not an object"
    for key, kind in (("callwatch_version", str), ("generated_at_utc", str), ("finding_key", str),
                      ("files", list), ("sources", list), ("rule_pack", dict)):
        if not isinstance(doc.get(key), kind):
            return f"manifest.json has no {key!r} of the expected kind"
    if _parse_utc(doc["generated_at_utc"]) is None:
        return "manifest.json's generated_at_utc is not a time like 2026-11-21T09:30:00Z"
    for i, entry in enumerate(doc["files"]):
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)
                and isinstance(entry.get("sha256"), str) and _HEX64.match(entry["sha256"])):
            return f"manifest.json's files[{i}] is not a name with its SHA-256"
    for i, entry in enumerate(doc["sources"]):
        if not (isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("name", "sha256", "archive_path"))):
            return f"manifest.json's sources[{i}] is not a source export with its hash and archived copy"
    if "inputs" in doc and not isinstance(doc["inputs"], dict):
        return "manifest.json's inputs is not an object"
    return None


def _parse_utc(text) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (ValueError, TypeError):
        return None


# -- the checks ----------------------------------------------------------------------------

def check_files(files: dict[str, bytes], report: VerifyReport | None = None) -> VerifyReport:
    """Check a pack's contents, read from a folder or a zip (in memory: the tamper tests call it)."""
    report = report or VerifyReport()
    manifest_bytes = files.get("manifest.json")
    sums = files.get("SHA256SUMS")
    if manifest_bytes is None and sums is None:
        report.not_a_pack = "it has neither manifest.json nor SHA256SUMS"
        return report
    listed: dict[str, str] = {}
    if sums is None:
        report.problems.append("SHA256SUMS is missing")
    else:
        report.root = hashlib.sha256(sums).hexdigest()
        for line in sums.decode("utf-8", "replace").split("\n"):
            digest, _, name = line.partition("  ")
            if len(digest) == 64 and name:
                listed[name] = digest
    tokens = {n for n in (TOKEN, LEGACY_TOKEN) if n in files and n not in listed}   # stamped, not listed
    actual = {name: hashlib.sha256(content).hexdigest() for name, content in files.items()
              if name != "SHA256SUMS" and name not in tokens}
    manifest = None
    if manifest_bytes is None:
        report.missing.append("manifest.json")
    else:
        report.fingerprint = hashlib.sha256(manifest_bytes).hexdigest()
        try:
            manifest = json.loads(manifest_bytes)
        except (ValueError, RecursionError):
            report.not_a_pack = "manifest.json is not valid JSON"
        else:
            report.not_a_pack = manifest_problem(manifest)
        if report.not_a_pack:
            manifest = None
    for entry in (manifest or {}).get("files", []):
        name = entry["name"]
        if name not in actual:
            if name not in report.missing:
                report.missing.append(name)
        elif actual[name] != entry["sha256"] and name not in report.changed:
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
    if manifest is not None and report.files_ok:
        # Only a pack whose hashes all agree is worth opening its PDF: anything else is already altered.
        _check_pdf(files, report)
    if manifest is not None:
        _check_token(files, manifest, report)
    return report


def _check_pdf(files: dict[str, bytes], report: VerifyReport) -> None:
    """The PDF shows the pack's fingerprint and carries the pack's calls.csv and manifest.json:
    a PDF swapped in (SHA256SUMS rewritten to match) is caught here even without a time-stamp."""
    content = files.get("evidence.pdf")
    if content is None:
        return
    from pypdf import PdfReader
    try:
        reader = PdfReader(io.BytesIO(content))
        attached = {name: items for name, items in reader.attachments.items()}
        cover = "".join(reader.pages[0].extract_text().split())
    except Exception as exc:         # pypdf raises many kinds on a damaged or hostile file
        report.problems.append(f"evidence.pdf cannot be read as a PDF ({type(exc).__name__})")
        return
    for name in ("calls.csv", "manifest.json"):
        items = attached.get(name) or []
        if len(items) != 1 or items[0] != files.get(name):
            report.problems.append(f"evidence.pdf's attached {name} is not the pack's {name}")
    others = sorted(set(attached) - {"calls.csv", "manifest.json"})
    if others:
        report.problems.append(f"evidence.pdf carries attachments a pack's PDF does not have: {', '.join(others)}")
    if report.fingerprint not in cover:
        report.problems.append("evidence.pdf's cover does not show this pack's fingerprint (SHA-256 of manifest.json)")
    report.pdf_checked = True


def _check_token(files: dict[str, bytes], manifest: dict, report: VerifyReport) -> None:
    from callwatch.evidence import timestamp
    name = TOKEN if TOKEN in files else LEGACY_TOKEN if LEGACY_TOKEN in files else None
    if name is None:
        if (manifest.get("inputs") or {}).get("timestamp_authority") and "SHA256SUMS" in files:
            report.missing.append(TOKEN)         # the manifest says one was obtained: removed since
        return
    legacy = name == LEGACY_TOKEN
    stamped = files.get("manifest.json" if legacy else "SHA256SUMS", b"")
    check = TimestampCheck(file=name, legacy=legacy,
                           covers="manifest.json only: evidence.pdf is not covered (a pack made before "
                                  "callwatch stamped the whole pack)" if legacy else
                                  "SHA256SUMS, hence every file of the pack")
    report.timestamp = check
    try:
        token = timestamp.parse(files[name])
        check.time, check.tsa_name = token.time_text, token.tsa_name
        check.serial, check.policy = str(token.serial), token.policy
        if not token.covers(stamped):
            raise timestamp.TokenError(f"the token stamps another content than this pack's "
                                       f"{'manifest.json' if legacy else 'SHA256SUMS'} (a token taken from "
                                       "another pack, or a file changed since)")
        cert = token.check_signature()
        check.signer = timestamp.signer_summary(cert)
        check.signed = True
    except CallwatchError as exc:
        check.invalid = str(exc)
        return
    if report.tsa_ca is None:
        check.trust = ("no CA given to check the authority against (--tsa-ca FILE or [timestamp] ca_file): "
                       "anyone can make a time-stamping authority of their own")
        return
    try:
        timestamp.check_trust(files[name], stamped, report.tsa_ca, token.gen_time)
    except CallwatchError as exc:
        check.trust = str(exc)
        return
    check.trusted = True
    check.trust = f"chains to the CA in {report.tsa_ca.name}, checked at the token's time (revocation not checked)"


def check_zip(raw: bytes, report: VerifyReport | None = None) -> VerifyReport:
    """Check a zipped pack held in memory: its files, then its container byte for byte."""
    report = report or VerifyReport()
    try:
        _check_zip(raw, report)
    except NotAPack as exc:
        report.not_a_pack = str(exc)
    return report


def _check_zip(raw: bytes, report: VerifyReport) -> dict[str, bytes]:
    files, top = _read_zip(raw, report.problems)
    when = _generated_at(files) if "manifest.json" in files else None
    if top and when and not report.problems:
        # before the files: a container already known altered spares reading its PDF
        from callwatch.evidence.pack import zip_bytes
        if zip_bytes(top, files, when) != raw:
            report.problems.append(CONTAINER_ALTERED)
    check_files(files, report)
    if report.problems == [CONTAINER_ALTERED] and not (report.changed or report.missing or report.extra):
        # Every file matches its hashes: a user's re-zip (or a change outside the files), not a changed file.
        report.problems = ["re-zipped: the files inside are intact (each matches SHA256SUMS and the manifest), "
                           "but " + CONTAINER_ALTERED.replace("the zip container", "the zip container") +
                           "; it is not the zip callwatch wrote: verify the original zip, or the folder"]
    return files


def _generated_at(files: dict[str, bytes]) -> datetime | None:
    try:
        return _parse_utc(json.loads(files["manifest.json"])["generated_at_utc"])
    except (KeyError, ValueError, TypeError, RecursionError):
        return None


def verify(path: Path, store=None, tsa_ca: Path | None = None, *, rebuild_config=None) -> VerifyReport:
    """Check the pack at ``path``. ``store``: also check the archived source exports;
    ``rebuild_config`` (with ``store``): also make the pack again and compare."""
    report, files = read_checked(path, tsa_ca)
    if report.not_a_pack or "manifest.json" not in files:
        return report
    manifest = json.loads(files["manifest.json"])
    if store is not None:
        _check_sources(manifest, store, report)
        if rebuild_config is not None:
            from callwatch.evidence.rebuild import rebuild
            report.rebuild = rebuild(files, manifest, store, rebuild_config)
    return report


def read_checked(path: Path, tsa_ca: Path | None = None) -> tuple[VerifyReport, dict[str, bytes]]:
    """The pack at ``path`` checked up to its time-stamp (no store), and its files as read: for
    whoever quotes a pack after checking it (a pool contribution carries its fingerprint, root
    and token)."""
    path = Path(path)
    report = VerifyReport()
    report.tsa_ca = tsa_ca
    files: dict[str, bytes] = {}
    try:
        if path.is_dir():
            files = _read_folder(path, report.problems)
            check_files(files, report)
        elif path.is_file():
            size = path.stat().st_size
            if size > MAX_TOTAL + (64 << 20):
                raise NotAPack(f"{size} bytes, more than a pack's limit")
            with open(path, "rb") as fh:
                head = fh.read(4)
            if head[:2] != b"PK":
                raise NotAPack("neither a pack folder nor a zip")
            files = _check_zip(path.read_bytes(), report)
        else:
            raise NotAPack("neither a pack folder nor a zip")
    except NotAPack as exc:
        report.not_a_pack = str(exc)
    except OSError as exc:
        raise CallwatchError(f"{path}: cannot read the pack: {exc.strerror or exc}") from None
    return report, files


def _check_sources(manifest: dict, store, report: VerifyReport) -> None:
    archive = (store.data_dir / "archive").resolve()
    for source in manifest["sources"]:
        report.sources_checked += 1
        archived = (store.data_dir / source["archive_path"]).resolve()
        if not archived.is_relative_to(archive):     # a doctored manifest must not point elsewhere
            report.sources_bad.append(f"{source['name']} (archive path outside the archive)")
        elif not archived.is_file():
            report.sources_bad.append(f"{source['name']} ({archived}: missing)")
        elif not verify_archived(archived, source["sha256"]):   # streamed: exports can be large
            report.sources_bad.append(f"{source['name']} ({archived}: altered)")
