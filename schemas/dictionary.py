"""The data dictionary page (docs/data-dictionary.md), rendered from the table declarations.

`python -m schemas.dictionary > docs/data-dictionary.md` (or `make dictionary`) rewrites it;
a test fails when the committed page is stale.
"""
from __future__ import annotations

from schemas.fields import Field, Table
from schemas.tables import STATUSES, TABLES


def _constraints(f: Field, table: Table) -> str:
    parts = []
    if f.name == table.primary_key:
        parts.append("primary key")
    parts += [f"foreign key to `{fk.table}.{fk.table_field}`" for fk in table.foreign_keys if fk.field == f.name]
    if f.enum:
        parts.append("one of " + ", ".join(f"`{v}`" for v in f.enum))
    if f.pattern:
        parts.append(f"matches `{f.pattern}`")
    if f.minimum is not None:
        parts.append(f">= {f.minimum:g}")
    if f.maximum is not None:
        parts.append(f"<= {f.maximum:g}")
    return "; ".join(parts)


def _table_section(table: Table) -> list[str]:
    lines = [f"## `{table.name}`: {table.title}", "", table.description, "",
             "| column | type | required | constraints | description |", "|---|---|---|---|---|"]
    for f in table.fields:
        required = "yes" if f.required else ""
        lines.append(f"| `{f.name}` | {f.type} | {required} | {_constraints(f, table)} | {f.description} |")
    if table.row_rules:
        lines += ["", "Row rules:", ""] + [f"- `{r.name}`: {r.description}" for r in table.row_rules]
    return lines + [""]


def render() -> str:
    lines = ["# Data dictionary", "",
             "Generated from `schemas/tables.py` by `python -m schemas.dictionary`; do not edit by hand.",
             "Each release ships every table as Parquet and CSV; `datapackage.json` holds the same schema.", ""]
    for table in TABLES.values():
        lines += _table_section(table)
    lines += ["## Status values by event type", "", "| event_type | status |", "|---|---|"]
    lines += [f"| `{t}` | {', '.join(f'`{s}`' for s in values)} |" for t, values in STATUSES.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
