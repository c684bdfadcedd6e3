"""`rxalign data stats`: what a data file holds (counts, token lengths, annotator agreement, perturbation mix)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rxalign.data.annotators import agreement
from rxalign.data.formats import check_records, detect_kind, load_records, token_length_stats


def presentation_votes(row: dict) -> list[int] | None:
    """Votes as 0 = first-shown, 1 = second-shown response; κ must be computed in this frame, because
    relabelling by majority makes "chosen" the majority category by construction. None without the order."""
    if "chosen_shown_first" not in row:
        return None
    return [0 if (v == 1) == row["chosen_shown_first"] else 1 for v in row["votes"]]


def file_stats(path: Path, tokenizer=None, kappa_threshold: float = 0.6) -> dict:
    records = load_records(path)
    kind = detect_kind(records[0])
    report = check_records(records, kind)
    out: dict = {"file": str(path), "kind": kind, "records": report.records, "duplicates": report.duplicates}
    if tokenizer is not None:
        out["tokens"] = token_length_stats(records, kind, tokenizer)
    voted = [r for r in records if r.get("votes")]
    if voted:
        frames = [presentation_votes(r) for r in voted]
        in_order = all(f is not None for f in frames)
        a = agreement(frames if in_order else [r["votes"] for r in voted], kappa_threshold)
        out["agreement"] = {
            "kappa": a.kappa,
            "raw_agreement": a.raw_agreement,
            "band": a.band,
            "raters": a.n_raters,
            "frame": "presentation order" if in_order else "chosen/rejected (order not recorded)",
        }
        if all("gold_chosen_better" in r for r in voted):
            out["agreement"]["majority_matches_gold"] = sum(r["gold_chosen_better"] for r in voted) / len(
                voted
            )
    for key in ("perturbation", "tier", "task"):
        if all(key in r for r in records):
            out[f"{key}_mix"] = dict(Counter(r[key] for r in records).most_common())
    return out
