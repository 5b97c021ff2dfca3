"""Everything derived from a table declaration: Pandera, pyarrow and Frictionless schemas,
and the canonical in-memory (pandas) representation of a table."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
from pandera.engines import pandas_engine

from schemas.fields import Field, Table

PANDAS_DTYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean", "date": "object"}
ARROW_TYPES = {
    "string": pa_arrow.string(),
    "integer": pa_arrow.int64(),
    "number": pa_arrow.float64(),
    "boolean": pa_arrow.bool_(),
    "date": pa_arrow.date32(),
}


# --- pandas -------------------------------------------------------------------------------

def as_date(value: Any) -> dt.date | None:
    """A date from a date, datetime, ISO date or date-time string, or any pandas null (None)."""
    if value is None or (not isinstance(value, (str, dt.date)) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def coerce_frame(table: Table, df: pd.DataFrame) -> pd.DataFrame:
    """Return df with exactly the table's columns, in order, in their canonical dtypes."""
    missing = [c for c in table.column_names if c not in df.columns]
    if missing:
        raise ValueError(f"table {table.name!r} is missing columns {missing}")
    out = {}
    for f in table.fields:
        col = df[f.name]
        if f.type == "date":
            out[f.name] = pd.Series([as_date(v) for v in col], index=df.index, dtype="object")
        else:
            out[f.name] = col.astype(PANDAS_DTYPES[f.type])
    return pd.DataFrame(out, index=df.index)


def empty_frame(table: Table) -> pd.DataFrame:
    return coerce_frame(table, pd.DataFrame({c: [] for c in table.column_names}))


def frame(table: Table, records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    rows = list(records)
    if not rows:
        return empty_frame(table)
    return coerce_frame(table, pd.DataFrame.from_records(rows, columns=table.column_names))


# --- Pandera ------------------------------------------------------------------------------

def _pandera_checks(f: Field) -> list[pa.Check]:
    checks = []
    if f.enum:
        checks.append(pa.Check.isin(list(f.enum)))
    if f.pattern:
        checks.append(pa.Check.str_matches(f.pattern))
    if f.minimum is not None:
        checks.append(pa.Check.ge(f.minimum))
    if f.maximum is not None:
        checks.append(pa.Check.le(f.maximum))
    return checks


def _pandera_dtype(f: Field):
    return pandas_engine.Date() if f.type == "date" else PANDAS_DTYPES[f.type]


def pandera_schema(table: Table) -> pa.DataFrameSchema:
    columns = {
        f.name: pa.Column(_pandera_dtype(f), checks=_pandera_checks(f), nullable=not f.required,
                          unique=f.name == table.primary_key, description=f.description)
        for f in table.fields
    }
    checks = [pa.Check(rule.holds, name=rule.name, error=rule.description) for rule in table.row_rules]
    return pa.DataFrameSchema(columns, checks=checks, strict=True, ordered=True, name=table.name)


# --- pyarrow ------------------------------------------------------------------------------

def arrow_schema(table: Table) -> pa_arrow.Schema:
    return pa_arrow.schema([
        pa_arrow.field(f.name, ARROW_TYPES[f.type], nullable=not f.required,
                       metadata={"description": f.description})
        for f in table.fields
    ])


def _arrow_column(f: Field, column: pd.Series) -> pa_arrow.Array:
    if f.type == "date":  # an object column of dates and None after coerce_frame
        return pa_arrow.array(column.tolist(), type=ARROW_TYPES[f.type])
    # pandas' nullable arrays convert themselves, nulls (and NaN of nullable floats) as null: a
    # value-by-value walk was most of the time of a release at 100,000 articles
    array = pa_arrow.chunked_array(pa_arrow.array(column, from_pandas=True)).combine_chunks()
    return array.cast(ARROW_TYPES[f.type])


def arrow_table(table: Table, df: pd.DataFrame) -> pa_arrow.Table:
    """Convert a canonical frame without pandas metadata or index, so other readers see only the columns."""
    df = coerce_frame(table, df)
    arrays = [_arrow_column(f, df[f.name]) for f in table.fields]
    return pa_arrow.Table.from_arrays(arrays, schema=arrow_schema(table))


# --- Frictionless -------------------------------------------------------------------------

def _frictionless_field(f: Field, primary_key: str) -> dict:
    constraints: dict[str, Any] = {}
    if f.required or f.name == primary_key:
        constraints["required"] = True
    if f.name == primary_key:
        constraints["unique"] = True
    if f.enum:
        constraints["enum"] = list(f.enum)
    if f.pattern:
        constraints["pattern"] = f.pattern.removeprefix("^").removesuffix("$")
    if f.minimum is not None:
        constraints["minimum"] = int(f.minimum) if f.type == "integer" else f.minimum
    if f.maximum is not None:
        constraints["maximum"] = int(f.maximum) if f.type == "integer" else f.maximum
    out: dict[str, Any] = {"name": f.name, "type": f.type, "description": f.description}
    if f.type == "boolean":
        out["trueValues"], out["falseValues"] = ["true"], ["false"]
    if constraints:
        out["constraints"] = constraints
    return out


def frictionless_schema(table: Table, resource_names: Mapping[str, str] | None = None) -> dict:
    """Table Schema; foreign keys point at the resource names given (default: the table names)."""
    names = resource_names or {}
    schema: dict[str, Any] = {
        "fields": [_frictionless_field(f, table.primary_key) for f in table.fields],
        "missingValues": [""],
        "primaryKey": [table.primary_key],
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": [fk.field], "reference": {"resource": names.get(fk.table, fk.table), "fields": [fk.table_field]}}
            for fk in table.foreign_keys
        ]
    return schema

