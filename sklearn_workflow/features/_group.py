"""Per-group statistics learned at fit and looked up at transform."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from sklearn_workflow.features._base import (
    NUMERIC_KINDS,
    _ColumnTransformerMixin,
)
from sklearn_workflow.features._partial import _MergeableFitMixin
from sklearn_workflow.scale._categories import CategoryTargetState
from sklearn_workflow.utils._dataframe import (
    column_kind,
    factorize,
    to_object_array,
)
from sklearn_workflow.utils._param_validation import StrOptions

__all__ = ["GroupAggregator"]

AGGREGATIONS = ("count", "max", "mean", "median", "min", "nunique", "std", "sum", "var")
# Aggregations that partial_fit and merge compute (mergeable across partitions).
PARTIAL_AGGREGATIONS = ("count", "sum", "mean", "std", "var", "min", "max")
# Aggregations that also work on non-numeric columns.
_ANY_KIND = ("count", "nunique")
# Value of a group without training rows: what an unseen group gets with "global".
_EMPTY_GROUP = {"count": 0.0, "sum": 0.0, "nunique": 0.0}


def group_statistics(groups, values, n_groups, aggregations):
    """Statistics of ``values`` per group, vectorised.

    ``bincount`` for count, sum, mean, std and var, ``ufunc.at`` for min and max
    and one sort of (group, value) for median and nunique.

    Parameters
    ----------
    groups : ndarray of int of shape (n_samples,)
        Group of each row, in ``0 .. n_groups - 1``.
    values : ndarray of float of shape (n_samples,)
        NaN marks a missing value; missing values are skipped, as pandas does.
    n_groups : int
    aggregations : sequence of str
        Names from ``AGGREGATIONS``.

    Returns
    -------
    statistics : dict of str to ndarray of shape (n_groups,)
        ``count``, ``sum`` and ``nunique`` are 0 for a group without values, the
        others NaN; ``std`` and ``var`` use ``ddof=1`` (NaN for a single value).
    """
    present = ~np.isnan(values)
    if present.all():
        g, x = groups, values
    else:
        g, x = groups[present], values[present]
    count = np.bincount(g, minlength=n_groups).astype(np.float64)
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.bincount(g, weights=x, minlength=n_groups)
        mean = total / count
        if {"std", "var"} & set(aggregations):
            deviation = x - mean[g]
            squares = np.bincount(g, weights=deviation * deviation, minlength=n_groups)
            var = np.where(count > 1, squares / (count - 1), np.nan)
    if "min" in aggregations:
        minimum = np.full(n_groups, np.inf)
        np.minimum.at(minimum, g, x)
        minimum[count == 0] = np.nan
    if "max" in aggregations:
        maximum = np.full(n_groups, -np.inf)
        np.maximum.at(maximum, g, x)
        maximum[count == 0] = np.nan
    if {"median", "nunique"} & set(aggregations):
        order = np.lexsort((x, g))
        g_sorted, x_sorted = g[order], x[order]
    for agg in aggregations:
        if agg == "count":
            out[agg] = count
        elif agg == "sum":
            out[agg] = total
        elif agg == "mean":
            out[agg] = mean
        elif agg == "var":
            out[agg] = var
        elif agg == "std":
            out[agg] = np.sqrt(var)
        elif agg == "min":
            out[agg] = minimum
        elif agg == "max":
            out[agg] = maximum
        elif agg == "median":
            n = count.astype(np.intp)
            start = np.searchsorted(g_sorted, np.arange(n_groups), side="left")
            padded = np.append(x_sorted, np.nan)  # empty groups point past the end
            low = np.where(n > 0, start + (n - 1) // 2, x_sorted.size)
            high = np.where(n > 0, start + n // 2, x_sorted.size)
            out[agg] = (padded[low] + padded[high]) / 2
        else:  # nunique
            new = np.ones(x_sorted.size, dtype=bool)
            new[1:] = (np.diff(x_sorted) != 0) | (np.diff(g_sorted) != 0)
            out[agg] = np.bincount(g_sorted[new], minlength=n_groups).astype(np.float64)
    return out


def _use_table(n_codes, n_rows):
    # A dense code -> group table is O(n_codes); sorting is O(n_rows log n_rows).
    return n_codes <= 4 * n_rows + 4096


def _compact(combined, n_codes):
    """The sorted distinct codes of ``combined`` and each row's rank among them."""
    if _use_table(n_codes, combined.size):
        step = np.flatnonzero(np.bincount(combined, minlength=n_codes))
        table = np.full(n_codes, -1, dtype=np.intp)
        table[step] = np.arange(step.size)
        return step, table[combined]
    step, inverse = np.unique(combined, return_inverse=True)
    return step, inverse.reshape(-1)


def _locate(step, combined, n_codes):
    """Rank of each code of ``combined`` in the sorted ``step``, -1 if absent."""
    if _use_table(n_codes, combined.size):
        table = np.full(n_codes, -1, dtype=np.intp)
        table[step] = np.arange(step.size)
        return table[combined]
    where = np.minimum(np.searchsorted(step, combined), len(step) - 1)
    return np.where(step[where] == combined, where, -1)


def _lookup(col, uniques):
    """Position of each value of ``col`` among ``uniques``.

    ``len(uniques)`` for a missing value (the missing group), -1 for a value that is
    not among ``uniques``. Only the distinct values are matched, not the rows.
    """
    codes, seen = factorize(col)
    k = len(uniques)
    if len(seen):
        joint, _ = factorize(np.concatenate([uniques, seen]))
        mapped = joint[k:]
        mapped = np.where(mapped < k, mapped, -1)
    else:
        mapped = np.zeros(1, dtype=np.int64)
    return np.where(codes < 0, k, mapped[np.maximum(codes, 0)])


def _by_column(specs):
    """``{position: [aggregation, ...]}`` of the ``(position, aggregation)`` specs."""
    by_column = {}
    for position, agg in specs:
        by_column.setdefault(position, []).append(agg)
    return by_column


class _GroupState:
    """Mergeable state of ``GroupAggregator``: the keys of every row, and per
    aggregated column the count, sum, centred sum of squares, minimum and maximum
    of its non-missing values per key."""

    def __init__(self, keys, columns):
        self.keys = keys
        self.columns = columns

    def merge(self, other):
        merged = {p: s.merge(other.columns[p]) for p, s in self.columns.items()}
        return _GroupState(self.keys.merge(other.keys), merged)


def _cell_statistics(cells, categories, n_groups):
    """Per-group statistics of one column from its cells (``finalize()``).

    The cells cover the keys with a value of the column; a group of
    ``categories`` (and the missing key, last) without one gets the statistics
    of an empty group.
    """
    rows = pd.Index(categories).get_indexer(cells["categories"])
    rows = np.append(rows, len(categories))  # the missing-key cell, last
    used = rows < n_groups  # no missing-key group: its cell is empty
    count = np.zeros(n_groups)
    total = np.zeros(n_groups)
    m2 = np.zeros(n_groups)
    low = np.full(n_groups, np.nan)
    high = np.full(n_groups, np.nan)
    count[rows[used]] = cells["count"][used, 0]
    total[rows[used]] = cells["sums"][used, 0, 0]
    m2[rows[used]] = cells["m2"][used, 0]
    low[rows[used]] = cells["min"][used, 0]
    high[rows[used]] = cells["max"][used, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
        var = np.where(count > 1, m2 / (count - 1), np.nan)
    return {
        "count": count,
        "sum": total,
        "mean": mean,
        "var": var,
        "std": np.sqrt(var),
        "min": low,
        "max": high,
    }


class GroupAggregator(
    _MergeableFitMixin, _ColumnTransformerMixin, TransformerMixin, BaseEstimator
):
    """Statistics of the group each row belongs to, learned on the training data.

    The "aggregation" strategy (customer to average purchase, total visits)
    as a fitted transformer: ``fit`` computes, per group of the ``by`` column(s),
    statistics of other columns on the training rows; ``transform`` looks up the
    statistics of each row's group. The test rows never contribute to the
    statistics, so the features can be cross-validated without leakage. The new
    columns are appended after all the input columns, which pass through.

    Parameters
    ----------
    by : str, int or array-like of str or int
        The column(s) whose values form the groups, by name (DataFrames) or
        integer position; several columns group by their combination. Any column
        kind works (strings, categories, numbers, booleans, dates).
    aggregations : dict
        ``{column: aggregation or tuple of aggregations}``, for example
        ``{"purchase_amount": ("mean", "sum", "count"), "num_sessions": "max"}``.
        Aggregations: ``"count"`` (non-missing values), ``"sum"``, ``"mean"``,
        ``"median"``, ``"min"``, ``"max"``, ``"std"`` and ``"var"`` (``ddof=1``, as
        pandas) and ``"nunique"``. ``"count"`` and ``"nunique"`` work on any
        column, the others need a numeric or boolean column.
    handle_unknown : {"global", "nan", "error"}, default="global"
        What a row of a group not seen at fit gets. ``"global"``: for ``mean``,
        ``median``, ``min``, ``max``, ``std`` and ``var`` the statistic of the
        whole training column, and for ``count``, ``sum`` and ``nunique`` 0, the
        value of a group without training rows. ``"nan"``: NaN. ``"error"``: a
        ``ValueError`` naming an unseen group.

    Attributes
    ----------
    by_ : list of str
        Names of the grouping columns (``x0``, ``x1``, ... for arrays).
    by_indices_ : ndarray of int
        Their positions.
    aggregations_ : list of tuple of (str, str)
        ``(column name, aggregation)`` of each output column, in output order.
    aggregation_indices_ : ndarray of int
        Input position of the column of each output column.
    n_groups_ : int
        Number of groups seen at fit (missing keys included).
    statistics_ : ndarray of shape (n_groups_, n_outputs)
        The statistics of every group.
    unknown_values_ : ndarray of shape (n_outputs,)
        What a row of an unseen group gets (see ``handle_unknown``).
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Input column names, when X has string column names.

    See Also
    --------
    pandas.DataFrame.groupby : ``df.groupby(by)[col].transform("mean")`` computes
        the same on one table; applying training statistics to new data needs a
        ``merge`` by hand, outside any scikit-learn pipeline.
    feature_engine.creation.MathFeatures : Combines columns within a row; it has
        no group statistics learned at fit (an open feature request of
        feature_engine, its GitHub issues 290 and 460).

    Notes
    -----
    A missing key (NaN, None, ``pd.NA``, NaT) forms a group of its own, like
    ``groupby(dropna=False)``; at transform, a missing key gets that group's
    statistics, or is an unseen group if no key was missing at fit. Missing
    values of the aggregated columns are skipped, as pandas does. Output columns
    are float64, named ``<column>_<aggregation>_by_<by>`` (several ``by`` columns
    joined by ``_``). The statistics of a row include the row itself at
    ``fit_transform``; do not aggregate the target.

    ``partial_fit(X)`` accumulates chunks of the training data and
    ``merge(other)`` adds the chunks of another ``GroupAggregator`` (same
    parameters, same input columns), so partitions can be fitted anywhere and
    combined (``sklearn_workflow.scale.fit_partitions``). They keep, per key and
    aggregated column, the count, sum, centred sum of squares, minimum and
    maximum of the non-missing values, so they compute ``"count"``, ``"sum"``,
    ``"mean"``, ``"std"``, ``"var"``, ``"min"`` and ``"max"``: counts, minima and
    maxima exactly, the others to a relative ``1e-12`` of ``fit``. ``"median"``
    and ``"nunique"`` need every value of a group and are refused, and so is a
    ``by`` of several columns (combine them into one first). After a partial
    fit the groups (rows of ``statistics_``) are in sorted key order, the
    missing key last, instead of in order of first appearance. A ``fit``
    forgets the accumulated state: a ``partial_fit`` after it starts over.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_workflow.features import GroupAggregator
    >>> train = pd.DataFrame({
    ...     "city": ["Paris", "Paris", "Tokyo", None],
    ...     "purchase_amount": [10.0, 30.0, 5.0, 8.0],
    ... })
    >>> agg = GroupAggregator("city", {"purchase_amount": ("mean", "count")})
    >>> agg.fit(train).get_feature_names_out()
    array(['city', 'purchase_amount', 'purchase_amount_mean_by_city',
           'purchase_amount_count_by_city'], dtype=object)

    Berlin was not seen at fit: it gets the training mean and a count of 0.
    A missing city was seen at fit, as a group of its own.

    >>> test = pd.DataFrame({"city": ["Tokyo", "Berlin", None],
    ...                      "purchase_amount": [1.0, 2.0, 3.0]})
    >>> agg.transform(test).iloc[:, 2:].to_numpy()
    array([[ 5.  ,  1.  ],
           [13.25,  0.  ],
           [ 8.  ,  1.  ]])

    Two partitions fitted apart and merged transform as ``fit`` on the whole:

    >>> part = GroupAggregator("city", {"purchase_amount": ("mean", "count")})
    >>> merged = part.partial_fit(train.iloc[:2]).merge(
    ...     GroupAggregator("city", {"purchase_amount": ("mean", "count")})
    ...     .partial_fit(train.iloc[2:])
    ... )
    >>> merged.transform(test).equals(agg.transform(test))
    True
    """

    _parameter_constraints = {
        "by": [str, Integral, "array-like"],
        "aggregations": [dict],
        "handle_unknown": [StrOptions({"global", "nan", "error"})],
    }

    def __init__(self, by, aggregations, *, handle_unknown="global"):
        self.by = by
        self.aggregations = aggregations
        self.handle_unknown = handle_unknown

    def _parse_aggregations(self):
        if not self.aggregations:
            raise self._column_error(
                "aggregations", "it must name at least one column."
            )
        specs = []
        for key, aggs in self.aggregations.items():
            position = self._resolve_column(key, "aggregations")
            aggs = (aggs,) if isinstance(aggs, str) else tuple(aggs)
            if not aggs:
                raise ValueError(
                    f"aggregations[{key!r}] names no aggregation, got {aggs!r}."
                )
            for agg in aggs:
                if agg not in AGGREGATIONS:
                    raise ValueError(
                        f"aggregations[{key!r}] has the unknown aggregation {agg!r}; "
                        f"choose from {list(AGGREGATIONS)}."
                    )
            for agg in dict.fromkeys(aggs):
                specs.append((position, agg))
        return specs

    def _values(self, X, position, aggs):
        """Column as floats: the numbers, or factorized codes for other kinds."""
        if any(agg not in _ANY_KIND for agg in aggs):
            return self._numeric_column(X, position, "aggregations")
        col = self._column(X, position)
        if column_kind(col) in NUMERIC_KINDS:
            return self._numeric_column(X, position, "aggregations")
        codes, _ = factorize(col)
        return np.where(codes < 0, np.nan, codes.astype(np.float64))

    def _overall(self, values, aggs):
        """What a row of an unseen group gets, per aggregation of one column."""
        if self.handle_unknown == "nan":
            return dict.fromkeys(aggs, np.nan)
        present = values[~np.isnan(values)]
        out = {}
        for agg in aggs:
            if agg in _EMPTY_GROUP:
                out[agg] = _EMPTY_GROUP[agg]
            elif present.size == 0 or (agg in ("std", "var") and present.size < 2):
                out[agg] = np.nan
            elif agg == "mean":
                out[agg] = present.mean()
            elif agg == "median":
                out[agg] = np.median(present)
            elif agg == "min":
                out[agg] = present.min()
            elif agg == "max":
                out[agg] = present.max()
            else:
                var = present.var(ddof=1)
                out[agg] = np.sqrt(var) if agg == "std" else var
        return out

    def _learn(self, X):
        """Compute the statistics of every group of the training data."""
        self.__dict__.pop("_state", None)  # fit keeps no mergeable state
        by = self._selected_columns(X, "by")
        specs = self._parse_aggregations()

        # Group ids: combine the codes of the key columns one at a time, keeping
        # the sorted combined codes of each step to replay the lookup at transform.
        key_uniques, steps, groups = [], [], None
        for position in by:
            codes, uniques = factorize(self._column(X, position))
            size = len(uniques) + 1  # the last code is the missing key
            missing = codes < 0
            if missing.any():
                codes = np.where(missing, len(uniques), codes)
            if groups is None:
                # factorize gives every code 0 .. k-1 at least one row: already dense.
                n_codes = size if missing.any() else size - 1
                step, groups = np.arange(n_codes), codes
            else:
                combined = groups * size + codes
                step, groups = _compact(combined, len(steps[-1]) * size)
            key_uniques.append(uniques)
            steps.append(step)
        n_groups = len(steps[-1])

        statistics = np.empty((n_groups, len(specs)), dtype=np.float64)
        unknown = np.empty(len(specs), dtype=np.float64)
        for position, aggs in _by_column(specs).items():
            values = self._values(X, position, aggs)
            per_group = group_statistics(groups, values, n_groups, aggs)
            overall = self._overall(values, aggs)
            for j, spec in enumerate(specs):
                if spec[0] == position:
                    statistics[:, j] = per_group[spec[1]]
                    unknown[j] = overall[spec[1]]

        self._key_uniques = key_uniques
        self._steps = steps
        self._set_fitted(by, specs, statistics, unknown)

    def _set_fitted(self, by, specs, statistics, unknown):
        """The fitted attributes, from the per-group statistics."""
        names = self._input_names()
        self.by_indices_ = np.asarray(by, dtype=np.intp)
        self.by_ = [names[i] for i in by]
        self.aggregation_indices_ = np.asarray([p for p, _ in specs], dtype=np.intp)
        self.aggregations_ = [(names[p], agg) for p, agg in specs]
        self.n_groups_ = statistics.shape[0]
        self.statistics_ = statistics
        self.unknown_values_ = unknown
        self._check_unique_names(self.get_feature_names_out())

    def _state_positions(self, X):
        """The ``by`` column, then each aggregated column (checked)."""
        by = self._selected_columns(X, "by")
        if len(by) != 1:
            raise self._column_error(
                "by",
                "partial_fit and merge group by one column; got "
                f"{len(by)}. Combine the key columns into one first.",
            )
        specs = self._parse_aggregations()
        refused = sorted({agg for _, agg in specs} - set(PARTIAL_AGGREGATIONS))
        if refused:
            raise self._column_error(
                "aggregations",
                f"{refused!r} cannot be merged across partitions (they need every "
                f"value of a group); partial_fit and merge compute "
                f"{list(PARTIAL_AGGREGATIONS)}. Use fit for the others.",
            )
        return by + list(_by_column(specs))

    def _chunk_state(self, X, positions):
        """The group keys of ``X`` and, per aggregated column, its group sums."""
        specs = self._parse_aggregations()
        keys = to_object_array(self._column(X, positions[0]))
        columns = {}
        for position, aggs in _by_column(specs).items():
            values = self._values(X, position, aggs)
            present = ~np.isnan(values)
            state = CategoryTargetState("continuous", extremes=True)
            columns[position] = state.update(keys[present], values[present])
        return _GroupState(CategoryTargetState().update(keys), columns)

    def _learn_from_state(self):
        """Per-group statistics from the merged group sums."""
        specs = self._parse_aggregations()
        keys = self._state.keys.finalize()
        categories = keys["categories"]
        n_groups = len(categories) + int(keys["count"][-1, 0] > 0)
        statistics = np.empty((n_groups, len(specs)), dtype=np.float64)
        unknown = np.empty(len(specs), dtype=np.float64)
        for position, aggs in _by_column(specs).items():
            cells = self._state.columns[position].finalize()
            per_group = _cell_statistics(cells, categories, n_groups)
            overall = self._overall_from_cells(cells, aggs)
            for j, spec in enumerate(specs):
                if spec[0] == position:
                    statistics[:, j] = per_group[spec[1]]
                    unknown[j] = overall[spec[1]]
        self._key_uniques = [categories]
        self._steps = [np.arange(n_groups)]
        self._set_fitted(self._state_columns[:1], specs, statistics, unknown)

    def _overall_from_cells(self, cells, aggs):
        """``_overall`` from the group sums: the statistics of the whole column."""
        if self.handle_unknown == "nan":
            return dict.fromkeys(aggs, np.nan)
        count = cells["count"][:, 0].astype(np.float64)
        total, n = cells["sums"][:, 0, 0], count.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total.sum() / n
            shift = np.where(count > 0, total / count - mean, 0.0)
            var = (cells["m2"][:, 0].sum() + (count * shift * shift).sum()) / (n - 1)
        whole = {
            "mean": mean if n else np.nan,
            "var": var if n > 1 else np.nan,
            "std": np.sqrt(var) if n > 1 else np.nan,
            "min": np.nanmin(cells["min"]) if n else np.nan,
            "max": np.nanmax(cells["max"]) if n else np.nan,
        }
        return {agg: _EMPTY_GROUP.get(agg, whole.get(agg)) for agg in aggs}

    def _group_of_rows(self, X):
        """Fitted group id of each row, -1 for a group not seen at fit."""
        groups, n_previous = None, 1
        for position, uniques, step in zip(
            self.by_indices_, self._key_uniques, self._steps
        ):
            codes = _lookup(self._column(X, position), uniques)
            size = len(uniques) + 1
            if groups is None:
                combined, valid = codes, codes >= 0
            else:
                combined = groups * size + codes
                valid = (groups >= 0) & (codes >= 0)
            groups = _locate(step, np.where(valid, combined, 0), n_previous * size)
            groups[~valid] = -1
            n_previous = len(step)
        return groups

    def _transform(self, X):
        """The input columns, then the statistics of each row's group."""
        groups = self._group_of_rows(X)
        unseen = groups < 0
        if unseen.any() and self.handle_unknown == "error":
            row = int(np.flatnonzero(unseen)[0])
            key = tuple(
                to_object_array(self._column(X, p))[row] for p in self.by_indices_
            )
            raise ValueError(
                f"GroupAggregator: {int(unseen.sum())} row(s) belong to groups of "
                f"by={self.by_!r} not seen at fit, such as {key!r} (row {row}); "
                "set handle_unknown='global' or 'nan' to accept them."
            )
        table = self.statistics_[np.maximum(groups, 0)]
        table[unseen] = self.unknown_values_
        values = [self._column(X, i) for i in range(self.n_features_in_)]
        values += [table[:, j] for j in range(table.shape[1])]
        return self._output(X, self.get_feature_names_out(), values)

    def _names_out(self, names):
        """The input names, then ``<column>_<aggregation>_by_<by>`` per output."""
        suffix = "_".join(names[i] for i in self.by_indices_)
        return names + [
            f"{names[p]}_{agg}_by_{suffix}"
            for p, (_, agg) in zip(self.aggregation_indices_, self.aggregations_)
        ]
