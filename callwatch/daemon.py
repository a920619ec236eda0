"""`callwatch daemon`: the home-server service. It only schedules the library's own steps:
the inbox (import what is dropped, once stable), a scan after new data, alerts, a weekly
evidence snapshot and maintenance (online backup, PRAGMA optimize).

One worker thread runs the jobs one after the other (SQLite has one writer anyway); a second
thread only answers systemd's watchdog. SIGTERM/SIGINT stop it: an import in progress rolls
back (the file stays in the inbox) and the scheduler waits for the running job.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import socket
import threading
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from callwatch.errors import CallwatchError
from callwatch.inbox import StabilityTracker, candidates, settle
from callwatch.ingest import Cancelled, Importer
from callwatch.store import Store, private_dir

log = logging.getLogger(__name__)
STATE_FILE = "daemon.json"
STOP_GRACE_S = 8            # systemd's stop budget is 10 s; TimeoutStopSec leaves room above it


def sd_notify(message: str) -> bool:
    """Tell systemd (Type=notify) how we are; a no-op outside systemd. UTF-8, errors logged."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
        return True
    except OSError as exc:
        log.warning("sd_notify failed: %s", exc)
        return False


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Daemon:
    def __init__(self, config):
        self.config = config
        self.data_dir = private_dir(Path(config.data_dir))
        self.inbox = private_dir(Path(config.daemon.inbox or self.data_dir / "inbox"))
        self.stop = threading.Event()
        self.tracker = StabilityTracker(config.daemon.stable_s)
        self.scheduler = BackgroundScheduler(
            timezone=config.timezone,
            executors={"default": ThreadPoolExecutor(1), "watchdog": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
        self._lock_fd = None
        self.source_health: dict[str, tuple[int, float]] = {}     # name -> (failures in a row, next try)
        self._running = 0                                         # jobs in progress (nested: inbox -> scan)
        self._jobs_running = threading.Condition()

    # -- the jobs ------------------------------------------------------------------------

    def _job(name):
        def finally_done(self):
            with self._jobs_running:
                self._running -= 1
                self._jobs_running.notify_all()

        def wrap(fn):
            def run(self):
                started = _now()
                with self._jobs_running:
                    self._running += 1
                try:
                    result, detail = fn(self)
                except Cancelled as exc:
                    result, detail = "stopped", str(exc)
                except Exception as exc:      # one job's failure never stops the others
                    log.error("%s job failed: %s", name, exc)
                    log.debug("%s", traceback.format_exc())
                    result, detail = "failed", f"{type(exc).__name__}: {exc}"
                try:
                    with Store(self.data_dir) as store:
                        store.record_job(name, started, result, detail)
                except Exception as exc:
                    log.error("cannot record the %s job: %s", name, exc)
                finally_done(self)
                self._write_state()
                sd_notify(f"STATUS={name}: {result} {detail[:80]}")
            run.__name__ = fn.__name__
            return run
        return wrap

    @_job("inbox")
    def job_inbox(self):
        ready = self.tracker.stable(candidates(self.inbox))
        if not ready:
            return "nothing", ""
        done, failed, new = 0, 0, 0
        with Store(self.data_dir) as store:
            importer = Importer(store, self.config, cancel=self.stop)
            for path in ready:
                if self.stop.is_set():
                    break
                result = importer.import_file(path)
                if result.status in ("failed", "skipped"):
                    settle(path, self.inbox, False, f"{result.message}\nformats tried: {', '.join(result.tried)}")
                    failed += 1
                else:
                    settle(path, self.inbox, True)
                    done += 1
                    new += result.new
        if new and not self.stop.is_set():
            self.job_scan()
        return "ok" if not failed else "failed", f"{done} imported ({new} new calls), {failed} refused"

    @_job("scan")
    def job_scan(self):
        from callwatch.detect import scan
        with Store(self.data_dir) as store:
            result = scan(store, self.config)
        if not self.stop.is_set():
            self.job_alert()
        if result.findings and not self.stop.is_set() and self._snapshot_due():
            self.job_snapshot()            # a dated pack exists as soon as there is something to show
        return "ok", f"{result.mode}: {len(result.findings)} finding(s), {result.changed} changed"

    def _snapshot_due(self, days: int = 7) -> bool:
        folder = self.data_dir / "snapshots"
        packs = list(folder.glob("*.zip")) if folder.exists() else []
        return not packs or time.time() - max(p.stat().st_mtime for p in packs) > days * 86400

    @_job("alert")
    def job_alert(self):
        from callwatch import alerts
        with Store(self.data_dir) as store:
            sent, held = alerts.dispatch(store, self.config)
        return ("ok" if sent or held else "nothing"), f"{sent} sent, {held} held back"

    def job_source(self, source):
        """Poll one box; back off after failures (doubling, at most an hour); alert when it keeps failing."""
        now = time.monotonic()
        failures, next_try = self.source_health.get(source.name, (0, 0.0))
        if now < next_try:
            return
        started = _now()
        try:
            from callwatch import sources
            body, suffix = sources.fetch(source, self.data_dir)
            folder = private_dir(self.data_dir / "polls")
            path = folder / f"{source.name}-call-log-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}{suffix}"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            with Store(self.data_dir) as store:
                result = Importer(store, self.config, cancel=self.stop).import_file(path)
            if result.status == "failed":
                raise CallwatchError(result.message)
            self.source_health[source.name] = (0, 0.0)
            outcome, detail = "ok", f"{result.read} calls read, {result.new} new"
        except Cancelled as exc:
            outcome, detail = "stopped", str(exc)
        except Exception as exc:          # a box down never stops the daemon
            failures += 1
            delay = min(source.every_s * 2 ** failures, 3600)
            self.source_health[source.name] = (failures, now + delay)
            outcome, detail = "failed", f"{exc} (failure {failures}, next try in {delay} s)"
            log.warning("source %s: %s", source.name, detail)
        with Store(self.data_dir) as store:
            store.record_job(f"source:{source.name}", started, outcome, detail)
            if outcome == "failed" and self.source_health[source.name][0] >= 3:
                from callwatch import alerts
                alerts.source_failing(store, self.config, source.name, detail)
        self._write_state()
        if outcome == "ok" and result.new and not self.stop.is_set():
            self.job_scan()

    @_job("digest")
    def job_digest(self):
        from callwatch import alerts
        with Store(self.data_dir) as store:
            sent = alerts.send_digest(store, self.config)
        return ("ok" if sent else "failed"), "digest sent" if sent else "digest not delivered"

    @_job("snapshot")
    def job_snapshot(self):
        from callwatch.evidence import data as evidence_data, pack as evidence_pack
        with Store(self.data_dir) as store:
            if store.conn.execute("SELECT 1 FROM findings LIMIT 1").fetchone() is None:
                return "nothing", "no finding to document"
            gathered = evidence_data.gather(store, self.config)
            result = evidence_pack.build(gathered, private_dir(self.data_dir / "snapshots"), "fr")
        return "ok", f"{result.zip_path.name} fingerprint {result.fingerprint}"

    @_job("maintenance")
    def job_maintenance(self):
        backup_dir = private_dir(self.data_dir / "backup")
        target = backup_dir / "callwatch-backup.db"
        with Store(self.data_dir) as store:
            old = os.umask(0o077)
            try:
                import sqlite3
                dest = sqlite3.connect(target)
                try:
                    store.conn.backup(dest)          # SQLite's online backup: consistent while in use
                finally:
                    dest.close()
            finally:
                os.umask(old)
            store.conn.execute("PRAGMA optimize")
        return "ok", f"backup {target.name}, {target.stat().st_size} bytes"

    del _job

    # -- running -------------------------------------------------------------------------

    def _acquire_lock(self):
        path = self.data_dir / "daemon.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            raise CallwatchError(f"another callwatch daemon already runs on {self.data_dir} (pid {other or '?'})")
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def _write_state(self):
        jobs = {}
        for job in self.scheduler.get_jobs():
            jobs[job.id] = job.next_run_time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") \
                if job.next_run_time else None
        state = {"pid": os.getpid(), "updated_at": _now(), "running": not self.stop.is_set(),
                 "inbox": str(self.inbox), "next_runs": jobs}
        tmp = self.data_dir / f".{STATE_FILE}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(state, fh, indent=2)
        os.replace(tmp, self.data_dir / STATE_FILE)

    def run(self) -> int:
        self._acquire_lock()
        d = self.config.daemon
        with Store(self.data_dir):
            pass                                       # migrations run before any job
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: self.stop.set())
        sched = self.scheduler
        sched.add_job(self.job_inbox, "interval", seconds=max(d.inbox_every_s, 1), id="inbox",
                      next_run_time=datetime.now(timezone.utc))
        sched.add_job(self.job_snapshot, CronTrigger.from_crontab(d.snapshot_cron, timezone=self.config.timezone),
                      id="snapshot")
        sched.add_job(self.job_maintenance, "interval", seconds=max(d.maintenance_every_s, 60), id="maintenance")
        if d.digest_cron and d.alert_urls:
            sched.add_job(self.job_digest, CronTrigger.from_crontab(d.digest_cron, timezone=self.config.timezone),
                          id="digest")
        for source in self.config.sources:
            sched.add_job(self.job_source, "interval", args=[source], seconds=source.every_s, id=f"source:{source.name}",
                          next_run_time=datetime.now(timezone.utc))
        watchdog_usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
        if watchdog_usec:
            sched.add_job(lambda: sd_notify("WATCHDOG=1"), "interval", seconds=max(watchdog_usec / 2e6, 1),
                          id="watchdog", executor="watchdog")
        sched.start()
        self._write_state()
        sd_notify(f"READY=1\nSTATUS=watching {self.inbox}")
        log.info("callwatch daemon started: inbox %s, data %s", self.inbox, self.data_dir)
        self.stop.wait()
        sd_notify("STOPPING=1")
        log.info("stopping: waiting for the running job")
        sched.shutdown(wait=False)
        with self._jobs_running:
            finished = self._jobs_running.wait_for(lambda: self._running == 0, timeout=STOP_GRACE_S)
        self._write_state()
        os.close(self._lock_fd)
        if not finished:
            # An import checks the stop flag and rolls back; a long scan does not, but it writes
            # in one transaction at its end, which SQLite rolls back if the process goes now.
            log.warning("a job still runs after %s s: exiting anyway (its transaction is rolled back)", STOP_GRACE_S)
            logging.shutdown()
            os._exit(0)
        return 0
