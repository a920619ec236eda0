"""The page's long work (an import, a scan, an evidence pack, a verification), each in a short-lived
child process, as the daemon runs its jobs (jobs.py): what an import or a pack loads (pandas,
matplotlib, fpdf2) leaves with the child, so the page's own process stays small however long it runs.

Protocol: the page writes one pickled request ``{"kind", "config", "args", "status"}`` on the
child's stdin (a pipe between two processes of the same program); the child writes its progress
and then its outcome to the ``status`` file (JSON, 0600, replaced atomically), which the page
reads to show progress. One task at a time: SQLite has one writer, and the daemon's jobs share it.
"""

from __future__ import annotations

import json
import logging
import pickle
import secrets
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from callwatch.errors import CallwatchError
from callwatch.private import private_dir, write_private

log = logging.getLogger("callwatch.web.tasks")
KINDS = ("import", "scan", "pack", "verify")
VERIFIED_FILE = "verified.json"


def web_dir(data_dir: Path) -> Path:
    return private_dir(Path(data_dir) / "web")


def packs_dir(data_dir: Path) -> Path:
    return private_dir(Path(data_dir) / "packs")


def uploads_dir(data_dir: Path) -> Path:
    return private_dir(Path(data_dir) / "uploads")


class Runner:
    """The page's side: starts tasks, reads their progress, reaps their processes."""

    def __init__(self, config):
        self.config = config
        self.folder = private_dir(web_dir(config.data_dir) / "tasks")
        self._procs: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()

    def _path(self, task_id: str) -> Path:
        if not task_id.isalnum():
            raise CallwatchError(f"no task {task_id!r}")
        return self.folder / f"{task_id}.json"

    def running(self) -> str | None:
        """The id of the task still running, if any. A task whose outcome is written is finished
        even while its process is still exiting (its store closed before it wrote): otherwise the
        page said "done", the next page "a task is running" and refused the user's next task."""
        with self._lock:
            for task_id, proc in list(self._procs.items()):
                if proc.poll() is not None:
                    self._finish(task_id, proc)
                elif (self._read(task_id) or {"state": "running"}).get("state") == "running":
                    return task_id
        return None

    def _finish(self, task_id: str, proc: subprocess.Popen) -> None:
        """A child that ended without writing its outcome (killed, out of memory) failed."""
        del self._procs[task_id]
        status = self._read(task_id)
        if status and status.get("state") == "running":
            how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit status {proc.returncode}"
            status.update(state="failed", message=f"the task's process ended with {how} before finishing")
            write_private(self._path(task_id), json.dumps(status), atomic=True)

    def start(self, kind: str, **args) -> str:
        if kind not in KINDS:
            raise CallwatchError(f"unknown task {kind!r}")
        busy = self.running()
        if busy:
            raise CallwatchError("another task is still running: wait for it to finish")
        task_id = time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(4)
        status = {"id": task_id, "kind": kind, "state": "running", "step": "starting", "done": 0, "total": None,
                  "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "message": "", "result": None}
        path = write_private(self._path(task_id), json.dumps(status), atomic=True)
        request = pickle.dumps({"kind": kind, "config": self.config, "args": args, "status": str(path)})
        with self._lock:
            # -P: the child never imports a `callwatch` folder that happens to be the working directory.
            proc = subprocess.Popen([sys.executable, "-P", "-m", "callwatch.web.tasks"], stdin=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL)
            proc.stdin.write(request)
            proc.stdin.close()
            self._procs[task_id] = proc
        return task_id

    def _read(self, task_id: str) -> dict | None:
        try:
            return json.loads(self._path(task_id).read_text())
        except (OSError, ValueError):
            return None

    def get(self, task_id: str) -> dict | None:
        self.running()                      # reaps what ended
        return self._read(task_id)

    def stop_all(self) -> None:
        with self._lock:
            for proc in self._procs.values():
                if proc.poll() is None:
                    proc.terminate()


# -- the child's side -----------------------------------------------------------------------

class Progress:
    def __init__(self, path: Path):
        self.path = path
        self.status = json.loads(path.read_text())
        self._last = 0.0

    def step(self, step: str, done: int = 0, total: int | None = None, *, force: bool = True) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        self.status.update(step=step, done=done, total=total)
        write_private(self.path, json.dumps(self.status), atomic=True)

    def end(self, state: str, message: str, result: dict | None = None) -> None:
        self.status.update(state=state, message=message, result=result, step="",
                           finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        write_private(self.path, json.dumps(self.status, default=str), atomic=True)


def _import(config, progress: Progress, files: list[str]) -> tuple[str, dict]:
    from callwatch.ingest import Importer
    from callwatch.store import Store
    results = []
    try:
        with Store(config.data_dir) as store:
            importer = Importer(store, config, lambda name, done, total: progress.step(
                f"importing {name}", done, total, force=False))
            for path in map(Path, files):
                progress.step(f"importing {path.name}")
                r = importer.import_file(path)
                results.append({"file": path.name, "status": r.status, "format": r.format, "read": r.read,
                                "new": r.new, "duplicate": r.duplicate, "merged": r.merged,
                                "rejected": r.rejected, "import_id": r.import_id, "message": r.message,
                                "tried": list(r.tried)})
    finally:
        # The archive holds what was imported, under its hash; the uploaded copies are not kept.
        for path in map(Path, files):
            shutil.rmtree(path.parent, ignore_errors=True)
    new = sum(r["new"] for r in results)
    scanned = None
    if new:
        progress.step("scanning")
        scanned = _scan_now(config)
    failed = [r for r in results if r["status"] == "failed"]
    message = f"{len(results) - len(failed)} file(s) read, {new} new call(s)" + (
        f", {len(failed)} refused" if failed else "")
    return ("failed" if failed and len(failed) == len(results) else "done"), {
        "message": message, "files": results, "scan": scanned}


def _scan_now(config) -> dict:
    from callwatch.detect import scan
    from callwatch.store import Store
    with Store(config.data_dir) as store:
        result = scan(store, config)
    return {"scan_id": result.scan_id, "mode": result.mode, "findings": len(result.findings)}


def _scan(config, progress: Progress) -> tuple[str, dict]:
    progress.step("scanning")
    scanned = _scan_now(config)
    return "done", {"message": f"scan #{scanned['scan_id']} ({scanned['mode']}): {scanned['findings']} finding(s)",
                    "scan": scanned}


def record_verification(data_dir: Path, zip_path: Path, report) -> dict:
    """Remember a stored pack's verification, with its size and time, to show it beside the pack."""
    path = web_dir(data_dir) / VERIFIED_FILE
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    st = zip_path.stat()
    entry = {"ok": report.ok, "level": report.level, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "size": st.st_size,
             "mtime_ns": st.st_mtime_ns, "fingerprint": report.fingerprint,
             "problems": [*report.changed, *report.missing, *report.extra, *report.sources_bad, *report.problems][:20]}
    known[str(zip_path.relative_to(data_dir))] = entry
    write_private(path, json.dumps(known, indent=1), atomic=True)
    return entry


def verifications(data_dir: Path) -> dict:
    try:
        return json.loads((Path(data_dir) / "web" / VERIFIED_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _verify_report(config, path: Path):
    from callwatch.evidence.verify import verify
    from callwatch.store import Store
    store = Store(config.data_dir) if (Path(config.data_dir) / "callwatch.db").exists() else None
    try:
        return verify(path, store, config.timestamp.ca_file)
    finally:
        if store is not None:
            store.close()


def _report_dict(report) -> dict:
    return {"ok": report.ok, "level": report.level, "lines": [text for _good, text in report.lines()],
            "fingerprint": report.fingerprint, "checked": report.checked,
            "changed": report.changed, "missing": report.missing, "extra": report.extra,
            "sources_bad": report.sources_bad, "sources_checked": report.sources_checked,
            "problems": report.problems, "timestamp": report.timestamp}


def _pack(config, progress: Progress, finding_id: int | None = None, lang: str | None = None,
          start: str | None = None, end: str | None = None) -> tuple[str, dict]:
    from datetime import date
    from callwatch.evidence import data as evidence_data, pack as evidence_pack
    from callwatch.store import Store
    progress.step("gathering the calls")
    with Store(config.data_dir) as store:
        gathered = evidence_data.gather(store, config, finding_id=finding_id,
                                        start=date.fromisoformat(start) if start else None,
                                        end=date.fromisoformat(end) if end else None)
    progress.step("writing the PDF, the CSV, the letters and the manifest")
    out = packs_dir(config.data_dir)
    result = evidence_pack.build(gathered, out, lang or config.report_language)
    progress.step("verifying the pack")
    report = _verify_report(config, result.zip_path)
    record_verification(config.data_dir, result.zip_path, report)
    return "done", {"message": f"{result.zip_path.name}: fingerprint {result.fingerprint}",
                    "zip": result.zip_path.name, "fingerprint": result.fingerprint, "verify": _report_dict(report)}


def _verify(config, progress: Progress, path: str, uploaded: bool = False) -> tuple[str, dict]:
    target = Path(path)
    progress.step(f"verifying {target.name}")
    try:
        report = _verify_report(config, target)
        if not uploaded:
            record_verification(config.data_dir, target, report)
    finally:
        if uploaded:
            shutil.rmtree(target.parent, ignore_errors=True)
    from callwatch.evidence.verify import VERDICTS
    # the verdict in levels, as `callwatch verify` says it: intact files without a trusted
    # time-stamp are never called simply "intact"
    return "done", {"message": f"{target.name}: {VERDICTS[report.level]}", "file": target.name,
                    "verify": _report_dict(report)}


def run(request: dict) -> None:
    progress = Progress(Path(request["status"]))
    kind, config, args = request["kind"], request["config"], request.get("args", {})
    try:
        state, result = {"import": _import, "scan": _scan, "pack": _pack, "verify": _verify}[kind](
            config, progress, **args)
        progress.end(state, result.pop("message"), result)
    except CallwatchError as exc:
        progress.end("failed", str(exc))
    except Exception as exc:            # a task's failure is shown on the page, never a traceback there
        log.exception("web task %s failed", kind)
        progress.end("failed", f"{type(exc).__name__}: {exc}")


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    run(pickle.loads(sys.stdin.buffer.read()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
