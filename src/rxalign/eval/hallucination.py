"""Rule-based hallucination checker for note summaries: pull the stated facts out of free text and compare
them with the note's structured facts (`NoteFacts`). Vocabularies come from `rxalign.data.notes`."""

from __future__ import annotations

import datetime as dt
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from rxalign.data.notes import (
    ALLERGIES,
    DIAGNOSES,
    FREQ_ABBREV,
    LATERAL,
    MEDICATIONS,
    NEGATABLE,
    ROUTE_ABBREV,
    ROUTE_ADVERB,
    UNSIDED,
    Medication,
    NoteFacts,
    fmt_dose,
)

ERROR_TYPES = (
    "fabricated",
    "contradicted",
    "negation_flip",
    "number_changed",
    "unit_changed",
    "frequency_changed",
    "laterality",
    "date_changed",
)
EXPECTED_ERROR = {
    "drug_swap": "fabricated",
    "dose_change": "number_changed",
    "unit_change": "unit_changed",
    "frequency_change": "frequency_changed",
    "negation_flip": "negation_flip",
    "laterality": "laterality",
    "date_change": "date_changed",
}

# ----------------------------------------------------------------------------- vocabularies


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _lookup(*tables: Iterable[str] | dict[str, str]) -> dict[str, str]:
    """Casefolded surface form -> canonical name; a list maps each name to itself."""
    out = {}
    for t in tables:
        out.update({_key(k): t[k] if isinstance(t, dict) else k for k in t})
    return out


def _alt(table: dict[str, str]) -> str:
    """Regex alternation of the surface forms, longest first, whitespace-tolerant."""
    forms = sorted(table, key=len, reverse=True)
    return "|".join(r"\s+".join(map(re.escape, f.split())) for f in forms)


def _phrase(table: dict[str, str]) -> re.Pattern:
    return re.compile(rf"(?<![\w-])(?:{_alt(table)})(?![\w-])", re.I)


DRUGS = _lookup(
    list(MEDICATIONS),
    {"metoprolol": "metoprolol tartrate", "paracetamol": "acetaminophen", "salbutamol": "albuterol"},
)
FINDINGS = _lookup(NEGATABLE, LATERAL, UNSIDED)
DX = _lookup(
    DIAGNOSES,
    {
        "HTN": "hypertension",
        "type 2 diabetes": "type 2 diabetes mellitus",
        "T2DM": "type 2 diabetes mellitus",
        "HFrEF": "heart failure with reduced ejection fraction",
        "AFib": "atrial fibrillation",
        "UTI": "urinary tract infection",
        "AKI": "acute kidney injury",
        "DVT": "deep vein thrombosis",
        "GERD": "gastro-oesophageal reflux disease",
        "GORD": "gastro-oesophageal reflux disease",
        "gastroesophageal reflux disease": "gastro-oesophageal reflux disease",
    },
)
ALLERGENS = _lookup(
    ALLERGIES,
    {
        "penicillins": "penicillin",
        "NSAID": "NSAIDs",
        "sulfa": "sulfonamides",
        "contrast": "iodinated contrast",
    },
)
ROUTES = _lookup(
    list(ROUTE_ABBREV),
    {v: k for k, v in ROUTE_ABBREV.items()},
    {v: k for k, v in ROUTE_ADVERB.items()},
    {
        "orally": "oral",
        "intravenous": "IV",
        "SC": "subcutaneous",
        "SQ": "subcutaneous",
        "topically": "topical",
    },
)
_BASE = {re.sub(" as needed$", "", k): re.sub(" prn$", "", v) for k, v in FREQ_ABBREV.items()}
FREQS = _lookup(  # without "as needed", which is matched separately
    list(_BASE),
    {v: k for k, v in _BASE.items()},
    {"once a day": "once daily", "qd": "once daily", "twice a day": "twice daily", "nightly": "at bedtime"},
    {"three times a day": "three times daily", "four times a day": "four times daily"},
)
UNITS = {"mcg": "mcg", "µg": "mcg", "μg": "mcg", "ug": "mcg", "mg": "mg", "g": "g", "ml": "mL"}
UNITS |= {"unit": "units", "units": "units", "iu": "units"}
TO_MG = {"mcg": 1e-3, "mg": 1.0, "g": 1e3}
MONTHS = {
    m.casefold(): i + 1
    for i, m in enumerate(
        "January February March April May June July August September October November December".split()
    )
}
MONTHS |= {m[:3]: i for m, i in MONTHS.items()} | {"sept": 9}

_DRUG_RE = _phrase(DRUGS)
_DX_RE = _phrase(DX)
_ALLERGEN_RE = _phrase(ALLERGENS | DRUGS)
_ROUTE_RE = _phrase(ROUTES)
_FINDING_RE = re.compile(
    rf"(?<![\w-])(?:(?P<pre>left|right)(?:[-\s]sided)?\s+)?(?P<f>{_alt(FINDINGS)})"
    r"(?:\s*\((?P<paren>left|right)\)|\s+on\s+the\s+(?P<post>left|right)(?:\s+side)?)?(?![\w-])",
    re.I,
)
_DOSE_RE = re.compile(rf"(?<![\w.,])(\d+(?:,\d{{3}})*(?:\.\d+)?)\s*({'|'.join(UNITS)})(?!\w)", re.I)
_FREQ_RE = re.compile(
    rf"(?<![\w-])(?:(?:every\s+(?P<n>\d{1, 3})\s+hours?|q\s?(?P<q>\d{1, 3})\s?h)|(?P<w>{_alt(FREQS)}))"
    r"(?:\s*,?\s*(?P<prn>as\s+needed|prn))?(?![\w-])|(?<![\w-])(?P<solo>as\s+needed|prn)(?![\w-])",
    re.I,
)
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE_RE = re.compile(
    rf"\b(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})\b"
    rf"|\b(?P<d2>\d{{1,2}})\s+(?P<mon2>{_MON})\.?,?\s+(?P<y2>\d{{4}})\b"
    rf"|\b(?P<mon3>{_MON})\.?\s+(?P<d3>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y3>\d{{4}})\b",
    re.I,
)
_ROLE_RE = re.compile(r"(?P<adm>admi(?:t|ss)\w*)|follow(?:ed)?[-\s]?up|f/u|clinic|appointment", re.I)
_AGE_RE = re.compile(
    r"\b(\d{1,3})(?:[-\s]*(?:years?|yrs?)[-\s]*old|\s*y/?o)\b"
    r"(?:[-\s]*(woman|female|lady|man|male|gentleman|f|m)\b)?",
    re.I,
)
SEXES = {"woman": "female", "female": "female", "lady": "female", "f": "female"}
SEXES |= {"man": "male", "male": "male", "gentleman": "male", "m": "male"}
_ALLERGY_SENT_RE = re.compile(r"allerg|\bNKDA\b|\bNKA\b", re.I)
_NKDA_RE = re.compile(r"\bNKDA\b|\bNKA\b|\bno\s+(?:known\s+)?(?:drug\s+)?allergies\b", re.I)
# Negation cues scope forward to the next breaker; "fever absent" / "chills were denied" scope backward.
_CUE_RE = re.compile(
    r"\b(?:(?P<post>absent|denied|not\s+(?:present|reported|seen|noted|observed|found)|ruled\s+out)"
    r"|denies|deny|denying|no|negative\s+for|without|not|free\s+of|absence\s+of)\b",
    re.I,
)
_BREAK_RE = re.compile(
    r";|\b(?:but|however|although|though|yet|except|apart\s+from|aside\s+from|whereas|while|reports?|reported"
    r"|reporting|endorses?|endorsed|complains?\s+of|presents?\s+with|positive\s+for|notable\s+for"
    r"|significant\s+for|findings?\s+include|has|have|had)\b",
    re.I,
)
_COPULA_RE = re.compile(r"\s*(?:(?:is|are|was|were|has\s+been|have\s+been)\s+)?", re.I)
_SPECIAL_RE = re.compile(r"<\|[^<>|]{0,64}\|>|</?(?:s|pad|unk|eos|bos)>", re.I)
_SENT_END_RE = re.compile(r"[.!?](?=\s|$)|\n")

# ----------------------------------------------------------------------------- extraction


@dataclass(frozen=True)
class DrugMention:
    drug: str
    dose: float | None = None
    unit: str | None = None
    route: str | None = None
    frequency: str | None = None


@dataclass
class Extracted:
    """What a summary states, deduplicated in order of first mention."""

    drugs: list[DrugMention] = field(default_factory=list)
    negated_drugs: list[str] = field(default_factory=list)  # "not on warfarin"
    negated_findings: list[str] = field(default_factory=list)
    positive_findings: list[tuple[str, str | None]] = field(default_factory=list)  # (finding, side)
    diagnoses: list[str] = field(default_factory=list)
    negated_diagnoses: list[str] = field(default_factory=list)
    allergies: list[str] = field(default_factory=list)
    no_known_allergies: bool = False
    # (iso date, 'admission' | 'follow_up' | None) by the nearest role keyword in the sentence
    dates: list[tuple[str, str | None]] = field(default_factory=list)
    ages: list[int] = field(default_factory=list)
    sexes: list[str] = field(default_factory=list)


def _sentences(text: str) -> list[str]:
    cuts = [0, *(m.end() for m in _SENT_END_RE.finditer(text)), len(text)]
    return [text[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True) if text[a:b].strip()]


def _inside(spans: list[tuple[int, int]]):
    """pos -> whether some [start, end) span holds it."""
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    starts = [a for a, _ in merged]
    return lambda pos: (i := bisect_right(starts, pos) - 1) >= 0 and pos < merged[i][1]


def _negation_scopes(sent: str, finding_ends: list[int]) -> list[tuple[int, int]]:
    """Spans of `sent` that a negation cue covers: from the cue to the next breaker, or back from a
    trailing cue ("fever absent", "chills were denied") to the previous one."""
    breaks = [(m.start(), m.end()) for m in _BREAK_RE.finditer(sent)]
    starts, ends = [a for a, _ in breaks], [b for _, b in breaks]
    scopes = []
    for cue in _CUE_RE.finditer(sent):
        i = bisect_right(finding_ends, cue.start())
        if cue["post"] and i and _COPULA_RE.fullmatch(sent, finding_ends[i - 1], cue.start()):
            j = bisect_right(ends, cue.start())
            scopes.append((ends[j - 1] if j else 0, cue.start()))
        else:
            j = bisect_left(starts, cue.end())
            scopes.append((cue.end(), starts[j] if j < len(starts) else len(sent)))
    return scopes


def _date(m: re.Match) -> str | None:
    y, mon, d = (
        (m["y"], m["m"], m["d"])
        if m["y"]
        else (m["y2"], m["mon2"], m["d2"])
        if m["y2"]
        else (m["y3"], m["mon3"], m["d3"])
    )
    try:
        return dt.date(int(y), int(mon) if mon.isdigit() else MONTHS[mon.casefold()], int(d)).isoformat()
    except (ValueError, KeyError):
        return None


def _date_role(roles: list[re.Match], start: int) -> str | None:
    """The nearest role keyword ("admitted", "follow-up") before the date in its sentence, else after it."""
    i = bisect_right([m.end() for m in roles], start)
    m = roles[i - 1] if i else roles[0] if roles else None
    return None if m is None else "admission" if m["adm"] else "follow_up"


def _frequency(m: re.Match) -> str | None:
    if m["solo"]:
        return "as needed"
    n = m["n"] or m["q"]
    base = f"every {int(n)} hours" if n else FREQS.get(_key(m["w"]))
    return f"{base} as needed" if base and m["prn"] else base


def _drug_mention(drug: str, seg: str) -> DrugMention:
    dose, route, freq = _DOSE_RE.search(seg), _ROUTE_RE.search(seg), _FREQ_RE.search(seg)
    return DrugMention(
        drug=drug,
        dose=float(dose[1].replace(",", "")) if dose else None,
        unit=UNITS.get(dose[2].casefold()) if dose else None,
        route=ROUTES.get(_key(route[0])) if route else None,
        frequency=_frequency(freq) if freq else None,
    )


def _extract_sentence(sent: str, ex: Extracted) -> None:
    roles = list(_ROLE_RE.finditer(sent))
    ex.dates += [(iso, _date_role(roles, m.start())) for m in _DATE_RE.finditer(sent) if (iso := _date(m))]
    for m in _AGE_RE.finditer(sent):
        ex.ages.append(int(m[1]))
        ex.sexes += [SEXES[m[2].casefold()]] if m[2] and m[2].casefold() in SEXES else []
    if _ALLERGY_SENT_RE.search(sent):  # drugs and reactions here are allergies, not medications/findings
        ex.allergies += [
            a for k in map(_key, _ALLERGEN_RE.findall(sent)) if (a := ALLERGENS.get(k, DRUGS.get(k)))
        ]
        ex.no_known_allergies |= bool(_NKDA_RE.search(sent))
        return
    findings = [(m, f) for m in _FINDING_RE.finditer(sent) if (f := FINDINGS.get(_key(m["f"])))]
    negated = _inside(_negation_scopes(sent, [m.end() for m, _ in findings]))
    drugs = [(m, d) for m in _DRUG_RE.finditer(sent) if (d := DRUGS.get(_key(m[0])))]
    segments = []  # a drug's details run up to the next drug, ';' or the sentence end
    for i, (m, drug) in enumerate(drugs):
        semi = sent.find(";", m.end())
        end = min(
            drugs[i + 1][0].start() if i + 1 < len(drugs) else len(sent), semi if semi >= 0 else len(sent)
        )
        segments.append((m.start(), end))
        if negated(m.start()):
            ex.negated_drugs.append(drug)
        else:
            ex.drugs.append(_drug_mention(drug, sent[m.end() : end]))
    for m in _DX_RE.finditer(sent):
        if dx := DX.get(_key(m[0])):
            (ex.negated_diagnoses if negated(m.start()) else ex.diagnoses).append(dx)
    in_segment = _inside(segments)
    for m, finding in findings:
        if negated(m.start()):
            ex.negated_findings.append(finding)
        elif not in_segment(m.start()):  # "ondansetron prn nausea": an indication, not a finding
            side = m["pre"] or m["paren"] or m["post"]
            ex.positive_findings.append((finding, side.lower() if side else None))


def extract(summary: str) -> Extracted:
    """The facts a free-text summary states. Never raises; special tokens like `<|eos|>` are dropped."""
    text = _SPECIAL_RE.sub(" ", summary if isinstance(summary, str) else "")
    ex = Extracted()
    for sent in _sentences(text):
        _extract_sentence(sent, ex)
    for f in fields(ex):
        if isinstance(xs := getattr(ex, f.name), list):
            setattr(ex, f.name, list(dict.fromkeys(xs)))
    return ex


# ----------------------------------------------------------------------------- checking


@dataclass
class SummaryCheck:
    errors: dict[str, list[str]]  # error type -> one short line per wrong fact
    omissions: list[str]  # the note's medications, negated / lateralised findings and dates left unsaid
    stated_facts: int
    hallucinated_facts: int
    hallucinated: bool

    @property
    def error_types(self) -> set[str]:
        return {t for t, v in self.errors.items() if v}


def _same_dose(m: Medication, d: DrugMention) -> bool:
    if d.unit == m.unit:
        return math.isclose(d.dose, m.dose)
    return (
        d.unit in TO_MG and m.unit in TO_MG and math.isclose(d.dose * TO_MG[d.unit], m.dose * TO_MG[m.unit])
    )


def _same_freq(m: Medication, d: DrugMention) -> bool:
    return d.frequency == m.frequency or (d.frequency == "as needed" and m.frequency.endswith("as needed"))


def _swapped_with(d: DrugMention, meds: dict, said: dict, attr: str, same) -> str | None:
    """The other note drug whose true `attr` `d` states, when that drug is itself stated with a wrong one."""
    for o in meds.values():
        theirs = [s for s in said.get(o.drug, ()) if getattr(s, attr) is not None]
        if o.drug != d.drug and same(o, d) and any(not same(o, s) for s in theirs):
            return o.drug
    return None


def _med_errors(d: DrugMention, meds: dict[str, Medication], said: dict) -> dict[tuple, tuple | None]:
    """Verdicts on the dose, frequency and route stated for a drug of the note."""
    m, out = meds[d.drug], {}
    if d.dose is not None:
        got = f"{d.drug} {fmt_dose(d.dose)} {d.unit} (note: {fmt_dose(m.dose)} {m.unit})"
        if _same_dose(m, d):
            err = None
        elif other := _swapped_with(d, meds, said, "dose", _same_dose):
            err = ("contradicted", f"{got}, the dose of {other}")
        else:
            err = ("unit_changed" if math.isclose(d.dose, m.dose) else "number_changed", got)
        out["dose", d.drug, d.dose, d.unit] = err
    if d.frequency is not None:
        got = f"{d.drug} {d.frequency} (note: {m.frequency})"
        if _same_freq(m, d):
            err = None
        elif other := _swapped_with(d, meds, said, "frequency", _same_freq):
            err = ("contradicted", f"{got}, the frequency of {other}")
        else:
            err = ("frequency_changed", got)
        out["frequency", d.drug, d.frequency] = err
    if d.route is not None:
        err = None if d.route == m.route else ("contradicted", f"{d.drug} {d.route} (note: {m.route})")
        out["route", d.drug, d.route] = err
    return out


def check(summary: str, facts: NoteFacts | dict) -> SummaryCheck:
    """Compare what `summary` states with the note's `facts`; at most one error per stated fact."""
    f = facts if isinstance(facts, NoteFacts) else NoteFacts.model_validate(facts)
    ex = extract(summary)
    meds = {m.drug: m for m in f.medications}
    sides = {p.finding: p.side for p in f.positive_findings}
    dates = {"admission": f.admission_date, "follow_up": f.follow_up_date}
    v: dict[tuple, tuple[str, str] | None] = {}  # stated fact -> (error type, what was wrong) or None

    def judge(key: tuple, ok: bool, kind: str = "", what: str = "") -> None:
        v.setdefault(key, None if ok else (kind, what))

    for age in ex.ages:
        judge(("age", age), age == f.age, "contradicted", f"age {age} (note: {f.age})")
    for sex in ex.sexes:
        judge(("sex", sex), sex == f.sex, "contradicted", f"{sex} (note: {f.sex})")
    for dx in ex.diagnoses:
        judge(("dx", dx), dx in f.diagnoses, "contradicted", f"diagnosis {dx} not in note")
    for dx in set(ex.negated_diagnoses) & set(f.diagnoses):
        judge(("no dx", dx), False, "contradicted", f"diagnosis {dx} stated absent")
    for a in ex.allergies:
        judge(("allergy", a), a in f.allergies, "contradicted", f"allergy to {a} not in note")
    if ex.no_known_allergies:
        judge(
            ("nkda",), not f.allergies, "contradicted", f"no known allergies (note: {', '.join(f.allergies)})"
        )
    for x in ex.negated_findings:
        if x in sides:
            judge(("absent", x), False, "negation_flip", f"{x} stated absent (note: present)")
        else:
            judge(("absent", x), x in f.negated_findings, "fabricated", f"finding {x} (absent) not in note")
    for x, side in ex.positive_findings:
        said = f"{side} {x}" if side else x
        if x in f.negated_findings:
            judge(("present", x, side), False, "negation_flip", f"{said} stated present (note: absent)")
        elif x not in sides:
            judge(("present", x, side), False, "fabricated", f"finding {said} not in note")
        else:
            kind = "laterality" if sides[x] else "contradicted"
            judge(
                ("present", x, side),
                side in (None, sides[x]),
                kind,
                f"{said} (note: {sides[x] or 'no side'})",
            )
    said_by_drug: dict[str, list[DrugMention]] = {}
    for d in ex.drugs:
        said_by_drug.setdefault(d.drug, []).append(d)
    for d in ex.drugs:
        judge(("drug", d.drug), d.drug in meds, "fabricated", f"drug {d.drug} not in note")
        if d.drug in meds:
            for key, err in _med_errors(d, meds, said_by_drug).items():
                v.setdefault(key, err)
    for drug in set(ex.negated_drugs) & set(meds):
        judge(("no drug", drug), False, "contradicted", f"{drug} stated not taken")
    for iso, role in ex.dates:
        if role:
            judge(
                ("date", iso, role),
                iso == dates[role],
                "date_changed",
                f"{role.replace('_', '-')} date {iso} (note: {dates[role]})",
            )
        else:
            judge(("date", iso), iso in dates.values(), "date_changed", f"date {iso} not in note")

    errors: dict[str, list[str]] = {t: [] for t in ERROR_TYPES}
    for err in v.values():
        if err:
            errors[err[0]].append(err[1])
    stated_dates, present = {iso for iso, _ in ex.dates}, {x for x, _ in ex.positive_findings}
    omissions = [f"medication {m.drug}" for m in f.medications if m.drug not in said_by_drug]
    omissions += [f"negated finding {x}" for x in f.negated_findings if x not in ex.negated_findings]
    omissions += [
        f"finding {p.side} {p.finding}" for p in f.positive_findings if p.side and p.finding not in present
    ]
    omissions += [
        f"{role.replace('_', '-')} date {iso}" for role, iso in dates.items() if iso not in stated_dates
    ]
    n = sum(map(len, errors.values()))
    return SummaryCheck(errors, omissions, stated_facts=len(v), hallucinated_facts=n, hallucinated=n > 0)


# ----------------------------------------------------------------------------- aggregates


def hallucination_rate(checks: Iterable[SummaryCheck]) -> dict:
    """Share of summaries with >= 1 hallucinated fact, errors per 100 stated facts, counts by type, omissions."""
    checks = list(checks)
    n, stated = len(checks), sum(c.stated_facts for c in checks)
    bad = sum(c.hallucinated_facts for c in checks)
    return {
        "n": n,
        "rate": sum(c.hallucinated for c in checks) / n if n else 0.0,
        "per_100_facts": 100 * bad / stated if stated else 0.0,
        "hallucinated_facts": bad,
        "stated_facts": stated,
        "by_type": {t: sum(len(c.errors[t]) for c in checks) for t in ERROR_TYPES},
        "omission_rate": sum(bool(c.omissions) for c in checks) / n if n else 0.0,  # share with >= 1 omission
        "omissions": sum(len(c.omissions) for c in checks),
    }


def detection_quality(rows: Iterable[dict]) -> dict:
    """The checker as a detector on DPO rows: rejected summaries are the positives, chosen the negatives."""
    tp = fp = typed = exact = n = 0
    for r in rows:
        facts = NoteFacts.model_validate(r["facts"])
        bad, good = check(r["rejected"], facts), check(r["chosen"], facts)
        want = EXPECTED_ERROR.get(r["perturbation"])
        n, tp, fp = n + 1, tp + bad.hallucinated, fp + good.hallucinated
        typed, exact = typed + (want in bad.error_types), exact + (bad.error_types == {want})
    return {
        "n": n,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / n if n else 0.0,
        "type_recall": typed / n if n else 0.0,  # rejected rows flagged with their perturbation's error type
        "exact_type": exact / n if n else 0.0,  # ... and with no other error type
        "false_positives": fp,
    }
