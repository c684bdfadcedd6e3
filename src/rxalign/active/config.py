"""`rxalign active`'s config: cycles, strategy, labeller, and the reward and PPO settings each cycle reuses."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from rxalign.config import (
    KLSettings,
    PPOConfig,
    PPORewardSettings,
    PPOSettings,
    RewardConfig,
    RewardDataConfig,
    Strict,
    TrainConfig,
)
from rxalign.data.annotators import AnnotatorConfig

# ---- config ------------------------------------------------------------------------------------------------


def _reused(model: type[Strict], name: str):
    """A field of another config (type constraints, default, description), so the two never drift apart."""
    return copy.deepcopy(model.model_fields[name])


class RetrainSettings(Strict):
    """The Stage 3 keys of each cycle's retraining (its output, training file and seed are set by the loop)."""

    model_path: Path = _reused(RewardConfig, "model_path")
    data: RewardDataConfig = Field(
        RewardDataConfig(),
        description="train_file: the labels already held (old labels; every cycle trains on them plus all new "
        "labels so far); val_file and max_length as in Stage 3",
    )
    members: int = _reused(RewardConfig, "members")
    bootstrap: bool = _reused(RewardConfig, "bootstrap")
    margin: float = _reused(RewardConfig, "margin")
    weight_by_agreement: bool = _reused(RewardConfig, "weight_by_agreement")
    train: TrainConfig = Field(TrainConfig(), description="optimisation of every member (Stage 3 `train`)")


class ActiveConfig(Strict):
    """Active learning: label the policy-sample pairs the reward ensemble disagrees on, retrain it, PPO again."""

    out: Path = Field(
        Path("runs/active"),
        description="run directory: pool.jsonl, cycles.jsonl, summary.json and cycle_k/ per cycle",
    )
    seed: int = Field(
        0,
        description="the one seed: prompt split, sampling, random selection, annotator votes, reward members "
        "(seed + k) and PPO",
    )
    strategy: Literal["uncertainty", "random"] = Field(
        "uncertainty",
        description="which candidate pairs get labels: the largest ensemble disagreement, or uniformly at "
        "random (the control arm)",
    )
    labeler: Literal["simulated", "file"] = Field(
        "simulated",
        description="simulated: annotators vote on the grader's gold score; file: export cycle_k/to_label.jsonl "
        "for people, then `--resume --import FILE` reads it back",
    )
    policy_path: Path = Field(
        Path("runs/sft/final"),
        description="the cycle-0 policy: the first candidates and the held-out pool are its samples; the first "
        "PPO starts from it",
    )
    reward_path: Path | None = Field(
        None,
        description="the cycle-0 reward ensemble (ensemble.json + member-k/) that selects the first labels; "
        "null = train it on the old labels with the `reward` settings (into cycle_0/reward), like every cycle",
    )
    prompts_file: Path | None = Field(
        None,
        description="prompt records with `truth` (the grader's gold); null = bundled PPO prompts. Split once "
        "(seeded) into held-out and training prompts",
    )
    heldout_prompts: int = Field(
        40,
        ge=1,
        description="prompts for evaluation only (the fixed pool and the policy's gold score): never labelled, "
        "never in PPO",
    )
    pool_samples: int = Field(
        8,
        ge=2,
        description="responses per held-out prompt, for the fixed pool (cycle-0 policy) and each cycle's policy "
        "gold score; every two responses to a prompt with different gold scores make a pair",
    )
    cycles: int = Field(4, ge=1, description="label → retrain → PPO cycles")
    labels_per_cycle: int = Field(50, ge=1, description="pairs labelled per cycle (the label budget)")
    candidate_pairs_per_prompt: int = Field(
        4,
        ge=1,
        description="pairs (two fresh samples each) drawn per training prompt each cycle; the labels are chosen "
        "among them (pairs with identical or empty responses are dropped)",
    )
    annotators: AnnotatorConfig = Field(
        AnnotatorConfig(flip_rate=0.1, noise_sd=1.0, length_bias=0.3),
        description="simulated annotators; utilities are grader scores (0-10), so noise_sd and length_bias are in "
        "grader points (the generator's settings on its 0-3 scale, times 10/3)",
    )
    reward: RetrainSettings = Field(RetrainSettings(), description="each cycle's reward-ensemble retraining")
    ppo: PPOSettings = Field(
        PPOSettings(iterations=10),
        description="each cycle's PPO (Stage 4 `ppo` keys); max_new_tokens and temperature also drive the "
        "candidate and evaluation samples",
    )
    ppo_reward: PPORewardSettings = Field(
        PPORewardSettings(), description="how PPO uses the ensemble (Stage 4 `reward` keys)"
    )
    kl: KLSettings = Field(KLSettings(), description="PPO's KL control (Stage 4 `kl` keys)")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto",
        description="as in train.precision; must equal reward.train.precision (one process, one setting)",
    )

    @model_validator(mode="after")
    def _check(self):
        if self.reward.train.precision != self.precision:
            raise ValueError(
                f"reward.train.precision ({self.reward.train.precision}) must equal precision ({self.precision})"
            )
        return self


def reward_config(cfg: ActiveConfig, out: Path, train_file: Path | None) -> RewardConfig:
    """The Stage 3 config of one retraining: the `reward` settings on `train_file` (None = bundled pairs)."""
    r = cfg.reward
    return RewardConfig(
        out=out,
        seed=cfg.seed,
        model_path=r.model_path,
        data=r.data.model_copy(update={"train_file": train_file}),
        members=r.members,
        bootstrap=r.bootstrap,
        margin=r.margin,
        weight_by_agreement=r.weight_by_agreement,
        train=r.train,
    )


def cycle_configs(cfg: ActiveConfig, k: int, policy: Path) -> tuple[RewardConfig, PPOConfig]:
    cdir = cfg.out / f"cycle_{k}"
    reward_cfg = reward_config(cfg, cdir / "reward", cdir / "reward_train.jsonl")
    ppo_cfg = PPOConfig(
        out=cdir / "ppo",
        seed=cfg.seed,
        policy_path=policy,
        reward_path=cdir / "reward" / "final",
        prompts_file=cfg.out / "prompts_train.jsonl",
        ppo=cfg.ppo,
        reward=cfg.ppo_reward,
        kl=cfg.kl,
        save_every=max(1, cfg.ppo.iterations // 2),
        keep_checkpoints=1,
        precision=cfg.precision,
    )
    return reward_cfg, ppo_cfg
