"""Simulated annotators and Fleiss' kappa against a published example and against derived expectations."""

import math

import numpy as np
import pytest
from pydantic import ValidationError

from rxalign.data.annotators import (
    AnnotatorConfig,
    agreement,
    batch_agreements,
    fleiss_kappa,
    landis_koch_band,
    majority,
    observed_agreement,
    simulate_votes,
)

# Wikipedia "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories.
WIKI = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def test_fleiss_kappa_matches_published_example():
    p_j = WIKI.sum(0) / WIKI.sum()
    p_e = float((p_j**2).sum())
    assert round(p_e, 3) == 0.213
    assert round(observed_agreement(WIKI), 3) == 0.378
    assert round(fleiss_kappa(WIKI), 3) == 0.210


def test_fleiss_kappa_degenerate_and_invalid_tables():
    assert fleiss_kappa(np.array([[3, 0], [3, 0]])) == 1.0  # one category only: P_e = 1
    assert fleiss_kappa(np.array([[3, 0], [0, 3]])) == 1.0
    with pytest.raises(ValueError):
        fleiss_kappa(np.array([[3, 0], [1, 1]]))  # unequal raters per item


def _votes(n, cfg, seed, gold=None, texts=("a", "b")):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        ga, gb = rng.normal(size=2) if gold is None else gold
        out.append(simulate_votes(ga, gb, texts[0], texts[1], cfg, rng))
    return out


def test_no_flips_no_bias_is_perfect_agreement():
    votes = _votes(200, AnnotatorConfig(flip_rate=0.0), seed=0)
    a = agreement(votes)
    assert a.kappa == 1.0 and a.raw_agreement == 1.0
    assert (a.band, a.n_items, a.n_raters, a.passes_threshold) == ("almost perfect", 200, 3, True)


def test_flip_rate_lowers_kappa_as_derived():
    # All 3 raters start from the same true vote; each flips independently with p. Per item, Fleiss'
    # P_i = (sum_j n_j^2 - 3) / 6 is 1 when unanimous (3-0) and (4 + 1 - 3) / 6 = 1/3 when split (2-1).
    # P(split) = 3p(1-p), so E[P-bar] = 1 - 3p(1-p) * (1 - 1/3) = 1 - 2p(1-p) = 0.58 at p = 0.3.
    # Gold is symmetric, so each category has share 1/2 and P_e = 1/2: kappa = (P-bar - 1/2) / (1/2)
    # = 1 - 4p(1-p) = (1 - 2p)^2 = 0.16. Over 2,000 items sd(P-bar) ~ 0.007 and sd(kappa) ~ 0.015.
    p = 0.3
    a = agreement(_votes(2000, AnnotatorConfig(flip_rate=p), seed=1))
    assert a.raw_agreement == pytest.approx(1 - 2 * p * (1 - p), abs=0.03)
    assert a.kappa == pytest.approx((1 - 2 * p) ** 2, abs=0.06)
    assert a.kappa < 0.3 and not a.passes_threshold and a.band == "slight"


def _rate_second(cfg, text_a, text_b, n=2000, seed=2):
    """Share of votes for the second of two equal-gold responses, with each shown first half the time."""
    rng = np.random.default_rng(seed)
    hits = 0
    for i in range(n):
        if i % 2 == 0:
            hits += sum(simulate_votes(0.0, 0.0, text_a, text_b, cfg, rng))
        else:
            hits += sum(1 - v for v in simulate_votes(0.0, 0.0, text_b, text_a, cfg, rng))
    return hits / (n * cfg.n_annotators)


def test_length_bias_prefers_longer_response():
    # Equal gold; B is 300 characters longer, so its utility is 0.5 * 3 = 1.5 higher. The difference of two
    # N(0, 1) noises is N(0, 2): P(vote B) = Phi(1.5 / sqrt 2) = 0.855.
    short, long = "x" * 100, "x" * 400
    base = dict(flip_rate=0.0, noise_sd=1.0)
    assert _rate_second(AnnotatorConfig(**base), short, long) == pytest.approx(0.5, abs=0.03)
    phi = 0.5 * (1 + math.erf(1.5 / math.sqrt(2) / math.sqrt(2)))
    rate = _rate_second(AnnotatorConfig(length_bias=0.5, **base), short, long)
    assert rate == pytest.approx(phi, abs=0.03)


def test_keyword_bias_prefers_keyword_stuffed_response():
    # Two case-sensitive hits at bias 1.0 add 2.0: P(vote B) = Phi(2 / sqrt 2) = 0.921.
    plain = "Avoid with nitrates."
    stuffed = "CONTRAINDICATED. CONTRAINDICATED"
    base = dict(flip_rate=0.0, noise_sd=1.0, keyword_bias=1.0)
    phi = 0.5 * (1 + math.erf(2.0 / math.sqrt(2) / math.sqrt(2)))
    assert _rate_second(AnnotatorConfig(**base), plain, stuffed) == pytest.approx(phi, abs=0.03)
    lower = _rate_second(AnnotatorConfig(**base), plain, stuffed.lower())
    assert lower == pytest.approx(0.5, abs=0.03)  # case-sensitive: no bias


def test_flip_rate_zero_without_noise_follows_gold():
    cfg = AnnotatorConfig(flip_rate=0.0)
    rng = np.random.default_rng(0)
    assert simulate_votes(1.0, 0.0, "a", "b", cfg, rng) == [0, 0, 0]
    assert simulate_votes(0.0, 1.0, "a", "b", cfg, rng) == [1, 1, 1]


@pytest.mark.parametrize(
    "kappa,band",
    [
        (-0.01, "poor"),
        (-1.0, "poor"),
        (0.0, "slight"),
        (0.20, "slight"),
        (math.nextafter(0.20, 1), "fair"),
        (0.21, "fair"),
        (0.40, "fair"),
        (math.nextafter(0.40, 1), "moderate"),
        (0.60, "moderate"),
        (math.nextafter(0.60, 1), "substantial"),
        (0.80, "substantial"),
        (math.nextafter(0.80, 1), "almost perfect"),
        (1.0, "almost perfect"),
    ],
)
def test_landis_koch_bands(kappa, band):
    assert landis_koch_band(kappa) == band


def test_majority_and_batches():
    assert majority([0, 1, 1]) == 1 and majority([0, 0, 1]) == 0
    with pytest.raises(ValueError):
        majority([0, 1])
    votes = [[0, 0, 0]] * 60 + [[0, 1, 1], [1, 0, 0]] * 20
    batches = batch_agreements(votes, batch_size=50, threshold=0.6)
    assert [b.n_items for b in batches] == [50, 50]
    assert batches[0].passes_threshold and not batches[1].passes_threshold


def test_config_validation():
    with pytest.raises(ValidationError):
        AnnotatorConfig(n_annotators=4)
    with pytest.raises(ValidationError):
        AnnotatorConfig(bogus=1)


def test_deterministic_for_a_seed():
    cfg = AnnotatorConfig(flip_rate=0.2, noise_sd=0.5, length_bias=0.1)
    assert _votes(100, cfg, seed=5) == _votes(100, cfg, seed=5)
    assert _votes(100, cfg, seed=5) != _votes(100, cfg, seed=6)
