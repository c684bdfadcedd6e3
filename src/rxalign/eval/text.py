"""The text layer under the grader's parsers: an answer cleaned to canonical terms, "no <drug>" refusals
rewritten, rhetorical questions resolved, clauses and sentence starts, and quoted source text set apart."""

from __future__ import annotations

import re

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


def sentence_start(text: str, pos: int, floor: int = 0) -> int:
    """Where the sentence holding `pos` begins (not before `floor`, the previous mark): "Never prescribe it with a
    GFR of 8" speaks for eGFR 8 from its first word."""
    cut = max(text.rfind(". ", floor, pos), text.rfind("; ", floor, pos))
    return max(floor, cut + 2 if cut >= 0 else floor)


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
