"""`rxalign eval`: the scorecard's statistics, and the command on a random tiny model and a pretrained one."""

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import FAST, run_cli, run_main
from rxalign.eval.run import BUNDLED_SETS, split_of
from rxalign.eval.scorecard import QA_ROWS, bootstrap_ci, scorecard, table


def qa(i, score, safety=None, task="interaction"):
    metrics = {
        "medical_accuracy": score / 10,
        "safety": safety,
        "specificity": None,
        "dose_accuracy": None,
        "humility": 1.0,
    }
    return {"id": f"q{i}", "task": task, "score": score, "metrics": metrics}


def test_bootstrap_ci_brackets_the_mean_and_ignores_not_applicable():
    values = np.array([0.0, 1.0] * 50 + [np.nan] * 10)
    lo, hi = bootstrap_ci(values, n_boot=2000, seed=0)
    assert lo < 0.5 < hi and 0.35 < lo and hi < 0.65
    assert bootstrap_ci(np.array([1.0, 1.0, 1.0])) == (1.0, 1.0)
    assert all(np.isnan(bootstrap_ci(np.array([np.nan, np.nan]))))


def test_scorecard_means_and_paired_deltas():
    base = [
        qa(0, 2.0, 0.0),
        qa(1, 4.0, 1.0),
        qa(2, 6.0),
        {"id": "s0", "hallucinated": True, "hallucinated_facts": 2, "stated_facts": 10, "omissions": []},
    ]
    better = [
        qa(0, 5.0, 1.0),
        qa(1, 7.0, 1.0),
        qa(2, 9.0),
        {
            "id": "s0",
            "hallucinated": False,
            "hallucinated_facts": 0,
            "stated_facts": 8,
            "omissions": ["metformin"],
        },
    ]
    card = scorecard({"sft": base, "ppo": better}, n_boot=500)
    assert card["models"]["sft"]["score"]["mean"] == pytest.approx(4.0)
    assert card["models"]["sft"]["safety"] == {**card["models"]["sft"]["safety"], "mean": 0.5, "n": 2}
    assert card["models"]["sft"]["hallucination_rate"]["mean"] == 1.0
    assert card["models"]["sft"]["hallucinations_per_100_facts"] == pytest.approx(20.0)
    delta = card["deltas"]["ppo"]
    assert (
        delta["vs"] == "sft"
        and delta["score"]["delta"] == pytest.approx(3.0)
        and delta["score"]["ci"] == [3.0, 3.0]
    )
    assert delta["hallucination_rate"]["delta"] == -1.0 and delta["specificity"]["delta"] is None
    assert delta["omission_rate"]["delta"] == 1.0
    md = table(card)
    assert "| score | 4.00 [" in md and "Δ ppo vs sft" in md and "+3.00 [+3.00, +3.00]" in md


def test_split_of_a_set_is_in_distribution_only_for_qa_trained():
    assert "eval/qa_trained.jsonl" in BUNDLED_SETS
    assert split_of("eval/qa_trained.jsonl") == "in_distribution"
    assert split_of("/runs/demo/data/eval/qa_trained.jsonl") == "in_distribution"
    for name in (
        "eval/qa.jsonl",
        "eval/showcase.jsonl",
        "eval/summaries.jsonl",
        "my.jsonl",
        "qa_trained.parquet",
    ):
        assert split_of(name) == "heldout", name
    assert split_of("old_qa_trained.jsonl") == "heldout"


def test_scorecard_headline_is_the_heldout_split_and_in_distribution_stands_beside_it():
    summary = {"id": "s0", "hallucinated": True, "hallucinated_facts": 1, "stated_facts": 4, "omissions": []}
    heldout = {
        "sft": [qa(0, 2.0, 0.0), qa(1, 4.0, 1.0), summary],
        "ppo": [qa(0, 5.0, 1.0), qa(1, 7.0, 1.0), summary],
    }
    # the in-distribution rows reuse a held-out id: they must neither enter nor pair with the held-out rows
    trained = {
        "sft": [qa(0, 9.0, 1.0, task="renal"), qa(7, 7.0, 0.0, task="renal")],
        "ppo": [qa(0, 1.0, 0.0, task="renal"), qa(7, 3.0, 0.0, task="renal")],
    }
    mixed = {
        name: [r | {"split": "heldout"} for r in heldout[name]]
        + [r | {"split": "in_distribution"} for r in trained[name]]
        for name in heldout
    }
    card = scorecard(mixed, n_boot=200)
    alone = scorecard(heldout, n_boot=200)
    assert card["models"] == alone["models"] and card["deltas"] == alone["deltas"]
    assert card["models"]["sft"]["score"]["mean"] == pytest.approx(3.0)
    assert card["deltas"]["ppo"]["score"]["delta"] == pytest.approx(3.0)
    assert card["splits"]["heldout"] == card["models"]
    inside = card["splits"]["in_distribution"]
    assert list(inside) == ["sft", "ppo"]
    assert inside["sft"]["score"] == {"mean": 8.0, "ci": inside["sft"]["score"]["ci"], "n": 2}
    assert inside["ppo"]["score"]["mean"] == pytest.approx(2.0)
    assert inside["sft"]["safety"]["mean"] == 0.5 and inside["ppo"]["safety"]["mean"] == 0.0
    assert inside["sft"]["score_by_task"] == {"renal": 8.0}
    assert set(inside["sft"]) == {*QA_ROWS, "score_by_task"}  # QA metrics only: no summary rates
    md = table(card)
    held, _, second = md.partition("## Training drugs in unseen phrasings")
    assert held.startswith("## Held-out drugs") and "| score | 3.00 [" in held and "Δ ppo vs sft" in held
    assert "| score | 8.00 [7.00, 9.00] | 2.00 [1.00, 3.00] |" in second and "Δ" not in second
    assert "hallucination_rate" not in second
    assert "in_distribution" not in alone["splits"] and "Training drugs" not in table(alone)


def test_eval_generates_both_splits_in_one_pass(tiny_model_dirs, tmp_path, monkeypatch, capsys):
    from rxalign.eval import run
    from rxalign.eval.run import bundled_eval_sets

    bundled = bundled_eval_sets()
    (tmp_path / "sets").mkdir()
    paths = []
    for name in ("eval/qa.jsonl", "eval/qa_trained.jsonl"):
        paths.append(tmp_path / "sets" / Path(name).name)
        paths[-1].write_text("".join(json.dumps(r) + "\n" for r in bundled[name][:3]))
    calls = []

    def fake_generate(model, tokenizer, prompts, **kwargs):
        calls.append(prompts)
        return ["CONTRAINDICATED. Never combine."] * len(prompts)

    monkeypatch.setattr(run, "generate", fake_generate)
    out = tmp_path / "eval"
    args = [a for p in paths for a in ("--eval-set", str(p))]
    code, _, err = run_main(
        monkeypatch, capsys, "eval", "--model", f"m={tiny_model_dirs['llama']}", *args, "--out", str(out)
    )
    assert code == 0, err
    assert len(calls) == 1 and len(calls[0]) == 6
    rows = [json.loads(line) for line in (out / "responses" / "m.jsonl").read_text().splitlines()]
    assert [r["split"] for r in rows] == ["heldout"] * 3 + ["in_distribution"] * 3
    assert [r["id"] for r in rows[3:]] == [r["id"] for r in bundled["eval/qa_trained.jsonl"][:3]]
    card = json.loads((out / "scorecard.json").read_text())
    inside = card["splits"]["in_distribution"]["m"]["score"]
    assert inside["n"] == 3 and inside["mean"] == pytest.approx(np.mean([r["score"] for r in rows[3:]]))
    assert card["models"]["m"]["score"]["mean"] == pytest.approx(np.mean([r["score"] for r in rows[:3]]))
    assert "## Training drugs in unseen phrasings" in (out / "scorecard.md").read_text()


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory, corpus_file):
    out = tmp_path_factory.mktemp("pre") / "run"
    r = run_cli(
        "pretrain",
        "--quiet",
        "--out",
        str(out),
        *[a for s in FAST for a in ("--set", s)],
        "--set",
        f"data.corpus={corpus_file}",
    )
    assert r.returncode == 0, r.stderr
    return out / "final"


def test_eval_random_tiny_model_against_pretrained_model(
    tiny_model_dirs, pretrained, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "eval"
    code, _, err = run_main(
        monkeypatch,
        capsys,
        "eval",
        "--model",
        f"random={tiny_model_dirs['llama']}",
        "--model",
        f"pretrained={pretrained}",
        "--max-items",
        "4",
        "--max-new-tokens",
        "16",
        "--out",
        str(out),
    )
    assert code == 0, err
    card = json.loads((out / "scorecard.json").read_text())
    assert set(card["models"]) == {"random", "pretrained"} and card["deltas"]["pretrained"]["vs"] == "random"
    assert card["eval_sets"] == {
        "eval/qa.jsonl": 4,
        "eval/qa_trained.jsonl": 4,
        "eval/showcase.jsonl": 4,
        "eval/summaries.jsonl": 4,
    }
    for name in ("random", "pretrained"):
        rows = [json.loads(line) for line in (out / "responses" / f"{name}.jsonl").read_text().splitlines()]
        assert len(rows) == 16 and all("answer" in r for r in rows)
        assert [r["split"] for r in rows].count("in_distribution") == 4
        assert 0.0 <= card["models"][name]["score"]["mean"] <= 10.0
    assert "| score |" in (out / "scorecard.md").read_text()


def test_eval_grades_ready_answers_and_catches_always_contraindicated(tmp_path, monkeypatch, capsys):
    from rxalign.eval.run import bundled_eval_sets

    rows = [r for name, rs in bundled_eval_sets().items() for r in rs]
    path = tmp_path / "always.jsonl"
    path.write_text(
        "".join(json.dumps({"id": r["id"], "answer": "CONTRAINDICATED. Never combine."}) + "\n" for r in rows)
    )
    code, _, err = run_main(
        monkeypatch, capsys, "eval", "--answers", f"always={path}", "--out", str(tmp_path / "e")
    )
    assert code == 0, err
    card = json.loads((tmp_path / "e" / "scorecard.json").read_text())["models"]["always"]
    assert (
        card["safety"]["mean"] == 1.0 and card["specificity"]["mean"] == 0.0 and card["score"]["mean"] < 4.0
    )


def test_eval_bad_inputs_are_one_line(tmp_path, tiny_model_dirs, monkeypatch, capsys):
    code, _, err = run_main(
        monkeypatch, capsys, "eval", "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "o")
    )
    assert code == 2 and "does not exist" in err and "Traceback" not in err
    bad = tmp_path / "set.jsonl"
    bad.write_text('{"prompt": "Is warfarin safe?", "truth": {"task": "hepatic"}}\n{"prompt": "no truth"}\n')
    code, _, err = run_main(
        monkeypatch,
        capsys,
        "eval",
        "--model",
        str(tiny_model_dirs["llama"]),
        "--eval-set",
        str(bad),
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 2 and f"{bad}:2:" in " ".join(err.split())
    code, _, err = run_main(
        monkeypatch,
        capsys,
        "eval",
        "--model",
        str(tiny_model_dirs["llama"]),
        "--batch-size",
        "0",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 2 and "--batch-size" in err
    assert not (tmp_path / "o").exists()
