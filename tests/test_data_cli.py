"""`rxalign data generate | validate | stats` through the CLI entry point."""

import json

import pytest

from conftest import run_main


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    from rxalign.data.generate import GenerateConfig, generate

    out = tmp_path_factory.mktemp("data")
    generate(out, GenerateConfig(dpo_notes=70))
    return out


def test_generate_writes_and_refuses_a_non_empty_directory(tmp_path, monkeypatch, capsys):
    out = tmp_path / "d"
    code, _, err = run_main(
        monkeypatch, capsys, "data", "generate", "--out", str(out), "--set", "dpo_notes=70"
    )
    assert code == 0, err
    assert "Fleiss κ" in err and "0 leaks" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["dpo/train_dpo.jsonl"] > 0 and not list(tmp_path.glob(".*tmp"))
    code, _, err = run_main(monkeypatch, capsys, "data", "generate", "--out", str(out))
    assert code == 2 and "exists and is not empty" in err and "Traceback" not in err
    code, _, err = run_main(
        monkeypatch, capsys, "data", "generate", "--out", str(out), "--set", "annotators.n_annotators=4"
    )
    assert code == 2 and "annotators.n_annotators" in err and "odd" in err


def test_validate_reports_ok_and_the_first_bad_record(data_dir, tmp_path, monkeypatch, capsys):
    files = [
        data_dir / "sft/train.jsonl",
        data_dir / "preference/train.jsonl",
        data_dir / "ppo/prompts.jsonl",
    ]
    code, out, _ = run_main(monkeypatch, capsys, "data", "validate", *map(str, files))
    assert code == 0 and out.count(": ok ·") == 3 and "prompt_completion" in out and "· prompt ·" in out
    bad = tmp_path / "bad.jsonl"
    lines = (data_dir / "preference/train.jsonl").read_text().splitlines()[:3]
    record = json.loads(lines[2])
    record["rejected"] = record["chosen"]
    bad.write_text("\n".join([*lines[:2], json.dumps(record)]) + "\n")
    code, _, err = run_main(monkeypatch, capsys, "data", "validate", str(bad))
    assert code == 2 and f"{bad}:3: fields 'chosen' and 'rejected' are identical" in " ".join(err.split())


def test_stats_reports_agreement_and_mixes(data_dir, monkeypatch, capsys):
    code, out, _ = run_main(
        monkeypatch,
        capsys,
        "data",
        "stats",
        "--json",
        str(data_dir / "preference/train.jsonl"),
        str(data_dir / "dpo/train_dpo.jsonl"),
    )
    assert code == 0
    pref, dpo = (json.loads(line) for line in out.splitlines())
    assert pref["agreement"]["frame"] == "presentation order" and 0.4 < pref["agreement"]["kappa"] < 0.8
    assert pref["agreement"]["majority_matches_gold"] > 0.9 and "task_mix" in pref
    assert len(dpo["perturbation_mix"]) == 7
