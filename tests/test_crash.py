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
