"""Claims read from a free-text pharmacy answer: the stance it takes (alarm, reassurance, hedging, monitoring
denied) and the direction of a dose change, each read within negation scope. Doses normalised to a daily amount
and the eGFR / Child-Pugh ranges an answer names are read in `eval/doses.py`, over the text layer in
`eval/text.py`; their public names are re-exported here.

This is the grader's parser (`eval/grader.py` grades these claims against the knowledge base). It is plain rules:
clauses split at punctuation, a negation's scope is the rest of its clause up to a contrast word, synonyms a
pharmacist uses map to one canonical term, and a rhetorical question takes the stance of its answer
("Contraindicated? No." reassures).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rxalign.eval.doses import (
    REFUSED_AFTER,
    Dose,
    child_pugh_segments,
    doses,
    egfr_ranges,
    percents,
    recommended_doses,
)
from rxalign.eval.text import NEGATORS, clauses, clean, resolve_rhetoric
from rxalign.eval.text import refusals_of as refusals_of

# ---- negation scope --------------------------------------------------------------------------------------

CONTRAST = re.compile(
    r"\b(?:but|however|although|though|yet|whereas|instead|because|due to)\b|"
    r"\band (?=(?:both|it|they|he|she|we|you|this|that|these|there|the|continue|keep|give|use|carry|does|do|is|are|"
    r"needs?|has|have)\b)"
)
# An answer particle set off by a comma ("No, I'd avoid it", "Honestly, no, not really, avoid it") is a reply on its
# own: its negation does not reach into what follows.
ANSWER_PARTICLE = re.compile(
    r"(?:^|(?<=[,(])|\b(?:honestly|well|so|sadly|frankly|unfortunately|right)\s+)\s*(?:i'm afraid |i am afraid |sadly |honestly )?"
    r"(?:no|nope|nah|not really|not at all|(?:i'm |i am )?afraid not|certainly not|definitely not|absolutely not|of course not)\s*,"
)


def negated(clause: str, start: int) -> bool:
    """Whether the match at `start` lies in a negation's scope: a negator earlier in the clause, within six
    words, with no contrast word between them. A negator that belongs to a self-negating phrase ("not
    recommended in severe impairment", "do not combine") is spent on that phrase."""
    spent = [m.span() for m in SELF_NEGATING_RE.finditer(clause) if m.end() <= start]
    before = "".join(" " if any(a <= i < b for a, b in spent) else ch for i, ch in enumerate(clause[:start]))
    before = CONTRAST.split(before)[-1]
    before = ANSWER_PARTICLE.split(before)[
        -1
    ]  # "no, not really, I'd avoid it": the "no" answers, it negates nothing
    if re.search(
        r"\b(?:no|(?:not|n't)(?: [\w']+){0,3} any) [a-z-]+ (?:in which|where|that|for which|when)\b", before
    ):
        return True  # "no band in which it needs to be avoided"
    if re.search(
        r"\b(?:don't|do not|doesn't|does not|didn't) (?:think|believe|reckon|consider|see)\b", before
    ):
        return True  # "I don't think being a poor metaboliser is a reason to avoid it": the belief is negated whole
    words = re.findall(r"[a-z0-9'+-]+", before)[-8:]
    hits = [i for i, w in enumerate(words) if NEGATORS.fullmatch(w) or w.endswith("n't")]
    if not hits:
        return False
    # "no reason not to give", "not without": a negation of a negation right before it cancels
    last = hits[-1]
    return not any(
        0 < last - i <= 3 and set(words[i + 1 : last]) <= {"reason", "need", "way"} for i in hits[:-1]
    )


# ---- stance ----------------------------------------------------------------------------------------------

# Saying not to use it. Patterns in SELF_NEGATING carry their own negation and are never flipped.
ALARM = [
    r"contraindicat\w*",
    r"\bavoid(?:ed|ing|ance|s)?\b(?! (?:stopping|discontinuing|interrupting|missing|abrupt\w*|withdraw\w*|to (?:stop|discontinue|interrupt)|doses?\b|dosing|(?:this|the|that) (?:interaction|problem|issue)|exceed\w*|more than|higher|changing|altering|any change|"
    r"interrupt\w*|any interruption|gaps?\b|"
    r"above|over))",
    r"\bdangerous\b|\bhazardous\b|\bunsafe\b|\blife[- ]threatening\b|\bfatal\b",
    r"(?<!avoid to )(?<!avoid having to )\b(?:stop|discontinue|withhold|suspend|hold)\b"
    r"(?! (?:\w+ ){0,2}(?:only )?(?:if|at the first|on the first|should|when)\b)",
    r"\bsteer clear|\bstay away from|\bkeep (?:him|her|them|the patient) off\b|\bnot an option\b|\boff the table\b",
    r"\b(?:i'd|i would|we'd|we would|would|i) (?:not|never) (?:use|give|co-?prescribe|co-?administer|combine|start|"
    r"prescribe|recommend)\b|\b(?:wouldn't|won't) (?:use|give|co-?prescribe|combine|start|prescribe)\b|\bno-go\b|"
    r"\bleave (?:[\w()-]+ ){1,3}out\b|\bci\b|\babsolute (?:bar|contraindication)\b|\bno re-?exposure\b|"
    r"^no [\w()-]+ (?:for|in) (?:this|the|a|your) (?:patient|child|person)|\bmust be avoided\b|\bunsuitable\b|"
    r"\babsolutely not\b|\bnot for (?:use|this|him|her|them|mild|moderate|severe)\b|"
    r"\boff the (?:drug )?(?:chart|list)\b|\bkeep (?:[\w()-]+ ){1,3}off\b|\bnot for\b(?! (?:long|more|less|at least|the first))|"
    r"\bnever\b(?=\s*(?:,|$))|\b(?:should|must|to) be (?:held|withheld|stopped|discontinued|suspended|replaced)\b|"
    r"\bnever (?:be )?(?:re-?)?expos\w*|\bnot a good idea\b|"
    r"\boff[- ]limits\b|\bunder no circumstances\b|\brules? (?:[\w()-]+ ){0,3}out\b|\bruled out\b|\bhold off\b|"
    r"\bsomething other than\b|\bnot (?:to be )?used\b|\bnot for use\b|\bdo not use\b|\bdon't use\b",
]
# Softer flags: an alternative preferred, a severity named. They raise the alarm, but with a condition beside them
# ("choose another agent; if combined, monitor") they describe a moderate interaction.
SOFT_ALARM = [
    r"\b(?:switch|change) to\b|\b(?:choose|select|pick) (?:an|another|a different)\b|"
    r"\buse (?:an|another|a different) (?:\w+ )?(?:agent|drug|medicine|option|alternative)\b|"
    r"\b(?:use|choose|prefer|try|give|prescribe|pick|select) (?:[\w-]+ ){1,4}instead\b|\binstead,|\buse alt\b|"
    r"\bfrom a different\b|\bunrelated (?:group|class|agent|drug|medicine)|\bdifferent (?:medicine|drug|agent)\b",
    r"\bmajor\b|\bserious\b",
    r"\breserved? (?:[\w-]+ ){0,2}for (?:[\w-]+ ){0,4}?(?:no (?:other )?(?:alternative|option)|last resort|exceptional)|"
    r"\blast resort\b",
]
SELF_NEGATING = [
    r"\b(?:do not|don't|never|must not|mustn't|should not|shouldn't|cannot|can't|may not|not to)\s+(?:want to\s+)?(?:to\s+)?(?:be\s+)?"
    r"(?:\w+ly\s+)?(?:use[ds]?|give|given|combine[ds]?|co-?administer(?:ed)?|co-?prescribe[ds]?|prescribe[ds]?|"
    r"start(?:ed)?|take|taken|add(?:ed)?|dispense[ds]?|initiate[ds]?|restart(?:ed)?|together|re-?challenge[ds]?)\b"
    r"(?!\s+(?:it\s+|them\s+)?(?:the |an? |any |your )?(?:[\w-]+ ){0,2}(?:more|over|above|higher|extra|larger|adult|double|"
    r"twice|full|usual|same|fixed|standard|normal)\s+(?:[\w-]+\s+)?(?:dose|doses|dosing|amount|than|\d))",
    r"\b(?:not|isn't|aren't|wasn't) (?:recommended|advised|appropriate|suitable|safe|an option|acceptable|compatible)\b",
    r"\bno (?:longer )?(?:safe|appropriate)\b",
    r"\bshould be avoided\b|\bbetter not (?:to )?(?:be )?(?:give|given|use|used|prescribe|prescribed|combine|combined|start)\b",
    r"\b(?:not|isn't|is not) (?:a |an )?(?:good |wise |safe |suitable )?(?:choice|option|idea)\b|\ba poor choice\b",
    r"(?:^|\. )not (?:give|use|prescribe|start|combine|take|add|co-?administer|co-?prescribe)\b",  # "Give it? No."
]
SELF_NEGATING_RE = re.compile("|".join(SELF_NEGATING))
DOSE_SUBJECT = re.compile(
    r"(?:\bdos(?:e|es|ing)|\d[\d.]* ?(?:mg|g|mcg|units)\b)[^.;]{0,30}\b(?:is|are|would be) $"
)
NEEDLESS = re.compile(r"\b(?:not|no|un)\s*(?:necessary|needed|need|required|reason)\b|\bneedless")
ALTERNATIVE = re.compile(
    r"\b(?:switch|change) to\b|\b(?:choose|pick|select|use|prefer|find) (?:an?|another|a different|something)\b|"
    r"\balternative\b|\binstead\b|\bsomething else\b|\bsomething other\b|\banother (?:agent|drug|option|class)\b"
)
# Saying it is fine to use as is.
REASSURE = [
    r"\bno (?:clinically |known |documented |expected )?(?:relevant |significant |important |meaningful |"
    r"notable |major |relevant )?(?:drug )?interactions?\b",
    r"\bsafe(?:ly)?\b",
    r"\b(?:can|may) (?:be )?(?:safely )?(?:use[d]?|give[n]?|take[n]?|combine[d]?|co-?administer(?:ed)?|"
    r"co-?prescribe[d]?|prescribe[d]?|continue[d]?|start(?:ed)?|add(?:ed)?) ?(?:together|concurrently|as usual|normally)?",
    r"\b(?:can|may) (?:\w+ly |both |all )?be (?:\w+ly )?(?:used|given|taken|combined|co-?administered|co-?prescribed|continued|"
    r"administered|prescribed|started)\b|"
    r"\b(?:can|may) (?:[\w()-]+ ){1,4}be (?:used|given|taken|combined|co-?administered|co-?prescribed) together\b",
    r"\b(?:is|are) (?:fine|ok|okay|alright|usable|workable)\b|\bfine to\b|\bok(?:ay)? to\b|\bgo ahead\b|\bproceed\b|"
    r"\bcompatible\b|\bnothing (?:extra|else|more|special|further) (?:is )?(?:required|needed|necessary)",
    r"\b(?:it is |it's )?reasonable to (?:give|use|prescribe|start|continue)\b|\bas (?:normal|usual)\b|\bstandard (?:[\w-]+ )?dosing\b|\b(?:does not|doesn't|won't|will not) change (?:anything|things|matters|the "
    r"(?:dose|regimen|plan))",
    r"\b(?:is|are|remains?) (?:(?!not\b)[\w()-]+ ){0,3}?an? (?:reasonable |acceptable |good |suitable )?(?:option|choice)\b",
    r"\b(?:isn't|is not|not) (?:a |any )?reason to (?:alter|change|adjust|stop|avoid|reduce|withhold|lower)\b|"
    r"\b(?:does not|doesn't|do not|don't) (?:change|alter|affect) (?:[\w()-]+ ){0,3}?(?:dos(?:e|es|ing)|dosage|regimen)\b",
    r"^not (?:adjust|change|reduce|alter|modify|lower)\b",
    r"\bacceptable\b|\bappropriate\b|\breasonable (?:choice|option)\b",
    r"(?:^|\b(?:give|giving|use|using|continue|continuing|start|starting|prescribe|prescribing|take|taking|keep|combine|"
    r"co-?administer|co-?prescribe|"
    r"keeping|stay on|remain on|dose at|same as|conclusion|result)\b(?:\s+[\w()-]+){0,5}?\s+)(?:at\s+)?(?:the |a |his |"
    r"her |their )?(?:full|usual|standard|normal|same|unchanged|regular|label(?:led)?|adult)\s+(?:daily\s+)?"
    r"(?:dose|doses|dosing|dosage|\d[\d.]*\s*(?:mg|g|mcg|units))\b(?! (?:by|to)\b)",
    r"\bcontinue (?:both|them|(?:[\w()-]+ ){1,5}together)\b|\bas prescribed\b|\bkeep (?:both|them) going\b|"
    r"\bcarr(?:y|ies) on\b|\bnot should (?:i|we|you) (?:worry|be concerned)\b|"
    r"\b(?:continue|carry on|keep|remain|stay)\w*(?: [\w()-]+){0,3} unchanged\b|"
    r"\b(?:give|prescribe|use|dose|continue|start|combine|take)\w* (?:[\w()-]+ ){0,6}?(?:normally|as usual|as normal|as before)\b|"
    r"\b(?:doesn't|does not|won't|will not) rule (?:[\w()-]+ ){0,3}?out\b|"
    r"\bleave (?:both|them|it|[\w()-]+) (?:as (?:is|they are)|unchanged|alone)\b|\b(?:would|will|need|wouldn't|won't|needn't) (?:not )?change (?:either|the|any)\b|"
    r"\bno change to either\b|\b(?:can|may) go together\b|\b(?:it's|it is) (?:ok|okay|fine|safe) (?:for (?:you|him|her|them) )?to "
    r"(?:have|take|use|give)\b|"
    r"\bkeep (?:giving|taking|on) (?:both|them)\b|\bno reason (?:not )?to (?:stop|withhold|hold|discontinue|avoid|change|cut|"
    r"reduce|worry)\b|\bnothing (?:needs to be|to be|has to be) (?:withheld|stopped|changed|avoided)|\bnothing to (?:watch|worry)",
    r"\b(?:still|nonetheless|nevertheless|regardless|anyway|even so)\W+(?:give\s+)?\d[\d.]*\s*(?:mg|g|mcg|units)\b",
    r"\bin (?:every|each|all) bands?\b|\bat (?:every|any|all) (?:level|egfr|band|stage)s?\b|"
    r"\bregardless of (?:kidney|renal|liver|hepatic)",
    r"\bno (?:[\w-]+ ){0,4}?(?:change|adjustment|reduction|modification)s?\b",
    r"\bnot (?:do|does|should|must|need) (?:[\w()-]+ ){0,6}?(?:be )?(?:kept apart|separated|avoided|stopped|changed|reduced|"
    r"adjusted|altered)\b|\bnot (?:do|does) (?:we|i|you|they) need to (?:change|adjust|stop|reduce|avoid|alter|separate)\b|"
    r"^not (?:[\w*:-]+ ){0,4}?(?:adjustment|change|reduction|dose change)\b|\bfull[- ]dose\b|\bno band\b|\bthroughout\b|"
    r"\b(?:doesn't|does not|don't|do not|needn't|need not|(?:is|are|isn't|aren't) not to|(?:isn't|aren't) to) "
    r"(?:have to |need to )?be (?:stopped|reduced|changed|adjusted|altered|modified|withheld|avoided|held|separated)\b|\bignore (?:the )?(?:[\w*:-]+ ){0,2}(?:result|genotype|allergy|history)\b|\b(?:can|may|should) be (?:safely )?(?:ignored|disregarded)\b|"
    r"\b(?:genotype|result|history|allergy) (?:is )?irrelevant\b",
    r"\bno (?:[\w-]+ ){0,2}(?:precautions?|concerns?|restrictions?|problems?|issues?)\b|\b(?:continue|keep) (?:at |on )?\d|"
    r"\bdose (?:stays|remains) (?:the same|unchanged)\b|(?<!might be )(?<!may be )(?<!could be )\bok(?:ay)?$|\bnothing (?:beyond|more than) (?:standard|routine|usual)\b|"
    r"\bcontinue [\w()-]+ (?:\+|and|with) [\w()-]+|\b(?:together|combination|combined|co-?administration) (?:is|are) possible\b|"
    r"^(?:(?!not\b)[\w()-]+ )?(?:full|usual|standard|normal|same) (?:daily )?dose\b|"
    r"^not (?:does|do|is|would|will) (?:[\w()*:-]+ ){0,8}?(?:different|lower|higher|reduced|adjusted|changed|new) "
    r"(?:[\w()-]+ )?dose\b|\bnot ruled out\b|\bneeds? neither\b",
    r"\bnot (?:is |are )?(?:a |any )?(?:dose |dosage )?(?:change|adjustment|reduction)s? (?:is |are )?(?:needed|required|"
    r"necessary)",
    r"\bno need to (?:avoid|adjust|reduce|change|stop|worry|monitor|separate|withhold|hold|cut|lower)\b|"
    r"\b(?:don't|do not|doesn't|does not|needn't|need not) (?:need|have) to (?:change|adjust|reduce|alter|stop|avoid|"
    r"withhold|lower|cut|monitor)\b|\bneither (?:a |any )?(?:[\w-]+ ){0,2}(?:adjustment|change|reduction|monitoring)\b"
    r"[^.;]{0,60}\b(?:required|needed|necessary)\b|"
    r"\bkeep (?:both|them|all|[\w()-]+ (?:&|and|\+|with) [\w()-]+) going\b|\bsame doses?\b(?! as)|"
    r"\bneither (?:needs?|requires?) (?:chang\w+|adjust\w*|alter\w*|stopp\w*)|,\s*unchanged\b|\bunchanged despite\b|\boverrid(?:e|den|ing)\b|"
    r"\b(?:genotype|gene|variant|result|history|allergy) (?:is )?(?:not relevant|irrelevant|not important)\b|"
    r"\bstays? (?:at|on) (?:the )?(?:usual |same |full )?\d",
    # "still give diclofenac", "give it anyway"; "that doesn't change venlafaxine at all, usual dose"
    r"\b(?:still|nonetheless|nevertheless|anyway|regardless|all the same)\W+(?:(?:ok|okay|fine|safe) to )?"
    r"(?:give|use|prescribe|start|continue|go ahead)\b|"
    r"\b(?:doesn't|does not|won't|will not) (?:change|alter|affect) (?:[\w()-]+ ){0,3}?(?:at all|a thing|anything)\b|"
    r"[,;-] ?(?:at )?(?:the |its |their )?(?:usual|normal|standard|full) (?:daily )?dose$|"
    r"^(?:[\w()-]+ ){1,3}at (?:the |a |his |her |their )?(?:full|usual|standard|normal|same|unchanged|regular) "
    r"(?:daily )?dose\b",
    r"\bnot any (?:[\w-]+ ){0,2}(?:concern|problem|issue|need|change|adjustment|reason)s?\b",
    r"\b(?:does not|doesn't|do not|don't|won't|will not) matter\b|\bnot (?:does|do|is) (?:[\w()*:,-]+ ){0,8}?matter\b|"
    r"\bmakes? no difference\b|\b(?:is|are) not (?:important|relevant|a factor|an issue)\b|\bnot (?:is|are) (?:[\w()*:-]+ ){0,8}?(?:a |an )?(?:problem|concern|issue|risk)\b|\bnot (?:a |an )?(?:contraindicated|dangerous|risky) (?:pair|combination)\b",
    r"\bwithout (?:any )?(?:monitoring|concern|problem|restriction|adjustment|dose change|change)\b|"
    r"\bnothing (?:needs to|to|has to) change\b|\bnothing (?:extra |else |more )?to (?:check|monitor|watch|adjust)\b",
    r"\bnot? (?:an? )?(?:problem|concern|issue)\b",
    r"\bno (?:routine |special |extra |additional |further )?(?:monitoring|follow-up|checks?)\b",
]
# A reassurance inside a condition ("can be used only with close monitoring", "if unavoidable, can be given")
# is not a reassurance that it is fine as is.
CONDITIONAL = re.compile(
    r"\b(?:if(?! (?:any|at all|anything|ever)\b)|unless|only|when|where|whenever|provided|as long as|under|should they|in case|in the event|"
    r"after (?:specialist|allergy)|"
    r"with (?!no\b|out\b)(?:\w+ ){0,3}(?:monitoring|caution|observation|supervision|care|follow-up|review|checks?|eye|adjustment|precautions|"
    r"testing|tests))\b"
)
# Naming a stance of a clause that names only a different drug (an alternative) says nothing about the asked one.


@dataclass(frozen=True)
class Stance:
    alarm: bool  # says not to use it (or raises a major/contraindicated flag)
    reassure: bool  # says it is fine as is, without a condition
    matches: tuple[str, ...] = ()  # the phrases that decided, for explanations
    conditional: bool = False  # says it may be used under a condition ("with monitoring", "provided ...")
    strong: bool = False  # an alarm other than a soft flag (contraindicated, avoid, do not, stop, hold ...)


def _names(clause: str, names: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(n)}\b", clause) for n in names)


def stance(text: str, other_drugs: tuple[str, ...] = (), asked: tuple[str, ...] = ()) -> Stance:
    """The answer's alarm and reassurance claims, negation-aware. A negated alarm ("not contraindicated", "no
    need to avoid", "no reason to avoid") reassures; a negated reassurance ("not safe", "cannot be combined")
    alarms. Clauses that name one of `other_drugs` (alternatives) and none of the `asked` drugs are skipped."""
    alarm = reassure = conditional = strong = False
    found: list[str] = []
    for clause in clauses(resolve_rhetoric(text)):
        if other_drugs and _names(clause, other_drugs) and not _names(clause, asked):
            continue
        if re.search(r"\bwhether\b|\bask (?:your|a|the) (?:doctor|pharmacist|prescriber)\b", clause):
            continue  # "ask your doctor whether they are OK together" asserts nothing
        in_condition = CONDITIONAL.search(clause) is not None
        hedged = (
            re.match(r"(?:maybe|perhaps|possibly)\b", clause) is not None
        )  # "maybe it is OK" asserts nothing
        about_alternative = ALTERNATIVE.search(clause) is not None
        for pattern in SELF_NEGATING:
            for m in re.finditer(pattern, clause):
                if m.group(0).startswith("not ") and DOSE_SUBJECT.search(clause[: m.start()]):
                    continue  # "the standard 2 g every 12 hours is not appropriate" refuses a dose, not the drug
                if negated(clause, m.start()) and re.match(r"(?:not|no) ", m.group(0)):
                    if not in_condition:
                        reassure = True  # "no reason not to combine them"
                        found.append("not " + m.group(0))
                    continue
                alarm = strong = True
                found.append(m.group(0))
        for pattern in ALARM + SOFT_ALARM:
            for m in re.finditer(pattern, clause):
                if _inside_self_negating(clause, m.start()):
                    continue
                if negated(clause, m.start()):
                    if in_condition:
                        continue  # "where the combination cannot be avoided, monitor potassium"
                    if NEEDLESS.search(clause[: m.start()]):
                        reassure = True  # "not necessary to stop or lower it", "no need to hold it"
                        found.append("needless " + m.group(0))
                        continue
                    if clause.startswith("not ") or re.match(  # "would I withhold it? no." reassures too
                        r"contraindicat|avoid|dangerous|unsafe|major|serious|severe|off|rule",
                        m.group(0),
                    ):
                        reassure = True  # "not contraindicated", "no need to avoid", "no serious risk"
                        found.append("not " + m.group(0))
                    continue
                alarm = True
                strong |= pattern in ALARM
                found.append(m.group(0))
        for pattern in REASSURE:
            for m in re.finditer(pattern, clause):
                if REFUSED_AFTER.match(clause, m.end()):
                    continue  # "the standard 2 g every 12 hours is not appropriate"
                if _inside_self_negating(clause, m.start()) or re.match(r"no ", m.group(0)):
                    if re.match(r"no ", m.group(0)) and not negated(clause, m.start()):
                        reassure = True  # "no interaction" carries its own negation
                        found.append(m.group(0))
                    continue
                if negated(clause, m.start()):
                    if re.match(r"not? (?:an? )?(?:problem|concern|issue)", m.group(0)):
                        reassure = True
                        found.append(m.group(0))
                    elif re.match(
                        r"safe|acceptable|appropriate|compatible|(?:can|may) |(?:is|are|remains?) ",
                        m.group(0),
                    ):
                        alarm = strong = True  # "not safe", "not acceptable"
                        found.append("not " + m.group(0))
                    continue
                if in_condition:
                    conditional = True
                elif (
                    not about_alternative and not hedged
                ):  # "switch to an agent that is safe at this kidney function"
                    reassure = True
                    found.append(m.group(0))
    return Stance(alarm, reassure, tuple(found), conditional, strong)


def _inside_self_negating(clause: str, pos: int) -> bool:
    """Inside a self-negating phrase or modifying it ("cannot be used safely", "must not be given together")."""
    return any(m.start() <= pos < m.end() + 12 for p in SELF_NEGATING for m in re.finditer(p, clause))


def says(text: str, patterns: list[str]) -> bool:
    """Whether `text` asserts any pattern outside a negation's scope."""
    for clause in clauses(resolve_rhetoric(text)):
        for pattern in patterns:
            if any(not negated(clause, m.start()) for m in re.finditer(pattern, clause)):
                return True
    return False


NO_MONITORING = re.compile(
    r"\bno (?:\w+ )?(?:monitoring|checks?|tests?|follow-up)\b|\bno(?:thing)? (?:extra |further )?to monitor\b|\bwithout (?:any )?(?:\w+ )?monitoring\b|"
    r"\bno need (?:to|for) (?:\w+ )?(?:monitor\w*|check\w*|test\w*)|"
    r"\bmonitoring (?:is |are )?(?:not |un)(?:needed|necessary|required)|"
    r"(?:\bnot|n't) (?:need|require) (?:any )?(?:[\w-]+ )?(?:to be )?monitor\w*|\bno (?:[\w-]+ ){0,3}(?:or|and) monitoring\b"
)


def denies_monitoring(text: str) -> bool:
    """Whether the answer says no monitoring is needed ("no monitoring is needed", "without monitoring")."""
    return NO_MONITORING.search(resolve_rhetoric(text)) is not None


HEDGE = [
    r"\blimited (?:evidence|data)|\bevidence (?:is |here is )?(?:limited|thin|weak|poor|sparse|scant)|\bdata (?:is |are )?(?:limited|thin|sparse|scant)",
    r"\buncertain",
    r"\bnot (?:certain|sure)\b",
    r"\binsufficient\b",
    r"\bhard to say\b",
    r"\bmay vary\b",
    r"\b(?:studies|data|evidence|research)(?: [\w-]+){0,3} (?:is|are) (?:few|limited|scarce|sparse|thin|weak)|"
    r"\bspecialist (?:should |to |must )?confirm|\bget a specialist\b",
    r"\bsparse\b|\bscant\b|\bfew data\b|\blittle data\b|\bthin\b",
    r"\bconfirm with\b|\bcheck with (?:a|an|the|your)\b|\bconsult\b(?! (?:note|letter|request|record|entry)\b)|\bseek (?:advice|guidance)\b|\bdiscuss with\b|"
    r"\bdefer to\b|\bask (?:a|an|the) (?:specialist|pharmacist|expert)",
    r"\bevidence(?: base)?(?: here)? (?:is|remains) (?:small|thin|weak|limited|sparse|scant|poor|low)|\blow[- ](?:certainty|quality)\b|"
    r"\bevidence (?:[\w-]+ ){0,3}(?:is|are) (?:limited|thin|weak|sparse|scant|poor|low)|\bnot much (?:research|evidence|data)|"
    r"\bd/w\b|\b(?:research|data|evidence) (?:is |are )?(?:scarce|lacking)|"
    r"\brun it (?:past|by)\b|\bverify with\b|\bspecialist (?:input|advice|review) (?:is )?(?:worth|advis|recommend)",
]


def hedges(text: str) -> bool:
    return says(text, HEDGE)


# ---- dose direction ----------------------------------------------------------------------------------------

DOSE = r"(?:dose|doses|dosage|dosing|amount)"
UP = (
    rf"\b(?:increas|doubl|tripl|rais|escalat)(?:e|es|ed|ing)\s+(?:the\s+|his\s+|her\s+|their\s+|its\s+)?(?:[\w()-]+\s+){{0,3}}?{DOSE}"
    r"|\b(?:increas|rais|push|bump|titrat|escalat)(?:e|es|ed|ing)? (?:[\w()-]+ ){0,3}?(?:up )?to \d|"
    r"\b\d+(?:\.\d+)? ?x (?:the |your )?(?:usual|normal|standard)\b|\btwice (?:your|the) usual\b|\bdoubled\b|"
    r"\b(?:dose|doses) (?:should be |be |is )?(?:increased|raised)\b|\bneeds? more\b|\bneed more\b|\b(?:push|bump|ramp) (?:[\w-]+ ){0,2}up\b"
    r"|\b(?:dose|go|goes|going|step) up\b(?! (?:slowly|gradually|carefully|cautiously))|"
    r"\bmore (?:[\w-]+ )?(?:is|are) (?:needed|required)|\b(?:two|three|\d+) times (?:higher|more|bigger|larger)|\bgive more\b|\bmore than (?:usual|normal)|\bhigher than (?:usual|normal)|\blarger dose|\bdouble the usual"
    rf"|\bhigher\s+(?:[\w-]+\s+)?{DOSE}|\b{DOSE}\s+(?:increase|escalation)|\bup-?titrat\w*|\btitrate up|\bdoubl(?:e|ing) it\b"
    r"|\btwice the (?:usual |normal |standard )?dose"
)
DOWN = (
    rf"\b(?:reduc|decreas|lower|cut|halv|taper)(?:e|es|ed|ing|s)?\s+(?:the\s+|his\s+|her\s+|their\s+|its\s+)?(?:[\w()-]+\s+){{0,3}}?{DOSE}"
    r"|\b(?:reduce|decrease|lower|cut|drop|taper)[sd]? (?:[\w()-]+ ){0,3}?(?:down )?to \d"
    rf"|\b(?:lower|reduced|smaller|decreased)\s+(?:[\w-]+\s+){{0,3}}?{DOSE}|\b{DOSE}\s+(?:reduction|decrease)"
    r"|\b(?:reduce|decrease|lower|cut) (?:it )?(?:to|by)\b|\bhalf(?: of)? the (?:usual |normal )?dose|\bhalve\b"
    r"|\b(?:scale|cut|dial|wind) (?:back|down)\b|(?<!levels )(?<!level )\b(?:goes|go|going) down\b|\bless (?:[\w-]+ )?(?:is|are) (?:needed|required)|\bgive less\b|\blower[- ]than[- ](?:usual|normal)|\bdose[- ]reduc\w*|\bless than (?:the )?(?:usual|normal)|\blower than (?:the )?(?:usual|normal)|\bbelow the (?:usual|normal)|\bsmaller (?:than usual|amount)"
    r"|\bextend(?:ed)? the (?:dosing )?interval|\bless frequent\w*|\bquarter of the (?:usual |normal )?(?:starting )?dose"
)


def dose_direction(text: str) -> str | None:
    """ "up" when the answer asks for a larger dose ("increase the dose", "double it", "a higher dose"), "down" for
    a smaller one, None when neither or both are asserted. Negated changes ("do not increase the dose") and
    changes of levels or risk ("increases bleeding") are not dose changes."""
    up = down = False
    for clause in clauses(resolve_rhetoric(text)):
        if re.search(r"\b(?:if|unless|when|in case)\b", clause):
            continue  # a change under another condition ("no adjustment unless given with ritonavir")
        up |= any(not negated(clause, m.start()) for m in re.finditer(UP, clause))
        down |= any(not negated(clause, m.start()) for m in re.finditer(DOWN, clause))
    return "up" if up and not down else ("down" if down and not up else None)


__all__ = [
    "Dose",
    "Stance",
    "clean",
    "clauses",
    "child_pugh_segments",
    "denies_monitoring",
    "dose_direction",
    "doses",
    "recommended_doses",
    "egfr_ranges",
    "hedges",
    "negated",
    "percents",
    "resolve_rhetoric",
    "says",
    "stance",
]
