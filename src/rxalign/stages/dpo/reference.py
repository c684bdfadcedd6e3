"""DPO's reference: the SFT model it is loaded from, and its log-probs behind one object (`Reference.logps`),
whether they come from the policy with its LoRA adapter switched off, a frozen copy of the SFT model, or a cache
computed once before training (keyed by the weights and the data) after which no reference runs at all."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from rxalign import ui
from rxalign.errors import UserError
from rxalign.models.export import is_adapter_dir, load_merged, tokenizer_for
from rxalign.models.load import load_causal_lm, load_tokenizer
from rxalign.models.logprobs import SequenceLogps
from rxalign.stages.dpo.config import DPOConfig
from rxalign.stages.dpo.data import PairExample, split_batch
from rxalign.train.loop import to_device

REF_CACHE_VERSION = "rxalign-dpo-ref-logps/1"


def load_reference_base(path: Path, field: str = "model_path"):
    """(model, tokenizer, merged_from): the SFT model; an unmerged LoRA adapter is merged into its base first,
    because with the DPO adapter switched off the reference must be the SFT model, not the SFT base."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{field}: {path} does not exist")
    if is_adapter_dir(path):
        model, base = load_merged(path, field=field)
        ui.info(
            f"dpo: {path} is an unmerged LoRA adapter; merged it into its base {base} (the reference is the SFT model)"
        )
        return model, tokenizer_for(path, base, field), base
    return load_causal_lm(path, field), load_tokenizer(path, field), None


def disable_dropout(model: torch.nn.Module) -> None:
    """Dropout off everywhere: the policy must equal its reference at step 0 (and TRL does the same)."""
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
        if hasattr(module, "attention_dropout") and isinstance(module.attention_dropout, float):
            module.attention_dropout = 0.0


def reference_source(cfg: DPOConfig) -> str:
    return "adapter off (LoRA)" if cfg.lora.enabled else "frozen copy of the SFT model"


@torch.no_grad()
def pair_logps(
    logps_of: Callable[[dict], torch.Tensor],
    examples: list[PairExample],
    split: str,
    batch_size: int,
    pad_id: int,
    device,
    autocast,
) -> torch.Tensor:
    """(2N,) summed log-probs [chosen of all N..., rejected of all N...] of `examples`, batch by batch through
    `logps_of(batch) -> (2B,)`, on the CPU."""
    chosen, rejected = [], []
    for start in range(0, len(examples), batch_size):
        indices = list(range(start, min(start + batch_size, len(examples))))
        batch = to_device(split_batch(examples, split, indices, pad_id), device)
        with autocast():
            c, r = logps_of(batch).float().cpu().chunk(2)
        chosen.append(c), rejected.append(r)
    return torch.cat(chosen + rejected)


@dataclass
class Reference:
    """The reference model's log-probs for DPO, one way in (`logps`). `module` under `context` is the live
    reference (the policy with `lm.disable_adapter`, or a frozen copy); `cached` holds precomputed log-probs per
    split, (2N,) [chosen..., rejected...], and then `module` is None: the reference is gone."""

    source: str  # said in the summary and dpo_config.json
    module: SequenceLogps | None
    context: Callable = contextlib.nullcontext
    cached: dict[str, torch.Tensor] | None = None
    info: dict = field(default_factory=dict)  # summary keys: precompute_ref (, ref_cache, ref_cache_reused)

    def logps(self, batch: dict) -> torch.Tensor:
        """(2B,) summed log-probs of a preference batch's sequences [chosen..., rejected...] under the reference;
        the batch says where its pairs sit (`split`, `indices`) for the cache."""
        if self.cached is not None:
            table = self.cached[batch["split"]]
            n, idx = len(table) // 2, torch.tensor(batch["indices"])
            return torch.cat([table[:n][idx], table[n:][idx]]).to(batch["input_ids"].device)
        with torch.no_grad(), self.context():
            return self.module(batch["input_ids"], batch["attention_mask"], batch["labels"])[0]

    @classmethod
    def build(
        cls,
        cfg: DPOConfig,
        policy: SequenceLogps,
        weights: str | None,
        splits: dict[str, list[PairExample]],
        pad_id: int,
        accelerator,
        precision: str,
    ) -> Reference:
        """The reference for this run. With `reference.precompute`, the log-probs of every pair in `splits` are
        read from the cache (`weights`: the SFT weights' fingerprint) or computed now, before any training step,
        so even on a resume they are the SFT model's; with LoRA the adapter is off either way."""
        lm = policy.lm
        context = lm.disable_adapter if cfg.lora.enabled else contextlib.nullcontext
        source, info = reference_source(cfg), {"precompute_ref": cfg.reference.precompute}
        if not cfg.reference.precompute:
            if cfg.lora.enabled:
                return cls(source, policy, context, info=info)
            frozen = SequenceLogps(copy.deepcopy(lm)).to(accelerator.device).eval().requires_grad_(False)
            return cls(source, frozen, info=info)
        live = cls(source, policy, context)
        key = hashlib.sha256(
            f"{REF_CACHE_VERSION}|{weights}|{data_fingerprint(*splits.values())}|{precision}".encode()
        ).hexdigest()[:32]
        path = Path(cfg.reference.cache_dir or default_cache_dir()) / f"{key}.safetensors"

        def compute() -> dict[str, torch.Tensor]:
            policy.eval()
            return {
                split: pair_logps(
                    live.logps,
                    ex,
                    split,
                    cfg.train.batch_size,
                    pad_id,
                    accelerator.device,
                    accelerator.autocast,
                )
                for split, ex in splits.items()
            }

        expected = {split: 2 * len(ex) for split, ex in splits.items()}
        if accelerator.is_main_process:  # one process computes and writes; the others read what it wrote
            tensors, reused = load_or_compute_ref(path, compute, expected)
        accelerator.wait_for_everyone()
        if not accelerator.is_main_process:
            tensors, reused = load_or_compute_ref(path, compute, expected)
        ui.info(f"dpo: reference log-probs {'reused from' if reused else 'computed and cached in'} {path}")
        return cls(
            source, None, context, tensors, {**info, "ref_cache": str(path), "ref_cache_reused": reused}
        )


# ---- the cache of precomputed log-probs ---------------------------------------------------------------------


def default_cache_dir() -> Path:
    root = (
        os.environ.get("RXALIGN_CACHE_DIR")
        or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rxalign"
    )
    return Path(root) / "ref_logps"


def weights_fingerprint(model: torch.nn.Module) -> str:
    """sha256 over every tensor of the model (name, dtype, shape, bytes), LoRA adapters excluded."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        if "lora_" in name:
            continue
        t = tensor.detach().cpu().contiguous().reshape(-1)
        h.update(f"{name}|{t.dtype}|{tuple(tensor.shape)}|".encode())
        h.update(t.view(torch.uint8).numpy())
    return h.hexdigest()


def data_fingerprint(*splits: list[PairExample]) -> str:
    h = hashlib.sha256()
    for examples in splits:
        h.update(b"split")
        for e in examples:
            h.update(json.dumps([e.chosen_ids, e.chosen_labels, e.rejected_ids, e.rejected_labels]).encode())
    return h.hexdigest()


def load_or_compute_ref(
    path: Path, compute: Callable[[], dict[str, torch.Tensor]], expected: dict[str, int]
) -> tuple[dict[str, torch.Tensor], bool]:
    """(tensors, reused): the cache at `path` when it holds the expected tensors, else `compute()` written there."""
    if path.is_file():
        try:
            tensors = load_file(path)
            if all(k in tensors and tensors[k].numel() == n for k, n in expected.items()):
                return tensors, True
        except Exception:  # a truncated or foreign file is recomputed, not trusted
            pass
        ui.warn(f"{path}: unusable reference cache; recomputing")
    tensors = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    save_file({k: v.contiguous() for k, v in tensors.items()}, tmp, metadata={"format": REF_CACHE_VERSION})
    os.replace(tmp, path)
    return tensors, False
