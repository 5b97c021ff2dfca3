"""Event dates in a sentence, absolute or relative to the article's publication date.

Codebook rule 5: a date known to the week is the Monday of its ISO week, to the month
the 1st, to the year January 1; with no anchor the date stays unknown, never invented."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {m.lower(): i for i, m in enumerate(
    "January February March April May June July August September October November December".split(), 1)}
MONTHS.update({m[:3].lower(): i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = {d.lower(): i for i, d in enumerate("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())}

MONTH_NAME = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
             r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
_MONTH = rf"(?P<month>{MONTH_NAME})\.?"
_PATTERNS = [
    ("iso", re.compile(r"\b(?P<year>20\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b")),
    ("month_day", re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>20\d\d))?")),
    ("day_month", re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+(?P<year>20\d\d))?")),
    ("month_year", re.compile(r"\b(?:[Ii]n|[Ss]ince|[Dd]uring|[Bb]y|[Uu]ntil|[Ee]arly|[Ll]ate|[Mm]id-?|in mid-?|in early|"
                              r"in late)\s*" + _MONTH + r"(?:\s+(?P<year>20\d\d)|\s+(?P<rel>last|this|next) year)?\b")),
    ("weekday", re.compile(r"\b(?P<last>last\s+|this\s+|next\s+|on\s+|late\s+|early\s+)?(?P<weekday>Monday|Tuesday|"
                           r"Wednesday|Thursday|Friday|Saturday|Sunday)\b")),
    ("relative_day", re.compile(r"\b(?P<word>yesterday|today|tonight|the day before|the previous day)\b", re.I)),
    ("relative_week", re.compile(r"\b(?P<which>last|this|earlier this|next|the previous|the past)\s+week(?:end)?\b", re.I)),
    ("weekend", re.compile(r"\b(?:over|during|on|at) the weekend\b|\blast weekend\b", re.I)),
    ("relative_month", re.compile(r"\b(?P<which>last|this|earlier this|next|the previous)\s+month\b", re.I)),
    ("relative_year", re.compile(r"\b(?P<which>last|this|earlier this|the previous|next)\s+year\b", re.I)),
    ("year", re.compile(r"\b(?:in|since|during|by)\s+(?P<year>20\d\d)\b", re.I)),
]


@dataclass(frozen=True)
class EventDate:
    date: dt.date | None
    precision: str  # day, week, month, year, unknown


UNKNOWN = EventDate(None, "unknown")


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _year_for(month: int, day: int, published: dt.date | None) -> int | None:
    """News reports the recent past: a month after the publication month is last year's."""
    if published is None:
        return None
    year = published.year
    try:
        if dt.date(year, month, day) > published + dt.timedelta(days=31):
            year -= 1
    except ValueError:
        return None
    return year


def _safe_date(year: int | None, month: int, day: int) -> dt.date | None:
    if year is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def resolve(kind: str, m: re.Match, published: dt.date | None, future: bool) -> EventDate:
    g = m.groupdict()
    if kind == "iso":
        day = _safe_date(int(g["year"]), int(g["m"]), int(g["d"]))
        return EventDate(day, "day") if day else UNKNOWN
    if kind in ("month_day", "day_month"):
        month, day = MONTHS[g["month"].lower()], int(g["day"])
        year = int(g["year"]) if g.get("year") else _year_for(month, day, published)
        value = _safe_date(year, month, day)
        return EventDate(value, "day") if value else UNKNOWN
    if kind == "month_year":
        month = MONTHS[g["month"].lower()]
        if g.get("rel"):  # "in July last year"
            year = published.year + {"last": -1, "this": 0, "next": 1}[g["rel"]] if published else None
            return EventDate(dt.date(year, month, 1), "month") if year else UNKNOWN
        year = int(g["year"]) if g.get("year") else _year_for(month, 1, published)
        value = _safe_date(year, month, 1)
        return EventDate(value, "month") if value else UNKNOWN
    if kind == "year":
        return EventDate(dt.date(int(g["year"]), 1, 1), "year")
    if published is None:
        return UNKNOWN
    if kind == "weekday":
        target = WEEKDAYS[g["weekday"].lower()]
        modifier = (g.get("last") or "").strip().lower()
        if modifier == "next" or (future and modifier != "last"):
            delta = (target - published.weekday()) % 7 or 7
            return EventDate(published + dt.timedelta(days=delta), "day")
        delta = (published.weekday() - target) % 7
        if modifier == "last" and delta == 0:
            delta = 7
        return EventDate(published - dt.timedelta(days=delta), "day")
    if kind == "relative_day":
        word = g["word"].lower()
        back = 0 if word in ("today", "tonight") else 1
        return EventDate(published - dt.timedelta(days=back), "day")
    if kind == "relative_week":
        which = g["which"].lower()
        offset = {"last": -7, "the previous": -7, "the past": -7, "next": 7}.get(which, 0)
        if which == "the past":  # "the past week" is the seven days up to publication
            return EventDate(_monday(published - dt.timedelta(days=3)), "week")
        return EventDate(_monday(published + dt.timedelta(days=offset)), "week")
    if kind == "weekend":  # the latest Saturday-Sunday before publication, known to its ISO week
        saturday = published - dt.timedelta(days=(published.weekday() - 5) % 7 or 7)
        return EventDate(_monday(saturday), "week")
    if kind == "relative_month":
        which = g["which"].lower()
        first = published.replace(day=1)
        if which in ("last", "the previous"):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        elif which == "next":
            first = (first + dt.timedelta(days=32)).replace(day=1)
        return EventDate(first, "month")
    if kind == "relative_year":
        offset = {"last": -1, "the previous": -1, "next": 1}.get(g["which"].lower(), 0)
        return EventDate(dt.date(published.year + offset, 1, 1), "year")
    return UNKNOWN


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    value: EventDate


def find_dates(text: str, published: dt.date | None, future_before: re.Pattern | None = None) -> list[DateMention]:
    """Dates in text; a weekday is the next one when `future_before` matches the text before it."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            future = bool(future_before and future_before.search(text[:m.start()]))
            found.append(DateMention(m.start(), m.end(), resolve(kind, m, published, future)))
    return sorted(found, key=lambda d: d.start)
