"""Models: presets, and loading each family from a local directory (never a hub download)."""

import json

import pytest
import torch

from rxalign.errors import UserError
from rxalign.models.load import PRESETS, build_model, count_parameters, load_causal_lm, load_tokenizer


@pytest.mark.parametrize("family", ["llama", "qwen2", "mistral", "gpt2"])
def test_load_each_family_from_local_dir(tiny_model_dirs, family):
    model = load_causal_lm(tiny_model_dirs[family])
    tok = load_tokenizer(tiny_model_dirs[family])
    ids = torch.tensor([tok("warfarin", add_special_tokens=False)["input_ids"]])
    assert model(input_ids=ids).logits.shape == (1, ids.shape[1], len(tok))
    assert model.config.model_type == family


@pytest.mark.parametrize("preset,low,high", [("tiny", 1e6, 3e6), ("small", 7e6, 13e6), ("base", 40e6, 60e6)])
def test_preset_sizes(preset, low, high):
    class Vocab:  # the size presets are documented for a 2k-8k vocabulary
        pad_token_id, bos_token_id, eos_token_id = 0, 1, 2

        def __len__(self):
            return {"tiny": 2048, "small": 4096, "base": 8192}[preset]

    model = build_model(preset, Vocab(), max_positions=256)
    assert low <= count_parameters(model) <= high
    assert model.config.hidden_size == PRESETS[preset]["hidden_size"]
    assert (model.config.pad_token_id, model.config.bos_token_id, model.config.eos_token_id) == (0, 1, 2)


def test_missing_path(tmp_path):
    with pytest.raises(UserError, match=r"model.path: .*nope does not exist"):
        load_causal_lm(tmp_path / "nope")


def test_directory_without_config(tmp_path):
    (tmp_path / "weights.bin").write_text("x")
    with pytest.raises(UserError, match="is not a Hugging Face model directory"):
        load_causal_lm(tmp_path)


def test_file_instead_of_directory(tmp_path):
    f = tmp_path / "model.safetensors"
    f.write_text("x")
    with pytest.raises(UserError, match="is a file"):
        load_causal_lm(f)


def test_config_without_weights_or_unknown_type(tmp_path, tiny_model_dirs):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "not-a-model"}))
    with pytest.raises(UserError, match="could not be loaded as a causal LM"):
        load_causal_lm(tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((tiny_model_dirs["llama"] / "config.json").read_text())
    (broken / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(UserError, match="could not be loaded as a causal LM"):
        load_causal_lm(broken)
