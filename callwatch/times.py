"""Local wall-clock times to UTC, with daylight-saving edge cases flagged, never hidden.

Many exports (FRITZ!Box, Asterisk, most CSVs) write local time without an offset. We read
them in the configured zone. Twice a year that is not a function:

* in the autumn the hour before the change back happens twice (*ambiguous*): we take the
  first occurrence (summer time, ``fold=0``) and flag the call ``dst-ambiguous``;
* in the spring an hour is skipped (*non-existent*): a time inside it cannot have been read
  off a correct clock; we interpret it with the offset in force just before the gap (so
  02:30 becomes 03:30 summer time) and flag it ``dst-nonexistent``.

Both flags travel with the call into every report.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callwatch.errors import CallwatchError

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
FLAG_AMBIGUOUS = "dst-ambiguous"
FLAG_NONEXISTENT = "dst-nonexistent"


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CallwatchError(f"unknown time zone {name!r}") from exc


def utc_iso(ms: int) -> str:
    """Epoch milliseconds as ISO 8601 UTC, second precision unless milliseconds are set."""
    dt = EPOCH + timedelta(milliseconds=ms)
    if ms % 1000:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class LocalClock:
    """Converts local wall-clock fields in one zone to UTC epoch milliseconds.

    Conversions are cached per local hour: outside the two transition hours a year, the
    offset is the same for every minute of an hour, so a million CDR rows cost a dict
    look-up each instead of a zoneinfo computation.
    """

    def __init__(self, zone_name: str):
        self.name = zone_name
        self.tz = zone(zone_name)
        self._hours: dict[tuple[int, int, int, int], int | None] = {}
        self._days: dict[tuple[int, int, int], int | None] = {}

    def _convert(self, y, mo, d, h, mi, s) -> tuple[int, str | None]:
        naive = datetime(y, mo, d, h, mi, s)
        first = naive.replace(tzinfo=self.tz, fold=0)
        second = naive.replace(tzinfo=self.tz, fold=1)
        flag = None
        if first.utcoffset() != second.utcoffset():
            back = first.astimezone(timezone.utc).astimezone(self.tz).replace(tzinfo=None)
            flag = FLAG_AMBIGUOUS if back == naive else FLAG_NONEXISTENT
        delta = first.astimezone(timezone.utc) - EPOCH
        return (delta.days * 86400 + delta.seconds) * 1000, flag

    def hour_base(self, y: int, mo: int, d: int, h: int) -> int | None:
        """UTC epoch ms of local y-mo-d h:00:00 when every second of that hour has one offset,
        else None (a transition hour, or a zone with odd offsets: convert such times exactly).
        Cached per hour. Raises ValueError for impossible dates (31 February...).

        The columnar import path (importers/columnar.py) calls this once per distinct local
        hour of a file; ``to_utc_ms`` builds on it, so both paths give the same answer."""
        key = (y, mo, d, h)
        base = self._hours.get(key, False)
        if base is False:
            start_ms, start_flag = self._convert(y, mo, d, h, 0, 0)
            end_ms, end_flag = self._convert(y, mo, d, h, 59, 59)
            uniform = start_flag is None and end_flag is None and end_ms - start_ms == 3599_000
            base = start_ms if uniform else None
            if len(self._hours) > 200_000:
                self._hours.clear()
            self._hours[key] = base
        return base

    def day_base(self, y: int, mo: int, d: int) -> int | None:
        """UTC epoch ms of local y-mo-d 00:00:00 when the whole day has one offset, so that
        ``hour_base(y, mo, d, h) == day_base + h * 3_600_000`` for every hour h; else None (a
        transition day). Cached per day. Raises ValueError for impossible dates.

        The offset is looked at where hour_base looks, for every hour (its first and last
        second, in both folds: hour_base flags a second whose folds differ): if all are the
        day's first offset, every hour_base is that offset's, which is the equality above. The
        columnar path converts a file's local times per day with it (26,000 hours of 1M calls:
        1,100 days), and per hour on the two transition days a year."""
        key = (y, mo, d)
        base = self._days.get(key, False)
        if base is False:
            offset_at = self.tz.utcoffset             # of a naive local time, in its fold
            offset = offset_at(datetime(y, mo, d))
            base = self._convert(y, mo, d, 0, 0, 0)[0]
            for h in range(24):
                for mi, s in ((0, 0), (59, 59)):
                    at = datetime(y, mo, d, h, mi, s)
                    if offset_at(at) != offset or offset_at(at.replace(fold=1)) != offset:
                        base = None
                        break
                if base is None:
                    break
            if len(self._days) > 20_000:
                self._days.clear()
            self._days[key] = base
        return base

    def to_utc_ms(self, y: int, mo: int, d: int, h: int, mi: int = 0, s: int = 0) -> tuple[int, str | None]:
        """UTC epoch ms and a DST flag (None, FLAG_AMBIGUOUS or FLAG_NONEXISTENT).

        Raises ValueError for impossible dates (31 February...)."""
        base = self.hour_base(y, mo, d, h)
        if base is None:  # a transition hour (or a zone with odd offsets): do it exactly
            return self._convert(y, mo, d, h, mi, s)
        if not (0 <= mi < 60 and 0 <= s < 60):
            raise ValueError("minute or second out of range")
        return base + (mi * 60 + s) * 1000, None
