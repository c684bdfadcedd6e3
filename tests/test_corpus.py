"""The knowledge-augmented pretraining corpus: templates and permutations, interactions in both monographs,
question-answer text for training-side drugs only, notes of its own, and the fingerprint."""

import random
import re

import pytest

from rxalign.data import generate as gen
from rxalign.data.corpus import (
    FACT_LABELS,
    PROBE_KINDS,
    corpus_documents,
    fact_value,
    fingerprint,
    monograph_documents,
    probe_question,
    qa_documents,
)
from rxalign.data.generate import GenerateConfig, qa_leaks, training_side
from rxalign.data.kb import load_kb


@pytest.fixture(scope="module")
def kb():
    return load_kb()


@pytest.fixture(scope="module")
def splits(kb):
    return gen.testbed_splits(GenerateConfig(), kb)


def _about(docs, name):
    """Monograph documents whose header names the drug `name`."""
    heads = (f"Drug monograph: {name}.", f"{name}: prescribing facts.", f"Pharmacist notes on {name}.")
    return [d for d in docs if d.startswith(heads)]


def test_every_interaction_is_stated_in_both_monographs(kb):
    docs = monograph_documents(kb, copies=1, rng=random.Random(0))
    for ix in kb.interactions:
        a, b = (kb.drug(i).name for i in ix.drugs)
        sev = FACT_LABELS["interaction"][ix.severity]
        for me, other in ((a, b), (b, a)):
            text = " ".join(_about(docs, me))
            forms = (
                f"Interaction of {me} with {other}: {sev}.",
                f"{me} taken with {other}, interaction severity: {sev}.",
                f"{me} and {other} interaction: {sev}.",
                f"Combining {other} with {me}: {sev} interaction for {me}.",
            )
            assert any(f in text for f in forms), (me, other)


def test_copies_draw_templates_afresh_and_permute_sentences(kb):
    docs = monograph_documents(kb, copies=6, rng=random.Random(0))
    warfarin = _about(docs, "Warfarin")
    renal_forms = {
        s
        for d in warfarin
        for s in re.findall(
            r"(Renal dosing of Warfarin, eGFR 30-44|Warfarin at eGFR 30-44|For a patient at eGFR 30-44, Warfarin)",
            d,
        )
    }
    assert len(renal_forms) >= 2  # more than one template across six copies
    firsts = {d.split(". ", 1)[1][:40] for d in warfarin}
    assert len(firsts) >= 3  # sentences start each document in different orders


def test_qa_text_covers_training_side_only(kb, splits):
    heldout, parts = splits
    corpus = gen.testbed_corpus(GenerateConfig(corpus_notes=0), kb, parts)
    assert qa_leaks(corpus, kb, heldout) == []
    text = "\n".join(corpus)
    asked = [i for i in training_side(parts) if i.task in PROBE_KINDS]
    assert all(probe_question(i, kb) in text for i in asked[::50])
    never = [i for i in parts["eval"] if i.task in PROBE_KINDS]
    assert never and not any(probe_question(i, kb) in text for i in never)
    assert not any(probe_question(i, kb) in text for i in parts["val"] if i.task in PROBE_KINDS)


def test_qa_leak_check_catches_a_planted_question_and_reads_names_longest_first(kb, splits):
    heldout, parts = splits
    held = kb.drug(sorted(heldout)[0]).name
    assert qa_leaks([f"Question: What is the {held} dose at eGFR 30-44?\nAnswer: full dose."], kb, heldout)
    # "Amoxicillin" inside "Amoxicillin–clavulanate" is the longer name, not a mention of the shorter one
    assert qa_leaks(["Question: Amoxicillin–clavulanate?\nAnswer: x."], kb, {"amoxicillin"}) == []
    assert qa_leaks(["Question: Amoxicillin?\nAnswer: x."], kb, {"amoxicillin"})


def test_qa_sheet_answers_are_the_truth(kb, splits):
    items = [i for i in training_side(splits[1]) if i.task in PROBE_KINDS][:40]
    text = "\n\n".join(qa_documents(items, kb, copies=1, rng=random.Random(0)))
    for item in items:
        assert f"{probe_question(item, kb)} {FACT_LABELS[item.task][fact_value(item)]}." in text


def test_labels_of_a_kind_start_differently():
    for kind, labels in FACT_LABELS.items():
        firsts = [label.split()[0] for label in labels.values()]
        assert len(set(firsts)) == len(firsts), kind


def test_fingerprint_follows_the_settings(kb):
    a = corpus_documents(kb, 0, 2)
    assert fingerprint(a) == fingerprint(corpus_documents(kb, 0, 2))
    assert fingerprint(a) != fingerprint(corpus_documents(kb, 1, 2))
    assert fingerprint(a) != fingerprint(a[::-1])
