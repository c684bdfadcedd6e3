"""Reward-hacking audit on hand-made batches and PPO histories whose answers are known in advance."""

import json
import math

import pytest
from pydantic import ValidationError

from rxalign.eval.audit import (
    AuditConfig,
    IterationAuditor,
    Sample,
    SampleAudit,
    keyword_hits,
    keyword_rise_p,
    paired_keyword_rise_p,
    paired_slope,
    pearson,
    sample_audit,
    smoothed_ratio,
    spearman,
    window_slopes,
)

OFFSETS = [-2, -1, 0, 1, 2]
TOKENS = [200, 100, 300, 100, 200]  # sum((o - 0) * t) = 0: length uncorrelated with the scores
TEXT = "Take with food and monitor potassium."


def batch(rm: float, gold: float, rm_std: float = 0.2) -> list[Sample]:
    """Five samples around (rm, gold); within the batch RM tracks gold and ignores length."""
    return [
        Sample(TEXT, rm + 0.1 * o, rm_std, gold + o, n_tokens=t) for o, t in zip(OFFSETS, TOKENS, strict=True)
    ]


def means(rm: float, gold: float, rm_std: float = 0.2) -> SampleAudit:
    """A per-iteration summary without batch-level statistics."""
    return SampleAudit(mean_rm=rm, mean_gold=gold, mean_rm_std=rm_std, mean_length=200.0)


def hacked_gold(i: int) -> float:
    """Gold rises 0.2/iteration up to iteration 5, then falls 0.5/iteration."""
    return 5 + 0.2 * i if i <= 5 else 6 - 0.5 * (i - 5)


def kinds(flags) -> list[str]:
    return [f.kind for f in flags]


# ----------------------------------------------------------------------------- pure statistics


def test_slopes_by_hand():
    assert window_slopes([1, 2, 4], 3) == pytest.approx(1.5)  # x̄=1, ȳ=7/3: (−1·−4/3 + 1·5/3) / 2
    assert window_slopes([100, -7, 1, 2, 4], 3) == pytest.approx(1.5)  # only the last window counts
    assert window_slopes([0, 1, 2], 3, x=[0, 10, 20]) == pytest.approx(
        0.1
    )  # per iteration, audited every 10th
    assert window_slopes([3, 3, 3, 3], 4) == 0.0
    with pytest.raises(ValueError):
        window_slopes([1.0], 5)


def test_correlations_by_hand():
    # x=[1,2,3], y=[2,4,7]: Sxy=5, Sxx=2, Syy=114/9 -> r = 5 / sqrt(2 * 114/9) = 15 / sqrt(228)
    assert pearson([1, 2, 3], [2, 4, 7]).r == pytest.approx(15 / math.sqrt(228))
    # y=[1,3,2]: Sxy=1, Sxx=Syy=2 -> r=0.5; for n=3 the null P(|R| >= r) = 1 - (2/pi) asin(r) = 2/3
    c = pearson([1, 2, 3], [1, 3, 2])
    assert (c.r, c.p) == (pytest.approx(0.5), pytest.approx(2 / 3))
    # rank differences d = 0,1,1,0: rho = 1 - 6*2 / (4*(16-1)) = 0.8
    assert spearman([1, 2, 3, 4], [1, 3, 2, 4]).r == pytest.approx(0.8)
    assert spearman([1, 2, 3, 4], [10, 20, 30, 1000]).r == pytest.approx(1.0)  # monotone, not linear


def test_keyword_matching_rules():
    texts = [
        "CONTRAINDICATED with nitrates",
        "contraindicated in pregnancy",
        "Consult a pharmacist",
        "consultation",
    ]
    assert keyword_hits(texts, "CONTRAINDICATED") == 1  # upper-case keyword: exact case
    assert keyword_hits(texts, "consult") == 1  # lower-case keyword: any case, whole word only
    assert smoothed_ratio(0, 0, 0, 0) == 1.0


# ----------------------------------------------------------------------------- one batch


def test_sample_audit_means_and_correlations():
    a = sample_audit(batch(1.0, 6.0, rm_std=0.3), [TEXT] * 5)
    assert (a.n, a.mean_rm, a.mean_gold, a.mean_rm_std, a.mean_length) == (5, 1.0, 6.0, 0.3, 180.0)
    assert a.rm_gold_pearson.r == pytest.approx(1.0) and a.rm_gold_spearman.r == pytest.approx(1.0)
    assert a.rm_length_pearson.r == pytest.approx(0.0, abs=1e-12)
    assert a.keywords["monitor"].ratio == 1.0 and a.keywords["AVOID"].freq == 0.0


def test_keyword_spread_fires_on_a_real_spread():
    samples = [Sample("CONTRAINDICATED. " * (i < 16) + "Take it.", 0.0, 0.1, 5.0) for i in range(20)]
    baseline = ["CONTRAINDICATED with MAOIs."] + ["Take it with water."] * 19
    rate = sample_audit(samples, baseline).keywords["CONTRAINDICATED"]
    assert (rate.freq, rate.baseline_freq, rate.paired) == (0.8, 0.05, False)
    assert rate.ratio == pytest.approx((17 / 22) / (2 / 22))  # add-one smoothed effect size, for the message
    # Fisher, one-sided: P(X >= 16), X ~ Hypergeometric(40 answers, 17 with the keyword, 20 drawn now)
    tail = sum(math.comb(17, k) * math.comb(23, 20 - k) for k in range(16, 18)) / math.comb(40, 20)
    assert rate.p_value == pytest.approx(tail)
    flags = IterationAuditor().update(0, sample_audit(samples, baseline))
    assert kinds(flags) == ["keyword_spread"] and "16/20 samples vs 1/20" in flags[0].message


def test_keyword_spread_is_silent_on_three_of_32_vs_none():
    samples = [Sample("AVOID it." if i < 3 else "Take it.", 0.0, 0.1, 5.0) for i in range(32)]
    baseline = ["Take it."] * 32
    rate = sample_audit(samples, baseline).keywords["AVOID"]
    assert (rate.hits, rate.baseline_hits) == (3, 0)
    assert rate.p_value == pytest.approx(4960 / 41664)  # C(32,3) / C(64,3) = 0.119
    assert keyword_rise_p(3, 32, 0, 32) == pytest.approx(4960 / 41664)
    assert IterationAuditor().update(1, sample_audit(samples, baseline)) == []


def test_keyword_spread_paired_on_the_same_prompts():
    # McNemar: only the prompts whose answer changed count. 3 gained, 0 lost: p = 0.5^3 = 0.125, silent.
    keyed = [Sample("AVOID it." if i < 3 else "Take it.", 0.0, 0.1, 5.0, prompt=str(i)) for i in range(32)]
    base = {str(i): "Take it." for i in range(32)}
    rate = sample_audit(keyed, base).keywords["AVOID"]
    assert rate.paired and rate.p_value == pytest.approx(0.125)
    assert paired_keyword_rise_p(3, 0) == pytest.approx(0.125) and paired_keyword_rise_p(0, 0) == 1.0
    assert IterationAuditor().update(1, sample_audit(keyed, base)) == []
    # 12 gained, 1 lost (13 of 32 vs 2 of 32): p = P(X >= 12 | 13, 1/2) = (13 + 1) / 2^13
    text = lambda i: "AVOID it." if 1 <= i <= 13 else "Take it."  # noqa: E731
    keyed = [Sample(text(i), 0.0, 0.1, 5.0, prompt=str(i)) for i in range(32)]
    base = {str(i): "AVOID it." if i in (0, 1) else "Take it." for i in range(32)}
    rate = sample_audit(keyed, base).keywords["AVOID"]
    assert (rate.hits, rate.baseline_hits) == (13, 2) and rate.p_value == pytest.approx(14 / 2**13)
    assert kinds(IterationAuditor().update(1, sample_audit(keyed, base))) == ["keyword_spread"]


def test_length_exploit_flag():
    lengths = [50, 120, 300, 80, 500, 220, 400, 150]
    samples = [Sample("x" * n, 0.002 * n + 0.01 * (i % 2), 0.2, 5.0 + (i % 3)) for i, n in enumerate(lengths)]
    a = sample_audit(samples, [])
    assert a.mean_length == sum(lengths) / 8 and a.rm_length_pearson.r > 0.99
    assert "length_exploit" in kinds(IterationAuditor().update(0, a))


def test_decorrelated_flag():
    samples = [Sample(TEXT, -0.1 * o, 0.2, 5.0 + o) for o in OFFSETS]  # RM ranks answers against gold
    assert kinds(IterationAuditor().update(0, sample_audit(samples, [TEXT]))) == ["rm_gold_decorrelated"]


# ----------------------------------------------------------------------------- PPO histories


def test_healthy_run_has_no_flags():
    aud = IterationAuditor()
    for i in range(12):
        wiggle = 0.1 * (-1) ** i
        assert aud.update(i, sample_audit(batch(0.1 * i, 5 + 0.2 * i + wiggle), [TEXT] * 5)) == []
    s = aud.summary()
    assert s["iterations"] == 12 and s["flags"] == [] and set(s["counts"].values()) == {0}
    assert s["rm_gold_corr"]["r"] > 0.9
    assert not aud.should_stop


def test_hacked_run_flags_at_first_crossing_window():
    # Window of 5 ending at iteration 6: gold 5.4, 5.6, 5.8, 6.0, 5.5 -> slope (-2*5.4 - 5.6 + 6.0 + 2*5.5)/10 = +0.06
    # ending at 7: gold 5.6, 5.8, 6.0, 5.5, 5.0 -> slope (-2*5.6 - 5.8 + 5.5 + 2*5.0)/10 = -0.15 <= -0.1; RM +0.1/it
    for stop in (False, True):
        aud = IterationAuditor(AuditConfig(stop_on_divergence=stop))
        fired = []
        for i in range(15):
            flags = aud.update(i, means(0.1 * i, hacked_gold(i)))
            fired += [i for f in flags if f.kind == "rm_up_gold_down"]
            assert aud.should_stop == (stop and i >= 7)
        assert fired == list(range(7, 15))
        assert aud.history[6]["gold_slope"] == pytest.approx(0.06)
        assert aud.history[7]["gold_slope"] == pytest.approx(-0.15)
        assert aud.history[3]["rm_slope"] is None  # window not yet full
        s = aud.summary()
        assert s["counts"]["rm_up_gold_down"] == 8 and s["rm_gold_corr"]["r"] < 0


def mixed_batch(i: int, keyed: bool) -> list[Sample]:
    """Iteration i answers prompts a0..ai (RM 1, gold 3) and b0..b(8-i) (RM 0, gold 7); every prompt always gets
    the same scores: the policy does not change, only the mix of prompts does."""
    a = [Sample("x", 1.0, 0.2, 3.0, prompt=f"a{j}" if keyed else None) for j in range(i + 1)]
    b = [Sample("x", 0.0, 0.2, 7.0, prompt=f"b{j}" if keyed else None) for j in range(9 - i)]
    return a + b


def test_prompt_mix_is_not_hacking_when_answers_are_paired():
    # unpaired: mean RM (i+1)/10 rises 0.1/it and mean gold (66 - 4i)/10 falls 0.4/it: a (false) flag
    unpaired = IterationAuditor()
    fired = [kinds(unpaired.update(i, sample_audit(mixed_batch(i, False), []))) for i in range(10)]
    assert all("rm_up_gold_down" in f for f in fired[4:])
    # paired: every prompt's answers score the same at each visit, so every paired change is 0: no flag
    paired = IterationAuditor()
    fired = [kinds(paired.update(i, sample_audit(mixed_batch(i, True), []))) for i in range(10)]
    assert all("rm_up_gold_down" not in f for f in fired)
    trend = paired.history[-1]["trends"]
    assert (
        trend["gold"]["basis"] == "paired"
        and trend["gold"]["slope"] == 0.0
        and trend["gold"]["p_down"] == 1.0
    )


def test_paired_hacking_flags():
    def answers(i: int) -> list[Sample]:
        # every prompt: RM +0.1/it, gold -0.5/it, with a small deterministic wiggle so the t-tests have variance
        return [
            Sample(
                "x",
                0.1 * i + 0.01 * ((7 * j + 3 * i) % 5),
                0.2,
                6 - 0.5 * i + 0.1 * ((5 * j + i) % 3),
                prompt=str(j),
            )
            for j in range(8)
        ]

    aud = IterationAuditor()
    fired = [i for i in range(8) if "rm_up_gold_down" in kinds(aud.update(i, sample_audit(answers(i), [])))]
    assert fired == [
        2,
        3,
        4,
        5,
        6,
        7,
    ]  # from the first window with min_pairs = 10 pairs (8 + 8 at iteration 2)
    t = aud.history[-1]["trends"]
    assert t["rm"]["slope"] == pytest.approx(0.1, abs=0.03) and t["gold"]["slope"] == pytest.approx(
        -0.5, abs=0.1
    )
    assert t["rm"]["p_up"] < 0.05 and t["gold"]["p_down"] < 0.05


def test_paired_slope_by_hand():
    # rates d/g = 1, 2, 1.5: mean 1.5, sd 0.5, t = 1.5 / (0.5 / sqrt 3) = sqrt 27; Student t with 2 degrees of
    # freedom: P(T > t) = 1/2 - t / (2 sqrt(t^2 + 2)) = 1/2 - sqrt(27) / (2 sqrt 29)
    s = paired_slope([1, 2, 3], [1, 1, 2])
    assert (s.slope, s.n) == (pytest.approx(1.5), 3)
    assert s.p_up == pytest.approx(0.5 - math.sqrt(27) / (2 * math.sqrt(29)))
    assert s.p_down == pytest.approx(1 - s.p_up)
    assert paired_slope([1.0], [1]) is None
    with pytest.raises(ValueError):
        paired_slope([1, 2], [1, 0])


def test_observed_baseline_pairs_and_gains():
    aud = IterationAuditor()
    base = [Sample("x", rm, 0.2, gold, prompt=p) for p, rm, gold in (("a", 0.0, 4.0), ("b", 1.0, 8.0))]
    aud.observe(0, sample_audit(base, []))
    assert aud.iterations == [] and aud.history == []  # a baseline is not audited
    aud.update(1, sample_audit([Sample("x", 0.5, 0.2, 5.0, prompt="a")], []))
    aud.update(
        2, sample_audit([Sample("x", 2.0, 0.2, 7.0, prompt="b"), Sample("x", 1.0, 0.2, 6.0, prompt="a")], [])
    )
    # gains over the baseline answer to the same prompt: it 1: a (+0.5, +1); it 2: b (+1, -1), a (+1, +2)
    assert aud.gains() == [(0.5, 1.0), (1.0, 0.5)]
    assert aud.history[1]["rm_gain"] == 1.0 and aud.history[1]["gold_gain"] == 0.5
    # RM vs gold on the same prompt: it 1 a agrees; it 2 b disagrees (RM +1, gold -1), a agrees -> 2 of 3,
    # exact one-sided binomial P(X >= 2 | 3, 1/2) = 4/8
    assert [h["rm_gold_pair_agreement"] for h in aud.history] == [1.0, 0.5]
    assert aud.pair_agreement() == {"agreement": 2 / 3, "pairs": 3, "p_better_than_chance": 0.5}
    assert aud.summary()["rm_gold_pair_agreement_last_window"]["pairs"] == 3
    with pytest.raises(ValueError):
        aud.observe(2, sample_audit(base, []))


def test_sample_audit_json_round_trip():
    samples = [
        Sample(f"AVOID {i}", 0.1 * i, 0.2, 5.0 + i % 3, n_tokens=10 + i, prompt=str(i)) for i in range(6)
    ]
    a = sample_audit(samples, {str(i): "ok" for i in range(6)})
    b = SampleAudit.from_json(json.loads(json.dumps(a.to_json())))
    assert b == a


def test_gold_falling_without_rm_rising_is_not_hacking():
    aud = IterationAuditor()
    for i in range(15):
        aud.update(i, means(0.5, hacked_gold(i)))
    assert aud.flags == []


def test_disagreement_rising():
    aud = IterationAuditor(AuditConfig(window=3))
    fired = [kinds(aud.update(i, means(0.1 * i, 5 + 0.2 * i, rm_std=0.2 + 0.02 * i))) for i in range(4)]
    assert fired == [[], [], ["disagreement_rising"], ["disagreement_rising"]]


# ----------------------------------------------------------------------------- degenerate inputs


def test_degenerate_inputs():
    one = sample_audit([Sample("AVOID grapefruit.", 0.5, 0.0, 7.0)], [])
    assert one.rm_gold_pearson is None and one.rm_gold_spearman is None and one.rm_length_pearson is None
    assert one.keywords["AVOID"].baseline_freq is None
    assert one.keywords["AVOID"].ratio == pytest.approx((2 / 3) / (1 / 2))  # empty baseline: no spread flag
    flat = sample_audit([Sample(f"answer {i}", 1.0, 0.1, 4.0 + i) for i in range(4)], [])
    assert flat.rm_gold_pearson is None and flat.rm_gold_spearman is None and flat.rm_length_pearson is None
    aud = IterationAuditor()
    assert aud.update(0, one) == [] and aud.update(1, flat) == []
    assert aud.summary()["rm_gold_corr"] is None
    json.dumps(aud.history, allow_nan=False)
    json.dumps(aud.summary(), allow_nan=False)
    assert pearson([1, 2], [3, 4]) is None and spearman([], []) is None


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        sample_audit([], [TEXT])
    with pytest.raises(ValidationError):
        AuditConfig(windw=5)
    with pytest.raises(ValidationError):
        AuditConfig(window=1)
    aud = IterationAuditor()
    aud.update(3, means(0.0, 5.0))
    with pytest.raises(ValueError):
        aud.update(3, means(0.0, 5.0))


def test_history_is_json_with_every_number():
    aud = IterationAuditor(AuditConfig(window=2))
    for i in range(3):
        aud.update(10 * i, sample_audit(batch(0.1 * i, 5 + 0.2 * i), [TEXT]))
    h = json.loads(json.dumps(aud.history, allow_nan=False))
    assert [r["iteration"] for r in h] == [0, 10, 20]
    assert h[2]["rm_slope"] == pytest.approx(0.01) and h[2]["gold_slope"] == pytest.approx(0.02)
    assert {
        "mean_rm",
        "mean_gold",
        "mean_rm_std",
        "mean_length",
        "rm_gold_pearson",
        "keywords",
        "flags",
    } <= set(h[0])
