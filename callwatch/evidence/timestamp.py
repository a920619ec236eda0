"""Trusted time-stamps (RFC 3161) for the manifest, through the openssl command line tool
(`openssl ts`): it builds the request, and checks the token's message imprint and, given the
authority's CA certificate, its signature. The request goes out over HTTP(S) by urllib.

A date the program writes itself proves little; a token from a time-stamping authority proves
the manifest (hence every file it hashes) existed at the token's time.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from callwatch.errors import CallwatchError


@dataclass
class TokenInfo:
    time: str              # as the authority wrote it, e.g. "Nov 23 22:59:29 2026 GMT"
    serial: str
    policy: str
    tsa: str
    imprint: str           # hex SHA-256 the token covers


def _openssl() -> str:
    path = shutil.which("openssl")
    if not path:
        raise CallwatchError("time-stamping needs the `openssl` command (Debian: apt-get install openssl)")
    return path


def _run(args, data: bytes | None = None) -> bytes:
    proc = subprocess.run([_openssl(), *args], input=data, capture_output=True, timeout=60)
    if proc.returncode:
        raise CallwatchError(f"openssl {' '.join(args[:2])} failed: {proc.stderr.decode(errors='replace').strip()[:300]}")
    return proc.stdout


def request_token(url: str, data: bytes, timeout_s: float = 30) -> bytes:
    """Ask the authority at ``url`` to time-stamp SHA-256(data); returns the DER response."""
    digest = hashlib.sha256(data).hexdigest()
    query = _run(["ts", "-query", "-digest", digest, "-sha256", "-cert"])
    req = urllib.request.Request(url, data=query, method="POST",
                                 headers={"Content-Type": "application/timestamp-query"})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            token = resp.read(1 << 20)
    except (urllib.error.URLError, OSError) as exc:
        raise CallwatchError(f"time-stamping authority {url} did not answer: {exc}") from exc
    info = describe(token)
    if info.imprint != digest:
        raise CallwatchError(f"time-stamping authority {url} stamped another hash than the manifest's")
    return token


def describe(token: bytes) -> TokenInfo:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "token.tsr"
        path.write_bytes(token)
        text = _run(["ts", "-reply", "-in", str(path), "-text"]).decode(errors="replace")
    if "Status: Granted" not in text:
        status = re.search(r"Status: (.*)", text)
        raise CallwatchError(f"time-stamp not granted: {status.group(1) if status else 'unreadable reply'}")
    block = re.search(r"Message data:\n((?:\s+[0-9a-f]{4} - .*\n)+)", text)
    imprint = ""
    if block:
        for line in block.group(1).splitlines():
            hexpart = line.split(" - ", 1)[1][:47]
            imprint += hexpart.replace(" ", "").replace("-", "")

    def field(name):
        m = re.search(rf"^{name}: (.*)$", text, re.M)
        return m.group(1).strip() if m else ""
    return TokenInfo(field("Time stamp"), field("Serial number"), field("Policy OID"), field("TSA"), imprint)


def check(token: bytes, data: bytes, ca_file: Path | None = None) -> str:
    """Raise CallwatchError unless the token covers ``data`` (and, with a CA, is validly signed)."""
    info = describe(token)
    if info.imprint != hashlib.sha256(data).hexdigest():
        raise CallwatchError("the time-stamp token does not cover this manifest")
    if ca_file is None:
        return f"imprint matches, time {info.time} (signature not checked: no --tsa-ca given)"
    with tempfile.TemporaryDirectory() as tmp:
        t, d = Path(tmp) / "token.tsr", Path(tmp) / "data"
        t.write_bytes(token)
        d.write_bytes(data)
        _run(["ts", "-verify", "-in", str(t), "-data", str(d), "-CAfile", str(ca_file)])
    return f"signature and imprint valid, time {info.time}"
