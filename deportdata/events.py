"""Mentions to events: one row per real event, with its sources counted and a stable id.

`build_events` groups the mentions of a release into events (codebook rule 8, see
`deportdata.events_match` and `deportdata.events_cluster`), takes each event's best-supported
values, summary, counts and confidence (`deportdata.events_values`), gives every event an id
that is stable across releases and lists what changed since the previous release
(`deportdata.events_ids`).

Per event:
- `n_articles`: distinct articles with a mention, an article and its near-copies (same
  `duplicate_of` root) counted once;
- `n_outlets`: distinct non-null outlets of the articles with a mention (near-copies
  included: a wire story republished by two sites reached two outlets);
- `first_reported`: earliest `published_date` of those articles;
- `confidence`: 1 - prod(1 - c_s) over independent sources s, c_s the source's best
  mention confidence;
- `count_disagreement`: its mentions give contradicting non-null counts (possible only
  when they agree on the day, see `events_match`);
- `first_seen`: the release version in which the event id first appeared.

Everything is a pure function of the input rows' values: shuffling the rows changes
nothing, and the same input gives the same ids and byte-identical tables.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from deportdata.columns import arrow_column, object_values
from deportdata.events_ids import CHANGE_COLUMNS, assign_ids, changelog_section, changes_table
from deportdata.events_blocks import (block_digests, block_entry, earlier_clusters, load_blocks, row_hashes,
                                     save_blocks)
from deportdata.events_cluster import cluster_block
from deportdata.events_match import MentionRecord, block_key
from deportdata.events_values import combined_confidence, count_disagreement, event_values, summary
from schemas.derive import as_date
from schemas.tables import EVENTS

EVENT_COLUMNS: list[str] = EVENTS.column_names
_INT_COLUMNS = ("flight_count", "people_count", "n_articles", "n_outlets")
_FLOAT_COLUMNS = ("quantity", "confidence")
_BOOL_COLUMNS = ("count_disagreement",)


@dataclass(frozen=True)
class PreviousRelease:
    version: str
    events: pd.DataFrame  # previous events table (event_id, first_seen and the value columns)
    mentions: pd.DataFrame  # previous mentions (mention_id, event_id)


@dataclass(frozen=True)
class EventsResult:
    events: pd.DataFrame  # EVENT_COLUMNS, sorted by event_id
    mentions: pd.DataFrame  # input mentions with event_id filled in, sorted by mention_id
    changes: pd.DataFrame  # event_id, change, merged_into, changed_columns; sorted by (change, event_id)


# --- plain values -------------------------------------------------------------------------

def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _text(value: Any) -> str | None:
    return None if _missing(value) or value == "" else str(value)


# --- inputs -------------------------------------------------------------------------------

def _nonempty_text(value: Any) -> str | None:
    return str(value) or None


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


# conversions that an Arrow column of the matching type needs no Python pass for
_ALREADY_CONVERTED: dict[Callable, Callable[[pa.DataType], bool]] = {
    str: _is_text, _nonempty_text: _is_text, int: pa.types.is_integer, float: pa.types.is_floating,
    as_date: pa.types.is_date32}


def _plain(df: pd.DataFrame, name: str, convert: Callable[[Any], Any] | None = None) -> list[Any]:
    """A column as Python values, None for nulls; converted only where its Arrow type is not
    already the wanted one."""
    if name not in df.columns:
        return [None] * len(df)
    array = arrow_column(df[name])
    if array is None:
        values = object_values(df[name])
    else:
        if convert is _nonempty_text and _is_text(array.type):
            array = pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array)
        values = array.to_pylist()
        if convert is None or _ALREADY_CONVERTED.get(convert, lambda _: False)(array.type):
            return values
    return values if convert is None else [None if v is None else convert(v) for v in values]


@dataclass(frozen=True)
class _Article:
    outlet: str | None
    published: dt.date | None
    root: str


def _articles(articles: pd.DataFrame) -> dict[str, _Article]:
    ids = _plain(articles, "article_id", str)
    parent = dict(zip(ids, _plain(articles, "duplicate_of", _nonempty_text)))

    def root(article_id: str) -> str:
        seen = {article_id}
        while (up := parent.get(article_id)) is not None and up not in seen:
            seen.add(up)
            article_id = up
        return article_id

    return {a: _Article(outlet, as_date(published), root(a)) for a, outlet, published in
            zip(ids, _plain(articles, "outlet", _nonempty_text), _plain(articles, "published_date"))}


def _precision(value: Any, day: dt.date | None) -> str:
    text = _text(value)
    if day is None:
        return "unknown"
    if text is None:
        return "day"
    return text if text in ("day", "week", "month", "year") else "unknown"


def _records(mentions: pd.DataFrame, articles: Mapping[str, _Article]) -> list[MentionRecord]:
    text = {name: _plain(mentions, name, _nonempty_text) for name in (
        "mention_id", "article_id", "event_type", "status", "date_precision", "actor_country", "partner_country",
        "location", "carrier", "aircraft_type", "people_qualifier", "quantity_unit", "measure")}
    ints = {name: _plain(mentions, name, int) for name in ("flight_count", "people_count")}
    quantity, confidence = _plain(mentions, "quantity", float), _plain(mentions, "confidence", float)
    days = _plain(mentions, "event_date", as_date)
    out = []
    for i, article_id in enumerate(text["article_id"]):
        article = articles.get(article_id) or _Article(None, None, article_id)
        day = days[i]
        out.append(MentionRecord(
            mention_id=text["mention_id"][i], article_id=article_id, source=article.root,
            event_type=text["event_type"][i], status=text["status"][i],
            event_date=day, precision=_precision(text["date_precision"][i], day),
            actor_country=text["actor_country"][i], partner_country=text["partner_country"][i],
            location=text["location"][i], carrier=text["carrier"][i], aircraft_type=text["aircraft_type"][i],
            flight_count=ints["flight_count"][i], people_count=ints["people_count"][i],
            people_qualifier=text["people_qualifier"][i], quantity=quantity[i],
            quantity_unit=text["quantity_unit"][i], measure=text["measure"][i],
            confidence=confidence[i] if confidence[i] is not None else 0.0, published=article.published,
        ))
    return out


# --- outputs ------------------------------------------------------------------------------

def _column(name: str, values: list[Any]) -> pd.Series:
    if name in _INT_COLUMNS:
        return pd.Series(pd.array(values, dtype="Int64"))
    if name in _FLOAT_COLUMNS:
        return pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
    if name in _BOOL_COLUMNS:
        return pd.Series([bool(v) for v in values], dtype="bool")
    return pd.Series(values, dtype=object)


def _frame(columns: list[str], rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame({c: _column(c, [r[c] for r in rows]) for c in columns})


def _plain_object_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Strings as python str / None, dates as datetime.date / None, in object columns."""
    out = df.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            out[name] = pd.Series([as_date(v) for v in column.tolist()], index=out.index, dtype=object)
        elif isinstance(column.dtype, pd.StringDtype) or column.dtype == object:
            plain = column.astype(object)
            out[name] = plain.where(plain.notna(), None)
    return out


def _event_row(members: list[MentionRecord], articles: Mapping[str, _Article]) -> dict[str, Any]:
    row = event_values(members, members[0].event_type)
    article_ids = {m.article_id for m in members}
    known = [articles[a] for a in sorted(article_ids) if a in articles]
    published = [a.published for a in known if a.published is not None]
    row.update(
        summary=None,
        n_articles=len({m.source for m in members}),
        n_outlets=len({a.outlet for a in known if a.outlet is not None}),
        first_reported=min(published) if published else None,
        confidence=combined_confidence(members),
        count_disagreement=count_disagreement(members),
    )
    row["summary"] = summary(row)
    return row


def _events_by_block(mentions: pd.DataFrame, articles: Mapping[str, _Article],
                     block_cache: Path | None) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """Each event's sorted mention ids and value columns, block by block (codebook rule 8);
    blocks whose rows are unchanged since the run that wrote `block_cache` are reused, and the
    others are clustered again from that run's decisions (see `deportdata.events_blocks`)."""
    columns = {name: _plain(mentions, name, _nonempty_text) for name in ("article_id", "event_type", "status",
                                                                       "actor_country", "partner_country")}
    known = [articles.get(a) or _Article(None, None, a) for a in columns["article_id"]]
    hashes = row_hashes(mentions.assign(source=[k.root for k in known], published=[k.published for k in known],
                                        outlet=[k.outlet for k in known]))
    block_of_row = [block_key(t, a, p, s) for t, a, p, s in
                    zip(columns["event_type"], columns["actor_country"], columns["partner_country"], columns["status"])]
    blocks = sorted((repr(key), digest, positions)
                    for key, (digest, positions) in block_digests(hashes, block_of_row).items())
    cached = load_blocks(block_cache)
    rebuild = [position for name, digest, positions in blocks if cached.get(name, {}).get("digest") != digest
               for position in positions]
    records = dict(zip(rebuild, _records(mentions.iloc[rebuild], articles)))  # one pass: per block is slow
    current: dict[str, dict] = {}
    mention_ids: list[list[str]] = []
    value_rows: list[dict[str, Any]] = []
    for name, digest, positions in blocks:
        entry = cached.get(name)
        if entry is None or entry["digest"] != digest:
            hash_of = {records[p].mention_id: hashes[p] for p in positions}
            earlier, kept_rows = earlier_clusters(entry, hash_of) if entry else (None, {})
            clusters = cluster_block([records[p] for p in positions], earlier)
            ids = [[m.mention_id for m in c] for c in clusters]
            rows = [kept_rows.get(frozenset(i)) or _event_row(c, articles) for i, c in zip(ids, clusters)]
            entry = block_entry(digest, ids, hash_of, rows)
        current[name] = entry
        mention_ids += entry["clusters"]
        value_rows += entry["rows"]
    save_blocks(block_cache, current)
    return mention_ids, value_rows


def build_events(
    mentions: pd.DataFrame,
    articles: pd.DataFrame,
    version: str,
    previous: PreviousRelease | None = None,
    block_cache: Path | None = None,
) -> EventsResult:
    """Group mentions into events, with stable ids and the changes since `previous`.

    With `block_cache` (a file), the events of blocks whose mentions did not change since the
    last call with that file are reused (see `deportdata.events_blocks`)."""
    if mentions["mention_id"].duplicated().any():
        raise ValueError("mention_id must be unique")
    if articles["article_id"].duplicated().any():
        raise ValueError("article_id must be unique")
    article_info = _articles(articles)
    mention_ids, value_rows = _events_by_block(mentions, article_info, block_cache)

    if previous is not None:
        prev_mentions = previous.mentions[previous.mentions["event_id"].notna()]
        previous_event_of = dict(zip(_plain(prev_mentions, "mention_id", str), _plain(prev_mentions, "event_id", str)))
        previous_first_seen = {e: (_text(f) or previous.version) for e, f in
                               zip(_plain(previous.events, "event_id", str), _plain(previous.events, "first_seen"))}
        for event_id in set(previous_event_of.values()) - set(previous_first_seen):
            previous_first_seen[event_id] = previous.version
    else:
        previous_event_of, previous_first_seen = {}, {}
    assignment = assign_ids(mention_ids, version, previous_event_of, previous_first_seen)

    rows = [{**values, "event_id": event_id, "first_seen": first_seen}
            for values, event_id, first_seen in zip(value_rows, assignment.event_ids, assignment.first_seen)]
    rows.sort(key=lambda r: r["event_id"])
    events = _frame(EVENT_COLUMNS, rows)

    event_of = {mid: event_id for mids, event_id in zip(mention_ids, assignment.event_ids) for mid in mids}
    # string columns keep their dtype: converting 300,000 rows to Python objects and back for
    # the Parquet file took seconds
    out_mentions = mentions.assign(**{name: [as_date(v) for v in mentions[name].tolist()] for name in mentions.columns
                                      if pd.api.types.is_datetime64_any_dtype(mentions[name].dtype)})
    out_mentions["event_id"] = pd.Series([event_of[m] for m in _plain(mentions, "mention_id", str)],
                                         index=out_mentions.index, dtype=object)
    if "event_id" not in mentions.columns:  # codebook position: right after article_id
        order = [c for c in out_mentions.columns if c != "event_id"]
        order.insert(order.index("article_id") + 1 if "article_id" in order else len(order), "event_id")
        out_mentions = out_mentions[order]
    out_mentions = out_mentions.sort_values("mention_id", kind="mergesort").reset_index(drop=True)

    changes = changes_table(
        events, None if previous is None else _plain_object_columns(previous.events), assignment,
        [c for c in EVENT_COLUMNS if c not in ("event_id", "first_seen")],
    )
    return EventsResult(events=events, mentions=out_mentions, changes=changes)


def changelog_markdown(version: str, changes: pd.DataFrame, events: pd.DataFrame) -> str:
    """The release's CHANGELOG section: version heading, counts, then one bullet per change."""
    return changelog_section(version, changes, events)


__all__ = ["EVENT_COLUMNS", "CHANGE_COLUMNS", "PreviousRelease", "EventsResult", "build_events", "changelog_markdown"]
