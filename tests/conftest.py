"""Shared fixtures: a tiny corpus, a trained tokenizer, and tiny random models of four families saved locally."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from rxalign.models.tokenizer import train_tokenizer  # noqa: E402
from rxalign.stages.pretrain import bundled_corpus  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

# Small and fast: what tests pass with --set to any pretrain run.
FAST = [
    "data.block_size=32",
    "tokenizer.vocab_size=400",
    "train.batch_size=4",
    "train.max_steps=6",
    "train.warmup_steps=2",
    "train.log_every=2",
    "train.eval_every=3",
    "train.save_every=3",
    "train.peak_tflops=1.0",
]


@pytest.fixture(scope="session")
def corpus_docs() -> list[str]:
    """A slice of the bundled knowledge-base corpus: big enough to train on, small enough to be quick."""
    return bundled_corpus()[:120]


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory, corpus_docs) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text("\n\n".join(corpus_docs))
    return path


@pytest.fixture(scope="session")
def tokenizer(corpus_docs):
    return train_tokenizer(corpus_docs, vocab_size=400)


def _tiny_config(family: str, vocab: int, tok):
    from transformers import GPT2Config, LlamaConfig, MistralConfig, Qwen2Config

    ids = dict(pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    common = dict(
        vocab_size=vocab,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        **ids,
    )
    if family == "llama":
        return LlamaConfig(**common)
    if family == "qwen2":
        return Qwen2Config(**common)
    if family == "mistral":
        return MistralConfig(**common)
    if family == "gpt2":
        return GPT2Config(vocab_size=vocab, n_embd=32, n_layer=2, n_head=4, n_positions=128, **ids)
    raise ValueError(family)


@pytest.fixture(scope="session")
def tiny_model_dirs(tmp_path_factory, tokenizer) -> dict[str, Path]:
    """Random tiny models of each family, saved with the tokenizer to local directories (no hub access)."""
    import torch
    from transformers import AutoModelForCausalLM

    dirs = {}
    for family in ("llama", "qwen2", "mistral", "gpt2"):
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(_tiny_config(family, len(tokenizer), tokenizer))
        path = tmp_path_factory.mktemp(f"model-{family}")
        model.save_pretrained(path)
        tokenizer.save_pretrained(path)
        dirs[family] = path
    return dirs


@pytest.fixture(scope="session")
def ensemble_dir(tmp_path_factory, tiny_model_dirs, tokenizer) -> Path:
    """An untrained 2-member reward ensemble on the tiny llama (ensemble.json + member-k/), as `reward` writes."""
    import json

    from rxalign.models.heads import load_reward_model
    from rxalign.rundir import save_hf_dir

    out = tmp_path_factory.mktemp("ensemble")
    for k in range(2):
        model = load_reward_model(tiny_model_dirs["llama"], seed=k)
        model.config.pad_token_id = tokenizer.pad_token_id
        save_hf_dir(out / f"member-{k}", model, tokenizer)
    members = [{"dir": f"member-{k}", "offset": 0.0} for k in range(2)]
    (out / "ensemble.json").write_text(json.dumps({"members": members}))
    return out


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """`rxalign ARGS` in a real subprocess."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "rxalign.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_main(monkeypatch, capsys, *argv) -> tuple[int, str, str]:
    """`rxalign ARGV` in this process through the real entry point: (exit code, stdout, stderr)."""
    from rxalign import cli

    monkeypatch.setattr(sys, "argv", ["rxalign", *argv])
    code = 0
    try:
        cli.main()
    except SystemExit as e:
        code = e.code or 0
    out, err = capsys.readouterr()
    return code, out, err


SMOKE_CONFIG = REPO / "configs" / "smoke.yaml"


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory) -> Path:
    """A complete smoke pipeline run (tiny sizes, a few steps per stage), shared by the tests that read one."""
    out = tmp_path_factory.mktemp("pipeline") / "smoke"
    r = run_cli("pipeline", str(SMOKE_CONFIG), "--out", str(out), "--quiet", timeout=600)
    assert r.returncode == 0, r.stderr
    return out
