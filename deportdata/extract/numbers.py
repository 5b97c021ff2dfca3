"""Counts written in digits or words, with their qualifiers ("more than 150", "about 100")."""
from __future__ import annotations

import re
from dataclasses import dataclass

from deportdata.extract.dates import MONTH_NAME

_UNITS = {
    "one": 1, "a": 1, "an": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12, "both": 2, "another": 1,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
QUALIFIERS = {
    "more than": "at_least", "over": "at_least", "at least": "at_least", "upwards of": "at_least",
    "in excess of": "at_least", "no fewer than": "at_least", "more than a": "at_least",
    "about": "approx", "around": "approx", "roughly": "approx", "approximately": "approx", "nearly": "approx",
    "almost": "approx", "some": "approx", "an estimated": "approx", "close to": "approx", "estimated": "approx",
    "up to": "at_most", "as many as": "at_most", "no more than": "at_most", "at most": "at_most",
    "fewer than": "at_most", "less than": "at_most", "under": "at_most",
}
_WORD = r"(?:" + "|".join(sorted((w for w in _UNITS if w not in ("a", "an", "another")), key=len, reverse=True)) + r")"
_DIGITS = r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?"
_NUMBER = (
    rf"(?P<num>(?:{_DIGITS})(?:\s+(?:million|thousand))?"
    rf"|{_WORD}(?:[\s-]+{_WORD})?(?:\s+(?:hundred|thousand|million))?(?:\s+(?:and\s+)?{_WORD})?"
    rf"|a\s+(?:dozen|hundred|thousand))"
)
_QUALIFIER = r"(?:(?P<qual>" + "|".join(sorted(QUALIFIERS, key=len, reverse=True)) + r")\s+)?"
_YEAR = re.compile(r"\b(?:in|since|by|from|until|of|during|early|late|mid-?)\s*$", re.IGNORECASE)
# digits that belong to a date: "on 28 March", "March 20", "March 20, 2026", "in March 2025"
_MONTH_AFTER_DAY = re.compile(r"(?:st|nd|rd|th)?\s+(?:of\s+)?" + MONTH_NAME + r"\b")
_MONTH_BEFORE_DAY = re.compile(r"\b" + MONTH_NAME + r"\.?\s+$")
_MONTH_BEFORE_YEAR = re.compile(r"\b" + MONTH_NAME + r"\.?\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?$")
NUMBER_RE = re.compile(r"(?<![\w.,$-])" + _QUALIFIER + _NUMBER + r"(?![\w,]*\d)(?!-(?:year|month|day|week|hour))",
                       re.IGNORECASE)


@dataclass(frozen=True)
class Count:
    value: float
    qualifier: str  # exact, at_least, approx, at_most
    start: int
    end: int


def parse_number(text: str) -> float | None:
    text = text.lower().replace("-", " ").strip()
    if text.startswith(("a ", "an ")):  # "a dozen", "a hundred"
        text = text.split(" ", 1)[1]
    if re.fullmatch(_DIGITS + r"(?:\s+(?:million|thousand))?", text):
        parts = text.split()
        value = float(parts[0].replace(",", ""))
        return value * (_SCALES[parts[1]] if len(parts) > 1 else 1)
    total, current = 0.0, 0.0
    for word in text.split():
        if word == "and":
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0.0
        else:
            return None
    value = total + current
    return value or None


def _in_date(text: str, start: int, end: int, digits: str) -> bool:
    before = text[max(0, start - 16):start]
    if re.fullmatch(r"(?:19|20)\d\d", digits):
        return bool(_MONTH_BEFORE_YEAR.search(before))
    if re.fullmatch(r"0?[1-9]|[12]\d|3[01]", digits):
        return bool(_MONTH_AFTER_DAY.match(text, end) or _MONTH_BEFORE_DAY.search(before))
    return False


def find_counts(text: str) -> list[Count]:
    counts = []
    for m in NUMBER_RE.finditer(text):
        value = parse_number(m.group("num"))
        if value is None or _YEAR.search(text, 0, m.start()) and re.fullmatch(r"(?:19|20)\d\d", m.group("num")):
            continue  # "built in 2023 to shelter migrants": a year, not a count
        if _in_date(text, m.start("num"), m.end(), m.group("num")):
            continue
        qual = QUALIFIERS.get((m.group("qual") or "").lower(), "exact")
        counts.append(Count(value, qual, m.start(), m.end()))
    return counts
