"""How callwatch knows that a store existed here, so that a missing or replaced database stops
every command and the daemon instead of being silently replaced by a new, empty store.

The database holds a random identity (table ``store_info``, key ``id``), made by the migration
that created the table; SQLite's online backup copies it like any row. Beside the database,
``callwatch.db.identity`` (0600, JSON) records that identity the first time a store is opened
(at its creation, or the first opening of a store made before this check). Every opening compares:

- marker present, database missing: StoreLost, nothing is created;
- marker present, database holding another identity, or none (an empty file, another SQLite
  file, a store from elsewhere): StoreLost;
- no marker: a new store, or an older one: the marker is written.

Putting back the daemon's backup (``backup/callwatch-backup.db``) passes: it holds the same
identity. To really start afresh (or adopt a store copied from elsewhere), remove the marker.
No sqlite here: the daemon checks the marker at each look at the inbox without loading the store.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from callwatch.errors import StoreLost
from callwatch.private import write_private

DB_NAME = "callwatch.db"
MARKER = DB_NAME + ".identity"


def marker_path(data_dir: Path) -> Path:
    return Path(data_dir) / MARKER


def read_marker(data_dir: Path) -> dict | None:
    """The recorded identity, or None when no store was recorded here."""
    path = marker_path(data_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        doc = json.loads(raw)
        if isinstance(doc, dict) and isinstance(doc.get("store_id"), str) and doc["store_id"]:
            return doc
    except ValueError:
        pass
    raise StoreLost(f"{path}: this record of the store's identity is damaged, so callwatch cannot tell whether "
                    f"{Path(data_dir) / 'callwatch.db'} is the store that was here; if it is, remove {path} "
                    f"and run the command again (it will be written afresh)")


def write_marker(data_dir: Path, store_id: str, database: str) -> None:
    doc = {"store_id": store_id, "database": database,
           "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "why": "callwatch refuses to start an empty store where this one was: see README, 'Data never lost'"}
    write_private(marker_path(data_dir), json.dumps(doc, indent=2) + "\n")


def missing_message(db_path: Path, marker: dict) -> str:
    data_dir = db_path.parent
    return (f"{db_path}: the call store is missing, though one was kept here (identity {marker['store_id'][:12]}, "
            f"recorded {marker.get('recorded_at', '?')}); callwatch will not start an empty one in its place. "
            f"Put the database back (the daemon's daily backup is {data_dir / 'backup' / 'callwatch-backup.db'}), "
            f"or, to really start afresh, remove {marker_path(data_dir)}")


def replaced_message(db_path: Path, marker: dict, found: str | None) -> str:
    what = f"identity {found[:12]}" if found else "no callwatch identity"
    return (f"{db_path}: this is not the call store that was kept here (expected identity "
            f"{marker['store_id'][:12]}, found {what}); callwatch will not use it. Put the right database "
            f"back (the daemon's daily backup is {db_path.parent / 'backup' / 'callwatch-backup.db'}), or, "
            f"to adopt this one, remove {marker_path(db_path.parent)}")


def check_present(data_dir: Path, db_name: str) -> None:
    """Raise StoreLost if a store was recorded here and its database file is gone (a stat, no sqlite)."""
    marker = read_marker(data_dir)
    db_path = Path(data_dir) / db_name
    if marker is not None and not db_path.exists():
        raise StoreLost(missing_message(db_path, marker))
