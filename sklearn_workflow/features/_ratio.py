"""Ratios, products and differences of pairs of numeric columns."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from sklearn_workflow.features._base import _ColumnTransformerMixin
from sklearn_workflow.utils._param_validation import Interval, StrOptions

__all__ = ["RatioFeatures"]

_JOINERS = {"ratio": "per", "product": "x", "difference": "minus"}


class RatioFeatures(_ColumnTransformerMixin, TransformerMixin, BaseEstimator):
    """New columns from pairs of numeric columns: ratios, products or differences.

    The usual ratio and interaction features as one transformer:
    ``rooms_per_household = AveRooms / AveOccup.clip(0.1)``,
    ``sessions_per_day = num_sessions / account_age_days.clip(1)`` (ratios) and
    ``is_premium x tenure`` (an interaction, ``operation="product"``). The new
    columns are appended after all the input columns, which pass through.

    Parameters
    ----------
    pairs : array-like of (column, column) pairs
        Each pair ``(a, b)`` names two numeric or boolean columns, by name
        (DataFrames) or integer position, and makes one output column.
    operation : {"ratio", "product", "difference"}, default="ratio"
        ``a / b`` named ``<a>_per_<b>``, ``a * b`` named ``<a>_x_<b>``, or
        ``a - b`` named ``<a>_minus_<b>``.
    min_denominator : float > 0 or None, default=None
        For ratios: the denominator is raised to at least this value before
        dividing, as ``b.clip(0.1)`` does in pandas (so negative denominators are
        raised too: use it for counts and durations). None divides by ``b`` as is
        and gives NaN where ``b`` is 0. Ignored by the other operations.

    Attributes
    ----------
    pairs_ : list of tuple of str
        The pairs by column name (``x0``, ``x1``, ... for arrays).
    pair_indices_ : ndarray of int of shape (n_pairs, 2)
        Their column positions.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Input column names, when X has string column names.

    See Also
    --------
    feature_engine.creation.RelativeFeatures : Combines every variable with every
        reference (not chosen pairs); division by zero gives NaN or an error,
        with no clipping of the denominator.
    feature_engine.creation.MathFeatures : Sum, product, mean, ... of a group of
        columns into one new column.
    sklearn.preprocessing.PolynomialFeatures : Every product up to a degree, on
        every column of an array.

    Notes
    -----
    The output never holds an infinite value: a zero denominator (with
    ``min_denominator=None``) or an overflow gives NaN. Missing values (NaN, None,
    ``pd.NA``) in either column give NaN. Booleans count as 0 and 1. Infinite input
    values raise a ``ValueError`` naming the column. Nothing is learned at fit
    beyond the column positions, so ``fit`` checks that every pair names existing
    numeric columns.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_workflow.features import RatioFeatures
    >>> X = pd.DataFrame({
    ...     "sessions": [12, 3, 8, np.nan],
    ...     "days": [30, 0, 2, 10],
    ...     "premium": [True, False, True, True],
    ... })
    >>> RatioFeatures([("sessions", "days")], min_denominator=1).fit_transform(X)
       sessions  days  premium  sessions_per_days
    0      12.0    30     True                0.4
    1       3.0     0    False                3.0
    2       8.0     2     True                4.0
    3       NaN    10     True                NaN

    Without ``min_denominator`` a zero denominator gives NaN, never infinity:

    >>> RatioFeatures([("sessions", "days")]).fit_transform(X)[
    ...     "sessions_per_days"].tolist()
    [0.4, nan, 4.0, nan]

    An interaction, with the boolean column as 0 and 1:

    >>> RatioFeatures([("premium", "days")], operation="product").fit_transform(X)[
    ...     "premium_x_days"].tolist()
    [30.0, 0.0, 2.0, 10.0]
    """

    _parameter_constraints = {
        "pairs": ["array-like"],
        "operation": [StrOptions(set(_JOINERS))],
        "min_denominator": [None, Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, pairs, *, operation="ratio", min_denominator=None):
        self.pairs = pairs
        self.operation = operation
        self.min_denominator = min_denominator

    def _learn(self, X):
        """Check that every pair names two numeric columns of X."""
        names = self._input_names()
        pairs = self._resolve_pairs("pairs")
        self.pair_indices_ = np.asarray(pairs, dtype=np.intp).reshape(-1, 2)
        self.pairs_ = [(names[a], names[b]) for a, b in self.pair_indices_]
        for position in np.unique(self.pair_indices_):
            self._numeric_column(X, position, "pairs")
        self._check_unique_names(self.get_feature_names_out())

    def _combine(self, a, b):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.operation == "ratio":
                if self.min_denominator is not None:
                    b = np.maximum(b, self.min_denominator)  # NaN stays NaN
                result = a / b
            elif self.operation == "product":
                result = a * b
            else:
                result = a - b
        result[~np.isfinite(result)] = np.nan
        return result

    def _transform(self, X):
        """The input columns, then one float column per pair."""
        cache = {
            int(p): self._numeric_column(X, p, "pairs")
            for p in np.unique(self.pair_indices_)
        }
        values = [self._column(X, i) for i in range(self.n_features_in_)]
        values += [self._combine(cache[a], cache[b]) for a, b in self.pair_indices_]
        return self._output(X, self.get_feature_names_out(), values)

    def _names_out(self, names):
        """The input names, then ``<a>_<joiner>_<b>`` per pair."""
        joiner = _JOINERS[self.operation]
        return names + [
            f"{names[a]}_{joiner}_{names[b]}" for a, b in self.pair_indices_
        ]
