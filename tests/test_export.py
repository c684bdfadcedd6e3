"""Export: merging a LoRA adapter (logits equal to 1e-4), quantisation with sizes and logit drift, no pickles."""

import json
import os
import subprocess
import sys

import pytest
import torch
from transformers import AutoModelForCausalLM

from rxalign.config import LoraSettings
from rxalign.errors import UserError
from rxalign.models.export import (
    TORCH_BACKEND,
    bitsandbytes_available,
    load_quantized,
    logit_drift,
    merge_adapter,
    probe_batch,
    quantize_model,
)
from rxalign.models.load import apply_lora, load_causal_lm


def cli(*args):
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "rxalign.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dirs, tokenizer, tmp_path_factory):
    """A LoRA adapter with non-zero weights on the tiny llama, saved with its tokenizer."""
    torch.manual_seed(0)
    model = apply_lora(load_causal_lm(tiny_model_dirs["llama"]), LoraSettings(enabled=True, r=4, alpha=8))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.05)
    path = tmp_path_factory.mktemp("adapter")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def no_pickles(path):
    return not [p for p in path.rglob("*") if p.suffix in (".bin", ".pt", ".pth", ".pkl", ".ckpt")]


def test_merge_logits_equal_adapter_model(adapter_dir, tiny_model_dirs, tokenizer, tmp_path):
    from peft import PeftModel

    report = merge_adapter(adapter_dir, tmp_path / "merged")
    out = tmp_path / "merged"
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file() and no_pickles(out)
    assert not (out / "adapter_config.json").exists()
    merged = AutoModelForCausalLM.from_pretrained(out).eval()  # plain transformers, no peft
    adapter = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(tiny_model_dirs["llama"]), adapter_dir
    ).eval()
    batch = probe_batch(tokenizer)
    with torch.no_grad():
        diff = (merged(**batch).logits - adapter(**batch).logits).abs().max().item()
        base = AutoModelForCausalLM.from_pretrained(tiny_model_dirs["llama"]).eval()
        moved = (base(**batch).logits - adapter(**batch).logits).abs().max().item()
    assert diff <= 1e-4 and report.logits_max_abs_diff <= 1e-4
    assert moved > 1e-3  # the adapter is not a no-op, so equality means something


def test_merge_refuses_what_it_cannot_do(adapter_dir, tiny_model_dirs, tmp_path):
    with pytest.raises(UserError, match="not a LoRA adapter directory"):
        merge_adapter(tiny_model_dirs["llama"], tmp_path / "x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(UserError, match="exists and is not empty"):
        merge_adapter(adapter_dir, tmp_path / "full")
    moved = tmp_path / "moved"
    moved.mkdir()
    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = str(tmp_path / "gone")
    (moved / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(UserError, match="pass it with --base"):
        merge_adapter(moved, tmp_path / "y")


def test_torch_int8_quantisation_sizes_drift_and_reload(tiny_model_dirs, tokenizer, tmp_path):
    out = tmp_path / "q8"
    report = quantize_model(tiny_model_dirs["llama"], 8, out, backend=TORCH_BACKEND)
    assert report.backend == TORCH_BACKEND and report.size_after_mb < report.size_before_mb
    assert 0 < report.logits_mean_abs_diff <= report.logits_max_abs_diff < 1.0
    assert (out / "model.safetensors").is_file() and (out / "quantization.json").is_file() and no_pickles(out)
    original = load_causal_lm(tiny_model_dirs["llama"]).eval()
    reloaded = load_quantized(out)
    max_diff, mean_diff = logit_drift(original, reloaded, tokenizer)
    assert max_diff == pytest.approx(
        report.logits_max_abs_diff, abs=1e-6
    )  # the saved model is the measured one
    assert mean_diff == pytest.approx(report.logits_mean_abs_diff, abs=1e-6)


@pytest.mark.skipif(bitsandbytes_available(), reason="bitsandbytes installed: 4 bits is available")
def test_four_bits_without_bitsandbytes_is_refused(tiny_model_dirs, tmp_path):
    with pytest.raises(UserError, match="--bits 4: .*bitsandbytes"):
        quantize_model(tiny_model_dirs["llama"], 4, tmp_path / "q4")
    assert not (tmp_path / "q4").exists()


@pytest.mark.skipif(not bitsandbytes_available(), reason="needs bitsandbytes (the quantize extra)")
@pytest.mark.parametrize("bits", [8, 4])
def test_bitsandbytes_quantisation(tokenizer, tmp_path, bits):
    from transformers import LlamaConfig

    # 4-bit blocks hold 64 weights: a layer needs at least 64 inputs
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=128,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(tmp_path / "m")
    tokenizer.save_pretrained(tmp_path / "m")
    report = quantize_model(tmp_path / "m", bits, tmp_path / f"q{bits}", backend="bitsandbytes")
    assert report.size_after_mb < report.size_before_mb and report.logits_max_abs_diff < 1.0
    assert no_pickles(tmp_path / f"q{bits}")


def test_merge_and_quantize_commands(adapter_dir, tiny_model_dirs, tmp_path):
    result = cli("merge", str(adapter_dir), "--out", str(tmp_path / "m"))
    assert result.returncode == 0, result.stderr
    assert "max |Δ|" in result.stdout and "(ok)" in result.stdout
    result = cli(
        "quantize", str(tmp_path / "m"), "--bits", "8", "--out", str(tmp_path / "q"), "--backend", "torch"
    )
    assert result.returncode == 0, result.stderr
    assert (
        "size:" in result.stdout
        and "MB ->" in result.stdout
        and "logit drift on 3 prompts: max |Δ|" in result.stdout
    )
    result = cli("quantize", str(tmp_path / "m"), "--bits", "3", "--out", str(tmp_path / "q3"))
    assert result.returncode == 2 and "--bits: expected 8 or 4" in result.stderr
    result = cli("merge", str(tmp_path / "nothing"), "--out", str(tmp_path / "m2"))
    # one line (bitsandbytes, when installed, may log its own line on import)
    errors = [line for line in result.stderr.splitlines() if "nothing" in line]
    assert result.returncode == 2 and len(errors) == 1 and errors[0].startswith("error: ADAPTER_DIR: ")
    assert "Traceback" not in result.stderr
