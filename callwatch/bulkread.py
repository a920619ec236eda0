"""Many rows of the store read as Arrow columns by child processes, never as Python objects.

Why: a full scan of a large store spent most of its time in the sqlite3 module turning each value
of each call into a Python int inside a tuple (ten million calls, eleven values each). ADBC's
SQLite driver steps the same SQL in C and fills Arrow arrays directly.

Why child processes: the ADBC driver carries its own copy of SQLite, and two copies of SQLite in
one process do not see each other's POSIX locks (closing one copy's descriptor of the database
drops the locks the other holds). So the store is never opened through ADBC where the sqlite3
module holds it: a child opens it read-only (``mode=ro``), runs one SELECT (one statement: one
read transaction, one snapshot) and streams the result as Arrow IPC on its stdout. The request
comes on stdin, not on the command line, which every user of the machine can read (the SQL may
name the household's lines).

A child's snapshot is not its caller's: the caller checks that no other connection committed
meanwhile (``PRAGMA data_version``, detect/__init__.py) and reads in process otherwise. A child
that fails, whatever the reason (the driver missing, memory, a value of an unexpected type), is
not an error either: ``read`` returns None and the caller reads in process, as before.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)
# Rows per Arrow batch. The driver also infers each column's type from its first batch: a large
# one leaves little chance of a column NULL throughout it (its values then read as integers).
BATCH_ROWS = 65_536


def read(db_path: Path, queries: list[str]):
    """Run each SELECT in its own child process, all at once; a pyarrow Table per query, in
    order, or None when any child failed (logged without its SQL or any value)."""
    import pyarrow as pa

    procs: list[subprocess.Popen] = []
    tables: list = [None] * len(queries)
    errors: list = [b""] * len(queries)

    def collect(i, proc):      # pyarrow reads without the GIL; each pipe on its own thread: none fills up
        try:
            tables[i] = pa.ipc.open_stream(proc.stdout).read_all()
        except (pa.ArrowException, OSError):
            tables[i] = None

    def complaint(i, proc):
        errors[i] = proc.stderr.read()

    try:
        try:
            for sql in queries:
                # -P: the child imports callwatch from where this one did, never from the working folder
                proc = subprocess.Popen([sys.executable, "-P", "-m", "callwatch.bulkread"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                procs.append(proc)
                proc.stdin.write(json.dumps({"db": str(Path(db_path).resolve()), "sql": sql,
                                             "batch_rows": BATCH_ROWS}).encode())
                proc.stdin.close()
        except OSError as exc:        # no process to be had (memory, limits), or one died at once
            log.warning("could not start a reader process (%s); reading the calls in process",
                        exc.strerror or type(exc).__name__)
            return None
        threads = [threading.Thread(target=fn, args=(i, p), daemon=True)
                   for i, p in enumerate(procs) for fn in (collect, complaint)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = [p.wait() for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            for pipe in (p.stdin, p.stdout, p.stderr):
                pipe.close()
    failed = [(s, e) for s, e, t in zip(statuses, errors, tables) if s or t is None]
    if failed:
        status, err = failed[0]
        reason = err.decode("ascii", "replace").strip().splitlines()[-1:] or [f"exit status {status}"]
        log.warning("reading the calls in a child process failed (%s); reading them in process", reason[0][:80])
        return None
    return tables


def _child() -> int:
    request = json.loads(sys.stdin.buffer.read())
    try:
        import adbc_driver_sqlite.dbapi as dbapi
        import pyarrow as pa

        uri = Path(request["db"]).as_uri() + "?mode=ro"
        with dbapi.connect(uri, autocommit=True) as conn, conn.cursor() as cur:
            cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(int(request["batch_rows"]))})
            cur.execute(request["sql"])
            reader = cur.fetch_record_batch()
            with pa.ipc.new_stream(sys.stdout.buffer, reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch)
    except BaseException as exc:     # the parent reads in process: say only what kind of failure
        print(type(exc).__name__, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_child())
