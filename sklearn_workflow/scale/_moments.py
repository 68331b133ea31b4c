"""Mergeable per-column moments: counts, mean, M2, M3, range and missing values.

The statistics of one chunk are computed in two passes (mean, then centred sums),
and two states combine with the pairwise formulas of Chan, Golub and LeVeque for the
second moment and of Pébay for the third, so partitions can be summarised anywhere
and merged in any order.
"""

import numpy as np

from sklearn_workflow.utils._dataframe import is_dataframe, to_float_array

__all__ = ["MomentState", "as_float_columns"]

# Number of smallest distinct values kept: enough to tell "at least 3 values".
_N_DISTINCT = 3


def as_float_columns(chunk):
    """A chunk as a float64 array of shape (n_columns, n_rows), NaN for missing.

    ``chunk`` is a DataFrame (pandas or polars; each column read with
    ``to_float_array``), a 2-D array of shape (n_rows, n_columns) or a 1-D array
    (one column).
    """
    if is_dataframe(chunk):
        names = list(chunk.columns)
        if not names:
            return np.empty((0, len(chunk)))
        return np.vstack([to_float_array(chunk[name]) for name in names])
    values = np.asarray(chunk, dtype=np.float64)
    if values.ndim == 1:
        return values[None, :]
    if values.ndim != 2:
        raise ValueError(
            f"A chunk must be 1-D or 2-D, got an array of shape {values.shape}."
        )
    return np.ascontiguousarray(values.T)


def _row_weights(sample_weight, n_rows):
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if weights.shape[0] != n_rows:
        raise ValueError(
            f"sample_weight has {weights.shape[0]} values but the chunk has "
            f"{n_rows} rows."
        )
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("sample_weight must be finite and non-negative.")
    return weights


def _smallest_distinct(values):
    """The 3 smallest distinct values of each row of ``values`` (NaN padded).

    Three passes of ``fmin`` (which skips NaN): the minimum, then the minimum of
    what lies above it, and so on; linear in the number of values.
    """
    out = np.full((values.shape[0], _N_DISTINCT), np.nan)
    current = values
    for j in range(_N_DISTINCT):
        low = np.fmin.reduce(current, axis=1, initial=np.nan)
        out[:, j] = low
        with np.errstate(invalid="ignore"):
            current = np.where(current > low[:, None], current, np.nan)
    return out


def _merge_smallest(a, b):
    """The 3 smallest distinct values of the union of two sets (NaN padded)."""
    both = np.sort(np.concatenate([a, b], axis=1), axis=1)  # NaN last
    repeat = np.zeros(both.shape, dtype=bool)
    repeat[:, 1:] = both[:, 1:] == both[:, :-1]
    both[repeat] = np.nan
    return np.sort(both, axis=1)[:, :_N_DISTINCT]


class MomentState:
    """Weighted moments of numeric columns, mergeable across partitions.

    One entry per column: the number of rows, of missing values (NaN) and of
    infinite values; the weight, mean and centred sums of squares (M2) and cubes
    (M3) of the finite values; their minimum and maximum; and the 3 smallest
    distinct non-missing values (enough to tell whether a column holds at least
    3 distinct values).

    ``update`` adds a chunk in place and returns the state; ``merge`` returns a new
    state and leaves both inputs unchanged.

    Parameters
    ----------
    n_columns : int, default=None
        Number of columns; None takes it from the first chunk.

    Notes
    -----
    Counts, the minimum and maximum, the missing and infinite counts and the
    distinct values are exact whatever the partitioning (bit for bit). The
    weight, mean, M2 and M3 are floating-point sums: two partitionings agree to a
    relative error of a few units of ``1e-16`` times the number of merges (the
    tests check ``1e-12``). With ``sample_weight``, integer weights give the
    same state as repeated rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.scale._moments import MomentState
    >>> x = np.array([[1.0, 5.0], [2.0, np.nan], [4.0, 5.0], [np.inf, 5.0]])
    >>> left = MomentState().update(x[:2])
    >>> right = MomentState().update(x[2:])
    >>> stats = left.merge(right).finalize()
    >>> stats["mean"], stats["n_missing"], stats["n_infinite"]
    (array([2.33333333, 5.        ]), array([0, 1]), array([1, 0]))
    >>> stats["has_three_values"]  # the infinite value is a value; 5.0 is one
    array([ True, False])
    """

    def __init__(self, n_columns=None):
        self.n_columns = n_columns
        self.n_rows = 0
        if n_columns is not None:
            self._allocate(n_columns)

    def _allocate(self, n_columns):
        self.n_columns = n_columns
        zeros = np.zeros(n_columns)
        self.count = np.zeros(n_columns, dtype=np.int64)
        self.n_missing = np.zeros(n_columns, dtype=np.int64)
        self.n_posinf = np.zeros(n_columns, dtype=np.int64)
        self.n_neginf = np.zeros(n_columns, dtype=np.int64)
        self.weight, self.mean, self.m2, self.m3 = (zeros.copy() for _ in range(4))
        self.min = np.full(n_columns, np.inf)
        self.max = np.full(n_columns, -np.inf)
        self.smallest = np.full((n_columns, _N_DISTINCT), np.nan)

    def update(self, chunk, sample_weight=None):
        """Add the rows of ``chunk`` (see ``as_float_columns``); returns self."""
        values = as_float_columns(chunk)
        if self.n_columns is None:
            self._allocate(values.shape[0])
        if values.shape[0] != self.n_columns:
            raise ValueError(
                f"The chunk has {values.shape[0]} columns, the state {self.n_columns}."
            )
        weights = _row_weights(sample_weight, values.shape[1])
        chunk_state = _chunk_moments(values, weights)
        merged = self.merge(chunk_state)
        self.__dict__.update(merged.__dict__)
        return self

    def merge(self, other):
        """A new state holding the rows of both states."""
        if self.n_columns is None:
            return other._copy()
        if other.n_columns is None:
            return self._copy()
        if other.n_columns != self.n_columns:
            raise ValueError(
                f"Cannot merge states of {self.n_columns} and {other.n_columns} "
                "columns."
            )
        out = MomentState(self.n_columns)
        out.n_rows = self.n_rows + other.n_rows
        for name in ("count", "n_missing", "n_posinf", "n_neginf"):
            setattr(out, name, getattr(self, name) + getattr(other, name))
        out.min = np.minimum(self.min, other.min)
        out.max = np.maximum(self.max, other.max)
        out.smallest = _merge_smallest(self.smallest, other.smallest)
        out.weight, out.mean, out.m2, out.m3 = _merge_moments(
            (self.weight, self.mean, self.m2, self.m3),
            (other.weight, other.mean, other.m2, other.m3),
        )
        return out

    def _copy(self):
        out = MomentState()
        out.__dict__.update(
            {k: v.copy() if hasattr(v, "copy") else v for k, v in self.__dict__.items()}
        )
        return out

    def finalize(self):
        """The statistics of each column, as a dict of arrays.

        Returns
        -------
        stats : dict
            ``n_rows``; per column ``count`` (finite values), ``weight``,
            ``n_missing``, ``missing_fraction``, ``n_infinite`` (and apart,
            ``n_posinf`` and ``n_neginf``), ``mean``,
            ``var`` and ``std`` (``ddof=1`` on the weight), ``skewness``, ``min``
            and ``max`` of the finite values (NaN when there are none), and
            ``has_three_values``. The moments are those of the finite values;
            ``skewness`` is the adjusted Fisher-Pearson coefficient of
            ``pandas.Series.skew`` (NaN below 3 values, 0 for a constant).
        """
        if self.n_columns is None:
            raise ValueError("The state holds no column: update it first.")
        n = self.weight
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.where(n > 1, self.m2 / (n - 1), np.nan)
            skewness = _adjusted_skewness(n, self.mean, self.m2, self.m3)
            missing_fraction = self.n_missing / self.n_rows if self.n_rows else 0.0
        none = self.count == 0
        return {
            "n_rows": self.n_rows,
            "count": self.count.copy(),
            "weight": n.copy(),
            "n_missing": self.n_missing.copy(),
            "missing_fraction": np.broadcast_to(missing_fraction, n.shape).copy(),
            "n_infinite": self.n_posinf + self.n_neginf,
            "n_posinf": self.n_posinf.copy(),
            "n_neginf": self.n_neginf.copy(),
            "mean": np.where(none, np.nan, self.mean),
            "var": var,
            "std": np.sqrt(var),
            "skewness": skewness,
            "min": np.where(none, np.nan, self.min),
            "max": np.where(none, np.nan, self.max),
            "has_three_values": ~np.isnan(self.smallest[:, -1]),
        }


def _adjusted_skewness(n, mean, m2, m3):
    """``sqrt(n (n-1)) / (n-2) * g1``; 0 for a (numerically) constant column."""
    with np.errstate(invalid="ignore", divide="ignore"):
        second = m2 / n
        g1 = (m3 / n) / second**1.5
        adjusted = g1 * np.sqrt(n * (n - 1)) / (n - 2)
        constant = second <= 1e-14 * np.maximum(1.0, second + mean * mean)
    return np.where(n < 3, np.nan, np.where(constant, 0.0, adjusted))


def _chunk_moments(values, weights):
    """The state of one chunk (columns in rows): two passes over the values."""
    n_columns, n_rows = values.shape
    state = MomentState(n_columns)
    state.n_rows = n_rows
    missing = np.isnan(values)
    finite = np.isfinite(values)
    state.n_missing = missing.sum(axis=1)
    state.n_posinf = (values == np.inf).sum(axis=1)
    state.n_neginf = (values == -np.inf).sum(axis=1)
    state.count = finite.sum(axis=1)
    w = finite.astype(np.float64) if weights is None else finite * weights
    x = np.where(finite, values, 0.0)
    weight = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(weight > 0, (w * x).sum(axis=1) / weight, 0.0)
    centred = np.where(finite, x - mean[:, None], 0.0)
    wc2 = w * centred * centred
    state.weight, state.mean = weight, mean
    state.m2 = wc2.sum(axis=1)
    state.m3 = (wc2 * centred).sum(axis=1)
    state.min = np.where(finite, x, np.inf).min(axis=1, initial=np.inf)
    state.max = np.where(finite, x, -np.inf).max(axis=1, initial=-np.inf)
    state.smallest = _smallest_distinct(values)
    return state


def _merge_moments(a, b):
    """Weight, mean, M2 and M3 of the union of two sets (Chan; Pébay, 2008)."""
    na, ma, m2a, m3a = a
    nb, mb, m2b, m3b = b
    n = na + nb
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = mb - ma
        share_b = nb / n
        mean = ma + delta * share_b
        m2 = m2a + m2b + delta * delta * na * share_b
        m3 = (
            m3a
            + m3b
            + delta**3 * na * nb * (na - nb) / (n * n)
            + 3.0 * delta * (na * m2b - nb * m2a) / n
        )
    only_a, only_b = nb == 0, na == 0
    mean = np.where(only_a, ma, np.where(only_b, mb, mean))
    m2 = np.where(only_a, m2a, np.where(only_b, m2b, m2))
    m3 = np.where(only_a, m3a, np.where(only_b, m3b, m3))
    return n, mean, m2, m3
