"""Column access through Arrow. pandas reads Arrow-backed string columns one Python object at a
time: iterating, `dict(zip(...))` or `isin` over the 300,000 mentions of 100,000 articles took
tenths of a second each, and the pipeline does dozens of them per run."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def arrow_column(column: pd.Series) -> pa.ChunkedArray | None:
    """The column as Arrow (no copy for Arrow-backed columns), None for an object column of mixed types."""
    try:
        return pa.chunked_array(pa.array(column, from_pandas=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def object_values(column: pd.Series) -> list[Any]:
    """The column as a list of Python values, None for nulls, through pandas (for the columns
    `arrow_column` cannot convert)."""
    return column.astype(object).where(column.notna(), None).tolist()


def values(column: pd.Series) -> list[Any]:
    """The column as a list of Python values, None for nulls (NaN, NA, NaT)."""
    array = arrow_column(column)
    return object_values(column) if array is None else array.to_pylist()


def isin(column: pd.Series, allowed: pd.Series) -> np.ndarray:
    """`column.isin(allowed)` as a boolean array."""
    return pc.is_in(pa.array(column), value_set=pa.array(allowed)).to_numpy(zero_copy_only=False)
