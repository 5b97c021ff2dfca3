"""Read raw article files (text, HTML, JSON exports) into normalized `Article` records.

Everything here is pure reading: raw files are never modified and nothing is written.
Bad input never raises; it becomes a `Reject` with a reason a person can act on, so
one broken file cannot stop a pipeline run.
"""

from __future__ import annotations

import codecs
import datetime
import email.utils
import functools
import html
import json
import os
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import pycountry
import trafilatura
import trafilatura.utils
from publicsuffixlist import PublicSuffixList

from deportdata.text import article_id, count_words, normalize_text

MIN_WORDS = 5

_TEXT_SUFFIXES = frozenset({".txt", ".md", ""})
_HTML_SUFFIXES = frozenset({".html", ".htm"})
_JSON_SUFFIXES = frozenset({".json"})
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
_SIDECAR_SUFFIX = ".meta.json"


@dataclass(frozen=True)
class Article:
    article_id: str
    source_path: str
    source_record: int | None
    url: str | None
    outlet: str | None
    title: str | None
    published_date: datetime.date | None
    language: str
    n_words: int
    body: str
    paragraph_starts: tuple[int, ...]


@dataclass(frozen=True)
class Reject:
    source_path: str
    source_record: int | None
    reason: str


@dataclass(frozen=True)
class IngestResult:
    articles: list[Article]
    rejects: list[Reject]
    same_text: list[tuple[str, str]]


@dataclass
class _Fields:
    """What one source gives about one article, before normalization and fallbacks."""

    text: str
    url: str | None = None
    outlet_name: str | None = None
    title: str | None = None
    published: datetime.date | None = None
    language: str | None = None


class _Bad(Exception):
    """A reason to reject the whole file, raised deep in a reader and caught once."""


# --------------------------------------------------------------------------- listing


def list_raw_files(raw_root: Path) -> list[Path]:
    """Every article candidate under raw_root, in a stable order.

    Hidden entries are editor/VCS leftovers and sidecars are metadata of another file,
    so neither is an article.
    """
    return [raw_root / name for name, _entry in raw_file_entries(raw_root)]


def raw_file_entries(raw_root: Path) -> list[tuple[str, os.DirEntry]]:
    """(posix path under raw_root, directory entry) of list_raw_files, sorted by path. Directory
    entries know their type without a stat call: a scan of 100,000 files spends its time here."""
    found: list[tuple[str, os.DirEntry]] = []
    pending = [("", os.fspath(raw_root))]
    while pending:
        prefix, directory = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):  # as os.walk: linked folders are not entered
                    pending.append((f"{prefix}{entry.name}/", entry.path))
                elif entry.is_file() and not entry.name.lower().endswith(_SIDECAR_SUFFIX):
                    found.append((prefix + entry.name, entry))
    return sorted(found, key=lambda item: item[0])


# --------------------------------------------------------------------------- entry points


def read_raw_file(path: Path, raw_root: Path) -> tuple[list[Article], list[Reject]]:
    """Read one raw file into articles and rejects. Never raises for bad file content."""
    source_path = _relative_posix(path, raw_root)
    try:
        return _read(path, source_path)
    except _Bad as bad:
        return [], [Reject(source_path, None, str(bad))]
    except Exception as err:  # noqa: BLE001
        # A parser bug on one odd file must not stop a run over thousands: record it.
        return [], [Reject(source_path, None, f"unexpected error while reading: {type(err).__name__}: {err}")]


def ingest_files(paths: Iterable[Path], raw_root: Path) -> IngestResult:
    """Read many files; keep one article per distinct text, the first by (path, record)."""
    articles: list[Article] = []
    rejects: list[Reject] = []
    seen_paths: set[str] = set()
    for path in paths:
        source_path = _relative_posix(path, raw_root)
        if source_path in seen_paths:  # the same file listed twice is not a copy of itself
            continue
        seen_paths.add(source_path)
        file_articles, file_rejects = read_raw_file(path, raw_root)
        articles.extend(file_articles)
        rejects.extend(file_rejects)

    articles.sort(key=lambda a: (a.source_path, a.source_record or 0))
    rejects.sort(key=lambda r: (r.source_path, r.source_record or 0, r.reason))
    kept: dict[str, Article] = {}
    same_text: list[tuple[str, str]] = []
    for article in articles:
        if article.article_id in kept:
            same_text.append((_locator(article.source_path, article.source_record), article.article_id))
        else:
            kept[article.article_id] = article
    return IngestResult(articles=list(kept.values()), rejects=rejects, same_text=same_text)


def _locator(source_path: str, source_record: int | None) -> str:
    return source_path if source_record is None else f"{source_path}#{source_record}"


def _relative_posix(path: Path, raw_root: Path) -> str:
    try:
        return path.relative_to(raw_root).as_posix()
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(raw_root.resolve()).as_posix()
    except ValueError:
        # A path outside the raw root is a caller bug, not bad input: fail loudly.
        raise ValueError(f"{path} is not under the raw root {raw_root}") from None


def _read(path: Path, source_path: str) -> tuple[list[Article], list[Reject]]:
    suffix = path.suffix.lower()
    known = _TEXT_SUFFIXES | _HTML_SUFFIXES | _JSON_SUFFIXES | _JSONL_SUFFIXES
    if suffix not in known:
        raise _Bad(f"unsupported file type '{suffix}'")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise _Bad(f"cannot read file: {err.strerror or err}") from None
    if not data:
        raise _Bad("empty file")

    if suffix in _HTML_SUFFIXES:
        fields = _read_html(data, path)
        return _single(source_path, fields)
    text = _decode_utf8(data)
    if suffix in _TEXT_SUFFIXES:
        fields = _parse_text_file(text)
        if fields.url is None:
            fields.url = _sidecar_url(path)
        return _single(source_path, fields)
    records = _jsonl_records(text) if suffix in _JSONL_SUFFIXES else _json_records(text)
    return _records_to_articles(records, source_path)


def _single(source_path: str, fields: _Fields) -> tuple[list[Article], list[Reject]]:
    result = _make_article(source_path, None, fields)
    if isinstance(result, Reject):
        return [], [result]
    return [result], []


def _make_article(source_path: str, record: int | None, fields: _Fields) -> Article | Reject:
    # Control characters are never text; dropping them here keeps ids equal across formats.
    normalized = normalize_text(_CONTROL_CHARS.sub("", fields.text))
    n_words = count_words(normalized.body)
    if n_words < MIN_WORDS:
        prefix = f"record {record}: " if record is not None else ""
        return Reject(source_path, record, f"{prefix}too short to be an article: {n_words} words")
    # Metadata dates win; the URL path is only a fallback (codebook, articles table).
    published = fields.published or _date_from_url(fields.url)
    return Article(
        article_id=article_id(normalized.body),
        source_path=source_path,
        source_record=record,
        url=fields.url,
        outlet=_outlet_of_url(fields.url) or fields.outlet_name,
        title=_clean_inline(fields.title),
        published_date=published,
        language=fields.language or _detect_language(normalized.body),
        n_words=n_words,
        body=normalized.body,
        paragraph_starts=normalized.paragraph_starts,
    )


# --------------------------------------------------------------------------- bytes to text

_UTF16_32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# C0 controls that never occur in real text (tab, newlines, form feed, escape excluded).
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 27), *range(28, 32)])
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def _decode_utf8(data: bytes) -> str:
    """Decode text and JSON files, which the project requires to be UTF-8."""
    if data.startswith(_UTF16_32_BOMS):
        raise _Bad("not valid UTF-8 (the file starts with a UTF-16/UTF-32 byte-order mark)")
    _check_not_binary(data)
    offset = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[offset:].decode("utf-8")
    except UnicodeDecodeError as err:
        position = offset + err.start
        raise _Bad(f"not valid UTF-8 (byte 0x{data[position]:02x} at offset {position})") from None
    if not text.strip():
        raise _Bad("empty file (only whitespace)")
    return text


def _check_not_binary(data: bytes) -> None:
    if b"\x00" in data:
        raise _Bad("not a text file (contains NUL bytes)")
    head = data[:8192]
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if controls > len(head) // 10:
        raise _Bad(f"not a text file ({controls} control bytes in the first {len(head)})")


# --------------------------------------------------------------------------- text files

_HEADER_LINE = re.compile(r"^\s*([A-Za-z]+)\s*:\s*(.*?)\s*$")
_HEADER_KEYS = {
    "url": "url",
    "outlet": "outlet",
    "source": "outlet",
    "title": "title",
    "published": "published",
    "date": "published",
    "language": "language",
    "lang": "language",
}
_URL_LINE = re.compile(r"^\s*(https?://\S+)\s*$", re.IGNORECASE)
_MAX_TITLE_CHARS = 200
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")


def _parse_text_file(text: str) -> _Fields:
    lines = text.splitlines()
    header, lines = _split_header(lines)
    title = header.get("title")
    if title is None:
        title, lines = _split_title(lines)

    url = _clean_url(header.get("url"))
    body_lines: list[str] = []
    for line in lines:
        match = _URL_LINE.match(line)
        if match is None:
            body_lines.append(line)
        elif url is None:
            url = _clean_url(match.group(1))
    return _Fields(
        text="\n".join(body_lines),
        url=url,
        outlet_name=_outlet_name(header.get("outlet")),
        title=title,
        published=_parse_date(header.get("published")),
        language=_language_code(header.get("language")),
    )


def _split_header(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Leading `key: value` lines with known keys, closed by a blank line.

    The blank line is required so that a body opening with "Source: Reuters said ..."
    is not mistaken for metadata.
    """
    start = _first_non_blank(lines)
    if start is None:
        return {}, lines
    header: dict[str, str] = {}
    index = start
    while index < len(lines) and lines[index].strip():
        match = _HEADER_LINE.match(lines[index])
        if match is None or match.group(1).lower() not in _HEADER_KEYS:
            return {}, lines
        field = _HEADER_KEYS[match.group(1).lower()]
        if match.group(2) and field not in header:  # first value wins, as for URL lines
            header[field] = match.group(2)
        index += 1
    if index == start:
        return {}, lines
    return header, lines[index:]


def _split_title(lines: list[str]) -> tuple[str | None, list[str]]:
    """A short first line followed by a blank line is the headline (as in the seeds).

    A line ending with a full stop is kept as body: in files with blank lines between
    paragraphs, a short lead paragraph would otherwise be lost from the evidence text.
    """
    start = _first_non_blank(lines)
    if start is None or start + 1 >= len(lines) or lines[start + 1].strip():
        return None, lines
    candidate = _MARKDOWN_HEADING.sub("", lines[start].strip())
    if len(candidate) >= _MAX_TITLE_CHARS or candidate.endswith(".") or _URL_LINE.match(candidate):
        return None, lines
    return candidate, lines[start + 1 :]


def _first_non_blank(lines: list[str]) -> int | None:
    return next((i for i, line in enumerate(lines) if line.strip()), None)


# --------------------------------------------------------------------------- HTML files

_BOM_CODECS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"<\?xml[^>]+encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)", re.IGNORECASE)
# Browsers (WHATWG Encoding) read these labels as windows-1252; pages rely on it for
# curly quotes and dashes in the 0x80-0x9f range.
_WHATWG_OVERRIDES = {"latin-1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252"}
# Dates only from metadata (see _html_published_date); trafilatura's own date search is
# kept cheap and independent of today's date since its result is not used.
_TRAFILATURA_DATE_PARAMS = {"original_date": True, "extensive_search": False, "max_date": "2100-12-31"}


def _read_html(data: bytes, path: Path) -> _Fields:
    text = _decode_html(data)
    if not text.strip():
        raise _Bad("empty file (only whitespace)")
    tree = trafilatura.load_html(text)
    if tree is None:
        raise _Bad("no article text found in HTML (the page could not be parsed)")
    url = _html_url(tree) or _sidecar_url(path)
    published = _html_published_date(tree)
    language = _html_language(tree)
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        date_extraction_params=dict(_TRAFILATURA_DATE_PARAMS),
    )
    body = getattr(document, "text", None) if document is not None else None
    if not body or not body.strip():
        raise _Bad("no article text found in HTML")
    return _Fields(
        text=body,
        url=url,
        outlet_name=_outlet_name(getattr(document, "sitename", None)),
        title=getattr(document, "title", None),
        published=published,
        language=language,
    )


def _decode_html(data: bytes) -> str:
    """Decode honouring a BOM, then the declared charset, then UTF-8, then a guess."""
    for bom, codec in _BOM_CODECS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    _check_not_binary(data)
    declared = _declared_charset(data[:4096])
    if declared is not None:
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            # Pages that claim UTF-8 but are not: guess below. Others: keep the
            # declared charset and mark the few stray bytes.
            if declared != "utf-8":
                return data.decode(declared, errors="replace")
    # UTF-8 if valid, else charset detection, else lossy UTF-8.
    return trafilatura.utils.decode_file(data)


def _declared_charset(head: bytes) -> str | None:
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None
    if name.startswith("utf-16") or name.startswith("utf-32"):
        return "utf-8"  # a UTF-16 page would have had a BOM; the label is wrong (WHATWG)
    return _WHATWG_OVERRIDES.get(name, name)


def _html_url(tree: lxml.html.HtmlElement) -> str | None:
    og_url = _clean_url(_meta_values(tree).get("og:url"))
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            href = (link.get("href") or "").strip()
            canonical = _clean_url(urljoin(og_url, href) if og_url else href)
            if canonical:
                return canonical
    return og_url


def _meta_values(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """<meta> contents keyed by lower-cased property/name/itemprop; first one wins."""
    values: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if key and content and key not in values:
            values[key] = content
    return values


# Publication (not modification) date keys, most specific first.
_META_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "article.published",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "publication_date",
    "parsely-pub-date",
    "sailthru.date",
    "citation_publication_date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "date",
)
_ARTICLE_TYPES = frozenset({"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting", "report", "webpage"})


def _html_published_date(tree: lxml.html.HtmlElement) -> datetime.date | None:
    """Publication date from page metadata only, in order of reliability.

    trafilatura (htmldate) returns the URL date before looking at metadata and then
    scans the page text; the codebook wants metadata first and never a date guessed
    from body text, so this is done here.
    """
    meta = _meta_values(tree)
    for key in _META_DATE_KEYS:
        found = _parse_date(meta.get(key))
        if found:
            return found
    found = _json_ld_date(tree)
    if found:
        return found
    for element in tree.xpath("//*[@itemprop='datePublished']"):
        found = _parse_date(element.get("content") or element.get("datetime") or element.text_content())
        if found:
            return found
    return _time_element_date(tree)


def _json_ld_date(tree: lxml.html.HtmlElement) -> datetime.date | None:
    candidates: list[tuple[bool, Any]] = []
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower() or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        for node in _walk_json(data):
            if "datePublished" in node:
                types = node.get("@type")
                types = types if isinstance(types, list) else [types]
                is_article = any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in types)
                candidates.append((is_article, node["datePublished"]))
    # The article's own node first: pages also describe videos, images and related items.
    for is_article, value in sorted(candidates, key=lambda c: not c[0]):
        found = _parse_date(value)
        if found:
            return found
    return None


def _walk_json(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _walk_json(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk_json(child)


def _time_element_date(tree: lxml.html.HtmlElement) -> datetime.date | None:
    # Only <time> elements that plausibly date the article: marked pubdate, inside
    # the <article>, or the page's only one (sidebars list other stories' dates).
    groups = (
        tree.xpath("//time[@pubdate][@datetime]"),
        tree.xpath("//article//time[@datetime]"),
    )
    for group in groups:
        for element in group:
            found = _parse_date(element.get("datetime"))
            if found:
                return found
    all_times = tree.xpath("//time[@datetime]")
    if len(all_times) == 1:
        return _parse_date(all_times[0].get("datetime"))
    return None


def _html_language(tree: lxml.html.HtmlElement) -> str | None:
    declared = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not declared:
        for meta in tree.iter("meta"):
            if (meta.get("http-equiv") or "").lower() == "content-language":
                declared = meta.get("content")
                break
    return _language_code(declared or _meta_values(tree).get("og:locale"))


def _sidecar_url(path: Path) -> str | None:
    """URL recorded by the crawler next to the file (`page.html.meta.json` or `page.meta.json`).

    Only url/final_url are used: crawler dates (fetched_at, the HTTP Date header) are
    fetch times, not publication dates.
    """
    for candidate in (path.with_name(path.name + _SIDECAR_SUFFIX), path.with_name(path.stem + _SIDECAR_SUFFIX)):
        if not candidate.is_file():
            continue
        try:
            meta = json.loads(candidate.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            return None
        if isinstance(meta, dict):
            return _clean_url(meta.get("final_url")) or _clean_url(meta.get("url"))
        return None
    return None


# --------------------------------------------------------------------------- JSON exports

_WRAPPER_KEYS = ("articles", "results", "data", "items")
_TITLE_KEYS = ("title", "headline", "webtitle")
_URL_KEYS = ("url", "link", "canonicalurl", "weburl")
_DATE_KEYS = ("published", "publishedat", "pubdate", "datepublished", "webpublicationdate", "date")
_TEXT_KEYS = ("text", "body", "content", "articlebody", "fulltext")
_OUTLET_KEYS = ("outlet", "source", "publisher")
_LANGUAGE_KEYS = ("language", "lang")
_TEXT_KEYS_HELP = "text, body, content, article_body, full_text"


def _json_records(text: str) -> list[tuple[int | None, Any]]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise _Bad(f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}") from None
    records = _unwrap(value)
    if not records:
        raise _Bad("no records in JSON file")
    if len(records) == 1:
        return [(None, records[0])]
    return list(enumerate(records, start=1))


def _unwrap(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if not isinstance(value, dict):
        raise _Bad(f"JSON top level is {_json_type(value)}, not an object or an array")
    if _find(_normalize_keys(value), _TEXT_KEYS) is None:
        for key in _WRAPPER_KEYS:
            if isinstance(value.get(key), list):
                return value[key]
        # API envelopes such as {"response": {"results": [...]}} (The Guardian).
        if isinstance(value.get("response"), dict):
            return _unwrap(value["response"])
    return [value]


def _jsonl_records(text: str) -> list[tuple[int | None, Any]]:
    # split("\n"), not splitlines(): U+2028 may appear unescaped inside JSON strings.
    lines = [(number, line) for number, line in enumerate(text.split("\n"), start=1) if line.strip()]
    several = len(lines) > 1
    records: list[tuple[int | None, Any]] = []
    for index, (number, line) in enumerate(lines, start=1):
        try:
            value: Any = json.loads(line)
        except json.JSONDecodeError as err:
            value = _JsonlError(f"line {number}: invalid JSON at column {err.colno}: {err.msg}")
        records.append((index if several else None, value))
    return records


@dataclass(frozen=True)
class _JsonlError:
    reason: str


def _records_to_articles(
    records: list[tuple[int | None, Any]], source_path: str
) -> tuple[list[Article], list[Reject]]:
    articles: list[Article] = []
    rejects: list[Reject] = []
    for number, value in records:
        result = _record_to_article(source_path, number, value)
        if isinstance(result, Reject):
            rejects.append(result)
        else:
            articles.append(result)
    return articles, rejects


def _record_to_article(source_path: str, number: int | None, value: Any) -> Article | Reject:
    subject = f"record {number}" if number is not None else "the record"
    if isinstance(value, _JsonlError):
        return Reject(source_path, number, value.reason)
    if not isinstance(value, dict):
        return Reject(source_path, number, f"{subject} is {_json_type(value)}, not a JSON object")
    fields = _record_fields(value)
    if fields is None:
        return Reject(source_path, number, f"{subject} has no text or body field (looked for {_TEXT_KEYS_HELP})")
    return _make_article(source_path, number, fields)


def _record_fields(record: dict[str, Any]) -> _Fields | None:
    keys = _normalize_keys(record)
    if isinstance(record.get("fields"), dict):  # The Guardian nests body/headline here
        for key, value in _normalize_keys(record["fields"]).items():
            keys.setdefault(key, value)
    text = _best_text(keys)
    if text is None:
        return None
    return _Fields(
        text=text,
        url=next(filter(None, (_clean_url(keys.get(k)) for k in _URL_KEYS)), None),
        outlet_name=_outlet_name(_find(keys, _OUTLET_KEYS)),
        title=_as_text(_find(keys, _TITLE_KEYS)),
        published=next(filter(None, (_parse_date(keys.get(k)) for k in _DATE_KEYS)), None),
        language=_language_code(_find(keys, _LANGUAGE_KEYS)),
    )


def _normalize_keys(record: dict[str, Any]) -> dict[str, Any]:
    """Field names vary by API (publishedAt, published_at, pub-date): compare them folded."""
    folded: dict[str, Any] = {}
    for key, value in record.items():
        folded.setdefault(str(key).lower().replace("_", "").replace("-", ""), value)
    return folded


def _find(keys: dict[str, Any], candidates: tuple[str, ...]) -> Any:
    return next((keys[k] for k in candidates if keys.get(k) not in (None, "", [], {})), None)


def _best_text(keys: dict[str, Any]) -> str | None:
    """The fullest text field: APIs often give a truncated `content` beside a full `body`."""
    best: tuple[int, str] | None = None
    for key in _TEXT_KEYS:
        value = keys.get(key)
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            value = "\n".join(value)  # some APIs give the body as a list of paragraphs
        if not isinstance(value, str) or not value.strip():
            continue
        text = _html_fragment_text(value) if _LOOKS_LIKE_HTML.search(value) else value
        words = count_words(text)
        if best is None or words > best[0]:
            best = (words, text)
    return best[1] if best else None


def _as_text(value: Any) -> str | None:
    if isinstance(value, dict):  # e.g. NYT API headline {"main": ..., "kicker": ...}
        value = value.get("main") or value.get("name") or value.get("text")
    return value if isinstance(value, str) and value.strip() else None


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


# --------------------------------------------------------------------------- HTML fragments

_LOOKS_LIKE_HTML = re.compile(
    r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|&(?:[A-Za-z]{2,8}|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});"
)
_BLOCK_TAGS = (
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "section", "article", "header", "footer", "figure", "figcaption", "table", "tr", "dd", "dt", "hr",
)  # fmt: skip
_ANY_TAG = re.compile(r"<[^<>]*>")


def _html_fragment_text(fragment: str) -> str:
    """Text of an HTML snippet with one line per block, so paragraphs survive."""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return html.unescape(_ANY_TAG.sub(" ", fragment))
    for element in root.xpath("//script|//style|//noscript|//template"):
        element.drop_tree()
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
        if element.tag != "br":
            element.text = "\n" + (element.text or "")
    return str(root.text_content())


def _clean_inline(value: str | None) -> str | None:
    if value is None:
        return None
    if _LOOKS_LIKE_HTML.search(value):
        value = _html_fragment_text(value)
    cleaned = normalize_text(value).body
    return cleaned or None


# --------------------------------------------------------------------------- URLs and outlets

# Links through these hosts say nothing about who published the story.
_REDIRECT_HOSTS = frozenset(
    {"news.google.com", "feedproxy.google.com", "t.co", "bit.ly", "ow.ly", "lnkd.in", "dlvr.it", "trib.al", "apple.news"}
)
_HOSTNAME = re.compile(r"^(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})/?$", re.IGNORECASE)


@functools.cache
def _public_suffix_list() -> PublicSuffixList:
    return PublicSuffixList()  # loading takes ~30 ms: once per process


def _clean_url(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not re.match(r"^https?://\S+$", url, re.IGNORECASE):
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return url if host else None


def _registered_domain(host: str) -> str:
    host = host.lower().rstrip(".")
    return _public_suffix_list().privatesuffix(host) or host


def _outlet_of_url(url: str | None) -> str | None:
    if url is None:
        return None
    host = urlsplit(url).hostname
    if not host or host.lower() in _REDIRECT_HOSTS:
        return None
    return _registered_domain(host)


def _outlet_name(value: Any) -> str | None:
    """Outlet from metadata: a domain becomes its registered domain, a name stays a name."""
    if isinstance(value, dict):
        for key in ("domain", "url"):
            domain = value.get(key)
            if isinstance(domain, str) and (found := _outlet_name(domain)):
                return found
        value = value.get("name") or value.get("title")
    if not isinstance(value, str) or not value.strip():
        return None
    value = " ".join(value.split())
    match = _HOSTNAME.match(value)
    if match:
        return _registered_domain(match.group(1))
    if _clean_url(value):
        return _outlet_of_url(value)
    return value


# --------------------------------------------------------------------------- dates

_ISO_PREFIX = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T\s])")
_SLASH_YMD = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:$|[T\s])")
_COMPACT_YMD = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:$|T)")
_DOTTED_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_WEEKDAY_PREFIX = re.compile(r"^[A-Za-z]+\.?,\s*")
_NAMED_MONTH_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y")
_URL_YMD = re.compile(r"/(\d{4})/(\d{1,2})/(\d{1,2})(?=/|$)")
_URL_ISO = re.compile(r"/(\d{4})-(\d{2})-(\d{2})(?=/|$|[-_.])")
_MIN_YEAR, _MAX_YEAR = 1900, 2100


def _parse_date(value: Any) -> datetime.date | None:
    """The calendar date as written (local to the source's own time zone), or None.

    Times are dropped rather than converted to UTC: a story published at 23:30 in
    Bogotá is dated by its outlet's day.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int) and 10_000_101 <= value <= 99_991_231:
        value = str(value)  # 20250131: a compact date, not seconds in August 1970
    elif isinstance(value, (int, float)):
        return _epoch_date(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    for pattern, order in ((_ISO_PREFIX, "ymd"), (_SLASH_YMD, "ymd"), (_COMPACT_YMD, "ymd"), (_DOTTED_DMY, "dmy")):
        match = pattern.match(text)
        if match:
            numbers = [int(group) for group in match.groups()]
            year, month, day = numbers if order == "ymd" else numbers[::-1]
            return _make_date(year, month, day)
    try:
        return _in_range(email.utils.parsedate_to_datetime(text).date())
    except (TypeError, ValueError, IndexError):
        pass
    for candidate in (text, _WEEKDAY_PREFIX.sub("", text)):
        for date_format in _NAMED_MONTH_FORMATS:
            try:
                return _in_range(datetime.datetime.strptime(candidate, date_format).date())
            except ValueError:
                continue
    return None


def _epoch_date(value: float) -> datetime.date | None:
    seconds = value / 1000 if value > 1e11 else value  # APIs give seconds or milliseconds
    try:
        return _in_range(datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC).date())
    except (OverflowError, OSError, ValueError):
        return None


def _make_date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return _in_range(datetime.date(year, month, day))
    except ValueError:
        return None


def _in_range(found: datetime.date | None) -> datetime.date | None:
    # Placeholder dates (0001-01-01, 9999-12-31) are not publication dates.
    return found if found is not None and _MIN_YEAR <= found.year <= _MAX_YEAR else None


def _date_from_url(url: str | None) -> datetime.date | None:
    if url is None:
        return None
    path = urlsplit(url).path
    for pattern in (_URL_YMD, _URL_ISO):
        for match in pattern.finditer(path):
            found = _make_date(*(int(group) for group in match.groups()))
            if found:
                return found
    return None


# --------------------------------------------------------------------------- language


def _language_code(value: Any) -> str | None:
    """ISO 639-1 from a metadata value: "en-US", "en_GB", "EN", "eng", "Spanish"."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    primary = re.split(r"[-_]", value)[0].lower()
    if len(primary) == 2:
        return primary if pycountry.languages.get(alpha_2=primary) is not None else None
    try:
        return getattr(pycountry.languages.lookup(primary), "alpha_2", None)
    except LookupError:
        return None


# py3langid loads its model on first use; threads arriving together would each load it
# (seconds and ~1 GB with 16 threads), so load it once, under a lock.
_LANGID_LOCK = threading.Lock()
_LANGID_TEXT = 1000  # the opening paragraphs decide an article's language as well as the whole (cost is per byte)


@functools.cache
def _language_identifier():
    with _LANGID_LOCK:
        from py3langid.langid import _get_identifier

        return _get_identifier()


# Function words of English that are not common words of the other languages news on this
# topic arrives in (es, pt, fr, it, de, nl: "of" and "had" are rare Dutch words at most). In
# English news they are 13-25 % of the words (1st-50th percentile over the test and benchmark
# texts), in the others under 5 %; a text above `_ENGLISH_SHARE` is English without asking
# py3langid, whose model takes 0.6 s to load in each process (most of a small run's ingest).
_ENGLISH_MARKERS = frozenset("the and of to was that for with said from were have has had this which would their "
                             "they been will".split())
_ENGLISH_SHARE = 0.12
_ENGLISH_MIN_WORDS = 40
_LETTERS = re.compile(r"[^\W\d_]+")


def clearly_english(text: str) -> bool:
    words = _LETTERS.findall(text.lower())
    return len(words) >= _ENGLISH_MIN_WORDS and sum(w in _ENGLISH_MARKERS for w in words) >= _ENGLISH_SHARE * len(words)


def _detect_language(body: str) -> str:
    head = body[:_LANGID_TEXT]
    if clearly_english(head):
        return "en"
    language, _score = _language_identifier().classify(head)
    return str(language)
