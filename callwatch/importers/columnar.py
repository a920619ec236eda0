"""The columnar path of the CSV importers: a large, plain CSV export read with pyarrow in blocks,
its calls derived column by column, with exactly the result of the per-row path (csv_calls).

Exactness rests on three rules:

* Only a *plain* file takes this path: UTF-8 (or Windows-1252 without its five undefined bytes),
  no NUL byte, no carriage return outside a CRLF line end, no line of MAX_LINE bytes or more,
  every record on one line with the same number of fields. On such a file pyarrow's CSV reader
  and Python's csv module read the same fields (both keep a quote inside a field, text after a
  closing quote, doubled quotes); the number of rows pyarrow read is checked against the number
  of non-empty lines, so that no record spanning lines slips through. Anything else raises
  NotPlain and the whole file goes through the per-row path (ingest.py rolls back to a savepoint).
* Every value a call is made of is computed by the format's own per-row functions, once per
  *distinct* input (a disposition, a context and its numbers, a local hour), and gathered with
  numpy; per-row inputs (times, durations, ids) are taken only when a strict pattern proves that
  the per-row code would read them the same way (ASCII digits at fixed places, no whitespace
  to strip).
* A row that any of these checks refuses goes through the per-row code itself (base.CsvRecords):
  the same Call, or the same reject with the same reason, locator and text.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from itertools import repeat
from typing import Callable, Iterator

import numpy as np

from callwatch.importers.base import (COLUMNAR_ENCODINGS, MAX_LINE, Call, CsvPlan, CsvRecords, Reject, csv_locator,
                                      csv_locator_parts)

BLOCK_BYTES = 6 << 20                      # text read and parsed at a time: about 26,000 CDRs
_CP1252_HOLES = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")    # undefined: per-row decodes them as Latin-1
_SEP = "\x00"                               # joins the parts of a distinct key: no plain file holds a NUL
PRINTABLE = r"^[!-~]*$"                     # ASCII without space or control: str.strip() changes nothing


class NotPlain(Exception):
    """The file is not plain enough for the columnar path (the reason, for the debug log)."""


@dataclass
class Coded:
    """A column as codes into a list of distinct values (a call's direction, its number as written).
    ``space``: what the codes number (a Distincts: the same for a whole file, its lists only grow)."""

    codes: np.ndarray
    values: list
    space: object = None

    def take(self, rows: np.ndarray) -> list:
        values = np.empty(len(self.values), dtype=object)
        values[:] = self.values
        return values[self.codes[rows]].tolist()

    def arrow(self):
        """As a pyarrow string array (values must be strings)."""
        import pyarrow as pa
        return pa.DictionaryArray.from_arrays(arrow_ints(self.codes.astype(np.int32)),
                                              arrow_strings(self.values)).dictionary_decode()


@dataclass
class Derived:
    """What a format derived for the rows of a block: ``ok`` marks the rows it derived, the others
    go through the per-row path. ``columns`` maps Call fields to a numpy array (one value a row), a
    pyarrow string array, a Coded column or a constant; fields not named are their Call default."""

    ok: np.ndarray
    columns: dict = field(default_factory=dict)

    @classmethod
    def nothing(cls, rows: int) -> "Derived":
        return cls(np.zeros(rows, dtype=bool))


@dataclass
class Block:
    """The derived calls of one block, and the rows the per-row path produced, in file order."""

    rows: np.ndarray                  # positions (in the file's records) of the derived calls
    lines: np.ndarray                 # their first line, bytes start and end (the locator)
    starts: np.ndarray
    ends: np.ndarray
    derived: Derived
    items: list                       # (position, Call | Reject) from the per-row path
    size: int                         # rows in the block (records, blank ones included)


def _pa():
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    return pa, pc, pacsv


def blocks(sniff, plan: CsvPlan, progress=None) -> Iterator[Block]:
    """The file's records in blocks, derived by ``plan.derive`` where it can, else by the
    per-row path. Raises NotPlain (possibly after some blocks: the caller discards them)."""
    if sniff.encoding not in COLUMNAR_ENCODINGS:
        raise NotPlain(f"encoding {sniff.encoding}")
    pa, pc, pacsv = _pa()
    records = CsvRecords(sniff, plan.read)
    enc = "cp1252" if sniff.encoding == "cp1252" else "utf-8"
    position = 0                                   # records before this block
    width = None
    try:
        for text, first_line, offset, last in _texts(sniff, plan.skip_lines):
            data = np.frombuffer(text, dtype=np.uint8)
            ends = np.flatnonzero(data == 10) + 1
            unterminated = text[-1:] != b"\n"
            if unterminated:
                ends = np.append(ends, len(text))
            starts = np.concatenate(([0], ends[:-1])).astype(np.int64)
            lengths = ends - starts
            if lengths.max() >= MAX_LINE - 1:
                raise NotPlain("a line of 1 MB or more")
            has_lf = data[ends - 1] == 10
            has_crlf = has_lf & (lengths >= 2) & (data[np.maximum(ends - 2, 0)] == 13)
            nonempty = np.flatnonzero(lengths - has_lf - has_crlf > 0)
            tail = None
            if unterminated and len(nonempty) and nonempty[-1] == len(lengths) - 1:
                tail = int(nonempty[-1])              # a last line without line end: read as Python reads it
                nonempty = nonempty[:-1]
            if len(nonempty):
                bom = offset == 0 and sniff.encoding == "utf-8-sig" and plan.skip_lines == 0
                body = text[:starts[tail]] if tail is not None else text
                first = text[starts[nonempty[0]]:ends[nonempty[0]]]
                table = _parse(pa, pacsv, body, first, plan.delimiter, enc, bom and nonempty[0] == 0)
                if table.num_rows != len(nonempty):
                    raise NotPlain("a record spans lines")
                if width is None:
                    width = table.num_columns
                elif table.num_columns != width:
                    raise NotPlain("rows of different widths")
                columns = [column.combine_chunks() for column in table.columns]
            else:
                columns = []
            rows = len(nonempty)
            line_no = first_line + nonempty + 1
            b_start = offset + starts[nonempty]
            b_end = offset + ends[nonempty]
            items: list = []
            i = 0
            while i < rows and not plan.ready():          # the header or the first record sets the reader up
                items += _per_row(records, columns, np.array([i]), position, line_no, b_start, b_end)
                i += 1
            if i < rows and plan.derive is not None:
                derived = plan.derive(columns)
                derived.ok[:i] = False
                derived.ok &= (b_end - b_start) <= 900     # a longer line may hold a field over 1,000 characters
            else:
                derived = Derived.nothing(rows)
            todo = ~derived.ok
            todo[:i] = False
            items += _per_row(records, columns, np.flatnonzero(todo), position, line_no, b_start, b_end)
            size = rows
            if tail is not None:
                items += _last_line(records, plan, text[starts[tail]:], sniff.encoding == "utf-8-sig" and offset == 0
                                    and tail == 0, enc, first_line + tail + 1, offset + int(starts[tail]),
                                    offset + int(ends[tail]), position + rows)
                size += 1
            ok = np.flatnonzero(derived.ok)
            yield Block(position + ok, line_no[ok], b_start[ok], b_end[ok], derived, items, size)
            del derived, columns, items
            pa.default_memory_pool().release_unused()     # the pool would keep each block's buffers
            position += size
            if progress is not None:
                progress(offset + len(text))
    finally:
        records.original.close()


def _last_line(records, plan, raw: bytes, bom: bool, enc: str, line: int, start: int, end: int, position: int):
    """The file's last line when it has no line end (an export cut short): decoded as LineReader
    decodes it and read by the csv module, as csv_records reads it."""
    if bom:
        raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        decoded = raw.decode(enc)
    except UnicodeDecodeError:
        decoded = raw.decode("latin-1")
    loc = csv_locator(line, start, end)
    try:
        fields = next(csv.reader([decoded], delimiter=plan.delimiter), [])
    except csv.Error as exc:
        return [(position, Reject(loc, f"unreadable CSV: {exc}", records.original.span(start, end)))]
    item = records.record(fields, loc, (start, end))
    return [] if item is None else [(position, item)]


def _texts(sniff, skip_lines: int):
    """(bytes of whole lines, lines before them, their file offset, last?) in blocks of about
    BLOCK_BYTES, after ``skip_lines`` lines."""
    with open(sniff.path, "rb") as fh:
        offset = 0
        for _ in range(skip_lines):
            line = fh.readline(MAX_LINE)
            if len(line) == MAX_LINE and not line.endswith(b"\n"):
                raise NotPlain("a line of 1 MB or more")
            offset += len(line)
        line_no = skip_lines
        pending = b""
        while True:
            if len(pending) >= MAX_LINE - 1:          # a line that long: never read further
                raise NotPlain("a line of 1 MB or more")
            chunk = fh.read(BLOCK_BYTES)
            data = pending + chunk
            if not chunk:
                if data:
                    _check(data, sniff.encoding, offset, final=True)
                    yield data, line_no, offset, True
                return
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                if len(data) >= MAX_LINE:
                    raise NotPlain("a line of 1 MB or more")
                pending = data
                continue
            text, pending = data[:cut], data[cut:]
            _check(text, sniff.encoding, offset, final=False)
            yield text, line_no, offset, False
            line_no += text.count(b"\n")
            offset += cut


def _check(text: bytes, encoding: str, offset: int, final: bool) -> None:
    if b"\x00" in text:
        raise NotPlain("a NUL byte")
    crs = text.count(b"\r")
    if crs and crs != text.count(b"\r\n") and not (final and crs == text.count(b"\r\n") + 1 and text.endswith(b"\r")):
        raise NotPlain("a carriage return inside a line")
    if encoding == "cp1252" and any(hole in text for hole in _CP1252_HOLES):
        raise NotPlain("bytes Windows-1252 does not define")
    if text.startswith(codecs.BOM_UTF8) and not (offset == 0 and encoding == "utf-8-sig"):
        raise NotPlain("a byte-order mark inside the file")


def _parse(pa, pacsv, text: bytes, first: bytes, delimiter: str, encoding: str, bom: bool):
    """Every field as a string, none null, none converted. ``first``: the first non-empty line,
    which gives the number of columns."""
    if encoding == "cp1252":
        text, first = text.decode("cp1252").encode("utf-8"), first.decode("cp1252").encode("utf-8")
    elif bom:
        text, first = text.removeprefix(codecs.BOM_UTF8), first.removeprefix(codecs.BOM_UTF8)
    parse = pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False,
                               newlines_in_values=True, ignore_empty_lines=True)
    strings = dict(strings_can_be_null=False, quoted_strings_can_be_null=False, check_utf8=True)
    try:
        head = pacsv.read_csv(pa.py_buffer(first),
                              read_options=pacsv.ReadOptions(autogenerate_column_names=True, use_threads=False),
                              parse_options=parse, convert_options=pacsv.ConvertOptions(**strings))
        names = head.column_names
        return pacsv.read_csv(
            pa.py_buffer(text),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False, block_size=BLOCK_BYTES + 1),
            parse_options=parse,
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, **strings))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError) as exc:
        raise NotPlain(f"pyarrow: {str(exc)[:200]}") from None


def _per_row(records: CsvRecords, columns, rows: np.ndarray, position: int, line_no, b_start, b_end) -> list:
    """The per-row path's Call or Reject for these rows of a block (blank rows and headers give none)."""
    if not len(rows):
        return []
    taken = [col.take(arrow_ints(rows)).to_pylist() for col in columns]
    out = []
    for j, i in enumerate(rows.tolist()):
        fields = [values[j] for values in taken]
        loc = csv_locator(int(line_no[i]), int(b_start[i]), int(b_end[i]))
        item = records.record(fields, loc, (int(b_start[i]), int(b_end[i])))
        if item is not None:
            out.append((position + i, item))
    return out


# -- vectorised pieces the formats share ------------------------------------------------------

def distinct(pc, *columns):
    """Codes of the distinct tuples of these string columns (row by row), and the tuples."""
    if len(columns) == 1:
        joined = columns[0]
    else:
        joined = pc.binary_join_element_wise(*columns, scalar(_SEP))
    enc = pc.dictionary_encode(joined)
    codes = numpy(enc.indices).astype(np.int64)
    values = enc.dictionary.to_pylist()
    if len(columns) > 1:
        values = [tuple(v.split(_SEP)) for v in values]
    else:
        values = [(v,) for v in values]
    return codes, values


class Distincts:
    """A format's function applied once per distinct input tuple over a whole file: each tuple gets
    an id (the same in every block), its result, and each component of the results is kept as a
    list that only grows (Coded columns share it). A result None marks the rows the function refused
    (it raised ValueError, IndexError or KeyError, or returned None): the per-row path reads them."""

    def __init__(self, fn: Callable, width: int):
        self.fn = fn
        self.ids: dict[str, int] = {}
        self.parts: list[list] = [[] for _ in range(width)]
        self.refused: list[bool] = []
        self._refused = np.zeros(0, dtype=bool)

    def codes(self, pc, *columns) -> np.ndarray:
        joined = columns[0] if len(columns) == 1 else pc.binary_join_element_wise(*columns, scalar(_SEP))
        enc = pc.dictionary_encode(joined)
        keys = enc.dictionary.to_pylist()
        known, fn, parts = self.ids, self.fn, self.parts
        ids = np.fromiter(map(known.get, keys, repeat(-1)), dtype=np.int64, count=len(keys))
        for k in np.flatnonzero(ids < 0).tolist():          # inputs met for the first time
            key = keys[k]
            ids[k] = known[key] = len(self.refused)
            try:
                result = fn(*(key.split(_SEP) if len(columns) > 1 else (key,)))
            except (ValueError, IndexError, KeyError):
                result = None
            self.refused.append(result is None)
            if result is None:
                for part in parts:
                    part.append(None)
            else:
                for part, value in zip(parts, result):
                    part.append(value)
        return ids[numpy(enc.indices)] if len(keys) else np.zeros(len(joined), dtype=np.int64)

    def refused_rows(self, codes: np.ndarray) -> np.ndarray:
        if not self.refused:
            return np.ones(len(codes), dtype=bool)
        if len(self._refused) < len(self.refused):       # as an array, extended by the inputs new since
            self._refused = np.concatenate((self._refused, np.array(self.refused[len(self._refused):], dtype=bool)))
        return self._refused[codes]

    def column(self, codes: np.ndarray, index: int) -> Coded:
        return Coded(codes, self.parts[index], self)


def digits(pc, column, max_digits: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """(ok, value): where ok, the field is 1 to ``max_digits`` ASCII digits and value is int(field).
    When every field is (a duration column, nearly always), seen from the column's bytes at once."""
    n = len(column)
    if n and not column.null_count:
        offsets, data = _offsets_and_data(column)
        lengths = np.diff(offsets)
        if 1 <= lengths.min() and lengths.max() <= max_digits and _all_within(data[offsets[0]:offsets[-1]], 48, 57):
            return np.ones(n, dtype=bool), numpy(pc.cast(column, "int64"))
    ok = pc.match_substring_regex(column, f"^[0-9]{{1,{max_digits}}}$")
    values = pc.cast(pc.if_else(ok, column, scalar("0")), "int64")
    return numpy(ok), numpy(values)


def printable(pc, column) -> np.ndarray:
    """Where the field is printable ASCII without a space (PRINTABLE: str.strip() changes nothing),
    as a numpy mask; seen from the column's bytes at once when every field is."""
    if len(column) and not column.null_count:
        offsets, data = _offsets_and_data(column)
        if _all_within(data[offsets[0]:offsets[-1]], 0x21, 0x7E):
            return np.ones(len(column), dtype=bool)
    return numpy(pc.match_substring_regex(column, PRINTABLE))


def _all_within(data: np.ndarray, low: int, high: int) -> bool:
    return bool(((data >= low) & (data <= high)).all())


def _offsets_and_data(array) -> tuple[np.ndarray, np.ndarray]:
    """A string array's n + 1 offsets (int64) into its data buffer (uint8), from its buffers."""
    import pyarrow as pa
    offsets_buffer, data_buffer = array.buffers()[1:3]
    wide = pa.types.is_large_string(array.type)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if wide else np.int32)[array.offset:array.offset + len(array) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, dtype=np.uint8)
    return offsets.astype(np.int64), data


def fixed_bytes(array, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(ok, matrix) of a string array: ok where the text is ``width`` bytes (and not null), and
    those bytes as an (n, width) uint8 matrix, read from the array's buffers (zeros elsewhere)."""
    n = len(array)
    offsets, data = _offsets_and_data(array)
    ok = np.diff(offsets) == width
    if array.null_count:
        ok &= _bits(array.buffers()[0], array.offset, n)
    if n and ok.all():                              # every text that wide: they lie side by side
        return ok, data[offsets[0]:offsets[-1]].reshape(n, width)
    matrix = np.zeros((n, width), dtype=np.uint8)
    rows = np.flatnonzero(ok)
    matrix[rows] = data[offsets[rows][:, None] + np.arange(width)]
    return ok, matrix


def _bits(buffer, offset: int, n: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(buffer, dtype=np.uint8), count=offset + n, bitorder="little")[offset:].view(bool)


def local_times(pc, column, clock, layout: str, parts: tuple, year_base: int = 0):
    """(ok, UTC ms) of local times written in one fixed ASCII layout, given as an example
    (``2000-01-01 00:00:00``): a digit where it has a digit, its other characters as they are.
    ``parts``: the (start, end) places of year, month, day, hour, minute[, second]. Read from the
    column's bytes. Each distinct local day is converted once with ``clock.day_base``; the hours of
    a transition day, each once with ``clock.hour_base``, as ``LocalClock.to_utc_ms`` does. A row in
    a transition hour, or with an impossible date, hour or minute, is not ok: the per-row path
    converts or refuses it."""
    width = len(layout)
    ok, chars = fixed_bytes(column, width)
    digit = np.array([c.isdigit() for c in layout])
    literal = np.frombuffer(layout.encode("ascii"), dtype=np.uint8)
    ok &= ((chars[:, digit] >= 48) & (chars[:, digit] <= 57)).all(axis=1)
    ok &= (chars[:, ~digit] == literal[~digit]).all(axis=1)
    values = chars.astype(np.int64) - 48

    def number(span):                   # the digits of a part as an int (radix 10: never two texts alike)
        total = np.zeros(len(values), dtype=np.int64)
        for i in range(*span):
            total = total * 10 + values[:, i]
        return total

    (y0, y1), (m0, m1), (d0, d1) = parts[:3]
    year, month, day, hour, minute = (number(span) for span in parts[:5])
    second = number(parts[5]) if len(parts) > 5 else np.zeros(len(values), dtype=np.int64)
    ok &= (hour < 24) & (minute < 60) & (second < 60)
    # one key a date: month and day have at most two digits, so the key is one-to-one
    date_key = np.where(ok, (year * 100 + month) * 100 + day, 0)
    keys, codes = np.unique(date_key, return_inverse=True)
    bases = np.zeros(len(keys), dtype=np.int64)
    valid = np.zeros(len(keys), dtype=bool)             # a real date
    uniform = np.zeros(len(keys), dtype=bool)           # ... with one offset all day
    for k, key in enumerate(keys.tolist()):
        try:
            base = clock.day_base(key // 10_000 + year_base, key // 100 % 100, key % 100)
        except ValueError:
            continue
        valid[k] = True
        if base is not None:
            bases[k], uniform[k] = base, True
    ok &= valid[codes]
    start = bases[codes] + hour * 3_600_000
    rows = np.flatnonzero(ok & ~uniform[codes])
    if len(rows):                        # the hours of transition days, each once
        hour_key = date_key[rows] * 100 + hour[rows]
        keys, codes = np.unique(hour_key, return_inverse=True)
        bases = np.zeros(len(keys), dtype=np.int64)
        known = np.zeros(len(keys), dtype=bool)
        for k, key in enumerate(keys.tolist()):
            d = key // 100
            base = clock.hour_base(d // 10_000 + year_base, d // 100 % 100, d % 100, key % 100)
            if base is not None:
                bases[k], known[k] = base, True
        ok[rows] = known[codes]
        start[rows] = bases[codes]
    return ok, start + (minute * 60 + second) * 1000


def locators(lines: np.ndarray, starts: np.ndarray, ends: np.ndarray):
    """csv_locator's text of each record, as a pyarrow string array (made in C++: as SQLite
    concatenation, it cost the inserting thread a tenth of its time)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    parts = [scalar(part) if isinstance(part, str) else pc.cast(arrow_ints(part.astype(np.int64)), pa.string())
             for part in csv_locator_parts(lines, starts, ends)]
    return pc.binary_join_element_wise(*parts, scalar(""))


def constant(value: str, n: int):
    """A string column of n times the same value."""
    import pyarrow as pa
    return pa.DictionaryArray.from_arrays(arrow_ints(np.zeros(n, dtype=np.int32)), arrow_strings([value])).dictionary_decode()


def flags(mask: np.ndarray):
    """A boolean numpy column as "1"/"0" strings, to join a distinct key with."""
    import pyarrow as pa
    return pa.DictionaryArray.from_arrays(arrow_ints(mask.astype(np.int32)), arrow_strings(["0", "1"])).dictionary_decode()


# pyarrow.array() asks whether its input is a pandas object, which imports pandas (0.2-0.3 s and
# 60 MB, once per process) although an import never needs it: arrays are made from buffers instead.

def arrow_ints(values: np.ndarray):
    """A numpy integer array as a pyarrow array of the same type (its buffer, not copied)."""
    import pyarrow as pa
    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


def numpy(array) -> np.ndarray:
    """A pyarrow boolean or integer array as numpy, read from its buffers (its own to_numpy() imports
    pandas). An array with nulls (never made on this path) is left to to_numpy()."""
    import pyarrow as pa
    if array.null_count:
        return array.to_numpy(zero_copy_only=False)
    n, offset, data = len(array), array.offset, array.buffers()[1]
    if pa.types.is_boolean(array.type):
        return _bits(data, offset, n)
    if not pa.types.is_integer(array.type):
        raise TypeError(f"not an integer array: {array.type}")
    dtype = np.dtype(("u" if pa.types.is_unsigned_integer(array.type) else "i") + str(array.type.bit_width // 8))
    return np.frombuffer(data, dtype=dtype, count=n, offset=offset * dtype.itemsize).copy()     # writable, as to_numpy's


def scalar(value):
    """A str or an int as a pyarrow scalar, for compute functions (given a Python value, they call
    pa.scalar(), which imports pandas)."""
    if isinstance(value, str):
        return arrow_strings([value])[0]
    return arrow_ints(np.array([value], dtype=np.int64))[0]


def arrow_strings(values: list):
    """Python strings (or None: null) as a pyarrow string array."""
    import pyarrow as pa
    data = [b"" if value is None else value.encode("utf-8") for value in values]
    offsets = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, data), dtype=np.int64, count=len(data)), out=offsets[1:])
    kind = pa.string() if offsets[-1] < 2**31 else pa.large_string()
    if kind == pa.string():
        offsets = offsets.astype(np.int32)
    valid = None
    if None in values:
        mask = np.fromiter((value is not None for value in values), dtype=bool, count=len(values))
        valid = pa.py_buffer(np.packbits(mask, bitorder="little"))
    return pa.Array.from_buffers(kind, len(data), [valid, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])


def _int_slice(pc, column, span: tuple[int, int]) -> np.ndarray:
    return numpy(pc.cast(pc.utf8_slice_codeunits(column, span[0], span[1]), "int64"))


__all__ = ["NotPlain", "CsvPlan", "Derived", "Coded", "Block", "Distincts", "blocks", "digits", "local_times",
           "PRINTABLE", "printable", "Call"]
