"""Columns of the demo generator: contract tables built from arrays, without Python objects.

Private to :mod:`workbench.demo`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.data.contract import CONTRACT, DTYPES

#: Columns and dtypes of ``customers_truth`` (not a contract table).
TRUTH_COLUMNS = {
    "customer_id": "str",
    "persona": "str",
    "first_purchase_date": "datetime64[ns]",
    "lapse_date": "datetime64[ns]",
    "lapse_cause": "str",
    "purchase_rate_per_year": "float64",
    "mean_basket": "float64",
    "mean_order_margin": "float64",
    "mean_discount": "float64",
}


def frame(name: str, data: dict) -> pd.DataFrame:
    """A contract table with its canonical columns, in contract order and dtypes."""
    out = {}
    for col in CONTRACT[name].columns:
        if col.name in data:
            out[col.name] = as_dtype(data[col.name], DTYPES[col.dtype])
    return pd.DataFrame(out)


def as_dtype(values, dtype: str):
    """`values` (numpy, Arrow or list; NaN = missing) as a pandas array of `dtype`."""
    if isinstance(values, pa.Array):
        return pd.array(values, dtype=dtype)
    if dtype == "boolean":
        x = np.asarray(values, float)
        return pd.arrays.BooleanArray(x == 1, np.isnan(x))
    if dtype == "Int64":
        x = np.asarray(values, float)
        return pd.arrays.IntegerArray(np.nan_to_num(x).astype("int64"), np.isnan(x))
    if dtype == "str":
        return pd.array(np.asarray(values, dtype=object), dtype="str")
    return np.asarray(values).astype(dtype)


def identifiers(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Identifiers such as ``C000042``: `prefix` and the number zero-padded to `width`."""
    digits = pc.utf8_lpad(pa.array(np.asarray(numbers, "int64")).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def take(vocabulary, index: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """``vocabulary[index]`` as an Arrow string array (null where `missing`), without objects."""
    if not isinstance(vocabulary, pa.Array):
        vocabulary = pa.array(list(vocabulary), pa.string())
    return vocabulary.take(pa.array(np.asarray(index, "int64"), mask=missing))
