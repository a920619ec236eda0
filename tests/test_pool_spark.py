"""The pool's analysis on Spark (local mode) gives the figures DuckDB gives, every one of them.

Skipped where PySpark or a Java runtime is missing; CI installs both (.ci/run: the `spark` extra and
Debian's default-jre-headless). One Spark session for the whole file (its start is most of the cost)."""

from __future__ import annotations

import shutil

import pytest

import pool_households as ph
from callwatch.pool import analysis, contribute, pool as pool_mod, report

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("no Java runtime (apt-get install default-jre-headless)", allow_module_level=True)

KEY = bytes.fromhex("33" * 32)


def test_spark_and_duckdb_agree_figure_for_figure(make_household, tmp_path):
    homes = [ph.make(make_household, f"fr{i}", ph.FR_CONFIG, ph.fr_events(20 + i), "Europe/Paris") for i in range(3)]
    homes.append(ph.make(make_household, "uk", ph.UK_CONFIG, ph.uk_events(), "Europe/London"))
    homes.append(ph.make(make_household, "us", ph.US_CONFIG, ph.us_events(), "America/New_York"))
    files = []
    for i, h in enumerate(homes):
        out = tmp_path / f"c{i}.parquet"
        contribute.write(contribute.gather(h.store, h.config, KEY, area="address" if i == 0 else None), out)
        files.append(out)
    pool_mod.init(tmp_path / "pool", KEY, k=2)
    p = pool_mod.Pool(tmp_path / "pool")
    assert all(r.status == "added" for r in p.add(files))

    duck = analysis.DuckDBEngine(p.data_files())
    try:
        on_duckdb = analysis.run(duck, p.settings.k)
    finally:
        duck.close()
    spark = analysis.SparkEngine(p.data_files(), master="local[2]", shuffle_partitions=2)
    try:
        on_spark = analysis.run(spark, p.settings.k)
    finally:
        spark.close()

    assert set(on_spark) == set(on_duckdb) == set(analysis.QUERIES)
    for name in analysis.QUERIES:
        assert on_spark[name]["columns"] == on_duckdb[name]["columns"], name
        assert on_spark[name]["rows"] == on_duckdb[name]["rows"], name
    # not an empty agreement: the pool has figures in every table k lets through
    for name in ("totals", "operators", "operator_months", "calls_per_household", "breaches", "breaches_total",
                 "blocks", "numbers", "heatmap"):
        assert on_duckdb[name]["rows"], name
    assert {r[0] for r in on_duckdb["totals"]["rows"]} == {"fr", "uk", "us"}
    assert report.derive(on_spark, 2) == report.derive(on_duckdb, 2)
