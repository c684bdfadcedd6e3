"""The seeded generators: determinism, held-out entities and phrasings, leakage, annotator agreement."""

import hashlib
import json
import random

import pytest

from rxalign.data.formats import load_records
from rxalign.data.generate import GenerateConfig, check_leakage, corpus_documents, generate, normalise
from rxalign.data.kb import load_kb
from rxalign.data.qa import CONFUSED, TEMPLATES, TIERS, answer, build_items, confusion, utility


@pytest.fixture(scope="module")
def kb():
    return load_kb()


@pytest.fixture(scope="module")
def generated(tmp_path_factory, kb):
    out = tmp_path_factory.mktemp("gen")
    return out, generate(out, GenerateConfig(), kb)


def rows(out, name):
    return [json.loads(line) for line in (out / name).read_text().splitlines()]


def digest(out):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*.jsonl"))}


def test_same_seed_same_files_other_seed_differs(generated, tmp_path, kb):
    out, _ = generated
    generate(tmp_path / "again", GenerateConfig(), kb)
    assert digest(tmp_path / "again") == digest(out)
    generate(tmp_path / "other", GenerateConfig(seed=1), kb)
    assert digest(tmp_path / "other") != digest(out)


def test_every_file_loads_with_the_strict_loaders(generated):
    out, manifest = generated
    for name, count in manifest["counts"].items():
        assert len(load_records(out / name)) == count > 0, name


def test_heldout_drugs_never_reach_behaviour_data(generated):
    out, manifest = generated
    heldout = set(manifest["heldout_drugs"])
    assert len(heldout) >= 15
    for name in ("sft/train.jsonl", "sft/val.jsonl", "preference/train.jsonl", "preference/val.jsonl"):
        for r in rows(out, name):
            assert not heldout & set(r["id"].replace("+", ":").split(":")), (name, r["id"])
    for r in rows(out, "ppo/prompts.jsonl"):
        assert not heldout & _truth_drugs(r["truth"])
    for r in rows(out, "eval/qa.jsonl"):  # every evaluation question is about a held-out drug
        assert heldout & _truth_drugs(r["truth"]), r["id"]
    corpus = "\n".join(r["text"] for r in rows(out, "corpus.jsonl")).lower()
    kb = load_kb()
    for drug_id in heldout:  # ...which the model can still know from pretraining
        assert kb.drug(drug_id).name.lower() in corpus


def _truth_drugs(truth):
    return set(truth.get("drugs", [])) | {truth[k] for k in ("drug", "allergy") if k in truth}


def test_evaluation_uses_only_heldout_phrasings(generated, kb):
    out, _ = generated
    items = {i.id: i for i in build_items(kb, random.Random("items-0"))}
    for r in rows(out, "eval/qa.jsonl"):
        item = items[r["id"]]
        assert r["prompt"] in {item.prompt(t) for t in TEMPLATES[item.templates_key]["eval"]}
    for r in rows(out, "sft/train.jsonl"):
        if r["task"] == "summary":
            continue
        item = items[r["id"]]
        assert r["prompt"] in {item.prompt(t) for t in TEMPLATES[item.templates_key]["train"]}


def test_sft_summaries_come_from_notes_of_their_own(generated):
    out, manifest = generated
    summaries = [r for r in rows(out, "sft/train.jsonl") if r["task"] == "summary"]
    val = [r for r in rows(out, "sft/val.jsonl") if r.get("task") == "summary"]
    assert len(summaries) == manifest["config"]["sft_summaries"] and len(val) == len(summaries) // 10
    other = {
        r["note"]
        for name in ("dpo/train_dpo.jsonl", "dpo/val_dpo.jsonl", "eval/summaries.jsonl")
        for r in rows(out, name)
    }
    prompts = {
        r["prompt"]
        for name in ("dpo/train_dpo.jsonl", "dpo/val_dpo.jsonl", "eval/summaries.jsonl")
        for r in rows(out, name)
    }
    assert all(r["prompt"] not in prompts for r in summaries + val) and other
    assert {r["id"] for r in summaries}.isdisjoint(r["id"] for r in val)


def test_leakage_check_passes_on_default_and_catches_planted_leaks(generated):
    out, manifest = generated
    counts = manifest["counts"]
    checked = sum(counts[f"eval/{n}.jsonl"] for n in ("qa", "qa_trained", "showcase", "summaries"))
    assert manifest["leakage"] == {"checked_eval_prompts": checked, "leaks": 0}
    eval_prompts = [r["prompt"] for r in rows(out, "eval/qa.jsonl")]
    train_prompts = [r["prompt"] for r in rows(out, "sft/train.jsonl")]
    corpus = [r["text"] for r in rows(out, "corpus.jsonl")]
    assert check_leakage(eval_prompts, train_prompts, corpus) == []
    planted = eval_prompts[7]
    # exact, normalised (case, punctuation, spacing) and inside a corpus document
    assert len(check_leakage(eval_prompts, [*train_prompts, planted], corpus)) == 1
    assert (
        len(check_leakage(eval_prompts, [*train_prompts, "  " + planted.upper().replace("?", " ?!")], corpus))
        == 1
    )
    leak = check_leakage(eval_prompts, train_prompts, [*corpus, f"Background. {planted} More text."])
    assert len(leak) == 1 and "corpus" in leak[0]
    assert normalise("Warfarin + NSAIDs  safe?") == "warfarin nsaids safe"


def test_generate_refuses_a_leaking_configuration(tmp_path, kb, monkeypatch):
    from rxalign.data import qa

    # An entity-free phrasing shared by training and evaluation makes identical prompts: refuse to write.
    leaky = {
        task: {"train": [*t["train"], "Any advice?"], "eval": ["Any advice?"]}
        for task, t in qa.TEMPLATES.items()
    }
    monkeypatch.setattr(qa, "TEMPLATES", leaky)
    monkeypatch.setattr("rxalign.data.generate.TEMPLATES", leaky)
    with pytest.raises(RuntimeError, match="leakage check failed"):
        generate(tmp_path / "leaky", GenerateConfig(sft_phrasings=5), kb)
    assert not (tmp_path / "leaky" / "manifest.json").exists()


def test_annotator_agreement_default_and_noiseless(generated, tmp_path, kb):
    _, manifest = generated
    a = manifest["agreement"]
    assert 0.4 < a["overall"]["kappa"] < 0.8 and a["majority_matches_gold"] > 0.9
    assert all(b["n_raters"] == 3 for b in a["batches"])
    clean = GenerateConfig(annotators={"flip_rate": 0, "noise_sd": 0, "length_bias": 0})
    m = generate(tmp_path / "clean", clean, kb)
    assert m["agreement"]["overall"]["kappa"] == 1.0 and m["agreement"]["majority_matches_gold"] == 1.0


def test_preference_rows_keep_every_vote_and_the_majority(generated):
    out, _ = generated
    for r in rows(out, "preference/train.jsonl"):
        assert len(r["votes"]) == 3 and sum(r["votes"]) >= 2  # the label is the majority
        assert r["chosen"] != r["rejected"]
        assert {"batch", "batch_kappa", "batch_passes_kappa"} <= r.keys()


def test_sft_mix_is_a_knob(tmp_path, kb):
    m = generate(tmp_path / "expert", GenerateConfig(sft_mix={"expert": 1.0}), kb)
    assert m["counts"]["sft/train.jsonl"] > 0
    tiers = {r["tier"] for r in rows(tmp_path / "expert", "sft/train.jsonl") if r["task"] != "summary"}
    assert tiers == {"expert"}
    with pytest.raises(ValueError, match="sft_mix"):
        GenerateConfig(sft_mix={"expert": 0.5})


def test_showcase_holds_the_seed_guide_cases(generated):
    out, _ = generated
    tasks = {r["truth"]["task"]: r["truth"] for r in rows(out, "eval/showcase.jsonl")}
    assert (
        tasks["interaction"]["drugs"] == ["warfarin", "ibuprofen"]
        and tasks["interaction"]["severity"] == "major"
    )
    assert tasks["hepatic"]["drug"] == "metformin" and tasks["hepatic"]["child_pugh"] == "C"
    assert tasks["hepatic"]["action"] in ("avoid", "contraindicated")
    assert tasks["pgx"] == {
        **tasks["pgx"],
        "drug": "codeine",
        "gene": "CYP2D6",
        "phenotype": "poor_metabolizer",
    }
    assert tasks["allergy"]["mechanism_type"] == "ige" and tasks["allergy"]["recommendation"] == "avoid"
    assert any(v["action"] == "reduce" for v in tasks["renal_all"]["bands"].values())


def test_answers_follow_the_truth_and_utilities_rank_them(kb):
    items = {i.id: i for i in build_items(kb, random.Random(0))}
    rng = random.Random(0)
    ix = items["interaction:warfarin+ibuprofen"]
    expert = answer(ix, kb, "expert", rng)
    assert expert.startswith("MAJOR interaction") and "acetaminophen" in expert and "2x" in expert
    assert "No clinically relevant interaction" in answer(ix, kb, "wrong", rng)
    assert [utility(ix, t) for t in ("expert", "partial", "vague", "wrong")] == [3.0, 2.0, 1.0, 0.0]
    none_pair = next(i for i in items.values() if i.task == "interaction" and i.truth["severity"] == "none")
    assert utility(none_pair, "alarmist") == 0.0  # crying wolf on a safe pair is worst
    for item in list(items.values())[::25]:
        for tier in TIERS:
            assert answer(item, kb, tier, random.Random(1)).strip()


def test_off_topic_share_makes_rejected_answers_about_other_questions(kb):
    from rxalign.data.generate import build_datasets

    files, _ = build_datasets(
        GenerateConfig(off_topic_share=1.0, confused_pairs_per_question=0, dpo_notes=10), kb
    )
    rows = files["preference/train.jsonl"]
    off = [r for r in rows if "off_topic" in r["tiers"].values()]
    assert len(off) > 0.9 * len(rows)  # the majority vote may, rarely, prefer the off-topic answer
    assert all(r["gold_chosen_better"] == (r["tiers"]["rejected"] == "off_topic") for r in off)


def test_confused_answers_read_like_the_expert_and_the_grader_scores_them_lower(kb):
    """The confused answer is the expert answer to the item with one fact changed: the independent grader must
    score it below the expert answer on every item, and only pharmacogenomic notes may lack a confusion."""
    from rxalign.eval.grader import grade

    items = build_items(kb, random.Random(0))
    confusable = [i for i in items if confusion(i, kb, random.Random(0)) is not None]
    assert {i.task for i in items} - {i.task for i in confusable} == set()
    assert {i.task for i in items if i not in confusable} <= {"pgx"} and len(confusable) > 0.9 * len(items)
    for item in confusable:
        rng = random.Random(item.id)
        expert, confused = answer(item, kb, "expert", rng), answer(item, kb, CONFUSED, rng)
        assert confused != expert
        assert grade(item.truth, confused, kb).score < grade(item.truth, expert, kb).score, (
            item.id,
            confused,
        )
    renal = next(i for i in items if i.id == "renal:warfarin:gt60")
    assert answer(renal, kb, CONFUSED, random.Random(0)).startswith(("eGFR", "EGFR"))
    assert utility(renal, CONFUSED) == utility(renal, "wrong") == 0.0
    pgx_without = next(i for i in items if i not in confusable)
    with pytest.raises(ValueError, match="no confusable fact"):
        answer(pgx_without, kb, CONFUSED, random.Random(0))


def test_confused_pairs_are_added_from_a_stream_of_their_own(kb):
    from rxalign.data.generate import build_datasets

    with_, _ = build_datasets(GenerateConfig(dpo_notes=10, confused_pairs_per_question=1), kb)
    without, _ = build_datasets(GenerateConfig(dpo_notes=10, confused_pairs_per_question=0), kb)
    for name in ("corpus.jsonl", "sft/train.jsonl", "sft/val.jsonl", "ppo/prompts.jsonl", "eval/qa.jsonl"):
        assert with_[name] == without[name], name
    for name in ("preference/train.jsonl", "preference/val.jsonl"):
        confused = [r for r in with_[name] if CONFUSED in r["tiers"].values()]
        rest = [r for r in with_[name] if CONFUSED not in r["tiers"].values()]

        def pair(r):  # without the annotation batch marks: the new rows are mixed into the batches
            return json.dumps({k: v for k, v in r.items() if not k.startswith("batch")})

        assert sorted(map(pair, rest)) == sorted(map(pair, without[name]))
        assert 0.4 * len(rest) < len(confused) <= 0.5 * len(rest)  # one per question, two ordinary pairs
        assert all(set(r["tiers"].values()) - {CONFUSED} <= {"expert", "partial"} for r in confused)
        # the noisy annotators still prefer the right fact nearly always; the label is their majority
        assert sum(r["gold_chosen_better"] for r in confused) > 0.9 * len(confused)
        assert all(len(r["votes"]) == 3 for r in confused)


def test_corpus_notes_are_notes_of_their_own(kb):
    from rxalign.data.generate import build_datasets

    files, _ = build_datasets(GenerateConfig(corpus_notes=50), kb)
    docs = [r["text"] for r in files["corpus.jsonl"]]
    notes_docs = [d for d in docs if d.startswith("Clinical note:\n")]
    base = build_datasets(GenerateConfig(corpus_notes=0), kb)[0]["corpus.jsonl"]
    assert len(notes_docs) == 50 and len(docs) == len(base) + 50
    held = [
        r["note"]
        for name in ("dpo/train_dpo.jsonl", "dpo/val_dpo.jsonl", "eval/summaries.jsonl")
        for r in files[name]
    ]
    joined = "\n".join(docs)
    assert held and not any(n in joined for n in held)


TRUTH_KEYS = {
    "interaction": {"task", "drugs", "severity", "risk_multiplier", "alternative_ids", "limited_evidence"},
    "renal": {"task", "drug", "egfr", "band", "action", "percent", "basis", "limited_evidence"},
    "renal_all": {"task", "drug", "bands", "basis", "limited_evidence"},
    "hepatic": {"task", "drug", "child_pugh", "action", "limited_evidence"},
    "pgx": {"task", "drug", "gene", "phenotype", "stance", "limited_evidence"},
    "allergy": {
        "task",
        "allergy",
        "drug",
        "mechanism_type",
        "recommendation",
        "cross_low",
        "cross_high",
        "limited_evidence",
    },
}


def test_item_truth_has_the_shape_the_grader_reads(kb):
    from rxalign.data.kb import BAND_KEYS
    from rxalign.data.qa import BAND_TEXT, RENAL_BAND_EGFR

    items = build_items(kb, random.Random(0))
    assert len({i.id for i in items}) == len(items)
    for item in items:
        t = item.truth
        if item.task in TRUTH_KEYS:
            assert set(t) == TRUTH_KEYS[item.task], item.id
        if item.task == "renal":
            assert t["band"] in BAND_KEYS and t["basis"] in ("egfr", "crcl")
            if t["band"] == "dialysis":
                assert t["egfr"] is None and "haemodialysis" in _phrase_all(item)
            else:
                lo, hi = RENAL_BAND_EGFR[t["band"]]
                assert lo <= t["egfr"] <= hi and str(t["egfr"]) in _phrase_all(item)
        if item.task == "renal_all":
            assert list(t["bands"]) == [k for k in BAND_KEYS if k in t["bands"]]
            assert ("dialysis" in t["bands"]) == (kb.drug(t["drug"]).renal.bands.dialysis is not None)
        if item.task == "hepatic":
            assert t["child_pugh"] in "ABC" and f"Child-Pugh {t['child_pugh']}" in _phrase_all(item)
        if item.task == "allergy":
            assert t["mechanism_type"] in ("ige", "non_ige", "scar")
    assert {i.truth["child_pugh"] for i in items if i.id.startswith("hepatic:metformin:")} == {"A", "B", "C"}
    for band, (lo, hi) in RENAL_BAND_EGFR.items():  # eGFRs stay inside their band
        low, high = {
            "gt60": (60, 200),
            "45_59": (45, 59),
            "30_44": (30, 44),
            "15_29": (15, 29),
            "lt15": (0, 14),
        }[band]
        assert low <= lo <= hi <= high
    assert BAND_TEXT["dialysis"] == "on dialysis" and BAND_TEXT["45_59"] == "eGFR 45-59"


def _phrase_all(item):
    return " ".join(item.prompt(t) for w in ("train", "eval") for t in TEMPLATES[item.templates_key][w])


def test_specific_fixes_reach_items_and_answers(kb):
    items = {i.id: i for i in build_items(kb, random.Random(0))}
    rng = random.Random(0)
    assert items["renal:metformin:45_59"].truth["action"] == "full"
    assert items["renal:metformin:30_44"].truth["action"] == "avoid"
    assert items["renal:sitagliptin:30_44"].truth["percent"] == 50
    assert items["renal:sitagliptin:dialysis"].truth["percent"] == 25
    assert items["hepatic:atorvastatin:A"].truth["action"] not in ("avoid", "contraindicated")
    assert items["pgx:voriconazole:CYP2C19:poor_metabolizer"].truth["stance"] == "avoid"
    assert items["interaction:metformin+lisinopril"].truth["severity"] == "minor"
    scar = items["allergy:penicillin:scar:cephalexin"]
    assert scar.truth["recommendation"] == "avoid" and "severe cutaneous" in answer(scar, kb, "expert", rng)
    crcl = answer(items["renal:rivaroxaban:45_59"], kb, "expert", rng)
    assert crcl.startswith("eGFR 45-59: reduce to 75%") and "Label bands by CrCl" in crcl
    assert "on dialysis" in answer(items["renal:sitagliptin:dialysis"], kb, "expert", rng).lower()
    hep = answer(items["hepatic:celecoxib:B"], kb, "expert", rng)
    assert hep.startswith("Child-Pugh B (moderate hepatic impairment): reduce the dose") and "50%" in hep
    assert "Child-Pugh C" in answer(items["hepatic:celecoxib:C"], kb, "wrong", rng)


def test_corpus_states_bands_basis_classes_and_reaction_kinds(kb):
    text = "\n".join(corpus_documents(kb, seed=0, monograph_copies=6))
    assert "The renal bands of Rivaroxaban follow the label's creatinine clearance (CrCl) cut-offs." in text
    assert "Renal dosing of Rivaroxaban, eGFR 30-44: reduced dose (75% of the usual dose)." in text
    assert "For a patient on dialysis, Rivaroxaban: reduced dose (75% of the usual dose)." in text
    assert "For Child-Pugh C liver disease, Rivaroxaban: avoid." in text
    assert "Hepatic impairment, Child-Pugh B, Rivaroxaban: avoid." in text
    assert "Cephalexin after a severe cutaneous penicillin allergy: avoid." in text
