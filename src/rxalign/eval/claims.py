"""Claims read from a free-text pharmacy answer: the stance it takes (alarm, reassurance), the direction of a dose
change, doses normalised to a daily amount, eGFR / Child-Pugh ranges it names, and mechanism terms.

This is the grader's parser (`eval/grader.py` grades these claims against the knowledge base). It is plain rules:
clauses split at punctuation, a negation's scope is the rest of its clause up to a contrast word, synonyms a
pharmacist uses map to one canonical term, and a rhetorical question takes the stance of its answer
("Contraindicated? No." reassures).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ---- text ------------------------------------------------------------------------------------------------

# Canonical terms: (pattern, replacement), applied to answers and KB text alike before matching terms.
SYNONYMS = [
    (r"p-?glycoprotein|\bp-?gp\b|\bpgp\b|\babcb1\b", "p-gp"),
    (r"breast cancer resistance protein", "bcrp"),
    (r"organic anion[- ]transporting polypeptides?( 1b1)?", "oatp1b1"),
    (r"cytochrome p-?450 ?", "cyp"),
    (r"\bantiplatelet\b", "anti-platelet"),
    (r"\bctp\b", "child-pugh"),
    (r"\badj\b", "adjustment"),
    (r"\btweak(s|ed|ing)?\b", r"adjust\1"),
    (r"\bcalcs?\b", "calculation"),
    (r"\bci\b", "contraindicated"),
    (r"\bnil\b", "no"),
    (r"\bpeds\b|\bpaeds\b", "paediatric"),
    (r"\bwt\b", "weight"),
    (r"\bpremed\b", "premedicate"),
    (r"\bauc\b|\barea under the curve\b", "exposure"),
    (r"\bcyp ?(\d[a-z]\d{1,2})\b", r"cyp\1"),
    (r"international normali[sz]ed ratio", "inr"),
    (r"\bprothrombin time\b", "inr"),
    (r"ha?emorrhag\w*|\bbleeds?\b|\banticoagulant effect\b", "bleeding"),
    (r"torsades?(?: de pointes)?|\bqtc\b|qt[- ]interval|qt prolongation", "qt"),
    (r"serotonin (?:syndrome|toxicity)|serotonergic", "serotonin"),
    (r"hyperkala?emia|raised potassium|high potassium|\bk\+", "potassium"),
    (r"hypoglyca?emi\w*|low blood (?:sugar|glucose)", "hypoglycaemia"),
    (r"creatinine clearance|\bcr ?cl\b", "crcl"),
    (r"rhabdo\b", "rhabdomyolysis"),
    (r"ecg|ekg|electrocardiogram", "ecg"),
    (r"\bmicrograms?\b|\bµg\b|\bμg\b", "mcg"),
    (r"\bmilligrams?\b", "mg"),
    (r"\bkilograms?\b|\bkgs\b", "kg"),
    (r"\bgrams?\b", "g"),
    (r"\bper cent\b|\bpercent\b", "%"),
]
NEGATORS = re.compile(
    r"\b(?:not|no|never|without|nor|none|neither|nothing|cannot|can't|isn't|aren't|doesn't|don't|won't|shouldn't|"
    r"mustn't|wouldn't|unnecessary|needless)\b|n't\b"
)
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
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "once": 1, "twice": 2}


def clean(text: str) -> str:
    """Chat-template special tokens stripped, lower case, canonical synonyms, collapsed whitespace."""
    text = re.sub(r"<\|[^|>]*\|>", " ", text).lower()
    text = text.replace("—", " - ").replace("–", "-").replace("≥", ">=").replace("≤", "<=").replace("×", "x")
    # arrows as on-call shorthand writes them: "↑ to 600 mg", "don't ↓ the dose", "no mg/kg calc needed → give 5 mg"
    text = re.sub(r"\s*(?:→|=>|-{1,2}>)\s*", " -> ", text.replace("↑", " increase ").replace("↓", " reduce "))
    for pattern, repl in SYNONYMS:
        text = re.sub(pattern, repl, text)
    return re.sub(r"\s+", " ", text).strip()


def refusals_of(text: str, names: tuple[str, ...]) -> str:
    """A sentence that opens with "no" and the drug refuses it ("No apixaban in severe liver disease", "absolutely no
    cyclosporine with simvastatin"): written as "avoid ...", unless "no" qualifies a noun after the drug's name
    ("no warfarin dose change", "no simvastatin interaction")."""
    if not names:
        return text
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    not_a_noun = (
        r"(?! (?:[\w()-]+ ){0,2}(?:dose|doses|dosing|dosage|adjustment|change|reduction|interaction|problem|issue|"
        r"concerns?|monitoring|needed|required|necessary|reason|need|evidence|risk|precautions?|restrictions?)\b)"
    )
    text = re.sub(
        rf"(^|[.;:!?(]\s*|\n\s*|, (?:so|then) |(?:->|→|=>)\s*)(?:(?:so|then|and|absolutely|definitely|certainly|just) )?"
        rf"no ((?:{alt})\b){not_a_noun}",
        r"\1avoid \2",
        text,
    )
    # "ceftazidime -> no; pick something unrelated", "ceftazidime: no"
    return re.sub(rf"\b({alt})\s*(?:->|→|=>|:|-)\s*no\b{not_a_noun}", r"avoid \1", text)


def resolve_rhetoric(text: str) -> str:
    """A question answered in place takes the answer's polarity: "contraindicated? no." -> "not contraindicated.";
    "can they be combined? no - avoid" -> "not can they be combined. avoid". Unanswered questions assert nothing."""

    def answered(m: re.Match) -> str:
        question, reply = m.group(1), m.group(2)
        negative = (
            re.match(
                r"no\b|none\b|nothing\b|unnecessary|not\b|nope|nah\b|never|absolutely not|definitely not",
                reply,
            )
            is not None
        )
        if negative and NEGATORS.search(question):
            return " "  # "does it mean you can't take it? no, you can": the next clause says what is meant
        return f"{'not ' if negative else ''}{question}. "

    text = re.sub(
        r"(?:\b(?:question|q)\s*[:-]\s*)?([^.?!;:]*)\?\s*(?:(?:answer|a)\s*[:-]\s*)?(?:(?:honestly|well|frankly|sadly|unfortunately|in short|short answer|i'm afraid|i am afraid|"
        r"the (?:advice|answer) (?:i'd|i would) give is|my (?:advice|answer) (?:would be|is)|i'd say|i would say)\W+)?(no\b|none\b|nothing\b|unnecessary\b|not needed|not necessary|no need\b|not at all|not really|not needed|nope|nah\b|never|absolutely not|definitely not|"
        r"yes\b|yep|absolutely|definitely|indeed|correct)[.!,:;]?\s*",
        answered,
        text,
    )
    return re.sub(r"[^.?!;:]*\?", " ", text)


def clauses(text: str) -> list[str]:
    """Clauses: split at sentence punctuation, semicolons, colons, dashes and commas before a new verb phrase."""
    parts = re.split(
        r"[.](?!\d)|[;!?\n]|:(?!\d)| - | -> |,\s*(?=(?:so|and then|then|which|therefore)\b)", text
    )
    return [p.strip() for p in parts if p.strip()]


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


# ---- doses --------------------------------------------------------------------------------------------------

TO_MG = {"mg": 1.0, "g": 1000.0, "mcg": 0.001}
FREQUENCIES = [  # (pattern, doses per day); earlier patterns win
    (r"every (\d+(?:\.\d+)?)(?: ?-? ?(?:to|-) ?\d+)? ?(?:hours?|hrs?|h)\b", None),
    (
        r"\b(\d) ?x ?(?:/ ?|per |a )?(?:day|daily|d)\b|\b(one|two|three|four|five|six) times (?:a|per) day\b",
        -1,
    ),
    (
        r"\bq\.? ?(\d+)(?:-\d+)? ?h\b|\b(\d+) ?hrly\b|\b(\d+)-?hourly\b|(?:per|/|every) ?(\d+) ?h(?:ours?)?\b",
        None,
    ),
    (r"\bevery other day\b|\bevery 48\b|\bon alternate days\b", 0.5),
    (r"\bweekly\b|\bonce (?:a|per|every) week\b", 1 / 7),
    (r"\bfour times (?:a |per )?da(?:y|ily)\b|\bq\.?i\.?d\b|\bqds\b", 4.0),
    (r"\bthree times (?:a |per )?da(?:y|ily)\b|\bt\.?i\.?d\b|\btds\b|\bthrice daily\b", 3.0),
    (r"\btwice (?:a |per )?da(?:y|ily)\b|\bb\.?i\.?d\b|\bbd\b|\btwo times (?:a |per )?da(?:y|ily)\b", 2.0),
    (
        r"\bonce (?:a |per )?da(?:y|ily)\b|\bdaily\b|\bper day\b|\ba day\b|/ ?day\b|\bq\.?d\b|\bod\b|\bnightly\b|"
        r"\bmane\b|\bnocte\b|\bat night\b|\bin the morning\b",
        1.0,
    ),
]
KB_FREQUENCY = {
    "once_daily": 1.0,
    "twice_daily": 2.0,
    "three_times_daily": 3.0,
    "four_times_daily": 4.0,
    "every_4_hours": 6.0,
    "every_4_to_6_hours": 6.0,
    "every_6_hours": 4.0,
    "every_8_hours": 3.0,
    "every_12_hours": 2.0,
    "every_24_hours": 1.0,
    "every_72_hours": 1 / 3,
    "weekly": 1 / 7,
    "daily_in_divided_doses": 1.0,  # the KB amount is the daily total
}
AMOUNT = re.compile(
    r"(\d+(?:\.\d+)?)(?:\s*(?:-|to)\s*(\d+(?:\.\d+)?))?\s*(mg|g|mcg|units?|iu)\b(\s*/\s*kg\b|\s*per\s*kg\b)?"
    r"(\s*/\s*(?:day|d)\b|\s*per\s*day\b|\s*daily\b|\s*a day\b)?"
)


@dataclass(frozen=True)
class Dose:
    low: float  # per day, in mg (mg/kg/day for per-kg doses; units for insulin-like doses)
    high: float
    per_kg: bool
    unit: str  # "mg" (mass), "units"
    explicit_frequency: bool  # a frequency or "/day" was stated (else the usual frequency was assumed)
    span: tuple[int, int]


def doses(text: str, usual_per_day: float = 1.0) -> list[Dose]:
    """Every dose the answer states, normalised to a daily amount: "250 mg twice daily" -> 500 mg/day; "10 mg/kg
    every 8 hours" -> 30 mg/kg/day; "1 g" -> 1000 mg at `usual_per_day` doses a day when no frequency follows.
    "divided into N doses" after a daily amount does not multiply it."""
    out = []
    for m in AMOUNT.finditer(text):
        low, high = float(m.group(1)), float(m.group(2) or m.group(1))
        unit = m.group(3)
        scale = TO_MG.get(unit, 1.0)
        per_kg, per_day = m.group(4) is not None, m.group(5) is not None
        tail = text[m.end() : m.end() + 45]
        per_day_count, explicit = None, per_day
        if not per_day:
            for pattern, count in FREQUENCIES:
                f = re.match(
                    rf"\s*[,|]?\s*(?:[a-z]+,?\s+){{0,3}}?(?:{pattern})", tail
                )  # "140 mg | every 12 hours"
                if f:
                    per_day_count, explicit = _per_day(f, count), True
                    break
            if per_day_count is None:  # "same 150 mg dose, with the dosing interval extended to once daily"
                per_day_count = _changed_frequency(text[m.end() : m.end() + 120])
                explicit = per_day_count is not None
            if per_day_count is None and re.match(r"\s*(?:in )?(?:divided|split)", tail):
                per_day_count, explicit = 1.0, True  # "30 mg divided into 3 doses" is already a daily total
        if re.search(
            r"(?:daily total|total daily(?: dose)?|daily dose|total of)(?: of| is| would be)?\W*$",
            text[max(0, m.start() - 25) : m.start()],
        ):
            per_day = explicit = True
        factor = 1.0 if per_day else (per_day_count if per_day_count is not None else usual_per_day)
        out.append(
            Dose(
                low * scale * factor,
                high * scale * factor,
                per_kg,
                "units" if unit in ("unit", "units", "iu") else "mg",
                explicit,
                m.span(),
            )
        )
    return out


CAP = re.compile(
    r"(?:max\w*|not (?:to )?exceed|up to|no more than|cap\w*|limit\w*|ceiling|at or below|not go over|never (?:go )?"
    r"(?:over|above)|stay (?:under|below)|keep (?:it )?(?:within|under|below)|never more than|no higher than|not above|"
    r"(?:never|not|don't|do not) (?:give|exceed|go)[\w\s]{0,20}?(?:more than|over|above))[\s:=,>→-]*(?:(?:daily|total|dose|of|is|a|the|day|at|to)[\s:=,>→-]+){0,3}$"
)
# A dose named to be replaced or refused: "instead of 25 mcg/h", "not 1 g", "(usual 75 mg)", "reduce from 500 mg".
DENIED = re.compile(
    r"(?:instead of|rather than|(?<!less )\bthan\b|\(usual(?! (?:dose|dosing|regimen)\))|\bespecially at|\brisk[^.;]{0,30}\bat|"
    r"\b(?:reduc\w*|lower\w*|cut|decreas\w*|down|switch\w*) (?:\w+ )?from\b)[^.;,]{0,30}$"
)


def _denied(text: str, start: int) -> bool:
    """A dose named to be replaced or refused: "instead of 25 mcg/h", "not 1 g", "(usual 75 mg)", "reduce from
    500 mg"; "no reason not to give 500 mg" is not refused (the negations cancel)."""
    window = text[max(0, start - 40) : start]
    if DENIED.search(window):
        return True
    clause = re.split(r"[.;,:]| -> ", window)[-1]
    clause = re.sub(
        r"\bno (?:[\w-]+ )?(?:change|adjustment|reduction|need|reason|problem|concern)s?\b|"
        r"\b(?:don't|do not|never|no need to|not) (?:cut|reduce|lower|decrease|change|adjust|alter|halve|drop)\b",
        " ",
        clause,
    )  # "don't cut the adult 500 mg" keeps the 500 mg
    return len(NEGATORS.findall(re.sub(r"\b(?:not|no) less\b", " ", clause))) % 2 == 1


REFUSED_AFTER = re.compile(
    r"[^.;]{0,40}?\b(?:is|are|would be) (?:not|no longer) (?:appropriate|right|correct|suitable|safe|recommended|advised)|"
    r"[^.;]{0,40}?\b(?:is|are|would be) (?:wrong|too (?:high|much|large))"
)
LOADING = re.compile(
    r"\s*(?:\w+\s+){0,2}?(?:initial|loading|first|stat|starting)(?: dose)?\b|\s*(?:on )?day 1\b"
)
RAISE = r"\b(?:increase|raise|push|bump|titrate|escalate|double)\w*\b|\b(?:dose|go|going|step) up\b"  # "push the dose up to 100 mg" is no cap
# A sentence that quotes a source rather than recommending: "From the label: haemodialysis: 1 g on day 1, ..."
QUOTED = re.compile(
    r"\W*(?:from the (?:label|product information)|per the (?:product information|label|pi)|(?:the )?label(?: guidance)?"
    r"(?: says| notes| states)?\b|(?:the )?product information\b|background|reason(?:ing)?|why|context|rationale|"
    r"for reference|source|mechanism|note|labell?ing note|label detail|per the (?:pi|smpc|labell?ing)|smpc(?: wording)?|"
    r"product info(?:rmation)? says|pi|explanation|basis(?: for this)?|(?:the )?(?:monograph|bnf|formulary)|"
    r"what (?:the )?(?:[\w()-]+ )?(?:label|product info(?:rmation)?|pi|smpc|monograph|reference|guidance|bnf)"
    r"(?: for [\w()-]+)?(?: on [\w ]+)? (?:says|states|recommends))\W"
)


def own_words(text: str) -> str:
    """The answer without the sentences that quote a source ("Label detail: titrate slowly."), so that a quoted
    caveat does not overturn the answer's own verdict; the whole text when every sentence is a quote."""
    sentences = re.split(r"(?<=[.;])\s+", text)
    own = [s for s in sentences if not QUOTED.match(s)]
    return " ".join(own) if own else text


def recommended_doses(text: str, usual_per_day: float = 1.0) -> list[Dose]:
    """The doses an answer recommends, its own before those it quotes from a source: rhetorical questions
    resolved ("Is the usual 1 g right? No - give 0.33 g" keeps 0.33 g), and maxima ("do not exceed 40 mg/day")
    and refused or replaced doses ("instead of 25 mcg/h") left out."""
    text = resolve_rhetoric(text)
    kept = [
        d
        for d in doses(text, usual_per_day)
        if not (
            CAP.search(window := text[max(0, d.span[0] - 40) : d.span[0]]) and not re.search(RAISE, window)
        )
        and not _denied(text, d.span[0])
    ]
    kept = [
        d for d in kept if not REFUSED_AFTER.match(text, d.span[1]) and not LOADING.match(text, d.span[1])
    ]
    quoted = [d for d in kept if QUOTED.match(text, sentence_start(text, d.span[0]))]
    return [d for d in kept if d not in quoted] + quoted


def _changed_frequency(after: str) -> float | None:
    """Doses a day from a frequency change later in the sentence: "... interval extended to every 24 hours",
    "... move from twice daily to q24h"."""
    sentence = re.split(r"[.;](?:\s|$)", after)[0]
    m = re.search(
        r"\b(?:interval|frequency|dosing|move|switch|change|go)\w*\b[^.;]*?\bto\b|\b(?:but|and) (?:give|dose|take) "
        r"(?:it|them)\b|\bbut only\b",
        sentence,
    )
    if not m:
        return None
    rest = sentence[m.end() :]
    for pattern, count in FREQUENCIES:
        f = re.search(pattern, rest)
        if f:
            return _per_day(f, count)
    return None


def _per_day(match: re.Match, count: float | None) -> float:
    """Doses a day from a FREQUENCIES match: a fixed count, an interval in hours (None), or "N times a day" (-1)."""
    if count is None or count == -1:
        value = next(g for g in match.groups() if g)
        n = float(NUMBER_WORDS.get(value, value))
        return 24 / n if count is None else n
    return count


FRACTION_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "half": 2,
    "third": 3,
    "quarter": 4,
    "fifth": 5,
    "sixth": 6,
    "eighth": 8,
}


def percents(text: str) -> list[tuple[float, str]]:
    """(percent of the usual dose, how it was said) for each dose percentage: "reduce to 50%" -> 50, "reduce by
    25%" -> 75, "halve the dose" -> 50, "a quarter of the dose" -> 25, "100%" -> 100. Cross-reactivity and risk
    percentages ("1-2% cross-reactivity") are skipped."""
    out = []
    for m in re.finditer(r"(\d+(?:\.\d+)?)\s*%", text):
        after = text[m.end() : m.end() + 25]
        before = text[max(0, m.start() - 25) : m.start()]
        if re.search(r"cross|risk|reactiv|chance|incidence|patients|bioavailab", after + before):
            continue
        value = float(m.group(1))
        if re.search(r"\bby\s*(?:about |approximately |~)?$", before):
            value = 100 - value
        out.append((m.start(), value, m.group(0)))
    for m in re.finditer(
        r"\b(?:halve|half(?: of)? the (?:usual |normal |standard )?dose|half-dose)\b|"
        r"\b(?:a )?quarter of the (?:usual |normal )?dose\b|\bthree[- ]quarters of the (?:usual |normal )?dose\b",
        text,
    ):
        word = m.group(0)
        out.append((m.start(), 75.0 if "three" in word else (25.0 if "quarter" in word else 50.0), word))
    for m in re.finditer(
        r"\b(one|two|three)[- ](half|third|quarter|fifth|sixth|eighth)s? of (?:the|your|his|her)\b", text
    ):
        out.append((m.start(), 100 * FRACTION_WORDS[m.group(1)] / FRACTION_WORDS[m.group(2)], m.group(0)))
    for m in re.finditer(
        r"\bdouble (?:the )?(?:[\w()-]+ ){0,2}?dose|\btwice the (?:usual |normal )?dose", text
    ):
        out.append((m.start(), 200.0, m.group(0)))
    return [(value, said) for _, value, said in sorted(out)]


# ---- ranges (eGFR bands, Child-Pugh) -------------------------------------------------------------------------


def egfr_ranges(text: str) -> list[tuple[float, float, int, int]]:
    """(low, high, start, end) for each kidney-function range the answer names ("eGFR 30-44", "crcl < 30",
    "below 15", ">= 60", "a GFR of 8", "on dialysis" -> (-1, -1)). [start, end) is the segment that speaks for it:
    from the start of its sentence to the next range; ranges joined by "or"/"and" share the next one's segment."""
    unit = r"(?:\s*ml/min(?:/1\.73 ?m2|/1\.73 ?m²)?)?"
    ranges = (
        rf"(\d+){unit}\s*(?:-|to)\s*(\d+)|(?:<|below|under|less than)\s*=?\s*(\d+)|"
        rf"(?:>=|>|above|over|greater than|more than|at least)\s*=?\s*(\d+)|"
        rf"(\d+){unit}\s*(?:\+|or (?:above|more|higher|greater))"
    )
    point = rf"(?:(?:of|is|at|=)\s*)?(\d+)\b(?!{unit}\s*(?:-|to\b|\+|or\b))"  # "a GFR of 8"
    marks = [
        (m, m.groups())
        for m in re.finditer(rf"(?:egfr|crcl|gfr|clearance)[^.;:\d<>]{{0,25}}?(?:{ranges}|{point})", text)
    ]
    # bare ranges after an earlier eGFR mention ("egfr 30-44: ...; 15-29: ...; below 15: ...")
    if marks:
        first = marks[0][0].start()
        for m in re.finditer(rf"(?<![\w.])(?:{ranges})", text):
            heads = re.search(r"(?:^|[.;]\s*)$", text[: m.start()]) is not None  # a sentence opens with it
            labels = re.match(r"\s*(?:ml/min)?[^\w]{0,3}[:,=-]|\s*(?:or|and)\b", text[m.end() :]) is not None
            inside = any(x.start() <= m.start() < x.end() for x, _ in marks)
            if m.start() > first and (heads or labels) and not inside:
                marks.append((m, m.groups() + (None,)))
    # "above CrCl 30", "below an eGFR of 15": the comparison before the keyword
    before = [
        m
        for m in re.finditer(
            r"(?:(<|below|under|less than)|(>=|>|above|over|greater than|more than|at least))\s*(?:an? )?"
            r"(?:egfr|crcl|gfr)(?:\s*of)?\s*(\d+)",
            text,
        )
    ]
    marks = [(m, g) for m, g in marks if not any(b.start() <= m.start() < b.end() for b in before)]
    found = [
        ((0.0, float(b.group(3)) - 0.001) if b.group(1) else (float(b.group(3)), 1e9)) + (b.start(), b.end())
        for b in before
    ]
    for m, g in marks:
        a, b, lt, gt, plus, single = g[-6:]
        if single is not None:
            low, high = float(single), float(single) + 0.999
        elif a is not None:
            low, high = float(a), float(b) + 0.999
        elif lt is not None:
            low, high = 0.0, float(lt) - 0.001
        else:
            low, high = float(gt or plus), 1e9
        found.append((low, high, m.start(), m.end()))
    for m in re.finditer(
        r"\b(?:on |during |receiving |requiring )?(?:haemo|hemo|peritoneal )?dialysis\b", text
    ):
        found.append((-1.0, -1.0, m.start(), m.end()))
    found.sort(key=lambda r: r[2])
    kept: list[tuple[float, float, int, int]] = []
    for (
        r
    ) in found:  # a range named again in the same sentence ("after dialysis on dialysis days") is one mark
        if kept and kept[-1][:2] == r[:2] and not re.search(r"[.;] ", text[kept[-1][3] : r[2]]):
            continue
        kept.append(r)
    found = kept
    starts = [sentence_start(text, s, found[i - 1][3] if i else 0) for i, (_, _, s, _) in enumerate(found)]
    ends = [starts[i + 1] if i + 1 < len(found) else len(text) for i in range(len(found))]
    for i in range(len(found) - 2, -1, -1):  # "below 15 or on dialysis: avoid"
        if re.fullmatch(r"[\s,/]*(?:or|and)?[\s,]*", text[found[i][3] : ends[i]]):
            ends[i] = ends[i + 1]
    return [(lo, hi, starts[i], ends[i]) for i, (lo, hi, _, _) in enumerate(found)]


def sentence_start(text: str, pos: int, floor: int = 0) -> int:
    """Where the sentence holding `pos` begins (not before `floor`, the previous mark): "Never prescribe it with a
    GFR of 8" speaks for eGFR 8 from its first word."""
    cut = max(text.rfind(". ", floor, pos), text.rfind("; ", floor, pos))
    return max(floor, cut + 2 if cut >= 0 else floor)


CHILD_PUGH = {
    "A": r"child[- ]pugh (?:class )?a\b|\bmild(?:ly)? (?:hepatic|liver)|\bcompensated",
    "B": r"child[- ]pugh (?:class )?b\b|\bmoderate(?:ly)? (?:hepatic|liver)",
    "C": r"child[- ]pugh (?:class )?c\b|\bsevere(?:ly)? (?:hepatic|liver)|\bdecompensated",
}


def child_pugh_segments(text: str) -> dict[str, str]:
    """The part of the answer that speaks about each Child-Pugh class it names (from its mention to the next)."""
    found = sorted((m.start(), m.end(), cls) for cls, p in CHILD_PUGH.items() for m in re.finditer(p, text))
    marks = [(sentence_start(text, s, found[i - 1][1] if i else 0), c) for i, (s, _, c) in enumerate(found)]
    out: dict[str, str] = {}
    for i, (start, cls) in enumerate(marks):
        end = next((s for s, c in marks[i + 1 :] if c != cls), len(text))
        out.setdefault(cls, "")
        out[cls] += " " + text[start:end]
    # "a, b: avoid" style lists: a class mentioned right before another shares its segment
    return {k: v.strip() for k, v in out.items()}


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
