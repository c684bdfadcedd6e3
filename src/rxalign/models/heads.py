"""Reward models: a scalar head on a causal-LM backbone (a plain `AutoModelForSequenceClassification`), the
reward read at the last real token, and the ensemble API (mean, spread, conservative aggregates)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification

from rxalign.data.collate import pad_right
from rxalign.errors import UserError
from rxalign.models.load import check_model_dir, load_tokenizer


def load_reward_model(path: Path, field: str = "model_path", seed: int = 0):
    """A one-output sequence classifier on the backbone at `path`; a new head is initialised from `seed`."""
    check_model_dir(path, field)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.manual_seed(seed)
    try:
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1, local_files_only=True)
    except Exception as e:  # a broken directory surfaces as many types
        raise UserError(
            f"{field}: {path} could not be loaded as a reward model: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        ) from None
    return model


def last_token_index(attention_mask: torch.Tensor) -> torch.Tensor:
    """(B,) index of the last real token of each row, for left or right padding alike."""
    T = attention_mask.size(1)
    return T - 1 - attention_mask.flip(-1).long().argmax(-1)


def sequence_rewards(model, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """(B,) the scalar head applied to the hidden state at each row's last real token (its EOS).

    Found from the attention mask, not from pad ids, so it is right when pad == eos or with left padding.
    """
    # Positions count real tokens only, so a left-padded row is scored exactly like its right-padded twin.
    position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
    hidden = model.base_model(
        input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids
    ).last_hidden_state  # (B, T, H)
    rows = torch.arange(hidden.size(0), device=hidden.device)
    return model.score(hidden[rows, last_token_index(attention_mask)]).squeeze(-1).float()  # (B,)


def encode_responses(tokenizer, prompts: list[str], responses: list[str], max_length: int) -> list[list[int]]:
    """Each (prompt, response) as a conversation through the chat template, ending with the response's EOS."""
    ids = []
    for p, r in zip(prompts, responses, strict=True):
        messages = [{"role": "user", "content": p}, {"role": "assistant", "content": r}]
        ids.append(
            tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"][:max_length]
        )
    return ids


@dataclass
class EnsembleScores:
    """Per text: the members' (K, N) centred rewards and their aggregates."""

    members: torch.Tensor  # (K, N)

    @property
    def mean(self) -> torch.Tensor:
        return self.members.mean(0)

    @property
    def std(self) -> torch.Tensor:
        return (
            self.members.std(0, unbiased=False) if self.members.size(0) > 1 else torch.zeros_like(self.mean)
        )

    def lower_bound(self, lam: float = 1.0) -> torch.Tensor:
        """mean − λ·std: a conservative reward that distrusts texts the members disagree on."""
        return self.mean - lam * self.std

    @property
    def min(self) -> torch.Tensor:
        return self.members.min(0).values

    def aggregate(self, rule: str, lam: float = 1.0) -> torch.Tensor:
        return {"mean": lambda: self.mean, "lcb": lambda: self.lower_bound(lam), "min": lambda: self.min}[
            rule
        ]()


class RewardEnsemble:
    """K reward models saved together (`member-k/` directories and `ensemble.json` with their offsets)."""

    def __init__(self, members: list, offsets: list[float], tokenizer, max_length: int = 512):
        self.members, self.offsets, self.tokenizer, self.max_length = members, offsets, tokenizer, max_length

    @classmethod
    def load(cls, path: Path, device: str | torch.device = "cpu") -> RewardEnsemble:
        path = Path(path)
        meta_path = path / "ensemble.json"
        if not meta_path.is_file():
            raise UserError(f"{path}: not a reward ensemble (no ensemble.json)")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        members = [
            load_reward_model(path / m["dir"], field="reward ensemble").to(device).eval()
            for m in meta["members"]
        ]
        return cls(
            members,
            [m["offset"] for m in meta["members"]],
            load_tokenizer(path / meta["members"][0]["dir"]),
            meta.get("max_length", 512),
        )

    @torch.no_grad()
    def score(self, prompts: list[str], responses: list[str], batch_size: int = 32) -> EnsembleScores:
        """Centred rewards of every member for each (prompt, response)."""
        ids = encode_responses(self.tokenizer, prompts, responses, self.max_length)
        return self.score_ids(ids, batch_size)

    @torch.no_grad()
    def score_ids(self, ids: list[list[int]], batch_size: int = 32) -> EnsembleScores:
        out = []
        for model, offset in zip(self.members, self.offsets, strict=True):
            device = next(model.parameters()).device
            rewards = []
            for start in range(0, len(ids), batch_size):
                input_ids, attention_mask = pad_batch(
                    ids[start : start + batch_size], self.tokenizer.pad_token_id
                )
                rewards.append(sequence_rewards(model, input_ids.to(device), attention_mask.to(device)).cpu())
            out.append(torch.cat(rewards) - offset)
        return EnsembleScores(torch.stack(out))  # (K, N)


def pad_batch(ids: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded (B, T) input ids and attention mask."""
    return pad_right(ids, pad_id), pad_right([[1] * len(x) for x in ids], 0)
