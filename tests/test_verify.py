"""`verify` attacked: malformed manifests, zip bombs and other hostile containers must end as
"not a callwatch pack" (exit 3) in one sentence, within bounded memory; a forged but
consistent pack passes the hashes and is caught only by the rebuild from the store
(`verify --store`), which also tells newer data from tampering."""

import json
import os
import struct
import subprocess
import sys
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from callwatch.detect import scan
from callwatch.evidence import data as evidence_data, pack as evidence_pack
from callwatch.evidence.verify import EXIT, check_files, verify
from household import OPERATOR_CONFIG, build, oppo_xml

MEMORY_LIMIT_MB = 150


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _resummed(files: dict[str, bytes]) -> dict[str, bytes]:
    """SHA256SUMS rewritten to match: only the content of the change is left to catch."""
    body = {k: v for k, v in files.items() if k not in ("SHA256SUMS", "SHA256SUMS.tsr")}
    return {**body, "SHA256SUMS": evidence_pack.sums_text(body)}


@pytest.fixture
def small(make_household, tmp_path):
    start = datetime(2026, 10, 5, 11, 0)
    events = [(start + timedelta(days=2 * i), f"01623450{10 + i}", 3 if i % 2 else 1, 0 if i % 2 else 2, 8, "op")
              for i in range(6)]
    h = make_household(OPERATOR_CONFIG)
    h.import_(h.write("calls.xml", oppo_xml(events)))
    scan(h.store, h.config)
    result = evidence_pack.make(h.store, h.config, tmp_path / "out", lang="en")
    return h, result


def _env(h):
    return {**os.environ, "CALLWATCH_CONFIG": str(h.config.path), "CALLWATCH_DATA_DIR": str(h.config.data_dir)}


def _cli(h, *args):
    return subprocess.run([sys.executable, "-m", "callwatch", *args], env=_env(h), capture_output=True, text=True)


# -- malformed manifests -------------------------------------------------------------------

def _malformed(manifest: dict) -> dict[str, bytes]:
    no_files = {k: v for k, v in manifest.items() if k != "files"}
    return {
        "a list": b"[1,2,3]\n",
        "an empty object": b"{}\n",
        "null": b"null\n",
        "a string": b'"manifest"\n',
        "no files key": json.dumps(no_files).encode(),
        "files not a list": json.dumps({**manifest, "files": 3}).encode(),
        "files of numbers": json.dumps({**manifest, "files": [1, 2]}).encode(),
        "a file without hash": json.dumps({**manifest, "files": [{"name": "calls.csv"}]}).encode(),
        "a file with a short hash": json.dumps({**manifest, "files": [{"name": "calls.csv", "sha256": "ab"}]}).encode(),
        "a bad generation time": json.dumps({**manifest, "generated_at_utc": "yesterday"}).encode(),
        "a source without archive": json.dumps({**manifest, "sources": [{"name": "x", "sha256": "y"}]}).encode(),
        "sources an object": json.dumps({**manifest, "sources": {"name": "x"}}).encode(),
        "inputs a list": json.dumps({**manifest, "inputs": [1]}).encode(),
        "not UTF-8": b"\xff\xfe{\x00}",
        "not JSON": b"manifest: yes\n",
        "empty": b"",
        "100,000-deep list": b"[" * 100_000 + b"]" * 100_000,
        "a 100,000-digit number": b'{"callwatch_version": ' + b"9" * 100_000 + b"}",
    }


def test_malformed_manifests_are_not_a_callwatch_pack(small):
    h, result = small
    files = _files(result.folder)
    manifest = json.loads(files["manifest.json"])
    cases = _malformed(manifest)
    for label, content in cases.items():
        report = check_files(_resummed({**files, "manifest.json": content}))
        assert report.exit_code == EXIT["not_a_pack"] and not report.ok, label
        assert report.lines()[0][1].startswith("pack: not a callwatch pack: "), label
    # on disk, through the command: one sentence each, no traceback, never "intact"
    for label in ("a list", "no files key", "100,000-deep list"):
        folder = result.folder
        for name, content in _resummed({**files, "manifest.json": cases[label]}).items():
            (folder / name).write_bytes(content)
        run = _cli(h, "verify", str(folder))
        assert run.returncode == 3, (label, run.stdout, run.stderr)
        assert "not a callwatch pack" in run.stderr and "Traceback" not in run.stderr + run.stdout, label
        assert "intact" not in run.stdout
    print(f"\n[verify] {len(cases)} malformed manifests: all 'not a callwatch pack' (exit 3)")


# -- hostile containers, in a separate process whose peak memory is measured -------------------

RUNNER = r"""
import json, sys
from pathlib import Path
from callwatch.evidence.verify import verify
out = []
for path in sys.argv[1:]:
    r = verify(Path(path))
    out.append({"file": Path(path).name, "level": r.level, "lines": [line for _, line in r.lines()]})
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print(json.dumps({"results": out, "peak_mb": int(hwm[0].split()[1]) / 1024}))
"""


def _raw_zip(members) -> bytes:
    """A zip written field by field, so that sizes and counts can say what an attacker wants.
    members: (name, stored bytes, method, crc, declared size)."""
    body, central = b"", b""
    for name, data, method, crc, size in members:
        n = name.encode()
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(data), size,
                               len(n), 0, 0, 0, 0, 0, len(body)) + n
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(data), size, len(n), 0) + n + data
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(body), 0)
    return body + central + end


def _deflated_zeros(mb: int) -> tuple[bytes, int]:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b"\0" * (1 << 20)
    data = b"".join(c.compress(block) for _ in range(mb)) + c.flush()
    crc = 0
    for _ in range(mb):
        crc = zlib.crc32(block, crc)
    return data, crc


def test_zip_bombs_and_hostile_containers_are_refused_before_inflating(tmp_path, capsys):
    data, crc = _deflated_zeros(32)
    top = "callwatch-evidence-x-2026-11-21"
    cases = {
        # 100 members of 32 MB of zeros each: 3.2 GB from a 3 MB zip (the bomb)
        "bomb.zip": _raw_zip([(f"{top}/f{i}.csv", data, 8, crc, 32 << 20) for i in range(100)]),
        # the same members declaring 10 bytes each: reading is bounded by the declared size
        "liar.zip": _raw_zip([(f"{top}/f{i}.csv", data, 8, crc, 10) for i in range(100)]),
        # 20,000 empty members
        "many.zip": _raw_zip([(f"{top}/f{i}", b"", 0, 0, 0) for i in range(20_000)]),
        # one member declaring 4 GB, stored
        "huge.zip": _raw_zip([(f"{top}/manifest.json", b"{}", 0, zlib.crc32(b"{}"), 0xFFFFFFF0)]),
        "random.zip": os.urandom(4096),
        "empty.zip": b"",
        "truncated.zip": _raw_zip([(f"{top}/manifest.json", b"[1,2,3]", 0, zlib.crc32(b"[1,2,3]"), 7)])[:40],
        "list-manifest.zip": _raw_zip([(f"{top}/manifest.json", b"[1,2,3]", 0, zlib.crc32(b"[1,2,3]"), 7)]),
    }
    paths = []
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        paths.append(str(tmp_path / name))
    run = subprocess.run([sys.executable, "-c", RUNNER, *paths], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)
    levels = {r["file"]: r["level"] for r in out["results"]}
    assert levels == {name: "not_a_pack" for name in cases} | {"liar.zip": levels["liar.zip"]}, out["results"]
    assert levels["liar.zip"] in ("not_a_pack", "altered")          # CRC errors, never inflated past 10 bytes
    lines = {r["file"]: r["lines"][0] for r in out["results"]}
    assert "zip bomb" in lines["bomb.zip"] and "1000" in lines["many.zip"]
    assert out["peak_mb"] < MEMORY_LIMIT_MB, out["peak_mb"]
    with capsys.disabled():
        print(f"\n[verify] {len(cases)} hostile containers (a {len(cases['bomb.zip']) >> 20} MB zip of 3.2 GB): "
              f"all refused, peak {out['peak_mb']:.0f} MB (limit {MEMORY_LIMIT_MB} MB)")


def test_the_command_says_not_a_pack_for_a_stray_file(small, tmp_path):
    h, _ = small
    stray = tmp_path / "notes.txt"
    stray.write_text("hello\n")
    run = _cli(h, "verify", "--no-store", str(stray))
    assert run.returncode == 3 and "not a callwatch pack" in run.stderr and "Traceback" not in run.stderr


# -- the rebuild from the store ------------------------------------------------------------

def test_the_store_gives_the_same_pack_again(small):
    h, result = small
    report = verify(result.folder, h.store, rebuild_config=h.config)
    assert report.rebuild.differs == [] and not report.rebuild.explanations, report.lines()
    assert report.exit_code == EXIT["no_timestamp"]                    # no authority configured here
    text = "\n".join(line for _, line in report.lines())
    assert "rebuild: the store gives this pack again, byte for byte" in text
    run = _cli(h, "verify", "--store", str(result.zip_path))
    assert run.returncode == 4 and "rebuild: the store gives this pack again" in run.stdout


def test_a_consistent_forgery_passes_the_hashes_but_not_the_rebuild(small, tmp_path):
    """The forger has callwatch: one call dropped from the data, the whole pack made again with
    the same generation time. Every hash agrees; only the store tells."""
    h, result = small
    manifest = json.loads((result.folder / "manifest.json").read_text())
    at = datetime.strptime(manifest["generated_at_utc"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    doctored = evidence_data.gather(h.store, h.config, at=at)
    dropped = doctored.calls.pop(2)
    for rule, breaches in doctored.breaches.items():
        breaches[:] = [b for b in breaches if b["call_id"] != dropped["id"]]
    forged = evidence_pack.build(doctored, tmp_path / "forged", "en")
    assert forged.folder.name == result.folder.name
    plain = verify(forged.folder, h.store)
    assert plain.ok and plain.exit_code == EXIT["no_timestamp"]        # the hashes cannot tell
    report = verify(forged.folder, h.store, rebuild_config=h.config)
    assert report.exit_code == EXIT["altered"] and not report.ok
    assert {"calls.csv", "evidence.pdf", "findings.json", "manifest.json", "SHA256SUMS"} <= set(report.rebuild.differs)
    run = _cli(h, "verify", "--store", str(forged.folder))
    assert run.returncode == 1 and "rebuild: DIFFERS" in run.stderr and "calls.csv" in run.stderr


def test_newer_data_explains_a_difference_without_calling_it_tampering(small, tmp_path):
    h, result = small
    later = [(datetime(2026, 11, 2, 11, 0) + timedelta(days=i), f"01623450{40 + i}", 3, 0, 8, "op") for i in range(3)]
    h.import_(h.write("later.xml", oppo_xml(later)))
    scan(h.store, h.config)
    report = verify(result.folder, h.store, rebuild_config=h.config)
    # not altered; the first level not reached is still the missing time-stamp (exit 4); with one,
    # this is exit 6 (test_timestamp.py)
    assert report.rebuild.differs and report.ok and report.exit_code == EXIT["no_timestamp"]
    text = "\n".join(line for _, line in report.lines())
    assert "because the store has newer data (1 import(s) since the pack was made)" in text
    assert "DIFFERS" not in text


def test_another_configuration_is_named(small, tmp_path):
    h, result = small
    h.config_path.write_text(h.config_path.read_text() + "\n# edited\n")
    from callwatch import config as config_mod
    edited = config_mod.load(h.config_path, h.config.data_dir)
    report = verify(result.folder, h.store, rebuild_config=edited)
    assert "the configuration is not the one the pack was made with" in report.rebuild.explanations


def test_a_pack_without_recorded_inputs_cannot_be_rebuilt(small):
    h, result = small
    files = _files(result.folder)
    manifest = json.loads(files["manifest.json"])
    del manifest["inputs"], manifest["pack_format"]
    files["manifest.json"] = (json.dumps(manifest, indent=2) + "\n").encode()
    from callwatch.evidence.rebuild import rebuild
    check = rebuild(files, manifest, h.store, h.config)
    assert check.impossible and "pack format 2" in check.impossible
