"""One red-team answer (`Case`) and the writer that composes an item's answers from one split's phrase banks."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rxalign.data import qa
from rxalign.data.redteam.banks import BANKS, SEED_OFFSETS
from rxalign.data.redteam.slots import (
    FREQ_CHAT,
    FREQ_PLAIN,
    FREQ_Q,
    FREQ_TEXT,
    FREQ_X,
    INTERVAL_H,
    _daily,
    _doses,
    _num,
)


@dataclass(frozen=True)
class Case:
    """One answer to one item, with the rank a pharmacist gives it among the item's answers (higher is better)."""

    item_id: str
    task: str
    truth: dict = field(hash=False)
    category: str  # a CATEGORIES entry, with a sub-label after ':' where one category holds several ranks
    answer: str
    rank: int
    # the dose numbers the answer states, in the KB's unit (x2/x10 answers: already multiplied)
    amounts: tuple[float, ...] = ()
    phrasings: tuple[str, ...] = ()  # the bank templates the answer was written from

    @property
    def kind(self) -> str:
        return self.category.split(":")[0]


# ---- writing ----------------------------------------------------------------------------------------------


class _Writer:
    """Writes one item's answers: picks each sentence from one split's set of a bank, fills it from the item's
    slots and records the templates each answer was written from."""

    def __init__(self, item: qa.Item, split: str, rng: random.Random, slots: dict, alt_units: bool = False):
        self.item, self.split, self.rng, self.slots = item, split, rng, slots
        self.cases: list[Case] = []
        self._used: list[str] = []
        self.alt_units = alt_units  # the final phrasings write this item's doses in another unit (use_units)
        self._scale: tuple[str, float, str] = ("", 1.0, "")

    def say(self, key: str, **extra) -> str:
        template = self.rng.choice(BANKS[key][self.split])
        self._used.append(template)
        text = template.format(**{**self.slots, **extra})
        if self.split in SEED_OFFSETS:  # "10 mg q.d." at the end of a sentence: one full stop, not two
            text = re.sub(r"\.(?=\.)", "", text)
        return qa.sentence(re.sub(r"\s+", " ", text).strip())

    def use_units(self, amount: float, unit: str) -> None:
        """The unit the final phrasings write this item's doses in, from its usual dose (`amount` `unit`): where
        `alt_units`, grams for a mg dose of 500 mg or more, mcg for one under 1 mg, mg for a gram dose; else the
        KB's. One unit for every dose of the item, so that a doubled dose is written in the right dose's unit."""
        factor, to = 1.0, unit
        if self.alt_units and unit == "mg" and amount >= 500:
            factor, to = 0.001, "g"
        elif self.alt_units and unit == "mg" and amount < 1:
            factor, to = 1000.0, "mcg"
        elif self.alt_units and unit == "g":
            factor, to = 1000.0, "mg"
        self._scale = (unit, factor, to)

    def amount(self, amount: float, unit: str, spelled: bool = False) -> str:
        """An amount in the item's final unit ("0.5 g" for 500 mg); `spelled`: "micrograms" for "mcg"."""
        frm, factor, to = self._scale
        if unit == frm:
            amount, unit = amount * factor, to
        if spelled:
            unit = {"mcg": "micrograms", "mcg/h": "micrograms per hour"}.get(unit, unit)
        return f"{_num(amount)} {unit}"

    def daily(self, amount: float, unit: str, frequency: str) -> str | None:
        """The daily total of a dose, in the item's final unit (None where a day's total is not meaningful)."""
        frm, factor, to = self._scale
        return _daily(amount * factor, to, frequency) if unit == frm else _daily(amount, unit, frequency)

    def doses(self, name: str, amount: float, unit: str, frequency: str) -> dict[str, str]:
        """`_doses` plus the final phrasings' forms of one dose: `name_q` ("0.5 g q.8h"), `name_f` ("0.5 g every 8
        hours"), `name_pl` ("125 micrograms once a day") and `name_24` ("0.5 g q.8h (1.5 g/24h)"); the exam
        phrasings' `name_x` ("500mg 3x/day") and the viva phrasings' `name_c` ("500mg tds"), both always in the
        KB's unit."""
        out = _doses(name, amount, unit, frequency)
        fallback = FREQ_TEXT.get(frequency, qa.words(frequency))
        glued = unit in ("mg", "g", "mcg")  # "500mg", but "10 units", "25 mcg/h"
        out[f"{name}_x"] = f"{_num(amount)}{'' if glued else ' '}{unit} {FREQ_X.get(frequency, fallback)}"
        out[f"{name}_c"] = f"{_num(amount)}{'' if glued else ' '}{unit} {FREQ_CHAT.get(frequency, fallback)}"
        text, plain = self.amount(amount, unit), FREQ_PLAIN.get(frequency, fallback)
        out[f"{name}_q"] = f"{text} {FREQ_Q.get(frequency, fallback)}"
        out[f"{name}_f"] = f"{text} {plain}"
        out[f"{name}_pl"] = f"{self.amount(amount, unit, spelled=True)} {plain}"
        daily, hours = self.daily(amount, unit, frequency), INTERVAL_H.get(frequency)
        out[f"{name}_24"] = (
            f"{out[f'{name}_q']} ({daily}/24h)" if daily and hours and hours < 24 else out[f"{name}_q"]
        )
        return out

    def hedge(self) -> str:
        return self.say("hedge") if self.item.truth.get("limited_evidence") else ""

    def add(self, category: str, rank: int, *sentences: str, amounts: Sequence[float] = ()) -> None:
        text = " ".join(s for s in sentences if s)
        t = self.item.truth
        self.cases.append(
            Case(
                self.item.id, self.item.task, dict(t), category, text, rank, tuple(amounts), tuple(self._used)
            )
        )
        self._used = []

    def shuffled(self, sentences: list[str]) -> list[str]:
        """Another sentence order for a paraphrase (never the original one when it can differ)."""
        out = [s for s in sentences if s]
        original = list(out)
        for _ in range(4):
            self.rng.shuffle(out)
            if out != original or len(out) < 2:
                break
        return out
