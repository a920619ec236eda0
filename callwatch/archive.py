"""Chain of custody: every imported file is copied, read-only, into a content-addressed
archive in the data directory, and hashed while it is copied.

Parsing then reads the archived copy, so what was parsed is exactly what was hashed even if
the original changes or vanishes meanwhile. Any figure can be traced to a byte range of
``archive/sha256/<aa>/<full hash>``.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import queue
import threading
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from callwatch.errors import FileChanged, UnreadableFile, storage_fault
from callwatch.private import private_dir

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Archived:
    sha256: str
    size: int
    path: Path          # absolute path of the archived copy
    relative: str       # path relative to the data directory
    utf8: bool          # the whole file is valid UTF-8
    head: bytes         # first 64 KB, for format recognition
    signature: tuple[int, int, int, int] | None = None   # the source's device, inode, size, mtime_ns as copied


def signature(st: os.stat_result) -> tuple[int, int, int, int]:
    """What says that a file is still the one that was read: same file (device, inode), same size
    and same modification time to the nanosecond."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


STALE_PARTIAL_S = 24 * 3600


def _remove_stale_partials(root: Path) -> None:
    """A copy cut by a crash (SIGKILL, power) leaves a ``.incoming-*`` file; never one in use:
    only those untouched for a day go (another process may be copying right now)."""
    cutoff = time.time() - STALE_PARTIAL_S
    for partial in root.glob(".incoming-*"):
        try:
            if partial.lstat().st_mtime < cutoff:
                partial.unlink()
        except OSError:
            pass


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _chunks(src: BinaryIO):
    while chunk := src.read(CHUNK):
        yield chunk


class _Hasher:
    """SHA-256 of the chunks given, computed on a thread of its own while the copy goes on
    (hashlib lets go of Python's lock on large buffers): 239 MB archived in 0.30 -> 0.21 s."""

    def __init__(self):
        self._digest = hashlib.sha256()
        self._chunks: queue.Queue = queue.Queue(maxsize=8)          # 8 MB in flight at most
        self._thread = threading.Thread(target=self._run, name="callwatch-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self._digest.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._chunks.put(chunk)

    def hexdigest(self) -> str:
        self.stop()
        return self._digest.hexdigest()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()


def archive_file(source: Path | BinaryIO, data_dir: Path, head_size: int = 64 * 1024) -> Archived:
    """Copy ``source`` (a path, or a file the caller opened) into the archive (if not there yet)
    and return its facts.

    The source's size and modification time are taken before and after the copy: a file that
    changed meanwhile (still being written, rewritten in place) raises FileChanged and nothing is
    archived, so a copy is always one whole state of the file."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as src:
            return archive_file(src, data_dir, head_size)
    src = source
    name = getattr(src, "name", "?")
    try:
        root = private_dir(Path(data_dir) / "archive" / "sha256")
        _remove_stale_partials(root)
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=root)
    except OSError as exc:
        raise storage_fault(Path(data_dir) / "archive", exc) or exc from exc
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    head = bytearray()
    size = 0
    before = os.fstat(src.fileno())
    digest = _Hasher()
    try:
        with os.fdopen(fd, "wb") as out:
            chunks = _chunks(src)
            while True:
                try:
                    chunk = next(chunks, None)
                except OSError as exc:       # the source's fault, not the archive's
                    raise UnreadableFile(name, f"cannot read: {exc.strerror or exc}") from None
                if chunk is None:
                    break
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
                if len(head) < head_size:
                    head += chunk[: head_size - len(head)]
                # an ASCII chunk with no sequence left open before it is UTF-8 as it is (10x faster to tell)
                if utf8 and (decoder.getstate()[0] or not chunk.isascii()):
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        utf8 = False
            if utf8:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8 = False
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        after = os.fstat(src.fileno())
        if signature(after) != signature(before) or size != after.st_size:
            raise FileChanged(name, "it changed while it was being read (still being written?): nothing of it "
                                    "was stored; import it again once it is complete")
        folder = private_dir(root / sha[:2])
        final = folder / sha
        if final.exists():
            os.unlink(tmp_name)
        else:
            os.chmod(tmp_name, 0o400)
            os.replace(tmp_name, final)
            _fsync_dir(folder)              # the rename survives a power cut before the import commits
    except BaseException as exc:
        digest.stop()
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):         # writing the copy: a full disk, a read-only archive...
            raise storage_fault(root, exc) or exc from exc
        raise
    return Archived(sha, size, final, str(final.relative_to(data_dir)), utf8, bytes(head), signature(after))


def verify_archived(path: Path, sha256: str) -> bool:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest() == sha256
