"""Synthetic notes and DPO triplets: determinism, one-detail perturbations, summaries and notes that state every fact."""

import collections
import difflib
import json
import random
import re

import pytest

from rxalign.data.notes import (
    FREQ_ABBREV,
    PERTURBATIONS,
    PROMPT_TEMPLATE,
    ROUTE_ABBREV,
    ROUTE_ADVERB,
    NoPlausibleChange,
    NoteFacts,
    date_forms,
    fmt_dose,
    make_note,
    make_summary,
    make_triplets,
    perturb,
    sample_facts,
    split_triplets,
)

NEGATION = re.compile(r"\b(denies|no|negative for)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def rows():
    return make_triplets(600, seed=0)


def _leaves(x, path=""):
    if isinstance(x, dict):
        return {k: v for key, val in x.items() for k, v in _leaves(val, f"{path}.{key}").items()}
    if isinstance(x, list):
        return {k: v for i, val in enumerate(x) for k, v in _leaves(val, f"{path}[{i}]").items()} or {
            path: []
        }
    return {path: x}


def _same_phrasing(chosen: str, rejected: str, kind: str) -> bool:
    """The summaries differ in one contiguous run of words; a negation flip instead rewrites at most the
    denied-findings and the present-findings sentences (list commas and conjunctions move)."""
    if kind != "negation_flip":
        ops = difflib.SequenceMatcher(None, chosen.split(), rejected.split(), autojunk=False).get_opcodes()
        return sum(tag != "equal" for tag, *_ in ops) == 1
    a, b = _sentences(chosen), _sentences(rejected)
    return 1 <= len(set(a) - set(b)) <= 2 and 1 <= len(set(b) - set(a)) <= 2 and abs(len(a) - len(b)) <= 1


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=\.)\s+|\n", text)


def test_deterministic_for_a_seed():
    assert make_triplets(30, seed=3) == make_triplets(30, seed=3)
    assert make_triplets(30, seed=3) != make_triplets(30, seed=4)


@pytest.mark.parametrize("kind", PERTURBATIONS)
def test_perturb_changes_exactly_one_detail(kind):
    rng = random.Random(kind)
    done = 0
    while done < 150:
        facts = sample_facts(rng)
        try:
            wrong, detail = perturb(facts, kind, rng)
        except NoPlausibleChange:  # make_triplets draws another patient
            assert kind in ("drug_swap", "dose_change", "frequency_change")
            continue
        done += 1
        assert detail and wrong != facts
        a, b = facts.model_dump(), wrong.model_dump()
        if kind == "negation_flip":  # one finding moves from denied to present, nothing else changes
            (moved,) = set(a["negated_findings"]) - set(b["negated_findings"])
            assert b["negated_findings"] == [f for f in a["negated_findings"] if f != moved]
            assert b["positive_findings"] == a["positive_findings"] + [{"finding": moved, "side": None}]
            a = {k: v for k, v in a.items() if "findings" not in k}
            b = {k: v for k, v in b.items() if "findings" not in k}
            assert a == b
        else:
            la, lb = _leaves(a), _leaves(b)
            assert la.keys() == lb.keys()
            (changed,) = [k for k in la if la[k] != lb[k]]
            field = {
                "drug_swap": "drug",
                "dose_change": "dose",
                "unit_change": "unit",
                "frequency_change": "frequency",
                "laterality": "side",
                "date_change": "_date",
            }[kind]
            assert changed.endswith(field), (kind, changed)
        if kind == "date_change":
            assert wrong.admission_date < wrong.follow_up_date
        # Same phrasing seed: the summaries differ only where the facts differ.
        chosen, rejected = (make_summary(f, random.Random(7)) for f in (facts, wrong))
        assert _same_phrasing(chosen, rejected, kind), (chosen, rejected)


def test_rows_schema_and_one_detail_differs(rows):
    json.dumps(rows)  # JSON-serialisable
    for r in rows:
        assert set(r) == {"id", "prompt", "chosen", "rejected", "perturbation", "detail", "facts", "note"}
        assert r["prompt"] == PROMPT_TEMPLATE.format(note=r["note"])
        NoteFacts.model_validate(r["facts"])
        assert r["chosen"] != r["rejected"]
        assert _same_phrasing(r["chosen"], r["rejected"], r["perturbation"]), r
        if r["perturbation"] == "negation_flip":  # the denied finding is now stated as present
            moved = r["detail"].split(" -> reports ")[1]
            (sentence,) = [x for x in _sentences(r["rejected"]) if moved in x]
            assert not NEGATION.search(sentence), sentence
    assert len({r["id"] for r in rows}) == len(rows)


def test_perturbation_mix_is_balanced(rows):
    counts = collections.Counter(r["perturbation"] for r in rows)
    assert set(counts) == set(PERTURBATIONS)
    assert all(0.10 <= c / len(rows) <= 0.25 for c in counts.values()), counts


def test_chosen_summary_states_every_fact(rows):
    for r in rows:
        f, s = NoteFacts.model_validate(r["facts"]), r["chosen"]
        for m in f.medications:
            (clause,) = [c for c in re.split(r"; |: | are ", s) if c.startswith(f"{m.drug} ")]
            assert f"{m.drug} {fmt_dose(m.dose)} {m.unit} " in clause
            assert m.frequency in clause and (m.route in clause or ROUTE_ADVERB[m.route] in clause)
        for neg in f.negated_findings:
            (sentence,) = [x for x in _sentences(s) if neg in x]
            assert NEGATION.search(sentence[: sentence.index(neg)]), (neg, sentence)
        for p in f.positive_findings:
            (sentence,) = [x for x in _sentences(s) if p.finding in x]
            assert not NEGATION.search(sentence)
            assert p.side is None or f"{p.side} {p.finding}" in sentence
        assert all(a in s for a in f.allergies) and (f.allergies or "No known drug allergies" in s)
        assert any(d in s for d in date_forms(f.admission_date))
        assert any(d in s for d in date_forms(f.follow_up_date))
        assert f"{f.age}-year-old" in s and all(d in s for d in f.diagnoses)


def test_note_mentions_every_fact(rows):
    for r in rows:
        f, note = NoteFacts.model_validate(r["facts"]), r["note"]
        noun = {"female": ("woman", "female", "y/o F"), "male": ("man", "male", "y/o M")}[f.sex]
        assert re.search(rf"\b{f.age}(-year-old| y/o) ", note) and any(
            re.search(rf"\b{n}\b", note) for n in noun
        )
        assert all(d in note for d in f.diagnoses)
        for m in f.medications:
            (seg,) = [x for x in re.split(r"[\n;]", note) if re.search(rf"(^|[ :-]){re.escape(m.drug)} ", x)]
            assert f"{m.drug} {fmt_dose(m.dose)} {m.unit} " in seg
            routes = (m.route, ROUTE_ABBREV[m.route], ROUTE_ADVERB[m.route])
            assert any(f" {x} " in seg for x in routes)
            assert m.frequency in seg or re.search(rf" {FREQ_ABBREV[m.frequency]}\b", seg)
        assert all(a in note for a in f.allergies) and (
            f.allergies or re.search(r"NKDA|No known drug allergies", note)
        )
        for neg in f.negated_findings:
            (sentence,) = [x for x in _sentences(note) if neg in x]
            assert re.search(r"\b(denies|no|negative for)\b", sentence, re.IGNORECASE)
        assert all((f"{p.side} {p.finding}" if p.side else p.finding) in note for p in f.positive_findings)
        assert any(d in note for d in date_forms(f.admission_date))
        assert any(d in note for d in date_forms(f.follow_up_date))


def test_make_note_and_summary_vary_phrasing():
    facts = sample_facts(random.Random(0))
    assert len({make_note(facts, random.Random(i)) for i in range(40)}) > 10
    assert len({make_summary(facts, random.Random(i)) for i in range(40)}) > 10


def test_drugs_restricts_the_table():
    held_in = ["metformin", "lisinopril", "amlodipine", "atorvastatin", "insulin glargine"]
    for r in make_triplets(100, seed=1, drugs=held_in):
        assert {m["drug"] for m in r["facts"]["medications"]} <= set(held_in)
        if r["perturbation"] == "drug_swap":
            assert r["detail"].split(" -> ")[1] in held_in
    with pytest.raises(ValueError):
        make_triplets(5, seed=0, drugs=["metformin", "not-a-drug"])
    with pytest.raises(ValueError):
        make_triplets(5, seed=0, drugs=["metformin"])


def test_split_by_note_id(rows):
    train, val = split_triplets(rows, val_fraction=0.1, seed=0)
    assert len(val) == 60 and len(train) == 540
    assert not {r["id"] for r in train} & {r["id"] for r in val}
    assert split_triplets(rows, 0.1, seed=0) == (train, val)
    assert split_triplets(rows, 0.1, seed=1)[1] != val
