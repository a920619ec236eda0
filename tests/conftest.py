"""Shared fixtures: a private data directory, a configuration, a store, an importer."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest

from callwatch import config as config_mod
from callwatch.ingest import Importer
from callwatch.store import Store

BASE_CONFIG = """
region = "FR"
timezone = "Europe/Paris"

[[lines]]
number = "01 23 45 67 89"
label = "home"

[asterisk]
incoming_contexts = ["from-trunk"]
outgoing_contexts = ["from-internal"]
extensions = ["100", "101"]
"""


class Household:
    """A data directory, a config and a store, with helpers to write and import exports."""

    def __init__(self, root: Path, config_text: str = BASE_CONFIG):
        self.root = root
        self.exports = root / "exports"
        self.exports.mkdir(parents=True, exist_ok=True)
        self.config_path = root / "callwatch.toml"
        self.config_path.write_text(textwrap.dedent(config_text), encoding="utf-8")
        self.config = config_mod.load(self.config_path, root / "data")
        self.store = Store(self.config.data_dir)
        self.importer = Importer(self.store, self.config)

    def write(self, name: str, content, encoding: str = "utf-8") -> Path:
        path = self.exports / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(textwrap.dedent(content).lstrip("\n").encode(encoding))
        return path

    def import_(self, path, fmt=None):
        return self.importer.import_file(Path(path), fmt)

    def calls(self, where: str = "1", params=()) -> list[dict]:
        return list(self.store.db.query(f"SELECT * FROM calls WHERE {where} ORDER BY start_ms, id", params))

    def count(self, table: str = "calls") -> int:
        return self.store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.fixture
def household(tmp_path):
    h = Household(tmp_path)
    yield h
    h.store.close()


@pytest.fixture
def make_household(tmp_path):
    made = []

    def make(config_text=BASE_CONFIG, name="h"):
        h = Household(tmp_path / name, config_text)
        made.append(h)
        return h
    yield make
    for h in made:
        h.store.close()


def android_db(path: Path, schema: str, rows: list[tuple], columns: str) -> Path:
    """An Android call-log database with the given calls schema and rows."""
    conn = sqlite3.connect(path)
    conn.execute(schema)
    marks = ",".join("?" for _ in columns.split(","))
    conn.executemany(f"INSERT INTO calls ({columns}) VALUES ({marks})", rows)
    conn.commit()
    conn.close()
    return path


# calls.csv in a French pack: French headings, ";" (what tests read, by the pack's own English names)
FRENCH_CSV_HEADINGS = {
    "n° d'appel": "call_id", "date locale": "local_date", "heure locale": "local_time", "fuseau": "time_zone",
    "jour": "weekday", "UTC": "utc", "ligne appelée": "called_line", "numéro": "number",
    "présentation": "presentation", "issue": "outcome", "durée (s)": "talk_s",
    "précision de la durée (s)": "talk_precision_s", "sonnerie (s)": "ring_s", "attribution": "attribution",
    "signaux": "signals", "règles enfreintes": "rules_broken", "fichier source": "source_file",
    "SHA-256 du fichier source": "source_sha256", "emplacement dans le fichier": "locator"}


def read_calls_csv(blob: bytes) -> list[dict]:
    """The rows of a pack's calls.csv, keyed by the English column names whatever its language."""
    import csv
    import io
    text = blob.decode("utf-8-sig")
    french = text.split("\r\n", 1)[0].startswith("n° d'appel;")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";" if french else ","))
    return [{FRENCH_CSV_HEADINGS.get(k, k): v for k, v in r.items()} for r in rows] if french else rows
