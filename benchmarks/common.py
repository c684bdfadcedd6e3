"""Shared by the benchmark scripts: what every result records next to its numbers (date, hardware, versions, commit,
command), the bundled inputs (DPO pairs, a random model of a size preset), and the results writer."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import torch
from safetensors import safe_open

from rxalign.data.generate import GenerateConfig, build_datasets
from rxalign.io import write_jsonl
from rxalign.models.load import build_model, load_tokenizer
from rxalign.models.tokenizer import train_tokenizer

RXALIGN = [sys.executable, "-c", "from rxalign.cli import main; main()"]  # the CLI, in this interpreter


def environment() -> dict:
    import transformers

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "hardware": f"{platform.machine()} · {os.cpu_count()} CPUs · torch threads {torch.get_num_threads()}"
        + (f" · {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "commit": commit + (" (uncommitted changes)" if dirty else ""),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }


def header(env: dict) -> str:
    """One markdown line pinning where and with what a result was measured."""
    return (
        f"{env['date']} · {env['hardware']} · python {env['python']} · torch {env['torch']} · "
        f"transformers {env['transformers']} · commit {env['commit']}"
    )


def bundled_dpo_pairs(out: Path, train: int, val: int) -> tuple[Path, Path]:
    """The first `train` and `val` bundled DPO triplets as OUT/train.jsonl and OUT/val.jsonl."""
    files, _ = build_datasets(GenerateConfig())
    write_jsonl(out / "train.jsonl", files["dpo/train_dpo.jsonl"][:train])
    write_jsonl(out / "val.jsonl", files["dpo/val_dpo.jsonl"][:val])
    return out / "train.jsonl", out / "val.jsonl"


def model_dir(out: Path, preset: str, model: Path | None) -> Path:
    """`model` (checked to be a model directory with a tokenizer) or, without one, OUT/model: a randomly
    initialised `preset` Llama with a tokenizer trained on the bundled corpus (built once, seed 0)."""
    if model is not None:
        load_tokenizer(model, field="--model")
        return model
    model = out / "model"
    if not (model / "config.json").is_file():
        files, _ = build_datasets(GenerateConfig())
        tokenizer = train_tokenizer((r["text"] for r in files["corpus.jsonl"]), vocab_size=2048)
        torch.manual_seed(0)
        build_model(preset, tokenizer, max_positions=1024).save_pretrained(model)
        tokenizer.save_pretrained(model)
    return model


def parameters(model: Path) -> int:
    with safe_open(str(model / "model.safetensors"), framework="pt") as f:
        return sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys())


def write_results(out: Path, stem: str, report: dict, md: list[str]) -> None:
    """OUT/STEM.json (every number) and OUT/STEM.md (the table), and the table on stdout."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / f"{stem}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    print(f"wrote {out / f'{stem}.md'}")
