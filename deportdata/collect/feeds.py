"""Read RSS and Atom feeds safely.

Every feed is first parsed with defusedxml, which refuses entity declarations (the
"billion laughs" expansion attack and external entities that would read local files or
reach other hosts) and reports XML that is not well-formed. Only then is it handed to
feedparser, which knows the many dialects of RSS and Atom, as an in-memory stream (never a
string: feedparser would treat a string as a URL or a file name and open it).
"""

from __future__ import annotations

import calendar
import datetime
import html
import io
import re
import xml.etree.ElementTree
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import defusedxml
import defusedxml.ElementTree
import feedparser

_FEED_ROOTS = frozenset({
    "rss",
    "{http://www.w3.org/2005/Atom}feed",
    "{http://purl.org/atom/ns#}feed",  # Atom 0.3
    "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF",  # RSS 1.0
    "feed",
    "RDF",
})
FEED_MEDIA_HINT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)


class FeedError(Exception):
    """A feed that cannot be used; the message says why."""


@dataclass(frozen=True)
class FeedItem:
    url: str
    title: str | None
    summary: str | None
    """Plain text of the entry's summary (or of its content when it has no summary)."""
    published: datetime.date | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    items: list[FeedItem]
    entries_without_link: int


def check_feed_xml(data: bytes) -> None:
    """Raise FeedError unless `data` is well-formed XML without entity declarations whose
    root is an RSS, RDF or Atom element."""
    if not data.strip():
        raise FeedError("empty feed")
    try:
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden as err:
        raise FeedError(
            f"XML declares entities ({err.name or 'unnamed'}); refused as a possible entity-expansion attack"
        ) from None
    except defusedxml.ExternalReferenceForbidden as err:
        raise FeedError(f"XML refers to an external resource ({err.sysid}); refused") from None
    except defusedxml.DefusedXmlException as err:
        raise FeedError(f"unsafe XML refused: {err}") from None
    except xml.etree.ElementTree.ParseError as err:
        raise FeedError(f"not well-formed XML: {err}") from None
    except (ValueError, LookupError) as err:  # e.g. an unknown encoding in the XML declaration
        raise FeedError(f"unreadable XML: {err}") from None
    if root.tag not in _FEED_ROOTS:
        tag = re.sub(r"^\{[^}]*\}", "", str(root.tag))
        raise FeedError(f"not an RSS or Atom feed (root element <{tag}>)")


def parse_feed(data: bytes, base_url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Items of an RSS 0.9x/1.0/2.0 or Atom feed. Raises FeedError for unsafe or broken feeds."""
    check_feed_xml(data)
    response_headers = {"content-location": base_url}
    if headers and headers.get("content-type"):
        response_headers["content-type"] = headers["content-type"]
    parsed = feedparser.parse(io.BytesIO(data), response_headers=response_headers, sanitize_html=True)
    entries = list(parsed.get("entries") or [])
    if not entries and parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        raise FeedError(f"feed could not be parsed: {parsed['bozo_exception']}")
    items: list[FeedItem] = []
    without_link = 0
    for entry in entries:
        url = _entry_url(entry, base_url)
        if url is None:
            without_link += 1
            continue
        items.append(
            FeedItem(
                url=url,
                title=_plain(entry.get("title")),
                summary=_plain(entry.get("summary") or _first_content(entry)),
                published=_entry_date(entry),
            )
        )
    feed_title = _plain((parsed.get("feed") or {}).get("title"))
    return ParsedFeed(title=feed_title, items=items, entries_without_link=without_link)


def _entry_url(entry: Any, base_url: str) -> str | None:
    candidates: list[str] = []
    if entry.get("link"):
        candidates.append(entry["link"])
    for link in entry.get("links") or []:
        if link.get("href") and link.get("rel", "alternate") == "alternate":
            candidates.append(link["href"])
    entry_id = entry.get("id")
    if isinstance(entry_id, str) and re.match(r"^https?://", entry_id.strip(), re.IGNORECASE):
        candidates.append(entry_id)  # RSS guid isPermaLink / Atom id that is the page URL
    for candidate in candidates:
        url = urljoin(base_url, candidate.strip())
        if url:
            return url
    return None


def _first_content(entry: Any) -> str | None:
    for content in entry.get("content") or []:
        value = content.get("value")
        if value:
            return str(value)
    return None


_TAG = re.compile(r"<[^>]*>")


def _plain(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(html.unescape(_TAG.sub(" ", value)).split())
    return text or None


def _entry_date(entry: Any) -> datetime.date | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.datetime.fromtimestamp(calendar.timegm(value), tz=datetime.UTC).date()
            except (OverflowError, ValueError, TypeError, OSError):
                continue
    return None
