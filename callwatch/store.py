"""The call store: one SQLite file (WAL), its schema and migrations, and the transactions
that make an import all-or-nothing.

Times are stored as UTC epoch milliseconds (``start_ms``) beside their ISO text
(``start_utc``), the zone they were read in and the original text. Every call row points
back to the import it came from and to a locator inside the archived original.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
import time
from itertools import islice
from contextlib import contextmanager
from pathlib import Path

from callwatch import identity
from callwatch.errors import StoreError, StoreLost, storage_fault
from callwatch.private import check_owned, private_dir


def _import_sqlite_utils():
    """sqlite-utils imports pandas and numpy, when installed, at its own import, only to map their
    types for tables it creates from Python values. callwatch declares its tables in SQL and uses
    sqlite-utils for queries, so both are hidden while it loads: every process that does not need
    them otherwise (an import, a source poll, `status`) starts 0.25 s sooner and 60 MB smaller.
    A process that already loaded them (a scan) keeps them visible to sqlite-utils."""
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None                  # `import pandas` raises ImportError, as if absent
    try:
        import sqlite_utils
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return sqlite_utils


sqlite_utils = _import_sqlite_utils()

log = logging.getLogger(__name__)

DB_NAME = identity.DB_NAME
CACHE_SIZE = -65536                 # KiB (see Store._open)
BULK_ROWS = 50_000                  # calls from which a load is written in bulk (bulk_load, _first_load)

# Outcome rank: when one file holds several legs of the same call (an Asterisk ring group
# writes one CDR per ringing extension, all with the call's uniqueid), the best leg wins.
OUTCOME_RANK_SQL = ("CASE {col} WHEN 'answered' THEN 6 WHEN 'voicemail' THEN 5 WHEN 'rejected' THEN 4 "
                    "WHEN 'blocked' THEN 4 WHEN 'missed' THEN 3 ELSE 1 END")

CALL_COLUMNS = (
    "import_id", "locator", "family", "source_key", "source_type",
    "start_ms", "tz", "time_raw", "time_flag", "time_precision_s",
    "direction", "outcome", "duration_s", "duration_precision_s", "ring_s",
    "number_raw", "number", "presentation", "own_line", "caller_name", "line", "line_basis",
)

MIGRATIONS: list[str] = [
    # 1: the initial schema
    """
    CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        original_name TEXT NOT NULL,        -- file name as given (or "poll:<source>")
        original_path TEXT,                 -- absolute path at import time
        sha256 TEXT NOT NULL UNIQUE,        -- of the exact bytes imported
        size INTEGER NOT NULL,
        format TEXT NOT NULL,
        family TEXT NOT NULL,
        encoding TEXT,
        archive_path TEXT NOT NULL,         -- relative to the data directory
        started_at TEXT NOT NULL,           -- UTC ISO 8601
        finished_at TEXT,
        read INTEGER NOT NULL DEFAULT 0,    -- records read (calls + rejects)
        new INTEGER NOT NULL DEFAULT 0,
        duplicate INTEGER NOT NULL DEFAULT 0,
        merged INTEGER NOT NULL DEFAULT 0,  -- same call already known from another source
        rejected INTEGER NOT NULL DEFAULT 0,
        callwatch_version TEXT NOT NULL
    );
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        import_id INTEGER NOT NULL REFERENCES imports(id),
        locator TEXT NOT NULL,
        family TEXT NOT NULL,               -- identity namespace of the source
        source_key TEXT NOT NULL,           -- natural identity inside the family
        source_type TEXT,                   -- the source's own type code, verbatim
        start_ms INTEGER NOT NULL,          -- UTC epoch milliseconds
        start_utc TEXT GENERATED ALWAYS AS
            (strftime('%Y-%m-%dT%H:%M:%fZ', start_ms / 1000.0, 'unixepoch')) VIRTUAL,
        tz TEXT NOT NULL,                   -- zone the time was read in
        time_raw TEXT,
        time_flag TEXT,                     -- dst-ambiguous / dst-nonexistent
        time_precision_s INTEGER NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        outcome TEXT NOT NULL,
        duration_s INTEGER,
        duration_precision_s INTEGER NOT NULL,
        ring_s INTEGER,
        number_raw TEXT NOT NULL,
        number TEXT,                        -- E.164, or a short code's digits; NULL if withheld/invalid
        presentation TEXT NOT NULL,
        own_line TEXT,
        caller_name TEXT,
        UNIQUE (family, source_key)
    );
    CREATE INDEX calls_number_start ON calls (number, start_ms);
    CREATE INDEX calls_start ON calls (start_ms);
    CREATE INDEX calls_import ON calls (import_id);
    -- Further sources of a call already in calls (the FRITZ!Box record of a call the PBX
    -- also logged): the call keeps the more precise record, every source stays traceable.
    CREATE TABLE call_sources (
        id INTEGER PRIMARY KEY,
        call_id INTEGER NOT NULL REFERENCES calls(id),
        import_id INTEGER NOT NULL REFERENCES imports(id),
        locator TEXT NOT NULL,
        family TEXT NOT NULL,
        source_key TEXT NOT NULL,
        start_ms INTEGER NOT NULL,
        time_precision_s INTEGER NOT NULL,
        duration_s INTEGER,
        duration_precision_s INTEGER NOT NULL,
        UNIQUE (family, source_key)
    );
    CREATE INDEX call_sources_call ON call_sources (call_id);
    CREATE TABLE rejects (
        id INTEGER PRIMARY KEY,
        import_id INTEGER NOT NULL REFERENCES imports(id),
        locator TEXT NOT NULL,
        reason TEXT NOT NULL,
        raw TEXT
    );
    CREATE INDEX rejects_import ON rejects (import_id);
    CREATE TABLE numbers (
        number TEXT PRIMARY KEY,            -- as in calls.number
        presentation TEXT NOT NULL,
        kind TEXT,                          -- mobile, fixed, voip, toll-free, premium, shared-cost, short-code...
        country TEXT,
        range_holder TEXT,
        npv TEXT,                           -- ARCEP verified range reserved for automated calls (zone)
        example_raw TEXT,
        note TEXT
    );
    """,
    # 2: what a scan found
    """
    CREATE TABLE scans (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,                   -- UTC ISO 8601
        rule_pack TEXT NOT NULL,
        rule_pack_version TEXT NOT NULL,
        config_sha256 TEXT NOT NULL,
        calls_considered INTEGER NOT NULL,
        callwatch_version TEXT NOT NULL
    );
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        scan_id INTEGER NOT NULL REFERENCES scans(id),
        key TEXT NOT NULL,                  -- stable across scans: "operator", "block:+33948172", "number:+33..."
        category TEXT NOT NULL,             -- operator | other-company | automated | nuisance
        label TEXT NOT NULL,
        company TEXT,                       -- when declared or linked
        severity TEXT NOT NULL,             -- high | medium | low
        why TEXT NOT NULL,                  -- one plain sentence with the figures
        first_utc TEXT NOT NULL,
        last_utc TEXT NOT NULL,
        stats TEXT NOT NULL                 -- JSON: calls, attempts, answered, silent, ...
    );
    CREATE TABLE finding_numbers (
        finding_id INTEGER NOT NULL REFERENCES findings(id),
        number TEXT NOT NULL,               -- E.164, or "withheld"
        basis TEXT NOT NULL,                -- declared-number | declared-prefix | caller-name | same-block | rotation | probable | single-number | withheld-pattern
        detail TEXT NOT NULL,
        certainty TEXT NOT NULL,            -- certain | probable
        similarity REAL,
        PRIMARY KEY (finding_id, number)
    );
    CREATE TABLE finding_calls (
        finding_id INTEGER NOT NULL REFERENCES findings(id),
        call_id INTEGER NOT NULL REFERENCES calls(id),
        signals TEXT NOT NULL,              -- comma-separated per-call signals
        PRIMARY KEY (finding_id, call_id)
    );
    CREATE TABLE breaches (
        id INTEGER PRIMARY KEY,
        finding_id INTEGER NOT NULL REFERENCES findings(id),
        rule_id TEXT NOT NULL,
        call_id INTEGER NOT NULL REFERENCES calls(id),
        detail TEXT NOT NULL
    );
    CREATE INDEX breaches_finding ON breaches (finding_id, rule_id);
    """,
    # 3: what each scan saw, so the next one can look at the new calls only
    """
    ALTER TABLE scans ADD COLUMN mode TEXT NOT NULL DEFAULT 'full';
    ALTER TABLE scans ADD COLUMN max_call_id INTEGER;
    ALTER TABLE scans ADD COLUMN max_import_id INTEGER;
    ALTER TABLE scans ADD COLUMN findings_changed INTEGER;
    CREATE INDEX call_sources_import ON call_sources (import_id);
    """,
    # 4: the daemon's memory: what each job did, and which alerts went out
    """
    CREATE TABLE job_runs (
        id INTEGER PRIMARY KEY,
        job TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        result TEXT NOT NULL,               -- ok | failed | nothing
        detail TEXT
    );
    CREATE INDEX job_runs_job ON job_runs (job, id);
    CREATE TABLE alerts_sent (
        key TEXT PRIMARY KEY,               -- one alert per event, ever
        sent_at TEXT NOT NULL,
        title TEXT NOT NULL,
        delivered INTEGER NOT NULL
    );
    """,
    # 5: the facts behind a breach and an attribution (JSON [[code, values], ...]), so that a
    # report words them in its own language (callwatch/wording.py)
    """
    ALTER TABLE breaches ADD COLUMN facts TEXT;
    ALTER TABLE finding_numbers ADD COLUMN facts TEXT;
    """,
    # 6: which household line each call reached (callwatch/lines.py), the tier of each call of a
    # finding, and the user's review decisions
    """
    ALTER TABLE calls ADD COLUMN line TEXT;          -- the line's E.164 number, or "source:<family>" when unknown
    ALTER TABLE calls ADD COLUMN line_basis TEXT;    -- own-number | extension | account | source | unmapped
    UPDATE calls SET line = CASE WHEN own_line LIKE '+%' THEN own_line ELSE 'source:' || family END,
                     line_basis = CASE WHEN own_line LIKE '+%' THEN 'own-number' ELSE 'unmapped' END;
    -- every line value calls hold, so a scan reads lines as small codes without scanning for them
    CREATE TABLE lines_seen (line TEXT PRIMARY KEY);
    INSERT OR IGNORE INTO lines_seen SELECT DISTINCT line FROM calls;
    ALTER TABLE finding_calls ADD COLUMN attribution TEXT;   -- declared | same-block | rotation | probable | confirmed | excluded
    ALTER TABLE finding_calls ADD COLUMN decision_id INTEGER;
    ALTER TABLE scans ADD COLUMN max_decision_id INTEGER;
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,                   -- UTC ISO 8601, when the user decided
        action TEXT NOT NULL CHECK (action IN ('confirm', 'exclude', 'undo')),
        number TEXT,                        -- the number decided on (E.164 or short code), or
        call_id INTEGER,                    -- one call
        finding_key TEXT,                   -- confirm: the campaign (findings.key, stable across scans)
        company TEXT,                       -- confirm: the company the user names, if any
        from_utc TEXT,                      -- exclude a number: only its calls in this window
        to_utc TEXT,
        reason TEXT NOT NULL DEFAULT '',
        undoes INTEGER REFERENCES decisions(id)
    );
    """,
    # 7: archives as delivered (a zip's own hash, the container of the files imported from it), and
    # what `status` needs to follow a phone's successive exports: the span of calls each export
    # holds (duplicates included: they are what shows that two exports overlap) and the SIM
    # accounts it names
    """
    CREATE TABLE containers (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,        -- of the archive's exact bytes
        original_name TEXT NOT NULL,
        original_path TEXT,
        size INTEGER NOT NULL,
        archive_path TEXT NOT NULL,         -- its archived copy, relative to the data directory
        members INTEGER NOT NULL,           -- files in it (folders not counted)
        opened_at TEXT NOT NULL
    );
    ALTER TABLE imports ADD COLUMN container_id INTEGER REFERENCES containers(id);
    ALTER TABLE imports ADD COLUMN member TEXT;              -- the file's path inside its container
    ALTER TABLE imports ADD COLUMN first_call_ms INTEGER;    -- oldest call in the file (UTC ms)
    ALTER TABLE imports ADD COLUMN last_call_ms INTEGER;     -- newest call in the file
    ALTER TABLE imports ADD COLUMN accounts TEXT;            -- JSON list: SIM / phone accounts the file names
    """,
    # 8: the store's random identity, which callwatch.db.identity records beside the database, so
    # that a missing or replaced database is never taken for a new store (identity.py)
    """
    CREATE TABLE store_info (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT INTO store_info (key, value) VALUES ('id', lower(hex(randomblob(16))));
    """,
]


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Store:
    """A connection to the call store. The library's only writer of the database."""

    def __init__(self, data_dir: Path, *, timeout_s: float = 30.0):
        data_dir = Path(data_dir)
        self.path = data_dir / DB_NAME
        try:
            self.data_dir = check_owned(private_dir(data_dir), "data directory")
        except OSError as exc:
            raise storage_fault(data_dir, exc) or StoreError(f"{data_dir}: cannot use it as the data directory: "
                                                             f"{exc.strerror or exc}") from exc
        # A store recorded here and now gone is never replaced by an empty one (identity.py).
        marker = identity.read_marker(self.data_dir)
        if marker is not None and not self.path.exists():
            raise StoreLost(identity.missing_message(self.path, marker))
        old_umask = os.umask(0o077)          # the db, its -wal and -shm files: 0600
        try:
            conn = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as exc:
            raise storage_fault(self.path, exc) or StoreError(f"{self.path}: cannot open the call store: {exc}") from exc
        finally:
            os.umask(old_umask)
        self.conn = conn
        try:
            self._open(timeout_s, marker)
        except BaseException as exc:
            conn.close()
            fault = storage_fault(self.path, exc) if isinstance(exc, (sqlite3.Error, OSError)) else None
            if fault is not None:
                raise fault from exc
            raise

    def _open(self, timeout_s: float, marker: dict | None) -> None:
        conn = self.conn
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        if marker is not None:            # before anything writes to a file that may not be ours
            found = self.identity()
            if found != marker["store_id"]:
                raise StoreLost(identity.replaced_message(self.path, marker, found))
        if self.schema_version == 0:
            # A new store: 16 KB pages (SQLite's default is 4 KB). Call rows are about 220 bytes and
            # written in bulk: a fourth of the pages, of the WAL frames and of the writes at commit
            # (1M calls imported: 9.1-9.4 s against 10.5 s). Set before WAL: it cannot change after.
            conn.execute("PRAGMA page_size = 16384")
        self._wal(0)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        # A 64 MB page cache: a large import updates indexes in random order, and with the
        # default 2 MB every other page would be written out to the WAL and read back.
        conn.execute(f"PRAGMA cache_size = {CACHE_SIZE}")
        self.db = sqlite_utils.Database(conn)
        self.migrate()
        if marker is None:
            identity.write_marker(self.data_dir, self.identity(), DB_NAME)

    def _wal(self, wait_s: float) -> None:
        """WAL mode. While another process writes a first load with a rollback journal
        (_first_load), SQLite refuses the change at once ("database is locked"): tried again for
        ``wait_s`` seconds, then the busy store's sentence. An opener does not wait (0): waiting
        there made a daemon and its job's child hold each other up (tests/test_service_setup)."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                if time.monotonic() >= deadline:          # the sentence every busy store gets
                    raise storage_fault(self.path, exc) or StoreError(f"{self.path}: the call store is busy") from exc
            time.sleep(0.05)

    def identity(self) -> str | None:
        """The store's random identity (migration 8), or None for a database that has none."""
        if self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_info'").fetchone() is None:
            return None
        row = self.conn.execute("SELECT value FROM store_info WHERE key = 'id'").fetchone()
        return row[0] if row else None

    # -- schema ---------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StoreError(f"{self.path}: schema version {version} is newer than this callwatch "
                             f"understands ({len(MIGRATIONS)}); upgrade callwatch")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                for statement in _statements(script):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {number}")

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def transaction(self, expected_rows: int = 0):
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (including KeyboardInterrupt).
        ``expected_rows``: calls the transaction may write (see _first_load)."""
        first_load = expected_rows >= BULK_ROWS and self._first_load()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                # SQLite has already rolled back after some errors (SQLITE_FULL, an I/O error): a second
                # ROLLBACK would raise "no transaction is active" and hide the real cause.
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        finally:
            if first_load:
                self._back_to_wal()

    def _first_load(self) -> bool:
        """A large load into a store that holds no call yet is written with a rollback journal
        instead of the WAL, when no other connection has the store open: the calls are written
        once, into the store, instead of into the WAL and then copied into the store at commit
        (1M calls, alternated: 6.3-7.0 -> 5.5-6.3 s). Nobody reads an empty store meanwhile; an
        opener is told the store is busy (Store._wal). synchronous = EXTRA: the journal's removal is synced too, so a
        committed load survives a power cut as in WAL mode. A crash leaves a hot journal, which
        SQLite rolls back at the next open. Returns whether the store is now in that mode."""
        if self.conn.execute("SELECT 1 FROM calls LIMIT 1").fetchone() is not None:
            return False
        try:
            mode = self.conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except sqlite3.OperationalError:          # another connection has the store open: stay in WAL
            return False
        if mode != "delete":
            return False
        self.conn.execute("PRAGMA synchronous = EXTRA")
        return True

    def _back_to_wal(self) -> None:
        """WAL again after a first load (see _first_load). A connection opened meanwhile may hold
        the store a moment: tried for a few seconds, else left to the next Store() to do."""
        self.conn.execute("PRAGMA synchronous = FULL")
        try:
            self._wal(5)
        except (StoreError, sqlite3.OperationalError):     # never in place of the load's own outcome
            log.info("the store stays in rollback-journal mode until it is next opened")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- imports --------------------------------------------------------------------------

    def import_by_sha256(self, sha256: str) -> dict | None:
        rows = list(self.db.query("SELECT * FROM imports WHERE sha256 = ?", [sha256]))
        return rows[0] if rows else None

    def create_import(self, **fields) -> int:
        fields.setdefault("started_at", _now_iso())
        cols = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        cur = self.conn.execute(f"INSERT INTO imports ({cols}) VALUES ({marks})", list(fields.values()))
        return cur.lastrowid

    def finish_import(self, import_id: int, counts: dict) -> None:
        sets = ", ".join(f"{k} = ?" for k in counts)
        self.conn.execute(f"UPDATE imports SET {sets}, finished_at = ? WHERE id = ?",
                          [*counts.values(), _now_iso(), import_id])

    def container(self, sha256: str, **fields) -> int:
        """The id of the container with this hash, recorded now if it is new."""
        row = self.conn.execute("SELECT id FROM containers WHERE sha256 = ?", [sha256]).fetchone()
        if row:
            return row[0]
        fields.setdefault("opened_at", _now_iso())
        cols = ", ".join(["sha256", *fields])
        marks = ", ".join("?" for _ in range(len(fields) + 1))
        with self.transaction():
            cur = self.conn.execute(f"INSERT INTO containers ({cols}) VALUES ({marks})", [sha256, *fields.values()])
        return cur.lastrowid

    def imports(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM imports ORDER BY id"))

    # -- calls ----------------------------------------------------------------------------

    def insert_calls(self, rows: list[tuple]) -> None:
        """Insert call rows (CALL_COLUMNS order). A row whose (family, source_key) is known
        is a duplicate and is dropped, except that a better leg of the same call from the
        same import replaces a worse one."""
        self.conn.executemany(_INSERT_CALL_ROWS, rows)

    def staging(self) -> "Staging":
        """Stage call rows column by column, then insert them in SQLite (see Staging)."""
        return Staging(self.conn)

    # Only the index whose keys arrive in random order: an export is in time order (or its
    # reverse), so calls_start and calls_import grow at one edge, which costs less row by row
    # (on the insert's own thread, see Staging) than a rebuild at the end (1M calls: 1.5 s
    # against 2.1 s for all three rebuilt).
    _SECONDARY_INDEXES = (("calls_number_start", "number, start_ms"),)

    @contextmanager
    def bulk_load(self, expected_rows: int):
        """Inside a transaction: when a load is large against the table, drop the index whose
        keys arrive in random order and build it once at the end (a sort), which is several
        times faster than updating it row by row. The unique identity index stays:
        deduplication depends on it."""
        existing = self.conn.execute("SELECT MAX(id) FROM calls").fetchone()[0] or 0
        rebuild = expected_rows >= BULK_ROWS and expected_rows >= existing // 2
        if rebuild:
            for name, _ in self._SECONDARY_INDEXES:
                self.conn.execute(f"DROP INDEX {name}")
        wal = self.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        flusher = _Flusher(self.path.with_name(self.path.name + "-wal") if wal else self.path, database=not wal) \
            if expected_rows >= BULK_ROWS else None
        try:
            yield
        finally:
            try:
                if rebuild:
                    # SQLite sorts the index's keys in pieces the size of the page cache: 64 MB is one
                    # piece sorted at once, slower than 2 MB pieces merged (sorted by a second thread
                    # meanwhile): 1M calls, 1.05 s -> 0.55 s (temp_store FILE: see Staging).
                    self.conn.execute("PRAGMA cache_size = -2000")
                    self.conn.execute("PRAGMA threads = 2")
                    try:
                        for name, columns in self._SECONDARY_INDEXES:
                            self.conn.execute(f"CREATE INDEX {name} ON calls ({columns})")
                    finally:
                        self.conn.execute("PRAGMA threads = 0")
                        self.conn.execute(f"PRAGMA cache_size = {CACHE_SIZE}")
            finally:
                if flusher is not None:
                    flusher.stop()

    def note_lines(self, lines) -> None:
        self.conn.executemany("INSERT OR IGNORE INTO lines_seen (line) VALUES (?)", [(ln,) for ln in lines])

    def insert_rejects(self, rows: list[tuple]) -> None:
        self.conn.executemany("INSERT INTO rejects (import_id, locator, reason, raw) VALUES (?, ?, ?, ?)", rows)

    def upsert_numbers(self, facts) -> None:
        self.conn.executemany(_UPSERT_NUMBERS, _number_rows(facts))

    def drop_known_elsewhere(self, import_id: int) -> int:
        """Remove this import's new calls whose key is already known as a secondary source."""
        if self.conn.execute("SELECT 1 FROM call_sources LIMIT 1").fetchone() is None:
            return 0
        cur = self.conn.execute(
            "DELETE FROM calls WHERE import_id = ? AND EXISTS (SELECT 1 FROM call_sources s "
            "WHERE s.family = calls.family AND s.source_key = calls.source_key)", [import_id])
        return cur.rowcount

    def merge_cross_source(self, import_id: int, family: str, skew_s: int = 5) -> int:
        """Fold this import's calls into calls another source already recorded.

        Two records are the same call when they come from different families, concern the
        same other number (or are both withheld), the same direction and the same household line
        (callwatch/lines.py: an unknown line is its source's own, never a wildcard: two phones
        ringing together are two calls),
        and their start times differ by less than the coarser precision (plus a few seconds
        of clock skew) with compatible durations. Pairing is one-to-one, closest first. The
        record with the finer precision stays in ``calls``; the other goes to
        ``call_sources``. Returns how many records were merged.
        """
        conn = self.conn
        # (family < ? OR family > ?: two seeks in the identity index; != read every call)
        if conn.execute("SELECT 1 FROM calls WHERE family < ? OR family > ? LIMIT 1",
                        [family, family]).fetchone() is None:
            return 0
        window_ms = (60 + skew_s) * 1000
        # Same number; or both withheld the same way (a withheld silent call is evidence too).
        same_party = ("e.number = n.number",
                      "e.number IS NULL AND n.number IS NULL AND e.presentation = n.presentation "
                      "AND n.presentation != 'allowed'")
        pairs = []
        for party in same_party:
            pairs += conn.execute(
                f"""
                SELECT n.id, e.id, ABS(n.start_ms - e.start_ms) AS gap
                FROM calls n JOIN calls e
                  ON {party}
                 AND e.start_ms BETWEEN n.start_ms - ? AND n.start_ms + ?
                WHERE n.import_id = ? AND e.import_id != n.import_id AND e.family != n.family
                  AND e.direction = n.direction AND e.line = n.line
                  AND ABS(n.start_ms - e.start_ms) < (MAX(n.time_precision_s, e.time_precision_s) + ?) * 1000
                  AND (n.duration_s IS NULL OR e.duration_s IS NULL
                       OR ABS(n.duration_s - e.duration_s)
                          <= MAX(n.duration_precision_s, e.duration_precision_s) + ?)
                  AND NOT EXISTS (SELECT 1 FROM call_sources s WHERE s.call_id = e.id AND s.family = n.family)
                """, [window_ms, window_ms, import_id, skew_s, skew_s]).fetchall()
        pairs.sort(key=lambda p: p[2])
        used_new, used_old, merged = set(), set(), 0
        for new_id, old_id, _gap in pairs:
            if new_id in used_new or old_id in used_old:
                continue
            used_new.add(new_id)
            used_old.add(old_id)
            self._merge_pair(new_id, old_id)
            merged += 1
        return merged

    def _merge_pair(self, new_id: int, old_id: int) -> None:
        conn = self.conn
        cols = ", ".join(CALL_COLUMNS)
        new = dict(zip(CALL_COLUMNS, conn.execute(f"SELECT {cols} FROM calls WHERE id = ?", [new_id]).fetchone()))
        old = dict(zip(CALL_COLUMNS, conn.execute(f"SELECT {cols} FROM calls WHERE id = ?", [old_id]).fetchone()))
        finer = (new["time_precision_s"], new["duration_precision_s"]) < \
                (old["time_precision_s"], old["duration_precision_s"])
        demoted = old if finer else new
        conn.execute("DELETE FROM calls WHERE id = ?", [new_id])
        if finer:   # the call keeps its id (findings may point at it) and takes the finer record
            sets = ", ".join(f"{c} = ?" for c in CALL_COLUMNS)
            conn.execute(f"UPDATE calls SET {sets} WHERE id = ?", [*(new[c] for c in CALL_COLUMNS), old_id])
        conn.execute(
            "INSERT INTO call_sources (call_id, import_id, locator, family, source_key, start_ms, "
            "time_precision_s, duration_s, duration_precision_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [old_id, demoted["import_id"], demoted["locator"], demoted["family"], demoted["source_key"],
             demoted["start_ms"], demoted["time_precision_s"], demoted["duration_s"],
             demoted["duration_precision_s"]])

    def record_job(self, job: str, started_at: str, result: str, detail: str = "") -> None:
        with self.transaction():
            self.conn.execute("INSERT INTO job_runs (job, started_at, finished_at, result, detail) VALUES (?, ?, ?, ?, ?)",
                              [job, started_at, _now_iso(), result, detail[:2000]])

    def count_calls(self, import_id: int | None = None) -> int:
        if import_id is None:
            return self.conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM calls WHERE import_id = ?", [import_id]).fetchone()[0]

    def rejects(self, import_id: int | None = None) -> list[dict]:
        sql = ("SELECT r.id, r.import_id, i.original_name AS file, r.locator, r.reason, r.raw "
               "FROM rejects r JOIN imports i ON i.id = r.import_id")
        if import_id is not None:
            return list(self.db.query(sql + " WHERE r.import_id = ? ORDER BY r.id", [import_id]))
        return list(self.db.query(sql + " ORDER BY r.id"))


class Distinct:
    """A staged column as codes into a list of values. Columns of one ``space`` share their codes and
    one look-up table; a space's value lists only grow from block to block (see Staging). ``codes``:
    a list, or a numpy integer array (passed as Ints)."""

    def __init__(self, codes, values: list, space):
        self.codes, self.values, self.space = codes, values, space


class Ints:
    """A staged column of integers, one a row, none missing (a numpy integer array). SQLite receives
    the whole column as one value, a text of fixed-width decimal numbers, and cuts each row's number
    out of it: no Python int is made or bound a row, and the cutting runs on the insert's thread."""

    def __init__(self, values):
        import numpy as np
        self.values = np.asarray(values, dtype=np.int64)


class Texts:
    """A staged column of strings, one a row, none missing: rows ``rows`` (a numpy index, or all)
    of a pyarrow string array. SQLite receives its UTF-8 bytes as one blob with each row's start
    and length (Ints), and cuts each row's text out of it (same bytes, so the same TEXT value).
    When every row has the same length in bytes (a time as an export writes it), the rows' bytes
    are put end to end and ``width`` is that length: no start or length to read a row."""

    def __init__(self, array, rows=None):
        import numpy as np
        if array.null_count:
            raise ValueError("Texts holds no missing value")
        buffers = array.buffers()
        import pyarrow as pa
        wide = pa.types.is_large_string(array.type)          # 64-bit offsets
        offsets = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)[array.offset:array.offset + len(array) + 1]
        offsets = offsets.astype(np.int64)
        if rows is None:
            rows = np.arange(len(array))
        base = int(offsets[0]) if len(offsets) else 0
        data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
        self._cut(data[base:int(offsets[-1])], offsets[rows] - base, offsets[rows + 1] - offsets[rows], None)

    @classmethod
    def gather(cls, data, starts, lengths, nulls=None) -> "Texts":
        """Rows cut out of ``data`` (a numpy uint8 array of UTF-8 texts): row i is the ``lengths[i]``
        bytes from ``starts[i]``, or NULL where the boolean array ``nulls`` says so."""
        texts = cls.__new__(cls)
        texts._cut(data, starts, lengths, nulls)
        return texts

    def _cut(self, data, starts, lengths, nulls) -> None:
        import numpy as np
        self.width = None
        # a NULL's place: byte 1 in bytes of one a row (bytes: SQLite's substr of a BLOB goes straight
        # to a place, of a TEXT it counts the characters before it)
        self.nulls = nulls.astype(np.uint8).tobytes() if nulls is not None and nulls.any() else None
        if self.nulls is None and len(lengths) and 0 < lengths[0] <= 64 and (lengths == lengths[0]).all():
            self.width = width = int(lengths[0])
            if (starts[1:] == starts[:-1] + width).all():         # rows side by side: one slice
                self.data = data[int(starts[0]):int(starts[0]) + width * len(starts)].tobytes()
            else:
                self.data = data[(starts[:, None] + np.arange(width)).ravel()].tobytes()
            return
        self.data = data.tobytes()
        self.starts = Ints(starts)
        self.lengths = Ints(lengths)

    @classmethod
    def of(cls, values: list) -> "Texts | None":
        """Python strings, or None (a NULL), staged the same way; None if a value is of another type."""
        import numpy as np
        if not all(type(value) is str or value is None for value in values):
            return None
        data, lengths, nulls = _utf8(values)
        return cls.gather(np.frombuffer(data, dtype=np.uint8), np.cumsum(lengths) - lengths, lengths, nulls)


def _utf8(values: list) -> tuple[bytes, "np.ndarray", "np.ndarray | None"]:
    """Strings or None as their UTF-8 bytes end to end, each one's length in bytes (0 for None),
    and where the Nones are (None when there is none)."""
    import numpy as np
    encoded = [b"" if value is None else value.encode("utf-8") for value in values]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    nulls = np.fromiter((value is None for value in values), dtype=bool, count=len(values)) \
        if None in values else None
    return b"".join(encoded), lengths, nulls


class _Binder:
    """A statement's bound values (named), and the SQL that cuts a staged row's value out of them;
    ``row``: the row's place from 0, in a SELECT over temp.cw_seq or temp.cw_stage named s."""

    row = "(s.rowid - 1)"

    def __init__(self):
        self.params: dict = {}

    def bind(self, value) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return ":" + name

    def integers(self, ints: "Ints") -> str:
        text, width = _fixed_width(ints.values)
        return f"CAST(substr({self.bind(text)}, {self.row} * {width} + 1, {width}) AS INTEGER)"

    def texts(self, value: "Texts") -> str:
        row = self.row
        if value.width is not None:
            text = f"CAST(substr({self.bind(value.data)}, {row} * {value.width} + 1, {value.width}) AS TEXT)"
        else:
            text = (f"CAST(substr({self.bind(value.data)}, {self.integers(value.starts)} + 1, "
                    f"{self.integers(value.lengths)}) AS TEXT)")
        if value.nulls is not None:
            return f"CASE WHEN substr({self.bind(value.nulls)}, {row} + 1, 1) = x'01' THEN NULL ELSE {text} END"
        return text


def _fixed_width(values) -> tuple[bytes, int]:
    """Integers as one ASCII text of fixed-width numbers (zero-padded, "-" first for a negative one:
    CAST(... AS INTEGER) reads each back exactly), and the width."""
    import numpy as np
    n = len(values)
    if n == 0:
        return b"", 1
    lo, hi = int(values.min()), int(values.max())
    width = max(len(str(lo)), len(str(hi)))
    negative = values < 0
    magnitude = values.astype(np.uint64)
    if negative.any():                            # two's complement: also right for -2**63
        magnitude[negative] = (~values[negative]).astype(np.uint64) + np.uint64(1)
    out = np.empty((n, width), dtype=np.uint8)
    ten = np.uint64(10)
    for k in range(width - 1, -1, -1):
        out[:, k] = magnitude % ten + 48
        magnitude //= ten
    if negative.any():
        out[negative, 0] = 45                     # width counts the sign: this place held a 0
    return out.tobytes(), width


class _ValueIds:
    """One column of a Distinct space with each of its distinct values numbered once: ``of[code]`` is
    the number of the value at that code; the values' UTF-8 bytes lie end to end in ``data``, the
    value number i at ``starts[i]`` for ``lengths[i]`` bytes (``nulls[i]``: it is None)."""

    def __init__(self):
        import numpy as np
        self.ids: dict = {}
        self.values: list = []
        self.of = np.zeros(0, dtype=np.int64)
        self.texts = True                     # every value a str or None (else: not re-coded)
        self._data = bytearray()
        self.data = np.zeros(0, dtype=np.uint8)
        self.starts, self.lengths = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        self.nulls = np.zeros(0, dtype=bool)

    def grow(self, values: list) -> None:
        """Number the values at the codes new since the last call (the lists only grow)."""
        import numpy as np
        new = values[len(self.of):]
        if not new or not self.texts:
            return
        if not set(map(type, new)) <= {str, type(None)}:
            self.texts = False                # 1, 1.0 and True are one dict key, not one SQLite value
            return
        ids, known = self.ids, len(self.values)
        numbered = [ids.setdefault(v, len(ids)) for v in new]      # len(ids): before a new key goes in
        if len(ids) > known:                                       # the values met for the first time
            fresh = list(islice(ids, known, None))                 # in the order numbered (dicts keep it)
            data, lengths, nulls = _utf8(fresh)
            self.starts = np.concatenate((self.starts, np.cumsum(lengths) - lengths + len(self._data)))
            self.lengths = np.concatenate((self.lengths, lengths))
            self.nulls = np.concatenate((self.nulls, nulls if nulls is not None else np.zeros(len(fresh), dtype=bool)))
            self._data += data
            self.data = np.frombuffer(bytes(self._data), dtype=np.uint8)
            self.values += fresh
        self.of = np.concatenate((self.of, np.array(numbered, dtype=np.int64)))

    def texts_at(self, codes) -> "Texts":
        """The column's value at each of these codes, staged as Texts."""
        at = self.of[codes]
        return Texts.gather(self.data, self.starts[at], self.lengths[at], self.nulls[at])


class _Recoded:
    """A Distinct space of many values (a file's distinct callers: 125,000 in a million calls), staged
    without its look-up table: SQLite's search of each row's code in so large a table misses the
    processor's cache, and the table's own rows had to go in first (1M calls, the inserting thread
    busy 4.0-4.9 -> 3.5-3.8 s; its inserts replayed alone: 3.5 -> 3.4 s, and 0.33 s of look-up rows
    gone). Each column of the space numbers its distinct values on its own; the columns with few of them
    (direction, outcome, the line...) go through a small table of the combinations of their values
    that rows hold, the columns with many (the numbers) as a text a row, cut out of the bytes of
    their distinct values (Texts.gather). Same values, so the same rows as through the look-up table."""

    FEW = 64                # values at most in a column joined through the small table

    def __init__(self, width: int, prefix: str):
        self.columns = [_ValueIds() for _ in range(width)]
        self.prefix = prefix                     # of its small tables' names
        self.tables: dict[tuple, tuple] = {}     # the few-valued columns -> (table, {combination: code})

    def grow(self, value_lists: list) -> bool:
        """Take in the values new in this block; False when a column holds a value that is not a text."""
        for column, values in zip(self.columns, value_lists):
            column.grow(values)
        return all(column.texts for column in self.columns)

    def stage(self, job: list, codes, sql: "_Binder", alias: str) -> tuple[list[str], str]:
        """The SQL of each column for rows with these codes, and the join it needs ("" for none)."""
        import numpy as np
        few = tuple(i for i, column in enumerate(self.columns) if len(column.values) <= self.FEW)
        out = [sql.texts(column.texts_at(codes)) if i not in few else f"{alias}.v{few.index(i)}"
               for i, column in enumerate(self.columns)]
        if not few:
            return out, ""
        if few not in self.tables:
            table = f"{self.prefix}{len(self.tables)}"
            job.append(("execute", f"DROP TABLE IF EXISTS temp.{table}", ()))
            job.append(("execute", f"CREATE TEMP TABLE {table} (code INTEGER PRIMARY KEY, "
                        + ", ".join(f"v{k}" for k in range(len(few))) + ")", ()))
            self.tables[few] = (table, {}, np.zeros(0, dtype=np.int64))
        table, known, combination_of = self.tables[few]
        done, size = len(combination_of), len(self.columns[0].of)
        if size > done:                          # the codes new since: their combinations numbered
            had = len(known)
            numbered = [known.setdefault(combination, len(known)) for combination
                        in zip(*(self.columns[i].of[done:size].tolist() for i in few))]
            if len(known) > had:
                fresh = [(number, *(self.columns[i].values[v] for i, v in zip(few, combination)))
                         for combination, number in islice(known.items(), had, None)]
                job.append(("executemany", f"INSERT INTO temp.{table} VALUES (?{', ?' * len(few)})", fresh))
            combination_of = np.concatenate((combination_of, np.array(numbered, dtype=np.int64)))
            self.tables[few] = (table, known, combination_of)
        return out, f"CROSS JOIN temp.{table} {alias} ON {alias}.code = {sql.integers(Ints(combination_of[codes]))}"


class Staging:
    """One file's call rows on their way in, a block at a time, inserted by a thread of its own.

    ``block(columns, count)`` stages a block's rows given column by column (every CALL_COLUMNS
    name: a list with one value a row, Ints, Texts, a Distinct, or one value for all);
    ``insert(start, end)`` inserts its staged rows [start, end) in their order with one INSERT ...
    SELECT, and ``rows(rows)`` inserts call rows given whole (the per-row path's, between them),
    both with insert_calls' very upsert: the same result as insert_calls on the same rows in the
    same order, without a Python tuple a row. ``submit()`` hands the block's work to the writer.

    The writer thread does everything a block asks of the connection, in the order asked: SQLite
    steps the statements without the GIL, on the second core, while the caller reads and derives
    the next blocks. The caller touches the connection only after ``wait()`` (``close`` waits).
    Lists go through a temporary table; Ints and Texts are bound as a few values for the
    whole block. The temporary tables are dropped by ``close``."""

    AHEAD = 2           # blocks handed over and not yet inserted, at most (memory: about 2 blocks)
    RECODE = 4096       # values in a Distinct space above which it is re-coded (see _Recoded)

    def __init__(self, conn):
        self.conn = conn
        # The temporary tables in their own 32 MB of cache: a block's rows are read back from
        # there. (temp_store stays FILE: with MEMORY, SQLite sorts an index build in one piece,
        # which made the rebuild after a large load twice as slow.)
        conn.execute("PRAGMA temp.cache_size = -32768")
        self.looks: dict[int, tuple[str, int]] = {}         # id(space) -> (table, rows in it)
        self.recoded: dict[int, _Recoded] = {}              # id(space) -> the space re-coded
        self.sequence = 0                                   # rows in temp.cw_seq
        self.sql, self.params = "", {}
        self._job: list = []                                # the block's work: (method, sql, params)
        self._pending: list = []                            # futures of the blocks handed over
        self._writer = None

    def wait(self) -> None:
        """Wait for every block handed over; the first error, if one failed, is raised here."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def block(self, columns: dict, count: int) -> None:
        import numpy as np
        job = self._job                             # after what was asked before it, if anything
        stage, groups, select = [], {}, []
        sql = _Binder()

        def expression(value) -> str:
            if isinstance(value, list):
                stage.append(value)
                return f"s.c{len(stage) - 1}"
            if isinstance(value, Ints):
                return sql.integers(value)
            if isinstance(value, Texts):
                return sql.texts(value)
            return sql.bind(value)

        for name in CALL_COLUMNS:
            value = columns[name]
            if isinstance(value, Distinct):
                group = groups.setdefault(id(value.space), (value.codes, []))
                group[1].append(value.values)
                select.append((list(groups).index(id(value.space)), len(group[1]) - 1))
            else:
                select.append(expression(value))
        joins, looked = [], {}
        for g, (space, (codes, value_lists)) in enumerate(groups.items()):
            recoded = self._recoded(space, value_lists)
            if recoded is not None:
                looked[g], join = recoded.stage(job, np.asarray(codes, dtype=np.int64), sql, f"l{g}")
                joins += [join] if join else []
                continue
            looked[g] = [f"l{g}.v{i}" for i in range(len(value_lists))]
            if space not in self.looks:
                table = f"cw_look{len(self.looks)}"
                job.append(("execute", f"DROP TABLE IF EXISTS temp.{table}", ()))
                job.append(("execute", f"CREATE TEMP TABLE {table} (code INTEGER PRIMARY KEY, "
                            + ", ".join(f"v{i}" for i in range(len(value_lists))) + ")", ()))
                self.looks[space] = (table, 0)
            table, done = self.looks[space]
            size = len(value_lists[0])
            if size > done:                         # the values new in this block (the lists grow)
                self._insert_rows(job, f"INSERT INTO temp.{table} VALUES (?{', ?' * len(value_lists)})",
                                  [list(range(done, size))] + [values[done:size] for values in value_lists],
                                  f"INSERT INTO temp.{table} SELECT {done} + s.rowid - 1, {{}}", first_is_row=True)
                self.looks[space] = (table, size)
            code = expression(codes if isinstance(codes, list) else Ints(codes))
            joins.append(f"CROSS JOIN temp.{table} l{g} ON l{g}.code = {code}")
        select = [looked[item[0]][item[1]] if isinstance(item, tuple) else item for item in select]
        if stage:                                   # rows from a table of the listed values
            job.append(("execute", "DROP TABLE IF EXISTS temp.cw_stage", ()))
            job.append(("execute", "CREATE TEMP TABLE cw_stage (" + ", ".join(f"c{i}" for i in range(len(stage)))
                        + ")", ()))
            job.append(("executemany", f"INSERT INTO temp.cw_stage VALUES ({', '.join('?' for _ in stage)})",
                        zip(*stage)))            # fresh lists of this block: read on the writer thread
            source = "temp.cw_stage"
        else:                                       # rows numbered 1..count, nothing staged a row
            self._sequence(job, count)
            source = "temp.cw_seq"
        self.sql = _insert_calls_sql(f"SELECT {', '.join(select)} FROM {source} s {' '.join(joins)} "
                                     f"WHERE s.rowid > :start AND s.rowid <= :end ORDER BY s.rowid")
        self.params = sql.params

    def _recoded(self, space, value_lists: list) -> "_Recoded | None":
        """The space re-coded when it holds more than RECODE values, all texts (see _Recoded); else
        None: its look-up table. A space once given a look-up table keeps it."""
        if space in self.recoded:
            recoded = self.recoded[space]
        elif space in self.looks or len(value_lists[0]) <= self.RECODE:
            return None
        else:
            recoded = self.recoded[space] = _Recoded(len(value_lists), f"cw_few{len(self.recoded)}_")
        if len(recoded.columns) != len(value_lists) or not recoded.grow(value_lists):
            del self.recoded[space]           # not texts: the look-up table from now on, for good
            return None
        return recoded

    def _sequence(self, job: list, count: int) -> None:
        """temp.cw_seq holds at least the rows 1..count (its rowid is i)."""
        if self.sequence < count:
            if not self.sequence:
                job.append(("execute", "CREATE TEMP TABLE cw_seq (i INTEGER PRIMARY KEY)", ()))
            job.append(("execute", "WITH RECURSIVE r(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM r WHERE i < ?) "
                                   "INSERT INTO temp.cw_seq (i) SELECT i FROM r", (self.sequence + 1, count)))
            self.sequence = count

    def insert(self, start: int, end: int) -> None:
        """Insert the staged rows [start, end) of the block (0-based, in the order given)."""
        if end > start:
            self._job.append(("execute", self.sql, {**self.params, "start": start, "end": end}))

    def rows(self, rows: list[tuple]) -> None:
        """Insert these call rows (CALL_COLUMNS order), after what the block asked before."""
        if rows:
            self._job.append(("executemany", _INSERT_CALL_ROWS, list(rows)))

    def numbers(self, facts: list) -> None:
        """Store these numbers' facts (as Store.upsert_numbers), after what the block asked before:
        the numbers a file names are mostly met in its first blocks, when this thread waits for work."""
        if facts:
            rows = _number_rows(facts)
            self._insert_rows(self._job, _UPSERT_NUMBERS, [list(column) for column in zip(*rows)],
                              f"INSERT INTO numbers ({_NUMBER_COLUMNS}) SELECT {{}}", tail=" ON CONFLICT (number) DO NOTHING")

    def _insert_rows(self, job: list, many_sql: str, columns: list[list], select_sql: str, tail: str = "",
                     first_is_row: bool = False) -> None:
        """Insert rows given column by column, in their order: when every value is a text or None,
        with one statement whose texts SQLite cuts out of one value a column (``select_sql``: the
        INSERT ... SELECT with {} for the values); else with ``many_sql`` and a row at a time.
        executemany takes the GIL back at every row, and the importing thread holds it most of the
        time: 1M calls, the look-up values of the first blocks 0.29 s a block, 0.9 s in all; as one
        statement 0.04 s and 0.36 s. ``first_is_row``: the first column is the row's number, made
        in SQL."""
        count = len(columns[0])
        texts = [Texts.of(column) for column in columns[1 if first_is_row else 0:]]
        if not all(texts):
            job.append(("executemany", many_sql, list(zip(*columns))))
            return
        self._sequence(job, count)
        sql = _Binder()
        values = ", ".join(sql.texts(t) for t in texts)
        job.append(("execute", select_sql.format(values) + f" FROM temp.cw_seq s WHERE s.rowid <= {count} "
                    f"ORDER BY s.rowid{tail}", sql.params))

    def submit(self) -> None:
        """Hand the block's work to the writer thread (first waiting for the block AHEAD before it)."""
        job, self._job = self._job, []
        if not job:
            return
        # (a SQLite built without threads at all, threadsafety 0: the caller's thread, as before)
        if sqlite3.threadsafety == 0:
            self.wait()
            _run(self.conn, job)
            return
        if len(self._pending) >= self.AHEAD:
            self._pending.pop(0).result()
        if self._writer is None:
            from concurrent.futures import ThreadPoolExecutor
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="callwatch-insert")
        self._pending.append(self._writer.submit(_run, self.conn, job))

    def abandon(self) -> None:
        """After a failure elsewhere: let the blocks handed over end, their own errors dropped (the
        transaction rolls back anyway), so that nothing else runs on the connection meanwhile."""
        try:
            for future in self._pending:
                try:
                    future.result()
                except Exception:      # noqa: BLE001 - the caller's failure is the one reported
                    pass
            self._pending = []
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None

    def close(self) -> None:
        try:
            self.wait()
        except BaseException:
            self.abandon()
            raise
        self._shutdown()
        for (name,) in self.conn.execute("SELECT name FROM temp.sqlite_master WHERE type = 'table' "
                                         "AND name LIKE 'cw%'").fetchall():
            self.conn.execute(f"DROP TABLE temp.{name}")


class _Flusher:
    """During a large load, the file SQLite writes (the WAL, or the database itself in a first load's
    rollback-journal mode) written to disk every half second by a thread of its own, while the load
    goes on: the commit's sync then has little left to write (1M calls: WAL 0.61 -> 0.50 s; first
    load 0.15-0.20 -> 0.02 s). Syncing more often never weakens durability.
    SQLite holds no lock on the WAL file, so a descriptor of our own is opened and closed. The
    database file is another matter: closing any descriptor of a file drops every POSIX lock the
    process holds on it, SQLite's included, in the middle of its transaction. So the database is
    synced through SQLite's own descriptor, found in /proc/self/fd and never closed here (SQLite
    keeps it open while the connection is, which outlives the load); where there is no /proc,
    nothing is synced early."""

    INTERVAL_S = 0.5

    def __init__(self, path: Path, *, database: bool):
        self.path, self.database = path, database
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="callwatch-flush", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        fd, own = None, False
        try:
            while not self.done.wait(self.INTERVAL_S):
                try:
                    if fd is None:
                        fd, own = (_descriptor_of(self.path), False) if self.database else \
                            (os.open(self.path, os.O_RDONLY | os.O_CLOEXEC), True)
                    if fd is not None:
                        os.fdatasync(fd)
                except OSError:            # no WAL yet, or a fault the commit itself will report
                    pass
        finally:
            if own:
                os.close(fd)

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


def _descriptor_of(path: Path) -> int | None:
    """A descriptor this process already holds on this file (the same inode), or None."""
    want = os.stat(path)
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return None
    for name in names:
        try:
            held = os.stat(int(name))
        except (OSError, ValueError):
            continue
        if (held.st_dev, held.st_ino) == (want.st_dev, want.st_ino):
            return int(name)
    return None


_NUMBER_COLUMNS = "number, presentation, kind, country, range_holder, npv, example_raw, note"
_UPSERT_NUMBERS = f"INSERT INTO numbers ({_NUMBER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (number) DO NOTHING"


def _number_rows(facts) -> list[tuple]:
    return [(f.key, f.presentation, f.kind, f.country, f.range_holder, f.npv, f.raw, f.note) for f in facts]


def _run(conn, job: list) -> None:
    """A block's work on the connection, in order (see Staging)."""
    for method, sql, params in job:
        getattr(conn, method)(sql, params)


def _insert_calls_sql(rows: str) -> str:
    """INSERT INTO calls of these rows (a VALUES or a SELECT, CALL_COLUMNS order): a row whose
    (family, source_key) is known is a duplicate and is dropped, except that a better leg of the
    same call from the same import replaces a worse one."""
    better = (f"{OUTCOME_RANK_SQL.format(col='excluded.outcome')} > "
              f"{OUTCOME_RANK_SQL.format(col='calls.outcome')}")
    updates = ", ".join(f"{c} = excluded.{c}" for c in CALL_COLUMNS if c not in ("family", "source_key"))
    return (f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) {rows} ON CONFLICT (family, source_key) DO UPDATE "
            f"SET {updates} WHERE calls.import_id = excluded.import_id AND {better}")


_INSERT_CALL_ROWS = _insert_calls_sql(f"VALUES ({', '.join('?' for _ in CALL_COLUMNS)})")


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (sqlite3.complete_statement knows comments)."""
    out, current = [], ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            body = "\n".join(ln for ln in current.splitlines() if not ln.strip().startswith("--"))
            if body.strip(" \n;"):
                out.append(current)
            current = ""
    return out
