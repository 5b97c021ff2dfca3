"""`deportdata`: the project's command line."""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from deportdata.settings import Settings, configure_prefect


def _print_summary(summary: dict, seconds: float) -> None:
    print(f"read      {summary['files']} raw files ({summary['new_files']} new or changed)")
    print(f"articles  {summary['n_articles']} distinct ({summary['n_same_text']} same-text copies set aside, "
          f"{summary['n_near_copies']} near-copies marked)")
    print(f"extracted {summary['n_mentions']} mentions -> {summary['events']} events")
    print(f"rejected  {summary['n_ingest_rejects']} raw files or records, {summary['rejected_rows']} rows failing "
          f"validation (see rejects.csv in the release)")
    print(f"{summary['message']} ({seconds:.1f} s)")
    if summary.get("folder"):
        print(summary["folder"])


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    configure_prefect(settings.root)
    if args.clear_cache:
        shutil.rmtree(settings.cache, ignore_errors=True)
    if not settings.raw.is_dir():
        print(f"deportdata: raw folder {settings.raw} does not exist", file=sys.stderr)
        return 2
    from flows.pipeline import pipeline  # imports Prefect, after its environment is set

    started = time.perf_counter()
    summary = pipeline(settings.workspace())
    _print_summary(summary, time.perf_counter() - started)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deportdata", description="Deportation events coded from news.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="build a release from raw/ (publishes only when something changed)")
    run.add_argument("--clear-cache", action="store_true", help="reprocess every raw file from scratch")
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
