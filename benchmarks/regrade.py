"""Re-grade a finished run's saved answers with the current gold grader, against that run's own evaluation truth
(so a run made with an older knowledge base or grader can be read with today's ruler, answer for answer).

Prints the scorecard rows (SFT / PPO / DPO, score with its 95% bootstrap CI), the share of answers in each safety
class, and the paired PPO-minus-SFT score delta.

Run: .venv/bin/python benchmarks/regrade.py RUN_DIR   (RUN_DIR holds data/eval/*.jsonl and eval/responses/)
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

from rxalign.data.kb import load_kb
from rxalign.eval.grader import METRICS, grade
from rxalign.eval.scorecard import scorecard

MODELS = ("sft", "ppo", "dpo")


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def main(run: Path) -> None:
    truth = {
        r["id"]: r["truth"]
        for f in sorted((run / "data" / "eval").glob("*.jsonl"))
        for r in _jsonl(f)
        if "truth" in r
    }
    kb = load_kb()
    results: dict[str, list[dict]] = {}
    classes: dict[str, collections.Counter] = {}
    for model in MODELS:
        path = run / "eval" / "responses" / f"{model}.jsonl"
        if not path.exists():
            continue
        rows = []
        for r in _jsonl(path):
            if r["id"] in truth:
                g = grade(truth[r["id"]], r["answer"], kb)
                rows.append(
                    {
                        "id": r["id"],
                        "task": r["task"],
                        "score": g.score,
                        "metrics": g.metrics,
                        "cls": g.safety_class,
                    }
                )
        results[model] = rows
        classes[model] = collections.Counter(r["cls"] for r in rows)
    card = scorecard(results)
    models = card.get("models", card)
    names = list(results)
    print("| metric | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for key in (*METRICS, "score"):
        cells = []
        for m in names:
            st = models[m][key]
            if st["mean"] is None:
                cells.append("n/a")
            elif key == "score":
                cells.append(f"{st['mean']:.2f} [{st['ci'][0]:.2f}, {st['ci'][1]:.2f}]")
            else:
                cells.append(f"{100 * st['mean']:.1f}%")
        print(f"| {key} | " + " | ".join(cells) + " |")
    for m in names:
        n = sum(classes[m].values())
        print(f"{m}: " + ", ".join(f"{k} {v} ({100 * v / n:.0f}%)" for k, v in sorted(classes[m].items())))
    delta = card.get("deltas", {}).get("ppo", {}).get("score")
    if delta:
        print(
            f"PPO - SFT score: {delta['delta']:+.2f} [{delta['ci'][0]:+.2f}, {delta['ci'][1]:+.2f}] (n={delta['n']})"
        )


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit("usage: regrade.py RUN_DIR")
    main(Path(sys.argv[1]))
