"""The page's charts, drawn on the server as SVG: no script, no library, readable without colour.

Each band of a stacked bar chart has its own fill pattern as well as its colour (solid, hatched,
dotted, cross-hatched, open), shown again in the legend; every bar carries a tooltip with its
figures; the heat map writes each cell's count in it and draws the permitted calling window as a
thick frame. The SVGs scale to the screen's width (viewBox), so a phone shows the whole chart.
"""

from __future__ import annotations

from datetime import date
from html import escape

# (colour, pattern) per band; the pattern alone tells the bands apart in black and white.
STYLES = {
    "answered": ("#1f6fb2", "solid"), "missed": ("#e0a100", "hatch"), "voicemail": ("#6a4c93", "dots"),
    "rejected": ("#b23a3a", "cross"), "unknown": ("#8a8a8a", "open"),
    "counted": ("#b23a3a", "solid"), "leads": ("#e0a100", "hatch"), "excluded": ("#8a8a8a", "open"),
}


def _patterns(prefix: str) -> str:
    defs = []
    for name, (colour, kind) in STYLES.items():
        pid = f"{prefix}-{name}"
        if kind == "hatch":
            body = f'<rect width="6" height="6" fill="{colour}" fill-opacity="0.35"/>' \
                   f'<path d="M0,6 L6,0" stroke="{colour}" stroke-width="2"/>'
        elif kind == "dots":
            body = f'<rect width="6" height="6" fill="{colour}" fill-opacity="0.25"/>' \
                   f'<circle cx="3" cy="3" r="1.6" fill="{colour}"/>'
        elif kind == "cross":
            body = f'<rect width="6" height="6" fill="{colour}" fill-opacity="0.3"/>' \
                   f'<path d="M0,0 L6,6 M6,0 L0,6" stroke="{colour}" stroke-width="1.4"/>'
        elif kind == "open":
            body = f'<rect width="6" height="6" fill="#fff"/><rect x="0.5" y="0.5" width="5" height="5" ' \
                   f'fill="none" stroke="{colour}" stroke-width="1"/>'
        else:
            body = f'<rect width="6" height="6" fill="{colour}"/>'
        defs.append(f'<pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse">{body}</pattern>')
    return "<defs>" + "".join(defs) + "</defs>"


def _fill(prefix: str, band: str) -> str:
    return f"url(#{prefix}-{band})" if band in STYLES else "#999"


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4 if value > 4 else max(value, 1)
    return value


def stacked_bars(days: list[date], counts: dict[str, list[int]], labels: dict[str, str], *, title: str,
                 prefix: str = "b", markers: list[tuple[date, str]] = (), unit: str = "calls") -> str:
    """Per-day stacked bars. ``counts``: band -> one count per day; ``labels``: band -> legend text;
    ``markers``: (day, text) drawn as a dashed line (an objection, say)."""
    bands = [b for b in counts if any(counts[b])] or list(counts)[:1]
    n = max(len(days), 1)
    width, height, left, top, bottom = 720, 220, 34, 34, 34
    plot_w, plot_h = width - left - 8, height - top - bottom
    totals = [sum(counts[b][i] for b in bands) for i in range(len(days))]
    ymax = _nice_max(max(totals, default=0))
    slot = plot_w / n
    bar_w = max(slot * 0.82, 0.8)
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg">', f"<title>{escape(title)}</title>", _patterns(prefix)]
    for k in range(5):                                   # horizontal grid with values
        v = ymax * k / 4
        y = top + plot_h - plot_h * k / 4
        out.append(f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="{left - 4}" y="{y + 3:.1f}" class="axis" text-anchor="end">{v:g}</text>')
    for i, day in enumerate(days):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        parts = []
        for b in bands:
            v = counts[b][i]
            if not v:
                continue
            h = plot_h * v / ymax
            y -= h
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{_fill(prefix, b)}" '
                       f'stroke="#333" stroke-width="0.3"><title>{day.isoformat()}: {v} {escape(labels.get(b, b))}'
                       f'</title></rect>')
            parts.append(f"{v} {labels.get(b, b)}")
        if totals[i] and slot >= 14:                     # room enough: the day's total above its bar
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 2:.1f}" class="axis" text-anchor="middle">'
                       f'{totals[i]}</text>')
    step = max(1, round(n / 8))
    for i in range(0, len(days), step):
        x = left + i * slot + slot / 2
        out.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" class="axis" text-anchor="middle">'
                   f'{days[i].strftime("%d/%m")}</text>')
    for day, text in markers:
        if days and days[0] <= day <= days[-1]:
            x = left + (day - days[0]).days * slot + slot / 2
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{top + plot_h}" class="marker"/>'
                       f'<text x="{x + 3:.1f}" y="{top + plot_h + 28}" class="marker-text">{escape(text)}</text>')
    lx = left                                            # legend, with the same patterns
    for b in bands:
        label = escape(labels.get(b, b))
        out.append(f'<rect x="{lx}" y="8" width="14" height="12" fill="{_fill(prefix, b)}" stroke="#333" '
                   f'stroke-width="0.5"/><text x="{lx + 18}" y="18" class="legend">{label}</text>')
        lx += 26 + 7 * len(labels.get(b, b))
    out.append(f'<text x="{width - 8}" y="18" class="axis" text-anchor="end">{escape(unit)}</text>')
    out.append("</svg>")
    return "".join(out)


def heat_map(grid: list[list[int]], windows: list[dict], day_names: list[str], *, title: str,
             tall: bool = False) -> str:
    """Hour x weekday (Monday first), each cell's count written in it; the permitted window(s) of
    the rule pack framed. ``windows``: [{"days": ["mon", ...], "hours": [["10:00", "13:00"], ...]}].
    Wide: hours across, days down (a desktop); tall: days across, hours down (a phone held upright)."""
    weekdays = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    cw, ch = (40, 18) if tall else (28, 24)               # a cell's width and height
    left, top = (40, 24) if tall else (44, 10)
    cols, rows = (7, 24) if tall else (24, 7)
    width, height = left + cols * cw + 6, top + rows * ch + (6 if tall else 20)
    peak = max((v for row in grid for v in row), default=0) or 1

    def at(d: int, h: float) -> tuple[float, float]:      # top-left corner of (day, hour)
        return (left + d * cw, top + h * ch) if tall else (left + h * cw, top + d * ch)

    out = [f'<svg class="chart heat" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
           f'xmlns="http://www.w3.org/2000/svg">', f"<title>{escape(title)}</title>"]
    for d in range(7):
        x, y = at(d, 0)
        if tall:
            out.append(f'<text x="{x + cw / 2}" y="{top - 8}" class="axis" text-anchor="middle">{escape(day_names[d])}</text>')
        else:
            out.append(f'<text x="{left - 6}" y="{y + ch / 2 + 4:.1f}" class="axis" text-anchor="end">'
                       f'{escape(day_names[d])}</text>')
        for h in range(24):
            v = grid[d][h]
            x, y = at(d, h)
            shade = 0 if not v else 0.15 + 0.85 * v / peak
            out.append(f'<rect x="{x}" y="{y}" width="{cw}" height="{ch}" class="cell" '
                       f'fill="rgba(178,58,58,{shade:.2f})"><title>{escape(day_names[d])} {h:02d}:00: {v}</title></rect>')
            if v:
                colour = "#fff" if shade > 0.6 else "#111"
                out.append(f'<text x="{x + cw / 2}" y="{y + ch / 2 + 4:.1f}" class="count" '
                           f'text-anchor="middle" fill="{colour}">{v}</text>')
    for window in windows:
        for day in window.get("days", ()):
            d = weekdays.index(day)
            for start, end in window.get("hours", ()):
                h0 = int(start[:2]) + int(start[3:5]) / 60
                h1 = int(end[:2]) + int(end[3:5]) / 60
                x, y = at(d, h0)
                if tall:
                    out.append(f'<rect x="{x + 1.5}" y="{y:.1f}" width="{cw - 3}" height="{(h1 - h0) * ch:.1f}" class="window"/>')
                else:
                    out.append(f'<rect x="{x:.1f}" y="{y + 1.5}" width="{(h1 - h0) * cw:.1f}" height="{ch - 3}" class="window"/>')
    for h in range(0, 24, 1 if tall else 2):
        x, y = at(0, h)
        if tall:
            out.append(f'<text x="{left - 6}" y="{y + ch / 2 + 4:.1f}" class="axis" text-anchor="end">{h:02d}</text>')
        else:
            out.append(f'<text x="{x + cw / 2}" y="{top + 7 * ch + 14}" class="axis" text-anchor="middle">{h:02d}</text>')
    out.append("</svg>")
    return "".join(out)
