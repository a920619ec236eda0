"""Store.staging: rows given column by column (Ints, Texts, Distinct, lists, constants)
store exactly what insert_calls stores for the same rows given whole, in the same order, with
the same upsert; values chosen where a text or number encoding could slip (negative and
extreme integers, empty and non-ASCII texts, sliced and 64-bit-offset arrays)."""

import os

import numpy as np
import pyarrow as pa
import pytest

from callwatch.importers.columnar import locators
from callwatch.store import CALL_COLUMNS, Distinct, Ints, Store, Texts, _fixed_width

EXTREMES = [0, -1, 1, 9, 10, -10, 2**63 - 1, -(2**63), 1698822002000, -1698822002000, 123456789]


def test_fixed_width_reads_back_every_integer_exactly():
    import sqlite3
    values = np.array(EXTREMES, dtype=np.int64)
    text, width = _fixed_width(values)
    assert len(text) == width * len(values)
    conn = sqlite3.connect(":memory:")
    back = [conn.execute("SELECT CAST(substr(?, ? * ? + 1, ?) AS INTEGER)", [text, i, width, width]).fetchone()[0]
            for i in range(len(values))]
    assert back == EXTREMES
    assert _fixed_width(np.array([], dtype=np.int64)) == (b"", 1)


def _stores(tmp_path):
    a, b = Store(tmp_path / "whole"), Store(tmp_path / "staged")
    for store in (a, b):
        store.conn.execute("BEGIN")
        store.create_import(original_name="x.csv", original_path="/x.csv", sha256="0" * 64, size=1,
                            format="asterisk-csv", family="asterisk", archive_path="a", callwatch_version="t")
    return a, b


def _calls(store):
    return store.conn.execute("SELECT * FROM calls ORDER BY id").fetchall()


@pytest.mark.parametrize("wide", [False, True])
def test_staged_columns_store_what_whole_rows_store(tmp_path, wide):
    n = len(EXTREMES)
    names = ["0612345678", "", "é", "Zoë Ça", "+33 1 62", "🙂", "a'b\"c", "x" * 300, "", "ÿ", "01"]
    keys = [f"k{i}" for i in range(n - 1)] + ["k0"]            # the last row is a second leg of call k0
    outcomes = ["missed"] * (n - 1) + ["answered"]             # ... a better one: it replaces the first
    times = [f"2023-03-26 02:{i:02d}:00" for i in range(n)]
    lines = np.arange(1, n + 1) * 1000
    starts = np.arange(n, dtype=np.int64) * 250
    ends = starts + 249
    rows = [(1, f"line {lines[i]} (bytes {starts[i]}-{ends[i]})", "asterisk", keys[i], "ANSWERED", EXTREMES[i],
             "Europe/Paris", times[i], None, 1, "in", outcomes[i], EXTREMES[-1 - i], 1, None, names[i],
             "+33612345678", "allowed", None, names[-1 - i], "source:asterisk", "unmapped") for i in range(n)]
    whole, staged = _stores(tmp_path)
    whole.insert_calls(rows)

    kind = pa.large_string() if wide else pa.string()
    padded = pa.array(["pad"] + keys + ["pad"], type=kind).slice(1, n)         # an array with an offset
    spaces = object()
    codes = np.array([i % 3 for i in range(n)], dtype=np.int64)
    looked = [["ANSWERED"] * 3, ["in"] * 3]
    columns = dict(zip(CALL_COLUMNS, [None] * len(CALL_COLUMNS)))
    columns.update(
        import_id=1, family="asterisk", tz="Europe/Paris", time_flag=None, time_precision_s=1,
        duration_precision_s=1, ring_s=None, number="+33612345678", presentation="allowed", own_line=None,
        line="source:asterisk", line_basis="unmapped",
        locator=Texts(locators(lines, starts, ends)),
        source_key=Texts(padded), source_type=Distinct(codes, looked[0], spaces),
        direction=Distinct(codes, looked[1], spaces), start_ms=Ints(np.array(EXTREMES)),
        time_raw=Texts(pa.array(["unused"] + times, type=kind), np.arange(1, n + 1)),
        outcome=list(outcomes), duration_s=Ints(np.array(EXTREMES[::-1])),
        number_raw=Texts(pa.array(names, type=kind)), caller_name=list(names[::-1]))
    staging = staged.staging()
    staging.block(columns, n)
    staging.insert(0, 4)
    staging.rows([])
    staging.insert(4, n)
    staging.submit()
    staging.close()
    assert _calls(staged) == _calls(whole)
    assert len(_calls(whole)) == n - 1


def test_a_block_of_ints_and_texts_only_needs_no_row_table(tmp_path):
    """Without a list column nothing is staged a row: rows come from a numbered table that grows
    with the largest block; a per-row call between two segments keeps its place."""
    whole, staged = _stores(tmp_path)

    def row(i):
        return (1, f"line {i}", "asterisk", f"u{i}", None, 1000 * i, "UTC", str(i), None, 1, "in", "missed", None,
                1, None, str(i), None, "withheld", None, None, "source:asterisk", "unmapped")
    staging = staged.staging()
    expected = []
    for size in (3, 7, 5):
        first = len(expected)
        ids = np.arange(first, first + size)
        columns = {c: None for c in CALL_COLUMNS}
        columns.update(import_id=1, family="asterisk", tz="UTC", time_precision_s=1, direction="in",
                       outcome="missed", duration_precision_s=1, presentation="withheld", line="source:asterisk",
                       line_basis="unmapped", locator=Texts(pa.array([f"line {i}" for i in ids.tolist()])),
                       source_key=Texts(pa.array([f"u{i}" for i in ids.tolist()])), start_ms=Ints(ids * 1000),
                       time_raw=Texts(pa.array([str(i) for i in ids.tolist()])),
                       number_raw=Texts(pa.array([str(i) for i in ids.tolist()])))
        staging.block(columns, size)
        staging.insert(0, 2)
        extra = row(10_000 + size)
        staging.rows([extra])
        staging.insert(2, size)
        staging.submit()
        expected += [row(i) for i in ids.tolist()[:2]] + [extra] + [row(i) for i in ids.tolist()[2:]]
    staging.close()
    whole.insert_calls(expected)
    assert _calls(staged) == _calls(whole)
    assert staged.conn.execute("SELECT name FROM temp.sqlite_master WHERE name LIKE 'cw%'").fetchall() == []


def test_texts_of_one_length_are_put_end_to_end():
    """Rows of one length in bytes (multi-byte characters counted as bytes) need no start or length."""
    same = Texts(pa.array(["xx", "é1", "ü2", "zz"]), np.array([1, 2]))
    assert same.width == 3 and same.data == "é1ü2".encode()
    mixed = Texts(pa.array(["a", "bb", "ccc"]))
    assert mixed.width is None and mixed.data == b"abbccc"
    assert mixed.starts.values.tolist() == [0, 1, 3] and mixed.lengths.values.tolist() == [1, 2, 3]


def test_a_large_load_syncs_the_wal_meanwhile_and_stops_doing_so_with_it(tmp_path, monkeypatch):
    """Store.bulk_load's WAL flusher: it syncs the store's own -wal file while the load goes on,
    and its thread is gone when the load ends, also when the load fails."""
    import threading
    import time

    from callwatch import store as store_mod
    monkeypatch.setattr(store_mod._Flusher, "INTERVAL_S", 0.01)
    synced = []
    real = os.fdatasync
    monkeypatch.setattr(store_mod.os, "fdatasync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")),
                                                               real(fd)))
    store = Store(tmp_path / "data")
    wal = str(store.path) + "-wal"
    with store.transaction():
        with store.bulk_load(expected_rows=100_000):
            store.conn.execute("INSERT INTO store_info (key, value) VALUES ('x', 'y')")
            deadline = time.monotonic() + 5
            while not synced and time.monotonic() < deadline:
                time.sleep(0.01)
    assert synced and set(synced) == {wal}
    assert not [t for t in threading.enumerate() if t.name == "callwatch-flush"]
    with pytest.raises(RuntimeError):
        with store.transaction():
            with store.bulk_load(expected_rows=100_000):
                raise RuntimeError("a failure inside the load")
    assert not [t for t in threading.enumerate() if t.name == "callwatch-flush"]
    store.close()


@pytest.mark.parametrize("wide", [False, True])
def test_fixed_width_texts_keep_the_rows_chosen_side_by_side_or_not(wide):
    kind = pa.large_string() if wide else pa.string()
    values = [f"2026-10-{d:02d} 11:20:07" for d in range(1, 11)]
    array = pa.array(["x"] + values, type=kind).slice(1)                  # an offset, as a block's column
    for rows in (np.arange(10), np.arange(3, 7), np.array([0, 2, 3, 9]), np.array([5]), np.array([9, 1])):
        texts = Texts(array, rows)
        assert texts.width == 19
        assert texts.data == "".join(values[i] for i in rows).encode()


def _typed(store, sql):
    return store.conn.execute(sql).fetchall()


# (values above which a space is re-coded, values above which a column of it is a text a row): as
# shipped (the spaces below are small: look-up tables), and re-coded with its columns all joined
# through the small table, all texts a row, and some of each
RECODINGS = [(None, None), (0, 64), (0, 0), (0, 2)]


@pytest.mark.parametrize("recode, few", RECODINGS)
def test_look_up_values_and_numbers_are_stored_as_one_statement_would_store_them_row_by_row(tmp_path, monkeypatch,
                                                                                            recode, few):
    """The values of a look-up table (new in each block) and the numbers of a block go in as one
    statement cutting texts out of one value, when all are texts or None; with any other value
    (an int) row by row. A space re-coded (many values: see store._Recoded) stores the same; one
    that meets a value not a text goes back to a look-up table. Either way: the very values, of the
    very types, as insert_calls and upsert_numbers store them; numbers asked for before a block
    are kept, in their order."""
    from callwatch import store
    from callwatch.numbers import NumberFacts
    if recode is not None:
        monkeypatch.setattr(store.Staging, "RECODE", recode)
        monkeypatch.setattr(store._Recoded, "FEW", few)
    whole, staged = _stores(tmp_path)
    texts = ["in", "", None, "é", "🙂 x", "a'b\"c", "x" * 200, None, "ÿ"]
    mixed = ["1", "x", 2, None, 3]              # the first block's texts, then ints: row by row from then on
    spaces = [object(), object()]
    staging = staged.staging()
    expected, grown = [], [[], [], []]
    for block, size in enumerate((4, 5)):
        grown[0].extend(texts[:5] if block == 0 else texts[5:])      # the lists grow, block by block
        grown[1].extend([None if v is None else v + "!" for v in (texts[:5] if block == 0 else texts[5:])])
        grown[2].extend(mixed[:2] if block == 0 else mixed[2:])
        codes = [np.array([(i * 7 + block) % len(grown[0]) for i in range(size)]),
                 np.array([(i * 3 + block) % len(grown[2]) for i in range(size)])]
        columns = {c: None for c in CALL_COLUMNS}
        keys = [f"b{block}r{i}" for i in range(size)]
        columns.update(import_id=1, family="asterisk", tz="UTC", time_precision_s=1, direction="in", outcome="missed",
                       duration_precision_s=1, presentation="allowed", line="source:asterisk", line_basis="unmapped",
                       locator=Texts(pa.array(keys)), source_key=Texts(pa.array(keys)), number_raw="n",
                       start_ms=Ints(np.arange(size, dtype=np.int64)), time_raw="t",
                       source_type=Distinct(codes[0], grown[0], spaces[0]),
                       caller_name=Distinct(codes[0], grown[1], spaces[0]),
                       own_line=Distinct(codes[1], grown[2], spaces[1]))
        facts = [NumberFacts(f"0{block}{i}", "allowed", e164=f"+3361234{block}{i}", kind=None if i % 2 else "mobile",
                             country="FR", note=["", None, "é"][i % 3]) for i in range(3)]
        staging.numbers(facts)                                       # before the block: kept
        whole.upsert_numbers(facts)
        staging.block(columns, size)
        staging.insert(0, size)
        staging.submit()
        expected += [(1, keys[i], "asterisk", keys[i], grown[0][codes[0][i]], i, "UTC", "t", None, 1, "in", "missed",
                      None, 1, None, "n", None, "allowed", grown[2][codes[1][i]], grown[1][codes[0][i]],
                      "source:asterisk", "unmapped") for i in range(size)]
    staging.close()
    whole.insert_calls(expected)
    assert _calls(staged) == _calls(whole)
    for sql in ("SELECT id, typeof(source_type), typeof(own_line), typeof(caller_name) FROM calls ORDER BY id",
                "SELECT *, typeof(kind), typeof(note) FROM numbers ORDER BY rowid"):
        assert _typed(staged, sql) == _typed(whole, sql)
    assert {t for (t,) in _typed(staged, "SELECT typeof(source_type) FROM calls")} == {"text", "null"}
    assert len(_typed(staged, "SELECT * FROM numbers")) == 6
