"""Typed run configs: pydantic models that reject unknown keys, loaded from YAML plus dotted `--set` overrides.

Every error names the file (or the `--set` flag), the line, the dotted key and what was expected.
"""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rxalign.errors import UserError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A stage config's (dotted) keys that do not change what its run computes: a resumed run may differ in them
    # and `fingerprint` leaves them out.
    non_semantic: ClassVar[tuple[str, ...]] = ("out",)
    # Keys this config no longer has -> the dotted key that replaced them, named in the error a file gets.
    renamed_keys: ClassVar[dict[str, str]] = {}


class ModelConfig(Strict):
    preset: Literal["tiny", "mini", "small", "base"] = Field(
        "tiny",
        description="size of a new Llama-architecture model; with a 2,048-token vocabulary tiny has 1.4M, mini 3.4M, small 7.5M and base 40.6M parameters",
    )
    path: Path | None = Field(
        None, description="local Hugging Face causal-LM directory; when set, `preset` is ignored"
    )
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="attention dropout of a new model")
    max_positions: int = Field(
        1024,
        ge=8,
        description="context length of a new model (RoPE: later stages may use longer inputs than pretraining)",
    )


class TokenizerConfig(Strict):
    vocab_size: int = Field(
        2048, ge=300, description="byte-level BPE vocabulary size, special tokens included"
    )
    min_frequency: int = Field(2, ge=1, description="a merge must occur this often in the corpus")


class DataConfig(Strict):
    corpus: Path | None = Field(
        None,
        description="plain text (.txt, one document per blank-line-separated block), JSONL/Parquet with a "
        "`text` column, or a saved `datasets` directory; null = the bundled corpus",
    )
    val_fraction: float = Field(0.1, gt=0.0, lt=0.5, description="share of documents held out for validation")
    block_size: int = Field(128, ge=8, description="tokens per packed training sequence")


class TrainConfig(Strict):
    lr: float = Field(3e-3, gt=0.0, description="peak learning rate (AdamW)")
    min_lr_ratio: float = Field(0.1, ge=0.0, le=1.0, description="cosine floor as a fraction of `lr`")
    warmup_steps: int = Field(20, ge=0, description="linear warmup, in optimiser steps")
    max_steps: int = Field(300, ge=1, description="optimiser steps in total")
    batch_size: int = Field(16, ge=1, description="sequences per micro-batch on each process")
    grad_accum: int = Field(1, ge=1, description="micro-batches per optimiser step")
    weight_decay: float = Field(
        0.1, ge=0.0, description="AdamW decoupled weight decay (not applied to norms and biases)"
    )
    adam_betas: tuple[float, float] = Field((0.9, 0.95), description="AdamW (beta1, beta2)")
    max_grad_norm: float = Field(1.0, gt=0.0, description="clip the global gradient norm to this value")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto",
        description="auto = bf16 autocast on a GPU that supports it, fp32 otherwise (printed at start)",
    )
    log_every: int = Field(10, ge=1, description="optimiser steps between metrics lines")
    eval_every: int = Field(
        100, ge=1, description="optimiser steps between validation passes (and one at the end)"
    )
    save_every: int = Field(100, ge=1, description="optimiser steps between checkpoints (and one at the end)")
    keep_checkpoints: int = Field(2, ge=1, description="newest checkpoints kept on disk")
    peak_tflops: float | None = Field(
        None,
        gt=0.0,
        description="accelerator peak TFLOP/s for MFU; null = known GPU table, or measured on CPU",
    )


class PretrainConfig(Strict):
    """Stage 1: causal language modelling on a domain corpus."""

    out: Path = Field(Path("runs/pretrain"), description="run directory")
    seed: int = Field(0, description="the one seed for data order, initialisation, dropout and sampling")
    data: DataConfig = DataConfig()
    tokenizer: TokenizerConfig = TokenizerConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()


class LoraSettings(Strict):
    enabled: bool = Field(False, description="train LoRA adapters (peft) instead of every weight")
    r: int = Field(8, ge=1, description="adapter rank")
    alpha: int = Field(16, ge=1, description="adapter scaling numerator (scale = alpha / r)")
    dropout: float = Field(0.05, ge=0.0, lt=1.0, description="dropout on the adapter input")
    target_modules: list[str] | Literal["all-linear"] = Field(
        "all-linear",
        description="module names to adapt, or all-linear (every linear layer but the output head)",
    )


class SFTDataConfig(Strict):
    train_file: Path | None = Field(
        None,
        description="prompt/completion or messages records (JSONL, Parquet, saved datasets); null = bundled SFT pairs",
    )
    val_file: Path | None = Field(
        None, description="validation records of the same format; null = bundled validation pairs"
    )
    max_length: int = Field(
        640, ge=8, description="tokens per example; longer ones are cut (the count is reported)"
    )


class SFTConfig(Strict):
    """Stage 2: supervised fine-tuning on (instruction, response) pairs, loss on response tokens only."""

    out: Path = Field(Path("runs/sft"), description="run directory")
    seed: int = Field(0, description="the one seed for data order, dropout and sampling")
    model_path: Path = Field(
        Path("runs/pretrain/final"),
        description="local Hugging Face causal LM to start from (e.g. the Stage 1 output)",
    )
    data: SFTDataConfig = SFTDataConfig()
    lora: LoraSettings = LoraSettings()
    merge: bool = Field(
        False, description="with LoRA, also save the adapter merged into the base as final_merged/"
    )
    samples: int = Field(
        3,
        ge=0,
        description="validation prompts answered (greedy) at each evaluation, written to samples.jsonl",
    )
    sample_max_new_tokens: int = Field(64, ge=1, description="tokens per sample answer")
    train: TrainConfig = TrainConfig()


class RewardDataConfig(Strict):
    train_file: Path | None = Field(
        None,
        description="preference records prompt/chosen/rejected (optional votes); null = bundled annotated pairs",
    )
    val_file: Path | None = Field(
        None, description="validation preference records; null = bundled validation pairs"
    )
    max_length: int = Field(
        256, ge=8, description="tokens per (prompt, response) sequence; longer ones are cut"
    )


class RewardConfig(Strict):
    """Stage 3: Bradley–Terry reward models on majority-vote preference labels, trained as an ensemble."""

    out: Path = Field(Path("runs/reward"), description="run directory")
    seed: int = Field(
        0, description="base seed; member k uses seed + k for its head, data order and bootstrap"
    )
    model_path: Path = Field(
        Path("runs/sft/final"), description="backbone for every member (e.g. the Stage 2 output)"
    )
    data: RewardDataConfig = RewardDataConfig()
    members: int = Field(3, ge=1, description="ensemble size K")
    bootstrap: bool = Field(True, description="train each member on a bootstrap resample of the pairs")
    margin: float = Field(0.0, ge=0.0, description="Bradley–Terry margin m in -log σ(r_c - r_r - m)")
    weight_by_agreement: bool = Field(
        False, description="weight each pair by the share of annotators who voted with the majority"
    )
    drop_below_kappa: float | None = Field(
        None,
        ge=-1.0,
        le=1.0,
        description="drop batches of pairs whose Fleiss κ is below this (null = keep all)",
    )
    kappa_batch_size: int = Field(50, ge=2, description="pairs per agreement batch for drop_below_kappa")
    calibration_bins: int = Field(
        5, ge=2, description="confidence bins for accuracy-per-bin and expected calibration error"
    )
    train: TrainConfig = TrainConfig()


class PPOSettings(Strict):
    iterations: int = Field(40, ge=1, description="rollout-and-update iterations")
    prompts_per_iteration: int = Field(
        32, ge=1, description="prompts sampled per iteration (one response each)"
    )
    max_new_tokens: int = Field(
        64, ge=1, description="response length cap; a response without EOS is penalised"
    )
    temperature: float = Field(
        1.0, gt=0.0, description="sampling temperature, also used when scoring log-probs (no top-k/top-p)"
    )
    epochs: int = Field(4, ge=1, description="PPO epochs over each rollout batch")
    minibatch_size: int = Field(8, ge=1, description="rollouts per gradient step")
    clip_range: float = Field(0.2, gt=0.0, description="policy ratio clip ε")
    value_clip_range: float = Field(
        0.2,
        gt=0.0,
        description="value clip around the rollout's values, in reward units (unnormalised ensemble scores span "
        "about ±4: 0.2 clips about half the value updates of the first iterations)",
    )
    gamma: float = Field(1.0, gt=0.0, le=1.0, description="GAE discount γ")
    lam: float = Field(0.95, ge=0.0, le=1.0, description="GAE λ")
    vf_coef: float = Field(0.1, ge=0.0, description="value-loss weight")
    entropy_coef: float = Field(0.0, ge=0.0, description="entropy bonus weight")
    whiten_advantages: bool = Field(
        True, description="normalise advantages to mean 0, std 1 per rollout batch"
    )
    lr: float = Field(3e-5, gt=0.0, description="policy learning rate (AdamW)")
    value_lr: float = Field(1e-4, gt=0.0, description="value-model learning rate")
    max_grad_norm: float = Field(1.0, gt=0.0, description="gradient clipping (policy and value together)")
    value_init: Literal["reward", "policy"] = Field(
        "reward",
        description="value model starts from reward member 0, or the policy backbone with a new head",
    )


class PPORewardSettings(Strict):
    aggregate: Literal["mean", "lcb", "min"] = Field(
        "lcb", description="ensemble rule: mean, mean − λ·std (lcb) or min over members"
    )
    lcb_lambda: float = Field(1.0, ge=0.0, description="λ of the lcb rule")
    normalize: bool = Field(False, description="divide scores by a running std (Welford) before use")
    clip: float | None = Field(None, gt=0.0, description="clip scores to ±clip (null = no clipping)")
    missing_eos_penalty: float = Field(
        -1.0, le=0.0, description="added to the score of a response that hit max_new_tokens without EOS"
    )


class KLSettings(Strict):
    mode: Literal["reward_k1", "loss_k3"] = Field(
        "reward_k1",
        description="reward_k1: per-token −β·k1 in the reward (InstructGPT); loss_k3: β·k3 added to the loss (GRPO-style). Never both.",
    )
    beta: float = Field(0.1, ge=0.0, description="initial KL coefficient β")
    adaptive: bool = Field(True, description="adapt β toward `target` (Ziegler et al. 2019); false = fixed β")
    target: float = Field(
        0.1, gt=0.0, description="target KL PER RESPONSE TOKEN (mean k1 over response tokens), in nats"
    )
    horizon: int = Field(256, ge=1, description="controller horizon in rollouts")


class PPOConfig(Strict):
    """Stage 4: PPO against the reward-model ensemble with a KL penalty to the SFT reference."""

    out: Path = Field(Path("runs/ppo"), description="run directory")
    seed: int = Field(0, description="the one seed for sampling, minibatch order and initialisation")
    policy_path: Path = Field(
        Path("runs/sft/final"), description="starting policy and KL reference (e.g. the Stage 2 output)"
    )
    reward_path: Path = Field(
        Path("runs/reward/final"), description="reward ensemble directory (e.g. the Stage 3 output)"
    )
    prompts_file: Path | None = Field(
        None, description="prompt records with `truth` for the gold score; null = bundled PPO prompts"
    )
    lora: LoraSettings = LoraSettings()
    ppo: PPOSettings = PPOSettings()
    reward: PPORewardSettings = PPORewardSettings()
    kl: KLSettings = KLSettings()
    stop_on_divergence: bool = Field(
        False,
        description="stop early when the audit sees the reward-model score rise while the gold score falls",
    )
    audit_window: int = Field(5, ge=2, description="iterations per audit trend window")
    sft_baseline: bool = Field(
        True,
        description="before the first update, the SFT policy answers every prompt the run will visit once: "
        "the audit's per-prompt baseline (keyword spread, gains); false = the first batch's answers",
    )
    save_every: int = Field(10, ge=1, description="iterations between checkpoints (and one at the end)")
    keep_checkpoints: int = Field(2, ge=1, description="newest checkpoints kept")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field("auto", description="as in train.precision")


C = TypeVar("C", bound=BaseModel)


def bundled_config_path(stage: str) -> Path:
    return Path(str(resources.files("rxalign") / "resources" / "configs" / f"{stage}.yaml"))


def load_config(
    model_cls: type[C],
    path: Path | None,
    overrides: list[str] | None = None,
    *,
    stage: str,
    base: dict | None = None,
) -> C:
    """Read `path` (None = the bundled default for `stage`) over `base` (defaults; the file wins key by key),
    apply `key.sub=value` overrides, validate."""
    path = Path(path) if path is not None else bundled_config_path(stage)
    data, lines = read_yaml(path)
    data = deep_merge(base or {}, data)
    override_keys: dict[tuple, str] = {}
    for item in overrides or []:
        key, value = _parse_override(item)
        _set_dotted(data, key, value, item)
        override_keys[key] = item
    try:
        return model_cls.model_validate(data)
    except ValidationError as e:
        raise UserError(_describe(e, path, lines, override_keys, model_cls)) from None


def deep_merge(base: dict, top: dict) -> dict:
    """`base` with `top` laid over it, section by section (a copy; neither input changes)."""
    out = dict(base)
    for k, v in top.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def bundled_config_data(stage: str) -> dict:
    """The bundled default config of `stage` as a plain mapping."""
    return yaml.safe_load(bundled_config_path(stage).read_text(encoding="utf-8")) or {}


def from_flags(model_cls: type[C], **values: Any) -> C:
    """Validate command-line flags into a config; an error names the flag (`--batch-size: ...`)."""
    try:
        return model_cls.model_validate(values)
    except ValidationError as e:
        err = e.errors()[0]
        flag = "--" + str(err["loc"][0]).replace("_", "-") if err["loc"] else "flags"
        raise UserError(f"{flag}: {err['msg']} (got {err.get('input')!r})") from None


def dump_config(cfg: BaseModel) -> str:
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)


def without(data: dict, cfg: BaseModel) -> dict:
    """A copy of `data` (a config as a mapping, e.g. a saved config.yaml) without `cfg`'s non-semantic keys."""
    data = copy.deepcopy(data)
    for key in cfg.non_semantic if isinstance(cfg, Strict) else ("out",):
        *sections, name = key.split(".")
        node: Any = data
        for part in sections:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(name, None)
    return data


def semantic_dump(cfg: BaseModel) -> dict:
    """The config as JSON values, minus the keys that do not change what a run computes."""
    return without(cfg.model_dump(mode="json"), cfg)


def fingerprint(cfg: BaseModel) -> str:
    """sha256 of `semantic_dump(cfg)`: two runs with equal fingerprints compute the same thing."""
    return hashlib.sha256(json.dumps(semantic_dump(cfg), sort_keys=True).encode()).hexdigest()[:16]


def read_yaml(path: Path) -> tuple[dict, dict[tuple, int]]:
    if not path.is_file():
        raise UserError(f"{path}: config file does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise UserError(f"{where}: invalid YAML: {getattr(e, 'problem', e)}") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise UserError(f"{path}:1: expected a mapping of config sections, got {type(data).__name__}")
    lines: dict[tuple, int] = {}
    _walk(node, (), lines)
    return data, lines


def _walk(node: yaml.Node, loc: tuple, lines: dict[tuple, int]) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _walk(value, loc + (key.value,), lines)
            lines[loc + (key.value,)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _walk(value, loc + (i,), lines)


def _parse_override(item: str) -> tuple[tuple, Any]:
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise UserError(f"--set {item}: expected KEY=VALUE, e.g. --set train.lr=3e-4")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return tuple(key.strip().split(".")), value


def _set_dotted(data: dict, key: tuple, value: Any, item: str) -> None:
    node = data
    for i, part in enumerate(key[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise UserError(f"--set {item}: {'.'.join(key[: i + 1])} is a value, not a section")
        node = child
    node[key[-1]] = value


def _describe(
    e: ValidationError, path: Path, lines: dict, override_keys: dict, model_cls: type[BaseModel]
) -> str:
    err = e.errors()[0]
    loc = tuple(err["loc"])
    dotted = ".".join(str(p) for p in loc)
    if err["type"] == "extra_forbidden":
        cls = _class_at(model_cls, loc[:-1])
        renamed = cls.renamed_keys.get(str(loc[-1])) if cls is not None and issubclass(cls, Strict) else None
        if renamed is not None:
            section = "".join(f"{p}." for p in loc[:-1])
            what = f"renamed to {section}{renamed} (the config is nested; `rxalign config` prints it)"
        else:
            allowed = sorted(cls.model_fields) if cls is not None else []
            what = f"unknown key (expected one of: {', '.join(allowed)})"
    else:
        what = f"{err['msg']} (got {err.get('input')!r})"
    for k, item in override_keys.items():
        if loc[: len(k)] == k or k[: len(loc)] == loc:
            return f"--set {item}: {dotted}: {what}"
    probe = loc
    while probe and probe not in lines:
        probe = probe[:-1]
    return f"{path}:{lines.get(probe, 1)}: {dotted}: {what}"


def _class_at(model_cls: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The config class of the section at `loc` (None when `loc` is not a section)."""
    cls: Any = model_cls
    for part in loc:
        field = (
            cls.model_fields.get(str(part)) if isinstance(cls, type) and issubclass(cls, BaseModel) else None
        )
        if field is None or not (
            isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
        ):
            return None
        cls = field.annotation
    return cls
