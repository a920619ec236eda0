"""What the daemon did and will do, and what the store holds: read once for `callwatch status`
and for the web page's overview and status pages (the same figures in both).

The daemon writes its schedule, each live source's back-off and its last look at the inbox to
``<data dir>/daemon.json``; each job run is a row of ``job_runs``. Reads only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

STATE_FILE = "daemon.json"          # written by daemon.py (kept here so that readers need not import it)


@dataclass
class Job:
    name: str
    last_run: str | None            # UTC ISO 8601
    result: str | None
    detail: str
    next_run: str | None


@dataclass
class Status:
    config_path: Path | None        # the configuration file read (None: built-in defaults)
    data_dir: Path
    daemon: dict | None             # daemon.json, with "alive"; None: never started here
    jobs: list[Job]
    counts: dict[str, int]
    phones: list = field(default_factory=list)            # coverage.Phone
    findings: list[dict] = field(default_factory=list)   # id, severity, label, why (most severe first)
    snapshots: list[Path] = field(default_factory=list)  # oldest first
    failing_sources: dict[str, dict] = field(default_factory=dict)   # name -> failures, next_try, last detail
    last_imports: list[dict] = field(default_factory=list)            # newest first

    @property
    def config_name(self) -> str:
        return str(self.config_path) if self.config_path else "none (built-in defaults)"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def read_state(data_dir: Path) -> dict | None:
    path = Path(data_dir) / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    state["alive"] = bool(pid_alive(state.get("pid", 0)) and state.get("running"))
    return state


def gather(store, config, *, stale_days: float = 7) -> Status:
    from callwatch.coverage import phone_coverage
    from callwatch.readout import SEVERITY_ORDER
    data_dir = Path(config.data_dir)
    state = read_state(data_dir)
    runs = list(store.db.query(
        "SELECT job, started_at, finished_at, result, detail FROM job_runs WHERE id IN "
        "(SELECT MAX(id) FROM job_runs GROUP BY job) ORDER BY job"))
    counts = {t: store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("imports", "calls", "rejects", "findings")}
    findings = list(store.db.query(f"SELECT id, severity, label, why FROM findings ORDER BY {SEVERITY_ORDER} LIMIT 5"))
    phones = phone_coverage(store, stale_after_days=stale_days)
    last_imports = list(store.db.query(
        "SELECT id, original_name, format, finished_at, new, rejected FROM imports ORDER BY id DESC LIMIT 5"))
    by_job = {r["job"]: r for r in runs}
    checked = (state or {}).get("inbox_checked") or {}
    if checked and checked["at"] > (by_job.get("inbox", {}).get("finished_at") or ""):
        # The daemon looks at the inbox often and records a run only when it imports something.
        by_job["inbox"] = {"finished_at": checked["at"], "result": "nothing",
                           "detail": f"looked: {checked['files']} file(s), {checked['ready']} ready"}
    next_runs = dict((state or {}).get("next_runs", {}))
    failing = {}
    for name, health in ((state or {}).get("sources") or {}).items():
        if health.get("next_try"):       # backing off after failures: the next real poll is later
            next_runs[f"source:{name}"] = f"{health['next_try']} (back-off, {health['failures']} failure(s))"
        if health.get("failures"):
            failing[name] = {**health, "detail": (by_job.get(f"source:{name}") or {}).get("detail") or ""}
    jobs = [Job(name, by_job.get(name, {}).get("finished_at"), by_job.get(name, {}).get("result"),
                (by_job.get(name, {}).get("detail") or ""), next_runs.get(name))
            for name in sorted(set(by_job) | set(next_runs))]
    folder = data_dir / "snapshots"
    snapshots = sorted(folder.glob("*.zip")) if folder.exists() else []
    return Status(config.path, data_dir, state, jobs, counts, phones, findings, snapshots, failing, last_imports)
