"""Tests for the red-team set (rxalign.data.redteam): the generator itself (eight splits with disjoint phrasings,
loaded from one YAML file per split; dev, holdout and test with disjoint items; final, exam, viva, panel and locum
with samples of their own), `redteam_scores`, and the gold grader's targets on the seven tuning splits, dev, holdout,
test, final, exam, viva and panel (a grader that keeps a pharmacist's order passes them; see
benchmarks/grader_redteam.py). The locum split is the reported one: its targets are not asserted here, only that it
grades."""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from itertools import combinations

import pytest

from rxalign.data import qa
from rxalign.data.kb import load_kb
from rxalign.data.redteam import (
    BANKS,
    CATEGORIES,
    DOSE_NUMBER,
    EXAM_SEED_OFFSET,
    FINAL_SEED_OFFSET,
    LOCUM_SEED_OFFSET,
    PANEL_SEED_OFFSET,
    REPORT_SPLIT,
    SEED_OFFSETS,
    SPLITS,
    TARGETS,
    TUNING_SPLITS,
    VIVA_SEED_OFFSET,
    Case,
    build_redteam,
    load_banks,
    more_items,
    redteam_scores,
    select_items,
    stratum,
    write_item,
)

MIN_CASES = 400
MIN_ITEMS = 100  # per split
MIN_ITEMS_PER_TASK = 8
MAX_LENT = 3  # dev/holdout items the test split may borrow (one per stratum that has nothing else left)
# Where each category that depends on the task must appear (the others appear everywhere).
EXPECTED = {
    "wrong_dose_x2": {"renal", "renal_all", "pediatric"},
    "wrong_dose_x10": {"renal", "renal_all", "pediatric"},
    "avoid_stopping": {"interaction", "renal", "hepatic"},
    "no_monitoring": {"interaction", "hepatic"},
}
EVERYWHERE = set(CATEGORIES) - set(EXPECTED)
# Strata that are alarming / benign, per task (pediatric items are all "give a dose").
ALARMING = {
    "interaction": {"contraindicated", "major"},
    "renal": {"avoid", "contraindicated"},
    "renal_all": {"avoid"},
    "hepatic": {"avoid", "contraindicated"},
    "pgx": {"avoid"},
    "allergy": {"avoid:ige", "avoid:non_ige", "avoid:scar"},
}
BENIGN = {
    "interaction": {"none", "minor"},
    "renal": {"full"},
    "renal_all": {"full"},
    "hepatic": {"none"},
    "pgx": {"use"},
    "allergy": {"acceptable:ige", "acceptable:non_ige"},
}
RANK_OF = {
    "best": 3,
    "paraphrase": 3,
    "vague": 2,
    "over_cautious": 2,
    "correct": 3,
    "dangerous": 0,
    "understated": 1,
}


@pytest.fixture(scope="module")
def kb():
    return load_kb()


@pytest.fixture(scope="module")
def splits(kb) -> dict[str, list[Case]]:
    return {split: build_redteam(kb, seed=0, split=split) for split in SPLITS}


def _by_item(cases: list[Case]) -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        out[c.item_id].append(c)
    return out


# ---- the generator ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("split", SPLITS)
def test_size_and_coverage(splits, split):
    cases = splits[split]
    assert len(cases) >= MIN_CASES
    assert len({c.item_id for c in cases}) >= MIN_ITEMS
    assert {c.task for c in cases} == set(qa.TASKS)
    assert {c.kind for c in cases} == set(CATEGORIES)
    for task in qa.TASKS:
        items = {c.item_id for c in cases if c.task == task}
        assert len(items) >= MIN_ITEMS_PER_TASK, task
    for task, kinds in EXPECTED.items():
        for t in kinds:
            assert any(c.kind == task and c.task == t for c in cases), (task, t)
    for kind in EVERYWHERE:
        present = {c.task for c in cases if c.kind == kind}
        assert present == set(qa.TASKS), (kind, set(qa.TASKS) - present)


@pytest.mark.parametrize("split", SPLITS)
def test_alarming_and_benign_truths_per_task(kb, splits, split):
    strata: dict[str, set[str]] = defaultdict(set)
    for c in splits[split]:
        item = qa.Item(c.item_id, c.task, (), {}, c.truth)
        strata[c.task].add(stratum(item))
    for task in ALARMING:
        assert strata[task] & ALARMING[task], (task, strata[task])
        assert strata[task] & BENIGN[task], (task, strata[task])
    assert len(strata["pediatric"]) >= 2  # several weights


@pytest.mark.parametrize("split", SPLITS)
def test_each_item_has_one_best_one_paraphrase_one_vague_and_something_to_order(splits, split):
    for item_id, cases in _by_item(splits[split]).items():
        kinds = [c.kind for c in cases]
        assert kinds.count("best") == kinds.count("paraphrase") == kinds.count("vague") == 1, item_id
        item = qa.Item(item_id, cases[0].task, (), {}, cases[0].truth)
        if stratum(item) in ALARMING.get(item.task, ()):
            assert any(c.rank == 0 for c in cases), item_id
        assert len({c.rank for c in cases}) >= 2, item_id


@pytest.mark.parametrize("split", SPLITS)
def test_ranks_follow_categories(splits, split):
    for c in splits[split]:
        label = c.category.split(":")[1] if ":" in c.category else c.kind
        expected = RANK_OF.get(label, 0)
        assert c.rank == expected, (c.item_id, c.category, c.rank)
        if c.kind == "over_cautious":  # an alarm only where none is warranted
            item = qa.Item(c.item_id, c.task, (), {}, c.truth)
            assert c.task == "pediatric" or stratum(item) not in ALARMING.get(c.task, ()), c.item_id


@pytest.mark.parametrize("split", SPLITS)
def test_answers_are_filled_sentences(splits, split):
    for c in splits[split]:
        assert c.answer.strip(), c
        first = c.answer.split(" ", 1)[0]
        assert first[0].isupper() or first[0].isdigit() or any(x.isupper() for x in first), c.answer
        assert c.answer.rstrip()[-1] in ".?!:", c.answer
        assert not re.search(r"[{}]|\bNone\b(?![.:])|\bnan\b|  |\.\.", c.answer), c.answer
        assert c.phrasings, c


def test_splits_share_no_phrasing(splits):
    assert SPLITS == (*TUNING_SPLITS, REPORT_SPLIT)
    for name, bank in BANKS.items():
        assert set(bank) == set(SPLITS), name
        assert all(bank[split] for split in SPLITS), name
    written = {s: {p for c in splits[s] for p in c.phrasings} for s in SPLITS}
    banked = {s: {t for bank in BANKS.values() for t in bank[s]} for s in SPLITS}
    for s in SPLITS:
        assert written[s] and written[s] <= banked[s], s
    for a, b in combinations(SPLITS, 2):
        assert not banked[a] & banked[b], (a, b, sorted(banked[a] & banked[b])[:3])
        assert not written[a] & written[b], (a, b)


def test_banks_load_from_one_yaml_file_per_split():
    """The phrasings are data: one YAML file per split under rxalign/resources/redteam/, every file with the same
    bank keys, each bank a non-empty list of templates; BANKS is what they hold."""
    import importlib.resources

    import yaml

    root = importlib.resources.files("rxalign") / "resources" / "redteam"
    keys = None
    for split in SPLITS:
        data = yaml.safe_load((root / f"{split}.yaml").read_text(encoding="utf-8"))
        assert isinstance(data, dict) and data, split
        keys = keys or set(data)
        assert set(data) == keys == set(BANKS), split
        for key, templates in data.items():
            assert templates and all(isinstance(t, str) and t.strip() == t for t in templates), (split, key)
            assert BANKS[key][split] == templates, (split, key)
    assert load_banks() == BANKS


def test_report_split_phrasings_differ_from_every_tuning_split_ignoring_case():
    """The reported split's templates are new even up to case and spacing (some tuning splits differ from each
    other only by case in a template or two)."""

    def norm(text: str) -> str:
        return re.sub(r"\s+", " ", text.lower()).strip()

    reported = {norm(t) for bank in BANKS.values() for t in bank[REPORT_SPLIT]}
    for split in TUNING_SPLITS:
        tuned = {norm(t) for bank in BANKS.values() for t in bank[split]}
        assert not reported & tuned, (split, sorted(reported & tuned)[:3])


def test_splits_share_no_item(kb, splits):
    """Dev, holdout and test share no item (but for what test borrows); the final, exam and viva splits may share
    items with any split (they hold out their phrasings), see test_own_sample_covers_every_stratum."""
    ids = {s: {c.item_id for c in splits[s]} for s in SPLITS}
    assert not ids["dev"] & ids["holdout"]
    tuned = ids["dev"] | ids["holdout"]
    lent = ids["test"] & tuned
    assert len(lent) <= MAX_LENT, sorted(lent)
    # a tuning item is lent only by a stratum with nothing else left, and only one per stratum
    items = qa.build_items(kb, random.Random("redteam-qa-0"))
    pool = items + more_items(kb, items)
    by_id = {i.id: i for i in pool}
    strata: dict[tuple[str, str], set[str]] = defaultdict(set)
    for item in pool:
        strata[(item.task, stratum(item))].add(item.id)
    keys = [(by_id[i].task, stratum(by_id[i])) for i in lent]
    assert len(keys) == len(set(keys)), keys
    for key in keys:
        assert strata[key] <= tuned, key


def test_more_items_are_new_and_true_to_the_kb(kb):
    items = qa.build_items(kb, random.Random("redteam-qa-0"))
    extra = more_items(kb, items)
    assert extra and not {i.id for i in extra} & {i.id for i in items}
    assert len({i.id for i in extra}) == len(extra)
    shape = set(
        next(i for i in items if i.task == "allergy").truth
    )  # the truth qa writes for an allergy item
    for item in extra:
        t = item.truth
        first = next(
            r
            for r in kb.allergy
            if r.allergy == t["allergy"]
            and r.mechanism_type == t["mechanism_type"]
            and any(m.id == t["drug"] for m in kb.members(r.drug_or_class))
        )
        assert t["recommendation"] == first.recommendation, item.id
        assert item.task == "allergy" and set(t) == shape, item.id


def test_dev_and_holdout_do_not_depend_on_the_extra_items(kb):
    items = qa.build_items(kb, random.Random("redteam-qa-0"))
    extra = more_items(kb, items)
    for split in ("dev", "holdout"):
        assert [i.id for i in select_items(items, 0, split, extra)] == [
            i.id for i in select_items(items, 0, split)
        ]
    with pytest.raises(ValueError):
        select_items(items, 0, "train")
    with pytest.raises(ValueError):
        build_redteam(kb, 0, "train")
    with pytest.raises(ValueError):
        write_item(items[0], kb, "train")


def test_report_split_is_locum_and_panel_is_tuned_on():
    assert REPORT_SPLIT == "locum" and REPORT_SPLIT not in TUNING_SPLITS
    assert TUNING_SPLITS == ("dev", "holdout", "test", "final", "exam", "viva", "panel")
    assert SEED_OFFSETS == {
        "final": FINAL_SEED_OFFSET,
        "exam": EXAM_SEED_OFFSET,
        "viva": VIVA_SEED_OFFSET,
        "panel": PANEL_SEED_OFFSET,
        "locum": LOCUM_SEED_OFFSET,
    }
    assert (VIVA_SEED_OFFSET, PANEL_SEED_OFFSET) == (3000, 4000)
    assert len(set(SEED_OFFSETS.values())) == len(SEED_OFFSETS) and 0 not in SEED_OFFSETS.values()


@pytest.mark.parametrize("own", sorted(SEED_OFFSETS))
def test_own_sample_covers_every_stratum(kb, splits, own):
    """The final, exam, viva, panel and locum splits each draw their own sample (seeded apart: seed + their offset) from every
    stratum of every task; they may share items with any other split, but none is another split's sample."""
    items = qa.build_items(kb, random.Random(f"redteam-qa-{SEED_OFFSETS[own]}"))
    pool = items + more_items(kb, items)
    every = {(i.task, stratum(i)) for i in pool}
    seen = {(c.task, stratum(qa.Item(c.item_id, c.task, (), {}, c.truth))) for c in splits[own]}
    assert seen == every, sorted(every - seen)
    ids = {s: [c.item_id for c in splits[s]] for s in SPLITS}
    for split in SPLITS:
        if split != own:
            assert ids[own] != ids[split], split
            assert set(ids[own]) - set(ids[split]), split


@pytest.mark.parametrize("split", SPLITS)
def test_deterministic_for_a_seed(kb, splits, split):
    again = build_redteam(kb, seed=0, split=split)
    assert [(c.item_id, c.category, c.answer) for c in again] == [
        (c.item_id, c.category, c.answer) for c in splits[split]
    ]
    other = build_redteam(kb, seed=1, split=split)
    assert [c.answer for c in other] != [c.answer for c in again]


def _unit_numbers(text: str) -> list[float]:
    return [float(x) for m in DOSE_NUMBER.finditer(text) for x in m.groups() if x is not None]


def _close(a: float, b: float, tol: float = 0.03) -> bool:
    return abs(a - b) <= tol * max(abs(a), abs(b), 1e-9)


@pytest.mark.parametrize("split", SPLITS)
def test_wrong_doses_are_two_and_ten_times_the_best(splits, split):
    checked = 0
    for item_id, cases in _by_item(splits[split]).items():
        best = next(c for c in cases if c.kind == "best")
        best_numbers = _unit_numbers(best.answer)
        for c in cases:
            k = {"wrong_dose_x2": 2, "wrong_dose_x10": 10}.get(c.kind)
            if k is None:
                continue
            assert c.amounts and best.amounts, item_id
            for amount in c.amounts:  # each stated amount is k times one of the best answer's amounts
                assert any(_close(amount, k * b) for b in best.amounts), (item_id, c.category, amount)
            written = _unit_numbers(c.answer)
            assert written, c.answer
            for number in written:  # and every dose number written is k times one the best answer writes
                assert any(_close(number, k * b) for b in best_numbers), (c.answer, best.answer)
            checked += 1
    assert checked >= 20


def test_new_truth_shapes_are_written(kb):
    """Truths in the shapes qa.py is moving to (CrCl basis, dialysis band without an eGFR, Child-Pugh class,
    severe cutaneous reactions) and keys that are missing altogether still give filled answers."""
    drug = next(d for d in kb.drugs if any(b.action == "reduce" for _, b in d.renal.bands.items()))
    truths = [
        {
            "task": "renal",
            "drug": drug.id,
            "egfr": None,
            "band": "dialysis",
            "action": "reduce",
            "percent": 50,
            "basis": "crcl",
            "limited_evidence": True,
        },
        {
            "task": "renal_all",
            "drug": drug.id,
            "bands": {
                "gt60": {"action": "full", "percent": 100},
                "45_59": {"action": "full", "percent": 100},
                "30_44": {"action": "reduce", "percent": 50},
                "15_29": {"action": "reduce", "percent": 50},
                "lt15": {"action": "avoid", "percent": None},
                "dialysis": {"action": "reduce", "percent": 25},
            },
            "basis": "crcl",
            "limited_evidence": False,
        },
        {"task": "hepatic", "drug": drug.id, "action": "avoid", "child_pugh": "C", "limited_evidence": False},
        {
            "task": "allergy",
            "allergy": "carbamazepine",
            "drug": "phenytoin",
            "mechanism_type": "scar",
            "recommendation": "avoid",
            "cross_low": None,
            "cross_high": None,
            "limited_evidence": False,
        },
    ]
    for truth in truths:
        item = qa.Item(f"{truth['task']}:new-shape", truth["task"], (), {}, truth)
        for split in SPLITS:
            cases = write_item(item, kb, split)
            assert {c.kind for c in cases} >= {"best", "paraphrase", "vague"}, truth
            assert any(c.rank == 0 for c in cases), truth
            for c in cases:
                assert c.answer and not re.search(r"[{}]|\bNone\b(?![.:])", c.answer), c.answer
    dialysis = write_item(qa.Item("renal:x", "renal", (), {}, truths[0]), kb, "dev")
    assert "CrCl" not in dialysis[0].answer and "dialysis" in dialysis[0].answer
    assert "Child-Pugh C" in write_item(qa.Item("hepatic:x", "hepatic", (), {}, truths[2]), kb)[0].answer


@pytest.mark.parametrize(
    ("drug", "gene", "phenotype", "factor"),
    [
        # "20 mg or less ...; if a higher dose is needed, consider rosuvastatin": a conditional mention, not an
        # increase, so the wrong direction is a higher dose (a halved 10 mg is within the guidance)
        ("atorvastatin", "SLCO1B1", "poor_function", 2.0),
        ("omeprazole", "CYP2C19", "ultrarapid_metabolizer", 0.5),  # "increase the starting dose by 100%"
    ],
)
def test_pgx_wrong_direction_goes_against_the_guidance(kb, drug, gene, phenotype, factor):
    items = qa.build_items(kb, random.Random("redteam-qa-0"))
    item = next(
        i
        for i in items
        if i.task == "pgx"
        and (i.truth["drug"], i.truth["gene"], i.truth["phenotype"]) == (drug, gene, phenotype)
    )
    d = kb.drug(drug)
    for split in SPLITS:
        wrong = [c for c in write_item(item, kb, split) if c.kind == "wrong_direction"]
        assert len(wrong) == 1 and wrong[0].rank == 0, split
        numbers = _unit_numbers(wrong[0].answer)  # these doses are written in the KB's unit in every split
        assert numbers, (split, wrong[0].answer)
        assert all(_close(x, factor * d.dose.amount) for x in numbers), (split, wrong[0].answer)


# ---- redteam_scores -----------------------------------------------------------------------------------------


def _case(item: str, category: str, rank: int) -> Case:
    return Case(item, "interaction", {}, category, f"{category} answer", rank)


def test_redteam_scores_on_a_hand_made_list():
    cases = [
        _case("i1", "best", 3),
        _case("i1", "paraphrase", 3),
        _case("i1", "vague", 2),
        _case("i1", "over_cautious", 2),
        _case("i1", "falsely_reassuring", 0),
        _case("i2", "best", 3),
        _case("i2", "paraphrase", 3),
        _case("i2", "vague", 2),
        _case("i2", "wrong_dose_x10", 0),
    ]
    scores = [9.0, 8.5, 5.0, 3.0, 4.0, 9.0, 7.0, 5.0, 5.0]
    out = redteam_scores(cases, scores)
    # dangerous vs vague: i1 4 < 5 kept, i2 5 < 5 broken
    assert out["dangerous_below_vague"] == pytest.approx(1 / 2)
    # paraphrase vs best: i1 |8.5-9| <= 1 kept, i2 |7-9| > 1 broken
    assert out["paraphrase_near_best"] == pytest.approx(1 / 2)
    # ordered pairs: i1 has 2x(rank3) vs 2x(rank2) + 2x(rank3) vs rank0 + 2x(rank2) vs rank0 = 8, broken: over_cautious
    # (3) below falsely_reassuring (4); i2: 2 vs vague + 2 vs x10 + vague vs x10 = 5, broken: vague = x10 (5 = 5)
    assert out["pairs"] == {"dangerous_below_vague": 2, "paraphrase_near_best": 2, "order_kept": 13}
    assert out["order_kept"] == pytest.approx(11 / 13)
    cats = out["categories"]
    assert cats["over_cautious"] == {"n": 1, "mean": 3.0, "kept": pytest.approx(2 / 3), "pairs": 3}
    assert cats["best"]["n"] == 2 and cats["best"]["mean"] == 9.0 and cats["best"]["kept"] == 1.0
    assert cats["wrong_dose_x10"]["kept"] == pytest.approx(2 / 3)
    worst = out["violations"][0]
    assert (worst["item_id"], worst["category"], worst["should_beat_category"]) == (
        "i1",
        "falsely_reassuring",
        "over_cautious",
    )
    assert worst["margin"] == pytest.approx(1.0)
    assert len(out["violations"]) == 2

    # objects with a .score work too, and equal ranks are never compared
    class G:
        def __init__(self, score):
            self.score = score

    same = redteam_scores([_case("i", "vague", 2), _case("i", "over_cautious", 2)], [G(1.0), G(9.0)])
    assert same["order_kept"] is None and same["pairs"]["order_kept"] == 0
    with pytest.raises(ValueError):
        redteam_scores(cases, scores[:-1])


# ---- the gold grader's targets (fail until the grader keeps a pharmacist's order) ----------------------------


def _grades(kb, cases: list[Case]) -> list:
    from rxalign.eval.grader import grade

    return [grade(dict(c.truth), c.answer, kb) for c in cases]


@pytest.fixture(scope="module")
def graded(kb, splits):
    """The tuning splits only (dev ... panel): the locum split is reported, never asserted against the targets."""
    return {split: redteam_scores(splits[split], _grades(kb, splits[split])) for split in TUNING_SPLITS}


@pytest.mark.parametrize("split", TUNING_SPLITS)
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_grader_keeps_the_pharmacists_order(graded, split, target):
    result = graded[split]
    weakest = sorted(
        ((row["kept"], cat) for cat, row in result["categories"].items() if row["kept"] is not None)
    )[:4]
    summary = ", ".join(f"{cat} {kept:.0%}" for kept, cat in weakest)
    assert result[target] >= TARGETS[target], f"{split} {target} {result[target]:.1%}; weakest: {summary}"


def test_grader_grades_the_report_split(kb, splits):
    """The locum split only has to grade: every case without an error, a finite score each, rates in [0, 1]. Its
    targets are reported by benchmarks/grader_redteam.py, not asserted (and failures name no answer)."""
    from rxalign.eval.grader import grade

    cases = splits[REPORT_SPLIT]
    grades = []
    for c in cases:
        try:
            grades.append(grade(dict(c.truth), c.answer, kb))
        except Exception as exc:  # noqa: BLE001 - any error is a failure; report which case, not its answer
            pytest.fail(f"{REPORT_SPLIT} {c.item_id} {c.category}: {type(exc).__name__}")
    result = redteam_scores(cases, grades)
    scores = [float(g) if isinstance(g, int | float) else float(g.score) for g in grades]
    assert all(math.isfinite(x) for x in scores)
    for target in TARGETS:
        assert result[target] is not None and 0.0 <= result[target] <= 1.0, target
        assert result["pairs"][target] > 0, target
    for row in result["categories"].values():
        assert row["kept"] is None or 0.0 <= row["kept"] <= 1.0
