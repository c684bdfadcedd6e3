"""Summary hallucination checker: exact on generated DPO triplets, negation/unit/side/date-aware by hand,
never raises on garbage, and exact aggregate numbers."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rxalign.data.notes import (
    LATERAL,
    MEDICATIONS,
    NEGATABLE,
    PERTURBATIONS,
    NoteFacts,
    date_forms,
    make_triplets,
)
from rxalign.eval.hallucination import (
    ERROR_TYPES,
    EXPECTED_ERROR,
    DrugMention,
    SummaryCheck,
    check,
    detection_quality,
    extract,
    hallucination_rate,
)

FACTS = NoteFacts(
    age=70,
    sex="female",
    diagnoses=["hypertension"],
    medications=[
        {"drug": "amlodipine", "dose": 5, "unit": "mg", "route": "oral", "frequency": "once daily"},
        {"drug": "metformin", "dose": 500, "unit": "mg", "route": "oral", "frequency": "twice daily"},
        {"drug": "ceftriaxone", "dose": 1, "unit": "g", "route": "IV", "frequency": "once daily"},
    ],
    allergies=["penicillin"],
    negated_findings=["chest pain", "fever"],
    positive_findings=[{"finding": "knee pain", "side": "left"}, {"finding": "fatigue"}],
    admission_date="2024-03-05",
    follow_up_date="2024-03-19",
)


@pytest.fixture(scope="module", params=[0, 1])
def rows(request):
    return make_triplets(700, seed=request.param)


def _consistent(c: SummaryCheck) -> None:
    assert set(c.errors) == set(ERROR_TYPES)
    assert all(isinstance(e, str) and e for es in c.errors.values() for e in es)
    assert c.hallucinated_facts == sum(map(len, c.errors.values())) <= c.stated_facts
    assert c.hallucinated == (c.hallucinated_facts > 0) == bool(c.error_types)


# ----------------------------------------------------------------------------- generated triplets


def test_expected_error_covers_every_perturbation():
    assert set(EXPECTED_ERROR) == set(PERTURBATIONS) and set(EXPECTED_ERROR.values()) <= set(ERROR_TYPES)


def test_every_rejected_summary_is_flagged_with_its_perturbation(rows):
    missed = [
        (r["id"], r["detail"], check(r["rejected"], r["facts"]).errors)
        for r in rows
        if EXPECTED_ERROR[r["perturbation"]] not in check(r["rejected"], r["facts"]).error_types
    ]
    assert not missed, missed[:3]


def test_every_chosen_summary_is_clean_and_complete(rows):
    for r in rows:
        c = check(r["chosen"], r["facts"])
        assert not c.hallucinated and not c.omissions, (r["chosen"], c)
        assert c.stated_facts >= 8  # age, sex, diagnosis, >= 1 med x 4, >= 1 finding, allergies, 2 dates


def test_detection_quality_is_exact(rows):
    q = detection_quality(rows)
    assert q["n"] == 700 and q["false_positives"] == 0
    assert q["precision"] == q["recall"] == q["type_recall"] == q["exact_type"] == 1.0


def test_extract_recovers_every_fact_of_summaries_and_notes(rows):
    for r in rows[:150]:
        f = NoteFacts.model_validate(r["facts"])
        meds = {DrugMention(m.drug, m.dose, m.unit, m.route, m.frequency) for m in f.medications}
        for text in (r["chosen"], r["note"]):
            ex = extract(text)
            assert set(ex.drugs) == meds, text
            assert set(ex.negated_findings) == set(f.negated_findings), text
            assert set(ex.positive_findings) == {(p.finding, p.side) for p in f.positive_findings}, text
            assert set(ex.dates) == {(f.admission_date, "admission"), (f.follow_up_date, "follow_up")}, text
            assert ex.ages == [f.age] and ex.sexes == [f.sex] and set(ex.diagnoses) == set(f.diagnoses)
            assert set(ex.allergies) == set(f.allergies) and ex.no_known_allergies == (not f.allergies)


@pytest.mark.parametrize("iso", ["2024-03-05", "2024-12-31", "2024-09-01"])
def test_every_date_form_parses(iso):
    for form in date_forms(iso):
        assert extract(f"Admitted on {form}.").dates == [(iso, "admission")]
        assert extract(f"Follow-up is scheduled for {form}").dates == [(iso, "follow_up")]


# ----------------------------------------------------------------------------- hand-written summaries


@pytest.mark.parametrize(
    "summary, errors",
    [
        ("She denies chest pain.", set()),
        ("She reports chest pain.", {"negation_flip"}),
        ("No fever, but reports chest pain.", {"negation_flip"}),
        ("Chest pain absent. Fever was not reported.", set()),
        ("She denies left knee pain.", {"negation_flip"}),
        ("Amlodipine 5 mg by mouth once daily.", set()),
        ("Amlodipine 5 mcg by mouth once daily.", {"unit_changed"}),
        ("Amlodipine 10 mg by mouth once daily.", {"number_changed"}),
        ("Amlodipine 5 mg PO bid.", {"frequency_changed"}),
        ("Amlodipine 5 mg IV daily.", {"contradicted"}),
        ("Ceftriaxone 1000 mg IV daily.", set()),  # 1 g, in other words
        ("Amlodipine 500 mg daily; metformin 5 mg bid.", {"contradicted"}),  # doses swapped between drugs
        ("Notable for left knee pain and fatigue.", set()),
        ("Notable for right knee pain.", {"laterality"}),
        ("Knee pain (right).", {"laterality"}),
        ("Started warfarin 5 mg daily.", {"fabricated"}),
        ("Positive for rash.", {"fabricated"}),
        ("Not on metformin.", {"contradicted"}),
        ("No known drug allergies.", {"contradicted"}),
        ("Allergic to penicillin (rash).", set()),
        ("70-year-old woman with hypertension.", set()),
        ("75-year-old man with asthma.", {"contradicted"}),
        ("Admitted on March 5, 2024; follow-up on 19 Mar 2024.", set()),
        ("Admitted on 2024-03-06.", {"date_changed"}),
        ("Follow-up on 5 Mar 2024.", {"date_changed"}),
        ("<|eos|>metformin<|pad|> 500 mg twice daily<|eos|>", set()),
    ],
)
def test_hand_written(summary, errors):
    c = check(summary, FACTS)
    _consistent(c)
    assert c.error_types == errors, c.errors


def test_negation_scope_covers_the_list():
    ex = extract("She denies chest pain or fever, but reports left knee pain. No rash, cough and nausea.")
    assert ex.negated_findings == ["chest pain", "fever", "rash", "cough", "nausea"]
    assert ex.positive_findings == [("knee pain", "left")]


def test_omitted_medication_is_an_omission_not_a_hallucination():
    c = check("Amlodipine 5 mg oral once daily. She denies chest pain or fever.", FACTS)
    assert not c.hallucinated and c.stated_facts == 6  # drug, dose, route, frequency, 2 findings
    assert "medication metformin" in c.omissions and "medication amlodipine" not in c.omissions


def test_equivalent_date_format_is_neither_error_nor_omission():
    c = check("Admitted on 5 Mar 2024. Follow-up is scheduled for March 19, 2024.", FACTS)
    assert not c.hallucinated and not any("date" in o for o in c.omissions)


def test_repeated_facts_count_once():
    c = check("Right knee pain. Right knee pain! right knee pain", FACTS)
    assert c.stated_facts == c.hallucinated_facts == 1


# ----------------------------------------------------------------------------- robustness

SOUP = [*MEDICATIONS, *NEGATABLE, *LATERAL, "left", "right", "denies", "no", "not", "absent", "without"]
SOUP += ["negative for", "reports", "but", "500", "2.5", "1,000", "mg", "mcg", "µg", "g", "units", "mL"]
SOUP += ["bid", "q8h", "prn", "every 6 hours", "as needed", "PO", "IV", "Allergic to", "NKDA", "penicillin"]
SOUP += ["admitted on", "follow-up", "2024-03-05", "5 Mar 2024", "March 19,", "2024", "45-year-old", "y/o"]
SOUP += ["F", ".", ";", ",", "(", ")", "\n", "<|eos|>", "<|", "|>", "<|im_start|>", "hypertension", "UTI"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_random_text_never_raises(text):
    _consistent(check(text, FACTS))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SOUP), max_size=80).map(" ".join))
def test_token_soup_never_raises(text):
    _consistent(check(text, FACTS))
    _consistent(check(text.replace(" ", ""), FACTS))


REPEATS = make_triplets(50, seed=7)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 49), st.integers(1, 12), st.sampled_from([" ", "\n", " <|eos|> "]))
def test_repeated_summary_counts_like_one(i, times, sep):
    r = REPEATS[i]
    once = check(r["rejected"], r["facts"])
    many = check(sep.join([r["rejected"]] * times), r["facts"])
    _consistent(many)
    assert (many.errors, many.omissions, many.stated_facts) == (
        once.errors,
        once.omissions,
        once.stated_facts,
    )


# ----------------------------------------------------------------------------- aggregates


def _made(stated: int, omissions: int = 0, **errors: int) -> SummaryCheck:
    errs = {t: [f"{t} {i}" for i in range(errors.get(t, 0))] for t in ERROR_TYPES}
    n = sum(errors.values())
    return SummaryCheck(errs, [f"o{i}" for i in range(omissions)], stated, n, n > 0)


def test_hallucination_rate_exact():
    checks = [
        _made(10, omissions=1, fabricated=1, laterality=1),
        _made(6),
        _made(4, omissions=2, number_changed=1),
        _made(0),
    ]
    out = hallucination_rate(checks)
    assert out["n"] == 4 and out["rate"] == 0.5
    assert out["hallucinated_facts"] == 3 and out["stated_facts"] == 20 and out["per_100_facts"] == 15.0
    assert out["by_type"] == {
        t: int(t in ("fabricated", "laterality", "number_changed")) for t in ERROR_TYPES
    }
    assert out["omission_rate"] == 0.5 and out["omissions"] == 3
    assert hallucination_rate([])["rate"] == hallucination_rate([])["per_100_facts"] == 0.0


def test_detection_quality_counts():
    rows = make_triplets(4, seed=3)
    rows[0] = {**rows[0], "rejected": rows[0]["chosen"]}  # a miss
    rows[1] = {**rows[1], "chosen": rows[1]["rejected"]}  # a false alarm
    q = detection_quality(rows)
    assert (q["recall"], q["precision"], q["false_positives"]) == (0.75, 0.75, 1)
    assert q["type_recall"] == q["exact_type"] == 0.75
