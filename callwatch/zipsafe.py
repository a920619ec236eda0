"""Zip archives as delivered (Google Takeout, a phone backup app's export), opened safely.

Everything that can be checked without inflating is checked first, and a zip that fails any of
it is refused whole, before a byte of it is inflated or stored: the member count as the end
record declares it (read before Python's zipfile builds its list of members: a central directory
of a million entries would fill memory by itself), then each name (no absolute path, no ``..``,
no drive letter, no link), the total declared size and each member's compression ratio (a zip
bomb). Members are then inflated one at a time, streamed in bounded chunks to a private file,
never past their declared size; an archive inside the archive is not opened.
"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from callwatch.errors import UnreadableFile

MAX_MEMBERS = 5_000              # Takeout writes one HTML page a call: a folder import has no limit
MAX_TOTAL = 1 << 30              # 1 GiB inflated, all members together
MAX_MEMBER = 256 << 20           # the largest export any importer reads whole (JSON's cap)
MAX_RATIO = 100                  # text exports deflate 5 to 30 times; a bomb, a thousand
RATIO_FROM = 1 << 20             # ratios are only judged on members inflating past 1 MB
MAX_DIRECTORY = 16 << 20         # bytes of central directory (about 200 bytes an entry)
CHUNK = 1 << 20

ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"BZh", b"\xfd7zXZ",
                 b"\x28\xb5\x2f\xfd")
ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".7z", ".rar", ".tar", ".bz2", ".xz", ".zst", ".jar", ".apk")
JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")      # what zipping on a Mac or Windows adds


@dataclass
class Member:
    name: str                     # as written in the zip
    info: zipfile.ZipInfo | None
    refused: str = ""             # why this member is not imported (the others are)


def _declared_entries(path: Path) -> tuple[int, int]:
    """(entries, central directory bytes) from the end record, ZIP64 included."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        tail_len = min(size, 22 + 65535)
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            raise UnreadableFile(path, "a zip archive without its end record (truncated or damaged?); nothing "
                                       "of it was stored")
        entries, cd_size = struct.unpack("<HI", tail[at + 10:at + 16])
        locator = at - 20
        if (entries == 0xFFFF or cd_size == 0xFFFFFFFF) and locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
            (record_at,) = struct.unpack("<Q", tail[locator + 8:locator + 16])
            if record_at + 56 <= size:
                fh.seek(record_at)
                record = fh.read(56)
                if record[:4] == b"PK\x06\x06":
                    entries, cd_size = struct.unpack("<QQ", record[32:48])
    return entries, cd_size


def _unsafe_name(name: str) -> str:
    if "\x00" in name:
        return "a NUL byte"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "a '..' component"
    return ""


def open_members(path: Path) -> tuple[zipfile.ZipFile, list[Member]]:
    """Check a zip without inflating it; return it open and its members (folders and the junk
    of archivers left out). Raises UnreadableFile when the zip as a whole is refused."""
    entries, cd_size = _declared_entries(path)
    if entries > MAX_MEMBERS:
        raise UnreadableFile(path, f"a zip archive of {entries:,} files, more than {MAX_MEMBERS:,}: refused "
                                   f"unopened; extract it and import the folder")
    if cd_size > MAX_DIRECTORY:
        raise UnreadableFile(path, f"a zip archive whose directory is {cd_size:,} bytes: refused unopened")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise UnreadableFile(path, f"a damaged zip archive ({exc}); nothing of it was stored") from None
    try:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnreadableFile(path, f"a zip archive of {len(infos):,} files, more than {MAX_MEMBERS:,}: refused")
        members, total = [], 0
        for info in infos:
            name = info.filename
            problem = _unsafe_name(name)
            if problem:
                raise UnreadableFile(path, f"a zip archive with a file named {name[:120]!r} ({problem}, which "
                                           f"would write outside the folder it is opened in): refused, nothing "
                                           f"stored")
            if info.is_dir() or any(part in JUNK or part + "/" in JUNK for part in PurePosixPath(name).parts):
                continue
            total += info.file_size
            if total > MAX_TOTAL:
                raise UnreadableFile(path, f"a zip archive that would inflate to more than {MAX_TOTAL >> 20:,} MB: "
                                           f"refused, nothing stored")
            if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise UnreadableFile(path, f"a zip archive holding a bomb: {name[:120]!r} would inflate {info.compress_size:,} bytes "
                                           f"to {info.file_size:,} ({info.file_size // max(info.compress_size, 1):,} "
                                           f"times): refused, nothing stored")
            members.append(Member(name, info, _member_problem(info)))
        return zf, members
    except BaseException:
        zf.close()
        raise


def _member_problem(info: zipfile.ZipInfo) -> str:
    mode = info.external_attr >> 16
    if mode and stat.S_ISLNK(mode):
        return "a symbolic link inside the archive: not followed"
    if info.flag_bits & 0x1:
        return "encrypted inside the archive: extract it with its password and import the file"
    if info.file_size > MAX_MEMBER:
        return f"{info.file_size:,} bytes inflated, larger than any export callwatch reads ({MAX_MEMBER >> 20} MB)"
    if info.filename.lower().endswith(ARCHIVE_SUFFIXES):
        return "an archive inside the archive: not opened; extract it and import what it holds"
    return ""


def extract(zf: zipfile.ZipFile, member: Member, folder: Path, index: int) -> Path:
    """Inflate one member to a private file in ``folder`` (flat, named by its index: the member's
    own path never becomes a path here). Raises UnreadableFile for that member alone."""
    info = member.info
    target = folder / f"{index:05d}-{PurePosixPath(member.name).name[-100:] or 'member'}"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out, zf.open(info) as src:
            while chunk := src.read(CHUNK):
                if written == 0 and chunk.startswith(ARCHIVE_MAGIC):
                    raise UnreadableFile(member.name, "an archive inside the archive: not opened; extract it and "
                                                      "import what it holds")
                written += len(chunk)
                if written > info.file_size:         # zipfile stops at the declared size; never trust it alone
                    raise UnreadableFile(member.name, "inflates past its declared size: refused")
                out.write(chunk)
    except UnreadableFile:
        target.unlink(missing_ok=True)
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, ValueError, RuntimeError) as exc:
        target.unlink(missing_ok=True)
        raise UnreadableFile(member.name, f"cannot be inflated ({exc})") from None
    return target
