"""A note-blind judge of DPO pairs: can the rejected summary be told from the chosen one without the note?

A DPO pair teaches faithfulness only if the rejected summary is wrong *about the note*; when its error shows
on its own ("metformin 500 mcg", a finding no note ever reports), the pair teaches plausibility instead, and a
model can win it without reading the note. This is the hypothesis-only baseline of natural language inference
(Gururangan et al. 2018, "Annotation Artifacts in Natural Language Inference Data"; Poliak et al. 2018): a
pairwise logistic model over hashed word 1-3-grams of the summary alone, trained on some pairs to prefer chosen
over rejected, P(chosen ≻ rejected) = σ(w·φ(chosen) − w·φ(rejected)), and scored on other pairs per
perturbation kind. About 50% means the kind is plausible without the note.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict

import torch

DIM = 1 << 18


def features(text: str, n_max: int = 3) -> list[int]:
    """Hashed word 1..n_max-grams of `text` (lower case; numbers kept as words), with repeats."""
    words = re.findall(r"[a-z]+|\d+(?:\.\d+)?", text.lower())
    grams = [" ".join(words[i : i + n]) for n in range(1, n_max + 1) for i in range(len(words) - n + 1)]
    return [zlib.crc32(g.encode()) % DIM for g in grams]


def _bag(texts: list[str]) -> torch.Tensor:
    """(N, DIM) sparse counts of hashed n-grams."""
    rows, cols = [], []
    for i, t in enumerate(texts):
        f = features(t)
        rows += [i] * len(f)
        cols += f
    values = torch.ones(len(rows))
    index = torch.tensor([rows, cols])
    return torch.sparse_coo_tensor(index, values, (len(texts), DIM), check_invariants=True).coalesce()


def _diff(rows: list[dict]) -> torch.Tensor:
    """(N, DIM) sparse φ(chosen) − φ(rejected)."""
    return (_bag([r["chosen"] for r in rows]) - _bag([r["rejected"] for r in rows])).coalesce()


def train_judge(
    rows: list[dict], epochs: int = 100, lr: float = 0.05, l2: float = 1e-3, seed: int = 0
) -> torch.Tensor:
    """Weights w (DIM,) of the pairwise logistic judge fitted on `rows` ({chosen, rejected}), full batch."""
    torch.manual_seed(seed)
    diff = _diff(rows)
    w = torch.zeros(DIM, requires_grad=True)
    opt = torch.optim.Adam([w], lr=lr)
    for _ in range(epochs):
        margin = torch.sparse.mm(diff, w[:, None]).squeeze(1)  # (N,) w·φ(chosen) − w·φ(rejected)
        loss = torch.nn.functional.softplus(-margin).mean() + l2 * w.pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return w.detach()


def judge_accuracy(w: torch.Tensor, rows: list[dict]) -> dict[str, dict]:
    """{perturbation kind: {accuracy, n}}: how often the judge prefers the chosen summary (ties count half)."""
    margin = torch.sparse.mm(_diff(rows), w[:, None]).squeeze(1)
    by_kind: dict[str, list[float]] = defaultdict(list)
    for r, m in zip(rows, margin.tolist(), strict=True):
        by_kind[r["perturbation"]].append(1.0 if m > 0 else 0.5 if m == 0 else 0.0)
    return {k: {"accuracy": sum(v) / len(v), "n": len(v)} for k, v in sorted(by_kind.items())}


def note_blind_check(n_train: int = 3500, n_test: int = 1400, seed: int = 0) -> dict[str, dict]:
    """The judge trained on `n_train` generated triplets and scored on `n_test` others (seeds apart)."""
    from rxalign.data.notes import make_triplets

    w = train_judge(make_triplets(n_train, seed + 101))
    return judge_accuracy(w, make_triplets(n_test, seed + 202))
