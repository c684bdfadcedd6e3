"""Active learning for the reward ensemble: cycles of policy samples → ensemble disagreement → new labels →
reward ensemble retrained on old + new labels → PPO again, with the labels spent and the gold measured per cycle.

Cycle k (1 … cycles) starts from policy_{k−1} and ensemble RM_{k−1}. Cycle 0 is `policy_path` and `reward_path`,
or, without a `reward_path`, an ensemble trained on the old labels alone by the same recipe as every later cycle
(so the curve starts like for like):

1. sample `candidate_pairs_per_prompt` pairs of responses per training prompt from policy_{k−1} (pure sampling
   at the PPO temperature, exactly as PPO samples), score both responses with every member of RM_{k−1};
2. select `labels_per_cycle` pairs: the largest member disagreement (`pair_disagreement`) or, as the control,
   uniformly at random;
3. label them: simulated annotators vote on the grader's gold score (majority = label, votes kept), or people
   fill `cycle_k/to_label.jsonl` and `--import` reads it back, validated;
4. retrain the ensemble from the backbone on the old labels plus every new label so far (Stage 3 recipe) → RM_k;
5. PPO from policy_{k−1} against RM_k (Stage 4 recipe; the KL reference is policy_{k−1}, as in iterated RLHF
   rounds) → policy_k.

Evaluation never feeds training: `heldout_prompts` prompts are set aside once; the FIXED pool is `pool_samples`
responses per held-out prompt from the cycle-0 policy. Each cycle reports RM_k's accuracy against gold on the
pool's pairs (every two responses to one prompt whose gold scores differ) — the curve the strategies are compared
on — and, on fresh samples of policy_k for the held-out prompts, its gold score and RM_k's accuracy there.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import time
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import Field, model_validator

from rxalign import ui
from rxalign.config import (
    KLSettings,
    PPOConfig,
    PPORewardSettings,
    PPOSettings,
    RewardConfig,
    RewardDataConfig,
    Strict,
    TrainConfig,
    fingerprint,
)
from rxalign.data.annotators import AnnotatorConfig, agreement, majority, simulate_votes
from rxalign.errors import UserError
from rxalign.io import read_jsonl, write_json, write_jsonl
from rxalign.rundir import open_run, read_summary
from rxalign.stages import records

# ---- config ------------------------------------------------------------------------------------------------


def _reused(model: type[Strict], name: str):
    """A field of another config (type constraints, default, description), so the two never drift apart."""
    return copy.deepcopy(model.model_fields[name])


class RetrainSettings(Strict):
    """The Stage 3 keys of each cycle's retraining (its output, training file and seed are set by the loop)."""

    model_path: Path = _reused(RewardConfig, "model_path")
    data: RewardDataConfig = Field(
        RewardDataConfig(),
        description="train_file: the labels already held (old labels; every cycle trains on them plus all new "
        "labels so far); val_file and max_length as in Stage 3",
    )
    members: int = _reused(RewardConfig, "members")
    bootstrap: bool = _reused(RewardConfig, "bootstrap")
    margin: float = _reused(RewardConfig, "margin")
    weight_by_agreement: bool = _reused(RewardConfig, "weight_by_agreement")
    train: TrainConfig = Field(TrainConfig(), description="optimisation of every member (Stage 3 `train`)")


class ActiveConfig(Strict):
    """Active learning: label the policy-sample pairs the reward ensemble disagrees on, retrain it, PPO again."""

    out: Path = Field(
        Path("runs/active"),
        description="run directory: pool.jsonl, cycles.jsonl, summary.json and cycle_k/ per cycle",
    )
    seed: int = Field(
        0,
        description="the one seed: prompt split, sampling, random selection, annotator votes, reward members "
        "(seed + k) and PPO",
    )
    strategy: Literal["uncertainty", "random"] = Field(
        "uncertainty",
        description="which candidate pairs get labels: the largest ensemble disagreement, or uniformly at "
        "random (the control arm)",
    )
    labeler: Literal["simulated", "file"] = Field(
        "simulated",
        description="simulated: annotators vote on the grader's gold score; file: export cycle_k/to_label.jsonl "
        "for people, then `--resume --import FILE` reads it back",
    )
    policy_path: Path = Field(
        Path("runs/sft/final"),
        description="the cycle-0 policy: the first candidates and the held-out pool are its samples; the first "
        "PPO starts from it",
    )
    reward_path: Path | None = Field(
        None,
        description="the cycle-0 reward ensemble (ensemble.json + member-k/) that selects the first labels; "
        "null = train it on the old labels with the `reward` settings (into cycle_0/reward), like every cycle",
    )
    prompts_file: Path | None = Field(
        None,
        description="prompt records with `truth` (the grader's gold); null = bundled PPO prompts. Split once "
        "(seeded) into held-out and training prompts",
    )
    heldout_prompts: int = Field(
        40,
        ge=1,
        description="prompts for evaluation only (the fixed pool and the policy's gold score): never labelled, "
        "never in PPO",
    )
    pool_samples: int = Field(
        8,
        ge=2,
        description="responses per held-out prompt, for the fixed pool (cycle-0 policy) and each cycle's policy "
        "gold score; every two responses to a prompt with different gold scores make a pair",
    )
    cycles: int = Field(4, ge=1, description="label → retrain → PPO cycles")
    labels_per_cycle: int = Field(50, ge=1, description="pairs labelled per cycle (the label budget)")
    candidate_pairs_per_prompt: int = Field(
        4,
        ge=1,
        description="pairs (two fresh samples each) drawn per training prompt each cycle; the labels are chosen "
        "among them (pairs with identical or empty responses are dropped)",
    )
    annotators: AnnotatorConfig = Field(
        AnnotatorConfig(flip_rate=0.1, noise_sd=1.0, length_bias=0.3),
        description="simulated annotators; utilities are grader scores (0-10), so noise_sd and length_bias are in "
        "grader points (the generator's settings on its 0-3 scale, times 10/3)",
    )
    reward: RetrainSettings = Field(RetrainSettings(), description="each cycle's reward-ensemble retraining")
    ppo: PPOSettings = Field(
        PPOSettings(iterations=10),
        description="each cycle's PPO (Stage 4 `ppo` keys); max_new_tokens and temperature also drive the "
        "candidate and evaluation samples",
    )
    ppo_reward: PPORewardSettings = Field(
        PPORewardSettings(), description="how PPO uses the ensemble (Stage 4 `reward` keys)"
    )
    kl: KLSettings = Field(KLSettings(), description="PPO's KL control (Stage 4 `kl` keys)")
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto",
        description="as in train.precision; must equal reward.train.precision (one process, one setting)",
    )

    @model_validator(mode="after")
    def _check(self):
        if self.reward.train.precision != self.precision:
            raise ValueError(
                f"reward.train.precision ({self.reward.train.precision}) must equal precision ({self.precision})"
            )
        return self


# ---- pure parts --------------------------------------------------------------------------------------------


def pair_disagreement(members_a: torch.Tensor, members_b: torch.Tensor) -> torch.Tensor:
    """How much the K members disagree about a pair: the std over members of their reward differences,

        d(a, b) = sqrt( (1/K) Σ_k (Δ_k − Δ̄)² ),   Δ_k = r_k(a) − r_k(b),   Δ̄ = (1/K) Σ_k Δ_k

    (population std, as `EnsembleScores.std`). Members' centring offsets cancel in Δ_k. members_a, members_b:
    (K, N) rewards of the pairs' two responses → (N,). Zero with one member.
    """
    return (members_a - members_b).std(0, unbiased=False)  # (N,)


def select_pairs(disagreement: torch.Tensor, n: int, strategy: str, rng: random.Random) -> list[int]:
    """Indices of the `n` pairs to label, ascending: the `n` largest disagreements (ties: lower index first) for
    "uncertainty", or `n` drawn uniformly without replacement by `rng` for "random"."""
    n = min(n, len(disagreement))
    if strategy == "uncertainty":
        order = torch.argsort(disagreement, descending=True, stable=True)
        return sorted(order[:n].tolist())
    if strategy == "random":
        return sorted(rng.sample(range(len(disagreement)), n))
    raise ValueError(f"unknown strategy {strategy!r}")


def within_prompt_pairs(groups: list, gold: list[float], texts: list[str]) -> list[tuple[int, int]]:
    """Every (i, j), i < j, of two responses to the same prompt (`groups`) with different texts and different gold
    scores: the pairs whose gold preference is defined."""
    pairs = []
    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            if groups[i] == groups[j] and gold[i] != gold[j] and texts[i].strip() != texts[j].strip():
                pairs.append((i, j))
    return pairs


def pair_accuracy(scores: torch.Tensor, gold: list[float], pairs: list[tuple[int, int]]) -> float | None:
    """Share of `pairs` whose reward order agrees with the gold order: mean of [s_i > s_j] == [g_i > g_j]
    (a reward tie counts as preferring j). scores: (N,) ensemble mean. None without pairs."""
    if not pairs:
        return None
    right = sum((scores[i] > scores[j]).item() == (gold[i] > gold[j]) for i, j in pairs)
    return right / len(pairs)


def labels_to_match(
    uncertainty: list[tuple[float, float]], random_curve: list[tuple[float, float]], sustained: bool = False
) -> float | None:
    """Labels the uncertainty arm needs to reach the accuracy the random arm reaches with its full budget.

    Curves are (labels_spent, accuracy) points in order of labels. target = random's last accuracy. At the first
    uncertainty point i with a_i ≥ target: L_0 when i = 0, else the linear interpolation between points i−1 and i,
        L = L_{i−1} + (target − a_{i−1}) / (a_i − a_{i−1}) · (L_i − L_{i−1}).
    With `sustained`, i is the first point from which every later point stays ≥ target (a curve that touches the
    target and falls back has not reached it). None when uncertainty never reaches the target.
    """
    target = random_curve[-1][1]
    for i, (labels, acc) in enumerate(uncertainty):
        if acc >= target and (not sustained or all(a >= target for _, a in uncertainty[i:])):
            if i == 0:
                return float(labels)
            l0, a0 = uncertainty[i - 1]
            return l0 + (target - a0) / (acc - a0) * (labels - l0)
    return None


def derived_seed(seed: int, *parts) -> int:
    """A stable 31-bit seed for one purpose of one cycle, so a resumed run (or the other arm) redraws exactly."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def simulated_label(pair: dict, cfg: AnnotatorConfig, rng: np.random.Generator) -> dict:
    """A preference row for one candidate pair: the annotators vote on gold utility (the grader score) with their
    biases and noise, A (`response_a`) shown first; the majority's choice is `chosen`; every vote is kept."""
    votes_ab = simulate_votes(
        pair["gold_a"], pair["gold_b"], pair["response_a"], pair["response_b"], cfg, rng
    )  # 0 = A, 1 = B
    winner = majority(votes_ab)
    a, b = pair["response_a"], pair["response_b"]
    chosen, rejected = (a, b) if winner == 0 else (b, a)
    return {
        "id": pair["id"],
        "prompt": pair["prompt"],
        "chosen": chosen,
        "rejected": rejected,
        "votes": [int(v == winner) for v in votes_ab],  # 1 = this annotator preferred `chosen`
        "votes_ab": votes_ab,
        "chosen_shown_first": winner == 0,
        "labeler": "simulated",
    }


# ---- the labelling file round trip ----------------------------------------------------------------------------

EXPORT_FIELDS = ("id", "prompt", "response_a", "response_b")


def export_for_labelling(path: Path, pairs: list[dict]) -> None:
    """One JSON object per line: id, prompt, response_a, response_b and an empty `preferred` to fill with a or b."""
    write_jsonl(path, [{**{k: p[k] for k in EXPORT_FIELDS}, "preferred": ""} for p in pairs])


def import_labels(path: Path, pairs: list[dict]) -> list[dict]:
    """Read a filled labelling file back: every exported id exactly once, `preferred` a or b, the texts as exported.
    Any problem is one UserError naming file:line and field. Returns preference rows in the exported order."""
    from rxalign.data.formats import read_jsonl

    path = Path(path)
    if not path.is_file():
        raise UserError(f"--import: {path} does not exist")
    expected = {p["id"]: p for p in pairs}
    chosen_of: dict[str, str] = {}
    for line, rec in read_jsonl(path):
        where = f"{path}:{line}"
        pair_id = rec.get("id")
        if not isinstance(pair_id, str) or not pair_id:
            raise UserError(f"{where}: field 'id': missing or not a string")
        if pair_id not in expected:
            raise UserError(f"{where}: field 'id': {pair_id!r} was not exported for labelling")
        if pair_id in chosen_of:
            raise UserError(f"{where}: field 'id': {pair_id!r} appears twice")
        for key in EXPORT_FIELDS[1:]:
            if key in rec and rec[key] != expected[pair_id][key]:
                raise UserError(
                    f"{where}: field {key!r}: differs from the exported text (labels only, please)"
                )
        preferred = rec.get("preferred")
        value = preferred.strip().lower() if isinstance(preferred, str) else preferred
        if value not in ("a", "b"):
            raise UserError(f'{where}: field \'preferred\': expected "a" or "b", got {preferred!r}')
        chosen_of[pair_id] = value
    missing = [i for i in expected if i not in chosen_of]
    if missing:
        shown = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
        raise UserError(
            f"{path}: field 'id': {len(missing)} of {len(expected)} exported pairs missing ({shown})"
        )
    rows = []
    for p in pairs:
        first = chosen_of[p["id"]] == "a"
        a, b = p["response_a"], p["response_b"]
        rows.append(
            {
                "id": p["id"],
                "prompt": p["prompt"],
                "chosen": a if first else b,
                "rejected": b if first else a,
                "labeler": "file",
            }
        )
    return rows


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


# ---- the loop ------------------------------------------------------------------------------------------------


def load_prompts(cfg: ActiveConfig) -> list[dict]:
    rows = records(cfg.prompts_file, "ppo/prompts.jsonl", "prompt", "prompts_file")
    if not all(isinstance(r.get("truth"), dict) and "task" in r["truth"] for r in rows):
        raise UserError(
            "prompts_file: every prompt needs its structured `truth` (the gold of labels and evaluation)"
        )
    if len(rows) <= cfg.heldout_prompts:
        raise UserError(
            f"heldout_prompts: {cfg.heldout_prompts} leaves no training prompts (the prompts file holds {len(rows)})"
        )
    return rows


def split_prompts(rows: list[dict], n_heldout: int, seed: int) -> tuple[list[dict], list[dict]]:
    """(training, held-out) prompts: a seeded shuffle, the first `n_heldout` held out."""
    order = list(range(len(rows)))
    random.Random(derived_seed(seed, "split")).shuffle(order)
    heldout = sorted(order[:n_heldout])
    train = sorted(order[n_heldout:])
    return [rows[i] for i in train], [rows[i] for i in heldout]


def _check_inputs(cfg: ActiveConfig) -> None:
    from rxalign.models.load import check_model_dir, load_tokenizer

    check_model_dir(cfg.policy_path, "policy_path")
    check_model_dir(cfg.reward.model_path, "reward.model_path")
    if cfg.reward_path is not None and not (Path(cfg.reward_path) / "ensemble.json").is_file():
        raise UserError(f"reward_path: {cfg.reward_path} is not a reward ensemble (no ensemble.json)")
    tok = load_tokenizer(cfg.policy_path, "policy_path")
    if not tok.chat_template or tok.pad_token_id is None or tok.pad_token_id == tok.eos_token_id:
        raise UserError(
            f"policy_path: {cfg.policy_path} needs a chat template and a pad token distinct from EOS"
        )


def reward_config(cfg: ActiveConfig, out: Path, train_file: Path | None) -> RewardConfig:
    """The Stage 3 config of one retraining: the `reward` settings on `train_file` (None = bundled pairs)."""
    r = cfg.reward
    return RewardConfig(
        out=out,
        seed=cfg.seed,
        model_path=r.model_path,
        data=r.data.model_copy(update={"train_file": train_file}),
        members=r.members,
        bootstrap=r.bootstrap,
        margin=r.margin,
        weight_by_agreement=r.weight_by_agreement,
        train=r.train,
    )


def _stage_configs(cfg: ActiveConfig, k: int, policy: Path) -> tuple[RewardConfig, PPOConfig]:
    cdir = cfg.out / f"cycle_{k}"
    reward_cfg = reward_config(cfg, cdir / "reward", cdir / "reward_train.jsonl")
    ppo_cfg = PPOConfig(
        out=cdir / "ppo",
        seed=cfg.seed,
        policy_path=policy,
        reward_path=cdir / "reward" / "final",
        prompts_file=cfg.out / "prompts_train.jsonl",
        ppo=cfg.ppo,
        reward=cfg.ppo_reward,
        kl=cfg.kl,
        save_every=max(1, cfg.ppo.iterations // 2),
        keep_checkpoints=1,
        precision=cfg.precision,
    )
    return reward_cfg, ppo_cfg


def _candidates(
    cfg: ActiveConfig, k: int, policy_dir: Path, rm_dir: Path, train_prompts, device, kb
) -> list[dict]:
    """Sample, grade and score this cycle's candidate pairs from policy_{k−1}, and mark the selected ones."""
    from rxalign.models.load import load_causal_lm, load_tokenizer

    _, ppo_cfg = _stage_configs(cfg, k, policy_dir)
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


def _labels_done(cdir: Path) -> bool:
    return (cdir / "labels.jsonl").is_file()


def _awaiting(cdir: Path) -> bool:
    return (cdir / "to_label.jsonl").is_file() and not _labels_done(cdir)


def run(cfg: ActiveConfig, resume: bool = False, import_file: Path | None = None) -> dict:
    """Run (or continue) the cycles; returns the summary. With labeler "file", stops after exporting a cycle's
    pairs (summary status "awaiting_labels") until called again with `import_file`."""
    from rxalign.data.kb import load_kb
    from rxalign.models.load import load_causal_lm, load_tokenizer
    from rxalign.stages import ppo as ppo_stage
    from rxalign.stages import reward as reward_stage
    from rxalign.train.loop import make_accelerator

    started = time.perf_counter()
    if import_file is not None and cfg.labeler != "file":
        raise UserError(
            f"--import: this run's labeler is {cfg.labeler!r}; importing labels needs labeler: file"
        )
    resume = resume or import_file is not None
    accelerator, _ = make_accelerator(cfg.precision)
    if accelerator.num_processes > 1:
        raise UserError("active: runs in one process; launch it without torchrun/accelerate launch")
    device = accelerator.device
    run_dir = open_run(cfg.out, cfg, resume)
    out = Path(cfg.out)
    if import_file is not None and not any(_awaiting(out / f"cycle_{k}") for k in range(1, cfg.cycles + 1)):
        raise UserError(f"--import: no cycle of {out} is waiting for labels")
    if (out / "summary.json").is_file() and read_summary(out).get("status") == "complete":
        ui.info(f"{out}: run already complete")
        return read_summary(out)
    _check_inputs(cfg)
    prompts = load_prompts(cfg)
    base_labels = records(
        cfg.reward.data.train_file, "preference/train.jsonl", "preference", "reward.data.train_file"
    )
    if not (out / "config.yaml").is_file():
        run_dir.start(cfg)
    train_prompts, heldout = split_prompts(prompts, cfg.heldout_prompts, cfg.seed)
    for name, rows in (("prompts_train.jsonl", train_prompts), ("prompts_heldout.jsonl", heldout)):
        if not (out / name).is_file():
            write_jsonl(out / name, rows)
    kb = load_kb()
    ui.info(
        f"active: {cfg.strategy} · {cfg.cycles} cycles × {cfg.labels_per_cycle} labels ({cfg.labeler}) · "
        f"{len(train_prompts)} training / {len(heldout)} held-out prompts · {device}"
    )

    def sample_heldout(policy_dir: Path, tag) -> list[dict]:
        policy = load_causal_lm(policy_dir, "policy").to(device).eval()
        _, ppo_cfg = _stage_configs(cfg, 0, policy_dir)
        tokenizer = load_tokenizer(policy_dir, "policy")
        seed = derived_seed(cfg.seed, "heldout", tag)
        return sample_responses(policy, tokenizer, heldout, cfg.pool_samples, ppo_cfg, device, seed, kb)

    # -- cycle 0: the fixed pool, the starting ensemble and policy ------------------------------------------------
    c0 = out / "cycle_0"
    rm_0 = Path(cfg.reward_path) if cfg.reward_path is not None else c0 / "reward" / "final"
    if not (c0 / "cycle.json").is_file():
        tick = time.perf_counter()
        reward_summary = {}
        if cfg.reward_path is None:
            reward_summary = reward_stage.run(
                reward_config(cfg, c0 / "reward", cfg.reward.data.train_file), resume=True
            )
        if not (out / "pool.jsonl").is_file():
            write_jsonl(out / "pool.jsonl", sample_heldout(cfg.policy_path, "pool"))
        pool = read_jsonl(out / "pool.jsonl")
        scored = score_samples(rm_0, pool, device)
        c0.mkdir(parents=True, exist_ok=True)
        write_json(
            c0 / "cycle.json",
            {
                "cycle": 0,
                "strategy": cfg.strategy,
                "labels_new": 0,
                "labels_spent": 0,
                "ensemble_accuracy_gold": scored["accuracy"],
                "pool_pairs": scored["pairs"],
                "ensemble_accuracy_gold_current": scored["accuracy"],
                "current_pairs": scored["pairs"],
                "policy_gold_score": scored["gold_mean"],
                "policy_gold_score_se": scored["gold_se"],
                "reward_val_accuracy_gold": reward_summary.get("val_accuracy_gold"),
                "seconds": time.perf_counter() - tick,
            },
        )
    pool = read_jsonl(out / "pool.jsonl")
    history = [json.loads((c0 / "cycle.json").read_text())]
    ui.info(_describe(history[0], cfg))

    for k in range(1, cfg.cycles + 1):
        cdir = out / f"cycle_{k}"
        if (cdir / "cycle.json").is_file():
            history.append(json.loads((cdir / "cycle.json").read_text()))
            continue
        tick = time.perf_counter()
        cdir.mkdir(parents=True, exist_ok=True)
        policy_prev = cfg.policy_path if k == 1 else out / f"cycle_{k - 1}" / "ppo" / "final"
        rm_prev = rm_0 if k == 1 else out / f"cycle_{k - 1}" / "reward" / "final"

        # 1-2. candidates and selection
        if not (cdir / "candidates.jsonl").is_file():
            write_jsonl(
                cdir / "candidates.jsonl",
                _candidates(cfg, k, policy_prev, rm_prev, train_prompts, device, kb),
            )
        candidates = read_jsonl(cdir / "candidates.jsonl")
        selected = [c for c in candidates if c["selected"]]

        # 3. labels
        if not _labels_done(cdir):
            if cfg.labeler == "simulated":
                labels = [
                    # one generator per pair: the same pair gets the same votes in either arm
                    simulated_label(
                        c, cfg.annotators, np.random.default_rng(derived_seed(cfg.seed, "votes", c["id"]))
                    )
                    for c in selected
                ]
            elif not (cdir / "to_label.jsonl").is_file():
                export_for_labelling(cdir / "to_label.jsonl", selected)
                summary = _summary(cfg, history, started, status="awaiting_labels", awaiting=k)
                write_json(out / "summary.json", summary)
                ui.info(
                    f"cycle {k}: {len(selected)} pairs to label in {cdir / 'to_label.jsonl'} (set `preferred` to "
                    f'"a" or "b"), then: rxalign active --out {out} --resume --import FILE'
                )
                return summary
            elif import_file is None:
                raise UserError(
                    f"cycle {k} is waiting for labels: fill {cdir / 'to_label.jsonl'} and pass --import FILE"
                )
            else:
                labels = import_labels(import_file, selected)
                import_file = None
            write_jsonl(cdir / "labels.jsonl", labels)
        new_labels = [row for j in range(1, k + 1) for row in read_jsonl(out / f"cycle_{j}" / "labels.jsonl")]

        # 4. retrain the ensemble on old + new labels
        reward_cfg, ppo_cfg = _stage_configs(cfg, k, policy_prev)
        if not (cdir / "reward_train.jsonl").is_file():
            write_jsonl(cdir / "reward_train.jsonl", base_labels + new_labels)
        reward_summary = reward_stage.run(reward_cfg, resume=True)
        rm_dir = reward_cfg.out / "final"
        on_pool = score_samples(rm_dir, pool, device)

        # 5. PPO against the new ensemble, then the new policy on the held-out prompts
        ppo_summary = ppo_stage.run(ppo_cfg, resume=True)
        if not (cdir / "heldout_samples.jsonl").is_file():
            write_jsonl(cdir / "heldout_samples.jsonl", sample_heldout(ppo_cfg.out / "final", k))
        current = score_samples(rm_dir, read_jsonl(cdir / "heldout_samples.jsonl"), device)

        label_stats = _label_stats(selected, read_jsonl(cdir / "labels.jsonl"), cfg.annotators)
        record = {
            "cycle": k,
            "strategy": cfg.strategy,
            "labels_new": len(selected),
            "labels_spent": len(new_labels),
            "ensemble_accuracy_gold": on_pool["accuracy"],
            "pool_pairs": on_pool["pairs"],
            "ensemble_accuracy_gold_current": current["accuracy"],
            "current_pairs": current["pairs"],
            "policy_gold_score": current["gold_mean"],
            "policy_gold_score_se": current["gold_se"],
            "selected_disagreement_mean": float(np.mean([c["disagreement"] for c in selected])),
            "candidates_disagreement_mean": float(np.mean([c["disagreement"] for c in candidates])),
            "candidates": len(candidates),
            **label_stats,
            "reward_val_accuracy_gold": reward_summary.get("val_accuracy_gold"),
            "ppo_rm_score_last": ppo_summary["rm_score_last"],
            "ppo_gold_score_last": ppo_summary["gold_score_last"],
            "ppo_kl_k3_mean": ppo_summary["kl_k3_mean"],
            "seconds": time.perf_counter() - tick,
        }
        write_json(cdir / "cycle.json", record)
        history.append(record)
        write_jsonl(out / "cycles.jsonl", history)
        ui.info(_describe(record, cfg))

    write_jsonl(out / "cycles.jsonl", history)
    summary = _summary(cfg, history, started, status="complete")
    write_json(out / "summary.json", summary)
    return summary


def _label_stats(selected: list[dict], labels: list[dict], annotators: AnnotatorConfig) -> dict:
    """How the new labels compare with gold (where gold differs) and, for simulated votes, their Fleiss κ."""
    by_id = {c["id"]: c for c in selected}
    judged = [
        (row["chosen"] == by_id[row["id"]]["response_a"])
        == (by_id[row["id"]]["gold_a"] > by_id[row["id"]]["gold_b"])
        for row in labels
        if by_id[row["id"]]["gold_a"] != by_id[row["id"]]["gold_b"]
    ]
    votes = [row["votes_ab"] for row in labels if "votes_ab" in row]
    return {
        "labels_gold_ties": len(labels) - len(judged),
        "labels_match_gold": sum(judged) / len(judged) if judged else None,
        "labels_kappa": agreement(votes, annotators.kappa_threshold).kappa
        if len(votes) == len(labels) and votes
        else None,
    }


def _describe(r: dict, cfg: ActiveConfig) -> str:
    acc = r["ensemble_accuracy_gold"]
    return (
        f"cycle {r['cycle']} ({cfg.strategy}): {r['labels_spent']} labels · ensemble accuracy vs gold "
        + (f"{acc:.1%}" if acc is not None else "n/a")
        + f" on {r['pool_pairs']} pool pairs · policy gold {r['policy_gold_score']:.2f}"
    )


def _summary(
    cfg: ActiveConfig, history: list[dict], started: float, status: str, awaiting: int | None = None
):
    first, last = history[0], history[-1]
    return {
        "stage": "active",
        "status": status,
        "awaiting_labels_cycle": awaiting,
        "strategy": cfg.strategy,
        "labeler": cfg.labeler,
        "cycles_done": last["cycle"],
        "labels_spent": last["labels_spent"],
        "curve": [[r["labels_spent"], r["ensemble_accuracy_gold"]] for r in history],
        "ensemble_accuracy_gold_first": first["ensemble_accuracy_gold"],
        "ensemble_accuracy_gold_last": last["ensemble_accuracy_gold"],
        "policy_gold_score_first": first["policy_gold_score"],
        "policy_gold_score_last": last["policy_gold_score"],
        "pool_pairs": first["pool_pairs"],
        "seconds_total": sum(r["seconds"] for r in history),
        "seconds_this_call": time.perf_counter() - started,
        "config_fingerprint": fingerprint(cfg),
    }
