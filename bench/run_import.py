"""Import benchmark: callwatch vs the sqlite3 shell's .import and `sqlite-utils insert --csv`.

Generates a 1,000,000-call Asterisk Master.csv (about 20,000 distinct numbers), then loads
it three ways, each in its own process into a fresh database, in one run on one machine:

* ``sqlite3 db ".import --csv"``: the C loader, raw text, no parsing: the practical floor;
* ``sqlite-utils insert --csv``: what a user would otherwise reach for;
* ``callwatch import``: recognise, archive and hash, parse, convert local time to UTC,
  normalise numbers, deduplicate, index, in one transaction.

Prints wall time, peak RSS of each process and the ratios the targets are set in: the sqlite3
shell and callwatch run ROUNDS times, alternated, and their medians are compared (every run is
printed); sqlite-utils, 90 s a run, once.
Usage: python bench/run_import.py [ROWS]   (README gives the exact command)
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
VENV_BIN = Path(sys.executable).parent


def timed(cmd, **kw):
    """Wall seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, code, err


ROUNDS = 3          # .import and callwatch, alternated: this machine's wall times vary by 10 % run to run


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    OUT.mkdir(exist_ok=True)
    csv_path = OUT / f"Master-{rows}.csv"
    if not csv_path.exists():
        sys.path.insert(0, str(HERE))
        import gen_asterisk
        print(f"generating {csv_path.name} ...", flush=True)
        gen_asterisk.write(csv_path, rows)
    size_mb = csv_path.stat().st_size / 1e6
    raw_db, su_db, data = OUT / "raw.db", OUT / "su.db", OUT / "callwatch-data"
    env = {**os.environ, "CALLWATCH_CONFIG": "", "XDG_CONFIG_HOME": str(OUT / "none")}

    def fresh():
        # Each loader starts into an empty place with no other loader's writes still pending (the
        # kernel writing sqlite-utils' 300 MB back would slow the next loader's fsyncs).
        raw_db.unlink(missing_ok=True)
        su_db.unlink(missing_ok=True)
        shutil.rmtree(data, ignore_errors=True)
        os.sync()

    runs = {"sqlite3 .import --csv": [], "callwatch import": [], "sqlite-utils insert --csv": []}
    for _ in range(ROUNDS):
        fresh()
        runs["sqlite3 .import --csv"].append(timed(["sqlite3", str(raw_db), f".import --csv {csv_path} cdr"]))
        fresh()
        runs["callwatch import"].append(
            timed([str(VENV_BIN / "callwatch"), "--data-dir", str(data), "import", str(csv_path)], env=env))
    fresh()
    runs["sqlite-utils insert --csv"].append(
        timed([str(VENV_BIN / "sqlite-utils"), "insert", str(su_db), "cdr", str(csv_path), "--csv", "--no-headers"]))
    for name, results in runs.items():
        for _, _, code, err in results:
            if code != 0:
                raise SystemExit(f"{name} failed ({code}): {err[-500:]}")
    median = {name: statistics.median(wall for wall, *_ in results) for name, results in runs.items()}
    peak = {name: max(rss for _, rss, *_ in results) for name, results in runs.items()}
    floor, su, cw = median["sqlite3 .import --csv"], median["sqlite-utils insert --csv"], median["callwatch import"]
    cw_rss = peak["callwatch import"]
    print(f"\n{rows:,} Asterisk CDRs, {size_mb:.0f} MB, {os.cpu_count()} cores; "
          f"median of {ROUNDS} alternated runs (sqlite-utils: one)\n")
    print("| loader | wall s (median) | every run | peak RSS MB | vs sqlite3 .import |")
    print("|---|---:|---|---:|---:|")
    for name in runs:
        every = ", ".join(f"{wall:.2f}" for wall, *_ in runs[name])
        print(f"| {name} | {median[name]:.2f} | {every} | {peak[name]:.0f} | {median[name] / floor:.2f}x |")
    pairs = [cw_run[0] / raw_run[0] for cw_run, raw_run in zip(runs["callwatch import"], runs["sqlite3 .import --csv"])]
    print(f"\ncallwatch / sqlite3 .import = {cw / floor:.2f}x (target <= 2x); round by round: "
          + ", ".join(f"{r:.2f}x" for r in pairs))
    print(f"sqlite-utils / callwatch = {su / cw:.1f}x faster (target >= 10x)")
    print(f"callwatch peak RSS = {cw_rss:.0f} MB (target < 500 MB)")
    print("BENCH " + json.dumps({"bench": "import", "rows": rows, "callwatch_s": cw, "callwatch_mb": cw_rss,
                                 "sqlite3_import_s": floor, "sqlite_utils_s": su, "rounds": ROUNDS,
                                 "callwatch_runs": [r[0] for r in runs["callwatch import"]],
                                 "sqlite3_import_runs": [r[0] for r in runs["sqlite3 .import --csv"]]}))


if __name__ == "__main__":
    main()
