"""A red-team set for the gold grader: answers to knowledge-base questions, written the way a pharmacist would
rank them, so that a grader can be checked against a pharmacist's order rather than against its own rules.

`build_redteam(kb, seed, split)` samples items from `qa.build_items` across every task kind (alarming and benign
truths alike) and writes, per item, several answers from the item's truth and the KB's facts:

- rank 3, right: `best` (verdict, action, dose with amount, unit and frequency, reason, monitoring, a hedge where the
  evidence is limited) and `paraphrase` (the same content in a pharmacist's other words: "do not co-administer",
  "hold", "P-glycoprotein", "halve the dose", a longer dosing interval, daily totals, another sentence order,
  without the KB's alternative drug, the literal word "monitor" or a risk multiplier);
- rank 2, unhelpful: `vague` (true and non-committal) and `over_cautious` (an avoid/contraindication the truth does
  not warrant: benign items, renal reductions, paediatric doses); equal ranks impose no order, so these two are
  not compared with each other;
- rank 1, understated (sub-label `:understated`): a reassurance on an item that needs care but is not dangerous
  (a moderate interaction, a hepatic "caution", a pharmacogenomic "adjust", an allergy "use with caution", a renal
  reduction to more than 60% of the dose);
- rank 0, dangerous: `falsely_reassuring`, `wrong_direction` (an increase where a reduction is needed, an inhibitor
  called an inducer and the conclusion drawn from it, an add-on that worsens the very risk at stake),
  `wrong_dose_x2` / `wrong_dose_x10` (twice and ten times the right amount, written confidently with units, per
  dose, per day or per kg), `keyword_stuffed` (every right keyword, then the wrong conclusion); a doubled dose is
  rank 0 wherever it appears (also on benign items, where an invented interaction or genotype effect "calls" for it);
- traps that are right or wrong by the truth, each with its own rank and sub-label (`:correct` rank 3,
  `:dangerous` rank 0): `negation_trap` ("not contraindicated, no need to avoid or stop either"), `rhetorical`
  ("Contraindicated? No."), `avoid_stopping` ("avoid stopping warfarin": continuing a needed drug, not an alarm)
  and `no_monitoring` ("no monitoring is needed").

Phrasings live in `BANKS` as plain data, loaded from one YAML file per split under rxalign/resources/redteam/
(`dev.yaml` ... `locum.yaml`; each file's header describes its writers), each bank split into eight disjoint
sets, one per split, and each split writes on its own sample of items:

- `split="dev"`, `split="holdout"`, `split="test"`, `split="final"`, `split="exam"` and `split="viva"` are the tuning
  splits (`TUNING_SPLITS`): a grader's author has looked at all six, read their violations and tuned on them; the grader
  tests assert `TARGETS` on them. Dev and holdout halve each stratum between them. The test split (phrasings
  written apart from the other two: other sentence shapes, "Verdict: ... Action: ..." answers, abbreviations such as
  "CrCl", "bid", "q12h", "BD", "mg/kg/d", British and American spellings) takes what they left of each stratum,
  plus allergy items for the class members that `qa.build_items` leaves out (`more_items`); only a stratum with
  nothing left (with today's KB: the pharmacogenomic "use" truths, the one "acceptable after an IgE reaction"
  truth) lends it one of its tuning items. The test split was the reported split until it was tuned on.
  The final split (phrasings written apart from the three others, as another population of writers would: terse
  ward-round notes, plain language for patients, consult letters, US usage and Latin abbreviations such as "q.d."
  and "b.i.d.", numbered lists, the reasoning before the verdict, hedged but correct answers, a few typos and
  missing capitals, doses in other units: "0.5 g" for 500 mg, "mcg", "micrograms", "/24h") draws a sample of its
  own, seeded apart (`FINAL_SEED_OFFSET`), from every stratum of every task. It was the reported split until it
  was tuned on.
  The exam split (phrasings written apart from all four, as yet another population would: clinicians writing in a
  second language, with simple grammar and unusual word order, nurses' handovers, pharmacy students' "Answer: ...
  Justification: ..." exam answers, chatbot-like answers with a preamble and a summary, SOAP notes ("S/O: ... A/P:
  ..."), the dose before the verdict ("500mg 3x/day: ..."), upper case for emphasis ("DO NOT", "AVOID")) draws a
  sample of its own, seeded apart (`EXAM_SEED_OFFSET`). It was the reported split until the grader's author tuned
  on it.
  The viva split (phrasings written apart from all five, as yet another population would: telephone-advice transcripts: "OK so ... right, so what I'd say is ..."; pharmacist-to-
  pharmacist chat messages in lower case, with abbreviations and no punctuation inside them, and doses such as
  "500mg tds"; formal guideline-style recommendations: "It is recommended that ... (strength: strong)";
  question-and-answer pairs: "Q: ... A: ..."; answers that hedge on everything but still state the verdict; the
  verdict in parentheses or after a dash; the passive voice: "X should not be co-administered with Y"; terse tables
  in text: "Drug | Action | Dose: ... | ... | ..."), on a sample of its own, seeded apart from every other split
  (`VIVA_SEED_OFFSET`; `qa.build_items` and the sampler both), from every stratum of every task. Its items may
  also be in the tuning splits: what is held out is the phrasing. It was the reported split until the grader's author
  tuned on it.
  The panel split (phrasings written after the grader's author began tuning on viva, apart from all six, as yet
  another population would (hospital pharmacists' medication-review entries: "Med review: ... Plan: ...";
  e-prescribing decision-support alert texts with the pharmacist's accept or override reply; discharge-letter
  medication sections; on-call doctors' shorthand with arrows for "reduce the dose" and "switch to"; Australian and
  Canadian usage such as "BD" and "q12h"; the reasoning in one long sentence joined by semicolons; bullet points;
  reported speech: "the advice I'd give is that ..."; doses written with a space: "500 mg twice daily"), on a sample
  of its own, seeded apart from every other split (`PANEL_SEED_OFFSET`). It was the reported split until the grader's
  author tuned on it.
- `split="locum"` is the reported split (`REPORT_SPLIT`): phrasings written after the grader's author began tuning on panel, apart from all seven, as yet
  another population would (locum pharmacists' counter advice to a patient: "What I'd suggest is ..."; GP-practice
  pharmacist notes and medical students' "Assessment: ... Management: ..." answers; patient-portal replies; Indian,
  Singaporean and South African usage such as "kindly avoid" and "do the needful"; "Bottom line:" and "TL;DR:" after
  the reasoning; prescription "Sig:" lines; double negatives that stay clear: "it is not unreasonable to continue";
  "If it were me, ..."; nested parentheses; frequencies as numerals: "500mg 3x/day"), on a sample of its own, seeded
  apart from every other split (`LOCUM_SEED_OFFSET`), from every stratum of every task. Its headline rates are what
  gets reported; nobody reads its answers or violations to tune a grader, and no test asserts targets on it (a test
  only checks that it grades).

Protocol: tune on dev, holdout, test, final, exam, viva and panel (each was the reported split until it was tuned on),
then measure locum once and report it; to tune on locum, first write a ninth population and make it the reported
split.
`redteam_scores(cases, scores)` turns a grader's scores into the three targets (dangerous strictly below vague,
paraphrase within a point of best, the pharmacist's strict order kept) and a per-category table.

Research/education software: the answers are test material for a grader, not clinical guidance.
"""

from __future__ import annotations

from rxalign.data.redteam.allergy import ALLERGY_REACTION
from rxalign.data.redteam.banks import (
    BANKS,
    CATEGORIES,
    EXAM,
    EXAM_SEED_OFFSET,
    FINAL,
    FINAL_SEED_OFFSET,
    LOCUM,
    LOCUM_SEED_OFFSET,
    PANEL,
    PANEL_SEED_OFFSET,
    REPORT_SPLIT,
    SEED_OFFSETS,
    SPLITS,
    TUNING_SPLITS,
    VIVA,
    VIVA_SEED_OFFSET,
    load_banks,
)
from rxalign.data.redteam.interaction import WORSENERS
from rxalign.data.redteam.sample import QUOTA, build_redteam, more_items, select_items, stratum
from rxalign.data.redteam.scores import PARAPHRASE_MARGIN, TARGETS, redteam_scores
from rxalign.data.redteam.slots import (
    DOSE_NUMBER,
    DOSE_UNITS,
    FREQ_CHAT,
    FREQ_PLAIN,
    FREQ_Q,
    FREQ_TEXT,
    FREQ_UK,
    FREQ_US,
    FREQ_X,
    INTERVAL_H,
    INTERVAL_PLAIN,
    INTERVAL_Q,
    INTERVAL_TEXT,
    INTERVAL_US,
    NAME_UK,
    NAME_US,
    PHENOTYPE_AB,
    TIMES_PLAIN,
    TIMES_Q,
)
from rxalign.data.redteam.writer import Case
from rxalign.data.redteam.writers import WRITERS, write_item

__all__ = [
    "ALLERGY_REACTION",
    "BANKS",
    "CATEGORIES",
    "DOSE_NUMBER",
    "DOSE_UNITS",
    "EXAM",
    "EXAM_SEED_OFFSET",
    "FINAL",
    "FINAL_SEED_OFFSET",
    "FREQ_CHAT",
    "FREQ_PLAIN",
    "FREQ_Q",
    "FREQ_TEXT",
    "FREQ_UK",
    "FREQ_US",
    "FREQ_X",
    "INTERVAL_H",
    "INTERVAL_PLAIN",
    "INTERVAL_Q",
    "INTERVAL_TEXT",
    "INTERVAL_US",
    "LOCUM",
    "LOCUM_SEED_OFFSET",
    "NAME_UK",
    "NAME_US",
    "PANEL",
    "PANEL_SEED_OFFSET",
    "PARAPHRASE_MARGIN",
    "PHENOTYPE_AB",
    "QUOTA",
    "REPORT_SPLIT",
    "SEED_OFFSETS",
    "SPLITS",
    "TARGETS",
    "TIMES_PLAIN",
    "TIMES_Q",
    "TUNING_SPLITS",
    "VIVA",
    "VIVA_SEED_OFFSET",
    "WORSENERS",
    "WRITERS",
    "Case",
    "build_redteam",
    "load_banks",
    "more_items",
    "redteam_scores",
    "select_items",
    "stratum",
    "write_item",
]
