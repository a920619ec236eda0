"""A real crash (SIGKILL) in the middle of an import leaves nothing of that file behind."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = """
import sys
from pathlib import Path
from callwatch import config
from callwatch.ingest import Importer
from callwatch.store import Store
cfg = config.load(None, sys.argv[1])
store = Store(cfg.data_dir)
Importer(store, cfg).import_file(Path(sys.argv[2]))
"""


def _cdr_file(path: Path, rows: int, first: int = 0) -> Path:
    with open(path, "w") as out:
        for i in range(first, first + rows):
            out.write(f'"","06{i % 500 + 10000000:08d}","0123456789","from-trunk",""""" <0612>",'
                      f'"PJSIP/trunk-{i:08x}","PJSIP/100-{i:08x}","Dial","PJSIP/100","2026-10-12 11:20:07",'
                      f'"","2026-10-12 11:20:17",10,0,"NO ANSWER","DOCUMENTATION","{1791718807 + i}.{i}",""\n')
    return path


def test_sigkill_mid_import_then_rerun(tmp_path):
    data = tmp_path / "data"
    small = _cdr_file(tmp_path / "small.csv", 10, first=10_000_000)
    big = _cdr_file(tmp_path / "big.csv", 100_000)
    env = {**os.environ, "CALLWATCH_CONFIG": "", "XDG_CONFIG_HOME": str(tmp_path / "none")}
    subprocess.run([sys.executable, "-c", SCRIPT, str(data), str(small)], check=True, env=env)
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(data), str(big)], env=env)
    db = data / "callwatch.db"
    deadline = time.time() + 60
    # kill once the import transaction is under way (the WAL grows past its first pages)
    while time.time() < deadline and proc.poll() is None:
        wal = data / "callwatch.db-wal"
        if wal.exists() and wal.stat().st_size > 500_000:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "import finished before it could be killed: make the file bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 10
    conn.close()
    subprocess.run([sys.executable, "-c", SCRIPT, str(data), str(big)], check=True, env=env)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 100_010
    assert conn.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == 2


# --- SIGKILL at many random points -----------------------------------------------------------------
# A helper process imports callwatch once, then forks one child per import, so each kill point
# costs milliseconds instead of an interpreter start. The children are real processes, killed with
# a real SIGKILL at a random moment of the import (archive copy, parsing, the transaction, commit).

FORKER = r"""
import os, sys
from pathlib import Path
from callwatch import config
from callwatch.ingest import Importer
from callwatch.store import Store
for line in sys.stdin:
    data, path = line.rstrip("\n").split("\t")
    pid = os.fork()
    if pid == 0:
        try:
            cfg = config.load(None, data)
            store = Store(cfg.data_dir)
            Importer(store, cfg).import_file(Path(path))
            store.close()
        finally:
            os._exit(0)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(status, flush=True)
"""

KILLS = int(os.environ.get("CALLWATCH_CRASH_KILLS", "60"))    # kills that land mid-import
TABLES = ("imports", "calls", "call_sources", "rejects", "numbers")


def _dump(db: Path) -> dict:
    """The store's content, minus the clock: when each import started and ended."""
    conn = sqlite3.connect(db)
    try:
        out = {}
        for table in TABLES:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")
                    if not r[1].endswith("_at") and r[1] not in ("elapsed_s", "elapsed_ms")]
            out[table] = conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY rowid").fetchall()
        return out
    finally:
        conn.close()


def test_sigkill_at_random_points_leaves_all_or_nothing_and_a_rerun_converges(tmp_path, capsys):
    import random
    import shutil
    env = {**os.environ, "CALLWATCH_CONFIG": "", "XDG_CONFIG_HOME": str(tmp_path / "none")}
    earlier = _cdr_file(tmp_path / "earlier.csv", 50, first=20_000_000)
    export = _cdr_file(tmp_path / "export.csv", 3000)
    # malformed lines too: their rejects belong to the file and must be all or nothing as well
    with open(export, "a") as out:
        out.write('"","0611","0123","from-trunk","x","y","z","Dial","a","not a date","","",1,0,"ANSWERED","D","u1",""\n')
        out.write('broken "quote\n')
    forker = subprocess.Popen([sys.executable, "-c", FORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              env=env, text=True)

    def run(data, path, kill_after=None):
        """Import `path` into `data` in a forked child; kill it after `kill_after` s. (status, seconds)."""
        forker.stdin.write(f"{data}\t{path}\n")
        forker.stdin.flush()
        pid = int(forker.stdout.readline())
        started = time.perf_counter()
        if kill_after is not None:
            time.sleep(kill_after)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        status = int(forker.stdout.readline())
        return status, time.perf_counter() - started

    try:
        base = tmp_path / "base"
        run(base, earlier)                                         # the store already holds an import
        before = _dump(base / "callwatch.db")
        reference = tmp_path / "reference"
        shutil.copytree(base, reference)
        status, duration = run(reference, export)
        assert status == 0
        final = _dump(reference / "callwatch.db")
        new_rows = len(final["calls"]) - len(before["calls"])
        assert new_rows == 3000 and len(final["rejects"]) > len(before["rejects"])

        rng = random.Random(int(os.environ.get("CALLWATCH_CRASH_SEED", "20261124")))
        outcomes = {"none": 0, "all": 0}
        killed = 0
        attempts = 0
        while killed < KILLS and attempts < 4 * KILLS:      # a busy machine lets some children finish first
            k = attempts
            attempts += 1
            data = tmp_path / f"k{k}"
            shutil.copytree(base, data)
            status, _ = run(data, export, kill_after=rng.uniform(0, duration * 1.05))
            killed += os.WIFSIGNALED(status)
            conn = sqlite3.connect(data / "callwatch.db")
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"kill {k}"
            conn.close()
            after = _dump(data / "callwatch.db")
            for table in TABLES:                                     # nothing stored before is lost
                assert after[table][:len(before[table])] == before[table], (k, table)
            if after == before:
                outcomes["none"] += 1
            else:
                assert after == final, f"kill {k}: a part of the file is stored"
                outcomes["all"] += 1
            assert run(data, export)[0] == 0
            assert _dump(data / "callwatch.db") == final, f"kill {k}: the re-run did not converge"
            shutil.rmtree(data)
        with capsys.disabled():
            print(f"\n[crash] {attempts} SIGKILL attempts over a {duration:.2f} s import of {new_rows} calls: "
                  f"{killed} killed mid-run ({outcomes['none']} left nothing, {outcomes['all']} all; "
                  f"{attempts - killed} finished first); every store passed integrity_check and converged on re-run")
        assert killed >= KILLS >= 50 and outcomes["none"] >= 10
    finally:
        forker.stdin.close()
        forker.wait(timeout=10)
