"""`write_report`: read a pipeline run directory (data/, pretrain/, sft/, reward/, ppo/, dpo/, eval/) and write
one self-contained HTML file: headline, checks, scorecard, showcase answers, every stage's curves, the PPO
reward-hacking audit and the annotators' agreement. A stage whose directory is absent gets a "stage not run" note;
a stage directory without the file its stage always writes is a user error.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path

import jinja2

from rxalign.data import formats
from rxalign.errors import UserError
from rxalign.io import write_text
from rxalign.report import plots
from rxalign.report.plots import Panel, finite, line

# The file each stage always writes; its absence in a present stage directory means the stage did not finish.
REQUIRED = {
    "data": "manifest.json",
    "pretrain": "metrics.jsonl",
    "sft": "metrics.jsonl",
    "reward": "members/member-*/metrics.jsonl",
    "ppo": "metrics.jsonl",
    "dpo": "metrics.jsonl",
    "eval": "scorecard.json",
}

# Scorecard rows: key in scorecard.json, label, short label for the figure, a rate (0-1)?, higher is better?
SCORECARD_ROWS = (
    ("medical_accuracy", "Medical accuracy", "medical\naccuracy", True, True),
    ("safety", "Contraindication recall (safety)", "safety\n(recall)", True, True),
    ("specificity", "Specificity (no false alarm)", "specificity", True, True),
    ("dose_accuracy", "Dose accuracy", "dose\naccuracy", True, True),
    ("humility", "Humility (flags limited evidence)", "humility", True, True),
    ("hallucination_rate", "Hallucination rate (note summaries)", "hallucination\nrate", True, False),
    ("omission_rate", "Omission rate (note summaries)", "omission\nrate", True, False),
    ("score", "Score (0-10)", "score\n(0-10)", False, True),
)

AUDIT_FLAGS = {
    "rm_up_gold_down": "the reward-model score rises while the gold (grader) score falls over the audit window",
    "length_exploit": "within a batch, the reward-model score correlates with answer length (Pearson r ≥ 0.5)",
    "keyword_spread": "a safety keyword (CONTRAINDICATED, AVOID, consult, …) appears ≥ 3× as often as in the SFT answers",
    "rm_gold_decorrelated": "within a batch, reward-model and gold scores are anti-correlated (Spearman ρ < 0)",
    "disagreement_rising": "the reward-model ensemble disagrees more and more (answers drift out of distribution)",
}

K1_PROBLEM = -0.01  # as in stages/ppo/recipe.py: a mean k1 below this means sampling and scoring disagree
GOLD_DROP = 0.25  # points of the 0-10 gold score: a fall smaller than this between quarters of a run is noise


# ---- reading ---------------------------------------------------------------------------------------------------


def read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UserError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror})") from None


def read_jsonl(path: Path) -> list[dict]:
    """A run's JSON Lines file; a damaged one is a user error naming its file and line."""
    return [row for _, row in formats.read_jsonl(path)]


def optional_json(path: Path):
    return read_json(path) if path.is_file() else None


def member_metrics(reward_dir: Path) -> list[tuple[str, Path]]:
    """(name, metrics.jsonl) of each reward-ensemble member in numeric order; a lone metrics.jsonl counts as one."""
    members = [p for p in (reward_dir / "members").glob("member-*/metrics.jsonl")]
    members.sort(key=lambda p: int(m.group()) if (m := re.search(r"\d+$", p.parent.name)) else 0)
    if not members and (reward_dir / "metrics.jsonl").is_file():
        return [("model", reward_dir / "metrics.jsonl")]
    return [(p.parent.name, p) for p in members]


def check_run_dir(run_dir: Path) -> dict[str, Path | None]:
    """The present stage directories (None where absent); raises UserError for a missing or incomplete run."""
    if not run_dir.exists():
        raise UserError(f"{run_dir}: no such run directory")
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: is a file, expected a run directory")
    stages = {s: (run_dir / s if (run_dir / s).is_dir() else None) for s in REQUIRED}
    if not any(stages.values()) and not (run_dir / "summary.json").is_file():
        raise UserError(
            f"{run_dir}: holds no rxalign run (none of summary.json, {', '.join(s + '/' for s in REQUIRED)})"
        )
    for stage, path in stages.items():
        if path is None:
            continue
        present = member_metrics(path) if stage == "reward" else (path / REQUIRED[stage]).is_file()
        if not present:
            raise UserError(f"{path}: incomplete {stage} stage, {REQUIRED[stage]} is missing")
    return stages


# ---- formatting ------------------------------------------------------------------------------------------------


def fmt(value) -> str:
    """A number for people: 4 significant digits, integers with thousands separators, None as a dash."""
    if value is None or isinstance(value, jinja2.Undefined):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value)
    return str(value)


def pct(value) -> str:
    return f"{100 * value:.1f}%" if finite(value) else "—"


def score(value) -> str:
    """A 0-10 score with two decimals."""
    return f"{value:.2f}" if finite(value) else "—"


def flatten(value, prefix: str = "", expand_lists: bool = True) -> list[tuple[str, object]]:
    """Nested dicts as dotted keys. Lists of scalars stay one value; lists of objects are expanded by index
    (or left out with expand_lists=False, where the report shows them in their own table)."""
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k), expand_lists)
        return out
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        if not expand_lists:
            return []
        out = []
        for i, v in enumerate(value):
            out += flatten(v, f"{prefix}.{i}", expand_lists)
        return out
    return [(prefix, value)]


def summary_items(summary: dict | None, skip: tuple[str, ...] = ("stage",)) -> list[tuple[str, str]]:
    if not summary:
        return []
    return [
        (k, fmt(v))
        for k, v in flatten(summary, expand_lists=False)
        if not any(k == s or k.startswith(f"{s}.") for s in skip)
    ]


def last_with(records: list[dict], key: str) -> dict:
    return next((r for r in reversed(records) if key in r), {})


def window_mean(values: list[float], first: bool, n: int) -> float:
    part = values[:n] if first else values[-n:]
    return sum(part) / len(part)


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
        "examples": showcase(path, models, showcase_ids(run_dir)),
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
            by_model[m] = {r.get("id"): r for r in read_jsonl(f)}
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


# ---- checks ----------------------------------------------------------------------------------------------------


def checks(sections: dict) -> list[str]:
    """Red flags the numbers show (the seed guide's: negative KL, a reward model below chance, flat PPO reward,
    no clipping), each one line."""
    out = []
    data = sections.get("data")
    if data and data["leakage"].get("leaks"):
        out.append(f"Data: {data['leakage']['leaks']} evaluation prompts leak into training data.")
    pre = sections.get("pretrain")
    if pre and pre["raw"]:
        s = pre["raw"]
        if finite(s.get("val_loss")) and finite(s.get("ln_vocab")) and s["val_loss"] >= s["ln_vocab"]:
            out.append(
                f"Pretraining: validation loss {s['val_loss']:.3f} is not below the uniform guess ln V."
            )
    reward = sections.get("reward")
    if reward:
        for m in reward["members"]:
            if finite(m["val_accuracy"]) and m["val_accuracy"] < 0.5:
                out.append(
                    f"Reward model {m['name']}: validation accuracy {pct(m['val_accuracy'])} is below chance."
                )
            if finite(m["val_margin"]) and m["val_margin"] < 0:
                out.append(f"Reward model {m['name']}: validation margin {m['val_margin']:.3f} is negative.")
    ppo = sections.get("ppo")
    if ppo and ppo["records"]:
        recs = ppo["records"]
        _, k1 = plots.series(recs, "kl_k1_mean", "iteration")
        if k1 and min(k1) < K1_PROBLEM:
            out.append(
                f"PPO: mean k1 KL reached {min(k1):.4f}; true KL is never negative, so sampling and scoring disagree."
            )
        _, clip = plots.series(recs, "clipfrac", "iteration")
        if len(clip) > 1 and max(clip) == 0:
            out.append(
                "PPO: the clip fraction is 0 in every iteration; the policy updates may not be applied."
            )
        _, rm = plots.series(recs, "rm_score_mean", "iteration")
        _, gold = plots.series(recs, "gold_score_mean", "iteration")
        if len(rm) > 1 and max(rm) - min(rm) < 1e-6:
            out.append(f"PPO: the reward-model score is flat at {rm[0]:.4g}; the policy is not learning.")
        if len(rm) >= 4 and len(gold) >= 4:
            n = len(rm) // 4  # first and last quarter: each iteration scores another slice of the prompts
            rm0, rm1 = window_mean(rm, True, n), window_mean(rm, False, n)
            g0, g1 = window_mean(gold, True, n), window_mean(gold, False, n)
            if rm1 > rm0 and g0 - g1 >= GOLD_DROP:
                out.append(
                    f"PPO: the reward-model score rose ({rm0:.2f} → {rm1:.2f}, means of the first and last quarter of the run) "
                    f"while the gold score fell ({g0:.2f} → {g1:.2f}): reward hacking, see the audit."
                )
        fired = [c for c in ppo["audit"]["counts"] if c["iterations"]]
        if fired:
            out.append(
                f"PPO reward-hacking audit: flags at {ppo['audit']['flagged']} of {ppo['audit']['n']} iterations ("
                + ", ".join(f"{c['kind']} ×{c['iterations']}" for c in fired)
                + ")."
            )
    dpo = sections.get("dpo")
    if dpo and dpo["records"]:
        vals = [r for r in dpo["records"] if finite(r.get("val_loss"))]
        first = vals[0] if vals else {}
        if first.get("step") == 0 and abs(first["val_loss"] - math.log(2)) > 1e-3:
            out.append(
                f"DPO: step-0 validation loss {first['val_loss']:.4f} is not ln 2 = 0.6931; the policy differs from its reference."
            )
        _, lp = plots.series(vals, "val_logps/chosen")
        _, mg = plots.series(vals, "val_rewards/margins")
        if len(lp) > 1 and len(mg) > 1 and lp[-1] < lp[0] and mg[-1] > mg[0]:
            out.append(
                f"DPO: the validation log-probability of chosen answers fell ({lp[0]:.1f} → {lp[-1]:.1f}) while the "
                f"margin grew ({mg[0]:.3f} → {mg[-1]:.3f}): both answers lose likelihood, rejected ones faster."
            )
        for t in dpo["troubleshooting"]:
            out.append(f"DPO: {t['problem']}" + (f" ({t['rule']})" if t.get("rule") else "") + ".")
    ev = sections.get("eval")
    if ev:
        for row in ev["rows"]:
            for head, d in zip(ev["delta_heads"], row["deltas"], strict=True):
                if d["verdict"] == "worse":
                    out.append(
                        f"Scorecard: {row['label']}: {head} is {d['text']}, worse with 95% confidence."
                    )
    return out


# ---- rendering -------------------------------------------------------------------------------------------------


def render(run_dir: Path) -> str:
    stages = check_run_dir(run_dir)
    sections: dict = {}
    if stages["data"]:
        sections["data"] = data_section(stages["data"])
    for stage in ("pretrain", "sft"):
        if stages[stage]:
            sections[stage] = lm_section(stages[stage], stage)
    if stages["reward"]:
        sections["reward"] = reward_section(stages["reward"])
    if stages["ppo"]:
        sections["ppo"] = ppo_section(stages["ppo"])
    if stages["dpo"]:
        sections["dpo"] = dpo_section(stages["dpo"])
    if stages["eval"]:
        sections["eval"] = eval_section(stages["eval"], run_dir)
    headline = optional_json(run_dir / "summary.json")
    config_path = run_dir / "config.yaml"
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fmt=fmt, pct=pct, score=score)
    template = env.from_string((files("rxalign.report") / "template.html.j2").read_text(encoding="utf-8"))
    return template.render(
        run_name=run_dir.resolve().name,
        run_dir=str(run_dir),
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        stages={s: p is not None for s, p in stages.items()},
        headline=None if headline is None else [(k, fmt(v)) for k, v in flatten(headline)],
        config_yaml=config_path.read_text(encoding="utf-8") if config_path.is_file() else None,
        checks=checks(sections),
        audit_flags=AUDIT_FLAGS,
        **{s: sections.get(s) for s in REQUIRED},
    )


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write the run's report as one self-contained HTML file (default `run_dir/report.html`) and return its
    path. The file appears whole or not at all (temporary sibling, then one rename)."""
    run_dir = Path(run_dir)
    out = Path(out) if out is not None else run_dir / "report.html"
    if out.is_dir():
        raise UserError(f"--out {out}: is a directory, expected an .html file path")
    html = render(run_dir)
    write_text(out, html)
    return out
