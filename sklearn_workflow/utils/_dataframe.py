"""The one place that knows about pandas and polars specifics.

The estimators work on one numpy array per column. This module turns the columns of
a pandas DataFrame, a polars DataFrame or a 2-D numpy array into such arrays
(numeric values, missing masks, factorized codes, datetime64 values), tells which
kind each column is, and builds the output container that ``set_output`` asks for.

polars is optional: it is only imported when a polars object is seen or requested.
Reading table files lives in ``_files.py``; ``load_table`` is importable from here.
"""

import sys
import warnings

import numpy as np
import pandas as pd

from sklearn_workflow.utils._files import load_table

__all__ = [
    "column_kind",
    "column_names",
    "factorize",
    "argsort_values",
    "factorize_codes",
    "has_category_list",
    "get_column",
    "is_dataframe",
    "is_pandas",
    "is_date_strings",
    "is_polars",
    "load_table",
    "make_output",
    "missing_mask",
    "n_rows",
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
    # pandas' C-level type inference: one pass, no Python loop over the rows.
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "boolean":
        return "boolean"
    if inferred in ("integer", "floating", "mixed-integer-float"):
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
    series = to_datetime_series(col)
    local, _ = split_datetime_series(series)
    return local, datetime_timezone(series)


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


def _output_container(estimator, method, X):
    """ "pandas", "polars" or "numpy": what ``set_output`` asks of ``method``, and
    by default the container of ``X``."""
    from sklearn_workflow.utils._param_validation import get_output_container

    container = get_output_container(estimator, method)
    if container != "default":
        return container
    if is_pandas(X):
        return "pandas"
    return "polars" if is_polars(X) else "numpy"


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
    container = _output_container(estimator, method, X)
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
# evaluate / EvaluationReport: row slices and row hashes.


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


# --- TargetEncoder: codes of a column for fitting and for looking values up --------


def factorize_codes(col):
    """Integer codes of a column and the values they index, fast on every dtype.

    Unlike :func:`factorize`, a categorical column is not scanned for the categories
    that occur: its own codes and its full category list are returned (so
    ``uniques`` may hold values that no row has), and strings stay in their Arrow
    or pandas ``str`` storage. The work is one vectorised pass (a hash table, or the
    column's own dictionary), never a Python loop over rows.

    Parameters
    ----------
    col : pandas Series, polars Series or 1-D ndarray

    Returns
    -------
    codes : ndarray of int64, shape (n_rows,)
        Index into ``uniques``; -1 marks a missing value (NaN, None, pd.NA, NaT,
        polars null).
    uniques : pandas Index
        Distinct non-missing values (for categorical dtypes, all the categories).

    Examples
    --------
    >>> import pandas as pd
    >>> col = pd.Series(["b", None, "a"], dtype="category")
    >>> col = col.cat.add_categories(["unused"])
    >>> codes, uniques = factorize_codes(col)
    >>> codes
    array([ 1, -1,  0])
    >>> list(uniques)
    ['a', 'b', 'unused']
    """
    if _is_polars_series(col):
        import polars as pl

        if isinstance(col.dtype, (pl.Categorical, pl.Enum)):
            arrow = col.to_arrow()
            indices = arrow.indices.cast("int64").fill_null(-1)
            codes = indices.to_numpy(zero_copy_only=False)
            uniques = pd.Index(arrow.dictionary.to_pandas())
            return codes.astype(np.int64, copy=False), uniques
        col = col.to_pandas()
    if isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int64)
        return codes, pd.Index(col.cat.categories)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), pd.Index(uniques)


def has_category_list(col):
    """True for categorical dtypes, whose category list may hold unused values."""
    if _is_polars_series(col):
        import polars as pl

        return isinstance(col.dtype, (pl.Categorical, pl.Enum))
    return isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype)


def argsort_values(values):
    """Sorting permutation of distinct values; strings are sorted by Arrow.

    Python's order (code points), computed without Python comparisons when every
    value is a string. Raises TypeError for values of types that do not compare.
    """
    values = pd.Index(values)
    if isinstance(values.dtype, (pd.StringDtype, pd.ArrowDtype)):
        return np.asarray(values.argsort())  # already in Arrow or string storage
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        try:
            import pyarrow as pa
            import pyarrow.compute as pc
        except ImportError:  # pragma: no cover - pyarrow is optional
            return np.asarray(values.argsort())
        array = pa.array(np.asarray(values, dtype=object), type=pa.large_string())
        return pc.array_sort_indices(array).to_numpy()
    return np.asarray(values.argsort())


# --- DateFeatureExtractor: datetime columns, time zones and date strings ----------


def datetime_timezone(col):
    """Time zone name of a datetime column, or None when it is naive.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(pd.to_datetime(["2024-01-01"])).dt.tz_localize("Europe/Paris")
    >>> datetime_timezone(s), datetime_timezone(s.dt.tz_localize(None))
    ('Europe/Paris', None)
    """
    if _is_polars_series(col):
        return getattr(col.dtype, "time_zone", None)
    tz = getattr(getattr(col, "dtype", None), "tz", None)
    return None if tz is None else str(tz)


def to_datetime_series(col):
    """A datetime column (pandas, polars or ndarray) as a pandas datetime Series.

    The column's resolution and time zone are kept; polars ``Date`` becomes
    ``datetime64[ms]`` (polars' own conversion).
    """
    if _is_polars_series(col):
        col = col.to_pandas()
    if isinstance(col, pd.Series):
        return col.reset_index(drop=True)
    return pd.Series(np.asarray(col))


def split_datetime_series(series, zone=None, utc=False):
    """Local wall-clock datetime64 values of a datetime Series, and UTC instants.

    Parameters
    ----------
    series : pandas Series of datetime64 dtype, naive or tz-aware
    zone : str or None, default=None
        Time zone whose wall clock is wanted for a tz-aware Series (its own when
        None). Ignored for a naive Series, whose values are already wall-clock.
    utc : bool, default=False
        Also return the UTC instants of a tz-aware Series.

    Returns
    -------
    local : ndarray of datetime64
        Naive wall-clock values in ``zone``, the Series' own resolution, NaT kept.
        A tz-aware Series costs one vectorised conversion (pandas' transition
        search); a naive one none.
    instants : ndarray of datetime64 or None
        The naive UTC values of a tz-aware Series when ``utc``; for a naive
        Series, ``local`` itself; None when not asked.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(pd.to_datetime(["2024-07-01 12:00"])).dt.tz_localize("UTC")
    >>> local, instants = split_datetime_series(s, "Asia/Tokyo", utc=True)
    >>> str(local[0]), str(instants[0])
    ('2024-07-01T21:00:00.000000', '2024-07-01T12:00:00.000000')
    """
    tz = getattr(series.dtype, "tz", None)
    if tz is None:
        local = series.to_numpy()
        return local, (local if utc else None)
    if zone is not None and str(zone) != str(tz):
        series = series.dt.tz_convert(zone)
    local = series.dt.tz_localize(None).to_numpy()
    instants = None
    if utc:
        instants = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    return local, instants


def is_string_column(col):
    """True if the column holds strings (str/string dtype, or object of str)."""
    if _is_polars_series(col):
        import polars as pl

        return col.dtype == pl.String
    if isinstance(col, pd.Series):
        dtype = col.dtype
        if dtype != np.dtype(object) and pd.api.types.is_string_dtype(dtype):
            return not isinstance(dtype, pd.CategoricalDtype)
        values = col.to_numpy()
    else:
        values = np.asarray(col)
    if values.dtype.kind in "US":
        return True
    if values.dtype.kind != "O":
        return False
    present = values[~np.asarray(pd.isna(values))]
    return present.size > 0 and isinstance(present[0], str)


def _parse(values, fmt):
    try:
        with warnings.catch_warnings():
            # pandas 2.2 warns (and returns objects) where pandas 3 raises.
            warnings.filterwarnings("error", ".*mixed time zones", FutureWarning)
            parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    except (ValueError, FutureWarning):
        # Mixed UTC offsets: only a common zone can hold them.
        parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
    return parsed


def guess_datetime_format(col, dayfirst=False, n_guesses=20, n_sample=1000):
    """The strftime format that parses most of a string column's first values.

    Candidate formats are guessed (pandas' ``guess_datetime_format``) from up to
    ``n_guesses`` distinct values among the first ``n_sample`` non-missing
    ones; the candidate that parses most of those ``n_sample`` values wins, the
    earliest guessed on ties. Falls back to ``"ISO8601"``.

    Returns
    -------
    format : str or None
        None when no candidate parses any value.

    Examples
    --------
    >>> import pandas as pd
    >>> guess_datetime_format(pd.Series(["03/04/2024", "25/12/2024"]))
    '%d/%m/%Y'
    >>> guess_datetime_format(pd.Series(["03/04/2024"]), dayfirst=True)
    '%d/%m/%Y'
    >>> guess_datetime_format(pd.Series(["03/04/2024"]))
    '%m/%d/%Y'
    """
    import warnings

    from pandas.tseries.api import guess_datetime_format as _guess

    head = col.head(10 * n_sample) if hasattr(col, "head") else col[: 10 * n_sample]
    sample = pd.Series(to_object_array(head)).dropna().iloc[:n_sample]
    sample = sample.astype(str).to_numpy(dtype=object)
    if sample.size == 0:
        return None
    candidates = []
    for value in pd.unique(sample)[:n_guesses]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fmt = _guess(value, dayfirst=dayfirst)
        if fmt is not None and fmt not in candidates:
            candidates.append(fmt)
    candidates.append("ISO8601")
    best, best_count = None, 0
    for fmt in candidates:
        count = int(_parse(sample, fmt).notna().sum())
        if count > best_count:
            best, best_count = fmt, count
    return best


def parse_datetime_column(col, fmt):
    """Parse a column of date strings (or date objects) strictly with ``fmt``.

    Values that do not match ``fmt`` become NaT (never a guess); with ``fmt=None``
    non-string values (``datetime``, ``date``, ``Timestamp``) are converted as
    they are. Strings with different UTC offsets are converted to UTC.

    Returns
    -------
    series : pandas Series of datetime64 dtype
    """
    if _is_polars_series(col):
        col = col.to_pandas()
    if isinstance(col, pd.Series):
        values = col.reset_index(drop=True)
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        fast = _parse_fixed_width_iso(values, fmt)
        if fast is not None:
            return fast
    else:
        values = np.asarray(col, dtype=object)
    return pd.Series(_parse(values, fmt))


# Fixed-width ISO 8601 formats: their length and the character at position 10.
_FIXED_WIDTH_ISO = {
    "%Y-%m-%d": (10, None),
    "%Y-%m-%d %H:%M": (16, " "),
    "%Y-%m-%dT%H:%M": (16, "T"),
    "%Y-%m-%d %H:%M:%S": (19, " "),
    "%Y-%m-%dT%H:%M:%S": (19, "T"),
}


def _parse_fixed_width_iso(values, fmt):
    """Arrow-backed strings of a fixed-width ISO format, parsed by pyarrow.

    pyarrow's cast to timestamp validates every field (no 30 February, no hour
    25) and is several times faster than pandas' parser, but it also accepts
    other ISO layouts; checking that every string has the format's exact length
    and separator makes it as strict as the format. Returns None (the caller
    then uses pandas) when the column is not arrow-backed, pyarrow is missing,
    the format is not one of these, or any string does not fit.
    """
    spec = _FIXED_WIDTH_ISO.get(fmt)
    if spec is None or not hasattr(values.array, "__arrow_array__"):
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow comes with pandas 3
        return None
    length, separator = spec
    array = pa.chunked_array([pa.array(values.array)])
    if array.null_count == len(array):
        return None
    bounds = pc.min_max(pc.utf8_length(array)).as_py()
    if bounds["min"] != length or bounds["max"] != length:
        return None
    if separator is not None:
        middle = pc.utf8_slice_codeunits(array, 10, 11)
        if not pc.all(pc.equal(middle, separator)).as_py():
            return None
    try:
        parsed = pc.cast(array, pa.timestamp("s"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pd.Series(parsed.to_numpy())


def make_output_from_block(estimator, X, passthrough, names, block):
    """Like :func:`make_output`, with the new columns as one float64 block.

    Parameters
    ----------
    estimator : transformer instance
        Its ``set_output`` configuration decides the container.
    X : DataFrame or ndarray
        The input (decides the default container and the pandas index).
    passthrough : dict of str to array-like
        Input columns kept as they are, first in the output.
    names : list of str
        Names of the new columns, one per row of ``block``.
    block : ndarray of shape (len(names), n_rows)
        The new columns as rows of a C-ordered float64 array, so that each column
        is contiguous; a pandas output (and a numpy output without passthrough
        columns) wraps it without copying.

    Returns
    -------
    output : pandas DataFrame, polars DataFrame or ndarray

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> X = pd.DataFrame({"a": ["x", "y"]}, index=[10, 11])
    >>> out = make_output_from_block(
    ...     FunctionTransformer(), X, {"a": X["a"]}, ["b"], np.array([[1.0, 2.0]])
    ... )
    >>> out
        a    b
    10  x  1.0
    11  y  2.0
    """
    container = _output_container(estimator, "transform", X)
    if container == "pandas":
        index = X.index if is_pandas(X) else pd.RangeIndex(n_rows(X))
        new = pd.DataFrame(block.T, columns=list(names), index=index, copy=False)
        if not passthrough:
            return new
        kept = pd.DataFrame(
            {k: _to_pandas_column(v) for k, v in passthrough.items()},
            index=pd.RangeIndex(n_rows(X)),
        )
        kept.index = index
        return pd.concat([kept, new], axis=1)
    if container == "polars":
        import polars as pl

        columns = [_to_polars_column(k, v) for k, v in passthrough.items()]
        columns += [pl.Series(name, row) for name, row in zip(names, block)]
        return pl.DataFrame(columns)
    if not passthrough:
        return block.T
    return make_output(estimator, X, {**passthrough, **dict(zip(names, block))})


# Share of a text column's values that must parse as ISO-8601 dates for the column
# to be read as dates (CSV files carry dates as text).
DATE_PARSE_SHARE = 0.95


def is_date_strings(col, share=DATE_PARSE_SHARE):
    """True if a text column holds ISO-8601 dates (at least ``share`` of a sample).

    A sample of at most about 500 of the non-missing values is read: more than
    half must look like a date (``2024-07-01`` or ``01/07/2024``) and at least
    ``share`` must parse as ISO 8601.

    Examples
    --------
    >>> import pandas as pd
    >>> is_date_strings(pd.Series(["2024-07-01", "2024-07-02 12:30:00", None]))
    True
    >>> is_date_strings(pd.Series(["2024-07-01", "soon", "later"]))
    False
    """
    present = np.flatnonzero(~missing_mask(col))
    if present.size == 0:
        return False
    # Only the sampled values are converted: converting a whole text column costs
    # more than the check itself.
    rows = present[:: max(1, present.size // 500)]
    if isinstance(col, pd.Series):
        col = col.iloc[rows]
    elif _is_polars_series(col):
        col = col.gather(rows)
    else:
        col = np.asarray(col)[rows]
    sample = pd.Series(to_object_array(col)).astype(str)
    if not sample.str.contains(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}").mean() > 0.5:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="ISO8601")
    return bool(parsed.notna().mean() >= share)
