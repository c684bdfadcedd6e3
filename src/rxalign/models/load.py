"""Build a new model from a size preset, or load a local Hugging Face causal-LM directory (never a hub download)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    AutoTokenizer,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
)

from rxalign.errors import UserError

# Llama-architecture presets; parameter counts are for a 2k-8k vocabulary (embeddings untied).
PRESETS: dict[str, dict[str, int]] = {
    "tiny": dict(hidden_size=128, num_hidden_layers=4, num_attention_heads=4, intermediate_size=384),
    "mini": dict(hidden_size=192, num_hidden_layers=6, num_attention_heads=6, intermediate_size=512),
    "small": dict(hidden_size=256, num_hidden_layers=8, num_attention_heads=8, intermediate_size=704),
    "base": dict(hidden_size=512, num_hidden_layers=12, num_attention_heads=8, intermediate_size=1408),
}


def build_model(
    preset: str, tokenizer: PreTrainedTokenizerBase, max_positions: int, dropout: float = 0.0
) -> LlamaForCausalLM:
    """A freshly initialised Llama model sized by `preset`, with the tokenizer's vocabulary and special ids."""
    shape = PRESETS[preset]
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        max_position_embeddings=max_positions,
        num_key_value_heads=shape["num_attention_heads"],
        attention_dropout=dropout,
        rms_norm_eps=1e-5,
        tie_word_embeddings=False,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **shape,
    )
    return LlamaForCausalLM(config)


def check_model_dir(path: Path, field: str = "model.path") -> Path:
    """Fail with one line unless `path` is a local directory holding a Hugging Face model config."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{field}: {path} does not exist")
    if not path.is_dir():
        raise UserError(f"{field}: {path} is a file, expected a Hugging Face model directory")
    if not (path / "config.json").is_file():
        raise UserError(f"{field}: {path} is not a Hugging Face model directory (no config.json)")
    return path


def load_causal_lm(
    path: Path, field: str = "model.path", dtype: torch.dtype = torch.float32
) -> PreTrainedModel:
    """Load a local causal LM; any failure to read it becomes one line naming the directory."""
    path = check_model_dir(path, field)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        AutoConfig.from_pretrained(path, local_files_only=True)
        return AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=dtype)
    except (
        Exception
    ) as e:  # a broken directory surfaces as many types (OSError, SafetensorError, ValueError...)
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(
            f"{field}: {path} could not be loaded as a causal LM: {type(e).__name__}: {first}"
        ) from None


def load_tokenizer(path: Path, field: str = "model.path") -> PreTrainedTokenizerBase:
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"{field}: {path} does not exist or is not a directory")
    if not (path / "tokenizer_config.json").is_file() and not (path / "tokenizer.json").is_file():
        raise UserError(f"{field}: {path} holds no tokenizer (no tokenizer.json or tokenizer_config.json)")
    try:
        saved_class = json.loads((path / "tokenizer_config.json").read_text()).get("tokenizer_class")
    except (OSError, ValueError):
        saved_class = None
    try:
        # transformers 5 picks a tokenizer class from the model type (Qwen2 adds <|endoftext|>) even when the
        # directory says it holds a plain `tokenizers` tokenizer; honour what was saved.
        if saved_class in ("TokenizersBackend", "PreTrainedTokenizerFast"):
            return PreTrainedTokenizerFast.from_pretrained(path, local_files_only=True)
        return AutoTokenizer.from_pretrained(path, local_files_only=True)
    except Exception as e:  # as above: the directory is the user's
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"{field}: {path} has no usable tokenizer: {first}") from None


def count_parameters(model: torch.nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def ensure_pad_token(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> None:
    """Give a tokenizer without a pad token a distinct one (never EOS: a pad equal to EOS hides where answers
    end), growing the embeddings by one row."""
    if tokenizer.pad_token_id is not None and tokenizer.pad_token_id != tokenizer.eos_token_id:
        return
    tokenizer.add_special_tokens({"pad_token": "<|pad|>"})
    model.resize_token_embeddings(len(tokenizer))
    model.config.pad_token_id = tokenizer.pad_token_id


def apply_lora(model: PreTrainedModel, settings, task_type: str = "CAUSAL_LM"):
    """Wrap `model` with LoRA adapters (peft); only the adapters train."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
        task_type=task_type,
    )
    return get_peft_model(model, config)
