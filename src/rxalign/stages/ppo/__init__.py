"""Stage 4 recipe: PPO against the reward-model ensemble with a KL penalty to the SFT reference.

One iteration: sample one response per prompt (pure sampling at temperature T, KV cache, stop at EOS) →
score log-probs at the same T under the policy and the frozen reference, values under the value model, and
the response with the reward ensemble (reward on the last real token, never a pad) → per-token rewards
(−β·k1 per token when KL is in the reward) → GAE → several epochs of clipped policy and value updates →
adaptive β (Ziegler et al. 2019) → metrics, gold score from the grader, reward-hacking audit. Everything
(policy, value model, optimiser, controller, RNG, iteration) is checkpointed for exact resume.

Prompts are visited in one seeded order, cycled: any P consecutive samples (P prompts) hold every prompt once,
so the first and last passes are comparable. Before the first update the SFT policy answers every prompt the
run will visit (`sft_baseline`): the audit compares later answers with it prompt by prompt.

summary.json: `gold_score_first`/`_last` and `rm_score_first`/`_last` are means over the first and the last
pass over the prompts (`pass_samples` samples each, every prompt once), not single iterations;
`gold_score_sft`/`rm_score_sft` the SFT baseline's; `kl_k3_mean`/`_max` and `kl_k1_min` over the per-iteration
means; `rm_gold_correlation` (per-iteration means; confounded by which prompts a batch holds) and
`rm_gold_gain_correlation` (per-iteration gains over the SFT answer to the same prompt) say whether reward-model
and gold scores rise together; `rm_gold_pair_agreement` is the ensemble's pairwise accuracy against the grader
on the policy's own answers (each vs the SFT answer to its prompt; 0.5 = chance).
"""

from __future__ import annotations

from rxalign.stages.ppo.phases import (
    Models,
    PPOState,
    PPOStats,
    Rollout,
    RunningStd,
    Scored,
    explained_variance,
    load_models,
    response_values,
    sample,
    score,
    token_rewards,
    update,
)
from rxalign.stages.ppo.recipe import batch_indices, load_prompts, pass_means, prompt_order, run

__all__ = [
    "Models",
    "PPOState",
    "PPOStats",
    "Rollout",
    "RunningStd",
    "Scored",
    "batch_indices",
    "explained_variance",
    "load_models",
    "load_prompts",
    "pass_means",
    "prompt_order",
    "response_values",
    "run",
    "sample",
    "score",
    "token_rewards",
    "update",
]
