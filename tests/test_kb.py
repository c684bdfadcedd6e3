"""Tests for the hand-written pharmaceutical knowledge base (schema, content, consistency checks, loader errors)."""

import copy
import importlib.resources
import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from rxalign.data.kb import FILES, KnowledgeBase, check_consistency, load_kb

BANNED = re.compile(r"\b(drugbank|ddinter|sider)\b", re.I)
KB = load_kb()


LOADER, DUMPER = getattr(yaml, "CSafeLoader", yaml.SafeLoader), getattr(yaml, "CSafeDumper", yaml.SafeDumper)
ROOT = importlib.resources.files("rxalign") / "resources" / "kb"
RAW = {name: yaml.load((ROOT / name).read_text(encoding="utf-8"), Loader=LOADER) for name in FILES}


def bundled() -> dict[str, dict]:
    return copy.deepcopy(RAW)


def write_copy(tmp_path, edit):
    """Write the bundled KB to tmp_path after `edit(data)` mutates the parsed YAML of all three files."""
    data = bundled()
    edit(data)
    for name, content in data.items():
        (tmp_path / name).write_text(
            yaml.dump(content, Dumper=DUMPER, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return tmp_path


def sources(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from ([v] if k == "source" else sources(v))
    elif isinstance(obj, list):
        for v in obj:
            yield from sources(v)


# ---------------------------------------------------------------- the bundled KB


def test_counts():
    severities = [i.severity for i in KB.interactions]
    assert len(KB.drugs) >= 80
    assert len({d.drug_class for d in KB.drugs}) >= 10
    assert len(KB.interactions) >= 150
    assert sum(s in ("none", "minor") for s in severities) >= 25
    assert set(severities) == {"contraindicated", "major", "moderate", "minor", "none"}
    assert severities.count("major") < len(severities) / 2  # a realistic mix, not all major
    assert len(KB.allergy) >= 10


def test_required_classes_present():
    classes = {d.drug_class for d in KB.drugs}
    required = """anticoagulant antiplatelet nsaid antidiabetic statin antihypertensive antibiotic_beta_lactam
        antibiotic_other opioid antidepressant antipsychotic antiepileptic antifungal immunosuppressant""".split()
    for cls in required:
        assert cls in classes, cls
    assert len(KB.drugs_in_class("penicillin")) >= 3
    gens = {g for d in KB.drugs_in_class("cephalosporin") for g in d.groups if g.endswith("_gen")}
    assert len(gens) >= 3  # several cephalosporin generations


def test_bundled_kb_is_consistent():
    assert check_consistency(KB) == []


def test_every_fact_has_a_public_source():
    for name, data in bundled().items():
        found = list(sources(data))
        assert found, name
        for s in found:
            assert isinstance(s, str) and s.strip(), name
            assert not BANNED.search(s), s
    per_drug = {"mechanism", "dose", "renal", "hepatic", "pregnancy"}
    for d in bundled()["drugs.yaml"]["drugs"]:
        assert all(d[k]["source"].strip() for k in per_drug), d["id"]
        assert all(c["source"].strip() for c in d["contraindications"]), d["id"]


def test_lookups():
    assert KB.drug("warfarin").name == "Warfarin"
    with pytest.raises(KeyError):
        KB.drug("unobtainium")
    assert KB.interaction("warfarin", "ibuprofen") is KB.interaction("ibuprofen", "warfarin")
    assert KB.interaction("warfarin", "unobtainium") is None
    assert {"ibuprofen", "naproxen"} <= {d.id for d in KB.drugs_in_class("nsaid")}
    assert [d.id for d in KB.members("cephalexin")] == ["cephalexin"]


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(KB.interactions))
def test_interaction_lookup_is_order_insensitive(ix):
    a, b = ix.drugs
    assert KB.interaction(a, b) == KB.interaction(b, a) == ix


# ---------------------------------------------------------------- the five seed cases


def test_seed1_renal_bands_graded():
    graded = [
        d.id for d in KB.drugs if len({(b.action, b.percent_of_dose) for _, b in d.renal.bands.items()}) >= 3
    ]
    assert len(graded) >= 5
    for drug_id in ["gabapentin", "enoxaparin", "dabigatran", "levetiracetam"]:
        bands = dict(KB.drug(drug_id).renal.bands.items())
        assert bands["gt60"].action == "full" and bands["gt60"].percent_of_dose == 100
        assert bands["lt15"].action != "full", drug_id
    pct = [b.percent_of_dose for _, b in KB.drug("gabapentin").renal.bands.items()]
    assert pct == sorted(pct, reverse=True) and pct[-1] < pct[0]


@pytest.mark.parametrize("nsaid", ["ibuprofen", "naproxen", "diclofenac"])
def test_seed2_warfarin_nsaid(nsaid):
    ix = KB.interaction(nsaid, "warfarin")
    assert ix.severity == "major"
    assert "bleeding" in ix.risk.lower()
    assert "acetaminophen" in ix.alternative_ids and "acetaminophen" in ix.alternative.lower()


def test_seed3_metformin_renal_and_hepatic():
    met = KB.drug("metformin")
    bands = dict(met.renal.bands.items())
    assert bands["lt15"].action == bands["15_29"].action == "contraindicated"
    assert bands["lt15"].percent_of_dose is None and bands["15_29"].percent_of_dose is None
    assert bands["30_59"].action != "full" and "initiate" in bands["30_59"].note
    assert met.hepatic.action in ("avoid", "contraindicated") and "lactic acidosis" in met.hepatic.note
    assert "section 4" in met.renal.source and "5.1" in met.hepatic.source
    assert any("eGFR" in c.condition for c in met.contraindications)


def test_seed4_penicillin_cephalosporin_allergy():
    rec = {(r.drug_or_class, r.mechanism_type): r for r in KB.allergy if r.allergy == "penicillin"}
    ige, non_ige = rec["cephalosporin", "ige"], rec["cephalosporin", "non_ige"]
    assert ige.recommendation == "avoid" and "graded challenge" in ige.note
    assert non_ige.recommendation == "acceptable" and non_ige.cross_reactivity_percent_high <= 2
    assert rec["cephalexin", "ige"].cross_reactivity_percent_high > non_ige.cross_reactivity_percent_high
    assert rec["cefazolin", "ige"].recommendation == "use_with_caution"
    assert {d.id for d in KB.members("cephalosporin")} >= {"cephalexin", "cefazolin", "ceftriaxone"}


@pytest.mark.parametrize("drug_id", ["codeine", "tramadol"])
def test_seed5_cyp2d6_opioids(drug_id):
    notes = {p.phenotype: p for p in KB.drug(drug_id).pgx if p.gene == "CYP2D6"}
    assert {"poor_metabolizer", "ultrarapid_metabolizer"} <= set(notes)
    assert "FDA" in notes["ultrarapid_metabolizer"].source
    assert any("12 years" in c.condition for c in KB.drug(drug_id).contraindications)


def test_seed5_codeine_poor_metabolizer_note():
    pm = next(p for p in KB.drug("codeine").pgx if p.gene == "CYP2D6" and p.phenotype == "poor_metabolizer")
    assert "morphine" in pm.effect and "analgesia" in pm.effect
    assert "morphine" in pm.recommendation
    um = next(p for p in KB.drug("codeine").pgx if p.phenotype == "ultrarapid_metabolizer")
    assert "boxed warning" in um.effect.lower()


# ---------------------------------------------------------------- planted defects


def first_pair(data):
    return data["interactions.yaml"]["interactions"][0]


PLANTED = {
    "duplicate pair, other order and severity": (
        lambda d: d["interactions.yaml"]["interactions"].append(
            {**copy.deepcopy(first_pair(d)), "drugs": first_pair(d)["drugs"][::-1], "severity": "minor"}
        ),
        "different severity",
    ),
    "duplicate pair, same severity": (
        lambda d: d["interactions.yaml"]["interactions"].append(copy.deepcopy(first_pair(d))),
        "already listed",
    ),
    "unknown drug id": (
        lambda d: first_pair(d).update(drugs=["warfarin", "unobtainium"]),
        "unknown drug id 'unobtainium'",
    ),
    "unknown alternative id": (
        lambda d: first_pair(d).update(alternative_ids=["unobtainium"]),
        "unknown drug id 'unobtainium'",
    ),
    "unknown allergy target": (
        lambda d: d["allergy.yaml"]["allergy"][0].update(drug_or_class="unobtainium"),
        "unobtainium",
    ),
    "major pair without alternative": (
        lambda d: next(x for x in d["interactions.yaml"]["interactions"] if x["severity"] == "major").update(
            alternative=None
        ),
        "needs an alternative",
    ),
    "self interaction": (lambda d: first_pair(d).update(drugs=["warfarin", "warfarin"]), "itself"),
    "full band with 50%": (
        lambda d: d["drugs.yaml"]["drugs"][0]["renal"]["bands"]["gt60"].update(percent_of_dose=50),
        "gt60: action 'full' needs percent_of_dose 100",
    ),
    "reduce band with 100%": (
        lambda d: d["drugs.yaml"]["drugs"][0]["renal"]["bands"]["lt15"].update(action="reduce"),
        "lt15: action 'reduce'",
    ),
    "avoid band with a percent": (
        lambda d: d["drugs.yaml"]["drugs"][0]["renal"]["bands"]["lt15"].update(action="avoid"),
        "needs percent_of_dose null",
    ),
    "pediatric low > high": (
        lambda d: next(x for x in d["drugs.yaml"]["drugs"] if x["pediatric"])["pediatric"].update(
            mg_per_kg_low=99, mg_per_kg_high=1
        ),
        "mg_per_kg_low 99",
    ),
    "empty source": (
        lambda d: d["drugs.yaml"]["drugs"][1]["hepatic"].update(source=" "),
        "hepatic.source: missing source",
    ),
    "banned source": (lambda d: first_pair(d).update(source="DrugBank DB00682"), "licence-restricted"),
    "duplicate drug id": (
        lambda d: d["drugs.yaml"]["drugs"].append(copy.deepcopy(d["drugs.yaml"]["drugs"][0])),
        "more than once",
    ),
}


@pytest.mark.parametrize("case", list(PLANTED))
def test_planted_defect_is_reported(tmp_path, case):
    edit, expected = PLANTED[case]
    problems = check_consistency(load_kb(write_copy(tmp_path, edit)))
    assert any(expected in p for p in problems), problems


def test_all_planted_defects_at_once(tmp_path):
    def edit(d):
        PLANTED["duplicate pair, other order and severity"][0](d)
        d["interactions.yaml"]["interactions"][1]["drugs"][1] = "unobtainium"
        PLANTED["full band with 50%"][0](d)

    problems = check_consistency(load_kb(write_copy(tmp_path, edit)))
    assert len(problems) == 3, problems


@pytest.mark.parametrize(
    "file, edit, path",
    [
        (
            "drugs.yaml",
            lambda d: d["drugs.yaml"]["drugs"][12]["renal"]["bands"]["lt15"].update(action="halve"),
            "drugs[12].renal.bands.lt15.action",
        ),
        ("drugs.yaml", lambda d: d["drugs.yaml"]["drugs"][3].update(colour="red"), "drugs[3].colour"),
        (
            "drugs.yaml",
            lambda d: d["drugs.yaml"]["drugs"][5]["dose"].update(amount="a lot"),
            "drugs[5].dose.amount",
        ),
        (
            "drugs.yaml",
            lambda d: d["drugs.yaml"]["drugs"][0]["renal"]["bands"].pop("30_59"),
            "drugs[0].renal.bands.30_59",
        ),
        (
            "interactions.yaml",
            lambda d: first_pair(d).update(severity="catastrophic"),
            "interactions[0].severity",
        ),
        (
            "interactions.yaml",
            lambda d: first_pair(d).update(risk_multiplier="double"),
            "interactions[0].risk_multiplier",
        ),
        (
            "allergy.yaml",
            lambda d: d["allergy.yaml"]["allergy"][2].update(mechanism_type="ige_mediated"),
            "allergy[2].mechanism_type",
        ),
    ],
)
def test_schema_error_names_file_and_field(tmp_path, file, edit, path):
    with pytest.raises(ValueError) as err:
        load_kb(write_copy(tmp_path, edit))
    msg = str(err.value)
    assert msg.startswith(f"{file}: {path}: ") and "\n" not in msg, msg


def test_unreadable_yaml_is_a_value_error(tmp_path):
    write_copy(tmp_path, lambda d: None)
    (tmp_path / "allergy.yaml").write_text("allergy: [\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^allergy\.yaml: .*invalid YAML"):
        load_kb(tmp_path)


def test_models_are_frozen():
    with pytest.raises(ValidationError):
        KB.drug("warfarin").name = "x"
    assert isinstance(load_kb(), KnowledgeBase)
