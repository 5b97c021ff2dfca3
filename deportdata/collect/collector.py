"""Collect new articles from the configured sources into raw/.

`collect()` is plain code with no Prefect in it: the flow task and `deportdata collect`
both call it. A broken feed or page becomes a `Problem` in the report and the run goes on.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from deportdata.collect.feeds import FEED_MEDIA_HINT, FeedError, parse_feed
from deportdata.collect.http import FetchError, HttpClient, HttpPolicy, Response, check_url
from deportdata.collect.sources import KeywordFilter, Source, url_words
from deportdata.collect.store import CollectState, RawStore, sha256_hex, state_lock, utc_iso

log = logging.getLogger(__name__)

COLLECTOR = "deportdata-collect/1"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5"
_PAGE_EXTENSIONS = {"text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt"}


@dataclass(frozen=True)
class Problem:
    source: str
    url: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.url}: {self.reason}"


@dataclass(frozen=True)
class Collected:
    source: str
    url: str
    final_url: str
    path: str
    """Path under raw/ (posix). For a duplicate: the copy stored earlier."""
    sha256: str
    bytes: int


@dataclass
class SourceReport:
    name: str
    kind: str
    items: int = 0
    filtered_out: int = 0
    already_seen: int = 0
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    problems: int = 0
    not_modified: bool = False
    left_for_next_run: int = 0


@dataclass
class CollectReport:
    stored: list[Collected] = field(default_factory=list)
    duplicates: list[Collected] = field(default_factory=list)
    """Fetched pages whose content was already stored: not stored again."""
    problems: list[Problem] = field(default_factory=list)
    sources: list[SourceReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (for a Prefect artifact or a log)."""
        return asdict(self)

    def summary_lines(self) -> list[str]:
        lines = [
            f"{s.name}: {'not modified' if s.not_modified else f'{s.items} items'}"
            + (
                ""
                if s.not_modified
                else f", {s.filtered_out} filtered out, {s.already_seen} already seen, {s.fetched} fetched, "
                f"{s.stored} stored, {s.duplicates} duplicates, {s.problems} problems"
                + (f", {s.left_for_next_run} left for the next run" if s.left_for_next_run else "")
            )
            for s in self.sources
        ]
        lines.append(
            f"collected {len(self.stored)} new pages ({len(self.duplicates)} duplicates not stored, "
            f"{len(self.problems)} problems)"
        )
        lines.extend(f"note: {note}" for note in self.notes)
        lines.extend(f"problem: {problem}" for problem in self.problems)
        return lines


def collect(
    sources: Sequence[Source],
    raw_dir: Path,
    state_dir: Path,
    *,
    policy: HttpPolicy | None = None,
    clock: Callable[[], datetime.datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CollectReport:
    """Fetch new items of `sources` and store them under `raw_dir/collected/`.

    State (seen URLs, stored contents, feed validators) lives in `state_dir/state.json`.
    Raises only for a missing raw folder or a concurrent run (`CollectBusy`); every
    network or content failure is a `Problem` in the report.
    """
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder {raw_dir} does not exist")
    policy = policy or HttpPolicy()
    now = clock or (lambda: datetime.datetime.now(datetime.UTC))
    report = CollectReport()
    with state_lock(state_dir):
        state, note = CollectState.load(state_dir, raw_dir)
        if note:
            report.notes.append(note)
        run = _Run(RawStore(raw_dir), state, report, raw_dir)
        with HttpClient(policy, sleep=sleep, now=now) as http:
            run.http = http
            for source in sources:
                if not source.enabled:
                    continue
                run.source(source)
                state.save(state_dir)
        state.save(state_dir)
    return report


@dataclass
class _Item:
    url: str
    title: str | None
    summary: str | None
    published: datetime.date | None


class _Run:
    http: HttpClient

    def __init__(self, store: RawStore, state: CollectState, report: CollectReport, raw_dir: Path) -> None:
        self.store = store
        self.state = state
        self.report = report
        self.raw_dir = raw_dir

    def problem(self, summary: SourceReport, url: str, reason: str) -> None:
        summary.problems += 1
        self.report.problems.append(Problem(summary.name, url, reason))
        log.warning("collect: %s: %s: %s", summary.name, url, reason)

    def source(self, source: Source) -> None:
        summary = SourceReport(name=source.name, kind=source.kind)
        self.report.sources.append(summary)
        try:
            if source.kind == "feed":
                self._feed(source, summary)
            else:
                items = [_Item(e.url, e.title, None, None) for e in source.urls]
                self._items(source, summary, items, feed_url=None)
        except Exception as err:  # noqa: BLE001 - one source's bug must not stop the others
            log.exception("collect: unexpected error in source %s", source.name)
            self.problem(summary, source.url or source.name, f"unexpected error: {type(err).__name__}: {err}")

    def _feed(self, source: Source, summary: SourceReport) -> None:
        assert source.url is not None
        known = self.state.feeds.get(source.url, {})
        try:
            response = self.http.get(
                source.url, etag=known.get("etag"), last_modified=known.get("last_modified"), accept=FEED_MEDIA_HINT
            )
        except FetchError as err:
            self.problem(summary, source.url, f"feed not fetched: {err.reason}")
            return
        if response.not_modified:
            summary.not_modified = True
            return
        try:
            parsed = parse_feed(response.content, response.final_url, response.headers)
        except FeedError as err:
            self.problem(summary, source.url, f"feed rejected: {err}")
            return
        items = [_Item(i.url, i.title, i.summary, i.published) for i in parsed.items]
        complete = self._items(source, summary, items, feed_url=source.url, feed_title=parsed.title)
        if complete:
            validators = {k: response.headers[h] for k, h in (("etag", "etag"), ("last_modified", "last-modified"))
                          if response.headers.get(h)}
            self.state.feeds[source.url] = {**validators, "checked_at": utc_iso(response.fetched_at)}
        else:
            # Items to try again: the feed must be read in full next time, not answered by a 304.
            self.state.feeds.pop(source.url, None)

    def _items(
        self, source: Source, summary: SourceReport, items: list[_Item], *, feed_url: str | None,
        feed_title: str | None = None,
    ) -> bool:
        """Fetch and store the new, matching items; True unless some are left to retry."""
        keywords = KeywordFilter(source.keywords)
        complete = True
        summary.items = len(items)
        for item in items:
            # A listed URL without a title is judged by the words of its path.
            title = item.title if item.title or feed_url else url_words(item.url)
            if not keywords.matches(title, item.summary):
                summary.filtered_out += 1
                continue
            if self.state.is_seen(item.url):
                summary.already_seen += 1
                continue
            if summary.fetched >= source.max_items:
                summary.left_for_next_run += 1
                complete = False
                continue
            bad_url = check_url(item.url)
            if bad_url:
                self.problem(summary, item.url, bad_url)
                self.state.mark_failed(item.url, bad_url, None)
                continue
            summary.fetched += 1
            if not self._page(source, summary, item, feed_url, feed_title):
                complete = False
        return complete

    def _page(
        self, source: Source, summary: SourceReport, item: _Item, feed_url: str | None, feed_title: str | None
    ) -> bool:
        """Fetch and store one page; False when it failed in a way worth retrying."""
        try:
            response = self.http.get(item.url, accept=PAGE_ACCEPT, accept_media=_is_page_media)
        except FetchError as err:
            self.problem(summary, item.url, err.reason)
            if err.permanent:
                self.state.mark_failed(item.url, err.reason, err.status)
            return err.permanent
        extension = _extension(response)
        if extension is None:
            reason = "empty body" if not response.content.strip() else "content is not an HTML or text page"
            self.problem(summary, item.url, reason)
            self.state.mark_failed(item.url, reason, response.status)
            return True
        sha256 = sha256_hex(response.content)
        existing = self.state.stored_path(sha256, self.raw_dir)
        if existing is None:
            meta = _sidecar(response, sha256, source, item, feed_url, feed_title)
            existing, created = self.store.save(response.content, sha256, extension, meta, response.fetched_at)
            self.state.contents[sha256] = existing
        else:
            created = False
        record = Collected(source.name, item.url, response.final_url, existing, sha256, len(response.content))
        if created:
            summary.stored += 1
            self.report.stored.append(record)
            log.info("collect: stored %s from %s", existing, item.url)
        else:
            summary.duplicates += 1
            self.report.duplicates.append(record)
        self.state.mark_collected(item.url, sha256, existing)
        self.state.mark_collected(response.final_url, sha256, existing)
        return True


def _is_page_media(media: str) -> bool:
    return media in _PAGE_EXTENSIONS or media == ""


def _extension(response: Response) -> str | None:
    if not response.content.strip():
        return None
    extension = _PAGE_EXTENSIONS.get(response.media_type)
    if extension is not None:
        return extension
    head = response.content[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"\xef\xbb\xbf<")) or b"<html" in head:
        return ".html"  # no Content-Type, but plainly HTML
    return None


def _sidecar(
    response: Response, sha256: str, source: Source, item: _Item, feed_url: str | None, feed_title: str | None
) -> dict[str, Any]:
    return {
        "url": item.url,
        "final_url": response.final_url,
        "fetched_at": utc_iso(response.fetched_at),
        "status": response.status,
        "content_type": response.content_type,
        "sha256": sha256,
        "bytes": len(response.content),
        "feed": feed_url,
        "feed_title": feed_title,
        "source": source.name,
        "item_title": item.title,
        "item_published": item.published.isoformat() if item.published else None,
        "etag": response.headers.get("etag"),
        "last_modified": response.headers.get("last-modified"),
        "collector": COLLECTOR,
    }


