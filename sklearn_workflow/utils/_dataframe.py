"""The one place that knows about pandas and polars specifics.

The estimators work on one numpy array per column. This module turns the columns of
a pandas DataFrame, a polars DataFrame or a 2-D numpy array into such arrays
(numeric values, missing masks, factorized codes, datetime64 values), tells which
kind each column is, and builds the output container that ``set_output`` asks for.

polars is optional: it is only imported when a polars object is seen or requested.
"""

import sys

import numpy as np
import pandas as pd

__all__ = [
    "column_kind",
    "column_names",
    "factorize",
    "get_column",
    "is_dataframe",
    "is_pandas",
    "is_polars",
    "make_output",
    "missing_mask",
    "n_rows",
    "select_columns",
    "to_datetime64",
    "to_float_array",
    "to_object_array",
]

KINDS = ("numeric", "boolean", "categorical", "datetime", "other")


def is_pandas(X):
    """Return True if ``X`` is a pandas DataFrame."""
    return isinstance(X, pd.DataFrame)


def is_polars(X):
    """Return True if ``X`` is a polars DataFrame (without importing polars)."""
    pl = sys.modules.get("polars")
    return pl is not None and isinstance(X, pl.DataFrame)


def _is_polars_series(col):
    pl = sys.modules.get("polars")
    return pl is not None and isinstance(col, pl.Series)


def is_dataframe(X):
    """Return True if ``X`` is a pandas or polars DataFrame."""
    return is_pandas(X) or is_polars(X)


def column_names(X):
    """Column names of a DataFrame as a list, or None for arrays."""
    if is_dataframe(X):
        return list(X.columns)
    return None


def n_rows(X):
    """Number of rows of a DataFrame or array."""
    if is_dataframe(X):
        return X.shape[0]
    return np.asarray(X).shape[0] if not hasattr(X, "shape") else X.shape[0]


def get_column(X, key):
    """Return one column: a pandas or polars Series, or a 1-D numpy array.

    ``key`` is a column name for DataFrames and an integer position for arrays.
    """
    if is_pandas(X):
        return X[key]
    if is_polars(X):
        return X.get_column(key)
    return np.asarray(X)[:, key]


def column_kind(col):
    """Classify a column as numeric, boolean, categorical, datetime or other.

    Parameters
    ----------
    col : pandas Series, polars Series or 1-D ndarray

    Returns
    -------
    kind : {"numeric", "boolean", "categorical", "datetime", "other"}
        Strings, object, category (pandas) and String, Categorical and Enum (polars)
        are "categorical". An object column is "categorical" unless every non-missing
        value is a number (then "numeric") or a bool (then "boolean").

    Examples
    --------
    >>> import pandas as pd
    >>> column_kind(pd.Series(["a", None]))
    'categorical'
    >>> column_kind(pd.Series([1, None], dtype="Int64"))
    'numeric'
    >>> column_kind(pd.Series(pd.to_datetime(["2024-01-01", None]).tz_localize("UTC")))
    'datetime'
    """
    if _is_polars_series(col):
        return _polars_kind(col.dtype)
    if isinstance(col, pd.Series):
        dtype = col.dtype
        if pd.api.types.is_bool_dtype(dtype):
            return "boolean"
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(
            dtype
        ):
            if dtype == np.dtype(object):
                return _object_kind(col.to_numpy())
            return "categorical"
        if pd.api.types.is_datetime64_any_dtype(dtype):
            return "datetime"
        if pd.api.types.is_numeric_dtype(dtype):
            return "numeric"
        if dtype == np.dtype(object):
            return _object_kind(col.to_numpy())
        return "other"
    values = np.asarray(col)
    if values.dtype.kind == "b":
        return "boolean"
    if values.dtype.kind in "iuf":
        return "numeric"
    if values.dtype.kind == "M":
        return "datetime"
    if values.dtype.kind in "OUS":
        return _object_kind(values) if values.dtype.kind == "O" else "categorical"
    return "other"


def _object_kind(values):
    present = values[~pd.isna(values)]
    if present.size == 0:
        return "categorical"
    types = {type(v) for v in present}
    if types <= {bool, np.bool_}:
        return "boolean"
    if all(
        issubclass(t, (int, float, np.integer, np.floating))
        and not issubclass(t, (bool, np.bool_))
        for t in types
    ):
        return "numeric"
    return "categorical"


def _polars_kind(dtype):
    import polars as pl

    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_numeric():
        return "numeric"
    if dtype in (pl.String, pl.Categorical) or isinstance(
        dtype, (pl.Categorical, pl.Enum)
    ):
        return "categorical"
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype == pl.Null:
        return "categorical"
    return "other"


def select_columns(X, kinds):
    """Names (DataFrames) or positions (arrays) of the columns of the given kinds."""
    kinds = {kinds} if isinstance(kinds, str) else set(kinds)
    if is_dataframe(X):
        return [name for name in X.columns if column_kind(get_column(X, name)) in kinds]
    X = np.asarray(X)
    return [i for i in range(X.shape[1]) if column_kind(X[:, i]) in kinds]


def missing_mask(col):
    """Boolean array: True where the value is missing (NaN, None, pd.NA, NaT)."""
    if _is_polars_series(col):
        mask = col.is_null().to_numpy()
        if col.dtype.is_float():
            mask = mask | col.is_nan().fill_null(False).to_numpy()
        return mask
    if isinstance(col, pd.Series):
        return col.isna().to_numpy()
    return np.asarray(pd.isna(np.asarray(col)))


def to_float_array(col):
    """Numeric or boolean column as float64 with NaN for every missing value.

    Examples
    --------
    >>> import pandas as pd
    >>> to_float_array(pd.Series([1, None, 3], dtype="Int64"))
    array([ 1., nan,  3.])
    >>> to_float_array(pd.Series([True, None, False], dtype="boolean"))
    array([ 1., nan,  0.])
    """
    if _is_polars_series(col):
        return col.cast(float).to_numpy().astype(np.float64, copy=False)
    if isinstance(col, pd.Series):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    values = np.asarray(col)
    if values.dtype.kind == "O":
        return pd.array(values).to_numpy(dtype=np.float64, na_value=np.nan)
    return values.astype(np.float64)


def to_object_array(col):
    """Column as a 1-D object array with ``None`` for every missing value."""
    if _is_polars_series(col):
        values = np.asarray(col.to_list(), dtype=object)
    elif isinstance(col, pd.Series):
        values = col.to_numpy(dtype=object)
    else:
        values = np.asarray(col, dtype=object)
    values = values.copy()
    values[np.asarray(pd.isna(values))] = None
    return values


def factorize(col):
    """Integer codes of a column and its distinct values, missing values as -1.

    Vectorised (pandas' hash table); the uniques are in order of first appearance.
    A category dtype keeps only the categories that occur.

    Returns
    -------
    codes : ndarray of int64, shape (n_rows,)
        ``uniques[codes[i]]`` is the value of row ``i``; -1 marks a missing value.
    uniques : ndarray of object
        The distinct non-missing values.

    Examples
    --------
    >>> import pandas as pd
    >>> codes, uniques = factorize(pd.Series(["b", None, "a", "b"]))
    >>> codes
    array([ 0, -1,  1,  0])
    >>> uniques
    array(['b', 'a'], dtype=object)
    """
    if _is_polars_series(col):
        col = col.to_pandas()
    if isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int64)
        categories = np.asarray(col.cat.categories, dtype=object)
        used_codes, first = np.unique(codes, return_index=True)
        order = used_codes[np.argsort(first)]
        order = order[order >= 0]
        remap = np.full(len(categories) + 1, -1, dtype=np.int64)
        remap[order] = np.arange(order.size)
        return remap[codes], categories[order]
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


def to_datetime64(col):
    """Datetime column as naive ``datetime64`` values and its time zone.

    Returns
    -------
    values : ndarray of datetime64
        The column's own resolution is kept. For a tz-aware column the values are
        the local wall-clock times in that zone; NaT marks missing values.
    tz : str or None
        The column's time zone, or None when it is naive.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(pd.to_datetime(["2024-03-10 12:00", None]))
    >>> s = s.dt.tz_localize("UTC").dt.tz_convert("America/New_York")
    >>> values, tz = to_datetime64(s)
    >>> str(values[0]), tz
    ('2024-03-10T08:00:00.000000000', 'America/New_York')
    """
    if _is_polars_series(col):
        col = col.to_pandas()
    if not isinstance(col, pd.Series):
        col = pd.Series(col)
    tz = getattr(col.dtype, "tz", None)
    if tz is not None:
        return col.dt.tz_localize(None).to_numpy(), str(tz)
    return col.to_numpy(), None


def _to_pandas_column(values):
    if _is_polars_series(values):
        return values.to_pandas()
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    return values


def _to_polars_column(name, values):
    import polars as pl

    if isinstance(values, pl.Series):
        return values.alias(name)
    if isinstance(values, pd.Series):
        return pl.from_pandas(values.reset_index(drop=True)).alias(name)
    return pl.Series(name, values)


def make_output(estimator, X, columns, method="transform"):
    """Build the output container of ``estimator`` from named 1-D columns.

    Parameters
    ----------
    estimator : transformer instance
        Its ``set_output`` configuration decides the container.
    X : DataFrame or ndarray
        The input; with the default configuration the output has the same type
        (pandas in, pandas out with the same index; polars in, polars out; arrays
        in, a 2-D ndarray out).
    columns : dict of str to array-like
        Output columns in order. Values may be numpy arrays or the input's own
        Series (passthrough columns keep their dtype in DataFrame outputs).
    method : str, default="transform"

    Returns
    -------
    output : pandas DataFrame, polars DataFrame or ndarray
    """
    from sklearn_workflow.utils._param_validation import get_output_container

    container = get_output_container(estimator, method)
    if container == "default":
        if is_pandas(X):
            container = "pandas"
        elif is_polars(X):
            container = "polars"
        else:
            container = "numpy"
    if container == "pandas":
        output = pd.DataFrame(
            {k: _to_pandas_column(v) for k, v in columns.items()},
            index=pd.RangeIndex(n_rows(X)),
        )
        if is_pandas(X):
            output.index = X.index
        return output
    if container == "polars":
        import polars as pl

        return pl.DataFrame([_to_polars_column(k, v) for k, v in columns.items()])
    arrays = [
        v.to_numpy() if hasattr(v, "to_numpy") else np.asarray(v)
        for v in columns.values()
    ]
    if not arrays:
        return np.empty((n_rows(X), 0), dtype=np.float64)
    if all(a.dtype.kind in "biuf" for a in arrays):
        return np.column_stack(arrays).astype(np.float64, copy=False)
    return np.column_stack([a.astype(object) for a in arrays])


# ---------------------------------------------------------------------------------
# evaluate / EvaluationReport (issue 9): row slices and row hashes.


def head_rows(X, n=1):
    """The first ``n`` rows of a DataFrame or array, in the same container."""
    if is_pandas(X):
        return X.iloc[:n]
    if is_polars(X):
        return X.head(n)
    return np.asarray(X)[:n] if not hasattr(X, "shape") else X[:n]


def row_hashes(X, columns=None):
    """One 64-bit hash per row (vectorised), equal for rows with equal values.

    Parameters
    ----------
    X : pandas DataFrame, polars DataFrame or 2-D array
    columns : list, default=None
        Column order to hash in (DataFrames only); None keeps ``X``'s order.

    Returns
    -------
    hashes : ndarray of uint64, shape (n_rows,)

    Examples
    --------
    >>> import pandas as pd
    >>> h = row_hashes(pd.DataFrame({"a": [1, 1, None], "b": ["x", "x", "y"]}))
    >>> bool(h[0] == h[1]), bool(h[0] == h[2])
    (True, False)
    """
    if is_polars(X):
        X = X.to_pandas()
    if not is_pandas(X):
        X = pd.DataFrame(np.asarray(X))
    if columns is not None:
        X = X[list(columns)]
    return pd.util.hash_pandas_object(X, index=False).to_numpy()
