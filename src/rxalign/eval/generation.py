"""Batched answer generation for evaluation: the chat template, left padding, KV cache, greedy or seeded sampling."""

from __future__ import annotations

import torch

from rxalign import ui


def render_prompts(tokenizer, prompts: list[str | list[dict]]) -> list[str]:
    """Each prompt (a question, or the turns of a conversation so far) through the chat template, ending
    with the assistant header: the chat template is the one prompt format."""
    return [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": p}] if isinstance(p, str) else p,
            tokenize=False,
            add_generation_prompt=True,
        )
        for p in prompts
    ]


@torch.no_grad()
def generate(
    model,
    tokenizer,
    prompts: list[str | list[dict]],
    *,
    max_new_tokens: int = 128,
    batch_size: int = 16,
    do_sample: bool = False,
    temperature: float = 1.0,
    seed: int = 0,
    description: str = "generate",
) -> list[str]:
    """Answers to `prompts`, in order. Prompts are batched by length (less padding); sampling, when asked for,
    is pure sampling at `temperature` (no top-k / top-p), seeded."""
    model.eval()
    device = next(model.parameters()).device
    texts = render_prompts(tokenizer, prompts)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    encoded = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    answers: list[str] = [""] * len(prompts)
    generator_state = torch.get_rng_state()
    torch.manual_seed(seed)
    with ui.progress(description, total=len(prompts)) as bar:
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            width = max(len(encoded[i]) for i in idx)
            input_ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
            attention_mask = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):  # left padding: every prompt ends where generation starts
                input_ids[row, width - len(encoded[i]) :] = torch.tensor(encoded[i])
                attention_mask[row, width - len(encoded[i]) :] = 1
            out = model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention_mask.to(device),
                max_new_tokens=max_new_tokens,
                do_sample=do_sample,
                temperature=temperature if do_sample else None,
                top_k=0 if do_sample else None,
                top_p=1.0 if do_sample else None,
                pad_token_id=pad_id,
                eos_token_id=tokenizer.eos_token_id,
                use_cache=True,
            )
            for row, i in enumerate(idx):
                answers[i] = tokenizer.decode(out[row, width:], skip_special_tokens=True).strip()
            bar.update(advance=len(idx))
    torch.set_rng_state(generator_state)  # evaluation leaves the caller's random stream untouched
    return answers
