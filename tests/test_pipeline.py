"""`rxalign pipeline`: every stage runs and hands over; unchanged stages are skipped; --from and changed
configs rerun what they must; an interrupted stage resumes; the run's summary holds every headline figure."""

from __future__ import annotations

import json
import shutil

from conftest import SMOKE_CONFIG, run_cli
from rxalign.pipeline import STAGES, gather_summary, load_pipeline_config, stage_configs, stage_keys


def _state(run) -> dict:
    return json.loads((run / "pipeline.json").read_text())["stages"]


def test_smoke_pipeline_writes_every_stage_and_the_summary(pipeline_run):
    for stage in ("data", "pretrain", "sft", "reward", "ppo", "dpo", "eval"):
        assert (pipeline_run / stage).is_dir(), stage
    assert (pipeline_run / "report.html").is_file()
    assert (pipeline_run / "dpo" / "final_model" / "adapter_model.safetensors").is_file()
    assert (pipeline_run / "dpo" / "merged" / "config.json").is_file()
    state = _state(pipeline_run)
    assert all(state[s]["done"] for s in STAGES)
    s = json.loads((pipeline_run / "summary.json").read_text())
    assert set(s["pretrain"]) >= {"val_loss", "ln_vocab"}
    assert set(s["sft"]) >= {"val_loss"}
    assert set(s["reward"]) >= {"val_accuracy_gold", "val_accuracy_majority"}
    assert set(s["ppo"]) >= {"gold_score_first", "gold_score_last", "kl_k3_mean", "beta_final"}
    assert set(s["dpo"]) >= {"chosen_preference", "chosen_preference_first"}
    assert set(s["hallucination_rate"]) == {"sft", "dpo"}
    assert set(s["omission_rate"]) == {"sft", "dpo"}
    for model in ("sft", "ppo", "dpo"):
        card = s["scorecard"][model]
        for metric in ("medical_accuracy", "safety", "specificity", "dose_accuracy", "humility", "score"):
            assert metric in card or metric == "safety", (
                model,
                metric,
            )  # safety needs a contraindication row
        assert 0.0 <= card["score"] <= 10.0
    assert set(s["seconds"]) >= {*STAGES, "total"}
    assert (
        s["data"]["kappa"]
        == json.loads((pipeline_run / "data/manifest.json").read_text())["agreement"]["overall"]["kappa"]
    )
    # the pretrain stage read the generated corpus and handed its model on
    sft_cfg = (pipeline_run / "sft" / "config.yaml").read_text()
    assert str(pipeline_run / "pretrain" / "final") in sft_cfg


def test_rerun_skips_unchanged_stages_and_reruns_what_changed(pipeline_run, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(pipeline_run, run)
    before = _state(run)
    r = run_cli("pipeline", str(SMOKE_CONFIG), "--out", str(run))
    assert r.returncode == 0, r.stderr
    skipped = [s for s in STAGES if f"pipeline: {s} unchanged, skipped" in r.stderr]
    assert skipped == [s for s in STAGES if s != "report"], r.stderr
    assert _state(run)["ppo"] == before["ppo"]  # same key, same seconds: not rerun

    # a change to the evaluation reruns only the evaluation (and the report)
    r = run_cli("pipeline", str(SMOKE_CONFIG), "--out", str(run), "--set", "eval.max_items=3")
    assert r.returncode == 0, r.stderr
    after = _state(run)
    assert after["dpo"] == before["dpo"] and after["eval"]["key"] != before["eval"]["key"]

    # --from reruns that stage and every later one
    r = run_cli(
        "pipeline", str(SMOKE_CONFIG), "--out", str(run), "--set", "eval.max_items=3", "--from", "dpo"
    )
    assert r.returncode == 0, r.stderr
    assert "pipeline: dpo unchanged" not in r.stderr and "pipeline: sft unchanged, skipped" in r.stderr
    assert _state(run)["dpo"]["seconds"] != after["dpo"]["seconds"]


def test_keys_ignore_where_the_run_lives_and_chain_upstream_changes(tmp_path):
    a = load_pipeline_config(SMOKE_CONFIG, [f"out={tmp_path / 'a'}"])
    b = load_pipeline_config(SMOKE_CONFIG, [f"out={tmp_path / 'b'}"])
    assert stage_keys(a, stage_configs(a)) == stage_keys(b, stage_configs(b))
    c = load_pipeline_config(SMOKE_CONFIG, [f"out={tmp_path / 'a'}", "sft.train.max_steps=5"])
    ka, kc = stage_keys(a, stage_configs(a)), stage_keys(c, stage_configs(c))
    assert [s for s in STAGES if ka[s] != kc[s]] == ["sft", "reward", "ppo", "dpo", "eval", "report"]


def test_pipeline_config_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsft:\n  model_path: /elsewhere\n")
    r = run_cli("pipeline", str(bad), "--out", str(tmp_path / "run"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "bad.yaml" in r.stderr and "model_path is set by the pipeline" in r.stderr
    assert not (tmp_path / "run").exists()
    bad.write_text("name: x\nppo:\n  ppo:\n    iteratons: 3\n")
    r = run_cli("pipeline", str(bad), "--out", str(tmp_path / "run"))
    assert r.returncode == 2 and "bad.yaml:4: ppo.ppo.iteratons: unknown key" in r.stderr, r.stderr
    r = run_cli("pipeline", "--out", str(tmp_path / "run"), "--from", "nope")
    assert r.returncode == 2 and "--from: unknown stage 'nope'" in r.stderr


def test_summary_of_a_partial_run_has_only_what_ran(tmp_path):
    s = gather_summary(tmp_path, {"data": {"seconds": 1.0}})
    assert s["seconds"] == {"data": 1.0, "total": 1.0} and "pretrain" not in s


def test_an_interrupted_stage_resumes_from_its_checkpoint(pipeline_run):
    # In place (a copy is a moved run, whose unfinished stages start afresh); last of the tests that use it.
    run = pipeline_run
    saved = json.loads((run / "pipeline.json").read_text())
    state = saved["stages"]
    # as if killed during PPO after its first checkpoint: PPO unfinished, later stages never started
    final_metrics = (run / "ppo" / "metrics.jsonl").read_text()
    for stage in ("dpo", "eval", "report"):
        state.pop(stage)
        shutil.rmtree(run / stage, ignore_errors=True)
    state["ppo"]["done"] = False
    (run / "pipeline.json").write_text(json.dumps(saved))
    (run / "summary.json").unlink()
    shutil.rmtree(run / "ppo" / "final")
    (run / "ppo" / "summary.json").unlink()
    r = run_cli("pipeline", str(SMOKE_CONFIG), "--out", str(run))
    assert r.returncode == 0, r.stderr
    assert "pipeline: sft unchanged, skipped" in r.stderr
    assert "pipeline: ppo unchanged" not in r.stderr
    assert (run / "ppo" / "final").is_dir() and (run / "summary.json").is_file()
    assert all(_state(run)[s]["done"] for s in STAGES)
    resumed = [json.loads(x) for x in (run / "ppo" / "metrics.jsonl").read_text().splitlines()]
    whole = [json.loads(x) for x in final_metrics.splitlines()]
    assert resumed[-1]["rm_score_mean"] == whole[-1]["rm_score_mean"]
