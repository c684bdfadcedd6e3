"""Which items each split writes on (a balanced sample per task, strata visited in turn), and `build_redteam`."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from rxalign.data import qa
from rxalign.data.kb import KnowledgeBase
from rxalign.data.redteam.banks import SEED_OFFSETS, SPLITS
from rxalign.data.redteam.writer import Case
from rxalign.data.redteam.writers import WRITERS, write_item

# Items per task kind and split, drawn in turn from each stratum (severity, action, stance, ...) of the task.
QUOTA = {
    "interaction": 20,
    "renal": 20,
    "renal_all": 12,
    "hepatic": 15,
    "pediatric": 12,
    "pgx": 14,
    "allergy": 14,
}


# ---- sampling -----------------------------------------------------------------------------------------------


def stratum(item: qa.Item) -> str:
    """What an item's truth says, coarsely: the sampler takes items in turn from each stratum of a task."""
    t = item.truth
    if item.task == "interaction":
        return t["severity"]
    if item.task in ("renal", "hepatic"):
        return t["action"]
    if item.task == "renal_all":
        actions = {v["action"] for v in t["bands"].values()}
        return "full" if actions == {"full"} else "reduce" if actions <= {"full", "reduce"} else "avoid"
    if item.task == "pediatric":
        return f"{t['weight_kg']:g}kg"
    if item.task == "pgx":
        return t["stance"]
    return f"{t['recommendation']}:{t['mechanism_type']}"


def _visit(pools: list[list[qa.Item]], quota: int) -> list[qa.Item]:
    """Items taken in turn from each pool (one per pool per round) up to `quota`."""
    pools = [list(p) for p in pools]
    picked: list[qa.Item] = []
    while len(picked) < quota and any(pools):
        for pool in pools:
            if pool and len(picked) < quota:
                picked.append(pool.pop(0))
    return picked


def more_items(kb: KnowledgeBase, items: Sequence[qa.Item]) -> list[qa.Item]:
    """Allergy items that `qa.build_items` leaves out (it asks about up to three members of each record's class):
    every other member, with the truth qa would write for it from the first (most specific) record about it, as
    `_allergy_record` finds it. Only the test, final, exam and viva splits draw on them."""
    have = {i.id for i in items}
    out: list[qa.Item] = []
    seen: set[str] = set()
    for rec in kb.allergy:
        for d in kb.members(rec.drug_or_class):
            item_id = f"allergy:{rec.allergy}:{rec.mechanism_type}:{d.id}"
            if item_id in seen:
                continue
            seen.add(item_id)
            if item_id not in have:
                out.append(qa.allergy_item(kb, rec, d, qa.REACTIONS[rec.mechanism_type][0]))
    return out


def select_items(items: list[qa.Item], seed: int, split: str, extra: Sequence[qa.Item] = ()) -> list[qa.Item]:
    """A balanced sample per task, strata visited in turn up to QUOTA. Each stratum is shuffled once (by seed) and
    halved: dev samples one half, holdout the other (so they never share an item). The test split samples what
    neither took, then the stratum's `extra` items (not in `items`; shuffled by their own seed), so it shares no
    item with them either; only a stratum with nothing left lends it one item (the first of its shuffled order).
    `extra` is ignored for dev and holdout, whose samples do not depend on it. The final, exam and viva
    splits each sample on their own (`_own_items`), and no other split depends on them."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if split in SEED_OFFSETS:
        return _own_items(items, seed, split, extra)
    rng = random.Random(f"redteam-items-{seed}")
    strata: dict[tuple[str, str], list[qa.Item]] = defaultdict(list)
    for item in sorted(items, key=lambda i: i.id):
        strata[(item.task, stratum(item))].append(item)
    known = {i.id for i in items}
    more: dict[tuple[str, str], list[qa.Item]] = defaultdict(list)
    for item in sorted(extra, key=lambda i: i.id):
        if item.id not in known:
            more[(item.task, stratum(item))].append(item)
    more_rng = random.Random(f"redteam-test-items-{seed}")
    chosen: list[qa.Item] = []
    for task in WRITERS:
        groups: dict[tuple[str, str], list[qa.Item]] = {}
        for key in sorted(k for k in strata if k[0] == task):
            group = list(strata[key])
            rng.shuffle(group)
            groups[key] = group
        dev = _visit([g[0::2] for g in groups.values()], QUOTA[task])
        holdout = _visit([g[1::2] for g in groups.values()], QUOTA[task])
        if split in ("dev", "holdout"):
            chosen += dev if split == "dev" else holdout
            continue
        taken = {i.id for i in dev + holdout}
        pools = []
        for key in sorted(set(groups) | {k for k in more if k[0] == task}):
            added = list(more.get(key, []))
            more_rng.shuffle(added)
            pool = [i for i in groups.get(key, []) if i.id not in taken] + added
            pools.append(pool or groups[key][:1])
        chosen += _visit(pools, QUOTA[task])
    return chosen


def _own_items(items: list[qa.Item], seed: int, split: str, extra: Sequence[qa.Item] = ()) -> list[qa.Item]:
    """The sample of a split that draws its own (`SEED_OFFSETS`: final, exam, viva): every stratum of `items` and of
    `extra` (allergy class members, `more_items`), each shuffled by a seed of the split's own (seed + its offset;
    not the other splits'), visited in turn up to QUOTA. Items may also be in other splits (these splits hold out
    their phrasings, not their items)."""
    rng = random.Random(f"redteam-{split}-items-{seed + SEED_OFFSETS[split]}")
    strata: dict[tuple[str, str], list[qa.Item]] = defaultdict(list)
    known: set[str] = set()
    for item in sorted([*items, *extra], key=lambda i: i.id):
        if item.id not in known:
            known.add(item.id)
            strata[(item.task, stratum(item))].append(item)
    chosen: list[qa.Item] = []
    for task in WRITERS:
        pools = []
        for key in sorted(k for k in strata if k[0] == task):
            pool = list(strata[key])
            rng.shuffle(pool)
            pools.append(pool)
        chosen += _visit(pools, QUOTA[task])
    return chosen


def build_redteam(kb: KnowledgeBase, seed: int = 0, split: str = "dev") -> list[Case]:
    """The red-team answers for one split: items from `qa.build_items` (seeded; for the test, final, exam and viva
    splits also `more_items`; for the final, exam and viva splits seeded apart, `seed + SEED_OFFSETS[split]`),
    phrasings from the split's set of every bank. Deterministic for (kb, seed, split)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    qa_seed = seed + SEED_OFFSETS.get(split, 0)
    items = qa.build_items(kb, random.Random(f"redteam-qa-{qa_seed}"))
    extra = more_items(kb, items) if split in ("test", *SEED_OFFSETS) else []
    chosen = select_items(items, seed, split, extra)
    return [case for item in chosen for case in write_item(item, kb, split, seed)]
