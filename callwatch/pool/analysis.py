"""The pool's figures, written once as SQL and run on DuckDB (one machine) or on Apache Spark
(when the pool outgrows one), so the two cannot drift apart.

Why SQL transpiled with SQLGlot rather than Ibis: the figures are a dozen GROUP BY queries over
one table, which read best as SQL (the report's method section can quote them as they ran);
SQLGlot is one pure-Python package (Ibis itself compiles through it), where Ibis would add its
expression layer and a PySpark backend pinned to its own range of PySpark versions. Each query is
written in DuckDB's dialect, run as is on DuckDB, and transpiled to Spark SQL by SQLGlot for
Spark. The queries return integers and text only; every share and median is computed in Python
from those integers (``report.py``), so both engines give the same figures exactly.

Privacy is in the queries themselves: an operator is named only when at least k households
named it (per rule pack), a block or a number and an area are listed only when at least k
households report them. Every figure is kept apart per rule pack: a household's calls are judged by
the law it lives under, and the rule ids are the pack's own (``fr.d223-9.frequency``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from callwatch.errors import CallwatchError

COUNTED_SQL = "('declared', 'same-block', 'confirmed')"
NOT_NAMED = "(not named)"

# Made once, in order, before the queries: the operators named by at least k households, the counted
# calls with the operator as the report shows it, the blocks at least k households report. The two
# small ones are tables (DuckDB computes them once, where a view would be computed again by every query
# using it: a pass over the whole pool each time); SQLGlot makes them temporary views on Spark.
VIEWS = [
    """
    CREATE TEMPORARY TABLE named_operators AS
    SELECT rule_pack, operator
    FROM calls
    WHERE tier IN {counted} AND operator IS NOT NULL
    GROUP BY rule_pack, operator
    HAVING COUNT(DISTINCT household_id) >= {k}
    """,
    """
    CREATE OR REPLACE TEMPORARY VIEW counted AS
    SELECT c.*,
           CASE WHEN c.operator IS NULL THEN '{not_named}'
                WHEN n.operator IS NULL THEN '(named by fewer than {k} households)'
                ELSE c.operator END AS shown_operator
    FROM calls AS c
    LEFT JOIN named_operators AS n ON n.rule_pack = c.rule_pack AND n.operator = c.operator
    WHERE c.tier IN {counted}
    """,
    """
    CREATE TEMPORARY TABLE shown_blocks AS
    SELECT rule_pack, caller_block,
           COUNT(DISTINCT household_id) AS households,
           COUNT(*) AS calls,
           SUM(CASE WHEN tier IN {counted} THEN 1 ELSE 0 END) AS counted_calls,
           COUNT(DISTINCT caller_number) AS numbers_named,
           MIN(month) AS first_month,
           MAX(month) AS last_month
    FROM calls
    WHERE caller_block IS NOT NULL
    GROUP BY rule_pack, caller_block
    HAVING COUNT(DISTINCT household_id) >= {k}
    """,
]

# name -> (query, columns). Each groups by rule pack first.
QUERIES: dict[str, str] = {
    "totals": """
        SELECT rule_pack,
               COUNT(DISTINCT household_id) AS households,
               COUNT(DISTINCT contribution) AS contributions,
               COUNT(*) AS calls,
               SUM(CASE WHEN tier IN {counted} THEN 1 ELSE 0 END) AS counted_calls,
               SUM(CASE WHEN tier IN {counted} THEN 0 ELSE 1 END) AS lead_calls,
               MIN(month) AS first_month,
               MAX(month) AS last_month
        FROM calls
        GROUP BY rule_pack
    """,
    "rule_pack_versions": """
        SELECT rule_pack, rule_pack_version, COUNT(DISTINCT household_id) AS households
        FROM calls
        GROUP BY rule_pack, rule_pack_version
    """,
    "operators": """
        SELECT rule_pack, shown_operator AS operator,
               COUNT(DISTINCT household_id) AS households,
               COUNT(*) AS calls,
               SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END) AS answered,
               SUM(CASE WHEN silent THEN 1 ELSE 0 END) AS silent,
               SUM(CASE WHEN ARRAY_LENGTH(rules_broken) > 0 THEN 1 ELSE 0 END) AS calls_breaking_a_rule,
               MIN(month) AS first_month,
               MAX(month) AS last_month
        FROM counted
        GROUP BY rule_pack, shown_operator
    """,
    "breaches_total": """
        WITH b AS (
            SELECT rule_pack, shown_operator, household_id, UNNEST(rules_broken) AS rule
            FROM counted
        )
        SELECT rule_pack, shown_operator AS operator, rule,
               COUNT(*) AS calls, COUNT(DISTINCT household_id) AS households
        FROM b
        GROUP BY rule_pack, shown_operator, rule
    """,
    "operator_months": """
        SELECT rule_pack, shown_operator AS operator, month,
               COUNT(DISTINCT household_id) AS households,
               COUNT(*) AS calls,
               SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END) AS answered,
               SUM(CASE WHEN silent THEN 1 ELSE 0 END) AS silent,
               SUM(CASE WHEN "short" THEN 1 ELSE 0 END) AS short_calls,
               SUM(CASE WHEN outcome = 'missed' THEN 1 ELSE 0 END) AS missed,
               SUM(CASE WHEN withheld THEN 1 ELSE 0 END) AS withheld,
               SUM(CASE WHEN ARRAY_LENGTH(rules_broken) > 0 THEN 1 ELSE 0 END) AS calls_breaking_a_rule
        FROM counted
        GROUP BY rule_pack, shown_operator, month
    """,
    "calls_per_household": """
        WITH per AS (
            SELECT rule_pack, shown_operator, month, household_id, COUNT(*) AS n
            FROM counted
            GROUP BY rule_pack, shown_operator, month, household_id
        )
        SELECT rule_pack, shown_operator AS operator, month, n AS calls, COUNT(*) AS households
        FROM per
        GROUP BY rule_pack, shown_operator, month, n
    """,
    "breaches": """
        WITH b AS (
            SELECT rule_pack, shown_operator, month, household_id, UNNEST(rules_broken) AS rule
            FROM counted
        )
        SELECT rule_pack, shown_operator AS operator, month, rule,
               COUNT(*) AS calls, COUNT(DISTINCT household_id) AS households
        FROM b
        GROUP BY rule_pack, shown_operator, month, rule
    """,
    "blocks": """
        SELECT rule_pack, caller_block AS block, households, calls, counted_calls, numbers_named,
               first_month, last_month
        FROM shown_blocks
    """,
    "block_operators": """
        SELECT c.rule_pack, c.caller_block AS block, c.shown_operator AS operator,
               COUNT(DISTINCT c.household_id) AS households, COUNT(*) AS calls
        FROM counted AS c
        JOIN shown_blocks AS s ON s.rule_pack = c.rule_pack AND s.caller_block = c.caller_block
        GROUP BY c.rule_pack, c.caller_block, c.shown_operator
    """,
    "numbers": """
        SELECT rule_pack, caller_number AS number, caller_block AS block,
               COUNT(DISTINCT household_id) AS households,
               COUNT(*) AS calls,
               SUM(CASE WHEN tier IN {counted} THEN 1 ELSE 0 END) AS counted_calls
        FROM calls
        WHERE caller_number IS NOT NULL
        GROUP BY rule_pack, caller_number, caller_block
        HAVING COUNT(DISTINCT household_id) >= {k}
    """,
    "heatmap": """
        SELECT rule_pack, shown_operator AS operator, local_weekday AS weekday, local_hour AS hour,
               COUNT(*) AS calls
        FROM counted
        GROUP BY rule_pack, shown_operator, local_weekday, local_hour
    """,
    "areas": """
        SELECT rule_pack, area, COUNT(DISTINCT household_id) AS households
        FROM calls
        WHERE area IS NOT NULL
        GROUP BY rule_pack, area
        HAVING COUNT(DISTINCT household_id) >= {k}
    """,
}


def statements(k: int) -> tuple[list[str], dict[str, str]]:
    """The views and queries with k in place (an integer: nothing else is ever formatted in)."""
    k = int(k)
    fill = {"counted": COUNTED_SQL, "k": k, "not_named": NOT_NAMED}
    views = [" ".join(v.split()).format(**fill) for v in VIEWS]
    return views, {name: " ".join(q.split()).format(**fill) for name, q in QUERIES.items()}


def _value(v):
    if isinstance(v, bool):
        return int(v)
    if hasattr(v, "__int__") and not isinstance(v, (int, str, float)):
        return int(v)                 # Decimal / numpy integers from either engine
    return v


_PLAIN = {int, str, float, type(None)}


def _order(r):
    return tuple((v is None, str(type(v)), v if v is not None else 0) for v in r)


def _sorted(rows) -> list[tuple]:
    """The rows as plain Python values, in one order whichever engine gave them. A table can hold
    half a million rows (every number k households reported), so the work is done column-wise:
    values converted only when an engine gave another kind than int or text, and the general order
    (missing values last) through a key only when a column holds a missing value or mixed kinds;
    otherwise tuples compare exactly as that key would order them."""
    rows = [tuple(r) for r in rows]
    if not rows:
        return rows
    kinds = [set(map(type, column)) for column in zip(*rows)]
    if any(not k <= _PLAIN for k in kinds):
        rows = [tuple(map(_value, r)) for r in rows]
        kinds = [set(map(type, column)) for column in zip(*rows)]
    if all(len(k) == 1 and type(None) not in k for k in kinds):
        return sorted(rows)
    return sorted(rows, key=_order)


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, files: list[Path], *, memory_limit: str = "2GB", temp_dir: Path | None = None,
                 threads: int | None = None):
        import duckdb
        self.version = duckdb.__version__
        self.con = duckdb.connect(config={"memory_limit": memory_limit,
                                          "threads": threads or os.cpu_count() or 1,
                                          **({"temp_directory": str(temp_dir)} if temp_dir else {})})
        listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
        if files:
            self.con.execute(f"CREATE VIEW calls AS SELECT * FROM read_parquet([{listed}])")
        else:
            from callwatch.pool.schema import POOL_SCHEMA
            self._empty = POOL_SCHEMA.empty_table()
            self.con.register("calls", self._empty)

    def execute(self, sql: str) -> None:
        self.con.execute(sql)

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        cur = self.con.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    """The same statements on Spark: SQLGlot turns DuckDB's dialect into Spark SQL."""
    name = "spark"

    def __init__(self, files: list[Path], *, master: str = "local[*]", shuffle_partitions: int = 8):
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise CallwatchError("the pool is set to run on Spark, and PySpark is not installed: "
                                 "pip install 'callwatch[spark]' (and a Java runtime: apt-get install "
                                 "default-jre-headless)") from None
        import pyspark
        self.version = pyspark.__version__
        logging.getLogger("py4j").setLevel(logging.WARNING)
        try:
            self.spark = (SparkSession.builder.master(master).appName("callwatch-pool")
                          .config("spark.ui.enabled", "false")
                          .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
                          .config("spark.sql.session.timeZone", "UTC")
                          .getOrCreate())
        except Exception as exc:          # no Java, a master that does not answer: one sentence
            raise CallwatchError(f"Spark could not start ({str(exc).splitlines()[0][:300]}): is a Java runtime "
                                 "installed (apt-get install default-jre-headless)?") from None
        self.spark.sparkContext.setLogLevel("ERROR")
        if files:
            # recursiveFileLookup: the partition columns are inside the files; no inference from the paths
            df = self.spark.read.option("recursiveFileLookup", "true").parquet(*[str(p) for p in files])
        else:
            from callwatch.pool.schema import POOL_SCHEMA
            df = self.spark.createDataFrame([], _spark_schema(POOL_SCHEMA))
        df.createOrReplaceTempView("calls")

    @staticmethod
    def transpile(sql: str) -> str:
        import sqlglot
        return sqlglot.transpile(sql, read="duckdb", write="spark")[0]

    def execute(self, sql: str) -> None:
        self.spark.sql(self.transpile(sql))

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        df = self.spark.sql(self.transpile(sql))
        return df.columns, [tuple(r) for r in df.collect()]

    def close(self) -> None:
        self.spark.stop()


def _spark_schema(arrow_schema):
    from pyspark.sql import types as T
    simple = {"string": T.StringType(), "int8": T.ByteType(), "int16": T.ShortType(), "int32": T.IntegerType(),
              "bool": T.BooleanType(), "timestamp[ms, tz=UTC]": T.TimestampType()}
    fields = []
    for f in arrow_schema:
        kind = simple.get(str(f.type), T.ArrayType(T.StringType()))
        fields.append(T.StructField(f.name, kind, True))
    return T.StructType(fields)


def engine_for(name: str, files: list[Path], *, spark_master: str = "local[*]", temp_dir: Path | None = None):
    if name == "duckdb":
        return DuckDBEngine(files, temp_dir=temp_dir)
    if name == "spark":
        return SparkEngine(files, master=spark_master)
    raise CallwatchError(f"engine {name!r}: one of duckdb, spark")


def run(engine, k: int) -> dict[str, dict]:
    """Every query on this engine: name -> {"columns": [...], "rows": [tuples, sorted]}."""
    views, queries = statements(k)
    for v in views:
        engine.execute(v)
    out = {}
    for name, sql in queries.items():
        columns, rows = engine.query(sql)
        out[name] = {"columns": list(columns), "rows": _sorted(rows)}
    return out
