"""Stage recipes (pretrain, sft, reward, ppo, dpo): each validates its inputs, builds, trains, saves."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel

from rxalign import ui
from rxalign.rundir import RunDir, open_run, read_summary


def begin(
    cfg: BaseModel, resume: bool, precision: str, *, final_name: str = "final", out_name: str = "--out"
):
    """The opening every recipe shares: the accelerator, then the run-directory checks on every process
    before anything is written. Returns (accelerator, precision, run_dir, summary of an already complete
    run or None). `final_name`: the final model's folder; `out_name`: what errors call the run directory."""
    from rxalign.train.loop import make_accelerator

    accelerator, precision = make_accelerator(precision)
    run_dir: RunDir = open_run(cfg.out, cfg, resume, final_name=final_name, out_name=out_name)
    accelerator.wait_for_everyone()
    if run_dir.complete and resume:
        ui.info(f"{cfg.out}: run already complete")
        return accelerator, precision, run_dir, read_summary(run_dir.path)
    return accelerator, precision, run_dir, None


@cache
def _bundled() -> dict[str, list[dict]]:
    from rxalign.data.generate import GenerateConfig, build_datasets

    return build_datasets(GenerateConfig())[0]


def records(path: Path | None, bundled_name: str, kind: str | None, field: str) -> list[dict]:
    """Records from the user's file (validated, errors name file:line:field), or the bundled dataset."""
    from rxalign.data.formats import load_records

    return load_records(path, kind, field) if path is not None else _bundled()[bundled_name]
