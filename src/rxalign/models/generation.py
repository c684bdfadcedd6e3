"""Batched answer generation for evaluation, SFT samples, DPO samples and active learning: the chat template, left padding, KV cache, greedy or seeded sampling."""

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


def rollout(policy, tokenizer, prompts: list[str], *, temperature: float, max_new_tokens: int, device):
    """Sample one response per prompt (pure sampling at `temperature`: PPO's sampler). Returns input_ids (B, P+R), attention_mask, prompt width P, response
    mask (B, R) (1 up to and including EOS), and which responses ended with EOS."""
    texts = render_prompts(tokenizer, prompts)
    encoded = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]
    width = max(len(e) for e in encoded)
    pad, eos = tokenizer.pad_token_id, tokenizer.eos_token_id
    prompt_ids = torch.tensor([[pad] * (width - len(e)) + e for e in encoded], device=device)
    prompt_mask = torch.tensor([[0] * (width - len(e)) + [1] * len(e) for e in encoded], device=device)
    out = policy.generate(
        input_ids=prompt_ids,
        attention_mask=prompt_mask,
        do_sample=True,
        temperature=temperature,
        top_k=0,
        top_p=1.0,
        max_new_tokens=max_new_tokens,
        pad_token_id=pad,
        eos_token_id=eos,
        use_cache=True,
    )
    response = out[:, width:]
    is_eos = response == eos
    ended = is_eos.any(-1)
    first_eos = torch.where(
        ended, is_eos.float().argmax(-1), torch.full_like(ended, response.size(1), dtype=torch.long)
    )
    steps = torch.arange(response.size(1), device=device)[None, :]
    response_mask = (steps <= first_eos[:, None]).long() & (steps < response.size(1)).long()
    response = torch.where(response_mask.bool(), response, torch.full_like(response, pad))
    return (
        torch.cat([prompt_ids, response], 1),
        torch.cat([prompt_mask, response_mask], 1),
        width,
        response_mask,
        ended,
    )
