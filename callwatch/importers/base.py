"""What every importer shares: the sniffed head of a file, the records it yields, helpers.

An importer module declares ``NAME``, ``FAMILY`` (the identity namespace: two formats of the
same device share one, so a phone's XML backup and its calllog.db deduplicate), ``IDENTITY``
(which fields make a call's natural key, for the documentation), ``recognise(sniff) -> int``
(0 = not mine, higher = surer) and ``parse(source, ctx)`` yielding ``Call`` or ``Reject``.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from callwatch.times import LocalClock

HEAD_SIZE = 64 * 1024
SQLITE_MAGIC = b"SQLite format 3\x00"
MAX_LINE = 1 << 20              # 1 MB: no call record is that long; a longer line is a reject, never held whole
csv.field_size_limit(MAX_LINE)  # an unclosed quote swallowing the file ends as a reject too

IN, OUT = "in", "out"
ANSWERED, MISSED, REJECTED, BLOCKED, VOICEMAIL, UNKNOWN_OUTCOME = (
    "answered", "missed", "rejected", "blocked", "voicemail", "unknown")


@dataclass(slots=True)
class Call:
    """One call as an importer read it; ingest adds the normalised number and the import."""

    start_ms: int                    # UTC, epoch milliseconds
    direction: str                   # IN or OUT
    outcome: str                     # ANSWERED, MISSED, ...
    number_raw: str                  # the other party, exactly as written
    locator: str                     # where in the original: "line 12 (bytes 340-411)", "calls._id=7"
    key: str                         # natural identity inside FAMILY
    source_type: str                 # the source's own type code or label, kept verbatim
    tz: str = "UTC"                  # zone the time was read in ("UTC" when the source gives UTC)
    time_raw: str | None = None      # the time as the source wrote it: local text, or a timestamp's digits
    time_flag: str | None = None     # dst-ambiguous, dst-nonexistent
    time_precision_s: int = 1        # 60 for minute-resolution sources
    duration_s: int | None = None    # talk time
    duration_precision_s: int = 1    # 60 for FRITZ!Box "H:MM"
    ring_s: int | None = None        # ringing time, where the source has it
    presentation: str | None = None  # when the source states it (Android presentation column)
    own_number_raw: str | None = None
    caller_name: str | None = None
    region: str | None = None        # the country the source says the number was dialled in
    own_account: str | None = None   # the SIM subscription / phone account the call used, when the export
                                     # names it but not the own number (Android subscription_id): the config
                                     # maps it to one of the household's lines


@dataclass(slots=True)
class Reject:
    locator: str
    reason: str
    raw: str


@dataclass
class Sniff:
    """The first bytes of a file, decoded once, for the recognisers."""

    path: Path
    head: bytes
    size: int
    encoding: str | None          # None for binary content
    text: str = ""                # decoded head (empty for binary)

    @property
    def is_sqlite(self) -> bool:
        return self.head.startswith(SQLITE_MAGIC)

    @property
    def stripped(self) -> str:
        return self.text.lstrip("\ufeff \t\r\n")

    def first_lines(self, n: int = 3) -> list[str]:
        return self.stripped.splitlines()[:n]


@dataclass
class ParseContext:
    """What a parser may use: the clock of the configured zone, config, progress reporting."""

    clock: LocalClock
    config: object
    progress: Callable[[int], None] = lambda position: None
    clocks: dict = field(default_factory=dict)

    def clock_for(self, zone_name: str | None) -> LocalClock:
        if not zone_name or zone_name == self.clock.name:
            return self.clock
        if zone_name not in self.clocks:
            self.clocks[zone_name] = LocalClock(zone_name)
        return self.clocks[zone_name]


def detect_encoding(head: bytes, whole_file_utf8: bool | None = None) -> str | None:
    """Text encoding of a file from its head (and, if known, whether all of it is UTF-8).

    BOMs decide first. UTF-16 without BOM shows as NUL bytes in every other position. A
    file with other NUL bytes or control bytes is binary (None). Otherwise UTF-8 if valid,
    else Windows-1252 (a superset of ISO-8859-1's printable range, as FRITZ!Box writes).
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 4:
        if sample[1::2].count(0) > len(sample) // 4 and sample[0::2].count(0) == 0:
            return "utf-16-le"
        if sample[0::2].count(0) > len(sample) // 4 and sample[1::2].count(0) == 0:
            return "utf-16-be"
    if head.count(0) > len(head) // 100 + 2:     # a stray NUL in a text export is a damaged line, not binary
        return None
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13, 12))
    if controls > len(sample) // 100 + 1:
        return None
    if whole_file_utf8 is None:
        try:
            head.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:      # a character cut by the end of the head
                return "utf-8"
    elif whole_file_utf8:
        return "utf-8"
    return "cp1252"


def decode_head(head: bytes, encoding: str | None) -> str:
    if encoding is None:
        return ""
    return head.decode(encoding, errors="replace")


class LineReader:
    """Iterates the decoded lines of a file while tracking each line's byte range.

    csv.reader pulls exactly the lines of one record at a time, so after each record
    ``end`` is the byte offset where that record stops: record bytes are
    [previous end, end). That range is the locator back into the archived original.
    """

    def __init__(self, path: Path, encoding: str, progress: Callable[[int], None] | None = None):
        self.path, self.encoding = path, encoding
        self.end = 0
        self._progress = progress
        self._wide = encoding.startswith("utf-16")

    def __iter__(self) -> Iterator[str]:
        progress, count = self._progress, 0
        if self._wide:
            with open(self.path, "r", encoding=self.encoding, errors="replace", newline="") as fh:
                if self.encoding == "utf-16":
                    self.end = 2        # the BOM
                for line in fh:
                    self.end += len(line.encode("utf-16-le"))
                    yield line
            return
        enc = "cp1252" if self.encoding == "cp1252" else self.encoding
        with open(self.path, "rb") as fh:
            first = True
            while raw := fh.readline(MAX_LINE):
                count += 1
                if progress is not None and count % 65536 == 0:
                    progress(self.end)
                if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
                    self.overlong = self._skip_rest(fh, len(raw))
                    self.end += self.overlong
                    yield OVERLONG
                    continue
                self.overlong = 0
                self.end += len(raw)
                if first:
                    first = False
                    if enc == "utf-8-sig":
                        raw = raw.removeprefix(codecs.BOM_UTF8)
                try:
                    yield raw.decode("utf-8" if enc == "utf-8-sig" else enc)
                except UnicodeDecodeError:
                    yield raw.decode("latin-1")       # cp1252 holes and stray bytes: keep, never crash

    overlong = 0          # the byte length of the line just yielded as OVERLONG, else 0

    @staticmethod
    def _skip_rest(fh, size: int) -> int:
        """Read past the rest of an overlong line in bounded chunks; returns its length."""
        while chunk := fh.readline(MAX_LINE):
            size += len(chunk)
            if chunk.endswith(b"\n"):
                break
        return size


# What LineReader yields in place of an overlong line: one NUL, never in a text record.
OVERLONG = "\x00\n"


def csv_records(path: Path, encoding: str, delimiter: str, skip_lines: int = 0,
                progress: Callable[[int], None] | None = None
                ) -> Iterator[tuple[list[str] | None, str, str, tuple[int, int]]]:
    """(fields, locator, problem, (first byte, end byte)) per CSV record; fields None, and the
    problem said, when the line cannot be read."""
    reader_lines = LineReader(path, encoding, progress)
    lines = iter(reader_lines)
    start = 0
    for _ in range(skip_lines):
        if next(lines, None) is None:
            return
        start = reader_lines.end
    rows = csv.reader(lines, delimiter=delimiter)
    line_no = skip_lines
    while True:
        try:
            fields = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader_lines.end
            yield None, csv_locator(line_no + 1, start, end), f"unreadable CSV: {exc}", (start, end)
            line_no = skip_lines + rows.line_num
            start = end
            continue
        end = reader_lines.end
        first_line = line_no + 1
        line_no = skip_lines + rows.line_num
        loc = csv_locator(first_line, start, end)
        span, start = (start, end), end
        if "\x00" in "".join(fields):          # one C pass; a generator per field costs more per row
            if reader_lines.overlong:
                yield None, loc, f"line of {reader_lines.overlong:,} bytes, longer than {MAX_LINE:,}: not read", span
                reader_lines.overlong = 0
            else:
                yield None, loc, "NUL byte in the record (a damaged line?)", span
            continue
        yield fields, loc, "", span


RAW_LIMIT = 4096       # bytes of a refused record kept in the rejects table


class Original:
    """A refused record's text exactly as it stands in the archived file, read back by its byte
    offsets: the rejects table is evidence of what was refused, so it holds the file's own bytes
    (decoded in the file's encoding; undecodable bytes as \\xNN), never the record rebuilt from
    its parsed fields. The file is opened at the first reject only; at most RAW_LIMIT bytes."""

    def __init__(self, sniff):
        self.path = sniff.path
        enc = sniff.encoding or "utf-8"
        if enc == "utf-16":                 # a BOM says which: the pieces read back carry none
            enc = "utf-16-be" if sniff.head.startswith(codecs.BOM_UTF16_BE) else "utf-16-le"
        self.encoding = {"utf-8-sig": "utf-8"}.get(enc, enc)
        self._fh = None

    def _read(self, start: int, size: int) -> bytes:
        if self._fh is None:
            self._fh = open(self.path, "rb")
        self._fh.seek(start)
        return self._fh.read(size)

    def _text(self, data: bytes, final: bool) -> str:
        return codecs.getincrementaldecoder(self.encoding)(errors="backslashreplace").decode(data, final)

    def span(self, start: int, end: int) -> str:
        """Bytes [start, end) as text, without the line ending that closes a CSV record."""
        size = end - start
        text = self._text(self._read(start, min(size, RAW_LIMIT)), size <= RAW_LIMIT)
        if size > RAW_LIMIT:
            return text + f"...[{size - RAW_LIMIT:,} more bytes]"
        return text.rstrip("\r\n")

    def element(self, start: int, name: str) -> str:
        """The XML element that starts at byte ``start``: up to its '/>' or its end tag."""
        text = self._text(self._read(start, RAW_LIMIT + 1), False)
        end, quote = None, None
        for i, ch in enumerate(text):
            if quote:
                quote = None if ch == quote else quote
            elif ch in "\"'":
                quote = ch
            elif ch == ">":
                end = i + 1
                if text[i - 1] != "/":        # not empty: runs to its end tag
                    m = re.compile(rf"</{re.escape(name)}\s*>").search(text, end)
                    end = m.end() if m else None
                break
        if end is None or end > RAW_LIMIT:
            return text[:RAW_LIMIT] + "...[truncated]"
        return text[:end]

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None



def parse_hms(text: str) -> int:
    """'H:MM:SS', 'M:SS' or plain seconds as seconds."""
    parts = text.strip().split(":")
    if not all(p.isdigit() for p in parts) or not 1 <= len(parts) <= 3:
        raise ValueError(f"not a duration: {text!r}")
    total = 0
    for p in parts:
        total = total * 60 + int(p)
    return total


MAX_JSON_BYTES = 256 * 1024 * 1024


def load_json(sniff):
    """A whole JSON export (box call lists are small; a cap keeps a hostile file from eating memory)."""
    import json
    from callwatch.errors import UnreadableFile
    if sniff.size > MAX_JSON_BYTES:
        raise UnreadableFile(sniff.path, f"JSON file larger than {MAX_JSON_BYTES // 2**20} MB")
    try:
        with open(sniff.path, encoding=sniff.encoding or "utf-8") as fh:
            return json.load(fh)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise UnreadableFile(sniff.path, f"not valid JSON ({str(exc)[:120]}); truncated or damaged file?") from None


def json_raw(entry) -> str:
    import json
    return json.dumps(entry, ensure_ascii=False)[:4000]


class _NotThere(Exception):
    pass


_JSON_WS = re.compile(r"[ \t\n\r]*")


def _json_elements(text: str, pos: int, decode) -> list[tuple[int, int]]:
    """(start, end) of each element of the JSON array at ``pos``."""
    pos = _JSON_WS.match(text, pos).end()
    if text[pos:pos + 1] != "[":
        raise _NotThere
    spans, pos = [], _JSON_WS.match(text, pos + 1).end()
    while text[pos:pos + 1] != "]":
        _value, end = decode(text, pos)
        spans.append((pos, end))
        pos = _JSON_WS.match(text, end).end()
        if text[pos:pos + 1] == ",":
            pos = _JSON_WS.match(text, pos + 1).end()
    return spans


def _json_spans(text: str, pos: int, where: tuple, decode) -> list[tuple[int, int]]:
    """Spans of the entries of the array reached from ``pos`` along ``where``: member names, or
    "*" for every element of an array (their arrays joined, as an importer flattens them)."""
    if not where:
        return _json_elements(text, pos, decode)
    step, rest = where[0], where[1:]
    if step == "*":
        out = []
        for start, _end in _json_elements(text, pos, decode):
            try:
                out += _json_spans(text, start, rest, decode)
            except _NotThere:
                pass
        return out
    pos = _JSON_WS.match(text, pos).end()
    if text[pos:pos + 1] != "{":
        raise _NotThere
    found, pos = None, _JSON_WS.match(text, pos + 1).end()
    while text[pos:pos + 1] != "}":
        key, pos = decode(text, pos)
        pos = _JSON_WS.match(text, _JSON_WS.match(text, pos).end() + 1).end()       # past the colon
        if key == step:
            found = pos                 # the last one, as json.load keeps it
        _value, pos = decode(text, pos)
        pos = _JSON_WS.match(text, pos).end()
        if text[pos:pos + 1] == ",":
            pos = _JSON_WS.match(text, pos + 1).end()
    if found is None:
        raise _NotThere
    return _json_spans(text, found, rest, decode)


MAX_JSON_READ_BACK = 32 * 1024 * 1024      # a box's call list is a few hundred kB


class JsonOriginal:
    """The text of a JSON export's call entries as they stand in the file, for their rejects
    (the file's own text, never the entry re-serialised). ``where`` leads from the document to the
    list: member names, "*" for each element of an array. The file is read again, and walked, at
    the first reject only; if the walk does not find as many entries as were parsed, a reject
    falls back to the entry written out again, marked so."""

    def __init__(self, sniff, where: tuple, count: int):
        self.sniff, self.where, self.count, self._spans, self._text = sniff, where, count, None, ""

    def __call__(self, i: int, entry) -> str:
        import json
        if self._spans is None:
            try:
                if self.sniff.size > MAX_JSON_READ_BACK:      # the parsed document is in memory already
                    raise _NotThere
                with open(self.sniff.path, encoding=self.sniff.encoding or "utf-8", errors="replace") as fh:
                    self._text = fh.read()
                self._spans = _json_spans(self._text, 0, self.where, json.JSONDecoder().raw_decode)
            except (_NotThere, ValueError, IndexError, RecursionError):
                self._spans = []
            if len(self._spans) != self.count:
                self._spans = []
        if not self._spans:
            return json_raw(entry) + "  [written out again: not found in the file]"
        start, end = self._spans[i]
        text = self._text[start:end]
        return text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT] + f"...[{len(text) - RAW_LIMIT:,} more characters]"


def json_entries(entries, prefix: str, id_field: str, read, original: JsonOriginal | None = None):
    """Calls or rejects for a list of JSON call entries. ``read(entry, locator)`` returns a Call
    or raises ValueError, whose message becomes the reject's reason; ``original`` gives a refused
    entry's text as it stands in the file."""
    raw = original or (lambda i, entry: json_raw(entry))
    for i, entry in enumerate(entries):
        loc = f"{prefix}[{i}]" + (f" {id_field}={entry.get(id_field)}" if isinstance(entry, dict) else "")
        if not isinstance(entry, dict):
            yield Reject(loc, "entry is not an object", raw(i, entry))
            continue
        try:
            yield read(entry, loc)
        except ValueError as exc:
            yield Reject(loc, str(exc), raw(i, entry))


def unix_seconds(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 32503680000:
        raise ValueError(f"{name} {str(value)[:40]!r} is not Unix seconds")
    return value


def count_of_seconds(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} {str(value)[:40]!r} is not a number of seconds")
    return value


# -- shared readers --------------------------------------------------------------------------

def first_csv_row(sniff, delimiter: str = ",") -> list[str] | None:
    """The first line of a text file as CSV fields, for the recognisers."""
    lines = sniff.first_lines(1)
    if not lines:
        return None
    try:
        return next(csv.reader([lines[0]], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None


# Regions that write dates month first (12/31/26); everywhere else a slashed date is day first.
MONTH_FIRST_REGIONS = {"US", "CA", "PH", "FM", "MH", "PW"}
_SLASHED_DATE = re.compile(r"\s*(\d{1,2})/(\d{1,2})/\d{2,4}\b")


def day_first(sniff, column: int, region: str, delimiter: str = ",") -> tuple[bool, str | None]:
    """Whether the slashed dates (5/10/2026) in ``column`` of a CSV export are day first, and the
    flag each call must carry when the file does not say: a day above 12 anywhere in the file
    settles it (flag None); otherwise the region's custom decides, flagged
    ``date-order-assumed:dd/mm`` (or ``mm/dd``)."""
    with open(sniff.path, encoding=sniff.encoding or "utf-8", errors="replace", newline="") as fh:
        try:
            for f in csv.reader(fh, delimiter=delimiter):
                m = _SLASHED_DATE.match(f[column]) if len(f) > column else None
                if m:
                    a, b = int(m.group(1)), int(m.group(2))
                    if a > 12 >= b:
                        return True, None
                    if b > 12 >= a:
                        return False, None
        except csv.Error:               # a damaged line: the rows before it have had their say
            pass
    first = region not in MONTH_FIRST_REGIONS
    return first, f"date-order-assumed:{'dd/mm' if first else 'mm/dd'}"


def sqlite_open(path):
    """An export database opened read-only and immutable: reading never writes to it."""
    import sqlite3
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def sqlite_columns(path, table: str) -> set[str]:
    """The columns of ``table`` in a SQLite export, or an empty set if it cannot be read."""
    import sqlite3
    try:
        conn = sqlite_open(path)
        try:
            return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        finally:
            conn.close()
    except sqlite3.Error:
        return set()


def stream_xml(sniff, handler, records: list, wrap: str | None = None):
    """Parse an XML export in chunks with defusedxml (any entity or external reference refused),
    yielding what ``handler`` appends to ``records`` as it goes. ``wrap`` names an element to
    wrap bare fragments in (several top-level elements are not one XML document).

    The handler is given ``start_byte()``, the file offset where the element being started
    begins (call it in ``startElement``), and ``original``, which reads a refused element back
    from the file by that offset (``original.element(start, name)``)."""
    import xml.sax
    import xml.sax.expatreader

    import defusedxml.sax
    from defusedxml import DefusedXmlException

    from callwatch.errors import UnreadableFile
    parser = defusedxml.sax.make_parser()
    parser.setFeature(xml.sax.handler.feature_namespaces, False)
    parser.setContentHandler(handler)
    handler.setDocumentLocator(xml.sax.expatreader.ExpatLocator(parser))   # feed() never sets it
    shift = len(f"<{wrap}>") if wrap else 0
    handler.start_byte = lambda: parser._parser.CurrentByteIndex - shift   # the locator's own way in
    handler.original = original = Original(sniff)

    def drain():
        out = records[:]
        records.clear()
        return out
    try:
        with open(sniff.path, "rb") as fh:
            if wrap:
                parser.feed(f"<{wrap}>".encode())
            while chunk := fh.read(256 * 1024):
                parser.feed(chunk)
                yield from drain()
            if wrap:
                parser.feed(f"</{wrap}>".encode())
            parser.close()
    except xml.sax.SAXParseException as exc:
        raise UnreadableFile(sniff.path, f"not well-formed XML at line {exc.getLineNumber()}, column "
                                         f"{exc.getColumnNumber()}: {exc.getMessage()} (truncated or damaged file?); "
                                         f"nothing of it was stored") from None
    except DefusedXmlException as exc:
        raise UnreadableFile(sniff.path, f"XML declares entities or a DTD, which are refused for safety "
                                         f"({type(exc).__name__})") from None
    try:
        yield from drain()
    finally:          # the last records are worked on while the generator waits here
        original.close()


# What may stand before an XML export's root: a declaration, comments, processing instructions
# and a DOCTYPE. A DOCTYPE is matched so that the format is recognised and parsing then refuses
# it with its reason (entities refused), rather than "format not recognised". Use with re.S.
XML_PROLOGUE = r"^(?:<\?[^>]*\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>\s*)*"


def csv_locator_parts(line, start, end) -> tuple:
    """csv_locator's text in parts, fixed strings between the three numbers (the columnar path has
    SQLite put them together from whole columns of numbers: one layout for both paths)."""
    return "line ", line, " (bytes ", start, "-", end, ")"


def csv_locator(line: int, start: int, end: int) -> str:
    """Where a CSV record stands in the archived file: its first line and its bytes [start, end)."""
    return "".join(map(str, csv_locator_parts(line, start, end)))


class CsvRecords:
    """What csv_calls does with each record, one record at a time: a blank record (no field
    with text) is skipped, ``read(fields, locator)`` makes the Call (None for a header), and its
    ValueError/IndexError/KeyError becomes the record's reject with the file's own text. The
    columnar path (importers/columnar.py) sends the records it does not derive itself here, so
    both paths keep and refuse a record alike."""

    def __init__(self, sniff, read):
        self.read = read
        self.original = Original(sniff)

    def record(self, fields: list[str], loc: str, span: tuple[int, int]) -> Call | Reject | None:
        if not (fields and fields[0].strip()) and not any(f.strip() for f in fields):
            return None
        try:
            return self.read(fields, loc)
        except (ValueError, IndexError, KeyError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else "too few fields or a missing column"
            return Reject(loc, reason, self.original.span(*span))


class Lookalikes:
    """For formats whose identity is only what a row shows (minute-precision times, no id), two
    calls from one number in the same minute with the same duration look alike (a dialler's double
    ring): the n-th such record in the file gets "#n" on its key, so both stay, and the same pair in
    an overlapping export maps onto them again."""

    def __init__(self):
        self.seen: dict[str, int] = {}

    def key(self, key: str) -> str:
        self.seen[key] = n = self.seen.get(key, 0) + 1
        return key if n == 1 else f"{key}#{n}"


def csv_calls(sniff, ctx, delimiter: str, read, *, skip_lines: int = 0, number_lookalikes: bool = False):
    """Calls or rejects for a CSV export. ``read(fields, locator)`` returns a Call, or None for a
    row that is not a record (a header: a reader may keep state, e.g. the columns it names), or
    raises ValueError/IndexError: the reject's reason. Unreadable lines become rejects, blank
    lines (no field with text) are skipped. number_lookalikes: see Lookalikes."""
    records = CsvRecords(sniff, read)
    lookalikes = Lookalikes() if number_lookalikes else None
    try:
        for fields, loc, problem, span in csv_records(sniff.path, sniff.encoding, delimiter, skip_lines=skip_lines,
                                                      progress=ctx.progress):
            if fields is None:
                yield Reject(loc, problem, records.original.span(*span))
                continue
            item = records.record(fields, loc, span)
            if item is None:
                continue
            if lookalikes is not None and type(item) is Call:
                item.key = lookalikes.key(item.key)
            yield item
    finally:
        records.original.close()


@dataclass
class CsvPlan:
    """How a CSV format reads a file: what csv_calls is given, and for the columnar path the
    format's ``derive(columns) -> Derived`` (called once ``ready()``: the per-row reader has taken
    its state, a header or a column order, from the file's first records)."""

    delimiter: str
    read: Callable
    skip_lines: int = 0
    number_lookalikes: bool = False
    ready: Callable[[], bool] = lambda: True
    derive: Callable | None = None


COLUMNAR_ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")     # what the columnar path reads (columnar.py)


def plan_calls(sniff, ctx, plan):
    """csv_calls as a format's CsvPlan (importers/columnar.py) describes it."""
    return csv_calls(sniff, ctx, plan.delimiter, plan.read, skip_lines=plan.skip_lines,
                     number_lookalikes=plan.number_lookalikes)
