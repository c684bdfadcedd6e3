"""The DPO recipe: the shared opening (`begin`), every input validated before anything is written, the policy (LoRA
on the SFT model, or all of it) and its `Reference`, the shared loop with a validation pass at step 0 and each
epoch, then the quick start's outputs:

    <out>/final_model/            adapter_config.json, adapter_model.safetensors, tokenizer, dpo_config.json
    <out>/checkpoint_epoch_N/     the same, after epoch N
    <out>/dpo_training_stats.json per epoch: train/val loss, chosen preference, rewards, log-probs; advice
    <out>/config.yaml, metrics.jsonl, samples.jsonl, summary.json, checkpoints/ (exact resume)
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

from accelerate.utils import set_seed

from rxalign import ui
from rxalign.errors import UserError
from rxalign.io import read_jsonl, write_json
from rxalign.models.load import apply_lora, count_parameters
from rxalign.models.logprobs import SequenceLogps
from rxalign.rundir import save_hf_dir
from rxalign.stages import begin
from rxalign.stages.dpo.config import DPOConfig
from rxalign.stages.dpo.data import Pairs, Triplets, encode_splits, load_triplets, resolve_data, split_batch
from rxalign.stages.dpo.diagnostics import training_stats
from rxalign.stages.dpo.loss import preference_losses
from rxalign.stages.dpo.reference import (
    Reference,
    disable_dropout,
    load_reference_base,
    reference_source,
    weights_fingerprint,
)
from rxalign.stages.dpo.schedule import Schedule, train_config
from rxalign.stages.dpo.validation import Validation
from rxalign.train.loop import to_device, train


def run(cfg: DPOConfig, resume: bool = False) -> dict:
    started = time.perf_counter()
    cfg = resolve_data(cfg)
    accelerator, precision, run_dir, done = begin(
        cfg, resume, cfg.train.precision, final_name=cfg.final_dir, out_name=cfg.named("out", "--out")
    )
    if done:
        return done
    # Validate every input before anything is written.
    triplets = load_triplets(cfg)
    lm, tokenizer, merged_from = load_reference_base(cfg.model_path, cfg.named("model_path"))
    pad_id = pad_token_id(cfg, tokenizer)
    pairs = encode_splits(cfg, tokenizer, triplets)

    # Everything is valid: the run starts writing.
    if accelerator.is_main_process:
        run_dir.start(cfg)
    set_seed(cfg.seed)
    disable_dropout(lm)
    weights = weights_fingerprint(lm) if cfg.reference.precompute else None  # the SFT weights, before LoRA
    lm, base_dir = attach_adapter(cfg, lm, tokenizer, merged_from, run_dir.path, accelerator)
    device, t = accelerator.device, cfg.train
    schedule = Schedule.build(
        len(pairs.train), t.batch_size, t.grad_accum, accelerator.num_processes, t.epochs
    )
    tcfg = train_config(cfg, schedule)
    announce(cfg, lm, pairs, tcfg.max_steps, f"{precision} on {device}")
    accelerator.wait_for_everyone()
    policy = SequenceLogps(lm).to(device)
    splits = {"train": pairs.train, "val": pairs.val}
    reference = Reference.build(cfg, policy, weights, splits, pad_id, accelerator, precision)
    provenance = account(cfg, reference, base_dir, merged_from, triplets, pairs)

    def loss_fn(model, batch):
        # The reference first: its activations are gone before the policy's are kept for the backward pass.
        ref_logps = reference.logps(batch)  # (2B,)
        policy_logps, n_tokens = model(batch["input_ids"], batch["attention_mask"], batch["labels"])  # (2B,)
        losses, metrics = preference_losses(policy_logps, ref_logps, n_tokens, **cfg.dpo.model_dump())
        return losses.sum(), metrics

    validation = Validation(
        cfg,
        schedule,
        accelerator,
        lm,
        tokenizer,
        reference,
        pairs,
        triplets,
        pad_id,
        run_dir.path,
        provenance,
    )
    result = train(
        accelerator=accelerator,
        precision=precision,
        model=policy,
        loss_fn=loss_fn,
        make_batch=lambda indices: to_device(split_batch(pairs.train, "train", indices, pad_id), device),
        n_examples=len(pairs.train),
        cfg=tcfg,
        seed=cfg.seed,
        run_dir=run_dir.path,
        eval_fn=validation,
        resume=run_dir.resuming,
        description="dpo",
        lengths=[len(e.chosen_ids) + len(e.rejected_ids) for e in pairs.train],
    )
    records = read_jsonl(run_dir.path / "metrics.jsonl")
    stats = training_stats(records, schedule, t.epochs)
    summary = summarize(cfg, result, stats, records, started, lm, reference, pairs, precision, accelerator)
    if accelerator.is_main_process:
        write_json(run_dir.path / "dpo_training_stats.json", stats)
        record = cfg.quickstart_record(epoch=None, **provenance)
        run_dir.finish(lm, tokenizer, summary, files={"dpo_config.json": record})
    accelerator.wait_for_everyone()
    return summary


# ---- the recipe's parts -----------------------------------------------------------------------------------


def pad_token_id(cfg: DPOConfig, tokenizer) -> int:
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad_id is None:
        raise UserError(
            f"{cfg.named('model_path')}: {cfg.model_path}: the tokenizer has neither a pad nor an EOS token"
        )
    return pad_id


def attach_adapter(cfg: DPOConfig, lm, tokenizer, merged_from: Path | None, out: Path, accelerator):
    """(policy model, its base directory): with LoRA a new adapter on the SFT model, whose base is the SFT model
    on disk (saved merged as sft_merged/ when it was an adapter itself); without, the SFT model itself."""
    base_dir = Path(cfg.model_path)
    if not cfg.lora.enabled:
        return lm, base_dir
    if merged_from is not None:
        base_dir = out / "sft_merged"
        if accelerator.is_main_process and not base_dir.is_dir():
            save_hf_dir(base_dir, lm, tokenizer)
    # peft asks transformers a deprecated question; not the user's business
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        lm = apply_lora(lm, cfg.lora.settings)
    lm.peft_config["default"].base_model_name_or_path = str(base_dir.resolve())
    return lm, base_dir


def account(cfg: DPOConfig, reference, base_dir: Path, merged_from, triplets: Triplets, pairs: Pairs) -> dict:
    """dpo_config.json's account of the run after its config: reference, base model, data."""
    return {
        "reference": reference.source,
        "base_model": str(base_dir.resolve()),
        "sft_adapter_merged_from": str(merged_from) if merged_from else None,
        "train_data": str(cfg.data.train_file or "bundled synthetic clinical-note triplets"),
        "val_data": triplets.source,
        "train_pairs": len(pairs.train),
        "val_pairs": len(pairs.val),
    }


def announce(cfg: DPOConfig, lm, pairs: Pairs, steps: int, where: str) -> None:
    lora = f" (LoRA r={cfg.lora.r}, alpha={cfg.lora.settings.alpha})" if cfg.lora.enabled else ""
    ui.info(
        f"dpo: {count_parameters(lm, trainable_only=True) / 1e6:.2f}M trainable of {count_parameters(lm) / 1e6:.2f}M"
        f"{lora} · {len(pairs.train)} train / {len(pairs.val)} val pairs · {cfg.train.epochs} epochs = {steps} steps · loss "
        f"{cfg.dpo.loss}, β {cfg.dpo.beta}, lr {cfg.train.lr:g} · reference: {reference_source(cfg)}"
        f"{' (precomputed)' if cfg.reference.precompute else ''} · {where}"
    )


def summarize(cfg, result, stats, records, started, lm, reference, pairs, precision, accelerator) -> dict:
    """summary.json: the headline figures, then what the run was (reference, pairs, precision, device)."""
    step0, epochs = stats["step_0"], stats["epochs"]
    return {
        "stage": "dpo",
        "loss": cfg.dpo.loss,
        "beta": cfg.dpo.beta,
        "val_loss_first": step0.get("val_loss"),
        "val_loss": result.last_eval.get("val_loss"),
        "train_loss": (epochs[-1] if epochs else {}).get("train_loss"),
        "chosen_preference_first": step0.get("chosen_preference"),
        "chosen_preference": result.last_eval.get("val_rewards/accuracies"),
        "epochs": epochs,
        "troubleshooting": [a["problem"] for a in stats["troubleshooting"]],
        "steps": result.step,
        "train_seconds": result.train_seconds,
        "stage_seconds": time.perf_counter() - started,
        "peak_memory_mb": max((r.get("peak_memory_mb", 0.0) for r in records), default=0.0),
        "trainable_parameters": count_parameters(lm, trainable_only=True),
        "reference": reference.source,
        **reference.info,
        "train_pairs": len(pairs.train),
        "val_pairs": len(pairs.val),
        "truncated_pairs": pairs.cut,
        "dropped_pairs": pairs.dropped,
        "precision": precision,
        "device": str(accelerator.device),
        "world_size": accelerator.num_processes,
    }
