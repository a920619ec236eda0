"""Tamper evidence: every one-byte change, truncation, removal or addition in an evidence pack is
caught by `verify`, exhaustively over positions on a small pack, sampled on a large one.

The in-memory checks (`check_files`, `check_zip`) are the very code `callwatch verify` runs after
reading a folder or a zip; a few cases also go through the files on disk and the command itself.
CI runs every position of every file of the small pack, and every position of its zip outside the
members' data (inside the data, a change is a change of that file's content, which the folder
run covers position by position; `CALLWATCH_TAMPER_FULL=1` runs those zip positions too).
"""

import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from callwatch.detect import scan
from callwatch.evidence import data as evidence_data, pack as evidence_pack
from callwatch.evidence.verify import check_files, check_zip, verify
from household import OPERATOR_CONFIG, build, oppo_xml

AT = datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)
FULL = os.environ.get("CALLWATCH_TAMPER_FULL") == "1"


def _pack(make_household, tmp_path, events, name):
    h = make_household(OPERATOR_CONFIG, name)
    h.import_(h.write("calls.xml", oppo_xml(events)))
    scan(h.store, h.config)
    result = evidence_pack.build(evidence_data.gather(h.store, h.config, at=AT), tmp_path / f"out-{name}", "fr")
    files = {p.relative_to(result.folder).as_posix(): p.read_bytes()
             for p in result.folder.rglob("*") if p.is_file()}
    return h, result, files


@pytest.fixture
def small(make_household, tmp_path):
    # Six silent or missed calls from the operator in two weeks of October: the fifth breaks the cap.
    start = datetime(2026, 10, 5, 11, 0)
    events = [(start + timedelta(days=2 * i), f"01623450{10 + i}", 3 if i % 2 else 1, 0 if i % 2 else 2, 8, "op")
              for i in range(6)]
    return _pack(make_household, tmp_path, events, "small")


def _report(kind, count, caught, seconds=None):
    line = f"\n[tamper] {kind}: {caught}/{count} caught"
    print(line)
    return line


def _flip(content: bytes, position: int, value: int) -> bytes:
    return content[:position] + bytes([value]) + content[position + 1:]


def test_every_change_truncation_removal_and_addition_in_a_small_pack_is_caught(small, capsys):
    _, result, files = small
    assert check_files(files).ok
    size = sum(len(c) for c in files.values())
    cases = caught = 0
    missed = []

    def expect_caught(label, mutated):
        nonlocal cases, caught
        cases += 1
        if check_files(mutated).ok:
            missed.append(label)
        else:
            caught += 1

    for name, content in sorted(files.items()):
        # SHA256SUMS is the one file no other hash covers: every bit of every byte of it.
        masks = (1, 2, 4, 8, 16, 32, 64, 128) if name == "SHA256SUMS" else None
        for p in range(len(content)):
            for mask in masks or (1 << (p % 8),):
                expect_caught(f"{name}[{p}]^{mask}", {**files, name: _flip(content, p, content[p] ^ mask)})
        for n in range(len(content)):
            expect_caught(f"{name}[:{n}]", {**files, name: content[:n]})
        expect_caught(f"{name} + byte", {**files, name: content + b"\n"})
        if name in ("SHA256SUMS", "manifest.json"):
            for p in range(len(content)):
                expect_caught(f"{name} insert@{p}", {**files, name: content[:p] + b" " + content[p:]})
        expect_caught(f"remove {name}", {k: v for k, v in files.items() if k != name})
    for extra in ("notes.txt", "letters/extra.md", "SHA256SUMS.orig", ".hidden"):
        expect_caught(f"add {extra}", {**files, extra: b"added\n"})
    with capsys.disabled():
        print(f"\n[tamper] small pack, {len(files)} files, {size} bytes: {caught}/{cases} cases caught")
    assert not missed, missed[:20]
    assert cases > 2 * size


def test_every_position_of_the_small_zip_outside_member_data_is_caught(small, capsys):
    _, result, files = small
    raw = result.zip_path.read_bytes()
    assert check_zip(raw).ok
    import zipfile
    data_spans = []
    with zipfile.ZipFile(result.zip_path) as z:
        for info in z.infolist():
            start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
            data_spans.append((start, start + info.compress_size))
    in_data = bytearray(len(raw))
    for a, b in data_spans:
        in_data[a:b] = b"\x01" * (b - a)
    positions = [p for p in range(len(raw)) if FULL or not in_data[p]]
    rng = random.Random(8)
    if not FULL:                                   # a sample of positions inside the data as well
        positions += rng.sample([p for p in range(len(raw)) if in_data[p]], 2000)
    cases, missed = 0, []
    for p in positions:
        for mask in ((1, 0x80) if not in_data[p] else (1 << (p % 8),)):
            cases += 1
            if check_zip(_flip(raw, p, raw[p] ^ mask)).ok:
                missed.append(f"zip[{p}]^{mask}")
    for n in range(0, len(raw), 1 if FULL else 7):
        cases += 1
        if check_zip(raw[:n]).ok:
            missed.append(f"zip[:{n}]")
    for label, mutated in (("appended byte", raw + b"\0"), ("prepended byte", b"\0" + raw)):
        cases += 1
        if check_zip(mutated).ok:
            missed.append(label)
    with capsys.disabled():
        print(f"\n[tamper] small zip, {len(raw)} bytes ({len(raw) - sum(in_data)} outside member data): "
              f"{cases - len(missed)}/{cases} cases caught")
    assert not missed, missed[:20]


def test_sampled_changes_in_a_large_pack_are_caught(make_household, tmp_path, capsys):
    _, result, files = _pack(make_household, tmp_path, build(), "large")
    raw = result.zip_path.read_bytes()
    rng = random.Random(11)
    names = sorted(files)
    weights = [len(files[n]) for n in names]
    cases, missed = 0, []
    for _ in range(3000):
        name = rng.choices(names, weights)[0]
        content = files[name]
        p = rng.randrange(len(content))
        cases += 1
        if check_files({**files, name: _flip(content, p, content[p] ^ (1 << rng.randrange(8)))}).ok:
            missed.append(f"{name}[{p}]")
        n = rng.randrange(len(content))
        cases += 1
        if check_files({**files, name: content[:n]}).ok:
            missed.append(f"{name}[:{n}]")
    for _ in range(1000):
        p = rng.randrange(len(raw))
        cases += 1
        if check_zip(_flip(raw, p, raw[p] ^ (1 << rng.randrange(8)))).ok:
            missed.append(f"zip[{p}]")
    with capsys.disabled():
        print(f"\n[tamper] large pack ({len(build())} calls, {sum(weights)} bytes, zip {len(raw)} bytes): "
              f"{cases - len(missed)}/{cases} sampled cases caught")
    assert not missed, missed[:20]


def test_on_disk_the_command_reports_and_fails(small, tmp_path):
    h, result, _ = small
    env = {**os.environ, "CALLWATCH_CONFIG": str(h.config.path), "CALLWATCH_DATA_DIR": str(h.config.data_dir)}
    ok = subprocess.run([sys.executable, "-m", "callwatch", "verify", str(result.zip_path)], env=env,
                        capture_output=True, text=True)
    # intact files, but no time-stamp: never exit 0 (verify's levels, README)
    assert ok.returncode == 4 and "files: intact" in ok.stdout and "time-stamp: absent" in ok.stderr
    sums = result.folder / "SHA256SUMS"
    lines = sums.read_bytes().splitlines(keepends=True)
    sums.write_bytes(b"".join(lines[1:] + lines[:1]))         # same lines, another order: only the form changed
    bad = subprocess.run([sys.executable, "-m", "callwatch", "verify", str(result.folder)], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "SHA256SUMS was altered" in bad.stderr and "verdict: ALTERED" in bad.stderr
    raw = bytearray(result.zip_path.read_bytes())
    raw[10] ^= 0x01                                   # the first member's modification time
    result.zip_path.write_bytes(bytes(raw))
    report = verify(result.zip_path)
    assert not report.ok and "container was altered" in report.problems[0]
    link = result.folder / "letters" / "copy.md"
    os.symlink(result.folder / "calls.csv", link)
    assert any("symbolic link" in p for p in verify(result.folder).problems)
