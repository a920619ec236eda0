"""Files and folders private to the user running callwatch (0600 / 0700), whatever the umask,
and the refusal of folders and files that other users could change.

Kept apart from store.py on purpose: the daemon process uses these without loading the store's
libraries (sqlite-utils pulls in pandas), which is what keeps the idle daemon small.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from callwatch.errors import UnsafeFolder


def private_dir(path: Path) -> Path:
    """Create a directory (and any missing parents) readable by its owner only (0700).

    Only the folders created here are made 0700: an existing one keeps the mode its owner gave
    it (a shared inbox, a data directory on a mounted disk); check_owned() refuses the unsafe."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:           # made meanwhile by another process: theirs to set
            continue
        os.chmod(folder, 0o700)           # mkdir's mode goes through the umask
    return path


def check_owned(path: Path, what: str) -> Path:
    """Refuse a folder or file that others could change, as ssh refuses a loose key: it must belong
    to the user running callwatch (or to root) and must not be writable by every user. Whoever can
    write in the inbox or the data directory could swap a file between two looks, plant a link
    where callwatch writes, or replace the store; whoever can write the configuration decides
    where the data goes. Group-writable is allowed: a household may share its inbox through a group."""
    path = Path(path)
    st = os.stat(path)
    me = os.geteuid()
    if st.st_uid not in (me, 0):
        raise UnsafeFolder(f"{path}: the {what} belongs to another user (uid {st.st_uid}; callwatch runs as uid {me}): "
                           f"give it to uid {me} (chown) or use another {what}")
    if st.st_mode & stat.S_IWOTH:
        raise UnsafeFolder(f"{path}: the {what} is writable by every user (mode {stat.S_IMODE(st.st_mode):04o}): "
                           f"run `chmod o-w {path}` (callwatch refuses it, as ssh refuses a loose key)")
    return path


def write_private(path: Path, content: bytes | str, *, atomic: bool = True) -> Path:
    """Write a file only its owner can read, never through a symlink planted at its name.

    The content is written beside the final name (a fresh name, created exclusively, so never
    through a link), synced, then renamed over it: a reader, a crash or a full disk never leaves
    half a file under the final name. (``atomic`` is accepted from callers written when writing
    in place was the default: every write is atomic now.)"""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)    # 0600, O_EXCL
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
