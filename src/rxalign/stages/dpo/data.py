"""DPO's data: (prompt, chosen, rejected) triplets from the user's files or the bundled ones, the validation split
by prompt, each triplet tokenised through the chat template with the prompt masked, and preference batches."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import NamedTuple

import torch

from rxalign import ui
from rxalign.data.collate import pad_right
from rxalign.errors import UserError
from rxalign.losses import IGNORE_INDEX
from rxalign.stages import records
from rxalign.stages.dpo.config import DEFAULT_TRAIN_FILE, DPOConfig


@dataclass
class PairExample:
    """One triplet tokenised: prompt+chosen and prompt+rejected ids, labels IGNORE_INDEX on the prompt."""

    chosen_ids: list[int]
    chosen_labels: list[int]
    rejected_ids: list[int]
    rejected_labels: list[int]


class Triplets(NamedTuple):
    train: list[dict]
    val: list[dict]
    source: str  # where validation came from


class Pairs(NamedTuple):
    """The triplets tokenised, and how many were cut at max_length or dropped (the prompt alone fills it)."""

    train: list[PairExample]
    val: list[PairExample]
    cut: int
    dropped: int


def resolve_data(cfg: DPOConfig) -> DPOConfig:
    """Fall back to the bundled triplets when the default train file is absent and was not asked for."""
    data = cfg.data
    if (
        data.train_file == DEFAULT_TRAIN_FILE
        and "train_file" not in data.model_fields_set
        and not DEFAULT_TRAIN_FILE.exists()
    ):
        ui.info(
            f"dpo: {DEFAULT_TRAIN_FILE} not found; training on the bundled synthetic clinical-note triplets"
        )
        return cfg.model_copy(update={"data": data.model_copy(update={"train_file": None})})
    return cfg


def load_triplets(cfg: DPOConfig) -> Triplets:
    """(train rows, val rows, where validation came from)."""
    data, train_name, val_name = cfg.data, cfg.named("data.train_file"), cfg.named("data.val_file")
    if data.train_file is None:
        train = records(None, "dpo/train_dpo.jsonl", "preference", train_name)
        if data.val_file is None:
            return Triplets(train, records(None, "dpo/val_dpo.jsonl", "preference", val_name), "bundled")
    else:
        train = records(data.train_file, "dpo/train_dpo.jsonl", "preference", train_name)
    if data.val_file is not None:
        val = records(data.val_file, "dpo/val_dpo.jsonl", "preference", val_name)
        return Triplets(train, val, str(data.val_file))
    sibling = data.train_file.with_name("val_dpo.jsonl")
    if sibling.is_file() and sibling.resolve() != data.train_file.resolve():
        ui.info(f"dpo: validating on {sibling} (found beside {train_name})")
        return Triplets(train, records(sibling, "dpo/val_dpo.jsonl", "preference", val_name), str(sibling))
    train, val = split_by_prompt(train, data.val_fraction, cfg.seed, train_name, val_name)
    ui.info(
        f"dpo: no {val_name}; holding out {len(val)} of the training triplets ({data.val_fraction:.0%} of prompts)"
    )
    return Triplets(train, val, f"held out from {data.train_file}")


def split_by_prompt(
    rows: list[dict],
    fraction: float,
    seed: int,
    train_name: str = "data.train_file",
    val_name: str = "data.val_file",
) -> tuple[list[dict], list[dict]]:
    """Hold out whole prompts (all triplets of a prompt land on one side), chosen by a seeded shuffle."""
    prompts = sorted({r["prompt"] for r in rows})
    if len(prompts) < 2:
        raise UserError(
            f"{train_name}: needs at least 2 distinct prompts to hold some out for validation (or set {val_name})"
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


def encode_splits(cfg: DPOConfig, tokenizer, triplets: Triplets) -> Pairs:
    """Both splits tokenised; cut and dropped pairs are said as warnings, a split left empty is refused."""
    splits, cut, dropped = [], 0, 0
    for rows in (triplets.train, triplets.val):
        examples = []
        for r in rows:
            ex, truncated = encode_pair(
                tokenizer, r["prompt"], r["chosen"], r["rejected"], cfg.data.max_length
            )
            cut += truncated
            if ex is None:
                dropped += 1
            else:
                examples.append(ex)
        splits.append(examples)
    name, limit = cfg.named("data.max_length"), cfg.data.max_length
    if cut:
        ui.warn(f"{cut} pairs longer than {name}={limit} tokens were cut at the end")
    if dropped:
        ui.warn(f"{dropped} pairs dropped: their prompt alone fills {name}={limit}")
    if not splits[0] or not splits[1]:
        raise UserError(f"{name}={limit}: no {'training' if not splits[0] else 'validation'} pairs left")
    return Pairs(splits[0], splits[1], cut, dropped)


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


def split_batch(examples: list[PairExample], split: str, indices: list[int], pad_id: int) -> dict:
    """The preference batch of `examples[i] for i in indices`, tagged with where its pairs sit (`split`,
    `indices`) so that precomputed reference log-probs can be looked up."""
    batch = preference_batch([examples[i] for i in indices], pad_id)
    return {**batch, "split": split, "indices": indices}


def response_tokens(examples: list[PairExample]) -> torch.Tensor:
    """(2N,) labelled tokens per sequence [chosen..., rejected...], counted as `SequenceLogps` counts them."""
    labels = [e.chosen_labels for e in examples] + [e.rejected_labels for e in examples]
    return torch.tensor([sum(t != IGNORE_INDEX for t in seq[1:]) for seq in labels])
