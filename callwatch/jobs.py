"""The work behind each daemon job, run by the daemon in a short-lived child process.

Why a child: a scan loads pandas, a snapshot matplotlib and fpdf2. Run inside the daemon they
stayed resident for good (195 MB idle); run here they leave with the process, and the idle
daemon is little more than the interpreter and APScheduler. The daemon (daemon.py) only
schedules, starts one child at a time and keeps what must outlive a job (a source's back-off).

Protocol: the daemon writes one pickled request ``{"job", "config", "args"}`` on the child's
stdin (a pipe between two processes of the same program, never a file or a socket); the child
runs the job and what it chains (inbox -> scan -> alert -> snapshot), records each job it ran in
the store's ``job_runs`` (what `callwatch status` shows), and prints one JSON line on stdout, the
outcome. Logs go to stderr, which the daemon shares (the journal). SIGTERM or SIGINT set the stop
flag: an import in progress rolls back, its file stays in the inbox, nothing more is chained.
"""

from __future__ import annotations

import json
import logging
import pickle
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from callwatch.errors import CallwatchError, storage_fault
from callwatch.inbox import inbox_dir, settle
from callwatch.private import private_dir, write_private
from callwatch.shown import install_log_filter, redact

log = logging.getLogger("callwatch.jobs")        # not __main__, which it is when run with -m
MAX_BACKOFF_S = 3600
ROUTINE_KEPT_DAYS = 30         # routine job runs (nothing to do, a box's successful poll) pruned after this


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def backoff_s(every_s: int, failures: int) -> int:
    """Seconds before the next poll of a source that failed `failures` times in a row."""
    return min(every_s * 2 ** failures, MAX_BACKOFF_S)


class Jobs:
    """Each job as a method returning (result, detail); `run(name)` records it in the store."""

    def __init__(self, config, stop: threading.Event | None = None):
        self.config = config
        self.data_dir = private_dir(Path(config.data_dir))
        self.inbox = inbox_dir(config)
        self.stop = stop or threading.Event()
        self.ran: list[dict] = []

    def record(self, name: str, started: str, result: str, detail: str) -> None:
        from callwatch.store import Store
        detail = redact(detail)            # kept for `status`: a URL's password never is (a TSA, a box)
        try:
            with Store(self.data_dir) as store:
                store.record_job(name, started, result, detail)
        except Exception as exc:
            if getattr(exc, "fatal", False):
                raise
            log.error("cannot record the %s job: %s", name, exc)
        self.ran.append({"job": name, "result": result, "detail": detail})

    def run(self, name: str, **kwargs) -> tuple[str, str]:
        """Run one job, whatever happens to it: one job's failure never stops the others."""
        from callwatch.ingest import Cancelled
        started = _now()
        try:
            result, detail = getattr(self, f"job_{name}")(**kwargs)
        except Cancelled as exc:
            result, detail = "stopped", str(exc)
        except Exception as exc:
            if getattr(exc, "fatal", False):     # the store gone, replaced or damaged: the daemon stops
                raise
            log.error("%s job failed: %s", name, exc)
            log.debug("%s", traceback.format_exc())
            result, detail = "failed", f"{type(exc).__name__}: {exc}"
        if result != "failed":          # failures were logged above, at ERROR
            log.info("%s job: %s, %s", name, result, detail)
        self.record(name, started, result, detail)
        return result, detail

    # -- the jobs ------------------------------------------------------------------------

    def job_inbox(self, paths: list[str]):
        from callwatch.ingest import Importer
        from callwatch.store import Store
        done, skipped, failed, left, new = 0, 0, 0, 0, 0
        with Store(self.data_dir) as store:
            importer = Importer(store, self.config, cancel=self.stop)
            for path in map(Path, paths):
                if self.stop.is_set():
                    break
                # Opened once without following links; archived from that descriptor (archive.py).
                result = importer.import_file(path, watched=True)
                if result.status == "changed":
                    left += 1
                    log.info("inbox: %s: %s", path.name, result.message)
                    continue
                ok = result.status != "failed"     # one that holds no call (an SMS backup, a recording): done/
                if result.status == "skipped":
                    skipped += 1
                elif ok:
                    done += 1
                    new += result.new
                reason = "" if ok else f"{result.message}\nformats tried: {', '.join(result.tried)}"
                if settle(path, self.inbox, ok, reason, expect=result.signature) is None:
                    left += 1           # what was read is stored; what replaced it or was added is read later
                    log.info("inbox: %s changed after it was read: left in the inbox, to be read again once stable",
                             path.name)
                elif not ok:
                    failed += 1
        if new and not self.stop.is_set():
            self.run("scan")
        detail = f"{done} imported ({new} new calls), {skipped} skipped, {failed} refused"
        if left:
            detail += f", {left} left in the inbox (changed while read)"
        return "ok" if not failed else "failed", detail

    def job_scan(self):
        from callwatch.detect import scan
        from callwatch.store import Store
        with Store(self.data_dir) as store:
            result = scan(store, self.config)
        if not self.stop.is_set():
            self.run("alert")
        if result.findings and not self.stop.is_set() and self._snapshot_due():
            self.run("snapshot")           # a dated pack exists as soon as there is something to show
        return "ok", f"{result.mode}: {len(result.findings)} finding(s), {result.changed} changed"

    def _snapshot_due(self, days: int = 7) -> bool:
        folder = self.data_dir / "snapshots"
        packs = list(folder.glob("*.zip")) if folder.exists() else []
        return not packs or time.time() - max(p.stat().st_mtime for p in packs) > days * 86400

    def job_alert(self):
        from callwatch import alerts
        from callwatch.store import Store
        with Store(self.data_dir) as store:
            sent, held = alerts.dispatch(store, self.config)
        return ("ok" if sent or held else "nothing"), f"{sent} sent, {held} held back"

    def job_digest(self):
        from callwatch import alerts
        from callwatch.store import Store
        with Store(self.data_dir) as store:
            sent = alerts.send_digest(store, self.config)
        return ("ok" if sent else "failed"), "digest sent" if sent else "digest not delivered"

    def job_snapshot(self):
        from callwatch.evidence import pack as evidence_pack
        from callwatch.store import Store
        with Store(self.data_dir) as store:
            if store.conn.execute("SELECT 1 FROM findings LIMIT 1").fetchone() is None:
                return "nothing", "no finding to document"
            result = evidence_pack.make(store, self.config, private_dir(self.data_dir / "snapshots"))
        return "ok", f"{result.zip_path.name} fingerprint {result.fingerprint}"

    def job_maintenance(self):
        import os
        import sqlite3
        import tempfile
        from callwatch.store import Store
        folder = private_dir(self.data_dir / "backup")
        target = folder / "callwatch-backup.db"
        for stale in folder.glob(".callwatch-backup.*"):      # a backup cut short (jobs run one at a time)
            stale.unlink()
        with Store(self.data_dir) as store:
            # Written beside, then renamed: a full disk or a crash mid-backup never leaves a truncated
            # backup in place of the last good one.
            fd, tmp = tempfile.mkstemp(prefix=".callwatch-backup.", suffix=".tmp", dir=folder)
            os.close(fd)
            old = os.umask(0o077)
            try:
                dest = sqlite3.connect(tmp)
                try:
                    store.conn.backup(dest)          # SQLite's online backup: consistent while in use
                finally:
                    dest.close()
                with open(tmp, "rb") as fh:
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException as exc:
                for leftover in folder.glob(".callwatch-backup.*"):
                    leftover.unlink()
                fault = storage_fault(tmp, exc) if isinstance(exc, (OSError, sqlite3.Error)) else None
                if fault is not None:
                    raise fault from exc
                raise
            finally:
                os.umask(old)
            # Routine runs say nothing after a while: those that found nothing to do (before 2026-11 the
            # daemon recorded every look at the inbox, 2,880 a day) and a box's successful polls (288 a
            # day; the imports table keeps each import anyway), except each box's latest success, where
            # the failure-streak alert starts counting. Failures and every other result are kept.
            cutoff = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - ROUTINE_KEPT_DAYS * 86400))
            with store.transaction():
                pruned = store.conn.execute(
                    "DELETE FROM job_runs WHERE finished_at < ? AND (result = 'nothing' OR (result = 'ok' "
                    "AND job LIKE 'source:%' AND id NOT IN (SELECT MAX(id) FROM job_runs WHERE result = 'ok' "
                    "GROUP BY job)))", [cutoff]).rowcount
            store.conn.execute("PRAGMA optimize")
        return "ok", f"backup {target.name}, {target.stat().st_size} bytes; {pruned} old routine run(s) pruned"

    def source(self, name: str, failures: int) -> dict:
        """Poll one box (`failures`: its failures in a row so far); say when to try it again."""
        from callwatch import alerts, sources
        from callwatch.ingest import Cancelled, Importer
        from callwatch.store import Store
        source = next(s for s in self.config.sources if s.name == name)
        started, new, retry_in = _now(), 0, 0
        try:
            body, suffix = sources.fetch(source, self.data_dir)
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            path = write_private(private_dir(self.data_dir / "polls") / f"{name}-call-log-{stamp}{suffix}", body)
            with Store(self.data_dir) as store:
                result = Importer(store, self.config, cancel=self.stop).import_file(path, source=name)
            if result.status == "failed":
                raise CallwatchError(f"{result.message} (the answer is kept in {path})")
            # The archive holds these bytes now, under their hash; a copy per poll (every 5 minutes,
            # for months) would only fill the disk with identical call lists.
            path.unlink()
            failures, new = 0, result.new
            outcome, detail = "ok", f"{result.read} calls read, {result.new} new"
        except Cancelled as exc:
            outcome, detail = "stopped", str(exc)
        except Exception as exc:          # a box down never stops the daemon
            if getattr(exc, "fatal", False):
                raise
            failures += 1
            retry_in = backoff_s(source.every_s, failures)
            outcome, detail = "failed", f"{exc} (failure {failures}, next try in {retry_in} s)"
            log.warning("source %s: %s", name, detail)
        self.record(f"source:{name}", started, outcome, detail)
        if outcome == "failed" and failures >= 3:
            try:
                with Store(self.data_dir) as store:
                    alerts.source_failing(store, self.config, name, detail)
            except Exception as exc:
                log.error("cannot alert on source %s: %s", name, exc)
        if new and not self.stop.is_set():
            self.run("scan")
        return {"result": outcome, "detail": detail, "failures": failures, "retry_in": retry_in}


def handle(request: dict, stop: threading.Event) -> dict:
    """Run one request from the daemon; the outcome it prints back. A fault that no job can get
    past (StoreError.fatal: the store gone, replaced or damaged) is said with "fatal", and the
    daemon stops on it."""
    try:
        return _handle(request, stop)
    except CallwatchError as exc:
        if not getattr(exc, "fatal", False):
            raise
        return {"result": "failed", "detail": str(exc), "fatal": True}


def _handle(request: dict, stop: threading.Event) -> dict:
    jobs = Jobs(request["config"], stop)
    job, args = request["job"], request.get("args", {})
    if job == "open":           # at start-up: migrations run first, and a store that cannot open stops the daemon
        from callwatch.store import Store
        try:
            with Store(jobs.data_dir):
                pass
        except Exception as exc:
            return {"result": "failed", "detail": str(exc) if isinstance(exc, CallwatchError) else
                    f"cannot open the store in {jobs.data_dir}: {type(exc).__name__}: {exc}"}
        return {"result": "ok", "detail": ""}
    if job == "note":           # the record of a job whose process died before it could write one
        jobs.record(args["name"], _now(), args["result"], args["detail"])
        return {"result": "ok", "detail": ""}
    if job == "source":
        outcome = jobs.source(args["name"], args.get("failures", 0))
    else:
        result, detail = jobs.run(job, **args)
        outcome = {"result": result, "detail": detail}
    return {**outcome, "ran": jobs.ran}


def main() -> int:
    # callwatch's own progress at INFO; libraries only when they warn (fontTools alone writes some
    # twenty INFO lines per PDF font subset, which would fill the journal with every snapshot).
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    install_log_filter()                 # one line per record, no URL's password (shown.py)
    logging.getLogger("callwatch").setLevel(logging.INFO)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stop.set())
    request = pickle.loads(sys.stdin.buffer.read())
    outcome = handle(request, stop)
    sys.stdout.write(json.dumps(outcome) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
