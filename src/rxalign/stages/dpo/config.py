"""Stage B's config, nested like the other stages' (`out`, `model_path`, `data`, `lora`, `dpo`, `reference`,
`train`). The quick start's flat, Hugging-Face-style names (`--output_dir`, `--learning_rate`, ...) are declared
here once, in `QUICKSTART_FLAGS`: the CLI takes them as flags, a YAML file that still uses one is told its new key,
and dpo_config.json (the quick start's record of a run) is written in them."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, PrivateAttr, model_validator

from rxalign.config import LoraSettings, Strict

DEFAULT_TRAIN_FILE = Path("phase2_data/dpo/train_dpo.jsonl")

# The quick start's flag -> the config key it sets, in the quick start's order (also dpo_config.json's).
QUICKSTART_FLAGS: dict[str, str] = {
    "sft_model_path": "model_path",
    "train_file": "data.train_file",
    "val_file": "data.val_file",
    "val_fraction": "data.val_fraction",
    "output_dir": "out",
    "num_epochs": "train.epochs",
    "learning_rate": "train.lr",
    "beta": "dpo.beta",
    "batch_size": "train.batch_size",
    "gradient_accumulation_steps": "train.grad_accum",
    "loss": "dpo.loss",
    "label_smoothing": "dpo.label_smoothing",
    "rpo_alpha": "dpo.rpo_alpha",
    "use_lora": "lora.enabled",
    "lora_r": "lora.r",
    "lora_alpha": "lora.alpha",
    "precompute_ref": "reference.precompute",
    "ref_cache_dir": "reference.cache_dir",
    "max_length": "data.max_length",
    "warmup_ratio": "train.warmup_ratio",
    "max_grad_norm": "train.max_grad_norm",
    "logging_steps": "train.log_every",
    "eval_steps": "train.eval_every",
    "save_steps": "train.save_every",
    "samples": "samples",
    "sample_max_new_tokens": "sample_max_new_tokens",
    "precision": "train.precision",
    "seed": "seed",
}


class DPODataConfig(Strict):
    train_file: Path | None = Field(
        DEFAULT_TRAIN_FILE,
        description="JSONL/Parquet triplets {prompt, chosen (factual), rejected (hallucinated)}; null = the bundled "
        "synthetic clinical-note triplets, also used (and said) when this default file does not exist",
    )
    val_file: Path | None = Field(
        None,
        description="validation triplets; null = the bundled ones with bundled training data, else val_dpo.jsonl "
        "beside train_file if present, else val_fraction of the training prompts held out",
    )
    val_fraction: float = Field(
        0.1, gt=0.0, lt=0.5, description="share of training prompts held out when there is no validation file"
    )
    max_length: int = Field(
        512,
        ge=8,
        description="tokens per prompt+response; longer ones keep their start (the count is reported)",
    )


class DPOLoraConfig(Strict):
    enabled: bool = Field(
        True,
        description="train LoRA adapters (reference = adapter off); false = train every weight against a frozen copy",
    )
    r: int = Field(16, ge=1, description="LoRA rank")
    alpha: int | None = Field(None, ge=1, description="LoRA scaling numerator; null = 2 x r")

    @property
    def settings(self) -> LoraSettings:
        # dropout 0: a policy with dropout is not equal to its reference, and the step-0 loss would not be ln 2
        return LoraSettings(enabled=self.enabled, r=self.r, alpha=self.alpha or 2 * self.r, dropout=0.0)


class DPOLossConfig(Strict):
    loss: Literal["sigmoid", "ipo", "cdpo", "rpo"] = Field(
        "sigmoid",
        description="sigmoid = DPO; ipo = IPO on length-averaged log-probs; cdpo = conservative DPO "
        "(label_smoothing); rpo = DPO + rpo_alpha x chosen NLL per token",
    )
    beta: float = Field(
        0.1, gt=0.0, description="β: strength of the KL penalty towards the reference (higher = stay closer)"
    )
    label_smoothing: float = Field(
        0.0, ge=0.0, lt=0.5, description="cdpo only: assumed probability that a preference label is flipped"
    )
    rpo_alpha: float = Field(
        1.0, ge=0.0, description="rpo only: weight of the chosen response's NLL per token"
    )

    @model_validator(mode="after")
    def _check(self):
        if self.label_smoothing and self.loss != "cdpo":
            raise ValueError(f"label_smoothing applies to loss cdpo only (loss is {self.loss})")
        return self


class ReferenceConfig(Strict):
    precompute: bool = Field(
        False,
        description="compute the reference log-probs of every pair once before training (cached on disk, keyed by "
        "the weights and the data) and free the reference: no reference forwards during training",
    )
    cache_dir: Path | None = Field(
        None,
        description="where precomputed reference log-probs are cached; null = ~/.cache/rxalign/ref_logps",
    )


class DPOTrainConfig(Strict):
    epochs: int = Field(2, ge=1, description="passes over the training triplets (1-3 recommended)")
    lr: float = Field(
        5e-6,
        gt=0.0,
        description="peak AdamW learning rate; 5e-6 is the standard for multi-billion-parameter models "
        "(1e-6 conservative, 1e-5 aggressive); tiny models trained from scratch need far more",
    )
    batch_size: int = Field(
        4, ge=1, description="triplets per micro-batch (each is 2 sequences: chosen, rejected)"
    )
    grad_accum: int = Field(1, ge=1, description="micro-batches per optimiser step")
    warmup_ratio: float = Field(0.1, ge=0.0, lt=1.0, description="share of the steps with linear warmup")
    max_grad_norm: float = Field(1.0, gt=0.0, description="clip the global gradient norm to this value")
    log_every: int = Field(10, ge=1, description="optimiser steps between training-metric lines")
    eval_every: int | None = Field(
        None,
        ge=1,
        description="optimiser steps between validation passes; null = once per epoch (and at step 0)",
    )
    save_every: int = Field(100, ge=1, description="optimiser steps between exact-resume checkpoints")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto", description="auto = bf16 autocast on a GPU that supports it, fp32 otherwise"
    )


class DPOConfig(Strict):
    """Stage B: DPO on preference triplets, LoRA on the SFT model by default. Defaults are the quick start's."""

    final_dir: ClassVar[str] = "final_model"  # the quick start's layout: <out>/final_model/
    non_semantic: ClassVar[tuple[str, ...]] = ("out", "reference.cache_dir")
    renamed_keys: ClassVar[dict[str, str]] = {k: v for k, v in QUICKSTART_FLAGS.items() if k != v}

    out: Path = Field(
        Path("./models/dpo_hallucination_resistant"),
        description="run directory: final_model/, checkpoint_epoch_N/, dpo_training_stats.json",
    )
    seed: int = Field(
        0, description="the one seed for data order, the validation split and LoRA initialisation"
    )
    model_path: Path = Field(
        Path("./models/sft_specialist/final_model"),
        description="the Stage A (SFT) model: a local Hugging Face causal-LM directory, or an unmerged LoRA "
        "adapter directory (merged into its base first, so the reference is the SFT model)",
    )
    data: DPODataConfig = DPODataConfig()
    lora: DPOLoraConfig = DPOLoraConfig()
    dpo: DPOLossConfig = Field(DPOLossConfig(), description="the preference loss")
    reference: ReferenceConfig = ReferenceConfig()
    samples: int = Field(
        4, ge=0, description="validation prompts answered greedily at step 0 and each epoch (samples.jsonl)"
    )
    sample_max_new_tokens: int = Field(96, ge=1, description="tokens per sample answer")
    train: DPOTrainConfig = DPOTrainConfig()

    # How the user named each key they set (`--output_dir`), for errors; not part of the config.
    _names: dict[str, str] = PrivateAttr(default_factory=dict)

    def named(self, key: str, default: str | None = None) -> str:
        """What to call config key `key` in an error: the flag the user set it with, else `default` or the key."""
        return self._names.get(key, default or key)

    def named_by(self, names: dict[str, str]) -> DPOConfig:
        """A copy that names the given keys (`{"out": "--output_dir"}`) as the user gave them."""
        copy = self.model_copy()
        copy._names = {**self._names, **names}
        return copy

    def quickstart_record(self, **extra) -> dict:
        """dpo_config.json: the config under the quick start's flat names, in its order (JSON values; lora_alpha
        resolved, null without LoRA), then `extra` (epoch, reference, data, ...)."""
        data = self.model_dump(mode="json")
        record = {}
        for flag, key in QUICKSTART_FLAGS.items():
            node = data
            for part in key.split("."):
                node = node[part]
            record[flag] = node
        record["lora_alpha"] = self.lora.settings.alpha if self.lora.enabled else None
        return {**record, **extra}


def field_at(key: str):
    """(FieldInfo, default) of a dotted DPOConfig key."""
    cls, value = DPOConfig, DPOConfig()
    *sections, name = key.split(".")
    for part in sections:
        cls, value = cls.model_fields[part].annotation, getattr(value, part)
    return cls.model_fields[name], getattr(value, name)
