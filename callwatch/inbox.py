"""The watched folder: exports dropped in it are imported once they are stable, then moved to
``done/`` (imported, or already known) or ``failed/`` with a ``.reason`` text beside them.
Nothing is ever deleted. Symbolic links and hidden or partial files (``.name``, ``*.part``,
``*.tmp``, ``*.crdownload``) are left alone."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from callwatch.archive import signature
from callwatch.private import check_owned, private_dir, write_private

PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download")


@dataclass
class StabilityTracker:
    """A file is stable once its size and mtime have not changed for ``stable_s`` seconds
    (a copy over the network, a scanner writing in several goes, a browser download...)."""

    stable_s: float
    seen: dict[Path, tuple[int, int, float]] = field(default_factory=dict)   # path -> size, mtime_ns, since

    def stable(self, paths: list[Path], now: float | None = None) -> list[Path]:
        now = time.monotonic() if now is None else now
        ready, current = [], {}
        for path in paths:
            try:
                st = path.stat()
            except OSError:
                continue
            signature = (st.st_size, st.st_mtime_ns)
            previous = self.seen.get(path)
            since = previous[2] if previous and previous[:2] == signature else now
            current[path] = (*signature, since)
            if now - since >= self.stable_s:
                ready.append(path)
        self.seen = current
        return ready


def inbox_dir(config) -> Path:
    """The watched folder: the configured one (relative to the data directory unless absolute), else
    <data dir>/inbox. Created private when missing; a folder that already exists keeps its mode (a
    drop folder shared with a group, Samba or Syncthing, see README, must stay writable by it), and
    is refused if other users could change it at will (a file swapped between two looks, a planted
    link): world-writable, or owned by another user."""
    path = Path(config.data_dir) / (config.daemon.inbox or "inbox")
    return check_owned(private_dir(path), "inbox")


def candidates(inbox: Path) -> list[Path]:
    out = []
    for entry in sorted(inbox.iterdir()):
        if entry.name.startswith(".") or entry.name.endswith(PARTIAL_SUFFIXES) or entry.name.endswith(".reason"):
            continue
        if entry.is_symlink() or not entry.is_file():      # never follow a link out of the inbox
            continue
        out.append(entry)
    return out


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    n = 1
    while os.path.lexists(target):
        target = folder / f"{Path(name).stem}.{n}{Path(name).suffix}"
        n += 1
    return target


def settle(path: Path, inbox: Path, ok: bool, reason: str = "", expect: tuple | None = None) -> Path | None:
    """Move an imported file to done/, or a refused one to failed/ with its reason.

    expect: the file as it was read (archive.signature: device, inode, size, mtime_ns). The name
    is moved first (a rename is atomic), then what was moved is compared with it: another file
    renamed over it since, a link swapped in, or the same file grown or rewritten goes back to the
    inbox under a free name, to be imported at a later look, and None is returned. Nothing that
    reached the inbox is ever put away unread. (Left: the instant between choosing a free name and
    renaming to it, in which a file created at that very name would be replaced.)"""
    folder = private_dir(inbox / ("done" if ok else "failed"))
    target = _free_name(folder, path.name)
    os.rename(path, target)
    if expect is not None and signature(os.lstat(target)) != tuple(expect):
        os.rename(target, _free_name(inbox, path.name))
        return None
    if not ok:
        write_private(target.with_name(target.name + ".reason"), reason.rstrip() + "\n")
    return target
