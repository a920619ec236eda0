"""Importing files: archive and hash, recognise, parse, normalise, store; one transaction
per file, so a file is in the store entirely or not at all.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from callwatch import __version__, importers
from callwatch.archive import archive_file, signature
from callwatch.errors import CallwatchError, FileChanged, NotACallLog, UnreadableFile, storage_fault
from callwatch.importers.base import Call, ParseContext, Sniff, decode_head, detect_encoding
from callwatch.numbers import Normaliser
from callwatch.store import Store
from callwatch.times import LocalClock

log = logging.getLogger(__name__)

BATCH = 20_000
_CONTAINERS = {b"PK\x03\x04": "a zip archive", b"\x1f\x8b": "a gzip file", b"7z\xbc\xaf": "a 7-Zip archive",
               b"Rar!": "a RAR archive", b"%PDF": "a PDF document"}
# What exports carry beside their call logs (Takeout's voicemail audio, pictures): skipped.
_COMPANIONS = {b"ID3": "an MP3 recording", b"OggS": "an Ogg recording", b"fLaC": "a FLAC recording",
               b"\xff\xfb": "an MP3 recording", b"\x89PNG": "a PNG picture", b"\xff\xd8\xff": "a JPEG picture",
               b"BEGIN:VCARD": "a contact card (vCard)"}


@dataclass
class FileResult:
    path: Path
    status: str                      # imported | already | skipped | failed | changed (read while it changed)
    format: str | None = None
    import_id: int | None = None
    sha256: str | None = None
    read: int = 0
    new: int = 0
    duplicate: int = 0
    merged: int = 0
    rejected: int = 0
    message: str = ""
    tried: tuple[str, ...] = field(default_factory=tuple)
    signature: tuple[int, int, int, int] | None = None    # the file as read: device, inode, size, mtime_ns


def expand(paths: Iterable[os.PathLike | str]) -> Iterator[Path]:
    """Files named, and files under folders named (recursively, sorted, hidden ones skipped)."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield p


def _open_once(path: Path, watched: bool):
    """The file, opened once: everything after (archiving, hashing, the checks) reads this one
    descriptor, never the name again. Non-blocking, so that a FIFO put at the name cannot hang us."""
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_NOFOLLOW if watched else 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if watched:
            raise FileChanged(path, "it was moved away before it could be read") from None
        raise UnreadableFile(path, "no such file") from None
    except OSError as exc:
        if watched and exc.errno == errno.ELOOP:
            raise FileChanged(path, "a symbolic link took its place after it was found: not followed, "
                                    "left where it is") from None
        raise UnreadableFile(path, f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        if watched:
            raise FileChanged(path, "something else than a file took its place after it was found: left where it is")
        raise UnreadableFile(path, "not a regular file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


class Cancelled(Exception):
    """The import was asked to stop; its transaction was rolled back."""


class Importer:
    """Imports files into one store with one configuration."""

    def __init__(self, store: Store, config, progress: Callable[[str, int, int], None] | None = None,
                 cancel=None):
        self.store, self.config = store, config
        self.cancel = cancel          # a threading.Event: set, the import in progress rolls back
        self.clock = LocalClock(config.timezone)
        self.normaliser = Normaliser(config.region)
        self._progress = progress or (lambda name, done, total: None)
        self._own_lines = {}
        for line in config.lines:
            facts = self.normaliser.normalise(line.number)
            self._own_lines[facts.key or line.number] = line.label

    def import_file(self, path: Path, fmt_name: str | None = None, *, watched: bool = False) -> FileResult:
        """Import one file. watched: it was found as a regular file in a watched folder (the
        inbox), so a link, another kind of file or nothing at its name now means that something
        took its place: it is not followed, not read, and the result says "changed"."""
        path = Path(path)
        try:
            src = _open_once(path, watched)
        except FileChanged as exc:
            return FileResult(path, "changed", message=exc.reason)
        except UnreadableFile as exc:
            return FileResult(path, "failed", message=exc.reason, tried=exc.tried)
        with src:
            first = signature(os.fstat(src.fileno()))
            try:
                result = self._import(path, src, fmt_name)
            except FileChanged as exc:
                return FileResult(path, "changed", message=exc.reason, signature=first)
            except NotACallLog as exc:
                result = FileResult(path, "skipped", message=exc.reason)
            except UnreadableFile as exc:
                result = FileResult(path, "failed", message=exc.reason, tried=exc.tried)
        # What the caller may check before moving the file away: the state that was archived
        # (or, for a file refused before archiving, the state that was looked at).
        result.signature = result.signature or first
        return result

    def _import(self, path: Path, src, fmt_name: str | None) -> FileResult:
        if os.fstat(src.fileno()).st_size == 0:
            raise UnreadableFile(path, "empty file")
        archived = archive_file(src, self.store.data_dir)
        known = self.store.import_by_sha256(archived.sha256)
        if known:
            return FileResult(path, "already", known["format"], known["id"], archived.sha256, read=known["read"],
                              duplicate=known["read"] - known["rejected"], rejected=known["rejected"],
                              message=f"identical to import #{known['id']} ({known['original_name']}, "
                                      f"{known['started_at']}): nothing new", signature=archived.signature)
        for magic, what in _COMPANIONS.items():
            if archived.head.startswith(magic):
                raise NotACallLog(path, f"{what}, not a call log: skipped")
        if archived.head.startswith(b"RIFF") and archived.head[8:12] == b"WAVE":
            raise NotACallLog(path, "a WAV recording, not a call log: skipped")
        for magic, what in _CONTAINERS.items():
            if archived.head.startswith(magic):
                raise UnreadableFile(path, f"{what}, not a call-log export: extract it and import the files inside")
        encoding = detect_encoding(archived.head, archived.utf8)
        sniff = Sniff(archived.path, archived.head, archived.size, encoding, decode_head(archived.head, encoding))
        fmt = self._choose_format(path, sniff, fmt_name)
        if encoding is None and not fmt.binary:
            raise UnreadableFile(path, "binary content, not a text export")
        return self._load(path, archived, sniff, fmt)

    def _choose_format(self, path, sniff, fmt_name):
        if fmt_name:
            fmt = importers.by_name(fmt_name, self.config)
            if fmt is None:
                names = ", ".join(f.name for f in importers.available(self.config))
                raise CallwatchError(f"unknown format {fmt_name!r}; known formats: {names}")
            return fmt
        winners, tried = importers.recognise(sniff, self.config)
        if not winners:
            what = "binary content" if sniff.encoding is None and not sniff.is_sqlite else "content"
            raise UnreadableFile(path, f"format not recognised from its {what}", tried)
        if len(winners) > 1:
            raise UnreadableFile(path, "ambiguous format: looks like " + " and ".join(w.name for w in winners)
                                 + "; choose one with --format", tried)
        return winners[0]

    def _load(self, path: Path, archived, sniff: Sniff, fmt) -> FileResult:
        store = self.store
        total = archived.size
        ctx = ParseContext(self.clock, self.config,
                           progress=lambda pos: self._progress(path.name, pos, total))
        result = FileResult(path, "imported", fmt.name, sha256=archived.sha256, signature=archived.signature)
        with store.transaction():
            import_id = store.create_import(
                original_name=path.name, original_path=str(path.resolve()), sha256=archived.sha256,
                size=archived.size, format=fmt.name, family=fmt.family, encoding=sniff.encoding,
                archive_path=archived.relative, callwatch_version=__version__)
            try:
                # about 150 bytes a record in the text formats: enough to decide on bulk indexing
                with store.bulk_load(expected_rows=archived.size // 150):
                    read, rejected = self._store_records(fmt, sniff, ctx, import_id)
            except (UnreadableFile, Cancelled):
                raise
            except Exception as exc:    # a reader's failure on strange input fails this file only
                fault = storage_fault(store.path, exc)
                if fault is not None and not fault.fatal:    # the machine's (a full disk), not the file's
                    raise fault from exc
                log.debug("reading %s failed", path, exc_info=True)
                raise UnreadableFile(path, f"could not be read as {fmt.name} ({type(exc).__name__}: {exc}); "
                                     f"nothing of it was stored") from None
            store.drop_known_elsewhere(import_id)
            new = store.count_calls(import_id)
            merged = store.merge_cross_source(import_id, fmt.family)
            result.import_id = import_id
            result.read, result.rejected, result.merged = read, rejected, merged
            result.new = new - merged
            result.duplicate = read - rejected - new
            store.finish_import(import_id, {"read": read, "new": result.new, "duplicate": result.duplicate,
                                            "merged": merged, "rejected": rejected})
        log.info("imported %s as %s: %d read, %d new", path.name, fmt.name, read, result.new)
        return result

    def _store_records(self, fmt, sniff, ctx, import_id) -> tuple[int, int]:
        """Parse, normalise and insert in batches; returns (records read, records rejected)."""
        store, norm, family = self.store, self.normaliser.normalise, fmt.family
        calls, rejects, facts_seen = [], [], {}
        read = rejected = 0
        last_was_reject = False
        for item in fmt.parse(sniff, ctx):
            read += 1
            last_was_reject = type(item) is not Call
            if last_was_reject:
                rejected += 1
                rejects.append((import_id, item.locator, item.reason, item.raw))
                if len(rejects) >= BATCH:
                    store.insert_rejects(rejects)
                    rejects.clear()
                continue
            problem = _malformed(item)
            if problem:
                rejected += 1
                rejects.append((import_id, item.locator if type(item.locator) is str else "?", problem,
                                repr(item)[:4096]))
                continue
            facts = norm(item.number_raw, item.presentation, item.region)
            number = facts.key
            if number is not None and number not in facts_seen:
                facts_seen[number] = facts
            own = item.own_number_raw
            if own is not None:
                own = norm(own).key or own
            calls.append((import_id, item.locator, family, item.key, item.source_type, item.start_ms,
                          item.tz, item.time_raw, item.time_flag, item.time_precision_s,
                          item.direction, item.outcome, item.duration_s, item.duration_precision_s,
                          item.ring_s, item.number_raw, number, facts.presentation, own, item.caller_name))
            if len(calls) >= BATCH:
                store.insert_calls(calls)
                calls.clear()
                if self.cancel is not None and self.cancel.is_set():
                    raise Cancelled(f"{sniff.path.name}: stopped by request after {read} records")
        store.insert_calls(calls)
        store.insert_rejects(rejects)
        store.upsert_numbers(facts_seen.values())
        if last_was_reject and fmt.line_based and not _ends_with_newline(sniff.path):
            store.conn.execute(
                "UPDATE rejects SET reason = reason || ? WHERE id = (SELECT MAX(id) FROM rejects WHERE import_id = ?)",
                ["; the file ends inside this record (truncated export?)", import_id])
        return read, rejected


MAX_TEXT = 1000        # characters: no number, name or label of a call is longer
_TEXTS = ("number_raw", "key", "source_type", "locator")
_OPTIONAL_TEXTS = ("caller_name", "own_number_raw", "time_raw")
_OPTIONAL_INTS = ("duration_s", "ring_s")


SQLITE_INT = (-2**63, 2**63 - 1)     # what an SQLite INTEGER holds; beyond, sqlite3 raises OverflowError


def _malformed(call: Call) -> str | None:
    """Why an importer's Call cannot be stored as it is (a JSON export can hold an object where a
    name belongs, a damaged file a megabyte-long name or a 30-digit date), or None. One record's
    problem is that record's reject, never the whole file's failure."""
    if type(call.start_ms) is not int:
        return "time is not a number"
    if not SQLITE_INT[0] <= call.start_ms <= SQLITE_INT[1]:
        return "time is out of range"
    for name in _TEXTS:
        value = getattr(call, name)
        if type(value) is not str or len(value) > MAX_TEXT:
            return f"{name.replace('_raw', '').replace('_', ' ')} is not text of at most {MAX_TEXT} characters"
    for name in _OPTIONAL_TEXTS:
        value = getattr(call, name)
        if value is not None and (type(value) is not str or len(value) > MAX_TEXT):
            return f"{name.replace('_raw', '').replace('_', ' ')} is not text of at most {MAX_TEXT} characters"
    for name in _OPTIONAL_INTS:
        value = getattr(call, name)
        if value is not None and type(value) is not int:
            return f"{name.replace('_s', '')} is not a whole number of seconds"
        if value is not None and not SQLITE_INT[0] <= value <= SQLITE_INT[1]:
            return f"{name.replace('_s', '')} is out of range"
    return None


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) in (b"\n", b"\r")
