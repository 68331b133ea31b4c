"""Folds assigned by a hash of a key, the same in memory and on any partitioning."""

from numbers import Integral

import numpy as np
from sklearn.model_selection import BaseCrossValidator

from sklearn_workflow.utils._dataframe import row_hashes

__all__ = ["HashFolds", "hash_fold_ids"]

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(z):
    """The splitmix64 finaliser: spreads every input bit over the 64 output bits."""
    z = z ^ (z >> np.uint64(30))
    z = z * np.uint64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash_fold_ids(hashes, n_splits, random_state=0):
    """Fold of each row, in ``0 .. n_splits - 1``, from 64-bit row or key hashes."""
    salt = _mix(np.array([random_state], dtype=np.uint64) & _MASK)
    return (
        _mix(np.asarray(hashes, dtype=np.uint64) ^ salt) % np.uint64(n_splits)
    ).astype(np.int64)


class HashFolds(BaseCrossValidator):
    """K folds assigned by a hash of a key column (or of the whole row).

    Each row goes to fold ``hash(key) % n_splits``: the fold depends on the key's
    value only, not on the row's position, its partition or the other rows. So
    out-of-fold statistics computed partition by partition (on Dask, or file by
    file) equal those computed in memory, and all the rows of one key (a
    customer, or identical rows when ``key`` is None) are always in the same
    fold, as with ``GroupKFold``. The fold sizes are random: close to
    ``n / n_splits`` for many distinct keys.

    Parameters
    ----------
    key : str, int, list of str or int, or None, default=None
        Column(s) whose values decide the fold: names for DataFrames, positions
        for arrays. None hashes every column of the row.
    n_splits : int, default=5
        Number of folds, at least 2.
    random_state : int, default=0
        Salt of the hash: another value gives another assignment. It must be an
        int (not a ``RandomState``), for the assignment to be the same in every
        process.

    See Also
    --------
    sklearn.model_selection.GroupKFold : Folds of groups balanced by size, in
        memory: the assignment of a group depends on all the other groups, so it
        cannot be computed partition by partition.
    sklearn.model_selection.KFold : Folds by row position.

    Notes
    -----
    The hash is ``pandas.util.hash_pandas_object`` of the key columns, mixed
    with ``random_state``: equal values of the same dtype hash alike in every
    process and on every platform. A key read as integers in one partition and
    as floats in another does not: give every partition the same dtypes.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_workflow.scale import HashFolds
    >>> X = pd.DataFrame({"customer": ["p", "q", "p", "r", "s", "q"],
    ...                   "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    >>> folds = HashFolds("customer", n_splits=2)
    >>> folds.fold_ids(X)  # a customer's rows share a fold
    array([1, 0, 1, 1, 0, 0])
    >>> folds.fold_ids(X.iloc[3:])  # the same folds on a part of the rows
    array([1, 0, 0])
    >>> [test.tolist() for _, test in folds.split(X)]
    [[1, 4, 5], [0, 2, 3]]
    """

    def __init__(self, key=None, n_splits=5, *, random_state=0):
        self.key = key
        self.n_splits = n_splits
        self.random_state = random_state

    def _check_params(self):
        if not isinstance(self.n_splits, Integral) or isinstance(self.n_splits, bool):
            raise ValueError(
                f"HashFolds: n_splits must be an int >= 2, got {self.n_splits!r}."
            )
        if self.n_splits < 2:
            raise ValueError(
                f"HashFolds: n_splits must be an int >= 2, got {self.n_splits!r}."
            )
        if not isinstance(self.random_state, Integral):
            raise ValueError(
                "HashFolds: random_state must be an int (the same assignment in "
                f"every process), got {self.random_state!r}."
            )

    def fold_ids(self, X):
        """Fold of each row of ``X``, in ``0 .. n_splits - 1``.

        Parameters
        ----------
        X : DataFrame (pandas or polars) or 2-D array
            Rows holding the key column(s).

        Returns
        -------
        fold_ids : ndarray of int64 of shape (n_samples,)
        """
        self._check_params()
        if self.key is None:
            columns = None
        else:
            columns = (
                list(self.key) if isinstance(self.key, (list, tuple)) else [self.key]
            )
            names = _column_names(X)
            missing = [c for c in columns if c not in names]
            if missing:
                raise ValueError(
                    f"HashFolds: key={self.key!r} names columns that X lacks: "
                    f"{missing!r}."
                )
        hashes = row_hashes(X, columns)
        return hash_fold_ids(hashes, self.n_splits, int(self.random_state))

    def _iter_test_masks(self, X, y=None, groups=None):
        fold = self.fold_ids(X)
        sizes = np.bincount(fold, minlength=self.n_splits)
        if (sizes == 0).any():
            raise ValueError(
                f"HashFolds: fold {int(np.argmin(sizes))} of n_splits="
                f"{self.n_splits} has no row among the {fold.size} rows; use fewer "
                "splits or more rows (more distinct keys)."
            )
        for k in range(self.n_splits):
            yield fold == k

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of folds.

        Parameters
        ----------
        X, y, groups : object
            Ignored, present for API compatibility.

        Returns
        -------
        n_splits : int
        """
        self._check_params()
        return int(self.n_splits)


def _column_names(X):
    if hasattr(X, "columns"):
        return list(X.columns)
    return list(range(np.shape(X)[1]))
