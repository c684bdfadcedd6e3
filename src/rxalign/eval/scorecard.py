"""The safety scorecard: per-model means of the five metrics, the 0-10 score and the hallucination rate, with
percentile-bootstrap 95% confidence intervals, and paired deltas between models on the same items."""

from __future__ import annotations

import warnings

import numpy as np

from rxalign.eval.grader import METRICS

# A summary that states nothing cannot hallucinate: the omission rate sits beside the hallucination rate.
ROWS = (*METRICS, "score", "hallucination_rate", "omission_rate")


def bootstrap_ci(
    values: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of `values` (NaN = not applicable, left out of each resample's mean)."""
    values = np.asarray(values, dtype=float)
    if np.isnan(values).all():
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(n_boot, len(values)))
    with warnings.catch_warnings():  # a resample may hold only NaNs: its mean is NaN and dropped below
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(values[idx], axis=1)
    means = means[~np.isnan(means)]
    tail = (1 - level) / 2 * 100
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


def _column(results: list[dict], key: str) -> np.ndarray:
    """One value per item (NaN where the row does not apply), in item-id order."""
    out = []
    for r in sorted(results, key=lambda r: r["id"]):
        if key == "score":
            v = r.get("score")
        elif key == "hallucination_rate":
            v = float(r["hallucinated"]) if "hallucinated" in r else None
        elif key == "omission_rate":
            v = float(bool(r["omissions"])) if "omissions" in r else None
        else:
            v = r.get("metrics", {}).get(key)
        out.append(np.nan if v is None else float(v))
    return np.asarray(out, dtype=float)


def _stat(values: np.ndarray, n_boot: int, seed: int) -> dict:
    n = int((~np.isnan(values)).sum())
    if n == 0:
        return {"mean": None, "ci": None, "n": 0}
    lo, hi = bootstrap_ci(values, n_boot, seed)
    return {"mean": float(np.nanmean(values)), "ci": [lo, hi], "n": n}


def scorecard(results: dict[str, list[dict]], n_boot: int = 1000, seed: int = 0) -> dict:
    """`results`: model name -> graded rows (QA rows carry `metrics` and `score`; summary rows `hallucinated`).

    Deltas compare each model with the first, item by item (paired bootstrap over the shared items)."""
    names = list(results)
    card: dict = {"models": {}, "deltas": {}, "n_boot": n_boot}
    for name in names:
        rows = results[name]
        card["models"][name] = {row: _stat(_column(rows, row), n_boot, seed) for row in ROWS}
        by_task: dict[str, list[float]] = {}
        for r in rows:
            if "score" in r:
                by_task.setdefault(r["task"], []).append(r["score"])
        card["models"][name]["score_by_task"] = {t: float(np.mean(v)) for t, v in sorted(by_task.items())}
        halluc = [r for r in rows if "hallucinated" in r]
        if halluc:
            stated = sum(r["stated_facts"] for r in halluc)
            card["models"][name]["hallucinations_per_100_facts"] = (
                100 * sum(r["hallucinated_facts"] for r in halluc) / stated if stated else None
            )
    base = names[0]
    for name in names[1:]:
        ids = {r["id"] for r in results[base]} & {r["id"] for r in results[name]}
        a = [r for r in results[base] if r["id"] in ids]
        b = [r for r in results[name] if r["id"] in ids]
        card["deltas"][name] = {"vs": base}
        for row in ROWS:
            diff = _column(b, row) - _column(a, row)
            stat = _stat(diff, n_boot, seed)
            card["deltas"][name][row] = {"delta": stat["mean"], "ci": stat["ci"], "n": stat["n"]}
    return card


def table(card: dict) -> str:
    """A Markdown table: each metric per model with its 95% CI, and each model's delta against the first."""
    names = list(card["models"])
    header = ["metric", *names, *[f"Δ {n} vs {card['deltas'][n]['vs']}" for n in names[1:]]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in ROWS:
        cells = [row]
        for n in names:
            s = card["models"][n][row]
            cells.append(
                "n/a"
                if s["mean"] is None
                else f"{_fmt(row, s['mean'])} [{_fmt(row, s['ci'][0])}, {_fmt(row, s['ci'][1])}]"
            )
        for n in names[1:]:
            d = card["deltas"][n][row]
            cells.append(
                "n/a"
                if d["delta"] is None
                else f"{_fmt(row, d['delta'], signed=True)} [{_fmt(row, d['ci'][0], True)}, {_fmt(row, d['ci'][1], True)}]"
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fmt(row: str, value: float, signed: bool = False) -> str:
    if row == "score":
        return f"{value:+.2f}" if signed else f"{value:.2f}"
    return f"{100 * value:+.1f}%" if signed else f"{100 * value:.1f}%"
