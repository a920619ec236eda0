"""Making a pack, attacked by a bad day: SIGKILL at random moments while a pack replaces the
previous one of the same name, a computer clock in 2001, phone clocks that jumped to 2030,
2038 and 2100."""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader

from callwatch.detect import scan
from callwatch.errors import CallwatchError
from callwatch.evidence import data as evidence_data, dating, pack as evidence_pack
from callwatch.evidence.verify import verify
from household import OPERATOR_CONFIG, build, ms, oppo_xml

KILLS = int(os.environ.get("CALLWATCH_REPORT_KILLS", "12"))


def _small_events():
    start = datetime(2026, 10, 5, 11, 0)
    return [(start + timedelta(days=2 * i), f"01623450{10 + i}", 3 if i % 2 else 1, 0 if i % 2 else 2, 8, "op")
            for i in range(6)]


# -- SIGKILL while a pack replaces the previous one ------------------------------------------------
# A helper process loads callwatch (pandas, matplotlib, fpdf2) once, then forks one child per
# report: each kill costs the build only. The children are real processes killed by a real SIGKILL.

FORKER = r"""
import os, sys
from pathlib import Path
from callwatch import config
from callwatch.evidence import pack
from callwatch.store import Store
import callwatch.evidence.pdf, callwatch.evidence.charts   # loaded before forking
cfg = config.load(sys.argv[1], sys.argv[2])
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        store = Store(cfg.data_dir)
        pack.make(store, cfg, Path(line.strip()), lang="en")
        os._exit(0)
    print(pid, flush=True)
    os.waitpid(pid, 0)
    print("done", flush=True)
"""


def test_sigkill_during_report_never_leaves_a_half_pack(make_household, tmp_path, capsys):
    h = make_household(OPERATOR_CONFIG)
    h.import_(h.write("calls.xml", oppo_xml(_small_events())))
    scan(h.store, h.config)
    out = tmp_path / "out"
    first = evidence_pack.make(h.store, h.config, out, lang="en")
    forker = subprocess.Popen([sys.executable, "-c", FORKER, str(h.config.path), str(h.config.data_dir)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def start():
        forker.stdin.write(f"{out}\n")
        forker.stdin.flush()
        return int(forker.stdout.readline())

    def finish():
        assert forker.stdout.readline().strip() == "done"

    try:
        t0 = time.monotonic()
        start()
        finish()
        span = time.monotonic() - t0                    # one uninterrupted build
        rng = random.Random(16)
        mid_build = 0
        for _ in range(KILLS):
            pid = start()
            time.sleep(rng.uniform(0, span))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            finish()
            hidden = [p.name for p in out.iterdir() if p.name.startswith(".")]
            mid_build += bool(hidden)
            # whatever the moment: the first pack untouched, and every pack or zip under its own
            # name (-2, -3...) whole; a kill between the folder and its zip leaves a whole folder
            assert verify(first.folder).ok and verify(first.zip_path).ok
            for target in (p for p in out.iterdir() if not p.name.startswith(".")):
                report = verify(target)
                assert report.ok, (target.name, hidden, report.lines())
        start()
        finish()                                        # a build after the kills clears their leftovers
        assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
        assert verify(first.zip_path).ok
    finally:
        forker.stdin.close()
        forker.wait(timeout=30)
    with capsys.disabled():
        print(f"\n[report] {KILLS} SIGKILLs during report (one build {span:.1f} s): {mid_build} landed mid-build; "
              "the pack and the zip were whole after every one")
    assert mid_build >= 2                               # the kills do land while a pack is being built


# -- the computer's clock ----------------------------------------------------------------------

def test_a_clock_behind_the_store_stops_the_report(make_household, tmp_path):
    h = make_household(OPERATOR_CONFIG)
    h.import_(h.write("calls.xml", oppo_xml(_small_events())))
    scan(h.store, h.config)
    with pytest.raises(dating.ClockError, match=r"--at 2001-01-01 00:00 UTC is before the newest import"):
        evidence_pack.make(h.store, h.config, tmp_path / "out", at=datetime(2001, 1, 1, tzinfo=timezone.utc))
    assert not (tmp_path / "out").exists()
    with pytest.raises(dating.ClockError, match=r"clock says 2001-01-01 00:00 UTC, before the newest import"):
        dating.check(h.store.conn, datetime(2001, 1, 1, tzinfo=timezone.utc))
    env = {**os.environ, "CALLWATCH_CONFIG": str(h.config.path), "CALLWATCH_DATA_DIR": str(h.config.data_dir)}
    run = subprocess.run([sys.executable, "-m", "callwatch", "report", "--out", str(tmp_path / "cli"),
                          "--at", "2001-01-01T00:00:00"], env=env, capture_output=True, text=True)
    assert run.returncode == 2 and "is before the newest import" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.skipif(not shutil.which("faketime"), reason="faketime (Debian package) not installed; CI installs it")
def test_a_raspberry_pi_booting_in_2001_makes_no_pack(make_household, tmp_path):
    h = make_household(OPERATOR_CONFIG)
    h.import_(h.write("calls.xml", oppo_xml(_small_events())))
    scan(h.store, h.config)
    env = {**os.environ, "CALLWATCH_CONFIG": str(h.config.path), "CALLWATCH_DATA_DIR": str(h.config.data_dir)}
    run = subprocess.run(["faketime", "2001-01-01 00:00:00", sys.executable, "-m", "callwatch", "report", "--out",
                          str(tmp_path / "cli")], env=env, capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    assert "this computer's clock says 2001-01-01" in run.stderr and "set the clock" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "cli").exists()


# -- phone clocks in 2030, 2038, 2100 -------------------------------------------------------------

def test_calls_dated_after_their_import_are_flagged_kept_apart_and_break_no_rule(make_household, tmp_path,
                                                                               monkeypatch):
    h = make_household(OPERATOR_CONFIG)
    glitches = [(datetime(2030, 6, 1, 23, 30), "0162345020", 1, 2, 5, "op"),          # night: outside hours
                (datetime(2038, 1, 19, 4, 14, 8), "0162345021", 3, 0, 8, "op"),       # just past 2^31 s
                (datetime(2100, 1, 1, 3, 0), "0162345022", 1, 1, 4, "op")]            # holiday, night
    events = _small_events() + glitches
    h.import_(h.write("calls.xml", oppo_xml(events)))
    asked_years = []
    import holidays as holidays_lib
    real = holidays_lib.country_holidays

    def spy(country, years=None, **kw):
        asked_years.extend(years or [])
        return real(country, years=years, **kw)
    monkeypatch.setattr(holidays_lib, "country_holidays", spy)
    scan(h.store, h.config, full=True)
    future_ids = {r[0] for r in h.store.conn.execute("SELECT id FROM calls WHERE start_ms >= ?",
                                                     [ms(datetime(2030, 1, 1))])}
    assert len(future_ids) == 3
    flagged = {r[0] for r in h.store.conn.execute(
        "SELECT call_id FROM finding_calls WHERE ',' || signals || ',' LIKE '%,future,%'")}
    assert flagged == future_ids                                 # flagged, and kept in the finding
    broken = {r[0] for r in h.store.conn.execute("SELECT call_id FROM breaches")}
    assert broken and not broken & future_ids                    # counted by no rule
    assert asked_years and max(asked_years) <= 2026              # no calendar up to 2100
    # the pack: figures, table and charts on the real calls; the glitches listed apart
    gathered = evidence_data.gather(h.store, h.config, at=datetime.now(timezone.utc))
    assert {c["id"] for c in gathered.future_calls} == future_ids
    assert gathered.figures()["calls"] == 6 and gathered.calls[-1]["local_date"] < "2027"
    result = evidence_pack.make(h.store, h.config, tmp_path / "out", lang="en")   # the 2100 call blocks nothing
    csv_text = (result.folder / "calls.csv").read_text(encoding="utf-8-sig")
    assert "2030-" not in csv_text and "2100-" not in csv_text
    import json
    apart = json.loads((result.folder / "findings.json").read_text())["calls_dated_after_import"]
    assert sorted(c["utc"][:4] for c in apart) == ["2030", "2038", "2100"]
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(result.folder / "evidence.pdf").pages).split())
    assert "3 call(s) of this finding are dated after the import" in text and "2100-01-01T02:00:00Z" in text
    assert verify(result.folder).ok


def test_a_finding_made_only_of_glitches_says_so(make_household):
    h = make_household(OPERATOR_CONFIG)
    h.import_(h.write("calls.xml", oppo_xml([(datetime(2100, 1, 1 + i, 11, 0), "0162345030", 3, 0, 8, "op")
                                             for i in range(6)])))
    scan(h.store, h.config, full=True)
    with pytest.raises(CallwatchError, match="dated after their own import"):
        evidence_data.gather(h.store, h.config)


@pytest.mark.parametrize("noreplace", [True, False])
def test_a_new_pack_never_replaces_an_earlier_one(make_household, tmp_path, monkeypatch, noreplace):
    """`report` then `report --lang fr` (or `demo` twice) on the same day: two packs, the first
    untouched, with or without renameat2(RENAME_NOREPLACE) on the filesystem."""
    h = make_household(OPERATOR_CONFIG)
    h.import_(h.write("calls.xml", oppo_xml(_small_events())))
    scan(h.store, h.config)
    first = evidence_pack.make(h.store, h.config, tmp_path / "out", lang="en")
    before = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    if not noreplace:
        monkeypatch.setattr(evidence_pack, "_rename_noreplace", lambda a, b: False)
    again = evidence_pack.make(h.store, h.config, tmp_path / "out", lang="fr")
    third = evidence_pack.make(h.store, h.config, tmp_path / "out", lang="fr")
    assert again.folder.name == first.folder.name + "-2" and third.folder.name == first.folder.name + "-3"
    assert again.zip_path.name == first.folder.name + "-2.zip"
    assert (again.folder / "letters" / "opposition-operateur.md").exists()
    assert (first.folder / "letters" / "objection-to-the-company.md").exists()
    for target in (first.folder, first.zip_path, again.folder, again.zip_path, third.zip_path):
        assert verify(target).ok
    after = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in (tmp_path / "out").rglob("*")
             if p.is_file() and p.relative_to(tmp_path / "out").parts[0] in (first.folder.name, first.zip_path.name)}
    assert after == before                                    # the first pack, byte for byte


def test_a_name_taken_while_the_pack_is_written_is_never_overwritten(make_household, tmp_path, monkeypatch):
    h = make_household(OPERATOR_CONFIG)
    h.import_(h.write("calls.xml", oppo_xml(_small_events())))
    scan(h.store, h.config)
    real = evidence_pack.free_name

    def taken_meanwhile(out_dir, base):
        name = real(out_dir, base)
        (out_dir / name).mkdir()                 # another report lands first under the same name
        (out_dir / name / "theirs.txt").write_text("kept")
        return name
    monkeypatch.setattr(evidence_pack, "free_name", taken_meanwhile)
    with pytest.raises(CallwatchError, match="appeared while the pack was being written"):
        evidence_pack.make(h.store, h.config, tmp_path / "out", lang="en")
    (taken,) = [p for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")]
    assert (taken / "theirs.txt").read_text() == "kept" and len(list(taken.iterdir())) == 1
