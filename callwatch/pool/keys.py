"""The association's key and the household's keyed pseudonym.

An association publishes a key to its members (``callwatch pool init --new-key`` makes one: 32
random bytes written as 64 hexadecimal digits, one line). A contribution names its household by
``HMAC-SHA256(key, household secret)``:

* keyed: without the key, nobody can link a pseudonym to anything; with another association's
  key, the same household gets another pseudonym, so two pools cannot be joined on it;
* over a random secret, not over a telephone number: every member holds the key, and an HMAC of a
  phone number can be reversed by whoever holds the key by trying every number of the plan (about
  10^9 French numbers: minutes on a laptop). The secret (32 random bytes) is made once and kept
  private in the data directory (``secrets/household.secret``), so the same household keeps its
  pseudonym from one contribution to the next (the pool replaces its older contribution), and
  nobody, the association included, can compute it from anything they know.

The key's fingerprint (a hash of the key, never the key) is what a pool and a contribution
compare, so a contribution made with another key is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tempfile
from pathlib import Path

from callwatch.errors import CallwatchError
from callwatch.private import private_dir

KEY_HEX = re.compile(r"[0-9a-fA-F]{32,128}")
SECRET_NAME = "household.secret"
_SECRET_BYTES = 32


def read_key(path: Path) -> bytes:
    """The association's key from its file: 32 to 128 hexadecimal digits (16 to 64 bytes), spaces
    and line ends around them ignored (a key copied from a mail keeps its meaning)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CallwatchError(f"{path}: cannot read the association's key: {exc.strerror or exc}") from None
    text = raw.decode("ascii", "replace").strip()
    if not KEY_HEX.fullmatch(text) or len(text) % 2:
        raise CallwatchError(f"{path}: not an association key (expected one line of 32 to 128 hexadecimal digits, "
                             f"as `callwatch pool init --new-key` writes it)")
    return bytes.fromhex(text)


def new_key(path: Path) -> bytes:
    """Write a new random key to ``path`` (0600), never over an existing file."""
    path = Path(path)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        raise CallwatchError(f"{path}: a file is already there; an association key is never overwritten "
                             f"(members' pseudonyms depend on it): choose another name") from None
    except OSError as exc:
        raise CallwatchError(f"{path}: cannot write the key: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return key


def fingerprint(key: bytes) -> str:
    """What a pool and a contribution compare: a hash of the key (domain-separated), never the key."""
    return hashlib.sha256(b"callwatch association key v1\0" + key).hexdigest()


def household_secret(data_dir: Path) -> bytes:
    """The household's random secret, made once (0600 in ``<data dir>/secrets/``) and read after.
    Made beside its name and linked in: two contributions made at once agree on one secret."""
    folder = private_dir(Path(data_dir) / "secrets")
    path = folder / SECRET_NAME
    if not path.exists():
        fd, tmp = tempfile.mkstemp(prefix=f".{SECRET_NAME}.", dir=folder)        # 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(_SECRET_BYTES))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)           # never over a secret another process made meanwhile
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    secret = path.read_bytes()
    if len(secret) != _SECRET_BYTES:
        raise CallwatchError(f"{path}: the household's pseudonym secret is damaged ({len(secret)} bytes, "
                             f"{_SECRET_BYTES} expected): remove it to make a new one (your next contribution then "
                             f"counts as a new household's)")
    return secret


def pseudonym(key: bytes, secret: bytes) -> str:
    return hmac.new(key, b"callwatch household v1\0" + secret, hashlib.sha256).hexdigest()
