"""The pipeline end to end: raw formats to articles, rejects, id rules, versioning across runs,
reproducibility and the `deportdata run` command.

Tests marked `flow` run the real Prefect flow (`flows.pipeline.pipeline`) against the
session's test harness; the session fixture `pipeline_runs` runs it three times on one tmp
workspace: the sample raw/, the same raw/ again, and raw/ with one article added."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from deportdata.extract import mention_id
from deportdata.ingest import read_raw_file
from deportdata.text import normalize_text

SEED_000 = "000_c261e4a2125d912e.txt"
SEED_003 = "003_ac675ea18ca61880.txt"


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def expected_id(text: str) -> str:
    """The codebook's rule, written out independently of deportdata.text."""
    body = " ".join(unicodedata.normalize("NFC", text).split())
    return "a_" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


@pytest.fixture(scope="module")
def first(pipeline_runs):
    folder = Path(pipeline_runs.first["folder"])
    return {
        "folder": folder,
        "articles": pd.read_parquet(folder / "articles.parquet", dtype_backend="numpy_nullable"),
        "mentions": pd.read_parquet(folder / "mentions.parquet", dtype_backend="numpy_nullable"),
        "events": pd.read_parquet(folder / "events.parquet", dtype_backend="numpy_nullable"),
        "rejects": read_csv_rows(folder / "rejects.csv"),
    }


# --------------------------------------------------------------------------- raw formats and rejects


@pytest.mark.flow
def test_first_run_publishes_release_1_0_0_with_counts(pipeline_runs, samples):
    summary = pipeline_runs.first
    assert summary["version"] == "1.0.0"
    assert Path(summary["folder"]) == pipeline_runs.ws.processed / "1.0.0"
    n_files = len(samples.SEEDS) + 3 + len(samples.MALFORMED) + 1
    assert summary["files"] == n_files
    assert summary["n_articles"] == len(samples.SEEDS) + 2 + len(samples.JSONL_RECORDS)
    assert summary["n_same_text"] == 1
    assert summary["n_ingest_rejects"] == len(samples.MALFORMED)
    assert summary["rejected_rows"] == 0
    assert summary["n_mentions"] > 0 and summary["events"] > 0


@pytest.mark.flow
def test_every_raw_format_reaches_articles(first):
    articles = first["articles"].set_index(["source_path", first["articles"]["source_record"].fillna(0)])
    assert sorted(first["articles"]["source_path"]) == sorted(
        [SEED_000, SEED_003, "export.jsonl", "export.jsonl", "header_block.txt", "page.html"])

    header = articles.loc[("header_block.txt", 0)]
    assert header["url"] == "https://www.example.com/2025/02/03/guatemala-flights"
    assert header["outlet"] == "example.com"
    assert header["title"] == "Guatemala receives deportation flights"
    assert str(header["published_date"]) == "2025-02-03"
    assert header["language"] == "en"

    page = articles.loc[("page.html", 0)]
    assert page["url"] == "https://www.example.org/2025/01/26/brazil-protests"
    assert page["outlet"] == "example.org"
    assert "Brazil protests" in page["title"]
    assert str(page["published_date"]) == "2025-01-26"

    for record in (1, 2):
        row = articles.loc[("export.jsonl", record)]
        assert row["outlet"] == "example.net"
        assert str(row["published_date"]) in {"2025-01-27", "2025-01-28"}

    nyt = articles.loc[(SEED_003, 0)]
    assert nyt["outlet"] == "nytimes.com" and str(nyt["published_date"]) == "2025-01-31"
    assert first["articles"]["duplicate_of"].isna().all()


@pytest.mark.flow
def test_malformed_files_are_rejects_with_path_and_reason(first, samples):
    ingest = {r["source_path"]: r for r in first["rejects"] if r["stage"] == "ingest" and not r["table"]}
    assert set(ingest) == set(samples.MALFORMED)
    for path, words in samples.MALFORMED_REASONS.items():
        assert words in ingest[path]["reason"], (path, ingest[path]["reason"])
        assert re.fullmatch(r"r_[0-9a-f]{16}", ingest[path]["reject_id"])
    assert not set(samples.MALFORMED) & set(first["articles"]["source_path"])


# --------------------------------------------------------------------------- id rules


@pytest.mark.flow
def test_article_ids_hash_the_normalized_body(first, pipeline_runs, samples):
    raw = pipeline_runs.ws.raw
    ids = dict(zip(zip(first["articles"]["source_path"], first["articles"]["source_record"].fillna(0)),
                   first["articles"]["article_id"]))
    for i, record in enumerate(samples.JSONL_RECORDS, start=1):
        assert ids[("export.jsonl", i)] == expected_id(record["text"])
    for path in (SEED_000, SEED_003, "header_block.txt", "page.html"):
        [article], rejects = read_raw_file(raw / path, raw)
        assert rejects == []
        assert article.body == normalize_text(article.body).body  # already NFC, whitespace collapsed
        assert ids[(path, 0)] == expected_id(article.body)
    # the header block is metadata, not text
    assert ids[("header_block.txt", 0)] == expected_id(samples.HEADER_TXT.split("\n\n", 1)[1])


@pytest.mark.flow
def test_mention_ids_and_evidence_offsets(first, pipeline_runs):
    mentions, raw = first["mentions"], pipeline_runs.ws.raw
    assert mentions["mention_id"].str.fullmatch(r"m_[0-9a-f]{16}").all()
    assert mentions["mention_id"].is_unique
    assert set(mentions["article_id"]) <= set(first["articles"]["article_id"])
    assert set(mentions["event_id"]) == set(first["events"]["event_id"])
    bodies = {}
    for row in first["articles"].itertuples():
        found, _ = read_raw_file(raw / row.source_path, raw)
        bodies.update({a.article_id: a.body for a in found})
    for m in mentions.itertuples():
        assert bodies[m.article_id][m.char_start:m.char_end] == m.sentence
        candidates = {mention_id(m.article_id, m.event_type, m.char_start, m.char_end, k) for k in range(5)}
        assert m.mention_id in candidates


@pytest.mark.flow
def test_same_text_under_two_names_is_one_article(first, samples):
    seed_rows = first["articles"][first["articles"]["source_path"] == SEED_000]
    assert len(seed_rows) == 1
    assert samples.SAME_TEXT_COPY not in set(first["articles"]["source_path"])
    seed_id = seed_rows["article_id"].iloc[0]
    [copy] = [r for r in first["rejects"] if r["source_path"] == samples.SAME_TEXT_COPY]
    assert copy["stage"] == "ingest" and copy["table"] == "articles" and copy["row_id"] == seed_id
    assert f"same text as {SEED_000}" in copy["reason"]


# --------------------------------------------------------------------------- versions across runs


@pytest.mark.flow
def test_second_run_with_no_change_publishes_nothing(pipeline_runs):
    second = pipeline_runs.second
    assert second["version"] is None and second["folder"] is None
    assert "nothing new" in second["message"] and "1.0.0" in second["message"]
    assert second["new_files"] == 0
    assert pipeline_runs.second_tree == pipeline_runs.first_tree
    assert pipeline_runs.second_root == pipeline_runs.first_root


@pytest.mark.flow
def test_added_article_gives_minor_release_and_leaves_old_release_untouched(pipeline_runs):
    third, processed = pipeline_runs.third, pipeline_runs.ws.processed
    assert third["version"] == "1.1.0"
    assert Path(third["folder"]) == processed / "1.1.0"
    assert third["new_files"] == 1
    old = {k: v for k, v in pipeline_runs.first_tree.items() if k.startswith("1.0.0/")}
    now = {k: v for k, v in pipeline_runs.third_processed_tree.items() if k.startswith("1.0.0/")}
    assert now == old  # same files, byte for byte, none added

    old_events = pd.read_parquet(processed / "1.0.0" / "events.parquet")
    new_events = pd.read_parquet(processed / "1.1.0" / "events.parquet")
    new_articles = pd.read_parquet(processed / "1.1.0" / "articles.parquet")
    assert "new_article.txt" in set(new_articles["source_path"])
    kept = new_events[new_events["event_id"].isin(old_events["event_id"])]
    assert set(old_events["event_id"]) <= set(new_events["event_id"])  # ids are stable
    assert set(kept["first_seen"]) == {"1.0.0"}
    added = new_events[~new_events["event_id"].isin(old_events["event_id"])]
    assert len(added) >= 1 and set(added["first_seen"]) == {"1.1.0"}
    changes = pd.read_parquet(processed / "1.1.0" / "changes.parquet")
    assert set(changes.loc[changes["change"] == "added", "event_id"]) == set(added["event_id"])
    old_mentions = pd.read_parquet(processed / "1.0.0" / "mentions.parquet")
    new_mentions = pd.read_parquet(processed / "1.1.0" / "mentions.parquet")
    assert set(old_mentions["mention_id"]) <= set(new_mentions["mention_id"])


@pytest.fixture(scope="module")
def cli_runs(prefect_harness, samples, tmp_path_factory):
    """`deportdata run` twice in a subprocess on a fresh copy of the sample raw/."""
    base = tmp_path_factory.mktemp("cli")
    ws = samples.workspace(base)
    samples.write_sample_raw(ws.raw)
    env = {**os.environ, "DEPORTDATA_RAW": str(ws.raw), "DEPORTDATA_PROCESSED": str(ws.processed),
           "DEPORTDATA_CACHE": str(ws.cache), "SOURCE_DATE_EPOCH": samples.SOURCE_DATE_EPOCH,
           # the session's test API, so the child starts no temporary server of its own
           "PREFECT_API_URL": prefect_harness}
    command = [str(Path(sys.executable).with_name("deportdata")), "run"]

    def run():
        return subprocess.run(command, cwd=base, env=env, capture_output=True, text=True, timeout=300)

    first = run()
    tree = samples.tree_bytes(ws.processed)  # before the second call
    root = ws.root_descriptor.read_bytes() if ws.root_descriptor.exists() else b""
    second = run()
    return {"ws": ws, "first": first, "second": second, "tree": tree, "root": root}


@pytest.mark.flow
def test_cli_run_reports_what_it_did_and_the_release_path(cli_runs, samples):
    done, ws = cli_runs["first"], cli_runs["ws"]
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    n_files = len(samples.SEEDS) + 3 + len(samples.MALFORMED) + 1
    assert re.search(rf"^read\s+{n_files} raw files \({n_files} new or changed\)", out, re.M), out
    assert re.search(r"^articles\s+6 distinct \(1 same-text copies set aside", out, re.M), out
    assert re.search(r"^extracted\s+[1-9]\d* mentions -> [1-9]\d* events", out, re.M), out
    assert re.search(rf"^rejected\s+{len(samples.MALFORMED)} raw files or records, 0 rows", out, re.M), out
    assert "published release 1.0.0" in out
    assert out.strip().splitlines()[-1] == str(ws.processed / "1.0.0")
    assert (ws.processed / "1.0.0" / "datapackage.json").is_file() and ws.root_descriptor.is_file()


@pytest.mark.flow
def test_cli_second_run_says_nothing_new(cli_runs, samples):
    done, ws = cli_runs["second"], cli_runs["ws"]
    assert done.returncode == 0, done.stderr[-3000:]
    n_files = len(samples.SEEDS) + 3 + len(samples.MALFORMED) + 1
    assert re.search(rf"^read\s+{n_files} raw files \(0 new or changed\)", done.stdout, re.M), done.stdout
    assert "nothing new since release 1.0.0" in done.stdout
    assert str(ws.processed / "1.0.0") not in done.stdout.strip().splitlines()[-1]
    assert sorted(p.name for p in ws.processed.iterdir()) == ["1.0.0", "CHANGELOG.md", "index.json"]
    assert samples.tree_bytes(ws.processed) == cli_runs["tree"]


@pytest.mark.flow
def test_same_raw_twice_gives_byte_identical_releases(pipeline_runs, cli_runs):
    """The CLI's build (fresh raw/ copy, processed/ and cache) equals the flow fixture's first build."""
    assert cli_runs["first"].returncode == 0, cli_runs["first"].stderr[-3000:]
    tree, expected = cli_runs["tree"], pipeline_runs.first_tree
    fingerprints = {json.loads(t["1.0.0/datapackage.json"]).get("inputs_fingerprint") for t in (tree, expected)}
    assert len(fingerprints) == 1, "raw/ or the code differed between the two builds (code edited mid-session?)"
    assert sorted(tree) == sorted(expected)
    for name, data in tree.items():
        assert data == expected[name], f"{name} differs between two builds of the same raw/"
    assert cli_runs["root"] == pipeline_runs.first_root


def test_cli_run_without_raw_folder_fails_before_starting_prefect(tmp_path, monkeypatch, capsys):
    from deportdata.cli import main

    monkeypatch.setenv("DEPORTDATA_RAW", str(tmp_path / "missing"))
    monkeypatch.setenv("DEPORTDATA_PROCESSED", str(tmp_path / "processed"))
    monkeypatch.setenv("DEPORTDATA_CACHE", str(tmp_path / "cache"))
    assert main(["run"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "processed").exists()


# --------------------------------------------------------------------------- stages without Prefect


def test_settings_take_paths_from_the_environment(tmp_path):
    from deportdata.settings import Settings

    environ = {"DEPORTDATA_RAW": str(tmp_path / "r"), "DEPORTDATA_PROCESSED": str(tmp_path / "p"),
               "DEPORTDATA_CACHE": str(tmp_path / "c")}
    ws = Settings.load(root=tmp_path, environ=environ).workspace()
    assert (ws.raw, ws.processed, ws.cache) == (tmp_path / "r", tmp_path / "p", tmp_path / "c")
    assert ws.root_descriptor == tmp_path / "datapackage.json"


def test_publish_skips_unchanged_tables_and_patches_for_new_rejects(tmp_path, samples):
    """Without the flow's input fingerprint shortcut: equal tables publish nothing; a change in
    rejects only is a patch release."""
    ws = samples.workspace(tmp_path)
    ws.raw.mkdir()
    for seed in samples.SEEDS:
        (ws.raw / seed.name).write_bytes(seed.read_bytes())
    assert samples.run_stages(ws).version == "1.0.0"
    again = samples.run_stages(ws)
    assert again.version is None and again.folder is None
    assert again.message == "nothing new since release 1.0.0"
    (ws.raw / "empty.txt").write_bytes(b"")
    patch = samples.run_stages(ws)
    assert patch.version == "1.0.1"
    assert [r["source_path"] for r in read_csv_rows(patch.folder / "rejects.csv")] == ["empty.txt"]
    for name in ("articles", "mentions", "events"):
        assert (patch.folder / f"{name}.csv").read_bytes() == (ws.processed / "1.0.0" / f"{name}.csv").read_bytes()


def test_a_fixed_file_loses_its_old_reject(tmp_path, samples):
    """A file rejected once and then repaired must not stay in rejects beside its article.
    (Both files are ingested in one cache segment; the repaired one lands in a new segment.)"""
    ws = samples.workspace(tmp_path)
    ws.raw.mkdir()
    (ws.raw / "a.txt").write_bytes(samples.SEEDS[0].read_bytes())
    (ws.raw / "b.txt").write_bytes(b"")
    first = samples.run_stages(ws)
    assert first.version == "1.0.0"
    assert [r["source_path"] for r in read_csv_rows(first.folder / "rejects.csv")] == ["b.txt"]

    (ws.raw / "b.txt").write_bytes(samples.SEEDS[1].read_bytes())
    second = samples.run_stages(ws)
    assert second.version == "1.1.0"
    assert "b.txt" in set(pd.read_parquet(second.folder / "articles.parquet")["source_path"])
    stale = [r for r in read_csv_rows(second.folder / "rejects.csv") if r["source_path"] == "b.txt"]
    assert stale == [], f"b.txt is an article now but still rejected: {stale}"


def test_malformed_files_never_raise(tmp_path, samples):
    from deportdata.stages import scan_raw

    samples.write_sample_raw(tmp_path)
    for path, _sha in scan_raw(tmp_path):
        articles, rejects = read_raw_file(tmp_path / path, tmp_path)
        if path in samples.MALFORMED:
            assert articles == [] and len(rejects) == 1
            assert rejects[0].source_path == path
            assert samples.MALFORMED_REASONS[path] in rejects[0].reason
        else:
            assert articles and not rejects


def test_stages_pause_the_garbage_collector_only_while_they_run():
    """Stages run with the cyclic collector paused (it walks every long-lived object at each
    full collection); a library user's process gets it back, even when a stage fails."""
    import gc

    from deportdata.stages import _gc_paused

    seen = []

    @_gc_paused
    def stage(fail: bool) -> None:
        seen.append(gc.isenabled())
        if fail:
            raise ValueError("bad input")

    assert gc.isenabled()
    stage(False)
    with pytest.raises(ValueError, match="bad input"):
        stage(True)
    assert seen == [False, False] and gc.isenabled()
    gc.disable()
    try:
        stage(False)
        assert not gc.isenabled()  # a caller that had paused it keeps it paused
    finally:
        gc.enable()
