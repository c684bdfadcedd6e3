"""The pure parts of active learning: ensemble disagreement, pair selection, accuracy against gold, simulated
labels and the labelling-file round trip."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import numpy as np
import torch

from rxalign.data.annotators import AnnotatorConfig, agreement, majority, simulate_votes
from rxalign.errors import UserError
from rxalign.io import write_jsonl

# ---- pure parts --------------------------------------------------------------------------------------------


def pair_disagreement(members_a: torch.Tensor, members_b: torch.Tensor) -> torch.Tensor:
    """How much the K members disagree about a pair: the std over members of their reward differences,

        d(a, b) = sqrt( (1/K) Σ_k (Δ_k − Δ̄)² ),   Δ_k = r_k(a) − r_k(b),   Δ̄ = (1/K) Σ_k Δ_k

    (population std, as `EnsembleScores.std`). Members' centring offsets cancel in Δ_k. members_a, members_b:
    (K, N) rewards of the pairs' two responses → (N,). Zero with one member.
    """
    return (members_a - members_b).std(0, unbiased=False)  # (N,)


def select_pairs(disagreement: torch.Tensor, n: int, strategy: str, rng: random.Random) -> list[int]:
    """Indices of the `n` pairs to label, ascending: the `n` largest disagreements (ties: lower index first) for
    "uncertainty", or `n` drawn uniformly without replacement by `rng` for "random"."""
    n = min(n, len(disagreement))
    if strategy == "uncertainty":
        order = torch.argsort(disagreement, descending=True, stable=True)
        return sorted(order[:n].tolist())
    if strategy == "random":
        return sorted(rng.sample(range(len(disagreement)), n))
    raise ValueError(f"unknown strategy {strategy!r}")


def within_prompt_pairs(groups: list, gold: list[float], texts: list[str]) -> list[tuple[int, int]]:
    """Every (i, j), i < j, of two responses to the same prompt (`groups`) with different texts and different gold
    scores: the pairs whose gold preference is defined."""
    pairs = []
    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            if groups[i] == groups[j] and gold[i] != gold[j] and texts[i].strip() != texts[j].strip():
                pairs.append((i, j))
    return pairs


def pair_accuracy(scores: torch.Tensor, gold: list[float], pairs: list[tuple[int, int]]) -> float | None:
    """Share of `pairs` whose reward order agrees with the gold order: mean of [s_i > s_j] == [g_i > g_j]
    (a reward tie counts as preferring j). scores: (N,) ensemble mean. None without pairs."""
    if not pairs:
        return None
    right = sum((scores[i] > scores[j]).item() == (gold[i] > gold[j]) for i, j in pairs)
    return right / len(pairs)


def labels_to_match(
    uncertainty: list[tuple[float, float]], random_curve: list[tuple[float, float]], sustained: bool = False
) -> float | None:
    """Labels the uncertainty arm needs to reach the accuracy the random arm reaches with its full budget.

    Curves are (labels_spent, accuracy) points in order of labels. target = random's last accuracy. At the first
    uncertainty point i with a_i ≥ target: L_0 when i = 0, else the linear interpolation between points i−1 and i,
        L = L_{i−1} + (target − a_{i−1}) / (a_i − a_{i−1}) · (L_i − L_{i−1}).
    With `sustained`, i is the first point from which every later point stays ≥ target (a curve that touches the
    target and falls back has not reached it). None when uncertainty never reaches the target.
    """
    target = random_curve[-1][1]
    for i, (labels, acc) in enumerate(uncertainty):
        if acc >= target and (not sustained or all(a >= target for _, a in uncertainty[i:])):
            if i == 0:
                return float(labels)
            l0, a0 = uncertainty[i - 1]
            return l0 + (target - a0) / (acc - a0) * (labels - l0)
    return None


def derived_seed(seed: int, *parts) -> int:
    """A stable 31-bit seed for one purpose of one cycle, so a resumed run (or the other arm) redraws exactly."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def simulated_label(pair: dict, cfg: AnnotatorConfig, rng: np.random.Generator) -> dict:
    """A preference row for one candidate pair: the annotators vote on gold utility (the grader score) with their
    biases and noise, A (`response_a`) shown first; the majority's choice is `chosen`; every vote is kept."""
    votes_ab = simulate_votes(
        pair["gold_a"], pair["gold_b"], pair["response_a"], pair["response_b"], cfg, rng
    )  # 0 = A, 1 = B
    winner = majority(votes_ab)
    a, b = pair["response_a"], pair["response_b"]
    chosen, rejected = (a, b) if winner == 0 else (b, a)
    return {
        "id": pair["id"],
        "prompt": pair["prompt"],
        "chosen": chosen,
        "rejected": rejected,
        "votes": [int(v == winner) for v in votes_ab],  # 1 = this annotator preferred `chosen`
        "votes_ab": votes_ab,
        "chosen_shown_first": winner == 0,
        "labeler": "simulated",
    }


# ---- the labelling file round trip ----------------------------------------------------------------------------

EXPORT_FIELDS = ("id", "prompt", "response_a", "response_b")


def export_for_labelling(path: Path, pairs: list[dict]) -> None:
    """One JSON object per line: id, prompt, response_a, response_b and an empty `preferred` to fill with a or b."""
    write_jsonl(path, [{**{k: p[k] for k in EXPORT_FIELDS}, "preferred": ""} for p in pairs])


def import_labels(path: Path, pairs: list[dict]) -> list[dict]:
    """Read a filled labelling file back: every exported id exactly once, `preferred` a or b, the texts as exported.
    Any problem is one UserError naming file:line and field. Returns preference rows in the exported order."""
    from rxalign.data.formats import read_jsonl

    path = Path(path)
    if not path.is_file():
        raise UserError(f"--import: {path} does not exist")
    expected = {p["id"]: p for p in pairs}
    chosen_of: dict[str, str] = {}
    for line, rec in read_jsonl(path):
        where = f"{path}:{line}"
        pair_id = rec.get("id")
        if not isinstance(pair_id, str) or not pair_id:
            raise UserError(f"{where}: field 'id': missing or not a string")
        if pair_id not in expected:
            raise UserError(f"{where}: field 'id': {pair_id!r} was not exported for labelling")
        if pair_id in chosen_of:
            raise UserError(f"{where}: field 'id': {pair_id!r} appears twice")
        for key in EXPORT_FIELDS[1:]:
            if key in rec and rec[key] != expected[pair_id][key]:
                raise UserError(
                    f"{where}: field {key!r}: differs from the exported text (labels only, please)"
                )
        preferred = rec.get("preferred")
        value = preferred.strip().lower() if isinstance(preferred, str) else preferred
        if value not in ("a", "b"):
            raise UserError(f'{where}: field \'preferred\': expected "a" or "b", got {preferred!r}')
        chosen_of[pair_id] = value
    missing = [i for i in expected if i not in chosen_of]
    if missing:
        shown = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
        raise UserError(
            f"{path}: field 'id': {len(missing)} of {len(expected)} exported pairs missing ({shown})"
        )
    rows = []
    for p in pairs:
        first = chosen_of[p["id"]] == "a"
        a, b = p["response_a"], p["response_b"]
        rows.append(
            {
                "id": p["id"],
                "prompt": p["prompt"],
                "chosen": a if first else b,
                "rejected": b if first else a,
                "labeler": "file",
            }
        )
    return rows


def label_stats(selected: list[dict], labels: list[dict], annotators: AnnotatorConfig) -> dict:
    """How the new labels compare with gold (where gold differs) and, for simulated votes, their Fleiss κ."""
    by_id = {c["id"]: c for c in selected}
    judged = [
        (row["chosen"] == by_id[row["id"]]["response_a"])
        == (by_id[row["id"]]["gold_a"] > by_id[row["id"]]["gold_b"])
        for row in labels
        if by_id[row["id"]]["gold_a"] != by_id[row["id"]]["gold_b"]
    ]
    votes = [row["votes_ab"] for row in labels if "votes_ab" in row]
    return {
        "labels_gold_ties": len(labels) - len(judged),
        "labels_match_gold": sum(judged) / len(judged) if judged else None,
        "labels_kappa": agreement(votes, annotators.kappa_threshold).kappa
        if len(votes) == len(labels) and votes
        else None,
    }
