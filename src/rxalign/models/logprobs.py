"""Log-probabilities of token sequences under a causal LM: PPO's per-token response log-probs (with the positions
that make left padding invisible) and DPO's summed log-probs of the labelled tokens, computed without the full
(N, T, V) logits."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from rxalign.losses import IGNORE_INDEX, entropy_from_logits


def positions(attention_mask: torch.Tensor) -> torch.Tensor:
    """Position ids that count real tokens only: left padding does not shift a prompt (as in generate)."""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


def response_logprobs(
    model, input_ids, attention_mask, prompt_width: int, temperature: float, with_entropy: bool = False
):
    """Log-probs (B, R) of the response tokens at `temperature`, and optionally the per-token entropy.

    input_ids = [left-padded prompt (P) | right-padded response (R)]; logits at P−1 … P+R−2 predict the
    response tokens."""
    logits = model(
        input_ids=input_ids, attention_mask=attention_mask, position_ids=positions(attention_mask)
    ).logits
    logits = logits[:, prompt_width - 1 : -1, :].float() / temperature  # (B, R, V)
    logprobs = torch.log_softmax(logits, dim=-1).gather(-1, input_ids[:, prompt_width:, None]).squeeze(-1)
    return (logprobs, entropy_from_logits(logits)) if with_entropy else logprobs


def _backbone_and_head(lm):
    """(decoder stack returning hidden states, output head) of a causal LM or of a peft model around one."""
    from peft import PeftModel

    inner = lm.get_base_model() if isinstance(lm, PeftModel) else lm
    return inner.base_model, inner.get_output_embeddings(), inner.config


class SequenceLogps(torch.nn.Module):
    """Wraps a causal LM; forward returns each sequence's summed log-prob of its labelled tokens and their count.

    The decoder runs to hidden states; only the M positions whose next token is labelled go through the output
    head, so logits are (M, V), not (N, T, V). Being the module the training loop prepares, it keeps DDP's
    forward hooks on the path.
    """

    def __init__(self, lm: torch.nn.Module):
        super().__init__()
        self.lm = lm

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        backbone, head, config = _backbone_and_head(self.lm)
        targets = labels[:, 1:]  # (N, T-1): position t predicts token t+1
        keep = targets != IGNORE_INDEX
        rows, cols = keep.nonzero(as_tuple=True)  # (M,), (M,)
        hidden = backbone(
            input_ids=input_ids, attention_mask=attention_mask, use_cache=False
        ).last_hidden_state  # (N, T, H)
        logits = head(hidden[rows, cols]).float()  # (M, V)
        if getattr(config, "logit_scale", None):  # Cohere-style scaled logits
            logits = logits * config.logit_scale
        if getattr(config, "final_logit_softcapping", None):  # Gemma-2-style soft-capped logits
            cap = config.final_logit_softcapping
            logits = torch.tanh(logits / cap) * cap
        token_logps = -F.cross_entropy(logits, targets[rows, cols], reduction="none")  # (M,)
        logps = torch.zeros(input_ids.size(0), device=token_logps.device).index_add(0, rows, token_logps)
        return logps, keep.sum(1)  # (N,), (N,)

    # for the loop's FLOPs count
    def get_input_embeddings(self):
        return self.lm.get_input_embeddings()

    def get_output_embeddings(self):
        return self.lm.get_output_embeddings()


def full_logits_logps(lm, input_ids, attention_mask, labels) -> tuple[torch.Tensor, torch.Tensor]:
    """The same as `SequenceLogps` from the model's full (N, T, V) logits: the reference the tests compare with."""
    logits = lm(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1].float()  # (N, T-1, V)
    targets = labels[:, 1:]
    keep = targets != IGNORE_INDEX
    token_logps = torch.gather(logits.log_softmax(-1), 2, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (token_logps * keep).sum(1), keep.sum(1)
