"""Tokenisation into model inputs: packing for pretraining, prompt-masked conversations for SFT, padding."""

from __future__ import annotations

import torch

from rxalign.errors import UserError
from rxalign.losses import IGNORE_INDEX


def pack(docs_ids: list[list[int]], block_size: int, bos_id: int, eos_id: int) -> torch.Tensor:
    """Concatenate `<bos> doc <eos>` for every document and cut the stream into (N, block_size) blocks.

    The tail shorter than a block is dropped. Attention crosses document boundaries inside a block, as in
    GPT-2 / nanoGPT pretraining; the BOS/EOS markers tell the model where a document starts.
    """
    stream: list[int] = []
    for ids in docs_ids:
        stream.append(bos_id)
        stream.extend(ids)
        stream.append(eos_id)
    n_blocks = len(stream) // block_size
    if n_blocks == 0:
        raise UserError(
            f"corpus has {len(stream)} tokens, fewer than one block of data.block_size={block_size}"
        )
    return torch.tensor(stream[: n_blocks * block_size], dtype=torch.long).view(n_blocks, block_size)


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
