"""Live sources: boxes polled for their call list. A poll is saved as a file and imported like
any export (hashed, archived, deduplicated by the calls' natural identity).

One module per kind of box, each with ``SUFFIX`` (what its answer is saved as) and
``fetch(source, data_dir) -> bytes`` (the call list exactly as the box sent it). Credentials are
never in the configuration file: ``callwatch source pair freebox`` stores the Freebox app token,
``callwatch source login NAME`` a FRITZ!Box or Livebox password, both 0600 under
``<data_dir>/secrets/`` and never logged.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from callwatch.errors import CallwatchError
from callwatch.private import private_dir, write_private

MODULES = {"freebox": "callwatch.sources.freebox", "fritzbox": "callwatch.sources.fritzbox",
           "livebox": "callwatch.sources.livebox"}


def module(kind: str):
    return importlib.import_module(MODULES[kind])


def fetch(source, data_dir: Path) -> tuple[bytes, str]:
    """Poll one configured source: (the call list as the box sent it, the file suffix to save it as)."""
    mod = module(source.kind)
    return mod.fetch(source, Path(data_dir)), mod.SUFFIX


def secret_path(data_dir: Path, name: str) -> Path:
    # The name was checked by config.py (no separators, no leading dot); this is a second lock.
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise CallwatchError(f"invalid source name {name!r}")
    return private_dir(Path(data_dir) / "secrets") / f"{name}.json"


def save_secret(data_dir: Path, name: str, doc: dict) -> Path:
    return write_private(secret_path(data_dir, name), json.dumps(doc), atomic=True)


def load_secret(data_dir: Path, name: str, hint: str) -> dict:
    path = secret_path(data_dir, name)
    if not path.exists():
        raise CallwatchError(f"source {name}: no stored credentials; run `{hint}` once")
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise CallwatchError(f"{path}: stored credentials unreadable ({exc}); run `{hint}` again") from exc


def redact(text: str, *secrets: str) -> str:
    """Error texts can quote URLs and headers: keep session ids and passwords out of logs."""
    import re
    text = re.sub(r"(sid|session_token|contextID|password)=[^&\s'\"]+", r"\1=<redacted>", str(text))
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text
