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
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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


def archive_file(source: Path, data_dir: Path, head_size: int = 64 * 1024) -> Archived:
    """Copy ``source`` into the archive (if not there yet) and return its facts."""
    root = private_dir(Path(data_dir) / "archive" / "sha256")
    _remove_stale_partials(root)
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    head = bytearray()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=root)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
                if len(head) < head_size:
                    head += chunk[: head_size - len(head)]
                if utf8:
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
        folder = private_dir(root / sha[:2])
        final = folder / sha
        if final.exists():
            os.unlink(tmp_name)
        else:
            os.chmod(tmp_name, 0o400)
            os.replace(tmp_name, final)
            _fsync_dir(folder)              # the rename survives a power cut before the import commits
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    return Archived(sha, size, final, str(final.relative_to(data_dir)), utf8, bytes(head))


def verify_archived(path: Path, sha256: str) -> bool:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest() == sha256
