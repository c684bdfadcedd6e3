"""The one list of stages: a record per stage (its config, recipe, bundled YAML, what it reads, how the pipeline
wires it, the file it always writes, its headline figures; where a stage puts its final model is its config's
business, e.g. `DPOConfig.final_dir`). The CLI, the pipeline and the report read it; nothing finds a stage by
building a module name. Configs and recipes are named, not imported: reading the registry imports no stage."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stage:
    name: str
    config: str  # "module:Class" of its pydantic config
    recipe: str | None = None  # module whose run(cfg, resume=...) -> summary trains the stage
    bundled: str | None = None  # resources/configs/<bundled>.yaml: the default config (`rxalign config NAME`)
    reads: tuple[str, ...] = ()  # pipeline stages whose outputs it reads (its cache key chains theirs)
    # (dotted config key, path inside the run directory) the pipeline sets; "{start}" is the SFT starting model
    wiring: tuple[tuple[str, str], ...] = ()
    marker: str | None = (
        None  # the file <run>/<name>/ always holds once the stage has run (the report checks it)
    )
    headline: tuple[str, ...] = ()  # its summary.json keys gathered into the run's summary.json

    def config_class(self) -> Any:
        module, _, cls = self.config.partition(":")
        return getattr(importlib.import_module(module), cls)

    def run(self, cfg, resume: bool = False) -> dict:
        if self.recipe is None:
            raise ValueError(f"stage {self.name} has no recipe of its own")
        return importlib.import_module(self.recipe).run(cfg, resume=resume)


PIPELINE: tuple[Stage, ...] = (
    Stage("data", "rxalign.data.generate:GenerateConfig", bundled="generate", marker="manifest.json"),
    Stage(
        "pretrain",
        "rxalign.config:PretrainConfig",
        "rxalign.stages.pretrain",
        "pretrain",
        reads=("data",),
        wiring=(("out", "pretrain"), ("data.corpus", "data/corpus.jsonl")),
        marker="metrics.jsonl",
        headline=("val_loss", "ln_vocab", "val_loss_below_ln_vocab", "parameters"),
    ),
    Stage(
        "sft",
        "rxalign.config:SFTConfig",
        "rxalign.stages.sft",
        "sft",
        reads=("data", "pretrain"),
        wiring=(
            ("out", "sft"),
            ("model_path", "{start}"),
            ("data.train_file", "data/sft/train.jsonl"),
            ("data.val_file", "data/sft/val.jsonl"),
        ),
        marker="metrics.jsonl",
        headline=("val_loss", "val_loss_first"),
    ),
    Stage(
        "reward",
        "rxalign.config:RewardConfig",
        "rxalign.stages.reward",
        "reward",
        reads=("data", "sft"),
        wiring=(
            ("out", "reward"),
            ("model_path", "sft/final"),
            ("data.train_file", "data/preference/train.jsonl"),
            ("data.val_file", "data/preference/val.jsonl"),
        ),
        marker="members/member-*/metrics.jsonl",
        headline=(
            "val_accuracy_gold",
            "val_accuracy_majority",
            "val_margin",
            "members",
            "val_accuracy_gold_by_tiers",
        ),
    ),
    Stage(
        "ppo",
        "rxalign.config:PPOConfig",
        "rxalign.stages.ppo",
        "ppo",
        reads=("data", "sft", "reward"),
        wiring=(
            ("out", "ppo"),
            ("policy_path", "sft/final"),
            ("reward_path", "reward/final"),
            ("prompts_file", "data/ppo/prompts.jsonl"),
        ),
        marker="metrics.jsonl",
        headline=(
            "gold_score_first",
            "gold_score_last",
            "rm_score_first",
            "rm_score_last",
            "kl_k3_mean",
            "beta_final",
            "iterations",
        ),
    ),
    Stage(
        "dpo",
        "rxalign.stages.dpo:DPOConfig",
        "rxalign.stages.dpo",
        "dpo",
        reads=("data", "sft"),
        wiring=(
            ("out", "dpo"),
            ("model_path", "sft/final"),
            ("data.train_file", "data/dpo/train_dpo.jsonl"),
            ("data.val_file", "data/dpo/val_dpo.jsonl"),
            ("reference.cache_dir", "dpo/ref_cache"),
        ),
        marker="metrics.jsonl",
        headline=("chosen_preference_first", "chosen_preference", "val_loss_first", "val_loss"),
    ),
    Stage(
        "eval", "rxalign.eval.run:EvalConfig", reads=("data", "sft", "ppo", "dpo"), marker="scorecard.json"
    ),
    Stage(
        "report",
        "rxalign.eval.run:EvalConfig",
        reads=("data", "pretrain", "sft", "reward", "ppo", "dpo", "eval"),
    ),
)
STAGES: dict[str, Stage] = {s.name: s for s in PIPELINE}
# What `rxalign config NAME` can print, by the name of its bundled YAML (the data stage's is `generate`).
CONFIGS: dict[str, Stage] = {s.bundled: s for s in PIPELINE if s.bundled is not None}
# The stages one CLI command trains (`rxalign sft ...`).
TRAINED: dict[str, Stage] = {s.name: s for s in PIPELINE if s.recipe is not None}


__all__ = ["CONFIGS", "PIPELINE", "STAGES", "TRAINED", "Stage"]
