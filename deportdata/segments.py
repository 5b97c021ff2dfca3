"""Cache segments: the parsed articles of a batch of raw files, and the mentions extracted from them.

An ingest segment is `<name>.articles.parquet` and `<name>.rejects.parquet` in the ingest folder,
marked complete by `<name>.files.json` (its raw files as (path, sha256) pairs, written last);
its mentions are `<name>.mentions.parquet` in the extraction folder. Scheduled runs each add a
few small segments, so `compact` merges small segments into larger ones: without it, every run
would read more files than the last."""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from deportdata.files import write_atomic

MARKER = ".files.json"
ARTICLES_PART = ".articles.parquet"
REJECTS_PART = ".rejects.parquet"
INGEST_PARTS = (ARTICLES_PART, REJECTS_PART)
MENTIONS_PART = ".mentions.parquet"


def file_list_bytes(files: Iterable[tuple[str, str]]) -> bytes:
    """(path, sha256) pairs as JSON: the run's manifest, a segment's files, the fingerprint's input."""
    return orjson.dumps([list(f) for f in files])


def read_file_list(path: Path) -> list[tuple[str, str]]:
    return [tuple(f) for f in orjson.loads(path.read_bytes())]


def segment_name(files: Iterable[tuple[str, str]]) -> str:
    return hashlib.sha256(json.dumps(sorted(map(list, files))).encode()).hexdigest()[:16]


def mark_complete(ingest_dir: Path, name: str, files: Iterable[tuple[str, str]]) -> None:
    """Write a segment's marker, after all its parts: until then no run reads the segment."""
    write_atomic(ingest_dir / f"{name}{MARKER}", file_list_bytes(files))


def _marked(folder: Path) -> dict[str, list[tuple[str, str]]]:
    if not folder.exists():
        return {}
    return {p.name.removesuffix(MARKER): read_file_list(p) for p in sorted(folder.glob(f"*{MARKER}"))}


def _subsumed(segments: dict[str, list[tuple[str, str]]]) -> set[str]:
    """Segments whose files all lie in a larger one: what a merge stopped before it removed them."""
    if sum(map(len, segments.values())) == len(set().union(*segments.values())):
        return set()  # no file in two segments: the usual case, checked in a fraction of the time
    sets = {name: frozenset(map(tuple, files)) for name, files in segments.items()}
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, files in sets.items():
        for f in files:
            owners[f].add(name)
    return {name for name, files in sets.items() if files and any(
        len(sets[other]) > len(files) and files <= sets[other] for other in owners[next(iter(files))] - {name})}


def segment_files(folder: Path) -> dict[str, list[tuple[str, str]]]:
    """Complete segments of an ingest folder and their files, each raw file in one segment only."""
    segments = _marked(folder)
    for name in _subsumed(segments):
        del segments[name]
    return segments


def _remove(ingest_dir: Path, extract_dir: Path, name: str) -> None:
    (ingest_dir / f"{name}{MARKER}").unlink(missing_ok=True)  # unmarked first: never half a segment
    for part in INGEST_PARTS:
        (ingest_dir / f"{name}{part}").unlink(missing_ok=True)
    (extract_dir / f"{name}{MENTIONS_PART}").unlink(missing_ok=True)


def _concat_parquet(paths: Sequence[Path]) -> bytes:
    # "default" promotion: a column that is all null in one small segment has Arrow's null type
    table = pa.concat_tables([pq.read_table(p) for p in paths], promote_options="default")
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _merge(ingest_dir: Path, extract_dir: Path, members: Sequence[str], files: list[tuple[str, str]]) -> None:
    name = segment_name(files)
    write_atomic(extract_dir / f"{name}{MENTIONS_PART}",
                 _concat_parquet([extract_dir / f"{m}{MENTIONS_PART}" for m in members]))
    for part in INGEST_PARTS:
        write_atomic(ingest_dir / f"{name}{part}", _concat_parquet([ingest_dir / f"{m}{part}" for m in members]))
    mark_complete(ingest_dir, name, files)
    for member in members:
        _remove(ingest_dir, extract_dir, member)


def _groups(sizes: dict[str, int], target: int) -> list[list[str]]:
    """Segments under half of `target` files, smallest first, packed into groups of about `target`
    files. (A cold run's segments, about `target` each, stay as they are until the corpus doubles.)"""
    groups: list[list[str]] = [[]]
    total = 0
    for name in sorted((n for n, size in sizes.items() if 2 * size < target), key=lambda n: (sizes[n], n)):
        groups[-1].append(name)
        total += sizes[name]
        if total >= target:
            groups.append([])
            total = 0
    return [g for g in groups if len(g) > 1]


def compact(ingest_dir: Path, extract_dir: Path, max_segments: int) -> int:
    """When there are more than `2 * max_segments` segments, merge the small ones (under half of
    `1 / max_segments` of all files) and their mentions into segments of about that size.
    Segments whose mentions are not extracted yet stay as they are. Returns how many segments
    were merged away.

    Runs before a run reads its segments; a merge stopped half-way leaves either its members
    (the merged segment is not marked yet) or a marked merged segment that subsumes them, whose
    members are then removed here."""
    segments = _marked(ingest_dir)
    for name in _subsumed(segments):
        _remove(ingest_dir, extract_dir, name)
        del segments[name]
    if len(segments) <= 2 * max_segments:
        return 0
    extracted = {n: len(f) for n, f in segments.items() if (extract_dir / f"{n}{MENTIONS_PART}").exists()}
    target = -(-sum(len(f) for f in segments.values()) // max_segments)
    merged = 0
    for group in _groups(extracted, target):
        _merge(ingest_dir, extract_dir, group, sorted(f for m in group for f in segments[m]))
        merged += len(group) - 1
    return merged
