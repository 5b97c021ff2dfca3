"""Stable event ids across releases, the `changes` table and the CHANGELOG section.

New ids. An event that inherits no id gets `e_` + the first 16 hex chars of sha256 of its
smallest `mention_id` (if that id is taken, by an event of the previous release or of
this one, the next smallest mention_id is tried, then the smallest with a `#n` suffix):
the same input always gives the same ids.

Inheritance from the previous release, through the mention ids both releases share:
- each previous event's heir is the new event holding most of its old mentions (ties:
  the one holding its smallest old mention_id); so an event keeps its id while it keeps
  any of its mentions, and when it splits the part with most of its old mentions keeps it;
- a new event that is the heir of several previous events keeps the id of the oldest
  one (earliest `first_seen` version, then smallest id); the others are `merged` into it;
- a previous event with none of its mentions left is `removed`;
- `first_seen` is copied from the inherited event, or is this release's version.

Changes: `added` (id not in the previous release), `updated` (same id, some published
column differs; `changed_columns` lists them, sorted, ";"-joined), `merged` (with
`merged_into`), `removed`. Unchanged events are not listed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

CHANGE_COLUMNS = ["event_id", "change", "merged_into", "changed_columns"]
CHANGE_ORDER = ("added", "updated", "merged", "removed")


def _hashed(text: str) -> str:
    return "e_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def derived_id(mention_ids: Sequence[str], taken: set[str]) -> str:
    ordered = sorted(mention_ids)
    for mention_id in ordered:
        candidate = _hashed(mention_id)
        if candidate not in taken:
            return candidate
    salt = 1
    while (candidate := _hashed(f"{ordered[0]}#{salt}")) in taken:
        salt += 1
    return candidate


def version_key(version: str) -> tuple:
    """Order release versions: numeric parts numerically ("0.10.0" after "0.9.1")."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-+_]", version.lstrip("vV")))


@dataclass(frozen=True)
class IdAssignment:
    event_ids: list[str]  # one per cluster, in the clusters' order
    first_seen: list[str]
    merged_into: dict[str, str]  # previous event id -> id of the event that absorbed it
    removed: list[str]


def assign_ids(
    clusters: Sequence[Sequence[str]],
    version: str,
    previous_event_of: Mapping[str, str] | None = None,
    previous_first_seen: Mapping[str, str] | None = None,
) -> IdAssignment:
    """Ids for clusters of mention ids (see the module docstring).

    `previous_event_of` maps the previous release's mention ids to their event ids;
    `previous_first_seen` maps every previous event id to its `first_seen` version.
    """
    previous_event_of = previous_event_of or {}
    previous_first_seen = previous_first_seen or {}
    held: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for index, mention_ids in enumerate(clusters):
        for mention_id in mention_ids:
            old = previous_event_of.get(mention_id)
            if old is not None:
                held[old][index].append(mention_id)

    claims: dict[int, list[str]] = defaultdict(list)
    for old, by_cluster in held.items():
        heir = min(by_cluster, key=lambda i: (-len(by_cluster[i]), min(by_cluster[i])))
        claims[heir].append(old)

    ids: list[str | None] = [None] * len(clusters)
    first_seen: list[str] = [version] * len(clusters)
    merged_into: dict[str, str] = {}
    for index, olds in claims.items():
        olds.sort(key=lambda e: (version_key(previous_first_seen.get(e, "")), e))
        ids[index] = olds[0]
        first_seen[index] = previous_first_seen.get(olds[0]) or version
        for other in olds[1:]:
            merged_into[other] = olds[0]

    taken = set(previous_first_seen) | set(previous_event_of.values()) | {i for i in ids if i}
    for index in sorted(range(len(clusters)), key=lambda i: min(clusters[i])):
        if ids[index] is None:
            ids[index] = derived_id(clusters[index], taken)
            taken.add(ids[index])  # type: ignore[arg-type]

    known = set(previous_first_seen) | set(previous_event_of.values())
    removed = sorted(e for e in known if e not in held)
    return IdAssignment([i for i in ids if i is not None], first_seen, merged_into, removed)


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return _plain(value.item())  # numpy scalar
    return value


def _same(a: Any, b: Any) -> bool:
    a, b = _plain(a), _plain(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        return str(a) == str(b)
    return a == b


def _identical_rows(events: pd.DataFrame, previous_events: pd.DataFrame, columns: list[str]) -> set[str]:
    """Ids of events whose compared values equal the previous ones as they are (nulls alike):
    the common case, found in one pass; the others go through `_same` value by value."""
    current = events.set_index("event_id")[columns]
    before = previous_events.drop_duplicates("event_id").set_index("event_id")[columns]
    common = current.index.intersection(before.index)
    a, b = current.loc[common].astype(object), before.loc[common].astype(object)
    equal = (a.where(a.notna(), None).to_numpy() == b.where(b.notna(), None).to_numpy()).all(axis=1)
    return set(common[equal])


def changes_table(
    events: pd.DataFrame,
    previous_events: pd.DataFrame | None,
    assignment: IdAssignment,
    compared_columns: Sequence[str],
) -> pd.DataFrame:
    """The `changes` rows of this release against the previous one (every event added if none)."""
    rows: list[tuple[str, str, str | None, str | None]] = []
    if previous_events is None:
        rows = [(e, "added", None, None) for e in events["event_id"]]
    else:
        columns = [c for c in compared_columns if c in previous_events.columns and c in events.columns]
        unchanged = _identical_rows(events, previous_events, columns)
        before = {r["event_id"]: r for r in previous_events[~previous_events["event_id"].isin(unchanged)]
                  .to_dict("records")}
        for row in events[~events["event_id"].isin(unchanged)].to_dict("records"):
            old = before.get(row["event_id"])
            if old is None:
                rows.append((row["event_id"], "added", None, None))
                continue
            changed = sorted(c for c in columns if not _same(row[c], old[c]))
            if changed:
                rows.append((row["event_id"], "updated", None, ";".join(changed)))
        rows += [(old, "merged", new, None) for old, new in assignment.merged_into.items()]
        rows += [(old, "removed", None, None) for old in assignment.removed if old not in assignment.merged_into]
    rows.sort(key=lambda r: (r[1], r[0]))
    return pd.DataFrame({name: pd.Series([r[i] for r in rows], dtype=object) for i, name in enumerate(CHANGE_COLUMNS)})


def changelog_section(version: str, changes: pd.DataFrame, events: pd.DataFrame) -> str:
    """Markdown: a version heading, the counts, then one bullet per change."""
    summaries = dict(zip(events["event_id"], events["summary"]))
    records = sorted(changes.to_dict("records"), key=lambda r: (CHANGE_ORDER.index(r["change"]), r["event_id"]))
    counts = {kind: sum(r["change"] == kind for r in records) for kind in CHANGE_ORDER}
    lines = [f"## {version}", ""]
    lines.append(f"{len(events)} events: " + ", ".join(f"{counts[k]} {k}" for k in CHANGE_ORDER) + ".")
    if records:
        lines.append("")
    for r in records:
        event_id, kind = r["event_id"], r["change"]
        if kind == "added":
            lines.append(f"- added `{event_id}`: {summaries.get(event_id, '')}")
        elif kind == "updated":
            columns = (_plain(r.get("changed_columns")) or "").replace(";", ", ")
            lines.append(f"- updated `{event_id}` ({columns}): {summaries.get(event_id, '')}")
        elif kind == "merged":
            target = _plain(r.get("merged_into"))
            lines.append(f"- merged `{event_id}` into `{target}`: {summaries.get(target, '')}")
        else:
            lines.append(f"- removed `{event_id}`")
    return "\n".join(lines) + "\n"
