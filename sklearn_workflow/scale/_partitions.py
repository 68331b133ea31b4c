"""Fit an estimator partition by partition and merge the fitted partitions.

The engine knows nothing of the estimators beyond the mergeable-fit protocol:

- ``partial_fit(X, y=None)`` accumulates the rows of ``X`` into the fitted state
  (fitting from scratch on an unfitted estimator) and returns self;
- ``merge(other)`` adds the state of ``other``, another partially fitted
  estimator with the same parameters and the same input columns, and returns
  self (``other`` is left unchanged);
- after every call of either, the fitted attributes are final: the estimator
  transforms as if ``fit`` had seen all the rows it accumulated.

Data sources: a Dask DataFrame (fitted by the tasks of a Dask graph, see
``_dask.py``), a list of Parquet file paths (one partition per row group), a
polars LazyFrame (its streaming batches) or any iterable of pandas or polars
DataFrames. Only the Dask path and the Parquet reader import an engine, lazily.
"""

from collections.abc import Iterable
from os import PathLike

from sklearn.base import clone

from sklearn_workflow.scale import _dask
from sklearn_workflow.scale._optional import import_optional
from sklearn_workflow.utils._dataframe import is_dataframe, is_polars, n_rows

__all__ = ["fit_partitions", "iter_partitions", "transform_partitions"]


def _check_protocol(estimator):
    missing = [m for m in ("partial_fit", "merge") if not hasattr(estimator, m)]
    if missing:
        raise TypeError(
            f"fit_partitions needs an estimator with partial_fit and merge; "
            f"{type(estimator).__name__} has no {' and no '.join(missing)}."
        )


def _is_lazy_polars(data):
    return type(data).__name__ == "LazyFrame" and type(data).__module__.startswith(
        "polars"
    )


def _is_path_list(data):
    return isinstance(data, (list, tuple)) and all(
        isinstance(p, (str, PathLike)) for p in data
    )


def _parquet_row_groups(paths):
    pq = import_optional("pyarrow.parquet", "polars", "Reading Parquet files")
    for path in paths:
        reader = pq.ParquetFile(path)
        for group in range(reader.num_row_groups):
            yield reader.read_row_group(group).to_pandas()


def _polars_batches(frame, batch_size):
    if hasattr(frame, "collect_batches"):
        yield from frame.collect_batches(chunk_size=batch_size, lazy=True)
    else:  # pragma: no cover - polars without streaming batches
        yield from frame.collect().iter_slices(batch_size or 100_000)


def iter_partitions(data, batch_size=None):
    """The partitions of a local source, one DataFrame at a time.

    Parameters
    ----------
    data : list of paths, polars LazyFrame, DataFrame or iterable of DataFrames
        Parquet files give one pandas DataFrame per row group; a LazyFrame its
        streaming batches (polars DataFrames); a DataFrame is one partition.
    batch_size : int, default=None
        Rows per batch of a LazyFrame (None: polars' default).

    Yields
    ------
    partition : pandas or polars DataFrame
    """
    if _dask.is_dask_collection(data):
        raise TypeError("A Dask DataFrame is fitted by its own tasks, not iterated.")
    if _is_lazy_polars(data):
        return _polars_batches(data, batch_size)
    if _is_path_list(data):
        return _parquet_row_groups(data)
    if is_dataframe(data):
        return iter([data])
    if isinstance(data, Iterable) and not isinstance(data, (str, bytes)):
        return iter(data)
    raise TypeError(
        "data must be a Dask DataFrame, a list of Parquet file paths, a polars "
        f"LazyFrame or an iterable of DataFrames, got {type(data).__name__}."
    )


def split_target(partition, target):
    """The features and the target column of a partition (y is None without one)."""
    if target is None:
        return partition, None
    if target not in partition.columns:
        raise ValueError(
            f"target={target!r} is not a column of the partition; its columns are "
            f"{list(partition.columns)[:20]!r}."
        )
    y = partition[target].to_numpy()
    if is_polars(partition):
        return partition.drop(target), y
    return partition.drop(columns=[target]), y


def fit_partition(estimator, partition, target):
    """``clone(estimator).partial_fit`` on one partition; None when it is empty."""
    if n_rows(partition) == 0:
        return None
    X, y = split_target(partition, target)
    fitted = clone(estimator)
    if y is None:
        return fitted.partial_fit(X)
    return fitted.partial_fit(X, y)


def merge_fitted(*fitted):
    """Merge partially fitted estimators from left to right (None are skipped)."""
    present = [f for f in fitted if f is not None]
    if not present:
        return None
    merged = present[0]
    for other in present[1:]:
        merged = merged.merge(other)
    return merged


def _tree_fit(estimator, partitions, target):
    """Fit each partition and merge them as a balanced binary tree, streaming.

    Like binary addition: a pending merged state of 2**level partitions waits
    for another one of the same level, so at most ``log2(n_partitions)``
    fitted states are held at once.
    """
    pending = []  # (level, fitted), levels strictly decreasing
    for partition in partitions:
        item = (0, fit_partition(estimator, partition, target))
        while pending and pending[-1][0] == item[0]:
            level, left = pending.pop()
            item = (level + 1, merge_fitted(left, item[1]))
        pending.append(item)
    fitted = None
    while pending:
        fitted = merge_fitted(pending.pop()[1], fitted)
    return fitted


def fit_partitions(estimator, data, target=None, *, batch_size=None, split_every=8):
    """Fit a clone of ``estimator`` on each partition of ``data``; merge them.

    Each partition is fitted by ``clone(estimator).partial_fit(X_part, y_part)``;
    the partially fitted estimators are then merged by a tree reduction
    (``merge``), whose result is fitted on all the rows. ``estimator`` must follow
    the mergeable-fit protocol (``partial_fit`` and ``merge``, described in the
    module docstring and in the user guide). Empty partitions are skipped.

    Parameters
    ----------
    estimator : estimator with partial_fit and merge
        Left unfitted: the fitted estimator is a clone.
    data : Dask DataFrame, list of Parquet paths, polars LazyFrame or iterable
        The partitions: a Dask DataFrame's partitions (fitted by Dask tasks, on
        its scheduler or the current ``distributed.Client``); the row groups of
        Parquet files; the streaming batches of a LazyFrame; or the DataFrames
        of an iterable (pandas or polars).
    target : str, default=None
        Name of the target column in every partition; it is split off and given
        to ``partial_fit`` as ``y``.
    batch_size : int, default=None
        Rows per batch of a polars LazyFrame.
    split_every : int, default=8
        Number of fitted partitions merged per task of the Dask reduction.

    Returns
    -------
    fitted : estimator
        A clone of ``estimator``, fitted on all the rows.

    See Also
    --------
    transform_partitions : Transform each partition with the fitted estimator.
    dask_ml.wrappers.Incremental : Feeds the blocks of a Dask array one after
        the other to ``partial_fit`` of one estimator: sequential, no merge.

    Examples
    --------
    A test-style estimator following the protocol: the mean of each column.

    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.base import BaseEstimator
    >>> from sklearn_workflow.scale import fit_partitions
    >>> class ColumnMean(BaseEstimator):
    ...     def partial_fit(self, X, y=None):
    ...         self.n_, self.sum_ = getattr(self, "n_", 0) + len(X), (
    ...             getattr(self, "sum_", 0) + X.to_numpy().sum(axis=0))
    ...         self.mean_ = self.sum_ / self.n_
    ...         return self
    ...     def merge(self, other):
    ...         self.n_, self.sum_ = self.n_ + other.n_, self.sum_ + other.sum_
    ...         self.mean_ = self.sum_ / self.n_
    ...         return self
    >>> parts = [pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]}),
    ...          pd.DataFrame({"x": [], "y": []}),  # empty: skipped
    ...          pd.DataFrame({"x": [6.0], "y": [1]})]
    >>> fit_partitions(ColumnMean(), parts, target="y").mean_
    array([3.])
    """
    _check_protocol(estimator)
    if _dask.is_dask_collection(data):
        fitted = _dask.fit_dask(
            estimator, data, target, fit_partition, merge_fitted, split_every
        )
    else:
        fitted = _tree_fit(estimator, iter_partitions(data, batch_size), target)
    if fitted is None:
        raise ValueError("fit_partitions: data has no row (every partition is empty).")
    return fitted


def select_features(estimator, partition):
    """The columns the estimator was fitted on, when the partition has more."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None or not is_dataframe(partition):
        return partition
    names = list(names)
    if list(partition.columns) == names:
        return partition
    return partition[names]


def transform_partitions(estimator, data, *, method="transform", batch_size=None):
    """Transform each partition of ``data`` with a fitted estimator.

    Parameters
    ----------
    estimator : fitted transformer
        For instance the result of ``fit_partitions``.
    data : Dask DataFrame, list of Parquet paths, polars LazyFrame or iterable
        As in ``fit_partitions``. Columns the estimator was not fitted on (the
        target, for instance) are left out when it has ``feature_names_in_``.
    method : str, default="transform"
        The estimator's method applied to each partition (``"predict"``, or an
        out-of-fold transform of the training rows, for instance).
    batch_size : int, default=None
        Rows per batch of a polars LazyFrame.

    Returns
    -------
    transformed : Dask DataFrame or iterator of DataFrames
        For a Dask DataFrame, ``map_partitions`` of ``transform`` (lazy, a
        pandas DataFrame per partition, empty for an empty partition);
        otherwise a generator of the transformed non-empty partitions, in order.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklearn_workflow.scale import transform_partitions
    >>> double = FunctionTransformer(lambda X: 2 * X).fit(pd.DataFrame({"x": [1]}))
    >>> parts = [pd.DataFrame({"x": [1, 2], "y": [0, 1]}), pd.DataFrame({"x": [5],
    ...          "y": [1]})]
    >>> [part["x"].tolist() for part in transform_partitions(double, parts)]
    [[2, 4], [10]]
    """
    if not callable(getattr(estimator, method, None)):
        raise ValueError(
            f"{type(estimator).__name__} has no method {method!r} (method={method!r})."
        )
    if _dask.is_dask_collection(data):
        return _dask.transform_dask(estimator, data, select_features, method)
    apply = getattr(estimator, method)
    return (
        apply(select_features(estimator, partition))
        for partition in iter_partitions(data, batch_size)
        if n_rows(partition)
    )
