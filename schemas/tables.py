"""The dataset's tables, declared once, as ../shared/CODEBOOK.md defines them.

Column names and vocabulary values are the codebook's and are fixed: renaming or removing
one is a major version change. Adding a column is a minor one.
"""
from __future__ import annotations

import pandas as pd

from schemas.fields import Field, ForeignKey, RowRule, Table

STATUSES: dict[str, tuple[str, ...]] = {
    "removal_flight": ("planned", "departed", "landed", "refused", "diverted", "cancelled", "unknown"),
    "diplomatic_response": ("refusal", "protest", "acceptance", "reversal", "conditions"),
    "agreement": ("proposed", "negotiating", "signed", "in_force", "suspended", "abandoned"),
    "coercive_measure": ("threatened", "imposed", "lifted"),
    "detention": ("announced", "operating", "closed"),
    "military_deployment": ("planned", "deployed"),
    "executive_action": ("signed", "announced", "blocked"),
}
EVENT_TYPES = tuple(STATUSES)
ALL_STATUSES = tuple(dict.fromkeys(s for values in STATUSES.values() for s in values))
DATE_PRECISIONS = ("day", "week", "month", "year", "unknown")
CARRIERS = ("military", "charter", "commercial", "government")
PEOPLE_QUALIFIERS = ("exact", "at_least", "approx", "at_most")
QUANTITY_UNITS = ("beds", "percent", "orders", "usd", "aircraft")
MEASURES = ("tariff", "visa_sanction", "travel_ban", "financial_sanction", "other")
CHANGE_KINDS = ("added", "updated", "merged", "removed")
REJECT_STAGES = ("ingest", "validate")

ISO3 = r"^[A-Z]{3}$"


def _hex_id(prefix: str) -> str:
    return rf"^{prefix}_[0-9a-f]{{16}}$"


# The event columns, from event_type to measure, shared by `mentions` and `events`.
EVENT_FIELDS: tuple[Field, ...] = (
    Field("event_type", "string", "Kind of event; see the codebook's event types.", required=True, enum=EVENT_TYPES),
    Field("status", "string", "Status within the event type's own vocabulary.", required=True, enum=ALL_STATUSES),
    Field("event_date", "date", "Day the event happened (not the day it was reported); relative dates resolved "
          "against the article's published date; first day of the week/month/year at coarser precision."),
    Field("date_precision", "string", "Precision of event_date.", required=True, enum=DATE_PRECISIONS),
    Field("actor_country", "string", "ISO 3166-1 alpha-3 of the acting country (deporting, responding, imposing, "
          "holding, deploying or signing).", pattern=ISO3),
    Field("partner_country", "string", "ISO 3166-1 alpha-3 of the other country (destination, target, other party, "
          "host of a facility abroad).", pattern=ISO3),
    Field("location", "string", "Place named more finely than a country."),
    Field("carrier", "string", "Who flew the aircraft.", enum=CARRIERS),
    Field("aircraft_type", "string", "Aircraft types as written, normalized, ';'-separated (C-17;C-130)."),
    Field("flight_count", "integer", "Number of flights or planes in this record.", minimum=0),
    Field("people_count", "integer", "People concerned: deportees on board (total over the record's flights), "
          "detainees, troops deployed.", minimum=0),
    Field("people_qualifier", "string", "How exact people_count is; null when people_count is null.",
          enum=PEOPLE_QUALIFIERS),
    Field("quantity", "number", "Any other figure the record is about: beds, tariff rate in percent, orders.",
          minimum=0),
    Field("quantity_unit", "string", "Unit of quantity.", enum=QUANTITY_UNITS),
    Field("measure", "string", "Kind of coercive measure; null for every other event type.", enum=MEASURES),
)


_TYPE_STATUS_PAIRS = [(event_type, status) for event_type, statuses in STATUSES.items() for status in statuses]


def _status_fits_type(df: pd.DataFrame) -> pd.Series:
    """False for a null type or status (a row failure), never an error for the whole table."""
    pairs = pd.MultiIndex.from_arrays([df["event_type"], df["status"]])
    return pd.Series(pairs.isin(_TYPE_STATUS_PAIRS), index=df.index)


def _measure_only_for_coercion(df: pd.DataFrame) -> pd.Series:
    return df["measure"].isna() | (df["event_type"] == "coercive_measure")


def _qualifier_with_count(df: pd.DataFrame) -> pd.Series:
    return df["people_qualifier"].isna() | df["people_count"].notna()


def _unit_with_quantity(df: pd.DataFrame) -> pd.Series:
    return df["quantity"].isna() == df["quantity_unit"].isna()


EVENT_RULES: tuple[RowRule, ...] = (
    RowRule("status_fits_event_type", "status is one of the event type's status values", _status_fits_type),
    RowRule("measure_only_for_coercive_measure", "measure is null unless event_type is coercive_measure",
            _measure_only_for_coercion),
    RowRule("people_qualifier_needs_count", "people_qualifier is null when people_count is null",
            _qualifier_with_count),
    RowRule("quantity_unit_with_quantity", "quantity and quantity_unit are both null or both set", _unit_with_quantity),
)


def _span_is_ordered(df: pd.DataFrame) -> pd.Series:
    return (df["char_start"] >= 0) & (df["char_end"] > df["char_start"])


ARTICLES = Table(
    name="articles",
    title="Articles",
    description="One row per distinct raw article.",
    primary_key="article_id",
    fields=(
        Field("article_id", "string", "'a_' + first 16 hex chars of sha256 of the normalized body text "
              "(Unicode NFC, whitespace collapsed).", required=True, pattern=_hex_id("a")),
        Field("source_path", "string", "Path of the raw file under raw/ (posix, relative).", required=True),
        Field("source_record", "integer", "1-based record number inside a JSON/JSON Lines export holding several "
              "articles; null for single-article files.", minimum=1),
        Field("url", "string", "Canonical URL if known."),
        Field("outlet", "string", "Registered domain of the URL, else the outlet name if given."),
        Field("title", "string", "Headline."),
        Field("published_date", "date", "From metadata, else from a date in the URL path, else null."),
        Field("language", "string", "ISO 639-1 language code, detected if not given.", required=True,
              pattern=r"^[a-z]{2}$"),
        Field("n_words", "integer", "Words in the body.", required=True, minimum=0),
        Field("duplicate_of", "string", "article_id of the earlier article this one is a near-copy of; null if "
              "original.", pattern=_hex_id("a")),
    ),
)

MENTIONS = Table(
    name="mentions",
    title="Mentions",
    description="One row per record extracted from one article, with its evidence.",
    primary_key="mention_id",
    foreign_keys=(ForeignKey("article_id", "articles", "article_id"), ForeignKey("event_id", "events", "event_id")),
    fields=(
        Field("mention_id", "string", "'m_' + 16 hex; stable for the same article, type and evidence span.",
              required=True, pattern=_hex_id("m")),
        Field("article_id", "string", "Article the evidence comes from.", required=True, pattern=_hex_id("a")),
        Field("event_id", "string", "Event this mention was grouped into.", required=True, pattern=_hex_id("e")),
        Field("sentence", "string", "The evidence text, verbatim from the normalized article body.", required=True),
        Field("char_start", "integer", "Offset of the evidence in the normalized body text.", required=True,
              minimum=0),
        Field("char_end", "integer", "End offset (exclusive): body[char_start:char_end] == sentence.", required=True,
              minimum=1),
        Field("extractor", "string", "Rule or model that produced the mention, with its version.", required=True),
        Field("confidence", "number", "How likely the mention is right, in [0, 1].", required=True, minimum=0,
              maximum=1),
        *EVENT_FIELDS,
    ),
    row_rules=(*EVENT_RULES, RowRule("span_is_ordered", "0 <= char_start < char_end", _span_is_ordered)),
)

EVENTS = Table(
    name="events",
    title="Events",
    description="One row per real-world event, deduplicated across articles and outlets.",
    primary_key="event_id",
    fields=(
        Field("event_id", "string", "'e_' + 16 hex; kept across releases while the event keeps any of its mentions.",
              required=True, pattern=_hex_id("e")),
        *EVENT_FIELDS,
        Field("summary", "string", "One readable line describing the event.", required=True),
        Field("n_articles", "integer", "Distinct articles with a mention of the event (near-copies counted once).",
              required=True, minimum=1),
        Field("n_outlets", "integer", "Distinct outlets among them.", required=True, minimum=0),
        Field("first_reported", "date", "Earliest published_date among them."),
        Field("confidence", "number", "In [0, 1]; grows with agreeing independent sources.", required=True,
              minimum=0, maximum=1),
        Field("count_disagreement", "boolean", "True when the event's mentions give contradicting counts.",
              required=True),
        Field("first_seen", "string", "Release version in which the event first appeared.", required=True),
    ),
    row_rules=EVENT_RULES,
)

CHANGES = Table(
    name="changes",
    title="Changes",
    description="How each event changed since the previous release.",
    primary_key="event_id",
    fields=(
        Field("event_id", "string", "Event concerned.", required=True, pattern=_hex_id("e")),
        Field("change", "string", "What happened to it.", required=True, enum=CHANGE_KINDS),
        Field("merged_into", "string", "For a merged event, the event that absorbed it.", pattern=_hex_id("e")),
        Field("changed_columns", "string", "For an updated event, the columns whose value changed, ';'-separated."),
    ),
)

REJECTS = Table(
    name="rejects",
    title="Rejects",
    description="Input files and rows set aside, with the reason; none of them reach the other tables.",
    primary_key="reject_id",
    fields=(
        Field("reject_id", "string", "'r_' + 16 hex of the other columns.", required=True, pattern=_hex_id("r")),
        Field("stage", "string", "Pipeline stage that set the input aside.", required=True, enum=REJECT_STAGES),
        Field("source_path", "string", "Raw file concerned (posix, relative to raw/)."),
        Field("source_record", "integer", "Record number inside the raw file, when it holds several.", minimum=1),
        Field("table", "string", "Table whose row failed validation."),
        Field("row_id", "string", "Primary key of the failed row."),
        Field("reason", "string", "What is wrong, in words.", required=True),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in (ARTICLES, MENTIONS, EVENTS, CHANGES, REJECTS)}
# Record tables: a release is new when one of these changes.
RECORD_TABLES = ("articles", "mentions", "events")
