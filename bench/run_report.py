"""Report benchmark: the evidence pack for one campaign of N calls (default 10,000).

Writes an Android call-log XML in which an operator calls from a rotating block, imports it,
scans, then times `callwatch report` alone, in its own process. Usage:
python bench/run_report.py [CALLS]
"""

import json
import os
import random
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
prefixes = ["+3316234"]
"""


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    r = random.Random(5)
    OUT.mkdir(exist_ok=True)
    xml = OUT / f"report-calls-{calls}.xml"
    start = 1_700_000_000_000
    rows = []
    for i in range(calls):
        start += r.randint(600, 20_000) * 1000
        kind = r.choice((1, 3))
        rows.append(f'<call number="0162345{r.randint(100, 999)}" duration="{r.randint(0, 5) if kind == 1 else 0}" '
                    f'date="{start}" type="{kind}" presentation="1" contact_name="(Unknown)" />')
    xml.write_text("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"%d\">\n%s\n</calls>\n"
                   % (calls, "\n".join(rows)))
    data = OUT / f"report-data-{calls}"
    shutil.rmtree(data, ignore_errors=True)
    config = OUT / "report-config.toml"
    config.write_text(CONFIG)
    env = {**os.environ, "CALLWATCH_CONFIG": str(config)}
    cw = [str(BIN / "callwatch"), "--data-dir", str(data)]
    subprocess.run(cw + ["import", str(xml)], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(cw + ["scan"], check=True, env=env, stdout=subprocess.DEVNULL)
    t = time.perf_counter()
    proc = subprocess.Popen(cw + ["report", "--out", str(data / "reports")], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    assert os.waitstatus_to_exitcode(status) == 0
    pdf = next((data / "reports").glob("*/evidence.pdf"))
    print(f"\n| pack for a campaign of {calls:,} calls | wall s | peak RSS MB | PDF MB | target |")
    print("|---|---:|---:|---:|---|")
    print(f"| callwatch report | {wall:.1f} | {usage.ru_maxrss / 1024:.0f} | {pdf.stat().st_size / 1e6:.1f} | < 30 s |")
    # Beside it: the same calls dumped as CSV by the sqlite3 shell, the least any report does.
    t = time.perf_counter()
    subprocess.run(["sqlite3", "-csv", str(data / "callwatch.db"), "SELECT * FROM calls"], check=True,
                   stdout=subprocess.DEVNULL)
    floor = time.perf_counter() - t
    print(f"| floor: sqlite3 -csv dump of the calls | {floor:.2f} | | | |")
    print("BENCH " + json.dumps({"bench": "report", "calls": calls, "report_s": wall,
                                 "report_mb": usage.ru_maxrss / 1024, "dump_floor_s": floor}))


if __name__ == "__main__":
    main()
