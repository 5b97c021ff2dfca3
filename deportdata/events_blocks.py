"""Events of unchanged blocks are taken from the previous run instead of being rebuilt.

Mentions are clustered block by block (`events_match.block_key`: event type, country pair),
and a block's events (their mentions and value columns, not their ids) depend on the rows of
that block alone: the mention columns the matcher reads and each mention's article (root,
date, outlet). So a block whose rows hash to the same digest as in an earlier run has the
same events, and an incremental run rebuilds only the blocks its new mentions fall in. Ids
and changes are still assigned over all events, so the result equals a full rebuild.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from deportdata.files import write_atomic

# What the matcher and the event's values read of a mention row (see events._records, _event_row).
MENTION_INPUTS = ["mention_id", "article_id", "event_type", "status", "event_date", "date_precision",
                  "actor_country", "partner_country", "location", "carrier", "aircraft_type", "flight_count",
                  "people_count", "people_qualifier", "quantity", "quantity_unit", "measure", "confidence"]
ARTICLE_INPUTS = ["source", "published", "outlet"]
DATE_VALUES = ("event_date", "first_reported")


def block_digests(rows: pd.DataFrame, block_of_row: list[tuple]) -> dict[tuple, tuple[str, list[int]]]:
    """block key -> (digest of the block's rows, row positions). `rows` has MENTION_INPUTS and
    ARTICLE_INPUTS; the digest does not depend on the rows' order."""
    row_hashes = pd.util.hash_pandas_object(rows[MENTION_INPUTS + ARTICLE_INPUTS].astype(str), index=False)
    positions: dict[tuple, list[int]] = defaultdict(list)
    for position, key in enumerate(block_of_row):
        positions[key].append(position)
    hashes = row_hashes.to_numpy()
    out = {}
    for key, members in positions.items():
        digest = hashlib.blake2b(repr(key).encode(), digest_size=16)
        digest.update(repr(sorted(hashes[members].tolist())).encode())
        out[key] = (digest.hexdigest(), members)
    return out


def _encode(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in the block cache")


def load_blocks(path: Path | None) -> dict[str, dict]:
    """digest -> {"clusters": [[mention ids]], "rows": [event value rows]} of the last run."""
    if path is None or not path.exists():
        return {}
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        for entry in stored.values():
            if len(entry["clusters"]) != len(entry["rows"]):
                raise ValueError("clusters and rows differ in number")
            for row in entry["rows"]:
                for name in DATE_VALUES:
                    if row.get(name) is not None:
                        row[name] = dt.date.fromisoformat(row[name])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # a damaged cache only costs a rebuild
    return stored


def save_blocks(path: Path | None, blocks: Mapping[str, dict]) -> None:
    if path is not None:
        write_atomic(path, json.dumps(blocks, default=_encode, sort_keys=True).encode("utf-8"))
