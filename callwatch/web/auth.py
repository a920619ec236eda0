"""Who may use the page: the password (a slow hash, 0600 under ``<data dir>/secrets/``), the
sessions that a login opens, the CSRF token of every form, and the limit on login attempts.

Standard library only, so that `callwatch web set-password` loads nothing of the web stack.

* Bound to loopback, the page needs no login (only someone on the server itself reaches it), but
  every state-changing request still carries the CSRF token: a web site open in the same browser
  could otherwise post to 127.0.0.1.
* Bound to any other address, a login is required: without a password set, the page refuses to
  start. ``[web] trusted_proxy_header`` instead trusts a reverse proxy that authenticates
  (it sets the header, e.g. ``Remote-User``; a request without it is refused).
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from pathlib import Path

from callwatch.errors import CallwatchError
from callwatch.private import private_dir, write_private

PASSWORD_FILE = "web-password"
MIN_PASSWORD = 10
# OWASP's password storage minimum for scrypt: n=2**17, r=8, p=1, or an equal cost with less memory,
# n=2**15, r=8, p=3 (32 MB per try instead of 128 MB: a Raspberry Pi shares its memory with the daemon).
SCRYPT = {"n": 2**15, "r": 8, "p": 3}
SESSION_S = 7 * 86400
LOGIN_WINDOW_S = 15 * 60
LOGIN_MAX_PER_CLIENT = 5         # failed attempts in the window, per address
LOGIN_MAX_ALL = 30               # and for every address together (a spread-out guesser)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def password_path(data_dir: Path) -> Path:
    return Path(data_dir) / "secrets" / PASSWORD_FILE


def hash_password(password: str, *, salt: bytes | None = None, **cost) -> str:
    params = {**SCRYPT, **cost}
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=params["n"], r=params["r"], p=params["p"],
                            maxmem=256 * params["n"] * params["r"] + (1 << 20), dklen=32)
    return f"scrypt${params['n']}${params['r']}${params['p']}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.strip().split("$")
        if kind != "scrypt":
            return False
        again = hash_password(password, salt=_unb64(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(again.rsplit("$", 1)[1], digest)


def set_password(data_dir: Path, password: str) -> Path:
    if len(password) < MIN_PASSWORD:
        raise CallwatchError(f"the password must have at least {MIN_PASSWORD} characters")
    private_dir(Path(data_dir) / "secrets")
    return write_private(password_path(data_dir), hash_password(password) + "\n", atomic=True)


def stored_password(data_dir: Path) -> str | None:
    try:
        return password_path(data_dir).read_text().strip() or None
    except OSError:
        return None


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False          # a host name: it may resolve to anything


def check_can_serve(config, host: str, port: int) -> str:
    """How the page will admit users on this address: 'loopback', 'password' or 'proxy'.
    Raises CallwatchError when it would be open to the network without a login."""
    if config.web.trusted_proxy_header:
        if not is_loopback(host):
            # Anyone reaching the page directly could send the header themselves.
            raise CallwatchError(
                f"[web] trusted_proxy_header is set, so the page trusts whoever sends {config.web.trusted_proxy_header}: "
                f"it must then listen on 127.0.0.1 behind the proxy on this machine, not on {host}:{port}")
        return "proxy"
    if is_loopback(host):
        return "loopback"
    if stored_password(config.data_dir):
        return "password"
    raise CallwatchError(
        f"the web page would listen on {host}:{port}, reachable from other machines, without a login: set a "
        "password first (`callwatch web set-password`), or bind it to 127.0.0.1, or put it behind a reverse proxy "
        "that authenticates and set [web] trusted_proxy_header")


class Sessions:
    """Logged-in browsers: a random token each, kept in memory (a restart logs everyone out)."""

    def __init__(self, lifetime_s: float = SESSION_S):
        self.lifetime_s = lifetime_s
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def open(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + self.lifetime_s
        return token

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self._lock:
            expires = self._tokens.get(token)
            return expires is not None and expires > time.monotonic()

    def close(self, token: str | None) -> None:
        with self._lock:
            self._tokens.pop(token or "", None)


class LoginLimiter:
    """Failed logins per address and overall in a sliding window; refused beyond the limits."""

    def __init__(self, per_client: int = LOGIN_MAX_PER_CLIENT, overall: int = LOGIN_MAX_ALL,
                 window_s: float = LOGIN_WINDOW_S):
        self.per_client, self.overall, self.window_s = per_client, overall, window_s
        self._failures: collections.deque[tuple[float, str]] = collections.deque()
        self._lock = threading.Lock()

    def _trim(self, now: float) -> None:
        while self._failures and self._failures[0][0] <= now - self.window_s:
            self._failures.popleft()

    def retry_after(self, client: str) -> int:
        """0 if this client may try now, else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            self._trim(now)
            mine = [t for t, c in self._failures if c == client]
            if len(mine) >= self.per_client:
                return int(mine[-self.per_client] + self.window_s - now) + 1
            if len(self._failures) >= self.overall:
                return int(self._failures[-self.overall][0] + self.window_s - now) + 1
            return 0

    def failed(self, client: str) -> None:
        with self._lock:
            self._failures.append((time.monotonic(), client))

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures = collections.deque((t, c) for t, c in self._failures if c != client)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a, b)
