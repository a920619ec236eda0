"""Idle cost of `callwatch daemon`: CPU share and resident memory over a minute, after it has
imported and scanned one export (so the scan's libraries are loaded). Usage:
python bench/run_daemon_idle.py [SECONDS]"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "daemon-idle"
SAMPLE = HERE.parent / "callwatch" / "sample_exports"


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "inbox").mkdir(parents=True)
    config = OUT / "callwatch.toml"
    config.write_text((SAMPLE / "demo-config.toml").read_text() + "\n[daemon]\ninbox_every_s = 30\nstable_s = 1\n")
    env = {**os.environ, "CALLWATCH_CONFIG": str(config), "CALLWATCH_DATA_DIR": str(OUT / "data")}
    env.pop("NOTIFY_SOCKET", None)
    proc = subprocess.Popen([str(Path(sys.executable).parent / "callwatch"), "--data-dir", str(OUT / "data"), "daemon"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)
    for f in (SAMPLE / "household" / "fritzbox").iterdir():
        shutil.copy(f, OUT / "data" / "inbox" / f.name)
    done = OUT / "data" / "inbox" / "done"
    deadline = time.time() + 120
    while time.time() < deadline and not (done.exists() and any(done.iterdir())):
        time.sleep(1)
    time.sleep(5)                                   # let the scan and alert jobs finish
    c0, t0 = cpu_seconds(proc.pid), time.time()
    time.sleep(seconds)
    c1, t1 = cpu_seconds(proc.pid), time.time()
    rss = rss_mb(proc.pid)
    proc.terminate()
    proc.wait(timeout=30)
    # Beside it: a bare interpreter doing nothing, the least a Python daemon can cost.
    bare = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    time.sleep(1)
    bare_rss = rss_mb(bare.pid)
    bare.kill()
    bare.wait()
    cpu = 100 * (c1 - c0) / (t1 - t0)
    print(f"| daemon idle over {seconds} s (inbox polled every 30 s) | CPU {cpu:.2f} % "
          f"| RSS {rss:.0f} MB | target < 1 % and < 150 MB |")
    print(f"| floor: bare python sleeping | | RSS {bare_rss:.0f} MB | |")
    print("BENCH " + json.dumps({"bench": "idle", "seconds": seconds, "cpu_pct": cpu, "rss_mb": rss,
                                 "bare_rss_mb": bare_rss}))


if __name__ == "__main__":
    main()
