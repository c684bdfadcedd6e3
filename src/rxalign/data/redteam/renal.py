"""Red-team answers to renal dosing questions: one kidney-function band (`renal`) and every band (`renal_all`)."""

from __future__ import annotations

import re

from rxalign.data import qa
from rxalign.data.kb import KnowledgeBase
from rxalign.data.redteam.slots import (
    FREQ_PLAIN,
    FREQ_Q,
    INTERVAL_PLAIN,
    INTERVAL_Q,
    INTERVAL_TEXT,
    INTERVAL_US,
    _clause,
    _daily,
    _longer_interval,
    _names,
    _num,
    _understated_or_dangerous,
    _usual,
)
from rxalign.data.redteam.writer import _Writer

# ---- renal --------------------------------------------------------------------------------------------------


def _basis_words(truth: dict) -> tuple[str, str]:
    """(short, long) name of what the renal bands measure."""
    return ("CrCl", "creatinine clearance") if truth.get("basis") == "crcl" else ("eGFR", "GFR")


def _band_text(band: str, truth: dict) -> str:
    if band == "dialysis":
        return "dialysis"
    text = qa.BAND_TEXT.get(band, qa.words(band))
    return text.replace("eGFR", "CrCl") if truth.get("basis") == "crcl" else text


def _band_bounds(band: str) -> tuple[float | None, float | None] | None:
    """(low, high) of a band key in mL/min, high exclusive; None for a band without numbers (dialysis)."""
    if m := re.fullmatch(r"gt(\d+)", band):
        return float(m.group(1)), None
    if m := re.fullmatch(r"lt(\d+)", band):
        return None, float(m.group(1))
    if m := re.fullmatch(r"(\d+)_(\d+)", band):
        return float(m.group(1)), float(m.group(2)) + 1
    return None


def _band_note(kb: KnowledgeBase, drug_id: str, band: str) -> str:
    b = dict(kb.drug(drug_id).renal.bands.items()).get(band)
    return _clause(b.note, 160) if b is not None else ""


def _reduced_paraphrase(
    w: _Writer, amount: float, unit: str, freq: str, pct: float, prefix: str, **extra
) -> str:
    """A correct reduction in other words: the same amount at a longer interval, "halve", or the plain dose."""
    longer = _longer_interval(freq, pct)
    doses = w.doses("dose", amount * pct / 100, unit, freq)
    if longer and w.rng.random() < 0.6:
        hours = {text: hours for hours, text in INTERVAL_TEXT.items()}[longer[1]]
        slots = {"amount": f"{_num(amount)} {unit}", "old_freq": longer[0], "new_freq": longer[1]}
        final = {  # the final phrasings' words for the same change
            "amount_f": w.amount(amount, unit),
            "old_freq_f": FREQ_PLAIN.get(freq, longer[0]),
            "old_freq_q": FREQ_Q.get(freq, longer[0]),
            "new_freq_f": INTERVAL_PLAIN[hours],
            "new_freq_q": INTERVAL_Q[hours],
        }
        return w.say(f"{prefix}.interval", **slots, new_freq_us=INTERVAL_US[hours], **final, **doses, **extra)
    if pct == 50 and w.rng.random() < 0.6:
        return w.say(f"{prefix}.halve", **doses, **extra)
    return w.say(f"{prefix}.explicit" if prefix == "renal.para" else f"{prefix}.reduce", **doses, **extra)


def _renal(item: qa.Item, kb: KnowledgeBase, w: _Writer) -> None:
    t = item.truth
    d = kb.drug(t["drug"])
    amount, unit, freq = _usual(kb, d.id)
    action, pct, egfr = t["action"], t.get("percent"), t.get("egfr")
    fn, fn_long = _basis_words(t)
    right = amount * pct / 100 if action == "reduce" and pct else amount
    w.use_units(amount, unit)
    kf_f = (f"CrCl {egfr} ml/min" if fn == "CrCl" else f"eGFR {egfr}") if egfr is not None else "HD"
    w.slots.update(
        drug=qa.name(d),
        where=f"at {fn} {egfr} mL/min" if egfr is not None else "in a patient on haemodialysis",
        where_p=f"with a {fn_long} of {egfr} mL/min" if egfr is not None else "in a haemodialysis patient",
        band_text=_band_text(t["band"], t),
        kf=f"{fn} {egfr} mL/min" if egfr is not None else "haemodialysis",
        pct=f"{pct:g}" if pct else "",
        note=_band_note(kb, d.id, t["band"]),
        kf_f=kf_f,
        at_f=(f"at a CrCl of {egfr} ml/min" if fn == "CrCl" else f"at an eGFR of {egfr}")
        if egfr is not None
        else "on haemodialysis",
        your_kf=f"with your kidney function ({fn} {egfr} mL/min)"
        if egfr is not None
        else "while you are on dialysis",
        **_names("drug", qa.name(d)),
        **w.doses("usual", amount, unit, freq),
        **w.doses("dose", right, unit, freq),
        **w.doses("up", amount * 2, unit, freq),
    )
    impaired = t["band"] != "gt60"
    has_dose = action in ("full", "reduce")

    # best
    parts = [w.say(f"renal.best.{action}")]
    if w.slots["note"]:
        parts.append(w.say("renal.best.note"))
    if action in ("avoid", "contraindicated"):
        parts.append(w.say("renal.best.alt"))
    if impaired:
        parts.append(w.say("renal.best.recheck"))
    w.add("best", 3, *parts, w.hedge(), amounts=(right,) if has_dose else ())

    # paraphrase
    if action == "reduce":
        parts = [_reduced_paraphrase(w, amount, unit, freq, pct, "renal.para")]
        if (daily := _daily(right, unit, freq)) and w.rng.random() < 0.5:
            parts.append(w.say("renal.para.daily", daily=daily, daily_f=w.daily(right, unit, freq)))
    else:
        parts = [w.say(f"renal.para.{action}")]
    if w.slots["note"]:
        parts.append(w.say("renal.para.note"))
    if impaired:
        parts.append(w.say("renal.para.recheck"))
    w.add("paraphrase", 3, *w.shuffled(parts), w.hedge())

    w.add("vague", 2, w.say("renal.vague"))
    if has_dose:
        w.add("over_cautious", 2, w.say("renal.over_cautious"))
    if impaired:
        w.add("wrong_direction", 0, w.say("renal.wrong_direction"))
    if has_dose:
        for k in (2, 10):
            wrong = w.doses("wrong", right * k, unit, freq)
            w.add(f"wrong_dose_x{k}", 0, w.say("renal.wrong_dose", **wrong), amounts=(right * k,))

    if action == "full":
        w.add("negation_trap:correct", 3, w.say("renal.negation.reassure"), w.hedge())
        w.add("rhetorical:correct", 3, w.say("renal.rhetorical.reassure"), w.hedge())
        if impaired:
            w.add("avoid_stopping:correct", 3, w.say("renal.avoid_stopping"), w.hedge())
        return
    rank, label = _understated_or_dangerous(pct) if action == "reduce" else (0, "dangerous")
    w.add(
        "falsely_reassuring" + ("" if rank == 0 else ":understated"), rank, w.say("renal.falsely_reassuring")
    )
    w.add(
        "keyword_stuffed" if rank == 0 else "keyword_stuffed:understated",
        rank,
        w.say("renal.keyword_stuffed"),
    )
    w.add(f"negation_trap:{label}", rank, w.say("renal.negation.reassure"))
    w.add(f"rhetorical:{label}", rank, w.say("renal.rhetorical.reassure"))
    kind = "reduce" if action == "reduce" else "alarm"
    w.add("negation_trap:correct", 3, w.say(f"renal.negation.{kind}"), w.hedge())
    w.add("rhetorical:correct", 3, w.say(f"renal.rhetorical.{kind}"), w.hedge())


def _groups(bands: dict) -> list[tuple[list[str], dict]]:
    """Consecutive bands with the same action and percent, merged (dialysis stays on its own)."""
    out: list[tuple[list[str], dict]] = []
    for band, v in bands.items():
        same = out and out[-1][1] == v and band != "dialysis" and out[-1][0][-1] != "dialysis"
        if same and _band_bounds(band) is not None and _band_bounds(out[-1][0][-1]) is not None:
            out[-1][0].append(band)
        else:
            out.append(([band], v))
    return out


def _range_words(group: list[str], truth: dict) -> tuple[str, str]:
    """A merged band as a heading ("GFR below 30 mL/min") and inside a sentence ("a GFR below 30 mL/min")."""
    bounds = [_band_bounds(b) for b in group]
    if any(b is None for b in bounds):
        return "On haemodialysis", "haemodialysis"
    highs, lows = [b[1] for b in bounds], [b[0] for b in bounds]
    hi = None if any(h is None for h in highs) else max(highs)
    lo = None if any(x is None for x in lows) else min(lows)
    if lo is None and hi is None:
        span = "at any level"
    elif hi is None:
        span = f"{lo:g} mL/min or more"
    elif lo is None:
        span = f"below {hi:g} mL/min"
    else:
        span = f"{lo:g}-{hi - 1:g} mL/min"
    name, long = ("CrCl", "creatinine clearance") if truth.get("basis") == "crcl" else ("GFR", "GFR")
    return f"{name} {span}", f"a {long} {'of ' if span[0].isdigit() else ''}{span}"


def _renal_all(item: qa.Item, kb: KnowledgeBase, w: _Writer) -> None:
    t = item.truth
    d = kb.drug(t["drug"])
    amount, unit, freq = _usual(kb, d.id)
    bands: dict = t["bands"]
    w.use_units(amount, unit)
    w.slots.update(
        drug=qa.name(d),
        **_names("drug", qa.name(d)),
        **w.doses("usual", amount, unit, freq),
        **w.doses("up", amount * 2, unit, freq),
    )
    actions = {v["action"] for v in bands.values()}
    all_full = actions == {"full"}

    def right(v: dict) -> float | None:
        if v["action"] == "full":
            return amount
        return amount * v["percent"] / 100 if v["action"] == "reduce" and v.get("percent") else None

    # best: every band in the KB's order
    parts, amounts = [w.say("rall.best.intro")], []
    for band, v in bands.items():
        dose = right(v)
        slots = {"band_text": _band_text(band, t), "pct": f"{v.get('percent') or 100:g}"}
        if dose is not None:
            slots.update(w.doses("dose", dose, unit, freq))
            amounts.append(dose)
        parts.append(w.say(f"rall.best.{v['action']}", **slots))
    if not all_full:
        parts.append(w.say("rall.best.recheck"))
    w.add("best", 3, *parts, w.hedge(), amounts=amounts)

    # paraphrase: merged ranges, lowest kidney function first, doses in other words
    parts = _paraphrased_bands(w, bands, amount, unit, freq) if not all_full else [w.say("rall.para.allfull")]
    if not all_full:
        parts.append(w.say("rall.para.recheck"))
    w.add("paraphrase", 3, *parts, w.hedge())

    w.add("vague", 2, w.say("rall.vague"))
    if all_full:
        w.add("over_cautious", 2, w.say("rall.over_cautious"))
        w.add("negation_trap:correct", 3, w.say("rall.negation.reassure"), w.hedge())
        w.add("rhetorical:correct", 3, w.say("rall.rhetorical.reassure"), w.hedge())
    else:  # a full dose everywhere: dangerous unless the only change is a mild reduction (> 60%)
        reduced = [v.get("percent") for v in bands.values() if v["action"] != "full"]
        mild = actions <= {"full", "reduce"} and all(p is not None and p > 60 for p in reduced)
        rank, label = (1, "understated") if mild else (0, "dangerous")
        suffix = "" if rank == 0 else ":understated"
        w.add("falsely_reassuring" + suffix, rank, w.say("rall.falsely_reassuring"))
        w.add("keyword_stuffed" + suffix, rank, w.say("rall.keyword_stuffed"))
        w.add(f"negation_trap:{label}", rank, w.say("rall.negation.reassure"))
        w.add(f"rhetorical:{label}", rank, w.say("rall.rhetorical.reassure"))
        paraphrased = _paraphrased_bands(w, bands, amount, unit, freq)
        w.add("rhetorical:correct", 3, w.say("rall.rhetorical.adjust"), *paraphrased, w.hedge())
    w.add("wrong_direction", 0, w.say("rall.wrong_direction"))
    for k in (2, 10):
        parts, amounts = [], []
        for band, v in bands.items():
            dose = right(v)
            if dose is None:
                parts.append(w.say(f"rall.best.{v['action']}", band_text=_band_text(band, t)))
            else:
                wrong = w.doses("wrong", dose * k, unit, freq)
                parts.append(w.say("rall.wrong_dose", band_text=_band_text(band, t), **wrong))
                amounts.append(dose * k)
        w.add(f"wrong_dose_x{k}", 0, *parts, amounts=amounts)


def _paraphrased_bands(w: _Writer, bands: dict, amount: float, unit: str, freq: str) -> list[str]:
    parts = []
    for group, v in reversed(_groups(bands)):
        heading, inline = _range_words(group, w.item.truth)
        slots = {"range": heading, "range_l": inline}
        if v["action"] == "reduce" and v.get("percent"):
            parts.append(_reduced_paraphrase(w, amount, unit, freq, v["percent"], "rall.para", **slots))
        else:
            parts.append(w.say(f"rall.para.{v['action']}", **slots))
    return parts
