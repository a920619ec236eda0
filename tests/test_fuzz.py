"""Property-based checks: mutated exports of every format end as imported records, rejected
records or one clear failure for the file, never an exception; the store stays consistent."""

import json

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

SEEDS = [SBR_ALL_TYPES, OPPO, GERMAN, CDR_CSV, json.dumps(ENTRIES), TR064_ROOT, json.dumps(LIVEBOX),
         json.dumps(BBOX), MONITOR, WRITTEN, page("Missed call from", "missed"), IEXPLORER, AMBIGUOUS, SFR]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)).encode("utf-8"))
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
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
    path = household.exports / "fuzzed"
    path.write_bytes(content)
    before = household.count("imports")
    result = household.import_(path)                      # must return, whatever the bytes
    assert result.status in ("imported", "already", "skipped", "failed")
    if result.status == "imported":
        assert result.read == result.new + result.duplicate + result.merged + result.rejected
        assert household.count("imports") == before + 1
    elif result.status in ("failed", "skipped"):
        assert result.message and household.count("imports") == before
    assert household.store.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


@settings(max_examples=300, deadline=None)
@given(raw=st.text(max_size=40))
def test_number_normalisation_never_raises(raw):
    facts = Normaliser("FR").normalise(raw)
    assert facts.presentation in ("allowed", "withheld", "unknown", "payphone")
    assert facts.e164 is None or (facts.e164.startswith("+") and facts.e164[1:].isdigit())
