"""Stage B recipe: Direct Preference Optimisation (Rafailov et al. 2023) with LoRA on (prompt, chosen, rejected)
triplets, against a frozen reference: the SFT model (with LoRA: the policy with its adapter switched off).

Keys, defaults, metrics and the output layout follow the DPO quick start users asked for:

    <output_dir>/final_model/            adapter_config.json, adapter_model.safetensors, tokenizer, dpo_config.json
    <output_dir>/checkpoint_epoch_N/     the same, after epoch N
    <output_dir>/dpo_training_stats.json per epoch: train/val loss, chosen preference, rewards, log-probs
    <output_dir>/config.yaml, metrics.jsonl, samples.jsonl, summary.json, checkpoints/ (exact resume)

Chosen and rejected go through the model in one forward; prompt tokens are masked; the output head is applied
only at the positions whose next token is a response token (`SequenceLogps`), never to the whole (B, T, V).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import math
import os
import random
import re
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from accelerate.utils import set_seed
from pydantic import Field, model_validator
from safetensors.torch import load_file, save_file

from rxalign import ui
from rxalign.config import LoraSettings, Strict, TrainConfig
from rxalign.data.collate import pad_right
from rxalign.data.formats import load_records
from rxalign.data.generate import GenerateConfig, build_datasets
from rxalign.errors import UserError
from rxalign.io import read_jsonl, replaced_dir, write_json
from rxalign.losses import IGNORE_INDEX, PREFERENCE_LOSSES, dpo_margin, implicit_rewards
from rxalign.models.export import is_adapter_dir, load_merged, tokenizer_for
from rxalign.models.generation import generate
from rxalign.models.load import apply_lora, count_parameters, load_causal_lm, load_tokenizer
from rxalign.models.logprobs import SequenceLogps
from rxalign.rundir import open_run, read_summary, save_hf_dir
from rxalign.train.loop import make_accelerator, train

DEFAULT_TRAIN_FILE = Path("phase2_data/dpo/train_dpo.jsonl")
LN2 = math.log(2)
REF_CACHE_VERSION = "rxalign-dpo-ref-logps/1"
METRIC_KEYS = (
    "rewards/chosen",
    "rewards/rejected",
    "rewards/margins",
    "rewards/accuracies",
    "logps/chosen",
    "logps/rejected",
)

# Troubleshooting rules (measured on the validation split; see `troubleshoot`).
FLAT_LOSS_DROP = 0.02  # val loss fell by less than 2% of its step-0 value ...
FLAT_PREFERENCE_GAIN = 0.05  # ... and chosen preference rose by less than 5 points: "loss flat"
DEGENERATE_REPEAT_RISE = 0.20  # repeated word-trigram share of greedy samples up 0.20 on step 0, or ...
DEGENERATE_UNKNOWN_RISE = (
    0.10  # ... share of sample words never seen in the training data up 0.10: "degenerate"
)
SAMPLE_KEYS = ("val_samples_repeated_trigrams", "val_samples_unknown_words")
OVERFIT_GAP_NATS = (
    0.10  # last epoch's val loss above its train loss by more than this: val does not track train
)
LOGPS_FALL_FRACTION = (
    0.01  # chosen log-prob down more than 1% of its step-0 size while the margin grows: warn
)


class DPOConfig(Strict):
    """Stage B: DPO on preference triplets, LoRA on the SFT model by default. Defaults are the quick start's."""

    sft_model_path: Path = Field(
        Path("./models/sft_specialist/final_model"),
        description="the Stage A (SFT) model: a local Hugging Face causal-LM directory, or an unmerged LoRA "
        "adapter directory (merged into its base first, so the reference is the SFT model)",
    )
    train_file: Path | None = Field(
        DEFAULT_TRAIN_FILE,
        description="JSONL/Parquet triplets {prompt, chosen (factual), rejected (hallucinated)}; null = the bundled "
        "synthetic clinical-note triplets, also used (and said) when this default file does not exist",
    )
    val_file: Path | None = Field(
        None,
        description="validation triplets; null = the bundled ones with bundled training data, else val_dpo.jsonl "
        "beside train_file if present, else val_fraction of the training prompts held out",
    )
    val_fraction: float = Field(
        0.1, gt=0.0, lt=0.5, description="share of training prompts held out when there is no validation file"
    )
    output_dir: Path = Field(
        Path("./models/dpo_hallucination_resistant"),
        description="run directory: final_model/, checkpoint_epoch_N/, dpo_training_stats.json",
    )
    num_epochs: int = Field(2, ge=1, description="passes over the training triplets (1-3 recommended)")
    learning_rate: float = Field(
        5e-6,
        gt=0.0,
        description="peak AdamW learning rate; 5e-6 is the standard for multi-billion-parameter models "
        "(1e-6 conservative, 1e-5 aggressive); tiny models trained from scratch need far more",
    )
    beta: float = Field(
        0.1, gt=0.0, description="β: strength of the KL penalty towards the reference (higher = stay closer)"
    )
    batch_size: int = Field(
        4, ge=1, description="triplets per micro-batch (each is 2 sequences: chosen, rejected)"
    )
    gradient_accumulation_steps: int = Field(1, ge=1, description="micro-batches per optimiser step")
    loss: Literal["sigmoid", "ipo", "cdpo", "rpo"] = Field(
        "sigmoid",
        description="sigmoid = DPO; ipo = IPO on length-averaged log-probs; cdpo = conservative DPO "
        "(label_smoothing); rpo = DPO + rpo_alpha x chosen NLL per token",
    )
    label_smoothing: float = Field(
        0.0, ge=0.0, lt=0.5, description="cdpo only: assumed probability that a preference label is flipped"
    )
    rpo_alpha: float = Field(
        1.0, ge=0.0, description="rpo only: weight of the chosen response's NLL per token"
    )
    use_lora: bool = Field(
        True,
        description="train LoRA adapters (reference = adapter off); false = train every weight against a frozen copy",
    )
    lora_r: int = Field(16, ge=1, description="LoRA rank")
    lora_alpha: int | None = Field(None, ge=1, description="LoRA scaling numerator; null = 2 x lora_r")
    precompute_ref: bool = Field(
        False,
        description="compute the reference log-probs of every pair once before training (cached on disk, keyed by "
        "the weights and the data) and free the reference: no reference forwards during training",
    )
    ref_cache_dir: Path | None = Field(
        None,
        description="where precomputed reference log-probs are cached; null = ~/.cache/rxalign/ref_logps",
    )
    max_length: int = Field(
        512,
        ge=8,
        description="tokens per prompt+response; longer ones keep their start (the count is reported)",
    )
    warmup_ratio: float = Field(0.1, ge=0.0, lt=1.0, description="share of the steps with linear warmup")
    max_grad_norm: float = Field(1.0, gt=0.0, description="clip the global gradient norm to this value")
    logging_steps: int = Field(10, ge=1, description="optimiser steps between training-metric lines")
    eval_steps: int | None = Field(
        None,
        ge=1,
        description="optimiser steps between validation passes; null = once per epoch (and at step 0)",
    )
    save_steps: int = Field(100, ge=1, description="optimiser steps between exact-resume checkpoints")
    samples: int = Field(
        4, ge=0, description="validation prompts answered greedily at step 0 and each epoch (samples.jsonl)"
    )
    sample_max_new_tokens: int = Field(96, ge=1, description="tokens per sample answer")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto", description="auto = bf16 autocast on a GPU that supports it, fp32 otherwise"
    )
    seed: int = Field(
        0, description="the one seed for data order, the validation split and LoRA initialisation"
    )

    @model_validator(mode="after")
    def _check(self):
        if self.label_smoothing and self.loss != "cdpo":
            raise ValueError(f"label_smoothing applies to loss cdpo only (loss is {self.loss})")
        return self

    @property
    def lora(self) -> LoraSettings:
        # dropout 0: a policy with dropout is not equal to its reference, and the step-0 loss would not be ln 2
        return LoraSettings(
            enabled=self.use_lora, r=self.lora_r, alpha=self.lora_alpha or 2 * self.lora_r, dropout=0.0
        )


# ---- data ------------------------------------------------------------------------------------------------


@dataclass
class PairExample:
    """One triplet tokenised: prompt+chosen and prompt+rejected ids, labels IGNORE_INDEX on the prompt."""

    chosen_ids: list[int]
    chosen_labels: list[int]
    rejected_ids: list[int]
    rejected_labels: list[int]


def resolve_data(cfg: DPOConfig) -> DPOConfig:
    """Fall back to the bundled triplets when the default train file is absent and was not asked for."""
    if (
        cfg.train_file == DEFAULT_TRAIN_FILE
        and "train_file" not in cfg.model_fields_set
        and not DEFAULT_TRAIN_FILE.exists()
    ):
        ui.info(
            f"dpo: {DEFAULT_TRAIN_FILE} not found; training on the bundled synthetic clinical-note triplets"
        )
        return cfg.model_copy(update={"train_file": None})
    return cfg


def load_triplets(cfg: DPOConfig) -> tuple[list[dict], list[dict], str]:
    """(train rows, val rows, where validation came from)."""
    if cfg.train_file is None:
        files, _ = build_datasets(GenerateConfig())
        train = files["dpo/train_dpo.jsonl"]
        if cfg.val_file is None:
            return train, files["dpo/val_dpo.jsonl"], "bundled"
    else:
        train = load_records(cfg.train_file, "preference", "train_file")
    if cfg.val_file is not None:
        return train, load_records(cfg.val_file, "preference", "val_file"), str(cfg.val_file)
    sibling = cfg.train_file.with_name("val_dpo.jsonl")
    if sibling.is_file() and sibling.resolve() != cfg.train_file.resolve():
        ui.info(f"dpo: validating on {sibling} (found beside train_file)")
        return train, load_records(sibling, "preference", "val_file"), str(sibling)
    train, val = split_by_prompt(train, cfg.val_fraction, cfg.seed)
    ui.info(
        f"dpo: no val_file; holding out {len(val)} of the training triplets ({cfg.val_fraction:.0%} of prompts)"
    )
    return train, val, f"held out from {cfg.train_file}"


def split_by_prompt(rows: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """Hold out whole prompts (all triplets of a prompt land on one side), chosen by a seeded shuffle."""
    prompts = sorted({r["prompt"] for r in rows})
    if len(prompts) < 2:
        raise UserError(
            "train_file: needs at least 2 distinct prompts to hold some out for validation (or set val_file)"
        )
    random.Random(seed).shuffle(prompts)
    held = set(prompts[: max(1, round(fraction * len(prompts)))])
    return [r for r in rows if r["prompt"] not in held], [r for r in rows if r["prompt"] in held]


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def encode_pair(
    tokenizer, prompt: str, chosen: str, rejected: str, max_length: int
) -> tuple[PairExample | None, bool]:
    """(example, truncated). The chat template renders prompt and response exactly as at generation time; without
    one, the text is prompt + response + EOS. The response starts where the prompt's ids stop being a prefix (as
    TRL does). Sequences keep their first `max_length` tokens; a prompt that fills them gives None."""
    if tokenizer.chat_template:
        user = [{"role": "user", "content": prompt}]

        def render(messages, **kw) -> list[int]:
            return tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True, **kw)["input_ids"]

        prompt_ids = render(user, add_generation_prompt=True)
        full = [render(user + [{"role": "assistant", "content": r}]) for r in (chosen, rejected)]
    else:
        prompt_ids = tokenizer(prompt)["input_ids"]
        full = [tokenizer(prompt + r)["input_ids"] + [tokenizer.eos_token_id] for r in (chosen, rejected)]
    start = min(_common_prefix(prompt_ids, ids) for ids in full)
    truncated = any(len(ids) > max_length for ids in full)
    if start >= max_length:
        return None, truncated
    out = []
    for ids in full:
        labels = [IGNORE_INDEX] * start + ids[start:]
        out += [ids[:max_length], labels[:max_length]]
    return PairExample(*out), truncated


def preference_batch(examples: list[PairExample], pad_id: int) -> dict:
    """(2B, T) right-padded ids, mask and labels: the B chosen sequences, then the B rejected ones."""
    ids = [e.chosen_ids for e in examples] + [e.rejected_ids for e in examples]
    labels = [e.chosen_labels for e in examples] + [e.rejected_labels for e in examples]
    attention_mask = pad_right([[1] * len(x) for x in ids], 0)
    return {
        "input_ids": pad_right(ids, pad_id),
        "attention_mask": attention_mask,
        "labels": pad_right(labels, IGNORE_INDEX),
        "n_items": len(examples),  # pairs: the loss is a sum over pairs
        "n_tokens": int(attention_mask.sum()),
    }


# ---- log-probabilities ------------------------------------------------------------------------------------


def preference_losses(
    policy_logps: torch.Tensor,
    ref_logps: torch.Tensor,
    n_tokens: torch.Tensor,
    *,
    loss: str,
    beta: float,
    label_smoothing: float = 0.0,
    rpo_alpha: float = 1.0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Per-pair losses (B,) and metric SUMS over the pairs, from (2B,) summed log-probs [chosen..., rejected...].

    IPO compares length-averaged log-probs (as TRL does); RPO adds the chosen NLL per token. Implicit rewards are
    β (log π − log π_ref) of the summed log-probs. Accuracy counts a tie as half a win, so "chosen preference" is
    50% when policy = reference.
    """
    policy_chosen_logps, policy_rejected_logps = policy_logps.chunk(2)  # (B,) each
    ref_chosen_logps, ref_rejected_logps = ref_logps.chunk(2)
    chosen_tokens, rejected_tokens = n_tokens.clamp(min=1).chunk(2)
    if loss == "ipo":
        h = dpo_margin(
            policy_chosen_logps / chosen_tokens,
            policy_rejected_logps / rejected_tokens,
            ref_chosen_logps / chosen_tokens,
            ref_rejected_logps / rejected_tokens,
        )
    else:
        h = dpo_margin(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    losses = PREFERENCE_LOSSES[loss](
        h,
        beta,
        label_smoothing=label_smoothing,
        chosen_nll=-policy_chosen_logps / chosen_tokens,
        rpo_alpha=rpo_alpha,
    )
    chosen_rewards = implicit_rewards(policy_chosen_logps, ref_chosen_logps, beta).detach()
    rejected_rewards = implicit_rewards(policy_rejected_logps, ref_rejected_logps, beta).detach()
    margins = chosen_rewards - rejected_rewards
    metrics = {
        "rewards/chosen": chosen_rewards.sum(),
        "rewards/rejected": rejected_rewards.sum(),
        "rewards/margins": margins.sum(),
        "rewards/accuracies": ((margins > 0).float() + 0.5 * (margins == 0).float()).sum(),
        "logps/chosen": policy_chosen_logps.detach().sum(),
        "logps/rejected": policy_rejected_logps.detach().sum(),
    }
    return losses, metrics


@torch.no_grad()
def pair_logps(
    module: SequenceLogps, examples: list[PairExample], batch_size: int, pad_id: int, device, autocast
) -> tuple[torch.Tensor, torch.Tensor]:
    """(2N,) summed log-probs [chosen of all N..., rejected of all N...] and token counts, on the CPU."""
    chosen, rejected, chosen_n, rejected_n = [], [], [], []
    for start in range(0, len(examples), batch_size):
        batch = preference_batch(examples[start : start + batch_size], pad_id)
        with autocast():
            logps, n = module(*(batch[k].to(device) for k in ("input_ids", "attention_mask", "labels")))
        c, r = logps.float().cpu().chunk(2)
        cn, rn = n.cpu().chunk(2)
        chosen.append(c), rejected.append(r), chosen_n.append(cn), rejected_n.append(rn)
    return torch.cat(chosen + rejected), torch.cat(chosen_n + rejected_n)


# ---- reference log-prob cache -------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    root = (
        os.environ.get("RXALIGN_CACHE_DIR")
        or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rxalign"
    )
    return Path(root) / "ref_logps"


def weights_fingerprint(model: torch.nn.Module) -> str:
    """sha256 over every tensor of the model (name, dtype, shape, bytes), LoRA adapters excluded."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        if "lora_" in name:
            continue
        t = tensor.detach().cpu().contiguous().reshape(-1)
        h.update(f"{name}|{t.dtype}|{tuple(tensor.shape)}|".encode())
        h.update(t.view(torch.uint8).numpy())
    return h.hexdigest()


def data_fingerprint(*splits: list[PairExample]) -> str:
    h = hashlib.sha256()
    for examples in splits:
        h.update(b"split")
        for e in examples:
            h.update(json.dumps([e.chosen_ids, e.chosen_labels, e.rejected_ids, e.rejected_labels]).encode())
    return h.hexdigest()


def load_or_compute_ref(
    path: Path, compute, expected: dict[str, int]
) -> tuple[dict[str, torch.Tensor], bool]:
    """(tensors, reused): the cache at `path` when it holds the expected tensors, else `compute()` written there."""
    if path.is_file():
        try:
            tensors = load_file(path)
            if all(k in tensors and tensors[k].numel() == n for k, n in expected.items()):
                return tensors, True
        except Exception:  # a truncated or foreign file is recomputed, not trusted
            pass
        ui.warn(f"{path}: unusable reference cache; recomputing")
    tensors = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    save_file({k: v.contiguous() for k, v in tensors.items()}, tmp, metadata={"format": REF_CACHE_VERSION})
    os.replace(tmp, path)
    return tensors, False


# ---- steps and epochs -------------------------------------------------------------------------------------


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


def train_config(cfg: DPOConfig, schedule: Schedule) -> TrainConfig:
    max_steps = schedule.epoch_ends[-1]
    # Logs and evaluations land on every epoch end, so per-epoch numbers never straddle two epochs.
    log_every = math.gcd(cfg.logging_steps, *schedule.epoch_ends)
    eval_every = math.gcd(cfg.eval_steps or schedule.epoch_ends[0], *schedule.epoch_ends)
    return TrainConfig(
        lr=cfg.learning_rate,
        min_lr_ratio=0.1,
        warmup_steps=round(cfg.warmup_ratio * max_steps),
        max_steps=max_steps,
        batch_size=cfg.batch_size,
        grad_accum=cfg.gradient_accumulation_steps,
        weight_decay=0.0,
        adam_betas=(0.9, 0.999),
        max_grad_norm=cfg.max_grad_norm,
        precision=cfg.precision,
        log_every=log_every,
        eval_every=eval_every,
        save_every=cfg.save_steps,
        keep_checkpoints=1,
    )


# ---- diagnostics --------------------------------------------------------------------------------------------


def repeated_trigram_share(text: str) -> float:
    """1 − distinct/total word trigrams: 0 for text that never repeats itself, near 1 for a loop."""
    words = text.split()
    grams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def unknown_word_share(text: str, vocabulary: set[str]) -> float:
    """Share of the text's words found nowhere in the training prompts and responses (made-up words)."""
    found = words(text)
    return sum(w not in vocabulary for w in found) / len(found) if found else 0.0


def troubleshoot(start: dict, epochs: list[dict]) -> list[dict]:
    """The quick start's troubleshooting advice, each behind a measurable rule on the validation numbers."""
    last = epochs[-1]
    advice = []
    drop = (start["val_loss"] - last["val_loss"]) / abs(start["val_loss"])
    gain = last["chosen_preference"] - start["chosen_preference"]
    if drop < FLAT_LOSS_DROP and gain < FLAT_PREFERENCE_GAIN:
        advice.append(
            {
                "problem": "loss flat",
                "rule": f"val loss fell {drop:.1%} (< {FLAT_LOSS_DROP:.0%}) and chosen preference rose "
                f"{gain * 100:.1f} points (< {FLAT_PREFERENCE_GAIN * 100:.0f})",
                "advice": "Chosen Preference not increasing -> Try: --learning_rate 1e-6 or --beta 0.5. "
                "(If the loss never left its start, the learning rate is more likely too low for this model size.)",
            }
        )
    repeats, unknown = (last.get(k, 0.0) - start.get(k, 0.0) for k in SAMPLE_KEYS)
    if repeats > DEGENERATE_REPEAT_RISE or unknown > DEGENERATE_UNKNOWN_RISE:
        advice.append(
            {
                "problem": "degenerate text",
                "rule": f"in greedy samples since step 0, the repeated word-trigram share rose {repeats:+.2f} "
                f"(limit {DEGENERATE_REPEAT_RISE}) and the share of words unseen in training {unknown:+.2f} "
                f"(limit {DEGENERATE_UNKNOWN_RISE})",
                "advice": "Model generates gibberish -> Increase beta: --beta 1.0, or reduce LR: --learning_rate 1e-7",
            }
        )
    gap = last["val_loss"] - last["train_loss"]
    if gap > OVERFIT_GAP_NATS:
        advice.append(
            {
                "problem": "validation loss does not follow training loss",
                "rule": f"last epoch val loss {last['val_loss']:.3f} is {gap:.3f} above train loss {last['train_loss']:.3f}",
                "advice": "Overfitting: fewer epochs (--num_epochs 1), a higher --beta, or more data",
            }
        )
    return advice


def epoch_stats(records: list[dict], schedule: Schedule) -> tuple[dict, list[dict]]:
    """(step-0 validation numbers, per-epoch numbers) from metrics.jsonl: training windows are weighted by the
    pairs they hold, validation is the pass at each epoch's last step."""
    start = next((r for r in records if r["step"] == 0 and "val_loss" in r), {})
    sums: dict[int, dict[str, float]] = {}
    previous = 0
    for r in records:
        if "lr" not in r:  # validation-only line
            continue
        pairs = schedule.pairs(previous, r["step"])
        acc = sums.setdefault(schedule.epoch_of(r["step"]), {"pairs": 0.0})
        acc["pairs"] += pairs
        for k in ("loss", *METRIC_KEYS):
            acc[k] = acc.get(k, 0.0) + r[k] * pairs
        previous = r["step"]
    by_step = {r["step"]: r for r in records if "val_loss" in r}
    epochs = []
    for e, end in enumerate(schedule.epoch_ends, start=1):
        if e not in sums or end not in by_step:
            continue
        acc, val = sums[e], by_step[end]
        row = {"epoch": e, "step": end, "train_loss": acc["loss"] / acc["pairs"], "val_loss": val["val_loss"]}
        row["chosen_preference"] = val["val_rewards/accuracies"]
        row["train_chosen_preference"] = acc["rewards/accuracies"] / acc["pairs"]
        for k in METRIC_KEYS:
            if k != "rewards/accuracies":
                row["train_" + k.replace("/", "_")] = acc[k] / acc["pairs"]
                row["val_" + k.replace("/", "_")] = val["val_" + k]
        row.update({k: val[k] for k in SAMPLE_KEYS if k in val})
        epochs.append(row)
    step0 = {}
    if start:
        step0 = {"val_loss": start["val_loss"], "chosen_preference": start["val_rewards/accuracies"]}
        step0.update(
            {
                "val_" + k.replace("/", "_"): start["val_" + k]
                for k in METRIC_KEYS
                if k != "rewards/accuracies"
            }
        )
        step0.update({k: start[k] for k in SAMPLE_KEYS if k in start})
    return step0, epochs


# ---- saving -----------------------------------------------------------------------------------------------


def save_policy_dir(path: Path, lm, tokenizer, dpo_config: dict) -> None:
    """A plain Hugging Face directory (with LoRA: the adapter) plus dpo_config.json, renamed into place whole."""
    with replaced_dir(path) as tmp:
        lm.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        write_json(tmp / "dpo_config.json", dpo_config)


# ---- the recipe -------------------------------------------------------------------------------------------


def load_reference_base(path: Path):
    """(model, tokenizer, merged_from): the SFT model; an unmerged LoRA adapter is merged into its base first,
    because with the DPO adapter switched off the reference must be the SFT model, not the SFT base."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"sft_model_path: {path} does not exist")
    if is_adapter_dir(path):
        model, base = load_merged(path, field="sft_model_path")
        ui.info(
            f"dpo: {path} is an unmerged LoRA adapter; merged it into its base {base} (the reference is the SFT model)"
        )
        return model, tokenizer_for(path, base, "sft_model_path"), base
    return load_causal_lm(path, "sft_model_path"), load_tokenizer(path, "sft_model_path"), None


def _disable_dropout(model: torch.nn.Module) -> None:
    """Dropout off everywhere: the policy must equal its reference at step 0 (and TRL does the same)."""
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
        if hasattr(module, "attention_dropout") and isinstance(module.attention_dropout, float):
            module.attention_dropout = 0.0


def run(cfg: DPOConfig, resume: bool = False) -> dict:
    started = time.perf_counter()
    cfg = resolve_data(cfg)
    accelerator, precision = make_accelerator(cfg.precision)
    out = Path(cfg.output_dir)
    try:
        run_dir = open_run(out, cfg, resume)
    except UserError as e:
        raise UserError(str(e).replace("--out ", "--output_dir ", 1)) from None
    accelerator.wait_for_everyone()
    if resume and (out / "summary.json").is_file() and (out / "final_model").is_dir():
        ui.info(f"{out}: run already complete")
        return read_summary(out)

    # Validate every input before anything is written.
    train_rows, val_rows, val_source = load_triplets(cfg)
    lm, tokenizer, merged_from = load_reference_base(cfg.sft_model_path)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad_id is None:
        raise UserError(
            f"sft_model_path: {cfg.sft_model_path}: the tokenizer has neither a pad nor an EOS token"
        )

    def encode(rows: list[dict]) -> tuple[list[PairExample], int, int]:
        examples, truncated, dropped = [], 0, 0
        for r in rows:
            ex, cut = encode_pair(tokenizer, r["prompt"], r["chosen"], r["rejected"], cfg.max_length)
            truncated += cut
            if ex is None:
                dropped += 1
            else:
                examples.append(ex)
        return examples, truncated, dropped

    train_ex, train_cut, train_dropped = encode(train_rows)
    val_ex, val_cut, val_dropped = encode(val_rows)
    if train_cut + val_cut:
        ui.warn(
            f"{train_cut + val_cut} pairs longer than max_length={cfg.max_length} tokens were cut at the end"
        )
    if train_dropped + val_dropped:
        ui.warn(
            f"{train_dropped + val_dropped} pairs dropped: their prompt alone fills max_length={cfg.max_length}"
        )
    if not train_ex or not val_ex:
        raise UserError(
            f"max_length={cfg.max_length}: no {'training' if not train_ex else 'validation'} pairs left"
        )

    # Everything is valid: the run starts writing.
    if accelerator.is_main_process:
        run_dir.start(cfg)
    set_seed(cfg.seed)
    _disable_dropout(lm)
    ref_weights = weights_fingerprint(lm) if cfg.precompute_ref else None
    base_dir = Path(cfg.sft_model_path)
    if merged_from is not None and cfg.use_lora:
        # The DPO adapter needs its base (the merged SFT model) on disk to be loadable.
        base_dir = out / "sft_merged"
        if accelerator.is_main_process and not base_dir.is_dir():
            save_hf_dir(base_dir, lm, tokenizer)
    if cfg.use_lora:
        # peft asks transformers a deprecated question; not the user's business
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
            lm = apply_lora(lm, cfg.lora)
        # the adapter's base is the SFT model (saved merged when it was an adapter itself)
        lm.peft_config["default"].base_model_name_or_path = str(base_dir.resolve())
    world = accelerator.num_processes
    schedule = Schedule.build(
        len(train_ex), cfg.batch_size, cfg.gradient_accumulation_steps, world, cfg.num_epochs
    )
    tcfg = train_config(cfg, schedule)
    reference = "adapter off (LoRA)" if cfg.use_lora else "frozen copy of the SFT model"
    ui.info(
        f"dpo: {count_parameters(lm, trainable_only=True) / 1e6:.2f}M trainable of {count_parameters(lm) / 1e6:.2f}M"
        f"{f' (LoRA r={cfg.lora_r}, alpha={cfg.lora.alpha})' if cfg.use_lora else ''} · {len(train_ex)} train / "
        f"{len(val_ex)} val pairs · {cfg.num_epochs} epochs = {tcfg.max_steps} steps · loss {cfg.loss}, β {cfg.beta}, "
        f"lr {cfg.learning_rate:g} · reference: {reference}{' (precomputed)' if cfg.precompute_ref else ''} · "
        f"{precision} on {accelerator.device}"
    )
    accelerator.wait_for_everyone()

    device = accelerator.device
    policy = SequenceLogps(lm).to(device)
    ref_module: SequenceLogps | None = None
    ref_context = lm.disable_adapter if cfg.use_lora else contextlib.nullcontext

    # ---- reference log-probs: precomputed (and the reference freed) or one forward per step ----
    cache_info: dict = {"precompute_ref": cfg.precompute_ref}
    val_ref: torch.Tensor | None = None
    train_ref: torch.Tensor | None = None
    if cfg.precompute_ref:
        key = hashlib.sha256(
            f"{REF_CACHE_VERSION}|{ref_weights}|{data_fingerprint(train_ex, val_ex)}|{precision}".encode()
        ).hexdigest()[:32]
        cache_path = Path(cfg.ref_cache_dir or default_cache_dir()) / f"{key}.safetensors"

        def compute() -> dict[str, torch.Tensor]:
            # Before training, so even on a resume these are the SFT weights; LoRA: adapter off regardless.
            policy.eval()
            with ref_context():
                t, _ = pair_logps(policy, train_ex, cfg.batch_size, pad_id, device, accelerator.autocast)
                v, _ = pair_logps(policy, val_ex, cfg.batch_size, pad_id, device, accelerator.autocast)
            return {"train": t, "val": v}

        expected = {"train": 2 * len(train_ex), "val": 2 * len(val_ex)}
        if accelerator.is_main_process:
            tensors, reused = load_or_compute_ref(cache_path, compute, expected)
        accelerator.wait_for_everyone()
        if not accelerator.is_main_process:
            tensors, reused = load_or_compute_ref(cache_path, compute, expected)
        train_ref, val_ref = tensors["train"], tensors["val"]
        cache_info.update({"ref_cache": str(cache_path), "ref_cache_reused": reused})
        ui.info(
            f"dpo: reference log-probs {'reused from' if reused else 'computed and cached in'} {cache_path}"
        )
    elif not cfg.use_lora:
        ref_module = SequenceLogps(copy.deepcopy(lm)).to(device).eval().requires_grad_(False)
    if ref_module is None:
        ref_module = policy  # LoRA: the same module with the adapter switched off

    n = len(train_ex)

    def make_batch(indices: list[int]) -> dict:
        batch = preference_batch([train_ex[i] for i in indices], pad_id)
        batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}
        if train_ref is not None:
            idx = torch.tensor(indices)
            batch["ref_logps"] = torch.cat([train_ref[:n][idx], train_ref[n:][idx]]).to(device)
        return batch

    def reference_logps(batch: dict) -> torch.Tensor:
        with torch.no_grad(), ref_context():
            return ref_module(batch["input_ids"], batch["attention_mask"], batch["labels"])[0]

    loss_kw = dict(loss=cfg.loss, beta=cfg.beta, label_smoothing=cfg.label_smoothing, rpo_alpha=cfg.rpo_alpha)

    def loss_fn(model, batch):
        # The reference first: its activations are gone before the policy's are kept for the backward pass.
        ref_logps = batch["ref_logps"] if "ref_logps" in batch else reference_logps(batch)  # (2B,)
        policy_logps, n_tokens = model(batch["input_ids"], batch["attention_mask"], batch["labels"])  # (2B,)
        losses, metrics = preference_losses(policy_logps, ref_logps, n_tokens, **loss_kw)
        return losses.sum(), metrics

    eval_points = set(schedule.epoch_ends) | (
        set(range(cfg.eval_steps, tcfg.max_steps + 1, cfg.eval_steps)) if cfg.eval_steps else set()
    )
    sample_prompts = [r["prompt"] for r in val_rows[: cfg.samples]]
    vocabulary = {w for r in train_rows for w in words(r["prompt"] + " " + r["chosen"])}
    start_values: dict = {}

    def step0_values() -> dict:
        if not start_values and (out / "metrics.jsonl").is_file():  # resumed: step 0 is in the log
            first = read_jsonl(out / "metrics.jsonl")[0]
            start_values.update(first if first.get("step") == 0 else {})
        return start_values

    def eval_fn(model, step: int) -> dict:
        nonlocal val_ref
        if step and step not in eval_points:
            return {}
        if val_ref is None:  # the reference is frozen: its validation log-probs are computed once
            with ref_context():
                val_ref, _ = pair_logps(
                    ref_module, val_ex, cfg.batch_size, pad_id, device, accelerator.autocast
                )
        policy_logps, n_tokens = pair_logps(
            model, val_ex, cfg.batch_size, pad_id, device, accelerator.autocast
        )
        losses, sums = preference_losses(policy_logps, val_ref, n_tokens, **loss_kw)
        m = {
            "val_loss": losses.mean().item(),
            **{f"val_{k}": v.item() / len(val_ex) for k, v in sums.items()},
        }
        epoch = schedule.epoch_ends.index(step) + 1 if step in schedule.epoch_ends else None
        if (step == 0 or epoch) and sample_prompts and accelerator.is_main_process:
            answers = generate(
                lm, tokenizer, sample_prompts, max_new_tokens=cfg.sample_max_new_tokens, description="samples"
            )
            m["val_samples_repeated_trigrams"] = sum(map(repeated_trigram_share, answers)) / len(answers)
            m["val_samples_unknown_words"] = sum(unknown_word_share(a, vocabulary) for a in answers) / len(
                answers
            )
            with open(out / "samples.jsonl", "a", encoding="utf-8") as f:
                for p, a in zip(sample_prompts, answers, strict=True):
                    f.write(json.dumps({"step": step, "epoch": epoch or 0, "prompt": p, "answer": a}) + "\n")
        if step == 0:
            start_values.update(m)
            ui.info(
                f"step 0 (policy = reference): val loss {m['val_loss']:.4f} (ln 2 = {LN2:.4f}) · chosen preference "
                f"{m['val_rewards/accuracies']:.1%}"
            )
        if epoch and accelerator.is_main_process:
            save_policy_dir(out / f"checkpoint_epoch_{epoch}", lm, tokenizer, dpo_config_json(epoch))
            ui.info(
                f"epoch {epoch}/{cfg.num_epochs}: val loss {m['val_loss']:.4f} · chosen preference "
                f"{m['val_rewards/accuracies']:.1%} · reward margin {m['val_rewards/margins']:.3f} · "
                f"logps chosen {m['val_logps/chosen']:.2f} / rejected {m['val_logps/rejected']:.2f}"
            )
            first = step0_values()
            if first and "val_logps/chosen" in first:
                fell = first["val_logps/chosen"] - m["val_logps/chosen"]
                if fell > LOGPS_FALL_FRACTION * abs(first["val_logps/chosen"]) and (
                    m["val_rewards/margins"] > first["val_rewards/margins"]
                ):
                    ui.warn(
                        f"epoch {epoch}: validation chosen log-prob fell {first['val_logps/chosen']:.2f} -> "
                        f"{m['val_logps/chosen']:.2f} while the reward margin grew to {m['val_rewards/margins']:.3f}: "
                        "the policy pushes the factual summaries down too, only the rejected ones faster; "
                        "watch the samples for degenerate text (a higher --beta, or --loss rpo, counters it)"
                    )
        return m

    def dpo_config_json(epoch: int | None) -> dict:
        return {
            **cfg.model_dump(mode="json"),
            "lora_alpha": cfg.lora.alpha if cfg.use_lora else None,
            "epoch": epoch,
            "reference": reference,
            "base_model": str(base_dir.resolve()),
            "sft_adapter_merged_from": str(merged_from) if merged_from else None,
            "train_data": str(cfg.train_file)
            if cfg.train_file
            else "bundled synthetic clinical-note triplets",
            "val_data": val_source,
            "train_pairs": len(train_ex),
            "val_pairs": len(val_ex),
        }

    result = train(
        accelerator=accelerator,
        precision=precision,
        model=policy,
        loss_fn=loss_fn,
        make_batch=make_batch,
        n_examples=len(train_ex),
        cfg=tcfg,
        seed=cfg.seed,
        run_dir=out,
        eval_fn=eval_fn,
        resume=run_dir.resuming,
        description="dpo",
        lengths=[len(e.chosen_ids) + len(e.rejected_ids) for e in train_ex],
    )

    records = read_jsonl(out / "metrics.jsonl")
    step0, epochs = epoch_stats(records, schedule)
    advice = troubleshoot(step0, epochs) if step0 and epochs else []
    for e in epochs:
        ui.info(
            f"\nEpoch {e['epoch']}/{cfg.num_epochs}:\n{'=' * 60}\nTrain Loss: {e['train_loss']:.4f}\n"
            f"Val Loss: {e['val_loss']:.4f}\nChosen Preference: {e['chosen_preference']:.1%}"
        )
    for a in advice:
        ui.warn(f"{a['problem']} ({a['rule']}): {a['advice']}")
    peak = max((r.get("peak_memory_mb", 0.0) for r in records), default=0.0)
    stats = {
        "step_0": step0,
        "epochs": epochs,
        "troubleshooting": advice,
        "rules": {
            "chosen_preference": "share of pairs with implicit reward chosen > rejected (ties count half)",
            "flat": f"val loss drop < {FLAT_LOSS_DROP:.0%} of step 0 and chosen preference gain < {FLAT_PREFERENCE_GAIN:.0%}",
            "degenerate": f"greedy samples vs step 0: repeated word-trigram share up > {DEGENERATE_REPEAT_RISE}, "
            f"or share of words unseen in training up > {DEGENERATE_UNKNOWN_RISE}",
            "val_tracks_train": f"last epoch val loss - train loss <= {OVERFIT_GAP_NATS} nats",
        },
    }
    last = epochs[-1] if epochs else {}
    summary = {
        "stage": "dpo",
        "loss": cfg.loss,
        "beta": cfg.beta,
        "val_loss_first": step0.get("val_loss"),
        "val_loss": result.last_eval.get("val_loss"),
        "train_loss": last.get("train_loss"),
        "chosen_preference_first": step0.get("chosen_preference"),
        "chosen_preference": result.last_eval.get("val_rewards/accuracies"),
        "epochs": epochs,
        "troubleshooting": [a["problem"] for a in advice],
        "steps": result.step,
        "train_seconds": result.train_seconds,
        "stage_seconds": time.perf_counter() - started,
        "peak_memory_mb": peak,
        "trainable_parameters": count_parameters(lm, trainable_only=True),
        "reference": reference,
        **cache_info,
        "train_pairs": len(train_ex),
        "val_pairs": len(val_ex),
        "truncated_pairs": train_cut + val_cut,
        "dropped_pairs": train_dropped + val_dropped,
        "precision": precision,
        "device": str(device),
        "world_size": world,
    }
    if accelerator.is_main_process:
        save_policy_dir(out / "final_model", lm, tokenizer, dpo_config_json(None))
        write_json(out / "dpo_training_stats.json", stats)
        write_json(out / "summary.json", summary)
    accelerator.wait_for_everyone()
    return summary
