"""Command `rxalign probe` (registered on the app in cli.py): the knowledge and copy probes of rxalign.eval.probe."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rxalign import ui
from rxalign.errors import UserError


def probe(
    model: Annotated[
        Path,
        typer.Argument(
            help="A local Hugging Face causal-LM directory (the shipped base, a run's final/, ...).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Also write the result as JSON here (and the tables beside it as .md)."
        ),
    ] = None,
    notes: Annotated[
        int,
        typer.Option(
            "--notes",
            min=7,
            help="Note + summary pairs of the copy probe (each perturbation kind gets a seventh).",
        ),
    ] = 140,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Sequences scored together.")] = 32,
    data_seed: Annotated[
        int,
        typer.Option(
            "--data-seed",
            help="Seed of the generated testbed whose held-out drugs the probe asks about (the `data.seed` of the pipeline).",
        ),
    ] = 0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bars; the tables still print.")
    ] = False,
) -> None:
    """Probe what a model knows and whether it copies from its context, from log-probabilities (no generation).

    Knowledge: interaction severity, renal action per eGFR band, hepatic action per Child-Pugh class,
    pharmacogenomic advice and allergy decision, each asked as a short-answer question and answered by the value
    the model scores highest; for training-side drugs and held-out drugs apart, beside chance and the majority
    baseline. Copy: copy gain (nats a summary gains from its own note over another patient's) and how often the
    faithful summary beats one with a changed drug, dose, unit, frequency, side, date or negation, with the note
    and note-blind."""
    from rxalign.data.generate import GenerateConfig
    from rxalign.eval.probe import probe as run_probe
    from rxalign.eval.probe import table
    from rxalign.io import write_json, write_text

    ui.set_quiet(quiet)
    if out is not None and (out.is_dir() or out.suffix == ".md"):
        raise UserError(f"--out {out}: give a file name for the JSON (the tables go beside it as .md)")
    result = run_probe(model, GenerateConfig(seed=data_seed), notes, batch_size)
    text = table(result)
    if out is not None:
        write_json(out, result)
        write_text(out.with_suffix(".md"), text + "\n")
    typer.echo(text)
