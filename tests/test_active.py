"""Active learning: disagreement, selection, accuracy and labels-to-match by hand; the labelling-file round trip
and its errors; a two-cycle run on tiny models (resume and refusal), and the file labeller end to end."""

import json
import math
import random
import sys

import numpy as np
import pytest
import torch

from rxalign.active import (
    ActiveConfig,
    RetrainSettings,
    export_for_labelling,
    import_labels,
    labels_to_match,
    pair_accuracy,
    pair_disagreement,
    select_pairs,
    simulated_label,
    within_prompt_pairs,
)
from rxalign.config import TrainConfig, load_config
from rxalign.data.annotators import AnnotatorConfig
from rxalign.data.generate import GenerateConfig, build_datasets
from rxalign.errors import UserError
from rxalign.io import write_jsonl

# ---- pure parts, by hand ----------------------------------------------------------------------------------------


def test_disagreement_is_the_member_std_of_reward_differences():
    # K = 3 members, N = 2 pairs. Pair 0: Δ = (1, 3, 2), mean 2, variance (1 + 1 + 0) / 3 = 2/3.
    # Pair 1: Δ = (1, 1, 1): the members agree exactly, however large the difference.
    members_a = torch.tensor([[1.0, 5.0], [3.0, 2.0], [2.0, 7.0]])
    members_b = torch.tensor([[0.0, 4.0], [0.0, 1.0], [0.0, 6.0]])
    assert pair_disagreement(members_a, members_b).tolist() == pytest.approx([math.sqrt(2 / 3), 0.0])
    # each member's centring offset shifts both of its rewards, so it cancels
    offsets = torch.tensor([[10.0], [-3.0], [0.5]])
    assert torch.allclose(
        pair_disagreement(members_a + offsets, members_b + offsets), pair_disagreement(members_a, members_b)
    )
    assert pair_disagreement(members_a[:1], members_b[:1]).tolist() == [0.0, 0.0]  # one member: no spread


def test_uncertainty_selection_takes_the_largest_disagreements():
    d = torch.tensor([0.1, 0.5, 0.3, 0.5, 0.0])
    rng = random.Random(0)
    assert select_pairs(d, 2, "uncertainty", rng) == [1, 3]
    assert select_pairs(d, 3, "uncertainty", rng) == [1, 2, 3]
    assert select_pairs(torch.tensor([0.2, 0.2, 0.2]), 1, "uncertainty", rng) == [0]  # ties: lower index
    assert select_pairs(d, 9, "uncertainty", rng) == [0, 1, 2, 3, 4]  # fewer candidates than labels


def test_random_selection_is_seeded_and_ignores_disagreement():
    d = torch.arange(100.0)
    a = select_pairs(d, 10, "random", random.Random(7))
    assert a == select_pairs(torch.zeros(100), 10, "random", random.Random(7))
    assert len(set(a)) == 10 and a == sorted(a) and all(0 <= i < 100 for i in a)
    assert a != list(range(90, 100))


def test_within_prompt_pairs_and_accuracy_by_hand():
    groups = [0, 0, 0, 1, 1]
    gold = [5.0, 2.0, 5.0, 1.0, 3.0]
    texts = ["a", "b", "c", "d", "d "]  # 3 and 4 are the same text
    pairs = within_prompt_pairs(groups, gold, texts)
    assert pairs == [(0, 1), (1, 2)]  # (0, 2) tie on gold; (3, 4) identical text; no pair across prompts
    scores = torch.tensor([1.0, 0.0, -1.0, 0.0, 0.0])
    # (0, 1): 1 > 0 and gold 5 > 2 → right; (1, 2): 0 > -1 but gold 2 < 5 → wrong
    assert pair_accuracy(scores, gold, pairs) == 0.5
    assert pair_accuracy(scores, gold, []) is None


def test_labels_to_match_interpolates_between_cycles():
    random_curve = [(0, 0.60), (50, 0.62), (100, 0.69)]
    # target 0.69: reached between 50 (0.66) and 100 (0.72): 50 + (0.03 / 0.06) · 50 = 75
    assert labels_to_match([(0, 0.60), (50, 0.66), (100, 0.72)], random_curve) == pytest.approx(75.0)
    assert labels_to_match([(0, 0.60), (50, 0.69), (100, 0.80)], random_curve) == pytest.approx(50.0)
    assert labels_to_match([(0, 0.70), (50, 0.71)], random_curve) == 0.0
    assert labels_to_match([(0, 0.60), (50, 0.65), (100, 0.68)], random_curve) is None
    # the first crossing counts, even if accuracy falls back later ...
    dips = [(0, 0.60), (50, 0.70), (100, 0.61), (150, 0.72)]
    assert labels_to_match(dips, random_curve) == pytest.approx(45.0)
    # ... unless it must be sustained: from (100, 0.61) to (150, 0.72): 100 + (0.08 / 0.11) · 50
    assert labels_to_match(dips, random_curve, sustained=True) == pytest.approx(100 + 0.08 / 0.11 * 50)
    assert labels_to_match(dips[:3], random_curve, sustained=True) is None


def test_simulated_label_follows_gold_without_noise_and_keeps_votes():
    pair = {
        "id": "c1-0000",
        "prompt": "q",
        "response_a": "worse",
        "response_b": "better",
        "gold_a": 2.0,
        "gold_b": 7.0,
    }
    exact = AnnotatorConfig(flip_rate=0.0, noise_sd=0.0, length_bias=0.0)
    row = simulated_label(pair, exact, np.random.default_rng(0))
    assert (row["chosen"], row["rejected"]) == ("better", "worse")
    assert row["votes_ab"] == [1, 1, 1] and row["votes"] == [1, 1, 1] and row["chosen_shown_first"] is False
    flipped = simulated_label(pair, exact.model_copy(update={"flip_rate": 1.0}), np.random.default_rng(0))
    assert flipped["chosen"] == "worse" and flipped["votes_ab"] == [0, 0, 0]
    # length bias in grader points per 100 characters: 200 more characters outweigh 5 gold points at 3.0
    long = {**pair, "response_a": "w" * 205}
    biased = simulated_label(long, exact.model_copy(update={"length_bias": 3.0}), np.random.default_rng(0))
    assert biased["chosen"] == "w" * 205


# ---- the labelling file round trip ------------------------------------------------------------------------------

PAIRS = [
    {
        "id": f"c1-000{i}",
        "prompt": f"q{i}",
        "response_a": f"a{i}",
        "response_b": f"b{i}",
        "gold_a": 1.0,
        "gold_b": 0.0,
    }
    for i in range(3)
]


def filled(tmp_path, rows: list[dict], name="labels.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def exported(tmp_path) -> list[dict]:
    export_for_labelling(tmp_path / "to_label.jsonl", PAIRS)
    return [json.loads(line) for line in (tmp_path / "to_label.jsonl").read_text().splitlines()]


def test_export_then_import_round_trip(tmp_path):
    rows = exported(tmp_path)
    assert rows[0] == {
        "id": "c1-0000",
        "prompt": "q0",
        "response_a": "a0",
        "response_b": "b0",
        "preferred": "",
    }
    assert all("gold_a" not in r for r in rows)  # people never see the gold
    for r, choice in zip(rows, ["a", "B", " b "], strict=True):
        r["preferred"] = choice
    labels = import_labels(filled(tmp_path, rows[::-1]), PAIRS)  # any order
    assert [(r["id"], r["chosen"], r["rejected"]) for r in labels] == [
        ("c1-0000", "a0", "b0"),
        ("c1-0001", "b1", "a1"),
        ("c1-0002", "b2", "a2"),
    ]
    assert all(
        r["prompt"] == p["prompt"] and r["labeler"] == "file" for r, p in zip(labels, PAIRS, strict=True)
    )


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda rows: rows[:2], r"labels.jsonl: field 'id': 1 of 3 exported pairs missing \(c1-0002\)$"),
        (lambda rows: [rows[0], {**rows[1], "preferred": "both"}, rows[2]], r"labels.jsonl:2: field 'preferred': expected \"a\" or \"b\", got 'both'$"),
        (lambda rows: [rows[0], {**rows[1], "preferred": ""}, rows[2]], r"labels.jsonl:2: field 'preferred'"),
        (lambda rows: [{k: v for k, v in rows[0].items() if k != "preferred"}, *rows[1:]], r"labels.jsonl:1: field 'preferred': .* got None$"),
        (lambda rows: [*rows, {**rows[0], "id": "c9-0000"}], r"labels.jsonl:4: field 'id': 'c9-0000' was not exported"),
        (lambda rows: [*rows, rows[0]], r"labels.jsonl:4: field 'id': 'c1-0000' appears twice$"),
        (lambda rows: [{**rows[0], "response_a": "edited"}, *rows[1:]], r"labels.jsonl:1: field 'response_a': differs"),
    ],
)  # fmt: skip
def test_import_errors_are_one_line_with_file_line_field(tmp_path, edit, message):
    rows = [{**r, "preferred": "a"} for r in exported(tmp_path)]
    with pytest.raises(UserError, match=message) as e:
        import_labels(filled(tmp_path, edit(rows)), PAIRS)
    assert "\n" not in str(e.value)


def test_import_bad_json_names_the_line(tmp_path):
    rows = [{**r, "preferred": "a"} for r in exported(tmp_path)]
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps(rows[0]) + "\n" + '{"id": "c1-0001", "preferred": "a"\n')
    with pytest.raises(UserError, match=r"labels.jsonl:2: invalid JSON"):
        import_labels(path, PAIRS)
    with pytest.raises(UserError, match="does not exist"):
        import_labels(tmp_path / "nope.jsonl", PAIRS)


# ---- config -----------------------------------------------------------------------------------------------------


def test_bundled_config_loads_and_rejects_mistakes(tmp_path):
    cfg = load_config(ActiveConfig, None, stage="active")
    assert cfg.strategy == "uncertainty" and cfg.ppo.iterations == 10 and cfg.reward.members == 3
    # every field of every section explains itself (`rxalign config active` prints them)
    for model in (ActiveConfig, RetrainSettings):
        assert all(f.description for f in model.model_fields.values()), model
    with pytest.raises(UserError, match=r"^--set strategy=greedy: strategy: Input should be"):
        load_config(ActiveConfig, None, ["strategy=greedy"], stage="active")
    path = tmp_path / "a.yaml"
    path.write_text("cycles: 2\nreward:\n  members: 2\n  lr: 0.1\n")
    with pytest.raises(UserError, match=r"a.yaml:4: reward.lr: unknown key"):
        load_config(ActiveConfig, path, stage="active")
    with pytest.raises(UserError, match="reward.train.precision"):
        load_config(ActiveConfig, None, ["precision=fp32"], stage="active")


def test_command_errors_are_one_line_and_exit_2(monkeypatch, capsys):
    from rxalign import cli

    monkeypatch.setattr(sys, "argv", ["rxalign", "active", "--strategy", "greedy", "--quiet"])
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --set strategy=greedy: strategy:") and "\n" not in err


# ---- tiny runs --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory, ensemble_dir):
    """conftest's untrained 2-member ensemble, 24 old labels, 12 validation pairs, 12 prompts with truth."""
    root = tmp_path_factory.mktemp("active-setup")
    (root / "ensemble").symlink_to(ensemble_dir)
    files = build_datasets(GenerateConfig(dpo_notes=10))[0]
    write_jsonl(root / "old.jsonl", files["preference/train.jsonl"][:24])
    write_jsonl(root / "val.jsonl", files["preference/val.jsonl"][:12])
    write_jsonl(root / "prompts.jsonl", files["ppo/prompts.jsonl"][:12])
    return root


def tiny_cfg(out, tiny_setup, tiny_model_dirs, **changes) -> ActiveConfig:
    base = load_config(ActiveConfig, None, stage="active")
    train = TrainConfig(
        lr=1e-3,
        warmup_steps=1,
        max_steps=2,
        batch_size=4,
        log_every=1,
        eval_every=2,
        save_every=2,
        peak_tflops=1.0,
    )
    values = base.model_dump() | {
        "out": out,
        "policy_path": tiny_model_dirs["llama"],
        "reward_path": tiny_setup / "ensemble",
        "prompts_file": tiny_setup / "prompts.jsonl",
        "heldout_prompts": 4,
        "pool_samples": 2,
        "cycles": 2,
        "labels_per_cycle": 3,
        "candidate_pairs_per_prompt": 1,
        "reward": base.reward.model_dump() | {
            "model_path": tiny_model_dirs["llama"],
            "data": {"train_file": tiny_setup / "old.jsonl", "val_file": tiny_setup / "val.jsonl", "max_length": 64},
            "members": 2,
            "train": train.model_dump(),
        },
        "ppo": base.ppo.model_dump() | {"iterations": 1, "prompts_per_iteration": 4, "max_new_tokens": 8, "epochs": 1, "minibatch_size": 2},
    }  # fmt: skip
    return ActiveConfig.model_validate(values | changes)


def read_rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_two_cycles_on_tiny_models_resume_and_refuse(tmp_path, tiny_setup, tiny_model_dirs):
    from rxalign.active import run

    cfg = tiny_cfg(tmp_path / "active", tiny_setup, tiny_model_dirs)
    summary = run(cfg)
    out = cfg.out
    assert summary["status"] == "complete" and summary["labels_spent"] == 6
    history = read_rows(out / "cycles.jsonl")
    assert [r["cycle"] for r in history] == [0, 1, 2] and [r["labels_spent"] for r in history] == [0, 3, 6]
    for r in history:
        assert 0 <= r["policy_gold_score"] <= 10 and r["seconds"] > 0
        assert r["ensemble_accuracy_gold"] is None or 0 <= r["ensemble_accuracy_gold"] <= 1
    # held out means held out: no pool or held-out prompt reaches labels or PPO
    heldout = {r["prompt"] for r in read_rows(out / "prompts_heldout.jsonl")}
    assert len(heldout) == 4 and {r["prompt"] for r in read_rows(out / "pool.jsonl")} <= heldout
    assert not heldout & {r["prompt"] for r in read_rows(out / "prompts_train.jsonl")}
    for k in (1, 2):
        candidates = read_rows(out / f"cycle_{k}" / "candidates.jsonl")
        assert not heldout & {c["prompt"] for c in candidates}
        selected = [c for c in candidates if c["selected"]]
        # uncertainty: the selected pairs are the top disagreements
        top = sorted((c["disagreement"] for c in candidates), reverse=True)[:3]
        assert sorted((c["disagreement"] for c in selected), reverse=True) == top
        labels = read_rows(out / f"cycle_{k}" / "labels.jsonl")
        assert [r["id"] for r in labels] == [c["id"] for c in selected]
        assert all(len(r["votes"]) == 3 for r in labels)
    # the cycle-2 ensemble trained on the old labels plus both cycles' new labels
    assert len(read_rows(out / "cycle_2" / "reward_train.jsonl")) == 24 + 6
    assert (out / "cycle_2" / "reward" / "final" / "ensemble.json").is_file()
    assert (out / "cycle_2" / "ppo" / "final" / "config.json").is_file()
    # PPO of cycle 2 started from cycle 1's policy
    import yaml

    ppo_cfg = yaml.safe_load((out / "cycle_2" / "ppo" / "config.yaml").read_text())
    assert ppo_cfg["policy_path"] == str(out / "cycle_1" / "ppo" / "final")

    # resume: a complete run is not redone; an interrupted cycle picks up where it stopped
    assert run(cfg, resume=True)["status"] == "complete"
    (out / "cycle_2" / "cycle.json").unlink()
    (out / "summary.json").unlink()
    again = run(cfg, resume=True)
    assert (
        read_rows(out / "cycles.jsonl")[2]["ensemble_accuracy_gold"] == history[2]["ensemble_accuracy_gold"]
    )
    assert again["labels_spent"] == 6
    # refusals: another run in the directory, a changed config
    with pytest.raises(UserError, match="holds another run"):
        run(cfg)
    with pytest.raises(
        UserError, match=r"cannot resume with a different config \(changed: labels_per_cycle\)"
    ):
        run(cfg.model_copy(update={"labels_per_cycle": 4}), resume=True)
    with pytest.raises(UserError, match="--import: this run's labeler is 'simulated'"):
        run(cfg, import_file=tmp_path / "x.jsonl")


def test_file_labeller_exports_then_imports(tmp_path, tiny_setup, tiny_model_dirs):
    from rxalign.active import run

    cfg = tiny_cfg(
        tmp_path / "active", tiny_setup, tiny_model_dirs, cycles=1, labeler="file", strategy="random"
    )
    summary = run(cfg)
    assert summary["status"] == "awaiting_labels" and summary["awaiting_labels_cycle"] == 1
    to_label = cfg.out / "cycle_1" / "to_label.jsonl"
    rows = read_rows(to_label)
    assert len(rows) == 3 and all(r["preferred"] == "" for r in rows)
    with pytest.raises(UserError, match="cycle 1 is waiting for labels"):
        run(cfg, resume=True)
    with pytest.raises(UserError, match=r"to_label.jsonl:1: field 'preferred'"):
        run(cfg, import_file=to_label)  # still empty
    assert not (cfg.out / "cycle_1" / "labels.jsonl").exists()
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps({**r, "preferred": "b"}) + "\n" for r in rows))
    done = run(cfg, import_file=answers)
    assert done["status"] == "complete" and done["labels_spent"] == 3
    labels = read_rows(cfg.out / "cycle_1" / "labels.jsonl")
    assert [r["chosen"] for r in labels] == [r["response_b"] for r in rows]
    with pytest.raises(UserError, match="no cycle .* is waiting for labels"):
        run(cfg, import_file=answers)
