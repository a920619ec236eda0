"""Charts for the PDF, drawn with matplotlib (Agg, no display) into PNG bytes: calls per day
stacked by outcome, and an hour x weekday map with the permitted calling window drawn on it."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from callwatch.detect.rules import WEEKDAYS  # noqa: E402

_STYLE = {"font.size": 7, "font.family": "DejaVu Sans", "axes.spines.top": False, "axes.spines.right": False}
KINDS = ("silent", "answered", "missed", "other")
COLOURS = {"silent": "#c0392b", "answered": "#2e86c1", "missed": "#f5b041", "other": "#95a5a6"}


def _kind(call) -> str:
    if "silent" in call["signals"].split(","):
        return "silent"
    if call["outcome"] in ("answered", "missed"):
        return call["outcome"]
    return "other"


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=160, facecolor="white", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def per_day(calls, labels: dict[str, str]) -> bytes:
    first = date.fromisoformat(calls[0]["local_date"])
    last = date.fromisoformat(calls[-1]["local_date"])
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    counts = {k: Counter() for k in KINDS}
    for c in calls:
        counts[_kind(c)][c["local_date"]] += 1
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(7.0, 2.4))
        bottom = np.zeros(len(days))
        x = np.arange(len(days))
        for kind in KINDS:
            values = np.array([counts[kind][d.isoformat()] for d in days])
            ax.bar(x, values, bottom=bottom, width=0.85, color=COLOURS[kind], label=labels[kind], linewidth=0)
            bottom += values
        step = max(1, len(days) // 10)
        ax.set_xticks(x[::step], [d.isoformat() for d in days[::step]], rotation=30, ha="right")
        ax.set_ylabel(labels["calls_per_day"])
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.legend(ncols=4, frameon=False, loc="upper left", bbox_to_anchor=(0, 1.15))
        fig.tight_layout()
        return _png(fig)


def heat_map(calls, windows: list[dict], labels: dict[str, str], day_names: list[str]) -> bytes:
    """Calls per weekday and local hour, the permitted window framed. Where the rules exclude
    public holidays, calls on a holiday get a row of their own, outside any frame: drawn in
    their weekday's row they would sit inside the frame although no call was permitted then."""
    holidays_apart = any(w.get("exclude_holidays") for w in windows)
    on_holiday = [holidays_apart and "holiday" in c["signals"].split(",") for c in calls]
    rows = 8 if any(on_holiday) else 7
    grid = np.zeros((rows, 24), dtype=int)
    for c, holiday in zip(calls, on_holiday):
        wd = 7 if holiday else date.fromisoformat(c["local_date"]).weekday()
        grid[wd, int(c["local_time"][:2])] += 1
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(7.0, 2.6 if rows == 7 else 2.9))
        cmap = matplotlib.colormaps["Reds"].with_extremes(bad="white")   # hours without calls stay blank
        ax.imshow(np.ma.masked_equal(grid, 0), cmap=cmap, aspect="auto", vmin=0, vmax=max(grid.max(), 1),
                  interpolation="nearest")
        for wd in range(rows):
            for h in range(24):
                if grid[wd, h]:
                    ax.text(h, wd, str(grid[wd, h]), ha="center", va="center", fontsize=5.5,
                            color="white" if grid[wd, h] > grid.max() * 0.6 else "black")
        for window in windows:                      # the permitted calling window(s) of the rule pack
            for day in window["days"]:
                wd = WEEKDAYS.index(day)
                for start, end in window["hours"]:
                    a = int(start[:2]) + int(start[3:]) / 60
                    b = int(end[:2]) + int(end[3:]) / 60
                    ax.add_patch(Rectangle((a - 0.5, wd - 0.5), b - a, 1, fill=False, edgecolor="#1e8449",
                                           linewidth=1.2))
        ax.set_yticks(range(rows), list(day_names) + ([labels["holidays"]] if rows == 8 else []))
        ax.set_xticks(range(24), [f"{h}" for h in range(24)])
        ax.set_xlabel(labels["hour"])
        ax.spines[:].set_visible(False)
        fig.tight_layout()
        return _png(fig)
