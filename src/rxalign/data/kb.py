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
HepaticAction = Literal["none", "caution", "reduce", "avoid", "contraindicated"]
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


class RenalBands(Model):  # eGFR (or CrCl) bands in mL/min
    gt60: RenalBand
    b30_59: RenalBand = Field(alias="30_59")
    b15_29: RenalBand = Field(alias="15_29")
    lt15: RenalBand

    def items(self) -> list[tuple[str, RenalBand]]:
        return [("gt60", self.gt60), ("30_59", self.b30_59), ("15_29", self.b15_29), ("lt15", self.lt15)]


class Renal(Model):
    bands: RenalBands
    source: str


class Hepatic(Model):
    action: HepaticAction
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
    source: str


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
    mechanism_type: Literal["ige", "non_ige"]
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


def check_consistency(kb: KnowledgeBase) -> list[str]:
    """Problems the schema cannot see: duplicates, dangling ids, self-pairs, inconsistent numbers, missing
    alternatives for clinically relevant pairs, and missing or licence-restricted sources."""
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
