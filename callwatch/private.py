"""Files and folders private to the user running callwatch (0600 / 0700), whatever the umask.

Kept apart from store.py on purpose: the daemon process uses these without loading the store's
libraries (sqlite-utils pulls in pandas), which is what keeps the idle daemon small.
"""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create a directory (and any missing parents) readable by its owner only (0700)."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
    if not missing:
        os.chmod(path, 0o700)
    return path


def write_private(path: Path, content: bytes | str, *, atomic: bool = False) -> Path:
    """Write a file only its owner can read, never through a symlink planted at its name.

    atomic: write beside it and rename, so a reader (or a crash) never sees half a file."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    target = path.with_name(f".{path.name}.tmp") if atomic else path
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)      # an existing file keeps its old mode through O_CREAT
        fh.write(data)
    if atomic:
        os.replace(target, path)
    return path
