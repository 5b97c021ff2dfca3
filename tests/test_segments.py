"""Segment compaction: the small segments that scheduled runs leave are merged, no raw file is
lost or counted twice, a merge stopped half-way is finished by the next run, and the release
is the same as one built from a single cold run."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.corpus import add_new_articles, generate_corpus
from deportdata import stages
from deportdata.release import candidate_version, latest_release
from deportdata.segments import MARKER, segment_files

TABLES = [f"{name}.parquet" for name in ("articles", "mentions", "events", "rejects")]


def _ingest_in_runs(ws, files_per_run: int) -> None:
    """What a run every few new files leaves: one small segment per run, each extracted."""
    manifest = stages.scan_raw(ws.raw)
    for start in range(0, len(manifest), files_per_run):
        stages.ingest_batch(manifest[start:start + files_per_run], ws)
    stages.extract_batch(stages.pending_extraction(ws), ws)


def _release_tables(ws) -> dict[str, bytes]:
    manifest = stages.scan_raw(ws.raw)
    stages.assemble(manifest, ws)
    stages.validate_run(ws)
    version = candidate_version(latest_release(ws.processed))
    stages.dedupe_run(ws, version)
    folder = stages.publish_run(ws, version).folder
    return {name: (folder / name).read_bytes() for name in TABLES}


def _all_files(ws) -> list[tuple[str, str]]:
    return sorted(f for files in segment_files(ws.ingest_dir).values() for f in files)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, samples) -> Path:
    raw = tmp_path_factory.mktemp("segments") / "raw"
    samples.write_sample_raw(raw)
    generate_corpus(raw / "corpus", 30, seed=3)
    return raw


def _workspace(corpus: Path, base: Path, files_per_run: int) -> stages.Workspace:
    ws = stages.Workspace(raw=corpus, processed=base / "processed", cache=base / "cache")
    _ingest_in_runs(ws, files_per_run)
    return ws


@pytest.fixture(scope="module")
def cold_tables(corpus, tmp_path_factory) -> dict[str, bytes]:
    return _release_tables(_workspace(corpus, tmp_path_factory.mktemp("cold"), files_per_run=10_000))


def _many_segments(corpus: Path, base: Path) -> stages.Workspace:
    return _workspace(corpus, base, files_per_run=3)


def test_compaction_merges_small_segments_and_keeps_every_file(corpus, tmp_path, cold_tables):
    ws = _many_segments(corpus, tmp_path)
    before = segment_files(ws.ingest_dir)
    files_before = _all_files(ws)
    assert len(before) > 8

    merged = stages.compact_segments(ws, max_batches=4)

    after = segment_files(ws.ingest_dir)
    assert merged == len(before) - len(after) > 0
    assert len(after) <= 8
    assert _all_files(ws) == files_before  # every raw file in exactly one segment
    assert not (set(before) & set(after)), "merged segments left behind"
    for name in before:  # nothing of a merged segment is left in either folder
        assert not list(ws.ingest_dir.glob(f"{name}.*")) and not list(ws.extract_dir.glob(f"{name}.*"))
    for name in after:
        assert (ws.extract_dir / f"{name}.mentions.parquet").exists()
    assert stages.pending_files(stages.scan_raw(ws.raw), ws) == [] and stages.pending_extraction(ws) == []
    assert _release_tables(ws) == cold_tables


def test_few_segments_are_left_alone(corpus, tmp_path):
    ws = _many_segments(corpus, tmp_path)
    before = sorted(p.name for p in ws.ingest_dir.iterdir())
    assert stages.compact_segments(ws, max_batches=len(before)) == 0
    assert sorted(p.name for p in ws.ingest_dir.iterdir()) == before


def test_segments_without_mentions_wait_for_extraction(corpus, tmp_path):
    ws = _many_segments(corpus, tmp_path)
    waiting = sorted(segment_files(ws.ingest_dir))[0]
    (ws.extract_dir / f"{waiting}.mentions.parquet").unlink()
    stages.compact_segments(ws, max_batches=2)
    assert waiting in segment_files(ws.ingest_dir)
    assert stages.pending_extraction(ws) == [waiting]


def test_a_merge_stopped_before_removing_its_members_is_finished(corpus, tmp_path, cold_tables):
    ws = _many_segments(corpus, tmp_path)
    before = segment_files(ws.ingest_dir)
    kept = tmp_path / "members"
    shutil.copytree(ws.ingest_dir, kept / "ingest")
    shutil.copytree(ws.extract_dir, kept / "extract")
    stages.compact_segments(ws, max_batches=4)
    merged_away = set(before) - set(segment_files(ws.ingest_dir))
    for name in merged_away:  # as if the run had stopped right after marking the merged segment
        for part in kept.glob(f"*/{name}.*"):
            shutil.copy2(part, (ws.ingest_dir if part.parent.name == "ingest" else ws.extract_dir) / part.name)
    assert all((ws.ingest_dir / f"{name}{MARKER}").exists() for name in merged_away)

    assert not set(segment_files(ws.ingest_dir)) & merged_away  # never read twice
    assert _release_tables(ws) == cold_tables
    stages.compact_segments(ws, max_batches=4)
    assert not any(list(ws.ingest_dir.glob(f"{name}.*")) for name in merged_away)


@pytest.mark.flow
def test_scheduled_flow_runs_merge_their_segments(prefect_harness, tmp_path):
    from flows.pipeline import pipeline

    raw = tmp_path / "raw"
    generate_corpus(raw, 6, seed=4)
    ws = stages.Workspace(raw=raw, processed=tmp_path / "processed", cache=tmp_path / "cache")
    runs = [pipeline(ws, max_batches=1)]
    for seed in (11, 12, 13):  # each run adds a segment for its new files
        add_new_articles(raw, 2, seed=seed)
        runs.append(pipeline(ws, max_batches=1))
    # three segments are one too many for max_batches=1: the third run merges the two small ones
    # (2 files each, under half of all 10), the fourth the merged one and its own
    assert [r["segments_merged"] for r in runs] == [0, 0, 1, 1]
    assert len(segment_files(ws.ingest_dir)) == 2
    cold = stages.Workspace(raw=raw, processed=tmp_path / "cold" / "processed", cache=tmp_path / "cold" / "cache")
    full = pipeline(cold)
    assert _all_files(ws) == _all_files(cold)
    for key in ("n_articles", "n_mentions", "n_near_copies", "events"):
        assert runs[3][key] == full[key], key
