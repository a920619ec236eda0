"""The pool's report: CSV files of every figure and a PDF with the same method-section discipline
as a household's pack (what is counted, what is not, what a call log cannot show, how privacy
is kept), written private into one folder.

    <out>/report.pdf              the figures per rule pack, then the method and its limits
    <out>/<table>.csv             one file per table (UTF-8, comma), the very figures of the PDF
    <out>/figures.json            all of them, with the engine and the pool's counts

Every share, median and percentile is computed here from the engines' integers (analysis.py), so
a report made on DuckDB and one made on Spark hold the same figures.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from callwatch import __version__
from callwatch.pool import analysis
from callwatch.pool.pool import Pool
from callwatch.private import private_dir, write_private

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The PDF is for reading: long tables stop here and say which CSV holds them all.
PDF_ROWS = 60
HEATMAPS = 5             # the operators (most households first) with a heat map of their own in the PDF


@dataclass
class ReportResult:
    folder: Path
    files: list[str]
    engine: str
    seconds: float
    figures: dict


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def nearest_rank(hist: list[tuple[int, int]], q: float) -> int:
    """The q-quantile (nearest rank) of values given as (value, how many) pairs."""
    total = sum(n for _, n in hist)
    rank = max(1, -(-int(q * total * 10_000) // 10_000))     # ceil(q * total), without float noise
    seen = 0
    for value, n in sorted(hist):
        seen += n
        if seen >= rank:
            return value
    return 0


def derive(raw: dict, k: int) -> dict:
    """The report's tables from the engine's: shares and the calls-per-household distribution."""
    out = {name: [dict(zip(t["columns"], r)) for r in t["rows"]] for name, t in raw.items()}
    for row in out["operator_months"] + out["operators"]:
        row["silent_share"] = share(row["silent"], row["calls"])
        row["answered_share"] = share(row["answered"], row["calls"])
    hist = defaultdict(list)
    for r in out["calls_per_household"]:
        hist[(r["rule_pack"], r["operator"], r["month"])].append((r["calls"], r["households"]))
    dist = []
    for (rule_pack, operator, month), h in sorted(hist.items()):
        dist.append({"rule_pack": rule_pack, "operator": operator, "month": month,
                     "households": sum(n for _, n in h), "median": nearest_rank(h, 0.5),
                     "p90": nearest_rank(h, 0.9), "max": max(v for v, _ in h),
                     "households_1": sum(n for v, n in h if v == 1),
                     "households_2_4": sum(n for v, n in h if 2 <= v <= 4),
                     "households_5_9": sum(n for v, n in h if 5 <= v <= 9),
                     "households_10_plus": sum(n for v, n in h if v >= 10)})
    out["distribution"] = dist
    out["k"] = k
    return out


def _csv(rows: list[dict], columns: list[str]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()           # an empty table keeps its header: a reader sees what was looked for
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _json(doc: dict) -> str:
    """figures.json: the report's facts, then each table one row a line. Written row by row with
    the json module's C encoder: asking it to indent makes it fall back to its pure-Python one,
    seconds for the half-million rows of a large pool's numbers."""
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    parts = []
    for name, value in doc.items():
        if isinstance(value, list) and value:
            parts.append(f"{encode(name)}: [\n" + ",\n".join(map(encode, value)) + "\n]")
        else:
            parts.append(f"{encode(name)}: {encode(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


DISTRIBUTION = ["rule_pack", "operator", "month", "households", "median", "p90", "max", "households_1",
                "households_2_4", "households_5_9", "households_10_plus"]


def columns_of(raw: dict) -> dict[str, list[str]]:
    cols = {name: list(t["columns"]) for name, t in raw.items()}
    cols["operator_months"] += ["silent_share", "answered_share"]
    cols["operators"] += ["silent_share", "answered_share"]
    cols["distribution"] = DISTRIBUTION
    return cols


TABLES = ("totals", "rule_pack_versions", "operators", "breaches_total", "operator_months", "distribution", "calls_per_household", "breaches",
          "blocks", "block_operators", "numbers", "heatmap", "areas")


def make(pool: Pool, out_dir: Path, *, engine: str | None = None, at: datetime | None = None) -> ReportResult:
    """Run the analysis on the pool's engine (or ``engine``) and write the report into ``out_dir``."""
    name = engine or pool.settings.engine
    started = time.perf_counter()
    if pool.outdated:               # written before household ids: converted once, under the pool's lock
        pool.upgrade()
    files = pool.data_files()
    eng = analysis.engine_for(name, files, spark_master=pool.settings.spark_master,
                              temp_dir=private_dir(pool.folder / ".tmp"))
    try:
        raw = analysis.run(eng, pool.settings.k)
        version = eng.version
    finally:
        eng.close()
    figures = derive(raw, pool.settings.k)
    seconds = time.perf_counter() - started
    at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    meta = {"generated_at_utc": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "callwatch_version": __version__,
            "engine": name, "engine_version": version, "k": pool.settings.k,
            "key_fingerprint": pool.settings.key_fingerprint,
            "contributions": len(pool.contributions()), "rejected_rows": dict(pool.rejects()),
            "data_files": len(files)}
    out_dir = private_dir(Path(out_dir))
    written = []
    columns = columns_of(raw)
    for table in TABLES:
        write_private(out_dir / f"{table}.csv", _csv(figures[table], columns[table]))
        written.append(f"{table}.csv")
    doc = {"report": meta, **{t: figures[t] for t in TABLES}}
    write_private(out_dir / "figures.json", _json(doc))
    written.append("figures.json")
    write_private(out_dir / "report.pdf", pdf(figures, meta))
    written.append("report.pdf")
    return ReportResult(out_dir, written, name, seconds, figures)


# -- the PDF -------------------------------------------------------------------------------------

METHOD = [
    "Contributions. Each household ran `callwatch contribute` on its own evidence store: one row per call of its "
    "harassment findings, and nothing else. A household is named by a keyed pseudonym, HMAC-SHA256 of a random "
    "secret it keeps, under this association's key: nobody, the association included, can tell who it is, and "
    "another association's pool cannot be joined to this one on it. No name, no own number, no called line, no "
    "contact's number, no call or number the household excluded, and no repeated caller nobody said is "
    "canvassing ever leave the house; a number not attributed to a company leaves as its block only.",
    "Validation. Each contribution was checked whole (a Parquet file of the contribution schema, made with this "
    "pool's key) then row by row; a row breaking the contribution's own rules is counted as rejected with its reason "
    "(listed below), the others are kept. A household counts once: its newest contribution replaces the older.",
    "Counted calls. Every figure per operator rests on counted calls only: those whose number the household declared "
    "as the operator's, a number of the same block, or a call the household confirmed. Leads (numbers of a rotating "
    "block nobody named, links by behaviour alone, withheld calls resembling a campaign) are counted apart in the "
    "totals and in the blocks, never in an operator's figures or breaches.",
    "Law. Each household's calls were judged by the rule pack of its own jurisdiction, on its own store, by "
    "callwatch's rule engine; the pool only adds them up, per rule pack, and never across two: a French rule is "
    "never counted against a UK or US household. A rule's figures count the calls that break it; one call may "
    "break several rules.",
    "Privacy. An operator is named only when at least k households named it (others are grouped); a block, a "
    "number and an area are shown only when at least k households report them (k = {k}). Months, hours and "
    "weekdays are the household's local time.",
    "Limits. A call log shows that a call took place, when, from which presented number and for how long; it does "
    "not show what was said or who really called (a number can be spoofed). Operators are named as members typed "
    "them, made comparable (case, accents and punctuation ignored). A household's findings rest on what it "
    "declared and confirmed: the pool cannot check them against the households' exports, but each contribution "
    "may carry the fingerprint, root and RFC 3161 time-stamp of the household's evidence pack, which that "
    "household can produce.",
]


def _rule_texts() -> dict:
    from callwatch.detect import rules as rules_mod
    texts = {}
    for pack_id in ("fr", "uk", "us", "generic"):
        try:
            pack = rules_mod.load_pack(pack_id)
        except Exception:           # a rule pack this installation lacks: the id alone is shown
            continue
        for r in pack.rules:
            texts[r.id] = (r.citation, r.text_en)
    return texts


def pdf(figures: dict, meta: dict) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from callwatch.evidence.pdf import FONT_DIR

    doc = FPDF(format="A4")
    doc.set_auto_page_break(True, margin=15)
    doc.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    doc.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    doc.set_creation_date(datetime.strptime(meta["generated_at_utc"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc))
    doc.add_page()
    width = doc.w - doc.l_margin - doc.r_margin

    def heading(text, size=13):
        doc.set_font("DejaVu", "B", size)
        doc.multi_cell(width, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.ln(1)

    def para(text, size=9):
        doc.set_font("DejaVu", "", size)
        doc.multi_cell(width, 4.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.ln(1.5)

    def limited(rows, csv_name, total=None):
        total = len(rows) if total is None else total
        return rows[:PDF_ROWS], (f"The first {PDF_ROWS} of {total} rows; all of them in {csv_name}."
                                 if total > PDF_ROWS else "")

    def table(headers, rows, note="", size=7):
        if not rows:
            para("(none)")
            return
        doc.set_font("DejaVu", "", size)
        with doc.table(text_align="LEFT", line_height=3.6 * size / 7, first_row_as_headings=True) as t:
            t.row([str(h) for h in headers])
            for r in rows:
                t.row(["" if v is None else f"{v:.1%}" if isinstance(v, float) else str(v) for v in r])
        doc.ln(2)
        if note:
            para(note, 8)

    heading("Telephone harassment across households: pooled figures", 16)
    para(f"Generated {meta['generated_at_utc']} by callwatch {meta['callwatch_version']} on {meta['engine']} "
         f"{meta['engine_version']}; {meta['contributions']} contribution(s) kept; k = {meta['k']}; association key "
         f"fingerprint {meta['key_fingerprint'][:16]}...")
    rejected = meta["rejected_rows"]
    para("Rows rejected at validation: " + ("; ".join(f"{n} {reason}" for reason, n in sorted(rejected.items()))
                                            if rejected else "none") + ".")
    texts = _rule_texts()
    packs = sorted({r["rule_pack"] for r in figures["totals"]})
    for pack in packs:
        def of(table_name):
            return [r for r in figures[table_name] if r["rule_pack"] == pack]
        tot = of("totals")[0]
        heading(f"Rule pack {pack}")
        versions = ", ".join(f"{r['rule_pack_version']} ({r['households']} households)" for r in of("rule_pack_versions"))
        para(f"{tot['households']} households, {tot['calls']} calls shared: {tot['counted_calls']} counted, "
             f"{tot['lead_calls']} leads (not counted); {tot['first_month']} to {tot['last_month']}. "
             f"Rule pack versions: {versions}.")
        heading("Per operator, whole period (counted calls)", 11)
        operators = sorted(of("operators"), key=lambda r: (-r["households"], -r["calls"], r["operator"]))
        table(["operator", "households", "calls", "answered", "silent", "silent share", "breaking a rule",
               "first month", "last month"],
              [[r["operator"], r["households"], r["calls"], r["answered"], r["silent"], r["silent_share"],
                r["calls_breaking_a_rule"], r["first_month"], r["last_month"]] for r in operators])
        heading("Rules broken, whole period (counted calls)", 11)
        rows = [[r["operator"], r["rule"], texts.get(r["rule"], ("", ""))[0], r["calls"], r["households"]]
                for r in sorted(of("breaches_total"), key=lambda r: (-r["households"], r["operator"], r["rule"]))]
        table(["operator", "rule", "citation", "calls", "households"], *limited(rows, "breaches_total.csv"))
        for rid in sorted({r["rule"] for r in of("breaches_total")}):
            if rid in texts:
                para(f"{rid}: {texts[rid][1]}", 8)
        heading("Per operator and month (counted calls)", 11)
        table(["operator", "month", "households", "calls", "answered", "silent", "silent share", "missed",
               "withheld", "breaking a rule"],
              *limited([[r["operator"], r["month"], r["households"], r["calls"], r["answered"], r["silent"],
                         r["silent_share"], r["missed"], r["withheld"], r["calls_breaking_a_rule"]]
                        for r in of("operator_months")], "operator_months.csv"))
        heading("Calls per household in a month", 11)
        table(["operator", "month", "households", "median", "p90", "max", "1 call", "2-4", "5-9", "10+"],
              *limited([[r["operator"], r["month"], r["households"], r["median"], r["p90"], r["max"],
                         r["households_1"], r["households_2_4"], r["households_5_9"], r["households_10_plus"]]
                        for r in of("distribution")], "distribution.csv"))
        para("Rules broken per operator and month: breaches.csv.", 8)
        heading(f"Number blocks reported by at least {meta['k']} households", 11)
        blocks = sorted(of("blocks"), key=lambda r: (-r["households"], -r["calls"], r["block"]))
        table(["block", "households", "calls", "counted", "numbers named", "first month", "last month"],
              *limited([[r["block"], r["households"], r["calls"], r["counted_calls"], r["numbers_named"],
                         r["first_month"], r["last_month"]] for r in blocks], "blocks.csv (the operators of each: "
                                                                               "block_operators.csv)"))
        heading(f"Numbers reported by at least {meta['k']} households", 11)
        numbers = of("numbers")         # up to every number of the pool: only the first rows are sorted out
        first = heapq.nsmallest(PDF_ROWS, numbers, key=lambda r: (-r["households"], -r["calls"], r["number"]))
        table(["number", "block", "households", "calls", "counted"],
              *limited([[r["number"], r["block"], r["households"], r["calls"], r["counted_calls"]] for r in first],
                       "numbers.csv", total=len(numbers)))
        heading("Hours and weekdays (counted calls, local time)", 11)
        shown = ["(all operators)"] + [r["operator"] for r in operators[:HEATMAPS]]
        for operator in shown:
            grid = [[0] * 24 for _ in range(7)]
            for r in of("heatmap"):
                if operator == "(all operators)" or r["operator"] == operator:
                    grid[r["weekday"]][r["hour"]] += r["calls"]
            para(operator, 8)
            table([""] + [f"{h}" for h in range(24)], [[DAYS[d]] + grid[d] for d in range(7)], size=5)
        if len(operators) > HEATMAPS:
            para("The other operators' hours and weekdays: heatmap.csv.", 8)
        areas = of("areas")
        if areas:
            heading(f"Areas reported by at least {meta['k']} households", 11)
            table(["area", "households"], [[r["area"], r["households"]] for r in areas])
    heading("Method and limits")
    for text in METHOD:
        para(text.replace("{k}", str(meta["k"])))
    return bytes(doc.output())
