"""Tokenisation into model inputs: packing for pretraining (later: prompt masking and preference batches)."""

from __future__ import annotations

import torch

from rxalign.errors import UserError


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
