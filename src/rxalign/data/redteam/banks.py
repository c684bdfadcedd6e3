"""The red-team set's splits and phrase banks: split names, seed offsets, answer categories, and every bank's
templates per split, loaded from the bundled YAML files (see the package docstring for the splits and the protocol)."""

from __future__ import annotations

import importlib.resources

import yaml

SPLITS = ("dev", "holdout", "test", "final", "exam", "viva", "panel", "locum")
# A grader may be tuned on these (their targets are asserted); each was the reported split until it was tuned on.
TUNING_SPLITS = ("dev", "holdout", "test", "final", "exam", "viva", "panel")
REPORT_SPLIT = "locum"  # measured and reported, never tuned on (see the package docstring)
CATEGORIES = (
    "best",
    "paraphrase",
    "vague",
    "over_cautious",
    "falsely_reassuring",
    "wrong_direction",
    "wrong_dose_x2",
    "wrong_dose_x10",
    "keyword_stuffed",
    "negation_trap",
    "rhetorical",
    "avoid_stopping",
    "no_monitoring",
)
# The splits that draw a sample of their own (every stratum, seeded apart) are drawn with seed + their offset
# (qa.build_items and the sampler both).
FINAL_SEED_OFFSET = 1000
EXAM_SEED_OFFSET = 2000
VIVA_SEED_OFFSET = 3000
PANEL_SEED_OFFSET = 4000
LOCUM_SEED_OFFSET = 5000
SEED_OFFSETS = {
    "final": FINAL_SEED_OFFSET,
    "exam": EXAM_SEED_OFFSET,
    "viva": VIVA_SEED_OFFSET,
    "panel": PANEL_SEED_OFFSET,
    "locum": LOCUM_SEED_OFFSET,
}


# ---- phrase banks -----------------------------------------------------------------------------------------
# The phrasings are plain data, one YAML file per split under rxalign/resources/redteam/ (`dev.yaml`, ...): each
# maps a bank's key ("ix.best.major": the sentence it writes) to that split's templates. Every file has the same
# keys, and no template is in two splits (tests check it across all banks). The "test" phrasings were written apart
# from dev and holdout, in other shapes and abbreviations; the "final" ones apart from all three; the "exam" ones
# apart from all four; the "viva" ones apart from all five; the "panel" ones apart from all six; the "locum" ones
# apart from all seven (each file's header says how).
# Placeholders are filled from the item's truth and the KB; each filled template becomes one sentence.

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available, as the KB's loader does


def load_banks() -> dict[str, dict[str, list[str]]]:
    """Every bank's templates per split, {key: {split: [template, ...]}}, from the bundled YAML files (one per
    split, the keys in the dev file's order); raises RuntimeError where a file's keys differ from dev's or a bank
    is empty or not a list of strings."""
    root = importlib.resources.files("rxalign") / "resources" / "redteam"
    per_split = {}
    for split in SPLITS:
        data = yaml.load((root / f"{split}.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
        if not isinstance(data, dict):
            raise RuntimeError(f"redteam/{split}.yaml: expected a mapping of bank keys to lists of templates")
        per_split[split] = data
    keys = list(per_split["dev"])
    banks: dict[str, dict[str, list[str]]] = {key: {} for key in keys}
    for split, data in per_split.items():
        if set(data) != set(keys):  # every split has every bank, and no split has a bank the others lack
            raise RuntimeError(f"redteam/{split}.yaml and dev.yaml differ: {sorted(set(data) ^ set(keys))}")
        for key in keys:
            templates = data[key]
            strings = isinstance(templates, list) and all(isinstance(t, str) for t in templates)
            if not templates or not strings:
                raise RuntimeError(f"redteam/{split}.yaml: {key} must be a non-empty list of strings")
            banks[key][split] = templates
    return banks


BANKS: dict[str, dict[str, list[str]]] = load_banks()
# One split's templates per bank (views of BANKS, kept for callers that used the old module-level dicts).
FINAL: dict[str, list[str]] = {key: bank["final"] for key, bank in BANKS.items()}
EXAM: dict[str, list[str]] = {key: bank["exam"] for key, bank in BANKS.items()}
VIVA: dict[str, list[str]] = {key: bank["viva"] for key, bank in BANKS.items()}
PANEL: dict[str, list[str]] = {key: bank["panel"] for key, bank in BANKS.items()}
LOCUM: dict[str, list[str]] = {key: bank["locum"] for key, bank in BANKS.items()}
