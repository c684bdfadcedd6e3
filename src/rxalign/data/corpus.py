"""The testbed's pretraining corpus, written so that the knowledge in it can be extracted later.

Allen-Zhu & Li, "Physics of Language Models: Part 3.1, Knowledge Storage and Extraction" (2023), find that a
model asked about an entity it saw only in biographies answers well only when (a) each fact appears in several
sentence templates and in permuted orders, with the entity's full name in every sentence (knowledge
augmentation), and (b) question-answer text for *other* entities is mixed into pretraining (mixed training).
This corpus does both for the drugs of the knowledge base:

- monographs: every fact of a drug in one of several templates per copy, sentences in a fresh random order,
  the drug's full name in each sentence; each interaction is stated in the monographs of both its drugs;
- question-and-answer sheets for training-side questions only, in the short-answer form the knowledge probe asks
  (`FACT_LABELS`) and in the expert-answer form SFT teaches; never for a held-out drug;
- note + summary documents: a synthetic clinical note, then its handover summary, short enough that the
  packer keeps each in one block, so that the model learns to copy details from its context.

`FACT_LABELS` and `probe_question` are shared with the knowledge probe (rxalign.eval.probe), so the probe asks
exactly the question form the corpus teaches on training-side drugs.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable

from rxalign.data import notes
from rxalign.data.kb import Drug, KnowledgeBase
from rxalign.data.qa import ALLERGY_KIND, BAND_TEXT, CHILD_PUGH_SEVERITY, TEMPLATES, Item, answer, words

# The label of each fact value, as the monographs state it and the probe ranks it. Every label of a kind starts
# differently, so a ranking of labels is a ranking of values.
FACT_LABELS: dict[str, dict[str, str]] = {
    "interaction": {
        "contraindicated": "contraindicated",
        "major": "major",
        "moderate": "moderate",
        "minor": "minor",
        "none": "none",
    },
    "renal": {
        "full": "full dose",
        "reduce": "reduced dose",
        "avoid": "avoid",
        "contraindicated": "contraindicated",
    },
    "hepatic": {
        "none": "no adjustment",
        "caution": "use with caution",
        "reduce": "reduced dose",
        "avoid": "avoid",
        "contraindicated": "contraindicated",
    },
    "pgx": {"avoid": "avoid", "adjust": "adjust the dose", "use": "usual dose"},
    "allergy": {"avoid": "avoid", "use_with_caution": "use with caution", "acceptable": "acceptable"},
}
PROBE_KINDS = tuple(FACT_LABELS)
BAND_PHRASE = {k: ("on dialysis" if k == "dialysis" else f"at {v}") for k, v in BAND_TEXT.items()}
ALLERGY_SHORT = {"ige": "IgE-mediated", "non_ige": "non-IgE", "scar": "severe cutaneous"}


def fact_value(item: Item) -> str:
    """The KB value a probe item asks for (a key of FACT_LABELS[item.task])."""
    t = item.truth
    return {
        "interaction": lambda: t["severity"],
        "renal": lambda: t["action"],
        "hepatic": lambda: t["action"],
        "pgx": lambda: t["stance"],
        "allergy": lambda: t["recommendation"],
    }[item.task]()


def probe_question(item: Item, kb: KnowledgeBase) -> str:
    """The short-answer question for a probe-kind item: "Question: ...\\nAnswer:" (the label follows a space)."""
    t = item.truth
    if item.task == "interaction":
        a, b = (kb.drug(i).name for i in t["drugs"])
        q = f"How severe is the interaction between {a} and {b}?"
    elif item.task == "renal":
        q = f"What is the {kb.drug(t['drug']).name} dose {BAND_PHRASE[t['band']]}?"
    elif item.task == "hepatic":
        q = f"What is the {kb.drug(t['drug']).name} advice in Child-Pugh {t['child_pugh']} hepatic impairment?"
    elif item.task == "pgx":
        q = f"What is the {kb.drug(t['drug']).name} advice for a {t['gene']} {words(t['phenotype'])}?"
    elif item.task == "allergy":
        kind, allergen = ALLERGY_SHORT[t["mechanism_type"]], words(t["allergy"])
        q = f"After {_a(kind)} {kind} {allergen} allergy, can {kb.drug(t['drug']).name} be used?"
    else:
        raise ValueError(f"{item.id}: task {item.task!r} has no probe question")
    return f"Question: {q}\nAnswer:"


def _a(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" or word.startswith("IgE") else "a"


# ---- monographs -------------------------------------------------------------------------------------------


def _pick(rng: random.Random, forms: list[str]) -> str:
    return rng.choice(forms)


def _interaction_sentence(kb: KnowledgeBase, ix, me: str, rng: random.Random) -> str:
    """One interaction, told from the monograph of drug `me`: both names in full, the severity label."""
    other = next(i for i in ix.drugs if i != me) if ix.drugs[0] != ix.drugs[1] else me
    x, y = kb.drug(me).name, kb.drug(other).name
    sev = FACT_LABELS["interaction"][ix.severity]
    mech = ix.mechanism.rstrip(".")
    return _pick(
        rng,
        [
            f"Interaction of {x} with {y}: {sev}. {mech}.",
            f"{x} taken with {y}, interaction severity: {sev}. {ix.risk}",
            f"{x} and {y} interaction: {sev}. Monitoring: {ix.monitoring}",
            f"Combining {y} with {x}: {sev} interaction for {x}. {mech}.",
        ],
    )


def _renal_sentences(d: Drug, rng: random.Random) -> list[str]:
    out = []
    for band, b in d.renal.bands.items():
        label = FACT_LABELS["renal"][b.action]
        detail = (
            f" ({b.percent_of_dose}% of the usual dose)" if b.action == "reduce" and b.percent_of_dose else ""
        )
        out.append(
            _pick(
                rng,
                [
                    f"{d.name} {BAND_PHRASE[band]}: {label}{detail}. {b.note}",
                    f"Renal dosing of {d.name}, {BAND_TEXT[band]}: {label}{detail}.",
                    f"For a patient {BAND_PHRASE[band]}, {d.name}: {label}{detail}.",
                ],
            )
        )
    if d.renal.basis == "crcl":
        out.append(f"The renal bands of {d.name} follow the label's creatinine clearance (CrCl) cut-offs.")
    if d.renal.note:
        out.append(f"Renal note on {d.name}: {d.renal.note}")
    return out


def _hepatic_sentences(d: Drug, rng: random.Random) -> list[str]:
    out = [
        _pick(
            rng,
            [
                f"{d.name} in Child-Pugh {cls} ({CHILD_PUGH_SEVERITY[cls]}) hepatic impairment: {FACT_LABELS['hepatic'][a]}.",
                f"Hepatic impairment, Child-Pugh {cls}, {d.name}: {FACT_LABELS['hepatic'][a]}.",
                f"For Child-Pugh {cls} liver disease, {d.name}: {FACT_LABELS['hepatic'][a]}.",
            ],
        )
        for cls, a in d.hepatic.child_pugh.items()
    ]
    return out + [f"Hepatic note on {d.name}: {d.hepatic.note}"]


def _pgx_sentences(d: Drug, rng: random.Random) -> list[str]:
    out = []
    for n in d.pgx:
        who, label = f"{n.gene} {words(n.phenotype)}", FACT_LABELS["pgx"][n.stance]
        out.append(
            _pick(
                rng,
                [
                    f"{d.name} in a {who}: {label}. {n.recommendation}",
                    f"A {who} taking {d.name}: {label}. {n.effect}",
                    f"Pharmacogenomics of {d.name}, {who}: {label}.",
                ],
            )
        )
    return out


def allergy_facts(kb: KnowledgeBase) -> dict[str, list[tuple]]:
    """{drug id: [(record, drug)]}: for each drug, each (allergen, reaction type) a record speaks to, the most
    specific record (listed first in the KB), as the questions take it."""
    seen: set[tuple[str, str, str]] = set()
    out: dict[str, list[tuple]] = {}
    for rec in kb.allergy:
        for d in kb.members(rec.drug_or_class):
            key = (rec.allergy, rec.mechanism_type, d.id)
            if key not in seen:
                seen.add(key)
                out.setdefault(d.id, []).append(rec)
    return out


def _allergy_sentences(d: Drug, records: list, rng: random.Random) -> list[str]:
    out = []
    for rec in records:
        kind, allergen, label = (
            ALLERGY_SHORT[rec.mechanism_type],
            words(rec.allergy),
            FACT_LABELS["allergy"][rec.recommendation],
        )
        out.append(
            _pick(
                rng,
                [
                    f"{d.name} after {_a(kind)} {kind} {allergen} allergy: {label}.",
                    f"Patients with a {kind} reaction to {allergen}, {d.name}: {label}. {rec.note}",
                    f"{d.name} and a {ALLERGY_KIND[rec.mechanism_type]} {allergen} allergy: {label}.",
                ],
            )
        )
    return out


def _core_sentences(d: Drug) -> list[str]:
    out = [
        f"{d.name} is a {words(d.drug_class)}. {d.mechanism.text}",
        f"The usual adult dose of {d.name} is {d.dose.amount:g} {d.dose.unit} {words(d.dose.frequency)} "
        f"({d.dose.route}). {d.dose.text}",
        f"{d.name} in pregnancy: {d.pregnancy.text}",
    ]
    if d.contraindications:
        out.append(
            f"{d.name} is contraindicated in: " + "; ".join(c.condition for c in d.contraindications) + "."
        )
    if (p := d.pediatric) is not None:
        out.append(
            f"Paediatric dosing of {d.name}: {p.mg_per_kg_low:g}-{p.mg_per_kg_high:g} mg/kg per {p.per}. {p.note}"
        )
    out += [f"Evidence on {d.name} ({words(e.topic)}) is limited: {e.note}" for e in d.limited_evidence]
    return out


def monograph_documents(kb: KnowledgeBase, copies: int, rng: random.Random, per_doc: int = 8) -> list[str]:
    """`copies` renderings of every drug's monograph, each in documents of about `per_doc` sentences (short enough
    to sit in one block): templates drawn afresh and sentences shuffled in every copy."""
    allergy = allergy_facts(kb)
    headers = ["Drug monograph: {n}.", "{n}: prescribing facts.", "Pharmacist notes on {n}."]
    docs = []
    for d in kb.drugs:
        mine = [ix for ix in kb.interactions if d.id in ix.drugs]
        for _ in range(copies):
            sentences = (
                _core_sentences(d)
                + _renal_sentences(d, rng)
                + _hepatic_sentences(d, rng)
                + _pgx_sentences(d, rng)
                + _allergy_sentences(d, allergy.get(d.id, []), rng)
                + [_interaction_sentence(kb, ix, d.id, rng) for ix in mine]
            )
            rng.shuffle(sentences)
            for start in range(0, len(sentences), per_doc):
                header = rng.choice(headers).format(n=d.name)
                docs.append(" ".join([header, *sentences[start : start + per_doc]]))
    return docs


# ---- question-and-answer sheets (training side only) ------------------------------------------------------


def qa_documents(
    items: Iterable[Item], kb: KnowledgeBase, copies: int, rng: random.Random, per_doc: int = 6
) -> list[str]:
    """Question-and-answer sheets for `items` (training-side questions only): each probe-kind item as the
    probe's short-answer question, and every item in a training phrasing with its expert answer."""
    pairs: list[str] = []
    for item in items:
        if item.task in FACT_LABELS:
            pairs.append(f"{probe_question(item, kb)} {FACT_LABELS[item.task][fact_value(item)]}.")
        pairs.append(
            f"Question: {item.prompt(rng.choice(TEMPLATES[item.templates_key]['train']))}\n"
            f"Answer: {answer(item, kb, 'expert', rng)}"
        )
    docs = []
    for _ in range(copies):
        order = pairs[:]
        rng.shuffle(order)
        docs += ["\n\n".join(order[s : s + per_doc]) for s in range(0, len(order), per_doc)]
    return docs


# ---- notes ------------------------------------------------------------------------------------------------


def note_documents(n: int, seed: int) -> list[str]:
    """`n` documents: a synthetic clinical note, then its factual handover summary (drawn apart from the DPO
    triplets' perturbations, so that changing those leaves the corpus as it is)."""
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        facts = notes.sample_facts(rng)
        note = notes.make_note(facts, rng)
        docs.append(note_document(note, notes.make_summary(facts, random.Random(rng.getrandbits(64)))))
    return docs


def note_document(note: str, summary: str) -> str:
    return f"Clinical note:\n{note}\n\nSummary: {summary}"


# ---- the corpus -------------------------------------------------------------------------------------------


def corpus_documents(
    kb: KnowledgeBase,
    seed: int,
    monograph_copies: int,
    qa_items: list[Item] = (),
    qa_copies: int = 0,
    n_notes: int = 0,
) -> list[str]:
    """The whole corpus, shuffled: monographs, QA sheets for `qa_items`, note + summary documents."""
    rng = random.Random(f"corpus-{seed}")
    docs = monograph_documents(kb, monograph_copies, rng)
    if qa_copies and qa_items:
        docs += qa_documents(qa_items, kb, qa_copies, rng)
    if n_notes:
        docs += note_documents(
            n_notes, seed + 15485863
        )  # notes of their own: not SFT, DPO or evaluation notes
    rng.shuffle(docs)
    return docs


def fingerprint(docs: list[str]) -> str:
    """sha256 of the corpus (its documents in order): what a base model's card records it was trained on."""
    return hashlib.sha256(json.dumps(docs, ensure_ascii=False).encode("utf-8")).hexdigest()
