"""`callwatch daemon`: the home-server service. It only schedules the library's own steps:
the inbox (import what is dropped, once stable), a poll of each live source, a scan after new
data, alerts, a weekly evidence snapshot and maintenance (online backup, PRAGMA optimize).

Each job's work runs in a short-lived child process (`python -m callwatch.jobs`, see jobs.py),
one at a time (SQLite has one writer anyway): what a scan or a snapshot loads (pandas,
matplotlib, fpdf2) leaves with the child, so the daemon idles at the size of the interpreter
and APScheduler. This process keeps only the schedule, the inbox's stability tracker (a stat of
each file, no child until something is ready), each source's back-off, and systemd's watchdog.
SIGTERM/SIGINT stop it: the running child is told to stop (an import rolls back, the file stays
in the inbox) and is killed if it has not finished within the grace period.

This module imports nothing that loads the store: keep it so (see the idle benchmark).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from callwatch import identity
from callwatch.errors import CallwatchError, StoreError
from callwatch.inbox import StabilityTracker, candidates, inbox_dir, settle
from callwatch.jobs import backoff_s
from callwatch.private import check_owned, private_dir, write_private
from callwatch.status import STATE_FILE

log = logging.getLogger(__name__)
MAX_IMPORT_DEATHS = 3
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


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class _NoSkippedWarning(logging.Filter):
    """APScheduler warns each time a job's next run comes while the previous one still runs (every
    30 s through a long import): the daemon says it once, at INFO (Daemon._busy)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "skipped: maximum number of running instances" not in str(record.msg)


class Daemon:
    def __init__(self, config):
        self.config = config
        self.data_dir = check_owned(private_dir(Path(config.data_dir)), "data directory")
        self.inbox = inbox_dir(config)
        self.stop = threading.Event()
        self.tracker = StabilityTracker(config.daemon.stable_s)
        self.scheduler = BackgroundScheduler(
            timezone=config.timezone,
            executors={"default": ThreadPoolExecutor(1), "watchdog": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
        self._lock_fd = None
        self.source_health: dict[str, tuple[int, float]] = {}     # name -> (failures in a row, next try in epoch s)
        self.inbox_checked: dict = {}                             # the last look at the inbox (not a job run)
        self.import_deaths: dict[Path, int] = {}                  # inbox file -> its import processes that died
        self.last_death = ""
        self._child: subprocess.Popen | None = None
        self._child_lock = threading.Lock()
        self._idle = threading.Event()                            # set while no job runs
        self._state_lock = threading.Lock()                       # the job thread and the main thread write it
        self._idle.set()
        self.fatal = ""                                           # why the daemon stopped by itself
        self._said_busy = False                                   # "a job still runs" said once per busy stretch
        self._state_fault = ""                                    # daemon.json's last write failure, said once
        self.web: subprocess.Popen | None = None                  # the web page's process ([web] enabled)
        self.web_starts = 0

    # -- running one job in a child ------------------------------------------------------

    def _run_child(self, job: str, **args) -> dict | None:
        """Run `job` in a child process; its outcome, or None if it could not give one. A child
        that outlives [daemon] job_time_limit_s is told to stop, then killed."""
        request = pickle.dumps({"job": job, "config": self.config, "args": args})
        with self._child_lock:
            if self.stop.is_set():
                return None
            try:
                # -P: the child never imports a `callwatch` folder that happens to be the working directory.
                self._child = subprocess.Popen([sys.executable, "-P", "-m", "callwatch.jobs"],
                                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            except OSError as exc:
                log.error("%s job: cannot start its process: %s", job, exc)
                return None
            self._idle.clear()
        proc = self._child
        limit = self.config.daemon.job_time_limit_s
        timed_out = False
        try:
            try:
                out, _ = proc.communicate(request, timeout=limit or None)
            except subprocess.TimeoutExpired:
                timed_out = not self.stop.is_set()      # stopping already: the main thread stops it
                if timed_out:
                    log.warning("%s job: still running after its time limit of %s s ([daemon] job_time_limit_s): "
                                "stopping it (its transaction is rolled back)", job, limit)
                    proc.send_signal(signal.SIGTERM)
                try:
                    out, _ = proc.communicate(timeout=STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    out, _ = proc.communicate()
        finally:
            with self._child_lock:
                self._child = None
                self._idle.set()
        outcome = None
        try:
            outcome = json.loads(out.decode("utf-8").strip().splitlines()[-1])
        except (ValueError, IndexError, UnicodeDecodeError):
            pass
        if self.stop.is_set() and not timed_out:
            # Told to stop with the daemon (SIGTERM): a normal end, whatever the child managed to say.
            if outcome is None or proc.returncode != 0:
                log.info("%s job: stopped with the daemon (what it had not committed was rolled back)", job)
            return outcome if proc.returncode == 0 else None
        if outcome is not None and outcome.get("fatal"):
            self._stop_for(outcome["detail"])
            return None
        if timed_out or outcome is None or proc.returncode != 0:
            if timed_out:
                how = f"the time limit of {limit} s"
            else:
                how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit status {proc.returncode}"
                log.error("%s job: its process ended with %s and no outcome", job, how)
            self.last_death = how
            if not self.stop.is_set() and job not in ("note", "open"):
                recorded = f"source:{args['name']}" if job == "source" else job      # as the child records it
                detail = (f"stopped at {how} ([daemon] job_time_limit_s)" if timed_out
                          else f"the job's process ended with {how}")
                self._run_child("note", name=recorded, result="failed", detail=detail)
            return None
        for ran in outcome.get("ran", []):
            sd_notify(f"STATUS={ran['job']}: {ran['result']} {ran['detail'][:80]}")
        return outcome

    def _stop_for(self, reason: str) -> None:
        """A fault no job can get past (the store gone, replaced or damaged): stop, and say why on exit."""
        if not self.fatal:
            self.fatal = reason
            log.info("stopping: the store cannot be used (the reason follows on exit)")
        self.stop.set()

    def _busy(self, event) -> None:
        """APScheduler listener: one INFO line when runs are skipped because a job still runs."""
        if event.code == EVENT_JOB_MAX_INSTANCES:
            if not self._said_busy:
                self._said_busy = True
                log.info("%s: a run came while the previous job still runs; runs wait for it", event.job_id)
        else:
            self._said_busy = False

    # -- the jobs (each scheduled callable) ----------------------------------------------

    def job_inbox(self):
        try:
            identity.check_present(self.data_dir, identity.DB_NAME)     # a stat: the store deleted under us
        except StoreError as exc:
            self._stop_for(str(exc))
            return
        files = candidates(self.inbox)
        ready = self.tracker.stable(files)
        self.inbox_checked = {"at": _iso(time.time()), "files": len(files), "ready": len(ready)}
        # A file whose import process died (out of memory, say) is retried alone, so that the
        # culprit is known; after MAX_IMPORT_DEATHS it goes to failed/ rather than loop for ever.
        suspects = [p for p in ready if self.import_deaths.get(p)]
        others = [p for p in ready if not self.import_deaths.get(p)]
        for batch in [[p] for p in suspects] + ([others] if others else []):
            if self._run_child("inbox", paths=[str(p) for p in batch]) is None and not self.stop.is_set():
                for path in batch:
                    self.import_deaths[path] = self.import_deaths.get(path, 0) + 1
                    if len(batch) == 1 and self.import_deaths[path] >= MAX_IMPORT_DEATHS and path.exists():
                        settle(path, self.inbox, False, f"its import process died {MAX_IMPORT_DEATHS} times "
                               f"(last: {self.last_death}); nothing of it was stored. Too large for this machine's "
                               "memory? Split it, or import it by hand with `callwatch import`.")
                        del self.import_deaths[path]
                        log.error("inbox: %s moved to failed/ after %s import process deaths", path.name,
                                  MAX_IMPORT_DEATHS)
        self._write_state()

    def job_source(self, source):
        """Poll one box, unless it is backing off after failures (doubling, at most an hour)."""
        failures, next_try = self.source_health.get(source.name, (0, 0.0))
        if time.time() < next_try:
            return
        outcome = self._run_child("source", name=source.name, failures=failures)
        if outcome is None:
            failures += 1
            self.source_health[source.name] = (failures, time.time() + backoff_s(source.every_s, failures))
        else:
            self.source_health[source.name] = (outcome["failures"], time.time() + outcome["retry_in"])
        self._write_state()

    def job(self, name: str):
        """The scheduled callable for a job that only runs its child (snapshot, maintenance, digest)."""
        def run():
            self._run_child(name)
            self._write_state()
        run.__name__ = f"job_{name}"
        return run

    # -- the web page, its own long-lived child ------------------------------------------------

    def job_web(self):
        """Start the page's process ([web] enabled), or start it again if it died (every 30 s). The
        page runs beside the daemon rather than in it: its libraries (Starlette, Jinja2, and the
        detection's pandas for the review) stay out of the daemon. A thread waits on the process,
        so that its end is in daemon.json at once (not at the next run of some job) and only that
        thread reaps it: `Popen.poll()` from a second thread while another reaps says "still
        running", which once left `status` showing a page that had refused to start."""
        if self.web is not None and self.web.returncode is None:
            return
        if self.web_starts < 0 or self.stop.is_set() or self.web_starts >= 20:
            return
        try:
            web = subprocess.Popen([sys.executable, "-P", "-m", "callwatch.web"], stdin=subprocess.PIPE)
        except OSError as exc:
            log.error("web page: cannot start its process: %s", exc)
            return
        self.web = web
        self.web_starts += 1
        threading.Thread(target=self._watch_web, args=(web,), name="web-page", daemon=True).start()
        try:
            web.stdin.write(pickle.dumps(self.config))
            web.stdin.close()
        except OSError:
            pass                    # it ended before reading its configuration: its watcher says how
        self._write_state()

    def _watch_web(self, web: subprocess.Popen) -> None:
        """Wait for the page's process to end; say how unless the daemon is stopping. A refusal to
        serve (exit status 2: bound to the network without a password, the port taken) is logged
        once and not retried: it needs the user."""
        code = web.wait()
        if self.stop.is_set():
            return
        if code == 2:
            log.error("web page: it refused to start (see the message above); fix [web] and restart the daemon")
            self.web_starts = -1
        else:
            log.error("web page: its process ended with status %s; starting it again within 30 s", code)
        self._write_state()

    def _stop_web(self):
        if self.web is not None and self.web.returncode is None:
            self.web.terminate()
            try:
                self.web.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.web.kill()
                self.web.wait(timeout=1)

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
        """daemon.json, for `callwatch status`: what is scheduled, each source's back-off, the inbox."""
        with self._state_lock:         # made and written under the lock: the last writer has the latest news
            jobs = {}
            for job in self.scheduler.get_jobs():
                jobs[job.id] = _iso(job.next_run_time.timestamp()) if job.next_run_time else None
            sources = {name: {"failures": failures, "next_try": _iso(next_try) if next_try > time.time() else None}
                       for name, (failures, next_try) in self.source_health.items()}
            state = {"pid": os.getpid(), "updated_at": _iso(time.time()), "running": not self.stop.is_set(),
                     "inbox": str(self.inbox), "inbox_checked": self.inbox_checked, "next_runs": jobs,
                     "sources": sources}
            if self.config.web.enabled:
                web = self.web
                alive = web is not None and web.returncode is None       # set by _watch_web's wait, never polled here
                state["web"] = f"{self.config.web.bind}, pid {web.pid}" if alive else "not running"
                state["web_pid"] = web.pid if alive else None
            try:
                write_private(self.data_dir / STATE_FILE, json.dumps(state, indent=2))
                self._state_fault = ""
            except OSError as exc:          # a full disk or a read-only data directory: said once, not fatal
                if self._state_fault != exc.strerror:
                    self._state_fault = exc.strerror or str(exc)
                    log.warning("cannot write %s (%s): `callwatch status` shows older news until it can",
                                self.data_dir / STATE_FILE, self._state_fault)

    def run(self) -> int:
        self._acquire_lock()
        d = self.config.daemon
        opened = self._run_child("open")              # migrations run before any job
        if opened is None or opened["result"] != "ok":
            raise CallwatchError(opened["detail"] if opened else f"cannot open the store in {self.data_dir}")
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: self.stop.set())
        sched = self.scheduler
        logging.getLogger("apscheduler.scheduler").addFilter(_NoSkippedWarning())
        sched.add_listener(self._busy, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        sched.add_job(self.job_inbox, "interval", seconds=max(d.inbox_every_s, 1), id="inbox",
                      next_run_time=datetime.now(timezone.utc))
        sched.add_job(self.job("snapshot"), CronTrigger.from_crontab(d.snapshot_cron, timezone=self.config.timezone),
                      id="snapshot")
        sched.add_job(self.job("maintenance"), "interval", seconds=max(d.maintenance_every_s, 60), id="maintenance")
        if d.digest_cron and d.alert_urls:
            sched.add_job(self.job("digest"), CronTrigger.from_crontab(d.digest_cron, timezone=self.config.timezone),
                          id="digest")
        for source in self.config.sources:
            sched.add_job(self.job_source, "interval", args=[source], seconds=source.every_s, id=f"source:{source.name}",
                          next_run_time=datetime.now(timezone.utc))
        watchdog_usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
        if watchdog_usec:
            sched.add_job(lambda: sd_notify("WATCHDOG=1"), "interval", seconds=max(watchdog_usec / 2e6, 1),
                          id="watchdog", executor="watchdog")
        if self.config.web.enabled:
            sched.add_job(self.job_web, "interval", seconds=30, id="web", executor="watchdog",
                          next_run_time=datetime.now(timezone.utc))
        sched.start()
        self._write_state()
        sd_notify(f"READY=1\nSTATUS=watching {self.inbox}")
        log.info("callwatch daemon started: inbox %s, data %s", self.inbox, self.data_dir)
        self.stop.wait()
        sd_notify("STOPPING=1")
        log.info("stopping: waiting for the running job")
        sched.shutdown(wait=False)
        self._stop_web()
        with self._child_lock:
            if self._child is not None:
                self._child.send_signal(signal.SIGTERM)   # an import rolls back; nothing more is chained
        finished = self._idle.wait(timeout=STOP_GRACE_S)
        if not finished:
            # An import checks the stop flag and rolls back; a long scan does not, but it writes
            # in one transaction at its end, which SQLite rolls back when its process goes.
            log.info("a job still runs after %s s: stopping it (its transaction is rolled back)", STOP_GRACE_S)
            with self._child_lock:
                if self._child is not None:
                    self._child.kill()
            self._idle.wait(timeout=1)
        self._write_state()
        os.close(self._lock_fd)
        if self.fatal:
            raise StoreError(self.fatal)        # one sentence, exit status 2 (cli.handle_errors)
        return 0
