"""Collect news articles into raw/ from reviewed feeds and URL lists.

Plain code, no Prefect: a flow task calls `collect(...)`; the command line registers
`deportdata collect` with `add_collect_parser(subparsers)`. See docs/collecting.md.
"""

from deportdata.collect.cli import add_collect_parser, cmd_collect
from deportdata.collect.collector import Collected, CollectReport, Problem, SourceReport, collect
from deportdata.collect.feeds import FeedError, FeedItem, ParsedFeed, check_feed_xml, parse_feed
from deportdata.collect.http import FetchError, HttpClient, HttpPolicy, Response
from deportdata.collect.sources import (
    DEFAULT_KEYWORDS,
    CollectConfig,
    KeywordFilter,
    Source,
    SourcesError,
    UrlEntry,
    load_config,
    load_sources,
)
from deportdata.collect.store import CollectBusy, CollectState, RawStore, url_key

__all__ = [
    "DEFAULT_KEYWORDS",
    "CollectBusy",
    "CollectConfig",
    "CollectReport",
    "CollectState",
    "Collected",
    "FeedError",
    "FeedItem",
    "FetchError",
    "HttpClient",
    "HttpPolicy",
    "KeywordFilter",
    "ParsedFeed",
    "Problem",
    "RawStore",
    "Response",
    "Source",
    "SourceReport",
    "SourcesError",
    "UrlEntry",
    "add_collect_parser",
    "check_feed_xml",
    "cmd_collect",
    "collect",
    "load_config",
    "load_sources",
    "parse_feed",
    "url_key",
]
