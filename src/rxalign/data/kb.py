"""Hand-written pharmaceutical knowledge base (drugs, drug–drug interactions, allergy cross-reactivity) with its
pydantic schema, YAML loader and consistency checks; a research/education testbed, not clinical guidance."""

from __future__ import annotations

import importlib.resources
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from rxalign.errors import UserError

# Closed vocabularies (generators group and grade by these).
# fmt: off
DrugClass = Literal[
    "anticoagulant", "antiplatelet", "nsaid", "analgesic_other", "opioid", "antidiabetic", "statin",
    "antihypertensive", "antiarrhythmic", "antibiotic_beta_lactam", "antibiotic_other", "antifungal",
    "antidepressant", "antipsychotic", "mood_stabilizer", "antiepileptic", "immunosuppressant", "ppi", "antigout",
]
Unit = Literal["mg", "g", "mcg", "units", "mg/kg", "mcg/h"]
Route = Literal["oral", "iv", "im", "sc", "transdermal", "inhaled", "topical"]
Frequency = Literal[
    "once_daily", "twice_daily", "three_times_daily", "four_times_daily", "every_4_hours", "every_4_to_6_hours",
    "every_6_hours", "every_8_hours", "every_12_hours", "every_24_hours", "every_72_hours", "weekly",
    "daily_in_divided_doses", "single_dose", "continuous_infusion",
]
RenalAction = Literal["full", "reduce", "avoid", "contraindicated"]
RenalBasis = Literal["egfr", "crcl"]  # what the label's cut-offs measure: eGFR, or creatinine clearance
HepaticAction = Literal["none", "caution", "reduce", "avoid", "contraindicated"]
ChildPughClass = Literal["A", "B", "C"]
PgxStance = Literal["avoid", "adjust", "use"]  # what a pharmacogenomic recommendation asks of the prescriber
MechanismType = Literal["ige", "non_ige", "scar"]  # scar: severe cutaneous adverse reaction (SJS/TEN, DRESS)
Gene = Literal[
    "CYP2D6", "CYP2C19", "CYP2C9", "CYP3A5", "VKORC1", "HLA-B*57:01", "HLA-B*15:02", "HLA-B*58:01", "HLA-A*31:01",
    "TPMT", "NUDT15", "SLCO1B1", "G6PD", "POLG", "HPRT1", "UGT1A1", "DPYD",
]
Phenotype = Literal[
    "poor_metabolizer", "intermediate_metabolizer", "normal_metabolizer", "rapid_metabolizer",
    "ultrarapid_metabolizer", "allele_carrier", "deficient", "decreased_function", "poor_function",
]
EvidenceTopic = Literal[
    "renal", "renal_lt15", "dialysis", "hepatic", "pregnancy", "lactation", "pediatric", "geriatric",
    "pharmacogenomics", "interaction", "dosing",
]
Severity = Literal["contraindicated", "major", "moderate", "minor", "none"]
# fmt: on
Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, StringConstraints(min_length=1)]
Percent = Annotated[float, Field(ge=0, le=100)]
BANNED_SOURCES = re.compile(
    r"\b(drugbank|ddinter|sider)\b", re.I
)  # licence-restricted; never cite or copy them


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Sourced(Model):
    text: Text
    source: str


class Dose(Model):
    amount: Annotated[float, Field(gt=0)]
    unit: Unit
    frequency: Frequency
    route: Route
    text: Text
    source: str


class RenalBand(Model):
    action: RenalAction
    percent_of_dose: int | None  # 100 for full, 0 < p < 100 for reduce, null for avoid/contraindicated
    note: Text


# Band keys in order, mL/min (per 1.73 m² for eGFR): gt60 is 60 or above, 45_59 is 45 to <60, 30_44 is 30 to <45,
# 15_29 is 15 to <30, lt15 is below 15 (not on dialysis where a dialysis band exists), dialysis is on dialysis.
BAND_KEYS = ("gt60", "45_59", "30_44", "15_29", "lt15", "dialysis")


class RenalBands(Model):
    """Where a label's cut-off falls inside a band (CrCl 50 inside 45_59), the band holds the label's action just
    above the band's lower edge and its note gives the rest; questions take their eGFR from there (qa.RENAL_BAND_EGFR)."""

    gt60: RenalBand
    b45_59: RenalBand = Field(alias="45_59")
    b30_44: RenalBand = Field(alias="30_44")
    b15_29: RenalBand = Field(alias="15_29")
    lt15: RenalBand
    dialysis: RenalBand | None = None  # only where the label says something specific for dialysis

    def items(self) -> list[tuple[str, RenalBand]]:
        """(band key, band) in BAND_KEYS order; dialysis only where the drug has it."""
        bands = [
            ("gt60", self.gt60),
            ("45_59", self.b45_59),
            ("30_44", self.b30_44),
            ("15_29", self.b15_29),
            ("lt15", self.lt15),
        ]
        return bands + ([("dialysis", self.dialysis)] if self.dialysis is not None else [])


class Renal(Model):
    basis: RenalBasis  # crcl where the label's cut-offs are creatinine clearance (Cockcroft-Gault)
    bands: RenalBands
    note: Text | None = None  # what applies to every band (e.g. which indication the bands follow)
    source: str


class ChildPugh(Model):
    A: HepaticAction  # mild hepatic impairment
    B: HepaticAction  # moderate
    C: HepaticAction  # severe

    def items(self) -> list[tuple[str, HepaticAction]]:
        return [("A", self.A), ("B", self.B), ("C", self.C)]


class Hepatic(Model):
    child_pugh: ChildPugh
    note: Text
    source: str


class Contraindication(Model):
    condition: Text
    source: str


class Pediatric(Model):
    mg_per_kg_low: Annotated[float, Field(gt=0)]
    mg_per_kg_high: Annotated[float, Field(gt=0)]
    per: Literal["day", "dose"]
    divided_doses: Annotated[int, Field(ge=1)] | None
    max_mg_per_day: Annotated[float, Field(gt=0)] | None
    note: Text
    source: str


class PgxNote(Model):
    gene: Gene
    phenotype: Phenotype
    effect: Text
    recommendation: Text
    stance: PgxStance
    source: str


class LabelRevision(Model):
    """The revision of the drug's FDA label that its facts were checked against; only where it was verified."""

    date: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}(-\d{2})?$")]  # YYYY-MM or YYYY-MM-DD
    checked_in: Text  # where the date was read (e.g. a DailyMed set id and its "Updated"/"Revised:" line)
    compared: tuple[Text, ...] = ()  # the KB fields compared with that label's text and found to agree


class LimitedEvidence(Model):
    topic: EvidenceTopic
    note: Text


class Drug(Model):
    id: Id
    name: Text
    drug_class: DrugClass = Field(alias="class")
    groups: tuple[
        Id, ...
    ] = ()  # finer tags (e.g. penicillin, cephalosporin_1st_gen, ssri) used by allergy records
    mechanism: Sourced
    dose: Dose  # usual adult dose
    renal: Renal
    hepatic: Hepatic
    contraindications: tuple[Contraindication, ...]
    pregnancy: Sourced
    pediatric: Pediatric | None
    pgx: tuple[PgxNote, ...] = ()
    limited_evidence: tuple[LimitedEvidence, ...] = ()
    label_revision: LabelRevision | None = None  # optional; never filled from memory


class Interaction(Model):
    drugs: tuple[Id, Id]
    severity: Severity
    mechanism: Text
    risk: Text
    risk_multiplier: (
        Annotated[float, Field(gt=0)] | None
    )  # fold-change in the risk or exposure named in `risk`
    alternative: str | None  # safer option; may be null only for none/minor
    alternative_ids: tuple[Id, ...] = ()  # drug ids named in `alternative`
    monitoring: Text
    source: str
    limited_evidence: bool = False


class AllergyRecord(Model):
    allergy: Id  # drug id, class or group the patient reacted to
    drug_or_class: Id  # drug id, class or group being considered
    mechanism_type: MechanismType
    recommendation: Literal["avoid", "use_with_caution", "acceptable"]
    cross_reactivity_percent_low: Percent | None
    cross_reactivity_percent_high: Percent | None
    note: Text
    source: str
    limited_evidence: bool


class KnowledgeBase(Model):
    drugs: tuple[Drug, ...]
    interactions: tuple[Interaction, ...]
    allergy: tuple[AllergyRecord, ...]

    @cached_property
    def drug_index(self) -> dict[str, Drug]:
        return {d.id: d for d in reversed(self.drugs)}  # first definition wins

    @cached_property
    def pair_index(self) -> dict[frozenset[str], Interaction]:
        return {frozenset(i.drugs): i for i in reversed(self.interactions)}

    def drug(self, drug_id: str) -> Drug:
        if drug_id not in self.drug_index:
            raise KeyError(f"unknown drug id {drug_id!r}")
        return self.drug_index[drug_id]

    def interaction(self, a: str, b: str) -> Interaction | None:
        """The record for the pair, in either order; None when the pair is not in the KB."""
        return self.pair_index.get(frozenset((a, b)))

    def drugs_in_class(self, cls: str) -> list[Drug]:
        """Drugs whose class or one of whose groups is `cls`."""
        return [d for d in self.drugs if d.drug_class == cls or cls in d.groups]

    def members(self, name: str) -> list[Drug]:
        """Drugs named by a drug id, class or group (as used in allergy records)."""
        return [self.drug_index[name]] if name in self.drug_index else self.drugs_in_class(name)


class KBError(UserError, ValueError):
    """A KB file that cannot be read or does not match the schema; the message names the file and field path."""


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available (the KB is a few hundred kB)
FILES = {"drugs.yaml": "drugs", "interactions.yaml": "interactions", "allergy.yaml": "allergy"}


def load_kb(path: Path | None = None) -> KnowledgeBase:
    """Load and validate the KB from a directory holding the three YAML files (None: the bundled copy)."""
    root = importlib.resources.files("rxalign") / "resources" / "kb" if path is None else Path(path)
    parts = {key: _read(root, name, key) for name, key in FILES.items()}
    return KnowledgeBase(**parts)


def _read(root, name: str, key: str):
    file = root / name
    try:
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError:
        raise KBError(f"{name}: file not found in {root}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise KBError(f"{name}: {where}invalid YAML: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(data, dict) or set(data) != {key}:
        raise KBError(f"{name}: expected a mapping with the single top-level key '{key}'")
    try:
        return TypeAdapter(KnowledgeBase.model_fields[key].annotation).validate_python(data[key])
    except ValidationError as e:
        err, more = e.errors()[0], e.error_count() - 1
        suffix = f" (and {more} more error{'s' * (more > 1)})" if more else ""
        raise KBError(f"{name}: {_path((key, *err['loc']))}: {err['msg']}{suffix}") from None


def _path(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _sources(obj, path: str):
    """(path, source) for every `source` field under a model, recursively."""
    if isinstance(obj, BaseModel):
        for name, info in type(obj).model_fields.items():
            value, sub = getattr(obj, name), f"{path}.{info.alias or name}"
            if name == "source":
                yield sub, value
            else:
                yield from _sources(value, sub)
    elif isinstance(obj, tuple):
        for i, value in enumerate(obj):
            yield from _sources(value, f"{path}[{i}]")


def _band_problem(band: RenalBand) -> str | None:
    p = band.percent_of_dose
    if band.action == "full":
        return None if p == 100 else f"action 'full' needs percent_of_dose 100, got {p}"
    if band.action == "reduce":
        return (
            None
            if p is not None and 0 < p < 100
            else f"action 'reduce' needs 0 < percent_of_dose < 100, got {p}"
        )
    return None if p is None else f"action '{band.action}' needs percent_of_dose null, got {p}"


# ---- structured fields against their own text ------------------------------------------------------------
# A structured field that says one thing while the sentence beside it says another is how audits find errors
# (a null risk_multiplier under "2-3x the risk", a "full" band whose note says "contraindicated"). These checks read
# the KB's own wording conservatively: they flag only clear statements, and the KB is written so they can.

_NUM = r"(\d+(?:\.\d+)?)"
_FOLD = re.compile(
    rf"{_NUM}(?:\s*(?:[-–]|to)\s*{_NUM})?\s*(?:×|x\b|-fold\b|\s*fold\b)(?!\s*(?:the\s+)?(?:ULN|upper limit))",
    re.I,
)
_FOLD_WORDS = {"two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "ten": 10.0}
_FOLD_WORD = re.compile(r"\b(two|three|four|five|ten)[- ]?fold\b", re.I)
_PCT_OF_DOSE = re.compile(
    rf"{_NUM}(?:\s*[-–]\s*{_NUM})?\s*% of the (?:usual |recommended |normal )?(?:total )?(?:daily )?dose",
    re.I,
)
_PCT_REDUCE = re.compile(
    rf"reduc\w* (?:the )?(?:total )?(?:daily )?(?:dose )?by {_NUM}(?:\s*[-–]\s*{_NUM})?\s*%", re.I
)
_ALARM = re.compile(r"\b(?:contraindicated|avoid|not recommended|do not use)\b", re.I)
# A clause scoped to another formulation, indication or condition ("IV: avoid...", "contraindicated in anuria").
_SCOPED = re.compile(
    r"\b(?:if|unless|when|except|analgesic|anuria|IV|intravenous|extended-release|P-gp|rheumatoid|psoriasis|"
    r"VTE)\b",
    re.I,
)
_CLAUSE = re.compile(r"(?<!e\.g)(?<!i\.e)(?<!\bvs)\. |; ")
_CLASS_WORDS = [  # most specific first; each names the Child-Pugh classes it covers
    (r"child[- ]pugh (?:class )?a(?: and| or|,| to|/|–|-) ?b\b|mild(?: to |-|–| or | and )moderate", "AB"),
    (
        r"child[- ]pugh (?:class )?b(?: and| or|,| to|/|–|-) ?c\b|moderate(?: to |-|–| or | and )severe|child[- ]pugh 7[-–]15",
        "BC",
    ),
    (r"child[- ]pugh (?:class )?a\b|\bmild\b|(?<!de)compensated", "A"),
    (r"child[- ]pugh (?:class )?b\b|\bmoderate\b", "B"),
    (r"child[- ]pugh (?:class )?c\b|child[- ]pugh ≥ ?10|\bsevere\b|decompensated", "C"),
]
_HEPATIC_SAYS = [  # (what a clause says, the actions that agree with it), strictest first
    (re.compile(r"(?<!not )\bcontraindicated\b", re.I), {"contraindicated"}),
    (re.compile(r"\b(?:not recommended|avoid|do not use)\b", re.I), {"avoid", "contraindicated"}),
    (
        re.compile(r"\bno (?:dose |dosage )?(?:adjustment|reduction|change)\b|\bnot required\b", re.I),
        {"none", "caution"},
    ),
    (
        re.compile(r"\breduc\w*|\bhalve\b|\bone-(?:half|third|quarter)\b|\blower (?:starting )?dose", re.I),
        {"reduce", "caution"},
    ),
    (re.compile(r"\bcaution\b", re.I), {"caution", "reduce"}),
]
_PGX_AVOID = re.compile(
    r"\b(?:avoid|do not (?:use|start|prescribe)|contraindicated|(?:choose|prescribe|use) an alternative)\b",
    re.I,
)
_PGX_USE = re.compile(r"\bno (?:dose |dosage |label-specified |specific )?adjustment\b", re.I)


def _numbers(pattern: re.Pattern, text: str) -> list[tuple[float, float]]:
    return [(float(m.group(1)), float(m.group(2) or m.group(1))) for m in pattern.finditer(text)]


def stated_multipliers(text: str) -> list[tuple[float, float]]:
    """Fold changes a text states ("2×", "2–3x", "3-fold", "twofold") as (low, high) ranges."""
    found = _numbers(_FOLD, text)
    return found + [(v, v) for w in _FOLD_WORD.findall(text) for v in [_FOLD_WORDS[w.lower()]]]


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c.strip()]


def _renal_text_problems(band: RenalBand) -> list[str]:
    problems = []
    p = band.percent_of_dose
    if band.action == "reduce" and p is not None:
        stated = _numbers(_PCT_OF_DOSE, band.note) + [
            (100 - hi, 100 - lo) for lo, hi in _numbers(_PCT_REDUCE, band.note)
        ]
        if stated and not any(lo - 1 <= p <= hi + 1 for lo, hi in stated):
            shown = ", ".join(f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}" for lo, hi in stated)
            problems.append(f"percent_of_dose {p} but the note states {shown}% of the dose")
    if band.action == "full":
        for clause in _clauses(band.note):
            if (m := _ALARM.search(clause)) and not _SCOPED.search(clause):
                problems.append(f"action 'full' but the note says {m.group(0)!r}: {clause.strip()!r}")
    return problems


def hepatic_statements(note: str) -> list[tuple[str, str, set[str]]]:
    """(class, clause, agreeing actions) for each note clause that names a Child-Pugh class and says what to do."""
    out = []
    for clause in _clauses(note):
        says = next((ok for pattern, ok in _HEPATIC_SAYS if pattern.search(clause)), None)
        if says is None or _SCOPED.search(clause):  # "Extended-release forms: not recommended in severe..."
            continue
        low = clause.lower()
        classes = ""
        for pattern, cls in _CLASS_WORDS:
            if re.search(pattern, low):
                classes = cls
                break
        out += [(c, clause.strip(), says) for c in classes]
    return out


def _pgx_problem(note: PgxNote) -> str | None:
    r = note.recommendation
    if note.stance == "use" and (m := _PGX_AVOID.search(r)):
        return f"stance 'use' but the recommendation says {m.group(0)!r}"
    if note.stance == "avoid" and not _PGX_AVOID.search(r):
        return "stance 'avoid' but the recommendation names no avoidance or alternative"
    if note.stance != "use" and _PGX_USE.search(r) and not _PGX_AVOID.search(r):
        return f"stance {note.stance!r} but the recommendation says {_PGX_USE.search(r).group(0)!r}"
    return None


def check_consistency(kb: KnowledgeBase) -> list[str]:
    """Problems the schema cannot see: duplicates, dangling ids, self-pairs, inconsistent numbers, structured fields
    that contradict their own text, missing alternatives for clinically relevant pairs, and missing or
    licence-restricted sources."""
    problems: list[str] = []
    ids = [d.id for d in kb.drugs]
    known = set(ids)
    names = known | {d.drug_class for d in kb.drugs} | {g for d in kb.drugs for g in d.groups}
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    problems += [f"drugs.yaml: drug id {i!r} is defined more than once" for i in dupes]

    for n, d in enumerate(kb.drugs):
        where = f"drugs.yaml: drugs[{n}] ({d.id})"
        for band, b in d.renal.bands.items():
            if msg := _band_problem(b):
                problems.append(f"{where}.renal.bands.{band}: {msg}")
            problems += [f"{where}.renal.bands.{band}: {msg}" for msg in _renal_text_problems(b)]
        actions = dict(d.hepatic.child_pugh.items())
        for cls, clause, agreeing in hepatic_statements(d.hepatic.note):
            if actions[cls] not in agreeing:
                problems.append(
                    f"{where}.hepatic.child_pugh.{cls}: action {actions[cls]!r} but the note says {clause!r}"
                )
        for k, note in enumerate(d.pgx):
            if msg := _pgx_problem(note):
                problems.append(f"{where}.pgx[{k}] ({note.gene} {note.phenotype}): {msg}")
        if (p := d.pediatric) is not None:
            if (lo := p.mg_per_kg_low) > (hi := p.mg_per_kg_high):
                problems.append(f"{where}.pediatric: mg_per_kg_low {lo} > mg_per_kg_high {hi}")
            if p.per == "dose" and p.divided_doses is not None:
                problems.append(f"{where}.pediatric: divided_doses only applies when per is 'day'")

    seen: dict[frozenset[str], int] = {}
    for n, ix in enumerate(kb.interactions):
        a, b = ix.drugs
        where = f"interactions.yaml: interactions[{n}] ({a} + {b})"
        if a == b:
            problems.append(f"{where}: a drug cannot interact with itself")
        problems += [
            f"{where}: unknown drug id {i!r}" for i in (*ix.drugs, *ix.alternative_ids) if i not in known
        ]
        problems += [
            f"{where}: alternative {i!r} is one of the pair" for i in ix.alternative_ids if i in ix.drugs
        ]
        if ix.severity not in ("none", "minor") and not (ix.alternative or "").strip():
            problems.append(f"{where}: severity {ix.severity!r} needs an alternative")
        stated = stated_multipliers(f"{ix.mechanism} {ix.risk}")
        if stated and ix.risk_multiplier is None:
            problems.append(f"{where}: the text states a {stated[0][0]:g}x risk but risk_multiplier is null")
        elif stated and not min(lo for lo, _ in stated) <= ix.risk_multiplier <= max(hi for _, hi in stated):
            problems.append(
                f"{where}: risk_multiplier {ix.risk_multiplier:g} is outside the fold changes the text states"
            )
        key = frozenset(ix.drugs)
        if key in seen:
            msg, first = (
                f"{where}: pair already listed at interactions[{seen[key]}]",
                kb.interactions[seen[key]],
            )
            if first.severity != ix.severity:
                msg += f" with a different severity ({first.severity} vs {ix.severity})"
            problems.append(msg)
        else:
            seen[key] = n

    seen_allergy: dict[tuple[str, str, str], int] = {}
    for n, r in enumerate(kb.allergy):
        where = f"allergy.yaml: allergy[{n}] ({r.allergy} -> {r.drug_or_class})"
        problems += [
            f"{where}: unknown drug id, class or group {v!r}"
            for v in (r.allergy, r.drug_or_class)
            if v not in names
        ]
        lo, hi = r.cross_reactivity_percent_low, r.cross_reactivity_percent_high
        if lo is not None and hi is not None and lo > hi:
            problems.append(f"{where}: cross_reactivity_percent_low {lo} > high {hi}")
        key = (r.allergy, r.drug_or_class, r.mechanism_type)
        if key in seen_allergy:
            problems.append(f"{where}: record already listed at allergy[{seen_allergy[key]}]")
        else:
            seen_allergy[key] = n

    for file, key in FILES.items():
        for path, source in _sources(getattr(kb, key), f"{file}: {key}"):
            if not source.strip():
                problems.append(f"{path}: missing source")
            elif banned := BANNED_SOURCES.search(source):
                problems.append(f"{path}: source cites licence-restricted {banned.group(0)}")
    return problems
