"""The run directory: `config.yaml`, `metrics.jsonl`, `summary.json`, `checkpoints/`, and the final model in
`final/` (a stage may name that folder otherwise: DPO keeps the quick start's `final_model/`).

`open_run` only checks (nothing is written until the stage has validated all its inputs); `start`
writes the resolved config; `finish` writes the final model and the summary atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from rxalign.config import dump_config, semantic_dump, without
from rxalign.errors import UserError
from rxalign.io import replaced_dir, write_json, write_text
from rxalign.train.checkpoint import list_checkpoints, verify_checkpoint


@dataclass
class RunDir:
    path: Path
    resuming: bool  # True when a checkpoint exists and will be loaded
    final_name: str = "final"  # the folder of the final model

    @property
    def tokenizer_dir(self) -> Path:
        return self.path / "tokenizer"

    @property
    def final_dir(self) -> Path:
        return self.path / self.final_name

    @property
    def complete(self) -> bool:
        return (self.path / "summary.json").is_file() and self.final_dir.is_dir()

    def start(self, cfg: BaseModel) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_text(self.path / "config.yaml", dump_config(cfg))

    def finish(self, model, tokenizer, summary: dict, files: dict[str, Any] | None = None) -> None:
        """Write the final model (a plain Hugging Face directory, plus `files`: name -> JSON content) and
        `summary.json`, each appearing whole or not at all."""
        save_hf_dir(self.final_dir, model, tokenizer, files)
        write_json(self.path / "summary.json", summary)


def read_summary(path: Path) -> dict:
    return json.loads((Path(path) / "summary.json").read_text(encoding="utf-8"))


def save_hf_dir(path: Path, model, tokenizer, files: dict[str, Any] | None = None) -> None:
    """Save a model and/or tokenizer (and `files`: name -> JSON content) to `path` through a temporary sibling
    and one rename."""
    with replaced_dir(path) as tmp:
        if model is not None:
            model.save_pretrained(tmp, safe_serialization=True)
        if tokenizer is not None:
            tokenizer.save_pretrained(tmp)
        for name, content in (files or {}).items():
            write_json(tmp / name, content)


def open_run(
    out: Path, cfg: BaseModel, resume: bool, *, final_name: str = "final", out_name: str = "--out"
) -> RunDir:
    """Check that `out` may hold this run; with `resume`, that it holds the same config and a sound checkpoint.
    Errors call the directory `out_name` (the flag or key the user gave it with)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out_name} {out}: is a file, expected a directory")
    existing = out.is_dir() and any(out.iterdir())
    if not existing:
        return RunDir(out, resuming=False, final_name=final_name)
    saved_path = out / "config.yaml"
    if not saved_path.is_file():
        raise UserError(
            f"{out_name} {out}: directory is not empty and holds no rxalign run; choose a new or empty directory"
        )
    if not resume:
        raise UserError(
            f"{out_name} {out}: holds another run; pass --resume to continue it, or choose a new directory"
        )
    try:
        saved = yaml.safe_load(saved_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        raise UserError(f"{saved_path}: unreadable YAML; this run cannot be resumed") from None
    changed = _diff(without(saved, cfg), semantic_dump(cfg))
    if changed:
        raise UserError(
            f"{saved_path}: cannot resume with a different config (changed: {', '.join(changed[:5])})"
        )
    checkpoints = list_checkpoints(out / "checkpoints")
    if checkpoints:
        verify_checkpoint(checkpoints[-1])
    return RunDir(out, resuming=bool(checkpoints), final_name=final_name)


def _diff(a: dict, b: dict, prefix: str = "") -> list[str]:
    keys = sorted(set(a) | set(b))
    out: list[str] = []
    for k in keys:
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += _diff(va, vb, f"{prefix}{k}.")
        elif va != vb:
            out.append(f"{prefix}{k}")
    return out
