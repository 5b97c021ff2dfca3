"""`deportdata collect`: collect new articles into raw/ from the reviewed sources file
and any `--feed` URLs. Wired into the main parser by `add_collect_parser(subparsers)`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from deportdata.collect.collector import collect
from deportdata.collect.sources import SourcesError, load_config
from deportdata.collect.store import CollectBusy

DEFAULT_SOURCES = "sources.toml"
STATE_SUBDIR = "collect"


def add_collect_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `collect` on the `add_subparsers()` object of the main parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "collect",
        help="fetch new articles from the configured feeds and URL lists into raw/",
        description="Fetch new articles from the reviewed sources file (and --feed URLs) and store them "
        "under raw/collected/ as immutable snapshots with .meta.json sidecars.",
    )
    parser.add_argument(
        "--feed", action="append", default=[], metavar="URL",
        help="an RSS/Atom feed to collect from as well (repeatable); the file's default keywords apply",
    )
    parser.add_argument(
        "--sources", type=Path, default=None, metavar="PATH",
        help=f"the sources file (default: {DEFAULT_SOURCES} in the project root)",
    )
    parser.add_argument("--raw", type=Path, default=None, metavar="DIR", help="raw folder (default: the project's raw/)")
    parser.add_argument(
        "--state", type=Path, default=None, metavar="DIR",
        help=f"collect state folder (default: the cache folder's {STATE_SUBDIR}/)",
    )
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when any feed or page failed")
    parser.set_defaults(func=cmd_collect)
    return parser


def cmd_collect(args: argparse.Namespace) -> int:
    from deportdata.settings import Settings

    settings = Settings.load()
    sources_path: Path | None = args.sources
    if sources_path is None:
        default = settings.root / DEFAULT_SOURCES
        sources_path = default if default.exists() or not args.feed else None
    raw_dir: Path = args.raw if args.raw is not None else settings.raw
    state_dir: Path = args.state if args.state is not None else settings.cache / STATE_SUBDIR
    try:
        config = load_config(sources_path, extra_feeds=args.feed)
    except SourcesError as err:
        print(f"deportdata collect: {err}", file=sys.stderr)
        return 2
    enabled = [s for s in config.sources if s.enabled]
    if not enabled:
        print(f"deportdata collect: no enabled source in {sources_path or '(no sources file)'}; "
              "enable one there or pass --feed URL")
        return 0
    try:
        report = collect(enabled, raw_dir, state_dir, policy=config.policy)
    except (FileNotFoundError, CollectBusy) as err:
        print(f"deportdata collect: {err}", file=sys.stderr)
        return 2
    for line in report.summary_lines():
        print(line, file=sys.stderr if line.startswith("problem:") else sys.stdout)
    return 1 if args.strict and report.problems else 0
