"""Export a trained model: merge a LoRA adapter into its base, quantise to 8 or 4 bits, measure the logit drift.

Artifacts are safetensors and JSON only. `merge` writes a plain Hugging Face directory. `quantize` uses
bitsandbytes when it is installed (a Hugging Face directory with a `quantization_config`); otherwise torch's
int8 dynamic quantisation, saved as int8 weights plus their scales (`load_quantized` rebuilds the model).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from rxalign.errors import UserError
from rxalign.models.load import check_model_dir, load_causal_lm, load_tokenizer

QUANTIZATION_FILE = "quantization.json"
TORCH_BACKEND = "torch-dynamic-int8"
# Prompts the logit drift is measured on when the caller gives none (any text the tokenizer can encode).
PROBE_PROMPTS = [
    "Is warfarin with ibuprofen safe?",
    "Summarise: 67-year-old man admitted with pneumonia, on metformin 500 mg twice daily.",
    "How should gabapentin be dosed at an eGFR of 20 mL/min?",
]


# ---- LoRA ----------------------------------------------------------------------------------------------


def is_adapter_dir(path: Path) -> bool:
    return (Path(path) / "adapter_config.json").is_file()


def adapter_base_path(adapter_dir: Path, base: Path | None = None, field: str = "ADAPTER_DIR") -> Path:
    """The base model directory of a LoRA adapter: `base` when given, else adapter_config.json's
    base_model_name_or_path (a local directory: nothing is downloaded)."""
    adapter_dir = Path(adapter_dir)
    config_path = adapter_dir / "adapter_config.json"
    if not adapter_dir.is_dir():
        raise UserError(f"{field}: {adapter_dir} does not exist or is not a directory")
    if not config_path.is_file():
        raise UserError(f"{field}: {adapter_dir} is not a LoRA adapter directory (no adapter_config.json)")
    if base is not None:
        return check_model_dir(base, "--base")
    try:
        recorded = json.loads(config_path.read_text(encoding="utf-8")).get("base_model_name_or_path")
    except ValueError:
        raise UserError(f"{config_path}: not valid JSON") from None
    if not recorded:
        raise UserError(f"{config_path}: base_model_name_or_path is empty; pass the base model with --base")
    path = Path(recorded)
    if not path.is_absolute() and not path.exists():
        path = adapter_dir / recorded  # a path relative to the adapter directory
    if not (path / "config.json").is_file():
        raise UserError(
            f"{config_path}: base_model_name_or_path {recorded!r} is not a local model directory; pass it with --base"
        )
    return path


def load_adapter_model(adapter_dir: Path, base: Path | None = None, field: str = "ADAPTER_DIR"):
    """(PeftModel in eval mode, base directory): the adapter at `adapter_dir` on its base model, float32."""
    from peft import PeftModel

    base_path = adapter_base_path(adapter_dir, base, field)
    model = load_causal_lm(base_path, field=f"{field} base")
    try:
        peft_model = PeftModel.from_pretrained(model, adapter_dir)
    except Exception as e:  # a mismatched or corrupt adapter surfaces as many types
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"{field}: {adapter_dir} does not load on {base_path}: {first}") from None
    return peft_model.eval(), base_path


def load_merged(adapter_dir: Path, base: Path | None = None, field: str = "ADAPTER_DIR"):
    """(merged model, base directory): the adapter's weights folded into a plain copy of its base."""
    peft_model, base_path = load_adapter_model(adapter_dir, base, field)
    return peft_model.merge_and_unload(), base_path


def tokenizer_for(adapter_dir: Path, base_path: Path, field: str = "ADAPTER_DIR"):
    """The adapter directory's tokenizer (the one it was trained with), else the base model's."""
    has_own = (Path(adapter_dir) / "tokenizer.json").is_file() or (
        Path(adapter_dir) / "tokenizer_config.json"
    ).is_file()
    return load_tokenizer(adapter_dir if has_own else base_path, field)


@dataclass
class MergeReport:
    out: str
    base: str
    logits_max_abs_diff: float  # merged vs adapter model on the probe prompts


def merge_adapter(adapter_dir: Path, out: Path, base: Path | None = None) -> MergeReport:
    """Write `out`: the adapter merged into its base, a plain Hugging Face directory with the tokenizer, after
    checking that its logits equal the adapter model's."""
    _check_out(out)
    peft_model, base_path = load_adapter_model(adapter_dir, base)
    tokenizer = tokenizer_for(adapter_dir, base_path)
    ids = probe_batch(tokenizer)
    with torch.no_grad():
        before = peft_model(**ids).logits
        merged = peft_model.merge_and_unload()
        after = merged(**ids).logits
    drift = (before - after).abs().max().item()
    _save_dir(
        out,
        lambda tmp: (merged.save_pretrained(tmp, safe_serialization=True), tokenizer.save_pretrained(tmp)),
    )
    return MergeReport(str(out), str(base_path), drift)


# ---- quantisation --------------------------------------------------------------------------------------


@dataclass
class QuantizeReport:
    out: str
    backend: str  # "bitsandbytes" or TORCH_BACKEND
    bits: int
    size_before_mb: float
    size_after_mb: float
    logits_max_abs_diff: float
    logits_mean_abs_diff: float
    prompts: int

    def as_dict(self) -> dict:
        return asdict(self)


def bitsandbytes_available() -> bool:
    try:
        import bitsandbytes  # noqa: F401
    except Exception:  # missing, or installed without a usable backend
        return False
    return True


def quantize_model(
    model_dir: Path, bits: int, out: Path, prompts: list[str] | None = None, backend: str = "auto"
) -> QuantizeReport:
    """Quantise the causal LM at `model_dir` to `bits` and write it to `out`; report sizes and logit drift.

    backend "auto": bitsandbytes when installed, else torch int8 dynamic quantisation (8 bits only).
    """
    if bits not in (8, 4):
        raise UserError(f"--bits: expected 8 or 4, got {bits}")
    model_dir = check_model_dir(model_dir, "MODEL_DIR")
    if is_adapter_dir(model_dir):
        raise UserError(f"MODEL_DIR: {model_dir} is a LoRA adapter; merge it first (rxalign merge)")
    if backend == "auto":
        backend = "bitsandbytes" if bitsandbytes_available() else TORCH_BACKEND
    if backend == TORCH_BACKEND and bits == 4:
        raise UserError(
            "--bits 4: torch dynamic quantisation is int8 only; install bitsandbytes (the quantize extra) for 4 bits"
        )
    _check_out(out)
    tokenizer = load_tokenizer(model_dir, "MODEL_DIR")
    original = load_causal_lm(model_dir, "MODEL_DIR").eval()
    if backend == "bitsandbytes":
        quantized, write = _bnb_quantize(model_dir, bits, tokenizer)
    else:
        quantized, write = _torch_quantize(original, tokenizer)
    # Measured before anything is written: a quantised model that cannot run is refused, not saved.
    # bitsandbytes logs a warning on every int8 matmul (it casts fp32 inputs to fp16)
    bnb_logger = logging.getLogger("bitsandbytes")
    level = bnb_logger.level
    bnb_logger.setLevel(logging.ERROR)
    try:
        max_diff, mean_diff = logit_drift(original, quantized, tokenizer, prompts)
    except Exception as e:  # kernels raise many types for an unsupported shape or device
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"the {bits}-bit {backend} model of {model_dir} does not run here: {first}") from None
    finally:
        bnb_logger.setLevel(level)
    _save_dir(out, write)
    return QuantizeReport(
        out=str(out),
        backend=backend,
        bits=bits,
        size_before_mb=weights_size_mb(model_dir),
        size_after_mb=weights_size_mb(out),
        logits_max_abs_diff=max_diff,
        logits_mean_abs_diff=mean_diff,
        prompts=len(prompts or PROBE_PROMPTS),
    )


def _bnb_quantize(model_dir: Path, bits: int, tokenizer):
    """(quantised model, writer of its directory) with bitsandbytes (CUDA, or its CPU backend)."""
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    config = (
        BitsAndBytesConfig(load_in_8bit=True)
        if bits == 8
        else BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.float32
        )
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        model = AutoModelForCausalLM.from_pretrained(
            model_dir, quantization_config=config, device_map=device, local_files_only=True
        )
    except Exception as e:  # bitsandbytes raises many types for an unsupported device or layer
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(
            f"bitsandbytes could not quantise {model_dir} to {bits} bits on {device}: {first}"
        ) from None

    def write(tmp: Path) -> None:
        try:
            model.save_pretrained(tmp, safe_serialization=True)
        except Exception as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise UserError(
                f"bitsandbytes {bits}-bit weights cannot be saved as safetensors here ({first}); refusing to pickle"
            ) from None
        tokenizer.save_pretrained(tmp)

    return model.eval(), write


def _torch_dynamic_int8(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of `model` whose nn.Linear layers run int8 matmuls: weights quantised per output channel once,
    activations quantised on the fly (torch.ao dynamic quantisation; CPU kernels)."""
    import copy

    with warnings.catch_warnings():  # torch.ao quantisation is deprecated upstream (torchao) but still works
        warnings.simplefilter("ignore")
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        return quantize_dynamic(
            copy.deepcopy(model).cpu(), {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
        )


def _quantized_linears(model: torch.nn.Module):
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    return [(name, m) for name, m in model.named_modules() if isinstance(m, DynamicLinear)]


def _torch_quantize(original, tokenizer):
    """(quantised model, writer of its directory). The writer saves torch int8 weights without pickling: int8 values, per-channel scales and zero points, and every
    other tensor of the model, in one safetensors file beside quantization.json."""
    quantized = _torch_dynamic_int8(original)
    tensors: dict[str, torch.Tensor] = {}
    layers = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, module in _quantized_linears(quantized):
            weight, bias = module._packed_params._weight_bias()
            if weight.qscheme() != torch.per_channel_affine:
                raise UserError(
                    f"torch quantisation gave {weight.qscheme()} for {name}; expected per-channel"
                )
            tensors[f"{name}.qweight"] = weight.int_repr().contiguous()
            tensors[f"{name}.scales"] = weight.q_per_channel_scales().to(torch.float64).contiguous()
            tensors[f"{name}.zero_points"] = weight.q_per_channel_zero_points().to(torch.int64).contiguous()
            if bias is not None:
                tensors[f"{name}.bias"] = bias.detach().contiguous()
            layers.append({"name": name, "axis": int(weight.q_per_channel_axis()), "bias": bias is not None})
    quantized_prefixes = tuple(f"{name}." for name, _ in _quantized_linears(quantized))
    for key, value in original.state_dict().items():
        if not key.startswith(quantized_prefixes):
            tensors[key] = value.detach().contiguous().clone()  # clone: tied weights share storage

    def write(tmp: Path) -> None:
        tmp.mkdir(parents=True)
        save_file(tensors, tmp / "model.safetensors", metadata={"format": "pt", "rxalign": TORCH_BACKEND})
        original.config.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        meta = {
            "backend": TORCH_BACKEND,
            "bits": 8,
            "layers": layers,
            "loader": "rxalign.models.export.load_quantized",
        }
        (tmp / QUANTIZATION_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    return quantized, write


def load_quantized(path: Path) -> torch.nn.Module:
    """Rebuild a model written by the torch int8 backend (CPU). bitsandbytes output loads with from_pretrained."""
    from transformers import AutoConfig, AutoModelForCausalLM

    path = Path(path)
    meta_path = path / QUANTIZATION_FILE
    if not meta_path.is_file():
        raise UserError(
            f"{path}: no {QUANTIZATION_FILE}; not an rxalign torch-int8 model (try from_pretrained)"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("backend") != TORCH_BACKEND:
        raise UserError(f"{meta_path}: backend {meta.get('backend')!r} is not {TORCH_BACKEND}")
    config = AutoConfig.from_pretrained(path, local_files_only=True)
    model = AutoModelForCausalLM.from_config(config).eval()
    tensors = load_file(path / "model.safetensors")
    plain = {k: v for k, v in tensors.items() if not k.endswith((".qweight", ".scales", ".zero_points"))}
    quantized_prefixes = tuple(f"{layer['name']}." for layer in meta["layers"])
    model.load_state_dict(
        {k: v for k, v in plain.items() if not k.startswith(quantized_prefixes)}, strict=False
    )
    model = _torch_dynamic_int8(model)
    modules = dict(_quantized_linears(model))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for layer in meta["layers"]:
            name = layer["name"]
            qweight = torch._make_per_channel_quantized_tensor(
                tensors[f"{name}.qweight"],
                tensors[f"{name}.scales"],
                tensors[f"{name}.zero_points"],
                layer["axis"],
            )
            modules[name].set_weight_bias(qweight, tensors.get(f"{name}.bias"))
    return model


# ---- measurements --------------------------------------------------------------------------------------


def probe_batch(tokenizer, prompts: list[str] | None = None) -> dict[str, torch.Tensor]:
    """Right-padded input ids and attention mask of the probe prompts (the chat template when there is one)."""
    from rxalign.models.generation import render_prompts

    prompts = prompts or PROBE_PROMPTS
    texts = render_prompts(tokenizer, prompts) if tokenizer.chat_template else prompts
    ids = [tokenizer(t, add_special_tokens=not tokenizer.chat_template)["input_ids"] for t in texts]
    width = max(len(x) for x in ids)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    return {
        "input_ids": torch.tensor([x + [pad] * (width - len(x)) for x in ids]),
        "attention_mask": torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in ids]),
    }


@torch.no_grad()
def logit_drift(reference, candidate, tokenizer, prompts: list[str] | None = None) -> tuple[float, float]:
    """(max, mean) absolute difference of the two models' logits over the real tokens of the probe prompts."""
    batch = probe_batch(tokenizer, prompts)
    keep = batch["attention_mask"].bool()

    def logits(model) -> torch.Tensor:
        device = next(model.parameters()).device
        return model(**{k: v.to(device) for k, v in batch.items()}).logits.float().cpu()[keep]  # (tokens, V)

    diff = (logits(reference) - logits(candidate)).abs()
    return diff.max().item(), diff.mean().item()


def weights_size_mb(path: Path) -> float:
    """Size of the weight files (safetensors, or legacy .bin) in a model directory."""
    files = [p for p in Path(path).iterdir() if p.suffix in (".safetensors", ".bin")]
    return sum(p.stat().st_size for p in files) / 2**20


# ---- helpers -------------------------------------------------------------------------------------------


def _check_out(out: Path) -> None:
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"--out {out}: exists and is not empty; choose a new directory")


def _save_dir(out: Path, write) -> None:
    """Run `write(tmp)` into a temporary sibling of `out`, then rename it into place (whole or nothing)."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        write(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        out.rmdir()  # empty: _check_out refused anything else
    os.replace(tmp, out)
