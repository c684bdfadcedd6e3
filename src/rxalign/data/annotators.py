"""Simulated annotators who label preference pairs (with flips, length/keyword bias and noise), and their agreement.

Agreement is Fleiss' κ over a batch of items with Landis & Koch (1977) bands; batches below a κ threshold are flagged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator
from statsmodels.stats.inter_rater import fleiss_kappa as _sm_fleiss_kappa


class AnnotatorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_annotators: int = Field(3, ge=3, description="annotators per pair; odd so that the majority is defined")
    flip_rate: float = Field(
        0.1, ge=0.0, le=1.0, description="probability that an annotator's vote is flipped at random"
    )
    length_bias: float = Field(0.0, description="utility added per 100 characters of response length")
    keyword_bias: float = Field(0.0, description="utility added per occurrence of a keyword in the response")
    keywords: list[str] = Field(
        default_factory=lambda: ["CONTRAINDICATED"],
        description="keywords that earn `keyword_bias` (case-sensitive, counted without overlap)",
    )
    noise_sd: float = Field(
        0.0, ge=0.0, description="sd of Gaussian noise on each annotator's perceived utility"
    )
    kappa_threshold: float = Field(
        0.6, ge=-1.0, le=1.0, description="a batch whose Fleiss' kappa is below this is flagged"
    )
    batch_size: int = Field(50, ge=1, description="items per agreement batch (kappa is not defined per item)")

    @field_validator("n_annotators")
    @classmethod
    def _odd(cls, v: int) -> int:
        if v % 2 == 0:
            raise ValueError(f"must be odd so that the majority is defined, got {v}")
        return v


def perceived_utility(gold: float, text: str, cfg: AnnotatorConfig) -> float:
    """Gold utility plus the annotators' shared biases (before per-annotator noise)."""
    count = sum(text.count(k) for k in cfg.keywords if k)
    return gold + cfg.length_bias * len(text) / 100 + cfg.keyword_bias * count


def simulate_votes(
    gold_a: float, gold_b: float, text_a: str, text_b: str, cfg: AnnotatorConfig, rng: np.random.Generator
) -> list[int]:
    """One vote per annotator in the presentation frame: 0 = A (shown first), 1 = B (shown second).

    Each annotator compares noisy perceived utilities (ties broken at random), then flips the vote with
    probability `flip_rate`.
    """
    n = cfg.n_annotators
    u = np.array([perceived_utility(gold_a, text_a, cfg), perceived_utility(gold_b, text_b, cfg)])
    u = u + rng.normal(0.0, cfg.noise_sd, size=(n, 2))
    tie_break = rng.integers(0, 2, size=n)
    votes = np.where(u[:, 1] > u[:, 0], 1, np.where(u[:, 1] < u[:, 0], 0, tie_break))
    flips = rng.random(n) < cfg.flip_rate
    return [int(v) for v in np.where(flips, 1 - votes, votes)]


def majority(votes: Sequence[int]) -> int:
    """The option (0 or 1) chosen by more than half of the votes; needs an odd number of votes."""
    if len(votes) % 2 == 0:
        raise ValueError(f"majority needs an odd number of votes, got {len(votes)}")
    return int(2 * sum(votes) > len(votes))


def counts_table(votes: Sequence[Sequence[int]], n_categories: int = 2) -> np.ndarray:
    """Items x raters votes -> items x categories count table."""
    v = np.asarray(votes, dtype=int)
    if v.ndim != 2 or v.shape[0] == 0 or v.shape[1] < 2:
        raise ValueError(f"votes must be items x raters with >= 1 item and >= 2 raters, got shape {v.shape}")
    if v.min() < 0 or v.max() >= n_categories:
        raise ValueError(f"votes must lie in 0..{n_categories - 1}")
    return np.stack([np.bincount(row, minlength=n_categories) for row in v])


def _check_table(counts: np.ndarray) -> tuple[np.ndarray, int]:
    t = np.asarray(counts, dtype=float)
    if t.ndim != 2 or t.shape[0] == 0:
        raise ValueError(f"counts must be a non-empty items x categories table, got shape {t.shape}")
    n = t.sum(1)
    if (t < 0).any() or not np.all(n == n[0]) or n[0] < 2:
        raise ValueError("every item needs the same number (>= 2) of non-negative ratings")
    return t, int(n[0])


def observed_agreement(counts: np.ndarray) -> float:
    """Fleiss' P-bar: mean over items of the share of rater pairs that agree (P_i)."""
    t, n = _check_table(counts)
    return float((((t * t).sum(1) - n) / (n * (n - 1))).mean())


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa of an items x categories count table (statsmodels, method="fleiss").

    Degenerate case: when every rating falls in one category, chance agreement P_e is 1 and kappa is 0/0.
    Every item is then unanimous, so we return 1.0 (perfect agreement) rather than NaN.
    """
    t, _ = _check_table(counts)
    p = t.sum(0) / t.sum()
    if math.isclose(float((p * p).sum()), 1.0):
        return 1.0
    return float(_sm_fleiss_kappa(t, method="fleiss"))


# Landis & Koch (1977) on floats: each band is (lower, upper], "slight" also takes 0.0 itself.
BANDS = [(0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial")]


def landis_koch_band(kappa: float) -> str:
    """poor < 0 <= slight <= 0.20 < fair <= 0.40 < moderate <= 0.60 < substantial <= 0.80 < almost perfect."""
    if math.isnan(kappa):
        raise ValueError("kappa is NaN")
    if kappa < 0:
        return "poor"
    for upper, name in BANDS:
        if kappa <= upper:
            return name
    return "almost perfect"


@dataclass(frozen=True)
class Agreement:
    kappa: float
    raw_agreement: float
    band: str
    n_items: int
    n_raters: int
    passes_threshold: bool


def agreement(votes: Sequence[Sequence[int]], threshold: float = 0.6) -> Agreement:
    """Fleiss' kappa and observed agreement P-bar of items x raters binary votes (presentation frame)."""
    table = counts_table(votes)
    kappa = fleiss_kappa(table)
    return Agreement(
        kappa=kappa,
        raw_agreement=observed_agreement(table),
        band=landis_koch_band(kappa),
        n_items=table.shape[0],
        n_raters=int(table[0].sum()),
        passes_threshold=kappa >= threshold,
    )


def batch_agreements(
    votes: Sequence[Sequence[int]], batch_size: int = 50, threshold: float = 0.6
) -> list[Agreement]:
    """Agreement over consecutive batches of items (the last batch may be short)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return [agreement(votes[i : i + batch_size], threshold) for i in range(0, len(votes), batch_size)]
