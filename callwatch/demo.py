"""The bundled example household (``callwatch/sample_exports``), for ``callwatch demo``."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

SAMPLES = Path(__file__).parent / "sample_exports"
EXPORTS = SAMPLES / "household"
CONFIG = SAMPLES / "demo-config.toml"


def print_summary(store, console) -> None:
    rows = list(store.db.query(
        "SELECT i.format, COUNT(c.id) AS calls, SUM(c.direction = 'in') AS incoming, "
        "SUM(c.presentation != 'allowed') AS withheld, MIN(c.start_utc) AS first, MAX(c.start_utc) AS last "
        "FROM calls c JOIN imports i ON i.id = c.import_id GROUP BY i.format ORDER BY i.format"))
    table = Table(title="Calls in the demo store, by source of the kept record", title_justify="left")
    for col in ("format", "calls", "incoming", "withheld", "first (UTC)", "last (UTC)"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["format"], str(r["calls"]), str(r["incoming"]), str(r["withheld"]), r["first"], r["last"])
    console.print(table)
    merged = store.conn.execute("SELECT COUNT(*) FROM call_sources").fetchone()[0]
    top = list(store.db.query(
        "SELECT c.number, n.kind, n.npv, COUNT(*) AS calls FROM calls c LEFT JOIN numbers n USING (number) "
        "WHERE c.direction = 'in' AND c.number IS NOT NULL GROUP BY c.number ORDER BY calls DESC LIMIT 5"))
    console.print(f"{store.count_calls()} distinct calls; {merged} recorded by two sources and merged.")
    for r in top:
        flag = f" (ARCEP range reserved for automated calls: {r['npv']})" if r["npv"] else ""
        console.print(f"  {r['number']}: {r['calls']} incoming calls, {r['kind']}{flag}", highlight=False)
