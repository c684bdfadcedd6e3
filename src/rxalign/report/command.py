"""The `rxalign report` command: one self-contained HTML report of a pipeline run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report(
    run_dir: Annotated[
        Path,
        typer.Argument(
            help="A pipeline run directory (runs/<name>/) holding some of data/, pretrain/, sft/, reward/, ppo/, dpo/, eval/.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Where to write the HTML file (default: RUN_DIR/report.html)."),
    ] = None,
) -> None:
    """Write one self-contained HTML report of a run: headline figures, the safety scorecard (SFT vs PPO vs DPO
    with 95% confidence intervals), the showcase queries answered side by side, every stage's curves, the PPO
    reward-hacking audit and the annotators' agreement. Works offline (figures embedded, no external files);
    stages not run are noted, not required."""
    from rxalign import ui
    from rxalign.report.build import write_report

    path = write_report(run_dir, out)
    ui.info(f"report: {path}")
