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

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rxalign import ui
from rxalign.active.config import ActiveConfig, cycle_configs, reward_config
from rxalign.active.sampling import candidates, sample_responses, score_samples
from rxalign.active.selection import (
    derived_seed,
    export_for_labelling,
    import_labels,
    label_stats,
    simulated_label,
)
from rxalign.config import (
    fingerprint,
)
from rxalign.errors import UserError
from rxalign.io import read_jsonl, write_json, write_jsonl
from rxalign.rundir import open_run, read_summary
from rxalign.stages import records

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


def _labels_done(cdir: Path) -> bool:
    return (cdir / "labels.jsonl").is_file()


def _awaiting(cdir: Path) -> bool:
    return (cdir / "to_label.jsonl").is_file() and not _labels_done(cdir)


@dataclass
class Cycles:
    """What every cycle reads: the run's config and directory, the prompt split, the old labels, the starting
    ensemble, and the knowledge base the gold grader uses (evaluation only)."""

    cfg: ActiveConfig
    out: Path
    device: torch.device
    kb: object
    train_prompts: list[dict]
    heldout: list[dict]
    base_labels: list[dict]
    started: float

    @property
    def rm_0(self) -> Path:
        return (
            Path(self.cfg.reward_path)
            if self.cfg.reward_path is not None
            else self.out / "cycle_0" / "reward" / "final"
        )

    def policy_before(self, k: int) -> Path:
        return self.cfg.policy_path if k == 1 else self.out / f"cycle_{k - 1}" / "ppo" / "final"

    def ensemble_before(self, k: int) -> Path:
        return self.rm_0 if k == 1 else self.out / f"cycle_{k - 1}" / "reward" / "final"

    def sample_heldout(self, policy_dir: Path, tag) -> list[dict]:
        """`pool_samples` fresh answers of the policy in `policy_dir` to every held-out prompt, graded."""
        from rxalign.models.load import load_causal_lm, load_tokenizer

        policy = load_causal_lm(policy_dir, "policy").to(self.device).eval()
        ppo_cfg = cycle_configs(self.cfg, 0, policy_dir)[1]
        tokenizer = load_tokenizer(policy_dir, "policy")
        seed = derived_seed(self.cfg.seed, "heldout", tag)
        return sample_responses(
            policy, tokenizer, self.heldout, self.cfg.pool_samples, ppo_cfg, self.device, seed, self.kb
        )


def _open(cfg: ActiveConfig, resume: bool, import_file: Path | None, started: float) -> Cycles | dict:
    """Checks (one clear line each), the run directory, the prompt split; the summary if the run is complete."""
    from rxalign.data.kb import load_kb
    from rxalign.train.loop import make_accelerator

    if import_file is not None and cfg.labeler != "file":
        raise UserError(
            f"--import: this run's labeler is {cfg.labeler!r}; importing labels needs labeler: file"
        )
    accelerator, _ = make_accelerator(cfg.precision)
    if accelerator.num_processes > 1:
        raise UserError("active: runs in one process; launch it without torchrun/accelerate launch")
    run_dir = open_run(cfg.out, cfg, resume or import_file is not None)
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
    ui.info(
        f"active: {cfg.strategy} · {cfg.cycles} cycles × {cfg.labels_per_cycle} labels ({cfg.labeler}) · "
        f"{len(train_prompts)} training / {len(heldout)} held-out prompts · {accelerator.device}"
    )
    return Cycles(cfg, out, accelerator.device, load_kb(), train_prompts, heldout, base_labels, started)


def cycle_zero(c: Cycles) -> dict:
    """The fixed pool of held-out answers, the starting ensemble (trained on the old labels alone when no
    `reward_path` is given) and its accuracy against gold on the pool."""
    from rxalign.stages import reward as reward_stage

    c0 = c.out / "cycle_0"
    if not (c0 / "cycle.json").is_file():
        tick = time.perf_counter()
        reward_summary = {}
        if c.cfg.reward_path is None:
            reward_summary = reward_stage.run(
                reward_config(c.cfg, c0 / "reward", c.cfg.reward.data.train_file), resume=True
            )
        if not (c.out / "pool.jsonl").is_file():
            write_jsonl(c.out / "pool.jsonl", c.sample_heldout(c.cfg.policy_path, "pool"))
        scored = score_samples(c.rm_0, read_jsonl(c.out / "pool.jsonl"), c.device)
        c0.mkdir(parents=True, exist_ok=True)
        write_json(
            c0 / "cycle.json",
            {
                "cycle": 0,
                "strategy": c.cfg.strategy,
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
    return json.loads((c0 / "cycle.json").read_text())


def label(c: Cycles, k: int, selected: list[dict], import_file: Path | None) -> bool:
    """Cycle k's labels in cycle_k/labels.jsonl: simulated votes, or a file people fill (exported on the first
    call, read back with --import). False while the labels are awaited."""
    cdir = c.out / f"cycle_{k}"
    if _labels_done(cdir):
        return True
    if c.cfg.labeler == "simulated":
        # one generator per pair: the same pair gets the same votes in either arm
        rng = lambda pair: np.random.default_rng(derived_seed(c.cfg.seed, "votes", pair["id"]))  # noqa: E731
        labels = [simulated_label(pair, c.cfg.annotators, rng(pair)) for pair in selected]
    elif not (cdir / "to_label.jsonl").is_file():
        export_for_labelling(cdir / "to_label.jsonl", selected)
        ui.info(
            f"cycle {k}: {len(selected)} pairs to label in {cdir / 'to_label.jsonl'} (set `preferred` to "
            f'"a" or "b"), then: rxalign active --out {c.out} --resume --import FILE'
        )
        return False
    elif import_file is None:
        raise UserError(
            f"cycle {k} is waiting for labels: fill {cdir / 'to_label.jsonl'} and pass --import FILE"
        )
    else:
        labels = import_labels(import_file, selected)
    write_jsonl(cdir / "labels.jsonl", labels)
    return True


def retrain_and_update(
    c: Cycles, k: int, pool: list[dict], candidates_: list[dict], selected: list[dict]
) -> dict:
    """Steps 4-5: the ensemble retrained on old + every new label, PPO against it, the new policy measured on
    the held-out prompts; the cycle's record."""
    from rxalign.stages import ppo as ppo_stage
    from rxalign.stages import reward as reward_stage

    tick, cdir = time.perf_counter(), c.out / f"cycle_{k}"
    new_labels = [row for j in range(1, k + 1) for row in read_jsonl(c.out / f"cycle_{j}" / "labels.jsonl")]
    reward_cfg, ppo_cfg = cycle_configs(c.cfg, k, c.policy_before(k))
    if not (cdir / "reward_train.jsonl").is_file():
        write_jsonl(cdir / "reward_train.jsonl", c.base_labels + new_labels)
    reward_summary = reward_stage.run(reward_cfg, resume=True)
    rm_dir = reward_cfg.out / "final"
    on_pool = score_samples(rm_dir, pool, c.device)
    ppo_summary = ppo_stage.run(ppo_cfg, resume=True)
    if not (cdir / "heldout_samples.jsonl").is_file():
        write_jsonl(cdir / "heldout_samples.jsonl", c.sample_heldout(ppo_cfg.out / "final", k))
    current = score_samples(rm_dir, read_jsonl(cdir / "heldout_samples.jsonl"), c.device)
    return {
        "cycle": k,
        "strategy": c.cfg.strategy,
        "labels_new": len(selected),
        "labels_spent": len(new_labels),
        "ensemble_accuracy_gold": on_pool["accuracy"],
        "pool_pairs": on_pool["pairs"],
        "ensemble_accuracy_gold_current": current["accuracy"],
        "current_pairs": current["pairs"],
        "policy_gold_score": current["gold_mean"],
        "policy_gold_score_se": current["gold_se"],
        "selected_disagreement_mean": float(np.mean([x["disagreement"] for x in selected])),
        "candidates_disagreement_mean": float(np.mean([x["disagreement"] for x in candidates_])),
        "candidates": len(candidates_),
        **label_stats(selected, read_jsonl(cdir / "labels.jsonl"), c.cfg.annotators),
        "reward_val_accuracy_gold": reward_summary.get("val_accuracy_gold"),
        "ppo_rm_score_last": ppo_summary["rm_score_last"],
        "ppo_gold_score_last": ppo_summary["gold_score_last"],
        "ppo_kl_k3_mean": ppo_summary["kl_k3_mean"],
        "seconds": time.perf_counter() - tick,
    }


def run(cfg: ActiveConfig, resume: bool = False, import_file: Path | None = None) -> dict:
    """Run (or continue) the cycles; returns the summary. With labeler "file", stops after exporting a cycle's
    pairs (summary status "awaiting_labels") until called again with `import_file`."""
    started = time.perf_counter()
    c = _open(cfg, resume, import_file, started)
    if isinstance(c, dict):
        return c  # already complete
    history = [cycle_zero(c)]
    ui.info(_describe(history[0], cfg))
    pool = read_jsonl(c.out / "pool.jsonl")
    for k in range(1, cfg.cycles + 1):
        cdir = c.out / f"cycle_{k}"
        if (cdir / "cycle.json").is_file():
            history.append(json.loads((cdir / "cycle.json").read_text()))
            continue
        cdir.mkdir(parents=True, exist_ok=True)
        if not (cdir / "candidates.jsonl").is_file():  # 1-2. candidates and selection
            pairs = candidates(
                cfg, k, c.policy_before(k), c.ensemble_before(k), c.train_prompts, c.device, c.kb
            )
            write_jsonl(cdir / "candidates.jsonl", pairs)
        candidates_ = read_jsonl(cdir / "candidates.jsonl")
        selected = [x for x in candidates_ if x["selected"]]
        if not label(c, k, selected, import_file):  # 3. labels
            summary = _summary(cfg, history, started, status="awaiting_labels", awaiting=k)
            write_json(c.out / "summary.json", summary)
            return summary
        import_file = None
        record = retrain_and_update(c, k, pool, candidates_, selected)  # 4-5.
        write_json(cdir / "cycle.json", record)
        history.append(record)
        write_jsonl(c.out / "cycles.jsonl", history)
        ui.info(_describe(record, cfg))
    write_jsonl(c.out / "cycles.jsonl", history)
    summary = _summary(cfg, history, started, status="complete")
    write_json(c.out / "summary.json", summary)
    return summary


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
