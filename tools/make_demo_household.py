"""Writes the bundled demo household (callwatch/sample_exports/household/) from one seed.

A fictional French household, Europe/Paris. Their operator, "Exemple Télécom", rings the
home line and the mobile two to five times a weekday from numbers rotating inside the
ARCEP-reserved block 01 62 34 50 xx (and some from 09 48 17 22 xx), many of the calls silent;
a few land outside permitted hours or on a Saturday. The user's mother calls most evenings.
The home line is logged twice, by the FRITZ!Box (minute precision) and by the Asterisk PBX
behind it; the mobile by two overlapping "SMS Backup & Restore" backups.

Run: python tools/make_demo_household.py   (deterministic; the files are committed)
"""

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
OUT = Path(__file__).resolve().parent.parent / "callwatch" / "sample_exports" / "household"
HOME, MOBILE, MOTHER, FRIEND = "0123456789", "0698765432", "0611223344", "0755667788"
r = random.Random(20261123)


def operator_number():
    if r.random() < 0.8:
        return f"01623450{r.randint(10, 39)}"
    return f"09481722{r.randint(10, 29)}"


def events():
    """Ground truth: (local datetime, line, number, answered, talk seconds, ring seconds, name)."""
    out = []
    day = datetime(2026, 9, 1)
    while day <= datetime(2026, 11, 20):
        weekday = day.weekday()
        campaign_started = day >= datetime(2026, 9, 14)
        n = r.randint(2, 5) if campaign_started and weekday < 5 else (1 if campaign_started and weekday == 5 and r.random() < 0.4 else 0)
        for _ in range(n):
            hour = r.choice([9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20]) if r.random() < 0.15 else r.choice([10, 11, 12, 14, 15, 16, 17, 18, 19])
            when = day.replace(hour=hour, minute=r.randint(0, 59), second=r.randint(0, 59))
            line = HOME if r.random() < 0.6 else MOBILE
            number = "" if r.random() < 0.08 else operator_number()
            answered = r.random() < 0.55
            talk = (r.randint(0, 3) if r.random() < 0.7 else r.randint(20, 240)) if answered else 0
            ring = r.randint(3, 12) if answered else r.randint(4, 30)
            out.append((when, line, number, answered, talk, ring, None))
        if r.random() < 0.8:
            when = day.replace(hour=19, minute=r.randint(15, 55), second=r.randint(0, 59))
            out.append((when, r.choice([HOME, MOBILE]), MOTHER, r.random() < 0.9, r.randint(300, 1800), r.randint(5, 15), "Maman"))
        if r.random() < 0.1:
            when = day.replace(hour=r.randint(11, 21), minute=r.randint(0, 59), second=r.randint(0, 59))
            out.append((when, MOBILE, FRIEND, True, r.randint(30, 600), r.randint(3, 10), "Camille"))
        day += timedelta(days=1)
    return out


def utc_ms(local):
    return int(local.replace(tzinfo=PARIS).astimezone(timezone.utc).timestamp() * 1000)


def write_fritzbox(evts):
    rows = ["sep=;", "Typ;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer"]
    for when, line, number, answered, talk, ring, name in sorted(evts, reverse=True):
        if line != HOME:
            continue
        kind = "1" if answered else "2"
        minutes = -(-talk // 60) if answered else 0     # the box rounds talk time up to the minute
        device = "Telefon Küche" if answered else ""
        rows.append(f"{kind};{when:%d.%m.%y %H:%M};{name or ''};{number};{device};Internet: {HOME};"
                    f"{minutes // 60}:{minutes % 60:02d}")
    (OUT / "fritzbox").mkdir(parents=True, exist_ok=True)
    (OUT / "fritzbox" / "FRITZ!Box_Anrufliste_2026-11-20.csv").write_bytes(
        ("\r\n".join(rows) + "\r\n").encode("iso-8859-1"))


def write_asterisk(evts):
    lines, seq = [], 100
    start_from = datetime(2026, 10, 1)
    for when, line, number, answered, talk, ring, name in sorted(evts):
        if line != HOME or when < start_from:
            continue
        seq += 1
        uid = f"{utc_ms(when) // 1000}.{seq}"
        src = number or "anonymous"
        clid = f'"{name}" <{src}>' if name else (f'"" <{src}>' if number else '"Anonymous" <anonymous>')
        answer = when + timedelta(seconds=ring)
        end = answer + timedelta(seconds=talk) if answered else when + timedelta(seconds=ring)
        total = int((end - when).total_seconds())
        legs = [("PJSIP/100-%08x" % seq, answered)]
        if not answered or r.random() < 0.3:          # the ring group also rang the second handset
            legs.append(("PJSIP/101-%08x" % seq, False))
        for dstchannel, leg_answered in legs:
            disp = "ANSWERED" if leg_answered else "NO ANSWER"
            ans = f"{answer:%Y-%m-%d %H:%M:%S}" if leg_answered else ""
            lines.append(",".join([
                '""', f'"{src}"', f'"{HOME}"', '"from-trunk"', _q(clid), f'"PJSIP/trunk-{seq:08x}"',
                f'"{dstchannel}"', '"Dial"', '"PJSIP/100&PJSIP/101,30"', f'"{when:%Y-%m-%d %H:%M:%S}"',
                f'"{ans}"', f'"{end:%Y-%m-%d %H:%M:%S}"', str(total), str(talk if leg_answered else 0),
                f'"{disp}"', '"DOCUMENTATION"', f'"{uid}"', '""']))
    (OUT / "asterisk").mkdir(parents=True, exist_ok=True)
    (OUT / "asterisk" / "Master.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _q(text):
    return '"' + text.replace('"', '""') + '"'


def write_android(evts, name, first, last):
    rows = []
    for when, line, number, answered, talk, ring, who in evts:
        if line != MOBILE or not (first <= when <= last):
            continue
        kind = 1 if answered else 3
        presentation = 1 if number else 2
        readable = f"{when:%d %b %Y %H:%M:%S}"
        rows.append(f'  <call number="{number}" duration="{talk if answered else 0}" date="{utc_ms(when)}" '
                    f'type="{kind}" presentation="{presentation}" subscription_id="1" post_dial_digits="" '
                    f'readable_date="{readable}" contact_name="{who or "(Unknown)"}" />')
    r.shuffle(rows)                      # the app does not promise any order
    head = ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
            "<!--File Created By SMS Backup & Restore v10.20.002 on 20/11/2026 21:00:00-->\n"
            '<?xml-stylesheet type="text/xsl" href="calls.xsl"?>\n'
            f'<calls count="{len(rows)}" backup_set="5c0d8e6e-7f7a-4f61-9a52-2f2b8f3c1d11" '
            f'backup_date="{utc_ms(last)}" type="full">\n')
    (OUT / "android").mkdir(parents=True, exist_ok=True)
    (OUT / "android" / name).write_text(head + "\n".join(rows) + "\n</calls>\n", encoding="utf-8")


if __name__ == "__main__":
    evts = events()
    write_fritzbox(evts)
    write_asterisk(evts)
    write_android(evts, "calls-20261015.xml", datetime(2026, 9, 1), datetime(2026, 10, 15, 23, 59))
    write_android(evts, "calls-20261120.xml", datetime(2026, 10, 1), datetime(2026, 11, 20, 23, 59))
    print(f"{len(evts)} events written under {OUT}")
