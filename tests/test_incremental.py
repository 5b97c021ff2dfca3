"""Incremental runs: an unchanged rerun publishes nothing; a run that reuses the cache for old
files gives the same release, byte for byte, as a rebuild from an empty cache; a new extractor
version reprocesses everything."""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from bench.corpus import add_new_articles, generate_corpus
from deportdata.stages import Workspace

TABLE_FILES = [f"{name}.{ext}" for name in ("articles", "mentions", "events", "changes", "rejects")
               for ext in ("csv", "parquet")]


@dataclass
class Runs:
    raw: Path
    ws: Workspace            # incremental: one workspace, cache kept between runs
    cold: Workspace          # processed/ as after the first run, empty cache
    first: dict
    second: dict             # unchanged rerun
    tree_before_second: dict[str, bytes]
    tree_after_second: dict[str, bytes]
    root_before_second: bytes
    root_after_second: bytes
    added: list[str]
    segments_before: set[str]
    incremental: dict
    full: dict


@pytest.fixture(scope="module")
def runs(prefect_harness, samples, tmp_path_factory) -> Runs:
    from flows.pipeline import pipeline

    base = tmp_path_factory.mktemp("incremental")
    raw = base / "raw"
    raw.mkdir()
    for seed in samples.SEEDS:
        shutil.copyfile(seed, raw / seed.name)
    generate_corpus(raw / "corpus", 20, seed=1)
    ws = Workspace(raw=raw, processed=base / "a" / "processed", cache=base / "a" / "cache")
    cold = Workspace(raw=raw, processed=base / "b" / "processed", cache=base / "b" / "cache")
    with pytest.MonkeyPatch.context() as env:  # pinned "created" for byte-identical descriptors
        env.setenv("SOURCE_DATE_EPOCH", samples.SOURCE_DATE_EPOCH)
        first = pipeline(ws)
        tree_before, root_before = samples.tree_bytes(ws.processed), ws.root_descriptor.read_bytes()
        second = pipeline(ws)
        tree_after, root_after = samples.tree_bytes(ws.processed), ws.root_descriptor.read_bytes()
        shutil.copytree(ws.processed, cold.processed)  # the same previous release, no cache

        paths = add_new_articles(raw / "corpus", 3, seed=7)
        (raw / "venezuela.txt").write_text(samples.NEW_ARTICLE_TXT, encoding="utf-8")
        added = sorted([p.relative_to(raw).as_posix() for p in paths] + ["venezuela.txt"])
        segments_before = {p.name for p in ws.ingest_dir.iterdir()}
        incremental = pipeline(ws)
        full = pipeline(cold)
    return Runs(raw, ws, cold, first, second, tree_before, tree_after, root_before, root_after, added,
                segments_before, incremental, full)


@pytest.mark.flow
def test_unchanged_rerun_publishes_nothing(runs):
    assert runs.first["version"] == "1.0.0" and not runs.first["skipped"]
    second = runs.second
    assert second["fingerprint"] == runs.first["fingerprint"], "the inputs fingerprint changed between runs"
    assert second["version"] is None and second["folder"] is None and second["skipped"] is True, second["message"]
    assert "nothing new" in second["message"] and "1.0.0" in second["message"]
    assert second["new_files"] == 0 and second["files"] == runs.first["files"]
    assert runs.tree_after_second == runs.tree_before_second      # processed/ untouched
    assert runs.root_after_second == runs.root_before_second      # root datapackage.json untouched


@pytest.mark.flow
def test_incremental_run_reads_only_the_new_files(runs):
    inc = runs.incremental
    assert inc["version"] == "1.1.0" and not inc["skipped"], inc["message"]
    assert inc["new_files"] == len(runs.added) and inc["files"] == runs.first["files"] + len(runs.added)
    new_segments = {p.name for p in runs.ws.ingest_dir.iterdir()} - runs.segments_before
    new_files = [tuple(f) for name in new_segments if name.endswith(".files.json")
                 for f in json.loads((runs.ws.ingest_dir / name).read_text())]
    assert sorted(path for path, _ in new_files) == runs.added  # old files were not read again
    full = runs.full
    assert full["new_files"] == full["files"] == inc["files"]  # the cold run read everything
    articles = pd.read_parquet(Path(inc["folder"]) / "articles.parquet")
    assert set(runs.added) <= set(articles["source_path"]) | {"venezuela.txt"}
    assert "venezuela.txt" in set(articles["source_path"])


@pytest.mark.flow
def test_incremental_release_equals_full_rebuild(runs):
    inc, full = runs.incremental, runs.full
    assert inc["fingerprint"] == full["fingerprint"], "raw/ or the code differed between the runs (code edited?)"
    assert (inc["version"], full["version"]) == ("1.1.0", "1.1.0")
    inc_folder, full_folder = Path(inc["folder"]), Path(full["folder"])
    for name in TABLE_FILES:
        assert (inc_folder / name).read_bytes() == (full_folder / name).read_bytes(), \
            f"{name}: the incremental release differs from a rebuild with an empty cache"
    for key in ("n_articles", "n_mentions", "events", "changes", "n_near_copies", "n_same_text"):
        assert inc[key] == full[key], key
    changes = pd.read_parquet(inc_folder / "changes.parquet")
    assert len(changes) > 0 and set(changes["change"]) >= {"added"}


@pytest.mark.flow
def test_whole_incremental_release_folder_equals_full_rebuild(runs, samples):
    """Beyond the tables: descriptor, changelog and dataset card too (SOURCE_DATE_EPOCH pinned)."""
    inc = samples.tree_bytes(Path(runs.incremental["folder"]))
    full = samples.tree_bytes(Path(runs.full["folder"]))
    assert sorted(inc) == sorted(full)
    differ = [name for name in inc if inc[name] != full[name]]
    assert differ == []


def test_new_extractor_version_reprocesses_everything(tmp_path, samples, monkeypatch):
    """The extraction cache is keyed by the extractor version: a new version extracts every
    ingest segment again (into a new folder) and reuses the ingest results."""
    import deportdata.extract as extract
    import deportdata.stages as stages

    ws = Workspace(raw=tmp_path / "raw", processed=tmp_path / "processed", cache=tmp_path / "cache")
    samples.write_sample_raw(ws.raw)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", samples.SOURCE_DATE_EPOCH)
    first = samples.run_stages(ws)
    assert first.version == "1.0.0"
    old_dir = ws.extract_dir
    segments = sorted(p.name.removesuffix(".files.json") for p in ws.ingest_dir.glob("*.files.json"))
    assert segments and stages.pending_extraction(ws) == []
    old_mentions = {p.name: p.stat().st_mtime_ns for p in old_dir.iterdir()}
    ingest_files = {p.name: p.stat().st_mtime_ns for p in ws.ingest_dir.iterdir()}

    new_version = "rules-99.0.0-test"
    monkeypatch.setattr(stages, "EXTRACTOR", new_version)
    monkeypatch.setattr(extract, "EXTRACTOR", new_version)
    assert ws.extract_dir != old_dir and new_version in ws.extract_dir.name
    assert sorted(stages.pending_extraction(ws)) == segments           # everything is pending again
    manifest = stages.scan_raw(ws.raw)
    assert stages.pending_files(manifest, ws) == []                     # ingest is reused
    second = samples.run_stages(ws)

    assert sorted(p.name for p in ws.extract_dir.glob("*.mentions.parquet")) == \
        sorted(f"{s}.mentions.parquet" for s in segments)
    assert {p.name: p.stat().st_mtime_ns for p in old_dir.iterdir()} == old_mentions      # old cache left alone
    assert {p.name: p.stat().st_mtime_ns for p in ws.ingest_dir.iterdir()} == ingest_files
    assert second.version is not None, second.message
    mentions = pd.read_parquet(second.folder / "mentions.parquet")
    assert set(mentions["extractor"]) == {new_version}
    assert json.loads((second.folder / "datapackage.json").read_text())["extractor"] == new_version


def _age(path: Path, seconds: int = 60) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 1_000_000_000))


def test_scan_record_skips_rereading_unchanged_files_and_rehashes_changed_ones(tmp_path) -> None:
    from deportdata.files import sha256_of
    from deportdata.stages import scan_raw

    raw, record = tmp_path / "raw", tmp_path / "cache" / "scan.json"
    raw.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (raw / name).write_text(f"article {name}")
        _age(raw / name)
    first = scan_raw(raw, record)
    assert first == scan_raw(raw) == [(p, sha256_of(raw / p)) for p in ("a.txt", "b.txt", "c.txt")]
    assert set(json.loads(record.read_text())) == {"a.txt", "b.txt", "c.txt"}

    (raw / "b.txt").write_text("article b.txt, now longer")  # new size and a fresh mtime
    (raw / "d.txt").write_text("a new article")  # written just now: never recorded
    second = scan_raw(raw, record)
    assert second == scan_raw(raw)
    assert set(json.loads(record.read_text())) == {"a.txt", "c.txt"}

    # The record trusts size, mtime and inode: a same-size edit that restores the old mtime is
    # not seen (raw files are immutable snapshots); without the record every file is read.
    old_mtime = (raw / "a.txt").stat().st_mtime_ns
    (raw / "a.txt").write_text("ARTICLE a.txt")
    os.utime(raw / "a.txt", ns=(old_mtime, old_mtime))
    assert dict(scan_raw(raw, record))["a.txt"] == dict(first)["a.txt"]
    assert dict(scan_raw(raw))["a.txt"] == sha256_of(raw / "a.txt")


def test_a_damaged_scan_record_only_costs_reading_every_file(tmp_path) -> None:
    from deportdata.files import sha256_of
    from deportdata.stages import scan_raw

    raw, record = tmp_path / "raw", tmp_path / "scan.json"
    raw.mkdir()
    (raw / "a.txt").write_text("article")
    record.write_text("{not json")
    assert scan_raw(raw, record) == [("a.txt", sha256_of(raw / "a.txt"))]
