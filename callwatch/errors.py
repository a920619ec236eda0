"""The library's own exceptions. cli.py turns them into messages in one place."""

from __future__ import annotations

import errno
import os
from pathlib import Path


class CallwatchError(Exception):
    """Base class: something the user can act on, with a message meant for them."""


class ConfigError(CallwatchError):
    """The configuration file is missing, unreadable or invalid."""

    def __init__(self, path, key, problem):
        self.path, self.key, self.problem = path, key, problem
        where = f"{path}" + (f": {key}" if key else "")
        super().__init__(f"{where}: {problem}")


class UnreadableFile(CallwatchError):
    """A whole input file cannot be imported (nothing of it is stored)."""

    def __init__(self, path, reason, tried=()):
        self.path, self.reason, self.tried = path, reason, tuple(tried)
        msg = f"{path}: {reason}"
        if self.tried:
            msg += f" (formats tried: {', '.join(self.tried)})"
        super().__init__(msg)


class FileChanged(UnreadableFile):
    """An input file changed, or something else took its name, while it was being read: nothing of
    it was stored, and the file is not the reader's fault (the inbox leaves it for its next look)."""


class StoreError(CallwatchError):
    """The call store, or the data directory holding it, cannot be opened, read or written."""

    # True when no later attempt can succeed until a person acts (the store is gone, replaced or
    # damaged): the daemon stops on it instead of failing every job for ever.
    fatal = False


class StoreLost(StoreError):
    """A store existed in this data directory and its database is missing, or another file took
    its place: callwatch never starts an empty store there (see identity.py)."""

    fatal = True


class StoreDamaged(StoreError):
    """The database file is not a readable SQLite database any more."""

    fatal = True


class UnsafeFolder(CallwatchError):
    """A data directory, inbox or configuration file that other users could change."""


class NotACallLog(UnreadableFile):
    """A file that comes with an export but holds no calls (a voicemail recording, a text
    message page, a picture): skipped, not a failure."""


class UnknownFormat(UnreadableFile):
    """No importer recognises the file's content. Inside an archive such a file is skipped (a
    Takeout zip holds other products' files too); given alone, it is a failure."""


# What a failed write under the data directory means, from the OS error number or SQLite's
# error name (sqlite3.Error.sqlite_errorname; read by name so that the daemon never loads sqlite3).
_FULL, _READONLY, _IO, _DAMAGED, _BUSY = "full", "read-only", "io", "damaged", "busy"
_ERRNOS = {errno.ENOSPC: _FULL, errno.EDQUOT: _FULL, errno.EFBIG: _FULL, errno.EROFS: _READONLY,
           errno.EACCES: _READONLY, errno.EPERM: _READONLY, errno.EIO: _IO}
_SQLITE_PREFIXES = (("SQLITE_FULL", _FULL), ("SQLITE_READONLY", _READONLY), ("SQLITE_CANTOPEN", _READONLY),
                    ("SQLITE_IOERR", _IO), ("SQLITE_CORRUPT", _DAMAGED), ("SQLITE_NOTADB", _DAMAGED),
                    ("SQLITE_BUSY", _BUSY), ("SQLITE_LOCKED", _BUSY))


def _fault_kind(exc: BaseException) -> str | None:
    name = getattr(exc, "sqlite_errorname", None)
    if name:
        return next((kind for prefix, kind in _SQLITE_PREFIXES if name.startswith(prefix)), None)
    if isinstance(exc, OSError):
        return _ERRNOS.get(exc.errno)
    return None


def _user() -> str:
    try:
        import pwd
        return pwd.getpwuid(os.geteuid()).pw_name
    except (KeyError, ImportError):
        return f"uid {os.geteuid()}"


def _no_room(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 256 * 1024


def storage_fault(path, exc: BaseException) -> StoreError | None:
    """The one sentence for a machine fault met while writing ``path`` under the data directory
    (a full disk, a read-only folder, an I/O error, a damaged database), or None when ``exc`` is
    not one. What was being written is never kept half-done: SQLite rolls the transaction back and
    files are written beside their final name, then renamed (private.write_private)."""
    kind = _fault_kind(exc)
    if kind is None:
        return None
    path = Path(getattr(exc, "filename", None) or path)
    folder = path if path.is_dir() else path.parent
    if kind == _IO and _no_room(folder):
        kind = _FULL         # SQLite says "disk I/O error" (SQLITE_IOERR_SHMSIZE...) when it cannot grow a file
    detail = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__
    if kind == _FULL:
        return StoreError(f"{path}: the disk is full ({detail}): free some space on the disk holding {folder}, "
                          f"then run it again; what was being written was rolled back, nothing half-written was kept")
    if kind == _READONLY:
        return StoreError(f"{path}: cannot write there ({detail}): make {folder} writable for {_user()}, "
                          f"or choose another data directory with --data-dir")
    if kind == _BUSY:      # another process kept the store longer than the wait allowed (busy_timeout)
        return StoreError(f"{path}: the call store is busy ({detail}): another callwatch command (a large import?) "
                          f"is writing to it; run it again when that ends")
    if kind == _IO:
        return StoreError(f"{path}: input/output error ({detail}): the disk may be failing; copy the data "
                          f"directory to another disk and check this one")
    return StoreDamaged(f"{path}: the call store is damaged ({detail}): move it aside and put the latest backup "
                        f"in its place (the daemon keeps one in {folder / 'backup' / 'callwatch-backup.db'}), "
                        f"then run it again")
