from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from callwatch.times import FLAG_AMBIGUOUS, FLAG_NONEXISTENT, LocalClock, utc_iso


def test_summer_and_winter_offsets():
    clock = LocalClock("Europe/Paris")
    assert utc_iso(clock.to_utc_ms(2026, 7, 1, 12, 0, 0)[0]) == "2026-07-01T10:00:00Z"
    assert utc_iso(clock.to_utc_ms(2026, 12, 1, 12, 0, 0)[0]) == "2026-12-01T11:00:00Z"


def test_autumn_hour_is_ambiguous_and_flagged():
    # 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
    ms, flag = LocalClock("Europe/Paris").to_utc_ms(2026, 10, 25, 2, 30, 0)
    assert flag == FLAG_AMBIGUOUS
    assert utc_iso(ms) == "2026-10-25T00:30:00Z"      # the first 02:30 (summer time)


def test_spring_gap_is_nonexistent_and_flagged():
    # 29 March 2026: 02:00 CET jumps to 03:00 CEST; 02:30 never appears on a correct clock.
    ms, flag = LocalClock("Europe/Paris").to_utc_ms(2026, 3, 29, 2, 30, 0)
    assert flag == FLAG_NONEXISTENT
    assert utc_iso(ms) == "2026-03-29T01:30:00Z"


def test_cached_conversion_matches_zoneinfo_every_quarter_hour_of_a_year():
    clock = LocalClock("Europe/Paris")
    tz = ZoneInfo("Europe/Paris")
    t = datetime(2026, 1, 1)
    while t.year == 2026:
        ms, flag = clock.to_utc_ms(t.year, t.month, t.day, t.hour, t.minute, 7)
        expected = (t.replace(second=7, tzinfo=tz).astimezone(timezone.utc)
                    - datetime(1970, 1, 1, tzinfo=timezone.utc))
        assert ms == int(expected.total_seconds()) * 1000, t
        t += timedelta(minutes=15)


def test_half_hour_zone_transitions_are_exact():
    # Lord Howe Island moves by 30 minutes at 02:00: no per-hour shortcut may be used there.
    clock = LocalClock("Australia/Lord_Howe")
    _, flag = clock.to_utc_ms(2026, 4, 5, 1, 45, 0)
    assert flag == FLAG_AMBIGUOUS
    _, flag = clock.to_utc_ms(2026, 4, 5, 1, 15, 0)
    assert flag is None


def test_impossible_dates_raise():
    with pytest.raises(ValueError):
        LocalClock("Europe/Paris").to_utc_ms(2026, 2, 30, 10, 0, 0)


# Zones whose days are not all alike: Paris (02:00 and 03:00 transitions), Lord Howe (half-hour
# DST), St John's (-3:30), Kathmandu (+5:45), Apia (30 December 2011 never happened there),
# Casablanca (summer time suspended for Ramadan), Sao Paulo (changes at midnight, until 2019),
# Gaza (changes at various hours), and UTC.
ODD_DAYS = [("Europe/Paris", 2026), ("Australia/Lord_Howe", 2024), ("America/St_Johns", 2026),
            ("Asia/Kathmandu", 1986), ("Pacific/Apia", 2011), ("Africa/Casablanca", 2019),
            ("America/Sao_Paulo", 2018), ("Asia/Gaza", 2023), ("UTC", 2026)]


@pytest.mark.parametrize("name, year", ODD_DAYS)
def test_a_day_base_is_the_base_of_each_of_its_hours(name, year):
    """The columnar import converts per day where day_base says the day has one offset: exact
    only if then every hour_base of the day is day_base + h hours, and a day it refuses is one
    where some hour differs (so that the per-hour path is not taken for nothing)."""
    clock = LocalClock(name)
    day, refused = datetime(year, 1, 1), 0
    while day.year == year:
        base = clock.day_base(day.year, day.month, day.day)
        hours = [clock.hour_base(day.year, day.month, day.day, h) for h in range(24)]
        if base is not None:
            assert hours == [base + h * 3_600_000 for h in range(24)], (name, day)
        else:
            refused += 1
            first = clock.to_utc_ms(day.year, day.month, day.day, 0, 0, 0)[0]
            assert hours != [first + h * 3_600_000 for h in range(24)], (name, day)
        day += timedelta(days=1)
    if name != "UTC":
        assert refused >= 1, name           # every one of these zones has a transition that year
    else:
        assert refused == 0
