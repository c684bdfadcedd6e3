"""Policy samples for active learning: responses graded by the gold grader (evaluation only), scored by every
ensemble member, and the candidate pairs of a cycle."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch

from rxalign import ui
from rxalign.active.config import ActiveConfig, cycle_configs
from rxalign.active.selection import (
    derived_seed,
    pair_accuracy,
    pair_disagreement,
    select_pairs,
    within_prompt_pairs,
)
from rxalign.config import (
    PPOConfig,
)
from rxalign.errors import UserError

# ---- sampling and scoring ------------------------------------------------------------------------------------


@torch.no_grad()
def sample_responses(
    policy, tokenizer, prompts: list[dict], per_prompt: int, ppo_cfg: PPOConfig, device, seed: int, kb
) -> list[dict]:
    """`per_prompt` responses to each prompt (PPO's own sampler: temperature T, no top-k/top-p), each graded.
    Rows: prompt_index (in `prompts`), prompt, response, ended (EOS reached), gold (grader score 0-10)."""
    from rxalign.eval.grader import grade
    from rxalign.models.generation import rollout

    torch.manual_seed(seed)
    jobs = [i for i in range(len(prompts)) for _ in range(per_prompt)]
    rows = []
    batch = 64
    with ui.progress("sample", total=len(jobs)) as bar:
        for start in range(0, len(jobs), batch):
            chunk = jobs[start : start + batch]
            ids, _, width, resp_mask, ended = rollout(
                policy,
                tokenizer,
                [prompts[i]["prompt"] for i in chunk],
                temperature=ppo_cfg.ppo.temperature,
                max_new_tokens=ppo_cfg.ppo.max_new_tokens,
                device=device,
            )
            for i, row, m, e in zip(chunk, ids, resp_mask, ended, strict=True):
                text = tokenizer.decode(row[width:][m.bool()], skip_special_tokens=True).strip()
                rows.append(
                    {
                        "prompt_index": i,
                        "prompt": prompts[i]["prompt"],
                        "response": text,
                        "ended": bool(e),
                        "gold": grade(prompts[i]["truth"], text, kb).score,
                    }
                )
            bar.update(advance=len(chunk))
    return rows


def member_scores(ensemble_dir: Path, prompts: list[str], responses: list[str], device) -> torch.Tensor:
    """(K, N) centred rewards of every member of the ensemble in `ensemble_dir`."""
    from rxalign.models.heads import RewardEnsemble

    ensemble = RewardEnsemble.load(ensemble_dir, device)
    return ensemble.score(prompts, responses).members


def score_samples(ensemble_dir: Path, samples: list[dict], device) -> dict:
    """Ensemble accuracy against gold over every within-prompt pair of `samples`, and their mean gold score
    with its standard error over prompts."""
    members = member_scores(
        ensemble_dir, [s["prompt"] for s in samples], [s["response"] for s in samples], device
    )
    gold = [s["gold"] for s in samples]
    pairs = within_prompt_pairs([s["prompt_index"] for s in samples], gold, [s["response"] for s in samples])
    per_prompt: dict[int, list[float]] = {}
    for s in samples:
        per_prompt.setdefault(s["prompt_index"], []).append(s["gold"])
    means = np.array([np.mean(v) for v in per_prompt.values()])
    return {
        "accuracy": pair_accuracy(members.mean(0), gold, pairs),
        "pairs": len(pairs),
        "gold_mean": float(np.mean(gold)),
        "gold_se": float(means.std(ddof=1) / np.sqrt(len(means))) if len(means) > 1 else None,
    }


def candidates(
    cfg: ActiveConfig, k: int, policy_dir: Path, rm_dir: Path, train_prompts, device, kb
) -> list[dict]:
    """Sample, grade and score this cycle's candidate pairs from policy_{k−1}, and mark the selected ones."""
    from rxalign.models.load import load_causal_lm, load_tokenizer

    ppo_cfg = cycle_configs(cfg, k, policy_dir)[1]
    policy = load_causal_lm(policy_dir, "policy").to(device).eval()
    tokenizer = load_tokenizer(policy_dir, "policy")
    seed = derived_seed(cfg.seed, "candidates", k)
    per_prompt = 2 * cfg.candidate_pairs_per_prompt
    samples = sample_responses(policy, tokenizer, train_prompts, per_prompt, ppo_cfg, device, seed, kb)
    del policy
    pairs = []
    for s in range(0, len(samples), 2):  # consecutive samples share a prompt (per_prompt is even)
        a, b = samples[s], samples[s + 1]
        if not a["response"] or not b["response"] or a["response"] == b["response"]:
            continue  # nothing to prefer (and the preference format rejects it)
        pairs.append(
            {
                "id": f"c{k}-{len(pairs):04d}",
                "prompt_index": a["prompt_index"],
                "prompt": a["prompt"],
                "response_a": a["response"],
                "response_b": b["response"],
                "gold_a": a["gold"],
                "gold_b": b["gold"],
            }
        )
    if not pairs:
        raise UserError(
            f"cycle {k}: the policy's samples gave no pair of distinct non-empty responses to label"
        )
    members = member_scores(
        rm_dir,
        [p["prompt"] for p in pairs] * 2,
        [p["response_a"] for p in pairs] + [p["response_b"] for p in pairs],
        device,
    )  # (K, 2N)
    members_a, members_b = members[:, : len(pairs)], members[:, len(pairs) :]
    disagreement = pair_disagreement(members_a, members_b)
    chosen = set(
        select_pairs(
            disagreement,
            cfg.labels_per_cycle,
            cfg.strategy,
            random.Random(derived_seed(cfg.seed, "select", k)),
        )
    )
    if len(pairs) < cfg.labels_per_cycle:
        ui.warn(
            f"cycle {k}: only {len(pairs)} candidate pairs for {cfg.labels_per_cycle} labels; labelling all"
        )
    for i, p in enumerate(pairs):
        p.update(
            rm_a=members_a[:, i].tolist(),
            rm_b=members_b[:, i].tolist(),
            disagreement=disagreement[i].item(),
            selected=i in chosen,
        )
    return pairs
