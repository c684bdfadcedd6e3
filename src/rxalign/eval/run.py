"""`rxalign eval`: generate answers on the evaluation sets with each model, grade them, and write the scorecard
(JSON and a Markdown table), one responses file per model, all under the output directory.

Each row belongs to a split: a set named `qa_trained.jsonl` (training drugs asked in phrasings no training file
uses) is the in-distribution split; every other set (held-out drugs, showcase, summaries) the held-out split, the
headline."""

from __future__ import annotations

from pathlib import Path

import torch
from pydantic import Field

from rxalign import ui
from rxalign.config import Strict
from rxalign.data.formats import load_records, read_jsonl
from rxalign.data.generate import GenerateConfig, build_datasets
from rxalign.data.kb import KnowledgeBase, load_kb
from rxalign.errors import UserError
from rxalign.eval import hallucination
from rxalign.eval.grader import grade
from rxalign.eval.scorecard import scorecard, table
from rxalign.io import replaced_dir, write_json, write_jsonl, write_text
from rxalign.models.generation import generate
from rxalign.models.load import load_causal_lm, load_tokenizer

BUNDLED_SETS = ("eval/qa.jsonl", "eval/qa_trained.jsonl", "eval/showcase.jsonl", "eval/summaries.jsonl")
IN_DISTRIBUTION_SET = "qa_trained.jsonl"  # the file name of the in-distribution split's set


class EvalConfig(Strict):
    max_new_tokens: int = Field(128, ge=1, description="tokens generated per answer at most")
    batch_size: int = Field(16, ge=1, description="prompts generated together")
    do_sample: bool = Field(
        False, description="sample instead of greedy decoding (pure sampling at `temperature`)"
    )
    temperature: float = Field(1.0, gt=0.0, description="sampling temperature when do_sample")
    seed: int = Field(0, description="seed for sampling and for the bootstrap")
    bootstrap: int = Field(1000, ge=100, description="bootstrap resamples for the 95% confidence intervals")
    max_items: int | None = Field(None, ge=1, description="use only the first N rows of each evaluation set")


def bundled_eval_sets(seed: int = 0) -> dict[str, list[dict]]:
    files, _ = build_datasets(GenerateConfig(seed=seed))
    return {name: files[name] for name in BUNDLED_SETS}


def split_of(set_name: str) -> str:
    """The split of an evaluation set: "in_distribution" where its file is named `qa_trained.jsonl`, else "heldout"."""
    return "in_distribution" if Path(set_name).name == IN_DISTRIBUTION_SET else "heldout"


def load_eval_sets(paths: list[Path]) -> dict[str, list[dict]]:
    sets = {}
    for path in paths:
        rows = load_records(path, kind="prompt", field="--eval-set")
        for i, row in enumerate(rows, start=1):
            if "truth" not in row and "facts" not in row:
                raise UserError(
                    f"{path}:{i}: an evaluation row needs 'truth' (a question) or 'facts' (a note to summarise)"
                )
            row.setdefault("id", f"{path.stem}:{i}")
        sets[str(path)] = rows
    return sets


def grade_rows(rows: list[dict], answers: list[str], kb: KnowledgeBase) -> list[dict]:
    """Each row's answer graded; the row's `split` (see `split_of`) goes with it."""
    graded = []
    for row, answer in zip(rows, answers, strict=True):
        out = {"id": row["id"], "split": row["split"], "prompt": row["prompt"], "answer": answer}
        if "truth" in row:
            g = grade(row["truth"], answer, kb)
            out |= {
                "task": row["truth"]["task"],
                "score": g.score,
                "metrics": g.metrics,
                "criteria": [vars(c) for c in g.criteria],
            }
        else:
            c = hallucination.check(answer, row["facts"])
            out |= {
                "task": "summary",
                "hallucinated": c.hallucinated,
                "hallucinated_facts": c.hallucinated_facts,
                "stated_facts": c.stated_facts,
                "errors": c.errors,
                "omissions": c.omissions,
            }
        graded.append(out)
    return graded


def model_label(spec: str) -> tuple[str, Path]:
    """`NAME=DIR` or `DIR` (named after its last two path parts, e.g. sft/final)."""
    if "=" in spec:
        label, path = spec.split("=", 1)
        return label, Path(path)
    path = Path(spec)
    return "/".join(path.parts[-2:]), path


def evaluate(
    out: Path,
    cfg: EvalConfig,
    models: list[str],
    eval_sets: list[Path] | None = None,
    answer_files: list[str] | None = None,
    overwrite: bool = False,
) -> dict:
    """Score each model (and each file of ready answers) and write `out/scorecard.json`, `scorecard.md` and
    `responses/<label>.jsonl`. Returns the scorecard."""
    if not models and not answer_files:
        raise UserError("eval: give at least one --model DIR (or --answers NAME=FILE)")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise UserError(f"--out {out}: exists and is not empty; choose another directory or pass --overwrite")
    specs = [model_label(m) for m in models]
    for label, path in specs:
        load_tokenizer(path, field=f"--model {label}")  # fail fast on a bad directory, before any work
    sets = load_eval_sets(eval_sets) if eval_sets else bundled_eval_sets()
    rows = [
        r | {"split": split_of(name)}
        for name, rs in sets.items()
        for r in (rs[: cfg.max_items] if cfg.max_items else rs)
    ]
    ready = {
        label: _read_answers(Path(path), rows) for label, path in (_split(a) for a in answer_files or [])
    }
    kb = load_kb()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    results: dict[str, list[dict]] = {}
    for label, path in specs:
        tokenizer = load_tokenizer(path, field=f"--model {label}")
        if not tokenizer.chat_template:
            raise UserError(
                f"--model {label}: {path} has no chat template; rxalign prompts through the chat template"
            )
        model = load_causal_lm(
            path, field=f"--model {label}", dtype=torch.bfloat16 if device == "cuda" else torch.float32
        )
        answers = generate(
            model.to(device),
            tokenizer,
            [r["prompt"] for r in rows],
            max_new_tokens=cfg.max_new_tokens,
            batch_size=cfg.batch_size,
            do_sample=cfg.do_sample,
            temperature=cfg.temperature,
            seed=cfg.seed,
            description=f"eval {label}",
        )
        results[label] = grade_rows(rows, answers, kb)
        del model
    for label, answers in ready.items():
        results[label] = grade_rows(rows, answers, kb)
    card = scorecard(results, cfg.bootstrap, cfg.seed)
    card["config"] = cfg.model_dump(mode="json")
    card["eval_sets"] = {name: min(len(rs), cfg.max_items or len(rs)) for name, rs in sets.items()}
    card["sources"] = {label: str(path) for label, path in specs} | {label: "answers file" for label in ready}

    with replaced_dir(out) as tmp:
        for label, graded in results.items():
            write_jsonl(tmp / "responses" / f"{label.replace('/', '_')}.jsonl", graded)
        write_json(tmp / "scorecard.json", card)
        write_text(tmp / "scorecard.md", table(card) + "\n")
    ui.info(table(card))
    return card


def _split(spec: str) -> tuple[str, str]:
    if "=" not in spec:
        raise UserError(f"--answers {spec}: expected NAME=FILE")
    label, path = spec.split("=", 1)
    return label, path


def _read_answers(path: Path, rows: list[dict]) -> list[str]:
    """Answers from a JSONL of {"id", "answer"}, aligned with the evaluation rows (every row needs one)."""
    by_id = {r["id"]: r["answer"] for r in _answer_records(path)}
    missing = [r["id"] for r in rows if r["id"] not in by_id]
    if missing:
        raise UserError(f"--answers {path}: no answer for id {missing[0]!r} ({len(missing)} missing)")
    return [by_id[r["id"]] for r in rows]


def _answer_records(path: Path) -> list[dict]:
    if not path.is_file():
        raise UserError(f"--answers {path}: file does not exist")
    out = []
    for line, record in read_jsonl(path):
        for key in ("id", "answer"):
            if not isinstance(record.get(key), str):
                raise UserError(f"{path}:{line}: field {key!r} must be a string")
        out.append(record)
    return out
