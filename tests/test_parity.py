"""Parity with TRL on the same tiny model and batch (runs when the `bench` extra is installed)."""

import pytest
import torch

trl = pytest.importorskip("trl", reason="parity tests need the bench extra (pip install -e .[bench])")
from datasets import Dataset  # noqa: E402

from rxalign.data.collate import lm_batch, sft_example  # noqa: E402
from rxalign.losses import bradley_terry_loss_sum, lm_loss_sum  # noqa: E402
from rxalign.models.heads import load_reward_model, pad_batch, sequence_rewards  # noqa: E402
from rxalign.models.load import load_causal_lm  # noqa: E402

PAIRS = [
    (
        "Is warfarin with ibuprofen safe?",
        "MAJOR interaction: avoid the combination. Use acetaminophen instead.",
    ),
    ("Metformin in cirrhosis?", "AVOID in hepatic impairment: lactic acidosis risk."),
    ("How should gabapentin be dosed at an eGFR of 20 mL/min?", "eGFR 15-29: reduce to 20% of the dose."),
]
REJECTED = [
    "They may cause problems together. Be careful.",
    "Metformin has renal concerns but may work.",
    "Give the usual dose.",
]


def common_args(tmp_path):
    return dict(
        output_dir=str(tmp_path),
        per_device_train_batch_size=len(PAIRS),
        report_to=[],
        use_cpu=True,
        bf16=False,
        fp16=False,
        max_length=256,
    )


def test_sft_loss_equals_trl_sft_trainer(tiny_model_dirs, tokenizer, tmp_path):
    model = load_causal_lm(tiny_model_dirs["llama"]).eval()
    rows = [
        {"prompt": [{"role": "user", "content": q}], "completion": [{"role": "assistant", "content": a}]}
        for q, a in PAIRS
    ]
    trainer = trl.SFTTrainer(
        model=model,
        args=trl.SFTConfig(**common_args(tmp_path), completion_only_loss=True),
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(len(PAIRS))])
    with torch.no_grad():
        trl_loss = trainer.compute_loss(model, batch).item()

    ours = lm_batch(
        [
            sft_example(
                tokenizer, [{"role": "user", "content": q}, {"role": "assistant", "content": a}], 256
            )[:2]
            for q, a in PAIRS
        ],
        tokenizer.pad_token_id,
    )
    # the same tokens, and the same tokens scored
    for row in range(len(PAIRS)):
        keep = batch["attention_mask"][row].bool()
        assert (
            batch["input_ids"][row][keep].tolist()
            == ours["input_ids"][row][ours["attention_mask"][row].bool()].tolist()
        )
    with torch.no_grad():
        logits = model(input_ids=ours["input_ids"], attention_mask=ours["attention_mask"]).logits
        loss_sum, n = lm_loss_sum(logits, ours["labels"])
    assert (loss_sum / n).item() == pytest.approx(trl_loss, abs=1e-4)


def test_reward_loss_equals_trl_reward_trainer(tiny_model_dirs, tokenizer, tmp_path):
    model = load_reward_model(tiny_model_dirs["llama"], seed=0).eval()
    model.config.pad_token_id = tokenizer.pad_token_id
    rows = [
        {
            "prompt": [{"role": "user", "content": q}],
            "chosen": [{"role": "assistant", "content": a}],
            "rejected": [{"role": "assistant", "content": r}],
        }
        for (q, a), r in zip(PAIRS, REJECTED, strict=True)
    ]
    trainer = trl.RewardTrainer(
        model=model,
        args=trl.RewardConfig(**common_args(tmp_path)),
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(len(PAIRS))])
    with torch.no_grad():
        trl_loss = trainer.compute_loss(model, batch).item()

    def ids(q, a):
        messages = [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        return tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]

    chosen = [ids(q, a) for q, a in PAIRS]
    rejected = [ids(q, r) for (q, _), r in zip(PAIRS, REJECTED, strict=True)]
    input_ids, mask = pad_batch(chosen + rejected, tokenizer.pad_token_id)
    with torch.no_grad():
        rewards = sequence_rewards(model, input_ids, mask)
    c, r = rewards.chunk(2)
    assert (bradley_terry_loss_sum(c, r) / len(PAIRS)).item() == pytest.approx(trl_loss, abs=1e-4)
