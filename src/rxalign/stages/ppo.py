"""Stage 4 recipe: PPO against the reward-model ensemble with a KL penalty to the SFT reference.

One iteration: sample one response per prompt (pure sampling at temperature T, KV cache, stop at EOS) →
score log-probs at the same T under the policy and the frozen reference, values under the value model, and
the response with the reward ensemble (reward on the last real token, never a pad) → per-token rewards
(−β·k1 per token when KL is in the reward) → GAE → several epochs of clipped policy and value updates →
adaptive β (Ziegler et al. 2019) → metrics, gold score from the grader, reward-hacking audit. Everything
(policy, value model, optimiser, controller, RNG, iteration) is checkpointed for exact resume.

Prompts are visited in one seeded order, cycled: any P consecutive samples (P prompts) hold every prompt once,
so the first and last passes are comparable. Before the first update the SFT policy answers every prompt the
run will visit (`sft_baseline`): the audit compares later answers with it prompt by prompt.

summary.json: `gold_score_first`/`_last` and `rm_score_first`/`_last` are means over the first and the last
pass over the prompts (`pass_samples` samples each, every prompt once), not single iterations;
`gold_score_sft`/`rm_score_sft` the SFT baseline's; `kl_k3_mean`/`_max` and `kl_k1_min` over the per-iteration
means; `rm_gold_correlation` (per-iteration means; confounded by which prompts a batch holds) and
`rm_gold_gain_correlation` (per-iteration gains over the SFT answer to the same prompt) say whether reward-model
and gold scores rise together; `rm_gold_pair_agreement` is the ensemble's pairwise accuracy against the grader
on the policy's own answers (each vs the SFT answer to its prompt; 0.5 = chance).
"""

from __future__ import annotations

import copy
import math
import time

import torch
from accelerate.utils import set_seed

from rxalign import ui
from rxalign.config import PPOConfig, fingerprint
from rxalign.data.kb import load_kb
from rxalign.errors import UserError
from rxalign.eval.audit import AuditConfig, IterationAuditor, Sample, SampleAudit, sample_audit
from rxalign.eval.grader import grade
from rxalign.io import read_jsonl
from rxalign.losses import (
    adaptive_kl_beta,
    gae,
    kl_estimators,
    masked_mean,
    ppo_policy_loss,
    ppo_value_loss,
    whiten,
)
from rxalign.models.generation import rollout
from rxalign.models.heads import RewardEnsemble, load_reward_model
from rxalign.models.load import apply_lora, check_model_dir, load_causal_lm, load_tokenizer
from rxalign.models.logprobs import positions, response_logprobs
from rxalign.stages import begin, records
from rxalign.train.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from rxalign.train.metrics import MetricsLog, peak_memory_mb, reset_peak_memory

K1_PROBLEM = -0.01  # a mean k1 below this over an iteration means sampling and scoring disagree


# ---- log-probs and values on (prompt + response) sequences ---------------------------------------------------


def response_values(value_model, input_ids, attention_mask, prompt_width: int) -> torch.Tensor:
    """(B, R) value of the state before each response token (the value head at the same positions as the logits)."""
    hidden = value_model.base_model(
        input_ids=input_ids, attention_mask=attention_mask, position_ids=positions(attention_mask)
    ).last_hidden_state
    return value_model.score(hidden[:, prompt_width - 1 : -1, :]).squeeze(-1).float()


def token_rewards(
    score: torch.Tensor, k1: torch.Tensor, response_mask: torch.Tensor, beta: float
) -> torch.Tensor:
    """Per-token rewards (B, R): −β·k1 on every response token, plus the sequence score on the LAST REAL token
    (the EOS, or the last token of a response cut at max_new_tokens), never on a pad (Ziegler et al. 2019)."""
    rewards = -beta * k1 * response_mask
    last = (response_mask.sum(-1).long() - 1).clamp(min=0)  # responses are right-padded
    rewards[torch.arange(len(rewards)), last] += score
    return rewards


def explained_variance(values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor) -> float:
    var_returns = masked_mean((returns - masked_mean(returns, mask)) ** 2, mask)
    residual = returns - values
    var_residual = masked_mean((residual - masked_mean(residual, mask)) ** 2, mask)
    return float(1 - var_residual / var_returns) if var_returns > 0 else float("nan")


class RunningStd:
    """Welford running mean/variance of scalar scores (for optional reward normalisation)."""

    def __init__(self, n: int = 0, mean: float = 0.0, m2: float = 0.0):
        self.n, self.mean, self.m2 = n, mean, m2

    def update(self, x: torch.Tensor) -> None:
        for v in x.tolist():
            self.n += 1
            delta = v - self.mean
            self.mean += delta / self.n
            self.m2 += delta * (v - self.mean)

    @property
    def std(self) -> float:
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else 1.0


# ---- rollouts --------------------------------------------------------------------------------------------------


@torch.no_grad()
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


def run(cfg: PPOConfig, resume: bool = False) -> dict:
    started = time.perf_counter()
    accelerator, precision, run_dir, done = begin(cfg, resume, cfg.precision)
    if done:
        return done
    if accelerator.num_processes > 1:
        raise UserError("ppo: runs in one process for now; launch it without torchrun/accelerate launch")
    check_model_dir(cfg.policy_path, "policy_path")
    if not (cfg.reward_path / "ensemble.json").is_file():
        raise UserError(f"reward_path: {cfg.reward_path} is not a reward ensemble (no ensemble.json)")
    prompts = load_prompts(cfg)
    tokenizer = load_tokenizer(cfg.policy_path, "policy_path")
    if (
        not tokenizer.chat_template
        or tokenizer.pad_token_id is None
        or tokenizer.pad_token_id == tokenizer.eos_token_id
    ):
        raise UserError(
            f"policy_path: {cfg.policy_path} needs a chat template and a pad token distinct from EOS"
        )
    device = accelerator.device
    kb = load_kb()

    set_seed(cfg.seed)
    policy = load_causal_lm(cfg.policy_path, "policy_path").to(device)
    if cfg.lora.enabled:
        policy = apply_lora(policy, cfg.lora)
        reference = None  # the policy with its adapter switched off
    else:
        reference = copy.deepcopy(policy).eval().requires_grad_(False)
    ensemble = RewardEnsemble.load(cfg.reward_path, device)
    for m in ensemble.members:
        m.requires_grad_(False)
    value_src = cfg.reward_path / "member-0" if cfg.ppo.value_init == "reward" else cfg.policy_path
    value_model = load_reward_model(value_src, field="value model", seed=cfg.seed).to(device)
    value_model.config.pad_token_id = tokenizer.pad_token_id
    # Dropout off everywhere: sampling, scoring and updates must see the same function.
    for m in (policy, value_model, *ensemble.members, *([reference] if reference is not None else [])):
        m.eval()

    groups = [
        {"params": [p for p in policy.parameters() if p.requires_grad], "lr": cfg.ppo.lr},
        {"params": [p for p in value_model.parameters() if p.requires_grad], "lr": cfg.ppo.value_lr},
    ]
    optimizer = torch.optim.AdamW(groups, weight_decay=0.0, betas=(0.9, 0.95))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0)
    n = cfg.ppo.prompts_per_iteration
    order = prompt_order(len(prompts), cfg.seed)
    state = {
        "iteration": 0,
        "beta": cfg.kl.beta,
        "score_stats": [0, 0.0, 0.0],
        "baseline": None,  # {"texts": {prompt key: SFT answer}, "audit": SampleAudit json}
        "baseline_texts": [],  # without an SFT baseline pass: the first batch's answers
        "audit": [],
        "train_seconds": 0.0,
    }
    log = MetricsLog(run_dir.path / "metrics.jsonl")
    ckpt_root = run_dir.path / "checkpoints"
    auditor = IterationAuditor(
        AuditConfig(window=cfg.audit_window, stop_on_divergence=cfg.stop_on_divergence)
    )
    checkpoints = list_checkpoints(ckpt_root) if run_dir.resuming else []
    if checkpoints:
        state = load_checkpoint(
            checkpoints[-1], policy, optimizer, scheduler, extra_modules={"value": value_model}
        )
        log.truncate_after(state["iteration"])
        ui.info(f"resumed from {checkpoints[-1]} (iteration {state['iteration']})")
    else:
        run_dir.start(cfg)
        log.truncate_after(0)  # a run killed before its first checkpoint starts over from a clean log
    reset_peak_memory(device.type)  # the loop's own peak, not loading's
    t0 = time.perf_counter() - state["train_seconds"]

    def reference_logprobs(ids, mask, width):
        if reference is not None:
            return response_logprobs(reference, ids, mask, width, cfg.ppo.temperature)
        with policy.disable_adapter():
            return response_logprobs(policy, ids, mask, width, cfg.ppo.temperature)

    def answer(indices: list[int]):
        """Sample one answer per prompt; score it with the ensemble (reward on the last real token: the ensemble
        reads prompt + response up to its EOS) and the gold grader."""
        batch_rows = [prompts[i] for i in indices]
        ids, mask, width, resp_mask, ended = rollout(
            policy,
            tokenizer,
            [r["prompt"] for r in batch_rows],
            temperature=cfg.ppo.temperature,
            max_new_tokens=cfg.ppo.max_new_tokens,
            device=device,
        )
        with torch.no_grad():
            seqs = [row[m.bool()].tolist() for row, m in zip(ids, mask, strict=True)]
            scores_k = ensemble.score_ids(seqs)  # (K, B)
        responses = [
            tokenizer.decode(row[width:][m.bool()], skip_special_tokens=True)
            for row, m in zip(ids, resp_mask, strict=True)
        ]
        gold = [grade(r["truth"], a, kb).score for r, a in zip(batch_rows, responses, strict=True)]
        samples = [
            Sample(text=a, rm_mean=float(mu), rm_std=float(sd), gold=g, n_tokens=int(L), prompt=str(i))
            for a, mu, sd, g, L, i in zip(
                responses, scores_k.mean, scores_k.std, gold, resp_mask.sum(-1), indices, strict=True
            )
        ]
        return (ids, mask, width, resp_mask, ended), scores_k, samples

    if cfg.sft_baseline and state["baseline"] is None:
        # The SFT policy's answers to every prompt the run will visit, before any update (the audit's paired
        # baseline). Checkpointed with the state, so a resumed run never redoes it.
        visited = list(dict.fromkeys(order[i % len(order)] for i in range(cfg.ppo.iterations * n)))
        base: list[Sample] = []
        with ui.progress("ppo: SFT baseline answers", total=len(visited)) as bar:
            for s in range(0, len(visited), n):
                base += answer(visited[s : s + n])[2]
                bar.update(advance=len(visited[s : s + n]))
        state["baseline"] = {
            "texts": {b.prompt: b.text for b in base},
            "audit": sample_audit(base, {b.prompt: b.text for b in base}).to_json(),
        }
    if state["baseline"] is not None:
        auditor.observe(0, SampleAudit.from_json(state["baseline"]["audit"]))
    for a in state["audit"]:  # replay the audit history, so its windows continue exactly
        auditor.update(a["iteration"], SampleAudit.from_json(a["audit"]))
    score_stats = RunningStd(*state["score_stats"])
    beta = state["beta"]
    last: dict = {}
    warned: set[str] = set()

    with ui.progress("ppo", total=cfg.ppo.iterations, completed=state["iteration"]) as bar:
        for it in range(state["iteration"] + 1, cfg.ppo.iterations + 1):
            tick = time.perf_counter()
            # -- rollout ------------------------------------------------------------------------------------------
            (ids, mask, width, resp_mask, ended), scores_k, samples = answer(batch_indices(order, it, n))
            resp_mask_f = resp_mask.float()
            with torch.no_grad():
                old_logprobs = response_logprobs(policy, ids, mask, width, cfg.ppo.temperature) * resp_mask_f
                ref_logprobs = reference_logprobs(ids, mask, width) * resp_mask_f
                old_values = response_values(value_model, ids, mask, width) * resp_mask_f
            rm_scores = scores_k.aggregate(cfg.reward.aggregate, cfg.reward.lcb_lambda).to(device)
            score = rm_scores + cfg.reward.missing_eos_penalty * (~ended).float()
            if cfg.reward.normalize:
                score_stats.update(score.cpu())
                score = score / score_stats.std
            if cfg.reward.clip is not None:
                score = score.clamp(-cfg.reward.clip, cfg.reward.clip)

            kl = kl_estimators(old_logprobs, ref_logprobs)
            kl = {k: v * resp_mask_f for k, v in kl.items()}
            lengths = resp_mask.sum(-1)
            rewards = token_rewards(score, kl["k1"], resp_mask_f, beta if cfg.kl.mode == "reward_k1" else 0.0)
            advantages, returns = gae(rewards, old_values, resp_mask_f, cfg.ppo.gamma, cfg.ppo.lam)
            if cfg.ppo.whiten_advantages:
                advantages = whiten(advantages, resp_mask_f)

            # -- PPO epochs ---------------------------------------------------------------------------------------
            stats = {
                "policy_loss": 0.0,
                "value_loss": 0.0,
                "clipfrac": 0.0,
                "approx_kl": 0.0,
                "entropy": 0.0,
                "value_clipfrac": 0.0,
                "tokens": 0.0,
                "kl_loss": 0.0,
            }
            for _ in range(cfg.ppo.epochs):
                # the global RNG: checkpointed, so a resumed run draws the same order
                perm = torch.randperm(n)
                for s in range(0, n, cfg.ppo.minibatch_size):
                    mb = perm[s : s + cfg.ppo.minibatch_size].to(device)
                    m = resp_mask_f[mb]
                    n_tok = m.sum()
                    logprobs, entropy = response_logprobs(
                        policy, ids[mb], mask[mb], width, cfg.ppo.temperature, with_entropy=True
                    )
                    pg_sum, clipped, approx_kl = ppo_policy_loss(
                        logprobs, old_logprobs[mb], advantages[mb], m, cfg.ppo.clip_range
                    )
                    values = response_values(value_model, ids[mb], mask[mb], width)
                    vf_sum, v_clipped = ppo_value_loss(
                        values, old_values[mb], returns[mb], m, cfg.ppo.value_clip_range
                    )
                    loss = (
                        pg_sum + cfg.ppo.vf_coef * vf_sum - cfg.ppo.entropy_coef * (entropy * m).sum()
                    ) / n_tok
                    if cfg.kl.mode == "loss_k3":
                        k3 = kl_estimators(logprobs, ref_logprobs[mb])["k3"]
                        kl_term = (k3 * m).sum() / n_tok
                        loss = loss + beta * kl_term
                        stats["kl_loss"] += kl_term.item() * n_tok.item()
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(
                        [p for g in groups for p in g["params"]], cfg.ppo.max_grad_norm
                    )
                    optimizer.step()
                    for key, v in (
                        ("policy_loss", pg_sum),
                        ("value_loss", vf_sum),
                        ("clipfrac", clipped),
                        ("approx_kl", approx_kl),
                        ("entropy", (entropy.detach() * m).sum()),
                        ("value_clipfrac", v_clipped),
                        ("tokens", n_tok),
                    ):
                        stats[key] += v.item()

            # -- controller, metrics, audit -----------------------------------------------------------------------
            n_resp_tokens = resp_mask_f.sum().item()
            k1_mean = kl["k1"].sum().item() / n_resp_tokens
            k3_mean = kl["k3"].sum().item() / n_resp_tokens
            if cfg.kl.adaptive:
                beta = adaptive_kl_beta(beta, k1_mean, cfg.kl.target, n, cfg.kl.horizon)
            if state["baseline"] is None and not state["baseline_texts"]:
                # no SFT baseline pass: the first batch's answers are the keyword base rates (unpaired)
                state["baseline_texts"] = [s_.text for s_ in samples]
            keyword_baseline = (
                state["baseline"]["texts"] if state["baseline"] is not None else state["baseline_texts"]
            )
            audit = sample_audit(samples, keyword_baseline)
            flags = auditor.update(it, audit)
            state["audit"].append({"iteration": it, "audit": audit.to_json()})
            rm_gain, gold_gain = auditor.gains()[-1]
            elapsed = time.perf_counter() - tick
            tokens = stats.pop("tokens")
            gold = [s_.gold for s_ in samples]
            record = {
                "iteration": it,
                "step": it,
                "rm_score_mean": scores_k.mean.mean().item(),
                "rm_score_std": scores_k.mean.std().item(),
                "rm_ensemble_spread": scores_k.std.mean().item(),
                "reward_used_mean": score.mean().item(),
                "gold_score_mean": sum(gold) / len(gold),
                "rm_score_gain": rm_gain,
                "gold_score_gain": gold_gain,
                "rm_gold_pair_agreement": auditor.history[-1]["rm_gold_pair_agreement"],
                "kl_k1_mean": k1_mean,
                "kl_k3_mean": k3_mean,
                "kl_k2_mean": kl["k2"].sum().item() / n_resp_tokens,
                "kl_k1_per_sequence": kl["k1"].sum().item() / n,
                "beta": beta,
                **{k: v / tokens for k, v in stats.items()},
                "explained_variance": explained_variance(old_values, returns, resp_mask_f),
                "response_length_mean": lengths.float().mean().item(),
                "eos_rate": ended.float().mean().item(),
                "tokens_per_s": float(mask.sum().item() * (1 + cfg.ppo.epochs)) / elapsed,
                "peak_memory_mb": peak_memory_mb(device.type),
                "elapsed_s": time.perf_counter() - t0,
                "audit_flags": [f.kind for f in flags],
            }
            if k1_mean < K1_PROBLEM:
                record["kl_problem"] = (
                    f"mean k1 {k1_mean:.4f} < {K1_PROBLEM}: true KL is never negative; sampling and "
                    "scoring disagree (temperature, top-k/top-p, dropout, or padding/position ids)"
                )
                ui.warn(f"iteration {it}: {record['kl_problem']}")
            for f in flags:  # every flag is in metrics.jsonl; the console hears of each kind once
                if f.kind not in warned:
                    warned.add(f.kind)
                    ui.warn(
                        f"iteration {it}: audit: {f.message} (further '{f.kind}' flags only in metrics.jsonl)"
                    )
            log.write(record)
            last = record
            state.update(
                iteration=it,
                beta=beta,
                score_stats=[score_stats.n, score_stats.mean, score_stats.m2],
                train_seconds=time.perf_counter() - t0,
            )
            stop = auditor.should_stop
            if it % cfg.save_every == 0 or it == cfg.ppo.iterations or stop:
                save_checkpoint(
                    ckpt_root,
                    it,
                    policy,
                    optimizer,
                    scheduler,
                    state,
                    keep=cfg.keep_checkpoints,
                    extra_modules={"value": value_model},
                )
            bar.update(
                advance=1,
                status=f"rm {record['rm_score_mean']:+.2f} · gold {record['gold_score_mean']:.2f} · "
                f"k3 {k3_mean:.3f} · β {beta:.3f}",
            )
            if stop:
                ui.warn(
                    f"stopping at iteration {it}: the reward-model score rises while the gold score falls "
                    "on the same prompts"
                )
                break

    history = read_jsonl(run_dir.path / "metrics.jsonl")
    last = history[-1]  # from the log: a run resumed after its last checkpoint has no iteration left to run
    per_sample = [(p[1], p[2]) for a in state["audit"] for p in a["audit"]["per_prompt"]]
    audit_summary = auditor.summary()
    summary = {
        "stage": "ppo",
        "iterations": last["iteration"],
        "stopped_early": last["iteration"] < cfg.ppo.iterations,
        # first/last: means over the first and the last pass over the prompts (`pass_samples` samples each,
        # every prompt once), not single iterations: batches hold different prompts of very different difficulty
        **pass_means(per_sample, len(prompts)),
        "kl_k3_mean": sum(h["kl_k3_mean"] for h in history) / len(history),
        "kl_k3_max": max(h["kl_k3_mean"] for h in history),
        "kl_k1_min": min(h["kl_k1_mean"] for h in history),
        "kl_target": cfg.kl.target,
        "beta_final": last["beta"],
        "rm_gold_correlation": audit_summary["rm_gold_corr"],
        "rm_gold_gain_correlation": audit_summary["rm_gold_gain_corr"],
        "rm_gold_pair_agreement": audit_summary["rm_gold_pair_agreement"],
        "rm_gold_pair_agreement_last_window": audit_summary["rm_gold_pair_agreement_last_window"],
        "audit_flag_counts": audit_summary["counts"],
        "eos_rate_last": last["eos_rate"],
        "train_seconds": time.perf_counter() - t0,
        "stage_seconds": time.perf_counter() - started,
        "precision": precision,
        "device": str(device),
        "config_fingerprint": fingerprint(cfg),
    }
    if state["baseline"] is not None:
        base = state["baseline"]["audit"]
        summary.update(
            rm_score_sft=base["mean_rm"], gold_score_sft=base["mean_gold"], sft_baseline_n=base["n"]
        )
    final = policy.merge_and_unload() if cfg.lora.enabled else policy
    run_dir.finish(final, tokenizer, summary)
    return summary
