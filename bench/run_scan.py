"""Scan benchmark: a full `callwatch scan` over a large store, then a scan after 1,000 new calls.

Builds (once) a store from the synthetic Asterisk Master.csv of bench/gen_asterisk.py with
ROWS calls, declares an operator owning the +3316 ranges, and times each scan in its own
process, reporting wall time and peak RSS. Usage: python bench/run_scan.py [ROWS]
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
BIN = Path(sys.executable).parent
CONFIG = """
region = "FR"
timezone = "Europe/Paris"
[operator]
name = "Bench operator"
prefixes = ["+3316"]
[[objections]]
company = "Bench operator"
date = 2025-01-01
[asterisk]
incoming_contexts = ["from-trunk"]
outgoing_contexts = ["from-internal"]
"""


def run(cmd, env):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{cmd[-1]} failed: {err[-800:]}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    sys.path.insert(0, str(HERE))
    import gen_asterisk
    OUT.mkdir(exist_ok=True)
    csv_path = OUT / f"Master-{rows}.csv"
    if not csv_path.exists():
        gen_asterisk.write(csv_path, rows)
    extra = OUT / "Master-extra-1000.csv"
    gen_asterisk.write(extra, 1000, seed=99)
    data = OUT / f"scan-data-{rows}"
    config = OUT / "scan-config.toml"
    config.write_text(CONFIG)
    env = {**os.environ, "CALLWATCH_CONFIG": str(config)}
    cw = [str(BIN / "callwatch"), "--data-dir", str(data)]
    shutil.rmtree(data, ignore_errors=True)
    imported, _ = run(cw + ["import", str(csv_path)], env)
    full, full_rss = run(cw + ["scan"], env)
    run(cw + ["import", str(extra)], env)
    after, after_rss = run(cw + ["scan"], env)
    print(f"\n{rows:,} calls (import {imported:.1f} s), {os.cpu_count()} cores\n")
    print("| scan | wall s | peak RSS MB | target |")
    print("|---|---:|---:|---|")
    print(f"| full scan | {full:.1f} | {full_rss:.0f} | 10M calls < 60 s, < 4 GB |")
    print(f"| after 1,000 new calls | {after:.1f} | {after_rss:.0f} | < 1 s |")
    # The floor beside it: the sqlite3 shell reading every call row once, and nothing else.
    floor, _ = run(["sqlite3", str(data / "callwatch.db"), "SELECT * FROM calls"], env)
    print(f"| floor: sqlite3 reading every call | {floor:.1f} | | |")
    print("BENCH " + json.dumps({"bench": "scan", "rows": rows, "import_s": imported, "full_s": full,
                                 "full_mb": full_rss, "incremental_s": after, "incremental_mb": after_rss,
                                 "read_floor_s": floor}))


if __name__ == "__main__":
    main()
