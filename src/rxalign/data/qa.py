"""Pharmacy questions built from the knowledge base, each with its structured truth, and answers to them at
graded quality tiers (expert, partial, vague, hedging, alarmist, wrong) for SFT demonstrations and preferences.

Question templates are split: `train` phrasings feed SFT, preference and PPO data; `eval` phrasings are only
ever used for held-out evaluation, so evaluation measures transfer to unseen wording.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from rxalign.data.kb import Drug, KnowledgeBase, hepatic_statements

# The questions (templates, `Item`, `build_items`) live in rxalign.data.questions; this module re-exports them.
from rxalign.data.questions import (
    CHILD_PUGH_SEVERITY,
    PEDIATRIC_WEIGHTS,
    REACTIONS,
    RENAL_BAND_EGFR,
    TASKS,
    TEMPLATES,
    Item,
    allergy_item,
    build_items,
    name,
    sentence,
    short,
    words,
)

ALLERGY_KIND = {
    "ige": "IgE-mediated (immediate)",
    "non_ige": "non-IgE (delayed, mild, non-severe)",
    "scar": "severe cutaneous (SJS/TEN or DRESS)",
}
BAND_TEXT = {
    "gt60": "eGFR 60 or above",
    "45_59": "eGFR 45-59",
    "30_44": "eGFR 30-44",
    "15_29": "eGFR 15-29",
    "lt15": "eGFR below 15",
    "dialysis": "on dialysis",
}
CLASS_MENTION = re.compile(r"child[- ]pugh|\b(?:mild|moderate|severe)\b|compensated", re.I)
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


__all__ = [
    "ALLERGY_KIND",
    "BAND_TEXT",
    "BASIS_TEXT",
    "CHILD_PUGH_SEVERITY",
    "CLASS_MENTION",
    "CONFUSED",
    "HEDGE",
    "HEPATIC_LEAD",
    "OFF_TOPIC",
    "PEDIATRIC_WEIGHTS",
    "REACTIONS",
    "RENAL_BAND_EGFR",
    "SEVERITY_LEAD",
    "TASKS",
    "TEMPLATES",
    "TIERS",
    "Item",
    "allergy_item",
    "answer",
    "build_items",
    "confusion",
    "name",
    "sentence",
    "short",
    "utility",
    "words",
]
