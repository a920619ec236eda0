"""The daemon importing while the CLI scans and reports: no "database is locked", no torn read.

Every export dropped in the inbox holds exactly 500 calls of the operator, so any consistent view
of the store holds a multiple of 500 of them: a full scan that considered, or a pack that lists,
any other number saw an import half done (or a scan half written)."""

import csv
import json
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

from test_daemon import CONFIG, _wait, start_daemon

FILES, PER_FILE = 10, 500



def _export(path, n):
    start = datetime(2026, 9, 1, 10, 0) + timedelta(days=3 * n)
    with open(path, "w") as out:
        for i in range(PER_FILE):
            when = start + timedelta(minutes=7 * i)
            stamp = when.strftime("%Y-%m-%d %H:%M:%S")
            end = (when + timedelta(seconds=2)).strftime("%Y-%m-%d %H:%M:%S")
            out.write(f'"","01623450{i % 90 + 10:02d}","0123456789","from-trunk","","PJSIP/t-{n}-{i}","PJSIP/100",'
                      f'"Dial","PJSIP/100","{stamp}","{stamp}","{end}",2,2,"ANSWERED","DOCUMENTATION",'
                      f'"{1790000000 + n * 100000 + i}.{i}",""\n')


def test_cli_scans_and_reports_while_the_daemon_imports(tmp_path, capsys):
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text(CONFIG)
    data = tmp_path / "data"
    proc, env = start_daemon(cfg, data)
    runs, problems = [], []
    done = threading.Event()

    def cli(*args):
        r = subprocess.run([sys.executable, "-m", "callwatch", *args], env=env, capture_output=True, text=True,
                           timeout=120)
        runs.append((args[0], r.returncode))
        if "locked" in r.stderr or "locked" in r.stdout:
            problems.append(f"{args}: {r.stderr.strip()[-300:]}")
        return r

    def scanner():
        while not done.is_set():
            r = cli("scan", "--full", "--json")
            if r.returncode != 0:
                problems.append(f"scan failed: {r.stderr.strip()[-300:]}")

    def reporter():
        k = 0
        while not done.is_set():
            k += 1
            out = tmp_path / f"reports-{k}"
            r = cli("report", "--out", str(out))
            if r.returncode != 0:
                if "no finding" not in r.stderr + r.stdout:           # before the first import: nothing yet
                    problems.append(f"report failed: {r.stderr.strip()[-300:]}")
                continue
            (pack,) = [p for p in out.iterdir() if p.is_dir()]
            with open(pack / "calls.csv", encoding="utf-8-sig", newline="") as fh:
                rows = len(list(csv.reader(fh))) - 1
            if rows % PER_FILE:
                problems.append(f"torn read: a pack lists {rows} calls")
            v = cli("verify", str(pack))
            if v.returncode != 4:                 # 4: files intact, no time-stamping authority configured
                problems.append(f"verify failed: {v.stderr.strip()[-300:]}")

    try:
        assert _wait(lambda: (data / "daemon.json").exists())
        workers = [threading.Thread(target=scanner), threading.Thread(target=reporter)]
        for w in workers:
            w.start()
        for n in range(FILES):
            staging = tmp_path / f"export-{n}.csv"
            _export(staging, n)
            staging.rename(data / "inbox" / f"Master-{n}.csv")
            time.sleep(0.7)
        assert _wait(lambda: len(list((data / "inbox" / "done").glob("*.csv"))) == FILES, timeout=120)
        time.sleep(2)
        done.set()
        for w in workers:
            w.join(timeout=120)
        conn = sqlite3.connect(data / "callwatch.db")
        calls = conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        considered = [r[0] for r in conn.execute("SELECT calls_considered FROM scans WHERE mode = 'full'")]
        failed_jobs = conn.execute("SELECT job, detail FROM job_runs WHERE result = 'failed'").fetchall()
        conn.close()
        assert calls == FILES * PER_FILE
        assert not [c for c in considered if c % PER_FILE], considered
        assert not failed_jobs, failed_jobs
        assert not problems, problems[:5]
        scans = sum(1 for name, _ in runs if name == "scan")
        reports = sum(1 for name, _ in runs if name == "report")
        assert scans >= 5 and reports >= 2
        with capsys.disabled():
            print(f"\n[concurrency] daemon imported {FILES} files ({calls} calls) while the CLI ran {scans} full "
                  f"scans and {reports} reports: 0 'database is locked', 0 torn reads, "
                  f"{len(considered)} full scans saw whole imports only")
    finally:
        done.set()
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert json.loads((data / "daemon.json").read_text()) is not None
