"""Stage 1 recipe: causal language modelling on a domain corpus (packed sequences, held-out documents)."""

from __future__ import annotations

import math
import time

import torch
from accelerate.utils import set_seed

from rxalign import ui
from rxalign.config import PretrainConfig, fingerprint
from rxalign.data.collate import pack, split_documents
from rxalign.data.corpus import fingerprint as corpus_fingerprint
from rxalign.data.formats import read_corpus
from rxalign.data.generate import GenerateConfig, testbed_corpus
from rxalign.errors import UserError
from rxalign.losses import IGNORE_INDEX, lm_loss_sum
from rxalign.models.load import build_model, check_model_dir, count_parameters, load_causal_lm, load_tokenizer
from rxalign.models.tokenizer import train_tokenizer
from rxalign.rundir import save_hf_dir
from rxalign.stages import begin
from rxalign.train.loop import train


def bundled_corpus() -> list[str]:
    """The testbed corpus of the default data settings (as `rxalign data generate` writes it to corpus.jsonl)."""
    return testbed_corpus(GenerateConfig())


def tokenizer_for(cfg: PretrainConfig, run_dir, train_docs: list[str]):
    """The run's own tokenizer when it has one (a resumed run), the given model's, or one trained on the
    training documents."""
    if run_dir.tokenizer_dir.is_dir():
        tokenizer = load_tokenizer(run_dir.tokenizer_dir, field="run tokenizer")
    elif cfg.model.path is not None:
        tokenizer = load_tokenizer(cfg.model.path)
    else:
        tokenizer = train_tokenizer(train_docs, cfg.tokenizer.vocab_size, cfg.tokenizer.min_frequency)
    if tokenizer.eos_token_id is None:
        raise UserError(f"model.path: {cfg.model.path}: tokenizer has no eos token")
    return tokenizer


def blocks(cfg: PretrainConfig, tokenizer, texts: list[str], split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_ids, labels): documents tokenised and packed whole into (N, block_size) blocks, each document
    between BOS and EOS, labels IGNORE_INDEX on the padding."""
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"]
    try:
        return pack(ids, cfg.data.block_size, bos, tokenizer.eos_token_id, pad)
    except UserError as e:
        raise UserError(f"{split} split: {e}") from None


def loss_fn(model, batch):
    logits = model(input_ids=batch["input_ids"]).logits  # (B, T, V); padding sits after the text (causal)
    return lm_loss_sum(logits, batch["labels"])[0], {}


def make_eval(cfg: PretrainConfig, val_blocks: tuple[torch.Tensor, torch.Tensor], device):
    def eval_fn(model, step: int) -> dict:
        # Every process scores the whole (small) validation split, so no cross-process gather is needed.
        total, count = 0.0, 0
        input_ids, labels = val_blocks
        for start in range(0, len(input_ids), cfg.train.batch_size):
            rows = slice(start, start + cfg.train.batch_size)
            loss_sum, n = lm_loss_sum(
                model(input_ids=input_ids[rows].to(device)).logits, labels[rows].to(device)
            )
            total, count = total + loss_sum.item(), count + n.item()
        val_loss = total / count
        return {"val_loss": val_loss, "val_ppl": math.exp(min(val_loss, 50.0))}

    return eval_fn


def run(cfg: PretrainConfig, resume: bool = False) -> dict:
    started = time.perf_counter()
    # Everything a user can get wrong is checked (on every process) before the run directory is touched.
    accelerator, precision, run_dir, done = begin(cfg, resume, cfg.train.precision)
    if done:
        return done
    if cfg.model.path is not None:
        check_model_dir(cfg.model.path)
    docs = read_corpus(cfg.data.corpus) if cfg.data.corpus is not None else bundled_corpus()
    train_docs, val_docs = split_documents(docs, cfg.data.val_fraction, cfg.seed)
    set_seed(cfg.seed)
    tokenizer = tokenizer_for(cfg, run_dir, train_docs)
    train_blocks, val_blocks = (
        blocks(cfg, tokenizer, train_docs, "train"),
        blocks(cfg, tokenizer, val_docs, "validation"),
    )
    if cfg.model.path is not None:
        model = load_causal_lm(cfg.model.path)
    else:
        positions = max(cfg.model.max_positions, cfg.data.block_size)
        model = build_model(cfg.model.preset, tokenizer, positions, cfg.model.dropout)
    ln_vocab, n_params, device = math.log(len(tokenizer)), count_parameters(model), accelerator.device
    ui.info(
        f"pretrain: {n_params / 1e6:.2f}M parameters · vocab {len(tokenizer)} (uniform baseline ln V = {ln_vocab:.3f}) · "
        f"{len(train_blocks[0])}×{cfg.data.block_size} train / {len(val_blocks[0])} val blocks · {precision} on {device}"
    )
    if accelerator.is_main_process:
        run_dir.start(cfg)
        if not run_dir.tokenizer_dir.is_dir():
            save_hf_dir(run_dir.tokenizer_dir, None, tokenizer)
    accelerator.wait_for_everyone()

    def make_batch(indices: list[int]) -> dict:
        input_ids, labels = train_blocks[0][indices].to(device), train_blocks[1][indices].to(device)  # (B, T)
        return {
            "input_ids": input_ids,
            "labels": labels,
            "n_items": int((labels[:, 1:] != IGNORE_INDEX).sum()),  # next-token targets in the loss
            "n_tokens": int((labels != IGNORE_INDEX).sum()),
        }

    result = train(
        accelerator=accelerator,
        precision=precision,
        model=model,
        loss_fn=loss_fn,
        make_batch=make_batch,
        n_examples=len(train_blocks[0]),
        cfg=cfg.train,
        seed=cfg.seed,
        run_dir=run_dir.path,
        eval_fn=make_eval(cfg, val_blocks, device),
        resume=run_dir.resuming,
        description="pretrain",
    )
    summary = {
        "stage": "pretrain",
        "val_loss": result.last_eval["val_loss"],
        "val_ppl": result.last_eval["val_ppl"],
        "ln_vocab": ln_vocab,
        "val_loss_below_ln_vocab": ln_vocab - result.last_eval["val_loss"],
        "train_loss": result.last_train.get("loss"),
        "steps": result.step,
        "tokens": result.last_train.get("tokens"),
        "train_seconds": result.train_seconds,
        "stage_seconds": time.perf_counter() - started,
        "parameters": n_params,
        "vocab_size": len(tokenizer),
        "precision": precision,
        "device": str(device),
        "world_size": accelerator.num_processes,
        "config_fingerprint": fingerprint(cfg),
        "corpus_fingerprint": corpus_fingerprint(docs),  # of every document, validation ones included
    }
    if accelerator.is_main_process:
        run_dir.finish(accelerator.unwrap_model(model), tokenizer, summary)
    accelerator.wait_for_everyone()
    return summary
