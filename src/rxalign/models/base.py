"""The testbed base model shipped with rxalign (`rxalign/resources/base/`): a plain Hugging Face directory with a
model card (card.json, README.md). It was pretrained once, on the corpus the data generator makes with the
default settings (`rxalign pretrain -c configs/testbed-base.yaml`), so the pipeline can start from a model
that knows the knowledge base instead of one trained for a minute.

A base is stale when the generator no longer makes the corpus it was trained on (its fingerprint on the card):
its held-out drugs, or what it read about them, may then differ from the data the pipeline evaluates on.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

from rxalign.errors import UserError

CARD = "card.json"


def base_dir() -> Path:
    return Path(str(resources.files("rxalign") / "resources" / "base"))


def read_card(path: Path | None = None) -> dict:
    """The model card of the shipped base (or of the base directory `path`)."""
    card = (path or base_dir()) / CARD
    if not card.is_file():
        raise UserError(
            f"{card}: the shipped base model is missing; reinstall rxalign or set base_model: scratch"
        )
    return json.loads(card.read_text(encoding="utf-8"))


def weights_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path / "model.safetensors", "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_corpus(corpus_fingerprint: str, where: str, card: dict | None = None) -> None:
    """Refuse to start from the shipped base when `corpus_fingerprint` (the corpus the data settings make) is not
    the one the base was trained on."""
    card = card or read_card()
    if corpus_fingerprint != card["corpus_fingerprint"]:
        raise UserError(
            f"{where}: these data settings make a pretraining corpus (fingerprint {corpus_fingerprint[:12]}) other "
            f"than the one the shipped base was trained on ({card['corpus_fingerprint'][:12]}: seed, held-out "
            "drugs, splits and corpus_* settings must stay at their defaults); set base_model: scratch to pretrain "
            "on these data, or retrain the base (README, 'The testbed base model')"
        )
