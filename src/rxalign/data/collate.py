"""Tokenisation into model inputs: packing for pretraining, prompt-masked conversations for SFT, padding."""

from __future__ import annotations

import bisect

import torch

from rxalign.errors import UserError
from rxalign.losses import IGNORE_INDEX


def pack(
    docs_ids: list[list[int]], block_size: int, bos_id: int, eos_id: int, pad_id: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """`<bos> doc <eos>` for every document, packed whole into (N, block_size) blocks: (input_ids, labels).

    Best-fit decreasing (Ding et al. 2024, "Fewer Truncations Improve Language Modeling"): documents, longest
    first, go into the fullest block that still has room, so no document that fits a block is cut in two; one
    longer than a block is cut into block-sized pieces first. The rest of a block is padding, IGNORE_INDEX in the
    labels. Attention crosses document boundaries inside a block, as in GPT-2 / nanoGPT pretraining; the BOS/EOS
    markers tell the model where a document starts.
    """
    pieces: list[list[int]] = []
    for ids in docs_ids:
        seq = [bos_id, *ids, eos_id]
        pieces += [seq[s : s + block_size] for s in range(0, len(seq), block_size)]
    pieces = [p for p in pieces if len(p) > 1]  # a lone token has nothing to predict
    if not pieces:
        raise UserError("corpus has no tokens to train on")
    order = sorted(range(len(pieces)), key=lambda i: -len(pieces[i]))
    blocks: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (room left, block index), sorted
    for i in order:
        need = len(pieces[i])
        at = bisect.bisect_left(free, (need, -1))
        if at == len(free):
            blocks.append(list(pieces[i]))
            room, b = block_size - need, len(blocks) - 1
        else:
            room, b = free.pop(at)
            blocks[b] += pieces[i]
            room -= need
        if room > 1:
            bisect.insort(free, (room, b))
    input_ids = torch.full((len(blocks), block_size), pad_id, dtype=torch.long)
    labels = torch.full((len(blocks), block_size), IGNORE_INDEX, dtype=torch.long)
    for b, ids in enumerate(blocks):
        input_ids[b, : len(ids)] = torch.tensor(ids)
        labels[b, : len(ids)] = torch.tensor(ids)
    return input_ids, labels


def split_documents(docs: list[str], val_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Hold out whole documents (never parts of one) for validation, chosen by a seeded permutation."""
    if len(docs) < 2:
        raise UserError(f"corpus has {len(docs)} document; at least 2 are needed for a validation split")
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(docs), generator=g).tolist()
    n_val = max(1, round(len(docs) * val_fraction))
    val = sorted(order[:n_val])
    train = sorted(order[n_val:])
    return [docs[i] for i in train], [docs[i] for i in val]


def conversation(record: dict) -> list[dict]:
    """A `messages` record as is; a prompt/completion record as one user turn and one assistant turn."""
    if "messages" in record:
        return record["messages"]
    return [
        {"role": "user", "content": record["prompt"]},
        {"role": "assistant", "content": record["completion"]},
    ]


def sft_example(tokenizer, messages: list[dict], max_length: int) -> tuple[list[int], list[int], bool]:
    """(input_ids, labels, truncated) for one conversation rendered by the chat template exactly as at
    generation time. Labels keep the assistant tokens (and the EOS the template closes each turn with) and
    are IGNORE_INDEX elsewhere; a template without `{% generation %}` marks falls back to masking the prompt
    prefix, so only the last assistant turn is learned."""
    if "{% generation %}" in (tokenizer.chat_template or ""):
        enc = tokenizer.apply_chat_template(
            messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        ids, keep = enc["input_ids"], enc["assistant_masks"]
    else:
        ids = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]
        prompt = tokenizer.apply_chat_template(
            messages[:-1], tokenize=True, add_generation_prompt=True, return_dict=True
        )["input_ids"]
        keep = [0] * len(prompt) + [1] * (len(ids) - len(prompt))
    labels = [t if k else IGNORE_INDEX for t, k in zip(ids, keep, strict=True)]
    truncated = len(ids) > max_length
    return ids[:max_length], labels[:max_length], truncated


def pad_right(sequences: list[list[int]], value: int) -> torch.Tensor:
    width = max(len(s) for s in sequences)
    return torch.tensor([s + [value] * (width - len(s)) for s in sequences], dtype=torch.long)


def lm_batch(examples: list[tuple[list[int], list[int]]], pad_id: int) -> dict:
    """Right-padded (B, T) input_ids, attention_mask and labels, with the loop's item and token counts."""
    input_ids = pad_right([e[0] for e in examples], pad_id)
    labels = pad_right([e[1] for e in examples], IGNORE_INDEX)
    attention_mask = pad_right([[1] * len(e[0]) for e in examples], 0)
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "labels": labels,
        "n_items": int((labels[:, 1:] != IGNORE_INDEX).sum()),  # next-token targets in the loss
        "n_tokens": int(attention_mask.sum()),
    }
