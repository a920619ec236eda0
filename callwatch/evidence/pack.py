"""Writes the evidence pack: a folder and the same as a zip.

    callwatch-evidence-<subject>-<YYYY-MM-DD>/
        evidence.pdf      PDF/A-3B, calls.csv and manifest.json attached inside
        calls.csv         exactly the PDF's call table (UTF-8 with BOM, for spreadsheets)
        findings.json     the finding, its figures, rules, numbers and breaches
        letters/*.md      drafts filled with the facts, for the rule pack's jurisdiction
        complaints/*      each complaint channel's own fields, filled; what to send in which order
        manifest.json     the pack's inputs, every file above but the PDF, every source export
        SHA256SUMS        every file of the pack, in `sha256sum -c` format: the root
        SHA256SUMS.tsr    RFC 3161 time-stamp token over SHA256SUMS (with [timestamp] url)

What covers what (nothing can hold the hash of a file that holds its own hash, so it is a chain):
- manifest.json hashes calls.csv, findings.json and the letters, and records every input of the
  pack (finding, period, generation time, language, rule pack, configuration, versions) and the
  source exports. Its SHA-256 is the pack's *fingerprint*.
- evidence.pdf prints the fingerprint (cover, every footer) and carries calls.csv and
  manifest.json attached; `verify` checks both attachments and the printed fingerprint against
  the pack's own files. The PDF cannot name SHA256SUMS or the token: they are made after it.
- SHA256SUMS lists every file, evidence.pdf and manifest.json included (not itself, not the
  token): its SHA-256 is the pack's *root*.
- SHA256SUMS.tsr stamps the root, hence every file. It is the only thing a forger cannot redo.

Files are written private (0600, folder 0700), built beside their final place and swapped in
whole under a name no pack has yet (``-2``, ``-3``... after an earlier pack of the same subject
and day: a pack once written is never replaced; see ``_place``). Given the same store, subject
and generation time (``at``), every
file but the token is byte-identical, which is what `verify --store` relies on.
"""

from __future__ import annotations

import csv
import ctypes
import errno
import hashlib
import io
import json
import os
import platform
import re
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from callwatch import __version__
from callwatch.evidence import dating, kits, letters, pdf, timestamp
from callwatch.errors import CallwatchError
from callwatch.evidence.data import PackData
from callwatch.wording import locator
from callwatch.private import private_dir, write_private

PACK_FORMAT = 2                 # 1: before the root and the recorded inputs (token over the manifest)
TOKEN_NAME = "SHA256SUMS.tsr"
# The libraries whose version changes the PDF's bytes: a rebuild by another version may differ
# for that reason alone, and `verify --store` says so.
RENDERING_LIBRARIES = ("fpdf2", "matplotlib")



@dataclass
class PackResult:
    folder: Path
    zip_path: Path
    fingerprint: str               # SHA-256 of manifest.json, printed in the PDF
    files: list[str]
    root: str = ""                 # SHA-256 of SHA256SUMS, what the token stamps
    timestamped: bool = False


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def csv_rows(data: PackData, lang: str = "en") -> list[list[str]]:
    """The call table, one row per counted call, in the pack's language. Numbers are written in
    their international form with spaces (+33 1 62 34 50 12): a spreadsheet keeps that as text,
    where it would turn +33162345012 into the number 33162345012."""
    from callwatch.wording import DAYS, phone, value
    rows = []
    for c in data.calls:
        weekday = DAYS[lang if lang == "fr" else "en"][datetime.fromisoformat(c["local_date"]).weekday()]
        rows.append([str(c["id"]), c["local_date"], c["local_time"], c["zone"], weekday, c["utc"],
                     data.line_name(c["line"], lang), phone(c["number"], international=True) if c["number"]
                     else f"({value(c['presentation'], lang)})", value(c["presentation"], lang),
                     value(c["outcome"], lang), "" if c["duration_s"] is None else str(c["duration_s"]),
                     str(c["duration_precision_s"]), "" if c["ring_s"] is None else str(c["ring_s"]),
                     value(c["attribution"], lang), ",".join(value(s, lang) for s in c["signals"].split(",") if s),
                     " ".join(c["rules"]), c["source"], c["source_sha256"], locator(c["locator"], lang)])
    return rows


def calls_csv(data: PackData, lang: str = "en") -> bytes:
    """UTF-8 with a BOM; in French packs, French headings and values separated by ";" (what a
    spreadsheet set to French expects: "," is its decimal comma)."""
    from callwatch.wording import CSV_HEADERS
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if lang == "fr" else ",", lineterminator="\r\n")
    writer.writerow([fr if lang == "fr" else en for en, fr in CSV_HEADERS])
    writer.writerows(csv_rows(data, lang))
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
        "numbers": [{**{k: n[k] for k in ("number", "basis", "detail", "certainty", "similarity")},
                     "in_numbering_plan": n.get("kind") != "invalid-in-plan"} for n in data.numbers],
        "leads": [_brief(data, c) for c in data.leads],
        "excluded": [{**_brief(data, c), "decision_id": c["decision_id"]} for c in data.excluded],
        "decisions": [{"id": d.id, "at": d.at, "action": d.action, "number": d.number, "call_id": d.call_id,
                       "finding_key": d.finding_key, "company": d.company, "from_utc": d.from_utc,
                       "to_utc": d.to_utc, "reason": d.reason} for d in data.decisions],
        "lines": {line: data.line_name(line) for line in sorted({c["line"] for c in data.calls if c["line"]})},
        "objections": [{"company": o.company, "date": o.date.isoformat(), "kind": o.kind} for o in data.objections],
        # a device clock error: dated after their own import, counted nowhere else
        "calls_dated_after_import": [{"call_id": c["id"], "utc": c["utc"], "number": c["number"],
                                      "presentation": c["presentation"], "imported_at_utc": c["imported_at"],
                                      "source_file": c["source"], "locator": c["locator"]} for c in data.future_calls],
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _brief(data: PackData, c: dict) -> dict:
    return {"call_id": c["id"], "local": f"{c['local']} {c['zone']}", "utc": c["utc"], "called_line": data.line_name(c["line"]),
            "number": c["number"], "presentation": c["presentation"], "outcome": c["outcome"],
            "attribution": c["attribution"], "signals": c["signals"]}


def make(store, config, out_dir: Path, *, finding_id: int | None = None, number: str | None = None,
         start=None, end=None, lang: str | None = None, at: datetime | None = None) -> PackResult:
    """A pack as `callwatch report` and the daemon's snapshot make it: the generation time
    checked against the store's newest data, then gathered and built."""
    from callwatch.evidence import data as data_mod
    generated_at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    dating.check(store.conn, generated_at, stated=at is not None)
    # read before gathering: an import committing in between makes the store look newer than the
    # pack (true of the store), never the pack look altered
    last_import = store.conn.execute("SELECT IFNULL(MAX(id), 0) FROM imports").fetchone()[0]
    gathered = data_mod.gather(store, config, finding_id=finding_id, number=number, start=start, end=end,
                               at=generated_at)
    gathered.date_given = at is not None
    return build(gathered, out_dir, lang or config.report_language, last_import=last_import)


def build(data: PackData, out_dir: Path, lang: str = "fr", *, stamp: bool = True,
          authority: str | None = None, last_import: int | None = None) -> PackResult:
    """Write the pack for ``data`` into ``out_dir``.

    stamp: ask the configured authority ([timestamp] url) for a token over SHA256SUMS.
    A rebuild (`verify --store`) passes stamp=False and the ``authority`` the original pack
    named, so that its PDF and manifest say what the original's said.
    last_import: the newest import id of the store the data was read from (recorded, so that
    a later rebuild can tell newer data from a changed pack)."""
    out_dir = Path(out_dir)
    if stamp:
        authority = timestamp.redact_url(data.config.timestamp.url) if data.config.timestamp.url else None
    stamp_date = data.generated_at.astimezone(data.tz).strftime("%Y-%m-%d")
    private_dir(out_dir)
    _remove_leftovers(out_dir)
    name = free_name(out_dir, f"callwatch-evidence-{data.slug}-{stamp_date}")
    # Built beside its final place under names only this process uses, then swapped in whole.
    folder = out_dir / f".{name}.{os.getpid()}.partial"
    zip_part = out_dir / f".{name}.zip.{os.getpid()}.partial"
    try:
        return _build(data, out_dir, lang, name, folder, zip_part, stamp, authority, last_import)
    finally:                                   # a failed build leaves no half pack behind
        for leftover in (folder, zip_part):
            _remove(leftover)


def _manifest(data: PackData, lang: str, files: dict[str, bytes], authority: str | None,
              last_import: int | None) -> bytes:
    start, end = data.period
    manifest = {
        "pack_format": PACK_FORMAT,
        "callwatch_version": __version__,
        "generated_at_utc": data.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generated_at_local": data.generated_at.astimezone(data.tz).isoformat(),
        "time_zone": data.config.timezone,
        "subject": data.subject,
        "finding_key": data.finding["key"],
        "period": {"from": data.calls[0]["local_date"], "to": data.calls[-1]["local_date"]},
        "rule_pack": {"id": data.pack.id, "version": data.pack.version, "sha256": sha256_file(data.pack.path)},
        "config_sha256": data.config.fingerprint,
        # With the keys above, what `verify --store` needs to make this very pack again.
        "inputs": {"language": lang, "date_given_by_user": data.date_given,
                   "from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
                   "timestamp_authority": authority,
                   "software": {"callwatch": __version__,
                                **{lib: library_version(lib) for lib in RENDERING_LIBRARIES}}},
        "store": {"last_import_id": last_import},
        "date_basis": ("the generation time was given by the user (--at); " if data.date_given else
                       "the generation time is the clock of the computer that made this pack; ") + "a trusted "
                      "time-stamp, when one was obtained, is the file SHA256SUMS.tsr (RFC 3161): it stamps "
                      "SHA256SUMS, which lists every file of the pack, this manifest and evidence.pdf included",
        "files": [{"name": rel, "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
                  for rel, content in sorted(files.items())],
        "sources": [{"name": s["original_name"], "sha256": s["sha256"], "size": s["size"], "format": s["format"],
                     "imported_at_utc": s["started_at"], "archive_path": s["archive_path"]} for s in data.sources],
    }
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def library_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def sums_text(files: dict[str, bytes]) -> bytes:
    """SHA256SUMS: every file given, sorted, in `sha256sum -c` form (its one canonical form)."""
    return "".join(f"{hashlib.sha256(files[rel]).hexdigest()}  {rel}\n" for rel in sorted(files)).encode()


def _build(data, out_dir, lang, name, folder, zip_part, stamp, authority, last_import) -> PackResult:
    final = out_dir / name
    _remove(folder)
    private_dir(folder)
    files: dict[str, bytes] = {"calls.csv": calls_csv(data, lang), "findings.json": findings_json(data)}
    for letter_name, text in letters.render(data, lang).items():
        files[f"letters/{letter_name}"] = text.encode("utf-8")
    for kit_name, content in kits.render(data, lang).items():
        files[f"complaints/{kit_name}"] = content
    private_dir(folder / "letters")
    private_dir(folder / "complaints")
    for rel, content in files.items():
        write_private(folder / rel, content)
    manifest_bytes = _manifest(data, lang, files, authority, last_import)
    write_private(folder / "manifest.json", manifest_bytes)
    fingerprint = hashlib.sha256(manifest_bytes).hexdigest()
    files["manifest.json"] = manifest_bytes
    files["evidence.pdf"] = pdf.render(data, fingerprint, folder / "calls.csv", folder / "manifest.json", lang,
                                       authority)
    write_private(folder / "evidence.pdf", files["evidence.pdf"])
    if data.pack.id == "fr":      # SignalConso takes files of 5 MB at most: the PDF in parts when larger
        for i, part in enumerate(kits.pdf_parts(files["evidence.pdf"], kits.SIGNALCONSO_MAX_FILE), start=1):
            files[f"complaints/evidence-partie-{i}.pdf"] = part
            write_private(folder / f"complaints/evidence-partie-{i}.pdf", part)
    sums = sums_text(files)
    write_private(folder / "SHA256SUMS", sums)
    files["SHA256SUMS"] = sums
    timestamped = False
    if stamp and data.config.timestamp.url:
        ts = data.config.timestamp
        files[TOKEN_NAME] = timestamp.request_token(ts.url, sums, ts.timeout_s, ts.ca_file)
        write_private(folder / TOKEN_NAME, files[TOKEN_NAME])
        timestamped = True
    _fsync_tree(folder)
    zip_path = out_dir / f"{name}.zip"
    write_private(zip_part, zip_bytes(name, files, data.generated_at))
    _fsync(zip_part)
    _place(folder, final)
    try:
        os.link(zip_part, zip_path)            # never over an existing file, even one made meanwhile
    except FileExistsError:
        raise CallwatchError(f"{zip_path} appeared while the pack was being written; the pack is in "
                             f"{final}: run `callwatch report` again for its zip") from None
    _remove(zip_part)
    _fsync(out_dir)
    return PackResult(final, zip_path, fingerprint, sorted(files), hashlib.sha256(sums).hexdigest(), timestamped)


# -- crash safety ----------------------------------------------------------------------------

_LEFTOVER = re.compile(r"^\.callwatch-evidence-.*\.(\d+)\.(partial|old)$")
_AT_FDCWD, _RENAME_NOREPLACE = -100, 1


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def _remove_leftovers(out_dir: Path) -> None:
    """What a build killed mid-way left (its own hidden names, with its pid): removed once that
    process is gone. A running build's names are left alone."""
    for entry in out_dir.iterdir():
        m = _LEFTOVER.match(entry.name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            _remove(entry)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:            # another user's process
        return True
    return True


def free_name(out_dir: Path, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``...: the first name under which neither a pack folder
    nor its zip exists. A new pack never replaces an earlier one (a French pack after an English
    one of the same day, a second demo)."""
    n, name = 1, base
    while (out_dir / name).exists() or (out_dir / name).is_symlink() or (out_dir / f"{name}.zip").exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _rename_noreplace(a: Path, b: Path) -> bool:
    """Rename ``a`` to ``b`` unless ``b`` exists, in one step (Linux renameat2 RENAME_NOREPLACE);
    False where the system cannot (the caller then checks and renames)."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    fn.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_NOREPLACE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False
    if err == errno.EEXIST:
        raise CallwatchError(f"{b} appeared while the pack was being written (another report at the same "
                             "moment?): run `callwatch report` again")
    raise OSError(err, os.strerror(err), str(b))


def _place(new: Path, final: Path) -> None:
    """Put the finished folder ``new`` at ``final``, which must not exist: a reader, or a crash
    at any instant, finds there nothing or the whole pack, and no earlier pack is ever touched."""
    if _rename_noreplace(new, final):
        return
    if final.exists() or final.is_symlink():     # no renameat2 here: check, then rename
        raise CallwatchError(f"{final} appeared while the pack was being written: run `callwatch report` again")
    os.rename(new, final)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else os.O_NOFOLLOW))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """Every file and folder of a pack on disk before it is renamed in: after a power cut the
    final name never points at files the disk had not yet written."""
    for path in sorted(folder.rglob("*"), reverse=True):
        _fsync(path)
    _fsync(folder)


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
