"""Lazy Pandera validation of a table: rows that fail are set aside with their reasons.

A failure that is not about particular rows (a missing column, a wrong dtype) is a bug in
the pipeline, not bad input, so it raises."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
import pandera.errors

from schemas.derive import coerce_frame, pandera_schema
from schemas.fields import Table


@dataclass(frozen=True)
class RowFailure:
    table: str
    row_id: str
    reason: str


def validate_table(table: Table, df: pd.DataFrame, drop: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[RowFailure]]:
    """Return (valid rows, one failure per rejected row). `drop` leaves columns out of the check
    (e.g. mentions' event_id before events exist)."""
    frame = coerce_frame(table, df) if not drop else df
    schema = pandera_schema(table)
    if drop:
        schema = schema.remove_columns(list(drop))
        frame = frame[[c for c in table.column_names if c not in drop]]
    # A repeated key keeps its first row; Pandera alone would reject every copy.
    df, frame = df.reset_index(drop=True), frame.reset_index(drop=True)
    repeated = frame[table.primary_key].duplicated(keep="first")
    failures = [RowFailure(table.name, str(key), f"{table.primary_key}: repeats an earlier row")
                for key in frame.loc[repeated, table.primary_key]]
    df, frame = df[~repeated].reset_index(drop=True), frame[~repeated].reset_index(drop=True)
    try:
        schema.validate(frame, lazy=True)
        return df, failures
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    row_level = cases[cases["index"].notna()]
    if len(row_level) < len(cases):
        table_level = cases[cases["index"].isna()]
        raise ValueError(f"table {table.name!r} does not fit its schema: "
                         f"{table_level[['column', 'check']].to_dict('records')}")
    reasons: dict[int, list[str]] = defaultdict(list)
    row_rules = {rule.name: rule.description for rule in table.row_rules}
    row_rules.update({rule.description: rule.description for rule in table.row_rules})
    for case in row_level.itertuples():
        if case.check in row_rules:  # a rule over the whole row: Pandera lists every column; say it once
            reasons[int(case.index)].append(f"row: {row_rules[case.check]}")
            continue
        column = case.column if isinstance(case.column, str) and case.column != table.name else "row"
        reasons[int(case.index)].append(f"{column}: {case.check} failed (value {case.failure_case!r})")
    bad = sorted(reasons)
    keys = frame[table.primary_key]
    failures += [RowFailure(table.name, str(keys.iloc[i]), "; ".join(sorted(set(reasons[i])))) for i in bad]
    kept = df.drop(index=bad).reset_index(drop=True)
    return kept, failures
