"""Config validation: unknown keys, wrong types, overrides, and the messages that name file, line and key."""

from pathlib import Path

import pytest
import yaml

from rxalign.config import PretrainConfig, bundled_config_path, dump_config, fingerprint, load_config
from rxalign.errors import UserError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


def test_bundled_default_loads_and_equals_model_defaults():
    cfg = load_config(PretrainConfig, None, stage="pretrain")
    assert cfg.model.preset == "tiny" and cfg.train.max_steps > 0
    assert bundled_config_path("pretrain").is_file()


def test_unknown_key_names_file_line_key_and_expected(tmp_path):
    path = write(tmp_path, "seed: 1\ntrain:\n  lr: 0.001\n  lrr: 0.002\n")
    with pytest.raises(UserError) as e:
        load_config(PretrainConfig, path, stage="pretrain")
    msg = str(e.value)
    assert msg.startswith(f"{path}:4: train.lrr: unknown key")
    assert "lr" in msg and "max_steps" in msg  # lists the keys that are allowed there
    assert "\n" not in msg


def test_unknown_top_level_section(tmp_path):
    path = write(tmp_path, "seed: 1\noptimizer:\n  lr: 1\n")
    with pytest.raises(
        UserError,
        match=rf"{path}:2: optimizer: unknown key \(expected one of: data, model, out, seed, tokenizer, train\)",
    ):
        load_config(PretrainConfig, path, stage="pretrain")


def test_wrong_type_names_expected_type_and_value(tmp_path):
    path = write(tmp_path, "train:\n  max_steps: many\n")
    with pytest.raises(UserError) as e:
        load_config(PretrainConfig, path, stage="pretrain")
    assert str(e.value).startswith(f"{path}:2: train.max_steps: Input should be a valid integer")
    assert "'many'" in str(e.value)


def test_out_of_range_value(tmp_path):
    path = write(tmp_path, "data:\n  val_fraction: 0.9\n")
    with pytest.raises(UserError, match=r":2: data.val_fraction: Input should be less than 0.5"):
        load_config(PretrainConfig, path, stage="pretrain")


def test_invalid_yaml_names_line(tmp_path):
    path = write(tmp_path, "train:\n  lr: [1,\n")
    with pytest.raises(UserError, match=rf"{path}:\d+: invalid YAML"):
        load_config(PretrainConfig, path, stage="pretrain")


def test_missing_config_file(tmp_path):
    with pytest.raises(UserError, match="config file does not exist"):
        load_config(PretrainConfig, tmp_path / "nope.yaml", stage="pretrain")


def test_dotted_overrides_parse_yaml_values(tmp_path):
    path = write(tmp_path, "train:\n  lr: 0.001\n")
    cfg = load_config(
        PretrainConfig,
        path,
        ["train.lr=3e-4", "model.preset=small", "train.adam_betas=[0.8, 0.9]", "data.corpus=x.txt"],
        stage="pretrain",
    )
    assert cfg.train.lr == 3e-4 and cfg.model.preset == "small" and cfg.train.adam_betas == (0.8, 0.9)
    assert cfg.data.corpus == Path("x.txt")


def test_bad_override_names_the_flag(tmp_path):
    with pytest.raises(UserError, match=r"^--set train.lrr=1: train.lrr: unknown key"):
        load_config(PretrainConfig, None, ["train.lrr=1"], stage="pretrain")
    with pytest.raises(UserError, match=r"^--set train.lr=fast: train.lr: Input should be a valid number"):
        load_config(PretrainConfig, None, ["train.lr=fast"], stage="pretrain")
    with pytest.raises(UserError, match="expected KEY=VALUE"):
        load_config(PretrainConfig, None, ["train.lr"], stage="pretrain")
    with pytest.raises(UserError, match="is a value, not a section"):
        load_config(PretrainConfig, None, ["seed.x=1"], stage="pretrain")


def test_resolved_config_round_trips_and_fingerprint_ignores_out(tmp_path):
    cfg = load_config(PretrainConfig, None, ["train.lr=1e-3"], stage="pretrain")
    again = PretrainConfig.model_validate(yaml.safe_load(dump_config(cfg)))
    assert again == cfg
    moved = cfg.model_copy(update={"out": tmp_path / "elsewhere"})
    assert fingerprint(moved) == fingerprint(cfg)
    assert fingerprint(cfg.model_copy(update={"seed": 5})) != fingerprint(cfg)
