"""DPO counts epochs, the shared loop counts optimiser steps: where each epoch ends, how many pairs a window of
steps held, and the loop's TrainConfig for a DPO config."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rxalign.config import TrainConfig
from rxalign.stages.dpo.config import DPOConfig


@dataclass
class Schedule:
    """Where epochs end in optimiser steps. A micro-batch belongs to epoch floor(global index / per_epoch) (the
    loop's BatchOrder); epoch e is complete after step ceil(e · per_epoch / (grad_accum · world))."""

    n_pairs: int
    batch_size: int
    micro_per_step: int  # grad_accum x processes
    epoch_ends: list[int]

    @classmethod
    def build(cls, n_pairs: int, batch_size: int, grad_accum: int, world: int, epochs: int) -> Schedule:
        per_epoch = math.ceil(n_pairs / batch_size)
        mw = grad_accum * world
        return cls(n_pairs, batch_size, mw, [math.ceil(e * per_epoch / mw) for e in range(1, epochs + 1)])

    @property
    def per_epoch(self) -> int:
        return math.ceil(self.n_pairs / self.batch_size)

    def pairs(self, after_step: int, upto_step: int) -> int:
        """Training pairs consumed by optimiser steps after_step+1 .. upto_step."""
        total = 0
        for g in range(after_step * self.micro_per_step, upto_step * self.micro_per_step):
            b = g % self.per_epoch
            total += min(self.batch_size, self.n_pairs - b * self.batch_size)
        return total

    def epoch_of(self, step: int) -> int:
        """1-based epoch of optimiser step `step` (1-based)."""
        return next(e for e, end in enumerate(self.epoch_ends, start=1) if step <= end)

    def epoch_ending_at(self, step: int) -> int | None:
        """The 1-based epoch that ends at optimiser step `step`, if one does."""
        return self.epoch_ends.index(step) + 1 if step in self.epoch_ends else None

    def eval_points(self, eval_every: int | None) -> set[int]:
        """Steps with a validation pass: every epoch end, and every `eval_every` steps."""
        every = set(range(eval_every, self.epoch_ends[-1] + 1, eval_every)) if eval_every else set()
        return set(self.epoch_ends) | every


def train_config(cfg: DPOConfig, schedule: Schedule) -> TrainConfig:
    t, max_steps = cfg.train, schedule.epoch_ends[-1]
    # Logs and evaluations land on every epoch end, so per-epoch numbers never straddle two epochs.
    log_every = math.gcd(t.log_every, *schedule.epoch_ends)
    eval_every = math.gcd(t.eval_every or schedule.epoch_ends[0], *schedule.epoch_ends)
    return TrainConfig(
        lr=t.lr,
        min_lr_ratio=0.1,
        warmup_steps=round(t.warmup_ratio * max_steps),
        max_steps=max_steps,
        batch_size=t.batch_size,
        grad_accum=t.grad_accum,
        weight_decay=0.0,
        adam_betas=(0.9, 0.999),
        max_grad_norm=t.max_grad_norm,
        precision=t.precision,
        log_every=log_every,
        eval_every=eval_every,
        save_every=t.save_every,
        keep_checkpoints=1,
    )
