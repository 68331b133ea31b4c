"""Column selection, input validation and output plumbing of the feature transformers.

All six feature transformers read a few columns of a pandas DataFrame, a polars
DataFrame or a 2-D array, compute new columns on numpy arrays and pass every other
column through. ``_ColumnTransformerMixin`` holds what they share, so that a mistake
gets the same message whichever transformer meets it:

- input validation that keeps DataFrames as they are (``_check_input``);
- which columns a parameter names (``_selected_columns``, ``_resolve_column``,
  ``_resolve_pairs``), with ``columns=None`` meaning "the columns of my kind"
  through the ``_default_kinds`` hook (or an override of ``_default_columns``);
- reading a column of the right kind (``_check_kind``, ``_numeric_column``);
- the input names of ``get_feature_names_out`` (``_input_names``) and the output
  container (``_output``).

Every error about a column starts with the parameter and the value received,
``"<param>=<value>: "``, then names the column and what is wrong with it.
"""

import sys
import warnings
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_workflow.utils._dataframe import (
    _output_container,
    column_kind,
    column_names,
    get_column,
    is_dataframe,
    is_pandas,
    make_output,
    make_output_from_block,
    n_rows,
    to_float_array,
)
from sklearn_workflow.utils._param_validation import (
    _check_feature_names_in,
    _fit_context,
)

__all__ = []

NUMERIC_KINDS = ("numeric", "boolean")

# Kind words used in the messages.
_KIND_WORDS = {
    "numeric": "numeric",
    "boolean": "boolean",
    "categorical": "categorical (string)",
    "datetime": "datetime",
}


def _is_position(key):
    return isinstance(key, Integral | np.integer) and not isinstance(
        key, bool | np.bool_
    )


def as_column_list(columns):
    """A single column key or a sequence of keys, as a list of keys."""
    if isinstance(columns, str) or _is_position(columns):
        return [columns]
    return list(columns)


def _caller_stacklevel():
    """The stack level of the first caller outside this package and
    scikit-learn (and joblib), so that a warning points at the user's line."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] in (
        "sklearn_workflow",
        "sklearn",
        "joblib",
    ):
        frame, level = frame.f_back, level + 1
    return level


def _is_float_array(values):
    return (
        isinstance(values, np.ndarray)
        and values.ndim == 1
        and values.dtype == np.float64
    )


def _plain_values(column):
    """A Series' values when its dtype is a numpy number, boolean, date or
    duration dtype (the output column is the same); other columns as given."""
    dtype = getattr(column, "dtype", None)
    if (
        not isinstance(column, np.ndarray)
        and isinstance(dtype, np.dtype)
        and dtype.kind in "biufMm"
        and hasattr(column, "to_numpy")
    ):
        return column.to_numpy()
    return column


def _shown_names(names, limit=20):
    shown = ", ".join(repr(str(name)) for name in names[:limit])
    return shown + (", ..." if len(names) > limit else "")


class _ColumnTransformerMixin:
    """Input checks, column selection and output assembly of our transformers.

    Columns are named by string (DataFrames with string column names) or by
    integer position (any input). Fitted transformers remember column positions;
    names come from ``feature_names_in_`` (or ``x0``, ``x1``, ... otherwise).

    Hooks for the subclasses:

    - ``_learn(X)``: what ``fit`` learns, from the checked ``X``;
    - ``_transform(X)``: the output of ``transform``, from the checked ``X``;
    - ``_names_out(names)``: the output names, from the input names;
    - ``_default_kinds``: the column kinds (see ``column_kind``) that
      ``columns=None`` selects;
    - ``_default_columns(X)``: the positions ``columns=None`` selects, for a
      transformer whose rule is more than a list of kinds.
    """

    _default_kinds = ("numeric",)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        # Columns that are not used pass through, whatever their type.
        tags.input_tags.string = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn from the training data what ``transform`` needs.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted transformer.
        """
        self._warn_deprecated_keep_original()
        self._learn(self._check_input(X, reset=True))
        return self

    def transform(self, X):
        """Compute the new columns and pass the other columns through.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Data with the columns seen at fit.

        Returns
        -------
        X_out : DataFrame or ndarray
            The columns named by ``get_feature_names_out``. pandas in gives
            pandas out (same index), polars in gives polars out, arrays in give
            an array out, unless ``set_output`` asks otherwise.
        """
        check_is_fitted(self)
        return self._transform(self._check_input(X, reset=False))

    def get_feature_names_out(self, input_features=None):
        """Output column names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input names; by default ``feature_names_in_`` (or ``x0``, ``x1``,
            ... without it). When both are known they must be equal.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The names of the columns that ``transform`` returns, in order.
        """
        check_is_fitted(self)
        names = self._names_out(self._input_names(input_features))
        return np.asarray(names, dtype=object)

    # -- input ---------------------------------------------------------------------

    def _check_input(self, X, *, reset):
        """``X`` checked and counted by ``validate_data``; DataFrames stay as they
        are, and so do arrays of dates, strings or objects."""
        if not reset and self._same_columns_as_fit(X):
            # validate_data would find the same names, in the same order, and
            # the same number of columns: nothing left to check but the rows.
            if len(X) == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a "
                    f"minimum of 1 is required by {type(self).__name__}."
                )
            return X
        if is_dataframe(X):
            validate_data(self, X, reset=reset, skip_check_array=True)
        elif not sparse.issparse(X) and np.asarray(X).dtype.kind in "MOUS":
            X = np.asarray(X)
            if X.ndim != 2:
                raise ValueError(f"Expected 2D array, got {X.ndim}D array instead.")
            validate_data(self, X, reset=reset, skip_check_array=True)
        else:
            return validate_data(
                self, X, reset=reset, dtype=None, ensure_all_finite=False
            )
        if n_rows(X) == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of "
                f"1 is required by {type(self).__name__}."
            )
        return X

    def _same_columns_as_fit(self, X):
        """Whether ``X`` is a pandas DataFrame with exactly the string column
        names seen at fit, in the same order (what ``validate_data`` checks)."""
        names = getattr(self, "feature_names_in_", None)
        if names is None or not is_pandas(X):
            return False
        columns = X.columns
        return len(columns) == len(names) and columns.tolist() == names.tolist()

    def _input_names(self, input_features=None):
        """Input feature names, checked like scikit-learn's transformers do."""
        return [str(name) for name in _check_feature_names_in(self, input_features)]

    def _column(self, X, position):
        if is_dataframe(X):
            return get_column(X, column_names(X)[position])
        return X[:, position]

    # -- which columns a parameter names ----------------------------------------------

    def _column_error(self, param, problem, error=ValueError):
        """An error about a parameter: ``"<param>=<value>: <problem>"``."""
        return error(f"{param}={getattr(self, param)!r}: {problem}")

    def _resolve_column(self, key, param):
        """Position of the column ``key`` (a name or an integer position)."""
        n_features = self.n_features_in_
        if _is_position(key):
            if not -n_features <= key < n_features:
                raise self._column_error(
                    param,
                    f"column {key!r} is not in X, which has {n_features} feature(s).",
                )
            return int(key) % n_features
        if not isinstance(key, str):
            raise self._column_error(
                param,
                f"columns are named by string or integer position, got {key!r}.",
                TypeError,
            )
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            raise self._column_error(
                param,
                f"column {key!r} is not in X, which has no string column names (it "
                "is an array, or its column names are not all strings); name "
                "columns by integer position.",
            )
        matches = np.flatnonzero(names == key)
        if matches.size == 0:
            raise self._column_error(
                param,
                f"column {key!r} is not in X; X's columns are {_shown_names(names)}.",
            )
        return int(matches[0])

    def _resolve_columns(self, keys, param):
        """Positions of the columns ``keys`` names, each once, in the given order."""
        positions = [self._resolve_column(key, param) for key in as_column_list(keys)]
        if not positions:
            raise self._column_error(param, "it must name at least one column.")
        return list(dict.fromkeys(positions))

    def _resolve_pairs(self, param):
        """``(a, b)`` positions of each column pair the parameter names."""
        pairs = []
        for pair in getattr(self, param):
            if isinstance(pair, str) or np.ndim(pair) != 1 or len(pair) != 2:
                raise self._column_error(
                    param,
                    "expected a sequence of (a, b) column pairs such as "
                    f"[('a', 'b')], got the element {pair!r}.",
                )
            pairs.append(tuple(self._resolve_column(key, param) for key in pair))
        if not pairs:
            raise self._column_error(param, "it must name at least one column.")
        return pairs

    def _selected_columns(self, X, param="columns"):
        """Positions named by the parameter, or with ``None`` those that
        ``_default_columns`` picks (the columns of the transformer's kind)."""
        keys = getattr(self, param)
        if keys is None:
            return self._default_columns(X)
        return self._resolve_columns(keys, param)

    def _default_columns(self, X):
        """Positions of the columns whose kind is among ``_default_kinds``."""
        return [
            position
            for position in range(self.n_features_in_)
            if column_kind(self._column(X, position)) in self._default_kinds
        ]

    def _warn_left_alone(self, names, reason, fix):
        """Warn at fit that the columns ``names`` pass through unchanged:
        ``reason`` says why, ``fix`` (a sentence) which parameter changes it."""
        warnings.warn(
            f"{type(self).__name__} leaves the column(s) {_shown_names(names)} "
            f"unchanged: {reason}. {fix}.",
            UserWarning,
            stacklevel=_caller_stacklevel(),
        )

    # -- reading a column -------------------------------------------------------------

    def _check_kind(self, X, position, param, kinds):
        """The column at ``position``; a ``TypeError`` unless its kind is in
        ``kinds``."""
        col = self._column(X, position)
        kind = column_kind(col)
        if kind not in kinds:
            needed = " or ".join(_KIND_WORDS[k] for k in kinds)
            raise self._column_error(
                param,
                f"column {self._input_names()[position]!r} is a "
                f"{_KIND_WORDS.get(kind, kind)} column; {type(self).__name__} needs "
                f"a {needed} column there.",
                TypeError,
            )
        return col

    def _numeric_column(self, X, position, param):
        """Column as float64 (NaN for missing); errors name column and problem."""
        values = to_float_array(self._check_kind(X, position, param, NUMERIC_KINDS))
        if np.isinf(values).any():
            raise self._column_error(
                param,
                f"column {self._input_names()[position]!r} contains infinity; "
                "replace it (by NaN, for a missing value) first.",
            )
        return values

    # -- output -----------------------------------------------------------------------

    def _check_unique_names(self, names_out):
        names, counts = np.unique(
            np.asarray(names_out, dtype=object), return_counts=True
        )
        clashes = [str(n) for n in names[counts > 1]]
        if clashes:
            raise ValueError(
                f"{type(self).__name__} would output duplicate column names "
                f"{clashes}; an output name clashes with an input column. Rename "
                "the input column or drop it first."
            )

    def _warn_deprecated_keep_original(self):
        if getattr(self, "keep_original", "deprecated") != "deprecated":
            warnings.warn(
                f"{type(self).__name__}: keep_original is deprecated and will be "
                "removed; use drop_original (keep_original="
                f"{self.keep_original!r} is drop_original="
                f"{not self.keep_original!r}).",
                FutureWarning,
                stacklevel=4,
            )

    def _drops_original(self):
        """``drop_original``, or the opposite of the deprecated ``keep_original``
        when that is set."""
        keep = getattr(self, "keep_original", "deprecated")
        return self.drop_original if keep == "deprecated" else not keep

    def _in_place(self, original, replaced):
        """One entry per input column, ``original(position)``, where the lists
        ``replaced[position]`` of the transformed columns take its place (or
        follow it, unless ``drop_original``)."""
        out = []
        keep = not self._drops_original()
        for position in range(self.n_features_in_):
            new = replaced.get(position)
            if new is None or keep:
                out.append(original(position))
            if new is not None:
                out.extend(new)
        return out

    def _output(self, X, names, values):
        """The output container for ``names`` and their column ``values``."""
        values = list(values)
        container = _output_container(self, "transform", X)
        if container == "polars":
            return make_output(self, X, dict(zip(names, values)))
        if all(_is_float_array(v) for v in values):
            # New float columns only: one block, wrapped without a per-column
            # DataFrame construction.
            block = np.empty((len(values), n_rows(X)))
            for row, column in zip(block, values):
                row[:] = column
            return make_output_from_block(self, X, {}, list(names), block)
        # Passthrough columns of a plain numpy dtype as their values: the same
        # output column, without re-indexing each Series.
        values = [_plain_values(v) for v in values]
        return make_output(self, X, dict(zip(names, values)))
