"""Events of unchanged blocks are taken from the previous run instead of being rebuilt, and
changed blocks reuse the previous run's decisions where they still hold.

Mentions are clustered block by block (`events_match.block_key`: event type, country pair),
and a block's events (their mentions and value columns, not their ids) depend on the rows of
that block alone: the mention columns the matcher reads and each mention's article (root,
date, outlet). So a block whose rows hash to the same digest as in an earlier run has the
same events. A block with new or changed rows is clustered again, given how the earlier run
clustered its unchanged rows (`events_cluster.EarlierClusters`), which spares most of the
scoring; an event whose mentions are all unchanged keeps its value row. Ids and changes are
still assigned over all events, so the result equals a full rebuild.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from deportdata.events_cluster import EarlierClusters
from deportdata.files import write_atomic

# What the matcher and the event's values read of a mention row (see events._records, _event_row).
MENTION_INPUTS = ["mention_id", "article_id", "event_type", "status", "event_date", "date_precision",
                  "actor_country", "partner_country", "location", "carrier", "aircraft_type", "flight_count",
                  "people_count", "people_qualifier", "quantity", "quantity_unit", "measure", "confidence"]
ARTICLE_INPUTS = ["source", "published", "outlet"]
DATE_VALUES = ("event_date", "first_reported")


def row_hashes(rows: pd.DataFrame) -> list[int]:
    """One 64-bit hash per row of MENTION_INPUTS and ARTICLE_INPUTS: what the matcher and the
    event's values read of it. Hashed with their own dtypes: converting them to text first took
    three times as long (0.13 s against 0.04 s for 42,000 mentions)."""
    return pd.util.hash_pandas_object(rows[MENTION_INPUTS + ARTICLE_INPUTS], index=False).tolist()


def block_digests(hashes: list[int], block_of_row: list[tuple]) -> dict[tuple, tuple[str, list[int]]]:
    """block key -> (digest of the block's row hashes, row positions); the digest does not depend
    on the rows' order."""
    positions: dict[tuple, list[int]] = defaultdict(list)
    for position, key in enumerate(block_of_row):
        positions[key].append(position)
    out = {}
    for key, members in positions.items():
        digest = hashlib.blake2b(repr(key).encode(), digest_size=16)
        digest.update(repr(sorted(hashes[p] for p in members)).encode())
        out[key] = (digest.hexdigest(), members)
    return out


def earlier_clusters(entry: Mapping[str, Any], hash_of: Mapping[str, int]) -> tuple[EarlierClusters, dict]:
    """From a block's cache entry and the current hash of each of its mentions: the earlier
    clustering, and the value rows of earlier events whose mentions are all unchanged (by the
    set of their mention ids)."""
    founder_of: dict[str, str] = {}
    changed: set[str] = set()
    rows = {}
    for ids, hashes, founder, row in zip(entry["clusters"], entry["hashes"], entry["founders"], entry["rows"]):
        same = [hash_of.get(mention_id) == h for mention_id, h in zip(ids, hashes)]
        founder_of.update((mention_id, founder) for mention_id, kept in zip(ids, same) if kept)
        if all(same):
            rows[frozenset(ids)] = row
        else:
            changed.add(founder)
    return EarlierClusters(founder_of, frozenset(changed)), rows


def block_entry(digest: str, clusters: list[list[str]], hash_of: Mapping[str, int],
                rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A block's cache entry (see `load_blocks`) from its clusters' mention ids, founder first,
    and their event rows."""
    ids = [sorted(c) for c in clusters]
    return {"digest": digest, "clusters": ids, "founders": [c[0] for c in clusters],
            "hashes": [[hash_of[i] for i in c] for c in ids], "rows": rows}


def load_blocks(path: Path | None) -> dict[str, dict]:
    """repr(block key) -> {"digest": of its rows, "clusters": [[sorted mention ids]], "founders":
    [first mention of each], "hashes": [[row hash of each mention]], "rows": [event value rows]}
    of the last run."""
    if path is None or not path.exists():
        return {}
    try:
        stored = orjson.loads(path.read_bytes())
        for entry in stored.values():
            if not len(entry["clusters"]) == len(entry["rows"]) == len(entry["founders"]) == len(entry["hashes"]):
                raise ValueError("clusters, founders, hashes and rows differ in number")
            if not isinstance(entry["digest"], str):
                raise ValueError("no digest")
            for row in entry["rows"]:
                for name in DATE_VALUES:
                    if row.get(name) is not None:
                        row[name] = dt.date.fromisoformat(row[name])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # orjson's decode error is a ValueError
        return {}  # a damaged cache only costs a rebuild
    return stored


def save_blocks(path: Path | None, blocks: Mapping[str, dict]) -> None:
    if path is not None:
        # orjson: the standard json module took a second each way at 100,000 articles; it writes
        # dates as ISO strings, which load_blocks turns back into dates
        write_atomic(path, orjson.dumps(blocks, option=orjson.OPT_SORT_KEYS))
