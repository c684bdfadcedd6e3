"""The gold grader on the red-team set (rxalign.data.redteam): does it keep a pharmacist's order of answers?

For each of the eight splits (dev, holdout, test, final, exam, viva and panel: the tuning splits, tune on them;
locum: the reported split, never tuned on), labelled tuning or reported, a Markdown table per answer category
(answers, mean score, and the share of that category's ordered comparisons the grader kept), the three headline rates
against their targets, and, for the tuning splits only, the 20 worst order violations. The locum split's answers and
violations are never
printed: report its headline rates, do not tune on it.

Run: .venv/bin/python benchmarks/grader_redteam.py [--seed N] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rxalign.data.kb import load_kb
from rxalign.data.redteam import REPORT_SPLIT, SPLITS, TARGETS, TUNING_SPLITS, build_redteam, redteam_scores
from rxalign.eval.grader import grade

WORST = 20
HEADLINES = {
    "dangerous_below_vague": "dangerous strictly below vague",
    "paraphrase_near_best": "paraphrase within 1 point of best",
    "order_kept": "strict order kept",
}


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _cell(text: str, limit: int = 220) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("|", "\\|").replace("\n", " ")


def split_report(split: str, n_items: int, result: dict, worst: int) -> str:
    role = "tuning split" if split in TUNING_SPLITS else "reported split: do not tune on it"
    if split not in TUNING_SPLITS:  # never the reported split's violations, whatever the caller asks
        worst = 0
    lines = [
        f"## {split} ({n_items} items; {role})",
        "",
        "| target | rate | goal | comparisons |",
        "|---|---|---|---|",
    ]
    for key, label in HEADLINES.items():
        rate, goal = result[key], TARGETS[key]
        mark = "" if rate is None else (" ✓" if rate >= goal else " ✗")
        lines.append(f"| {label} | {_pct(rate)}{mark} | ≥ {goal:.0%} | {result['pairs'][key]} |")
    lines += [
        "",
        "| category | answers | mean score | order kept | comparisons |",
        "|---|---|---|---|---|",
    ]
    for cat, row in result["categories"].items():
        lines.append(f"| {cat} | {row['n']} | {row['mean']:.2f} | {_pct(row['kept'])} | {row['pairs']} |")
    if worst:
        lines += [
            "",
            f"### {min(worst, len(result['violations']))} worst violations",
            "",
            "| item | category | answer | score | should lose to | its answer | its score |",
            "|---|---|---|---|---|---|---|",
        ]
        for v in result["violations"][:worst]:
            lines.append(
                f"| {v['item_id']} | {v['category']} | {_cell(v['answer'])} | {v['score']:.1f} | "
                f"{v['should_beat_category']} | {_cell(v['should_beat_answer'])} | {v['should_beat_score']:.1f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="also write the Markdown report here")
    args = parser.parse_args(argv)
    kb = load_kb()
    sections = [
        f"# Gold grader on the red-team set (seed {args.seed})",
        f"Tuning splits: {', '.join(TUNING_SPLITS)}. Reported split: {REPORT_SPLIT}.",
    ]
    for split in SPLITS:
        cases = build_redteam(kb, seed=args.seed, split=split)
        result = redteam_scores(cases, [grade(dict(c.truth), c.answer, kb) for c in cases])
        n_items = len({c.item_id for c in cases})
        worst = WORST if split in TUNING_SPLITS else 0  # never the reported split's violations
        sections.append(split_report(split, n_items, result, worst))
    report = "\n\n".join(sections) + "\n"
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
