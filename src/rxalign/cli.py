"""The `rxalign` command line: one subcommand per stage, each a thin shell over its recipe."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from rxalign import ui
from rxalign.active.config import ActiveConfig
from rxalign.active_cli import active
from rxalign.config import (
    bundled_config_path,
    from_flags,
    load_config,
)
from rxalign.data.generate import GenerateConfig
from rxalign.dpo_cli import dpo, merge, quantize
from rxalign.errors import UserError
from rxalign.probe_cli import probe
from rxalign.report.command import report
from rxalign.stages.registry import CONFIGS as REGISTRY_CONFIGS
from rxalign.stages.registry import TRAINED

DISCLAIMER = "Research and education software, NOT for clinical use: never act on its outputs for a patient."

app = typer.Typer(
    name="rxalign",
    help=f"Alignment pipeline for safety-critical domains: pretrain, SFT, reward models, PPO, DPO, evaluation.\n\n{DISCLAIMER}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Configs `rxalign config NAME` prints: every stage's (the registry's), and active learning's (which
# orchestrates stages).
CONFIGS: dict[str, type[BaseModel]] = {
    **{name: stage.config_class() for name, stage in REGISTRY_CONFIGS.items()},
    "active": ActiveConfig,
}

data_app = typer.Typer(help="Generate, validate and describe datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML run config; unknown keys and wrong types are rejected. Default: the bundled config of this stage (see `rxalign config STAGE`).",
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        help="Override one config key with a dotted path, e.g. --set train.lr=3e-4; repeatable; values are parsed as YAML.",
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Run directory (overrides the config's `out`). Refused if it holds another run, unless --resume.",
    ),
]
ResumeOpt = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="Continue the run in --out from its newest checkpoint; the config must be unchanged. Starts fresh if there is no checkpoint yet.",
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="No progress bar or info lines (for scripts); warnings and errors still print."
    ),
]


def _load(stage: str, config: Path | None, overrides: list[str] | None, out: Path | None) -> Any:
    overrides = list(overrides or [])
    if out is not None:
        overrides.append(f"out={out}")
    return load_config(TRAINED[stage].config_class(), config, overrides, stage=stage)


def _run_stage(stage: str, config, overrides, out, resume: bool, quiet: bool) -> tuple[Any, dict]:
    ui.set_quiet(quiet)
    cfg = _load(stage, config, overrides, out)
    return cfg, TRAINED[stage].run(cfg, resume=resume)


@app.command()
def pretrain(
    config: ConfigOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Stage 1: train a causal LM on a domain corpus (packed sequences, held-out documents).

    With no arguments: a new `tiny` Llama model and a byte-level BPE tokenizer on the bundled corpus,
    into runs/pretrain. Prints train/validation loss and perplexity beside the uniform baseline ln(vocab).
    """
    cfg, summary = _run_stage("pretrain", config, set_, out, resume, quiet)
    if not quiet:
        ui.console.print(
            f"[bold green]done[/bold green] {cfg.out}/final · val loss {summary['val_loss']:.3f} "
            f"(ln V = {summary['ln_vocab']:.3f}, {summary['val_loss_below_ln_vocab']:.2f} nats below) · "
            f"ppl {summary['val_ppl']:.2f} · {summary['train_seconds']:.0f}s training"
        )


@app.command()
def sft(
    config: ConfigOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = False,
    merge: Annotated[
        bool,
        typer.Option(
            "--merge",
            help="With LoRA (--set lora.enabled=true), also save the adapter merged into the base model as final_merged/.",
        ),
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Stage 2: supervised fine-tuning on (instruction, response) pairs; loss on response tokens only.

    Starts from `model_path` (default runs/pretrain/final, or any local HF causal LM with a chat template);
    data defaults to the bundled SFT pairs. Every example is formatted by the model's chat template exactly
    as at generation time. Logs train and validation response loss, and sample answers to samples.jsonl.
    """
    cfg, summary = _run_stage(
        "sft", config, [*(set_ or []), *(["merge=true"] if merge else [])], out, resume, quiet
    )
    if not quiet:
        ui.console.print(
            f"[bold green]done[/bold green] {cfg.out}/final · val response loss {summary['val_loss_first']:.3f} → "
            f"{summary['val_loss']:.3f} ({summary['val_loss_drop']:.0%} lower) · {summary['train_seconds']:.0f}s training"
        )


@app.command()
def reward(
    config: ConfigOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Stage 3: an ensemble of Bradley–Terry reward models on majority-vote preference labels.

    Each member is a scalar head on `model_path` (default runs/sft/final) read at the last real token, trained
    on a bootstrap resample with its own seed; rewards are centred on the training set. Reports validation
    accuracy against the majority labels and against the gold truth, the margin, and calibration (ECE).
    """
    cfg, summary = _run_stage("reward", config, set_, out, resume, quiet)
    if not quiet:
        gold = summary["val_accuracy_gold"]
        cal = summary["calibration"]
        ui.console.print(
            f"[bold green]done[/bold green] {cfg.out}/final · {summary['members']} members · val accuracy "
            f"{summary['val_accuracy_majority']:.1%} vs majority"
            + (f", {gold:.1%} vs gold" if gold is not None else "")
            + f" · margin {summary['val_margin']:.2f}"
            + (f" · ECE {cal['ece']:.3f}" if cal else "")
        )


@app.command()
def ppo(
    config: ConfigOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Stage 4: PPO against the reward ensemble with a KL penalty to the SFT reference.

    Samples at temperature T (no top-k/top-p) and scores log-probs at the same T; reward on the last real
    token (penalty without EOS); per-token k1 KL in the reward or k3 in the loss; adaptive β toward a
    per-token KL target; GAE, clipped policy and value losses. Logs reward-model and gold scores, KL, β,
    clip fraction, entropy, explained variance and the reward-hacking audit every iteration; resumes exactly.
    """
    cfg, summary = _run_stage("ppo", config, set_, out, resume, quiet)
    if not quiet:
        ui.console.print(
            f"[bold green]done[/bold green] {cfg.out}/final · {summary['iterations']} iterations · gold "
            f"{summary['gold_score_first']:.2f} → {summary['gold_score_last']:.2f} · rm {summary['rm_score_first']:+.2f} → "
            f"{summary['rm_score_last']:+.2f} · k3 mean {summary['kl_k3_mean']:.3f} (target {summary['kl_target']}) · "
            f"β {summary['beta_final']:.3f}"
        )


app.command("dpo")(dpo)
app.command("merge")(merge)
app.command("quantize")(quantize)
app.command("report")(report)
app.command("active")(active)
app.command("probe")(probe)


@data_app.command("generate")
def data_generate(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Directory to write; refused if it exists and is not empty, unless --overwrite.",
        ),
    ] = Path("runs/data"),
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Seed for every choice (overrides the config's `seed`); the same seed gives the same files.",
        ),
    ] = None,
    config: ConfigOpt = None,
    set_: SetOpt = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the contents of a non-empty --out.")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Generate the bundled testbed from the knowledge base: corpus, SFT pairs, annotated preference pairs,
    PPO prompts, DPO summarisation triplets and held-out evaluation sets (see manifest.json for counts,
    annotator agreement and the leakage check)."""
    import shutil

    from rxalign.data.generate import generate

    ui.set_quiet(quiet)
    overrides = list(set_ or []) + ([f"seed={seed}"] if seed is not None else [])
    cfg = load_config(GenerateConfig, config, overrides, stage="generate")
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise UserError(f"--out {out}: exists and is not empty; choose another directory or pass --overwrite")
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    manifest = generate(tmp, cfg)
    shutil.rmtree(out, ignore_errors=True)
    tmp.replace(out)
    a = manifest["agreement"]
    ui.info(f"wrote {out}: " + ", ".join(f"{k} {v}" for k, v in manifest["counts"].items()))
    ui.info(
        f"annotators: Fleiss κ {a['overall']['kappa']:.3f} ({a['overall']['band']}), raw agreement "
        f"{a['overall']['raw_agreement']:.3f}, majority = truth on {a['majority_matches_gold']:.1%} of pairs, "
        f"{a['batches_below_threshold']}/{len(a['batches'])} batches below κ {cfg.annotators.kappa_threshold}; "
        f"leakage check: {manifest['leakage']['leaks']} leaks in {manifest['leakage']['checked_eval_prompts']} evaluation prompts"
    )


@data_app.command("validate")
def data_validate(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="JSONL, Parquet or saved-datasets paths; the format (text, prompt/completion, messages, preference) is detected from the first record."
        ),
    ],
    max_chars: Annotated[
        int | None, typer.Option("--max-chars", help="Count records with any text field longer than this.")
    ] = None,
) -> None:
    """Check every record; the first malformed one is reported as FILE:LINE: field: problem (exit 2)."""
    from rxalign.data.formats import validate_files

    for path, checked in zip(files, validate_files(files, max_chars), strict=True):
        extra = f", {checked.over_length} over {max_chars} chars" if max_chars else ""
        typer.echo(
            f"{path}: ok · {checked.kind} · {checked.records} records, {checked.duplicates} duplicates{extra}"
        )


@data_app.command("stats")
def data_stats(
    files: Annotated[list[Path], typer.Argument(help="Data files to describe.")],
    tokenizer: Annotated[
        Path | None,
        typer.Option("--tokenizer", help="Tokenizer or model directory for token-length statistics."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per file instead of text.")
    ] = False,
) -> None:
    """Counts, duplicates, token lengths, annotator agreement (Fleiss κ, raw agreement, Landis–Koch band,
    majority vs truth) and the perturbation / tier / task mix of each file."""
    from rxalign.data.stats import file_stats
    from rxalign.models.load import load_tokenizer

    tok = load_tokenizer(tokenizer, field="--tokenizer") if tokenizer is not None else None
    for path in files:
        stats = file_stats(path, tok)
        typer.echo(json.dumps(stats) if as_json else _describe_stats(stats))


def _describe_stats(stats: dict) -> str:
    lines = [
        f"{stats['file']}: {stats['kind']} · {stats['records']} records · {stats['duplicates']} duplicates"
    ]
    if "tokens" in stats:
        lines.append("  tokens: " + ", ".join(f"{k} {v:g}" for k, v in stats["tokens"].items()))
    if "agreement" in stats:
        a = stats["agreement"]
        line = f"  agreement ({a['raters']} raters, {a['frame']}): Fleiss κ {a['kappa']:.3f} ({a['band']}), raw {a['raw_agreement']:.3f}"
        if "majority_matches_gold" in a:
            line += f", majority = truth {a['majority_matches_gold']:.1%}"
        lines.append(line)
    for key in ("perturbation_mix", "tier_mix", "task_mix"):
        if key in stats:
            lines.append(
                f"  {key.replace('_', ' ')}: " + ", ".join(f"{k} {v}" for k, v in stats[key].items())
            )
    return "\n".join(lines)


@app.command("eval")
def eval_(
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="A local Hugging Face causal-LM directory with a chat template, as DIR or NAME=DIR; repeatable. The first is the baseline the others are compared with.",
        ),
    ] = None,
    eval_set: Annotated[
        list[Path] | None,
        typer.Option(
            "--eval-set",
            help="JSONL/Parquet rows with `prompt` and `truth` (questions) or `facts` (notes to summarise); repeatable. Default: the bundled held-out sets (questions, the seed guide's five queries, clinical notes).",
        ),
    ] = None,
    answers: Annotated[
        list[str] | None,
        typer.Option(
            "--answers",
            help='Grade ready answers instead of generating: NAME=FILE, a JSONL of {"id", "answer"} covering every evaluation row; repeatable.',
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for scorecard.json, scorecard.md and responses/.")
    ] = Path("runs/eval"),
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a non-empty --out.")] = False,
    max_new_tokens: Annotated[
        int, typer.Option("--max-new-tokens", help="Tokens generated per answer at most.")
    ] = 128,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Prompts generated together.")] = 16,
    sample: Annotated[
        bool,
        typer.Option(
            "--sample", help="Sample (pure sampling at --temperature, seeded) instead of greedy decoding."
        ),
    ] = False,
    temperature: Annotated[
        float, typer.Option("--temperature", help="Sampling temperature with --sample.")
    ] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed for sampling and the bootstrap.")] = 0,
    max_items: Annotated[
        int | None,
        typer.Option("--max-items", help="Use only the first N rows of each evaluation set (quick checks)."),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Generate on the held-out evaluation sets, grade with the gold rubric grader and the hallucination
    checker, and write the safety scorecard: medical accuracy, contraindication recall (safety), specificity,
    dose accuracy, humility, the 0-10 score and the hallucination rate, each with a bootstrap 95% CI, and each
    model's delta against the first."""
    from rxalign.eval.run import EvalConfig, evaluate

    ui.set_quiet(quiet)
    cfg = from_flags(
        EvalConfig,
        max_new_tokens=max_new_tokens,
        batch_size=batch_size,
        do_sample=sample,
        temperature=temperature,
        seed=seed,
        max_items=max_items,
    )
    evaluate(out, cfg, model or [], eval_set, answers, overwrite)


@app.command()
def pipeline(
    config: Annotated[
        Path | None,
        typer.Argument(
            help="Pipeline YAML: sections data, pretrain, sft, reward, ppo, dpo, eval over the bundled stage "
            "configs (see `rxalign config pipeline`). Default: the bundled default run."
        ),
    ] = None,
    set_: SetOpt = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Run directory (default: runs/<name>, name from the config)."),
    ] = None,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Rerun this stage and every later one even if unchanged: data, pretrain, sft, reward, ppo, dpo, eval, report.",
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """The main job: data → pretrain (tokenizer + model) → SFT → reward ensemble → PPO → DPO → eval → report,
    into one run directory (<run>/<stage>/, summary.json, report.html).

    A stage whose config and inputs are unchanged since it finished is skipped; one killed mid-way resumes from
    its checkpoint when the command is run again. summary.json gathers every stage's headline figures and the
    wall time per stage; report.html is one self-contained file.
    """
    from rxalign.pipeline import load_pipeline_config
    from rxalign.pipeline import run as run_pipeline

    ui.set_quiet(quiet)
    overrides = list(set_ or []) + ([f"out={out}"] if out is not None else [])
    cfg = load_pipeline_config(config, overrides)
    summary = run_pipeline(cfg, from_)
    if not quiet:
        ui.console.print(_pipeline_table(summary))
        ui.console.print(
            f"[bold green]done[/bold green] {cfg.run_dir}/summary.json · {cfg.run_dir}/report.html"
        )


def _pipeline_table(summary: dict) -> str:
    """The summary's figures, one `section.key value` line each."""
    lines = []
    for section, values in summary.items():
        if isinstance(values, dict):
            for key, value in values.items():
                if isinstance(value, dict):
                    shown = ", ".join(
                        f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in value.items()
                    )
                else:
                    shown = f"{value:.4g}" if isinstance(value, float) else str(value)
                lines.append(f"{section}.{key}: {shown}")
    return "\n".join(lines)


@app.command("config")
def show_config(
    stage: Annotated[str, typer.Argument(help=f"One of: {', '.join(CONFIGS)}, pipeline.")],
) -> None:
    """Print a stage's bundled default config, each key with its meaning, as YAML to start your own from."""
    if stage == "pipeline":
        from rxalign.pipeline import load_pipeline_config

        cfg = load_pipeline_config(None)
    elif stage not in CONFIGS:
        raise UserError(f"config: unknown stage {stage!r} (expected one of: {', '.join(CONFIGS)}, pipeline)")
    else:
        cfg = load_config(CONFIGS[stage], bundled_config_path(stage), stage=stage)
    typer.echo(f"# rxalign {stage} config (defaults); every key below may be set in YAML or with --set.")
    typer.echo(_commented_yaml(cfg))


def _commented_yaml(model: BaseModel, indent: int = 0) -> str:
    lines = []
    pad = " " * indent
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            lines.append(f"{pad}{name}:")
            lines.append(_commented_yaml(value, indent + 2))
            continue
        shown = json.dumps(
            list(value) if isinstance(value, tuple) else (str(value) if isinstance(value, Path) else value)
        )
        comment = f"  # {field.description}" if field.description else ""
        lines.append(f"{pad}{name}: {shown}{comment}")
    return "\n".join(lines)


def main() -> None:
    """Entry point: a user's mistake is one line on stderr and exit code 2, never a traceback."""
    # Local files only, and our own progress bars instead of the hub's.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()  # e.g. the load report of a new reward head: expected, not news
    try:
        app(standalone_mode=False)
    except UserError as e:
        ui.console.print(f"[red]error:[/red] {e}", soft_wrap=True)
        sys.exit(2)
    except typer.Abort:
        sys.exit(130)
    except KeyboardInterrupt:
        ui.console.print("interrupted; resume with --resume")
        sys.exit(130)
    except Exception as e:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(e.exit_code)
        raise


if __name__ == "__main__":
    main()
