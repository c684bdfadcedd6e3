"""`rxalign probe MODEL`: what a model knows and whether it reads its context, from log-probabilities alone
(no generation, so no decoding choice can flatter or hide it).

Knowledge: each fact of the knowledge base asked as the corpus's short-answer question ("Question: How severe is
the interaction between A and B?\\nAnswer:"), every value of its kind scored as the continuation; the model's
answer is the value with the highest summed log-probability. Reported per fact kind for training-side questions
(their question-answer text is in the corpus) and for held-out drugs (only their monographs are), beside chance
(1 / number of values) and the majority baseline (always answering the side's most frequent value).

Copy: note + summary pairs drawn as the DPO triplets are (rxalign.data.notes.make_triplets, a probe seed of their
own). Copy gain = log p(summary | its note) - log p(summary | another patient's note), in nats per summary. Field
copy = how often the faithful summary outscores the one with one detail changed (drug, dose, unit, frequency,
side, date, negation), given the note; the same comparison given another patient's note is the note-blind
score: above 50% there, the changed detail is implausible on its own, and a DPO pair built on it teaches
plausibility, not faithfulness.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from pathlib import Path

import torch

from rxalign import ui
from rxalign.data import notes
from rxalign.data.collate import pad_right
from rxalign.data.corpus import FACT_LABELS, PROBE_KINDS, fact_value, note_document, probe_question
from rxalign.data.generate import GenerateConfig, testbed_splits, training_side
from rxalign.data.kb import KnowledgeBase, load_kb
from rxalign.losses import IGNORE_INDEX
from rxalign.models.logprobs import SequenceLogps

FIELDS = {  # DPO perturbation kind -> the note field it changes
    "drug_swap": "drug",
    "dose_change": "dose",
    "unit_change": "unit",
    "frequency_change": "frequency",
    "laterality": "side",
    "date_change": "date",
    "negation_flip": "negation",
}
PROBE_NOTES_SEED = 2_654_435_761  # notes of the probe's own: not corpus, SFT, DPO or evaluation notes


@torch.no_grad()
def continuation_logps(
    model, tokenizer, pairs: list[tuple[str, str]], batch_size: int = 32, description: str = "probe"
) -> list[float]:
    """Summed log p(continuation | BOS + prompt) for each (prompt, continuation), the two tokenised apart (so
    the prompt's tokens are exactly those it has alone), right-padded in batches."""
    bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    scorer = SequenceLogps(model.eval())
    device = next(model.parameters()).device
    encode = _memo(lambda text: tokenizer(text, add_special_tokens=False)["input_ids"])  # prompts repeat
    out: list[float] = []
    with ui.progress(description, total=len(pairs)) as bar:
        for start in range(0, len(pairs), batch_size):
            batch = pairs[start : start + batch_size]
            out += _score_batch(scorer, encode, batch, bos, pad, device)
            bar.update(advance=len(batch))
    return out


def _memo(fn):
    cache: dict = {}
    return lambda x: cache[x] if x in cache else cache.setdefault(x, fn(x))


def _score_batch(scorer, encode, pairs, bos: int, pad: int, device) -> list[float]:
    ids, labels = [], []
    for prompt, continuation in pairs:
        p, c = [bos, *encode(prompt)], encode(continuation)
        ids.append(p + c)
        labels.append([IGNORE_INDEX] * len(p) + c)
    input_ids, label_ids = pad_right(ids, pad).to(device), pad_right(labels, IGNORE_INDEX).to(device)
    mask = pad_right([[1] * len(s) for s in ids], 0).to(device)
    logps, _ = scorer(input_ids, mask, label_ids)
    return logps.float().tolist()


def knowledge_items(cfg: GenerateConfig, kb: KnowledgeBase) -> dict[str, list]:
    """{"trained": questions whose answers the corpus holds, "heldout": questions about held-out drugs}, probe
    kinds only."""
    _, splits = testbed_splits(cfg, kb)
    return {
        "trained": [i for i in training_side(splits) if i.task in PROBE_KINDS],
        "heldout": [i for i in splits["eval"] if i.task in PROBE_KINDS],
    }


def knowledge_probe(model, tokenizer, kb: KnowledgeBase, cfg: GenerateConfig, batch_size: int = 32) -> dict:
    """{side: {kind: {accuracy, n, chance, majority}}} and the per-question answers."""
    sides = knowledge_items(cfg, kb)
    pairs, index = [], []
    for side, items in sides.items():
        for item in items:
            prompt = probe_question(item, kb)
            for value, label in FACT_LABELS[item.task].items():
                pairs.append((prompt, f" {label}"))
                index.append((side, item, value))
    logps = continuation_logps(model, tokenizer, pairs, batch_size, "probe facts")
    best: dict[tuple[str, str], tuple[float, str]] = {}
    for (side, item, value), lp in zip(index, logps, strict=True):
        key = (side, item.id)
        if key not in best or lp > best[key][0]:
            best[key] = (lp, value)
    results: dict[str, dict] = {}
    for side, items in sides.items():
        by_kind: dict[str, list] = defaultdict(list)
        for item in items:
            by_kind[item.task].append((fact_value(item), best[(side, item.id)][1]))
        results[side] = {}
        for kind in PROBE_KINDS:
            rows = by_kind.get(kind, [])
            if not rows:
                continue
            truths = Counter(t for t, _ in rows)
            results[side][kind] = {
                "accuracy": sum(t == p for t, p in rows) / len(rows),
                "n": len(rows),
                "chance": 1 / len(FACT_LABELS[kind]),
                "majority": truths.most_common(1)[0][1] / len(rows),
                "predicted": dict(Counter(p for _, p in rows)),
            }
    return results


def copy_probe(model, tokenizer, n_notes: int = 140, batch_size: int = 16) -> dict:
    """Copy gain (nats per summary) and, per DPO perturbation kind, field copy given the note and note-blind."""
    rows = notes.make_triplets(n_notes, PROBE_NOTES_SEED)
    prompt = [note_document(r["note"], "").rstrip() for r in rows]  # "Clinical note:\n...\n\nSummary:"
    other = prompt[1:] + prompt[:1]  # another patient's note
    pairs = []
    for own, foreign, r in zip(prompt, other, rows, strict=True):
        pairs += [
            (own, " " + r["chosen"]),
            (own, " " + r["rejected"]),
            (foreign, " " + r["chosen"]),
            (foreign, " " + r["rejected"]),
        ]
    lp = continuation_logps(model, tokenizer, pairs, batch_size, "probe notes")
    gains, faithful, blind = [], defaultdict(list), defaultdict(list)
    for k, r in enumerate(rows):
        own_c, own_r, other_c, other_r = lp[4 * k : 4 * k + 4]
        gains.append(own_c - other_c)
        faithful[r["perturbation"]].append(own_c > own_r)
        blind[r["perturbation"]].append(other_c > other_r)
    return {
        "notes": len(rows),
        "copy_gain_nats": sum(gains) / len(gains),
        "field_copy": sum(sum(v) for v in faithful.values()) / len(rows),
        "by_field": {
            FIELDS[kind]: {
                "kind": kind,
                "n": len(faithful[kind]),
                "with_note": sum(faithful[kind]) / len(faithful[kind]),
                "note_blind": sum(blind[kind]) / len(blind[kind]),
            }
            for kind in FIELDS
            if faithful.get(kind)
        },
    }


def probe(
    model_dir: Path, cfg: GenerateConfig | None = None, n_notes: int = 140, batch_size: int = 32
) -> dict:
    """Knowledge and copy probes of the causal LM in `model_dir` (fp32 on CPU, bf16 on a GPU)."""
    from rxalign.models.load import load_causal_lm, load_tokenizer

    cfg = cfg or GenerateConfig()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = load_tokenizer(model_dir, field="MODEL")
    model = load_causal_lm(
        model_dir, field="MODEL", dtype=torch.bfloat16 if device == "cuda" else torch.float32
    ).to(device)
    kb = load_kb()
    return {
        "model": str(model_dir),
        "data_seed": cfg.seed,
        "knowledge": knowledge_probe(model, tokenizer, kb, cfg, batch_size),
        "copy": copy_probe(model, tokenizer, n_notes, max(1, batch_size // 2)),
    }


def table(result: dict) -> str:
    """Markdown tables of a probe result: knowledge per kind and side, then copying per field."""
    know = result["knowledge"]
    lines = [
        "| fact kind | training-side | held-out drugs | chance | held-out majority |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind in PROBE_KINDS:
        t, h = know.get("trained", {}).get(kind), know.get("heldout", {}).get(kind)
        if not (t or h):
            continue
        cell = lambda r: f"{100 * r['accuracy']:.1f}% (n={r['n']})" if r else "–"  # noqa: E731
        ref = t or h
        lines.append(
            f"| {kind} | {cell(t)} | {cell(h)} | {100 * ref['chance']:.0f}% | "
            + (f"{100 * h['majority']:.0f}% |" if h else "– |")
        )
    c = result["copy"]
    lines += [
        "",
        f"Copy gain: {c['copy_gain_nats']:.2f} nats per summary "
        f"(log p(summary | own note) - log p(summary | another note), {c['notes']} notes).",
        f"Field copy (faithful summary preferred, given the note): {100 * c['field_copy']:.1f}%.",
        "",
        "| field | with the note | note-blind (another note) | n |",
        "| --- | --- | --- | --- |",
    ]
    for field, r in c["by_field"].items():
        lines.append(f"| {field} | {100 * r['with_note']:.1f}% | {100 * r['note_blind']:.1f}% | {r['n']} |")
    return "\n".join(lines)


def headline(result: dict) -> dict:
    """The figures a model card quotes: held-out and training-side accuracy per kind, copy gain, field copy."""
    know, c = result["knowledge"], result["copy"]
    return {
        "heldout_accuracy": {k: round(v["accuracy"], 4) for k, v in know.get("heldout", {}).items()},
        "trained_accuracy": {k: round(v["accuracy"], 4) for k, v in know.get("trained", {}).items()},
        "copy_gain_nats": round(c["copy_gain_nats"], 3),
        "field_copy": round(c["field_copy"], 4),
        "note_blind": {f: round(r["note_blind"], 4) for f, r in c["by_field"].items()},
        "min_heldout_accuracy": round(
            min((v["accuracy"] for v in know.get("heldout", {}).values()), default=math.nan), 4
        ),
    }
