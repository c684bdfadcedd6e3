"""PPO's typed records and its phases: load the models, sample (rollout), score (log-probs, values, rewards,
GAE), update (clipped policy and value epochs)."""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass, field

import torch
from accelerate.utils import set_seed

from rxalign.config import PPOConfig
from rxalign.eval.audit import Sample
from rxalign.eval.grader import grade
from rxalign.losses import (
    gae,
    kl_estimators,
    masked_mean,
    ppo_policy_loss,
    ppo_value_loss,
    whiten,
)
from rxalign.models.generation import rollout
from rxalign.models.heads import EnsembleScores, RewardEnsemble, load_reward_model
from rxalign.models.load import apply_lora, load_causal_lm
from rxalign.models.logprobs import positions, response_logprobs

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


# ---- typed records ---------------------------------------------------------------------------------------------


@dataclass
class PPOState:
    """Everything a checkpoint holds besides the weights and the optimiser (saved as trainer_state.json)."""

    iteration: int = 0
    beta: float = 0.0
    score_stats: list = field(default_factory=lambda: [0, 0.0, 0.0])  # RunningStd (n, mean, m2)
    baseline: dict | None = None  # {"texts": {prompt key: SFT answer}, "audit": SampleAudit json}
    baseline_texts: list = field(
        default_factory=list
    )  # without an SFT baseline pass: the first batch's answers
    audit: list = field(default_factory=list)  # [{"iteration", "audit"}] per iteration, replayed on resume
    train_seconds: float = 0.0

    @classmethod
    def from_json(cls, saved: dict) -> PPOState:
        return cls(**{f: saved[f] for f in cls.__dataclass_fields__})


@dataclass
class Models:
    """The four networks of a PPO run and the one optimiser over the policy and the value model."""

    policy: torch.nn.Module
    reference: torch.nn.Module | None  # None with LoRA: the policy with its adapter switched off
    value: torch.nn.Module
    ensemble: RewardEnsemble
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler

    def trainable(self) -> list[torch.nn.Parameter]:
        return [p for g in self.optimizer.param_groups for p in g["params"]]


@dataclass
class Rollout:
    """One answer per prompt: [left-padded prompt (P) | right-padded response (R)] ids, the ensemble's scores and
    the gold grader's, as audit samples."""

    ids: torch.Tensor  # (B, P+R)
    mask: torch.Tensor  # (B, P+R)
    width: int  # P
    response_mask: torch.Tensor  # (B, R): 1 up to and including EOS
    ended: torch.Tensor  # (B,) reached EOS
    scores: EnsembleScores  # (K, B)
    samples: list[Sample]


@dataclass
class Scored:
    """A rollout scored under the policy before the update, the reference and the value model, turned into
    per-token rewards and GAE advantages."""

    old_logprobs: torch.Tensor  # (B, R)
    ref_logprobs: torch.Tensor
    old_values: torch.Tensor
    score: torch.Tensor  # (B,) the sequence reward used
    kl: dict[str, torch.Tensor]  # k1, k2, k3 per token
    advantages: torch.Tensor
    returns: torch.Tensor


@dataclass
class PPOStats:
    """Sums over one iteration's minibatch updates, per response token."""

    policy_loss: float = 0.0
    value_loss: float = 0.0
    clipfrac: float = 0.0
    approx_kl: float = 0.0
    entropy: float = 0.0
    value_clipfrac: float = 0.0
    tokens: float = 0.0
    kl_loss: float = 0.0

    def means(self) -> dict[str, float]:
        return {k: v / self.tokens for k, v in asdict(self).items() if k != "tokens"}


# ---- the phases ------------------------------------------------------------------------------------------------


def load_models(cfg: PPOConfig, tokenizer, device) -> Models:
    set_seed(cfg.seed)
    policy = load_causal_lm(cfg.policy_path, "policy_path").to(device)
    if cfg.lora.enabled:
        policy = apply_lora(policy, cfg.lora)
        reference = None
    else:
        reference = copy.deepcopy(policy).eval().requires_grad_(False)
    ensemble = RewardEnsemble.load(cfg.reward_path, device)
    for m in ensemble.members:
        m.requires_grad_(False)
    value_src = cfg.reward_path / "member-0" if cfg.ppo.value_init == "reward" else cfg.policy_path
    value = load_reward_model(value_src, field="value model", seed=cfg.seed).to(device)
    value.config.pad_token_id = tokenizer.pad_token_id
    # Dropout off everywhere: sampling, scoring and updates must see the same function.
    for m in (policy, value, *ensemble.members, *([reference] if reference is not None else [])):
        m.eval()
    groups = [
        {"params": [p for p in policy.parameters() if p.requires_grad], "lr": cfg.ppo.lr},
        {"params": [p for p in value.parameters() if p.requires_grad], "lr": cfg.ppo.value_lr},
    ]
    optimizer = torch.optim.AdamW(groups, weight_decay=0.0, betas=(0.9, 0.95))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0)
    return Models(policy, reference, value, ensemble, optimizer, scheduler)


def sample(
    models: Models, tokenizer, rows: list[dict], indices: list[int], cfg: PPOConfig, kb, device
) -> Rollout:
    """Sample one answer per prompt; score it with the ensemble (reward on the last real token: the ensemble
    reads prompt + response up to its EOS) and the gold grader."""
    batch = [rows[i] for i in indices]
    ids, mask, width, resp_mask, ended = rollout(
        models.policy,
        tokenizer,
        [r["prompt"] for r in batch],
        temperature=cfg.ppo.temperature,
        max_new_tokens=cfg.ppo.max_new_tokens,
        device=device,
    )
    with torch.no_grad():
        scores = models.ensemble.score_ids([row[m.bool()].tolist() for row, m in zip(ids, mask, strict=True)])
    responses = [
        tokenizer.decode(row[width:][m.bool()], skip_special_tokens=True)
        for row, m in zip(ids, resp_mask, strict=True)
    ]
    gold = [grade(r["truth"], a, kb).score for r, a in zip(batch, responses, strict=True)]
    samples = [
        Sample(text=a, rm_mean=float(mu), rm_std=float(sd), gold=g, n_tokens=int(L), prompt=str(i))
        for a, mu, sd, g, L, i in zip(
            responses, scores.mean, scores.std, gold, resp_mask.sum(-1), indices, strict=True
        )
    ]
    return Rollout(ids, mask, width, resp_mask, ended, scores, samples)


@torch.no_grad()
def score(models: Models, r: Rollout, cfg: PPOConfig, score_stats: RunningStd, beta: float) -> Scored:
    """Log-probs under the policy and the reference, values, the sequence reward (aggregate of the ensemble,
    missing-EOS penalty, optional normalisation and clipping), per-token rewards and GAE."""
    m = r.response_mask.float()
    T = cfg.ppo.temperature
    old_logprobs = response_logprobs(models.policy, r.ids, r.mask, r.width, T) * m
    if models.reference is not None:
        ref_logprobs = response_logprobs(models.reference, r.ids, r.mask, r.width, T) * m
    else:
        with models.policy.disable_adapter():
            ref_logprobs = response_logprobs(models.policy, r.ids, r.mask, r.width, T) * m
    old_values = response_values(models.value, r.ids, r.mask, r.width) * m
    seq = r.scores.aggregate(cfg.reward.aggregate, cfg.reward.lcb_lambda).to(m.device)
    seq = seq + cfg.reward.missing_eos_penalty * (~r.ended).float()
    if cfg.reward.normalize:
        score_stats.update(seq.cpu())
        seq = seq / score_stats.std
    if cfg.reward.clip is not None:
        seq = seq.clamp(-cfg.reward.clip, cfg.reward.clip)
    kl = {k: v * m for k, v in kl_estimators(old_logprobs, ref_logprobs).items()}
    rewards = token_rewards(seq, kl["k1"], m, beta if cfg.kl.mode == "reward_k1" else 0.0)
    advantages, returns = gae(rewards, old_values, m, cfg.ppo.gamma, cfg.ppo.lam)
    if cfg.ppo.whiten_advantages:
        advantages = whiten(advantages, m)
    return Scored(old_logprobs, ref_logprobs, old_values, seq, kl, advantages, returns)


def update(models: Models, r: Rollout, s: Scored, cfg: PPOConfig, beta: float) -> PPOStats:
    """`epochs` passes of clipped policy and value updates over shuffled minibatches (PPO, Schulman et al. 2017)."""
    stats = PPOStats()
    n, m_all = len(r.ids), r.response_mask.float()
    for _ in range(cfg.ppo.epochs):
        perm = torch.randperm(n)  # the global RNG: checkpointed, so a resumed run draws the same order
        for start in range(0, n, cfg.ppo.minibatch_size):
            mb = perm[start : start + cfg.ppo.minibatch_size].to(r.ids.device)
            m = m_all[mb]
            n_tok = m.sum()
            logprobs, entropy = response_logprobs(
                models.policy, r.ids[mb], r.mask[mb], r.width, cfg.ppo.temperature, with_entropy=True
            )
            pg_sum, clipped, approx_kl = ppo_policy_loss(
                logprobs, s.old_logprobs[mb], s.advantages[mb], m, cfg.ppo.clip_range
            )
            values = response_values(models.value, r.ids[mb], r.mask[mb], r.width)
            vf_sum, v_clipped = ppo_value_loss(
                values, s.old_values[mb], s.returns[mb], m, cfg.ppo.value_clip_range
            )
            loss = (pg_sum + cfg.ppo.vf_coef * vf_sum - cfg.ppo.entropy_coef * (entropy * m).sum()) / n_tok
            if cfg.kl.mode == "loss_k3":
                kl_term = (kl_estimators(logprobs, s.ref_logprobs[mb])["k3"] * m).sum() / n_tok
                loss = loss + beta * kl_term
                stats.kl_loss += kl_term.item() * n_tok.item()
            models.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(models.trainable(), cfg.ppo.max_grad_norm)
            models.optimizer.step()
            stats.policy_loss += pg_sum.item()
            stats.value_loss += vf_sum.item()
            stats.clipfrac += clipped.item()
            stats.approx_kl += approx_kl.item()
            stats.entropy += (entropy.detach() * m).sum().item()
            stats.value_clipfrac += v_clipped.item()
            stats.tokens += n_tok.item()
    return stats
