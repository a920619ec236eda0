#!/usr/bin/env python3
"""The association pool at scale: a synthetic pool of HOUSEHOLDS contributions of CALLS calls each.

    .venv/bin/python bench/run_pool.py 10000 1000       # 10^7 rows (the issue's size)
    .venv/bin/python bench/run_pool.py 30000 1000       # 3 x 10^7, the second point
    .venv/bin/python bench/run_pool.py 10000 1000 --spark   # also the report on Spark (local mode)
    .venv/bin/python bench/run_pool.py 10000 1000 --repeat 3 --reuse-pool   # the report 3 times, no new add
    .venv/bin/python bench/run_pool.py 10000 1000 --operator-numbers 200    # dialers rotating among 200 numbers each

Contributions are generated as the real writer writes them (contribute.Contribution: the schema,
the manifest inside), spread over three rule packs, 60 operators, 12 months and a few hundred
number blocks, under bench/out/. Then `pool add` of every file and `pool report` each run in their
own process, and their wall time and peak memory (ru_maxrss) are measured. Prints a `BENCH {json}`
line, like the other benchmarks. `--repeat N` runs the report N times (each in a fresh process) and
gives every time, so the spread on a shared machine shows; `--reuse-pool` keeps the pool a previous
run added (the report alone is measured).

By default any operator calls from any number of its pack's 300 blocks (300,000 numbers a country),
so that nearly every number ends up reported by k households: a worst case for the list of numbers,
not a real pool (README, "association pool"). `--operator-numbers N` gives each operator's dialer N
numbers of its own instead, as call centres rotate caller IDs within the ranges they hold.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

PACKS = (("fr", "2026.12", 0.7), ("uk", "2026.12", 0.15), ("us", "2026.12", 0.15))
RULES = {"fr": ["fr.d223-9.hours", "fr.d223-9.frequency", "fr.rgpd-21.objection"],
         "uk": ["uk.ofcom.abandoned-rate", "uk.ofcom.repeat-72h"], "us": ["us.tcpa.hours", "us.tcpa.dnc"]}
TIERS = ("declared", "same-block", "confirmed", "rotation", "probable")
OUTCOMES = ("answered", "missed", "rejected", "voicemail")
KEY = bytes.fromhex("00" * 32)


def generate(folder: Path, households: int, calls: int, operator_numbers: int | None = None) -> list[Path]:
    import numpy as np
    import pyarrow as pa
    from callwatch.pool import keys, schema
    from callwatch.pool.contribute import Contribution
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(19)
    fp = keys.fingerprint(KEY)
    paths = []
    base_ms = 1_767_225_600_000          # 2026-01-01 UTC
    for h in range(households):
        path = folder / f"h{h:06d}.parquet"
        paths.append(path)
        if path.exists():
            continue
        r = rng.random()
        pack, version, _ = PACKS[0] if r < 0.7 else PACKS[1] if r < 0.85 else PACKS[2]
        cc = {"fr": "+33", "uk": "+44", "us": "+1"}[pack]
        household = keys.pseudonym(KEY, h.to_bytes(32, "big"))
        cid = f"{h:032x}"
        n = calls
        op = rng.integers(0, 20, n)
        start = base_ms + np.sort(rng.integers(0, 365 * 86_400_000, n))
        month = (start - base_ms) // (30.5 * 86_400_000)
        month = np.minimum(month, 11).astype(int) + 1
        tier = np.array(TIERS)[rng.choice(5, n, p=[0.5, 0.2, 0.1, 0.15, 0.05])]
        counted = np.isin(tier, ["declared", "same-block", "confirmed"])
        if operator_numbers:        # each operator's dialer rotates among its own numbers, consecutive
            own = op * operator_numbers + rng.integers(0, operator_numbers, n)
            numbers = [f"{cc}1623{x:06d}" for x in own]
            blocks = [x[:-3] for x in numbers]
        else:                       # any operator calls from any number of the pack's 300 blocks
            blocks = [f"{cc}1623{b:03d}" for b in rng.integers(0, 300, n)]
            numbers = [b + f"{x:03d}" for b, x in zip(blocks, rng.integers(0, 1000, n))]
        outcome = np.array(OUTCOMES)[rng.integers(0, 4, n)]
        duration = np.where(outcome == "answered", rng.integers(0, 300, n), 0)
        rules = [list(rng.choice(RULES[pack], rng.integers(0, 3), replace=False)) if c else [] for c in counted]
        table = pa.table({
            "contribution": [cid] * n, "household": [household] * n, "area": [None] * n,
            "rule_pack": [pack] * n, "rule_pack_version": [version] * n,
            "finding": pa.array(op % 3 + 1, pa.int16()), "category": ["operator"] * n,
            "operator": [f"{pack} operator {o}" for o in op],
            "start_utc": pa.array(start, pa.timestamp("ms", tz="UTC")),
            "month": [f"2026-{m:02d}" for m in month],
            "local_hour": pa.array(rng.integers(8, 21, n), pa.int8()),
            "local_weekday": pa.array(rng.integers(0, 7, n), pa.int8()),
            "outcome": outcome, "silent": (outcome == "answered") & (duration <= 3), "short": [False] * n,
            "withheld": [False] * n, "duration_s": pa.array(duration, pa.int32()),
            "duration_precision_s": pa.array([1] * n, pa.int32()), "time_precision_s": pa.array([1] * n, pa.int32()),
            "caller_number": [num if c else None for num, c in zip(numbers, counted)],
            "caller_block": [b + "xxx" for b in blocks], "tier": tier,
            "rules_broken": pa.array(rules, pa.list_(pa.string())),
        }, schema=schema.SCHEMA)
        manifest = {"format": schema.FORMAT, "format_version": schema.FORMAT_VERSION, "contribution": cid,
                    "household": household, "key_fingerprint": fp, "created_at_utc": "2026-12-01T00:00:00.000000Z",
                    "callwatch_version": "bench", "rule_pack": {"id": pack, "version": version}, "area": None,
                    "rows": n, "findings": [], "packs": [], "left_out": {}}
        path.write_bytes(Contribution(table, manifest).parquet_bytes())
    return paths


def child(what: str, pool_dir: str, arg: str) -> None:
    """Run in its own process: one `pool add` (every file of a folder) or one `pool report`."""
    from callwatch.pool import pool, report
    t = time.perf_counter()
    if what == "add":
        files = sorted(Path(arg).glob("*.parquet"))
        results = pool.Pool(Path(pool_dir)).add(files)
        extra = {"files": len(files), "rows": sum(r.kept for r in results),
                 "refused": sum(r.status == "refused" for r in results)}
    else:
        engine = arg
        result = report.make(pool.Pool(Path(pool_dir)), Path(pool_dir).parent / f"report-{engine}", engine=engine)
        extra = {"operator_months": len(result.figures["operator_months"]), "blocks": len(result.figures["blocks"]),
                 "numbers": len(result.figures["numbers"])}
    seconds = time.perf_counter() - t
    # this process's peak (DuckDB and pyarrow live in it) and its children's (Spark's JVM)
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print("CHILD " + json.dumps({"seconds": seconds, "peak_mb": round(peak_kb / 1024, 1), **extra}))


def measure(*args) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stdout[-3000:] + out.stderr[-3000:])
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("CHILD "))
    return json.loads(line[6:])


def main():
    if sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return
    households, calls = int(sys.argv[1]), int(sys.argv[2])
    spark = "--spark" in sys.argv
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    reuse = "--reuse-pool" in sys.argv
    rotation = int(sys.argv[sys.argv.index("--operator-numbers") + 1]) if "--operator-numbers" in sys.argv else None
    root = HERE / "out" / (f"pool-{households}x{calls}" + (f"-rotating{rotation}" if rotation else ""))
    t = time.perf_counter()
    files = generate(root / "contributions", households, calls, rotation)
    gen_s = time.perf_counter() - t
    pool_dir = root / "pool"
    from callwatch.pool import pool
    result = {"households": households, "calls_per_household": calls, "rows": households * calls,
              "operator_numbers": rotation,
              "files": len(files), "generate_s": round(gen_s, 1)}
    if not (reuse and (pool_dir / pool.INDEX).exists()):
        shutil.rmtree(pool_dir, ignore_errors=True)
        pool.init(pool_dir, KEY)
        add = measure("add", str(pool_dir), str(root / "contributions"))
        result.update(add_s=round(add["seconds"], 1), add_rows_per_s=round(add["rows"] / add["seconds"]),
                      add_peak_mb=add["peak_mb"], add_rows=add["rows"], add_refused=add["refused"])
    runs = [measure("report", str(pool_dir), "duckdb") for _ in range(repeat)]
    times = sorted(r["seconds"] for r in runs)
    result.update(report_s=round(times[len(times) // 2], 1), report_runs_s=[round(r["seconds"], 1) for r in runs],
                  report_peak_mb=max(r["peak_mb"] for r in runs), report_peaks_mb=[r["peak_mb"] for r in runs],
                  numbers_shown=runs[0]["numbers"], load_1min=round(os.getloadavg()[0], 2),
                  dataset_mb=round(sum(p.stat().st_size for p in (pool_dir / "data").rglob("*.parquet")) / 2**20, 1))
    if spark:
        sp = measure("report", str(pool_dir), "spark")
        result.update(spark_report_s=round(sp["seconds"], 1), spark_report_peak_mb=sp["peak_mb"])
    print("BENCH " + json.dumps(result))


if __name__ == "__main__":
    main()
