"""Import benchmark: callwatch vs the sqlite3 shell's .import and `sqlite-utils insert --csv`.

Generates a 1,000,000-call Asterisk Master.csv (about 20,000 distinct numbers), then loads
it three ways, each in its own process into a fresh database, in one run on one machine:

* ``sqlite3 db ".import --csv"``: the C loader, raw text, no parsing: the practical floor;
* ``sqlite-utils insert --csv``: what a user would otherwise reach for;
* ``callwatch import``: recognise, archive and hash, parse, convert local time to UTC,
  normalise numbers, deduplicate, index, in one transaction.

Prints wall time, peak RSS of each process and the ratios the targets are set in.
Usage: python bench/run_import.py [ROWS]   (README gives the exact command)
"""

import json
import os
import shutil
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
    results = {}
    raw_db = OUT / "raw.db"
    raw_db.unlink(missing_ok=True)
    results["sqlite3 .import --csv"] = timed(["sqlite3", str(raw_db), f".import --csv {csv_path} cdr"])
    su_db = OUT / "su.db"
    su_db.unlink(missing_ok=True)
    results["sqlite-utils insert --csv"] = timed(
        [str(VENV_BIN / "sqlite-utils"), "insert", str(su_db), "cdr", str(csv_path), "--csv", "--no-headers"])
    data = OUT / "callwatch-data"
    shutil.rmtree(data, ignore_errors=True)
    results["callwatch import"] = timed([str(VENV_BIN / "callwatch"), "--data-dir", str(data), "import", str(csv_path)],
                                        env={**os.environ, "CALLWATCH_CONFIG": "", "XDG_CONFIG_HOME": str(OUT / "none")})
    for name, (_, _, code, err) in results.items():
        if code != 0:
            print(f"{name} failed ({code}): {err[-500:]}")
    floor = results["sqlite3 .import --csv"][0]
    su = results["sqlite-utils insert --csv"][0]
    cw, cw_rss = results["callwatch import"][:2]
    print(f"\n{rows:,} Asterisk CDRs, {size_mb:.0f} MB, {os.cpu_count()} cores\n")
    print("| loader | wall s | peak RSS MB | vs sqlite3 .import |")
    print("|---|---:|---:|---:|")
    for name, (wall, rss, _, _) in results.items():
        print(f"| {name} | {wall:.1f} | {rss:.0f} | {wall / floor:.1f}x |")
    print(f"\ncallwatch / sqlite3 .import = {cw / floor:.1f}x (target <= 2x)")
    print(f"sqlite-utils / callwatch = {su / cw:.1f}x faster (target >= 10x)")
    print(f"callwatch peak RSS = {cw_rss:.0f} MB (target < 500 MB)")
    print("BENCH " + json.dumps({"bench": "import", "rows": rows, "callwatch_s": cw, "callwatch_mb": cw_rss,
                                 "sqlite3_import_s": floor, "sqlite_utils_s": su}))


if __name__ == "__main__":
    main()
