"""The safety scorecard: per-model means of the five metrics, the 0-10 score and the hallucination rate, with
percentile-bootstrap 95% confidence intervals, and paired deltas between models on the same items.

The headline (`models`, `deltas`) is the held-out split: questions on held-out drugs, the seed guide's showcase
queries and the note summaries. `splits` adds the in-distribution split beside it: training drugs asked in
phrasings no training file uses."""

from __future__ import annotations

import warnings

import numpy as np

from rxalign.eval.grader import METRICS

# A summary that states nothing cannot hallucinate: the omission rate sits beside the hallucination rate.
ROWS = (*METRICS, "score", "hallucination_rate", "omission_rate")
QA_ROWS = (*METRICS, "score")

# Each split's heading and what it holds, in one line.
SPLITS = {
    "heldout": (
        "Held-out drugs (transfer, the headline)",
        "Questions on drugs held out of training, the seed guide's showcase queries and the note summaries.",
    ),
    "in_distribution": (
        "Training drugs in unseen phrasings (in-distribution)",
        "Questions on drugs whose answers training saw, asked in phrasings no training file uses.",
    ),
}


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


def model_stats(rows: list[dict], keys: tuple[str, ...], n_boot: int, seed: int) -> dict:
    """One model's metrics over `rows`: each of `keys` with its CI, the mean score per task and, where there are
    summaries, hallucinated facts per 100 stated."""
    stats: dict = {key: _stat(_column(rows, key), n_boot, seed) for key in keys}
    by_task: dict[str, list[float]] = {}
    for r in rows:
        if "score" in r:
            by_task.setdefault(r["task"], []).append(r["score"])
    stats["score_by_task"] = {t: float(np.mean(v)) for t, v in sorted(by_task.items())}
    halluc = [r for r in rows if "hallucinated" in r]
    if halluc:
        stated = sum(r["stated_facts"] for r in halluc)
        stats["hallucinations_per_100_facts"] = (
            100 * sum(r["hallucinated_facts"] for r in halluc) / stated if stated else None
        )
    return stats


def scorecard(results: dict[str, list[dict]], n_boot: int = 1000, seed: int = 0) -> dict:
    """`results`: model name -> graded rows (QA rows carry `metrics` and `score`; summary rows `hallucinated`),
    each in its `split` ("heldout" where the row has none).

    `models` and `deltas` are over the held-out rows; `splits` holds both splits' per-model metrics (the
    in-distribution split only where it has rows, and only its QA rows). Deltas compare each model with the
    first, item by item (paired bootstrap over the shared items)."""
    heldout = {
        name: [r for r in rows if r.get("split", "heldout") == "heldout"] for name, rows in results.items()
    }
    trained = {
        name: [r for r in rows if r.get("split") == "in_distribution" and "score" in r]
        for name, rows in results.items()
    }
    models = {name: model_stats(rows, ROWS, n_boot, seed) for name, rows in heldout.items()}
    card: dict = {"models": models, "deltas": _deltas(heldout, n_boot, seed), "n_boot": n_boot}
    card["splits"] = {"heldout": models}
    if any(trained.values()):
        card["splits"]["in_distribution"] = {
            name: model_stats(rows, QA_ROWS, n_boot, seed) for name, rows in trained.items()
        }
    return card


def _deltas(results: dict[str, list[dict]], n_boot: int, seed: int) -> dict:
    """Each model's paired difference from the first model on the items both answered."""
    names = list(results)
    deltas: dict = {}
    base = names[0]
    for name in names[1:]:
        ids = {r["id"] for r in results[base]} & {r["id"] for r in results[name]}
        a = [r for r in results[base] if r["id"] in ids]
        b = [r for r in results[name] if r["id"] in ids]
        deltas[name] = {"vs": base}
        for row in ROWS:
            diff = _column(b, row) - _column(a, row)
            stat = _stat(diff, n_boot, seed)
            deltas[name][row] = {"delta": stat["mean"], "ci": stat["ci"], "n": stat["n"]}
    return deltas


def table(card: dict) -> str:
    """Markdown: the held-out split's table (each metric per model with its 95% CI, and each model's delta against
    the first), then, where the card has one, the in-distribution split's table under its own heading."""
    parts = [(SPLITS["heldout"], _table(card["models"], card["deltas"], ROWS))]
    trained = card.get("splits", {}).get("in_distribution")
    if trained:
        parts.append((SPLITS["in_distribution"], _table(trained, {}, QA_ROWS)))
    return "\n\n".join(f"## {heading}\n\n{note}\n\n{md}" for (heading, note), md in parts)


def _table(models: dict, deltas: dict, rows: tuple[str, ...]) -> str:
    """Each of `rows` per model with its 95% CI, and the delta of each model in `deltas` against its baseline."""
    names = list(models)
    compared = [n for n in names if n in deltas]
    header = ["metric", *names, *[f"Δ {n} vs {deltas[n]['vs']}" for n in compared]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row]
        for n in names:
            s = models[n][row]
            cells.append(
                "n/a"
                if s["mean"] is None
                else f"{_fmt(row, s['mean'])} [{_fmt(row, s['ci'][0])}, {_fmt(row, s['ci'][1])}]"
            )
        for n in compared:
            d = deltas[n][row]
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
