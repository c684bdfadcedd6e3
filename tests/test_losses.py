"""Losses against values computed by hand."""

import math

import pytest
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


# ---- DPO family ----------------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rxalign.losses import (  # noqa: E402
    PREFERENCE_LOSSES,
    adaptive_kl_beta,
    dpo_margin,
    entropy_from_logits,
    gae,
    implicit_rewards,
    kl_estimators,
    ppo_policy_loss,
    ppo_value_loss,
    whiten,
)


def test_dpo_step0_is_ln2_when_policy_equals_reference():
    logps = torch.tensor([-12.3, -40.0, -7.5])
    h = dpo_margin(logps, logps - 3.0, logps, logps - 3.0)
    assert torch.allclose(PREFERENCE_LOSSES["sigmoid"](h, beta=0.1), torch.full((3,), math.log(2)))


def test_dpo_family_hand_values():
    h = torch.tensor([1.0])
    # sigmoid: -log σ(0.1) = log(1 + e^-0.1)
    assert PREFERENCE_LOSSES["sigmoid"](h, beta=0.1).item() == pytest.approx(
        math.log1p(math.exp(-0.1)), abs=1e-6
    )
    # IPO: (h - 1/(2β))^2 = (0 - 5)^2 at h = 0, β = 0.1
    assert PREFERENCE_LOSSES["ipo"](torch.tensor([0.0]), beta=0.1).item() == pytest.approx(25.0)
    # cDPO, ε = 0.1, β = 1: 0.9·log(1 + e^-1) + 0.1·log(1 + e^1)
    expected = 0.9 * math.log1p(math.exp(-1)) + 0.1 * math.log1p(math.e)
    assert PREFERENCE_LOSSES["cdpo"](h, beta=1.0, label_smoothing=0.1).item() == pytest.approx(
        expected, abs=1e-6
    )
    # RPO at h = 0 with a chosen NLL of 2 per token, α = 1: ln 2 + 2
    rpo = PREFERENCE_LOSSES["rpo"](
        torch.tensor([0.0]), beta=0.1, chosen_nll=torch.tensor([2.0]), rpo_alpha=1.0
    )
    assert rpo.item() == pytest.approx(math.log(2) + 2.0, abs=1e-6)
    # implicit rewards β(log π − log π_ref)
    assert implicit_rewards(torch.tensor([-10.0]), torch.tensor([-12.0]), 0.1).item() == pytest.approx(0.2)


# ---- PPO -----------------------------------------------------------------------------------------------------


def test_gae_hand_worked_example():
    rewards = torch.tensor([[0.0, 0.0, 1.0]])
    values = torch.tensor([[0.5, 0.6, 0.7]])
    adv, ret = gae(rewards, values, torch.ones(1, 3), gamma=1.0, lam=0.95)
    # δ2 = 1 − 0.7 = 0.3; δ1 = 0.7 − 0.6 = 0.1 → A1 = 0.1 + 0.95·0.3; δ0 = 0.1 → A0 = 0.1 + 0.95·A1
    assert adv.tolist()[0] == pytest.approx([0.46575, 0.385, 0.3])
    assert ret.tolist()[0] == pytest.approx([0.96575, 0.985, 1.0])


def test_gae_ignores_padding_after_the_response():
    adv, ret = gae(
        torch.tensor([[0.0, 1.0, 5.0]]), torch.tensor([[0.5, 0.6, 9.0]]), torch.tensor([[1.0, 1.0, 0.0]])
    )
    assert adv.tolist()[0] == pytest.approx([0.1 + 0.95 * 0.4, 0.4, 0.0])
    assert ret.tolist()[0] == pytest.approx([0.98, 1.0, 0.0])


def test_ppo_policy_loss_exact_hand_values():
    logprobs = torch.log(torch.tensor([[1.5, 0.5, 1.1]]))
    old = torch.zeros(1, 3)
    adv = torch.tensor([[1.0, 1.0, -1.0]])
    loss_sum, clipped, approx_kl = ppo_policy_loss(logprobs, old, adv, torch.ones(1, 3), clip_range=0.2)
    # token 0: max(-1.5, -1.2) = -1.2 (clipped); token 1: max(-0.5, -0.8) = -0.5; token 2: max(1.1, 1.1) = 1.1
    assert loss_sum.item() == pytest.approx(-1.2 - 0.5 + 1.1)
    assert clipped.item() == 1.0
    expected_kl = (0.5 - math.log(1.5)) + (-0.5 - math.log(0.5)) + (0.1 - math.log(1.1))
    assert approx_kl.item() == pytest.approx(expected_kl, abs=1e-6)


def test_ppo_value_loss_exact_hand_values():
    loss_sum, clipped = ppo_value_loss(
        torch.tensor([[1.0, 0.0]]),
        torch.tensor([[0.5, 0.5]]),
        torch.tensor([[2.0, 0.0]]),
        torch.ones(1, 2),
        clip_range=0.2,
    )
    # t0: max((1−2)², (0.7−2)²) = 1.69; t1: max(0², (0.3−0)²) = 0.09; ½·1.78
    assert loss_sum.item() == pytest.approx(0.89) and clipped.item() == 2.0


def test_kl_estimators_on_a_known_distribution():
    pi, ref = torch.tensor([0.7, 0.3]), torch.tensor([0.4, 0.6])
    true_kl = (pi * (pi / ref).log()).sum().item()  # 0.18379
    est = kl_estimators(pi.log(), ref.log())  # one "sample" per outcome, weighted by π below
    assert (pi * est["k1"]).sum().item() == pytest.approx(true_kl, abs=1e-6)  # unbiased
    assert (pi * est["k3"]).sum().item() == pytest.approx(true_kl, abs=1e-6)  # unbiased
    assert est["k1"][1].item() < 0  # a single k1 term can be negative...
    assert (est["k3"] >= 0).all() and (est["k2"] >= 0).all()  # ...k2 and k3 never are


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-20, 0), min_size=1, max_size=20), st.lists(st.floats(-20, 0), min_size=1, max_size=20)
)
def test_k3_is_never_negative(a, b):
    n = min(len(a), len(b))
    assert (kl_estimators(torch.tensor(a[:n]), torch.tensor(b[:n]))["k3"] >= 0).all()


def test_adaptive_kl_controller_formula():
    # e = clip(KL/target − 1, −0.2, 0.2); β ← β(1 + e·n/horizon)
    assert adaptive_kl_beta(0.1, kl=0.12, target=0.1, n_steps=64, horizon=10_000) == pytest.approx(
        0.1 * (1 + 0.2 * 64 / 10_000)
    )
    assert adaptive_kl_beta(0.1, kl=0.11, target=0.1, n_steps=64, horizon=10_000) == pytest.approx(
        0.1 * (1 + 0.1 * 64 / 10_000)
    )
    assert adaptive_kl_beta(0.1, kl=0.0, target=0.1, n_steps=64, horizon=10_000) == pytest.approx(
        0.1 * (1 - 0.2 * 64 / 10_000)
    )


def test_whiten_and_entropy():
    x = torch.tensor([[1.0, 2.0, 3.0, 100.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    w = whiten(x, mask)
    assert w[0, :3].mean().item() == pytest.approx(0.0, abs=1e-6) and w[0, 3].item() == 0.0
    assert (w[0, :3] ** 2).mean().item() == pytest.approx(1.0, abs=1e-4)
    assert entropy_from_logits(torch.zeros(2, 4)).tolist() == pytest.approx([math.log(4)] * 2)
