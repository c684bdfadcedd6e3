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
    assert met.renal.basis == "egfr"
    assert bands["lt15"].action == bands["15_29"].action == "contraindicated"
    assert bands["lt15"].percent_of_dose is None and bands["15_29"].percent_of_dose is None
    # the label's cut-off at eGFR 45: no change at 45-59; do not initiate at 30-44 (benefit-risk if continuing)
    assert bands["45_59"].action == "full" and "assess the benefit" in bands["45_59"].note
    assert bands["30_44"].action == "avoid" and "initiat" in bands["30_44"].note
    assert "benefit–risk" in bands["30_44"].note
    cp = met.hepatic.child_pugh
    assert (
        cp.A not in ("avoid", "contraindicated") and cp.B == cp.C == "avoid"
    )  # compensated cirrhosis is not a CI
    assert "lactic acidosis" in met.hepatic.note
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
            lambda d: d["drugs.yaml"]["drugs"][0]["renal"]["bands"].pop("45_59"),
            "drugs[0].renal.bands.45_59",
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


# ---------------------------------------------------------------- the audit's fixes


def test_renal_bands_split_at_45_in_order_with_optional_dialysis():
    for d in KB.drugs:
        keys = [k for k, _ in d.renal.bands.items()]
        assert keys[:5] == ["gt60", "45_59", "30_44", "15_29", "lt15"], d.id
        assert keys[5:] in ([], ["dialysis"]), d.id
        assert d.renal.basis in ("egfr", "crcl")
    with_dialysis = {d.id for d in KB.drugs if d.renal.bands.dialysis is not None}
    assert {"sitagliptin", "empagliflozin", "gabapentin", "apixaban"} <= with_dialysis
    assert len(with_dialysis) < len(KB.drugs) / 2  # only where a label says something for dialysis


def test_sitagliptin_bands_follow_the_label():
    bands = dict(KB.drug("sitagliptin").renal.bands.items())
    got = {k: (b.action, b.percent_of_dose) for k, b in bands.items()}
    assert got == {
        "gt60": ("full", 100),  # 100 mg
        "45_59": ("full", 100),  # 100 mg at eGFR >= 45
        "30_44": ("reduce", 50),  # 50 mg at eGFR 30 to <45
        "15_29": ("reduce", 25),  # 25 mg below 30
        "lt15": ("reduce", 25),
        "dialysis": ("reduce", 25),
    }
    assert KB.drug("sitagliptin").renal.basis == "egfr"


def test_creatinine_clearance_labels_say_so():
    for drug_id in (
        "apixaban",
        "rivaroxaban",
        "dabigatran",
        "edoxaban",
        "gabapentin",
        "levofloxacin",
        "cefepime",
    ):
        assert KB.drug(drug_id).renal.basis == "crcl", drug_id
    assert KB.drug("empagliflozin").renal.basis == "egfr"
    assert KB.drug("empagliflozin").renal.bands.dialysis.action == "contraindicated"


def test_tacrolimus_kidney_transplant_start_is_0_1_mg_per_kg_per_day():
    dose = KB.drug("tacrolimus").dose
    assert "0.1 mg/kg/day" in dose.text and "mycophenolate" in dose.text
    assert not re.search(r"mycophenolate[^.;]*0\.2 mg/kg/day", dose.text)
    assert (dose.amount, dose.unit, dose.frequency) == (0.05, "mg/kg", "every_12_hours")  # 0.1 mg/kg/day


def test_hepatic_actions_by_child_pugh_class():
    for statin in ("atorvastatin", "simvastatin", "rosuvastatin", "pravastatin"):
        cp = KB.drug(statin).hepatic.child_pugh
        assert cp.A not in ("avoid", "contraindicated"), statin  # compensated cirrhosis: not contraindicated
        assert cp.C == "contraindicated" and "decompensated" in KB.drug(statin).hepatic.note
    cel = KB.drug("celecoxib").hepatic.child_pugh
    assert (cel.A, cel.B, cel.C) == ("none", "reduce", "avoid")
    severity = {"none": 0, "caution": 1, "reduce": 2, "avoid": 3, "contraindicated": 4}
    for d in KB.drugs:  # impairment never makes a drug safer
        cp = d.hepatic.child_pugh
        assert severity[cp.A] <= severity[cp.B] <= severity[cp.C] or {cp.A, cp.B, cp.C} <= {
            "caution",
            "reduce",
        }, d.id


def test_pgx_stance_is_explicit():
    def stance(drug_id, gene, phenotype):
        return next(n.stance for n in KB.drug(drug_id).pgx if (n.gene, n.phenotype) == (gene, phenotype))

    assert stance("voriconazole", "CYP2C19", "poor_metabolizer") == "avoid"  # CPIC: choose an alternative
    assert stance("simvastatin", "SLCO1B1", "poor_function") == "avoid"  # CPIC 2022: an alternative statin
    assert stance("rosuvastatin", "SLCO1B1", "poor_function") == "adjust"  # CPIC 2022: <= 20 mg
    assert stance("codeine", "CYP2D6", "ultrarapid_metabolizer") == "avoid"
    assert stance("pantoprazole", "CYP2C19", "poor_metabolizer") == "use"
    assert {n.stance for d in KB.drugs for n in d.pgx} == {"avoid", "adjust", "use"}


def test_interaction_fixes():
    ml = KB.interaction("lisinopril", "metformin")
    assert ml.severity == "minor" and "hypoglycaemia" in ml.risk.lower()
    assert "no interaction listed" not in ml.source
    pb = KB.interaction("phenelzine", "bupropion")
    assert pb.severity == "contraindicated" and "norepinephrine-dopamine reuptake" in pb.mechanism
    assert "serotonin" not in pb.mechanism.lower()


def test_cyclosporine_renal_bands_say_which_indication():
    cy = KB.drug("cyclosporine").renal
    assert "psoriasis" in cy.note and "transplant" in cy.note.lower()
    assert cy.bands.b30_44.action == "contraindicated" and "Transplantation" in cy.bands.b30_44.note


def test_severe_cutaneous_reaction_to_penicillin_avoids_all_beta_lactams():
    import random

    from rxalign.data.qa import REACTIONS, build_items

    rec = next(r for r in KB.allergy if (r.allergy, r.mechanism_type) == ("penicillin", "scar"))
    assert rec.drug_or_class == "antibiotic_beta_lactam" and rec.recommendation == "avoid"
    items = build_items(KB, random.Random(0))
    assert len({i.id for i in items}) == len(items)
    scar = [
        i
        for i in items
        if i.task == "allergy" and i.truth["allergy"] == "penicillin" and i.id.count(":scar:")
    ]
    groups = {KB.drug(i.truth["drug"]).groups[0] for i in scar}
    assert len(scar) == 3 and groups == {"penicillin", "cephalosporin", "carbapenem"}  # across the class
    assert all(i.truth["recommendation"] == "avoid" and i.truth["mechanism_type"] == "scar" for i in scar)
    assert any("Stevens-Johnson" in r for r in REACTIONS["scar"])
    assert all("mild" in r for r in REACTIONS["non_ige"])  # a non-IgE question is about a non-severe reaction


def test_label_revision_is_optional_and_validated(tmp_path):
    # read from dated DailyMed pages (see the drugs.yaml header); where none was found, the field stays empty
    revised = [d for d in KB.drugs if d.label_revision is not None]
    assert len(revised) >= 100
    assert all(re.search(r"https?://\S+ \((?:Updated|Revised)", d.label_revision.checked_in) for d in revised)

    def edit(d):
        d["drugs.yaml"]["drugs"][0]["label_revision"] = {"date": "May 2023", "checked_in": "x"}

    with pytest.raises(ValueError, match=r"drugs\[0\]\.label_revision\.date"):
        load_kb(write_copy(tmp_path, edit))


def _drug(data, drug_id):
    return next(x for x in data["drugs.yaml"]["drugs"] if x["id"] == drug_id)


def _pair(data, a, b):
    return next(x for x in data["interactions.yaml"]["interactions"] if set(x["drugs"]) == {a, b})


CONTRADICTIONS = {
    "multiplier in the text, null field": (
        lambda d: _pair(d, "warfarin", "ibuprofen").update(risk_multiplier=None),
        "states a 2x risk but risk_multiplier is null",
    ),
    "multiplier outside the stated range": (
        lambda d: _pair(d, "warfarin", "ibuprofen").update(risk_multiplier=5.0),
        "risk_multiplier 5 is outside",
    ),
    "a 3-fold in the text": (
        lambda d: _pair(d, "metformin", "lisinopril").update(risk="Glucose lowering about 3-fold."),
        "states a 3x risk",
    ),
    "renal note percent differs": (
        lambda d: _drug(d, "fluconazole")["renal"]["bands"]["30_44"].update(percent_of_dose=75),
        "30_44: percent_of_dose 75 but the note states 50%",
    ),
    "reduce-by percent differs": (
        lambda d: _drug(d, "venlafaxine")["renal"]["bands"]["gt60"].update(percent_of_dose=90),
        "gt60: percent_of_dose 90 but the note states 50-75%",
    ),
    "contraindicated note under full": (
        lambda d: _drug(d, "warfarin")["renal"]["bands"]["lt15"].update(
            note="Contraindicated in kidney failure."
        ),
        "lt15: action 'full' but the note says 'Contraindicated'",
    ),
    "hepatic class note against action": (
        lambda d: _drug(d, "celecoxib")["hepatic"]["child_pugh"].update(C="none"),
        "hepatic.child_pugh.C: action 'none' but the note says",
    ),
    "hepatic no-adjustment note against avoid": (
        lambda d: _drug(d, "apixaban")["hepatic"]["child_pugh"].update(A="avoid"),
        "hepatic.child_pugh.A: action 'avoid'",
    ),
    "pgx stance use with an alternative advised": (
        lambda d: _drug(d, "voriconazole")["pgx"][0].update(stance="use"),
        "stance 'use' but the recommendation says 'choose an alternative'",
    ),
    "pgx stance avoid without avoidance": (
        lambda d: _drug(d, "warfarin")["pgx"][0].update(stance="avoid"),
        "stance 'avoid' but the recommendation names no avoidance",
    ),
}


@pytest.mark.parametrize("case", list(CONTRADICTIONS))
def test_structured_field_against_its_own_text_is_reported(tmp_path, case):
    edit, expected = CONTRADICTIONS[case]
    problems = check_consistency(load_kb(write_copy(tmp_path, edit)))
    assert any(expected in p for p in problems), problems
