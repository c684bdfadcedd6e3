"""Uncertainty vs random selection in the active-learning loop, on the bundled default: both arms run with the same
config and seed (same prompt split, same held-out pool, same cycle-1 candidates and annotator votes per pair), and
the question is how many labels uncertainty selection needs to reach the accuracy random selection reaches with
its full budget (linear interpolation between cycles; the goal is ≤ 60% of random's budget).

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/active_learning.py --out runs/bench/active [--seeds 0 1 2]
     [--config FILE] [--set KEY=VALUE ...] [--resume]
Writes OUT/seed-S/{uncertainty,random}/ (the two runs), OUT/comparison.json and OUT/comparison.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from common import environment, header, write_results

from rxalign import ui
from rxalign.active import ActiveConfig, labels_to_match, run
from rxalign.config import load_config
from rxalign.errors import UserError

ARMS = ("uncertainty", "random")


def compare(curves: dict[str, list[tuple[int, float]]], budget: int) -> dict:
    first = labels_to_match(curves["uncertainty"], curves["random"])
    sustained = labels_to_match(curves["uncertainty"], curves["random"], sustained=True)
    return {
        "random_full_budget": budget,
        "random_accuracy_at_budget": curves["random"][-1][1],
        "uncertainty_accuracy_at_budget": curves["uncertainty"][-1][1],
        "labels_to_match": first,
        "ratio_to_random_budget": None if first is None else first / budget,
        "labels_to_match_sustained": sustained,
        "ratio_to_random_budget_sustained": None if sustained is None else sustained / budget,
    }


def _ratio(labels: float | None, ratio: float | None) -> str:
    return "never" if labels is None else f"{labels:.1f} labels ({ratio:.0%} of the budget)"


def table(seed: int, histories: dict[str, list[dict]], result: dict, seconds: dict) -> str:
    lines = [
        f"### seed {seed}",
        "",
        "| cycle | labels | accuracy vs gold (uncertainty) | accuracy vs gold (random) | policy gold (uncertainty) "
        "| policy gold (random) | selected disagreement (uncertainty / random) |",
        "|---|---|---|---|---|---|---|",
    ]
    for u, r in zip(histories["uncertainty"], histories["random"], strict=True):
        dis = (
            f"{u['selected_disagreement_mean']:.3f} / {r['selected_disagreement_mean']:.3f}"
            if "selected_disagreement_mean" in u
            else "–"
        )
        lines.append(
            f"| {u['cycle']} | {u['labels_spent']} | {u['ensemble_accuracy_gold']:.3f} | "
            f"{r['ensemble_accuracy_gold']:.3f} | {u['policy_gold_score']:.2f} | {r['policy_gold_score']:.2f} | {dis} |"
        )
    lines += [
        "",
        f"Random reaches {result['random_accuracy_at_budget']:.3f} with {result['random_full_budget']} labels; "
        f"uncertainty ends at {result['uncertainty_accuracy_at_budget']:.3f} and first reaches random's figure at "
        f"{_ratio(result['labels_to_match'], result['ratio_to_random_budget'])}; reaches it for good at "
        f"{_ratio(result['labels_to_match_sustained'], result['ratio_to_random_budget_sustained'])}.",
        f"Held-out pool: {histories['uncertainty'][0]['pool_pairs']} pairs. Wall time of the runs: "
        + ", ".join(f"{arm} {s / 60:.1f} min" for arm, s in seconds.items())
        + ".",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/bench/active"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--resume", action="store_true", help="continue (or just re-read) the runs in --out")
    args = parser.parse_args()
    ui.set_quiet(True)

    started, cpu_started = time.perf_counter(), time.process_time()
    report: dict = {"environment": environment(), "seeds": {}}
    md = ["# Active learning: uncertainty vs random selection", ""]
    for seed in args.seeds:
        histories, seconds = {}, {}
        for arm in ARMS:
            cfg = load_config(
                ActiveConfig,
                args.config,
                [
                    *args.overrides,
                    f"seed={seed}",
                    f"strategy={arm}",
                    f"out={args.out / f'seed-{seed}' / arm}",
                ],
                stage="active",
            )
            summary = run(cfg, resume=args.resume)
            histories[arm] = [
                json.loads(line)
                for line in (cfg.out / "cycles.jsonl").read_text().splitlines()
                if line.strip()
            ]
            seconds[arm] = sum(r["seconds"] for r in histories[arm])  # the run's own record: resumes keep it
            print(
                f"seed {seed} · {arm}: accuracy {summary['ensemble_accuracy_gold_first']:.3f} → "
                f"{summary['ensemble_accuracy_gold_last']:.3f} with {summary['labels_spent']} labels · "
                f"{seconds[arm]:.0f}s",
                flush=True,
            )
        curves = {
            arm: [(r["labels_spent"], r["ensemble_accuracy_gold"]) for r in h] for arm, h in histories.items()
        }
        result = compare(curves, histories["random"][-1]["labels_spent"])
        report["seeds"][seed] = {"curves": curves, "seconds": seconds, **result}
        md.append(table(seed, histories, result, seconds))
        print(md[-1], flush=True)
    seeds = report["seeds"].values()
    final = {arm: [s["curves"][arm][-1][1] for s in seeds] for arm in ARMS}
    report["mean_accuracy_at_budget"] = {arm: sum(v) / len(v) for arm, v in final.items()}
    report["seconds_this_call"] = time.perf_counter() - started
    report["cpu_seconds_this_call"] = (
        time.process_time() - cpu_started
    )  # all threads; the wall time when alone
    env = report["environment"]

    def ratios(key: str) -> str:
        return ", ".join("never" if s[key] is None else f"{s[key]:.0%}" for s in seeds)

    md[1:1] = [
        header(env),
        "",
        f"Command: `{env['command']}` · runs' wall time "
        f"{sum(sum(s['seconds'].values()) for s in seeds) / 60:.1f} min; this call "
        f"{report['seconds_this_call'] / 60:.1f} min wall, {report['cpu_seconds_this_call'] / 60:.1f} min CPU",
        "",
        f"Labels uncertainty needs / random's full budget, per seed ({', '.join(map(str, args.seeds))}): first "
        f"reached {ratios('ratio_to_random_budget')}; reached for good {ratios('ratio_to_random_budget_sustained')}. "
        "Mean accuracy at the full budget: "
        + ", ".join(f"{arm} {v:.3f}" for arm, v in report["mean_accuracy_at_budget"].items())
        + ".",
        "",
    ]
    write_results(args.out, "comparison", report, md)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        main()
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
