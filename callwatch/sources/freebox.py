"""Freebox OS API (v8): app pairing once, HMAC-SHA1 session login, call log.

Protocol (Freebox SDK): ``POST /api/v8/login/authorize/`` asks for an app token, confirmed on
the box's front panel and followed with ``GET /api/v8/login/authorize/{track_id}``; each
session starts with ``GET /api/v8/login/`` (a challenge) and ``POST /api/v8/login/session/``
with ``password = HMAC-SHA1(app_token, challenge)``; ``GET /api/v8/call/log/`` with the header
``X-Fbx-App-Auth: <session_token>`` returns ``{"success": true, "result": [...]}``.
The app token is a secret: stored 0600 in the data directory, never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from callwatch import __version__
from callwatch.errors import CallwatchError
from callwatch.private import private_dir, write_private

APP_ID = "fr.callwatch"
API = "/api/v8"
SUFFIX = ".json"


def _call(url: str, payload: dict | None = None, headers: dict | None = None, timeout: float = 15) -> dict:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read(16 << 20)
    except urllib.error.HTTPError as exc:
        body = exc.read(1 << 16)
    except (urllib.error.URLError, OSError) as exc:
        raise CallwatchError(f"Freebox at {url} unreachable: {exc}") from exc
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise CallwatchError(f"Freebox at {url}: not a JSON answer") from exc
    if not doc.get("success"):
        raise CallwatchError(f"Freebox refused {url.split(API, 1)[-1]}: {doc.get('error_code')} {doc.get('msg', '')}")
    return doc


def token_path(data_dir: Path) -> Path:
    return private_dir(Path(data_dir) / "secrets") / "freebox.json"


def pair(base_url: str, data_dir: Path, say=print, wait_s: float = 120, poll_s: float = 2) -> Path:
    """Ask the box for an app token; the user confirms on the box. Returns where it is stored."""
    doc = _call(f"{base_url}{API}/login/authorize/", {"app_id": APP_ID, "app_name": "callwatch",
                                                       "app_version": __version__, "device_name": os.uname().nodename})
    token, track = doc["result"]["app_token"], doc["result"]["track_id"]
    say("Press the right arrow (>) on the Freebox's front panel to allow callwatch...")
    deadline = time.monotonic() + wait_s
    while True:
        status = _call(f"{base_url}{API}/login/authorize/{track}")["result"]["status"]
        if status == "granted":
            break
        if status != "pending" or time.monotonic() > deadline:
            raise CallwatchError(f"Freebox pairing {status if status != 'pending' else 'timed out'}")
        time.sleep(poll_s)
    doc = {"base_url": base_url, "app_id": APP_ID, "app_token": token}
    return write_private(token_path(data_dir), json.dumps(doc), atomic=True)


def fetch_call_log(data_dir: Path, base_url: str | None = None) -> bytes:
    """Log in with the stored app token and return the call log as the box sends it."""
    path = token_path(data_dir)
    if not path.exists():
        raise CallwatchError("Freebox not paired: run `callwatch source pair freebox` once")
    secret = json.loads(path.read_text())
    url = base_url or secret["base_url"]
    challenge = _call(f"{url}{API}/login/")["result"]["challenge"]
    password = hmac.new(secret["app_token"].encode(), challenge.encode(), hashlib.sha1).hexdigest()
    session = _call(f"{url}{API}/login/session/", {"app_id": secret["app_id"], "password": password})
    headers = {"X-Fbx-App-Auth": session["result"]["session_token"]}
    doc = _call(f"{url}{API}/call/log/", headers=headers)
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def fetch(source, data_dir: Path) -> bytes:
    return fetch_call_log(data_dir, source.url)


def check_login(url: str, user: str, password: str) -> int:
    raise CallwatchError("a Freebox pairs instead: run `callwatch source pair freebox`")
