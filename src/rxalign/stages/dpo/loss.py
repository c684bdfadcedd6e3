"""The preference loss of a batch from its summed log-probs under the policy and the reference, and the metrics
the quick start logs (rewards chosen / rejected / margins / accuracies, log-probs chosen / rejected)."""

from __future__ import annotations

import torch

from rxalign.losses import PREFERENCE_LOSSES, dpo_margin, implicit_rewards

METRIC_KEYS = (
    "rewards/chosen",
    "rewards/rejected",
    "rewards/margins",
    "rewards/accuracies",
    "logps/chosen",
    "logps/rejected",
)


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
