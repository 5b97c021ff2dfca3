"""The benchmark machinery (bench/run.py) end to end on a tiny corpus: every required number
is in latest.json and latest.md is written. No timing assertions.

The children it starts use the session's Prefect test harness through PREFECT_API_URL, so
they do not each start a temporary API server."""
from __future__ import annotations

import json
import math

import pytest

from bench import run as bench_run

SIZE = 30
REQUIRED = ("wall_s", "floor_s", "peak_rss_mb", "unchanged_rerun_s", "incremental_1pct_s",
            "prefect_overhead_ratio", "prefect_startup_s", "articles_per_s", "mb_per_s", "floor_multiple")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def test_parse_sizes_accepts_make_style_lists():
    assert bench_run._parse_sizes(["1000 10000", "100_000"]) == [1000, 10000, 100000]
    assert bench_run._parse_sizes(["30,30"]) == [30]


@pytest.mark.flow
def test_bench_run_writes_every_required_number(prefect_harness, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PREFECT_API_URL", prefect_harness)
    results = tmp_path / "results"
    workdir = tmp_path / "work"
    code = bench_run.main(["--sizes", str(SIZE), "--workdir", str(workdir), "--results-dir", str(results),
                           "--no-warmup", "--overhead-pairs", "2"])
    assert code == 0
    report = json.loads((results / "latest.json").read_text())

    for key in ("cpu_count", "python", "platform"):
        assert report["machine"][key]
    assert list(report["sizes"]) == [str(SIZE)]
    row = report["sizes"][str(SIZE)]
    for key in REQUIRED:
        assert _number(row[key]), key
    assert set(bench_run.STAGES) <= set(row["stages"])
    assert all(_number(row["stages"][name]) for name in bench_run.STAGES)
    assert all(_number(v) for v in row["direct_stages"].values())
    assert row["articles"] == SIZE and row["incremental_articles"] == 1
    for runs, median in (("incremental_1pct_runs_s", "incremental_1pct_s"),
                         ("direct_incremental_1pct_runs_s", "direct_incremental_1pct_s")):
        assert len(row[runs]) == bench_run.INCREMENTAL_RUNS and all(_number(r) for r in row[runs])
        assert row[median] == sorted(row[runs])[len(row[runs]) // 2]
    assert row["unchanged_rerun_skipped"] is True
    assert row["outputs"]["events"] == row["outputs"]["direct_events"] > 0
    ratios = row["prefect_overhead_ratios"]
    assert len(ratios) == 2 and all(_number(r) for r in ratios)
    assert row["prefect_overhead_ratio"] == pytest.approx(sum(ratios) / 2, abs=1e-3)  # the median of two
    assert {t["target"] for t in report["targets"]} >= {"floor_multiple", "incremental_fraction", "e2e_100k_s"}

    md = (results / "latest.md").read_text()
    assert "| pipeline / floor |" in md and "prefect_startup_s" in md
    assert "prefect_startup_s:" in capsys.readouterr().out
    # corpora and workspaces are removed without --keep
    assert not (workdir / f"n{SIZE}").exists()


def test_the_results_table_is_quoted_between_the_readme_markers(tmp_path):
    readme = tmp_path / "README.md"
    start, end = bench_run.README_MARKERS
    readme.write_text(f"# Project\n\nintro\n\n{start}\nold table\n{end}\n\n## Next\n", encoding="utf-8")
    assert bench_run.quote_in_readme("# Pipeline benchmark\n\nRun on 2 CPUs.\n\n| a | b |\n", readme)
    assert readme.read_text(encoding="utf-8") == (
        f"# Project\n\nintro\n\n{start}\nRun on 2 CPUs.\n\n| a | b |\n{end}\n\n## Next\n")
    without = tmp_path / "OTHER.md"
    without.write_text("no markers\n", encoding="utf-8")
    assert not bench_run.quote_in_readme("# x\n\ny\n", without)
    assert without.read_text(encoding="utf-8") == "no markers\n"
