"""The values of one event row, taken from its mentions.

Support. A mention's article and its near-copies are one independent source (the root
article of `duplicate_of`). A value's support is the number of distinct sources with a
mention giving it; for `event_date` and `people_count` a source also supports a value
its own account does not contradict (its date span or count range overlaps the value's:
a week-level report supports a day inside that week, "more than 150" supports 160), and
for `location` a name supports a name containing it or contained in it ("Guantanamo",
"Guantánamo Bay"; ties go to the longer name).

Each column takes the best-supported non-null value (a non-null value beats null), ties
going to the more specific value (date: day > week > month > year; people:
exact > approx > at_least/at_most), then to the highest mention confidence, then to the
smallest value, so the choice never depends on row order. Values chosen together:
(`event_date`, `date_precision`), (`people_count`, `people_qualifier`), (`quantity`,
`quantity_unit`), and for an `agreement` (`actor_country`, `partner_country`).

Status: the most advanced status any mention gives, in the type's order (`STATUS_RANK`):
flights planned < departed < landed, with refused, diverted and cancelled ending the
chain and ranking above all others, unknown lowest; agreements proposed < negotiating <
signed < in_force < suspended = abandoned; measures threatened < imposed < lifted;
detention announced < operating < closed; deployments planned < deployed; executive
actions announced < signed < blocked. Equal ranks fall back to support.

`count_disagreement` is true when two mentions give contradicting non-null counts
(different flight counts, non-overlapping people ranges, different quantities or units).

Confidence, with c_s the highest mention confidence of independent source s:

    confidence = 1 - prod_s (1 - c_s)

so one source at 0.8 gives 0.8, two agreeing sources at 0.8 give 0.96; rounded to 6
decimals.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from datetime import date
from typing import Any

from deportdata.events_match import (
    PRECISION_RANK, MentionRecord, date_interval, people_range, place_key, ranges_overlap,
)

STATUS_RANK: dict[str, dict[str, int]] = {
    "removal_flight": {"unknown": 0, "planned": 1, "departed": 2, "landed": 3,
                       "refused": 4, "diverted": 4, "cancelled": 4},
    "agreement": {"proposed": 1, "negotiating": 2, "signed": 3, "in_force": 4, "suspended": 5, "abandoned": 5},
    "coercive_measure": {"threatened": 1, "imposed": 2, "lifted": 3},
    "detention": {"announced": 1, "operating": 2, "closed": 3},
    "military_deployment": {"planned": 1, "deployed": 2},
    "executive_action": {"announced": 1, "signed": 2, "blocked": 3},
}
QUALIFIER_RANK = {None: 3, "exact": 3, "approx": 2, "at_least": 1, "at_most": 1}


def _sort_token(value: Any) -> tuple:
    """A total order over the values of one column (None first), for tie-breaks only."""
    if isinstance(value, tuple):
        return tuple(_sort_token(v) for v in value)
    if value is None:
        return (0, "")
    if isinstance(value, (int, float)):
        return (1, float(value))
    return (2, str(value))


def _pick(
    members: Sequence[MentionRecord],
    value_of: Callable[[MentionRecord], Hashable | None],
    supports: Callable[[Hashable, Hashable], bool] | None = None,
    specificity: Callable[[Hashable], int] | None = None,
) -> Hashable | None:
    """Best-supported non-null value of `value_of` over members (see the module docstring)."""
    given: dict[Hashable, set[str]] = defaultdict(set)
    best_conf: dict[Hashable, float] = defaultdict(float)
    for m in members:
        v = value_of(m)
        if v is None:
            continue
        given[v].add(m.source)
        best_conf[v] = max(best_conf[v], m.confidence)
    if not given:
        return None

    def key(v: Hashable) -> tuple:
        if supports is None:
            support = len(given[v])
        else:
            support = len({s for w, sources in given.items() if supports(v, w) for s in sources})
        return (-support, -(specificity(v) if specificity else 0), -best_conf[v], _sort_token(v))

    return min(given, key=key)


def _date_value(m: MentionRecord) -> tuple[date, str] | None:
    return (m.event_date, m.precision) if m.interval is not None and m.event_date is not None else None


def _dates_agree(v: Hashable, w: Hashable) -> bool:
    a, b = date_interval(*v), date_interval(*w)  # type: ignore[misc]
    return a is not None and b is not None and ranges_overlap(a, b)


def _people_value(m: MentionRecord) -> tuple[int, str | None] | None:
    return (m.people_count, m.people_qualifier) if m.people_count is not None else None


def _people_agree(v: Hashable, w: Hashable) -> bool:
    a, b = people_range(*v), people_range(*w)  # type: ignore[misc]
    return a is not None and b is not None and ranges_overlap(a, b)


def _places_agree(v: Hashable, w: Hashable) -> bool:
    a, b = place_key(str(v)), place_key(str(w))
    return bool(a and b) and (a in b or b in a)


def _place_length(v: Hashable) -> int:
    return len(place_key(str(v)))


def pick_status(members: Sequence[MentionRecord], event_type: str) -> str | None:
    ranks = STATUS_RANK.get(event_type, {})
    given = {m.status for m in members if m.status is not None}
    if not given:
        return None
    top = max(ranks.get(s, 0) for s in given)
    return _pick(members, lambda m: m.status if m.status is not None and ranks.get(m.status, 0) == top else None)


def count_disagreement(members: Sequence[MentionRecord]) -> bool:
    flights = {m.flight_count for m in members if m.flight_count is not None} - {1}
    ranges = [m.people_range for m in members if m.people_range is not None]
    people_clash = bool(ranges) and max(r[0] for r in ranges) > min(r[1] for r in ranges)
    quantities = [m.quantity for m in members if m.quantity is not None]
    units = {m.quantity_unit for m in members if m.quantity is not None and m.quantity_unit}
    quantity_clash = len(units) > 1 or any(not math.isclose(q, quantities[0], rel_tol=1e-9) for q in quantities)
    return len(flights) > 1 or people_clash or quantity_clash


def combined_confidence(members: Sequence[MentionRecord]) -> float:
    per_source: dict[str, float] = {}
    for m in members:
        c = min(max(m.confidence, 0.0), 1.0)
        per_source[m.source] = max(per_source.get(m.source, 0.0), c)
    miss = 1.0
    for source in sorted(per_source):
        miss *= 1.0 - per_source[source]
    return round(1.0 - miss, 6)


def event_values(members: Sequence[MentionRecord], event_type: str) -> dict[str, Any]:
    """The codebook value columns (event_type .. measure) of the event made of `members`."""
    row: dict[str, Any] = {"event_type": event_type, "status": pick_status(members, event_type)}
    when = _pick(members, _date_value, _dates_agree, lambda v: PRECISION_RANK[v[1]])  # type: ignore[index]
    row["event_date"], row["date_precision"] = when if when is not None else (None, "unknown")
    if event_type == "agreement":
        pair = _pick(members, lambda m: (m.actor_country, m.partner_country))
        row["actor_country"], row["partner_country"] = pair  # type: ignore[misc]
    else:
        row["actor_country"] = members[0].actor_country
        row["partner_country"] = members[0].partner_country
    row["location"] = _pick(members, lambda m: m.location, _places_agree, _place_length)
    row["carrier"] = _pick(members, lambda m: m.carrier)
    row["aircraft_type"] = _pick(members, lambda m: m.aircraft_type)
    row["flight_count"] = _pick(members, lambda m: m.flight_count, specificity=lambda v: int(v))
    people = _pick(members, _people_value, _people_agree, lambda v: QUALIFIER_RANK.get(v[1], 0))  # type: ignore[index]
    row["people_count"], row["people_qualifier"] = people if people is not None else (None, None)
    amount = _pick(members, lambda m: (m.quantity, m.quantity_unit) if m.quantity is not None else None)
    row["quantity"], row["quantity_unit"] = amount if amount is not None else (None, None)
    row["measure"] = _pick(members, lambda m: m.measure)
    return row


# --- summary ------------------------------------------------------------------------------

def _number(value: float | int) -> str:
    value = float(value)
    return f"{int(value):,}" if value.is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _people(row: dict[str, Any], noun: str = "people") -> str | None:
    if row.get("people_count") is None:
        return None
    prefixes = {"at_least": "at least ", "approx": "about ", "at_most": "up to "}
    prefix = prefixes.get(row.get("people_qualifier") or "", "")
    return f"{prefix}{_number(row['people_count'])} {noun}"


def _quantity(row: dict[str, Any]) -> str | None:
    if row.get("quantity") is None:
        return None
    unit = row.get("quantity_unit")
    if unit == "percent":
        return f"{_number(row['quantity'])}%"
    if unit == "usd":
        return f"USD {_number(row['quantity'])}"
    return f"{_number(row['quantity'])} {unit}" if unit else _number(row["quantity"])


def _words(value: str | None) -> str:
    return (value or "").replace("_", " ")


def summary(row: dict[str, Any]) -> str:
    """One readable line, e.g. `2 military flights from USA to COL refused (160 people)`."""
    kind, status = row["event_type"], row.get("status")
    actor, partner = row.get("actor_country") or "unknown country", row.get("partner_country")
    if kind == "removal_flight":
        n = row.get("flight_count")
        carrier = f"{row['carrier']} " if row.get("carrier") else ""
        head = f"{n} {carrier}flight{'s' if n != 1 else ''}" if n is not None else f"{carrier}removal flight"
        text = f"{head} from {actor}" + (f" to {partner}" if partner else "")
        if status and status != "unknown":
            text += f" {status}"
        extra = [x for x in (_people(row), row.get("aircraft_type")) if x]
        return text + (f" ({', '.join(extra)})" if extra else "")
    if kind == "diplomatic_response":
        return f"{actor} {_words(status) or 'response'}" + (f" toward {partner}" if partner else "")
    if kind == "coercive_measure":
        amount = _quantity(row)
        text = f"{actor} {_words(status)} {_words(row.get('measure')) or 'coercive measure'}"
        return text + (f" ({amount})" if amount else "") + (f" on {partner}" if partner else "")
    if kind == "agreement":
        pair = f"{actor}-{partner}" if partner else actor
        phrase = {"negotiating": "under negotiation", "in_force": "in force"}.get(status or "", _words(status))
        return f"{pair} agreement {phrase}".rstrip()
    if kind == "detention":
        place = row.get("location") or partner
        text = f"detention at {place} ({actor})" if place else f"detention ({actor})"
        figures = [x for x in (_quantity(row), _people(row)) if x]
        return f"{text} {_words(status)}".rstrip() + (f": {', '.join(figures)}" if figures else "")
    if kind == "military_deployment":
        parts = [x for x in (_people(row, "troops"),) if x]
        if row.get("flight_count") is not None:
            parts.append(f"{_number(row['flight_count'])} aircraft")
        if row.get("aircraft_type"):
            parts.append(row["aircraft_type"])
        what = ", ".join(parts) or "military forces"
        verb = "deployed" if status == "deployed" else f"{_words(status)} deployment of"
        where = row.get("location") or partner
        return f"{actor} {verb} {what}" + (f" to {where}" if where else "")
    if kind == "executive_action":
        amount = _quantity(row)
        return f"{actor} executive action {_words(status)}".rstrip() + (f" ({amount})" if amount else "")
    return f"{_words(kind)} {actor} {_words(status)}".strip()
