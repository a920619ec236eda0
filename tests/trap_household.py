"""A household with the traps that once got innocent people accused, written as the exports it
would really have: the landline's Asterisk PBX (Master.csv, cdr_csv order), Anne's Android phone
(SMS Backup & Restore XML) and Paul's iPhone (CallHistory.storedata).

Every call is tagged with who made it, so tests can say who was accused:
operator (declared prefix / number and their blocks), operator-lead (an undeclared block that
behaves like it), dialler (withheld, ringing both mobiles together), technician (the operator's
declared number booking a visit: a service call the user excludes), luc (a friend in the declared
number's block), sophie (a friend inside the declared prefix), doctor and hospital (withheld),
school (06:15 snow-day robocalls reaching the answering machine), client (a prospective client's
missed calls), second-company (a dialler in an ARCEP automated range behaving like the operator),
uk-firm (a UK claims firm rotating numbers), user (the household's own calls), mum.
"""

import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
IOS_EPOCH = 978307200        # 2001-01-01T00:00:00Z

CONFIG = """
region = "FR"
timezone = "Europe/Paris"
jurisdiction = "fr"

[[lines]]
number = "01 23 45 67 89"
label = "home"
extensions = ["100", "101"]

[[lines]]
number = "06 98 76 54 32"
label = "Anne's mobile"
sources = ["android-calllog"]

[[lines]]
number = "07 56 12 34 56"
label = "Paul's iPhone"
holder = "Paul"
sources = ["ios-callhistory"]

[operator]
name = "Exemple Télécom"
numbers = ["09 48 17 22 10"]
prefixes = ["01 62 34 50"]

[[objections]]
company = "Exemple Télécom"
date = 2026-10-01
kind = "gdpr-art21"

[asterisk]
incoming_contexts = ["from-trunk"]
outgoing_contexts = ["from-internal"]
extensions = ["100", "101"]
"""

INNOCENT = ("luc", "sophie", "doctor", "hospital", "school", "client", "mum", "user", "technician")
TECHNICIAN_DAYS = (datetime(2026, 10, 6), datetime(2026, 10, 7))


def ms(local: datetime) -> int:
    return int(round(local.replace(tzinfo=PARIS).astimezone(timezone.utc).timestamp() * 1000))


class Event:
    """One call: where it rang (home, anne, paul), when, who, number (national; "" withheld),
    direction, outcome (answered, missed, voicemail), talk and ring seconds."""

    def __init__(self, phone, when, who, number, outcome="answered", talk=0, ring=5, direction="in"):
        self.phone, self.when, self.who, self.number = phone, when, who, number
        self.outcome, self.talk, self.ring, self.direction = outcome, talk, ring, direction

    @property
    def start_ms(self):
        return ms(self.when)


def events(seed: int = 13) -> list[Event]:
    r = random.Random(seed)
    out: list[Event] = []
    day = datetime(2026, 9, 1)
    while day < datetime(2026, 11, 21):
        weekday = day.weekday()
        if weekday < 5:
            for _ in range(r.randint(2, 4)):                          # the operator's dialler, declared blocks
                number = f"01623450{r.randint(10, 40)}" if r.random() < 0.6 else f"09481722{r.randint(11, 30)}"
                hour = r.choice([10, 11, 12, 14, 15, 16, 17, 18, 19, 20])   # 20:xx is outside D223-9
                when = day.replace(hour=hour, minute=r.randint(0, 59), second=r.randint(0, 59))
                if r.random() < 0.5:
                    out.append(Event("home", when, "operator", number, "missed", 0, r.randint(3, 25)))
                else:
                    out.append(Event("home", when, "operator", number, "answered",
                                     r.randint(0, 2) if r.random() < 0.7 else r.randint(20, 90)))
            if r.random() < 0.5:                                      # and from a block it never declared
                when = day.replace(hour=r.choice([10, 11, 14, 15, 16, 17, 18]), minute=r.randint(0, 59))
                out.append(Event("home", when, "operator-lead", f"01765432{r.randint(10, 20)}",
                                 *(("missed", 0, 12) if r.random() < 0.5 else ("answered", r.randint(0, 2), 4))))
            if r.random() < 0.8:                                      # a second company's dialler, 0377
                when = day.replace(hour=r.choice([10, 11, 14, 15, 16, 17, 18]), minute=r.randint(0, 59))
                out.append(Event("home", when, "second-company", f"03771234{r.randint(50, 53)}",
                                 *(("missed", 0, 10) if r.random() < 0.5 else ("answered", r.randint(0, 2), 4))))
        if weekday < 5 and day.day % 3 == 0:                          # a UK claims firm, three numbers
            out.append(Event("home", day.replace(hour=15, minute=r.randint(0, 59)), "uk-firm",
                             f"+4420794601{r.randint(0, 2):02d}", "missed", 0, 10))
        if r.random() < 0.8:                                          # mum, most evenings, on the landline
            out.append(Event("home", day.replace(hour=19, minute=30, second=r.randint(0, 59)), "mum", "0611223344",
                             "answered", r.randint(900, 1800)))
        day += timedelta(days=1)

    # The dialler rings both mobiles together, withheld; each phone answers into silence.
    for i in range(10):
        when = datetime(2026, 9, 14, 11, 20, 7) + timedelta(days=i * 7)     # Mondays
        out.append(Event("anne", when, "dialler", "", "answered", 1))
        out.append(Event("paul", when + timedelta(milliseconds=300), "dialler", "", "answered", 1))
    # Luc: a friend whose number is in the declared number's block; long talks, weekends and late.
    for i in range(8):
        when = datetime(2026, 9, 5, 21, 10) + timedelta(days=i * 9)                 # some Saturdays, all after 20:00
        out.append(Event("home", when, "luc", "0948172255", "answered", 900 + 60 * i))
        out.append(Event("home", when + timedelta(days=2, hours=-1), "user", "0948172255", "answered", 600,
                         direction="out"))
    # Sophie: inside the declared prefix; the user calls her, they talk.
    for i in range(5):
        out.append(Event("home", datetime(2026, 9, 12, 10, 30) + timedelta(days=i * 14), "sophie", "0162345099", "answered", 1200))
        out.append(Event("home", datetime(2026, 9, 13, 18, 0) + timedelta(days=i * 14), "user", "0162345099", "answered", 400,
                         direction="out"))
    # The doctor's secretary calls withheld, on days the dialler is busy; once she is missed.
    for i in range(4):
        out.append(Event("anne", datetime(2026, 9, 15, 10, 40) + timedelta(days=i * 10), "doctor", "", "answered", 180 + 30 * i))
    out.append(Event("anne", datetime(2026, 10, 20, 11, 25), "doctor", "", "missed", 0, 25))
    out.append(Event("home", datetime(2026, 10, 21, 11, 0), "hospital", "", "answered", 240))
    # The school's snow-day robocalls at 06:15 reach the answering machine.
    for d in (2, 3, 4, 5, 6):
        out.append(Event("home", datetime(2026, 11, d, 6, 15), "school", "0145678910", "voicemail", 40, 20))
    # A prospective client (Anne is a plumber) rings six times, missed, over three days.
    for i in range(6):
        out.append(Event("anne", datetime(2026, 10, 12 + i // 2, 8 + 5 * (i % 2), 5), "client", "0612987654",
                         "missed", 0, 20))
    # The operator's technician books a visit from its declared number (a service call).
    for d in TECHNICIAN_DAYS:
        out.append(Event("home", d.replace(hour=9, minute=5), "technician", "0948172210", "answered", 200))
    return sorted(out, key=lambda e: e.start_ms)


def _cdr(e: Event, i: int) -> str:
    start = e.when
    answer = start + timedelta(seconds=e.ring)
    end = answer + timedelta(seconds=e.talk)
    t = "%Y-%m-%d %H:%M:%S"
    if e.direction == "out":
        src, dst, ctx, clid = "100", e.number, "from-internal", '"Home" <100>'
        chan, dchan, app = "PJSIP/100-%08x" % i, "PJSIP/trunk-%08x" % i, "Dial"
    else:
        src = e.number or "anonymous"
        dst, ctx = "0123456789", "from-trunk"
        clid = '"Anonymous" <anonymous>' if not e.number else f'"" <{e.number}>'
        chan, dchan = "PJSIP/trunk-%08x" % i, "PJSIP/100-%08x" % i
        app = "VoiceMail" if e.outcome == "voicemail" else "Dial"
    disposition = "NO ANSWER" if e.outcome == "missed" else "ANSWERED"
    answered = e.outcome != "missed"
    fields = ["", src, dst, ctx, clid, chan, dchan, app, "PJSIP/100,30", start.strftime(t),
              answer.strftime(t) if answered else "", end.strftime(t) if answered else answer.strftime(t),
              str(e.ring + (e.talk if answered else 0)), str(e.talk if answered else 0), disposition,
              "DOCUMENTATION", f"{e.start_ms // 1000}.{i}", ""]
    return ",".join('"' + f.replace('"', '""') + '"' if not f.isdigit() else f for f in fields)


def _sbr(evs) -> str:
    rows = []
    for e in evs:
        kind = 2 if e.direction == "out" else {"answered": 1, "missed": 3, "voicemail": 4}[e.outcome]
        presentation = 1 if e.number else 2
        rows.append(f'  <call number="{e.number}" duration="{e.talk if e.outcome == "answered" else 0}" '
                    f'date="{e.start_ms}" type="{kind}" presentation="{presentation}" subscription_id="1" '
                    f'contact_name="(Unknown)" />')
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
            f'<calls count="{len(rows)}" backup_set="7d1e" backup_date="1795215540000" type="full">\n'
            + "\n".join(rows) + "\n</calls>\n")


def _ios(evs, path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, "
                 "ZANSWERED INTEGER, ZCALLTYPE INTEGER, ZDISCONNECTED_CAUSE INTEGER, ZFACE_TIME_DATA BLOB, "
                 "ZNUMBER_AVAILABILITY INTEGER, ZORIGINATED INTEGER, ZREAD INTEGER, ZDATE TIMESTAMP, "
                 "ZDURATION FLOAT, ZADDRESS VARCHAR, ZDEVICE_ID VARCHAR, ZISO_COUNTRY_CODE VARCHAR, ZNAME VARCHAR, "
                 "ZUNIQUE_ID VARCHAR)")
    conn.executemany(
        "INSERT INTO ZCALLRECORD (Z_PK, ZANSWERED, ZCALLTYPE, ZNUMBER_AVAILABILITY, ZORIGINATED, ZDATE, ZDURATION, "
        "ZADDRESS, ZISO_COUNTRY_CODE, ZNAME, ZUNIQUE_ID) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [(i + 1, int(e.outcome == "answered"), 1, 1, int(e.direction == "out"), e.start_ms / 1000 - IOS_EPOCH,
          float(e.talk if e.outcome == "answered" else 0), e.number, "fr", None, f"P-{i + 1}")
         for i, e in enumerate(evs)])
    conn.commit()
    conn.close()
    return path


def write_exports(folder: Path, evs: list[Event]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    home = [e for e in evs if e.phone == "home"]
    master = folder / "Master.csv"
    master.write_text("".join(_cdr(e, i) + "\n" for i, e in enumerate(home)), encoding="utf-8")
    android = folder / "calls-anne.xml"
    android.write_text(_sbr([e for e in evs if e.phone == "anne"]), encoding="utf-8")
    ios = _ios([e for e in evs if e.phone == "paul"], folder / "CallHistory.storedata")
    return [master, android, ios]


def who_of(store, evs: list[Event]) -> dict[int, str]:
    """call id -> who made it, matching each stored call to its event by line, time and number."""
    from callwatch.numbers import Normaliser
    norm = Normaliser("FR")
    line = {"home": "+33123456789", "anne": "+33698765432", "paul": "+33756123456"}
    index = {(line[e.phone], e.start_ms // 1000, norm.normalise(e.number).key if e.number else None): e.who
             for e in evs}
    out = {}
    for row in store.db.query("SELECT id, line, start_ms, number FROM calls"):
        out[row["id"]] = index[(row["line"], row["start_ms"] // 1000, row["number"])]
    return out
