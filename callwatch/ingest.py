"""Importing files: archive and hash, recognise, parse, normalise, store; one transaction
per file, so a file is in the store entirely or not at all.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator

from callwatch import __version__, importers, zipsafe
from callwatch.archive import archive_file, signature
from callwatch.errors import CallwatchError, FileChanged, NotACallLog, UnknownFormat, UnreadableFile, storage_fault
from callwatch.importers.base import (COLUMNAR_ENCODINGS, Call, Lookalikes, ParseContext, Sniff,
                                      decode_head, detect_encoding)
from callwatch.lines import LineResolver
from callwatch.numbers import Normaliser
from callwatch.store import Store
from callwatch.times import LocalClock

log = logging.getLogger(__name__)

BATCH = 20_000
COLUMNAR_MIN_BYTES = 4 << 20     # a smaller file is read row by row: pyarrow's start-up would cost more than it saves
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")          # a zip with members; an empty one
_CONTAINERS = {b"\x1f\x8b": "a gzip file", b"7z\xbc\xaf": "a 7-Zip archive",
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
    members: list[FileResult] = field(default_factory=list)     # a zip's files, each imported on its own


@dataclass(frozen=True)
class _Origin:
    """Where a file inside an archive came from: recorded in place of the temporary copy's name."""

    name: str
    path: str
    container_id: int
    member: str


# WhatsApp's backups on the phone (msgstore.db.crypt12, .crypt14, .crypt15).
_WHATSAPP_ENCRYPTED = re.compile(r"\.crypt\d{1,2}$", re.I)
WHATSAPP_ENCRYPTED = ("an encrypted WhatsApp backup: callwatch reads only the decrypted database. Decrypt it "
                      "first with its key (the 64-digit key of an end-to-end encrypted backup, or the phone's "
                      "/data/data/com.whatsapp/files/key file for .crypt12/.crypt14) using a decryption tool such as "
                      "wa-crypt-tools, then import the msgstore.db it writes")


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
        self._lines: LineResolver | None = None
        self.source_name: str | None = None
        self.columnar_min_bytes = COLUMNAR_MIN_BYTES
        self.last_path: str | None = None            # how the last file was read: "columnar" or "per-row"

    @property
    def lines(self) -> LineResolver:
        """The configured lines, resolved when a file is first read: normalising their numbers
        loads phonenumbers, which a daemon job finding a box's list unchanged never needs."""
        if self._lines is None:
            self._lines = LineResolver(self.config, self.normaliser)
        return self._lines

    def import_file(self, path: Path, fmt_name: str | None = None, source: str | None = None, *,
                    watched: bool = False) -> FileResult:
        """Import one file. ``source``: the live box it was polled from (its ``[[sources]]``
        name), which a line's ``sources`` may name. watched: it was found as a regular file in a
        watched folder (the inbox), so a link, another kind of file or nothing at its name now means
        that something took its place: it is not followed, not read, and the result says "changed"."""
        path = Path(path)
        self.source_name = source
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

    def _import(self, path: Path, src, fmt_name: str | None, origin: _Origin | None = None) -> FileResult:
        """``src``: the file, opened once (_open_once); nothing here opens ``path`` again."""
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
        if archived.head.startswith(_ZIP) and origin is None:
            return self._import_zip(path, archived, fmt_name)
        for magic, what in _CONTAINERS.items():
            if archived.head.startswith(magic):
                raise UnreadableFile(path, f"{what}, not a call-log export: extract it and import the files inside")
        encoding = detect_encoding(archived.head, archived.utf8)
        sniff = Sniff(archived.path, archived.head, archived.size, encoding, decode_head(archived.head, encoding))
        fmt = self._choose_format(path, sniff, fmt_name)
        if encoding is None and not fmt.binary:
            raise UnreadableFile(path, "binary content, not a text export")
        return self._load(path, archived, sniff, fmt, origin)

    def _import_zip(self, path: Path, archived, fmt_name: str | None) -> FileResult:
        """Each file of a zip imported on its own, as if given alone, after the whole zip has passed
        the checks of zipsafe (a refused zip stores nothing). Files that are not call logs (another
        Google product's, a voicemail's audio) are skipped; the zip's own hash is their container."""
        try:
            zf, members = zipsafe.open_members(archived.path)      # the archived copy: what was hashed
        except UnreadableFile as exc:
            raise UnreadableFile(path, exc.reason) from None
        result = FileResult(path, "imported", "zip", sha256=archived.sha256)
        unpack_root = self.store.data_dir / "unpacking"
        try:
            if not members:
                raise NotACallLog(path, "a zip archive with no files in it: nothing to import")
            container_id = self.store.container(archived.sha256, original_name=path.name,
                                                original_path=str(path.resolve()), size=archived.size,
                                                archive_path=archived.relative, members=len(members))
            from callwatch.private import private_dir
            _remove_stale_unpacking(private_dir(unpack_root))
            folder = Path(tempfile.mkdtemp(dir=unpack_root))
            try:
                for index, member in enumerate(members):
                    result.members.append(self._import_member(path, zf, member, index, folder, container_id, fmt_name))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        finally:
            zf.close()
        done = [m for m in result.members if m.status in ("imported", "already")]
        for m in done:
            result.read += m.read
            result.new += m.new
            result.duplicate += m.duplicate
            result.merged += m.merged
            result.rejected += m.rejected
        failed = sum(m.status == "failed" for m in result.members)
        if done:
            result.message = f"{len(done)} of its {len(members)} files imported" + (
                f", {failed} refused" if failed else "")
        elif failed:
            result.status, result.message = "failed", f"none of its {len(members)} files could be imported"
        else:
            result.status = "skipped"
            result.message = f"a zip archive of {len(members)} files, none of them a call log: nothing imported"
        return result

    def _import_member(self, path, zf, member, index, folder, container_id, fmt_name) -> FileResult:
        shown = path / member.name          # how the file is named in results: inside its zip
        if member.refused:
            return FileResult(shown, "failed", message=member.refused)
        try:
            extracted = zipsafe.extract(zf, member, folder, index)
        except UnreadableFile as exc:
            return FileResult(shown, "failed", message=exc.reason)
        origin = _Origin(PurePosixPath(member.name).name, f"{path.resolve()}!/{member.name}", container_id, member.name)
        try:
            with _open_once(extracted, False) as src:
                result = self._import(extracted, src, fmt_name, origin)
        except UnknownFormat:
            result = FileResult(shown, "skipped", message="not a call log (no format recognises its content): skipped")
        except NotACallLog as exc:
            result = FileResult(shown, "skipped", message=exc.reason)
        except UnreadableFile as exc:
            result = FileResult(shown, "failed", message=exc.reason, tried=exc.tried)
        finally:
            extracted.unlink(missing_ok=True)
        result.path = shown
        return result

    def _choose_format(self, path, sniff, fmt_name):
        if fmt_name:
            fmt = importers.by_name(fmt_name, self.config)
            if fmt is None:
                names = ", ".join(f.name for f in importers.available(self.config))
                raise CallwatchError(f"unknown format {fmt_name!r}; known formats: {names}")
            return fmt
        winners, tried = importers.recognise(sniff, self.config)
        if not winners:
            if _WHATSAPP_ENCRYPTED.search(path.name):
                raise UnreadableFile(path, WHATSAPP_ENCRYPTED)
            what = "binary content" if sniff.encoding is None and not sniff.is_sqlite else "content"
            raise UnknownFormat(path, f"format not recognised from its {what}", tried)
        if len(winners) > 1:
            raise UnreadableFile(path, "ambiguous format: looks like " + " and ".join(w.name for w in winners)
                                 + "; choose one with --format", tried)
        return winners[0]

    def _load(self, path: Path, archived, sniff: Sniff, fmt, origin: _Origin | None = None) -> FileResult:
        store = self.store
        total = archived.size
        ctx = ParseContext(self.clock, self.config,
                           progress=lambda pos: self._progress(path.name, pos, total))
        result = FileResult(path, "imported", fmt.name, sha256=archived.sha256, signature=archived.signature)
        expected_rows = archived.size // 150      # about 150 bytes a record in the text formats: enough
        with store.transaction(expected_rows):     # to decide how to write in bulk
            import_id = store.create_import(
                original_name=origin.name if origin else path.name,
                original_path=origin.path if origin else str(path.resolve()), sha256=archived.sha256,
                size=archived.size, format=fmt.name, family=fmt.family, encoding=sniff.encoding,
                archive_path=archived.relative, callwatch_version=__version__,
                container_id=origin.container_id if origin else None, member=origin.member if origin else None)
            try:
                with store.bulk_load(expected_rows):
                    read, rejected, span = self._store_records(fmt, sniff, ctx, import_id)
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
                                            "merged": merged, "rejected": rejected, **span})
        log.info("imported %s as %s: %d read, %d new", path.name, fmt.name, read, result.new)
        return result

    def _store_records(self, fmt, sniff, ctx, import_id) -> tuple[int, int, dict]:
        """Parse, normalise and insert in batches; returns (records read, records rejected, the span
        of calls the file holds and the accounts it names: duplicates count, see imports).

        A large plain CSV file of a format that has a columnar plan is read column by column
        (importers/columnar.py), with the same result; a file found not plain on the way is read
        again by the per-row path from a savepoint, within the same transaction."""
        if fmt.columnar is not None and sniff.size >= self.columnar_min_bytes \
                and sniff.encoding in COLUMNAR_ENCODINGS:
            from callwatch.importers import columnar          # pyarrow and numpy: only for a large file
            conn = self.store.conn
            conn.execute("SAVEPOINT columnar")
            load = _Load(self, fmt, import_id)
            try:
                try:
                    self._store_columns(fmt, sniff, ctx, load)
                except BaseException:
                    if load.staging is not None:      # a block may still be going in: let it end first
                        load.staging.abandon()
                    raise
            except columnar.NotPlain as exc:
                log.debug("%s: read row by row (%s)", sniff.path.name, exc)
                conn.execute("ROLLBACK TO columnar")
                conn.execute("RELEASE columnar")
            else:
                conn.execute("RELEASE columnar")
                self.last_path = "columnar"
                return load.finish(sniff)
        load = _Load(self, fmt, import_id)
        for item in fmt.parse(sniff, ctx):
            load.item(item)
            if len(load.calls) >= BATCH:
                load.flush()
                if self.cancel is not None and self.cancel.is_set():
                    raise Cancelled(f"{sniff.path.name}: stopped by request after {load.read} records")
        self.last_path = "per-row"
        return load.finish(sniff)

    def _store_columns(self, fmt, sniff, ctx, load: "_Load") -> None:
        from callwatch.importers import columnar
        plan = fmt.columnar(sniff, ctx)
        lookalikes = Lookalikes() if plan.number_lookalikes else None
        for block in columnar.blocks(sniff, plan, ctx.progress):
            load.block(block, lookalikes)
            if self.cancel is not None and self.cancel.is_set():
                raise Cancelled(f"{sniff.path.name}: stopped by request after {load.read} records")


class _Load:
    """One file's records on their way into the store: the call and reject rows, the numbers and
    lines they name, the counts, the span of times and the accounts (see Importer._store_records).
    Records come one at a time (``item``: the per-row path) or a block at a time (``block``: the
    columnar path, whose per-row records go through ``item``'s own code)."""

    def __init__(self, importer: Importer, fmt, import_id: int):
        self.store, self.fmt, self.import_id = importer.store, fmt, import_id
        self.norm = importer.normaliser.normalise
        self.resolve = importer.lines.resolve
        self.source_name = importer.source_name
        self.calls: list[tuple] = []
        self.rejects: list[tuple] = []
        self.facts_seen: dict = {}
        self.lines_seen: set[str] = set()
        self.accounts: set[str] = set()
        self.first = self.last = None
        self.read = self.rejected = 0
        self.last_was_reject = False
        self.staging = None                   # the columnar path's staged blocks (Store.staging)
        self.derived: dict = {}               # its values per distinct input, number_noted: those stored
        self.number_noted = self.own_noted = None    # numpy masks over the codes met (see _newly_met)
        self.numbers_stored = 0               # facts_seen's first ones, handed over (_numbers_to_store)

    def item(self, item) -> None:
        row, facts = self._row(item)
        if row is not None:
            self.calls.append(row)
            number = facts.key
            if number is not None and number not in self.facts_seen:
                self.facts_seen[number] = facts

    def _row(self, item) -> tuple:
        """The call row of one Call and the facts of its number, or (None, None) when the record is
        a reject (kept in self.rejects)."""
        self.read += 1
        self.last_was_reject = type(item) is not Call
        if self.last_was_reject:
            self.rejected += 1
            self.rejects.append((self.import_id, item.locator, item.reason, item.raw))
            if len(self.rejects) >= BATCH:
                if self.staging is not None:          # the connection is the writer thread's until then
                    self.staging.wait()
                self.store.insert_rejects(self.rejects)
                self.rejects.clear()
            return None, None
        problem = _malformed(item)
        if problem:
            self.rejected += 1
            self.rejects.append((self.import_id, item.locator if type(item.locator) is str else "?", problem,
                                 repr(item)[:4096]))
            return None, None
        if self.first is None or item.start_ms < self.first:
            self.first = item.start_ms
        if self.last is None or item.start_ms > self.last:
            self.last = item.start_ms
        if item.own_account is not None or item.own_number_raw is not None:
            self.accounts.add(str(item.own_account or item.own_number_raw)[:200])
        facts = self.norm(item.number_raw, item.presentation, item.region)
        number = facts.key
        own = item.own_number_raw
        line = self.resolve(own, item.own_account, self.fmt.family, self.fmt.name, self.source_name)
        self.lines_seen.add(line.line)
        if own is not None:
            own = self.norm(own).key or own
        elif item.own_account is not None:
            own = "account:" + item.own_account
        return (self.import_id, item.locator, self.fmt.family, item.key, item.source_type, item.start_ms,
                item.tz, item.time_raw, item.time_flag, item.time_precision_s,
                item.direction, item.outcome, item.duration_s, item.duration_precision_s,
                item.ring_s, item.number_raw, number, facts.presentation, own, item.caller_name,
                line.line, line.basis), facts

    def flush(self) -> None:
        self.store.insert_calls(self.calls)
        self.calls.clear()

    def block(self, block, lookalikes: Lookalikes | None) -> None:
        """A block of the columnar path: its derived calls (staged and inserted by SQLite, see
        Store.staging) and its per-row records, in file order."""
        import numpy as np
        d = block.derived
        rows = np.flatnonzero(d.ok)
        m = len(rows)
        keys = None                                 # source keys as they are in the file (staged as such)
        if lookalikes is not None:                  # numbered in file order, per-row calls included
            keys = _values(d.columns["key"], rows, m) if m else []
            merged = sorted([(p, i, None) for i, p in enumerate(block.rows.tolist())]
                            + [(p, -1, item) for p, item in block.items if type(item) is Call])
            for _p, i, item in merged:
                if item is None:
                    keys[i] = lookalikes.key(keys[i])
                else:
                    item.key = lookalikes.key(item.key)
        slow = []                                   # (position, row, facts) of the per-row calls
        for pos, item in block.items:               # in file order
            row, facts = self._row(item)
            if row is not None:
                slow.append((pos, row, facts))
        self.read += m
        if m and (not block.items or block.rows[-1] > block.items[-1][0]):
            self.last_was_reject = False
        firsts = self._stage(block, rows, keys) if m else []
        # numbers in the order of their first call, whichever path read it
        for _pos, _kind, facts in sorted(firsts + [(pos, 1, facts) for pos, _row, facts in slow], key=lambda t: t[:2]):
            if facts.key is not None and facts.key not in self.facts_seen:
                self.facts_seen[facts.key] = facts
        # the rows in file order: staged segments between the per-row calls
        staging = self.staging
        if staging is None:                         # nothing staged yet: no writer thread either
            self.calls += [row for _pos, row, _facts in slow]
            self.flush()
            return
        done, between = 0, []
        for pos, row, _facts in slow:
            upto = int(np.searchsorted(block.rows, pos)) if m else 0
            if upto > done:
                staging.rows(between)
                staging.insert(done, upto)
                done, between = upto, []
            between.append(row)
        staging.rows(between)
        if done < m:
            staging.insert(done, m)
        staging.numbers(self._numbers_to_store())
        staging.submit()          # SQLite inserts them while the next blocks are read and derived

    def _stage(self, block, rows, keys: list | None) -> list:
        """Stage the derived calls of a block; returns (position, 0, facts) of the first call, in
        the file, of each number as written."""
        import numpy as np
        from callwatch.importers.columnar import Coded, locators
        from callwatch.store import Distinct, Ints, Texts
        d = block.derived.columns
        m = len(rows)
        start_ms = d["start_ms"][rows]
        lo, hi = int(start_ms.min()), int(start_ms.max())
        self.first = lo if self.first is None or lo < self.first else self.first
        self.last = hi if self.last is None or hi > self.last else self.last
        number_raw, own_raw = d["number_raw"], d["own_number_raw"]
        numbers, presentations, owns, lines, bases = self._per_value(number_raw, own_raw)
        # what only calls stored may add: the lines they reached, the accounts they name, their numbers
        firsts = []
        self.own_noted, new, _where = _newly_met(own_raw.codes[rows], self.own_noted)
        for c in new.tolist():
            self.lines_seen.add(lines[c])
            if own_raw.values[c] is not None:
                self.accounts.add(str(own_raw.values[c])[:200])
        self.number_noted, new, where = _newly_met(number_raw.codes[rows], self.number_noted)
        for c, i in zip(new.tolist(), where.tolist()):
            firsts.append((int(block.rows[i]), 0, self.norm(number_raw.values[c], None, None)))
        codes_of: dict[int, object] = {}

        def column(value):
            if isinstance(value, Coded):
                if id(value.codes) not in codes_of:
                    codes_of[id(value.codes)] = value.codes[rows]
                return Distinct(codes_of[id(value.codes)], value.values, value.space)
            if isinstance(value, np.ndarray) and value.dtype.kind in "iu":
                return Ints(value[rows])
            if _arrow_strings(value) and not value.null_count:
                return Texts(value, rows)
            return value if _constant(value) else _values(value, rows, m)
        columns = {name: column(d[name]) for name in _STAGED}
        columns.update(import_id=self.import_id, family=self.fmt.family,
                       locator=Texts(locators(block.lines, block.starts, block.ends)),
                       source_key=keys if keys is not None else column(d["key"]),
                       number=column(Coded(number_raw.codes, numbers, number_raw.space)),
                       presentation=column(Coded(number_raw.codes, presentations, number_raw.space)),
                       own_line=column(Coded(own_raw.codes, owns, own_raw.space)),
                       line=column(Coded(own_raw.codes, lines, own_raw.space)),
                       line_basis=column(Coded(own_raw.codes, bases, own_raw.space)))
        if self.staging is None:
            self.staging = self.store.staging()
        self.staging.block(columns, m)
        return firsts

    def _per_value(self, number_raw, own_raw) -> tuple[list, ...]:
        """The normalised number and presentation of each distinct number as written, and the own
        number and line of each distinct own number (lists growing with the formats' own, see
        columnar.Distincts)."""
        numbers, presentations, owns, lines, bases = self.derived.setdefault(
            (id(number_raw.values), id(own_raw.values)), ([], [], [], [], []))
        for raw in number_raw.values[len(numbers):]:
            facts = self.norm(raw, None, None)
            numbers.append(facts.key)
            presentations.append(facts.presentation)
        family, fmt_name, source = self.fmt.family, self.fmt.name, self.source_name
        for own in own_raw.values[len(owns):]:
            line = self.resolve(own, None, family, fmt_name, source)
            lines.append(line.line)
            bases.append(line.basis)
            owns.append(None if own is None else self.norm(own).key or own)
        return numbers, presentations, owns, lines, bases

    def _numbers_to_store(self) -> list:
        """The facts of the numbers met since the last call, in the order met: stored in that order
        (by the inserting thread with each block, by finish() for the rest), their rowids are those
        of the per-row path."""
        fresh = list(self.facts_seen.values())[self.numbers_stored:]
        self.numbers_stored = len(self.facts_seen)
        return fresh

    def finish(self, sniff) -> tuple[int, int, dict]:
        store = self.store
        if self.staging is not None:
            self.staging.close()
        store.insert_calls(self.calls)
        self.calls.clear()
        store.insert_rejects(self.rejects)
        store.upsert_numbers(self._numbers_to_store())
        store.note_lines(self.lines_seen)
        if self.last_was_reject and self.fmt.line_based and not _ends_with_newline(sniff.path):
            store.conn.execute(
                "UPDATE rejects SET reason = reason || ? WHERE id = (SELECT MAX(id) FROM rejects WHERE import_id = ?)",
                ["; the file ends inside this record (truncated export?)", self.import_id])
        span = {"first_call_ms": self.first, "last_call_ms": self.last,
                "accounts": json.dumps(sorted(self.accounts)[:50]) if self.accounts else None}
        return self.read, self.rejected, span


# Call fields staged as the format derived them (see _Load._stage; the others are derived there)
_STAGED = ("source_type", "start_ms", "tz", "time_raw", "time_flag", "time_precision_s", "direction", "outcome",
           "duration_s", "duration_precision_s", "ring_s", "number_raw", "caller_name")


def _newly_met(codes, noted):
    """The codes (into a Distincts space) not met before, once each, with the row of each one's first
    occurrence; ``noted``, a boolean mask over the space (None at first), is grown and marked.
    Returns (noted, codes, rows). Only the rows of codes not met before are sorted: after the first
    blocks they are few (a Python set looked every distinct code of every block up: 0.3 s at 1M)."""
    import numpy as np
    if noted is None:
        noted = np.zeros(0, dtype=bool)
    if len(codes) and int(codes.max()) >= len(noted):
        grown = np.zeros(max(int(codes.max()) + 1, 2 * len(noted)), dtype=bool)
        grown[:len(noted)] = noted
        noted = grown
    fresh = np.flatnonzero(~noted[codes])
    new, first = np.unique(codes[fresh], return_index=True)
    noted[new] = True
    return noted, new, fresh[first]


def _constant(value) -> bool:
    return value is None or isinstance(value, (str, int))


def _values(column, rows, m: int):
    """One Call field for these rows of a block, as a list (or a constant repeated)."""
    import numpy as np
    from callwatch.importers.columnar import Coded
    if isinstance(column, Coded):
        return column.take(rows)
    if isinstance(column, np.ndarray):
        return column[rows].tolist()
    if hasattr(column, "take") and hasattr(column, "to_pylist"):        # a pyarrow array
        from callwatch.importers.columnar import arrow_ints
        return column.take(arrow_ints(rows)).to_pylist()
    return repeat(column, m)


def _arrow_strings(column) -> bool:
    """A pyarrow array of strings (a field of the file, as read)."""
    import pyarrow as pa
    return isinstance(column, pa.Array) and (pa.types.is_string(column.type) or pa.types.is_large_string(column.type))


def _remove_stale_unpacking(root: Path, older_than_s: float = 24 * 3600) -> None:
    """Folders left by a zip import that was killed (SIGKILL, power cut); never one in use: only
    those untouched for a day go (another process may be importing a zip right now)."""
    cutoff = time.time() - older_than_s
    for folder in root.iterdir():
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


MAX_TEXT = 1000        # characters: no number, name or label of a call is longer
_TEXTS = ("number_raw", "key", "source_type", "locator")
_OPTIONAL_TEXTS = ("caller_name", "own_number_raw", "own_account", "time_raw")
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
