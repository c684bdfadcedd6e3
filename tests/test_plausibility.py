"""The note-blind judge of DPO pairs: it finds a planted artifact, finds none where there is none, and the
generated triplets' perturbations stay plausible without the note."""

import random

import pytest

from rxalign.data.plausibility import features, judge_accuracy, note_blind_check, train_judge


def _pairs(n, artifact: bool, seed: int):
    rng = random.Random(seed)
    words = ["fever", "left", "right", "knee", "pain", "metformin", "daily", "twice", "mg", "denies"]
    rows = []
    for _ in range(n):
        a = " ".join(rng.choice(words) for _ in range(8))
        b = " ".join(rng.choice(words) for _ in range(8))
        rows.append({"chosen": a, "rejected": b + (" zzz" if artifact else ""), "perturbation": "k"})
    return rows


def test_features_are_hashed_word_ngrams():
    f = features("Metformin 500 mg")
    assert len(f) == 3 + 2 + 1 and f == features("metformin, 500 MG")


def test_judge_finds_a_planted_artifact_and_nothing_in_noise():
    w = train_judge(_pairs(400, artifact=True, seed=0))
    assert judge_accuracy(w, _pairs(200, artifact=True, seed=1))["k"]["accuracy"] == 1.0
    w = train_judge(_pairs(400, artifact=False, seed=0))
    assert 0.35 < judge_accuracy(w, _pairs(400, artifact=False, seed=1))["k"]["accuracy"] < 0.65


@pytest.fixture(scope="module")
def check():
    return note_blind_check()


@pytest.mark.parametrize(
    "kind", ["drug_swap", "dose_change", "frequency_change", "laterality", "date_change"]
)
def test_perturbations_are_plausible_without_the_note(check, kind):
    assert check[kind]["n"] == 200 and check[kind]["accuracy"] <= 0.60


@pytest.mark.xfail(
    strict=True,
    reason="known: the note generator writes each drug in one unit and never reports a "
    "'denied' finding as present, so these two kinds show without the note (README, DPO)",
)
@pytest.mark.parametrize("kind", ["unit_change", "negation_flip"])
def test_unit_and_negation_changes_are_not_yet_plausible(check, kind):
    assert check[kind]["accuracy"] <= 0.60
