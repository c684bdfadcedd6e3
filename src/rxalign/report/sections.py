"""One section of the report per stage: its figures, tables and curves, from the stage's files."""

from __future__ import annotations

from pathlib import Path

from rxalign.errors import UserError
from rxalign.eval.scorecard import SPLITS
from rxalign.report import plots
from rxalign.report.common import (
    AUDIT_FLAGS,
    SCORECARD_ROWS,
    SPLIT_ROWS,
    fmt,
    last_with,
    member_metrics,
    optional_json,
    read_json,
    read_jsonl,
    score,
    summary_items,
)
from rxalign.report.plots import Panel, finite, line

# ---- sections --------------------------------------------------------------------------------------------------


def lm_section(path: Path, stage: str) -> dict:
    """Pretraining or SFT: training and validation loss."""
    records = read_jsonl(path / "metrics.jsonl")
    summary = optional_json(path / "summary.json")
    hlines = []
    if stage == "pretrain" and summary and finite(summary.get("ln_vocab")):
        hlines.append((summary["ln_vocab"], f"uniform guess ln V = {summary['ln_vocab']:.2f}"))
    figure = plots.panels(
        [
            Panel(
                "Loss (nats per token)",
                [line(records, "loss", "train"), line(records, "val_loss", "validation")],
                hlines=hlines,
            ),
            Panel("Learning rate", [line(records, "lr", "lr")]),
        ]
    )
    return {
        "figure": figure,
        "summary": summary_items(summary),
        "finished": summary is not None,
        "raw": summary,
    }


def reward_section(path: Path) -> dict:
    summary = optional_json(path / "summary.json")
    members = [(name, read_jsonl(p)) for name, p in member_metrics(path)]
    accuracy, margin = [], []
    for j, (name, records) in enumerate(members):
        color = plots.COLORS[j % len(plots.COLORS)]
        accuracy += [
            line(records, "accuracy", f"{name} train", style="--", color=color),
            line(records, "val_accuracy", f"{name} validation", color=color),
        ]
        margin += [
            line(records, "margin", f"{name} train", style="--", color=color),
            line(records, "val_margin", f"{name} validation", color=color),
        ]
    figure = plots.panels(
        [
            Panel(
                "Accuracy (chosen scored above rejected)", accuracy, percent=True, hlines=[(0.5, "chance")]
            ),
            Panel("Margin r(chosen) − r(rejected)", margin, hlines=[(0.0, "zero")]),
        ]
    )
    table = []
    for name, records in members:
        last = last_with(records, "val_accuracy")
        table.append(
            {
                "name": name,
                "step": last.get("step"),
                "val_accuracy": last.get("val_accuracy"),
                "val_gold_accuracy": last.get("val_gold_accuracy"),
                "val_margin": last.get("val_margin"),
                "val_loss": last.get("val_loss"),
            }
        )
    calibration = (summary or {}).get("calibration") or {}
    return {
        "figure": figure,
        "members": table,
        "calibration": calibration.get("bins") or [],
        "by_tiers": (summary or {}).get("val_accuracy_gold_by_tiers") or {},
        "summary": summary_items(summary, skip=("stage", "val_accuracy_gold_by_tiers")),
        "finished": summary is not None,
    }


def ppo_section(path: Path) -> dict:
    records = read_jsonl(path / "metrics.jsonl")
    summary = optional_json(path / "summary.json")
    target = kl_target(path, summary)
    x = "iteration"
    kl_ref = [(0.0, "zero")] + ([(target, f"target {target:g} (k1, per token)")] if finite(target) else [])
    # Each iteration scores a different slice of the prompts: a trailing mean shows the trend through that noise.
    rm = line(records, "rm_score_mean", "RM mean", x, color=plots.COLORS[0])
    gold = line(records, "gold_score_mean", "gold", x, color=plots.COLORS[2])
    window = max(len(rm.x) // 10, min(10, len(rm.x) // 4))
    used = line(records, "reward_used_mean", "score fed to PPO", x, style="--", color=plots.COLORS[1])
    figure = plots.panels(
        [
            Panel("Reward-model ensemble score", [*plots.with_trend(rm, window), used], xlabel=x),
            Panel("Gold score (rubric grader, 0-10)", plots.with_trend(gold, window), xlabel=x),
            Panel(
                "KL to the reference (nats per token)",
                [line(records, "kl_k1_mean", "k1", x), line(records, "kl_k3_mean", "k3", x)],
                xlabel=x,
                hlines=kl_ref,
            ),
            Panel("KL coefficient β", [line(records, "beta", "β", x)], xlabel=x),
            Panel(
                "Clip fraction",
                [
                    line(records, "clipfrac", "policy", x),
                    line(records, "value_clipfrac", "value", x, style="--"),
                ],
                xlabel=x,
                percent=True,
            ),
            Panel(
                "Mean response length (tokens)",
                [line(records, "response_length_mean", "mean length", x)],
                xlabel=x,
            ),
        ],
        cols=3,
    )
    kl_problems = [(r.get("iteration"), r["kl_problem"]) for r in records if r.get("kl_problem")]
    return {
        "figure": figure,
        "summary": summary_items(summary),
        "finished": summary is not None,
        "kl_problems": kl_problems,
        "audit": audit_section(records),
        "records": records,
    }


def kl_target(path: Path, summary: dict | None):
    """The PPO KL target (mean k1 per response token): from summary.json, else from the resolved config.yaml."""
    if summary and finite(summary.get("kl_target")):
        return summary["kl_target"]
    if not (path / "config.yaml").is_file():
        return None
    import yaml

    try:
        cfg = yaml.safe_load((path / "config.yaml").read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return None
    kl = cfg.get("kl") if isinstance(cfg, dict) else None
    return kl.get("target") if isinstance(kl, dict) else None


def audit_section(records: list[dict]) -> dict:
    """Which reward-hacking flags fired at each PPO iteration: counts, a raster, and runs of equal flag sets."""
    audited = [r for r in records if finite(r.get("iteration")) and isinstance(r.get("audit_flags"), list)]
    iterations = [int(r["iteration"]) for r in audited]
    fired = [set(r["audit_flags"]) for r in audited]
    kinds = list(AUDIT_FLAGS) + sorted({k for f in fired for k in f} - set(AUDIT_FLAGS))
    counts = []
    for kind in kinds:
        its = [it for it, f in zip(iterations, fired, strict=True) if kind in f]
        counts.append(
            {
                "kind": kind,
                "meaning": AUDIT_FLAGS.get(kind, ""),
                "times": sum(r["audit_flags"].count(kind) for r in audited),
                "iterations": len(its),
                "first": its[0] if its else None,
                "last": its[-1] if its else None,
            }
        )
    runs: list[dict] = []  # consecutive iterations with the same set of flags
    for it, f in zip(iterations, fired, strict=True):
        if runs and runs[-1]["flags"] == sorted(f) and runs[-1]["last"] == it - 1:
            runs[-1]["last"] = it
        else:
            runs.append({"first": it, "last": it, "flags": sorted(f)})
    return {
        "n": len(audited),
        "flagged": sum(bool(f) for f in fired),
        "counts": counts,
        "runs": runs,
        "figure": plots.flag_raster(iterations, fired, kinds),
    }


def dpo_section(path: Path) -> dict:
    records = read_jsonl(path / "metrics.jsonl")
    summary = optional_json(path / "summary.json")
    stats = optional_json(path / "dpo_training_stats.json") or {}
    figure = plots.panels(
        [
            Panel("Loss", [line(records, "loss", "train"), line(records, "val_loss", "validation")]),
            Panel(
                "Chosen preference (reward chosen > rejected)",
                [
                    line(records, "rewards/accuracies", "train"),
                    line(records, "val_rewards/accuracies", "validation"),
                ],
                percent=True,
                hlines=[(0.5, "chance")],
            ),
            Panel(
                "Reward margin (chosen − rejected)",
                [
                    line(records, "rewards/margins", "train"),
                    line(records, "val_rewards/margins", "validation"),
                ],
                hlines=[(0.0, "zero")],
            ),
            Panel(
                "Implicit rewards (validation)",
                [
                    line(records, "val_rewards/chosen", "chosen"),
                    line(records, "val_rewards/rejected", "rejected"),
                ],
            ),
            Panel(
                "Log-probability (validation, sum over tokens)",
                [
                    line(records, "val_logps/chosen", "chosen"),
                    line(records, "val_logps/rejected", "rejected"),
                ],
            ),
        ],
        cols=3,
    )
    troubleshooting = [
        t if isinstance(t, dict) else {"problem": str(t), "rule": "", "advice": ""}
        for t in stats.get("troubleshooting", (summary or {}).get("troubleshooting", []))
    ]
    return {
        "figure": figure,
        "epochs": stats.get("epochs") or (summary or {}).get("epochs") or [],
        "step_0": stats.get("step_0") or {},
        "troubleshooting": troubleshooting,
        "summary": summary_items(summary, skip=("stage", "troubleshooting")),
        "finished": summary is not None,
        "records": records,
    }


def data_section(path: Path) -> dict:
    manifest = read_json(path / "manifest.json")
    agreement = manifest.get("agreement") or {}
    threshold = ((manifest.get("config") or {}).get("annotators") or {}).get("kappa_threshold")
    return {
        "counts": sorted((manifest.get("counts") or {}).items()),
        "overall": agreement.get("overall") or {},
        "batches": agreement.get("batches") or [],
        "majority_matches_gold": agreement.get("majority_matches_gold"),
        "below": agreement.get("batches_below_threshold"),
        "threshold": threshold,
        "leakage": manifest.get("leakage") or {},
        "heldout_drugs": manifest.get("heldout_drugs") or [],
        "seed": manifest.get("seed"),
    }


def showcase_ids(run_dir: Path) -> list[str]:
    """The five queries of the seed guide: the run's own data/eval/showcase.jsonl, else the bundled set's ids."""
    path = run_dir / "data" / "eval" / "showcase.jsonl"
    if path.is_file():
        return [r["id"] for r in read_jsonl(path) if "id" in r]
    from rxalign.data.generate import showcase_rows
    from rxalign.data.kb import load_kb

    return [r["id"] for r in showcase_rows(load_kb())]


def eval_section(path: Path, run_dir: Path) -> dict:
    card = read_json(path / "scorecard.json")
    models = list(card.get("models") or {})
    if not models:
        raise UserError(f"{path / 'scorecard.json'}: holds no models")
    stats = card["models"]
    rows = []
    for key, label, _, is_rate, higher_better in SCORECARD_ROWS:
        if not any(key in stats[m] for m in models):
            continue
        n = next((stats[m][key].get("n") for m in models if key in stats[m]), None)
        cells = []
        for m in models:
            s = stats[m].get(key) or {}
            cells.append(_ci_cell(s.get("mean"), s.get("ci"), is_rate))
        deltas = []
        for m in models[1:]:
            d = (card.get("deltas") or {}).get(m, {}).get(key) or {}
            delta, ci = d.get("delta"), d.get("ci")
            verdict = ""
            if finite(delta) and ci and all(finite(c) for c in ci) and (ci[0] > 0 or ci[1] < 0):
                verdict = "better" if (ci[0] > 0) == higher_better else "worse"
            deltas.append({"text": _ci_cell(delta, ci, is_rate, signed=True), "verdict": verdict})
        rows.append({"label": label, "n": n, "cells": cells, "deltas": deltas})
    tasks = sorted({t for m in models for t in (stats[m].get("score_by_task") or {})})
    by_task = [(t, [score(stats[m].get("score_by_task", {}).get(t)) for m in models]) for t in tasks]
    figure = plots.scorecard_bars(
        models, [(k, short, is_rate) for k, _, short, is_rate, _ in SCORECARD_ROWS], stats
    )
    config = card.get("config") or {}
    return {
        "models": models,
        "baseline": models[0],
        "delta_heads": [
            f"Δ {m} vs {(card.get('deltas') or {}).get(m, {}).get('vs', models[0])}" for m in models[1:]
        ],
        "rows": rows,
        "by_task": by_task,
        "per_100_facts": [fmt(stats[m].get("hallucinations_per_100_facts")) for m in models],
        "figure": figure,
        "eval_sets": sorted((card.get("eval_sets") or {}).items()),
        "sources": card.get("sources") or {},
        "decoding": (
            f"sampled at temperature {config.get('temperature')}" if config.get("do_sample") else "greedy"
        )
        + (f", at most {config['max_new_tokens']} new tokens" if "max_new_tokens" in config else ""),
        "n_boot": card.get("n_boot"),
        "splits": split_table(card, models),
        "examples": showcase(path, models, showcase_ids(run_dir)),
    }


def split_table(card: dict, models: list[str]) -> dict | None:
    """Each model's held-out and in-distribution means side by side, metric by metric; None where the card has
    no in-distribution split (runs evaluated before it, or on other sets)."""
    splits = card.get("splits") or {}
    if not splits.get("in_distribution"):
        return None
    meta = {key: (label, is_rate) for key, label, _, is_rate, _ in SCORECARD_ROWS}
    parts = [splits.get(name) or {} for name in SPLITS]
    rows = []
    for m in models:
        cells = []
        for key in SPLIT_ROWS:
            for part in parts:
                s = (part.get(m) or {}).get(key) or {}
                cells.append(_ci_cell(s.get("mean"), None, meta[key][1]))
        rows.append({"label": m, "cells": cells})
    return {
        "heads": [meta[key][0] for key in SPLIT_ROWS],
        "splits": [
            {
                "heading": heading,
                "note": note,
                "n": next((part[m]["score"].get("n") for m in models if "score" in part.get(m, {})), None),
            }
            for (heading, note), part in zip(SPLITS.values(), parts, strict=True)
        ],
        "rows": rows,
    }


def _ci_cell(mean, ci, is_rate: bool, signed: bool = False) -> str:
    if not finite(mean):
        return "n/a"

    def one(v) -> str:
        if not finite(v):
            return "?"
        if is_rate:
            return f"{100 * v:+.1f}" if signed else f"{100 * v:.1f}"
        return f"{v:+.2f}" if signed else f"{v:.2f}"

    text = one(mean) + ("%" if is_rate else "")
    if ci and len(ci) == 2:
        text += f" [{one(ci[0])}, {one(ci[1])}]"
    return text


def showcase(path: Path, models: list[str], ids: list[str]) -> dict:
    """Each showcase query with every model's answer and gold score, side by side."""
    by_model: dict[str, dict[str, dict]] = {}
    missing = []
    for m in models:
        f = path / "responses" / f"{m.replace('/', '_')}.jsonl"
        if f.is_file():
            # an in-distribution question may share a showcase query's id, in its own phrasing
            by_model[m] = {r.get("id"): r for r in read_jsonl(f) if r.get("split") != "in_distribution"}
        else:
            missing.append(m)
    queries = []
    for item_id in ids:
        answers = [by_model.get(m, {}).get(item_id) for m in models]
        if not any(answers):
            continue
        first = next(a for a in answers if a)
        queries.append(
            {
                "id": item_id,
                "prompt": first.get("prompt", ""),
                "task": first.get("task", ""),
                "answers": [
                    None
                    if a is None
                    else {
                        "text": a.get("answer", ""),
                        "score": a.get("score"),
                        "criteria": a.get("criteria") or [],
                    }
                    for a in answers
                ],
            }
        )
    return {"queries": queries, "missing_models": missing}
