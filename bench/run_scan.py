"""Scan benchmark: a full `callwatch scan` over a large store, then a scan after 1,000 new calls.

Builds a store from the synthetic Asterisk Master.csv of bench/gen_asterisk.py with ROWS calls,
declares an operator owning the +3316 ranges and the 30 most frequent numbers calling from them
(the household calls every number of that file back, so a prefix alone finds nobody: a declared
number counts whoever the household knows), records two review decisions (a number excluded for
a month, a number of the block confirmed), and times each scan in its own process, reporting wall
time, CPU time (the scan and its reader processes) and peak RSS. Usage: python bench/run_scan.py [ROWS]
"""

import json
import os
import random
import resource
import shutil
import sqlite3
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
numbers = {numbers}
[[objections]]
company = "Bench operator"
date = 2025-01-01
[asterisk]
incoming_contexts = ["from-trunk"]
outgoing_contexts = ["from-internal"]
"""


def run(cmd, env):
    """Wall seconds and peak RSS (MB) of a command; ``run.cpu``: its CPU seconds, its own
    children's included (the scan's readers)."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{cmd[-1]} failed: {err[-800:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def campaign_numbers(count=30, distinct=20_000, seed=7):
    """The most frequent callers from +33 16 in gen_asterisk's file (its pool is drawn first from
    the seed, most frequent first), written nationally."""
    pool = gen_asterisk.numbers(random.Random(seed), distinct)
    national = ["0" + n[3:] if n.startswith("+33") else "0" + n[4:] if n.startswith("0033") else n for n in pool]
    return [n for n in national if n.startswith("016")][:count]


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    OUT.mkdir(exist_ok=True)
    csv_path = OUT / f"Master-{rows}.csv"
    if not csv_path.exists():
        gen_asterisk.write(csv_path, rows)
    # 1,000 new calls after the file's last one, from the same household's callers (uniqueids of
    # their own: until 2026-12-01 they repeated the file's first ones, all duplicates, so the scan
    # "after 1,000 new calls" had nothing new to look at)
    extra = OUT / f"Master-extra-1000-after-{rows}.csv"
    gen_asterisk.write(extra, 1000, after=gen_asterisk.last_call(csv_path))
    data = OUT / f"scan-data-{rows}"
    config = OUT / "scan-config.toml"
    numbers = campaign_numbers()
    config.write_text(CONFIG.replace("{numbers}", json.dumps(numbers)))
    env = {**os.environ, "CALLWATCH_CONFIG": str(config)}
    cw = [str(BIN / "callwatch"), "--data-dir", str(data)]
    shutil.rmtree(data, ignore_errors=True)
    # the user's review (recorded first: each decision is followed by a scan, quick on an empty store):
    # a number's calls excluded for a month, a number of the block confirmed
    run(cw + ["exclude", numbers[1], "--from", "2024-02-01", "--to", "2024-02-29", "--reason", "bench: a visit"], env)
    run(cw + ["confirm", campaign_numbers(count=40)[-1], "--reason", "bench: the agent named the company"], env)
    imported, _ = run(cw + ["import", str(csv_path)], env)
    full, full_rss = run(cw + ["scan", "--full"], env)
    full_cpu = run.cpu
    run(cw + ["import", str(extra)], env)
    with sqlite3.connect(data / "callwatch.db") as db:
        new_calls = db.execute("SELECT new FROM imports ORDER BY id DESC LIMIT 1").fetchone()[0]
    if new_calls != 1000:
        raise SystemExit(f"the 1,000 calls after the file's last were {new_calls} new calls, not 1,000")
    after, after_rss = run(cw + ["scan"], env)
    with sqlite3.connect(data / "callwatch.db") as db:
        # incremental, or full when the new calls could change the grouping (detect._incremental_in)
        mode = db.execute("SELECT mode FROM scans ORDER BY id DESC LIMIT 1").fetchone()[0]
        found, in_findings, breaches = db.execute(
            "SELECT (SELECT COUNT(*) FROM findings), (SELECT COUNT(*) FROM finding_calls), "
            "(SELECT COUNT(*) FROM breaches)").fetchone()
    print(f"\n{rows:,} calls (import {imported:.1f} s), {os.cpu_count()} cores; {found} finding(s), "
          f"{in_findings:,} calls in them, {breaches:,} breaches\n")
    print("| scan | wall s | CPU s | peak RSS MB | target |")
    print("|---|---:|---:|---:|---|")
    print(f"| full scan | {full:.1f} | {full_cpu:.1f} | {full_rss:.0f} | 10M calls <= 20 s, <= 4 GB |")
    print(f"| after 1,000 new calls (the scan was {mode}) | {after:.1f} | {run.cpu:.1f} | {after_rss:.0f} | < 1 s |")
    # The floor beside it: the sqlite3 shell reading every call row once, and nothing else.
    floor, _ = run(["sqlite3", str(data / "callwatch.db"), "SELECT * FROM calls"], env)
    print(f"| floor: sqlite3 reading every call | {floor:.1f} | {run.cpu:.1f} | | |")
    print("BENCH " + json.dumps({"bench": "scan", "rows": rows, "import_s": imported, "full_s": full,
                                 "full_cpu_s": full_cpu, "full_mb": full_rss, "incremental_s": after,
                                 "incremental_mb": after_rss, "after_mode": mode, "read_floor_s": floor, "findings": found,
                                 "calls_in_findings": in_findings, "breaches": breaches}))


sys.path.insert(0, str(HERE))
import gen_asterisk  # noqa: E402  (beside this script)

if __name__ == "__main__":
    main()
