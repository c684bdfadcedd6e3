"""Loss functions and estimators: pure functions of tensors, each citing the equation it implements.

Shapes: B batch, T sequence length, V vocabulary. Every loss returns a SUM over its items (tokens or
pairs) together with the item count, so the training loop can normalise over a whole accumulation
window; divide the two for the mean.
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
