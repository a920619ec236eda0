"""Property-based checks: mutated exports of every format end as imported records, rejected
records or one clear failure for the file, never an exception; the store stays consistent.

CI runs ``CALLWATCH_FUZZ_EXAMPLES`` (default 200) examples per property; the long run in README
sets it to 5000. Mutations: bit flips, cuts, random insertions, duplications, NUL bytes, a huge
field, a 10,000-column line, and re-encoding the whole file (UTF-16, Latin-1, UTF-8 with BOM).
Seeds: a fixture of each of the 18 formats, the three SQLite ones (Android, iOS, WhatsApp) included,
and a Takeout zip (a damaged zip fails whole or imports the members that survive)."""

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from callwatch.numbers import Normaliser
from test_import_android import OPPO, SBR_ALL_TYPES
from test_import_asterisk import CDR_CSV
from test_import_boxes import BBOX, LIVEBOX, TR064_ROOT
from test_import_freebox import ENTRIES
from test_import_fritzbox import GERMAN
from test_import_fritzbox_monitor import MONITOR
from test_import_freeswitch import WRITTEN
from test_import_google_voice import page
from test_import_ios_csv import AMBIGUOUS, IEXPLORER
from test_import_sfr import SFR

from conftest import android_db
from test_import_android import MODERN
from test_import_ios import _db as ios_db
from test_import_smsie import ROWS as SMSIE_ROWS
from test_import_whatsapp import msgstore
from test_import_zip import TAKEOUT, _zip

EXAMPLES = int(os.environ.get("CALLWATCH_FUZZ_EXAMPLES", "200"))
TRIED = {"exports": 0, "databases": 0, "numbers": 0}


def _sqlite_seeds() -> list[bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        android = android_db(Path(tmp) / "calllog.db", MODERN, [
            (i, f"01623450{10 + i}", 1, 1791712800000 + i * 3_600_000, 5 * i, i % 3 + 1) for i in range(1, 40)],
            "_id,number,presentation,date,duration,type")
        ios = ios_db(Path(tmp) / "CallHistory.storedata")
        whatsapp = msgstore(Path(tmp) / "msgstore.db")
        return [android.read_bytes(), ios.read_bytes(), whatsapp.read_bytes()]


def _takeout_zip() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        return _zip(Path(tmp) / "takeout.zip", TAKEOUT).read_bytes()


SEEDS = [SBR_ALL_TYPES, OPPO, GERMAN, CDR_CSV, json.dumps(ENTRIES), TR064_ROOT, json.dumps(LIVEBOX),
         json.dumps(BBOX), MONITOR, WRITTEN, page("Missed call from", "missed"), IEXPLORER, AMBIGUOUS, SFR,
         json.dumps(SMSIE_ROWS, indent=2), "\n".join(json.dumps(r) for r in SMSIE_ROWS), _takeout_zip()]
DB_SEEDS = _sqlite_seeds()
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _reencode(data: bytes, how: str) -> bytes:
    text = data.decode("utf-8", "replace")
    if how == "utf-16":
        return text.encode("utf-16")
    if how == "latin-1":
        return text.encode("latin-1", "replace")
    return b"\xef\xbb\xbf" + data


@st.composite
def mutated(draw):
    seed = draw(st.sampled_from(SEEDS))
    data = bytearray(seed if isinstance(seed, bytes) else seed.encode("utf-8"))
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "dup", "nul", "huge", "wide", "encoding"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "nul":
            data[at:at] = b"\0" * draw(st.integers(1, 3))
        elif kind == "huge":
            data[at:at] = b"y" * draw(st.sampled_from([70_000, 200_000, 1_100_000]))
        elif kind == "wide":
            data[at:at] = b"\n" + b";,".join([b"1"] * 10_000) + b"\n"
        elif kind == "encoding":
            data = bytearray(_reencode(bytes(data), draw(st.sampled_from(["utf-16", "latin-1", "bom"]))))
        elif kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:at + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=20))
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 200))]
    return bytes(data)


@FUZZ
@given(content=mutated())
def test_mutated_exports_never_raise(household, content):
    TRIED["exports"] += 1
    path = household.exports / "fuzzed"
    path.write_bytes(content)
    before = household.count("imports")
    result = household.import_(path)                      # must return, whatever the bytes
    assert result.status in ("imported", "already", "skipped", "failed")
    if result.status == "imported":
        assert result.read == result.new + result.duplicate + result.merged + result.rejected
        members = [m for m in result.members if m.status == "imported"] if result.members else [result]
        assert household.count("imports") == before + len(members)
    elif result.status in ("failed", "skipped"):
        assert result.message and household.count("imports") == before
    assert household.store.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


@st.composite
def damaged_database(draw):
    data = bytearray(draw(st.sampled_from(DB_SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "page", "cut"]))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "page":                     # a run of garbage, as a bad sector leaves
            data[at:at + 512] = draw(st.binary(min_size=512, max_size=512))
        else:
            del data[at:]
    return bytes(data)


@FUZZ
@given(content=damaged_database())
def test_damaged_sqlite_backups_never_raise(household, content):
    TRIED["databases"] += 1
    path = household.exports / "fuzzed.db"
    path.write_bytes(content)
    before = household.count("imports")
    result = household.import_(path)
    assert result.status in ("imported", "already", "skipped", "failed")
    if result.status in ("failed", "skipped"):
        assert result.message and household.count("imports") == before
    assert household.store.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


@settings(max_examples=max(300, EXAMPLES * 5), deadline=None)
@given(raw=st.text(max_size=40))
def test_number_normalisation_never_raises(raw):
    TRIED["numbers"] += 1
    facts = Normaliser("FR").normalise(raw)
    assert facts.presentation in ("allowed", "withheld", "unknown", "payphone")
    assert facts.e164 is None or (facts.e164.startswith("+") and facts.e164[1:].isdigit())


def test_zz_report_how_many_inputs_were_tried(capsys):
    with capsys.disabled():
        print(f"\n[fuzz] tried {TRIED['exports']} mutated exports, {TRIED['databases']} damaged SQLite "
              f"backups, {TRIED['numbers']} number strings ({EXAMPLES} examples per export property)")
    assert TRIED["exports"] >= EXAMPLES and TRIED["databases"] >= EXAMPLES
