"""Pharmacy questions built from the knowledge base, each with its structured truth: the question templates
(`train` and `eval` phrasings), `Item`, and `build_items` (one item per task, entity and variant). Re-exported by
rxalign.data.qa, which writes the answers to them."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from rxalign.data.kb import AllergyRecord, Drug, KnowledgeBase

TASKS = ("interaction", "renal", "renal_all", "hepatic", "pediatric", "pgx", "allergy")

TEMPLATES: dict[str, dict[str, list[str]]] = {
    "interaction": {
        "train": [
            "Is it safe to take {a} with {b}?",
            "My patient takes {a}. Can I add {b}?",
            "What is the interaction between {a} and {b}?",
            "{a} + {b}: any problem?",
            "Any interaction between {a} and {b}?",
            "Patient on {a} and {b}. Is that combination a problem?",
            "Should I worry about {a} together with {b}?",
        ],
        "eval": ["Can {a} and {b} be given together?", "Please check {a} with {b} for interactions."],
    },
    "renal": {
        "train": [
            "How should {drug} be dosed at an eGFR of {egfr} mL/min?",
            "Patient on {drug} has eGFR {egfr}. What dose adjustment is needed?",
            "{drug} with eGFR {egfr}: what dose?",
            "Renal dosing question: {drug}, eGFR {egfr} mL/min.",
            "Kidney function is reduced (eGFR {egfr}). How much {drug}?",
        ],
        "eval": ["What {drug} dose fits a patient whose eGFR is {egfr} mL/min?"],
    },
    # The dialysis band's questions: no eGFR, the patient is on haemodialysis (items pick this task's templates).
    "renal_dialysis": {
        "train": [
            "How should {drug} be dosed in a patient on haemodialysis?",
            "Patient on haemodialysis needs {drug}. What dose?",
            "{drug} in a haemodialysis patient: any dose change?",
        ],
        "eval": ["What {drug} dose suits someone who receives haemodialysis?"],
    },
    "renal_all": {
        "train": [
            "How do I adjust {drug} for renal impairment?",
            "Give the renal dosing of {drug} by eGFR band.",
            "{drug}: dose adjustment for each eGFR band?",
        ],
        "eval": ["What are the kidney-function dose adjustments for {drug}?"],
    },
    "hepatic": {
        "train": [
            "Can {drug} be used in Child-Pugh {cls} ({severity}) hepatic impairment?",
            "{drug} in a patient with {severity} liver impairment (Child-Pugh {cls})?",
            "Is {drug} safe in cirrhosis, Child-Pugh class {cls}?",
            "Hepatic impairment, Child-Pugh {cls}: can I give {drug}?",
            "Does {drug} need adjusting for {severity} (Child-Pugh {cls}) liver impairment?",
        ],
        "eval": ["My patient has Child-Pugh {cls} ({severity}) liver impairment. Is {drug} appropriate?"],
    },
    "pediatric": {
        "train": [
            "What is the {drug} dose for a child weighing {weight} kg?",
            "Paediatric dosing of {drug} for a {weight} kg child?",
            "Child, {weight} kg: what {drug} dose?",
        ],
        "eval": ["How much {drug} should a {weight} kg child receive?"],
    },
    "pgx": {
        "train": [
            "A patient is a {gene} {phenotype}. Is {drug} appropriate?",
            "{gene} {phenotype} and {drug}: what should I do?",
            "Genotype result: {gene} {phenotype}. Can this patient take {drug}?",
        ],
        "eval": ["Does being a {gene} {phenotype} change how {drug} should be used?"],
    },
    "allergy": {
        "train": [
            "A patient {reaction} {allergy}. Can they take {drug}?",
            "History: {reaction} {allergy}. Is {drug} acceptable?",
            "Allergy check: patient {reaction} {allergy}. Can I prescribe {drug}?",
        ],
        "eval": ["Is {drug} an option for someone who {reaction} {allergy}?"],
    },
}
REACTIONS = {
    "ige": ["had anaphylaxis after", "developed hives and wheeze within an hour of"],
    "non_ige": ["had a mild delayed rash after", "developed a mild, non-urticarial rash days after starting"],
    "scar": ["developed Stevens-Johnson syndrome after", "had DRESS after"],
}
# eGFR asked about per band: just above each band's lower edge, where the KB holds the label's action when a label
# cut-off falls inside the band (CrCl 50 inside 45_59, CrCl 35 and 40 inside 30_44; see kb.RenalBands), and clear of
# edges that labels write as "≤30" or "≥30". The dialysis band has no eGFR: its question says haemodialysis.
RENAL_BAND_EGFR = {"gt60": (75, 90), "45_59": (46, 49), "30_44": (31, 34), "15_29": (18, 25), "lt15": (8, 12)}
CHILD_PUGH_SEVERITY = {"A": "mild", "B": "moderate", "C": "severe"}
PEDIATRIC_WEIGHTS = (12, 20, 30)


@dataclass(frozen=True)
class Item:
    """One question about one entity, with the structured truth a grader checks answers against."""

    id: str
    task: str
    entities: tuple[str, ...]  # drug ids (and allergy names) the question is about
    slots: dict = field(hash=False)  # values for the template placeholders
    truth: dict = field(hash=False)
    phrasing: str = ""  # the TEMPLATES key its questions come from, when not the task's ("renal_dialysis")

    @property
    def templates_key(self) -> str:
        return self.phrasing or self.task

    def prompt(self, template: str) -> str:
        return sentence(template.format(**self.slots))


def words(identifier: str) -> str:
    return identifier.replace("_", " ")


def name(d: Drug) -> str:
    """A generic name as written inside a sentence ("warfarin"); acronyms and brand-like capitals are kept."""
    n = d.name
    return n if len(n) > 1 and n[1].isupper() else n[0].lower() + n[1:]


def sentence(text: str) -> str:
    """Capitalise the first letter, leaving mixed-case words such as "eGFR" alone."""
    return text if text[1:2].isupper() else text[:1].upper() + text[1:]


def short(text: str, limit: int = 110) -> str:
    """The first clause of a KB sentence, for compact answers a small model can learn."""
    text = re.split(r"(?<!e\.g)(?<!i\.e)(?<!\bvs)(?<!approx)\. |; ", text, maxsplit=1)[0].rstrip(".")
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0]


def _limited(drug: Drug, *topics: str) -> bool:
    return any(e.topic in topics for e in drug.limited_evidence)


# ---- items ----------------------------------------------------------------------------------------------


def build_items(kb: KnowledgeBase, rng: random.Random) -> list[Item]:
    """Every question the KB can answer, one Item per (task, entity, variant)."""
    items: list[Item] = []
    for ix in kb.interactions:
        a, b = (kb.drug(i) for i in ix.drugs)
        truth = {
            "task": "interaction",
            "drugs": list(ix.drugs),
            "severity": ix.severity,
            "risk_multiplier": ix.risk_multiplier,
            "alternative_ids": list(ix.alternative_ids),
            "limited_evidence": ix.limited_evidence,
        }
        items.append(
            Item(f"interaction:{a.id}+{b.id}", "interaction", ix.drugs, {"a": name(a), "b": name(b)}, truth)
        )
    for d in kb.drugs:
        bands = dict(d.renal.bands.items())
        renal_limited = _limited(d, "renal", "renal_lt15", "dialysis")
        for band, b in bands.items():
            egfr = rng.randint(*RENAL_BAND_EGFR[band]) if band in RENAL_BAND_EGFR else None
            limited = {"lt15": ("renal_lt15", "dialysis"), "dialysis": ("dialysis",)}.get(band, ())
            truth = {
                "task": "renal",
                "drug": d.id,
                "egfr": egfr,
                "band": band,
                "action": b.action,
                "percent": b.percent_of_dose,
                "basis": d.renal.basis,
                "limited_evidence": _limited(d, *limited),
            }
            items.append(
                Item(
                    f"renal:{d.id}:{band}",
                    "renal",
                    (d.id,),
                    {"drug": name(d), "egfr": egfr},
                    truth,
                    "renal_dialysis" if band == "dialysis" else "",
                )
            )
        truth = {
            "task": "renal_all",
            "drug": d.id,
            "bands": {k: {"action": v.action, "percent": v.percent_of_dose} for k, v in bands.items()},
            "basis": d.renal.basis,
            "limited_evidence": renal_limited,
        }
        items.append(Item(f"renal_all:{d.id}", "renal_all", (d.id,), {"drug": name(d)}, truth))
        for cls, action in d.hepatic.child_pugh.items():
            truth = {
                "task": "hepatic",
                "drug": d.id,
                "child_pugh": cls,
                "action": action,
                "limited_evidence": _limited(d, "hepatic"),
            }
            slots = {"drug": name(d), "cls": cls, "severity": CHILD_PUGH_SEVERITY[cls]}
            items.append(Item(f"hepatic:{d.id}:{cls}", "hepatic", (d.id,), slots, truth))
        if (p := d.pediatric) is not None and p.per == "day":
            for w in PEDIATRIC_WEIGHTS:
                low, high = p.mg_per_kg_low * w, p.mg_per_kg_high * w
                if p.max_mg_per_day:
                    low, high = min(low, p.max_mg_per_day), min(high, p.max_mg_per_day)
                truth = {
                    "task": "pediatric",
                    "drug": d.id,
                    "weight_kg": w,
                    "mg_per_kg_low": p.mg_per_kg_low,
                    "mg_per_kg_high": p.mg_per_kg_high,
                    "dose_mg_low": round(low, 1),
                    "dose_mg_high": round(high, 1),
                    "divided_doses": p.divided_doses,
                    "max_mg_per_day": p.max_mg_per_day,
                    "limited_evidence": _limited(d, "pediatric"),
                }
                items.append(
                    Item(f"pediatric:{d.id}:{w}", "pediatric", (d.id,), {"drug": name(d), "weight": w}, truth)
                )
        for note in d.pgx:
            if note.phenotype == "normal_metabolizer":
                continue
            truth = {
                "task": "pgx",
                "drug": d.id,
                "gene": note.gene,
                "phenotype": note.phenotype,
                "stance": note.stance,
                "limited_evidence": _limited(d, "pharmacogenomics"),
            }
            slots = {"drug": name(d), "gene": note.gene, "phenotype": words(note.phenotype)}
            items.append(Item(f"pgx:{d.id}:{note.gene}:{note.phenotype}", "pgx", (d.id,), slots, truth))
    for rec in kb.allergy:
        for d in _spread(kb.members(rec.drug_or_class), 3):
            item = allergy_item(kb, rec, d, rng.choice(REACTIONS[rec.mechanism_type]))
            if all(i.id != item.id for i in items):  # the most specific record (listed first) wins
                items.append(item)
    return items


def allergy_item(kb: KnowledgeBase, rec: AllergyRecord, d: Drug, reaction: str) -> Item:
    """The question "patient <reaction> <allergen>: can they take <drug>?" with the record's truth."""
    truth = {
        "task": "allergy",
        "allergy": rec.allergy,
        "drug": d.id,
        "mechanism_type": rec.mechanism_type,
        "recommendation": rec.recommendation,
        "cross_low": rec.cross_reactivity_percent_low,
        "cross_high": rec.cross_reactivity_percent_high,
        "limited_evidence": rec.limited_evidence,
    }
    slots = {"drug": name(d), "allergy": words(rec.allergy), "reaction": reaction}
    # An allergen that is itself a drug is an entity of the question too (held out with it).
    entities = (d.id, rec.allergy) if rec.allergy in kb.drug_index else (d.id,)
    return Item(f"allergy:{rec.allergy}:{rec.mechanism_type}:{d.id}", "allergy", entities, slots, truth)


def _spread(drugs: list[Drug], n: int) -> list[Drug]:
    """Up to `n` drugs taken in turn from each first group (penicillin, cephalosporin, carbapenem...), so that a
    class-wide allergy record ("avoid all beta-lactams") is asked about across its groups, not only the first."""
    by_group: dict[str, list[Drug]] = {}
    for d in drugs:
        by_group.setdefault(d.groups[0] if d.groups else d.drug_class, []).append(d)
    out: list[Drug] = []
    while len(out) < min(n, len(drugs)):
        for group in by_group.values():
            if group and len(out) < n:
                out.append(group.pop(0))
    return out
