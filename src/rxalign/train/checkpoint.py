"""Atomic, pickle-free checkpoints: model, optimiser, scheduler, RNG states and data position, verified on load.

A checkpoint is written into `checkpoints/.tmp-step-N/` and renamed to `checkpoints/step-N/` only when
complete; `manifest.json` (written last) records each file's size and sha256, so a truncated or corrupt
checkpoint is refused with one line instead of being resumed from.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, load_model, save_file, save_model

from rxalign.errors import UserError
from rxalign.io import write_json

MANIFEST = "manifest.json"


def step_dir_name(step: int) -> str:
    return f"step-{step:07d}"


def list_checkpoints(root: Path) -> list[Path]:
    """Complete checkpoints (renamed into place), oldest first."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("step-"))


# ---- optimiser state <-> (tensors, json) -------------------------------------------------------------


def _optimizer_to_flat(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    sd = optimizer.state_dict()
    tensors, scalars = {}, {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            if torch.is_tensor(value):
                tensors[f"{idx}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{idx}.{key}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _optimizer_from_flat(tensors: dict[str, torch.Tensor], meta: dict) -> dict:
    state: dict[int, dict[str, Any]] = {}
    for name, value in list(tensors.items()) + list(meta["scalars"].items()):
        idx, key = name.split(".", 1)
        state.setdefault(int(idx), {})[key] = value
    groups = [{**g, "betas": tuple(g["betas"])} if "betas" in g else g for g in meta["param_groups"]]
    return {"state": state, "param_groups": groups}


# ---- RNG ----------------------------------------------------------------------------------------------


def _rng_state() -> tuple[dict[str, torch.Tensor], dict]:
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda.{i}"] = s
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    tensors["numpy.keys"] = torch.from_numpy(np.asarray(keys, dtype=np.int64))
    py_version, py_state, py_gauss = random.getstate()
    meta = {
        "numpy": {"name": name, "pos": int(pos), "has_gauss": int(has_gauss), "gauss": float(gauss)},
        "python": {"version": py_version, "state": list(py_state), "gauss": py_gauss},
    }
    return tensors, meta


def _set_rng_state(tensors: dict[str, torch.Tensor], meta: dict) -> None:
    torch.set_rng_state(tensors["torch"])
    cuda = [tensors[k] for k in sorted(k for k in tensors if k.startswith("cuda."))]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    n = meta["numpy"]
    np.random.set_state(
        (n["name"], tensors["numpy.keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"])
    )
    p = meta["python"]
    random.setstate((p["version"], tuple(p["state"]), p["gauss"]))


# ---- save / load --------------------------------------------------------------------------------------


def save_checkpoint(
    root: Path,
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    trainer_state: dict,
    *,
    rank: int = 0,
    world_size: int = 1,
    barrier=lambda: None,
    keep: int = 2,
    extra_modules: dict[str, torch.nn.Module] | None = None,
) -> Path:
    """Write checkpoint `step` atomically. Every rank writes its RNG state; rank 0 writes the rest and renames.

    `model` must be unwrapped (no DDP wrapper). `extra_modules` (e.g. a value head) are saved beside it.
    """
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{step_dir_name(step)}"
    final = root / step_dir_name(step)
    if rank == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
    barrier()
    rng_tensors, rng_meta = _rng_state()
    save_file(rng_tensors, tmp / f"rng-rank{rank}.safetensors")
    write_json(tmp / f"rng-rank{rank}.json", rng_meta)
    barrier()
    if rank == 0:
        save_model(model, str(tmp / "model.safetensors"))
        for name, module in (extra_modules or {}).items():
            save_model(module, str(tmp / f"{name}.safetensors"))
        opt_tensors, opt_meta = _optimizer_to_flat(optimizer)
        save_file(opt_tensors, tmp / "optimizer.safetensors")
        write_json(tmp / "optimizer.json", opt_meta)
        write_json(
            tmp / "trainer_state.json",
            {**trainer_state, "step": step, "world_size": world_size, "scheduler": scheduler.state_dict()},
        )
        files = {p.name: {"bytes": p.stat().st_size, "sha256": _sha256(p)} for p in sorted(tmp.iterdir())}
        write_json(tmp / MANIFEST, {"step": step, "files": files})
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        for old in list_checkpoints(root)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    barrier()
    return final


def verify_checkpoint(path: Path) -> dict:
    """Return the manifest, or raise UserError naming the first missing, truncated or corrupt file."""
    manifest_path = path / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError):
        raise UserError(
            f"{manifest_path}: checkpoint manifest is missing or unreadable; delete {path} to resume from an earlier checkpoint"
        ) from None
    for name, meta in files.items():
        f = path / name
        if not f.is_file():
            raise UserError(
                f"{f}: checkpoint file is missing; delete {path} to resume from an earlier checkpoint"
            )
        if f.stat().st_size != meta["bytes"]:
            raise UserError(
                f"{f}: checkpoint file is truncated ({f.stat().st_size} of {meta['bytes']} bytes); delete {path} to resume from an earlier checkpoint"
            )
        if _sha256(f) != meta["sha256"]:
            raise UserError(
                f"{f}: checkpoint file is corrupt (sha256 mismatch); delete {path} to resume from an earlier checkpoint"
            )
    return manifest


def load_checkpoint(
    path: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    *,
    rank: int = 0,
    world_size: int = 1,
    extra_modules: dict[str, torch.nn.Module] | None = None,
) -> dict:
    """Restore everything `save_checkpoint` wrote; returns the trainer state (step, data position, ...)."""
    verify_checkpoint(path)
    state = json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    if state["world_size"] != world_size:
        raise UserError(
            f"{path}: checkpoint was written by {state['world_size']} processes, this run has {world_size}; resume with the same number"
        )
    load_model(model, str(path / "model.safetensors"), strict=True)
    for name, module in (extra_modules or {}).items():
        load_model(module, str(path / f"{name}.safetensors"), strict=True)
    opt_meta = json.loads((path / "optimizer.json").read_text(encoding="utf-8"))
    optimizer.load_state_dict(_optimizer_from_flat(load_file(path / "optimizer.safetensors"), opt_meta))
    scheduler.load_state_dict(state["scheduler"])
    _set_rng_state(
        load_file(path / f"rng-rank{rank}.safetensors"),
        json.loads((path / f"rng-rank{rank}.json").read_text()),
    )
    return state


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
