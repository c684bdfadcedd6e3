"""The shipped testbed base: fresh (its corpus is the one the generator makes today), a plain Hugging Face
directory within the size limit, and the pipeline's default start; data that change the corpus are refused."""

import pytest

from conftest import run_main
from rxalign.data.corpus import fingerprint
from rxalign.data.generate import GenerateConfig
from rxalign.data.generate import testbed_corpus as corpus_of
from rxalign.models.base import base_dir, read_card, weights_sha256
from rxalign.pipeline import load_pipeline_config, stage_configs


@pytest.fixture(scope="module")
def card():
    return read_card()


def test_shipped_base_was_trained_on_the_corpus_the_generator_makes_today(card):
    # Fails when a change to the knowledge base, the corpus templates, the QA answers or the note generator
    # makes the corpus differ from the one the base read: retrain and re-ship it (README, "The testbed base").
    assert fingerprint(corpus_of(GenerateConfig())) == card["corpus_fingerprint"]


def test_shipped_base_is_a_plain_hf_directory_within_40_mb(card):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = base_dir()
    assert (path / "model.safetensors").stat().st_size <= 40 * 2**20
    assert weights_sha256(path) == card["weights_sha256"]
    model = AutoModelForCausalLM.from_pretrained(path)
    tok = AutoTokenizer.from_pretrained(path)
    assert model.num_parameters() == card["parameters"] and tok.chat_template
    assert not list(path.glob("*.bin")) and not list(path.glob("*.pt")) and not list(path.glob("*.pkl"))


def test_card_records_how_it_was_made(card):
    assert card["command"] == "rxalign pretrain -c configs/testbed-base.yaml"
    assert card["training"]["tokens"] > 1e6 and 0 < card["training"]["val_loss"] < 3
    probe = card["probe"]
    assert set(probe["heldout_accuracy"]) == {"interaction", "renal", "hepatic", "pgx", "allergy"}
    md = (base_dir() / "README.md").read_text(encoding="utf-8")
    assert card["corpus_fingerprint"][:16] in md and "| interaction |" in md


def test_pipeline_starts_sft_from_the_shipped_base_by_default():
    cfg = load_pipeline_config(None)
    assert cfg.base_model == "shipped"
    assert fingerprint(corpus_of(cfg.data)) == read_card()["corpus_fingerprint"]  # the bundled data settings
    assert stage_configs(cfg)["sft"].model_path == base_dir()


def test_pipeline_refuses_data_settings_that_change_the_corpus(monkeypatch, capsys, tmp_path):
    out = tmp_path / "run"
    code, _, err = run_main(monkeypatch, capsys, "pipeline", "--set", "data.seed=1", "--out", str(out), "-q")
    assert code == 2 and "fingerprint" in err and "base_model: scratch" in err and "Traceback" not in err
    assert not out.exists()


def test_pretrain_settings_without_scratch_are_refused(monkeypatch, capsys, tmp_path):
    code, _, err = run_main(
        monkeypatch, capsys, "pipeline", "--set", "pretrain.train.max_steps=3", "--out", str(tmp_path / "r")
    )
    assert code == 2 and "pretraining runs only with base_model: scratch" in err
    bad = tmp_path / "p.yaml"
    bad.write_text("name: x\npretrain:\n  train: {max_steps: 3}\n")
    code, _, err = run_main(monkeypatch, capsys, "pipeline", str(bad), "--out", str(tmp_path / "r"))
    assert code == 2 and f"{bad}:2:" in err
