"""Filling the red-team templates' placeholders: frequency and drug-name tables as prescribers write them, dose
numbers and ranges, and KB text cut into clauses that sit inside a sentence."""

from __future__ import annotations

import re

from rxalign.data import qa
from rxalign.data.kb import KnowledgeBase

FREQ_TEXT = {
    "once_daily": "once daily",
    "twice_daily": "twice daily",
    "three_times_daily": "three times daily",
    "four_times_daily": "four times daily",
    "every_4_hours": "every 4 hours",
    "every_4_to_6_hours": "every 4 to 6 hours",
    "every_6_hours": "every 6 hours",
    "every_8_hours": "every 8 hours",
    "every_12_hours": "every 12 hours",
    "every_24_hours": "every 24 hours",
    "every_72_hours": "every 72 hours",
    "weekly": "once weekly",
    "daily_in_divided_doses": "daily in divided doses",
    "single_dose": "as a single dose",
    "continuous_infusion": "as a continuous infusion",
}
INTERVAL_H = {
    "once_daily": 24,
    "every_24_hours": 24,
    "twice_daily": 12,
    "every_12_hours": 12,
    "three_times_daily": 8,
    "every_8_hours": 8,
    "four_times_daily": 6,
    "every_6_hours": 6,
    "every_4_hours": 4,
    "every_72_hours": 72,
    "weekly": 168,
}
# Longer intervals a prescriber writes for a renal reduction of a drug given more than once a day.
INTERVAL_TEXT = {8: "every 8 hours", 12: "every 12 hours", 24: "once daily (every 24 hours)"}
# Frequencies as prescribers abbreviate them, American ("bid", "q8h") and British ("BD", "8-hourly"): slots `*_us`
# and `*_uk`, which only the "test" phrasings use (a frequency missing here is written out as in FREQ_TEXT).
FREQ_US = {
    "once_daily": "daily",
    "twice_daily": "bid",
    "three_times_daily": "tid",
    "four_times_daily": "qid",
    "every_4_hours": "q4h",
    "every_4_to_6_hours": "q4-6h",
    "every_6_hours": "q6h",
    "every_8_hours": "q8h",
    "every_12_hours": "q12h",
    "every_24_hours": "q24h",
    "every_72_hours": "q72h",
}
FREQ_UK = {
    "once_daily": "OD",
    "twice_daily": "BD",
    "three_times_daily": "TDS",
    "four_times_daily": "QDS",
    "every_4_hours": "4-hourly",
    "every_4_to_6_hours": "4-6-hourly",
    "every_6_hours": "6-hourly",
    "every_8_hours": "8-hourly",
    "every_12_hours": "12-hourly",
    "every_24_hours": "24-hourly",
    "weekly": "once a week",
}
INTERVAL_US = {8: "q8h", 12: "q12h", 24: "q24h"}
# The final phrasings' frequencies: Latin with dots, as US prescribers write them (slots `*_q`), and in plain words
# for patients (`*_f`, `*_pl`); a frequency missing here is written out as in FREQ_TEXT.
FREQ_Q = {
    "once_daily": "q.d.",
    "twice_daily": "b.i.d.",
    "three_times_daily": "t.i.d.",
    "four_times_daily": "q.i.d.",
    "every_4_hours": "q.4h",
    "every_4_to_6_hours": "q.4-6h",
    "every_6_hours": "q.6h",
    "every_8_hours": "q.8h",
    "every_12_hours": "q.12h",
    "every_24_hours": "q.24h",
    "every_72_hours": "q.72h",
}
FREQ_PLAIN = {
    "once_daily": "once a day",
    "twice_daily": "twice a day",
    "three_times_daily": "three times a day",
    "four_times_daily": "four times a day",
    "every_4_hours": "every 4 hours",
    "every_4_to_6_hours": "every 4 to 6 hours",
    "every_6_hours": "every 6 hours",
    "every_8_hours": "every 8 hours",
    "every_12_hours": "every 12 hours",
    "every_24_hours": "once every 24 hours",
    "every_72_hours": "every 3 days",
    "weekly": "once a week",
    "daily_in_divided_doses": "a day, split into several doses",
    "single_dose": "as a one-off dose",
}
INTERVAL_Q = {8: "q.8h", 12: "q.12h", 24: "q.24h"}
# The exam phrasings' frequencies, as handovers and second-language clinicians write them (slots `*_x`, with the
# amount glued to its unit: "500mg 3x/day"); a frequency missing here is written out as in FREQ_TEXT.
FREQ_X = {
    "once_daily": "1x/day",
    "twice_daily": "2x/day",
    "three_times_daily": "3x/day",
    "four_times_daily": "4x/day",
    "every_4_hours": "4 hrly",
    "every_4_to_6_hours": "4-6 hrly",
    "every_6_hours": "6 hrly",
    "every_8_hours": "8 hrly",
    "every_12_hours": "12 hrly",
    "every_24_hours": "24 hrly",
    "every_72_hours": "every 3rd day",
    "weekly": "1x/week",
}
INTERVAL_PLAIN = {8: "every 8 hours", 12: "every 12 hours", 24: "once a day"}
# The viva phrasings' frequencies, as pharmacists abbreviate them in chat messages (slots `*_c`, lower case, with
# the amount glued to its unit: "500mg tds"); a frequency missing here is written out as in FREQ_TEXT.
FREQ_CHAT = {
    "once_daily": "od",
    "twice_daily": "bd",
    "three_times_daily": "tds",
    "four_times_daily": "qds",
    "every_4_hours": "4hrly",
    "every_4_to_6_hours": "4-6hrly",
    "every_6_hours": "6hrly",
    "every_8_hours": "8hrly",
    "every_12_hours": "12hrly",
    "every_24_hours": "24hrly",
    "every_72_hours": "72hrly",
    "weekly": "weekly",
}
# Divided doses a day (paediatric) in the final phrasings' words.
TIMES_Q = {1: "q.d.", 2: "q.12h", 3: "q.8h", 4: "q.6h"}
TIMES_PLAIN = {1: "once a day", 2: "twice a day", 3: "three times a day", 4: "four times a day"}
# Drug names as US and British prescribers write them (slots `drug_us`, `drug_uk`, `a_us`, ...; only the final
# phrasings use them); a name missing here is the KB's.
NAME_US = {
    "acetaminophen (paracetamol)": "acetaminophen",
    "rifampin (rifampicin)": "rifampin",
    "valproic acid (divalproex)": "valproic acid",
    "dabigatran etexilate": "dabigatran",
    "fentanyl (transdermal)": "transdermal fentanyl",
    "semaglutide (injection)": "semaglutide injection",
    "aspirin (low dose)": "low-dose aspirin",
}
NAME_UK = {
    "acetaminophen (paracetamol)": "paracetamol",
    "rifampin (rifampicin)": "rifampicin",
    "cyclosporine": "ciclosporin",
    "cephalexin": "cefalexin",
    "trimethoprim–sulfamethoxazole": "co-trimoxazole",
    "amoxicillin–clavulanate": "co-amoxiclav",
    "valproic acid (divalproex)": "sodium valproate",
    "dabigatran etexilate": "dabigatran",
    "fentanyl (transdermal)": "transdermal fentanyl",
    "semaglutide (injection)": "semaglutide",
    "aspirin (low dose)": "low-dose aspirin",
}
PHENOTYPE_AB = {
    "poor_metabolizer": "PM",
    "intermediate_metabolizer": "IM",
    "normal_metabolizer": "NM",
    "ultrarapid_metabolizer": "UM",
    "allele_carrier": "carrier",
}
DOSE_UNITS = r"mg/kg|mcg/h|mg|mcg|g|units"
DOSE_NUMBER = re.compile(rf"(\d+(?:\.\d+)?)(?:\s*(?:-|to)\s*(\d+(?:\.\d+)?))?\s*(?:{DOSE_UNITS})(?![a-z])")


# ---- filling slots ------------------------------------------------------------------------------------------


def _num(x: float) -> str:
    """A dose number as a pharmacist writes it: whole from 100 up; below, exact where it has at most three
    decimals (3.375 g, 18.75 mg), else three significant digits (66.7 mg)."""
    if x >= 100:
        return str(round(x))
    if abs(round(x, 3) - x) < 1e-9:
        return f"{round(x, 3):g}"
    return f"{float(f'{x:.3g}'):g}"


def _range(lo: float, hi: float, unit: str, sep: str = "-") -> str:
    return f"{_num(lo)} {unit}" if _num(lo) == _num(hi) else f"{_num(lo)}{sep}{_num(hi)} {unit}"


def _mass(mg_lo: float, mg_hi: float, suffix: str = "") -> str:
    """A mg range, in grams from 1000 mg up (a paraphrase's unit change)."""
    if mg_lo >= 1000:
        return _range(mg_lo / 1000, mg_hi / 1000, "g", " to ") + suffix
    return _range(mg_lo, mg_hi, "mg", " to ") + suffix


def _dose(amount: float, unit: str, frequency: str) -> str:
    return f"{_num(amount)} {unit} {FREQ_TEXT.get(frequency, qa.words(frequency))}"


def _dose_us(amount: float, unit: str, frequency: str) -> str:
    """A dose with an American frequency abbreviation ("500 mg q8h", "20 mg bid")."""
    return f"{_num(amount)} {unit} {FREQ_US.get(frequency) or FREQ_TEXT.get(frequency, qa.words(frequency))}"


def _dose_uk(amount: float, unit: str, frequency: str) -> str:
    """A dose with a British frequency abbreviation ("500 mg TDS", "20 mg 12-hourly")."""
    return f"{_num(amount)} {unit} {FREQ_UK.get(frequency) or FREQ_TEXT.get(frequency, qa.words(frequency))}"


def _doses(name: str, amount: float, unit: str, frequency: str) -> dict[str, str]:
    """Slots `name`, `name_us` and `name_uk`: one dose in words and with both abbreviations."""
    return {
        name: _dose(amount, unit, frequency),
        f"{name}_us": _dose_us(amount, unit, frequency),
        f"{name}_uk": _dose_uk(amount, unit, frequency),
    }


def _daily(amount: float, unit: str, frequency: str) -> str | None:
    hours = INTERVAL_H.get(frequency)
    if not hours or hours > 24 or unit == "mcg/h":
        return None
    per_day = 24 / hours
    return f"{_num(amount * per_day)} {'mg/kg' if unit == 'mg/kg' else unit}"


def _longer_interval(frequency: str, percent: float) -> tuple[str, str] | None:
    """The same amount per dose at a longer interval that gives `percent` of the daily dose, when that interval is
    one a prescriber writes (500 mg every 8 h at 67% -> every 12 h): (old, new) frequency texts."""
    hours = INTERVAL_H.get(frequency)
    if not hours or not 0 < percent < 100:
        return None
    new = hours * 100 / percent
    near = round(new)
    if abs(new - near) / new > 0.03 or near not in INTERVAL_TEXT:
        return None
    return FREQ_TEXT[frequency], INTERVAL_TEXT[near]


def _lower(text: str) -> str:
    """A KB sentence as a clause inside another sentence: first letter lowered unless the first word is an
    acronym or mixed case ("CYP2D6", "CrCl", "eGFR")."""
    text = text.strip().rstrip(".")
    first = text.split(" ", 1)[0]
    return text if any(c.isupper() for c in first[1:]) or text[:1].isdigit() else text[:1].lower() + text[1:]


def _clause(text: str | None, limit: int = 200) -> str:
    """The first clause of a KB text, shortened on a word boundary (never inside a parenthesis), without a
    leading "Label:" tag, ready to sit inside a sentence."""
    if not text:
        return ""
    clause = qa.short(text, 100_000)
    if len(clause) > limit:  # cut at the last comma before the limit, else at a word boundary
        head = clause[:limit]
        comma = head.rfind(", ")
        clause = head[:comma] if comma > limit // 2 else head.rsplit(" ", 1)[0]
    if clause.count("(") > clause.count(")"):
        clause = clause[: clause.rfind("(")]
    clause = re.sub(r"^(?:label|per label)\s*:\s*", "", clause.strip(), flags=re.I).rstrip(" ,;:–-")
    return _lower(clause) if clause else ""


def _names(slot: str, name: str) -> dict[str, str]:
    """Slots `slot_us` and `slot_uk`: a drug's name as US and British prescribers write it."""
    return {f"{slot}_us": NAME_US.get(name, name), f"{slot}_uk": NAME_UK.get(name, name)}


def _understated_or_dangerous(percent: float | None) -> tuple[int, str]:
    """Rank and sub-label of a full dose given where a reduction to `percent` is needed."""
    return (1, "understated") if percent is not None and percent > 60 else (0, "dangerous")


def _usual(kb: KnowledgeBase, drug_id: str) -> tuple[float, str, str]:
    d = kb.drug(drug_id)
    return d.dose.amount, d.dose.unit, d.dose.frequency
