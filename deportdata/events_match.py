"""Which mentions are the same event (codebook rule 8).

Blocking: only mentions with the same `event_type` and countries are ever compared
(`block_key`); for an `agreement` the country pair is unordered, and for a
`diplomatic_response` the status is part of the key, because a refusal and a later
reversal by the same government are two acts (the codebook's examples code them apart).

Pairwise decision (`hard_conflict`, `date_fit`, `count_conflict`), inside a block:
- hard attributes must not differ when both mentions give one: a flight's `carrier`, its
  outcome (`landed`, `refused`, `diverted`, `cancelled`: the codebook's "same outcome";
  `planned`, `departed` and `unknown` fit any outcome), a `coercive_measure`'s `measure`,
  a `detention`'s `location` (accent- and case-insensitive, one name containing the other
  fits: "Guantanamo" and "Guantánamo Bay"), the `aircraft_type` of flights and
  deployments (the type sets must overlap), and what a `military_deployment` deploys
  (aircraft, when it gives a flight count or aircraft type; personnel, when it gives only
  a people count);
- dates must fit: same day when both are known to the day; otherwise the date intervals
  must overlap (a day lies in the week, weeks are ISO weeks, months and years are their
  spans); a mention with an unknown date fits a dated one when its article was published
  within `REPORTING_WINDOW_DAYS` (14) of that date's interval, and another undated one
  when the two articles were published within 14 days of each other (an unknown
  publication date fits anything);
- counts must not contradict: `flight_count` equal, `quantity` equal with the same unit,
  and the `people_count` ranges must overlap (exact n is [n, n], `at_least` n is
  [n, inf), `at_most` n is [0, n], `approx` n is [0.9 n, 1.1 n]); a null count fits any.
  Decision: when both mentions are known to the same day, contradicting counts do NOT
  separate them (the codebook defines a flight record by day, destination, carrier and
  outcome, so two accounts of that day are one record); the event is then flagged with
  `count_disagreement`.

Clustering (`deportdata.events_cluster`) applies these rules without transitive chaining: a
mention joins a cluster only when it fits every member. `Cluster` keeps summaries of its
members (hard values, date bounds, values given, reference days), so testing a candidate
costs a few set and bound checks rather than a comparison with every member.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

REPORTING_WINDOW_DAYS = 14
APPROX_TOLERANCE = 0.10
PRECISION_RANK = {"day": 4, "week": 3, "month": 2, "year": 1, "unknown": 0}
FLIGHT_OUTCOMES = frozenset({"landed", "refused", "diverted", "cancelled"})
_FAR = 10**9


@dataclass(slots=True)
class MentionRecord:
    """One mention as the matcher sees it, with nulls as None and derived keys."""

    mention_id: str
    article_id: str
    source: str  # root article: an article and its near-copies are one source
    event_type: str
    status: str | None
    event_date: date | None
    precision: str
    actor_country: str | None
    partner_country: str | None
    location: str | None
    carrier: str | None
    aircraft_type: str | None
    flight_count: int | None
    people_count: int | None
    people_qualifier: str | None
    quantity: float | None
    quantity_unit: str | None
    measure: str | None
    confidence: float
    published: date | None
    interval: tuple[int, int] | None = field(init=False)
    people_range: tuple[float, float] | None = field(init=False)
    _hard: tuple | None = field(init=False, default=None, repr=False, compare=False)
    _signature: tuple | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.interval = date_interval(self.event_date, self.precision)
        if self.interval is None:
            self.precision = "unknown"
        self.people_range = people_range(self.people_count, self.people_qualifier)

    @property
    def hard(self) -> tuple:
        """The attributes that never differ inside an event (see `hard_conflict`). Derived on first
        use: a run that reuses earlier decisions never compares most mentions."""
        if self._hard is None:
            outcome = self.status if self.event_type == "removal_flight" and self.status in FLIGHT_OUTCOMES else None
            asset = None
            if self.event_type == "military_deployment":
                if self.flight_count is not None or self.aircraft_type or self.quantity_unit == "aircraft":
                    asset = "aircraft"
                elif self.people_count is not None:
                    asset = "personnel"
            aircraft = frozenset()
            if self.event_type in ("removal_flight", "military_deployment") and self.aircraft_type:
                types = self.aircraft_type.replace(",", ";").split(";")
                aircraft = frozenset(t.strip().upper() for t in types if t.strip())
            location = place_key(self.location) if self.event_type == "detention" else ""
            self._hard = (
                self.carrier if self.event_type == "removal_flight" else None, outcome,
                self.measure if self.event_type == "coercive_measure" else None, asset, location, aircraft,
            )
        return self._hard

    @property
    def signature(self) -> tuple:
        """Everything the pairwise rules and cluster scoring read: identical accounts are compared once."""
        if self._signature is None:
            self._signature = (
                self.hard, self.interval, self.precision, None if self.interval else self.published,
                self.flight_count, self.people_range, self.quantity, self.quantity_unit, self.status,
                self.people_count, self.carrier, self.location, self.aircraft_type, self.measure,
            )
        return self._signature

    @property
    def gives_count(self) -> bool:
        return self.flight_count is not None or self.people_range is not None or self.quantity is not None

    @property
    def specificity(self) -> tuple:
        n_counts = sum(v is not None for v in (self.flight_count, self.people_count, self.quantity))
        n_attrs = sum(bool(v) for v in (self.carrier, self.location, self.aircraft_type, self.measure))
        return (-PRECISION_RANK[self.precision], -n_counts, -n_attrs, self.mention_id)


def date_interval(day: date | None, precision: str | None) -> tuple[int, int] | None:
    """The span of days (as ordinals, inclusive) a date at a precision stands for."""
    if day is None or precision == "unknown":
        return None
    if precision == "week":
        monday = day - timedelta(days=day.weekday())
        return monday.toordinal(), monday.toordinal() + 6
    if precision == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first.toordinal(), following.toordinal() - 1
    if precision == "year":
        return date(day.year, 1, 1).toordinal(), date(day.year, 12, 31).toordinal()
    return day.toordinal(), day.toordinal()  # "day", or a date without a stated precision


def people_range(count: int | None, qualifier: str | None) -> tuple[float, float] | None:
    if count is None:
        return None
    if qualifier == "at_least":
        return float(count), math.inf
    if qualifier == "at_most":
        return 0.0, float(count)
    if qualifier == "approx":
        return count * (1 - APPROX_TOLERANCE), count * (1 + APPROX_TOLERANCE)
    return float(count), float(count)


def ranges_overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return max(a[0], b[0]) <= min(a[1], b[1])


def place_key(text: str | None) -> str:
    if not text:
        return ""
    stripped = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() else " " for c in stripped.casefold()).split())


def block_key(event_type: str, actor_country: str | None, partner_country: str | None,
              status: str | None) -> tuple:
    countries: tuple = (actor_country or "", partner_country or "")
    if event_type == "agreement":
        countries = tuple(sorted(countries))
    return (event_type, countries, status if event_type == "diplomatic_response" else None)


def match_window(m: MentionRecord) -> tuple[int, int] | None:
    """Days a mention can match: its date span, else its reporting window, else anything (None)."""
    if m.interval is not None:
        return m.interval
    if m.published is not None:
        p = m.published.toordinal()
        return p - REPORTING_WINDOW_DAYS, p + REPORTING_WINDOW_DAYS
    return None


def date_fit(a: MentionRecord, b: MentionRecord) -> tuple[bool, bool]:
    """(dates fit, both known to the same day)."""
    if a.interval is not None and b.interval is not None:
        same_day = a.precision == "day" and b.precision == "day" and a.interval == b.interval
        return ranges_overlap(a.interval, b.interval), same_day
    if a.interval is None and b.interval is None:
        if a.published is None or b.published is None:
            return True, False
        return abs(a.published.toordinal() - b.published.toordinal()) <= REPORTING_WINDOW_DAYS, False
    undated, dated = (a, b) if a.interval is None else (b, a)
    if undated.published is None:
        return True, False
    window = match_window(undated)
    assert window is not None and dated.interval is not None
    return ranges_overlap(window, dated.interval), False


def hard_conflict(a: MentionRecord, b: MentionRecord) -> bool:
    """Carrier, flight outcome, measure, deployed asset, place or aircraft types differ."""
    for x, y in zip(a.hard[:4], b.hard[:4]):
        if x and y and x != y:
            return True
    place_a, place_b = a.hard[4], b.hard[4]
    if place_a and place_b and place_a not in place_b and place_b not in place_a:
        return True
    types_a, types_b = a.hard[5], b.hard[5]
    return bool(types_a and types_b and not types_a & types_b)


COUNT_FIELDS = ("flight_count", "people_count", "quantity")


def count_conflict(a: MentionRecord, b: MentionRecord, name: str) -> bool:
    """Do a and b give contradicting non-null values of one count field?"""
    if name == "flight_count":
        # a single plane can be one of a group reported together ("an American military plane
        # landed" beside "the other two flights"), so 1 contradicts no count
        return (a.flight_count is not None and b.flight_count is not None and a.flight_count != b.flight_count
                and min(a.flight_count, b.flight_count) > 1)
    if name == "people_count":
        return (a.people_range is not None and b.people_range is not None
                and not ranges_overlap(a.people_range, b.people_range))
    if a.quantity is None or b.quantity is None:
        return False
    if a.quantity_unit and b.quantity_unit and a.quantity_unit != b.quantity_unit:
        return True
    return not math.isclose(a.quantity, b.quantity, rel_tol=1e-9, abs_tol=1e-9)


def _reference_day(m: MentionRecord) -> float | None:
    if m.interval is not None:
        return (m.interval[0] + m.interval[1]) / 2
    return float(m.published.toordinal()) if m.published is not None else None


_MATCH_FIELDS = (
    "carrier", "flight_count", "people_count", "quantity", "measure", "location", "aircraft_type", "status",
)


class Cluster:
    """Members of one event, and summaries of its distinct members (one per `signature`) that let
    `score` decide without comparing a mention with each member field by field. Members are
    folded into the summaries when the cluster is next scored: a run that reuses earlier
    decisions leaves most clusters unscored."""

    __slots__ = ("members", "summarized", "by_signature", "sources", "first_id", "disputed", "hard_values",
                 "places", "aircraft", "latest_start", "earliest_end", "first_published", "last_published",
                 "match_values", "days", "counted")

    def __init__(self, first: MentionRecord) -> None:
        self.members: list[MentionRecord] = [first]
        self.summarized = 0  # members folded into the summaries so far
        self.by_signature: dict[tuple, MentionRecord] = {}
        self.sources: set[str] = {first.source}
        self.first_id = first.mention_id
        self.disputed: set[str] = set()  # count fields its (same-day) members already disagree on
        self.hard_values: tuple[set, ...] = (set(), set(), set(), set())  # carrier, outcome, measure, asset
        self.places: set[str] = set()
        self.aircraft: set[frozenset] = set()
        self.latest_start, self.earliest_end = -math.inf, math.inf  # of the dated members' intervals
        self.first_published, self.last_published = math.inf, -math.inf  # of the undated members
        self.match_values: tuple[set, ...] = tuple(set() for _ in _MATCH_FIELDS)
        self.days: list[float] = []
        self.counted: list[MentionRecord] = []  # members giving a count

    def add(self, m: MentionRecord) -> None:
        self.members.append(m)
        self.sources.add(m.source)

    def _summarize(self) -> None:
        for m in self.members[self.summarized:]:
            self._fold(m)
        self.summarized = len(self.members)

    def _fold(self, m: MentionRecord) -> None:
        for other in self.counted:
            self.disputed.update(name for name in COUNT_FIELDS if count_conflict(m, other, name))
        if m.signature in self.by_signature:
            return
        self.by_signature[m.signature] = m
        hard = m.hard
        for values, value in zip(self.hard_values, hard):
            if value:
                values.add(value)
        if hard[4]:
            self.places.add(hard[4])
        if hard[5]:
            self.aircraft.add(hard[5])
        if m.interval is not None:
            self.latest_start = max(self.latest_start, m.interval[0])
            self.earliest_end = min(self.earliest_end, m.interval[1])
        elif m.published is not None:
            day = m.published.toordinal()
            self.first_published = min(self.first_published, day)
            self.last_published = max(self.last_published, day)
        for values, name in zip(self.match_values, _MATCH_FIELDS):
            value = getattr(m, name)
            if value is not None:
                values.add(value)
        day = _reference_day(m)
        if day is not None:
            self.days.append(day)
        if m.gives_count:
            self.counted.append(m)

    def _fits_all(self, m: MentionRecord) -> bool:
        """No `hard_conflict` and `date_fit` with every member. Two intervals overlap when each starts
        before the other ends, so fitting every member's dates means fitting their bounds."""
        if self.summarized < len(self.members):
            self._summarize()
        hard = m.hard
        for values, value in zip(self.hard_values, hard):
            if value and values and (len(values) > 1 or value not in values):
                return False
        place, types = hard[4], hard[5]
        if place and any(p not in place and place not in p for p in self.places):
            return False
        if types and any(not t & types for t in self.aircraft):
            return False
        window = REPORTING_WINDOW_DAYS
        if m.interval is not None:
            start, end = m.interval
            return (start <= self.earliest_end and end >= self.latest_start
                    and start <= self.first_published + window and end >= self.last_published - window)
        if m.published is None:
            return True
        day = m.published.toordinal()
        return (day - window <= self.earliest_end and day + window >= self.latest_start
                and self.last_published - window <= day <= self.first_published + window)

    def score(self, m: MentionRecord) -> tuple | None:
        """Sort key of this cluster for m (smaller is better), or None if m may not join it.

        m must fit every member (no `hard_conflict`, `date_fit`) and contradict no member's counts
        unless both are known to the same day (`count_conflict`); on a count the cluster already
        disputes (accounts of one day that differ), agreeing with one member is enough.
        """
        if not self._fits_all(m):
            return None
        if m.gives_count:
            clashes: set[str] = set()
            for other in self.counted:
                same_day = m.precision == "day" and other.precision == "day" and m.interval == other.interval
                if not same_day:
                    clashes.update(name for name in COUNT_FIELDS if count_conflict(m, other, name))
            for name in clashes:
                if name not in self.disputed or not any(
                    getattr(other, name) is not None and not count_conflict(m, other, name)
                    for other in self.counted
                ):
                    return None
        matches = 0
        for values, name in zip(self.match_values, _MATCH_FIELDS):
            value = getattr(m, name)
            if value is not None and value in values:
                matches += 1
        m_day = _reference_day(m)
        distance = min((abs(m_day - day) for day in self.days), default=_FAR) if m_day is not None else _FAR
        return (-matches, distance, -len(self.sources), self.first_id)
