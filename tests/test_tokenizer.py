"""Tokenizer: byte-level round trip, distinct special tokens, and the chat template as the one prompt format."""

import pytest
from transformers import AutoTokenizer

from rxalign.models.tokenizer import BOS, EOS, PAD


@pytest.mark.parametrize(
    "text", ["Warfarin 5 mg once daily.", "eGFR <30: avoid — 0.5 µg/kg, naïve 😀", "  two  spaces\n\ttab", ""]
)
def test_round_trip_is_exact(tokenizer, text):
    assert tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"]) == text


def test_special_tokens_are_distinct_and_single(tokenizer):
    ids = {tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id}
    assert len(ids) == 3 and None not in ids
    assert (tokenizer.pad_token, tokenizer.bos_token, tokenizer.eos_token) == (PAD, BOS, EOS)
    for token in (PAD, BOS, EOS, "<|user|>", "<|assistant|>", "<|system|>"):
        assert len(tokenizer(token, add_special_tokens=False)["input_ids"]) == 1


def test_chat_template_renders_exactly(tokenizer):
    messages = [
        {"role": "system", "content": "Be precise."},
        {"role": "user", "content": "Warfarin + ibuprofen?"},
        {"role": "assistant", "content": "Major interaction."},
    ]
    assert tokenizer.apply_chat_template(messages, tokenize=False) == (
        "<|bos|><|system|>\nBe precise.\n<|user|>\nWarfarin + ibuprofen?\n<|assistant|>\nMajor interaction.<|eos|>"
    )
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    assert prompt == "<|bos|><|system|>\nBe precise.\n<|user|>\nWarfarin + ibuprofen?\n<|assistant|>\n"


def test_prompt_ids_are_a_prefix_of_full_ids(tokenizer):
    messages = [
        {"role": "user", "content": "Metformin in cirrhosis?"},
        {"role": "assistant", "content": "Avoid: lactic acidosis."},
    ]
    prompt = tokenizer.apply_chat_template(messages[:1], add_generation_prompt=True, tokenize=True)[
        "input_ids"
    ]
    full = tokenizer.apply_chat_template(messages, tokenize=True)["input_ids"]
    assert full[: len(prompt)] == prompt
    assert full[-1] == tokenizer.eos_token_id and full.count(tokenizer.eos_token_id) == 1


def test_unknown_role_is_rejected(tokenizer):
    with pytest.raises(Exception, match="unknown role: doctor"):
        tokenizer.apply_chat_template([{"role": "doctor", "content": "x"}], tokenize=False)


def test_save_and_reload_keeps_tokens_and_template(tokenizer, tmp_path):
    tokenizer.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path)
    assert again.chat_template == tokenizer.chat_template
    assert (again.pad_token_id, again.bos_token_id, again.eos_token_id) == (
        tokenizer.pad_token_id,
        tokenizer.bos_token_id,
        tokenizer.eos_token_id,
    )
    text = "Codeine: CYP2D6 poor metabolizer."
    assert again(text)["input_ids"] == tokenizer(text)["input_ids"]
