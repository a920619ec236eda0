"""A synthetic Asterisk Master.csv (cdr_csv order, uniqueid set) for the import benchmark.

About 20,000 distinct French numbers with a skewed popularity, local times over three years,
dispositions mixed, ring-group legs sharing a uniqueid. Deterministic for a given seed.
"""

import csv
import random
import sys
from datetime import datetime, timedelta


def numbers(r, distinct):
    pool = []
    for _ in range(distinct):
        first = r.choice("1234567996")
        nsn = first + "".join(r.choice("0123456789") for _ in range(8))
        style = r.random()
        pool.append("0" + nsn if style < 0.7 else ("+33" + nsn if style < 0.9 else "0033" + nsn))
    pool += ["anonymous", ""]
    return pool


FIRST = datetime(2023, 11, 1, 8, 0, 0)


def write(path, rows=1_000_000, distinct=20_000, seed=7, after=None):
    """``after``: (time, sequence) of a file's last call, from ``last_call``: this file's calls
    come after it, with uniqueids of their own (new calls of the same household, not copies)."""
    r = random.Random(seed)
    pool = numbers(r, distinct)
    weights = [1 / (i + 1) ** 0.8 for i in range(len(pool))]
    picks = r.choices(pool, weights=weights, k=rows)
    t, first_seq = after if after else (FIRST, 0)
    disp = ["ANSWERED", "NO ANSWER", "BUSY", "ANSWERED", "FAILED", "ANSWERED"]
    with open(path, "w", encoding="utf-8", newline="") as out:
        seq = first_seq
        i = 0
        while i < rows:
            t += timedelta(seconds=r.randint(1, 180))
            src = picks[i]
            seq += 1
            d = disp[seq % len(disp)]
            ring = r.randint(2, 30)
            talk = r.randint(0, 900) if d == "ANSWERED" else 0
            start = t.strftime("%Y-%m-%d %H:%M:%S")
            ans = (t + timedelta(seconds=ring)).strftime("%Y-%m-%d %H:%M:%S") if talk else ""
            end = (t + timedelta(seconds=ring + talk)).strftime("%Y-%m-%d %H:%M:%S")
            incoming = seq % 5 != 0
            ctx, a, b = ("from-trunk", src, "0123456789") if incoming else ("from-internal", "100", src)
            out.write(f'"","{a}","{b}","{ctx}",""""" <{a}>","PJSIP/trunk-{seq:08x}","PJSIP/100-{seq:08x}",'
                      f'"Dial","PJSIP/100,30","{start}","{ans}","{end}",{ring + talk},{talk},"{d}",'
                      f'"DOCUMENTATION","{1700000000 + seq}.{seq}",""\n')
            i += 1


def last_call(path) -> tuple[datetime, int]:
    """(start, sequence) of the last call of a file written by ``write``."""
    with open(path, "rb") as f:
        f.seek(max(0, f.seek(0, 2) - 4096))
        fields = next(csv.reader([f.read().decode().rstrip("\n").rsplit("\n", 1)[-1]]))
    return datetime.strptime(fields[9], "%Y-%m-%d %H:%M:%S"), int(fields[16].split(".")[1])


if __name__ == "__main__":
    write(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
