"""Shared plumbing of the column-wise feature transformers.

``LogTransformer``, ``Binner``, ``RatioFeatures`` and ``GroupAggregator`` all read a
few named columns of a pandas DataFrame, a polars DataFrame or a 2-D array, compute
new columns on numpy arrays and pass every other column through. This module holds
what they share: input validation that keeps DataFrames as they are, resolving a
column given by name or position, reading a numeric column with a clear error, the
input names for ``get_feature_names_out`` and the assembly of the output container.
"""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import validate_data

from sklearn_workflow.utils._dataframe import (
    column_kind,
    column_names,
    get_column,
    is_dataframe,
    make_output,
    n_rows,
    to_float_array,
)

__all__ = []

NUMERIC_KINDS = ("numeric", "boolean")


def _is_position(key):
    return isinstance(key, Integral | np.integer) and not isinstance(
        key, bool | np.bool_
    )


def as_column_list(columns):
    """A single column key or a sequence of keys, as a list of keys."""
    if isinstance(columns, str) or _is_position(columns):
        return [columns]
    return list(columns)


class _FrameTransformerMixin:
    """Input checks, column lookup and output assembly for our column transformers.

    Columns are named by string (DataFrames) or by integer position (any input).
    Fitted transformers remember column positions; names come from
    ``feature_names_in_`` (or ``x0``, ``x1``, ... for arrays).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        # Columns that are not used pass through, whatever their type.
        tags.input_tags.string = True
        return tags

    def _check_input(self, X, *, reset):
        if is_dataframe(X):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if n_rows(X) == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a "
                    "minimum of 1 is required."
                )
            return X
        return validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=False)

    def _input_names(self, input_features=None):
        """Input feature names, validated like scikit-learn's transformers do."""
        names = getattr(self, "feature_names_in_", None)
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object)
            if names is not None and not np.array_equal(names, input_features):
                raise ValueError("input_features is not equal to feature_names_in_")
            if len(input_features) != self.n_features_in_:
                raise ValueError(
                    "input_features should have length equal to number of "
                    f"features ({self.n_features_in_}), got {len(input_features)}"
                )
            return [str(name) for name in input_features]
        if names is not None:
            return [str(name) for name in names]
        return [f"x{i}" for i in range(self.n_features_in_)]

    def _resolve_column(self, key, param):
        """Position of the column ``key`` (a name or an integer position)."""
        n_features = self.n_features_in_
        if _is_position(key):
            if not -n_features <= key < n_features:
                raise ValueError(
                    f"{param} names column {key!r}, but X has {n_features} feature(s)."
                )
            return int(key) % n_features
        if isinstance(key, str):
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                raise ValueError(
                    f"{param} names column {key!r}, but X has no string column "
                    "names (it is an array, or its column names are not all "
                    "strings); name columns by integer position."
                )
            matches = np.flatnonzero(names == key)
            if matches.size == 0:
                shown = ", ".join(repr(str(n)) for n in names[:20])
                more = ", ..." if len(names) > 20 else ""
                raise ValueError(
                    f"{param} names column {key!r}, which is not in X; X's columns "
                    f"are {shown}{more}."
                )
            return int(matches[0])
        raise TypeError(
            f"{param} must name columns by string or integer position, got {key!r}."
        )

    def _chosen_columns(self, X):
        """Positions named by ``columns`` (each once), or with ``columns=None``
        those of the numeric columns of ``X``."""
        if self.columns is None:
            return [
                i
                for i in range(self.n_features_in_)
                if column_kind(self._column(X, i)) == "numeric"
            ]
        chosen = (
            self._resolve_column(key, "columns") for key in as_column_list(self.columns)
        )
        return list(dict.fromkeys(chosen))

    def _column(self, X, position):
        if is_dataframe(X):
            return get_column(X, column_names(X)[position])
        return X[:, position]

    def _numeric_column(self, X, position, param):
        """Column as float64 (NaN for missing); errors name column and problem."""
        col = self._column(X, position)
        name = self._input_names()[position]
        kind = column_kind(col)
        if kind not in NUMERIC_KINDS:
            raise TypeError(
                f"{type(self).__name__}: column {name!r} given in {param} must be "
                f"numeric or boolean, got a {kind} column."
            )
        values = to_float_array(col)
        if np.isinf(values).any():
            raise ValueError(
                f"{type(self).__name__}: column {name!r} given in {param} contains "
                "infinity; replace it (by NaN, for a missing value) first."
            )
        return values

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

    def _output(self, X, names, values):
        """The output container for ``names`` and their column ``values``."""
        return make_output(self, X, dict(zip(names, values)))
