"""The building blocks of a table declaration.

Every table of the dataset is declared once (see `schemas.tables`) with these classes; the
Pandera schema, the pyarrow schema, the Frictionless table schema and the data dictionary
are all derived from that declaration (`schemas.derive`, `schemas.dictionary`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

FieldType = Literal["string", "date", "integer", "number", "boolean"]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    description: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class ForeignKey:
    field: str
    table: str
    table_field: str


@dataclass(frozen=True)
class RowRule:
    """A check across columns of one row; Frictionless cannot express these, Pandera runs them."""

    name: str
    description: str
    holds: Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: str
    foreign_keys: tuple[ForeignKey, ...] = ()
    row_rules: tuple[RowRule, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name!r} has no field {name!r}")
