"""The report's figures: matplotlib through the Agg canvas (no pyplot, no display), each returned as a base64 PNG
data URI so the HTML file stands alone. Missing, None and NaN values are left out of a line, never plotted as 0."""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass, field

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MAX_POINTS = 2000  # a line with more points is thinned evenly (the last point is always kept)
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


@dataclass
class Line:
    label: str
    x: list[float]
    y: list[float]
    style: str = "-"
    color: str | None = None
    alpha: float = 1.0


@dataclass
class Panel:
    title: str
    lines: list[Line]
    ylabel: str = ""
    xlabel: str = "step"
    hlines: list[tuple[float, str]] = field(default_factory=list)  # reference lines: (y, label)
    percent: bool = False  # y in [0, 1], shown as percent

    @property
    def empty(self) -> bool:
        return not any(line.x for line in self.lines)


def finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def series(records: list[dict], key: str, x_key: str = "step") -> tuple[list[float], list[float]]:
    """(x, y) over the records holding a finite number under both `x_key` and `key`."""
    pairs = [(r[x_key], r[key]) for r in records if finite(r.get(x_key)) and finite(r.get(key))]
    return [x for x, _ in pairs], [y for _, y in pairs]


def line(records: list[dict], key: str, label: str, x_key: str = "step", **style) -> Line:
    x, y = series(records, key, x_key)
    return Line(label, x, y, **style)


def with_trend(ln: Line, window: int) -> list[Line]:
    """The line faint plus its trailing mean over `window` points (fewer at the start); the line alone for window < 2."""
    if window < 2:
        return [ln]
    means = []
    for i in range(len(ln.y)):
        part = ln.y[max(0, i - window + 1) : i + 1]
        means.append(sum(part) / len(part))
    return [
        Line(ln.label, ln.x, ln.y, "-", ln.color, alpha=0.35),
        Line(f"{ln.label}, trailing mean of {window}", ln.x, means, "-", ln.color),
    ]


def _thin(x: list[float], y: list[float]) -> tuple[list[float], list[float]]:
    if len(x) <= MAX_POINTS:
        return x, y
    stride = math.ceil(len(x) / MAX_POINTS)
    keep = list(range(0, len(x), stride))
    if keep[-1] != len(x) - 1:
        keep.append(len(x) - 1)
    return [x[i] for i in keep], [y[i] for i in keep]


def to_data_uri(fig: Figure) -> str:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def panels(panel_list: list[Panel], cols: int = 2, height: float = 3.0) -> str | None:
    """A grid of line plots, one per panel; None when no panel has a single point."""
    if all(p.empty for p in panel_list):
        return None
    cols = min(cols, len(panel_list))
    rows = math.ceil(len(panel_list) / cols)
    fig = Figure(figsize=(11, height * rows), layout="constrained")
    for i, p in enumerate(panel_list):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.set_title(p.title, fontsize=11)
        ax.set_xlabel(p.xlabel, fontsize=9)
        if p.ylabel:
            ax.set_ylabel(p.ylabel, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        if p.empty:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="gray")
            continue
        for j, ln in enumerate(p.lines):
            if not ln.x:
                continue
            x, y = _thin(ln.x, ln.y)
            marker = "o" if len(x) <= 30 else None
            ax.plot(
                x,
                y,
                ln.style,
                label=ln.label,
                color=ln.color or COLORS[j % len(COLORS)],
                marker=marker,
                markersize=3,
                linewidth=1.4 if ln.alpha == 1.0 else 1.0,
                alpha=ln.alpha,
            )
        for y, label in p.hlines:
            ax.axhline(y, color="gray", linestyle=":", linewidth=1, label=label)
        if p.percent:
            ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.legend(fontsize=8, loc="best")
    return to_data_uri(fig)


def flag_raster(iterations: list[int], fired: list[set[str]], kinds: list[str]) -> str | None:
    """One row per audit flag kind, a mark at every iteration where it fired."""
    if not iterations:
        return None
    fig = Figure(figsize=(11, 0.45 * len(kinds) + 1.0), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    for row, kind in enumerate(kinds):
        xs = [it for it, f in zip(iterations, fired, strict=True) if kind in f]
        ax.scatter(xs, [row] * len(xs), marker="s", s=18, color=COLORS[3])
    ax.set_yticks(range(len(kinds)), kinds, fontsize=9)
    ax.set_ylim(-0.6, len(kinds) - 0.4)
    ax.set_xlim(min(iterations) - 0.5, max(iterations) + 0.5)
    ax.set_xlabel("PPO iteration", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    return to_data_uri(fig)


def scorecard_bars(
    models: list[str],
    rows: list[tuple[str, str, bool]],
    stats: dict[str, dict[str, dict]],
) -> str | None:
    """Grouped bars of each model's mean with its 95% CI: the rates (0-100%) left, the 0-10 score right.

    rows: (key, label, is_rate); stats[model][key] = {"mean", "ci"} (mean None when not applicable)."""
    rates = [(k, label) for k, label, is_rate in rows if is_rate]
    scores = [(k, label) for k, label, is_rate in rows if not is_rate]
    if not models or not any(finite(stats[m].get(k, {}).get("mean")) for m in models for k, _, _ in rows):
        return None
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    grid = fig.add_gridspec(1, 5)
    for axis_rows, ax, scale in (
        (rates, fig.add_subplot(grid[0, :4]), 100.0),
        (scores, fig.add_subplot(grid[0, 4]), 1.0),
    ):
        if not axis_rows:
            ax.set_visible(False)
            continue
        width = 0.8 / len(models)
        for j, m in enumerate(models):
            xs, means, lo, hi = [], [], [], []
            for i, (k, _) in enumerate(axis_rows):
                s = stats[m].get(k) or {}
                if not finite(s.get("mean")):
                    continue
                ci = s.get("ci") or [s["mean"], s["mean"]]
                ci = [c if finite(c) else s["mean"] for c in ci]
                xs.append(i - 0.4 + width * (j + 0.5))
                means.append(s["mean"] * scale)
                lo.append(max(0.0, (s["mean"] - ci[0]) * scale))
                hi.append(max(0.0, (ci[1] - s["mean"]) * scale))
            ax.bar(xs, means, width, color=COLORS[j % len(COLORS)], label=m)
            ax.errorbar(xs, means, yerr=[lo, hi], fmt="none", ecolor="black", elinewidth=1, capsize=2)
        ax.set_xticks(range(len(axis_rows)), [label for _, label in axis_rows], fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", alpha=0.3)
        if scale == 100.0:
            ax.set_ylim(0, 105)
            ax.set_ylabel("% (mean, 95% CI)", fontsize=9)
            ax.legend(fontsize=8, ncols=len(models), loc="upper left")
        else:
            ax.set_ylim(0, 10.5)
            ax.set_ylabel("0-10", fontsize=9)
    return to_data_uri(fig)
