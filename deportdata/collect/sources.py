"""The reviewed list of sources (`sources.toml`) and the keyword filter.

See docs/collecting.md for the file format.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from deportdata.collect.http import HttpPolicy, check_url

SourceKind = Literal["feed", "urls"]

DEFAULT_KEYWORDS: tuple[str, ...] = (
    # A keyword matches the start of a word: "deport" also matches deported, deportation(s),
    # deportee(s), and (accents ignored) the Spanish deportación, deportados.
    "deport",
    "removal flight",
    "repatriation",
    "repatriated",
    "repatriación",
    "repatriados",
    "third-country",
    "Guantánamo",
    "expulsion",
    "expulsados",
)


class SourcesError(ValueError):
    """The sources file is invalid; the message names the file and the entry."""


@dataclass(frozen=True)
class UrlEntry:
    url: str
    title: str | None = None


@dataclass(frozen=True)
class Source:
    """One place to collect from: an RSS/Atom feed or a plain list of article URLs.

    `keywords` empty means every item is taken. A keyword matches the start of a word in
    the item's title or summary, ignoring case, accents and punctuation ("deport" matches
    "deportees", "third-country" matches "third country", "Guantanamo" matches
    "Guantánamo").
    """

    name: str
    kind: SourceKind
    url: str | None = None
    """The feed's URL (feeds only)."""
    urls: tuple[UrlEntry, ...] = ()
    """Article URLs (URL lists only)."""
    keywords: tuple[str, ...] = ()
    enabled: bool = True
    max_items: int = 200
    """At most this many items per run from this source (after filtering)."""

    @classmethod
    def feed(cls, url: str, *, name: str | None = None, keywords: Iterable[str] = DEFAULT_KEYWORDS,
             max_items: int = 200) -> Source:
        return cls(name=name or url, kind="feed", url=url, keywords=tuple(keywords), max_items=max_items)

    @classmethod
    def url_list(cls, name: str, urls: Iterable[str | UrlEntry], *, keywords: Iterable[str] = (),
                 max_items: int = 200) -> Source:
        entries = tuple(u if isinstance(u, UrlEntry) else UrlEntry(u) for u in urls)
        return cls(name=name, kind="urls", urls=entries, keywords=tuple(keywords), max_items=max_items)


@dataclass(frozen=True)
class CollectConfig:
    sources: list[Source]
    policy: HttpPolicy = field(default_factory=HttpPolicy)
    default_keywords: tuple[str, ...] = DEFAULT_KEYWORDS


# --------------------------------------------------------------------------- keywords


def fold(text: str) -> str:
    """Lower-case, accents removed, every run of non-alphanumerics one space, padded."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " " + " ".join(re.sub(r"[\W_]+", " ", stripped).split()) + " "


class KeywordFilter:
    """Matches when any keyword starts a word of the texts (case, accents and punctuation
    ignored). No keywords: everything matches."""

    def __init__(self, keywords: Iterable[str]) -> None:
        self.keywords = tuple(keywords)
        self._folded = tuple(fold(k).rstrip() for k in self.keywords)

    def matched(self, *texts: str | None) -> list[str]:
        haystack = fold(" ".join(t for t in texts if t))
        return [k for k, f in zip(self.keywords, self._folded, strict=True) if f.strip() and f in haystack]

    def matches(self, *texts: str | None) -> bool:
        return not self.keywords or bool(self.matched(*texts))


def url_words(url: str) -> str:
    """The words of a URL's path ("/2025/01/us-deportation-flight" -> "2025 01 us deportation flight"),
    used as the title of a listed URL that has none."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    path = re.sub(r"\.(s?html?|php|aspx?)$", "", path, flags=re.IGNORECASE)
    return " ".join(re.split(r"[/\-_.+]+", path)).strip()


# --------------------------------------------------------------------------- the file

_TOP_KEYS = {"defaults", "http", "feed", "urls"}
_DEFAULT_KEYS = {"keywords", "max_items"}
_FEED_KEYS = {"name", "url", "keywords", "enabled", "max_items", "note"}
_URLS_KEYS = {"name", "urls", "file", "keywords", "enabled", "max_items", "note"}
_HTTP_KEYS = {f.name for f in fields(HttpPolicy)}


def load_config(path: Path | None, extra_feeds: Sequence[str] = ()) -> CollectConfig:
    """Read the sources file (None: no configured sources) and add `extra_feeds`, which get
    the file's default keywords. Raises SourcesError for an invalid file."""
    data: dict[str, Any] = {}
    where = str(path) if path is not None else "(no sources file)"
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SourcesError(f"{where}: sources file not found") from None
        except (OSError, UnicodeDecodeError) as err:
            raise SourcesError(f"{where}: cannot read: {err}") from None
        except tomllib.TOMLDecodeError as err:
            raise SourcesError(f"{where}: invalid TOML: {err}") from None
    _no_unknown(data, _TOP_KEYS, where)

    defaults = _table(data.get("defaults", {}), f"{where} [defaults]")
    _no_unknown(defaults, _DEFAULT_KEYS, f"{where} [defaults]")
    default_keywords = _keywords(defaults.get("keywords", list(DEFAULT_KEYWORDS)), f"{where} [defaults]")
    default_max = _positive_int(defaults.get("max_items", 200), f"{where} [defaults] max_items")

    http = _table(data.get("http", {}), f"{where} [http]")
    _no_unknown(http, _HTTP_KEYS, f"{where} [http]")
    try:
        policy = HttpPolicy(**http)
    except (TypeError, ValueError) as err:
        raise SourcesError(f"{where} [http]: {err}") from None

    sources: list[Source] = []
    for index, entry in enumerate(_array(data.get("feed", []), f"{where} [[feed]]"), start=1):
        label = f"{where} [[feed]] #{index}"
        entry = _table(entry, label)
        _no_unknown(entry, _FEED_KEYS, label)
        url = _url(entry.get("url"), f"{label} url")
        sources.append(
            Source(
                name=_name(entry.get("name"), url, label),
                kind="feed",
                url=url,
                keywords=_keywords(entry.get("keywords", list(default_keywords)), label),
                enabled=_bool(entry.get("enabled", True), f"{label} enabled"),
                max_items=_positive_int(entry.get("max_items", default_max), f"{label} max_items"),
            )
        )
    base = path.parent if path is not None else Path.cwd()
    for index, entry in enumerate(_array(data.get("urls", []), f"{where} [[urls]]"), start=1):
        label = f"{where} [[urls]] #{index}"
        entry = _table(entry, label)
        _no_unknown(entry, _URLS_KEYS, label)
        if "name" not in entry:
            raise SourcesError(f"{label}: a URL list needs a name")
        entries = [_url_entry(item, f"{label} urls[{n}]") for n, item in enumerate(_array(entry.get("urls", []),
                                                                                            f"{label} urls"))]
        if "file" in entry:
            if not isinstance(entry["file"], str):
                raise SourcesError(f"{label} file: must be a path (a string)")
            entries.extend(read_url_file(base / entry["file"], f"{label} file"))
        sources.append(
            Source(
                name=_name(entry.get("name"), None, label),
                kind="urls",
                urls=tuple(entries),
                keywords=_keywords(entry.get("keywords", list(default_keywords)), label),
                enabled=_bool(entry.get("enabled", True), f"{label} enabled"),
                max_items=_positive_int(entry.get("max_items", default_max), f"{label} max_items"),
            )
        )
    for url in extra_feeds:
        sources.append(Source.feed(_url(url, "--feed"), keywords=default_keywords, max_items=default_max))
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SourcesError(f"{where}: source names must be unique; repeated: {', '.join(duplicates)}")
    return CollectConfig(sources=sources, policy=policy, default_keywords=default_keywords)


def load_sources(path: Path | None, extra_feeds: Sequence[str] = ()) -> list[Source]:
    """The sources of `load_config` (ignoring its [http] settings)."""
    return load_config(path, extra_feeds).sources


def read_url_file(path: Path, label: str = "") -> list[UrlEntry]:
    """A plain URL list: one URL per line, optionally followed by whitespace and a title;
    blank lines and lines starting with # are ignored."""
    label = label or str(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as err:
        raise SourcesError(f"{label}: cannot read {path}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise SourcesError(f"{label}: {path} is not UTF-8 text") from None
    entries: list[UrlEntry] = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        url, _, title = line.partition(" ") if "\t" not in line else line.partition("\t")
        entries.append(UrlEntry(_url(url.strip(), f"{path}:{number}"), title.strip() or None))
    return entries


def _no_unknown(table: dict[str, Any], allowed: set[str], label: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SourcesError(f"{label}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")


def _table(value: Any, label: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SourcesError(f"{label}: must be a table")
    return value


def _array(value: Any, label: str) -> list[Any]:
    if not isinstance(value, list):
        raise SourcesError(f"{label}: must be an array")
    return value


def _url(value: Any, label: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SourcesError(f"{label}: a URL (string) is required")
    problem = check_url(value.strip())
    if problem:
        raise SourcesError(f"{label}: {problem}: {value}")
    return value.strip()


def _url_entry(value: Any, label: str) -> UrlEntry:
    if isinstance(value, dict):
        _no_unknown(value, {"url", "title"}, label)
        title = value.get("title")
        if title is not None and not isinstance(title, str):
            raise SourcesError(f"{label} title: must be a string")
        return UrlEntry(_url(value.get("url"), label), title)
    return UrlEntry(_url(value, label))


def _name(value: Any, fallback: str | None, label: str) -> str:
    if value is None and fallback:
        return fallback
    if not isinstance(value, str) or not value.strip():
        raise SourcesError(f"{label} name: must be a non-empty string")
    return value.strip()


def _keywords(value: Any, label: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(k, str) and k.strip() for k in value):
        raise SourcesError(f"{label} keywords: must be an array of non-empty strings")
    return tuple(k.strip() for k in value)


def _bool(value: Any, label: str) -> bool:
    if not isinstance(value, bool):
        raise SourcesError(f"{label}: must be true or false")
    return value


def _positive_int(value: Any, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SourcesError(f"{label}: must be a positive integer")
    return value
