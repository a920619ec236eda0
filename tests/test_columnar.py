"""The columnar import path (importers/columnar.py) stores exactly what the per-row path stores.

A differential test: hypothesis writes dirty Asterisk, FreeSWITCH and FRITZ!Box exports in their
real layouts (rejects, DST edges, impossible dates, ring-group legs sharing an id, padded and
quoted fields, CRLF, headers, blank lines, look-alike calls, a truncated last record, Latin-1, and
now and then what makes a file not plain: a NUL, a lone CR, a record spanning lines, a ragged row),
imports them, then an overlapping second export, into two stores, one through each path. Every
row of ``calls``, ``rejects``, ``numbers`` (with their rowids: the scan reads numbers by rowid),
``imports`` and ``call_sources``, and the lines seen, must be identical. A plain file must really
have taken the columnar path, so that the comparison is never of the per-row path with itself.

CI runs ``CALLWATCH_COLUMNAR_EXAMPLES`` (default 40) examples per format; a long run sets it to
2000 (README, Reliability).
"""

import os
import shutil
import sqlite3
import tempfile
import textwrap
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from callwatch import config as config_mod
from callwatch.ingest import Importer
from callwatch.store import Store

EXAMPLES = int(os.environ.get("CALLWATCH_COLUMNAR_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

CONFIG = """
region = "FR"
timezone = "Europe/Paris"

[[lines]]
number = "01 23 45 67 89"
label = "home"
extensions = ["100"]

[[lines]]
number = "09 72 11 22 33"
label = "office"
sources = ["freeswitch"]

[asterisk]
incoming_contexts = ["from-trunk"]
outgoing_contexts = ["from-internal"]
extensions = ["100", "101"]
"""

NUMBERS = ["0162345012", "0162345013", "+33612345678", "0033612345678", "0612345678", "06 12 34 56 78", "3631",
           "anonymous", "", "100", "101", "0123456789", "+4930123456", "12", "Rufnummer unterdrückt", "0972112233"]
# local times: plain, DST gap and fold in Paris (2026-03-29 02:30, 2026-10-25 02:30), impossible ones
TIMES = ["2026-10-12 11:20:07", "2026-10-12 11:20:59", "2026-10-12 23:59:59", "2026-03-29 02:30:00",
         "2026-10-25 02:30:00", "2026-10-25 01:59:59", "2026-02-30 10:00:00", "2026-13-01 10:00:00",
         "2026-10-12 25:00:00", "2026-10-12 11:60:00", "2026-10-12 11:20:61", "12/10/2026 11:20:07",
         "2026-10-12T11:20:07", " 2026-10-12 11:20:07", "not a date", "2024-02-29 00:00:00", "2026-01-01 00:00:00"]


def _field(draw, value: str) -> str:
    """A CSV field: quoted or not (when it can be), sometimes padded."""
    if draw(st.integers(0, 9)) == 0:
        value = " " + value
    if draw(st.booleans()) or any(c in value for c in ',"'):
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def asterisk(draw):
    lines = []
    if draw(st.integers(0, 4)) == 0:
        lines.append("clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,start,answer,end,duration,billsec,"
                     "disposition,amaflags,accountcode,uniqueid,userfield")
        order = "custom"
    else:
        order = "csv"
    uids = [f"17917188{i:02d}.{i}" for i in range(6)] + [""]
    for _ in range(draw(st.integers(1, 40))):
        ctx = draw(st.sampled_from(["from-trunk", "from-internal", "macro-x", "from-trunk ", "ext-did"]))
        number = draw(st.sampled_from(NUMBERS))
        src, dst = (number, "0123456789") if ctx != "from-internal" else ("100", number)
        if draw(st.integers(0, 9)) == 0:
            src, dst = "100", "101"                                   # internal: rejected
        start = draw(st.sampled_from(TIMES))
        disp = draw(st.sampled_from(["ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION", " answered", "WEIRD"]))
        bill = draw(st.sampled_from(["0", "2", "600", "-1", " 5", "x", "007", "1e3"]))
        total = draw(st.sampled_from(["10", "25", "609", "0"]))
        uid = draw(st.sampled_from(uids))
        app = draw(st.sampled_from(["Dial", "VoiceMail", " voicemail "]))
        clid = draw(st.sampled_from([f'"Exemple" <{number}>', f'"" <{number}>', "", "Mère <0612>"]))
        chan = draw(st.sampled_from(["PJSIP/trunk-00000001", "PJSIP/100-0000002a", "DAHDI/1-1", "PJSIP/x y"]))
        dchan = draw(st.sampled_from(["PJSIP/100-00000002", "", "PJSIP/trunk-3"]))
        if order == "csv":
            row = ["", src, dst, ctx, clid, chan, dchan, app, "PJSIP/100,30", start, "", start, total, bill, disp,
                   "DOCUMENTATION", uid, ""]
        else:
            row = [clid, src, dst, ctx, chan, dchan, app, "PJSIP/100", start, "", start, total, bill, disp,
                   "DOCUMENTATION", "", uid, ""]
        lines.append(",".join(_field(draw, f) for f in row))
        if draw(st.integers(0, 12)) == 0:
            lines.append(lines[-1])                                   # a repeated record: a duplicate
        if draw(st.integers(0, 15)) == 0:
            lines.append("")                                          # a blank line
    return lines


@st.composite
def freeswitch(draw):
    lines = []
    for i in range(draw(st.integers(1, 40))):
        ctx = draw(st.sampled_from(["public", "default", "from-trunk", "weird"]))
        number = draw(st.sampled_from(NUMBERS))
        src, dst = (number, "100") if ctx in ("public", "from-trunk") else ("100", number)
        start = draw(st.sampled_from(TIMES + ["2020/2/10 22:41", "2026-10-12 11:20"]))
        answer = draw(st.sampled_from(["", start, " ", "2026-10-12 11:20:09"]))
        row = [draw(st.sampled_from(["Exemple", "", "Mère"])), src, dst, ctx, start, answer, start,
               draw(st.sampled_from(["10", "0", "12.5", "x"])), draw(st.sampled_from(["0", "3", "10", "-2"])),
               draw(st.sampled_from(["NORMAL_CLEARING", "NO_ANSWER", "USER_BUSY", "originator_cancel", "ODD"])),
               draw(st.sampled_from(["a1b2c3d4-0000-4000-8000-00000000000" + str(i % 7),
                                     "a1b2c3d4-0000-4000-8000-000000000001", " a1b2c3d4-0000-4000-8000-00000000000f"])),
               "", "", "PCMA", "PCMA"]
        lines.append(",".join(_field(draw, f) for f in row))
    return lines


@st.composite
def fritzbox(draw):
    header = draw(st.sampled_from(["Typ;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer",
                                   "Type;Date;Name;Number;Country/Region;Extension;Own Number;Duration"]))
    width = header.count(";") + 1
    lines = ["sep=;", header]
    for _ in range(draw(st.integers(1, 40))):
        when = draw(st.sampled_from(["12.10.26 11:20", "29.03.26 02:30", "25.10.26 02:30", "31.02.26 10:00",
                                     "12.10.2026 11:20", "12.10.26 24:00", "1.1.26 9:05", " 12.10.26 11:20"]))
        row = [draw(st.sampled_from(["1", "2", "3", "4", "9", " 1"])), when,
               draw(st.sampled_from(["", "Mère", "Exemple"])), draw(st.sampled_from(NUMBERS + ["SIP: 0612345678"])),
               "Telefon", "Internet: 0123456789", draw(st.sampled_from(["0:00", "0:01", "1:05", "x"]))]
        if width == 8:
            row.insert(4, "France")
        lines.append(";".join(row))
        if draw(st.integers(0, 5)) == 0:
            lines.append(lines[-1])                                   # a look-alike: numbered #2
    return lines


@st.composite
def dirty(draw, records):
    """An export of ``records``, its line ends, its last record maybe cut, and (now and then) what
    makes a file not plain. Returns (bytes of the first export, of an overlapping second one, plain?)."""
    lines = draw(records)
    crlf = draw(st.booleans())
    plain = True
    spoil = draw(st.integers(0, 11))
    if spoil == 0:
        lines[-1] += "\x00"
        plain = False
    elif spoil == 1:
        lines.insert(len(lines) // 2, lines[len(lines) // 2] + "\rX")
        plain = False
    elif spoil == 2:
        lines.insert(len(lines) // 2, '"an open quote,' + lines[len(lines) // 2])   # a record spanning lines
        plain = False
    elif spoil == 3:
        lines.insert(len(lines) // 2, "ragged,row")
        plain = False
    eol = "\r\n" if crlf else "\n"
    text = eol.join(lines) + eol
    if draw(st.integers(0, 5)) == 0:
        text = text[: len(text) - draw(st.integers(1, 30))]              # a truncated export
    second = eol.join(lines[len(lines) // 3:] + draw(records)[-5:]) + eol
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "cp1252"]))
    return text.encode(encoding, errors="replace"), second.encode(encoding, errors="replace"), plain


def _dump(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        out = {}
        for table in ("calls", "rejects", "numbers", "imports", "call_sources"):
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")
                    if not r[1].endswith("_at") and r[1] != "original_path"]
            out[table] = conn.execute(f"SELECT rowid, {', '.join(cols)} FROM {table} ORDER BY rowid").fetchall()
        out["lines_seen"] = conn.execute("SELECT line FROM lines_seen ORDER BY line").fetchall()
        return out
    finally:
        conn.close()


def _import_both(files: list[tuple[str, bytes]]) -> tuple[dict, dict, list[str]]:
    """Import the files, in order, into a store through each path; the two dumps and the paths taken."""
    root = Path(tempfile.mkdtemp(prefix="cw-columnar-"))
    try:
        dumps, paths = [], []
        for columnar in (False, True):
            home = root / ("columnar" if columnar else "per-row")
            (home / "exports").mkdir(parents=True)
            cfg_path = home / "callwatch.toml"
            cfg_path.write_text(textwrap.dedent(CONFIG), encoding="utf-8")
            cfg = config_mod.load(cfg_path, home / "data")
            store = Store(cfg.data_dir)
            importer = Importer(store, cfg)
            importer.columnar_min_bytes = 0 if columnar else 1 << 62
            for name, data in files:
                path = root / name                          # one path for both stores: original_path alike
                path.write_bytes(data)
                importer.import_file(path)
                if columnar:
                    paths.append(importer.last_path)
            store.close()
            dumps.append(_dump(cfg.data_dir / "callwatch.db"))
        return dumps[0], dumps[1], paths
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _check(first: bytes, second: bytes, plain: bool, name: str) -> None:
    per_row, columnar, paths = _import_both([(name, first), ("again-" + name, second)])
    for table in per_row:
        assert per_row[table] == columnar[table], table
    if plain:
        assert paths[0] in ("columnar", None), paths     # None: not imported at all (a format not recognised)


@SETTINGS
@given(dirty(asterisk()))
def test_asterisk_columnar_stores_what_the_per_row_path_stores(export):
    _check(*export, "Master.csv")


@SETTINGS
@given(dirty(freeswitch()))
def test_freeswitch_columnar_stores_what_the_per_row_path_stores(export):
    _check(*export, "Master-fs.csv")


@SETTINGS
@given(dirty(fritzbox()))
def test_fritzbox_columnar_stores_what_the_per_row_path_stores(export):
    _check(*export, "FRITZ!Box_Anrufliste.csv")


# Blocks of a few records: each block's calls go in on the writer thread while the next block is
# read and derived (Staging.insert), between per-row calls and rejects of later blocks; a file found
# not plain after some blocks falls back with inserts still pending (in rollback-journal mode too).
SMALL_BLOCKS = settings(SETTINGS, max_examples=max(EXAMPLES // 2, 10))


@SMALL_BLOCKS
@given(st.sampled_from(["asterisk", "freeswitch", "fritzbox"]).flatmap(
    lambda fmt: st.tuples(st.just(fmt), dirty({"asterisk": asterisk, "freeswitch": freeswitch,
                                                "fritzbox": fritzbox}[fmt]()))))
def test_many_small_blocks_store_what_the_per_row_path_stores(case):
    from unittest import mock

    from callwatch.importers import columnar
    fmt, export = case
    name = {"asterisk": "Master.csv", "freeswitch": "Master-fs.csv", "fritzbox": "FRITZ!Box_Anrufliste.csv"}[fmt]
    from callwatch import store as store_mod
    # and every import written as a large one: the first in rollback-journal mode (Store._first_load),
    # the (number, start) index dropped and rebuilt (Store.bulk_load), the WAL synced meanwhile; and
    # the spaces of derived values re-coded from 3 values on (store._Recoded), their columns of one
    # value through the small table, the others as texts a row
    with mock.patch.object(columnar, "BLOCK_BYTES", 400), mock.patch.object(store_mod, "BULK_ROWS", 1), \
            mock.patch.object(store_mod.Staging, "RECODE", 2), mock.patch.object(store_mod._Recoded, "FEW", 1):
        _check(*export, name)


def test_a_plain_export_takes_the_columnar_path_and_a_damaged_one_falls_back_whole(tmp_path):
    rows = [f'"","06{i:08d}","0123456789","from-trunk","""x"" <06{i:08d}>","PJSIP/trunk-{i}","PJSIP/100-{i}",'
            f'"Dial","","2026-10-12 11:20:{i % 60:02d}","","2026-10-12 11:21:00",10,{i % 3},"ANSWERED","D","{i}.1",""'
            for i in range(300)]
    plain = ("\n".join(rows) + "\n").encode()
    per_row, columnar, paths = _import_both([("Master.csv", plain)])
    assert paths == ["columnar"] and per_row == columnar and len(columnar["calls"]) == 300
    damaged = ("\n".join(rows[:150] + ['"a","b\x00"'] + rows[150:]) + "\n").encode()
    per_row, columnar, paths = _import_both([("Master.csv", damaged)])
    assert paths == ["per-row"] and per_row == columnar
    assert len(columnar["calls"]) == 300 and len(columnar["rejects"]) == 1


# An import never needs pandas, but pyarrow imports it (0.15-0.3 s and 60 MB, once per process) from
# pa.array(), pa.scalar(), Array.to_numpy() and any compute function given a Python value: the
# columnar path makes its arrays from buffers (columnar.numpy, arrow_ints, arrow_strings, scalar).
PLAIN = {
    "Master.csv": "\n".join(
        f'"","06{i:08d}","0123456789","from-trunk","""x"" <06{i:08d}>","PJSIP/trunk-{i}","PJSIP/100-{i}",'
        f'"Dial","","2026-10-12 11:20:{i % 60:02d}","","2026-10-12 11:21:00",10,{i % 3},"ANSWERED","D","{i % 7 or ""}",""'
        for i in range(40)),
    "Master-fs.csv": "\n".join(
        f'"Exemple","06{i:08d}","100","public","2026-10-12 11:20:{i % 60:02d}","{"" if i % 2 else "2026-10-12 11:20:09"}",'
        f'"2026-10-12 11:21:00","10","{i % 3}","NORMAL_CLEARING","a1b2c3d4-0000-4000-8000-0000000000{i:02d}","","","PCMA","PCMA"'
        for i in range(40)),
    "FRITZ!Box_Anrufliste.csv": "sep=;\nTyp;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer\n" + "\n".join(
        f"{1 + i % 3};12.10.26 11:{i:02d};Exemple;06{i:08d};Telefon;Internet: 0123456789;0:0{i % 3}" for i in range(40)),
}


def test_the_columnar_path_does_not_import_pandas(tmp_path):
    import json
    import subprocess
    import sys
    (tmp_path / "callwatch.toml").write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    for name, text in PLAIN.items():
        (tmp_path / name).write_text(text + "\n", encoding="utf-8")
    script = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from callwatch import config as config_mod
        from callwatch.ingest import Importer
        from callwatch.store import Store
        root = Path({str(tmp_path)!r})
        cfg = config_mod.load(root / "callwatch.toml", root / "data")
        importer = Importer(Store(cfg.data_dir), cfg)
        importer.columnar_min_bytes = 0
        out = []
        for name in {list(PLAIN)!r}:
            result = importer.import_file(root / name)
            out.append([name, result.status, result.new, importer.last_path, "pandas" in sys.modules])
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for name, status, new, path, pandas_loaded in json.loads(done.stdout):
        assert (status, path, pandas_loaded) == ("imported", "columnar", False), name
        assert new > 0, name


def test_numpy_reads_arrow_buffers_as_to_numpy_does():
    import numpy as np
    import pyarrow as pa

    from callwatch.importers import columnar
    rng = np.random.default_rng(7)
    bools = pa.array(rng.integers(0, 2, 1001).astype(bool))
    ints = {t: pa.array(rng.integers(-100, 100, 777) if "u" not in str(t) else rng.integers(0, 200, 777), type=t)
            for t in (pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint32())}
    for array in [bools, *ints.values()]:
        for piece in (array, array.slice(3), array.slice(9, 500), array.slice(len(array))):   # offsets not on a byte
            got = columnar.numpy(piece)
            want = piece.to_numpy(zero_copy_only=False)
            assert got.dtype == want.dtype and np.array_equal(got, want), (piece.type, piece.offset)
            got[:1] = 0                                                # writable, as to_numpy's copy
    for texts in (["", "é", "a\x00b", "日本"], [None, "x", None, "", None, None, None, None, None, "y"], [None], []):
        made = columnar.arrow_strings(texts)
        assert made.to_pylist() == texts and made.null_count == texts.count(None)
        made.validate(full=True)
    assert columnar.scalar("x").as_py() == "x" and columnar.scalar(-5).as_py() == -5
    assert columnar.arrow_ints(np.array([1, -2], dtype=np.int32)).to_pylist() == [1, -2]


def test_locators_are_csv_locator_texts():
    import numpy as np

    from callwatch.importers.base import csv_locator
    from callwatch.importers import columnar
    lines = np.array([1, 9, 10, 99, 100, 2**31, 2**53 + 1, 2**62], dtype=np.int64)
    starts = lines[::-1].copy() - 1
    ends = starts + np.arange(len(lines)) * 1000
    texts = columnar.locators(lines, starts, ends).to_pylist()
    assert texts == [csv_locator(int(a), int(b), int(c)) for a, b, c in zip(lines, starts, ends)]
    assert texts[0] == "line 1 (bytes 4611686018427387903-4611686018427387903)"
    assert columnar.locators(lines[:0], starts[:0], ends[:0]).to_pylist() == []


def test_local_times_are_the_per_row_conversion_or_left_to_it():
    """Each text of the layout converts as LocalClock.to_utc_ms does; what it would flag (a
    transition hour) or refuse, and what is not exactly the layout, is left to the per-row path."""
    import re

    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from callwatch.importers import columnar
    from callwatch.times import LocalClock
    clock = LocalClock("Europe/Paris")
    texts = ["2026-03-29 01:59:59", "2026-03-29 02:30:00", "2026-03-29 03:00:00", "2026-10-25 02:15:00",
             "2026-10-25 01:59:59", "2026-10-25 03:00:00", "2026-02-29 10:00:00", "2028-02-29 10:00:00",
             "2026-04-31 10:00:00", "2026-13-01 10:00:00", "2026-00-10 10:00:00", "0000-01-01 10:00:00",
             "2026-05-01 24:00:00", "2026-05-01 23:60:00", "2026-05-01 23:59:60", "2026-05-01 23:59:59",
             "2026-05-01 00:00:00", "2026-05-01 10:00:0", "2026-05-01 10:00:000", " 2026-05-01 10:00:00",
             "2026-05-01T10:00:00", "2026-05-01 1O:00:00", "2026-05-01 ١٠:00:00", "2026-٠5-01 10:00:00", "",
             None, "2026-12-31 23:00:00", "1999-12-31 23:59:59", "9999-12-31 23:59:59", "2026/05/01 10:00:00"]

    def expected(text):
        if text is None or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", text):
            return None
        try:
            ms, flag = clock.to_utc_ms(int(text[:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]),
                                       int(text[14:16]), int(text[17:19]))
        except ValueError:
            return None
        return None if flag else ms
    whole = columnar.arrow_strings(texts)
    for piece, part in ((whole, texts), (whole.slice(3), texts[3:]), (whole.slice(15, 5), texts[15:20]),
                        (columnar.arrow_strings(texts[15:17] * 3), texts[15:17] * 3)):     # last: side by side
        ok, ms = columnar.local_times(pc, piece, clock, "2000-01-01 00:00:00",
                                      ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19)))
        got = [int(m) if k else None for k, m in zip(ok.tolist(), ms)]
        assert got == [expected(t) for t in part]
    # FRITZ!Box's layout: two-digit year, day first, no seconds
    fritz = ["29.03.26 02:30", "29.03.26 03:30", "25.10.26 02:30", "01.05.26 10:07", "31.04.26 10:07", "1.05.26 10:07"]
    ok, ms = columnar.local_times(pc, pa.array(fritz), clock, "01.01.00 00:00",
                                  ((6, 8), (3, 5), (0, 2), (9, 11), (12, 14)), year_base=2000)
    assert ok.tolist() == [False, True, False, True, False, False]
    assert ms[1] == clock.to_utc_ms(2026, 3, 29, 3, 30)[0] and ms[3] == clock.to_utc_ms(2026, 5, 1, 10, 7)[0]
    assert np.array_equal(columnar.fixed_bytes(pa.array(["ab", None, "cd"]), 2)[0], [True, False, True])


def test_digits_and_printable_read_from_the_bytes_are_the_regular_expressions():
    """columnar.digits and columnar.printable decide from a column's bytes at once when every field
    passes; else the regular expression decides row by row: the same masks and values either way
    (sliced arrays, 64-bit offsets, empty fields, a space, a control, UTF-8, nulls)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from callwatch.importers import columnar
    cases = [["0", "7", "00012", "999999999999999"], ["12", "", "3"], ["1 ", "2"], ["١٢", "3"], ["5", None],
             ["1234567890123456"], ["abc", "1.5", "-3", "+4"], ["x"] * 3]
    for values in cases:
        for kind in (pa.string(), pa.large_string()):
            for array in (pa.array(values, type=kind), pa.array(["pad"] + values + ["pad"], type=kind).slice(1, len(values))):
                ok, got = columnar.digits(pc, array)
                regex = columnar.numpy(pc.match_substring_regex(array, "^[0-9]{1,15}$")).tolist()
                assert ok.tolist() == regex, values
                assert [v for v, o in zip(got.tolist(), ok.tolist()) if o] == [int(v) for v, r in zip(values, regex) if r]
    for values in [["1700000001.1", "a-b_c"], ["", "x"], ["a b"], ["tab\there"], ["é"], ["~!"], ["\x7f"], ["ok", None]]:
        for kind in (pa.string(), pa.large_string()):
            for array in (pa.array(values, type=kind), pa.array(["p q"] + values + ["\x01"], type=kind).slice(1, len(values))):
                expected = columnar.numpy(pc.match_substring_regex(array, columnar.PRINTABLE)).tolist()
                assert columnar.printable(pc, array).tolist() == expected, values
