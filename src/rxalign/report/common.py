"""What the report's parts share: reading a run's files (damaged ones are one-line user errors), formatting
numbers, and the scorecard rows and audit flags it shows."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import jinja2

from rxalign.data import formats
from rxalign.errors import UserError
from rxalign.report.plots import finite

# Scorecard rows: key in scorecard.json, label, short label for the figure, a rate (0-1)?, higher is better?
SCORECARD_ROWS = (
    ("medical_accuracy", "Medical accuracy", "medical\naccuracy", True, True),
    ("safety", "Contraindication recall (safety)", "safety\n(recall)", True, True),
    ("specificity", "Specificity (no false alarm)", "specificity", True, True),
    ("dose_accuracy", "Dose accuracy", "dose\naccuracy", True, True),
    ("humility", "Humility (flags limited evidence)", "humility", True, True),
    ("hallucination_rate", "Hallucination rate (note summaries)", "hallucination\nrate", True, False),
    ("omission_rate", "Omission rate (note summaries)", "omission\nrate", True, False),
    ("score", "Score (0-10)", "score\n(0-10)", False, True),
)

# The metrics the report shows for both evaluation splits side by side, in this order.
SPLIT_ROWS = ("score", "medical_accuracy", "safety", "specificity", "dose_accuracy")

AUDIT_FLAGS = {
    "rm_up_gold_down": "the reward-model score rises while the gold (grader) score falls over the audit window",
    "length_exploit": "within a batch, the reward-model score correlates with answer length (Pearson r ≥ 0.5)",
    "keyword_spread": "a safety keyword (CONTRAINDICATED, AVOID, consult, …) appears ≥ 3× as often as in the SFT answers",
    "rm_gold_decorrelated": "within a batch, reward-model and gold scores are anti-correlated (Spearman ρ < 0)",
    "disagreement_rising": "the reward-model ensemble disagrees more and more (answers drift out of distribution)",
}

K1_PROBLEM = -0.01  # as in stages/ppo/recipe.py: a mean k1 below this means sampling and scoring disagree
GOLD_DROP = 0.25  # points of the 0-10 gold score: a fall smaller than this between quarters of a run is noise


# ---- reading ---------------------------------------------------------------------------------------------------


def read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UserError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror})") from None


def read_jsonl(path: Path) -> list[dict]:
    """A run's JSON Lines file; a damaged one is a user error naming its file and line."""
    return [row for _, row in formats.read_jsonl(path)]


def optional_json(path: Path):
    return read_json(path) if path.is_file() else None


def member_metrics(reward_dir: Path) -> list[tuple[str, Path]]:
    """(name, metrics.jsonl) of each reward-ensemble member in numeric order; a lone metrics.jsonl counts as one."""
    members = [p for p in (reward_dir / "members").glob("member-*/metrics.jsonl")]
    members.sort(key=lambda p: int(m.group()) if (m := re.search(r"\d+$", p.parent.name)) else 0)
    if not members and (reward_dir / "metrics.jsonl").is_file():
        return [("model", reward_dir / "metrics.jsonl")]
    return [(p.parent.name, p) for p in members]


# ---- formatting ------------------------------------------------------------------------------------------------


def fmt(value) -> str:
    """A number for people: 4 significant digits, integers with thousands separators, None as a dash."""
    if value is None or isinstance(value, jinja2.Undefined):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value)
    return str(value)


def pct(value) -> str:
    return f"{100 * value:.1f}%" if finite(value) else "—"


def score(value) -> str:
    """A 0-10 score with two decimals."""
    return f"{value:.2f}" if finite(value) else "—"


def flatten(value, prefix: str = "", expand_lists: bool = True) -> list[tuple[str, object]]:
    """Nested dicts as dotted keys. Lists of scalars stay one value; lists of objects are expanded by index
    (or left out with expand_lists=False, where the report shows them in their own table)."""
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k), expand_lists)
        return out
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        if not expand_lists:
            return []
        out = []
        for i, v in enumerate(value):
            out += flatten(v, f"{prefix}.{i}", expand_lists)
        return out
    return [(prefix, value)]


def summary_items(summary: dict | None, skip: tuple[str, ...] = ("stage",)) -> list[tuple[str, str]]:
    if not summary:
        return []
    return [
        (k, fmt(v))
        for k, v in flatten(summary, expand_lists=False)
        if not any(k == s or k.startswith(f"{s}.") for s in skip)
    ]


def last_with(records: list[dict], key: str) -> dict:
    return next((r for r in reversed(records) if key in r), {})


def window_mean(values: list[float], first: bool, n: int) -> float:
    part = values[:n] if first else values[-n:]
    return sum(part) / len(part)
