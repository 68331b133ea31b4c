"""Log transform of right-skewed numeric columns, with an offset learned at fit."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from sklearn_workflow.features._base import _ColumnTransformerMixin
from sklearn_workflow.features._partial import _MergeableFitMixin, numeric_matrix
from sklearn_workflow.scale._moments import MomentState
from sklearn_workflow.utils._param_validation import Hidden, Interval, StrOptions

__all__ = ["LogTransformer"]


def sample_skewness(values):
    """Adjusted Fisher-Pearson skewness of the non-missing values (as pandas).

    NaN with fewer than 3 values; 0 for a constant column.
    """
    x = values[~np.isnan(values)]
    n = x.size
    if n < 3:
        return np.nan
    centred = x - x.mean()
    m2 = np.mean(centred**2)
    if m2 <= 1e-14 * max(1.0, np.mean(x**2)):
        return 0.0
    m3 = np.mean(centred**3)
    g1 = m3 / m2**1.5
    return float(g1 * np.sqrt(n * (n - 1)) / (n - 2))


def _has_three_values(values):
    """Whether the column holds at least 3 distinct non-missing values."""
    low, high = np.nanmin(values), np.nanmax(values)
    return bool(((values > low) & (values < high)).any())


class LogTransformer(
    _MergeableFitMixin, _ColumnTransformerMixin, TransformerMixin, BaseEstimator
):
    """Log-transform right-skewed numeric columns: ``log1p(x + offset)``.

    The usual log transform of right-skewed distributions, as a fitted
    transformer. With ``columns=None`` it picks, at ``fit``, the numeric columns
    whose skewness exceeds ``skew_threshold``. For each chosen column it learns the
    minimum of the training data and an offset that makes that minimum
    non-negative, so ``log1p`` is defined; at ``transform`` values below the fitted
    minimum are clipped to it first, so new data never produces NaN or ``-inf``
    from a value the training data did not have. Every other column passes through
    unchanged.

    Parameters
    ----------
    columns : str, int, array-like of str or int, or None, default=None
        The columns to transform, by name (DataFrames) or integer position. None
        picks the numeric (not boolean) columns whose skewness at fit is greater
        than ``skew_threshold`` and that hold at least 3 distinct values (a 0/1
        indicator is skewed when rare, but it is not a right-skewed distribution).
    skew_threshold : float, default=1.0
        Skewness (the adjusted Fisher-Pearson coefficient, as pandas'
        ``DataFrame.skew``) above which a column is picked when ``columns=None``.
        Ignored when ``columns`` is given.
    offset : "auto" or float, default="auto"
        Added before ``log1p``. ``"auto"`` learns ``max(0, -min)`` from the
        training column, so a column with negative values starts at 0 and a
        non-negative column is unchanged (plain ``log1p``). A number is used as
        is; ``fit`` raises if it leaves the training minimum negative.
    drop_original : bool, default=True
        Replace each transformed column by its ``<column>_log``, at the same
        position; with False the original is kept, followed by its log column.
    keep_original : bool
        Deprecated: use ``drop_original`` (``keep_original=True`` is
        ``drop_original=False``). Setting it warns with a ``FutureWarning``.

    Attributes
    ----------
    columns_ : list of str
        Names of the transformed columns (``x0``, ``x1``, ... for arrays).
    column_indices_ : ndarray of int
        Their positions in the input.
    skewness_ : dict of str to float
        Skewness at fit of every candidate column (every numeric column when
        ``columns=None``, else the given columns); NaN with fewer than 3 values.
    min_ : ndarray of float
        Minimum of each transformed column at fit (NaN if it was all missing).
    offset_ : ndarray of float
        Offset added to each column before ``log1p``.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Input column names, when X has string column names.

    See Also
    --------
    feature_engine.transformation.LogTransformer : Natural log of the named columns
        in place; refuses zero or negative values instead of learning an offset,
        and does not pick skewed columns.
    sklearn.preprocessing.FunctionTransformer : ``FunctionTransformer(np.log1p)``
        applies a stateless function to every column; nothing is learned at fit.

    Notes
    -----
    Missing values (NaN, None, ``pd.NA``) stay missing in the output and are
    ignored when computing the skewness and the minimum. A column that was all
    missing at fit gives NaN at transform. Infinite values raise a ``ValueError``
    naming the column. Output columns are float64 and named ``<column>_log``.

    ``partial_fit(X)`` accumulates chunks of the training data and ``merge(other)``
    adds the chunks of another ``LogTransformer`` (same parameters, same input
    columns), so partitions can be fitted anywhere and combined
    (``sklearn_workflow.scale.fit_partitions``). Both keep the per-column moments
    of ``sklearn_workflow.scale`` (count, mean, centred sums of squares and cubes,
    minimum, smallest distinct values), so after any partitioning ``skewness_``
    equals that of one ``fit`` to a relative ``1e-12``, and the chosen columns,
    ``min_`` and ``offset_`` are the same. With ``columns=None`` the candidate
    columns are picked on the first chunk. A ``fit`` starts the accumulation over.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_workflow.features import LogTransformer
    >>> X = pd.DataFrame({
    ...     "amount": [1.0, 2.0, 3.0, 500.0, np.nan],
    ...     "age": [30, 41, 52, 63, 24],
    ... })
    >>> log = LogTransformer().fit(X)
    >>> log.columns_
    ['amount']
    >>> log.transform(X).round(3)
       amount_log  age
    0       0.693   30
    1       1.099   41
    2       1.386   52
    3       6.217   63
    4         NaN   24

    A negative value at transform is below the fitted minimum (1.0): it is clipped
    to it, not turned into NaN.

    >>> log.transform(pd.DataFrame({"amount": [-5.0], "age": [40]})).round(3)
       amount_log  age
    0       0.693   40

    With negative training values the learned offset shifts the minimum to zero:

    >>> shifted = LogTransformer(columns="t").fit(pd.DataFrame({"t": [-2.0, 0.0, 6.0]}))
    >>> shifted.offset_
    array([2.])
    >>> shifted.get_feature_names_out()
    array(['t_log'], dtype=object)

    Fitted chunk by chunk, or on two partitions merged, it learns what ``fit``
    learns on the whole table:

    >>> part = LogTransformer().partial_fit(X.iloc[:2]).partial_fit(X.iloc[2:])
    >>> other = LogTransformer().partial_fit(X.iloc[:3])
    >>> merged = other.merge(LogTransformer().partial_fit(X.iloc[3:]))
    >>> part.columns_, merged.columns_, merged.min_
    (['amount'], ['amount'], array([1.]))
    >>> bool(np.isclose(merged.skewness_["amount"], log.skewness_["amount"]))
    True
    """

    _parameter_constraints = {
        "columns": [None, str, Integral, "array-like"],
        "skew_threshold": [Interval(Real, None, None, closed="neither")],
        "offset": [StrOptions({"auto"}), Interval(Real, None, None, closed="neither")],
        "drop_original": ["boolean"],
        "keep_original": ["boolean", Hidden(StrOptions({"deprecated"}))],
    }

    def __init__(
        self,
        columns=None,
        *,
        skew_threshold=1.0,
        offset="auto",
        drop_original=True,
        keep_original="deprecated",
    ):
        self.columns = columns
        self.skew_threshold = skew_threshold
        self.offset = offset
        self.drop_original = drop_original
        self.keep_original = keep_original

    def _learn(self, X):
        """Pick the columns and learn their minimum and offset (exactly)."""
        names = self._input_names()
        candidates = self._selected_columns(X)
        values = numeric_matrix(self, X, candidates)
        self.skewness_ = {
            names[i]: sample_skewness(values[:, k]) for k, i in enumerate(candidates)
        }
        if self.columns is None:
            keep = [
                self.skewness_[names[i]] > self.skew_threshold  # NaN: never
                and _has_three_values(values[:, k])
                for k, i in enumerate(candidates)
            ]
        else:
            keep = [True] * len(candidates)
        minimum = np.array(
            [
                np.nan if np.isnan(values[:, k]).all() else np.nanmin(values[:, k])
                for k in np.flatnonzero(keep)
            ],
            dtype=np.float64,
        )
        self._state = self._chunk_state(X, candidates, values)
        self._state_columns = candidates
        self._set_chosen(np.asarray(candidates)[keep].tolist(), minimum)

    def _chunk_state(self, X, positions, values=None):
        """The moments of the candidate columns of ``X``."""
        if values is None:
            values = numeric_matrix(self, X, positions)
        return MomentState(len(positions)).update(values)

    def _learn_from_state(self):
        """Skewness, chosen columns and minimum from the accumulated moments."""
        names = self._input_names()
        candidates = self._state_columns
        stats = self._state.finalize()
        skewness = stats["skewness"]
        self.skewness_ = {names[i]: float(s) for i, s in zip(candidates, skewness)}
        if self.columns is None:
            with np.errstate(invalid="ignore"):
                keep = (skewness > self.skew_threshold) & stats["has_three_values"]
        else:
            keep = np.ones(len(candidates), dtype=bool)
        chosen = np.asarray(candidates, dtype=np.intp)[keep].tolist()
        self._set_chosen(chosen, stats["min"][keep].astype(np.float64))

    def _set_chosen(self, chosen, minimum):
        """The fitted attributes of the chosen columns, from their minimum."""
        names = self._input_names()
        self.column_indices_ = np.asarray(chosen, dtype=np.intp)
        self.columns_ = [names[i] for i in chosen]
        if self.offset == "auto":
            offset = np.where(np.isnan(minimum), 0.0, np.maximum(-minimum, 0.0))
        else:
            offset = np.full(len(chosen), float(self.offset))
            negative = minimum + offset < 0
            if negative.any():
                k = int(np.flatnonzero(negative)[0])
                raise ValueError(
                    f"offset={self.offset!r} leaves column {self.columns_[k]!r} "
                    f"negative (its minimum at fit is {float(minimum[k])!r}); use "
                    "offset='auto' or an offset of at least "
                    f"{-float(minimum[k])!r}."
                )
        self.min_ = minimum
        self.offset_ = offset
        self._check_unique_names(self.get_feature_names_out())

    def _transform(self, X):
        """``<column>_log`` in place of (or next to) each fitted column."""
        transformed = {}
        for k, i in enumerate(self.column_indices_):
            x = self._numeric_column(X, i, "columns")
            if np.isnan(self.min_[k]):
                transformed[int(i)] = [np.full(x.shape, np.nan)]
            else:
                shifted = np.maximum(x, self.min_[k]) + self.offset_[k]
                transformed[int(i)] = [np.log1p(shifted)]
        values = self._in_place(lambda i: self._column(X, i), transformed)
        return self._output(X, self.get_feature_names_out(), values)

    def _names_out(self, names):
        """``<column>_log`` for the transformed columns, in place (or next)."""
        logs = {int(i): [f"{names[i]}_log"] for i in self.column_indices_}
        return self._in_place(names.__getitem__, logs)
