"""A synthetic household written as an OPPO/ColorOS call-log XML (it carries ring time), for
the detection tests. Every call is tagged with who made it, so tests can check attribution."""

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

OPERATOR_CONFIG = """
region = "FR"
timezone = "Europe/Paris"
jurisdiction = "fr"

[operator]
name = "Opérateur X"
prefixes = ["01 62 34 50"]

[[objections]]
company = "Opérateur X"
date = 2026-10-01
kind = "gdpr-art21"
"""


def ms(local: datetime) -> int:
    return int(local.replace(tzinfo=PARIS).astimezone(timezone.utc).timestamp() * 1000)


def oppo_xml(events) -> str:
    """events: (local datetime, number, android type, duration s, ring s)."""
    rows = []
    for i, (when, number, kind, duration, ring, _who) in enumerate(events):
        rows.append(f'<CALL_RECORDS _id="{i + 1}" number="{number}" duration="{duration}" type="{kind}" '
                    f'date="{ms(when)}" name=" " numbertype="0" numberlabel=" " ring_time="{ring}" new="0" '
                    f'features="0" countryiso="FR" />')
    return "<?xml version='1.0' standalone='no' ?><CallLog>" + "".join(rows) + "</CallLog>"


def operator_call(r, day, number):
    when = day.replace(hour=r.choice([10, 11, 12, 14, 15, 16, 17, 18, 19]), minute=r.randint(0, 59),
                       second=r.randint(0, 59))
    if r.random() < 0.5:
        return (when, number, 3, 0, r.randint(3, 25), "operator")            # missed
    talk = r.randint(0, 3) if r.random() < 0.7 else r.randint(20, 200)       # mostly silent
    return (when, number, 1, talk, r.randint(2, 10), "operator")


def build(seed=4):
    r = random.Random(seed)
    events = []
    day = datetime(2026, 9, 1)
    while day < datetime(2026, 11, 21):
        wd = day.weekday()
        if wd < 5:
            for _ in range(r.randint(2, 5)):                                  # the operator, two blocks
                number = (f"01623450{r.randint(10, 40)}" if r.random() < 0.65 else f"01765432{r.randint(10, 30)}")
                events.append(operator_call(r, day, number))
        if r.random() < 0.9:                                                  # mother, most evenings
            events.append((day.replace(hour=19, minute=30, second=r.randint(0, 59)), "0611223344", 1,
                           r.randint(900, 1800), 6, "family"))
        day += timedelta(days=1)
    # another company: an energy-renovation firm, Saturday mornings and early evenings, agents talk
    d = datetime(2026, 10, 3)
    for i in range(14):
        when = (d + timedelta(days=i)).replace(hour=r.choice([9, 19, 20]), minute=r.randint(0, 59))
        events.append((when, f"01635512{r.randint(10, 19)}", 1, r.randint(90, 300), r.randint(3, 8), "other"))
    # a friend retrying three times in ten minutes
    t = datetime(2026, 10, 14, 21, 5)
    events += [(t, "0755667788", 3, 0, 20, "friend"), (t + timedelta(minutes=4), "0755667788", 3, 0, 25, "friend"),
               (t + timedelta(minutes=9), "0755667788", 1, 420, 4, "friend")]
    # delivery drivers: one short call each
    for i in range(6):
        events.append((datetime(2026, 9, 10, 11, 20) + timedelta(days=9 * i), f"07{r.randint(10000000, 99999999)}", 1,
                       r.randint(15, 45), 5, "driver"))
    # the doctor's office, twice
    events += [(datetime(2026, 10, 20, 9, 10), "0145678910", 1, 75, 6, "doctor"),
               (datetime(2026, 11, 3, 9, 15), "0145678910", 3, 0, 30, "doctor")]
    # the user calls the operator's customer service
    events += [(datetime(2026, 10, 2, 10, 0), "1023", 2, 600, 0, "user"),
               (datetime(2026, 10, 9, 10, 0), "1023", 2, 300, 0, "user")]
    # a ping call from abroad: rings two seconds
    events.append((datetime(2026, 10, 21, 3, 12), "+2250707123456", 3, 0, 2, "ping"))
    return events
