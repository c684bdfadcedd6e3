"""Stage 2 recipe: supervised fine-tuning with the loss on response tokens only (full or LoRA)."""

from __future__ import annotations

import math
import time

from accelerate.utils import set_seed

from rxalign import ui
from rxalign.config import SFTConfig, fingerprint
from rxalign.data.collate import conversation, lm_batch, sft_example
from rxalign.errors import UserError
from rxalign.io import append_jsonl, read_jsonl
from rxalign.losses import lm_loss_sum
from rxalign.models.generation import generate
from rxalign.models.load import (
    apply_lora,
    check_model_dir,
    count_parameters,
    ensure_pad_token,
    load_causal_lm,
    load_tokenizer,
)
from rxalign.rundir import save_hf_dir
from rxalign.stages import begin, records
from rxalign.train.loop import to_device, train


def load_pairs(cfg: SFTConfig) -> tuple[list[dict], list[dict]]:
    """Training and validation records: the given files, or the bundled generated pairs."""
    train = records(cfg.data.train_file, "sft/train.jsonl", None, "data.train_file")
    val = records(cfg.data.val_file, "sft/val.jsonl", None, "data.val_file")
    for name, rows in (("data.train_file", train), ("data.val_file", val)):
        bad = next((r for r in rows if "messages" not in r and "completion" not in r), None)
        if bad is not None:
            raise UserError(f"{name}: expected prompt/completion or messages records, got keys {sorted(bad)}")
    return train, val


def encode(cfg: SFTConfig, tokenizer, rows: list[dict]) -> tuple[list, int]:
    """(input ids, labels) per example through the chat template, and how many were cut at data.max_length."""
    examples = [sft_example(tokenizer, conversation(r), cfg.data.max_length) for r in rows]
    return [e[:2] for e in examples], sum(t for *_, t in examples)


def make_eval(cfg: SFTConfig, accelerator, tokenizer, val_ex: list, val_rows: list[dict], samples_path):
    """Validation loss and perplexity over the held-out split; on the main process, greedy answers to the
    first `samples` validation prompts appended to samples.jsonl."""
    device, pad = accelerator.device, tokenizer.pad_token_id
    sample_prompts = [conversation(r)[:-1] for r in val_rows[: cfg.samples]]

    def eval_fn(model, step: int) -> dict:
        total, count = 0.0, 0
        for start in range(0, len(val_ex), cfg.train.batch_size):
            batch = to_device(lm_batch(val_ex[start : start + cfg.train.batch_size], pad), device)
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            loss_sum, n = lm_loss_sum(logits, batch["labels"])
            total, count = total + loss_sum.item(), count + n.item()
        if sample_prompts and accelerator.is_main_process:
            answers = generate(
                accelerator.unwrap_model(model),
                tokenizer,
                sample_prompts,
                max_new_tokens=cfg.sample_max_new_tokens,
                description="samples",
            )
            for p, a in zip(sample_prompts, answers, strict=True):
                append_jsonl(samples_path, {"step": step, "prompt": p[-1]["content"], "answer": a})
        return {"val_loss": total / count, "val_ppl": math.exp(min(total / count, 50.0))}

    return eval_fn


def loss_fn(model, batch):
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits  # (B, T, V)
    return lm_loss_sum(logits, batch["labels"])[0], {}


def run(cfg: SFTConfig, resume: bool = False) -> dict:
    started = time.perf_counter()
    accelerator, precision, run_dir, done = begin(cfg, resume, cfg.train.precision)
    if done:
        return done
    check_model_dir(cfg.model_path, "model_path")
    train_rows, val_rows = load_pairs(cfg)
    tokenizer = load_tokenizer(cfg.model_path, "model_path")
    if not tokenizer.chat_template:
        raise UserError(
            f"model_path: {cfg.model_path} has no chat template; SFT formats every example with it"
        )
    set_seed(cfg.seed)
    model = load_causal_lm(cfg.model_path, "model_path")
    ensure_pad_token(model, tokenizer)
    (train_ex, cut_train), (val_ex, cut_val) = (
        encode(cfg, tokenizer, train_rows),
        encode(cfg, tokenizer, val_rows),
    )
    truncated = cut_train + cut_val
    if truncated:
        ui.warn(f"{truncated} examples longer than data.max_length={cfg.data.max_length} tokens were cut")
    if cfg.lora.enabled:
        model = apply_lora(model, cfg.lora)
    ui.info(
        f"sft: {count_parameters(model, trainable_only=True) / 1e6:.2f}M trainable of {count_parameters(model) / 1e6:.2f}M"
        f"{' (LoRA)' if cfg.lora.enabled else ''} · {len(train_ex)} train / {len(val_ex)} val examples · "
        f"{precision} on {accelerator.device}"
    )
    if accelerator.is_main_process:
        run_dir.start(cfg)
    accelerator.wait_for_everyone()
    device, pad = accelerator.device, tokenizer.pad_token_id
    result = train(
        accelerator=accelerator,
        precision=precision,
        model=model,
        loss_fn=loss_fn,
        make_batch=lambda indices: to_device(lm_batch([train_ex[i] for i in indices], pad), device),
        n_examples=len(train_ex),
        cfg=cfg.train,
        seed=cfg.seed,
        run_dir=run_dir.path,
        eval_fn=make_eval(cfg, accelerator, tokenizer, val_ex, val_rows, run_dir.path / "samples.jsonl"),
        resume=run_dir.resuming,
        description="sft",
        lengths=[len(e[0]) for e in train_ex],
    )
    first_val = read_jsonl(run_dir.path / "metrics.jsonl")[0]["val_loss"]
    summary = {
        "stage": "sft",
        "val_loss": result.last_eval["val_loss"],
        "val_loss_first": first_val,
        "val_loss_drop": 1 - result.last_eval["val_loss"] / first_val,
        "train_loss": result.last_train.get("loss"),
        "steps": result.step,
        "tokens": result.last_train.get("tokens"),
        "train_seconds": result.train_seconds,
        "stage_seconds": time.perf_counter() - started,
        "trainable_parameters": count_parameters(model, trainable_only=True),
        "lora": cfg.lora.enabled,
        "truncated_examples": truncated,
        "precision": precision,
        "device": str(device),
        "world_size": accelerator.num_processes,
        "config_fingerprint": fingerprint(cfg),
    }
    if accelerator.is_main_process:
        final = accelerator.unwrap_model(model)
        run_dir.finish(final, tokenizer, summary)  # a LoRA model saves as an adapter directory
        if cfg.lora.enabled and cfg.merge:
            save_hf_dir(run_dir.path / "final_merged", final.merge_and_unload(), tokenizer)
    accelerator.wait_for_everyone()
    return summary
