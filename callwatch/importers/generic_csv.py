"""Any other CSV, through a column mapping the user declares in the configuration::

    [[csv_mappings]]
    name = "myphone"
    delimiter = ","
    time_format = "%d/%m/%Y %H:%M:%S"     # strptime; %z in it means the file carries offsets
    duration_format = "m:ss"
    [csv_mappings.columns]
    start = "Date"
    number = "Number"
    direction = "Type"
    duration = "Duration"
    [csv_mappings.direction_values]
    Incoming = "in"
    Outgoing = "out"

A file is recognised as ``csv:<name>`` when its header holds every mapped column.
"""

from __future__ import annotations

import csv
from datetime import datetime

from callwatch.importers import Format
from callwatch.importers.base import ANSWERED, IN, UNKNOWN_OUTCOME, Call, csv_calls, parse_hms
from callwatch.times import EPOCH


def _duration(text: str, fmt: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if fmt == "seconds":
        return int(float(text))
    if fmt == "minutes":
        return int(float(text) * 60)
    if fmt == "h:mm":
        return parse_hms(text) * 60
    return parse_hms(text)


def format_for(mapping) -> Format:
    wanted = {v.strip().lower() for v in mapping.columns.values()}

    def recognise(sniff) -> int:
        lines = sniff.first_lines(1)
        if not lines:
            return 0
        try:
            header = {h.strip().lower() for h in next(csv.reader([lines[0]], delimiter=mapping.delimiter))}
        except csv.Error:
            return 0
        return 60 if wanted <= header else 0

    def parse(sniff, ctx):
        clock = ctx.clock_for(mapping.timezone)
        index = None

        def read(fields, loc):
            nonlocal index
            if index is None:                        # the header row: where each mapped column is
                names = [h.strip().lower() for h in fields]
                index = {key: names.index(col.strip().lower()) for key, col in mapping.columns.items()
                         if col.strip().lower() in names}
                return None
            return _call(fields, index, loc, mapping, clock)
        return csv_calls(sniff, ctx, mapping.delimiter, read, number_lookalikes=True)

    return Format(name=f"csv:{mapping.name}", family=f"csv:{mapping.name}",
                  description=f"CSV declared in the configuration as {mapping.name!r}",
                  identity="the id column if mapped, else start, number, direction, duration; #n for look-alikes",
                  recognise=recognise, parse=parse, line_based=True)


def _call(fields, index, loc, mapping, clock) -> Call:
    def col(name):
        i = index.get(name)
        return fields[i].strip() if i is not None else ""

    when = col("start")
    try:
        parsed = datetime.strptime(when, mapping.time_format)
    except ValueError:
        raise ValueError(f"start {when[:40]!r} does not match {mapping.time_format!r}") from None
    if parsed.tzinfo is not None:
        delta = parsed - EPOCH
        start_ms, flag, tz = (delta.days * 86400 + delta.seconds) * 1000, None, parsed.strftime("%z")
    else:
        start_ms, flag = clock.to_utc_ms(parsed.year, parsed.month, parsed.day, parsed.hour,
                                         parsed.minute, parsed.second)
        tz = clock.name
    raw_dir = col("direction")
    direction = mapping.direction_values.get(raw_dir, IN if not raw_dir else None)
    if direction is None:
        raise ValueError(f"direction {raw_dir[:40]!r} is not in direction_values")
    raw_outcome = col("outcome")
    outcome = mapping.outcome_values.get(raw_outcome) or mapping.outcome_values.get(raw_dir)
    duration = _duration(col("duration"), mapping.duration_format)
    if outcome is None:
        outcome = ANSWERED if duration else UNKNOWN_OUTCOME
    ring = col("ring")
    precision = 60 if mapping.duration_format in ("minutes", "h:mm") else 1
    number = col("number")
    key = col("id") or f"{when}|{number}|{direction}|{col('duration')}"
    return Call(start_ms=start_ms, direction=direction, outcome=outcome, number_raw=number, locator=loc,
                key=key, source_type="/".join(x for x in (raw_dir, raw_outcome) if x) or "-",
                tz=tz, time_raw=when, time_flag=flag,
                time_precision_s=1 if "%S" in mapping.time_format else 60,
                duration_s=duration, duration_precision_s=precision,
                ring_s=int(float(ring)) if ring else None,
                own_number_raw=col("own_line") or None, caller_name=col("name") or None)
