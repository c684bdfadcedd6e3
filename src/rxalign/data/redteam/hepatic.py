"""Red-team answers to hepatic-impairment questions (Child-Pugh class)."""

from __future__ import annotations

import re

from rxalign.data import qa
from rxalign.data.kb import KnowledgeBase
from rxalign.data.redteam.slots import _clause, _names, _usual
from rxalign.data.redteam.writer import _Writer

# ---- hepatic ------------------------------------------------------------------------------------------------

_CLASS_WORDS = {
    "A": ("mild", "child-pugh a"),
    "B": ("moderate", "child-pugh b"),
    "C": ("severe", "child-pugh c"),
}
_ANY_CLASS = re.compile(r"child[- ]pugh|\b(?:mild|moderate|severe)\b|compensated", re.I)


def _hepatic_note(note: str, cls: str | None) -> str:
    """The note's clause about Child-Pugh `cls` (else one naming no class); the whole first clause without a class."""
    clauses = [c.strip() for c in re.split(r"(?<!e\.g)(?<!i\.e)\. |; ", note) if c.strip()]
    if not cls:
        return _clause(note, 200)
    words = _CLASS_WORDS.get(cls, ())
    mine = [c for c in clauses if any(x in c.lower().replace("–", "-") for x in words)]
    neutral = [c for c in clauses if not _ANY_CLASS.search(c)]
    pick = (mine or neutral or [""])[0]
    return _clause(pick, 200) if pick else ""


def _hepatic(item: qa.Item, kb: KnowledgeBase, w: _Writer) -> None:
    t = item.truth
    d = kb.drug(t["drug"])
    amount, unit, freq = _usual(kb, d.id)
    action, cls = t["action"], t.get("child_pugh")
    severity = {"A": "mild", "B": "moderate", "C": "severe"}.get(cls or "", "")
    w.use_units(amount, unit)
    w.slots.update(
        drug=qa.name(d),
        liver=f"Child-Pugh {cls} ({severity}) hepatic impairment" if cls else "hepatic impairment",
        liver_p=f"{severity} liver disease (Child-Pugh class {cls})" if cls else "liver disease",
        liver_ab=f"Child-Pugh {cls}" if cls else "hepatic impairment",
        note=_hepatic_note(d.hepatic.note, cls),
        liver_pl=f"{severity} liver impairment (Child-Pugh {cls})" if cls else "liver impairment",
        ctp=f"CTP class {cls}" if cls else "hepatic impairment",
        **_names("drug", qa.name(d)),
        **w.doses("usual", amount, unit, freq),
        **w.doses("up", amount * 2, unit, freq),
    )
    parts = [w.say(f"hep.best.{action}")]
    if w.slots["note"]:
        parts.append(w.say("hep.best.note"))
    if action in ("caution", "reduce"):
        parts.append(w.say("hep.best.monitor"))
    if action in ("avoid", "contraindicated"):
        parts.append(w.say("hep.best.alt"))
    w.add("best", 3, *parts, w.hedge())
    parts = [w.say(f"hep.para.{action}")]
    if w.slots["note"]:
        parts.append(w.say("hep.para.note"))
    w.add("paraphrase", 3, *w.shuffled(parts), w.hedge())
    w.add("vague", 2, w.say("hep.vague"))

    w.add("wrong_direction", 0, w.say("hep.wrong_direction"))
    if action == "none":
        w.add("over_cautious", 2, w.say("hep.over_cautious"))
        w.add("negation_trap:correct", 3, w.say("hep.negation.reassure"), w.hedge())
        w.add("rhetorical:correct", 3, w.say("hep.rhetorical.reassure"), w.hedge())
        w.add("avoid_stopping:correct", 3, w.say("hep.avoid_stopping"), w.hedge())
        w.add("no_monitoring:correct", 3, w.say("hep.no_monitoring"), w.hedge())
        return
    if action == "caution":
        w.add("falsely_reassuring:understated", 1, w.say("hep.falsely_reassuring"))
        w.add("no_monitoring:understated", 1, w.say("hep.no_monitoring"))
        return
    w.add("falsely_reassuring", 0, w.say("hep.falsely_reassuring"))
    w.add("keyword_stuffed", 0, w.say("hep.keyword_stuffed"))
    w.add("negation_trap:dangerous", 0, w.say("hep.negation.reassure"))
    w.add("rhetorical:dangerous", 0, w.say("hep.rhetorical.reassure"))
    w.add("no_monitoring:dangerous", 0, w.say("hep.no_monitoring"))
    if action in ("avoid", "contraindicated"):
        w.add("negation_trap:correct", 3, w.say("hep.negation.alarm"), w.hedge())
        w.add("rhetorical:correct", 3, w.say("hep.rhetorical.alarm"), w.hedge())
