"""The grader's claim parser on hand-written phrases: negation scope, rhetorical questions, synonyms, dose
direction, daily doses and the ranges an answer names."""

import pytest

from rxalign.eval import claims
from rxalign.eval.claims import clean


def stance(text: str) -> tuple[bool, bool]:
    s = claims.stance(clean(text))
    return s.alarm, s.reassure


@pytest.mark.parametrize(
    "text,alarm,reassure",
    [
        ("Contraindicated.", True, False),
        ("Not contraindicated; no need to avoid or stop either.", False, True),
        ("Contraindicated? No. Give the full dose.", False, True),
        ("Can they be combined? No - avoid.", True, False),
        ("Is there any reason to avoid it? Not at all.", False, True),
        ("Do not co-administer these.", True, False),
        ("Never co-prescribe them.", True, False),
        ("Hold warfarin while on the antibiotic.", True, False),
        ("Suspend the statin for the course.", True, False),
        ("Avoid stopping warfarin abruptly.", False, False),
        ("Not recommended in severe renal impairment.", True, False),
        ("Safe together, no monitoring needed.", False, True),
        ("Not safe together.", True, False),
        ("If unavoidable it can be used only with close monitoring.", False, False),
        ("Avoid doses above 1 g twice daily.", False, False),
        ("No clinically relevant interaction.", False, True),
        # an answer particle set off by a comma answers; it does not negate what follows
        ("Is it suitable here? Sadly, no, I would avoid it.", True, False),
        ("No, not really, it is best avoided.", True, False),
        # a negated belief negates its whole clause
        ("I don't believe the genotype is any reason to avoid the drug.", False, True),
        ("These are never to be given at the same time.", True, False),
        ("Co-prescription should be reserved for cases with no other option.", True, False),
        ("The dose is not to be altered in mild disease.", False, True),
        ("Neither a dose change nor extra monitoring is needed.", False, True),
        ("All the warnings noted, still give it.", False, True),
        ("Is a change needed? The advice I'd give is no, keep the usual dose.", False, True),
        ("The alert was overridden; the genotype is not relevant.", False, True),
        ("The allergy history can be ignored here.", False, True),
        (
            "Ceftazidime -> no; use something unrelated.",
            False,
            False,
        ),  # a refusal only once the drug is known
    ],
)
def test_stance_reads_negation_rhetoric_and_synonyms(text, alarm, reassure):
    assert stance(text) == (alarm, reassure)


def test_a_clause_about_an_alternative_says_nothing_about_the_asked_drug():
    # "safely" describes the alternative, whether it is named (other_drugs) or not ("instead")
    text = clean("Avoid the combination. Azithromycin can be used safely instead.")
    plain = claims.stance(text)
    named = claims.stance(
        clean("Avoid the combination. Azithromycin is safe."), ("azithromycin",), ("clarithromycin",)
    )
    assert (plain.alarm, plain.reassure) == (named.alarm, named.reassure) == (True, False)


@pytest.mark.parametrize(
    "text,direction",
    [
        ("Increase the dose to 20 mg.", "up"),
        ("Double the dose.", "up"),
        ("A higher starting dose is needed.", "up"),
        ("Reduce the dose by half.", "down"),
        ("Consider lower starting and maintenance doses.", "down"),
        ("Do not increase the dose.", None),
        ("This increases bleeding risk.", None),
        ("No adjustment unless given with ritonavir (then reduce the dose by 50%).", None),
    ],
)
def test_dose_direction(text, direction):
    assert claims.dose_direction(clean(text)) == direction


def test_doses_are_normalised_to_a_daily_amount():
    # 250 mg x 2 = 500; 1 g every 8 h = 3 x 1000; 500 mcg once daily = 0.5 mg; 10 mg/kg q6h = 40 mg/kg/day
    got = claims.doses(
        clean("250 mg twice daily, or 1 g every 8 hours, or 500 micrograms once daily, 10 mg/kg q6h")
    )
    assert [(d.low, d.per_kg) for d in got] == [(500.0, False), (3000.0, False), (0.5, False), (40.0, True)]
    # no frequency: the usual number of doses a day is assumed; "divided into" keeps a daily total
    assert claims.doses("250 mg", usual_per_day=2.0)[0].low == 500.0
    assert claims.doses("600 mg/day divided into 3 doses")[0].low == 600.0
    assert claims.doses("300 mg divided into 3 doses", usual_per_day=3.0)[0].low == 300.0


def test_percents_of_the_dose():
    assert claims.percents("reduce to 50% of the dose") == [(50.0, "50%")]
    assert claims.percents("reduce the dose by 25%")[0][0] == 75.0
    assert claims.percents("halve the dose")[0][0] == 50.0
    assert claims.percents("cross-reactivity about 1-2%") == []


def test_egfr_ranges_and_their_segments():
    text = clean("eGFR 30-44: 50%. 15-29: 25%. Below 15 or on dialysis: avoid.")
    got = [(lo, hi, text[s:e].strip()) for lo, hi, s, e in claims.egfr_ranges(text)]
    assert got[0][:2] == (30.0, 44.999) and got[0][2].startswith("egfr 30-44: 50%")
    assert got[1][:2] == (15.0, 29.999) and got[1][2] == "15-29: 25%."
    assert got[2][:2] == (0.0, 14.999)
    assert got[3][:2] == (-1.0, -1.0)  # dialysis


def test_synonyms_map_to_one_term():
    assert "p-gp" in clean("a P-glycoprotein inhibitor")
    assert "inr" in clean("check the international normalized ratio")
    assert "cyp3a4" in clean("cytochrome P450 3A4")
    assert "bleeding" in clean("haemorrhage")


def test_a_sentence_opening_with_no_and_the_drug_refuses_it():
    names = ("apixaban",)
    assert claims.refusals_of("no apixaban in severe disease.", names) == "avoid apixaban in severe disease."
    assert claims.refusals_of("ok. absolutely no apixaban.", names) == "ok. avoid apixaban."
    # "no" qualifying a noun after the name is not a refusal
    assert (
        claims.refusals_of("no apixaban dose change is needed.", names)
        == "no apixaban dose change is needed."
    )
    assert claims.refusals_of("there is no apixaban here.", names) == "there is no apixaban here."


def test_a_label_heading_and_a_kept_dose_are_not_refused_doses():
    assert [
        d.high for d in claims.recommended_doses(clean("CrCl 50 or more (usual dose): 150mg bd."), 2)
    ] == [300]
    assert [d.high for d in claims.recommended_doses(clean("Don't cut the adult 400 mg once daily."))] == [
        400
    ]
    assert claims.recommended_doses(clean("Do not give 400 mg once daily.")) == []


def test_arrows_are_read_as_shorthand():
    assert claims.dose_direction(clean("Plan: ↑ to 600 mg three times daily.")) == "up"
    assert claims.dose_direction(clean("Plan: ↓ to 2.5 mg daily.")) == "down"
    # an arrow ends a clause; the dose after "not usual 20 mg daily ->" is the one recommended
    assert [d.high for d in claims.recommended_doses(clean("Not usual 20 mg daily → 15 mg daily."))] == [15]
    assert claims.refusals_of(clean("Ceftazidime → no; pick another."), ("ceftazidime",)).startswith(
        "avoid ceftazidime"
    )
