"""The PPO recipe: open the run, replay the SFT baseline and the audit, then rollout -> score -> update ->
record per iteration, checkpointed for exact resume; summary.json."""

from __future__ import annotations

import time
from dataclasses import asdict

import torch

from rxalign import ui
from rxalign.config import PPOConfig, fingerprint
from rxalign.data.kb import load_kb
from rxalign.errors import UserError
from rxalign.eval.audit import AuditConfig, IterationAuditor, Sample, SampleAudit, sample_audit
from rxalign.io import read_jsonl
from rxalign.losses import (
    adaptive_kl_beta,
)
from rxalign.models.load import check_model_dir, load_tokenizer
from rxalign.stages import begin, records
from rxalign.stages.ppo.phases import (
    Models,
    PPOState,
    PPOStats,
    Rollout,
    RunningStd,
    Scored,
    explained_variance,
    load_models,
    sample,
    score,
    update,
)
from rxalign.train.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from rxalign.train.metrics import MetricsLog, peak_memory_mb, reset_peak_memory

K1_PROBLEM = -0.01  # a mean k1 below this over an iteration means sampling and scoring disagree


# ---- the recipe ------------------------------------------------------------------------------------------------


def load_prompts(cfg: PPOConfig) -> list[dict]:
    rows = records(cfg.prompts_file, "ppo/prompts.jsonl", "prompt", "prompts_file")
    if not all("truth" in r for r in rows):
        raise UserError(
            "prompts_file: every prompt needs its structured `truth` (the gold score is part of PPO's metrics)"
        )
    return rows


def prompt_order(n_prompts: int, seed: int) -> list[int]:
    """One seeded permutation of the prompts, cycled by the iterations (independent of the training RNG)."""
    return torch.randperm(n_prompts, generator=torch.Generator().manual_seed(seed)).tolist()


def batch_indices(order: list[int], iteration: int, n: int) -> list[int]:
    """Prompt indices of iteration `iteration` (1-based): positions (it−1)·n … it·n−1 of the cycled order."""
    return [order[((iteration - 1) * n + i) % len(order)] for i in range(n)]


def pass_means(per_sample: list[tuple[float, float]], n_prompts: int) -> dict:
    """Mean (RM, gold) over the first and the last pass over the prompts: the first and last `n_prompts`
    samples, each of which holds every prompt once under the cycled order (fewer samples: their halves)."""
    size = min(n_prompts, max(1, len(per_sample) // 2))
    first, last = per_sample[:size], per_sample[-size:]
    mean = lambda rows, i: sum(r[i] for r in rows) / len(rows)  # noqa: E731
    return {
        "rm_score_first": mean(first, 0),
        "rm_score_last": mean(last, 0),
        "gold_score_first": mean(first, 1),
        "gold_score_last": mean(last, 1),
        "pass_samples": size,
    }


def iteration_record(
    it: int, r: Rollout, s: Scored, stats: PPOStats, auditor, beta: float, cfg, elapsed: float
) -> dict:
    """The metrics.jsonl line of one iteration (β is the controller's value after this iteration)."""
    m = r.response_mask.float()
    n_tokens = m.sum().item()
    rm_gain, gold_gain = auditor.gains()[-1]
    gold = [x.gold for x in r.samples]
    return {
        "iteration": it,
        "step": it,
        "rm_score_mean": r.scores.mean.mean().item(),
        "rm_score_std": r.scores.mean.std().item(),
        "rm_ensemble_spread": r.scores.std.mean().item(),
        "reward_used_mean": s.score.mean().item(),
        "gold_score_mean": sum(gold) / len(gold),
        "rm_score_gain": rm_gain,
        "gold_score_gain": gold_gain,
        "rm_gold_pair_agreement": auditor.history[-1]["rm_gold_pair_agreement"],
        "kl_k1_mean": s.kl["k1"].sum().item() / n_tokens,
        "kl_k3_mean": s.kl["k3"].sum().item() / n_tokens,
        "kl_k2_mean": s.kl["k2"].sum().item() / n_tokens,
        "kl_k1_per_sequence": s.kl["k1"].sum().item() / len(r.ids),
        "beta": beta,
        **stats.means(),
        "explained_variance": explained_variance(s.old_values, s.returns, m),
        "response_length_mean": r.response_mask.sum(-1).float().mean().item(),
        "eos_rate": r.ended.float().mean().item(),
        "tokens_per_s": float(r.mask.sum().item() * (1 + cfg.ppo.epochs)) / elapsed,
        "peak_memory_mb": peak_memory_mb(r.ids.device.type),
    }


def summarise(
    cfg: PPOConfig, state: PPOState, history: list[dict], auditor, n_prompts: int, run_info: dict
) -> dict:
    """summary.json's figures (see the module docstring), from the log: a run resumed after its last checkpoint
    has no iteration left to run."""
    last = history[-1]
    per_sample = [(p[1], p[2]) for a in state.audit for p in a["audit"]["per_prompt"]]
    audit = auditor.summary()
    summary = {
        "stage": "ppo",
        "iterations": last["iteration"],
        "stopped_early": last["iteration"] < cfg.ppo.iterations,
        **pass_means(per_sample, n_prompts),
        "kl_k3_mean": sum(h["kl_k3_mean"] for h in history) / len(history),
        "kl_k3_max": max(h["kl_k3_mean"] for h in history),
        "kl_k1_min": min(h["kl_k1_mean"] for h in history),
        "kl_target": cfg.kl.target,
        "beta_final": last["beta"],
        "rm_gold_correlation": audit["rm_gold_corr"],
        "rm_gold_gain_correlation": audit["rm_gold_gain_corr"],
        "rm_gold_pair_agreement": audit["rm_gold_pair_agreement"],
        "rm_gold_pair_agreement_last_window": audit["rm_gold_pair_agreement_last_window"],
        "audit_flag_counts": audit["counts"],
        "eos_rate_last": last["eos_rate"],
        **run_info,  # timings, precision, device, fingerprint
    }
    if state.baseline is not None:
        base = state.baseline["audit"]
        summary.update(
            rm_score_sft=base["mean_rm"], gold_score_sft=base["mean_gold"], sft_baseline_n=base["n"]
        )
    return summary


def _open(cfg: PPOConfig, accelerator):
    """Inputs checked (one clear line each), prompts and tokenizer loaded."""
    if accelerator.num_processes > 1:
        raise UserError("ppo: runs in one process for now; launch it without torchrun/accelerate launch")
    check_model_dir(cfg.policy_path, "policy_path")
    if not (cfg.reward_path / "ensemble.json").is_file():
        raise UserError(f"reward_path: {cfg.reward_path} is not a reward ensemble (no ensemble.json)")
    rows = load_prompts(cfg)
    tokenizer = load_tokenizer(cfg.policy_path, "policy_path")
    if (
        not tokenizer.chat_template
        or tokenizer.pad_token_id is None
        or tokenizer.pad_token_id == tokenizer.eos_token_id
    ):
        raise UserError(
            f"policy_path: {cfg.policy_path} needs a chat template and a pad token distinct from EOS"
        )
    return rows, tokenizer


def _restore(cfg: PPOConfig, run_dir, models: Models, log: MetricsLog) -> PPOState:
    checkpoints = list_checkpoints(run_dir.path / "checkpoints") if run_dir.resuming else []
    if not checkpoints:
        run_dir.start(cfg)
        log.truncate_after(0)  # a run killed before its first checkpoint starts over from a clean log
        return PPOState(beta=cfg.kl.beta)
    saved = load_checkpoint(
        checkpoints[-1],
        models.policy,
        models.optimizer,
        models.scheduler,
        extra_modules={"value": models.value},
    )
    state = PPOState.from_json(saved)
    log.truncate_after(state.iteration)
    ui.info(f"resumed from {checkpoints[-1]} (iteration {state.iteration})")
    return state


def _baseline(models, tokenizer, rows, order, cfg, kb, device, state: PPOState, auditor) -> None:
    """The SFT policy's answers to every prompt the run will visit, before any update (the audit's paired
    baseline). Checkpointed with the state, so a resumed run never redoes it; the audit history is replayed so
    its windows continue exactly."""
    n = cfg.ppo.prompts_per_iteration
    if cfg.sft_baseline and state.baseline is None:
        visited = list(dict.fromkeys(order[i % len(order)] for i in range(cfg.ppo.iterations * n)))
        base: list[Sample] = []
        with ui.progress("ppo: SFT baseline answers", total=len(visited)) as bar:
            for s in range(0, len(visited), n):
                base += sample(models, tokenizer, rows, visited[s : s + n], cfg, kb, device).samples
                bar.update(advance=len(visited[s : s + n]))
        texts = {b.prompt: b.text for b in base}
        state.baseline = {"texts": texts, "audit": sample_audit(base, texts).to_json()}
    if state.baseline is not None:
        auditor.observe(0, SampleAudit.from_json(state.baseline["audit"]))
    for a in state.audit:
        auditor.update(a["iteration"], SampleAudit.from_json(a["audit"]))


def _audit(it: int, r: Rollout, state: PPOState, auditor) -> list:
    if state.baseline is None and not state.baseline_texts:
        # no SFT baseline pass: the first batch's answers are the keyword base rates (unpaired)
        state.baseline_texts = [x.text for x in r.samples]
    audit = sample_audit(
        r.samples, state.baseline["texts"] if state.baseline is not None else state.baseline_texts
    )
    state.audit.append({"iteration": it, "audit": audit.to_json()})
    return auditor.update(it, audit)


def _warn(it: int, record: dict, flags, warned: set[str]) -> None:
    if record["kl_k1_mean"] < K1_PROBLEM:
        record["kl_problem"] = (
            f"mean k1 {record['kl_k1_mean']:.4f} < {K1_PROBLEM}: true KL is never negative; sampling and "
            "scoring disagree (temperature, top-k/top-p, dropout, or padding/position ids)"
        )
        ui.warn(f"iteration {it}: {record['kl_problem']}")
    for f in flags:  # every flag is in metrics.jsonl; the console hears of each kind once
        if f.kind not in warned:
            warned.add(f.kind)
            ui.warn(f"iteration {it}: audit: {f.message} (further '{f.kind}' flags only in metrics.jsonl)")


def run(cfg: PPOConfig, resume: bool = False) -> dict:
    """rollout → score → advantages → update → record, per iteration; checkpointed for exact resume."""
    started = time.perf_counter()
    accelerator, precision, run_dir, done = begin(cfg, resume, cfg.precision)
    if done:
        return done
    rows, tokenizer = _open(cfg, accelerator)
    device, kb = accelerator.device, load_kb()
    models = load_models(cfg, tokenizer, device)
    n, order = cfg.ppo.prompts_per_iteration, prompt_order(len(rows), cfg.seed)
    log = MetricsLog(run_dir.path / "metrics.jsonl")
    auditor = IterationAuditor(
        AuditConfig(window=cfg.audit_window, stop_on_divergence=cfg.stop_on_divergence)
    )
    state = _restore(cfg, run_dir, models, log)
    reset_peak_memory(device.type)  # the loop's own peak, not loading's
    t0 = time.perf_counter() - state.train_seconds
    _baseline(models, tokenizer, rows, order, cfg, kb, device, state, auditor)
    score_stats, warned = RunningStd(*state.score_stats), set()
    with ui.progress("ppo", total=cfg.ppo.iterations, completed=state.iteration) as bar:
        for it in range(state.iteration + 1, cfg.ppo.iterations + 1):
            tick = time.perf_counter()
            r = sample(models, tokenizer, rows, batch_indices(order, it, n), cfg, kb, device)
            scored = score(models, r, cfg, score_stats, state.beta)
            stats = update(models, r, scored, cfg, state.beta)
            k1 = scored.kl["k1"].sum().item() / r.response_mask.sum().item()
            if cfg.kl.adaptive:
                state.beta = adaptive_kl_beta(state.beta, k1, cfg.kl.target, n, cfg.kl.horizon)
            flags = _audit(it, r, state, auditor)
            record = iteration_record(
                it, r, scored, stats, auditor, state.beta, cfg, time.perf_counter() - tick
            )
            record.update(elapsed_s=time.perf_counter() - t0, audit_flags=[f.kind for f in flags])
            _warn(it, record, flags, warned)
            log.write(record)
            state.iteration, state.score_stats = it, [score_stats.n, score_stats.mean, score_stats.m2]
            state.train_seconds = time.perf_counter() - t0
            if it % cfg.save_every == 0 or it == cfg.ppo.iterations or auditor.should_stop:
                save_checkpoint(
                    run_dir.path / "checkpoints",
                    it,
                    models.policy,
                    models.optimizer,
                    models.scheduler,
                    asdict(state),
                    keep=cfg.keep_checkpoints,
                    extra_modules={"value": models.value},
                )
            bar.update(
                advance=1,
                status=f"rm {record['rm_score_mean']:+.2f} · gold {record['gold_score_mean']:.2f} · "
                f"k3 {record['kl_k3_mean']:.3f} · β {state.beta:.3f}",
            )
            if auditor.should_stop:
                ui.warn(
                    f"stopping at iteration {it}: the reward-model score rises while the gold score falls "
                    "on the same prompts"
                )
                break
    run_info = {
        "train_seconds": time.perf_counter() - t0,
        "stage_seconds": time.perf_counter() - started,
        "precision": precision,
        "device": str(device),
        "config_fingerprint": fingerprint(cfg),
    }
    summary = summarise(cfg, state, read_jsonl(run_dir.path / "metrics.jsonl"), auditor, len(rows), run_info)
    final = models.policy.merge_and_unload() if cfg.lora.enabled else models.policy
    run_dir.finish(final, tokenizer, summary)
    return summary
