"""Households for the pool's tests, one per rule pack, each written as an OPPO/ColorOS call-log XML
(the layout of tests/household.py, with the caller's name and the household's own zone), imported
and scanned. Every call is tagged with who made it, so tests know what may leave the house."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

FR_CONFIG = """
region = "FR"
timezone = "Europe/Paris"
jurisdiction = "fr"

[complainant]
name = "Alice Martin-Lefebvre"
address = "12 rue des Lilas, 75011 Paris"

[[lines]]
number = "01 23 45 67 89"
label = "home"

[operator]
name = "Opérateur X"
prefixes = ["01 62 34 50"]

[[objections]]
company = "Opérateur X"
date = 2026-10-01
kind = "gdpr-art21"
"""

UK_CONFIG = """
region = "GB"
timezone = "Europe/London"
jurisdiction = "uk"

[[lines]]
number = "+44 20 7946 0999"
label = "home"

[operator]
name = "ACME Energy"
prefixes = ["+44 20 7946 01"]

[[objections]]
company = "ACME Energy"
date = 2026-10-01
kind = "gdpr-art21"
"""

US_CONFIG = """
region = "US"
timezone = "America/New_York"
jurisdiction = "us"

[[lines]]
number = "+1 212 555 0199"
label = "home"

[operator]
name = "Acme energy"
prefixes = ["+1 212 555 01"]

[[objections]]
company = "Acme energy"
date = 2026-10-01
kind = "do-not-call"
"""

FR_CONTACT = "+33162345077"          # the user's mother: a number inside the operator's block
FR_NUISANCE = "+33755667788"         # repeated missed calls, nobody said it is canvassing


def oppo_xml(events, tz: ZoneInfo) -> str:
    """events: (local datetime, number, android type, duration s, ring s, name, who)."""
    rows = []
    for i, (when, number, kind, duration, ring, name, _who) in enumerate(events):
        ms = int(when.replace(tzinfo=tz).astimezone(timezone.utc).timestamp() * 1000)
        rows.append(f'<CALL_RECORDS _id="{i + 1}" number="{number}" duration="{duration}" type="{kind}" '
                    f'date="{ms}" name="{name}" numbertype="0" numberlabel=" " ring_time="{ring}" new="0" '
                    f'features="0" countryiso="FR" />')
    return "<?xml version='1.0' standalone='no' ?><CallLog>" + "".join(rows) + "</CallLog>"


def campaign(seed: int, numbers, start=datetime(2026, 9, 1), end=datetime(2026, 11, 21), late=False):
    """An operator calling on weekdays (some calls at 22:xx when ``late``), half missed, most answered
    calls silent."""
    r = random.Random(seed)
    events, day = [], start
    while day < end:
        if day.weekday() < 5:
            for _ in range(r.randint(1, 3)):
                hour = r.choice([22] if late and r.random() < 0.3 else [10, 11, 12, 14, 15, 16, 17, 18, 19])
                when = day.replace(hour=hour, minute=r.randint(0, 59), second=r.randint(0, 59))
                number = r.choice(numbers)
                if r.random() < 0.5:
                    events.append((when, number, 3, 0, r.randint(3, 25), " ", "operator"))
                else:
                    events.append((when, number, 1, r.randint(0, 3) if r.random() < 0.7 else r.randint(20, 200),
                                   r.randint(2, 10), " ", "operator"))
        day += timedelta(days=1)
    return events


def fr_events(seed: int = 1):
    events = campaign(seed, [f"+331623450{n}" for n in (10, 12, 21, 27, 36)])
    r = random.Random(seed + 100)
    day = datetime(2026, 9, 2)
    while day < datetime(2026, 11, 20):        # mother, named, every few evenings; the user calls her back
        events.append((day.replace(hour=19, minute=30), FR_CONTACT, 1, r.randint(900, 1800), 6, "Maman", "contact"))
        events.append((day.replace(hour=20, minute=40), FR_CONTACT, 2, r.randint(300, 900), 0, "Maman", "contact"))
        day += timedelta(days=4)
    for i in range(6):                            # an unknown mobile, repeated missed calls on three days
        events.append((datetime(2026, 10, 5 + i // 2, 9 + i, 5), FR_NUISANCE, 3, 0, 20, " ", "nuisance"))
    return events


def uk_events(seed: int = 2):
    return campaign(seed, [f"+44207946010{n}" for n in range(5)])


def us_events(seed: int = 3):
    return campaign(seed, [f"+1212555010{n}" for n in range(5)], late=True)


def make(make_household, name: str, config: str, events, zone: str):
    from callwatch.detect import scan
    h = make_household(config, name)
    path = h.write("calllog.xml", oppo_xml(events, ZoneInfo(zone)))
    result = h.import_(path)
    assert result.status == "imported", result.message
    scan(h.store, h.config, full=True)
    return h
