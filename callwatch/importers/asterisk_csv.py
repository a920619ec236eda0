"""Asterisk CDR CSV (``/var/log/asterisk/cdr-csv/Master.csv``, ``cdr-custom/Master.csv``), and
the CDRs of FreePBX, the most used Asterisk distribution.

Column orders, usually without a header line:

* ``cdr_csv``: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata,
  start, answer, end, duration, billsec, disposition, amaflags[, uniqueid, userfield, ...]
* ``cdr_custom`` (the sample mapping): clid, src, dst, dcontext, channel, dstchannel, lastapp,
  lastdata, start, answer, end, duration, billsec, disposition, amaflags, accountcode,
  uniqueid, userfield[, sequence]
* the ``cdr`` table of a database (cdr_mysql/cdr_odbc; FreePBX's ``asteriskcdrdb``) dumped to
  CSV: calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration,
  billsec, disposition, amaflags, accountcode, uniqueid, userfield, then columns that vary with
  the installation (FreePBX: did, recordingfile, cnum, cnam, outbound_cnum, ...; 23 to 26 in
  all), often with a trailing comma. Only the first sixteen are read by position.

A header naming the columns, if present, wins: FreePBX's "CDR Reports" download (cdr module,
``cdr_export_csv``) writes ``calldate,clid,src,dst,dcontext,...,uniqueid,userfield,did,cnum,cnam,
outbound_cnum,outbound_cnam,dst_cnam,recordingfile,linkedid,peeraccount,sequence``, newest first.

Times are the PBX's local time without a zone: ``YYYY-MM-DD HH:MM:SS``, or ``d/m/yyyy H:MM:SS``
in a dump that went through a spreadsheet or a regional export (day or month first is read from
the file when a day above 12 settles it, else from the region, and flagged). ``billsec`` is talk
time, ``duration`` is from the start of the call to hang-up (ringing included). The direction
comes from the dialplan context (configurable); failing that, from FreePBX's ``did`` (set on a
call that came in on one of the household's numbers) and ``outbound_cnum`` (set on a call that
left through an outbound route) when the export has them by name; then from the user's
extensions. One call ringing several phones writes one CDR per leg with the same ``uniqueid``:
they are one call, and the best leg (answered) is kept.
"""

from __future__ import annotations

import re

from callwatch.importers import Format
from callwatch.importers.base import (ANSWERED, IN, MISSED, OUT, REJECTED, UNKNOWN_OUTCOME, VOICEMAIL, Call,
                                      CsvPlan, day_first, first_csv_row, plan_calls)

CDR_CSV = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
           "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
           "uniqueid", "userfield")
CDR_CUSTOM = ("clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
              "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
              "accountcode", "uniqueid", "userfield", "sequence")
CDR_TABLE = ("start", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
             "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid", "userfield")
_DISPOSITIONS = {"ANSWERED": ANSWERED, "NO ANSWER": MISSED, "NOANSWER": MISSED, "BUSY": REJECTED,
                 "FAILED": UNKNOWN_OUTCOME, "CONGESTION": UNKNOWN_OUTCOME}
_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}|(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})")
_CLID = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<num>[^>]*)>\s*$')


def _layout_of(fields: list[str]) -> tuple[str, dict[str, int]] | None:
    lowered = [f.strip().lower() for f in fields]
    if ("start" in lowered or "calldate" in lowered) and "billsec" in lowered and "disposition" in lowered:
        cols = {name: i for i, name in reversed(list(enumerate(lowered)))}
        cols.setdefault("start", cols.get("calldate"))
        return "header", cols
    for name, order in (("cdr_csv", CDR_CSV), ("cdr_custom", CDR_CUSTOM), ("cdr_table", CDR_TABLE)):
        start, disp = order.index("start"), order.index("disposition")
        if len(fields) > disp and _TIME.fullmatch(fields[start].strip()) \
                and fields[disp].strip().upper() in _DISPOSITIONS:
            return name, {col: i for i, col in enumerate(order)}
    return None


def _recognise(sniff) -> int:
    first = first_csv_row(sniff)
    if not first:
        return 0
    layout = _layout_of(first)
    if layout is None:
        return 0
    return 90 if layout[0] == "header" else 85


def _plan(sniff, ctx) -> CsvPlan:
    reading = _Reading(sniff, ctx)
    return CsvPlan(",", reading.read, ready=lambda: reading.reader is not None,
                   derive=lambda columns: reading.reader.derive(columns))


def _parse(sniff, ctx):
    return plan_calls(sniff, ctx, _plan(sniff, ctx))


class _Reading:
    """The first record tells the column order (a header, or a known order); then every record is
    read with it."""

    def __init__(self, sniff, ctx):
        self.sniff, self.ctx, self.reader = sniff, ctx, None

    def read(self, fields, loc):
        if self.reader is None:
            layout = _layout_of(fields)
            if layout is None:
                raise ValueError("not one of the CDR column orders (cdr_csv, cdr_custom, the cdr table) "
                                 "and no header naming calldate or start, billsec and disposition")
            self.reader = _RowReader(layout[1], self.ctx, self.sniff)
            if layout[0] == "header":
                return None
        return self.reader.call(fields, loc)


def internal_call(src: str, dst: str, extensions) -> None:
    """Refuse a call between two of the household's own extensions (ValueError, the reason).

    The one rule of both PBX importers (Asterisk, FreeSWITCH). Such a call (the kitchen phone
    calling the office) never leaves the house: it has no other party, nothing a caller did and
    nothing the law regulates. Stored as a call it would make the extension a number the
    household calls, hence "someone it talks to" to the detectors, and swell its outgoing calls.
    So it is refused as a record, counted with its reason, never dropped unseen: read = new +
    duplicate + merged + rejected still holds and `callwatch rejects` lists each one. Only when
    both ends are declared extensions ([asterisk] extensions): without that list nothing is
    internal, and a call keeps the direction its context gives."""
    if extensions and src in extensions and dst in extensions:
        raise ValueError(f"internal call between extensions {src} and {dst} (not a call with the outside world)")


def _peer(channel: str) -> str:
    """The endpoint of a channel name: "PJSIP/100-0000002a" -> "100"."""
    name = channel.strip().split("/", 1)[-1]
    return name.rsplit("-", 1)[0] if "-" in name else name


class _RowReader:
    """Turns CDR rows of one column layout into calls (a million rows: kept lean)."""

    def __init__(self, cols: dict[str, int], ctx, sniff):
        cfg = ctx.config.asterisk
        self.incoming, self.outgoing = set(cfg.incoming_contexts), set(cfg.outgoing_contexts)
        self.extensions = set(cfg.extensions)
        self.clock, self.to_utc, self.tzname = ctx.clock, ctx.clock.to_utc_ms, ctx.clock.name
        self.sniff, self.region, self.order = sniff, ctx.config.region, None   # order: (day first?, flag)
        c = cols
        self.i_start, self.i_disp, self.i_bill, self.i_dur = c["start"], c["disposition"], c["billsec"], c["duration"]
        self.i_src, self.i_dst, self.i_ctx, self.i_clid = c["src"], c["dst"], c["dcontext"], c["clid"]
        self.i_chan, self.i_dchan, self.i_app = c["channel"], c["dstchannel"], c["lastapp"]
        self.i_uid = c.get("uniqueid")
        self.i_did, self.i_outcnum = c.get("did"), c.get("outbound_cnum")       # FreePBX, by name only
        self._parts = None                           # the columnar path's results per distinct input

    def _field(self, f, i) -> str:
        return f[i].strip() if i is not None and i < len(f) else ""

    def direction(self, src, dst, context, did, outcnum):
        """IN or OUT from the context, FreePBX's did/outbound_cnum or the extensions, None when
        only the channels can tell (see by_channels); raises ValueError for an internal call."""
        ext = self.extensions
        internal_call(src, dst, ext)
        if context in self.incoming:
            return IN
        if context in self.outgoing:
            return OUT
        if did:
            return IN
        if outcnum:
            return OUT
        if ext and (src in ext) != (dst in ext):
            return OUT if src in ext else IN
        return None

    def by_channels(self, channel, dstchannel, context):
        ext = self.extensions
        if ext and (_peer(channel) in ext) != (_peer(dstchannel) in ext):
            return OUT if _peer(channel) in ext else IN
        raise ValueError(f"cannot tell the direction: context {context!r} is not in [asterisk] "
                         f"incoming_contexts or outgoing_contexts, and no extension matches src, dst "
                         f"or the channels")

    @staticmethod
    def party(direction, outcome, src, dst, did, outcnum, clid, app):
        """(number, own number, caller name, outcome) of a call whose direction is known."""
        m = _CLID.match(clid) if clid else None
        name = (m.group("name").strip() or None) if m else None
        if direction == IN:
            number = src or (m.group("num").strip() if m else "")
            own = did or dst                                     # FreePBX: the DID reached, dst the extension
            if outcome == ANSWERED and app.strip().lower() == "voicemail":
                outcome = VOICEMAIL
        else:
            number, own, name = dst, outcnum or src, None
        return number, own or None, name, outcome

    def _slashed(self, start: str):
        """UTC ms and flag of a d/m/yyyy (or m/d/yyyy) H:MM:SS time."""
        m = _TIME.fullmatch(start.strip())
        if not m or m.group(1) is None:
            raise ValueError(f"start {start[:40]!r} is not YYYY-MM-DD HH:MM:SS or d/m/yyyy H:MM:SS")
        if self.order is None:                       # once, from the whole file
            self.order = day_first(self.sniff, self.i_start, self.region)
        first, assumed = self.order
        a, b, y, h, mi, s = (int(g) for g in m.groups()[:6])
        day, month = (a, b) if first else (b, a)
        start_ms, flag = self.to_utc(y, month, day, h, mi, s)
        return start_ms, flag or assumed

    def call(self, f, loc) -> Call:
        start = f[self.i_start]
        if len(start) == 19 and start[4] == "-" and start[13] == ":":      # the common case, kept lean
            start_ms, flag = self.to_utc(int(start[0:4]), int(start[5:7]), int(start[8:10]),
                                         int(start[11:13]), int(start[14:16]), int(start[17:19]))
        else:
            start_ms, flag = self._slashed(start)
        outcome, disposition = _outcome(f[self.i_disp])
        billsec, total = int(f[self.i_bill]), int(f[self.i_dur])
        if billsec < 0 or total < 0:
            raise ValueError("negative duration")
        src, dst, context = f[self.i_src].strip(), f[self.i_dst].strip(), f[self.i_ctx].strip()
        did, outcnum = self._field(f, self.i_did), self._field(f, self.i_outcnum)
        direction = self.direction(src, dst, context, did, outcnum) \
            or self.by_channels(f[self.i_chan], f[self.i_dchan], context)
        number, own, name, outcome = self.party(direction, outcome, src, dst, did, outcnum, f[self.i_clid],
                                                f[self.i_app])
        uid = f[self.i_uid].strip() if self.i_uid is not None and self.i_uid < len(f) else ""
        return Call(start_ms, direction, outcome, number, loc, uid or f"{start}|{src}|{f[self.i_chan].strip()}",
                    disposition, self.tzname, start, flag, 1, billsec, 1, total - billsec, None,
                    own, name)

    # -- the columnar path (importers/columnar.py): the same functions, once per distinct input --

    def derive(self, cols):
        import pyarrow.compute as pc

        from callwatch.importers import columnar
        n, width = len(cols[0]), len(cols)
        if max(self.i_start, self.i_disp, self.i_bill, self.i_dur, self.i_src, self.i_dst, self.i_ctx,
               self.i_clid, self.i_chan, self.i_app) >= width:
            return columnar.Derived.nothing(n)       # every row too short: the per-row path says why
        empty = columnar.constant("", n)

        def col(i):
            return cols[i] if i is not None and i < width else empty
        ok, start_ms = columnar.local_times(pc, cols[self.i_start], self.clock, "2000-01-01 00:00:00",
                                            ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19)))
        ok_bill, billsec = columnar.digits(pc, cols[self.i_bill])
        ok_dur, total = columnar.digits(pc, cols[self.i_dur])
        ok &= ok_bill & ok_dur

        if self._parts is None:
            def part(src, dst, context, did, outcnum, clid, app, disposition):
                outcome, disposition = _outcome(disposition)
                src, dst, context, did, outcnum = src.strip(), dst.strip(), context.strip(), did.strip(), outcnum.strip()
                direction = self.direction(src, dst, context, did, outcnum)
                if direction is None:                    # only the channels can tell: per row
                    return None
                number, own, name, outcome = self.party(direction, outcome, src, dst, did, outcnum, clid, app)
                return direction, outcome, number, own, name, disposition, src
            self._parts = columnar.Distincts(part, 7)
        parts = self._parts
        codes = parts.codes(pc, cols[self.i_src], cols[self.i_dst], cols[self.i_ctx], col(self.i_did),
                            col(self.i_outcnum), cols[self.i_clid], cols[self.i_app], cols[self.i_disp])
        ok &= ~parts.refused_rows(codes)
        # the key: the uniqueid, else start|src|channel; only where str.strip() changes nothing
        uid = col(self.i_uid)
        chan = cols[self.i_chan]
        has_uid = pc.greater(pc.utf8_length(uid), columnar.scalar(0))
        ok &= columnar.printable(pc, uid)
        if pc.all(has_uid).as_py():          # the usual case: every row has its uniqueid
            key = uid
        else:
            ok &= columnar.numpy(has_uid) | columnar.printable(pc, chan)
            src = columnar.Coded(codes, [s if s is not None else "" for s in parts.parts[6]]).arrow()
            key = pc.if_else(has_uid, uid, pc.binary_join_element_wise(cols[self.i_start], src, chan, columnar.scalar("|")))
        return columnar.Derived(ok, {
            "start_ms": start_ms, "direction": parts.column(codes, 0), "outcome": parts.column(codes, 1),
            "number_raw": parts.column(codes, 2), "key": key, "source_type": parts.column(codes, 5), "tz": self.tzname,
            "time_raw": cols[self.i_start], "time_flag": None, "time_precision_s": 1, "duration_s": billsec,
            "duration_precision_s": 1, "ring_s": total - billsec, "presentation": None,
            "own_number_raw": parts.column(codes, 3), "caller_name": parts.column(codes, 4),
            "region": None, "own_account": None})


def _outcome(disposition: str) -> tuple[str, str]:
    """The outcome of a disposition, and the disposition as kept (source_type)."""
    outcome = _DISPOSITIONS.get(disposition)
    if outcome is None:
        disposition = disposition.strip().upper()
        outcome = _DISPOSITIONS.get(disposition)
        if outcome is None:
            raise ValueError(f"unknown disposition {disposition[:40]!r}")
    return outcome, disposition


FORMAT = Format(
    name="asterisk-csv", family="asterisk",
    description="Asterisk CDR CSV (cdr_csv, cdr_custom, the cdr table dumped; FreePBX CDR Reports)",
    identity="uniqueid (all legs of one call share it); without it: start, src, channel",
    recognise=_recognise, parse=_parse, line_based=True, columnar=_plan)
