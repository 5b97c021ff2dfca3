"""The dataset card: a README.md in every release folder, for the people who read the data.

It says what is in the release (tables, counts by event type and by country, date coverage),
how it was produced, its known limitations, its licence and how to cite it, and the quality
figures measured on the seed gold set when they are given. The output is a pure function of its
inputs: no clock is read (the only time shown is the descriptor's `created`), and every list is
sorted, so the same release always gets the same card.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from deportdata import columns
from schemas.derive import as_date
from schemas.tables import DATE_PRECISIONS, EVENT_TYPES, TABLES

CARD_NAME = "README.md"
TABLE_ORDER = tuple(TABLES)
QUALITY_LABELS = {
    "mention_f1": "Mention F1 (a gold record found with its type, countries and status)",
    "field_accuracy": "Field accuracy (share of a matched record's columns that are right)",
    "dedup_f1": "Deduplication F1 (mentions of the same event grouped together)",
}
EVENT_TYPE_NOTES = {
    "removal_flight": "deportation flights, by day, destination, carrier and outcome",
    "diplomatic_response": "a government's position or act toward deportations from another country",
    "agreement": "arrangements to receive deportees, including third-country deals",
    "coercive_measure": "tariffs, visa sanctions, travel bans, financial sanctions used as leverage",
    "detention": "places where people are held because of a removal",
    "military_deployment": "troops or military aircraft assigned to the border or to removals",
    "executive_action": "executive orders, proclamations, emergency declarations, court blocks",
}


# --- small helpers ------------------------------------------------------------------------

def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]], align: str | None = None) -> list[str]:
    head = list(header)
    marks = align or "l" * len(head)
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if m == "r" else "---" for m in marks) + "|"]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out


def _country_name(code: str) -> str:
    try:
        import pycountry
    except ImportError:  # pragma: no cover - pycountry is a project dependency
        return ""
    country = pycountry.countries.get(alpha_3=code)
    return "" if country is None else getattr(country, "common_name", None) or country.name


def _dates(values: Iterable[object]) -> list[dt.date]:
    return [d for d in map(as_date, values) if d is not None]


def _present(values: Iterable[object]) -> list[str]:
    """The non-null values (as `_column` gives them) as text."""
    return [str(v) for v in values if v is not None]


def _range(dates: list[dt.date]) -> str:
    return f"{min(dates).isoformat()} to {max(dates).isoformat()}" if dates else "none known"


def _column(df: pd.DataFrame | None, name: str) -> list[object]:
    """The column's values, None for nulls."""
    return [] if df is None or name not in df.columns else columns.values(df[name])


def _rows(df: pd.DataFrame | None) -> int:
    return 0 if df is None else len(df)


def _number(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        return f"{value:.3f}"
    return str(value)


# --- sections -----------------------------------------------------------------------------

def _header(descriptor: Mapping) -> list[str]:
    return [
        f"# {descriptor.get('title', descriptor.get('name', 'Dataset'))}: release {descriptor.get('version')}",
        "",
        f"Data package `{descriptor.get('name')}`, version **{descriptor.get('version')}**, "
        f"created {descriptor.get('created')}.",
        "",
        str(descriptor.get("description", "")).strip(),
        "",
    ]


def _contents(tables: Mapping[str, pd.DataFrame], descriptor: Mapping) -> list[str]:
    resources = {}
    for r in descriptor.get("resources", []):
        resources.setdefault(r["name"].removesuffix("-parquet"), []).append(r)
    names = [n for n in TABLE_ORDER if n in resources or n in tables]
    names += sorted(n for n in set(resources) | set(tables) if n not in names)
    rows = []
    for name in names:
        files = ", ".join(f"`{r['path']}`" for r in resources.get(name, []))
        description = next((r.get("description", "") for r in resources.get(name, [])), "")
        rows.append([f"`{name}`", f"{_rows(tables.get(name)):,}", description, files])
    return [
        "## What is in this release", "",
        *_table(["table", "rows", "one row is", "files"], rows, "lrll"), "",
        "Each table comes twice with the same rows: as CSV (UTF-8, header row, an empty field is a missing "
        "value) and as Parquet (typed: dates are dates, counts are 64-bit integers with nulls, no index "
        "column). `datapackage.json` (a Frictionless Data Package) describes every column and gives each "
        "file's sha256; `CHANGELOG.md` lists what changed since the previous release. Join `mentions` to "
        "`events` on `event_id` and to `articles` on `article_id`.", "",
    ]


def _by_type(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    events = Counter(_present(_column(tables.get("events"), "event_type")))
    mentions = Counter(_present(_column(tables.get("mentions"), "event_type")))
    types = list(EVENT_TYPES) + sorted((set(events) | set(mentions)) - set(EVENT_TYPES))
    rows = [[f"`{t}`", EVENT_TYPE_NOTES.get(t, ""), f"{events[t]:,}", f"{mentions[t]:,}"] for t in types]
    rows.append(["**total**", "", f"**{sum(events.values()):,}**", f"**{sum(mentions.values()):,}**"])
    return ["## Events by type", "", *_table(["event_type", "what it is", "events", "mentions"], rows, "llrr"), ""]


def _by_country(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    events = tables.get("events")
    actors = _column(events, "actor_country")
    partners = _column(events, "partner_country")
    as_actor = Counter(_present(actors))
    as_partner = Counter(_present(partners))
    involved: Counter[str] = Counter()
    no_country = 0
    for a, p in zip(actors, partners):
        codes = {c for c in (a, p) if c is not None}
        involved.update(codes)
        no_country += not codes
    order = sorted(involved, key=lambda c: (-involved[c], c))
    rows = [[f"`{c}`", _country_name(c), f"{as_actor[c]:,}", f"{as_partner[c]:,}", f"{involved[c]:,}"] for c in order]
    lines = ["## Events by country", "",
             "Countries are ISO 3166-1 alpha-3 codes. `actor_country` is the country that acts (deports, responds, "
             "imposes, holds, deploys, signs); `partner_country` the other one (destination, target, other party). "
             "The last column counts the events a country takes part in either way.", ""]
    if rows:
        lines += _table(["country", "name", "as actor", "as partner", "events"], rows, "llrrr")
    else:
        lines.append("No event names a country.")
    if no_country:
        lines += ["", f"{no_country:,} event(s) name no country."]
    return lines + [""]


def _coverage(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    events, articles = tables.get("events"), tables.get("articles")
    event_dates = _dates(_column(events, "event_date"))
    precision = Counter(_present(_column(events, "date_precision")))
    precisions = list(DATE_PRECISIONS) + sorted(set(precision) - set(DATE_PRECISIONS))
    published = _dates(_column(articles, "published_date"))
    reported = _dates(_column(events, "first_reported"))
    return [
        "## Date coverage", "",
        f"- Events happened from {_range(event_dates)} ({len(event_dates):,} of {_rows(events):,} events have a "
        f"date; by precision: " + ", ".join(f"{p} {precision[p]:,}" for p in precisions) + ").",
        f"- Articles were published from {_range(published)} ({len(published):,} of {_rows(articles):,} articles "
        f"have a publication date).",
        f"- Events were first reported from {_range(reported)}.",
        "- A date known only to the week, month or year is the first day of that period (Monday for a week); "
        "check `date_precision` before comparing days.", "",
    ]


def _production(tables: Mapping[str, pd.DataFrame], descriptor: Mapping) -> list[str]:
    articles = tables.get("articles")
    outlets = sorted({s.get("title", "") for s in descriptor.get("sources", []) if s.get("title")})
    near_copies = len(_present(_column(articles, "duplicate_of")))
    extractors = sorted(set(_present(_column(tables.get("mentions"), "extractor"))) - {descriptor.get("extractor")})
    rejects = tables.get("rejects")
    stages = Counter(_present(_column(rejects, "stage")))
    return [
        "## How it was produced", "",
        f"- Sources: {_rows(articles):,} distinct news articles from {len(outlets):,} outlet(s)"
        + (f" ({', '.join(outlets)})" if outlets else "") + f"; {near_copies:,} marked as near-copies of an earlier "
        "article (syndicated wire copy), counted once. Articles are identified by the hash of their normalized text; "
        "the article text itself is not redistributed.",
        f"- Extraction: `{descriptor.get('extractor', 'unknown')}`, a rule-based extractor, reads each article "
        "sentence by sentence and codes every fact it asserts as a mention, following the project's codebook, with "
        "its evidence sentence and character offsets." + (f" Some mentions name another extractor: {', '.join(f'`{e}`' for e in extractors[:5])}"
                                                        + (" and others." if len(extractors) > 5 else ".") if extractors else ""),
        "- Deduplication: mentions of the same type, countries, compatible dates and non-contradicting counts are "
        "grouped into one event, which takes the best-supported value of each column; event ids stay the same "
        "across releases while an event keeps any of its mentions.",
        f"- Validation: every row is checked against the declared schema; rows and files that fail are set aside in "
        f"`rejects` with the reason ({_rows(rejects):,} in this release"
        + (": " + ", ".join(f"{n:,} at {s}" for s, n in sorted(stages.items())) if stages else "") + ").", "",
    ]


def _quality(quality: Mapping[str, object]) -> list[str]:
    keys = [k for k in QUALITY_LABELS if k in quality] + sorted(k for k in quality if k not in QUALITY_LABELS)
    rows = [[f"`{k}`", QUALITY_LABELS.get(k, ""), _number(quality[k])] for k in keys]
    return [
        "## Quality measured on the seed gold set", "",
        "Scored against the hand-coded records of the seed articles (`eval/gold/seeds.jsonl`) with the project's "
        "scorer. The seed set is small: read these as a check that the pipeline works, not as the accuracy to "
        "expect on every outlet or language.", "",
        *_table(["measure", "what it measures", "value"], rows, "llr"), "",
    ]


def _limitations(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    events = tables.get("events")
    disagreements = sum(v.lower() == "true" for v in _present(_column(events, "count_disagreement")))
    undated = _rows(events) - len(_dates(_column(events, "event_date")))
    languages = sorted(set(_present(_column(tables.get("articles"), "language"))))
    return [
        "## Known limitations", "",
        "- Coverage is what the collected articles report: the counts are of reported events, not of all "
        "deportations, and follow the outlets' attention"
        + (f"; articles are in {', '.join(f'`{lang}`' for lang in languages)} only." if languages else "."),
        "- Records are coded automatically by rules: some facts are missed and some are coded wrongly. Every "
        "record in `mentions` carries its evidence sentence; check it before relying on a record.",
        "- Each mention is one article's account; when outlets disagree the event keeps the best-supported value "
        f"and the others stay visible in `mentions` ({disagreements:,} event(s) with contradicting counts, "
        "`count_disagreement`).",
        f"- {undated:,} event(s) have no known date. Relative dates (\"on Sunday\") are resolved against the "
        "publication date and can be off when an article was updated later.",
        "- `people_count` is often approximate (see `people_qualifier`); crew and escorts are never counted.",
        "- Ids are stable, values are not: a later release can correct an event's columns or merge it into "
        "another (see `changes`).", "",
    ]


def _licence(descriptor: Mapping) -> list[str]:
    licences = descriptor.get("licenses") or []
    lines = ["## Licence", ""]
    if licences:
        for lic in licences:
            title = lic.get("title") or lic.get("name")
            link = f" ({lic['path']})" if lic.get("path") else ""
            lines.append(f"- `{lic.get('name', title)}`: {title}{link}.")
    else:
        lines.append("- No licence is declared in `datapackage.json`.")
    lines += ["", "The licence covers the tables. Evidence sentences are short quotations from the articles "
              "named in `articles` (outlet, URL), reproduced so each record can be checked; the articles "
              "themselves remain their publishers' and are not redistributed.", ""]
    return lines


def _citation(descriptor: Mapping) -> list[str]:
    authors = [c.get("title", "") for c in descriptor.get("contributors", []) if c.get("title")] or ["deportdata contributors"]
    author = "; ".join(authors)
    year = str(descriptor.get("created", ""))[:4] or "n.d."
    version = descriptor.get("version")
    title = descriptor.get("title", descriptor.get("name"))
    homepage = descriptor.get("homepage", "")
    key = f"{descriptor.get('name', 'dataset')}_{version}".replace("-", "_").replace(".", "_")
    return [
        "## How to cite", "",
        f"> {author} ({year}). *{title}* (`{descriptor.get('name')}`), version {version} [data set]."
        + (f" {homepage}" if homepage else ""), "",
        "```bibtex",
        f"@misc{{{key},",
        f"  author       = {{{{{' and '.join(authors)}}}}},",
        f"  title        = {{{title}}},",
        f"  year         = {{{year}}},",
        f"  version      = {{{version}}},",
        *([f"  howpublished = {{\\url{{{homepage}}}}},"] if homepage else []),
        f"  note         = {{Data package {descriptor.get('name')}, release {version}, created {descriptor.get('created')}}}",
        "}",
        "```", "",
        "Please cite the version you used: releases are never overwritten, so the same version always "
        "gives the same files.", "",
    ]


def _files(folder: Path, descriptor: Mapping) -> list[str]:
    rows = []
    for r in descriptor.get("resources", []):
        path = folder / r["path"]
        size = r.get("bytes") if r.get("bytes") is not None else (path.stat().st_size if path.is_file() else "")
        rows.append([f"`{r['path']}`", f"{size:,}" if isinstance(size, int) else size,
                     f"`{str(r.get('hash', '')).removeprefix('sha256:')}`"])
    return [
        "## Files and checksums", "",
        "`deportdata download` checks every file against these sizes and sha256 hashes "
        "(`sha256sum FILE` shows a file's).", "",
        *_table(["file", "bytes", "sha256"], rows, "lrl"), "",
    ]


# --- the card -----------------------------------------------------------------------------

def datacard_markdown(folder: Path, tables: Mapping[str, pd.DataFrame], descriptor: Mapping,
                      quality: Mapping[str, object] | None) -> str:
    lines = [*_header(descriptor), *_contents(tables, descriptor), *_by_type(tables), *_by_country(tables),
             *_coverage(tables), *_production(tables, descriptor)]
    if quality is not None:
        lines += _quality(quality)
    lines += [*_limitations(tables), *_licence(descriptor), *_citation(descriptor), *_files(folder, descriptor)]
    text = "\n".join(line for i, line in enumerate(lines) if line != "" or i == 0 or lines[i - 1] != "")
    return text.rstrip("\n") + "\n"


def write_datacard(folder: Path, tables: dict[str, pd.DataFrame], descriptor: dict,
                   quality: dict | None) -> Path:
    """Write the release folder's README.md (the dataset card) and return its path."""
    path = folder / CARD_NAME
    path.write_text(datacard_markdown(folder, tables, descriptor, quality), encoding="utf-8", newline="\n")
    return path
