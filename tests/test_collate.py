"""Packing and the held-out split, on exact tensors."""

import pytest

from rxalign.data.collate import pack, split_documents
from rxalign.errors import UserError


def test_pack_keeps_documents_whole_and_pads():
    input_ids, labels = pack([[10, 11], [12], [13, 14, 15]], block_size=4, bos_id=1, eos_id=2, pad_id=0)
    # pieces: [1 10 11 2], [1 12 2], [1 13 14 15] + [2] (cut: longer than a block; a lone token is dropped);
    # longest first, each into the fullest block with room: no room anywhere, so three blocks
    assert input_ids.tolist() == [[1, 10, 11, 2], [1, 13, 14, 15], [1, 12, 2, 0]]
    assert labels.tolist() == [[1, 10, 11, 2], [1, 13, 14, 15], [1, 12, 2, -100]]


def test_pack_is_best_fit():
    # pieces of 5, 4, 3 and 2 tokens in blocks of 6: the 2-token piece goes to the fullest block that has room
    # for it (the 4-token block, 2 left), not the emptier 3-token block
    input_ids, labels = pack([[5, 5, 5], [7, 7], [6], []], block_size=6, bos_id=1, eos_id=2, pad_id=0)
    assert input_ids.tolist() == [[1, 5, 5, 5, 2, 0], [1, 7, 7, 2, 1, 2], [1, 6, 2, 0, 0, 0]]
    assert (labels == -100).sum().item() == 4


def test_pack_rejects_an_empty_corpus():
    with pytest.raises(UserError, match="no tokens"):
        pack([], block_size=8, bos_id=1, eos_id=2, pad_id=0)


def test_split_is_deterministic_disjoint_and_complete():
    docs = [f"doc {i}" for i in range(50)]
    train, val = split_documents(docs, 0.1, seed=3)
    assert (train, val) == split_documents(docs, 0.1, seed=3)
    assert len(val) == 5 and not set(train) & set(val) and set(train) | set(val) == set(docs)
    assert split_documents(docs, 0.1, seed=4)[1] != val
    with pytest.raises(UserError, match="at least 2"):
        split_documents(["only"], 0.1, seed=0)
