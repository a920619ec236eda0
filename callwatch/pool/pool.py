"""An association's pool: a folder of validated contributions, stored as one partitioned Parquet
dataset that DuckDB (or Spark) reads.

    <pool>/pool.json             the key's fingerprint, k, the engine (``callwatch pool init``)
    <pool>/contributions.json    every contribution kept (household, date, counts, rejects), the
                                 data files of each batch (readers read exactly the files it lists)
                                 and each household's small integer id
    <pool>/data/rule_pack=fr/month=2026-10/b000001.parquet

The data files hold a contribution's rows as it sent them, except its household: the pseudonym is
replaced by the integer the index gives it (``schema.POOL_SCHEMA``), which the report's engines
count much faster. A pool written before these ids (index format 1) is converted once, under the
lock, by the next ``add`` or ``report``.

A contribution is checked whole first (a Parquet file, the schema, a manifest made with this
pool's key), then row by row: a row that breaks the contribution's own rules (a number where only
a block may leave, a tier or outcome nobody writes, a rule of another rule pack...) is a counted
reject with its reason, and the others are kept. A household is in the pool once: a newer
contribution of the same household replaces the older one (its rows are rewritten out of their
batch), an older one is refused. ``pool add`` holds a lock; the index is written beside its name
then renamed, after the files it lists, so a crash leaves the pool as it was, plus files no index
names (removed by the next ``add``).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from callwatch import __version__
from callwatch.errors import CallwatchError
from callwatch.pool import keys, schema
from callwatch.private import check_owned, private_dir, write_private

SETTINGS = "pool.json"
INDEX = "contributions.json"
DATA = "data"
ENGINES = ("duckdb", "spark")
BATCH_ROWS = 1_000_000          # rows written per batch: bounds pool add's memory whatever the number of files
INDEX_FORMAT = 2                # 2: data files name households by the index's integer ids (1: by pseudonym)
_CREATED = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$")


@dataclass
class Settings:
    key_fingerprint: str
    k: int = 5
    engine: str = "duckdb"
    spark_master: str = "local[*]"


@dataclass
class AddResult:
    path: Path
    status: str                   # added | replaced | already | older | refused
    message: str = ""
    read: int = 0
    kept: int = 0
    rejected: dict = field(default_factory=dict)      # reason -> rows

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


def folder_of(option: str | None) -> Path:
    """The pool's folder: --pool, else $CALLWATCH_POOL."""
    value = option or os.environ.get("CALLWATCH_POOL")
    if not value:
        raise CallwatchError("no pool folder: give --pool DIR or set CALLWATCH_POOL")
    return Path(value).expanduser()


def init(folder: Path, key: bytes, *, k: int = 5, engine: str = "duckdb", spark_master: str = "local[*]") -> Settings:
    folder = Path(folder)
    if (folder / SETTINGS).exists():
        raise CallwatchError(f"{folder}: already a pool (its key and k are set once: {SETTINGS})")
    if k < 2:
        raise CallwatchError(f"k = {k}: a block or number reported by a single household would identify it; k is 2 or more")
    if engine not in ENGINES:
        raise CallwatchError(f"engine {engine!r}: one of {', '.join(ENGINES)}")
    check_owned(private_dir(folder), "pool folder")
    settings = Settings(keys.fingerprint(key), k, engine, spark_master)
    write_private(folder / SETTINGS, json.dumps({"format": 1, **settings.__dict__,
                                                 "created_by": f"callwatch {__version__}"}, indent=2) + "\n")
    write_private(folder / INDEX, json.dumps(_empty_index(), indent=2) + "\n")
    return settings


def _empty_index() -> dict:
    return {"format": INDEX_FORMAT, "next_batch": 1, "contributions": {}, "batches": {},
            "household_ids": {}, "next_household_id": 1}


class Pool:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        path = self.folder / SETTINGS
        if not path.exists():
            raise CallwatchError(f"{self.folder}: not a pool (no {SETTINGS}): make it with "
                                 f"`callwatch pool init --pool {self.folder} --association-key FILE`")
        check_owned(self.folder, "pool folder")
        try:
            doc = json.loads(path.read_text("utf-8"))
            self.settings = Settings(doc["key_fingerprint"], int(doc["k"]), doc["engine"],
                                     doc.get("spark_master", "local[*]"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CallwatchError(f"{path}: not a readable pool settings file ({exc})") from None
        self.index = self._read_index()

    def _read_index(self) -> dict:
        path = self.folder / INDEX
        try:
            index = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            return _empty_index()
        except (OSError, ValueError) as exc:
            raise CallwatchError(f"{path}: the pool's index cannot be read ({exc})") from None
        if not isinstance(index, dict) or not isinstance(index.get("format"), int):
            raise CallwatchError(f"{path}: not a pool index (no format number)")
        if index["format"] > INDEX_FORMAT:
            raise CallwatchError(f"{path}: written by a newer callwatch (index format {index['format']}, this "
                                 f"callwatch reads up to {INDEX_FORMAT}): upgrade callwatch to use this pool")
        return index

    @property
    def outdated(self) -> bool:
        """Written before household ids: its data files must be converted before a report reads them."""
        return self.index["format"] < INDEX_FORMAT

    def _locked(self):
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)            # one writer at a time: add, or a format conversion
        return fd

    def _write_index(self) -> None:
        write_private(self.folder / INDEX, json.dumps(self.index, indent=1, sort_keys=True) + "\n")

    # -- reading ------------------------------------------------------------------------------

    def data_files(self) -> list[Path]:
        return [self.folder / rel for b in sorted(self.index["batches"], key=int)
                for rel in self.index["batches"][b]["files"]]

    def contributions(self) -> dict:
        return self.index["contributions"]

    def rejects(self) -> Counter:
        total = Counter()
        for c in self.index["contributions"].values():
            total.update(c.get("rejected", {}))
        total.update(self.index.get("rejected_in_replaced", {}))
        return total

    # -- adding -------------------------------------------------------------------------------

    def add(self, paths, progress=None) -> list[AddResult]:
        fd = self._locked()
        try:
            self.index = self._read_index()
            self._remove_strays()
            self._convert()
            return self._add(list(paths), progress)
        finally:
            os.close(fd)

    def upgrade(self) -> bool:
        """Convert a pool written before household ids (what ``report`` does first); True if it was."""
        fd = self._locked()
        try:
            self.index = self._read_index()
            self._remove_strays()
            return self._convert()
        finally:
            os.close(fd)

    def _household_id(self, household: str) -> int:
        """The household's integer in this pool: given once, kept when its contribution is replaced."""
        ids = self.index["household_ids"]
        if household not in ids:
            ids[household] = self.index["next_household_id"]
            self.index["next_household_id"] += 1
        return ids[household]

    def _add(self, paths, progress) -> list[AddResult]:
        contributions = self.index["contributions"]
        current = {c["household"]: cid for cid, c in contributions.items()}
        pending: dict[str, tuple[dict, pa.Table]] = {}        # contribution id -> (record, rows), not yet written
        superseded: set[str] = set()
        results = []
        for i, path in enumerate(paths):
            if progress:
                progress(i, len(paths))
            result, record, table = self._check(Path(path))
            results.append(result)
            if record is None:
                continue
            cid = record["contribution"]
            if cid in contributions or cid in pending:
                result.status, result.message = "already", "this contribution is already in the pool"
                continue
            previous = current.get(record["household"])
            if previous is not None:
                before = pending[previous][0] if previous in pending else contributions[previous]
                if before["created_at_utc"] >= record["created_at_utc"]:
                    result.status = "older"
                    result.message = (f"the pool holds a newer contribution of this household (made "
                                      f"{before['created_at_utc'][:19]}Z): this one is not added")
                    continue
                result.status = "replaced"
                result.message = f"replaces this household's contribution made {before['created_at_utc'][:19]}Z"
                if previous in pending:
                    pending.pop(previous)
                else:
                    superseded.add(previous)
            current[record["household"]] = cid
            pending[cid] = (record, stored(table, self._household_id(record["household"])))
            if sum(t.num_rows for _, t in pending.values()) >= BATCH_ROWS:
                self._flush(pending)
        self._flush(pending)
        if superseded:
            self._drop(superseded)
        return results

    def _check(self, path: Path) -> tuple[AddResult, dict | None, pa.Table | None]:
        """A contribution read and checked: refused whole, or its valid rows and their record."""
        result = AddResult(path, "refused")
        try:
            pf = pq.ParquetFile(path)
            arrow_schema = pf.schema_arrow
        except FileNotFoundError:
            result.message = "no such file"
            return result, None, None
        except (pa.ArrowException, OSError) as exc:
            result.message = f"not a Parquet file ({str(exc).splitlines()[0][:200]})"
            return result, None, None
        raw = (arrow_schema.metadata or {}).get(schema.MANIFEST_KEY)
        if raw is None:
            result.message = "not a callwatch contribution (no contribution manifest inside the Parquet file)"
            return result, None, None
        try:
            manifest = json.loads(raw)
            problem = manifest_problem(manifest)
        except (ValueError, RecursionError):
            problem = "its manifest is not JSON"
        if problem:
            result.message = f"not a valid contribution: {problem}"
            return result, None, None
        if manifest["key_fingerprint"] != self.settings.key_fingerprint:
            result.message = ("made with another association key than this pool's (its key fingerprint "
                              f"{manifest['key_fingerprint'][:16]}..., the pool's {self.settings.key_fingerprint[:16]}...)")
            return result, None, None
        wanted = {f.name: f.type for f in schema.SCHEMA}
        found = {f.name: f.type for f in arrow_schema}
        if found != wanted:
            diff = sorted(set(wanted.items()) ^ set(found.items()), key=str)[:3]
            result.message = ("not the contribution schema (format version "
                              f"{schema.FORMAT_VERSION}): columns differ: {', '.join(f'{n} {t}' for n, t in diff)}")
            return result, None, None
        try:
            table = pf.read().replace_schema_metadata(None).cast(schema.SCHEMA, safe=False)
        except (pa.ArrowException, OSError) as exc:
            result.message = f"its rows cannot be read ({str(exc).splitlines()[0][:200]})"
            return result, None, None
        result.read = table.num_rows
        if manifest["rows"] != table.num_rows:
            result.status = "refused"
            result.message = (f"holds {table.num_rows} rows where its manifest says {manifest['rows']}: "
                              f"a truncated or altered file")
            return result, None, None
        kept, rejected = validate(table, manifest)
        result.kept, result.rejected = kept.num_rows, dict(rejected)
        result.status = "added"
        record = {"contribution": manifest["contribution"], "household": manifest["household"],
                  "created_at_utc": manifest["created_at_utc"], "rule_pack": manifest["rule_pack"],
                  "area": manifest["area"], "packs": manifest.get("packs", []), "source": path.name,
                  "added_at_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "read": result.read, "rows": kept.num_rows, "rejected": result.rejected,
                  "callwatch_version": manifest["callwatch_version"]}
        return result, record, kept

    def _flush(self, pending: dict) -> None:
        """Write the pending contributions' rows as one batch, then record them in the index."""
        if not pending:
            return
        table = pa.concat_tables([t for _, t in pending.values()])
        batch = self.index["next_batch"]
        files = self._write_batch(batch, table)
        self.index["batches"][str(batch)] = {"files": files, "rows": table.num_rows}
        self.index["next_batch"] = batch + 1
        for cid, (record, _t) in pending.items():
            self.index["contributions"][cid] = {**record, "batch": batch}
        self._write_index()
        pending.clear()

    def _write_batch(self, batch: int, table: pa.Table) -> list[str]:
        files = []
        if table.num_rows == 0:
            return files
        keys_ = pc.binary_join_element_wise(table["rule_pack"], table["month"], "/")
        for key in sorted(pc.unique(keys_).to_pylist()):
            rule_pack, month = key.split("/")
            part = table.filter(pc.equal(keys_, key))
            rel = f"{DATA}/rule_pack={rule_pack}/month={month}/b{batch:06d}.parquet"
            private_dir((self.folder / rel).parent)
            sink = pa.BufferOutputStream()
            pq.write_table(part, sink, compression="zstd")
            write_private(self.folder / rel, sink.getvalue().to_pybytes())
            files.append(rel)
        return files

    def _drop(self, superseded: set[str]) -> None:
        """Rewrite the batches holding replaced contributions without their rows; then forget them."""
        contributions = self.index["contributions"]
        gone_ids = pa.array(sorted(superseded))

        def without(table: pa.Table) -> pa.Table:
            table = table.cast(schema.POOL_SCHEMA)
            return table.filter(pc.invert(pc.is_in(table["contribution"], gone_ids)))

        gone = self.index.setdefault("rejected_in_replaced", {})
        for cid in superseded:
            for reason, n in contributions[cid].get("rejected", {}).items():
                gone[reason] = gone.get(reason, 0) + n
        self._rewrite({contributions[cid]["batch"] for cid in superseded}, schema.POOL_SCHEMA, without,
                      forget=superseded)

    def _convert(self) -> bool:
        """A pool of index format 1 (households named by pseudonym in the data files): every batch
        rewritten with the households' integer ids, given in the order their contributions were added."""
        if not self.outdated:
            return False
        contributions = self.index["contributions"]
        self.index.setdefault("household_ids", {})
        self.index.setdefault("next_household_id", 1)
        for _cid, c in sorted(contributions.items(), key=lambda kv: (kv[1].get("added_at_utc", ""), kv[0])):
            self._household_id(c["household"])
        pseudonyms = pa.array(list(self.index["household_ids"]), pa.string())
        ids = pa.array(list(self.index["household_ids"].values()), pa.int32())

        def with_ids(table: pa.Table) -> pa.Table:
            table = table.cast(schema.SCHEMA)
            # every row's household is its contribution's (pool add checked it), so each is in the index
            hid = pc.take(ids, pc.index_in(table["household"], value_set=pseudonyms))
            return stored(table, hid)

        self.index["format"] = INDEX_FORMAT          # written with the converted batches, never before them
        self._rewrite({int(b) for b in self.index["batches"]}, schema.SCHEMA, with_ids)
        return True

    def _rewrite(self, batches: set[int], read_as: pa.Schema, transform, forget=frozenset()) -> None:
        """Each batch read whole, transformed, written as a new batch; the index (written after the
        new files, before the old ones are removed) points the contributions at it and forgets
        ``forget``: a crash leaves either pool, never a mix."""
        contributions = self.index["contributions"]
        old_files = []
        for batch in sorted(batches):
            entry = self.index["batches"].pop(str(batch))
            paths = [self.folder / rel for rel in entry["files"]]
            old_files += paths
            table = pa.concat_tables([pq.read_table(p) for p in paths]) if paths else read_as.empty_table()
            table = transform(table)
            new = self.index["next_batch"]
            self.index["next_batch"] = new + 1
            files = self._write_batch(new, table)
            self.index["batches"][str(new)] = {"files": files, "rows": table.num_rows}
            for cid, c in contributions.items():
                if c["batch"] == batch and cid not in forget:
                    c["batch"] = new
        for cid in forget:
            contributions.pop(cid)
        self._write_index()
        for p in old_files:
            p.unlink(missing_ok=True)

    def _remove_strays(self) -> None:
        """Data files no batch lists: left by an add that stopped before recording them."""
        listed = {str(p) for p in self.data_files()}
        data = self.folder / DATA
        if data.exists():
            for p in data.rglob("*.parquet"):
                if str(p) not in listed:
                    p.unlink()


def stored(table: pa.Table, household_id) -> pa.Table:
    """A contribution's rows as the pool stores them: the household's pseudonym replaced by its id
    (one integer for the whole table, or one per row)."""
    n = table.num_rows
    column = (household_id if isinstance(household_id, (pa.Array, pa.ChunkedArray))
              else pa.array([household_id] * n, pa.int32()))
    i = table.schema.get_field_index("household")
    return table.set_column(i, schema.POOL_SCHEMA.field("household_id"), column.cast(pa.int32()))


def manifest_problem(m) -> str | None:
    """What is wrong with a contribution's manifest's shape, or None."""
    if not isinstance(m, dict):
        return "its manifest is not an object"
    if m.get("format") != schema.FORMAT:
        return "its manifest is not a callwatch contribution's"
    if m.get("format_version") != schema.FORMAT_VERSION:
        return f"format version {m.get('format_version')!r}, this callwatch reads {schema.FORMAT_VERSION}"
    for key, kind in (("contribution", str), ("household", str), ("key_fingerprint", str), ("created_at_utc", str),
                      ("callwatch_version", str), ("rule_pack", dict), ("rows", int)):
        if not isinstance(m.get(key), kind) or isinstance(m.get(key), bool):
            return f"its manifest's {key} is missing or of the wrong kind"
    if not re.fullmatch(r"[0-9a-f]{32}", m["contribution"]):
        return "its contribution id is not 32 hexadecimal digits"
    if not re.fullmatch(r"[0-9a-f]{64}", m["household"]):
        return "its household pseudonym is not a SHA-256 HMAC"
    if not _CREATED.fullmatch(m["created_at_utc"]):
        return "its creation time is not a UTC time"
    pack = m["rule_pack"]
    if not (isinstance(pack.get("id"), str) and re.fullmatch(r"[a-z0-9_-]{1,32}", pack["id"])
            and isinstance(pack.get("version"), str)):
        return "its rule pack is not named"
    if m.get("area") is not None and not (isinstance(m["area"], str) and re.fullmatch(schema.AREA_RE, m["area"])):
        return "its area is finer than a département, a postcode's first half or a state"
    return None


def validate(table: pa.Table, manifest: dict) -> tuple[pa.Table, Counter]:
    """The rows a contribution may hold, and the others counted by their first reason."""
    n = table.num_rows
    if n == 0:
        return table, Counter()
    col = table.column
    tier, category = col("tier"), col("category")
    counted = pc.is_in(tier, pa.array(schema.COUNTED_TIERS))
    number, blk = col("caller_number"), col("caller_block")
    rules = col("rules_broken")
    pack = manifest["rule_pack"]

    def f(mask):       # null (a missing value) counts as failing the check
        return pc.fill_null(mask, True)

    flat = pc.list_flatten(rules)
    foreign = pc.invert(pc.starts_with(flat, pack["id"] + "."))
    bad_rule = [False] * n
    for parent in pc.filter(pc.list_parent_indices(rules), pc.fill_null(foreign, True)).to_pylist():
        bad_rule[parent] = True
    required = [c for c, _k, nullable, _w in schema.COLUMNS if not nullable]
    missing = None
    for name in required:
        m = pc.is_null(col(name))
        missing = m if missing is None else pc.or_(missing, m)
    checks = [
        ("a required value is missing", missing),
        ("another household or contribution than its manifest's",
         pc.or_(f(pc.not_equal(col("household"), manifest["household"])),
                f(pc.not_equal(col("contribution"), manifest["contribution"])))),
        ("another rule pack than its manifest's", pc.or_(f(pc.not_equal(col("rule_pack"), pack["id"])),
                                                          f(pc.not_equal(col("rule_pack_version"), pack["version"])))),
        ("an area other than its manifest's", pc.invert(pc.fill_null(pc.equal(col("area"), manifest["area"]), False))
         if manifest["area"] is not None else pc.is_valid(col("area"))),
        ("a tier no contribution holds (excluded calls never leave)", pc.invert(f(pc.is_in(tier, pa.array(schema.SHARED_TIERS))))),
        ("an unknown finding category", pc.invert(f(pc.is_in(category, pa.array(schema.CATEGORIES))))),
        ("a repeated caller nobody confirmed", pc.and_(f(pc.equal(category, "nuisance")), f(pc.not_equal(tier, "confirmed")))),
        ("an unknown outcome", pc.invert(f(pc.is_in(col("outcome"), pa.array(schema.OUTCOMES))))),
        ("an hour outside 0-23 or a weekday outside 0-6",
         pc.or_(f(pc.or_(pc.less(col("local_hour"), 0), pc.greater(col("local_hour"), 23))),
                f(pc.or_(pc.less(col("local_weekday"), 0), pc.greater(col("local_weekday"), 6))))),
        ("a month that is not YYYY-MM", pc.invert(f(pc.match_substring_regex(col("month"), schema.MONTH_RE)))),
        ("a negative talk time or precision", pc.or_(f(pc.less(pc.fill_null(col("duration_s"), 0), 0)),
                                                     pc.or_(f(pc.less(col("duration_precision_s"), 0)),
                                                            f(pc.less(col("time_precision_s"), 0))))),
        ("a caller's number where only its block may leave (not attributed to a company)",
         pc.and_(pc.is_valid(number), pc.invert(pc.or_(counted, f(pc.equal(category, "automated")))))),
        ("a caller's number that is not a telephone number",
         pc.and_(pc.is_valid(number), pc.invert(pc.fill_null(pc.match_substring_regex(number, schema.NUMBER_RE), True)))),
        ("a block that is not a number block (+33162345xxx)",
         pc.and_(pc.is_valid(blk), pc.invert(pc.fill_null(pc.match_substring_regex(blk, schema.BLOCK_RE), True)))),
        ("rules broken by a call that is not counted", pc.and_(pc.greater(pc.list_value_length(rules), 0),
                                                              pc.invert(counted))),
        ("a rule of another rule pack", pa.array(bad_rule)),
    ]
    bad = pa.array([False] * n)
    rejected = Counter()
    for reason, mask in checks:
        mask = pc.fill_null(mask, True)
        new = pc.and_(mask, pc.invert(bad))
        count = pc.sum(new).as_py() or 0
        if count:
            rejected[reason] += count
            bad = pc.or_(bad, new)
    return table.filter(pc.invert(bad)), rejected
