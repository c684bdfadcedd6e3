"""The answer writer per task kind, and `write_item`: every red-team answer to one item."""

from __future__ import annotations

import random
from collections.abc import Callable

from rxalign.data import qa
from rxalign.data.kb import KnowledgeBase
from rxalign.data.redteam.allergy import _allergy
from rxalign.data.redteam.banks import SPLITS
from rxalign.data.redteam.hepatic import _hepatic
from rxalign.data.redteam.interaction import _interaction
from rxalign.data.redteam.pediatric import _pediatric
from rxalign.data.redteam.pgx import _pgx
from rxalign.data.redteam.renal import _renal, _renal_all
from rxalign.data.redteam.writer import Case, _Writer

WRITERS: dict[str, Callable[[qa.Item, KnowledgeBase, _Writer], None]] = {
    "interaction": _interaction,
    "renal": _renal,
    "renal_all": _renal_all,
    "hepatic": _hepatic,
    "pediatric": _pediatric,
    "pgx": _pgx,
    "allergy": _allergy,
}


def write_item(item: qa.Item, kb: KnowledgeBase, split: str = "dev", seed: int = 0) -> list[Case]:
    """Every red-team answer to one item (an empty list when the KB lacks the record it is about)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    alt_units = (
        random.Random(f"redteam-units-{seed}-{split}-{item.id}").random() < 0.5
    )  # final phrasings only
    w = _Writer(item, split, random.Random(f"redteam-{seed}-{split}-{item.id}"), {}, alt_units)
    WRITERS[item.task](item, kb, w)
    return w.cases
