"""Losses against values computed by hand."""

import math

import torch

from rxalign.losses import IGNORE_INDEX, lm_loss_sum


def test_lm_loss_sum_matches_hand_values():
    # Vocabulary of 2; position t predicts token t+1.
    logits = torch.tensor([[[0.0, 0.0], [math.log(3.0), 0.0], [5.0, 5.0]]])  # (1, 3, 2)
    labels = torch.tensor([[1, 0, 1]])
    # t=0 predicts 0 with p=1/2 ; t=1 predicts 1 with p = 1/(3+1) = 1/4.
    loss_sum, n = lm_loss_sum(logits, labels)
    assert n.item() == 2
    assert math.isclose(loss_sum.item(), math.log(2) + math.log(4), rel_tol=1e-6)


def test_lm_loss_ignores_masked_labels():
    logits = torch.tensor([[[0.0, 0.0], [math.log(3.0), 0.0], [5.0, 5.0]]])
    labels = torch.tensor([[1, IGNORE_INDEX, 1]])  # only t=1 -> token 1 counts
    loss_sum, n = lm_loss_sum(logits, labels)
    assert n.item() == 1 and math.isclose(loss_sum.item(), math.log(4), rel_tol=1e-6)


def test_lm_loss_equals_transformers_loss(tiny_model_dirs):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dirs["llama"])
    ids = torch.randint(3, 300, (2, 12), generator=torch.Generator().manual_seed(0))
    out = model(input_ids=ids, labels=ids)
    loss_sum, n = lm_loss_sum(out.logits, ids)
    assert torch.allclose(loss_sum / n, out.loss, atol=1e-6)
