"""`rxalign eval`: the scorecard's statistics, and the command on a random tiny model and a pretrained one."""

import json

import numpy as np
import pytest

from conftest import FAST, run_cli, run_main
from rxalign.eval.scorecard import bootstrap_ci, scorecard, table


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
    assert card["eval_sets"] == {"eval/qa.jsonl": 4, "eval/showcase.jsonl": 4, "eval/summaries.jsonl": 4}
    for name in ("random", "pretrained"):
        rows = [json.loads(line) for line in (out / "responses" / f"{name}.jsonl").read_text().splitlines()]
        assert len(rows) == 12 and all("answer" in r for r in rows)
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
