"""Doses read from an answer: amounts normalised to a daily total, the ones it recommends (not its caps, refused
or replaced doses, or quotes), dose percentages, and the eGFR ranges and Child-Pugh classes whose advice it gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rxalign.eval.text import NEGATORS, QUOTED, resolve_rhetoric, sentence_start

# ---- doses --------------------------------------------------------------------------------------------------

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "once": 1, "twice": 2}
TO_MG = {"mg": 1.0, "g": 1000.0, "mcg": 0.001}
FREQUENCIES = [  # (pattern, doses per day); earlier patterns win
    (r"every (\d+(?:\.\d+)?)(?: ?-? ?(?:to|-) ?\d+)? ?(?:hours?|hrs?|h)\b", None),
    (
        r"\b(\d) ?x ?(?:/ ?|per |a )?(?:day|daily|d)\b|\b(one|two|three|four|five|six) times (?:a|per) day\b",
        -1,
    ),
    (
        r"\bq\.? ?(\d+)(?:-\d+)? ?h\b|\b(\d+) ?hrly\b|\b(\d+)-?hourly\b|(?:per|/|every) ?(\d+) ?h(?:ours?)?\b",
        None,
    ),
    (r"\bevery other day\b|\bevery 48\b|\bon alternate days\b", 0.5),
    (r"\bweekly\b|\bonce (?:a|per|every) week\b", 1 / 7),
    (r"\bfour times (?:a |per )?da(?:y|ily)\b|\bq\.?i\.?d\b|\bqds\b", 4.0),
    (r"\bthree times (?:a |per )?da(?:y|ily)\b|\bt\.?i\.?d\b|\btds\b|\bthrice daily\b", 3.0),
    (r"\btwice (?:a |per )?da(?:y|ily)\b|\bb\.?i\.?d\b|\bbd\b|\btwo times (?:a |per )?da(?:y|ily)\b", 2.0),
    (
        r"\bonce (?:a |per )?da(?:y|ily)\b|\bdaily\b|\bper day\b|\ba day\b|/ ?day\b|\bq\.?d\b|\bod\b|\bnightly\b|"
        r"\bmane\b|\bnocte\b|\bat night\b|\bin the morning\b",
        1.0,
    ),
]
KB_FREQUENCY = {
    "once_daily": 1.0,
    "twice_daily": 2.0,
    "three_times_daily": 3.0,
    "four_times_daily": 4.0,
    "every_4_hours": 6.0,
    "every_4_to_6_hours": 6.0,
    "every_6_hours": 4.0,
    "every_8_hours": 3.0,
    "every_12_hours": 2.0,
    "every_24_hours": 1.0,
    "every_72_hours": 1 / 3,
    "weekly": 1 / 7,
    "daily_in_divided_doses": 1.0,  # the KB amount is the daily total
}
AMOUNT = re.compile(
    r"(\d+(?:\.\d+)?)(?:\s*(?:-|to)\s*(\d+(?:\.\d+)?))?\s*(mg|g|mcg|units?|iu)\b(\s*/\s*kg\b|\s*per\s*kg\b)?"
    r"(\s*/\s*(?:day|d)\b|\s*per\s*day\b|\s*daily\b|\s*a day\b)?"
)


@dataclass(frozen=True)
class Dose:
    low: float  # per day, in mg (mg/kg/day for per-kg doses; units for insulin-like doses)
    high: float
    per_kg: bool
    unit: str  # "mg" (mass), "units"
    explicit_frequency: bool  # a frequency or "/day" was stated (else the usual frequency was assumed)
    span: tuple[int, int]


def doses(text: str, usual_per_day: float = 1.0) -> list[Dose]:
    """Every dose the answer states, normalised to a daily amount: "250 mg twice daily" -> 500 mg/day; "10 mg/kg
    every 8 hours" -> 30 mg/kg/day; "1 g" -> 1000 mg at `usual_per_day` doses a day when no frequency follows.
    "divided into N doses" after a daily amount does not multiply it."""
    out = []
    for m in AMOUNT.finditer(text):
        low, high = float(m.group(1)), float(m.group(2) or m.group(1))
        unit = m.group(3)
        scale = TO_MG.get(unit, 1.0)
        per_kg, per_day = m.group(4) is not None, m.group(5) is not None
        tail = text[m.end() : m.end() + 45]
        per_day_count, explicit = None, per_day
        if not per_day:
            for pattern, count in FREQUENCIES:
                f = re.match(
                    rf"\s*[,|]?\s*(?:[a-z]+,?\s+){{0,3}}?(?:{pattern})", tail
                )  # "140 mg | every 12 hours"
                if f:
                    per_day_count, explicit = _per_day(f, count), True
                    break
            if per_day_count is None:  # "same 150 mg dose, with the dosing interval extended to once daily"
                per_day_count = _changed_frequency(text[m.end() : m.end() + 120])
                explicit = per_day_count is not None
            if per_day_count is None and re.match(r"\s*(?:in )?(?:divided|split)", tail):
                per_day_count, explicit = 1.0, True  # "30 mg divided into 3 doses" is already a daily total
        if re.search(
            r"(?:daily total|total daily(?: dose)?|daily dose|total of)(?: of| is| would be)?\W*$",
            text[max(0, m.start() - 25) : m.start()],
        ):
            per_day = explicit = True
        factor = 1.0 if per_day else (per_day_count if per_day_count is not None else usual_per_day)
        out.append(
            Dose(
                low * scale * factor,
                high * scale * factor,
                per_kg,
                "units" if unit in ("unit", "units", "iu") else "mg",
                explicit,
                m.span(),
            )
        )
    return out


CAP = re.compile(
    r"(?:max\w*|not (?:to )?exceed|up to|no more than|cap\w*|limit\w*|ceiling|at or below|not go over|never (?:go )?"
    r"(?:over|above)|stay (?:under|below)|keep (?:it )?(?:within|under|below)|never more than|no higher than|not above|"
    r"(?:never|not|don't|do not) (?:give|exceed|go)[\w\s]{0,20}?(?:more than|over|above))[\s:=,>→-]*(?:(?:daily|total|dose|of|is|a|the|day|at|to)[\s:=,>→-]+){0,3}$"
)
# A dose named to be replaced or refused: "instead of 25 mcg/h", "not 1 g", "(usual 75 mg)", "reduce from 500 mg".
DENIED = re.compile(
    r"(?:instead of|rather than|(?<!less )\bthan\b|\(usual(?! (?:dose|dosing|regimen)\))|\bespecially at|\brisk[^.;]{0,30}\bat|"
    r"\b(?:reduc\w*|lower\w*|cut|decreas\w*|down|switch\w*) (?:\w+ )?from\b)[^.;,]{0,30}$"
)


def _denied(text: str, start: int) -> bool:
    """A dose named to be replaced or refused: "instead of 25 mcg/h", "not 1 g", "(usual 75 mg)", "reduce from
    500 mg"; "no reason not to give 500 mg" is not refused (the negations cancel)."""
    window = text[max(0, start - 40) : start]
    if DENIED.search(window):
        return True
    clause = re.split(r"[.;,:]| -> ", window)[-1]
    clause = re.sub(
        r"\bno (?:[\w-]+ )?(?:change|adjustment|reduction|need|reason|problem|concern)s?\b|"
        r"\b(?:don't|do not|never|no need to|not) (?:cut|reduce|lower|decrease|change|adjust|alter|halve|drop)\b",
        " ",
        clause,
    )  # "don't cut the adult 500 mg" keeps the 500 mg
    return len(NEGATORS.findall(re.sub(r"\b(?:not|no) less\b", " ", clause))) % 2 == 1


REFUSED_AFTER = re.compile(
    r"[^.;]{0,40}?\b(?:is|are|would be) (?:not|no longer) (?:appropriate|right|correct|suitable|safe|recommended|advised)|"
    r"[^.;]{0,40}?\b(?:is|are|would be) (?:wrong|too (?:high|much|large))"
)
LOADING = re.compile(
    r"\s*(?:\w+\s+){0,2}?(?:initial|loading|first|stat|starting)(?: dose)?\b|\s*(?:on )?day 1\b"
)
RAISE = r"\b(?:increase|raise|push|bump|titrate|escalate|double)\w*\b|\b(?:dose|go|going|step) up\b"  # "push the dose up to 100 mg" is no cap


def recommended_doses(text: str, usual_per_day: float = 1.0) -> list[Dose]:
    """The doses an answer recommends, its own before those it quotes from a source: rhetorical questions
    resolved ("Is the usual 1 g right? No - give 0.33 g" keeps 0.33 g), and maxima ("do not exceed 40 mg/day")
    and refused or replaced doses ("instead of 25 mcg/h") left out."""
    text = resolve_rhetoric(text)
    kept = [
        d
        for d in doses(text, usual_per_day)
        if not (
            CAP.search(window := text[max(0, d.span[0] - 40) : d.span[0]]) and not re.search(RAISE, window)
        )
        and not _denied(text, d.span[0])
    ]
    kept = [
        d for d in kept if not REFUSED_AFTER.match(text, d.span[1]) and not LOADING.match(text, d.span[1])
    ]
    quoted = [d for d in kept if QUOTED.match(text, sentence_start(text, d.span[0]))]
    return [d for d in kept if d not in quoted] + quoted


def _changed_frequency(after: str) -> float | None:
    """Doses a day from a frequency change later in the sentence: "... interval extended to every 24 hours",
    "... move from twice daily to q24h"."""
    sentence = re.split(r"[.;](?:\s|$)", after)[0]
    m = re.search(
        r"\b(?:interval|frequency|dosing|move|switch|change|go)\w*\b[^.;]*?\bto\b|\b(?:but|and) (?:give|dose|take) "
        r"(?:it|them)\b|\bbut only\b",
        sentence,
    )
    if not m:
        return None
    rest = sentence[m.end() :]
    for pattern, count in FREQUENCIES:
        f = re.search(pattern, rest)
        if f:
            return _per_day(f, count)
    return None


def _per_day(match: re.Match, count: float | None) -> float:
    """Doses a day from a FREQUENCIES match: a fixed count, an interval in hours (None), or "N times a day" (-1)."""
    if count is None or count == -1:
        value = next(g for g in match.groups() if g)
        n = float(NUMBER_WORDS.get(value, value))
        return 24 / n if count is None else n
    return count


FRACTION_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "half": 2,
    "third": 3,
    "quarter": 4,
    "fifth": 5,
    "sixth": 6,
    "eighth": 8,
}


def percents(text: str) -> list[tuple[float, str]]:
    """(percent of the usual dose, how it was said) for each dose percentage: "reduce to 50%" -> 50, "reduce by
    25%" -> 75, "halve the dose" -> 50, "a quarter of the dose" -> 25, "100%" -> 100. Cross-reactivity and risk
    percentages ("1-2% cross-reactivity") are skipped."""
    out = []
    for m in re.finditer(r"(\d+(?:\.\d+)?)\s*%", text):
        after = text[m.end() : m.end() + 25]
        before = text[max(0, m.start() - 25) : m.start()]
        if re.search(r"cross|risk|reactiv|chance|incidence|patients|bioavailab", after + before):
            continue
        value = float(m.group(1))
        if re.search(r"\bby\s*(?:about |approximately |~)?$", before):
            value = 100 - value
        out.append((m.start(), value, m.group(0)))
    for m in re.finditer(
        r"\b(?:halve|half(?: of)? the (?:usual |normal |standard )?dose|half-dose)\b|"
        r"\b(?:a )?quarter of the (?:usual |normal )?dose\b|\bthree[- ]quarters of the (?:usual |normal )?dose\b",
        text,
    ):
        word = m.group(0)
        out.append((m.start(), 75.0 if "three" in word else (25.0 if "quarter" in word else 50.0), word))
    for m in re.finditer(
        r"\b(one|two|three)[- ](half|third|quarter|fifth|sixth|eighth)s? of (?:the|your|his|her)\b", text
    ):
        out.append((m.start(), 100 * FRACTION_WORDS[m.group(1)] / FRACTION_WORDS[m.group(2)], m.group(0)))
    for m in re.finditer(
        r"\bdouble (?:the )?(?:[\w()-]+ ){0,2}?dose|\btwice the (?:usual |normal )?dose", text
    ):
        out.append((m.start(), 200.0, m.group(0)))
    return [(value, said) for _, value, said in sorted(out)]


# ---- ranges (eGFR bands, Child-Pugh) -------------------------------------------------------------------------


def egfr_ranges(text: str) -> list[tuple[float, float, int, int]]:
    """(low, high, start, end) for each kidney-function range the answer names ("eGFR 30-44", "crcl < 30",
    "below 15", ">= 60", "a GFR of 8", "on dialysis" -> (-1, -1)). [start, end) is the segment that speaks for it:
    from the start of its sentence to the next range; ranges joined by "or"/"and" share the next one's segment."""
    unit = r"(?:\s*ml/min(?:/1\.73 ?m2|/1\.73 ?m²)?)?"
    ranges = (
        rf"(\d+){unit}\s*(?:-|to)\s*(\d+)|(?:<|below|under|less than)\s*=?\s*(\d+)|"
        rf"(?:>=|>|above|over|greater than|more than|at least)\s*=?\s*(\d+)|"
        rf"(\d+){unit}\s*(?:\+|or (?:above|more|higher|greater))"
    )
    point = rf"(?:(?:of|is|at|=)\s*)?(\d+)\b(?!{unit}\s*(?:-|to\b|\+|or\b))"  # "a GFR of 8"
    marks = [
        (m, m.groups())
        for m in re.finditer(rf"(?:egfr|crcl|gfr|clearance)[^.;:\d<>]{{0,25}}?(?:{ranges}|{point})", text)
    ]
    # bare ranges after an earlier eGFR mention ("egfr 30-44: ...; 15-29: ...; below 15: ...")
    if marks:
        first = marks[0][0].start()
        for m in re.finditer(rf"(?<![\w.])(?:{ranges})", text):
            heads = re.search(r"(?:^|[.;]\s*)$", text[: m.start()]) is not None  # a sentence opens with it
            labels = re.match(r"\s*(?:ml/min)?[^\w]{0,3}[:,=-]|\s*(?:or|and)\b", text[m.end() :]) is not None
            inside = any(x.start() <= m.start() < x.end() for x, _ in marks)
            if m.start() > first and (heads or labels) and not inside:
                marks.append((m, m.groups() + (None,)))
    # "above CrCl 30", "below an eGFR of 15": the comparison before the keyword
    before = [
        m
        for m in re.finditer(
            r"(?:(<|below|under|less than)|(>=|>|above|over|greater than|more than|at least))\s*(?:an? )?"
            r"(?:egfr|crcl|gfr)(?:\s*of)?\s*(\d+)",
            text,
        )
    ]
    marks = [(m, g) for m, g in marks if not any(b.start() <= m.start() < b.end() for b in before)]
    found = [
        ((0.0, float(b.group(3)) - 0.001) if b.group(1) else (float(b.group(3)), 1e9)) + (b.start(), b.end())
        for b in before
    ]
    for m, g in marks:
        a, b, lt, gt, plus, single = g[-6:]
        if single is not None:
            low, high = float(single), float(single) + 0.999
        elif a is not None:
            low, high = float(a), float(b) + 0.999
        elif lt is not None:
            low, high = 0.0, float(lt) - 0.001
        else:
            low, high = float(gt or plus), 1e9
        found.append((low, high, m.start(), m.end()))
    for m in re.finditer(
        r"\b(?:on |during |receiving |requiring )?(?:haemo|hemo|peritoneal )?dialysis\b", text
    ):
        found.append((-1.0, -1.0, m.start(), m.end()))
    found.sort(key=lambda r: r[2])
    kept: list[tuple[float, float, int, int]] = []
    for (
        r
    ) in found:  # a range named again in the same sentence ("after dialysis on dialysis days") is one mark
        if kept and kept[-1][:2] == r[:2] and not re.search(r"[.;] ", text[kept[-1][3] : r[2]]):
            continue
        kept.append(r)
    found = kept
    starts = [sentence_start(text, s, found[i - 1][3] if i else 0) for i, (_, _, s, _) in enumerate(found)]
    ends = [starts[i + 1] if i + 1 < len(found) else len(text) for i in range(len(found))]
    for i in range(len(found) - 2, -1, -1):  # "below 15 or on dialysis: avoid"
        if re.fullmatch(r"[\s,/]*(?:or|and)?[\s,]*", text[found[i][3] : ends[i]]):
            ends[i] = ends[i + 1]
    return [(lo, hi, starts[i], ends[i]) for i, (lo, hi, _, _) in enumerate(found)]


CHILD_PUGH = {
    "A": r"child[- ]pugh (?:class )?a\b|\bmild(?:ly)? (?:hepatic|liver)|\bcompensated",
    "B": r"child[- ]pugh (?:class )?b\b|\bmoderate(?:ly)? (?:hepatic|liver)",
    "C": r"child[- ]pugh (?:class )?c\b|\bsevere(?:ly)? (?:hepatic|liver)|\bdecompensated",
}


def child_pugh_segments(text: str) -> dict[str, str]:
    """The part of the answer that speaks about each Child-Pugh class it names (from its mention to the next)."""
    found = sorted((m.start(), m.end(), cls) for cls, p in CHILD_PUGH.items() for m in re.finditer(p, text))
    marks = [(sentence_start(text, s, found[i - 1][1] if i else 0), c) for i, (s, _, c) in enumerate(found)]
    out: dict[str, str] = {}
    for i, (start, cls) in enumerate(marks):
        end = next((s for s, c in marks[i + 1 :] if c != cls), len(text))
        out.setdefault(cls, "")
        out[cls] += " " + text[start:end]
    # "a, b: avoid" style lists: a class mentioned right before another shares its segment
    return {k: v.strip() for k, v in out.items()}
