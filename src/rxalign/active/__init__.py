"""Active learning for the reward ensemble (`rxalign active`): it orchestrates the reward and PPO stages, so it
sits beside the pipeline rather than among the stages. See `rxalign.active.loop` for the cycle."""

from __future__ import annotations

from rxalign.active.config import ActiveConfig, RetrainSettings, cycle_configs, reward_config
from rxalign.active.loop import run
from rxalign.active.sampling import candidates, member_scores, sample_responses, score_samples
from rxalign.active.selection import (
    derived_seed,
    export_for_labelling,
    import_labels,
    label_stats,
    labels_to_match,
    pair_accuracy,
    pair_disagreement,
    select_pairs,
    simulated_label,
    within_prompt_pairs,
)

__all__ = [
    "ActiveConfig",
    "RetrainSettings",
    "candidates",
    "cycle_configs",
    "derived_seed",
    "export_for_labelling",
    "import_labels",
    "label_stats",
    "labels_to_match",
    "member_scores",
    "pair_accuracy",
    "pair_disagreement",
    "reward_config",
    "run",
    "sample_responses",
    "score_samples",
    "select_pairs",
    "simulated_label",
    "within_prompt_pairs",
]
