"""Seeded generators for every dataset of the bundled testbed (`rxalign data generate`): pretraining corpus,
SFT pairs, annotated preference pairs, PPO prompts, DPO summarisation triplets and held-out evaluation sets.

Held out by entity AND phrasing: a share of drugs appears only in the pretraining corpus (knowledge) and the
evaluation sets, never in SFT, preference, PPO or DPO data (behaviour); evaluation questions use phrasings no
training file uses. `check_leakage` proves no evaluation prompt reaches a training file.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rxalign.data import notes
from rxalign.data.annotators import AnnotatorConfig, agreement, batch_agreements, majority, simulate_votes
from rxalign.data.corpus import corpus_documents
from rxalign.data.corpus import fingerprint as corpus_fingerprint
from rxalign.data.kb import KnowledgeBase, load_kb
from rxalign.data.qa import (
    CONFUSED,
    OFF_TOPIC,
    TEMPLATES,
    TIERS,
    Item,
    answer,
    build_items,
    confusion,
    utility,
)
from rxalign.io import write_jsonl

# The seed guide's five showcase drugs stay in the training pool, as in the guide.
SHOWCASE_DRUGS = ("warfarin", "ibuprofen", "metformin", "codeine", "gabapentin", "amoxicillin", "cephalexin")


class GenerateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = Field(
        0, description="drives every choice: held-out drugs, splits, tiers, phrasings, annotator votes"
    )
    heldout_drug_fraction: float = Field(
        0.2, ge=0.0, lt=1.0, description="share of drugs seen only in the corpus and evaluation"
    )
    split: dict[str, float] = Field(
        {"sft": 0.45, "preference": 0.35, "ppo": 0.12, "val": 0.08},
        description="shares of training-entity questions for SFT, preference pairs, PPO prompts and validation",
    )
    sft_phrasings: int = Field(3, ge=1, description="training phrasings rendered per SFT question")
    sft_mix: dict[str, float] = Field(
        {"expert": 0.5, "partial": 0.25, "vague": 0.25},
        description="quality mix of SFT demonstrations (tiers: expert, partial, vague, hedging)",
    )
    pairs_per_question: int = Field(2, ge=1, description="preference pairs drawn per preference question")
    off_topic_share: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of preference pairs whose rejected answer is an expert answer to a different question "
        "(teaches reward models relevance; hard for the tiny default model: see README)",
    )
    confused_pairs_per_question: int = Field(
        0,
        ge=0,
        description="extra preference pairs per preference question: the expert or partial answer against a "
        "'confused' one, expert-formatted with one wrong fact (another eGFR band's dose, the opposite severity "
        "or recommendation, a tenfold paediatric dose), so reward models check facts, not format (off by "
        "default: on the tiny model PPO did not gain from it; see README)",
    )
    annotators: AnnotatorConfig = Field(
        AnnotatorConfig(flip_rate=0.1, noise_sd=0.3, length_bias=0.1), description="simulated annotators"
    )
    corpus_phrasings: int = Field(
        12,
        ge=1,
        description="copies of every drug's monograph in the pretraining corpus, each with its sentence templates "
        "drawn afresh and its sentences shuffled (knowledge augmentation; see rxalign.data.corpus)",
    )
    corpus_qa_copies: int = Field(
        3,
        ge=0,
        description="copies of the question-and-answer sheets (training-side questions only, never a held-out "
        "drug) mixed into the pretraining corpus (mixed training); 0 leaves them out",
    )
    corpus_notes: int = Field(
        3000,
        ge=0,
        description="synthetic clinical notes, each followed by its factual summary, added to the pretraining "
        "corpus (notes of their own, apart from the SFT, DPO and evaluation notes), so that the model (and the "
        "tokenizer) sees notes and learns to copy their details before SFT",
    )
    sft_summaries: int = Field(
        300,
        ge=0,
        description="SFT demonstrations of clinical-note summaries (notes of their own, apart from the DPO and "
        "evaluation notes), so that the SFT model summarises before DPO teaches it not to hallucinate; a tenth "
        "more go to SFT validation",
    )
    dpo_notes: int = Field(600, ge=10, description="synthetic clinical notes for DPO triplets")
    dpo_val_fraction: float = Field(0.1, gt=0.0, lt=0.5, description="share of notes for DPO validation")
    dpo_eval_fraction: float = Field(
        0.1, gt=0.0, lt=0.5, description="share of notes held out for hallucination evaluation"
    )
    eval_max_questions: int = Field(300, ge=10, description="cap on held-out QA evaluation questions")

    @model_validator(mode="after")
    def _check(self):
        if set(self.split) != {"sft", "preference", "ppo", "val"} or abs(sum(self.split.values()) - 1) > 1e-6:
            raise ValueError("split needs keys sft, preference, ppo, val summing to 1")
        if (
            not set(self.sft_mix) <= {"expert", "partial", "vague", "hedging"}
            or abs(sum(self.sft_mix.values()) - 1) > 1e-6
        ):
            raise ValueError("sft_mix takes tiers expert, partial, vague, hedging with shares summing to 1")
        return self


# ---- splits ------------------------------------------------------------------------------------------------


def heldout_drugs(kb: KnowledgeBase, fraction: float, seed: int) -> set[str]:
    pool = sorted(d.id for d in kb.drugs if d.id not in SHOWCASE_DRUGS)
    rng = random.Random(f"heldout-{seed}")
    return set(rng.sample(pool, round(len(kb.drugs) * fraction)))


def split_items(
    items: list[Item], heldout: set[str], shares: dict[str, float], seed: int
) -> dict[str, list[Item]]:
    """Questions touching a held-out drug go to `eval`; the rest are shared out by `shares`, per task."""
    rng = random.Random(f"split-{seed}")
    out: dict[str, list[Item]] = {k: [] for k in (*shares, "eval")}
    for task in sorted({i.task for i in items}):
        pool = [i for i in items if i.task == task]
        out["eval"] += [i for i in pool if heldout & set(i.entities)]
        train = [i for i in pool if not heldout & set(i.entities)]
        rng.shuffle(train)
        start = 0
        for k, share in shares.items():
            n = round(len(train) * share) if k != list(shares)[-1] else len(train) - start
            out[k] += train[start : start + n]
            start += n
    return out


def _phrase(item: Item, which: str, rng: random.Random) -> str:
    return item.prompt(rng.choice(TEMPLATES[item.templates_key][which]))


def _truth_row(item: Item, prompt: str) -> dict:
    return {"id": item.id, "task": item.task, "prompt": prompt, "truth": item.truth}


# ---- datasets ---------------------------------------------------------------------------------------------


def sft_rows(items: list[Item], kb: KnowledgeBase, cfg: GenerateConfig, rng: random.Random) -> list[dict]:
    tiers, weights = zip(*cfg.sft_mix.items(), strict=True)
    rows = []
    for item in items:
        train_templates = TEMPLATES[item.templates_key]["train"]
        for template in rng.sample(train_templates, min(cfg.sft_phrasings, len(train_templates))):
            tier = rng.choices(tiers, weights)[0]
            prompt = item.prompt(template)
            rows.append(
                {
                    "id": item.id,
                    "prompt": prompt,
                    "completion": answer(item, kb, tier, rng),
                    "tier": tier,
                    "task": item.task,
                }
            )
    return rows


def preference_rows(
    items: list[Item], kb: KnowledgeBase, cfg: GenerateConfig, rng: random.Random
) -> list[dict]:
    """Two answers per pair from tiers of different quality, voted on by simulated annotators; label = majority."""
    votes_rng = np.random.default_rng(rng.getrandbits(64))
    rows = []
    for item in items:
        for _ in range(cfg.pairs_per_question):
            if rng.random() < cfg.off_topic_share:  # a good answer against an answer to another question
                t1, t2 = rng.choice([t for t in TIERS if utility(item, t) > 0]), OFF_TOPIC
            else:
                while True:
                    t1, t2 = rng.sample(TIERS, 2)
                    if utility(item, t1) != utility(item, t2):
                        break
            prompt = _phrase(item, "train", rng)
            texts = [_answer_or_off_topic(item, items, kb, t, rng) for t in (t1, t2)]
            rows.append(_voted_pair(item, prompt, (t1, t2), texts, cfg, votes_rng))
    return rows


def confused_rows(
    items: list[Item], kb: KnowledgeBase, cfg: GenerateConfig, rng: random.Random
) -> list[dict]:
    """`confused_pairs_per_question` pairs per item: the expert or partial answer against a confused one (same
    format, one wrong fact; see qa.confusion), voted on like every pair. Items with no confusion are skipped."""
    votes_rng = np.random.default_rng(rng.getrandbits(64))
    rows = []
    for item in items:
        if confusion(item, kb, random.Random(0)) is None:
            continue
        for _ in range(cfg.confused_pairs_per_question):
            tiers = (rng.choice(["expert", "partial"]), CONFUSED)
            if rng.random() < 0.5:
                tiers = tiers[::-1]
            prompt = _phrase(item, "train", rng)
            texts = [answer(item, kb, t, rng) for t in tiers]
            rows.append(_voted_pair(item, prompt, tiers, texts, cfg, votes_rng))
    return rows


def _voted_pair(
    item: Item,
    prompt: str,
    tiers: tuple[str, str],
    texts: list[str],
    cfg: GenerateConfig,
    votes_rng: np.random.Generator,
) -> dict:
    (t1, t2), (text_a, text_b) = tiers, texts
    gold_a, gold_b = utility(item, t1), utility(item, t2)
    votes_ab = simulate_votes(gold_a, gold_b, text_a, text_b, cfg.annotators, votes_rng)  # 0 = A, 1 = B
    winner = majority(votes_ab)
    chosen, rejected = (text_a, text_b) if winner == 0 else (text_b, text_a)
    return {
        "id": item.id,
        "task": item.task,
        "prompt": prompt,
        "chosen": chosen,
        "rejected": rejected,
        "votes": [int(v == winner) for v in votes_ab],  # 1 = this annotator preferred `chosen`
        "chosen_shown_first": winner == 0,
        "votes_ab": votes_ab,
        "tiers": {"chosen": (t1, t2)[winner], "rejected": (t2, t1)[winner]},
        "gold_chosen_better": (gold_a > gold_b) == (winner == 0),
    }


def _answer_or_off_topic(
    item: Item, items: list[Item], kb: KnowledgeBase, tier: str, rng: random.Random
) -> str:
    if tier != OFF_TOPIC:
        return answer(item, kb, tier, rng)
    other = rng.choice([i for i in items if i.task != item.task] or [i for i in items if i.id != item.id])
    return answer(other, kb, "expert", rng)


def annotate_batches(rows: list[dict], cfg: AnnotatorConfig) -> dict:
    """Fleiss' κ per batch (κ is defined over a batch of items, not per item) and overall; marks each row."""
    votes = [r["votes_ab"] for r in rows]
    batches = batch_agreements(votes, cfg.batch_size, cfg.kappa_threshold)
    for i, r in enumerate(rows):
        b = batches[i // cfg.batch_size]
        r["batch"], r["batch_kappa"], r["batch_passes_kappa"] = (
            i // cfg.batch_size,
            b.kappa,
            b.passes_threshold,
        )
    overall = agreement(votes, cfg.kappa_threshold)
    return {
        "overall": vars(overall),
        "majority_matches_gold": sum(r["gold_chosen_better"] for r in rows) / len(rows),
        "batches": [vars(b) for b in batches],
        "batches_below_threshold": sum(not b.passes_threshold for b in batches),
    }


def showcase_rows(kb: KnowledgeBase) -> list[dict]:
    """The seed guide's five queries, worded as in the guide, each with its structured truth; the hepatic one names
    its Child-Pugh class (the guide's "Metformin in cirrhosis?" has no single right answer across classes)."""
    items = {i.id: i for i in build_items(kb, random.Random(0))}
    picks = [
        ("How to adjust gabapentin for renal impairment?", "renal_all:gabapentin"),
        ("Warfarin + NSAIDs safe?", "interaction:warfarin+ibuprofen"),
        ("Metformin in decompensated cirrhosis (Child-Pugh C)?", "hepatic:metformin:C"),
        (
            "Penicillin allergy (immediate, IgE): can they have cephalexin?",
            "allergy:penicillin:ige:cephalexin",
        ),
        ("CYP2D6 poor metabolizer: codeine?", "pgx:codeine:CYP2D6:poor_metabolizer"),
    ]
    missing = [item_id for _, item_id in picks if item_id not in items]
    if missing:
        raise ValueError(f"knowledge base lacks the seed cases {missing}")
    return [_truth_row(items[item_id], prompt) for prompt, item_id in picks]


# ---- leakage ----------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def check_leakage(eval_prompts: list[str], train_prompts: list[str], corpus: list[str]) -> list[str]:
    """Evaluation prompts found in training data, exactly or after normalisation (case, punctuation, spacing),
    as a training prompt or inside a corpus document. Empty means no leak."""
    train = {normalise(p) for p in train_prompts}
    joined = "\n".join(normalise(d) for d in corpus)
    leaks = []
    for p in eval_prompts:
        n = normalise(p)
        if n in train:
            leaks.append(f"evaluation prompt is a training prompt: {p!r}")
        elif n in joined:
            leaks.append(f"evaluation prompt appears in the pretraining corpus: {p!r}")
    return leaks


# ---- everything --------------------------------------------------------------------------------------------


def testbed_splits(cfg: GenerateConfig, kb: KnowledgeBase) -> tuple[set[str], dict[str, list[Item]]]:
    """(held-out drug ids, questions split by use): what the corpus and every dataset are built from."""
    heldout = heldout_drugs(kb, cfg.heldout_drug_fraction, cfg.seed)
    return heldout, split_items(
        build_items(kb, random.Random(f"items-{cfg.seed}")), heldout, cfg.split, cfg.seed
    )


def training_side(splits: dict[str, list[Item]]) -> list[Item]:
    """Questions whose answers training may see: SFT, preference and PPO (not validation, not evaluation)."""
    return [i for k in ("sft", "preference", "ppo") for i in splits[k]]


def testbed_corpus(
    cfg: GenerateConfig, kb: KnowledgeBase | None = None, splits: dict[str, list[Item]] | None = None
) -> list[str]:
    """The pretraining corpus of `cfg` (see rxalign.data.corpus): what `corpus.jsonl` holds and the shipped
    base model was trained on."""
    kb = kb or load_kb()
    if splits is None:
        splits = testbed_splits(cfg, kb)[1]
    return corpus_documents(
        kb, cfg.seed, cfg.corpus_phrasings, training_side(splits), cfg.corpus_qa_copies, cfg.corpus_notes
    )


def qa_leaks(corpus: list[str], kb: KnowledgeBase, heldout: set[str]) -> list[str]:
    """Questions in the corpus that name a held-out drug (drug names matched longest first, so "Amoxicillin"
    inside "Amoxicillin–clavulanate" is not taken for the shorter name). Empty means no leak."""
    names = sorted(((d.name.lower(), d.id) for d in kb.drugs), key=lambda x: -len(x[0]))
    leaks = []
    for doc in corpus:
        for line in doc.split("\n"):
            if not line.startswith("Question: "):
                continue
            text = line.lower()
            for name, drug_id in names:
                if name in text:
                    if drug_id in heldout:
                        leaks.append(f"the corpus asks about held-out drug {drug_id}: {line!r}")
                    text = text.replace(name, " ")
    return leaks


def build_datasets(
    cfg: GenerateConfig, kb: KnowledgeBase | None = None
) -> tuple[dict[str, list[dict]], dict]:
    """Every dataset of the testbed in memory ({file name: rows}) and the manifest; raises on a leak."""
    kb = kb or load_kb()
    rng = random.Random(cfg.seed)
    heldout, splits = testbed_splits(cfg, kb)
    corpus = testbed_corpus(cfg, kb, splits)
    sft = sft_rows(splits["sft"], kb, cfg, rng)
    sft_val = sft_rows(splits["val"], kb, cfg.model_copy(update={"sft_mix": {"expert": 1.0}}), rng)
    prefs = preference_rows(splits["preference"], kb, cfg, rng)
    pref_val = preference_rows(splits["val"], kb, cfg, rng)
    if cfg.confused_pairs_per_question:  # from a stream of their own: every other dataset stays as it was
        confused_rng = random.Random(f"confused-{cfg.seed}")
        prefs += confused_rows(splits["preference"], kb, cfg, confused_rng)
        pref_val += confused_rows(splits["val"], kb, cfg, confused_rng)
        confused_rng.shuffle(prefs)  # mixed into the annotation batches
        confused_rng.shuffle(pref_val)
    agreement_report = annotate_batches(prefs, cfg.annotators)
    ppo = [_truth_row(i, _phrase(i, "train", rng)) for i in splits["ppo"]]
    eval_items = sorted(splits["eval"], key=lambda i: i.id)
    random.Random(f"eval-{cfg.seed}").shuffle(eval_items)
    qa_eval = [_truth_row(i, _phrase(i, "eval", rng)) for i in eval_items[: cfg.eval_max_questions]]
    # In-distribution evaluation: training-side questions (their answers are in training data) asked in the
    # evaluation phrasings no training file uses; from a stream of its own, so every other dataset stays as it was.
    seen_rng = random.Random(f"eval-trained-{cfg.seed}")
    seen_items = sorted(training_side(splits), key=lambda i: i.id)
    seen_rng.shuffle(seen_items)
    qa_trained = [  # ids of their own: a showcase question may be about the same fact
        {**_truth_row(i, _phrase(i, "eval", seen_rng)), "id": f"{i.id}@trained"}
        for i in seen_items[: cfg.eval_max_questions]
    ]
    showcase = showcase_rows(kb)

    summary_notes = notes.make_triplets(cfg.sft_summaries + cfg.sft_summaries // 10, cfg.seed + 7919)
    sft += [_summary_row(r) for r in summary_notes[: cfg.sft_summaries]]
    sft_val += [_summary_row(r) for r in summary_notes[cfg.sft_summaries :]]

    triplets = notes.make_triplets(cfg.dpo_notes, cfg.seed)
    dpo_rest, dpo_eval = notes.split_triplets(triplets, cfg.dpo_eval_fraction, cfg.seed)
    dpo_train, dpo_val = notes.split_triplets(
        dpo_rest, cfg.dpo_val_fraction / (1 - cfg.dpo_eval_fraction), cfg.seed + 1
    )

    train_prompts = [
        r["prompt"] for rows in (sft, sft_val, prefs, pref_val, ppo, dpo_train, dpo_val) for r in rows
    ]
    eval_texts = [r["prompt"] for r in (*qa_eval, *qa_trained, *showcase, *dpo_eval)] + [
        r["note"] for r in dpo_eval
    ]
    leaks = check_leakage(eval_texts, train_prompts, corpus) + qa_leaks(corpus, kb, heldout)
    if leaks:
        raise RuntimeError(f"leakage check failed ({len(leaks)}): {leaks[0]}")

    files = {
        "corpus.jsonl": [{"text": d} for d in corpus],
        "sft/train.jsonl": sft,
        "sft/train_messages.jsonl": [_as_messages(r) for r in sft],
        "sft/val.jsonl": sft_val,
        "preference/train.jsonl": prefs,
        "preference/val.jsonl": pref_val,
        "ppo/prompts.jsonl": ppo,
        "dpo/train_dpo.jsonl": dpo_train,
        "dpo/val_dpo.jsonl": dpo_val,
        "eval/qa.jsonl": qa_eval,
        "eval/qa_trained.jsonl": qa_trained,
        "eval/showcase.jsonl": showcase,
        "eval/summaries.jsonl": dpo_eval,
    }
    manifest = {
        "seed": cfg.seed,
        "config": cfg.model_dump(mode="json"),
        "heldout_drugs": sorted(heldout),
        "counts": {name: len(rows) for name, rows in files.items()},
        "agreement": agreement_report,
        "corpus_fingerprint": corpus_fingerprint(corpus),
        "leakage": {
            "checked_eval_prompts": len(qa_eval) + len(qa_trained) + len(showcase) + len(dpo_eval),
            "leaks": 0,
        },
    }
    return files, manifest


def generate(out: Path, cfg: GenerateConfig, kb: KnowledgeBase | None = None) -> dict:
    """Write every dataset under `out` and return the manifest (counts, agreement, leakage result)."""
    files, manifest = build_datasets(cfg, kb)
    for name, rows in files.items():
        write_jsonl(out / name, rows)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _summary_row(triplet: dict) -> dict:
    """An SFT demonstration from a DPO-style row: the note's prompt and its factual summary."""
    return {
        "id": triplet["id"],
        "prompt": triplet["prompt"],
        "completion": triplet["chosen"],
        "task": "summary",
    }


def _as_messages(row: dict) -> dict:
    return {
        "id": row["id"],
        "messages": [
            {"role": "user", "content": row["prompt"]},
            {"role": "assistant", "content": row["completion"]},
        ],
    }
