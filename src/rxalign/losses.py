"""Loss functions and estimators: pure functions of tensors, each citing the equation it implements.

Shapes: B batch, T sequence length, V vocabulary. Losses the shared loop trains with return a SUM over
their items (tokens or pairs), so the loop can normalise over a whole accumulation window; the DPO family
returns one loss per pair (B,), as the DPO reference implementation does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100


def lm_loss_sum(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Next-token cross-entropy, summed: L = -Σ_t log p(x_{t+1} | x_≤t) over positions whose label is kept.

    Args:
        logits: (B, T, V) scores at every position.
        labels: (B, T) the input ids, with IGNORE_INDEX where no loss is wanted (prompt, padding).
    Returns:
        (loss_sum, n_tokens): scalar float32 sum of the per-token NLL, and the number of tokens in it.
    """
    shift_logits = logits[:, :-1, :].float()  # (B, T-1, V): position t predicts token t+1
    shift_labels = labels[:, 1:]  # (B, T-1)
    loss_sum = F.cross_entropy(
        shift_logits.reshape(-1, shift_logits.size(-1)),
        shift_labels.reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="sum",
    )
    return loss_sum, (shift_labels != IGNORE_INDEX).sum()


def bradley_terry_loss_sum(
    chosen_rewards: torch.Tensor,
    rejected_rewards: torch.Tensor,
    margin: float | torch.Tensor = 0.0,
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Bradley–Terry pairwise loss (Bradley & Terry 1952; as a reward-model loss, Ouyang et al. 2022, eq. 1):

        L = -Σ_i w_i · log σ(r(x_i, y_i^chosen) - r(x_i, y_i^rejected) - m_i)

    Args:
        chosen_rewards, rejected_rewards: (B,) scalar rewards of the preferred and the dispreferred response.
        margin: m, required reward gap (0 = plain BT; Llama 2 uses a margin from the rating difference).
        weights: (B,) per-pair weights (e.g. annotator agreement), 1 when None.
    Returns:
        scalar sum over pairs; divide by B for the mean that TRL's RewardTrainer reports.
    """
    losses = -F.logsigmoid(chosen_rewards.float() - rejected_rewards.float() - margin)  # (B,)
    return (losses * weights).sum() if weights is not None else losses.sum()


# ---- preference optimisation (DPO family) ------------------------------------------------------------------


def dpo_margin(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
) -> torch.Tensor:
    """h = (log π(y_w|x) − log π(y_l|x)) − (log π_ref(y_w|x) − log π_ref(y_l|x)), shape (B,)."""
    return (policy_chosen_logps - policy_rejected_logps) - (ref_chosen_logps - ref_rejected_logps)


def dpo_sigmoid_loss(h: torch.Tensor, beta: float, **_) -> torch.Tensor:
    """DPO (Rafailov et al. 2023, eq. 7): L = −log σ(β·h). (B,) per pair; ln 2 when policy = reference."""
    return -F.logsigmoid(beta * h)


def ipo_loss(h: torch.Tensor, beta: float, **_) -> torch.Tensor:
    """IPO (Azar et al. 2023, eq. 17): L = (h − 1/(2β))². Like TRL, the stage feeds length-averaged log-probs."""
    return (h - 1 / (2 * beta)) ** 2


def cdpo_loss(h: torch.Tensor, beta: float, label_smoothing: float = 0.0, **_) -> torch.Tensor:
    """Conservative DPO (Mitchell 2023, "A note on DPO with noisy preferences"): labels flipped with
    probability ε: L = −(1 − ε)·log σ(β·h) − ε·log σ(−β·h)."""
    return -(1 - label_smoothing) * F.logsigmoid(beta * h) - label_smoothing * F.logsigmoid(-beta * h)


def rpo_loss(
    h: torch.Tensor, beta: float, chosen_nll: torch.Tensor | None = None, rpo_alpha: float = 1.0, **_
) -> torch.Tensor:
    """RPO (Pang et al. 2024, "Iterative Reasoning Preference Optimization", eq. 1): DPO plus α times the
    negative log-likelihood of the chosen response per token: L = −log σ(β·h) + α·NLL(y_w|x)/|y_w|."""
    if chosen_nll is None:
        raise ValueError("rpo needs chosen_nll (per-token NLL of the chosen response)")
    return -F.logsigmoid(beta * h) + rpo_alpha * chosen_nll


# Losses are registered by name (as verl does) instead of an if/elif chain in the trainer.
PREFERENCE_LOSSES = {"sigmoid": dpo_sigmoid_loss, "ipo": ipo_loss, "cdpo": cdpo_loss, "rpo": rpo_loss}


def implicit_rewards(policy_logps: torch.Tensor, ref_logps: torch.Tensor, beta: float) -> torch.Tensor:
    """DPO's implicit reward r = β (log π(y|x) − log π_ref(y|x)), (B,)."""
    return beta * (policy_logps - ref_logps)


# ---- PPO -----------------------------------------------------------------------------------------------------


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (x * mask).sum() / mask.sum().clamp(min=1)


def whiten(x: torch.Tensor, mask: torch.Tensor, shift_mean: bool = True) -> torch.Tensor:
    """(x − mean) / std over the masked entries (advantage normalisation)."""
    mean = masked_mean(x, mask)
    var = masked_mean((x - mean) ** 2, mask)
    out = (x - mean) * torch.rsqrt(var + 1e-8)
    return (out if shift_mean else out + mean) * mask


def gae(
    rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float = 1.0, lam: float = 0.95
):
    """Generalised advantage estimation (Schulman et al. 2016, eq. 16), right to left over response tokens:

        δ_t = r_t + γ V(s_{t+1}) − V(s_t),   A_t = δ_t + γ λ A_{t+1},   returns R_t = A_t + V(s_t)

    Args: rewards, values, mask: (B, T); mask is 1 on response tokens (V past the last token is 0).
    Returns: (advantages, returns), each (B, T), zero outside the mask.
    """
    B, T = rewards.shape
    advantages = torch.zeros_like(rewards)
    next_value = torch.zeros(B, dtype=values.dtype, device=values.device)
    next_adv = torch.zeros(B, dtype=values.dtype, device=values.device)
    for t in reversed(range(T)):
        m = mask[:, t]
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        adv = delta + gamma * lam * next_adv
        advantages[:, t] = adv * m
        # padding after the response carries nothing back
        next_value = torch.where(m > 0, values[:, t], next_value)
        next_adv = torch.where(m > 0, adv, next_adv)
    return advantages, (advantages + values) * mask


def ppo_policy_loss(logprobs, old_logprobs, advantages, mask, clip_range: float = 0.2):
    """Clipped surrogate (Schulman et al. 2017, eq. 7): L = −E[min(ρ·A, clip(ρ, 1 − ε, 1 + ε)·A)], ρ = π/π_old.

    All (B, T). Returns (loss_sum, clipped_count, approx_kl_sum) over masked tokens, where approx_kl is
    the k3 estimate of KL(π_old‖π) = (ρ − 1) − log ρ.
    """
    log_ratio = (logprobs - old_logprobs) * mask
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1 - clip_range, 1 + clip_range)
    loss_sum = (torch.maximum(unclipped, clipped) * mask).sum()
    clipped_count = ((clipped > unclipped).float() * mask).sum()
    approx_kl_sum = (((ratio - 1) - log_ratio) * mask).sum()
    return loss_sum, clipped_count, approx_kl_sum


def ppo_value_loss(values, old_values, returns, mask, clip_range: float = 0.2):
    """Clipped value loss (as in OpenAI baselines' PPO2 and Ziegler et al. 2019):
    L = ½ max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²), summed over masked tokens.
    Returns (loss_sum, clipped_count)."""
    clipped_values = old_values + torch.clamp(values - old_values, -clip_range, clip_range)
    unclipped = (values - returns) ** 2
    clipped = (clipped_values - returns) ** 2
    loss_sum = 0.5 * (torch.maximum(unclipped, clipped) * mask).sum()
    return loss_sum, ((clipped > unclipped).float() * mask).sum()


def kl_estimators(logprobs: torch.Tensor, ref_logprobs: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-token estimators of KL(π‖π_ref) from samples of π (Schulman 2020, "Approximating KL divergence"),
    with log r = log π_ref − log π:  k1 = −log r (unbiased, can be negative), k2 = ½ (log r)² (biased, ≥ 0),
    k3 = (r − 1) − log r (unbiased, ≥ 0)."""
    log_r = ref_logprobs - logprobs
    return {"k1": -log_r, "k2": 0.5 * log_r**2, "k3": torch.expm1(log_r) - log_r}


def adaptive_kl_beta(beta: float, kl: float, target: float, n_steps: int, horizon: int) -> float:
    """Adaptive KL coefficient (Ziegler et al. 2019, §2.2): e = clip(KL / target − 1, −0.2, 0.2),
    β ← β (1 + e · n / horizon), where n counts the samples since the last update."""
    error = min(max(kl / target - 1, -0.2), 0.2)
    return beta * (1 + error * n_steps / horizon)


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """H(π(·|s)) = logsumexp(z) − Σ softmax(z)·z, per position: (..., V) -> (...)."""
    probs = F.softmax(logits.float(), dim=-1)
    return torch.logsumexp(logits.float(), dim=-1) - (probs * logits.float()).sum(-1)
