"""Command `rxalign active` (registered on the app in cli.py): the active-learning loop of rxalign.active."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rxalign import ui
from rxalign.config import load_config


def active(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="YAML run config; unknown keys and wrong types are rejected. Default: the bundled config "
            "(see `rxalign config active`).",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            "-s",
            help="Override one config key with a dotted path, e.g. --set labels_per_cycle=40; repeatable; "
            "values are parsed as YAML.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Run directory (overrides `out`). Refused if it holds another run, unless --resume.",
        ),
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy",
            help="uncertainty (label the pairs the ensemble members disagree on most) or random (the control); "
            "overrides `strategy`.",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the run in --out: completed cycles are kept, an interrupted one goes on from what it "
            "saved; the config must be unchanged.",
        ),
    ] = False,
    import_file: Annotated[
        Path | None,
        typer.Option(
            "--import",
            help="With labeler: file, the filled cycle_k/to_label.jsonl (`preferred` = a or b on every line); "
            "checked line by line, then the cycle continues (implies --resume).",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="No progress bars or info lines; warnings and errors still print."
        ),
    ] = False,
) -> None:
    """Active learning for the reward ensemble: label the policy-sample pairs its members disagree on, retrain,
    PPO again.

    Each cycle samples pairs of responses from the current policy on the training prompts, scores them with every
    ensemble member, picks `labels_per_cycle` pairs (the largest member disagreement, std_k(r_k(a) − r_k(b)), or
    at random as the control), labels them (simulated annotators voting on the gold grader score; or a JSONL
    exported for people, read back with --import), retrains the ensemble on the old labels plus every new one,
    and runs PPO from the current policy against it. Per cycle, cycles.jsonl records the labels spent, the
    ensemble's accuracy against gold on a fixed pool of held-out policy-sample pairs, and the policy's gold score
    on held-out prompts; each cycle's ensemble and policy are plain Hugging Face directories under
    OUT/cycle_k/. Research and education software, NOT for clinical use.
    """
    from rxalign.active import ActiveConfig, run

    ui.set_quiet(quiet)
    overrides = list(set_ or [])
    if out is not None:
        overrides.append(f"out={out}")
    if strategy is not None:
        overrides.append(f"strategy={strategy}")
    cfg = load_config(ActiveConfig, config, overrides, stage="active")
    summary = run(cfg, resume=resume, import_file=import_file)
    if quiet or summary["status"] != "complete":
        return
    first, last = summary["ensemble_accuracy_gold_first"], summary["ensemble_accuracy_gold_last"]

    def pct(v):
        return "n/a" if v is None else f"{v:.1%}"

    ui.console.print(
        f"[bold green]done[/bold green] {cfg.out} · {summary['strategy']} · {summary['labels_spent']} labels · "
        f"ensemble accuracy vs gold {pct(first)} → {pct(last)} on {summary['pool_pairs']} held-out pairs · "
        f"policy gold {summary['policy_gold_score_first']:.2f} → {summary['policy_gold_score_last']:.2f}"
    )
