"""TableCleaner: the type of each text column, read from its values at fit.

CSV files carry every column as text. ``TableCleaner`` looks at the distinct values
of each text column once, at fit, and decides what the column holds: numbers stored
as text (thousands separators, currency signs, percent signs, missing markers),
yes/no booleans, date strings, free text, identifier-like labels, or categories.
``transform`` applies the same conversions to new data and counts the values that
no longer fit.

All the parsing works on a column's distinct values (pandas ``.str`` methods), then
maps the result back to the rows through the factorized codes: no Python loop over
rows.
"""

import warnings
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from sklearn_workflow.exceptions import DataQualityWarning, DataValidationError
from sklearn_workflow.features._base import _ColumnTransformerMixin, _plain_values
from sklearn_workflow.quality._findings import ID_LIKE_MIN_ROWS, ID_LIKE_UNIQUE_SHARE
from sklearn_workflow.quality._profile import NULL_LIKE
from sklearn_workflow.utils._dataframe import (
    column_kind,
    column_names,
    factorize,
    get_column,
    guess_datetime_format,
    is_dataframe,
    is_date_strings,
    is_pandas,
    make_output,
    parse_datetime_column,
    to_datetime_series,
    to_float_array,
)
from sklearn_workflow.utils._param_validation import (
    Interval,
    StrOptions,
    _check_feature_names,
    get_output_container,
)

__all__ = [
    "CONVERSION_COLUMNS",
    "REPORT_COLUMNS",
    "TableCleaner",
    "finite_or_missing",
    "is_infinite",
    "parse_numbers",
]

# The words of a boolean column, (true, false), compared after strip() and lower().
BOOLEAN_PAIRS = (("yes", "no"), ("y", "n"), ("true", "false"), ("t", "f"))
# Free text: mostly distinct values with spaces, long or of several words.
TEXT_MIN_LENGTH = 25
TEXT_MIN_WORDS = 3
TEXT_UNIQUE_SHARE = 0.5
# Names and row labels: 2-3 capitalised words (Latin capitals) on nearly every
# distinct row.
NAME_SHARE = 0.9
# Spaces as a character class: pandas runs it in C++ on Arrow strings, where a
# backslash class (\s) would send every value through Python's re.
_SPACE = "[ \t\u00a0]"
_CAPITALISED = f"(?:^|{_SPACE})[A-ZÀ-ÖØ-Þ]"
_WORD = "[^ \t\u00a0]+"
# The types a column is converted to; the others keep their values as written.
CONVERTED_TYPES = ("numeric", "boolean", "datetime")
CONVERSION_COLUMNS = (
    "column",
    "type",
    "from",
    "to",
    "n_converted",
    "n_made_missing",
    "example",
    "missing_example",
    "message",
)
REPORT_COLUMNS = ("column", "type", "n_converted", "n_markers", "n_invalid", "example")

# A number as text: an optional sign, one currency sign before (the sign on either
# side of it) or after, thousands separators in groups of three, decimals, exponent,
# a trailing percent sign. ASCII digits only; at least one digit.
_DIGITS = r"(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)"
_DIGITS += r"(?:[eE][-+]?[0-9]+)?"
_NUMBER = (
    rf"^(?:(?:[-+]?[$€£]|[$€£]{_SPACE}*[-+]){_SPACE}*{_DIGITS}{_SPACE}*%?"
    rf"|[-+]?{_DIGITS}{_SPACE}*(?:[$€£]{_SPACE}*)?%?)$"
)
# What float() reads once the currency, separators, spaces and percent are gone.
_NOT_IN_FLOAT = r"[^0-9eE.+-]"
_TO = {"numeric": "float64", "boolean": "boolean"}
try:  # Arrow strings: the .str methods and the regular expressions run in C++
    import pyarrow  # noqa: F401

    _STRINGS = "string[pyarrow]"
except ImportError:  # pragma: no cover - pyarrow comes with pandas 3
    _STRINGS = object


def parse_numbers(strings):
    """Numbers written as text, parsed exactly; NaN where a value is not one.

    Parameters
    ----------
    strings : pandas Series of str
        Values with the surrounding spaces already stripped.

    Returns
    -------
    values : ndarray of float64
        ``float()`` of the value without its currency sign, percent sign and
        thousands separators (so exactly the float Python reads); NaN when the value
        is not a number, or is infinite.
    flags : dict of str to ndarray of bool
        Per value: ``"separator"`` (thousands separators), ``"currency"``,
        ``"percent"``, ``"leading_zero"`` (``007``: the digits are a code).

    Examples
    --------
    >>> import pandas as pd
    >>> values, flags = parse_numbers(pd.Series(["$1,234.5", "45%", "1,23", "-"]))
    >>> values
    array([1234.5,   45. ,    nan,    nan])
    >>> flags["percent"]
    array([False,  True, False, False])
    """
    strings = pd.Series(strings, dtype=_STRINGS).reset_index(drop=True)
    ok = strings.str.match(_NUMBER).to_numpy(dtype=bool, na_value=False)
    text = strings[ok].str.replace(_NOT_IN_FLOAT, "", regex=True)
    values = np.full(len(strings), np.nan)
    # float() of each string (numpy's cast calls it): correctly rounded.
    values[ok] = text.to_numpy(dtype=object).astype(np.float64)
    values[~np.isfinite(values)] = np.nan
    ok = ~np.isnan(values)
    flags = {
        "separator": strings.str.contains(",", regex=False),
        "currency": strings.str.contains("[$€£]"),
        "percent": strings.str.endswith("%"),
        "leading_zero": strings.str.match(f"^[-+$€£]*{_SPACE}*[-+]?0[0-9]"),
    }
    return values, {
        key: flag.to_numpy(dtype=bool, na_value=False) & ok
        for key, flag in flags.items()
    }


class _Distinct:
    """The distinct values of a column, their counts and their normalised forms.

    ``codes`` maps each row to its value (-1: missing); ``stripped`` holds the
    values as strings without surrounding spaces, ``key`` the same in lower case,
    ``marker`` whether a value is a missing marker and ``counts`` how many rows
    hold it.
    """

    def __init__(self, col, markers):
        self.codes, uniques = factorize(col)
        present = self.codes[self.codes >= 0]
        self.counts = np.bincount(present, minlength=len(uniques))
        self.all_strings = pd.api.types.infer_dtype(uniques) in ("string", "empty")
        self.raw = pd.Series(uniques, dtype=object)
        text = self.raw if self.all_strings else self.raw.astype(str)
        self.stripped = pd.Series(text, dtype=_STRINGS).str.strip()
        self.key = self.stripped.str.lower()
        self.marker = self.key.isin(markers).to_numpy(dtype=bool)

    def take(self, values, valid):
        """Per-row values (missing where the code is -1 or the value invalid)."""
        if isinstance(values, np.ndarray):
            values = np.where(valid, values, np.nan)
            return np.append(values, np.nan)[self.codes]
        values = values.copy()
        values[~valid] = pd.NaT
        return values.take(self.codes, allow_fill=True)

    def position(self, mask, prefer=None):
        """The first distinct value where ``mask`` holds (``prefer`` first)."""
        for candidates in (mask & prefer if prefer is not None else mask, mask):
            positions = np.flatnonzero(candidates)
            if positions.size:
                return int(positions[0])
        return None

    def first(self, mask, prefer=None):
        """That value as written, or None."""
        position = self.position(mask, prefer)
        return None if position is None else str(self.raw.iloc[position])


def _convert(distinct, kind, param):
    """Each distinct value converted to ``kind``, and whether it converted.

    Returns ``(values, valid, flags)``: float64 values (numeric; booleans as
    1.0/0.0) or a datetime array, one per distinct value; ``valid`` marks the
    values that converted; ``flags`` are :func:`parse_numbers`' (numeric only).
    """
    flags = {}
    if kind == "numeric":
        values, flags = parse_numbers(distinct.stripped)
    elif kind == "boolean":
        true, false = param
        values = np.where(distinct.key == true, 1.0, np.nan)
        values[(distinct.key == false).to_numpy()] = 0.0
    else:
        # one resolution whichever parser ran (pandas' or Arrow's fixed-width ISO)
        values = parse_datetime_column(distinct.stripped, param).array.as_unit("us")
    valid = ~np.asarray(pd.isna(values)) & ~distinct.marker
    return values, valid, flags


def _boolean_pair(distinct):
    """The (true, false) words the column's non-marker values use, or None."""
    words = distinct.key[~distinct.marker].unique()
    if len(words) > 2:
        return None
    words = set(words)
    for pair in BOOLEAN_PAIRS:
        if words and words <= set(pair):
            return pair
    return None


def _text_kind(distinct):
    """ "text", "id_like" or "categorical", and the numbers behind the choice."""
    keep = ~distinct.marker
    counts = distinct.counts[keep]
    values = distinct.stripped[keep].reset_index(drop=True)
    n, n_unique = int(counts.sum()), int(keep.sum())
    stats = {"n": n, "n_unique": n_unique, "unique_share": n_unique / max(n, 1)}
    if n < ID_LIKE_MIN_ROWS:
        return "categorical", stats
    words = values.str.count(_WORD).to_numpy(dtype=np.float64)
    capitalised = values.str.count(_CAPITALISED).to_numpy(dtype=np.float64)
    is_name = (capitalised == words) & (words >= 2) & (words <= 3)
    stats["length"] = float(values.str.len().to_numpy() @ counts / n)
    stats["words"] = float(words @ counts / n)
    spaced = float(values.str.contains(_SPACE).to_numpy(bool) @ counts / n)
    if (
        stats["unique_share"] >= NAME_SHARE
        and float(is_name @ counts / n) >= NAME_SHARE
        and stats["length"] < TEXT_MIN_LENGTH
    ):
        return "id_like", {**stats, "names": True}
    if (
        stats["unique_share"] >= TEXT_UNIQUE_SHARE
        and spaced >= 0.5
        and (stats["length"] >= TEXT_MIN_LENGTH or stats["words"] >= TEXT_MIN_WORDS)
    ):
        return "text", stats
    if n_unique >= ID_LIKE_UNIQUE_SHARE * n:
        return "id_like", {**stats, "names": False}
    return "categorical", stats


def _column_type(distinct, numeric_share, dayfirst):
    """The type of a text column and what its conversion needs.

    Returns ``(type, param, note)``: ``param`` is the (true, false) pair of a
    boolean column and the format of a date column; ``note`` the statistics or
    the reason that the message reports.
    """
    keep = ~distinct.marker
    n = int(distinct.counts[keep].sum())
    if n == 0:
        return "categorical", None, {"only_markers": True}
    pair = _boolean_pair(distinct)
    if pair is not None:
        return "boolean", pair, {}
    values, flags = parse_numbers(distinct.stripped[keep])
    parsed = ~np.isnan(values)
    if parsed @ distinct.counts[keep] >= numeric_share * n:
        if flags["leading_zero"].any():
            zero = str(
                distinct.raw[keep].iloc[np.flatnonzero(flags["leading_zero"])[0]]
            )
            return "categorical", None, {"leading_zero": zero}
        return "numeric", None, {}
    strings = distinct.stripped[keep]
    if is_date_strings(strings):
        fmt = guess_datetime_format(strings, dayfirst=dayfirst)
        if fmt is not None:
            return "datetime", fmt, {}
    kind, stats = _text_kind(distinct)
    return kind, None, stats


def _converted_message(kind, param, counts):
    """What was converted and what became missing, in one sentence."""
    if kind == "numeric":
        head = "numbers stored as text, read as float64"
    elif kind == "boolean":
        head = f"{param[0]}/{param[1]} values read as booleans"
    else:
        head = f"date strings read as datetimes with the format {param!r}"
    parts = [f"{head}: {counts['n_converted']:,} values converted"]
    if counts["example"] is not None:
        parts[0] += f" (e.g. {counts['example']!r} -> {counts['example_value']!r})"
    flags = counts["flags"]
    if flags.get("separator"):
        parts.append("thousands separators removed")
    if flags.get("currency"):
        parts.append("currency signs removed")
    if flags.get("percent"):
        parts.append("percent signs removed, values kept as written (45% -> 45.0)")
    if counts["n_markers"]:
        parts.append(
            f"{counts['n_markers']:,} missing markers made missing "
            f"(e.g. {counts['marker_example']!r})"
        )
    if counts["n_invalid"]:
        parts.append(
            f"{counts['n_invalid']:,} values that do not parse made missing "
            f"(e.g. {counts['invalid_example']!r})"
        )
    return "; ".join(parts) + "."


def _kept_message(kind, note, distinct):
    """Why a text column keeps its values as written."""
    if note.get("only_markers"):
        return "only missing markers: kept as written."
    if note.get("leading_zero"):
        return (
            f"numbers with leading zeros (e.g. {note['leading_zero']!r}) are codes: "
            "kept as text."
        )
    share = f"{note['unique_share']:.0%} distinct"
    if kind == "text":
        return (
            f"free text ({share}, {note['length']:.0f} characters and "
            f"{note['words']:.1f} words on average): kept as strings, for a text "
            "encoder."
        )
    if kind == "id_like":
        what = "names or row labels" if note["names"] else "an identifier"
        return f"looks like {what} ({share}): kept; drop it from the features."
    n_levels = len(distinct.raw)
    message = f"categorical: {n_levels:,} distinct values, kept as written"
    if distinct.marker.any():
        marker = distinct.first(distinct.marker)
        message += (
            f"; {marker!r} kept as a level (markers read as missing only in columns "
            "converted to numbers, booleans or dates)"
        )
    return message + "."


class TableCleaner(_ColumnTransformerMixin, TransformerMixin, BaseEstimator):
    """Give each text column the type its values hold: numbers, booleans, dates.

    A CSV file has no types: numbers come as ``" 1,234.5"``, ``"$12"`` or
    ``"45%"``, booleans as ``"Yes"``/``"No"``, dates as strings, and missing
    values as ``""``, ``" "``, ``"N/A"`` or ``"?"``. ``fit`` reads the distinct
    values of every text column (object, ``str`` or category dtype, polars
    ``String``) and decides its type, in this order:

    - ``"boolean"``: the values, stripped and lower-cased, are a subset of one
      of {yes, no}, {y, n}, {true, false}, {t, f} (besides missing markers);
    - ``"numeric"``: at least ``numeric_share`` of the values that are not
      missing markers parse as numbers once spaces, thousands separators (in
      groups of three), one currency sign ($, €, £, before or after) and a
      trailing ``%`` are removed. A percentage keeps the number as written
      (``"45%"`` reads 45.0, not 0.45). Numbers with a leading zero
      (``"02134"``) are codes: such a column stays categorical;
    - ``"datetime"``: ISO-8601 date strings (see ``is_date_strings``), parsed at
      transform with the format guessed at fit, strictly;
    - ``"text"``: free text, mostly distinct values with spaces, long (25
      characters on average) or of at least 3 words;
    - ``"id_like"``: names or row labels (2-3 capitalised words on 90% of the
      rows, 90% distinct), or values distinct on 99% of the rows (an identifier);
    - ``"categorical"`` otherwise.

    ``transform`` converts the ``"numeric"``, ``"boolean"`` and ``"datetime"``
    columns the same way and passes every other column through unchanged: the
    cleaner retypes, it never adds or drops a column. ``"text"`` and
    ``"id_like"`` are verdicts for the rest of the workflow (a text encoder,
    dropping the column), not conversions.

    An infinite number (a ratio over zero upstream, ``"inf"`` read by
    ``read_csv``, ``1e400`` in JSON) is read as missing in every numeric
    column, typed at fit or not, and counted as a value that is not valid: in
    :attr:`conversions_` at fit, as ``n_invalid`` at transform (with the
    ``on_invalid`` policy). No model step takes one.

    Parameters
    ----------
    numeric_share : float in (0, 1], default=0.95
        Share of a column's non-marker values that must parse as numbers for the
        column to become numeric. The others become missing and are counted in
        :attr:`conversions_`.
    missing_markers : array-like of str or None, default=None
        Strings that stand for a missing value, compared after ``strip()`` and
        ``lower()`` (so ``""`` also covers whitespace-only cells). None uses the
        package's list: "", "n/a", "na", "nan", "null", "none", "?", "-", "--",
        "missing", "#n/a".
    dayfirst : bool, default=False
        Read ambiguous dates such as ``03/04/2024`` as 3 April when guessing the
        format.
    on_invalid : {"warn", "raise", "ignore"}, default="warn"
        What ``transform`` does when a converted column holds values that do not
        parse (text in a numeric column, "maybe" in a yes/no column, a date in
        another format): they become missing and one
        :class:`~sklearn_workflow.exceptions.DataQualityWarning` names each
        column, the count and an example; ``"raise"`` raises
        :class:`~sklearn_workflow.exceptions.DataValidationError` instead (its
        ``violations`` attribute holds :meth:`transform_report`'s rows);
        ``"ignore"`` says nothing. ``fit_transform`` never warns: the training
        data's counts are in :attr:`conversions_`.

    Attributes
    ----------
    column_types_ : dict of str to str
        Type of every input column: "numeric", "boolean", "datetime", "text",
        "id_like" or "categorical" for a text column, "unchanged" for the others
        (already numeric, boolean or datetime, or text that is not all strings).
    conversions_ : DataFrame
        One row per text column, and per numeric column holding infinite
        numbers: ``column``, ``type``, ``from`` and ``to``
        (dtypes), ``n_converted`` (values that became numbers, booleans or
        dates), ``n_made_missing`` (missing markers and values that did not
        parse), ``example`` (a converted value as written, preferring one that
        needed cleaning), ``missing_example`` (a value made missing) and
        ``message``.
    datetime_formats_ : dict of str to str
        The format of each "datetime" column.
    boolean_values_ : dict of str to tuple of str
        The (true, false) words of each "boolean" column.
    n_features_in_ : int
        Number of columns seen at fit.
    feature_names_in_ : ndarray of str
        Their names, when X is a DataFrame whose column names are all strings.

    See Also
    --------
    pandas.to_numeric : ``pd.to_numeric(errors="coerce")`` turns the text it
        cannot read into NaN silently and reads neither ``"1,234"`` nor ``"$12"``;
        nothing is learned, so new data is not checked.
    skrub.Cleaner : Also converts numbers, dates and missing markers of a
        table; TableCleaner also reads thousands separators, currencies,
        percentages and yes/no booleans, names free text and identifiers, and
        counts the values of new data that no longer parse.

    Notes
    -----
    **Missing markers.** A marker becomes missing only in a column converted to
    numbers, booleans or dates, where the rest of the column says what the
    column holds: ``"-"`` is missing among numbers, but a level of its own in a
    column of codes such as ``"A-1"``, which is kept as written. Missing values
    (NaN, None, ``pd.NA``) stay missing everywhere.

    **Output types.** pandas: numeric columns are float64, boolean columns
    pandas' nullable ``"boolean"`` (missing stays ``pd.NA``), date columns
    ``datetime64[us]``. polars: Float64 (missing as null), Boolean, Datetime. numpy:
    an array of float64 when every column is numeric or boolean (booleans as
    1.0/0.0, missing as NaN), otherwise of objects; a numeric array passes
    through unchanged.

    **Columns at transform.** A fitted column missing from X, or columns in
    another order, raise scikit-learn's ``ValueError`` naming them. Extra columns
    of a DataFrame pass through unchanged at their place with the default
    output; with ``set_output`` the output holds exactly
    ``get_feature_names_out()``. A converted column that already has the
    target type (a float column where text was seen at fit) is only cast.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_workflow.quality import TableCleaner
    >>> X = pd.DataFrame({
    ...     "charges": ["29.85", "1,889.5", " ", "108.15"],
    ...     "churn": ["No", "Yes", "yes", None],
    ...     "code": ["A-1", "-", "B-2", "A-1"],
    ... })
    >>> cleaner = TableCleaner().fit(X)
    >>> cleaner.column_types_
    {'charges': 'numeric', 'churn': 'boolean', 'code': 'categorical'}
    >>> cleaner.transform(X)
       charges  churn code
    0    29.85  False  A-1
    1  1889.50   True    -
    2      NaN   True  B-2
    3   108.15   <NA>  A-1

    The blank cell is a missing marker in the numeric column; ``"-"`` stays a
    level among the codes. Text in the numeric column of new data becomes
    missing, and is counted:

    >>> import warnings
    >>> new = pd.DataFrame({"charges": ["$42", "unknown"], "churn": ["no", "no"],
    ...                     "code": ["C-3", "A-1"]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     out = cleaner.transform(new)
    >>> out["charges"].tolist()
    [42.0, nan]
    >>> print(caught[0].message)
    TableCleaner: 1 value in 'charges' (numeric) did not parse and became missing,
    e.g. 'unknown'.

    ``return_report=True`` gives the converted rows and the counts of
    :meth:`transform_report` from one pass (a server checks each request so):

    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     out, report = cleaner.transform(new, return_report=True)
    >>> report[["column", "n_invalid"]]
        column  n_invalid
    0  charges          1
    1    churn          0
    >>> report["example"].iloc[0]
    'unknown'
    """

    _parameter_constraints = {
        "numeric_share": [Interval(Real, 0, 1, closed="right")],
        "missing_markers": [None, "array-like"],
        "dayfirst": ["boolean"],
        "on_invalid": [StrOptions({"warn", "raise", "ignore"})],
    }

    def __init__(
        self,
        *,
        numeric_share=0.95,
        missing_markers=None,
        dayfirst=False,
        on_invalid="warn",
    ):
        self.numeric_share = numeric_share
        self.missing_markers = missing_markers
        self.dayfirst = dayfirst
        self.on_invalid = on_invalid

    def _markers(self):
        if self.missing_markers is None:
            return sorted(NULL_LIKE)
        markers = list(self.missing_markers)
        wrong = [m for m in markers if not isinstance(m, str)]
        if wrong:
            raise TypeError(
                f"missing_markers={self.missing_markers!r}: every marker must be a "
                f"string, got {wrong[0]!r}."
            )
        return sorted({m.strip().lower() for m in markers})

    # -- fit ----------------------------------------------------------------------

    def _learn(self, X):
        """Decide the type of every column and count what its conversion does."""
        markers = self._markers()
        self.column_types_, self.datetime_formats_, self.boolean_values_ = {}, {}, {}
        rows = []
        for position, name in enumerate(self._input_names()):
            col = self._column(X, position)
            distinct = _Distinct(col, markers) if _is_text(col) else None
            if distinct is None or not distinct.all_strings:
                self.column_types_[name] = "unchanged"
                rows.extend(_infinite_row(name, col))
                continue
            kind, param, note = _column_type(
                distinct, self.numeric_share, self.dayfirst
            )
            self.column_types_[name] = kind
            if kind == "boolean":
                self.boolean_values_[name] = param
            elif kind == "datetime":
                self.datetime_formats_[name] = param
            rows.append(self._conversion_row(name, col, distinct, kind, param, note))
        # Plain rows, not a DataFrame: the fitted state stays savable with skops.
        self._conversions = [tuple(row[c] for c in CONVERSION_COLUMNS) for row in rows]

    def _conversion_row(self, name, col, distinct, kind, param, note):
        dtype = str(col.dtype)
        row = {"column": name, "type": kind, "from": dtype, "to": dtype}
        if kind not in CONVERTED_TYPES:
            message = _kept_message(kind, note, distinct)
            return {**row, "n_converted": 0, "n_made_missing": 0, "example": None,
                    "missing_example": None, "message": message}  # fmt: skip
        counts, values = _counts(distinct, kind, param)
        row["to"] = _TO.get(kind, str(getattr(values, "dtype", "datetime64")))
        return {
            **row,
            "n_converted": counts["n_converted"],
            "n_made_missing": counts["n_markers"] + counts["n_invalid"],
            "example": counts["example"],
            "missing_example": counts["marker_example"] or counts["invalid_example"],
            "message": _converted_message(kind, param, counts),
        }

    # -- transform ----------------------------------------------------------------

    def transform(self, X, *, return_report=False):
        """Convert the columns typed at fit; pass the others through.

        Parameters
        ----------
        X : pandas or polars DataFrame, or array-like of shape (n_samples, n_features)
            Data with the columns seen at fit (a DataFrame may have more).
        return_report : bool, default=False
            Also return what :meth:`transform_report` returns, from the same
            pass over ``X`` (one conversion instead of two).

        Returns
        -------
        X_out : DataFrame or ndarray
            The same columns, the converted ones typed (see Notes). pandas in
            gives pandas out (same index), polars in gives polars out, arrays in
            give an array out, unless ``set_output`` asks otherwise.
        report : DataFrame
            Only with ``return_report=True``: the :meth:`transform_report` of
            ``X``.

        Raises
        ------
        DataValidationError
            With ``on_invalid="raise"``, when a converted column holds values
            that do not parse.
        """
        check_is_fitted(self)
        X, positions, converted, report = self._apply(X)
        self._signal(report)
        out = self._assemble(X, positions, converted)
        return (out, report) if return_report else out

    @property
    def conversions_(self):
        """One row per text column: its type, the counts converted and made
        missing, an example and the message (a DataFrame)."""
        check_is_fitted(self)
        return pd.DataFrame(self._conversions, columns=list(CONVERSION_COLUMNS))

    def fit_transform(self, X, y=None):
        """Fit, then convert ``X`` (without warning: see :attr:`conversions_`).

        Parameters
        ----------
        X : pandas or polars DataFrame, or array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        X_out : DataFrame or ndarray
            What ``fit(X).transform(X)`` returns.
        """
        self.fit(X, y)
        X, positions, converted, _ = self._apply(X)
        return self._assemble(X, positions, converted)

    def transform_report(self, X):
        """What ``transform`` would convert in ``X``, per converted column.

        Parameters
        ----------
        X : pandas or polars DataFrame, or array-like of shape (n_samples, n_features)

        Returns
        -------
        report : DataFrame
            One row per "numeric", "boolean" or "datetime" column, and per
            other numeric column holding infinite numbers: ``column``,
            ``type``, ``n_converted``, ``n_markers`` (missing markers made
            missing), ``n_invalid`` (values that did not parse or were
            infinite, made missing) and ``example`` (such a value, or None).
        """
        check_is_fitted(self)
        return self._apply(X)[3]

    def _names_out(self, names):
        return names

    def _apply(self, X):
        """Check ``X``; convert the typed columns; count per column."""
        X, positions = self._transform_input(X)
        markers = self._markers()
        converted, rows = {}, []
        for k, name in enumerate(self._input_names()):
            kind = self.column_types_[name]
            col = _read(X, positions[k])
            if kind not in CONVERTED_TYPES:
                found = finite_or_missing(col)
                if found is None:
                    continue
                values, counts = found
                kind = "numeric"
            else:
                values, counts = self._convert_column(col, kind, name, markers)
            converted[k] = values
            rows.append(
                {
                    "column": name,
                    "type": kind,
                    "n_converted": counts["n_converted"],
                    "n_markers": counts["n_markers"],
                    "n_invalid": counts["n_invalid"],
                    "example": counts["invalid_example"],
                }  # fmt: skip
            )
        report = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
        return X, positions, converted, report

    def _convert_column(self, col, kind, name, markers):
        """The column converted to ``kind`` (a Series) and its counts."""
        if column_kind(col) == kind:
            found = finite_or_missing(col) if kind == "numeric" else None
            if found is not None:  # numbers sent as numbers, some infinite
                return found
            values = _cast(col, kind)
            n = int((~pd.isna(values)).sum())
            counts = {"n_converted": n, "n_markers": 0, "n_invalid": 0}
            return values, {**counts, "invalid_example": None}
        param = self.boolean_values_.get(name) or self.datetime_formats_.get(name)
        counts, values = _counts(_Distinct(col, markers), kind, param)
        return pd.Series(values), counts

    def _transform_input(self, X):
        """``X`` checked, and the position in ``X`` of each fitted column.

        A DataFrame with extra columns keeps them (they pass through); missing
        or reordered fitted columns raise scikit-learn's feature-name error.
        """
        fitted = getattr(self, "feature_names_in_", None)
        if is_dataframe(X) and fitted is not None:
            names = column_names(X)
            known = set(fitted)
            if [n for n in names if n in known] != list(fitted):
                _check_feature_names(self, X, reset=False)
                raise ValueError(
                    f"X's columns {names} do not hold the columns seen at fit "
                    f"{list(fitted)}, each once and in this order."
                )
            if len(names) > len(fitted):
                self._check_input(X[list(fitted)], reset=False)
                return X, [names.index(n) for n in fitted]
        X = self._check_input(X, reset=False)
        return X, list(range(self.n_features_in_))

    def _signal(self, report):
        """Warn about (or raise on) the values that did not parse."""
        bad = report[report["n_invalid"] > 0]
        if self.on_invalid == "ignore" or not len(bad):
            return
        parts = [
            f"{row.n_invalid:,} value{'s' if row.n_invalid > 1 else ''} in "
            f"{row.column!r} ({row.type}) "
            + (
                _was(row.n_invalid, "infinite")
                if is_infinite(row.example)
                else "did not parse"
            )  # fmt: skip
            for row in bad.itertuples()
        ]
        examples = ", ".join(repr(e) for e in bad["example"])
        if self.on_invalid == "raise":
            raise DataValidationError(
                f"TableCleaner(on_invalid='raise'): {'; '.join(parts)}, e.g. "
                f"{examples}. Fix the values, or use on_invalid='warn' to read them "
                "as missing.",
                violations=bad.reset_index(drop=True),
            )
        warnings.warn(
            f"TableCleaner: {'; '.join(parts)} and became missing, e.g. {examples}.",
            DataQualityWarning,
            stacklevel=3,
        )

    def _assemble(self, X, positions, converted):
        """The output: converted columns in place, the others as they are.

        A DataFrame with the default output keeps all its columns (extra ones
        too); otherwise the output holds the fitted columns, named as
        ``get_feature_names_out`` names them.
        """
        container = get_output_container(self, "transform")
        named = hasattr(self, "feature_names_in_")
        if container == "default" and is_dataframe(X) and named:
            at = {positions[k]: values for k, values in converted.items()}
            keys = column_names(X)
            # pandas columns of a numpy dtype as their values (no re-indexing)
            plain = _plain_values if is_pandas(X) else (lambda values: values)
            columns = {key: plain(at.get(i, _read(X, i))) for i, key in enumerate(keys)}
            return make_output(self, X, columns)
        as_array = container == "default" and not is_dataframe(X)
        if as_array and not converted:
            return X
        columns = {}
        for k, name in enumerate(self._input_names()):
            values = converted.get(k)
            if values is None:
                values = _read(X, positions[k])
            elif as_array and self.column_types_[name] == "boolean":
                values = values.to_numpy(dtype=np.float64, na_value=np.nan)
            columns[name] = values
        return make_output(self, X, columns)


def _read(X, position):
    """The column at ``position`` of a DataFrame or 2-D array."""
    if is_dataframe(X):
        return get_column(X, column_names(X)[position])
    return X[:, position]


def _is_text(col):
    """Whether a column is text-like (strings, object, category)."""
    return column_kind(col) == "categorical"


def _cast(col, kind):
    """A column that already has the converted type, as the output's Series."""
    if kind == "numeric":
        return pd.Series(to_float_array(col))
    if kind == "boolean":
        values = to_float_array(col)
        return pd.Series(pd.arrays.BooleanArray(values == 1.0, np.isnan(values)))
    return to_datetime_series(col)


def finite_or_missing(col):
    """A float column with its infinite numbers made missing, and the counts.

    An infinite number in a table is a computation gone wrong upstream (a
    ratio over zero, an overflow, ``1e400`` in JSON): no model step takes it,
    so the cleaner reads it as missing and counts it as invalid, in every
    numeric column, typed at fit or not.

    Returns
    -------
    found : tuple or None
        ``(values, counts)`` (a float64 Series and the counts of
        :func:`_counts`) when ``col`` holds an infinite number; None otherwise
        (the column is left as it is).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> values, counts = finite_or_missing(pd.Series([1.0, np.inf, np.nan]))
    >>> values.tolist(), counts["n_invalid"], counts["invalid_example"]
    ([1.0, nan, nan], 1, inf)
    >>> finite_or_missing(pd.Series([1, 2])) is None
    True
    """
    kind = getattr(getattr(col, "dtype", None), "kind", None)
    if column_kind(col) != "numeric" or kind in ("i", "u"):  # integers: never
        return None
    values = to_float_array(col)
    infinite = np.isinf(values)
    if not infinite.any():
        return None
    example = float(values[infinite][0])
    values = pd.Series(np.where(infinite, np.nan, values))
    if isinstance(col, pd.Series):  # float32 and nullable Float64 stay so
        values = values.astype(col.dtype)
    counts = {
        "n_converted": int(values.notna().sum()),
        "n_markers": 0,
        "n_invalid": int(np.count_nonzero(infinite)),
        "invalid_example": example,
    }
    return values, counts


def _was(n, what):
    return f"{'was' if n == 1 else 'were'} {what}"


def is_infinite(value):
    """Whether one value is an infinite float (``inf``, ``-inf``)."""
    return isinstance(value, (float, np.floating)) and bool(np.isinf(value))


def _infinite_row(name, col):
    """The conversion row of a numeric column holding infinite numbers at fit
    (none when it holds none)."""
    found = finite_or_missing(col)
    if found is None:
        return []
    counts = found[1]
    dtype = str(col.dtype)
    n = counts["n_invalid"]
    message = (
        f"{n:,} infinite value{'s' if n > 1 else ''} made missing "
        f"(e.g. {counts['invalid_example']!r})."
    )
    return [{"column": name, "type": "numeric", "from": dtype, "to": "float64",
             "n_converted": 0, "n_made_missing": counts["n_invalid"],
             "example": None, "missing_example": counts["invalid_example"],
             "message": message}]  # fmt: skip


def _counts(distinct, kind, param):
    """Convert a column's distinct values; count per row what happened.

    Returns ``(counts, values)``: the counts and examples, and the per-row
    converted values (float64 array, BooleanArray or datetime array).
    """
    values, valid, flags = _convert(distinct, kind, param)
    counts = distinct.counts
    invalid = ~valid & ~distinct.marker
    cleaned = None
    if flags:
        cleaned = (flags["separator"] | flags["currency"] | flags["percent"]) | (
            distinct.stripped != distinct.raw
        ).to_numpy(dtype=bool)
    example, example_value = distinct.first(valid, cleaned), None
    if example is not None:
        example_value = values[distinct.position(valid, cleaned)]
        if kind == "datetime":
            example_value = str(example_value)
        else:
            example_value = float(example_value)
            example_value = bool(example_value) if kind == "boolean" else example_value
    per_row = distinct.take(values, valid)
    if kind == "boolean":
        per_row = pd.arrays.BooleanArray(per_row == 1.0, np.isnan(per_row))
    result = {
        "n_converted": int(counts[valid].sum()),
        "n_markers": int(counts[distinct.marker].sum()),
        "n_invalid": int(counts[invalid].sum()),
        "example": example,
        "example_value": example_value,
        "marker_example": distinct.first(distinct.marker),
        "invalid_example": distinct.first(invalid),
        "flags": {key: bool((flag & valid).any()) for key, flag in flags.items()},
    }
    return result, per_row
