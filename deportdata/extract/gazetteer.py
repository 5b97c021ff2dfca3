"""Country mentions in text: ISO names from pycountry plus the reviewed alias file
(`deportdata/data/country_aliases.csv`: names, demonyms, capitals, leaders, agencies,
places). Rows of `deportdata/data/not_countries.csv` block phrases that contain a country
word but name no country ("Latin American", "New Mexico" is a US state, ...)."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pycountry

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# ISO short names that are as often a first name or a US state; the alias file gives safe forms.
_AMBIGUOUS_ISO_NAMES = {"Chad", "Jordan", "Georgia"}


@dataclass(frozen=True)
class CountryHit:
    start: int
    end: int
    iso3: str
    kind: str  # name, demonym, capital, leader, agency, place
    text: str
    location: str | None = None


@dataclass(frozen=True)
class _Entry:
    iso3: str  # "" blocks the phrase: it names no country
    kind: str
    location: str | None


def _trie_pattern(words: list[str]) -> str:
    """A regex equivalent to an alternation of words, factored by common prefixes so that
    matching costs a few branches per position instead of one per alias."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


def _read_rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


class Gazetteer:
    def __init__(self, entries: dict[str, _Entry]):
        self._entries = entries
        boundary_left, boundary_right = r"(?<![\w])", r"(?![\w])"
        self._pattern = re.compile(boundary_left + "(" + _trie_pattern(list(entries)) + ")" + boundary_right)

    def find(self, text: str) -> list[CountryHit]:
        hits = []
        for m in self._pattern.finditer(text):
            entry = self._entries[m.group(1)]
            if entry.iso3:
                hits.append(CountryHit(m.start(), m.end(), entry.iso3, entry.kind, m.group(1), entry.location))
        return hits


@cache
def default_gazetteer() -> Gazetteer:
    entries: dict[str, _Entry] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name"):
            name = getattr(country, attr, None)
            if name and "," not in name and name not in _AMBIGUOUS_ISO_NAMES:
                entries[name] = _Entry(country.alpha_3, "name", None)
    for row in _read_rows("not_countries.csv"):
        entries[row["phrase"]] = _Entry("", "blocked", None)
    for row in _read_rows("country_aliases.csv"):
        location = (row.get("location") or "").strip() or None
        entries[row["alias"]] = _Entry(row["iso3"].strip(), row["kind"].strip(), location)
    return Gazetteer(entries)
