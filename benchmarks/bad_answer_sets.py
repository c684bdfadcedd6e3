"""Scorecards of deliberately bad answer sets on the bundled held-out evaluation sets: each metric must catch
its failure. Run: .venv/bin/python benchmarks/bad_answer_sets.py [OUT_DIR]

- always_contraindicated: "CONTRAINDICATED. Never combine or use." for every question and note
- always_safe: "This is safe: no interaction and no dose adjustment is needed." everywhere
- always_hedging: "I am not certain; please consult a specialist." everywhere
- expert_reference: the knowledge base's expert-tier answer to each question (the grader's ceiling), and for
  each note the factual summary it was generated with
"""

import json
import random
import sys
import tempfile
from pathlib import Path

from rxalign.data.kb import load_kb
from rxalign.data.qa import answer, build_items
from rxalign.eval.run import EvalConfig, bundled_eval_sets, evaluate

CONSTANT = {
    "always_contraindicated": "CONTRAINDICATED. Never combine or use.",
    "always_safe": "This is safe: no interaction and no dose adjustment is needed.",
    "always_hedging": "I am not certain; please consult a specialist.",
}


def main(out: Path) -> None:
    kb = load_kb()
    items = {i.id: i for i in build_items(kb, random.Random("items-0"))}
    rows = [r for rs in bundled_eval_sets().values() for r in rs]
    folder = Path(tempfile.mkdtemp())
    specs = []
    for name, text in CONSTANT.items():
        path = folder / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"id": r["id"], "answer": text}) + "\n" for r in rows))
        specs.append(f"{name}={path}")
    expert = folder / "expert_reference.jsonl"
    with open(expert, "w") as f:
        for r in rows:
            text = answer(items[r["id"]], kb, "expert", random.Random(0)) if "truth" in r else _summary(r)
            f.write(json.dumps({"id": r["id"], "answer": text}) + "\n")
    specs.append(f"expert_reference={expert}")
    evaluate(out, EvalConfig(), models=[], answer_files=specs, overwrite=True)
    print(f"scorecard: {out / 'scorecard.md'}")


def _summary(row: dict) -> str:
    from rxalign.data.notes import NoteFacts, make_summary

    return make_summary(NoteFacts(**row["facts"]), random.Random(0))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("runs/bad_answer_sets"))
