"""Orange Livebox call list over the box's "sah" JSON API (Livebox 4, 5, 6 and 7).

Protocol: every call is ``POST /ws`` with ``Content-Type: application/x-sah-ws-4-call+json`` and a
body ``{"service": ..., "method": ..., "parameters": {...}}``. Login is
``sah.Device.Information.createContext`` (``applicationName``, ``username``, ``password``) with the
header ``Authorization: X-Sah-Login``; it answers ``{"status": 0, "data": {"contextID": ...}}``
and sets a session cookie. Later calls carry the cookie, ``Authorization: X-Sah <contextID>``
and ``X-Context: <contextID>``; ``VoiceService.VoiceApplication.getCallList`` answers
``{"status": [...]}`` (read by the ``livebox-json`` importer). Errors come back as
``{"status": null, "errors": [{"error": n, "description": ..., "info": ...}]}``. The session is
released with ``releaseContext`` afterwards.
"""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.request
from pathlib import Path

from callwatch.errors import CallwatchError
from callwatch.sources import load_secret, redact

SUFFIX = ".json"
MAX_BYTES = 32 << 20
CONTENT_TYPE = "application/x-sah-ws-4-call+json"


def fetch(source, data_dir: Path) -> bytes:
    secret = load_secret(data_dir, source.name, f"callwatch source login {source.name}")
    return fetch_call_list(source.url, source.user or secret.get("user") or "admin", secret.get("password", ""))


class _Session:
    def __init__(self, url: str, timeout: float, password: str):
        self.url, self.timeout, self.password = url.rstrip("/") + "/ws", timeout, password
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.where = f"Livebox at {url.split('//', 1)[-1]}"

    def call(self, service: str, method: str, parameters: dict, authorization: str, context: str | None = None):
        headers = {"Content-Type": CONTENT_TYPE, "Authorization": authorization}
        if context:
            headers["X-Context"] = context
        body = json.dumps({"service": service, "method": method, "parameters": parameters}).encode()
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                raw = resp.read(MAX_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raw = exc.read(1 << 16)
        except (urllib.error.URLError, OSError) as exc:
            raise CallwatchError(f"{self.where} unreachable: {redact(exc, self.password)}") from exc
        if len(raw) > MAX_BYTES:
            raise CallwatchError(f"{self.where}: answer larger than {MAX_BYTES >> 20} MB, refused")
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise CallwatchError(f"{self.where}: {service}.{method} did not answer JSON") from exc
        if not isinstance(doc, dict):
            raise CallwatchError(f"{self.where}: {service}.{method} answered an unexpected document")
        if doc.get("errors"):
            problems = "; ".join(f"{e.get('error')} {e.get('description', '')}".strip()
                                 for e in doc["errors"] if isinstance(e, dict))
            raise CallwatchError(f"{self.where} refused {service}.{method}: {problems or 'error'}")
        return raw, doc


def fetch_call_list(url: str, user: str, password: str, timeout: float = 20) -> bytes:
    """Log in, read the call list and log out; returns the list exactly as the box sent it."""
    session = _Session(url, timeout, password)
    _, login = session.call("sah.Device.Information", "createContext",
                            {"applicationName": "webui", "username": user, "password": password}, "X-Sah-Login")
    context = (login.get("data") or {}).get("contextID") if isinstance(login.get("data"), dict) else None
    if not context:
        raise CallwatchError(f"{session.where}: login answered without a session (contextID)")
    try:
        raw, doc = session.call("VoiceService.VoiceApplication", "getCallList", {}, f"X-Sah {context}", context)
        if not isinstance(doc.get("status"), list):
            raise CallwatchError(f"{session.where}: getCallList answered without a call list")
        return raw
    finally:
        try:
            session.call("sah.Device.Information", "releaseContext", {"applicationName": "webui"},
                         f"X-Sah-Logout {context}", context)
        except CallwatchError:
            pass                 # the box drops idle sessions itself


def check_login(url: str, user: str, password: str) -> int:
    return len(fetch_call_list(url, user, password))
