"""The importer registry: every supported export format, recognised from content.

To add a format, write a module here that defines ``FORMAT = Format(...)`` and add it to
``_BUILT_IN`` below. Formats declared by the user (``[[csv_mappings]]`` in the config)
join the list at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from callwatch.importers.base import Call, ParseContext, Reject, Sniff


@dataclass(frozen=True)
class Format:
    name: str                                   # what --format takes
    family: str                                 # identity namespace (see base.py)
    description: str
    identity: str                               # the natural key, in words
    recognise: Callable[[Sniff], int]           # 0: not this format; higher: surer
    parse: Callable[[Sniff, ParseContext], Iterator[Call | Reject]]
    precision: str = "1 s"                      # time and duration precision, in words
    line_based: bool = False                    # one record per text line (CSV): a file cut
                                                # short shows as a bad last record
    binary: bool = False                        # a database, not text
    columnar: Callable | None = None            # (sniff, ctx) -> columnar.CsvPlan: a large plain CSV
                                                # file may be read column by column (columnar.py)


def _built_in() -> list[Format]:
    from callwatch.importers import (android_db, android_smsie, android_xml, asterisk_csv, bbox_json, freebox_json,
                                     freeswitch_csv, fritzbox_csv, fritzbox_monitor, fritzbox_xml, google_voice_html, ios_callhistory,
                                     ios_csv, livebox_json, sfr_xml, whatsapp_db)
    return [android_xml.FORMAT, android_xml.OPPO_FORMAT, android_db.FORMAT, fritzbox_csv.FORMAT,
            fritzbox_xml.FORMAT, asterisk_csv.FORMAT, freebox_json.FORMAT, livebox_json.FORMAT, bbox_json.FORMAT,
            ios_callhistory.FORMAT, ios_csv.IEXPLORER, ios_csv.IMAZING, freeswitch_csv.FORMAT, google_voice_html.FORMAT,
            sfr_xml.FORMAT, fritzbox_monitor.FORMAT, android_smsie.FORMAT,
            whatsapp_db.FORMAT]


def available(config=None) -> list[Format]:
    """Every format: the built-in ones, then the user's CSV mappings."""
    from callwatch.importers import generic_csv
    formats = _built_in()
    if config is not None:
        formats += [generic_csv.format_for(m) for m in config.csv_mappings]
    return formats


def by_name(name: str, config=None) -> Format | None:
    return next((f for f in available(config) if f.name == name), None)


def recognise(sniff: Sniff, config=None) -> tuple[list[Format], list[str]]:
    """The formats with the highest positive score (one, ideally) and every name tried."""
    formats = available(config)
    scored = []
    for fmt in formats:
        try:
            score = fmt.recognise(sniff)
        except Exception:       # a recogniser must never stop the others
            score = 0
        if score > 0:
            scored.append((score, fmt))
    tried = [f.name for f in formats]
    if not scored:
        return [], tried
    best = max(s for s, _ in scored)
    return [f for s, f in scored if s == best], tried
