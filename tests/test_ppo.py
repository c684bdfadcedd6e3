"""Stage 4: reward placement, sampling/scoring agreement, a short run, and kill-and-resume equality."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

from conftest import run_cli
from rxalign.config import PPOConfig, PPOSettings
from rxalign.data.generate import GenerateConfig, build_datasets
from rxalign.io import read_jsonl as read_metrics
from rxalign.io import write_jsonl
from rxalign.models.generation import rollout
from rxalign.models.heads import load_reward_model
from rxalign.models.load import load_causal_lm
from rxalign.models.logprobs import response_logprobs
from rxalign.stages.ppo import (
    batch_indices,
    pass_means,
    prompt_order,
    token_rewards,
)

TIMING = {"tokens_per_s", "peak_memory_mb", "elapsed_s"}


def test_reward_lands_on_the_last_real_token_never_a_pad():
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.0, 0.0, 0.0]])
    k1 = torch.full((3, 5), 0.5)
    rewards = token_rewards(torch.tensor([2.0, -1.0, 3.0]), k1, mask, beta=0.1)
    expected = torch.tensor(
        [
            [-0.05, -0.05, 1.95, 0.0, 0.0],  # score on index 2, the last real token
            [-0.05, -0.05, -0.05, -0.05, -1.05],
            [2.95, 0.0, 0.0, 0.0, 0.0],
        ]
    )
    assert torch.allclose(rewards, expected, atol=1e-6)
    assert (rewards[mask == 0] == 0).all()


def test_prompt_order_covers_every_prompt_once_per_pass():
    order = prompt_order(10, seed=3)
    assert sorted(order) == list(range(10)) and order == prompt_order(10, seed=3) != prompt_order(10, seed=4)
    stream = [i for it in range(1, 9) for i in batch_indices(order, it, 4)]  # 8 iterations of 4 prompts
    assert stream[:4] == order[:4] and stream[8:12] == order[8:] + order[:2]
    for start in range(len(stream) - 10 + 1):  # ANY 10 consecutive samples hold every prompt once
        assert sorted(stream[start : start + 10]) == list(range(10))


def test_pass_means_by_hand():
    rows = [(float(i), 10.0 - i) for i in range(10)]  # (rm, gold) of samples 0..9
    m = pass_means(rows, n_prompts=3)  # first pass: samples 0-2, last pass: 7-9
    assert (m["rm_score_first"], m["rm_score_last"], m["gold_score_first"], m["gold_score_last"]) == (
        1.0,
        8.0,
        9.0,
        2.0,
    )
    assert pass_means(rows, n_prompts=100)["pass_samples"] == 5  # fewer samples than 2 passes: the halves


@pytest.fixture(scope="module")
def prompts_file(tmp_path_factory):
    rows = build_datasets(GenerateConfig(dpo_notes=10))[0]["ppo/prompts.jsonl"][:12]
    path = tmp_path_factory.mktemp("prompts") / "prompts.jsonl"
    write_jsonl(path, rows)
    return path


def test_scoring_log_probs_equal_the_samplers_at_temperature(tiny_model_dirs, tokenizer):
    model = load_causal_lm(tiny_model_dirs["llama"]).eval()
    prompts = ["Is warfarin with ibuprofen safe?", "Metformin?"]  # different lengths: left padding matters
    torch.manual_seed(0)
    ids, mask, width, resp_mask, _ = rollout(
        model, tokenizer, prompts, temperature=0.7, max_new_tokens=6, device="cpu"
    )
    with torch.no_grad():
        scored = response_logprobs(model, ids, mask, width, 0.7)
    # the sampler's own distribution: generate again from the same RNG state with its processed scores
    torch.manual_seed(0)
    texts = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
        )
        for p in prompts
    ]
    enc = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    out = model.generate(
        input_ids=ids[:, :width],
        attention_mask=mask[:, :width],
        do_sample=True,
        temperature=0.7,
        top_k=0,
        top_p=1.0,
        max_new_tokens=6,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        output_scores=True,
        return_dict_in_generate=True,
    )
    assert len(enc) == 2 and torch.equal(
        out.sequences[:, width:][resp_mask.bool()], ids[:, width:][resp_mask.bool()]
    )
    sampler = torch.stack([torch.log_softmax(s.float(), -1) for s in out.scores], 1)  # (B, R, V)
    sampler = sampler.gather(-1, out.sequences[:, width:, None]).squeeze(-1)
    m = resp_mask.bool()
    assert torch.allclose(scored[m], sampler[m], atol=1e-5)


def ppo_cfg(tmp_path, tiny_model_dirs, ensemble_dir, prompts_file, **ppo):
    settings = dict(
        iterations=3,
        prompts_per_iteration=4,
        max_new_tokens=8,
        epochs=1,
        minibatch_size=2,
        lr=1e-3,
        value_lr=1e-3,
    )
    return PPOConfig(
        out=tmp_path / "ppo",
        policy_path=tiny_model_dirs["llama"],
        reward_path=ensemble_dir,
        prompts_file=prompts_file,
        ppo=PPOSettings(**{**settings, **ppo}),
        save_every=1,
    )


def test_three_iterations_change_policy_and_value_and_keep_the_reference(
    tmp_path, tiny_model_dirs, ensemble_dir, prompts_file
):
    from rxalign.stages import ppo

    before = AutoModelForCausalLM.from_pretrained(tiny_model_dirs["llama"]).state_dict()
    summary = ppo.run(ppo_cfg(tmp_path, tiny_model_dirs, ensemble_dir, prompts_file))
    assert summary["iterations"] == 3 and summary["kl_k1_min"] > -0.01
    after = AutoModelForCausalLM.from_pretrained(tmp_path / "ppo" / "final").state_dict()
    assert all(not torch.equal(before[k], after[k]) for k in before if "embed" not in k), (
        "policy did not change"
    )
    ckpt = sorted((tmp_path / "ppo" / "checkpoints").glob("step-*"))[-1]
    value = load_file(ckpt / "value.safetensors")
    initial_value = load_reward_model(ensemble_dir / "member-0").state_dict()
    assert any(not torch.equal(v, initial_value[k]) for k, v in value.items())
    # the reference (the SFT model on disk) is untouched, and iteration 1 measured no KL against it
    assert all(
        torch.equal(v, AutoModelForCausalLM.from_pretrained(tiny_model_dirs["llama"]).state_dict()[k])
        for k, v in before.items()
    )
    # first/last are means over the first and last pass over the 12 prompts (here 6 samples each: 12 in all)
    state = json.loads((ckpt / "trainer_state.json").read_text())
    per_sample = [p for a in state["audit"] for p in a["audit"]["per_prompt"]]
    assert len(per_sample) == 12 and summary["pass_samples"] == 6
    assert summary["gold_score_first"] == pytest.approx(sum(p[2] for p in per_sample[:6]) / 6)
    assert summary["rm_score_last"] == pytest.approx(sum(p[1] for p in per_sample[-6:]) / 6)
    # the SFT baseline answered each of the 12 prompts once before any update; gains are against it
    assert summary["sft_baseline_n"] == 12 and len(state["baseline"]["texts"]) == 12
    records = read_metrics(tmp_path / "ppo" / "metrics.jsonl")
    assert records[0]["kl_k1_mean"] == pytest.approx(0.0, abs=1e-6) and records[0][
        "kl_k3_mean"
    ] == pytest.approx(0.0, abs=1e-6)
    for key in (
        "rm_score_mean",
        "rm_ensemble_spread",
        "gold_score_mean",
        "kl_k3_mean",
        "beta",
        "clipfrac",
        "approx_kl",
        "entropy",
        "value_loss",
        "explained_variance",
        "response_length_mean",
        "eos_rate",
        "tokens_per_s",
        "audit_flags",
        "rm_score_gain",
        "gold_score_gain",
    ):
        assert key in records[-1], key
    for key in ("gold_score_first", "gold_score_last", "rm_score_first", "rm_score_last", "kl_k3_mean"):
        assert isinstance(summary[key], float), key  # what the pipeline reads
    assert {"beta_final", "iterations", "rm_gold_gain_correlation", "gold_score_sft"} <= set(summary)


@pytest.mark.slow
def test_sigkill_and_resume_equals_uninterrupted_ppo(tmp_path, tiny_model_dirs, ensemble_dir, prompts_file):
    args = [
        "--set",
        f"policy_path={tiny_model_dirs['llama']}",
        "--set",
        f"reward_path={ensemble_dir}",
        "--set",
        f"prompts_file={prompts_file}",
        "--set",
        "ppo.iterations=8",
        "--set",
        "ppo.prompts_per_iteration=4",
        "--set",
        "ppo.max_new_tokens=8",
        "--set",
        "ppo.epochs=1",
        "--set",
        "ppo.minibatch_size=2",
        "--set",
        "save_every=2",
        "--set",
        "ppo.lr=1e-3",
    ]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    r = run_cli("ppo", "--quiet", "--out", str(whole), *args)
    assert r.returncode == 0, r.stderr
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rxalign.cli", "ppo", "--quiet", "--out", str(killed), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while not (killed / "checkpoints" / "step-0000004").exists():
        assert proc.poll() is None and time.time() < deadline, "run ended before it could be killed"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "summary.json").exists()
    r = run_cli("ppo", "--quiet", "--resume", "--out", str(killed), *args)
    assert r.returncode == 0, r.stderr
    strip = lambda rows: [{k: v for k, v in row.items() if k not in TIMING} for row in rows]  # noqa: E731
    assert strip(read_metrics(killed / "metrics.jsonl")) == strip(read_metrics(whole / "metrics.jsonl"))
    a, b = load_file(whole / "final" / "model.safetensors"), load_file(killed / "final" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)
