"""How well each phone's successive exports cover its call log, for `callwatch status`.

Android keeps only the newest 500 calls of its log (CallLog.Calls deletes the oldest rows as new
ones arrive), so a phone's history survives only in exports taken often enough: two successive
exports of one phone should overlap. When export N's oldest call is newer than the newest call
of every export before it, the calls of the days in between may have been dropped by the phone
before any export held them. And a phone whose newest exported call is old has probably stopped
exporting (the scheduled export or the Syncthing share broke).

A phone is told apart by the SIM or phone accounts its exports name (``subscription_id``,
``phone_account_address``): exports naming a common account are one phone; exports naming
none are grouped together as one phone. Each export's span (oldest and newest call it holds,
duplicates included) is recorded at import; for imports older than that record, the span of
the calls they added stands in.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

PHONE_FAMILIES = ("android-calllog",)
DAY_MS = 86_400_000
KEPT_BY_ANDROID = 500
HELP = (f"Android keeps only its newest {KEPT_BY_ANDROID} calls: export at least weekly (SMS Import / Export's "
        f"or SMS Backup & Restore's scheduled full backup into the inbox, see README) so that each export overlaps "
        f"the one before")


@dataclass
class Export:
    import_id: int
    name: str
    first_ms: int
    last_ms: int
    accounts: frozenset[str]


@dataclass
class Gap:
    after: Export                  # the export whose newest call starts the gap (newest of all before)
    before: Export                 # the export whose oldest call ends it
    from_ms: int
    to_ms: int

    @property
    def days(self) -> float:
        return (self.to_ms - self.from_ms) / DAY_MS


@dataclass
class Phone:
    accounts: frozenset[str]
    exports: list[Export] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    newest_ms: int = 0
    stale_days: float | None = None       # age of the newest call, when older than the threshold

    @property
    def label(self) -> str:
        return "phone " + (", ".join(sorted(self.accounts)) if self.accounts else "(no SIM account named)")

    def warnings(self) -> list[str]:
        out = []
        if self.stale_days is not None:
            out.append(f"newest call {self.stale_days:.0f} days old ({_day(self.newest_ms)}): is the phone's scheduled "
                       f"export still arriving? {HELP}.")
        for g in self.gaps:
            out.append(f"{g.days:.1f} days uncovered, {_day(g.from_ms)} to {_day(g.to_ms)}: {g.before.name} starts "
                       f"after the newest call of {g.after.name}, so calls in between may have been lost. {HELP}.")
        return out


def _day(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ms / 1000))


def _exports(store) -> list[Export]:
    marks = ", ".join("?" for _ in PHONE_FAMILIES)
    rows = store.conn.execute(
        f"""SELECT i.id, i.original_name, i.first_call_ms, i.last_call_ms, i.accounts,
                   (SELECT MIN(start_ms) FROM calls c WHERE c.import_id = i.id),
                   (SELECT MAX(start_ms) FROM calls c WHERE c.import_id = i.id)
            FROM imports i WHERE i.family IN ({marks}) AND i.finished_at IS NOT NULL ORDER BY i.id""",
        PHONE_FAMILIES).fetchall()
    out = []
    for import_id, name, first, last, accounts, added_first, added_last in rows:
        first, last = (first, last) if first is not None else (added_first, added_last)
        if first is None:
            continue                # an export of rejects only says nothing of what it covered
        try:
            named = frozenset(json.loads(accounts)) if accounts else frozenset()
        except ValueError:
            named = frozenset()
        out.append(Export(import_id, name, first, last, named))
    return out


def _phones(exports: list[Export]) -> list[Phone]:
    phones: list[Phone] = []
    for export in exports:
        joined = [p for p in phones if (p.accounts & export.accounts) or (not p.accounts and not export.accounts)]
        if not joined:
            phones.append(Phone(export.accounts, [export]))
            continue
        keep = joined[0]
        for other in joined[1:]:           # an export naming two phones' accounts: one phone after all
            keep.exports += other.exports
            keep.accounts |= other.accounts
            phones.remove(other)
        keep.accounts |= export.accounts
        keep.exports.append(export)
    return phones


def phone_coverage(store, now_ms: int | None = None, stale_after_days: float = 7) -> list[Phone]:
    """Each phone's exports in the order of the calls they hold, its newest call, the gaps between
    successive exports, and whether its newest call is older than ``stale_after_days``."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    phones = _phones(_exports(store))
    for phone in phones:
        phone.exports.sort(key=lambda e: (e.last_ms, e.first_ms, e.import_id))
        covered: Export | None = None          # the export with the newest call so far
        for export in phone.exports:
            if covered is not None and export.first_ms > covered.last_ms:
                phone.gaps.append(Gap(covered, export, covered.last_ms, export.first_ms))
            if covered is None or export.last_ms >= covered.last_ms:
                covered = export
        phone.newest_ms = covered.last_ms
        age = (now_ms - phone.newest_ms) / DAY_MS
        phone.stale_days = age if age > stale_after_days else None
    return phones
