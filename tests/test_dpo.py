"""Stage B (DPO): the loss path at step 0, the reference, logits only where labels exist, one forward for both
responses, the output layout, the reference cache, the CLI, and parity with TRL's DPOTrainer."""

import copy
import json
import math
import sys

import pytest
import torch
import yaml
from pydantic import BaseModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

from rxalign.config import deep_merge
from rxalign.errors import UserError
from rxalign.io import write_jsonl
from rxalign.losses import IGNORE_INDEX
from rxalign.models.load import apply_lora, load_causal_lm
from rxalign.models.logprobs import SequenceLogps, full_logits_logps
from rxalign.stages.dpo import (
    QUICKSTART_FLAGS,
    DPOConfig,
    Schedule,
    encode_pair,
    epoch_stats,
    load_reference_base,
    preference_batch,
    preference_losses,
    repeated_trigram_share,
    troubleshoot,
    unknown_word_share,
)
from rxalign.stages.dpo.config import field_at

LN2 = math.log(2)

# Short synthetic triplets in the bundled format (the tiny test models have 128 positions).
DRUGS = ["warfarin", "metformin", "gabapentin", "codeine", "ibuprofen", "amoxicillin"]


def triplets(n: int, offset: int = 0) -> list[dict]:
    rows = []
    for i in range(offset, offset + n):
        drug, dose = DRUGS[i % len(DRUGS)], 100 * (i % 5 + 1)
        rows.append(
            {
                "prompt": f"Note: patient {i} takes {drug} {dose} mg daily. Summary:",
                "chosen": f"Takes {drug} {dose} mg daily.",
                "rejected": f"Takes {drug} {dose * 2} mg daily.",
            }
        )
    return rows


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("dpo-data")
    write_jsonl(root / "train.jsonl", triplets(12))
    write_jsonl(root / "val.jsonl", triplets(4, offset=100))
    return root


def lora_model(model_dir, r=4, seed=0, nonzero=True):
    torch.manual_seed(seed)
    cfg = DPOConfig(lora={"r": r})
    model = apply_lora(load_causal_lm(model_dir).eval(), cfg.lora.settings)
    if nonzero:  # a trained-looking adapter (B starts at zero)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "lora_B" in name:
                    p.normal_(0, 0.05)
    return model


def batch_of(tokenizer, rows):
    examples = [encode_pair(tokenizer, r["prompt"], r["chosen"], r["rejected"], 128)[0] for r in rows]
    return preference_batch(examples, tokenizer.pad_token_id)


def logps_of(module, batch):
    return module(batch["input_ids"], batch["attention_mask"], batch["labels"])


def dpo_cfg(tmp_path, model_dir, data_dir, name="run", **kw):
    """A one-epoch run on the tiny model; `kw` is laid over it section by section (nested keys)."""
    base = dict(
        model_path=model_dir,
        out=tmp_path / name,
        data=dict(train_file=data_dir / "train.jsonl", val_file=data_dir / "val.jsonl", max_length=128),
        lora=dict(r=4),
        reference=dict(cache_dir=tmp_path / "cache"),
        train=dict(epochs=1, lr=5e-3, batch_size=4, log_every=1),
        samples=1,
        sample_max_new_tokens=4,
    )
    return DPOConfig.model_validate(deep_merge(base, kw))


# ---- tokenisation and the loss path --------------------------------------------------------------------


def test_prompt_is_masked_and_both_responses_end_with_eos(tokenizer):
    row = triplets(1)[0]
    ex, truncated = encode_pair(tokenizer, row["prompt"], row["chosen"], row["rejected"], 128)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": row["prompt"]}],
        tokenize=True,
        add_generation_prompt=True,
        return_dict=True,
    )["input_ids"]
    assert not truncated and ex.chosen_ids[: len(prompt)] == prompt
    assert ex.chosen_labels == [IGNORE_INDEX] * len(prompt) + ex.chosen_ids[len(prompt) :]
    assert ex.rejected_labels == [IGNORE_INDEX] * len(prompt) + ex.rejected_ids[len(prompt) :]
    assert ex.chosen_ids[-1] == ex.rejected_ids[-1] == tokenizer.eos_token_id
    batch = preference_batch([ex, ex], tokenizer.pad_token_id)
    assert batch["input_ids"].shape[0] == 4 and batch["n_items"] == 2  # chosen, chosen, rejected, rejected


@pytest.mark.parametrize("loss", ["sigmoid", "cdpo"])
def test_step0_loss_is_ln2_when_policy_equals_reference(tiny_model_dirs, tokenizer, loss):
    model = lora_model(tiny_model_dirs["llama"], nonzero=False)  # a new adapter: policy = reference
    policy = SequenceLogps(model)
    batch = batch_of(tokenizer, triplets(5))
    with torch.no_grad():
        policy_logps, n = logps_of(policy, batch)
        with model.disable_adapter():
            ref_logps, _ = logps_of(policy, batch)
    losses, sums = preference_losses(
        policy_logps, ref_logps, n, loss=loss, beta=0.1, label_smoothing=0.1 if loss == "cdpo" else 0.0
    )
    assert losses.mean().item() == pytest.approx(LN2, abs=1e-6)
    assert sums["rewards/accuracies"].item() / 5 == 0.5  # ties count half: chosen preference starts at 50%
    assert sums["rewards/margins"].item() == 0.0


def test_adapter_off_reference_equals_base_model(tiny_model_dirs, tokenizer):
    model = lora_model(tiny_model_dirs["llama"])
    base = SequenceLogps(load_causal_lm(tiny_model_dirs["llama"]).eval())
    batch = batch_of(tokenizer, triplets(4))
    with torch.no_grad():
        with model.disable_adapter():
            off, _ = logps_of(SequenceLogps(model), batch)
        on, _ = logps_of(SequenceLogps(model), batch)
        expected, _ = logps_of(base, batch)
    assert torch.allclose(off, expected, atol=1e-5)
    assert not torch.allclose(on, expected, atol=1e-3)  # the adapter does change the policy


@pytest.mark.parametrize("family", ["llama", "qwen2", "mistral", "gpt2"])
def test_logits_only_where_labels_exist_equal_full_logits(tiny_model_dirs, tokenizer, family):
    model = load_causal_lm(tiny_model_dirs[family]).eval()
    batch = batch_of(tokenizer, triplets(3))
    ids, mask, labels = batch["input_ids"], batch["attention_mask"], batch["labels"]
    with torch.no_grad():
        selected, n_selected = SequenceLogps(model)(ids, mask, labels)
        full, n_full = full_logits_logps(model, ids, mask, labels)
    assert torch.allclose(selected, full, atol=1e-4) and torch.equal(n_selected, n_full)
    # gradients agree too (eval mode: GPT-2 has dropout)
    g = []
    for fn in (
        lambda: SequenceLogps(model)(ids, mask, labels)[0],
        lambda: full_logits_logps(model, ids, mask, labels)[0],
    ):
        model.zero_grad()
        fn().sum().backward()
        g.append(torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None]))
    assert torch.allclose(g[0], g[1], atol=1e-4)


def test_chosen_and_rejected_in_one_forward_equal_separate_forwards(tiny_model_dirs, tokenizer):
    module = SequenceLogps(lora_model(tiny_model_dirs["llama"]))
    rows = triplets(3)
    rows[1]["chosen"] = (
        "A much longer summary: takes metformin 200 mg daily with food, renal function normal."
    )
    batch = batch_of(tokenizer, rows)
    examples = [encode_pair(tokenizer, r["prompt"], r["chosen"], r["rejected"], 128)[0] for r in rows]
    with torch.no_grad():
        together, _ = logps_of(module, batch)
        alone = []
        for side in ("chosen", "rejected"):
            for e in examples:
                ids = torch.tensor([getattr(e, f"{side}_ids")])
                labels = torch.tensor([getattr(e, f"{side}_labels")])
                alone.append(module(ids, torch.ones_like(ids), labels)[0])
    assert torch.allclose(together, torch.cat(alone), atol=1e-5)


def test_ipo_uses_length_averaged_logps_and_rpo_adds_chosen_nll():
    policy = torch.tensor([-4.0, -9.0])  # chosen (2 tokens), rejected (3 tokens)
    ref = torch.tensor([-5.0, -8.0])
    n = torch.tensor([2, 3])
    ipo, _ = preference_losses(policy, ref, n, loss="ipo", beta=0.5)
    h = (-4 / 2 - -9 / 3) - (-5 / 2 - -8 / 3)
    assert ipo.item() == pytest.approx((h - 1 / (2 * 0.5)) ** 2)
    rpo, _ = preference_losses(policy, ref, n, loss="rpo", beta=0.1, rpo_alpha=0.5)
    sigmoid, sums = preference_losses(policy, ref, n, loss="sigmoid", beta=0.1)
    assert rpo.item() == pytest.approx(sigmoid.item() + 0.5 * 4 / 2)
    assert sums["rewards/chosen"].item() == pytest.approx(0.1 * 1.0)
    assert sums["rewards/rejected"].item() == pytest.approx(0.1 * -1.0)


# ---- bookkeeping --------------------------------------------------------------------------------------


def test_schedule_counts_pairs_and_epoch_ends():
    s = Schedule.build(n_pairs=10, batch_size=4, grad_accum=1, world=1, epochs=2)  # batches 4, 4, 2 per epoch
    assert s.epoch_ends == [3, 6]
    assert s.pairs(0, 3) == 10 and s.pairs(3, 6) == 10 and s.pairs(2, 4) == 2 + 4
    assert [s.epoch_of(k) for k in (1, 3, 4, 6)] == [1, 1, 2, 2]
    s = Schedule.build(n_pairs=10, batch_size=4, grad_accum=2, world=1, epochs=2)  # a step straddles epochs
    assert s.epoch_ends == [2, 3]


def test_epoch_stats_weight_windows_by_pairs():
    s = Schedule.build(n_pairs=10, batch_size=4, grad_accum=1, world=1, epochs=1)
    zeros = {
        k: 0.0
        for k in ("rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen", "logps/rejected")
    }
    val = {f"val_{k}": 0.0 for k in zeros}
    records = [
        {"step": 0, "val_loss": LN2, "val_rewards/accuracies": 0.5, **val},
        {"step": 2, "lr": 1.0, "loss": 0.6, "rewards/accuracies": 0.5, **zeros},  # 8 pairs
        {
            "step": 3,
            "lr": 1.0,
            "loss": 0.3,
            "rewards/accuracies": 1.0,
            **zeros,
            "val_loss": 0.4,
            "val_rewards/accuracies": 0.9,
            **val,
        },  # 2 pairs
    ]
    step0, epochs = epoch_stats(records, s)
    assert step0["val_loss"] == LN2 and step0["chosen_preference"] == 0.5
    assert epochs[0]["train_loss"] == pytest.approx((0.6 * 8 + 0.3 * 2) / 10)
    assert epochs[0]["train_chosen_preference"] == pytest.approx((0.5 * 8 + 1.0 * 2) / 10)
    assert epochs[0]["val_loss"] == 0.4 and epochs[0]["chosen_preference"] == 0.9


def test_troubleshooting_rules():
    start = {"val_loss": LN2, "chosen_preference": 0.5, "val_samples_repeated_trigrams": 0.1}
    flat = {
        "val_loss": 0.69,
        "train_loss": 0.69,
        "chosen_preference": 0.52,
        "val_samples_repeated_trigrams": 0.1,
    }
    assert [a["problem"] for a in troubleshoot(start, [flat])] == ["loss flat"]
    broken = {
        "val_loss": 0.3,
        "train_loss": 0.1,
        "chosen_preference": 0.9,
        "val_samples_repeated_trigrams": 0.5,
    }
    assert [a["problem"] for a in troubleshoot(start, [broken])] == [
        "degenerate text",
        "validation loss does not follow training loss",
    ]
    gibberish = {
        "val_loss": 0.4,
        "train_loss": 0.38,
        "chosen_preference": 0.9,
        "val_samples_unknown_words": 0.2,
    }
    assert [a["problem"] for a in troubleshoot(start, [gibberish])] == ["degenerate text"]
    assert unknown_word_share("the dose was pipitted", {"the", "dose", "was"}) == 0.25
    good = {
        "val_loss": 0.4,
        "train_loss": 0.38,
        "chosen_preference": 0.9,
        "val_samples_repeated_trigrams": 0.12,
    }
    assert troubleshoot(start, [good]) == []
    assert repeated_trigram_share("a b c a b c a b c") == pytest.approx(1 - 3 / 7)
    assert repeated_trigram_share("one two") == 0.0


# ---- the reference base --------------------------------------------------------------------------------


def test_unmerged_sft_adapter_is_merged_before_dpo(tiny_model_dirs, tokenizer, tmp_path):
    adapter = lora_model(tiny_model_dirs["llama"], seed=1)
    adapter.save_pretrained(tmp_path / "sft-adapter")
    tokenizer.save_pretrained(tmp_path / "sft-adapter")
    merged, tok, merged_from = load_reference_base(tmp_path / "sft-adapter")
    assert merged_from is not None and tok.pad_token_id == tokenizer.pad_token_id
    batch = batch_of(tokenizer, triplets(3))
    with torch.no_grad():
        expected, _ = logps_of(SequenceLogps(adapter), batch)
        got, _ = logps_of(SequenceLogps(merged.eval()), batch)
    assert torch.allclose(got, expected, atol=1e-4)  # the reference is the SFT model, not its base


# ---- runs ------------------------------------------------------------------------------------------------


def test_run_layout_step0_ln2_and_base_weights_unchanged(tmp_path, tiny_model_dirs, data):
    from peft import PeftModel

    from rxalign.stages import dpo

    summary = dpo.run(dpo_cfg(tmp_path, tiny_model_dirs["llama"], data))
    out = tmp_path / "run"
    for d in ("final_model", "checkpoint_epoch_1"):
        for f in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "dpo_config.json"):
            assert (out / d / f).is_file(), f"{d}/{f}"
    assert not list(out.rglob("*.bin")) and not list(out.rglob("*.pt"))
    for f in ("dpo_training_stats.json", "metrics.jsonl", "config.yaml", "summary.json", "samples.jsonl"):
        assert (out / f).is_file(), f
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert records[0]["step"] == 0 and records[0]["val_loss"] == pytest.approx(LN2, abs=1e-6)
    assert records[0]["val_rewards/accuracies"] == 0.5
    train_lines = [r for r in records if "loss" in r]
    assert len(train_lines) == 3 and all(k in train_lines[0] for k in ("rewards/margins", "logps/chosen"))
    stats = json.loads((out / "dpo_training_stats.json").read_text())
    epoch = stats["epochs"][0]
    for k in (
        "train_loss",
        "val_loss",
        "chosen_preference",
        "val_rewards_chosen",
        "val_rewards_rejected",
        "val_rewards_margins",
        "val_logps_chosen",
        "val_logps_rejected",
        "train_rewards_margins",
    ):
        assert k in epoch, k
    assert stats["step_0"]["val_loss"] == pytest.approx(LN2, abs=1e-6)
    assert summary["val_loss"] < LN2 and summary["steps"] == 3
    # the adapter learned; the base weights did not move
    adapters = load_file(out / "final_model" / "adapter_model.safetensors")
    assert any(t.abs().sum() > 0 for k, t in adapters.items() if "lora_B" in k)
    config = json.loads((out / "final_model" / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(tiny_model_dirs["llama"].resolve())
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dirs["llama"])
    peft_model = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(tiny_model_dirs["llama"]), out / "final_model"
    )
    for name, p in base.named_parameters():
        assert torch.equal(p, peft_model.get_base_model().get_parameter(name)), name
    # a finished run resumes to its summary; a new run into it is refused, naming the key as the user gave it
    assert dpo.run(dpo_cfg(tmp_path, tiny_model_dirs["llama"], data), resume=True)["steps"] == 3
    with pytest.raises(UserError, match=r"^--out .*holds another run"):
        dpo.run(dpo_cfg(tmp_path, tiny_model_dirs["llama"], data))
    with pytest.raises(UserError, match=r"^--output_dir .*holds another run"):
        dpo.run(dpo_cfg(tmp_path, tiny_model_dirs["llama"], data).named_by({"out": "--output_dir"}))


PRECOMPUTE = {"precompute": True}


def test_precomputed_reference_is_cached_reused_and_invalidated(tmp_path, tiny_model_dirs, data):
    from rxalign.stages import dpo

    first = dpo.run(dpo_cfg(tmp_path, tiny_model_dirs["llama"], data, "a", reference=PRECOMPUTE, samples=0))
    again = dpo.run(dpo_cfg(tmp_path, tiny_model_dirs["llama"], data, "b", reference=PRECOMPUTE, samples=0))
    assert first["ref_cache_reused"] is False and again["ref_cache_reused"] is True
    assert first["ref_cache"] == again["ref_cache"]
    assert first["val_loss_first"] == pytest.approx(LN2, abs=1e-5)
    # the same losses as without the cache: the reference is the same
    plain = dpo.run(dpo_cfg(tmp_path, tiny_model_dirs["llama"], data, "c", samples=0))
    assert again["val_loss"] == pytest.approx(plain["val_loss"], abs=1e-5)
    changed = tmp_path / "changed"
    rows = triplets(12)
    rows[0]["chosen"] = "Takes warfarin 100 mg daily, as before."
    write_jsonl(changed / "train.jsonl", rows)
    other = dpo.run(
        dpo_cfg(
            tmp_path,
            tiny_model_dirs["llama"],
            data,
            "d",
            reference=PRECOMPUTE,
            samples=0,
            data={"train_file": changed / "train.jsonl"},
        )
    )
    assert other["ref_cache_reused"] is False and other["ref_cache"] != first["ref_cache"]


def test_bad_train_file_refused_before_writing(tmp_path, tiny_model_dirs, data):
    from rxalign.stages import dpo

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(triplets(1)[0]) + "\n" + json.dumps({"prompt": "p", "chosen": "c"}) + "\n")
    with pytest.raises(UserError, match=r"bad.jsonl:2: missing field 'rejected'"):
        dpo.run(dpo_cfg(tmp_path, tiny_model_dirs["llama"], data, data={"train_file": bad}))
    assert not (tmp_path / "run").exists()


def test_default_train_file_falls_back_to_bundled_triplets(tmp_path, monkeypatch):
    from rxalign.stages.dpo import DEFAULT_TRAIN_FILE, load_triplets, resolve_data

    monkeypatch.chdir(tmp_path)
    cfg = resolve_data(DPOConfig())
    assert cfg.data.train_file is None
    train, val, source = load_triplets(cfg)
    assert len(train) > len(val) > 0 and source == "bundled"
    with pytest.raises(UserError, match="train_file: phase2_data/dpo/train_dpo.jsonl does not exist"):
        load_triplets(
            resolve_data(DPOConfig(data={"train_file": DEFAULT_TRAIN_FILE}))
        )  # asked for explicitly


# ---- CLI -------------------------------------------------------------------------------------------------


def cli(*args, **env):
    return run_cli_module("rxalign.cli", *args, **env)


def run_cli_module(module, *args, **extra_env):
    import os
    import subprocess

    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1", **extra_env}
    return subprocess.run(
        [sys.executable, "-m", module, *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_cli_accepts_underscore_and_dashed_flags(tmp_path, tiny_model_dirs, data):
    common = ["--train_file", str(data / "train.jsonl"), "--val-file", str(data / "val.jsonl"), "--quiet"]
    result = cli(
        "dpo",
        "--sft_model_path",
        str(tiny_model_dirs["llama"]),
        "--output-dir",
        str(tmp_path / "a"),
        "--num_epochs",
        "1",
        "--learning-rate",
        "1e-3",
        "--batch_size",
        "6",
        "--lora-r",
        "2",
        "--max_length",
        "128",
        "--samples",
        "0",
        "--no-use-lora",
        *common,
    )
    assert result.returncode == 0, result.stderr
    saved = yaml.safe_load((tmp_path / "a" / "config.yaml").read_text())  # the nested config the flags set
    assert (
        saved["train"]["lr"] == 0.001 and saved["train"]["batch_size"] == 6 and saved["train"]["epochs"] == 1
    )
    assert saved["lora"] == {"enabled": False, "r": 2, "alpha": None}
    assert saved["out"] == str(tmp_path / "a") and saved["data"]["val_file"] == str(data / "val.jsonl")
    record = json.loads((tmp_path / "a" / "final_model" / "dpo_config.json").read_text())
    assert record["learning_rate"] == 0.001 and record["output_dir"] == str(
        tmp_path / "a"
    )  # quick-start names
    assert (
        tmp_path / "a" / "final_model" / "model.safetensors"
    ).is_file()  # full fine-tuning saves the model
    # --config with the nested keys; a flag wins over the file
    (tmp_path / "c.yaml").write_text(
        f"model_path: {tiny_model_dirs['llama']}\ndpo:\n  beta: 0.5\ntrain:\n  lr: 0.1\n"
    )
    result = cli(
        "dpo",
        "--config",
        str(tmp_path / "c.yaml"),
        "--learning_rate",
        "2e-3",
        "--output_dir",
        str(tmp_path / "b"),
        "--num-epochs",
        "1",
        "--max-length",
        "128",
        "--samples",
        "0",
        *common,
    )
    assert result.returncode == 0, result.stderr
    saved = yaml.safe_load((tmp_path / "b" / "config.yaml").read_text())
    assert saved["dpo"]["beta"] == 0.5 and saved["train"]["lr"] == 0.002


def test_cli_user_errors_are_one_line_exit_2(tmp_path, tiny_model_dirs, data):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(triplets(1)[0]) + "\n{not json\n")
    result = cli(
        "dpo",
        "--sft-model-path",
        str(tiny_model_dirs["llama"]),
        "--train_file",
        str(bad),
        "--output_dir",
        str(tmp_path / "x"),
        "--quiet",
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and f"{bad}:2: invalid JSON" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x").exists()
    (tmp_path / "c.yaml").write_text("dpo:\n  beta: 0.1\nlearnin_rate: 1e-3\n")
    result = cli("dpo", "--config", str(tmp_path / "c.yaml"))
    assert result.returncode == 2 and f"{tmp_path / 'c.yaml'}:3: learnin_rate: unknown key" in result.stderr
    # a key of the old flat layout is told its new place
    (tmp_path / "c.yaml").write_text("dpo:\n  beta: 0.1\nlearning_rate: 1e-3\n")
    result = cli("dpo", "--config", str(tmp_path / "c.yaml"))
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0
    assert f"{tmp_path / 'c.yaml'}:3: learning_rate: renamed to train.lr" in result.stderr
    result = cli("dpo", "--beta", "-1", "--quiet")
    assert result.returncode == 2 and "--beta:" in result.stderr
    # the run directory is named by the flag the user gave it with
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "config.yaml").write_text("out: elsewhere\n")
    result = cli("dpo", "--output_dir", str(tmp_path / "taken"), "--quiet")
    assert result.returncode == 2 and f"--output_dir {tmp_path / 'taken'}: holds another run" in result.stderr


def test_cli_help_explains_every_key():
    result = cli("dpo", "--help", COLUMNS="300")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    leaves = set()
    for name, field in DPOConfig.model_fields.items():  # every key of the nested config has its flag
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            leaves |= {f"{name}.{sub}" for sub in section.model_fields}
        else:
            leaves.add(name)
    assert set(QUICKSTART_FLAGS.values()) == leaves
    for flag, key in QUICKSTART_FLAGS.items():
        assert f"--{flag}" in text and f"--{flag.replace('_', '-')}" in text, flag
        assert " ".join(field_at(key)[0].description.split()[:4]) in text, flag


# ---- parity ----------------------------------------------------------------------------------------------


def test_dpo_loss_equals_trl_dpo_trainer(tiny_model_dirs, tokenizer, tmp_path):
    trl = pytest.importorskip("trl", reason="parity tests need the bench extra (pip install -e .[bench])")
    from datasets import Dataset

    policy = load_causal_lm(tiny_model_dirs["llama"]).eval()
    ref = copy.deepcopy(policy)
    with torch.no_grad():  # a reference that differs, so the loss is not trivially ln 2
        g = torch.Generator().manual_seed(0)
        for p in ref.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.02)
    rows = triplets(3)
    dataset = Dataset.from_list(
        [
            {
                "prompt": [{"role": "user", "content": r["prompt"]}],
                "chosen": [{"role": "assistant", "content": r["chosen"]}],
                "rejected": [{"role": "assistant", "content": r["rejected"]}],
            }
            for r in rows
        ]
    )
    args = trl.DPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=3,
        beta=0.1,
        loss_type=["sigmoid"],
        report_to=[],
        use_cpu=True,
        bf16=False,
        fp16=False,
        max_length=128,
    )
    trainer = trl.DPOTrainer(
        model=policy, ref_model=ref, args=args, train_dataset=dataset, processing_class=tokenizer
    )
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(3)])
    with torch.no_grad():
        trl_loss = trainer.compute_loss(trainer.model, batch).item()
    mode = "train" if trainer.model.training else "eval"
    trl_metrics = {k: v[-1] for k, v in trainer._metrics[mode].items()}

    ours = batch_of(tokenizer, rows)
    for row in range(6):  # the same tokens, and the same tokens scored
        keep = batch["attention_mask"][row].bool()
        assert (
            batch["input_ids"][row][keep].tolist()
            == ours["input_ids"][row][ours["attention_mask"][row].bool()].tolist()
        )
    with torch.no_grad():
        policy_logps, n = logps_of(SequenceLogps(load_causal_lm(tiny_model_dirs["llama"]).eval()), ours)
        ref_logps, _ = logps_of(SequenceLogps(ref), ours)
    losses, sums = preference_losses(policy_logps, ref_logps, n, loss="sigmoid", beta=0.1)
    assert abs(trl_loss - LN2) > 1e-3
    assert losses.mean().item() == pytest.approx(trl_loss, abs=1e-4)
    assert sums["rewards/margins"].item() / 3 == pytest.approx(trl_metrics["rewards/margins"], abs=1e-4)
    assert sums["logps/chosen"].item() / 3 == pytest.approx(trl_metrics["logps/chosen"], abs=1e-3)


def test_bundled_config_sets_every_key():
    from rxalign.config import bundled_config_path, load_config

    raw = yaml.safe_load(bundled_config_path("dpo").read_text())
    set_keys = {
        f"{k}.{s}" if isinstance(v, dict) else k
        for k, v in raw.items()
        for s in (v if isinstance(v, dict) else [None])
    }
    assert set_keys == set(QUICKSTART_FLAGS.values())
    cfg = load_config(DPOConfig, None, stage="dpo")
    assert cfg.data.train_file is None and cfg.lora.enabled and cfg.lora.settings.alpha == 2 * cfg.lora.r
