"""The service unit: hardened (systemd-analyze's exposure score) and consistent with the CLI."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "callwatch.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_exposure_score_is_at_most_2():
    out = subprocess.run(["systemd-analyze", "security", "--offline=true", str(UNIT)], capture_output=True, text=True)
    match = re.search(r"Overall exposure level for callwatch.service: ([0-9.]+)", out.stdout)
    assert match, out.stdout[-500:] + out.stderr[-500:]
    print(f"systemd-analyze exposure: {match.group(1)}")
    assert float(match.group(1)) <= 2.0


def test_unit_runs_the_daemon_as_notify_with_watchdog_and_private_state():
    text = UNIT.read_text()
    for line in ("Type=notify", "WatchdogSec=", "StateDirectory=callwatch", "ConfigurationDirectory=callwatch",
                 "UMask=0077", "DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes"):
        assert line in text, line
    assert re.search(r"^ExecStart=.*callwatch .*--data-dir /var/lib/callwatch daemon$", text, re.M)


# Calls the unit's filter refuses (EPERM, SystemCallErrorNumber) that are seen here and are harmless there:
HARMLESS_OUTSIDE_FILTER = {
    "fchown": "SQLite gives its journal the database's owner, only when running as root (the service never is)",
    "mbind": "OpenBLAS (under numpy) asks for NUMA placement of its buffers and ignores the answer",
}


def _filter_set(name):
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True, text=True, check=True)
    calls = set()
    for line in out.stdout.splitlines()[1:]:
        line = line.strip()
        if line and not line.startswith("#"):
            calls |= _filter_set(line) if line.startswith("@") else {line}
    return calls


def _can_trace():
    """strace present and allowed to trace here (a container may forbid ptrace)."""
    if shutil.which("strace") is None:
        return False
    return subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(shutil.which("systemd-analyze") is None or not _can_trace(),
                    reason="needs systemd-analyze and a working strace")
def test_daemon_and_its_job_processes_stay_inside_the_units_syscall_filter(tmp_path):
    """The daemon runs an import, a scan and a snapshot in child processes under strace: every system
    call they make must pass the unit's SystemCallFilter lines (read from the unit, not copied here)."""
    import json
    import os
    import signal
    import sys
    import time

    allowed, denied = set(), set()
    for line in re.findall(r"^SystemCallFilter=(.*)$", UNIT.read_text(), re.M):
        target = denied if line.startswith("~") else allowed
        for name in line.lstrip("~").split():
            target |= _filter_set(name) if name.startswith("@") else {name}
    permitted = allowed - denied
    sample = Path(__file__).resolve().parent.parent / "callwatch" / "sample_exports"
    cfg = tmp_path / "callwatch.toml"
    cfg.write_text((sample / "demo-config.toml").read_text() + "\n[daemon]\ninbox_every_s = 1\nstable_s = 1\n")
    data, trace = tmp_path / "data", tmp_path / "trace"
    env = {**os.environ, "CALLWATCH_CONFIG": str(cfg)}
    env.pop("NOTIFY_SOCKET", None)
    tracer = subprocess.Popen(["strace", "-f", "-qq", "-o", str(trace), sys.executable, "-m", "callwatch",
                               "--data-dir", str(data), "daemon"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not (data / "daemon.json").exists() and time.time() < deadline:
            time.sleep(0.2)
        for export in (sample / "household" / "fritzbox").iterdir():
            (data / "inbox" / export.name).write_bytes(export.read_bytes())
        while not list((data / "snapshots").glob("*.zip")) and time.time() < deadline:
            time.sleep(0.5)
        assert list((data / "snapshots").glob("*.zip")), "no snapshot: the import, scan and snapshot did not all run"
        os.kill(json.loads((data / "daemon.json").read_text())["pid"], signal.SIGTERM)
        assert tracer.wait(timeout=60) == 0
    finally:
        if tracer.poll() is None:
            tracer.kill()
            tracer.wait()
    used = set(re.findall(r"^\d+ +([a-z0-9_]+)\(", trace.read_text(), re.M))
    assert {"execve", "wait4"} <= used                      # the job processes were traced too
    outside = used - permitted - set(HARMLESS_OUTSIDE_FILTER)
    print(f"system calls: {len(used)} distinct, outside the filter and harmless there: "
          f"{sorted((used - permitted) & set(HARMLESS_OUTSIDE_FILTER))}")
    assert not outside, f"the unit's filter would refuse {sorted(outside)}"
