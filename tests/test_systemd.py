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
