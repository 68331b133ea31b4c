"""TimeSplitter: forward-chaining folds along a time column, with durations and groups.

The rows are sorted by their time (stably: equal times keep the row order), the
test folds are the latest stretches of that order, each preceded by the rows
before it; sizes are row counts, as in scikit-learn's ``TimeSeriesSplit``, or
durations ("30D"). Groups move whole.
"""

import datetime
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.model_selection import BaseCrossValidator, TimeSeriesSplit

from sklearn_workflow.utils._dataframe import get_column, is_dataframe, missing_mask

__all__ = ["TimeSplitter"]

_DURATION_TYPES = (str, pd.Timedelta, np.timedelta64, datetime.timedelta)


def _duration(value, name):
    """``value`` as a ``np.timedelta64[ns]`` when it is a duration, else None."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, _DURATION_TYPES):
        return None
    try:
        delta = pd.Timedelta(value)
    except ValueError as exc:
        raise ValueError(
            f"TimeSplitter's {name} must be a number of rows or a duration such "
            f"as '30D'; got {value!r}."
        ) from exc
    if delta is pd.NaT or delta < pd.Timedelta(0):
        raise ValueError(
            f"TimeSplitter's {name} must be a non-negative duration; got {value!r}."
        )
    return delta.to_timedelta64().astype("timedelta64[ns]")


def _check_size(value, name, minimum, allow_none):
    """A row count (int >= ``minimum``), a duration, or None when allowed."""
    if value is None and allow_none:
        return None
    delta = _duration(value, name)
    if delta is not None:
        return delta
    if (
        isinstance(value, Integral)
        and not isinstance(value, (bool, np.bool_))
        and value >= minimum
    ):
        return int(value)
    raise ValueError(
        f"TimeSplitter's {name} must be an int >= {minimum}, a duration such as "
        f"'30D'{' or None' if allow_none else ''}; got {value!r}."
    )


def _as_times(values, label):
    """Sortable times: ``datetime64[ns]`` (UTC for tz-aware ones) or float64."""
    series = values if isinstance(values, pd.Series) else None
    if series is None:
        array = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
        if array.ndim != 1:
            raise ValueError(
                f"TimeSplitter's time must be 1-D; got shape {array.shape}."
            )
        series = pd.Series(array)
    missing = missing_mask(series)
    if missing.any():
        raise ValueError(
            f"the time {label} has {int(missing.sum()):,} missing values; "
            "TimeSplitter needs a time for every row (drop or fill them)."
        )
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        if getattr(series.dtype, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return series.to_numpy(dtype="datetime64[ns]")
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    ):
        return series.to_numpy(dtype=np.float64)
    try:
        parsed = pd.to_datetime(series, format="mixed", utc=True)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"the time {label} holds values that are neither numbers nor dates "
            f"(dtype {series.dtype}); got e.g. {series.iloc[0]!r}."
        ) from exc
    return parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


class TimeSplitter(BaseCrossValidator):
    """Forward-chaining cross-validation along a time column.

    Each fold tests on a later stretch of time than every row it trains on: the
    rows are sorted by ``time`` (equal times keep their row order), the last
    ``n_splits`` stretches of ``test_size`` are the test folds, and each trains on
    the rows before its test fold, less a ``gap``. With row counts and no
    ``time``, the folds are exactly those of scikit-learn's
    :class:`~sklearn.model_selection.TimeSeriesSplit`. Sizes may also be
    durations ("30D", ``pd.Timedelta``). The rows of the first stretch are in no
    test fold.

    Parameters
    ----------
    time : str, array-like of shape (n_samples,) or None, default=None
        The time of each row: the name of a column of ``X`` (datetimes, date
        strings or numbers), or the times themselves (inside a
        :class:`~sklearn.pipeline.Pipeline`, whose last step sees arrays
        without names). None: the row order is the time order.
    n_splits : int >= 2, default=5
        Number of folds.
    test_size : int, duration or None, default=None
        Rows (or time span, e.g. "30D") of each test fold. None: ``n_samples //
        (n_splits + 1)`` rows, as in ``TimeSeriesSplit``. Duration folds are
        right-closed windows ending at the latest time.
    gap : int or duration, default=0
        Rows (or time span) left out between the end of the training rows and
        the start of each test fold: the purge or embargo for targets that are
        only known later (a 30-day churn label needs ``gap="30D"``). With a
        duration, the training rows are those earlier than the fold's first test
        time minus ``gap``.
    max_train_size : int, duration or None, default=None
        Most rows (or time span, back from the last training row) of each
        training fold; None keeps every earlier row.

    See Also
    --------
    sklearn.model_selection.TimeSeriesSplit : Counts rows in row order; no time
        column, no durations, no groups.
    sklearn.model_selection.GroupKFold : Keeps groups whole, ignoring time.

    Notes
    -----
    Groups (``split(X, y, groups)``) stay whole: a group is tested in the fold
    that holds its earliest row, with all its rows, and trains only in the folds
    whose training stretch holds all of its rows; a group that straddles a fold's
    start is left out of that fold's training rows. So no test row ever comes
    before a training row.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_workflow.selection import TimeSplitter
    >>> X = pd.DataFrame({
    ...     "day": pd.to_datetime(["2024-01-05", "2024-01-01", "2024-01-03",
    ...                            "2024-01-02", "2024-01-04", "2024-01-06"]),
    ...     "x": [5, 1, 3, 2, 4, 6],
    ... })
    >>> cv = TimeSplitter("day", n_splits=2, test_size="1D")
    >>> for train, test in cv.split(X):
    ...     print(X["x"].iloc[train].tolist(), X["x"].iloc[test].tolist())
    [1, 3, 2, 4] [5]
    [5, 1, 3, 2, 4] [6]

    The rows are in no particular order; the folds follow the dates. A gap of
    one day leaves the day before each test day out of training, and
    :meth:`summary` shows the dates of each fold:

    >>> TimeSplitter("day", n_splits=2, test_size="1D", gap="1D").summary(X)
       fold  n_train  n_test train_start  train_end test_start   test_end
    0     0        3       1  2024-01-01 2024-01-03 2024-01-05 2024-01-05
    1     1        4       1  2024-01-01 2024-01-04 2024-01-06 2024-01-06
    """

    def __init__(
        self, time=None, n_splits=5, test_size=None, gap=0, max_train_size=None
    ):
        self.time = time
        self.n_splits = n_splits
        self.test_size = test_size
        self.gap = gap
        self.max_train_size = max_train_size

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of folds.

        Parameters
        ----------
        X, y, groups : object
            Ignored, for API compatibility.

        Returns
        -------
        n_splits : int
        """
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Training and test row positions of each fold, earliest fold first.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The data; holds the ``time`` column when ``time`` is a name.
        y : array-like of shape (n_samples,), default=None
            Ignored.
        groups : array-like of shape (n_samples,), default=None
            Group labels; a group's rows stay on one side of each fold.

        Yields
        ------
        train, test : ndarray of int
            Row positions, sorted.
        """
        order, times = self._sorted_times(X)
        unit = _group_units(groups, order) if groups is not None else None
        for i, (train, test) in enumerate(self._folds(times)):
            if unit is not None:
                train, test = _whole_groups(unit, train, test)
                if not (train.size and test.size):
                    raise ValueError(
                        f"TimeSplitter: fold {i} has no "
                        f"{'test' if train.size else 'training'} group whole on "
                        "its side of the fold (groups span the fold's start); use "
                        "fewer n_splits or a larger test_size."
                    )
            yield np.sort(order[train]), np.sort(order[test])

    def summary(self, X, y=None, groups=None):
        """One row per fold: its sizes and the times its rows span.

        Parameters
        ----------
        X, y, groups : as in :meth:`split`

        Returns
        -------
        summary : DataFrame
            ``fold``, ``n_train``, ``n_test``, ``train_start``, ``train_end``,
            ``test_start`` and ``test_end`` (row positions when ``time`` is None).
        """
        _, times = self._sorted_times(X)
        all_times = self._times(X, _n_rows(X))
        rows = []
        for i, (train, test) in enumerate(self.split(X, y, groups)):
            rows.append(
                {
                    "fold": i,
                    "n_train": train.size,
                    "n_test": test.size,
                    "train_start": all_times[train].min() if train.size else None,
                    "train_end": all_times[train].max() if train.size else None,
                    "test_start": all_times[test].min(),
                    "test_end": all_times[test].max(),
                }
            )
        return pd.DataFrame(rows)

    # -- the folds on the sorted times -------------------------------------------
    def _times(self, X, n):
        if self.time is None:
            return np.arange(n)
        if isinstance(self.time, str):
            if not is_dataframe(X):
                raise ValueError(
                    f"TimeSplitter(time={self.time!r}) names a column, but X has "
                    "no column names; pass the times themselves as time=."
                )
            try:
                values = get_column(X, self.time)
            except (KeyError, Exception) as exc:
                raise ValueError(
                    f"TimeSplitter(time={self.time!r}): no such column in X; "
                    f"columns are {list(X.columns)[:20]}."
                ) from exc
            return _as_times(values, f"column {self.time!r}")
        times = _as_times(self.time, "array")
        if times.shape[0] != n:
            raise ValueError(
                f"TimeSplitter's time has {times.shape[0]:,} values but X has "
                f"{n:,} rows."
            )
        return times

    def _sorted_times(self, X):
        n = _n_rows(X)
        times = self._times(X, n)
        order = np.argsort(times, kind="stable")
        return order, times[order]

    def _sizes(self, times):
        sizes = {
            "test_size": _check_size(self.test_size, "test_size", 1, True),
            "gap": _check_size(self.gap, "gap", 0, False),
            "max_train_size": _check_size(
                self.max_train_size, "max_train_size", 1, True
            ),
        }
        if not isinstance(self.n_splits, Integral) or self.n_splits < 2:
            raise ValueError(
                f"TimeSplitter's n_splits must be an int >= 2; got {self.n_splits!r}."
            )
        durations = [k for k, v in sizes.items() if isinstance(v, np.timedelta64)]
        if durations and times.dtype.kind != "M":
            raise ValueError(
                f"TimeSplitter's {durations[0]}={getattr(self, durations[0])!r} is "
                "a duration, which needs times that are dates; got "
                f"{'row positions (time=None)' if self.time is None else 'numbers'}."
            )
        return sizes, bool(durations)

    def _folds(self, times):
        """``(train, test)`` positions in the sorted order, for every fold."""
        sizes, durations = self._sizes(times)
        n = times.shape[0]
        if not durations:
            splitter = TimeSeriesSplit(
                n_splits=self.n_splits,
                test_size=sizes["test_size"],
                gap=sizes["gap"],
                max_train_size=sizes["max_train_size"],
            )
            yield from splitter.split(np.empty((n, 1)))
            return
        for i, (start, stop) in enumerate(self._test_windows(times, sizes)):
            train_stop = _train_stop(times, start, sizes["gap"])
            train_start = _train_start(times, train_stop, sizes["max_train_size"])
            if stop <= start or train_stop <= train_start:
                which = "test" if stop <= start else "training"
                raise ValueError(
                    f"TimeSplitter: fold {i} has no {which} row with "
                    f"n_splits={self.n_splits}, test_size={self.test_size!r}, "
                    f"gap={self.gap!r}, max_train_size={self.max_train_size!r} "
                    f"on times from {times[0]} to {times[-1]}."
                )
            yield np.arange(train_start, train_stop), np.arange(start, stop)

    def _test_windows(self, times, sizes):
        """``(start, stop)`` positions of the test folds, earliest first."""
        n, size = times.shape[0], sizes["test_size"]
        if isinstance(size, np.timedelta64):
            last = times[-1]
            bounds = [last - k * size for k in range(self.n_splits, -1, -1)]
            edges = np.searchsorted(times, np.array(bounds), side="right")
            edges[-1] = n
            return list(zip(edges[:-1], edges[1:]))
        size = n // (self.n_splits + 1) if size is None else size
        if size * self.n_splits >= n:
            raise ValueError(
                f"TimeSplitter: {self.n_splits} test folds of {size} rows need "
                f"more than the {n} rows."
            )
        first = n - self.n_splits * size
        return [
            (first + i * size, first + (i + 1) * size) for i in range(self.n_splits)
        ]


def _n_rows(X):
    if hasattr(X, "shape"):
        return int(X.shape[0])
    return len(X)


def _train_stop(times, start, gap):
    """End (exclusive) of the training rows before a test fold at ``start``."""
    if isinstance(gap, np.timedelta64):
        return int(np.searchsorted(times, times[start] - gap, side="left"))
    return start - gap


def _train_start(times, stop, max_size):
    """Start of the training rows ending at ``stop``."""
    if max_size is None or stop <= 0:
        return 0
    if isinstance(max_size, np.timedelta64):
        return int(np.searchsorted(times, times[stop - 1] - max_size, side="left"))
    return max(0, stop - max_size)


def _group_units(groups, order):
    """Each sorted row's group code, and each group's first and last position."""
    groups = np.asarray(groups)
    if groups.shape[0] != order.shape[0]:
        raise ValueError(
            f"groups has {groups.shape[0]:,} values but X has {order.shape[0]:,} rows."
        )
    codes, uniques = pd.factorize(groups[order], use_na_sentinel=False)
    positions = np.arange(codes.size)
    first = np.full(len(uniques), codes.size)
    np.minimum.at(first, codes, positions)
    last = np.full(len(uniques), -1)
    np.maximum.at(last, codes, positions)
    return codes, first, last


def _whole_groups(unit, train, test):
    """Make a fold's groups whole: tested with their earliest row, trained when
    all their rows are in the training stretch."""
    codes, first, last = unit
    if test.size == 0:
        return train, test
    start, stop = test[0], test[-1] + 1
    test_groups = (first >= start) & (first < stop)
    in_test = test_groups[codes]
    lo = train[0] if train.size else 0
    hi = train[-1] + 1 if train.size else 0
    train_groups = (first >= lo) & (last < hi)
    return np.flatnonzero(train_groups[codes]), np.flatnonzero(in_test)
