"""Stage 2 and Stage 3: prompt masking, the Bradley–Terry loss, last-token rewards, the ensemble, short runs."""

import json
import math

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

from rxalign.config import LoraSettings, RewardConfig, RewardDataConfig, SFTConfig, SFTDataConfig, TrainConfig
from rxalign.data.collate import lm_batch, sft_example
from rxalign.data.generate import GenerateConfig, build_datasets
from rxalign.errors import UserError
from rxalign.io import write_jsonl
from rxalign.losses import IGNORE_INDEX, bradley_terry_loss_sum
from rxalign.models.heads import (
    EnsembleScores,
    RewardEnsemble,
    last_token_index,
    load_reward_model,
    pad_batch,
    sequence_rewards,
)

QUICK = dict(
    lr=1e-3,
    warmup_steps=1,
    max_steps=4,
    batch_size=4,
    log_every=2,
    eval_every=2,
    save_every=4,
    peak_tflops=1.0,
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    files, _ = build_datasets(GenerateConfig(dpo_notes=10))
    out = tmp_path_factory.mktemp("data")
    picks = {
        "sft/train.jsonl": 24,
        "sft/val.jsonl": 8,
        "preference/train.jsonl": 24,
        "preference/val.jsonl": 12,
    }
    for name, n in picks.items():
        write_jsonl(out / name, files[name][:n])
    return out


def test_prompt_masking_labels_exact(tokenizer):
    messages = [
        {"role": "user", "content": "Metformin in cirrhosis?"},
        {"role": "assistant", "content": "AVOID."},
    ]
    ids, labels, truncated = sft_example(tokenizer, messages, 256)
    prompt = tokenizer.apply_chat_template(
        messages[:1], tokenize=True, add_generation_prompt=True, return_dict=True
    )["input_ids"]
    answer = tokenizer("AVOID.", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    assert ids == prompt + answer and not truncated
    assert labels == [IGNORE_INDEX] * len(prompt) + answer  # the answer and its EOS, nothing else
    _, cut, truncated = sft_example(tokenizer, messages, len(prompt) + 1)
    assert truncated and cut == [IGNORE_INDEX] * len(prompt) + answer[:1]


def test_lm_batch_exact_tensors():
    batch = lm_batch([([1, 5, 6], [IGNORE_INDEX, 5, 6]), ([1, 7], [IGNORE_INDEX, 7])], pad_id=0)
    assert batch["input_ids"].tolist() == [[1, 5, 6], [1, 7, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["labels"].tolist() == [[IGNORE_INDEX, 5, 6], [IGNORE_INDEX, 7, IGNORE_INDEX]]
    assert batch["n_items"] == 3 and batch["n_tokens"] == 5


def test_bradley_terry_hand_values():
    chosen, rejected = torch.tensor([2.0, 0.0]), torch.tensor([0.0, 0.0])
    # -log σ(2) - log σ(0) = log(1 + e^-2) + log 2
    assert bradley_terry_loss_sum(chosen, rejected).item() == pytest.approx(
        math.log1p(math.exp(-2)) + math.log(2), abs=1e-6
    )
    # margin 1: -log σ(1) - log σ(-1) = log(1 + e^-1) + log(1 + e)
    assert bradley_terry_loss_sum(chosen, rejected, margin=1.0).item() == pytest.approx(
        math.log1p(math.exp(-1)) + math.log1p(math.e), abs=1e-6
    )
    weights = torch.tensor([0.5, 1.0])
    assert bradley_terry_loss_sum(chosen, rejected, weights=weights).item() == pytest.approx(
        0.5 * math.log1p(math.exp(-2)) + math.log(2), abs=1e-6
    )


def test_last_real_token_with_left_and_right_padding(tiny_model_dirs, tokenizer):
    mask = torch.tensor([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    assert last_token_index(mask).tolist() == [2, 4, 4]
    model = load_reward_model(tiny_model_dirs["llama"], seed=0).eval()
    seqs = [
        tokenizer("warfarin and ibuprofen", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id],
        tokenizer("ok", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id],
    ]
    right_ids, right_mask = pad_batch(seqs, tokenizer.pad_token_id)
    width = right_ids.size(1)
    left_ids = torch.tensor([[tokenizer.pad_token_id] * (width - len(s)) + s for s in seqs])
    left_mask = torch.tensor([[0] * (width - len(s)) + [1] * len(s) for s in seqs])
    with torch.no_grad():
        right = sequence_rewards(model, right_ids, right_mask)
        left = sequence_rewards(model, left_ids, left_mask)
        alone = torch.cat(
            [
                sequence_rewards(model, torch.tensor([s]), torch.ones(1, len(s), dtype=torch.long))
                for s in seqs
            ]
        )
    assert torch.allclose(right, alone, atol=1e-5) and torch.allclose(left, alone, atol=1e-5)
    assert tokenizer.pad_token_id != tokenizer.eos_token_id


def test_ensemble_aggregates_hand_example():
    scores = EnsembleScores(torch.tensor([[1.0, 2.0], [3.0, 2.0], [2.0, 5.0]]))  # (K=3, N=2)
    assert scores.mean.tolist() == [2.0, 3.0]
    assert scores.std.tolist() == pytest.approx([math.sqrt(2 / 3), math.sqrt(2)])
    assert scores.lower_bound(1.0).tolist() == pytest.approx([2 - math.sqrt(2 / 3), 3 - math.sqrt(2)])
    assert scores.min.tolist() == [1.0, 2.0]
    assert scores.aggregate("lcb", 0.5).tolist() == pytest.approx(
        [2 - 0.5 * math.sqrt(2 / 3), 3 - 0.5 * math.sqrt(2)]
    )


def sft_cfg(tmp_path, model_dir, data, **kw):
    return SFTConfig(
        out=tmp_path / "sft",
        model_path=model_dir,
        samples=1,
        sample_max_new_tokens=4,
        data=SFTDataConfig(train_file=data / "sft/train.jsonl", val_file=data / "sft/val.jsonl"),
        train=TrainConfig(**QUICK),
        **kw,
    )


def test_sft_full_changes_every_parameter(tmp_path, tiny_model_dirs, data):
    from rxalign.stages import sft

    summary = sft.run(sft_cfg(tmp_path, tiny_model_dirs["llama"], data))
    before = AutoModelForCausalLM.from_pretrained(tiny_model_dirs["llama"]).state_dict()
    after = AutoModelForCausalLM.from_pretrained(tmp_path / "sft" / "final").state_dict()
    unchanged = [k for k in before if torch.equal(before[k], after[k])]
    assert unchanged == [] and summary["val_loss"] < summary["val_loss_first"]
    samples = [json.loads(line) for line in (tmp_path / "sft" / "samples.jsonl").read_text().splitlines()]
    assert {s["step"] for s in samples} == {0, 2, 4}


def test_sft_lora_keeps_base_weights_and_merges(tmp_path, tiny_model_dirs, data):
    from peft import PeftModel

    from rxalign.stages import sft

    sft.run(
        sft_cfg(tmp_path, tiny_model_dirs["llama"], data, lora=LoraSettings(enabled=True, r=4), merge=True)
    )
    final = tmp_path / "sft" / "final"
    assert (final / "adapter_config.json").is_file() and (final / "adapter_model.safetensors").is_file()
    adapters = load_file(final / "adapter_model.safetensors")
    assert (
        adapters
        and all("lora_" in k for k in adapters)
        and any(t.abs().sum() > 0 for k, t in adapters.items() if "lora_B" in k)
    )
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dirs["llama"])
    peft_model = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(tiny_model_dirs["llama"]), final
    )
    for name, p in base.named_parameters():  # base weights untouched by training
        assert torch.equal(p, peft_model.get_base_model().get_parameter(name)), name
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "sft" / "final_merged")
    ids = torch.tensor([[1, 40, 41, 42, 43]])
    with torch.no_grad():
        assert torch.allclose(merged(input_ids=ids).logits, peft_model(input_ids=ids).logits, atol=1e-4)


def test_reward_ensemble_run_saves_loadable_centred_members(tmp_path, tiny_model_dirs, data):
    from rxalign.stages import reward

    cfg = RewardConfig(
        out=tmp_path / "rm",
        model_path=tiny_model_dirs["llama"],
        members=2,
        data=RewardDataConfig(
            train_file=data / "preference/train.jsonl", val_file=data / "preference/val.jsonl"
        ),
        train=TrainConfig(**QUICK),
    )
    summary = reward.run(cfg)
    assert 0.0 <= summary["val_accuracy_gold"] <= 1.0 and summary["calibration"]["ece"] >= 0.0
    by_tiers = summary["val_accuracy_gold_by_tiers"]
    assert sum(g["pairs"] for g in by_tiers.values()) == summary["val_pairs"]
    final = tmp_path / "rm" / "final"
    meta = json.loads((final / "ensemble.json").read_text())
    assert [m["dir"] for m in meta["members"]] == ["member-0", "member-1"]
    member = AutoModelForSequenceClassification.from_pretrained(final / "member-0")  # plain HF, no rxalign
    assert member.config.num_labels == 1 and member.config.reward_offset == meta["members"][0]["offset"]
    # each member changed, from its own seed
    heads = [
        AutoModelForSequenceClassification.from_pretrained(final / f"member-{k}").score.weight
        for k in range(2)
    ]
    assert not torch.equal(heads[0], heads[1])
    # training moved every parameter of a member (backbone and head)
    initial = load_reward_model(tiny_model_dirs["llama"], seed=0).state_dict()
    trained = AutoModelForSequenceClassification.from_pretrained(final / "member-0").state_dict()
    assert [k for k in initial if torch.equal(initial[k], trained[k])] == []
    ensemble = RewardEnsemble.load(final)
    rows = [json.loads(line) for line in (data / "preference/train.jsonl").read_text().splitlines()]
    texts = [r["chosen"] for r in rows] + [r["rejected"] for r in rows]
    scores = ensemble.score([r["prompt"] for r in rows] * 2, texts)
    assert scores.members.shape == (2, len(texts)) and scores.std.shape == (len(texts),)
    assert scores.members.mean(1).abs().max() < 1e-4  # centred on the training responses


def test_reward_refuses_non_preference_data(tmp_path, tiny_model_dirs, data):
    from rxalign.stages import reward

    cfg = RewardConfig(
        out=tmp_path / "rm",
        model_path=tiny_model_dirs["llama"],
        data=RewardDataConfig(train_file=data / "sft/train.jsonl", val_file=data / "preference/val.jsonl"),
    )
    with pytest.raises(UserError, match=r"train.jsonl:1: missing field 'chosen'"):
        reward.run(cfg)
    assert not (tmp_path / "rm").exists()


def test_accuracy_by_tiers_groups_pairs_by_their_two_tiers():
    from rxalign.stages.reward import accuracy_by_tiers

    rows = [
        {"tiers": {"chosen": "expert", "rejected": "confused"}},
        {"tiers": {"chosen": "confused", "rejected": "expert"}},  # the majority picked the wrong one
        {"tiers": {"chosen": "expert", "rejected": "confused"}},
        {"tiers": {"chosen": "partial", "rejected": "vague"}},
    ]
    prefers_chosen = torch.tensor([True, True, False, True])
    gold = torch.tensor([1.0, 0.0, 1.0, 1.0])  # gold_chosen_better
    assert accuracy_by_tiers(prefers_chosen, gold, rows) == {
        "confused|expert": {"pairs": 3, "accuracy": 1 / 3},
        "partial|vague": {"pairs": 1, "accuracy": 1.0},
    }
    assert accuracy_by_tiers(prefers_chosen, gold, [{}] * 4) is None
