"""Stage B recipe: Direct Preference Optimisation (Rafailov et al. 2023) with LoRA on (prompt, chosen, rejected)
triplets, against a frozen reference: the SFT model (with LoRA: the policy with its adapter switched off).

Keys and defaults follow the DPO quick start users asked for (its flat flag names are aliases over the nested
config, `config.QUICKSTART_FLAGS`), and so does the output layout (`recipe`). Chosen and rejected go through the
model in one forward; prompt tokens are masked; the output head is applied only at the positions whose next token
is a response token (`SequenceLogps`), never to the whole (B, T, V).

    config       DPOConfig (nested: out, model_path, data, lora, dpo, reference, train) and the quick-start flags
    data         triplets (files or bundled), the validation split by prompt, encode_pair, preference batches
    reference    the SFT model as reference; `Reference.logps`: adapter off, frozen copy or precomputed cache
    loss         preference_losses: sigmoid / IPO / cDPO / RPO and the logged reward and log-prob metrics
    schedule     epochs in optimiser steps; the loop's TrainConfig
    validation   the validation pass: metrics, samples, checkpoint_epoch_N/
    diagnostics  sample health, epoch statistics, the quick start's troubleshooting rules
    recipe       run()
"""

from __future__ import annotations

from rxalign.stages.dpo.config import DEFAULT_TRAIN_FILE, QUICKSTART_FLAGS, DPOConfig
from rxalign.stages.dpo.data import (
    PairExample,
    Pairs,
    Triplets,
    encode_pair,
    load_triplets,
    preference_batch,
    resolve_data,
    split_by_prompt,
)
from rxalign.stages.dpo.diagnostics import (
    epoch_stats,
    repeated_trigram_share,
    troubleshoot,
    unknown_word_share,
)
from rxalign.stages.dpo.loss import METRIC_KEYS, preference_losses
from rxalign.stages.dpo.recipe import run
from rxalign.stages.dpo.reference import Reference, load_reference_base, pair_logps
from rxalign.stages.dpo.schedule import Schedule, train_config

__all__ = [
    "DEFAULT_TRAIN_FILE",
    "METRIC_KEYS",
    "QUICKSTART_FLAGS",
    "DPOConfig",
    "PairExample",
    "Pairs",
    "Reference",
    "Schedule",
    "Triplets",
    "encode_pair",
    "epoch_stats",
    "load_reference_base",
    "load_triplets",
    "pair_logps",
    "preference_batch",
    "preference_losses",
    "repeated_trigram_share",
    "resolve_data",
    "run",
    "split_by_prompt",
    "train_config",
    "troubleshoot",
    "unknown_word_share",
]
