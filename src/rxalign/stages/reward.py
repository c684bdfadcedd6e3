"""Stage 3 recipe: an ensemble of Bradley–Terry reward models on majority-vote labels, centred and calibrated.

Member k trains on a bootstrap resample of the pairs with seed + k (its own head, order and resample), in
`members/member-k/` (its own metrics and checkpoints, so a killed run resumes member by member). The final
ensemble is `final/member-k/` (each loads with `AutoModelForSequenceClassification`) and `final/ensemble.json`
(the members' centring offsets: rewards have mean 0 on the training responses).
"""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import dataclass

import torch
from accelerate.utils import set_seed

from rxalign import ui
from rxalign.config import RewardConfig, fingerprint
from rxalign.data.annotators import batch_agreements
from rxalign.data.stats import presentation_votes
from rxalign.errors import UserError
from rxalign.io import replaced_dir, write_json
from rxalign.losses import bradley_terry_loss_sum
from rxalign.models.heads import (
    EnsembleScores,
    encode_responses,
    load_reward_model,
    pad_batch,
    sequence_rewards,
)
from rxalign.models.load import check_model_dir, load_tokenizer
from rxalign.rundir import save_hf_dir
from rxalign.stages import begin, records
from rxalign.train.loop import train


def load_preferences(cfg: RewardConfig) -> tuple[list[dict], list[dict]]:
    return (
        records(cfg.data.train_file, "preference/train.jsonl", "preference", "data.train_file"),
        records(cfg.data.val_file, "preference/val.jsonl", "preference", "data.val_file"),
    )


def agreement_weight(row: dict) -> float:
    """Share of annotators who voted with the majority (1 without votes)."""
    votes = row.get("votes")
    return max(sum(votes), len(votes) - sum(votes)) / len(votes) if votes else 1.0


def drop_low_kappa(rows: list[dict], threshold: float, batch_size: int) -> list[dict]:
    """Keep the pairs of batches whose Fleiss κ (in the presentation frame when recorded) reaches the threshold."""
    if not all(r.get("votes") for r in rows):
        raise UserError("drop_below_kappa needs a 'votes' list on every training pair")
    votes = [presentation_votes(r) or r["votes"] for r in rows]
    batches = batch_agreements(votes, batch_size, threshold)
    return [r for i, r in enumerate(rows) if batches[i // batch_size].passes_threshold]


def accuracy_by_tiers(prefers_chosen: torch.Tensor, gold: torch.Tensor, rows: list[dict]) -> dict | None:
    """Gold accuracy per kind of pair ("confused|expert": the two answers' tiers, sorted) for data that records
    tiers, such as the bundled pairs: the hard kinds hide inside one overall accuracy."""
    if not all(isinstance(r.get("tiers"), dict) for r in rows):
        return None
    right = (prefers_chosen.float() == gold).tolist()
    groups: dict[str, list[float]] = {}
    for r, ok in zip(rows, right, strict=True):
        groups.setdefault("|".join(sorted(r["tiers"].values())), []).append(ok)
    return {k: {"pairs": len(v), "accuracy": sum(v) / len(v)} for k, v in sorted(groups.items())}


def pair_metrics(
    chosen: torch.Tensor, rejected: torch.Tensor, gold: torch.Tensor | None = None
) -> dict[str, torch.Tensor]:
    """Sums over pairs (the loop and the evaluation divide by the pair count)."""
    margin = chosen - rejected
    out = {
        "accuracy": (margin > 0).float().sum(),
        "margin": margin.sum(),
        "r_chosen": chosen.sum(),
        "r_rejected": rejected.sum(),
    }
    if gold is not None:  # gold[i] = 1 when the truth prefers `chosen`
        out["gold_accuracy"] = ((margin > 0).float() == gold).float().sum()
    return out


def calibration(p_chosen: torch.Tensor, gold: torch.Tensor, bins: int) -> dict:
    """Accuracy per confidence bin against the truth and the expected calibration error (Guo et al. 2017):
    ECE = Σ_b (n_b / N) |accuracy_b − confidence_b|, confidence = max(p, 1 − p) with p = σ(r_c − r_r)."""
    confidence = torch.maximum(p_chosen, 1 - p_chosen)
    correct = ((p_chosen > 0.5).float() == gold).float()
    edges = torch.linspace(0.5, 1.0, bins + 1)
    table, ece = [], 0.0
    for b in range(bins):
        inside = (confidence >= edges[b]) & ((confidence < edges[b + 1]) | (b == bins - 1))
        n = int(inside.sum())
        if n:
            acc, conf = correct[inside].mean().item(), confidence[inside].mean().item()
            ece += n / len(gold) * abs(acc - conf)
            table.append(
                {"bin": [edges[b].item(), edges[b + 1].item()], "n": n, "accuracy": acc, "confidence": conf}
            )
    return {"bins": table, "ece": ece}


@dataclass
class Pairs:
    """The preference pairs tokenised (prompt + response through the chat template), with the weights the loss
    uses and, on validation, whether the gold grader prefers the chosen response."""

    train_c: list[list[int]]
    train_r: list[list[int]]
    val_c: list[list[int]]
    val_r: list[list[int]]
    weights: torch.Tensor
    val_gold: torch.Tensor
    has_gold: bool


def encode_pairs(cfg: RewardConfig, tokenizer, train_rows: list[dict], val_rows: list[dict]) -> Pairs:
    def encode(rows: list[dict], side: str) -> list[list[int]]:
        prompts = [r["prompt"] for r in rows]
        return encode_responses(tokenizer, prompts, [r[side] for r in rows], cfg.data.max_length)

    return Pairs(
        encode(train_rows, "chosen"),
        encode(train_rows, "rejected"),
        encode(val_rows, "chosen"),
        encode(val_rows, "rejected"),
        torch.tensor([agreement_weight(r) if cfg.weight_by_agreement else 1.0 for r in train_rows]),
        torch.tensor([float(r.get("gold_chosen_better", True)) for r in val_rows]),
        all("gold_chosen_better" in r for r in val_rows),
    )


@torch.no_grad()
def rewards_of(model, chosen_ids, rejected_ids, pad: int, device, batch_size: int = 32):
    """(chosen, rejected) rewards of every pair, on the CPU; a batch's chosen and rejected in one forward."""
    out_c, out_r = [], []
    for s in range(0, len(chosen_ids), batch_size):
        ids, mask = pad_batch(chosen_ids[s : s + batch_size] + rejected_ids[s : s + batch_size], pad)
        r = sequence_rewards(model, ids.to(device), mask.to(device)).cpu()
        half = len(chosen_ids[s : s + batch_size])
        out_c.append(r[:half])
        out_r.append(r[half:])
    return torch.cat(out_c), torch.cat(out_r)


def train_member(
    k: int, cfg: RewardConfig, data: Pairs, tokenizer, accelerator, precision, member_dir, resume
) -> None:
    """Member k: its own head, seed + k, a bootstrap resample of the pairs; centred so that its rewards have mean 0
    on the training responses, saved to member_dir/final with member.json."""
    device, pad = accelerator.device, tokenizer.pad_token_id
    rng = random.Random(cfg.seed + k)
    n_train = len(data.train_c)
    sample = [rng.randrange(n_train) for _ in range(n_train)] if cfg.bootstrap else list(range(n_train))
    set_seed(cfg.seed + k)
    model = load_reward_model(cfg.model_path, seed=cfg.seed + k)
    model.config.pad_token_id = pad

    def make_batch(indices: list[int]) -> dict:
        rows = [sample[i] for i in indices]
        # chosen and rejected of a batch go through the model in one forward
        ids, mask = pad_batch([data.train_c[i] for i in rows] + [data.train_r[i] for i in rows], pad)
        return {
            "input_ids": ids.to(device),
            "attention_mask": mask.to(device),
            "weights": data.weights[rows].to(device),
            "n_items": len(rows),
            "n_tokens": int(mask.sum()),
        }

    def loss_fn(model, batch):
        rewards = sequence_rewards(model, batch["input_ids"], batch["attention_mask"])  # (2B,)
        chosen, rejected = rewards.chunk(2)
        loss = bradley_terry_loss_sum(chosen, rejected, cfg.margin, batch["weights"])
        return loss, {k: v.detach() for k, v in pair_metrics(chosen, rejected).items()}

    def eval_fn(model, step: int) -> dict:
        c, r = rewards_of(model, data.val_c, data.val_r, pad, device)
        gold = data.val_gold if data.has_gold else None
        m = {f"val_{k}": v.item() / len(c) for k, v in pair_metrics(c, r, gold).items()}
        m["val_loss"] = bradley_terry_loss_sum(c, r, cfg.margin).item() / len(c)
        return m

    result = train(
        accelerator=accelerator,
        precision=precision,
        model=model,
        loss_fn=loss_fn,
        make_batch=make_batch,
        n_examples=len(sample),
        cfg=cfg.train,
        seed=cfg.seed + k,
        run_dir=member_dir,
        eval_fn=eval_fn,
        resume=resume,
        description=f"reward {k + 1}/{cfg.members}",
        lengths=[len(data.train_c[i]) + len(data.train_r[i]) for i in sample],
    )
    model = accelerator.unwrap_model(model).eval()
    tc, tr = rewards_of(model, data.train_c, data.train_r, pad, device)
    model.config.reward_offset = torch.cat([tc, tr]).mean().item()
    if accelerator.is_main_process:
        save_hf_dir(member_dir / "final", model, tokenizer)
        meta = {
            "offset": model.config.reward_offset,
            "train_seconds": result.train_seconds,
            "last_eval": result.last_eval,
        }
        write_json(member_dir / "member.json", meta)
    accelerator.wait_for_everyone()


def ensemble_figures(
    cfg: RewardConfig, data: Pairs, val_rows: list[dict], member_rewards, members_meta
) -> dict:
    """The ensemble's validation figures: majority and gold accuracy of the mean reward, spread, calibration."""
    chosen = EnsembleScores(torch.stack([c for c, _ in member_rewards]))
    rejected = EnsembleScores(torch.stack([r for _, r in member_rewards]))
    gold = data.val_gold if data.has_gold else None
    ens = {k: v.item() / len(val_rows) for k, v in pair_metrics(chosen.mean, rejected.mean, gold).items()}
    return {
        "stage": "reward",
        "members": cfg.members,
        "val_accuracy_majority": ens["accuracy"],
        "val_accuracy_gold": ens.get("gold_accuracy"),
        "val_margin": ens["margin"],
        "val_r_chosen": ens["r_chosen"],
        "val_r_rejected": ens["r_rejected"],
        "val_ensemble_std": (chosen.std.mean().item() + rejected.std.mean().item()) / 2,
        "member_val_accuracy_gold": [m.get("val_gold_accuracy") for m in members_meta],
        "val_accuracy_gold_by_tiers": accuracy_by_tiers(chosen.mean > rejected.mean, data.val_gold, val_rows)
        if data.has_gold
        else None,
        "calibration": calibration(
            torch.sigmoid(chosen.mean - rejected.mean), data.val_gold, cfg.calibration_bins
        )
        if data.has_gold
        else None,
    }


def run(cfg: RewardConfig, resume: bool = False) -> dict:
    started = time.perf_counter()
    accelerator, precision, run_dir, done = begin(cfg, resume, cfg.train.precision)
    if done:
        return done
    check_model_dir(cfg.model_path, "model_path")
    train_rows, val_rows = load_preferences(cfg)
    if cfg.drop_below_kappa is not None:
        kept = drop_low_kappa(train_rows, cfg.drop_below_kappa, cfg.kappa_batch_size)
        ui.info(
            f"reward: dropped {len(train_rows) - len(kept)} pairs in batches with κ < {cfg.drop_below_kappa}"
        )
        train_rows = kept
    if not train_rows:
        raise UserError("reward: no training pairs left")
    tokenizer = load_tokenizer(cfg.model_path, "model_path")
    if not tokenizer.chat_template or tokenizer.pad_token_id is None:
        raise UserError(
            f"model_path: {cfg.model_path} needs a chat template and a pad token (run SFT on it first)"
        )
    data = encode_pairs(cfg, tokenizer, train_rows, val_rows)
    device = accelerator.device
    ui.info(
        f"reward: {cfg.members} members · {len(train_rows)} train / {len(val_rows)} val pairs · {precision} on {device}"
    )
    if accelerator.is_main_process:
        run_dir.start(cfg)
    accelerator.wait_for_everyone()
    member_rewards, members_meta = (
        [],
        [],
    )  # per member: centred (val chosen, val rejected); ensemble.json entries
    for k in range(cfg.members):
        member_dir = run_dir.path / "members" / f"member-{k}"
        if not (member_dir / "final").is_dir():
            train_member(k, cfg, data, tokenizer, accelerator, precision, member_dir, resume)
        model = load_reward_model(member_dir / "final", field=f"member {k}").to(device).eval()
        meta = json.loads((member_dir / "member.json").read_text())
        vc, vr = rewards_of(model, data.val_c, data.val_r, tokenizer.pad_token_id, device)
        member_rewards.append((vc - meta["offset"], vr - meta["offset"]))
        members_meta.append(
            {"dir": f"member-{k}", "offset": meta["offset"], "seed": cfg.seed + k, **meta["last_eval"]}
        )
    summary = ensemble_figures(cfg, data, val_rows, member_rewards, members_meta) | {
        "train_pairs": len(train_rows),
        "val_pairs": len(val_rows),
        "stage_seconds": time.perf_counter() - started,
        "precision": precision,
        "device": str(device),
        "config_fingerprint": fingerprint(cfg),
    }
    if accelerator.is_main_process:
        with replaced_dir(run_dir.final_dir) as tmp:
            for k in range(cfg.members):
                shutil.copytree(run_dir.path / "members" / f"member-{k}" / "final", tmp / f"member-{k}")
            ensemble = {
                "members": members_meta,
                "max_length": cfg.data.max_length,
                "aggregates": ["mean", "lcb", "min"],
            }
            write_json(tmp / "ensemble.json", ensemble)
        write_json(run_dir.path / "summary.json", summary)
    accelerator.wait_for_everyone()
    return summary
