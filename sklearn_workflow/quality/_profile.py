"""Read one column into numpy arrays and profile it, in a few vectorised passes.

A column becomes a :class:`ColumnData`: its kind, a missing mask, float values
(numeric, boolean and datetime columns; datetimes as microseconds since the epoch)
and factorized codes. :func:`profile_column` turns it into the plain-Python
profile that the checker keeps as its contract (lists, floats and strings only, so
that the fitted checker pickles and round-trips through skops).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sklearn_workflow.utils._dataframe import (
    column_kind,
    factorize,
    is_dataframe,
    is_pandas,
    is_polars,
    missing_mask,
    to_datetime64,
    to_float_array,
)

__all__ = [
    "ColumnData",
    "NULL_LIKE",
    "column_labels",
    "iter_columns",
    "profile_column",
    "quantiles_from_sorted",
    "read_column",
]

# Strings that stand for a missing value (compared after strip() and lower()).
NULL_LIKE = frozenset(
    {"", "n/a", "na", "nan", "null", "none", "?", "-", "--", "missing", "#n/a"}
)
_NUMERIC_INFERRED = {"integer", "floating", "mixed-integer-float", "decimal"}
_STRING_INFERRED = {"string", "empty", "bytes"}
_UNSUPPORTED_TYPES = (dict, list, set, np.ndarray, pd.Series, pd.DataFrame)
# Quantile levels for the numeric summary (describe) and the IQR rule.
_SUMMARY_Q = (0.25, 0.5, 0.75)
# Categories below this share of the rows are pooled in one "other" bin for PSI
# (an identifier or a long tail would otherwise make PSI pure sampling noise).
DRIFT_MIN_SHARE = 0.01
# Quantile bins used to screen a numeric column for leakage.
N_LEAK_BINS = 32


@dataclass(slots=True, eq=False)
class ColumnData:
    """One column as numpy arrays (not stored: the contract keeps profiles)."""

    label: object
    name: str
    kind: str
    dtype: object
    missing: np.ndarray
    values: np.ndarray = None
    codes: np.ndarray = None
    uniques: np.ndarray = None
    type_counts: dict = None
    n_unsupported: int = 0

    @property
    def n_unique(self):
        return 0 if self.uniques is None else len(self.uniques)


def column_labels(X):
    """Labels used to fetch the columns: names for DataFrames, positions otherwise."""
    if is_dataframe(X):
        return list(X.columns)
    return list(range(X.shape[1]))


def column_display_names(X):
    """Printable column names: ``str(name)``, or ``x0, x1, ...`` for arrays."""
    if is_dataframe(X):
        return [str(c) for c in X.columns]
    return [f"x{i}" for i in range(X.shape[1])]


def iter_columns(X):
    """Yield ``(label, display name, column)`` for every column of ``X``."""
    names = column_display_names(X)
    if is_pandas(X):
        for i, (label, name) in enumerate(zip(X.columns, names)):
            yield label, name, X.iloc[:, i]
    elif is_polars(X):
        for label, name in zip(X.columns, names):
            yield label, name, X.get_column(label)
    else:
        for i, name in enumerate(names):
            yield i, name, X[:, i]


def _dtype_name(col):
    return str(col.dtype)


def _python_type_counts(values):
    """``{type name: count}`` of the non-missing values of an object array."""
    names = np.frompyfunc(lambda v: type(v).__name__, 1, 1)(values)
    counts = pd.Series(names, dtype=object).value_counts(sort=True)
    return {str(k): int(v) for k, v in counts.items()}


def _type_family(type_name):
    if type_name in ("str", "str_", "bytes", "bytes_"):
        return "string"
    if type_name in ("bool", "bool_"):
        return "boolean"
    if type_name in (
        "int",
        "float",
        "int64",
        "int32",
        "float64",
        "float32",
        "Decimal",
        "int8",
        "int16",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
    ):
        return "number"
    if type_name in ("datetime", "date", "Timestamp", "datetime64"):
        return "datetime"
    return type_name


def type_families(type_counts):
    """Distinct families (string, number, boolean, datetime, other types)."""
    return sorted({_type_family(t) for t in type_counts})


def _object_values(col):
    if isinstance(col, pd.Series):
        return col.to_numpy(dtype=object)
    if is_polars_series(col):
        return np.asarray(col.to_list(), dtype=object)
    return np.asarray(col, dtype=object)


def is_polars_series(col):
    import sys

    pl = sys.modules.get("polars")
    return pl is not None and isinstance(col, pl.Series)


def _is_object(col):
    if isinstance(col, pd.Series):
        return col.dtype == np.dtype(object)
    if is_polars_series(col):
        return str(col.dtype) == "Object"
    return np.asarray(col).dtype.kind == "O"


def read_column(
    label, name, col, *, encode=True, encode_numbers=False, categorical=False
):
    """Turn one column into a :class:`ColumnData` (vectorised, one pass per array).

    With ``encode=False`` the column is not factorized (except a boolean one):
    validation needs the codes of categorical columns only. Numeric and datetime
    columns are factorized only with ``encode_numbers=True`` (for a target): the
    profile reads their distinct values off the sorted values, and the duplicate
    rows hash their bits.

    Object columns are classified with ``pandas.api.types.infer_dtype`` (compiled,
    no Python loop); only columns that really mix Python types have their value
    types counted. Values that cannot be hashed (dicts, lists, arrays) make the
    column ``"other"`` and are counted in ``n_unsupported``. With
    ``categorical=True`` an object column of numbers or booleans is read as
    categories (a batch checked against a column categorical at fit).
    """
    dtype = _dtype_name(col)
    if _is_object(col):
        values = _object_values(col)
        missing = np.asarray(pd.isna(values), dtype=bool)
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        if categorical and inferred in (*_NUMERIC_INFERRED, "boolean"):
            inferred = "mixed"
        if inferred in _NUMERIC_INFERRED:
            data = ColumnData(label, name, "numeric", dtype, missing)
            data.values = to_float_array(values)
            if encode_numbers:
                data.codes, data.uniques = factorize(data.values)
            return data
        if inferred == "boolean":
            data = ColumnData(label, name, "boolean", dtype, missing)
            data.values = to_float_array(values)
            data.codes, data.uniques = factorize(data.values)
            return data
        if inferred in _STRING_INFERRED:
            data = ColumnData(label, name, "categorical", dtype, missing)
            if encode:
                data.codes, data.uniques = factorize(values)
            return data
        present = values[~missing]
        type_counts = _python_type_counts(present)
        unsupported = np.frompyfunc(lambda v: isinstance(v, _UNSUPPORTED_TYPES), 1, 1)(
            present
        ).astype(bool)
        if unsupported.any():
            data = ColumnData(label, name, "other", dtype, missing)
            data.type_counts = type_counts
            data.n_unsupported = int(unsupported.sum())
            return data
        data = ColumnData(label, name, "categorical", dtype, missing)
        data.type_counts = type_counts
        if encode:
            data.codes, data.uniques = factorize(values)
        return data

    kind = column_kind(col)
    missing = np.asarray(missing_mask(col), dtype=bool)
    data = ColumnData(label, name, kind, dtype, missing)
    if kind in ("numeric", "boolean"):
        data.values = to_float_array(col)
        if encode_numbers or kind == "boolean":
            data.codes, data.uniques = factorize(data.values)
    elif kind == "datetime":
        values, _ = to_datetime64(col)
        values = np.asarray(values)
        if values.dtype.kind != "M":
            values = pd.to_datetime(values).to_numpy()
        micros = values.astype("datetime64[us]").view(np.int64).astype(np.float64)
        micros[missing] = np.nan
        data.values = micros
        if encode_numbers:
            data.codes, data.uniques = factorize(micros)
    elif kind == "categorical":
        if encode:
            data.codes, data.uniques = factorize(col)
    elif encode:
        try:
            data.codes, data.uniques = factorize(col)
        except TypeError:
            data.n_unsupported = int((~missing).sum())
    return data


def quantiles_from_sorted(sorted_values, q):
    """Quantiles of an already sorted array (numpy's default "linear" method)."""
    q = np.asarray(q, dtype=np.float64)
    m = sorted_values.size
    if m == 0:
        return np.full(q.shape, np.nan)
    position = q * (m - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, m - 1)
    frac = position - low
    return sorted_values[low] + frac * (sorted_values[high] - sorted_values[low])


def _python_scalar(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def profile_column(data, *, n_bins, max_categories):
    """The contract and summary statistics of one column, as plain Python values.

    Returns
    -------
    profile : dict
        Keys: name, kind, dtype, n, n_missing, missing_fraction, n_unique,
        top_fraction, and per kind: numeric summary (mean, std, min, quartiles,
        max, skewness, n_infinite, n_outliers, bin edges and fractions),
        datetime range and bins, categories with their frequencies.
    sorted_values : ndarray or None
        The finite values sorted (numeric and datetime), for the caller's reuse.
    """
    n = int(data.missing.size)
    n_missing = int(data.missing.sum())
    profile = {
        "name": data.name,
        "kind": data.kind,
        "dtype": data.dtype,
        "n": n,
        "n_missing": n_missing,
        "missing_fraction": n_missing / n if n else 0.0,
        "n_unique": int(data.n_unique),
        "top_fraction": None,
        "type_counts": data.type_counts,
        "n_unsupported": int(data.n_unsupported),
        "high_cardinality": False,
    }
    counts = None
    if data.codes is not None and data.n_unique > 0:
        counts = np.bincount(data.codes[data.codes >= 0], minlength=data.n_unique)
        profile["top_fraction"] = float(counts.max() / (n - n_missing))
    sorted_values = None
    if data.kind in ("numeric", "datetime"):
        values = data.values
        finite = values[np.isfinite(values)]
        n_pos_inf = int(np.count_nonzero(values == np.inf))
        n_neg_inf = int(np.count_nonzero(values == -np.inf))
        profile["n_infinite"] = n_pos_inf + n_neg_inf
        sorted_values = np.sort(finite)
        profile.update(_numeric_profile(sorted_values, data.kind, n_bins))
        if data.codes is None:
            n_unique, top = _distinct_from_sorted(sorted_values)
            n_unique += (n_pos_inf > 0) + (n_neg_inf > 0)
            top = max(top, n_pos_inf, n_neg_inf)
            profile["n_unique"] = int(n_unique)
            if n_unique:
                profile["top_fraction"] = float(top / (n - n_missing))
    elif data.kind == "boolean":
        present = data.values[~data.missing]
        profile["mean"] = float(present.mean()) if present.size else None
        profile["min"] = float(present.min()) if present.size else None
        profile["max"] = float(present.max()) if present.size else None
    if data.kind in ("categorical", "boolean"):
        category_profile(profile, data.uniques, counts, n - n_missing, max_categories)
    return profile, sorted_values


def _numeric_profile(sorted_values, kind, n_bins):
    m = sorted_values.size
    out = {
        "n_finite": int(m),
        "min": None,
        "max": None,
        "mean": None,
        "std": None,
        "q25": None,
        "q50": None,
        "q75": None,
        "skewness": None,
        "n_outliers": 0,
        "edges": [],
        "bin_fractions": [],
    }
    if m == 0:
        return out
    out["min"] = float(sorted_values[0])
    out["max"] = float(sorted_values[-1])
    q25, q50, q75 = quantiles_from_sorted(sorted_values, _SUMMARY_Q)
    out.update(q25=float(q25), q50=float(q50), q75=float(q75))
    edges = np.unique(
        quantiles_from_sorted(sorted_values, np.linspace(0, 1, n_bins + 1))
    )
    # The minimum is no edge (bins are [e_i, e_{i+1})); the maximum is one only
    # when it holds a real share of the values (a discrete column's top value).
    edges = edges[1:]
    at_max = m - np.searchsorted(sorted_values, sorted_values[-1], side="left")
    if edges.size and at_max < m / (2 * n_bins):
        edges = edges[:-1]
    out["edges"] = edges.tolist()
    out["bin_fractions"] = bin_fractions_from_sorted(sorted_values, edges).tolist()
    if kind == "numeric":
        out.update(_moments(sorted_values))
        iqr = q75 - q25
        low, high = q25 - 1.5 * iqr, q75 + 1.5 * iqr
        out["n_outliers"] = int(
            np.searchsorted(sorted_values, low, side="left")
            + m
            - np.searchsorted(sorted_values, high, side="right")
        )
    return out


def _distinct_from_sorted(sorted_values):
    """Number of distinct values and the largest count of one value (sorted input)."""
    m = sorted_values.size
    if m == 0:
        return 0, 0
    starts = np.flatnonzero(sorted_values[1:] != sorted_values[:-1]) + 1
    runs = np.diff(np.concatenate(([0], starts, [m])))
    return starts.size + 1, int(runs.max())


def _moments(values):
    """Mean, sample std and adjusted skewness (as pandas), NaN-free or None.

    Huge values may overflow; the statistics are then None (not an error).
    """
    m = values.size
    with np.errstate(all="ignore"):
        mean = values.mean()
        centred = values - mean
        m2 = np.einsum("i,i->", centred, centred) / m
        std = np.sqrt(m2 * m / (m - 1)) if m > 1 else np.float64(np.nan)
        skew = np.float64(np.nan)
        if m > 2 and m2 > 0 and values[0] != values[-1]:
            m3 = np.einsum("i,i,i->", centred, centred, centred) / m
            skew = m3 / m2**1.5 * np.sqrt(m * (m - 1)) / (m - 2)

    def clean(v):
        return float(v) if np.isfinite(v) else None

    return {"mean": clean(mean), "std": clean(std), "skewness": clean(skew)}


def bin_fractions_from_sorted(sorted_values, edges):
    """Fraction of values in each bin ``[e_i, e_{i+1})`` (first and last open)."""
    m = sorted_values.size
    cuts = np.searchsorted(sorted_values, np.asarray(edges, dtype=np.float64), "left")
    counts = np.diff(np.concatenate([[0], cuts, [m]]))
    return counts / m if m else counts.astype(np.float64)


def category_profile(profile, uniques, counts, total, max_categories):
    """Write the category keys of a column's profile: the ``max_categories``
    most frequent of ``uniques`` (``counts`` times each, ``total`` present
    values) with their fractions, the share of the others, and the counts
    behind the unseen-category and drift checks. No counts (None or empty)
    give empty categories.
    """
    if counts is None or not len(counts):
        profile.update(categories=[], category_fractions=[], category_counts=[])
        profile.update(other_fraction=0.0, n_drift_categories=0)
        profile.update(n_singletons=0, n_doubletons=0)
        return
    keep = np.argsort(-counts, kind="stable")[:max_categories]
    profile["categories"] = [_python_scalar(v) for v in uniques[keep]]
    profile["category_fractions"] = (counts[keep] / total).tolist()
    profile["category_counts"] = counts[keep].tolist()
    profile["other_fraction"] = float(1.0 - counts[keep].sum() / total)
    profile["high_cardinality"] = bool(len(counts) > max_categories)
    # Categories seen exactly once: n_singletons / total is the Good-Turing
    # estimate of the chance that a new row has an unseen one; those seen
    # twice give its standard error (Esty, 1983).
    profile["n_singletons"] = int(np.count_nonzero(counts == 1))
    profile["n_doubletons"] = int(np.count_nonzero(counts == 2))
    profile["n_drift_categories"] = int(
        np.count_nonzero(counts[keep] >= DRIFT_MIN_SHARE * total)
    )
