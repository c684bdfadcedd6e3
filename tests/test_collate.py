"""Packing and the held-out split, on exact tensors."""

import pytest
import torch

from rxalign.data.collate import pack, split_documents
from rxalign.errors import UserError


def test_pack_exact_blocks():
    blocks = pack([[10, 11], [12], [13, 14, 15]], block_size=4, bos_id=1, eos_id=2)
    # stream: 1 10 11 2 | 1 12 2 1 | 13 14 15 2  -> 3 full blocks, nothing dropped
    assert torch.equal(blocks, torch.tensor([[1, 10, 11, 2], [1, 12, 2, 1], [13, 14, 15, 2]]))


def test_pack_drops_short_tail_and_rejects_tiny_corpus():
    assert pack([[5, 6, 7]], block_size=2, bos_id=1, eos_id=2).tolist() == [
        [1, 5],
        [6, 7],
    ]  # tail [2] dropped
    with pytest.raises(UserError, match="fewer than one block"):
        pack([[5]], block_size=8, bos_id=1, eos_id=2)


def test_split_is_deterministic_disjoint_and_complete():
    docs = [f"doc {i}" for i in range(50)]
    train, val = split_documents(docs, 0.1, seed=3)
    assert (train, val) == split_documents(docs, 0.1, seed=3)
    assert len(val) == 5 and not set(train) & set(val) and set(train) | set(val) == set(docs)
    assert split_documents(docs, 0.1, seed=4)[1] != val
    with pytest.raises(UserError, match="at least 2"):
        split_documents(["only"], 0.1, seed=0)
