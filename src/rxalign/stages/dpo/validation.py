"""DPO's validation pass (the shared loop's eval_fn): loss and metrics on the validation pairs at step 0, each epoch
end and every `train.eval_every` steps; greedy samples at step 0 and each epoch end; checkpoint_epoch_N/."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from rxalign import ui
from rxalign.io import append_jsonl, read_jsonl
from rxalign.models.generation import generate
from rxalign.rundir import save_hf_dir
from rxalign.stages.dpo.config import DPOConfig
from rxalign.stages.dpo.data import Pairs, Triplets, response_tokens
from rxalign.stages.dpo.diagnostics import sample_health, vocabulary_of, warn_if_chosen_falls
from rxalign.stages.dpo.loss import preference_losses
from rxalign.stages.dpo.reference import Reference, pair_logps
from rxalign.stages.dpo.schedule import Schedule

LN2 = math.log(2)


@dataclass
class Validation:
    cfg: DPOConfig
    schedule: Schedule
    accelerator: Any
    lm: Any  # the policy's language model (with LoRA: the peft model), for samples and checkpoints
    tokenizer: Any
    reference: Reference
    pairs: Pairs
    triplets: Triplets
    pad_id: int
    out: Path
    provenance: dict  # dpo_config.json's account of the run (reference, base model, data)
    ref_logps: torch.Tensor | None = None  # (2N,): the reference is frozen, computed once
    first: dict = field(default_factory=dict)  # step 0's numbers

    def __post_init__(self):
        self.examples = self.pairs.val
        self.prompts = [r["prompt"] for r in self.triplets.val[: self.cfg.samples]]  # answered greedily
        self.vocabulary = vocabulary_of(self.triplets.train)  # for the made-up-word share of the samples

    def __call__(self, model, step: int) -> dict:
        if step and step not in self.schedule.eval_points(self.cfg.train.eval_every):
            return {}
        if self.ref_logps is None:
            self.ref_logps = self.logps(self.reference.logps)
        policy_logps = self.logps(lambda b: model(b["input_ids"], b["attention_mask"], b["labels"])[0])
        n_tokens = response_tokens(self.examples)
        losses, sums = preference_losses(policy_logps, self.ref_logps, n_tokens, **self.cfg.dpo.model_dump())
        n = len(self.examples)
        m = {"val_loss": losses.mean().item(), **{f"val_{k}": v.item() / n for k, v in sums.items()}}
        epoch = self.schedule.epoch_ending_at(step)
        main = self.accelerator.is_main_process
        if (step == 0 or epoch) and self.prompts and main:
            m.update(self.samples(step, epoch))
        if step == 0:
            self.first.update(m)
            ui.info(
                f"step 0 (policy = reference): val loss {m['val_loss']:.4f} (ln 2 = {LN2:.4f}) · chosen preference "
                f"{m['val_rewards/accuracies']:.1%}"
            )
        if epoch and main:
            record = self.cfg.quickstart_record(epoch=epoch, **self.provenance)
            path = self.out / f"checkpoint_epoch_{epoch}"
            save_hf_dir(path, self.lm, self.tokenizer, files={"dpo_config.json": record})
            ui.info(
                f"epoch {epoch}/{self.cfg.train.epochs}: val loss {m['val_loss']:.4f} · chosen preference "
                f"{m['val_rewards/accuracies']:.1%} · reward margin {m['val_rewards/margins']:.3f} · "
                f"logps chosen {m['val_logps/chosen']:.2f} / rejected {m['val_logps/rejected']:.2f}"
            )
            warn_if_chosen_falls(self.step0(), m, epoch)
        return m

    def logps(self, logps_of) -> torch.Tensor:
        """(2N,) summed log-probs of the validation pairs by `logps_of(batch) -> (2B,)`."""
        a, bs = self.accelerator, self.cfg.train.batch_size
        return pair_logps(logps_of, self.examples, "val", bs, self.pad_id, a.device, a.autocast)

    def samples(self, step: int, epoch: int | None) -> dict:
        """Greedy answers to the sample prompts, appended to samples.jsonl; their health figures."""
        answers = generate(
            self.lm,
            self.tokenizer,
            self.prompts,
            max_new_tokens=self.cfg.sample_max_new_tokens,
            description="samples",
        )
        for p, a in zip(self.prompts, answers, strict=True):
            append_jsonl(
                self.out / "samples.jsonl", {"step": step, "epoch": epoch or 0, "prompt": p, "answer": a}
            )
        return sample_health(answers, self.vocabulary)

    def step0(self) -> dict:
        if not self.first and (self.out / "metrics.jsonl").is_file():  # resumed: step 0 is in the log
            first = read_jsonl(self.out / "metrics.jsonl")[0]
            self.first.update(first if first.get("step") == 0 else {})
        return self.first
