"""Red-team answers to pharmacogenomic questions (a gene's phenotype and a drug)."""

from __future__ import annotations

import re

from rxalign.data import qa
from rxalign.data.kb import KnowledgeBase
from rxalign.data.redteam.slots import PHENOTYPE_AB, _clause, _names, _usual
from rxalign.data.redteam.writer import _Writer

# ---- pharmacogenomics ---------------------------------------------------------------------------------------


def _who(gene: str, phenotype: str) -> str:
    """The patient a genotype describes, as a noun phrase ("a CYP2D6 poor metabolizer", "a G6PD-deficient
    patient")."""
    if phenotype == "deficient":
        return f"a {gene}-deficient patient"
    if phenotype.endswith("_function"):
        return f"a patient with {qa.words(phenotype).replace(' function', '')} {gene} function"
    return f"{'an' if gene[:1] in 'AEFHILMNORSX' else 'a'} {gene} {qa.words(phenotype)}"


_RAISES = re.compile(r"\bincrease|higher (?:starting )?dose|by 100%", re.I)
# A conditional clause ("if a higher dose is needed, ...", "when more is needed"): what to do in a case the guidance
# does not ask for, not a direction the guidance gives; cut up to the clause's end before looking for an increase.
_CONDITION = re.compile(r"\b(?:if|when|whenever|where|should|unless|in case)\b[^,;:.()]*", re.I)


def _guidance_raises(recommendation: str) -> bool:
    """Whether a pharmacogenomic recommendation asks for a higher dose than usual ("increase the starting dose by
    100%"), not counting a conditional mention ("if a higher dose is needed, consider rosuvastatin")."""
    return bool(_RAISES.search(_CONDITION.sub("", recommendation)))


def _pgx(item: qa.Item, kb: KnowledgeBase, w: _Writer) -> None:
    t = item.truth
    d = kb.drug(t["drug"])
    note = next((n for n in d.pgx if n.gene == t["gene"] and n.phenotype == t["phenotype"]), None)
    if note is None:
        return
    amount, unit, freq = _usual(kb, d.id)
    stance = t["stance"]
    w.use_units(amount, unit)
    w.slots.update(
        drug=qa.name(d),
        gene=t["gene"],
        phen=qa.words(t["phenotype"]),
        who=_who(t["gene"], t["phenotype"]),
        effect=_clause(note.effect, 160),
        rec=_clause(note.recommendation, 160),
        geno=f"{t['gene']} {PHENOTYPE_AB.get(t['phenotype'], qa.words(t['phenotype']))}",
        **_names("drug", qa.name(d)),
        **w.doses("usual", amount, unit, freq),
        **w.doses("up", amount * 2, unit, freq),
        **w.doses("down", amount / 2, unit, freq),
    )
    w.add("best", 3, w.say(f"pgx.best.{stance}"), w.say("pgx.best.effect"), w.say("pgx.best.rec"), w.hedge())
    parts = [w.say(f"pgx.para.{stance}"), w.say("pgx.para.effect")]
    w.add("paraphrase", 3, *w.shuffled(parts), w.hedge())
    w.add("vague", 2, w.say("pgx.vague"))
    down = "pgx.wrong_direction.down" if _guidance_raises(note.recommendation) else "pgx.wrong_direction.up"
    w.add("wrong_direction", 0, w.say(down))
    if stance == "use":
        w.add("over_cautious", 2, w.say("pgx.over_cautious"))
        w.add("negation_trap:correct", 3, w.say("pgx.negation.reassure"), w.hedge())
        w.add("rhetorical:correct", 3, w.say("pgx.rhetorical.reassure"), w.hedge())
        return
    rank, label = (0, "dangerous") if stance == "avoid" else (1, "understated")
    w.add("falsely_reassuring" + ("" if rank == 0 else ":understated"), rank, w.say("pgx.falsely_reassuring"))
    w.add(f"negation_trap:{label}", rank, w.say("pgx.negation.reassure"))
    w.add(f"rhetorical:{label}", rank, w.say("pgx.rhetorical.reassure"))
    if stance == "avoid":
        w.add("keyword_stuffed", 0, w.say("pgx.keyword_stuffed"))
        w.add("negation_trap:correct", 3, w.say("pgx.negation.alarm"), w.hedge())
        w.add("rhetorical:correct", 3, w.say("pgx.rhetorical.alarm"), w.hedge())
