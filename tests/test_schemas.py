"""One declaration per table (schemas.tables), four derived outputs that must agree: the Pandera
schema, the pyarrow schema, the Frictionless table schema and the data dictionary page; and
all of them agree with the codebook's fixed column names and vocabularies."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import frictionless
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from deportdata.validate import validate_table
from schemas import dictionary
from schemas.derive import (ARROW_TYPES, arrow_schema, arrow_table, coerce_frame, empty_frame, frame,
                            frictionless_schema, pandera_schema)
from schemas.fields import Field, Table
from schemas.tables import EVENT_TYPES, EVENTS, STATUSES, TABLES

REPO = Path(__file__).resolve().parents[1]
DICTIONARY = REPO / "docs" / "data-dictionary.md"
CODEBOOK = REPO.parent / "shared" / "CODEBOOK.md"

PANDERA_DTYPES = {"string": pd.StringDtype(), "integer": pd.Int64Dtype(), "number": pd.Float64Dtype(),
                  "boolean": pd.BooleanDtype()}
TABLE_NAMES = list(TABLES)


# --------------------------------------------------------------------------- parsing the page


@dataclasses.dataclass
class PageColumn:
    name: str
    type: str
    required: bool
    constraints: list[str]


def parse_dictionary(text: str) -> tuple[dict[str, list[PageColumn]], dict[str, list[str]], dict[str, list[str]]]:
    """(columns per table, row rule names per table, statuses per event type) from the page."""
    columns: dict[str, list[PageColumn]] = {}
    rules: dict[str, list[str]] = {}
    statuses: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if m := re.match(r"^## `(\w+)`: ", line):
            current = m[1]
            columns[current], rules[current] = [], []
        elif line.startswith("## "):
            current = None
        elif current and line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            name, type_, required, constraints = cells[0].strip("`"), cells[1], cells[2], cells[3]
            columns[current].append(PageColumn(name, type_, required == "yes",
                                               [c for c in constraints.split("; ") if c]))
        elif current and (m := re.match(r"^- `(\w+)`: ", line)):
            rules[current].append(m[1])
        elif current is None and (m := re.match(r"^\| `(\w+)` \| (.*) \|$", line)):
            statuses[m[1]] = re.findall(r"`(\w+)`", m[2])
    return columns, rules, statuses


@pytest.fixture(scope="module")
def page():
    return parse_dictionary(dictionary.render())


def pandera_checks(column) -> dict[str, dict]:
    return {check.name: check.statistics for check in column.checks}


# --------------------------------------------------------------------------- four outputs agree


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_same_columns_in_same_order_everywhere(name, page):
    table = TABLES[name]
    assert len(set(table.column_names)) == len(table.column_names)
    assert list(pandera_schema(table).columns) == table.column_names
    assert arrow_schema(table).names == table.column_names
    assert [f["name"] for f in frictionless_schema(table)["fields"]] == table.column_names
    assert [c.name for c in page[0][name]] == table.column_names


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_types_agree(name, page):
    table = TABLES[name]
    pandera = pandera_schema(table).columns
    arrow = arrow_schema(table)
    fl = {f["name"]: f for f in frictionless_schema(table)["fields"]}
    documented = {c.name: c for c in page[0][name]}
    for f in table.fields:
        if f.type == "date":
            assert str(pandera[f.name].dtype) == "date"
        else:
            dtype = pandera[f.name].dtype.type
            if f.type == "string":  # Pandera's "string" may be pandas' str (NaN) or string (NA) flavour
                assert isinstance(dtype, pd.StringDtype), (name, f.name, dtype)
            else:
                assert dtype == PANDERA_DTYPES[f.type], (name, f.name, dtype)
        assert arrow.field(f.name).type == ARROW_TYPES[f.type]
        assert fl[f.name]["type"] == f.type
        assert documented[f.name].type == f.type
    assert {ARROW_TYPES[t] for t in ("string", "date", "integer", "number", "boolean")} == {
        pa.string(), pa.date32(), pa.int64(), pa.float64(), pa.bool_()}


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_nullability_agrees_with_required(name, page):
    table = TABLES[name]
    pandera = pandera_schema(table).columns
    arrow = arrow_schema(table)
    fl = {f["name"]: f.get("constraints", {}) for f in frictionless_schema(table)["fields"]}
    documented = {c.name: c for c in page[0][name]}
    assert table.field(table.primary_key).required
    for f in table.fields:
        assert pandera[f.name].nullable is (not f.required), (name, f.name)
        assert arrow.field(f.name).nullable is (not f.required), (name, f.name)
        assert fl[f.name].get("required", False) is f.required, (name, f.name)
        assert documented[f.name].required is f.required, (name, f.name)


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_constraints_agree(name, page):
    table = TABLES[name]
    pandera = pandera_schema(table)
    fl_schema = frictionless_schema(table)
    fl = {f["name"]: f.get("constraints", {}) for f in fl_schema["fields"]}
    documented = {c.name: c.constraints for c in page[0][name]}
    for f in table.fields:
        checks = pandera_checks(pandera.columns[f.name])
        doc = documented[f.name]
        enum = [p for p in doc if p.startswith("one of ")]
        if f.enum:
            assert checks["isin"]["allowed_values"] == list(f.enum)
            assert fl[f.name]["enum"] == list(f.enum)
            assert enum and re.findall(r"`([^`]+)`", enum[0]) == list(f.enum)
        else:
            assert "isin" not in checks and "enum" not in fl[f.name] and not enum
        if f.pattern:
            assert checks["str_matches"]["pattern"] == f.pattern
            assert f"^{fl[f.name]['pattern']}$" == f.pattern
            assert f"matches `{f.pattern}`" in doc
        else:
            assert "str_matches" not in checks and "pattern" not in fl[f.name]
        if f.minimum is not None:
            assert checks["greater_than_or_equal_to"]["min_value"] == f.minimum
            assert fl[f.name]["minimum"] == f.minimum
            assert f">= {f.minimum:g}" in doc
        if f.maximum is not None:
            assert checks["less_than_or_equal_to"]["max_value"] == f.maximum
            assert fl[f.name]["maximum"] == f.maximum
            assert f"<= {f.maximum:g}" in doc
        is_key = f.name == table.primary_key
        assert pandera.columns[f.name].unique is is_key
        assert fl[f.name].get("unique", False) is is_key
        assert ("primary key" in doc) is is_key
    assert fl_schema["primaryKey"] == [table.primary_key]
    assert fl_schema["missingValues"] == [""]
    expected_fks = [{"fields": [fk.field], "reference": {"resource": fk.table, "fields": [fk.table_field]}}
                    for fk in table.foreign_keys]
    assert fl_schema.get("foreignKeys", []) == expected_fks
    for fk in table.foreign_keys:
        assert f"foreign key to `{fk.table}.{fk.table_field}`" in documented[fk.field]
        assert fk.table in TABLES and fk.table_field == TABLES[fk.table].primary_key
    assert [c.name for c in pandera.checks] == [r.name for r in table.row_rules] == page[1][name]
    assert pandera.strict and pandera.ordered


def test_frictionless_schemas_are_valid_table_schemas():
    for table in TABLES.values():
        schema = frictionless.Schema.from_descriptor(frictionless_schema(table))
        assert schema.field_names == table.column_names


def test_enums_and_statuses_agree_with_each_other(page):
    assert page[2] == {t: list(s) for t, s in STATUSES.items()}
    assert EVENTS.field("event_type").enum == EVENT_TYPES
    assert set(EVENTS.field("status").enum) == {s for values in STATUSES.values() for s in values}


# --------------------------------------------------------------------------- the page on disk


def test_data_dictionary_page_is_current():
    """Regenerate with `make dictionary` (python -m schemas.dictionary > docs/data-dictionary.md)."""
    assert DICTIONARY.read_text(encoding="utf-8") == dictionary.render()


def test_a_changed_declaration_makes_the_page_stale(monkeypatch):
    page = DICTIONARY.read_text(encoding="utf-8")
    table = TABLES["changes"]
    extra = Field("note", "string", "A new column.")
    monkeypatch.setitem(TABLES, "changes", dataclasses.replace(table, fields=(*table.fields, extra)))
    assert dictionary.render() != page
    assert "| `note` | string |" in dictionary.render()


# --------------------------------------------------------------------------- Pandera and Frictionless behave alike


def _event(**values) -> dict:
    row = {f.name: None for f in EVENTS.fields}
    row.update(event_id="e_" + "0" * 16)
    row.update(event_type="removal_flight", status="refused", date_precision="day",
               event_date=dt.date(2025, 1, 26), actor_country="USA", partner_country="COL", carrier="military",
               flight_count=2, people_count=160, people_qualifier="exact", summary="2 military flights refused",
               n_articles=2, n_outlets=2, first_reported=dt.date(2025, 1, 26), confidence=0.9,
               count_disagreement=False, first_seen="1.0.0")
    row.update(values)
    return row


def test_pandera_and_frictionless_reject_the_same_values(tmp_path):
    """Column constraints (not row rules, which Frictionless cannot express) flag the same rows."""
    bad = {1: dict(carrier="zeppelin"), 2: dict(actor_country="usa"), 3: dict(event_id="xe_" + "1" * 16),
           4: dict(confidence=1.5), 5: dict(n_articles=0), 6: dict(date_precision="fortnight"),
           7: dict(summary=None), 8: dict(people_count=-1)}
    rows = [_event(**{"event_id": f"e_{i:016x}", **bad.get(i, {})}) for i in range(10)]
    df = frame(EVENTS, rows)
    _kept, failures = validate_table(EVENTS, df)
    position = {row["event_id"]: i for i, row in enumerate(rows)}
    pandera_bad = {position[f.row_id] for f in failures}
    path = tmp_path / "events.csv"
    pa_csv.write_csv(arrow_table(EVENTS, df), path)
    report = frictionless.Resource(path=path.name, basepath=str(tmp_path), schema=frictionless.Schema.from_descriptor(
        frictionless_schema(EVENTS))).validate()
    errors = report.flatten(["rowNumber", "type"])
    assert all(row is not None for row, _type in errors), errors
    frictionless_bad = {row - 2 for row, _type in errors}  # row 2 is the first data row
    assert pandera_bad == frictionless_bad == set(bad)


# --------------------------------------------------------------------------- the canonical frame


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_canonical_frame_dtypes(name):
    table = TABLES[name]
    for df in (empty_frame(table), frame(table, [])):
        assert list(df.columns) == table.column_names and len(df) == 0
        for f in table.fields:
            expected = "object" if f.type == "date" else PANDERA_DTYPES[f.type]
            assert df[f.name].dtype == expected, (name, f.name)
        pandera_schema(table).validate(df)


def test_frame_orders_columns_and_coerces_values():
    rows = [_event(), _event(event_id="e_" + "1" * 16, flight_count=None, people_count=None, people_qualifier=None,
                         event_date="2025-01-27", first_reported=pd.Timestamp("2025-01-28"))]
    df = frame(EVENTS, [dict(reversed(list(r.items()))) for r in rows])
    assert list(df.columns) == EVENTS.column_names
    assert df["flight_count"].dtype == "Int64" and df["flight_count"].isna().tolist() == [False, True]
    assert df["event_date"].tolist() == [dt.date(2025, 1, 26), dt.date(2025, 1, 27)]
    assert df["first_reported"].tolist() == [dt.date(2025, 1, 26), dt.date(2025, 1, 28)]
    extra = coerce_frame(EVENTS, df.assign(unexpected=1))
    assert list(extra.columns) == EVENTS.column_names
    with pytest.raises(ValueError, match="missing columns"):
        coerce_frame(EVENTS, df.drop(columns=["summary"]))


def test_arrow_table_has_the_arrow_schema_and_keeps_nulls():
    df = frame(EVENTS, [_event(), _event(event_id="e_" + "1" * 16, flight_count=None, event_date=None)])
    table = arrow_table(EVENTS, df.set_index(pd.Index([7, 9])))
    assert table.schema.equals(arrow_schema(EVENTS), check_metadata=True)
    assert not (table.schema.metadata or {})  # no pandas metadata, no index column
    assert table.column("flight_count").to_pylist() == [2, None]
    assert table.column("event_date").to_pylist() == [dt.date(2025, 1, 26), None]
    assert table.column("count_disagreement").to_pylist() == [False, False]


def test_arrow_table_reads_plain_object_columns_and_writes_nan_as_null():
    df = frame(EVENTS, [_event(), _event(event_id="e_" + "1" * 16, summary=None)]).astype(object)
    df["confidence"] = [float("nan"), 0.5]
    table = arrow_table(EVENTS, df)
    assert table.schema.equals(arrow_schema(EVENTS), check_metadata=True)
    assert table.column("confidence").to_pylist() == [None, 0.5]
    assert table.column("summary").null_count == 1
    assert table.column("event_id").to_pylist() == df["event_id"].tolist()


# --------------------------------------------------------------------------- the codebook


def _codebook_tables(text: str) -> dict[str, dict[str, tuple[str, str]]]:
    """{table: {column: (type cell, rule cell)}} from the codebook's markdown tables."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        if m := re.match(r"^### `(\w+)`", line):
            current = m[1]
            out[current] = {}
        elif line.startswith("## "):
            current = None
        elif current and (m := re.match(r"^\| `(\w+)` \| ([^|]*) \| (.*) \|$", line)):
            out[current][m[1]] = (m[2].strip(), m[3].strip())
    return out


@pytest.fixture(scope="module")
def codebook() -> str:
    if not CODEBOOK.is_file():
        pytest.skip(f"{CODEBOOK} not found (../shared beside the repository)")
    return CODEBOOK.read_text(encoding="utf-8")


def test_declared_tables_keep_the_codebook_columns_types_and_vocabularies(codebook):
    tables = _codebook_tables(codebook)
    assert set(tables) >= {"articles", "events"}
    all_columns = {c for t in TABLES.values() for c in t.column_names}
    for name, columns in tables.items():
        table: Table = TABLES[name]
        declared = [c for c in table.column_names if c in columns]
        assert declared == list(columns), f"{name}: codebook columns missing or out of order"
        for column, (type_cell, rule) in columns.items():
            f = table.field(column)
            assert type_cell.split(",")[0].strip() == f.type, (name, column)
            assert f.required is ("nullable" not in type_cell), (name, column)
            assert ("primary key" in type_cell) is (column == table.primary_key), (name, column)
            if "enum" in type_cell and column not in ("event_type", "status"):
                vocabulary = [v for v in re.findall(r"`(\w+)`", rule) if v not in EVENT_TYPES and v not in all_columns]
                assert list(f.enum) == vocabulary, (name, column)


def test_mentions_keep_the_codebook_columns(codebook):
    paragraph = codebook.split("### `mentions`", 1)[1].split("###", 1)[0]
    named = re.findall(r"`(\w+)` \(", paragraph)
    assert named == ["mention_id", "article_id", "event_id", "char_start", "char_end", "extractor",
                     "confidence"] or set(named) <= set(TABLES["mentions"].column_names)
    for column in ("mention_id", "article_id", "event_id", "sentence", "char_start", "char_end", "extractor",
                   "confidence"):
        assert column in TABLES["mentions"].column_names
    event_columns = EVENTS.column_names[EVENTS.column_names.index("event_type"):EVENTS.column_names.index("measure") + 1]
    mentions = TABLES["mentions"].column_names
    assert mentions[mentions.index("event_type"):mentions.index("measure") + 1] == event_columns
    for column in event_columns:
        assert TABLES["mentions"].field(column) == EVENTS.field(column)


def test_status_vocabulary_is_the_codebooks(codebook):
    section = codebook.split("## Event types and their status values", 1)[1].split("\n## ", 1)[0]
    found = {}
    for line in section.splitlines():
        if (m := re.match(r"^\| `(\w+)` \| .* \| ([^|]*) \|$", line)) and m[1] != "event_type":
            found[m[1]] = tuple(re.findall(r"`(\w+)`", m[2]))
    assert found == STATUSES
