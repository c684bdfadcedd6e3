"""Pharmacy questions built from the knowledge base, each with its structured truth, and answers to them at
graded quality tiers (expert, partial, vague, hedging, alarmist, wrong) for SFT demonstrations and preferences.

Question templates are split: `train` phrasings feed SFT, preference and PPO data; `eval` phrasings are only
ever used for held-out evaluation, so evaluation measures transfer to unseen wording.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace

from rxalign.data.kb import AllergyRecord, Drug, KnowledgeBase, hepatic_statements

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
ALLERGY_KIND = {
    "ige": "IgE-mediated (immediate)",
    "non_ige": "non-IgE (delayed, mild, non-severe)",
    "scar": "severe cutaneous (SJS/TEN or DRESS)",
}
# eGFR asked about per band: just above each band's lower edge, where the KB holds the label's action when a label
# cut-off falls inside the band (CrCl 50 inside 45_59, CrCl 35 and 40 inside 30_44; see kb.RenalBands), and clear of
# edges that labels write as "≤30" or "≥30". The dialysis band has no eGFR: its question says haemodialysis.
RENAL_BAND_EGFR = {"gt60": (75, 90), "45_59": (46, 49), "30_44": (31, 34), "15_29": (18, 25), "lt15": (8, 12)}
BAND_TEXT = {
    "gt60": "eGFR 60 or above",
    "45_59": "eGFR 45-59",
    "30_44": "eGFR 30-44",
    "15_29": "eGFR 15-29",
    "lt15": "eGFR below 15",
    "dialysis": "on dialysis",
}
CHILD_PUGH_SEVERITY = {"A": "mild", "B": "moderate", "C": "severe"}
CLASS_MENTION = re.compile(r"child[- ]pugh|\b(?:mild|moderate|severe)\b|compensated", re.I)
PEDIATRIC_WEIGHTS = (12, 20, 30)
TIERS = ("expert", "partial", "vague", "hedging", "alarmist", "wrong")
# An expert-formatted answer that states one wrong fact: another eGFR band's dose, the opposite severity or
# recommendation, ten times the paediatric dose. Only the facts tell it from the expert answer.
# Reward models that never see one learn that the expert *format* is enough, and PPO then answers "eGFR above
# 60: full dose" at every eGFR. Not in TIERS: preference data adds these pairs on their own (generate.py).
CONFUSED = "confused"
# An expert answer to a different question: fluent, confident and irrelevant. Reward models that never see
# one learn that the style of a good answer is enough (PPO then answers every question the same way).
OFF_TOPIC = "off_topic"
SEVERITY_LEAD = {
    "contraindicated": "CONTRAINDICATED",
    "major": "MAJOR interaction: avoid the combination if possible",
    "moderate": "MODERATE interaction: usable with monitoring",
    "minor": "MINOR interaction: usually no change is needed",
    "none": "No clinically relevant interaction: they can be used together",
}
HEPATIC_LEAD = {  # after "Child-Pugh {cls} ({severity} hepatic impairment): "
    "none": "no hepatic dose adjustment is needed",
    "caution": "use with caution",
    "reduce": "reduce the dose",
    "avoid": "AVOID",
    "contraindicated": "CONTRAINDICATED",
}
HEDGE = "Evidence here is limited; confirm with a specialist pharmacist."


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


# ---- answers --------------------------------------------------------------------------------------------


def _dose(d: Drug, percent: int | None = None) -> str:
    amount = d.dose.amount * (percent or 100) / 100
    shown = f"{amount:g}" if amount >= 1 else f"{amount:.2g}"
    return f"{shown} {d.dose.unit} {words(d.dose.frequency)}"


def _band_sentence(d: Drug, band: str, action: str, percent: int | None) -> str:
    if action == "full":
        return sentence(f"{BAND_TEXT[band]}: full dose (100%, {_dose(d)}).")
    if action == "reduce":
        return sentence(f"{BAND_TEXT[band]}: reduce to {percent}% of the dose ({_dose(d, percent)}).")
    return sentence(f"{BAND_TEXT[band]}: {'CONTRAINDICATED' if action == 'contraindicated' else 'AVOID'}.")


def answer(item: Item, kb: KnowledgeBase, tier: str, rng: random.Random) -> str:
    """An answer to `item` at quality `tier`; `expert` states the KB truth compactly and hedges only when
    the KB flags limited evidence; `confused` is the expert answer to a `confusion` of the item."""
    if tier == CONFUSED:
        wrong = confusion(item, kb, rng)
        if wrong is None:
            raise ValueError(f"{item.id}: no confusable fact (check `confusion(...) is not None` first)")
        return answer(wrong, kb, "expert", rng)
    t = item.truth
    text = sentence(_ANSWERS[item.task](item, kb, tier, rng))
    if tier == "expert" and t.get("limited_evidence"):
        text += " " + HEDGE
    if tier == "hedging":
        text = (
            rng.choice(["I am not certain about this. ", "Hard to say. "])
            + text
            + " Please consult a specialist before acting."
        )
    return text


def _interaction(item: Item, kb: KnowledgeBase, tier: str, rng: random.Random) -> str:
    t = item.truth
    ix = kb.interaction(*t["drugs"])
    a, b = (name(kb.drug(i)) for i in t["drugs"])
    sev = t["severity"]
    if tier == "expert":
        parts = [f"{SEVERITY_LEAD[sev]}. {a} + {b}: {short(ix.mechanism)}."]
        if t["risk_multiplier"]:
            parts.append(f"Risk about {t['risk_multiplier']:g}x.")
        if sev in ("contraindicated", "major", "moderate") and ix.alternative:
            alt = ", ".join(name(kb.drug(i)) for i in t["alternative_ids"]) or short(ix.alternative, 60)
            parts.append(f"Use {alt} instead." if sev != "moderate" else f"Alternative: {alt}.")
        parts.append(f"Monitor: {short(ix.monitoring, 80)}.")
        return " ".join(parts)
    if tier in ("partial", "hedging"):
        return f"{SEVERITY_LEAD[sev]}."
    if tier == "vague":
        return rng.choice(
            [
                f"{a} and {b} may cause problems together. Be careful.",
                f"There could be an interaction between {a} and {b}; use caution.",
            ]
        )
    if tier == "alarmist":
        return f"CONTRAINDICATED. Never combine {a} and {b}."
    # wrong: the opposite end of the severity scale
    if sev in ("contraindicated", "major", "moderate"):
        return f"No clinically relevant interaction: {a} and {b} can be used together without monitoring."
    return f"CONTRAINDICATED. {a} with {b} is dangerous; stop {b}."


BASIS_TEXT = {"egfr": "", "crcl": "Label bands by CrCl (creatinine clearance)."}


def _renal(item: Item, kb: KnowledgeBase, tier: str, rng: random.Random) -> str:
    t = item.truth
    d = kb.drug(t["drug"])
    note_of = t.get("note_of", t["band"])  # another band's note in a confused answer: see `confusion`
    note = short(dict(d.renal.bands.items())[note_of].note, 90)
    if tier == "expert":
        basis = f" {BASIS_TEXT[t['basis']]}" if BASIS_TEXT[t["basis"]] else ""
        return f"{_band_sentence(d, t['band'], t['action'], t['percent'])} {note}.{basis} Monitor renal function."
    if tier in ("partial", "hedging"):
        return _band_sentence(d, t["band"], t["action"], t["percent"])
    if tier == "vague":
        return rng.choice(
            [
                "Reduce the dose in kidney problems and monitor.",
                "Kidney function matters; be careful with the dose.",
            ]
        )
    if tier == "alarmist":
        return f"CONTRAINDICATED. Do not use {name(d)} with any kidney impairment."
    wrong = 50 if t["action"] == "full" else 100
    return f"{BAND_TEXT[t['band']]}: give {wrong}% of the usual dose of {name(d)}."


def _renal_all(item: Item, kb: KnowledgeBase, tier: str, rng: random.Random) -> str:
    d = kb.drug(item.truth["drug"])
    bands = item.truth["bands"]
    if tier in ("expert", "partial", "hedging"):
        text = " ".join(_band_sentence(d, k, v["action"], v["percent"]) for k, v in bands.items())
        if tier != "expert":
            return text
        basis = BASIS_TEXT[item.truth["basis"]]
        return text + (f" {basis}" if basis else "") + " Monitor renal function."
    if tier == "vague":
        return "eGFR 60 or above: normal. eGFR 30-59: reduce. eGFR below 30: further reduce."
    if tier == "alarmist":
        return f"CONTRAINDICATED in any renal impairment; avoid {name(d)}."
    return f"No renal dose adjustment is needed for {name(d)} at any eGFR."


def _class_note(note: str, cls: str) -> str:
    """The first clause of a hepatic note that speaks to Child-Pugh `cls`, else the first that names no other
    class, else nothing: an answer about class C must not quote the note's class A sentence."""
    stated = hepatic_statements(note)
    mine = [clause for c, clause, _ in stated if c == cls]
    if mine:
        return short(mine[0])
    others = {clause for c, clause, _ in stated if c != cls}
    rest = [c for c in re.split(r"(?<!e\.g)(?<!i\.e)\. |; ", note) if c.strip() and c.strip() not in others]
    return short(rest[0]) if rest and not CLASS_MENTION.search(rest[0]) else ""


def _hepatic(item: Item, kb: KnowledgeBase, tier: str, rng: random.Random) -> str:
    t = item.truth
    d = kb.drug(t["drug"])
    cls, action = t["child_pugh"], t["action"]
    # The class first, then what to do: a reader (and the grader) takes each class's advice from its mention on.
    where = f"Child-Pugh {cls} ({CHILD_PUGH_SEVERITY[cls]} hepatic impairment)"
    if tier == "expert":
        note = _class_note(d.hepatic.note, cls)
        return f"{where}: {HEPATIC_LEAD[action]}." + (f" {d.name}: {note}." if note else "")
    if tier in ("partial", "hedging"):
        return f"{where}: {HEPATIC_LEAD[action]}."
    if tier == "vague":
        return f"{name(d)} has liver concerns but may work."
    if tier == "alarmist":
        return f"CONTRAINDICATED in any liver disease. Never use {name(d)}."
    flipped = "none" if action in ("avoid", "contraindicated", "reduce") else "contraindicated"
    return f"{where}: {HEPATIC_LEAD[flipped]}."


def _pediatric(item: Item, kb: KnowledgeBase, tier: str, rng: random.Random) -> str:
    t = item.truth
    d = kb.drug(t["drug"])
    mgkg = f"{t['mg_per_kg_low']:g}-{t['mg_per_kg_high']:g} mg/kg/day"
    dose = f"{t['dose_mg_low']:g}-{t['dose_mg_high']:g} mg/day"
    if tier == "expert":
        split = f", divided into {t['divided_doses']} doses" if t["divided_doses"] else ""
        cap = f" Maximum {t['max_mg_per_day']:g} mg/day." if t["max_mg_per_day"] else ""
        return f"For {t['weight_kg']} kg: {mgkg} = {dose}{split}.{cap}"
    if tier in ("partial", "hedging"):
        return f"{mgkg} for {name(d)}."
    if tier == "vague":
        return "Use a weight-based dose and check a paediatric reference."
    if tier == "alarmist":
        return f"CONTRAINDICATED in children. Do not give {name(d)}."
    return f"Give the adult dose of {_dose(d)} regardless of weight."


def _pgx(item: Item, kb: KnowledgeBase, tier: str, rng: random.Random) -> str:
    t = item.truth
    d = kb.drug(t["drug"])
    gene, phenotype = t.get("note_of", (t["gene"], t["phenotype"]))  # note_of: see `confusion`
    note = next(n for n in d.pgx if n.gene == gene and n.phenotype == phenotype)
    who = f"{t['gene']} {words(t['phenotype'])}"
    if tier == "expert":
        return f"{who}: {short(note.effect)}. {short(note.recommendation)}."
    if tier in ("partial", "hedging"):
        return f"{who}: {short(note.recommendation)}."
    if tier == "vague":
        return f"{name(d)} might not work well in this patient."
    if tier == "alarmist":
        return f"CONTRAINDICATED. Never give {name(d)} to a {who}."
    return f"Genotype does not matter for {name(d)}; use the usual dose."


def _allergy(item: Item, kb: KnowledgeBase, tier: str, rng: random.Random) -> str:
    t = item.truth
    d = kb.drug(t["drug"])
    rec = {"avoid": "AVOID", "use_with_caution": "Use with caution", "acceptable": "Acceptable"}[
        t["recommendation"]
    ]
    kind = ALLERGY_KIND[t["mechanism_type"]]
    cross = (
        f" Cross-reactivity about {t['cross_low']:g}-{t['cross_high']:g}%."
        if t["cross_low"] is not None and t["cross_high"] is not None
        else ""
    )
    if tier == "expert":
        return f"{rec}: {name(d)} after a {kind} {words(t['allergy'])} reaction.{cross}"
    if tier in ("partial", "hedging"):
        return f"{rec}."
    if tier == "vague":
        return f"{name(d)} might be okay but be careful."
    if tier == "alarmist":
        return f"CONTRAINDICATED. Never give {name(d)} with any {words(t['allergy'])} allergy."
    return (
        "Acceptable: allergy history does not matter here."
        if t["recommendation"] == "avoid"
        else f"AVOID {name(d)}: allergy risk is high."
    )


_ANSWERS = {
    "interaction": _interaction,
    "renal": _renal,
    "renal_all": _renal_all,
    "hepatic": _hepatic,
    "pediatric": _pediatric,
    "pgx": _pgx,
    "allergy": _allergy,
}


def confusion(item: Item, kb: KnowledgeBase, rng: random.Random) -> Item | None:
    """`item` with one fact of its truth changed to a plausible wrong one, so that its expert answer reads
    like the right answer and is wrong (safety-relevant facts flip across the alarm line). The question and the
    evidence flag stay; None when the KB offers no plausible wrong fact (a pharmacogenomic note whose drug has
    no note with a different stance)."""
    t = dict(item.truth)
    task = item.task
    if task == "interaction":
        alarming = t["severity"] in ("contraindicated", "major")
        t["severity"] = rng.choice(["minor", "none"] if alarming else ["contraindicated", "major"])
        if t["severity"] in ("minor", "none"):
            t["risk_multiplier"] = None
    elif task == "renal":
        bands = dict(kb.drug(t["drug"]).renal.bands.items())
        others = [k for k, b in bands.items() if (b.action, b.percent_of_dose) != (t["action"], t["percent"])]
        alarm = {"avoid", "contraindicated"}
        across = [k for k in others if (bands[k].action in alarm) != (t["action"] in alarm)]
        if others:  # another band's dose (across the alarm line where one is), told with that band's note,
            other = rng.choice(across or others)  # under that band's label or under the asked band's label
            t["action"], t["percent"] = bands[other].action, bands[other].percent_of_dose
            t["note_of"] = other
            if rng.random() < 0.5:
                t["band"] = other
        else:  # the same dose at every eGFR: invent the opposite action
            t["action"], t["percent"] = ("avoid", None) if t["action"] == "full" else ("full", 100)
    elif task == "renal_all":  # the bands' doses in reverse order (the dialysis band keeps its place)
        bands = [(k, v) for k, v in t["bands"].items() if k != "dialysis"]
        shifted = dict(zip([k for k, _ in bands], [v for _, v in bands][::-1], strict=True))
        if "dialysis" in t["bands"]:
            shifted["dialysis"] = t["bands"]["dialysis"]
        if shifted == t["bands"]:  # the same dose at every eGFR: invent an adjustment
            shifted = {**t["bands"], "lt15": {"action": "avoid", "percent": None}}
            if shifted == t["bands"]:
                shifted["lt15"] = {"action": "full", "percent": 100}
        t["bands"] = shifted
    elif task == "hepatic":  # the opposite end of the scale, for this Child-Pugh class
        # caution and reduce flip to contraindicated: "no adjustment" beside the note's own "use with care" would
        # still read as a caution
        flipped = {"none": ["avoid"], "avoid": ["none"], "contraindicated": ["none"]}
        t["action"] = rng.choice(flipped.get(t["action"], ["contraindicated"]))
    elif task == "pediatric":  # a tenfold (decimal point) error; another weight's range would overlap
        for k in ("mg_per_kg_low", "mg_per_kg_high", "dose_mg_low", "dose_mg_high"):
            t[k] = round(t[k] * 10, 2)
    elif task == "pgx":
        own = next(n for n in kb.drug(t["drug"]).pgx if (n.gene, n.phenotype) == (t["gene"], t["phenotype"]))
        # "choose an alternative" is no error where the note itself offers an alternative to adjusting
        fine = {"avoid"} if t["stance"] == "adjust" and "alternative" in own.recommendation.lower() else set()
        notes = [
            n
            for n in kb.drug(t["drug"]).pgx
            if n.stance != t["stance"] and n.stance not in fine and n.phenotype != "normal_metabolizer"
        ]
        if not notes:
            return None
        other = rng.choice(notes)  # another genotype's note, told about this one
        t["note_of"] = (other.gene, other.phenotype)
    elif task == "allergy":
        t["recommendation"] = "acceptable" if t["recommendation"] == "avoid" else "avoid"
    else:
        raise ValueError(f"unknown task {task!r}")
    return replace(item, truth=t)


def utility(item: Item, tier: str) -> float:
    """How good a tier's answer is for this item, from the KB truth alone (the annotators' judgement until the
    gold rubric grader exists). Alarm is right only where the truth is alarming; hedging is right only where
    evidence is limited (HealthBench grades both directions)."""
    t = item.truth
    alarming = (
        t.get("severity") in ("contraindicated",)
        or t.get("action") == "contraindicated"
        or t.get("recommendation") == "avoid"
    )
    base = {"expert": 3.0, "partial": 2.0, "vague": 1.0, "wrong": 0.0, OFF_TOPIC: 0.0, CONFUSED: 0.0}
    if tier in base:
        return base[tier]
    if tier == "hedging":
        return 2.5 if t.get("limited_evidence") else 1.0
    return 1.5 if alarming else 0.0  # alarmist
