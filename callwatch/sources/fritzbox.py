"""FRITZ!Box call list over TR-064, through fritzconnection.

Protocol (AVM TR-064, ``X_AVM-DE_OnTel``): the box describes its services in ``tr64desc.xml``
and one SCPD file per service; the SOAP action ``GetCallList`` (HTTP digest authentication, user
and password of a FRITZ!Box user with the right "FRITZ!Box settings" or "voice messages, fax
messages, call list") answers ``NewCallListURL``, a ``calllist.lua?sid=...`` address whose XML is
the list the ``fritzbox-xml`` importer reads. The list is fetched from the configured host and
port only, whatever host the box names in that URL.

Durations in that list are in minutes (``H:MM``); the importer records that precision.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from callwatch.errors import CallwatchError
from callwatch.sources import load_secret, redact

SUFFIX = ".xml"
MAX_BYTES = 32 << 20             # a box keeps a few hundred calls: tens of kB

# Loading the box's API description costs one request per service: keep one connection per box.
_connections: dict[tuple, object] = {}
_lock = threading.Lock()


def fetch(source, data_dir: Path) -> bytes:
    secret = load_secret(data_dir, source.name, f"callwatch source login {source.name}")
    return fetch_call_list(source.url, source.user or secret.get("user"), secret.get("password", ""))


def _connect(url: str, user: str, password: str, timeout: float):
    from fritzconnection import FritzConnection

    parts = urlsplit(url)
    tls = parts.scheme == "https"
    key = (parts.hostname, parts.port, tls, user, password)
    with _lock:
        fc = _connections.get(key)
        if fc is None:
            fc = FritzConnection(address=parts.hostname, port=parts.port or (49443 if tls else 49000), user=user,
                                 password=password, timeout=timeout, use_tls=tls, use_cache=False)
            _connections[key] = fc
    return key, fc


def fetch_call_list(url: str, user: str | None, password: str, timeout: float = 20) -> bytes:
    """Ask the box for its call-list address, then fetch that list as the box serves it."""
    import requests
    from fritzconnection.core.exceptions import FritzAuthorizationError, FritzConnectionException

    logging.getLogger("fritzconnection").setLevel(logging.WARNING)    # its debug log quotes answers
    if not user:
        raise CallwatchError("FRITZ!Box: no user name (set `user` in the [[sources]] entry)")
    where = f"FRITZ!Box at {urlsplit(url).netloc}"
    key = None
    try:
        key, fc = _connect(url, user, password, timeout)
        list_url = fc.call_action("X_AVM-DE_OnTel1", "GetCallList")["NewCallListURL"]
        given, box = urlsplit(str(list_url)), urlsplit(url)
        if not given.path.endswith(".lua"):
            raise CallwatchError(f"{where}: unexpected call-list address")
        target = urlunsplit((box.scheme, box.netloc, given.path, given.query, ""))
        with fc.session.get(target, timeout=timeout, stream=True) as resp:
            if resp.status_code != 200:
                raise CallwatchError(f"{where}: call list answered HTTP {resp.status_code}")
            body = resp.raw.read(MAX_BYTES + 1, decode_content=True)
    except FritzAuthorizationError as exc:
        _forget(key)
        raise CallwatchError(f"{where}: user {user!r} or its password refused (TR-064 digest login)") from exc
    except CallwatchError:
        _forget(key)
        raise
    except (FritzConnectionException, requests.RequestException, OSError, KeyError, ValueError) as exc:
        _forget(key)
        raise CallwatchError(f"{where} unreachable or refused: {redact(exc, password)}") from exc
    if len(body) > MAX_BYTES:
        raise CallwatchError(f"{where}: call list larger than {MAX_BYTES >> 20} MB, refused")
    return body


def _forget(key):
    if key is not None:
        with _lock:
            _connections.pop(key, None)


def check_login(url: str, user: str, password: str) -> int:
    """For `source login`: one real fetch; returns the size of the list read."""
    return len(fetch_call_list(url, user, password))
