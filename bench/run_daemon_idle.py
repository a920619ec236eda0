"""Idle cost of `callwatch daemon`: CPU share and resident memory once it has imported and
scanned an export and written a snapshot (so every heavy job has run once), in two set-ups:

  inbox:  the inbox looked at every 30 s, nothing arriving;
  source: the same plus a Freebox (the local emulator from tests/) polled every 30 s, each poll
          a real import of the box's unchanged call list, which is what a paired box costs;
  web:    the inbox set-up with the web page enabled ([web] enabled = true): the daemon and the
          page's own process, measured apart, after the page served its overview and finding once.

Usage: python bench/run_daemon_idle.py [SECONDS]   (the source set-up watches at least 60 s)"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "daemon-idle"
SAMPLE = HERE.parent / "callwatch" / "sample_exports"
sys.path.insert(0, str(HERE.parent / "tests"))

from freebox_emulator import FreeboxEmulator, call  # noqa: E402

from callwatch.sources import freebox  # noqa: E402


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds(pid):
    """CPU of the daemon's finished (reaped) children: its job processes."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def has_children(pid, ignore=()):
    """Whether a job's process runs (the web page's long-lived process, `ignore`, does not count)."""
    kids = {int(k) for task in Path(f"/proc/{pid}/task").iterdir() for k in Path(task, "children").read_text().split()}
    return bool(kids - set(ignore))


def web_pid(data):
    try:
        return json.loads((data / "daemon.json").read_text()).get("web_pid")
    except (OSError, ValueError):
        return None


def status_kb(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def jobs_ran(db):
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT job, COUNT(*) FROM job_runs WHERE result IN ('ok', 'nothing') GROUP BY job"))
    finally:
        conn.close()


def measure(name, seconds, extra_config="", setup=None):
    out = OUT / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    data = out / "data"
    if setup:
        setup(data)
    config = out / "callwatch.toml"
    config.write_text((SAMPLE / "demo-config.toml").read_text() + "\n[daemon]\ninbox_every_s = 30\nstable_s = 1\n"
                      + extra_config)
    env = {**os.environ, "CALLWATCH_CONFIG": str(config), "CALLWATCH_DATA_DIR": str(data)}
    env.pop("NOTIFY_SOCKET", None)
    proc = subprocess.Popen([str(Path(sys.executable).parent / "callwatch"), "--data-dir", str(data), "daemon"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while not (data / "inbox").exists() and time.time() < deadline:
            time.sleep(0.2)
        for f in (SAMPLE / "household" / "fritzbox").iterdir():
            shutil.copy(f, data / "inbox" / f.name)
        deadline = time.time() + 180
        done, snapshots = data / "inbox" / "done", data / "snapshots"
        while time.time() < deadline and not (done.exists() and any(done.iterdir())
                                              and snapshots.exists() and any(snapshots.glob("*.zip"))):
            time.sleep(1)
        quiet_since = time.time()                       # then wait for the running job's process to end
        page = web_pid(data)
        if "[web]" in extra_config:
            if not page:
                raise SystemExit(f"{name}: the web page's process did not start")
            port = int(extra_config.split('bind = "127.0.0.1:')[1].split('"')[0])
            for path in ("/", "/finding/1"):       # serve once: the page's own steady size, not its start
                _get_page(port, path)
        while time.time() - quiet_since < 5 and time.time() < deadline:
            if has_children(proc.pid, ignore=[page] if page else []):
                quiet_since = time.time()
            time.sleep(0.2)
        ran = jobs_ran(data / "callwatch.db")
        if not ran.get("scan") or not ran.get("snapshot"):
            raise SystemExit(f"{name}: the scan and snapshot did not run ({ran}): nothing to measure")
        c0, k0, t0 = cpu_seconds(proc.pid), children_cpu_seconds(proc.pid), time.time()
        time.sleep(seconds)
        c1, k1, t1 = cpu_seconds(proc.pid), children_cpu_seconds(proc.pid), time.time()
        rss, hwm = status_kb(proc.pid, "VmRSS") / 1024, status_kb(proc.pid, "VmHWM") / 1024
        page_rss = status_kb(page, "VmRSS") / 1024 if page else 0.0
        polls = jobs_ran(data / "callwatch.db")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"cpu_pct": 100 * (c1 - c0) / (t1 - t0), "with_jobs_cpu_pct": 100 * ((c1 - c0) + (k1 - k0)) / (t1 - t0),
            "rss_mb": rss, "peak_mb": hwm, "jobs": polls, "page_rss_mb": page_rss}


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_page(port, path):
    """A page of the daemon's web child; it may still be starting."""
    import urllib.error
    import urllib.request
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as answer:
                return answer.read()
        except (urllib.error.URLError, ConnectionError):
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    inbox = measure("inbox", seconds)

    box = FreeboxEmulator(calls=[call(1_790_000_000 + 86_400 * d) for d in range(40)])

    def pair(data):
        freebox.pair(box.url, data, say=lambda text: None, poll_s=0.01)
    try:
        source = measure("source", max(seconds, 60), f'[[sources]]\nkind = "freebox"\nurl = "{box.url}"\nevery_s = 30\n',
                         pair)
    finally:
        box.close()
    web = measure("web", seconds, f'[web]\nenabled = true\nbind = "127.0.0.1:{free_port()}"\n')
    # Beside it: a bare interpreter doing nothing, the least a Python daemon can cost.
    bare = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    time.sleep(1)
    bare_rss = status_kb(bare.pid, "VmRSS") / 1024
    bare.kill()
    bare.wait()
    for label, m in ((f"inbox looked at every 30 s, over {seconds} s", inbox),
                     (f"+ a Freebox polled every 30 s ({m_polls(source)} polls so far)", source)):
        print(f"| daemon idle, {label} | CPU {m['cpu_pct']:.2f} % (with its job processes "
              f"{m['with_jobs_cpu_pct']:.2f} %) | RSS {m['rss_mb']:.0f} MB (peak {m['peak_mb']:.0f} MB) "
              f"| target < 1 % and < 150 MB |")
    print(f"| daemon idle, [web] enabled, after serving the overview | CPU {web['cpu_pct']:.2f} % | RSS "
          f"{web['rss_mb']:.0f} MB; the page's process {web['page_rss_mb']:.0f} MB | target < 150 MB |")
    print(f"| floor: bare python sleeping | | RSS {bare_rss:.0f} MB | |")
    print("BENCH " + json.dumps({"bench": "idle", "seconds": seconds, "cpu_pct": inbox["cpu_pct"],
                                 "rss_mb": inbox["rss_mb"], "peak_mb": inbox["peak_mb"],
                                 "source_cpu_pct": source["with_jobs_cpu_pct"], "source_rss_mb": source["rss_mb"],
                                 "bare_rss_mb": bare_rss, "web_daemon_rss_mb": web["rss_mb"],
                                 "web_page_rss_mb": web["page_rss_mb"]}))


def m_polls(m):
    return m["jobs"].get("source:freebox", 0)


if __name__ == "__main__":
    main()
