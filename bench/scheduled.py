"""Scheduled runs with and without segment merging (`python -m bench.scheduled`).

A corpus of `--base` articles, then `--runs` runs that each add `--new` articles, all as direct
stage calls (bench.run.run_direct) in this process, once with the segment merge
(deportdata.segments.compact) and once without. Prints one JSON line per run (segments after
the run, run and assemble seconds) and a summary of the last ten runs of each."""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from bench.corpus import add_new_articles, generate_corpus
from bench.run import run_direct
from deportdata import stages
from deportdata.segments import segment_files


def scheduled_runs(workdir: Path, base: int, runs: int, new: int, merge: bool) -> list[dict]:
    raw = workdir / "raw"
    generate_corpus(raw, base, seed=5)
    ws = stages.Workspace(raw, workdir / "processed", workdir / "cache")
    rows = []
    for run in range(runs + 1):
        if run:
            add_new_articles(raw, new, seed=1000 + run)
        result = run_direct(ws, 16, "process", merge_segments=merge)
        rows.append({"merge": merge, "run": run, "segments": len(segment_files(ws.ingest_dir)),
                     "run_s": round(result["seconds"], 2), "assemble_s": round(result["stages"]["assemble"], 2)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def _span(rows: list[dict], key: str) -> str:
    values = [r[key] for r in rows]
    return f"{min(values)}-{max(values)}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduled", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=int, default=2000, help="articles before the first run (default 2000)")
    parser.add_argument("--runs", type=int, default=40, help="scheduled runs after the first (default 40)")
    parser.add_argument("--new", type=int, default=100, help="new articles per run (default 100)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="deportdata-scheduled-") as tmp:
        for merge in (True, False):
            workdir = Path(tmp) / ("merge" if merge else "no-merge")
            last = scheduled_runs(workdir, args.base, args.runs, args.new, merge)[-10:]
            print(f"{'with' if merge else 'without'} merging, last ten runs: segments {_span(last, 'segments')}, "
                  f"run {_span(last, 'run_s')} s, assemble {_span(last, 'assemble_s')} s")
            shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
