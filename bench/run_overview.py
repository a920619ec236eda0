"""Web page benchmark: the overview of a ROWS-call household (default 20,000), over HTTP.

Builds (once) a store from bench/gen_asterisk.py's synthetic Master.csv with an operator owning the
+3316 ranges, scans it, serves it with `callwatch web` on 127.0.0.1 (a free port), then times the
overview page: 3 requests to warm up, then RUNS requests one after the other, each the whole
answer read by a client in this process. Also: the finding page, and the page process's resident
memory after the requests. Usage: python bench/run_overview.py [ROWS] [RUNS]
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
from run_scan import CONFIG, campaign_numbers, run  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(url: str) -> tuple[float, int]:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as answer:
        body = answer.read()
    return time.perf_counter() - start, len(body)


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    import gen_asterisk
    OUT.mkdir(exist_ok=True)
    csv_path = OUT / f"Master-{rows}.csv"
    if not csv_path.exists():
        gen_asterisk.write(csv_path, rows)
    data = OUT / f"web-data-{rows}"
    config = OUT / "web-config.toml"            # the scan bench's configuration, its declared numbers
    config.write_text(CONFIG.replace("{numbers}", json.dumps(campaign_numbers())))
    env = {**os.environ, "CALLWATCH_CONFIG": str(config)}
    cw = [str(BIN / "callwatch"), "--data-dir", str(data)]
    if not (data / "callwatch.db").exists():
        shutil.rmtree(data, ignore_errors=True)
        run(cw + ["import", str(csv_path)], env)
        run(cw + ["scan"], env)
    proc = subprocess.Popen(cw + ["web", "--bind", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    try:
        base = None
        for line in proc.stdout:
            found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if found:
                base = found.group(1)
                break
        if base is None:
            raise SystemExit("the page did not start")
        idle_mb = rss_mb(proc.pid)
        for _ in range(3):
            timed(base + "/")
        overview = [timed(base + "/") for _ in range(runs)]
        finding = [timed(base + "/finding/1") for _ in range(max(runs // 4, 3))]
        served_mb = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    ms = sorted(t * 1000 for t, _ in overview)
    fms = sorted(t * 1000 for t, _ in finding)
    print(f"\n{rows:,}-call household, {runs} requests each, {os.cpu_count()} cores\n")
    print("| page | median ms | slowest ms | bytes | target |")
    print("|---|---:|---:|---:|---|")
    print(f"| overview | {statistics.median(ms):.0f} | {ms[-1]:.0f} | {overview[0][1]:,} | < 300 ms |")
    print(f"| finding 1 | {statistics.median(fms):.0f} | {fms[-1]:.0f} | {finding[0][1]:,} | |")
    print(f"\npage process: {idle_mb:.0f} MB resident at start, {served_mb:.0f} MB after the requests")
    print("BENCH " + json.dumps({"bench": "overview", "rows": rows, "overview_median_ms": statistics.median(ms),
                                 "overview_max_ms": ms[-1], "finding_median_ms": statistics.median(fms),
                                 "page_idle_mb": idle_mb, "page_served_mb": served_mb}))


if __name__ == "__main__":
    main()
