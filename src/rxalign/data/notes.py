"""Synthetic clinical notes (no real patient data) and DPO triplets for hallucination-resistant summarisation.

The rejected summary is the chosen one with exactly one key detail perturbed. Plausible, not dosing advice.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PROMPT_TEMPLATE = (
    "Clinical note:\n{note}\n\nWrite a one-paragraph summary of this note for the handover. "
    "State only facts from the note."
)

# drug: (unit, route, dose options, frequency options). Plausible adult regimens for synthetic text only.
MEDICATIONS: dict[str, tuple[str, str, tuple[float, ...], tuple[str, ...]]] = {
    "metformin": ("mg", "oral", (500, 850, 1000), ("once daily", "twice daily")),
    "lisinopril": ("mg", "oral", (5, 10, 20, 40), ("once daily",)),
    "amlodipine": ("mg", "oral", (2.5, 5, 10), ("once daily",)),
    "atorvastatin": ("mg", "oral", (10, 20, 40, 80), ("once daily", "at bedtime")),
    "metoprolol tartrate": ("mg", "oral", (12.5, 25, 50), ("twice daily",)),
    "omeprazole": ("mg", "oral", (20, 40), ("once daily", "twice daily")),
    "sertraline": ("mg", "oral", (25, 50, 100), ("once daily",)),
    "furosemide": ("mg", "oral", (20, 40, 80), ("once daily", "twice daily")),
    "apixaban": ("mg", "oral", (2.5, 5), ("twice daily",)),
    "warfarin": ("mg", "oral", (2, 2.5, 5), ("once daily", "at bedtime")),
    "prednisone": ("mg", "oral", (5, 10, 20, 40), ("once daily",)),
    "gabapentin": ("mg", "oral", (100, 300, 600), ("three times daily", "at bedtime")),
    "amoxicillin": ("mg", "oral", (500, 875), ("every 8 hours", "twice daily")),
    "acetaminophen": ("mg", "oral", (500, 650, 1000), ("every 6 hours as needed", "every 8 hours")),
    "ibuprofen": ("mg", "oral", (400, 600), ("every 8 hours as needed",)),
    "oxycodone": ("mg", "oral", (5, 10), ("every 4 hours as needed",)),
    "senna": ("mg", "oral", (8.6, 17.2), ("at bedtime",)),
    "levothyroxine": ("mcg", "oral", (25, 50, 75, 100), ("once daily",)),
    "cyanocobalamin": ("mcg", "oral", (1000,), ("once daily",)),
    "cholecalciferol": ("units", "oral", (1000, 2000), ("once daily",)),
    "lactulose": ("mL", "oral", (15, 30), ("twice daily", "three times daily")),
    "insulin glargine": ("units", "subcutaneous", (10, 14, 20, 30), ("at bedtime", "once daily")),
    "insulin lispro": ("units", "subcutaneous", (4, 6, 8), ("three times daily",)),
    "heparin": ("units", "subcutaneous", (5000,), ("every 8 hours", "every 12 hours")),
    "enoxaparin": ("mg", "subcutaneous", (40, 60, 80), ("once daily", "every 12 hours")),
    "ceftriaxone": ("g", "IV", (1, 2), ("once daily",)),
    "vancomycin": ("g", "IV", (1, 1.25, 1.5), ("every 12 hours",)),
    "piperacillin-tazobactam": ("g", "IV", (3.375, 4.5), ("every 8 hours", "every 6 hours")),
    "ondansetron": ("mg", "IV", (4, 8), ("every 8 hours as needed",)),
    "morphine": ("mg", "IV", (2, 4), ("every 4 hours as needed",)),
    "albuterol": ("mg", "inhaled", (2.5,), ("every 4 hours as needed", "every 6 hours as needed")),
    "fluticasone": ("mcg", "inhaled", (110, 250), ("twice daily",)),
    "tiotropium": ("mcg", "inhaled", (18,), ("once daily",)),
    "diclofenac gel": ("g", "topical", (2, 4), ("four times daily",)),
    "nicotine patch": ("mg", "topical", (7, 14, 21), ("once daily",)),
}

# Canonical route / frequency wording (used in summaries) and the abbreviations notes also use.
ROUTE_ABBREV = {"oral": "PO", "IV": "IV", "subcutaneous": "subcut", "inhaled": "inh", "topical": "topical"}
ROUTE_ADVERB = {
    "oral": "by mouth",
    "IV": "intravenously",
    "subcutaneous": "subcutaneously",
    "inhaled": "by inhalation",
    "topical": "topically",
}
FREQ_ABBREV = {
    "once daily": "daily",
    "twice daily": "bid",
    "three times daily": "tid",
    "four times daily": "qid",
    "every 6 hours": "q6h",
    "every 8 hours": "q8h",
    "every 12 hours": "q12h",
    "every 4 hours as needed": "q4h prn",
    "every 6 hours as needed": "q6h prn",
    "every 8 hours as needed": "q8h prn",
    "at bedtime": "qhs",
}
UNIT_SWAP = {"mg": "mcg", "mcg": "mg", "g": "mg", "units": "mL", "mL": "mg"}

DIAGNOSES = [
    "hypertension",
    "type 2 diabetes mellitus",
    "community-acquired pneumonia",
    "COPD exacerbation",
    "heart failure with reduced ejection fraction",
    "atrial fibrillation",
    "cellulitis",
    "urinary tract infection",
    "acute kidney injury",
    "osteoarthritis",
    "hypothyroidism",
    "major depressive disorder",
    "gastro-oesophageal reflux disease",
    "deep vein thrombosis",
    "asthma",
]
ALLERGIES = ["penicillin", "sulfonamides", "codeine", "latex", "iodinated contrast", "NSAIDs", "shellfish"]
ALLERGY_EXCLUDES = {
    "penicillin": {"amoxicillin", "piperacillin-tazobactam"},
    "NSAIDs": {"ibuprofen", "diclofenac gel"},
}
NEGATABLE = [
    "fever",
    "chills",
    "chest pain",
    "shortness of breath",
    "rash",
    "nausea",
    "vomiting",
    "headache",
    "abdominal pain",
    "cough",
    "palpitations",
    "dizziness",
    "dysuria",
    "night sweats",
]
LATERAL = [
    "knee pain",
    "hip pain",
    "shoulder pain",
    "calf swelling",
    "lower lobe crackles",
    "flank pain",
    "wrist swelling",
    "ankle swelling",
    "lower extremity edema",
    "ear pain",
]
UNSIDED = ["fatigue", "wheezing", "poor oral intake", "generalised weakness"]
PERTURBATIONS = (
    "drug_swap",
    "dose_change",
    "unit_change",
    "frequency_change",
    "negation_flip",
    "laterality",
    "date_change",
)
YEAR_START = dt.date(2024, 1, 1)


class Medication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drug: str = Field(description="generic drug name, lower case")
    dose: float = Field(gt=0, description="dose amount per administration")
    unit: str = Field(description="dose unit: mg, mcg, g, units or mL")
    route: str = Field(description="oral, IV, subcutaneous, inhaled or topical")
    frequency: str = Field(description="canonical frequency, e.g. 'twice daily' or 'at bedtime'")


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    finding: str = Field(description="finding present on history or exam")
    side: Literal["left", "right"] | None = Field(
        None, description="laterality, or null when not lateralised"
    )


class NoteFacts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    age: int = Field(ge=18, le=110, description="age in years")
    sex: Literal["female", "male"] = Field(description="sex")
    diagnoses: list[str] = Field(description="active diagnoses")
    medications: list[Medication] = Field(description="current medications")
    allergies: list[str] = Field(description="allergies; empty means no known drug allergies")
    negated_findings: list[str] = Field(description="findings the patient denies or that are absent")
    positive_findings: list[Finding] = Field(description="findings present, lateralised or not")
    admission_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="admission date, YYYY-MM-DD")
    follow_up_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="follow-up date, YYYY-MM-DD")


# ----------------------------------------------------------------------------- sampling facts


def _pool(drugs: list[str] | None) -> list[str]:
    if drugs is None:
        return list(MEDICATIONS)
    unknown = sorted(set(drugs) - set(MEDICATIONS))
    if unknown:
        raise ValueError(f"unknown drugs {unknown}; known: {sorted(MEDICATIONS)}")
    pool = [d for d in MEDICATIONS if d in set(drugs)]  # table order, so the result is order-independent
    if len(pool) < 2:
        raise ValueError("drugs must name at least 2 medications (drug_swap needs a second one)")
    return pool


def sample_medication(drug: str, rng: random.Random) -> Medication:
    unit, route, doses, freqs = MEDICATIONS[drug]
    return Medication(drug=drug, dose=rng.choice(doses), unit=unit, route=route, frequency=rng.choice(freqs))


def sample_facts(rng: random.Random, drugs: list[str] | None = None) -> NoteFacts:
    """Random facts for one synthetic patient: >= 1 medication, negated finding and lateralised finding."""
    pool = _pool(drugs)
    names = rng.sample(pool, rng.randint(1, min(4, len(pool) - 1)))
    allergies = [
        a
        for a in rng.sample(ALLERGIES, rng.choice([0, 0, 1, 1, 2]))
        if not ALLERGY_EXCLUDES.get(a, set()) & set(names)
    ]
    lateral = [
        Finding(finding=f, side=rng.choice(["left", "right"])) for f in rng.sample(LATERAL, rng.randint(1, 2))
    ]
    unsided = [Finding(finding=f) for f in rng.sample(UNSIDED, rng.randint(0, 1))]
    positives = lateral + unsided
    rng.shuffle(positives)
    admission = YEAR_START + dt.timedelta(days=rng.randint(14, 334))
    return NoteFacts(
        age=rng.randint(18, 95),
        sex=rng.choice(["female", "male"]),
        diagnoses=rng.sample(DIAGNOSES, rng.randint(1, 3)),
        medications=[sample_medication(d, rng) for d in names],
        allergies=allergies,
        negated_findings=rng.sample(NEGATABLE, rng.randint(1, 4)),
        positive_findings=positives,
        admission_date=admission.isoformat(),
        follow_up_date=(admission + dt.timedelta(days=rng.randint(7, 28))).isoformat(),
    )


# ----------------------------------------------------------------------------- rendering


def fmt_dose(x: float) -> str:
    """500.0 -> '500', 2.5 -> '2.5'."""
    return f"{x:g}"


def date_forms(iso: str) -> tuple[str, ...]:
    """The ways a date is written: '2024-03-05', '5 Mar 2024', 'March 5, 2024'."""
    d = dt.date.fromisoformat(iso)
    return (iso, f"{d.day} {d:%b %Y}", f"{d:%B} {d.day}, {d.year}")


def _join(items: list[str], conj: str = "and") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {conj} " + items[-1]


def _finding(f: Finding) -> str:
    return f"{f.side} {f.finding}" if f.side else f.finding


def _med(m: Medication, style: int) -> str:
    """Style 0: 'metformin 500 mg PO bid'; 1: '... oral twice daily'; 2: '... by mouth twice daily'."""
    route = [ROUTE_ABBREV[m.route], m.route, ROUTE_ADVERB[m.route]][style]
    freq = FREQ_ABBREV[m.frequency] if style == 0 else m.frequency
    return f"{m.drug} {fmt_dose(m.dose)} {m.unit} {route} {freq}"


def _patient(f: NoteFacts, style: int) -> str:
    noun = {"female": ("woman", "F", "female"), "male": ("man", "M", "male")}[f.sex]
    return [f"{f.age}-year-old {noun[0]}", f"{f.age} y/o {noun[1]}", f"{f.age}-year-old {noun[2]}"][style]


def make_note(facts: NoteFacts, rng: random.Random) -> str:
    """A multi-section (or narrative) synthetic note that mentions every fact in `facts`."""
    f = facts
    pt = _patient(f, rng.randrange(3))
    med_style = rng.randrange(3)
    meds = [_med(m, med_style) for m in f.medications]
    adm, fu = (date_forms(d)[rng.randrange(3)] for d in (f.admission_date, f.follow_up_date))
    dx = _join(f.diagnoses)
    neg = rng.choice(
        [
            f"Denies {_join(f.negated_findings, 'or')}.",
            f"ROS negative for {_join(f.negated_findings)}.",
            f"No {_join(f.negated_findings, 'or')}.",
        ]
    )
    pos = _join([_finding(p) for p in f.positive_findings])
    allergies = rng.choice(["NKDA", "No known drug allergies"]) if not f.allergies else _join(f.allergies)
    if rng.random() < 0.6:
        lines = [
            f"HPI: {pt} admitted {rng.choice(['on ', ''])}{adm} with {dx}. {neg}",
            "Meds:",
            *[f"- {m}" for m in meds],
            f"Allergies: {allergies}",
            f"Exam: {rng.choice(['notable for ', ''])}{pos}.",
            f"Plan: {rng.choice(['Continue current medications', 'Continue home meds', 'No changes to regimen'])}. "
            f"{rng.choice(['Follow-up', 'F/u', 'Clinic follow-up'])} on {fu}.",
        ]
        return "\n".join(lines)
    return " ".join(
        [
            f"{pt[0].upper() + pt[1:]} with {dx}, admitted {adm}.",
            neg,
            f"On examination: {pos}.",
            f"Current medications: {'; '.join(meds)}.",
            f"Allergies: {allergies}.",
            f"Plan to follow up in clinic on {fu}.",
        ]
    )


def make_summary(facts: NoteFacts, rng: random.Random) -> str:
    """A factual one-paragraph handover summary of `facts`.

    Draws a fixed number of phrasing choices from `rng` before rendering, so two fact sets rendered with
    identically seeded RNGs share every phrasing choice and differ only where the facts differ.
    """
    f = facts
    pt_style, med_style, neg_style, pos_style, date_style, allergy_style = (
        rng.randrange(3) for _ in range(6)
    )
    he = "She" if f.sex == "female" else "He"
    adm, fu = (date_forms(d)[date_style] for d in (f.admission_date, f.follow_up_date))
    meds = [
        [
            f"{m.drug} {fmt_dose(m.dose)} {m.unit} {ROUTE_ADVERB[m.route]} {m.frequency}",
            f"{m.drug} {fmt_dose(m.dose)} {m.unit} {m.route} {m.frequency}",
            f"{m.drug} {fmt_dose(m.dose)} {m.unit} ({m.route}, {m.frequency})",
        ][med_style]
        for m in f.medications
    ]
    dx = _join(f.diagnoses)
    sentences = [
        [
            f"{_patient(f, 0)} admitted on {adm} with {dx}.",
            f"This {_patient(f, 2)} with {dx} was admitted on {adm}.",
            f"Admitted on {adm}, this {_patient(f, 0)} has {dx}.",
        ][pt_style]
    ]
    if f.negated_findings:
        neg = _join(f.negated_findings, "or")
        sentences.append([f"{he} denies {neg}.", f"No {neg} reported.", f"Negative for {neg}."][neg_style])
    if f.positive_findings:
        pos = _join([_finding(p) for p in f.positive_findings])
        sentences.append(
            [f"Findings include {pos}.", f"Positive for {pos}.", f"Notable for {pos}."][pos_style]
        )
    sentences.append(
        ["Medications: ", "Current medications are ", "Medications are "][med_style] + "; ".join(meds) + "."
    )
    if f.allergies:
        sentences.append(
            [
                f"Allergies: {_join(f.allergies)}.",
                f"Allergic to {_join(f.allergies)}.",
                f"Documented allergies: {_join(f.allergies)}.",
            ][allergy_style]
        )
    else:
        sentences.append("No known drug allergies.")
    sentences.append(f"Follow-up is scheduled for {fu}.")
    return " ".join(sentences)


# ----------------------------------------------------------------------------- perturbations


def _shift_date(iso: str, lo: int, hi: int, rng: random.Random) -> str:
    days = rng.choice([k for k in range(lo, hi + 1) if k != 0])
    return (dt.date.fromisoformat(iso) + dt.timedelta(days=days)).isoformat()


class NoPlausibleChange(ValueError):
    """The patient offers no change of this kind that reads as plausible without the note."""


def _swap_candidate(f: NoteFacts, pool: list[str], rng: random.Random) -> tuple[Medication, str]:
    """A (medication, replacement drug) pair whose regimen the replacement is also given in (same unit and
    route, dose and frequency among its options), so the swapped summary reads as plausible without the note.
    Never a drug already listed or one the allergies exclude."""
    taken = {m.drug for m in f.medications} | {d for a in f.allergies for d in ALLERGY_EXCLUDES.get(a, ())}
    pairs = [
        (m, d)
        for m in f.medications
        for d in pool
        if d not in taken
        and MEDICATIONS[d][:2] == (m.unit, m.route)
        and m.dose in MEDICATIONS[d][2]
        and m.frequency in MEDICATIONS[d][3]
    ]
    if not pairs:
        raise NoPlausibleChange("no drug shares a listed medication's regimen")
    return rng.choice(pairs)


def perturb(
    facts: NoteFacts, kind: str, rng: random.Random, drugs: list[str] | None = None
) -> tuple[NoteFacts, str]:
    """A copy of `facts` with exactly one key detail wrong, and a one-line description of the change.

    A swapped drug, a changed dose or frequency stays within what the table gives some drug (so the wrong summary
    reads as plausible without the note); NoPlausibleChange when the patient offers no such change.
    `drugs` restricts the replacement drug of `drug_swap` (as in `make_triplets`).
    """
    w = facts.model_copy(deep=True)
    if kind == "drug_swap":
        m, new = _swap_candidate(w, _pool(drugs), rng)
        old, m.drug = m.drug, new
        return w, f"drug: {old} -> {new}"
    if kind == "unit_change":
        m = rng.choice(w.medications)
        old, m.unit = m.unit, UNIT_SWAP[m.unit]
        return w, f"{m.drug} unit: {fmt_dose(m.dose)} {old} -> {fmt_dose(m.dose)} {m.unit}"
    if kind in ("dose_change", "frequency_change"):  # another of the drug's own doses or frequencies
        slot = 2 if kind == "dose_change" else 3
        choices = [m for m in w.medications if len(MEDICATIONS.get(m.drug, (0, 0, (), ()))[slot]) > 1]
        if not choices:
            raise NoPlausibleChange(f"no listed medication is given at more than one {kind.split('_')[0]}")
        m = rng.choice(choices)
        if kind == "dose_change":
            old, m.dose = m.dose, rng.choice([d for d in MEDICATIONS[m.drug][2] if d != m.dose])
            return w, f"{m.drug} dose: {fmt_dose(old)} -> {fmt_dose(m.dose)} {m.unit}"
        old, m.frequency = m.frequency, rng.choice([q for q in MEDICATIONS[m.drug][3] if q != m.frequency])
        return w, f"{m.drug} frequency: {old} -> {m.frequency}"
    if kind == "negation_flip":
        finding = rng.choice(w.negated_findings)
        w.negated_findings.remove(finding)
        w.positive_findings.append(Finding(finding=finding))
        return w, f"negation: denies {finding} -> reports {finding}"
    if kind == "laterality":
        p = rng.choice([p for p in w.positive_findings if p.side])
        old, p.side = p.side, {"left": "right", "right": "left"}[p.side]
        return w, f"laterality: {old} {p.finding} -> {p.side} {p.finding}"
    if kind == "date_change":
        gap = (dt.date.fromisoformat(w.follow_up_date) - dt.date.fromisoformat(w.admission_date)).days
        if rng.random() < 0.5:  # keep admission before follow-up
            old, w.admission_date = w.admission_date, _shift_date(w.admission_date, -14, gap - 1, rng)
            return w, f"admission date: {old} -> {w.admission_date}"
        old, w.follow_up_date = w.follow_up_date, _shift_date(w.follow_up_date, 1 - gap, 14, rng)
        return w, f"follow-up date: {old} -> {w.follow_up_date}"
    raise ValueError(f"unknown perturbation {kind!r}; expected one of {PERTURBATIONS}")


# ----------------------------------------------------------------------------- triplets


def make_triplets(n: int, seed: int, drugs: list[str] | None = None) -> list[dict]:
    """`n` DPO rows {id, prompt, chosen, rejected, perturbation, detail, facts, note}; kinds balanced.

    `drugs` restricts the medication table (e.g. to hold some drugs out of training).
    """
    rng = random.Random(seed)
    kinds: list[str] = []
    while len(kinds) < n:  # each block of 7 holds every kind once, in random order
        block = list(PERTURBATIONS)
        rng.shuffle(block)
        kinds += block
    rows = []
    for i, kind in enumerate(kinds[:n]):
        for _ in range(1000):  # a patient that offers a plausible change of this kind (most do)
            facts = sample_facts(rng, drugs)
            note = make_note(facts, rng)
            try:
                wrong, detail = perturb(facts, kind, rng, drugs)
                break
            except NoPlausibleChange:
                continue
        else:
            raise ValueError(f"drugs {drugs} offer no plausible {kind} (1,000 patients tried)")
        phrasing = rng.getrandbits(64)  # the same phrasing choices for chosen and rejected
        rows.append(
            {
                "id": f"s{seed}-n{i:05d}",
                "prompt": PROMPT_TEMPLATE.format(note=note),
                "chosen": make_summary(facts, random.Random(phrasing)),
                "rejected": make_summary(wrong, random.Random(phrasing)),
                "perturbation": kind,
                "detail": detail,
                "facts": facts.model_dump(),
                "note": note,
            }
        )
    return rows


def split_triplets(rows: list[dict], val_fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """(train, val) split by note id, so every row of a note lands on the same side; order is kept."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    ids = sorted({r["id"] for r in rows})
    random.Random(seed).shuffle(ids)
    val_ids = set(ids[: round(val_fraction * len(ids))])
    return [r for r in rows if r["id"] not in val_ids], [r for r in rows if r["id"] in val_ids]
