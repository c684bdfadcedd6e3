"""The one training loop every gradient stage shares (pretrain, SFT, reward, DPO).

A stage supplies a `loss_fn(model, batch) -> (loss_sum, metric_sums)` and a `make_batch(indices)`;
the loop owns the rest: accelerate (DDP / FSDP / DeepSpeed via `accelerate launch` or `torchrun`),
AdamW, warmup + cosine schedule, gradient accumulation, clipping, autocast, logging, evaluation and
exact resume. Losses are sums over the batch's loss items (tokens or pairs) and the loop divides by the
item count of the whole accumulation window on all processes, so the gradient equals the gradient of
one big batch, whatever the split (the fix HF made to its own gradient accumulation in 2024).
"""

from __future__ import annotations

import math
import os
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed

from rxalign import ui
from rxalign.config import TrainConfig
from rxalign.train.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from rxalign.train.metrics import (
    MetricsLog,
    Throughput,
    flops_per_token,
    peak_flops,
    peak_memory_mb,
    reset_peak_memory,
)

LossFn = Callable[[torch.nn.Module, dict], tuple[torch.Tensor, dict[str, torch.Tensor]]]
EvalFn = Callable[[torch.nn.Module, int], dict[str, float]]  # (model, optimiser step) -> metrics


def make_accelerator(precision: str) -> tuple[Accelerator, str]:
    """auto = bf16 on a GPU that supports it, fp32 elsewhere. The resolved choice is returned to be printed."""
    if precision == "auto":
        precision = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "fp32"
    # accelerate sets up multi-process CPU training (gloo) only when told it is on CPU.
    acc = Accelerator(
        mixed_precision="no" if precision == "fp32" else precision, cpu=not torch.cuda.is_available()
    )
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if acc.num_processes != launched:
        raise RuntimeError(
            f"launched {launched} processes but accelerate set up {acc.num_processes}; every process would write the same run"
        )
    return acc, precision


def to_device(batch: dict, device) -> dict:
    """A batch's tensors moved to `device`; other values as they are."""
    return {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW; weight decay on matrices only (norm gains and biases are not decayed)."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.adam_betas)


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Multiplier of `cfg.lr` for optimiser step `step` (0-based): linear warmup, then cosine to min_lr_ratio."""
    if step < cfg.warmup_steps:
        return (step + 1) / (cfg.warmup_steps + 1)
    span = max(1, cfg.max_steps - cfg.warmup_steps)
    progress = min(1.0, (step - cfg.warmup_steps) / span)
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


class BatchOrder:
    """Deterministic data order, so the data position is one integer.

    Micro-batch `k` of process `rank` is global batch `k * world + rank`; the batches of epoch `e` are
    consecutive slices of a permutation seeded by (seed, e). The last batch of an epoch may be short. With
    `lengths`, each run of 32 batches' worth of the permutation is sorted by length (longest first), so a
    batch holds examples of similar length and little padding, while the epoch order stays random.
    """

    MEGABATCH = 32

    def __init__(
        self,
        n: int,
        batch_size: int,
        seed: int,
        rank: int = 0,
        world: int = 1,
        shuffle: bool = True,
        lengths: list[int] | None = None,
    ):
        self.n, self.batch_size, self.seed, self.rank, self.world, self.shuffle = (
            n,
            batch_size,
            seed,
            rank,
            world,
            shuffle,
        )
        self.lengths = lengths
        self.per_epoch = math.ceil(n / batch_size)
        self._perm: tuple[int, list[int]] | None = None

    def _permutation(self, epoch: int) -> list[int]:
        if self._perm is None or self._perm[0] != epoch:
            if self.shuffle:
                g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
                order = torch.randperm(self.n, generator=g).tolist()
            else:
                order = list(range(self.n))
            if self.lengths is not None:
                span = self.MEGABATCH * self.batch_size
                order = [
                    i
                    for s in range(0, self.n, span)
                    for i in sorted(order[s : s + span], key=lambda i: -self.lengths[i])
                ]
            self._perm = (epoch, order)
        return self._perm[1]

    def indices(self, k: int) -> list[int]:
        epoch, b = divmod(k * self.world + self.rank, self.per_epoch)
        return self._permutation(epoch)[b * self.batch_size : (b + 1) * self.batch_size]

    def epoch(self, k: int) -> float:
        return k * self.world / self.per_epoch


@dataclass
class LoopResult:
    step: int
    last_train: dict
    last_eval: dict
    train_seconds: float


def train(
    *,
    accelerator: Accelerator,
    precision: str,
    model: torch.nn.Module,
    loss_fn: LossFn,
    make_batch: Callable[[list[int]], dict],
    n_examples: int,
    cfg: TrainConfig,
    seed: int,
    run_dir: Path,
    eval_fn: EvalFn | None = None,
    resume: bool = False,
    description: str = "train",
    lengths: list[int] | None = None,
) -> LoopResult:
    """Run `cfg.max_steps` optimiser steps (or the rest of them after a resume); checkpoints under run_dir."""
    acc = accelerator
    rank, world = acc.process_index, acc.num_processes
    optimizer = make_optimizer(model, cfg)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, cfg))
    # The scheduler is stepped by hand: accelerate's wrapper steps it once per process.
    model, optimizer = acc.prepare(model, optimizer)
    unwrapped = acc.unwrap_model(model)
    if acc.is_main_process:
        run_dir.mkdir(parents=True, exist_ok=True)
    log = MetricsLog(run_dir / "metrics.jsonl", enabled=acc.is_main_process)
    ckpt_root = run_dir / "checkpoints"

    # Sums since the last metrics line; saved in checkpoints so a resumed run logs the same numbers.
    window: dict[str, torch.Tensor] = defaultdict(lambda: torch.zeros((), dtype=torch.float64))
    step, micro_step, tokens_seen, train_seconds = 0, 0, 0, 0.0
    checkpoints = list_checkpoints(ckpt_root) if resume else []
    # Model init used the shared seed; from here each process draws its own dropout and sampling noise.
    set_seed(seed, device_specific=True)
    if checkpoints:
        state = load_checkpoint(checkpoints[-1], unwrapped, optimizer, scheduler, rank=rank, world_size=world)
        step, micro_step, tokens_seen, train_seconds = (
            state["step"],
            state["micro_step"],
            state["tokens"],
            state["train_seconds"],
        )
        window.update({k: torch.tensor(v, dtype=torch.float64) for k, v in state["window"].items()})
        log.truncate_after(step)
        ui.info(f"resumed from {checkpoints[-1]} (step {step})")

    order = BatchOrder(n_examples, cfg.batch_size, seed, rank, world, lengths=lengths)
    flops_tok = flops_per_token(unwrapped)
    peak = peak_flops(acc.device.type, precision, cfg.peak_tflops)
    throughput = Throughput()
    last_train: dict = {}
    last_eval: dict = {}
    reset_peak_memory(acc.device.type)  # the loop's own peak: not loading, not a reference pass before it
    t0 = time.perf_counter() - train_seconds

    def evaluate(at_step: int) -> dict:
        with throughput.pause():
            model.eval()
            with torch.no_grad(), acc.autocast():
                result = eval_fn(model, at_step) if eval_fn else {}
            model.train()
        return result

    if step == 0 and eval_fn is not None:
        last_eval = evaluate(0)
        log.write({"step": 0, **last_eval})

    model.train()
    with ui.progress(description, total=cfg.max_steps, completed=step, enabled=acc.is_main_process) as bar:
        while step < cfg.max_steps:
            batches = [make_batch(order.indices(micro_step + i)) for i in range(cfg.grad_accum)]
            micro_step += cfg.grad_accum
            n_items = acc.reduce(
                torch.tensor(float(sum(b["n_items"] for b in batches)), device=acc.device), "sum"
            )
            step_sums: dict[str, torch.Tensor] = defaultdict(lambda: torch.zeros((), dtype=torch.float64))
            for i, batch in enumerate(batches):
                # Gradients are all-reduced once, on the last micro-batch of the window.
                sync = acc.no_sync(model) if i < len(batches) - 1 else nullcontext()
                with sync, acc.autocast():
                    loss_sum, metric_sums = loss_fn(model, batch)
                    # DDP averages gradients over processes, hence the factor `world`.
                    acc.backward(loss_sum * world / n_items)
                step_sums["loss"] += loss_sum.detach().double().cpu()
                for k, v in metric_sums.items():
                    step_sums[k] += torch.as_tensor(v).detach().double().cpu()
                step_sums["n_items"] += batch["n_items"]
                step_sums["n_tokens"] += batch["n_tokens"]
            grad_norm = acc.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            # Sum this step's numbers over processes, so the window is the same everywhere.
            keys = sorted(step_sums)
            totals = acc.reduce(torch.stack([step_sums[k] for k in keys]).to(acc.device), "sum").cpu()
            for k, v in zip(keys, totals, strict=False):
                window[k] += v
            window["steps"] += 1
            window["grad_norm"] += float(grad_norm)
            throughput.add(int(totals[keys.index("n_tokens")]))
            tokens_seen += int(totals[keys.index("n_tokens")])

            record: dict = {}
            if step % cfg.log_every == 0 or step == cfg.max_steps:
                tokens_per_s = throughput.rate()
                n = window["n_items"].item()
                last_train = {
                    "epoch": round(order.epoch(micro_step), 4),
                    **{
                        k: v.item() / n
                        for k, v in window.items()
                        if k not in ("n_items", "n_tokens", "steps", "grad_norm")
                    },
                    "lr": scheduler.get_last_lr()[0],
                    "grad_norm": window["grad_norm"].item() / window["steps"].item(),
                    "tokens": tokens_seen,
                    "tokens_per_s": tokens_per_s,
                    "mfu": flops_tok * tokens_per_s / (peak * world),
                    "peak_memory_mb": peak_memory_mb(acc.device.type),
                    "elapsed_s": time.perf_counter() - t0,
                }
                record.update(last_train)
                window.clear()
            if eval_fn is not None and (step % cfg.eval_every == 0 or step == cfg.max_steps):
                last_eval = evaluate(step)
                record.update(last_eval)
            if record:
                log.write({"step": step, **record})
            if step % cfg.save_every == 0 or step == cfg.max_steps:
                save_checkpoint(
                    ckpt_root,
                    step,
                    unwrapped,
                    optimizer,
                    scheduler,
                    {
                        "micro_step": micro_step,
                        "tokens": tokens_seen,
                        "train_seconds": time.perf_counter() - t0,
                        "window": {k: v.item() for k, v in window.items()},
                    },
                    rank=rank,
                    world_size=world,
                    barrier=acc.wait_for_everyone,
                    keep=cfg.keep_checkpoints,
                )
            status = f"loss {last_train.get('loss', float('nan')):.3f} · {last_train.get('tokens_per_s', 0):,.0f} tok/s"
            if "val_loss" in last_eval:
                status += f" · val {last_eval['val_loss']:.3f}"
            bar.update(advance=1, status=status)

    return LoopResult(
        step=step, last_train=last_train, last_eval=last_eval, train_seconds=time.perf_counter() - t0
    )
