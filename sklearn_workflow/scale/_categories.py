"""Mergeable per-category (and per-fold) target statistics of one column.

For every category of a column and every fold id: the number of rows, their weight
and the weighted sums of the target. A class target is one-hot (one weighted count
per class), a continuous one keeps the weighted sum and the centred sum of squares
of each cell, merged with the formula of Chan, Golub and LeVeque. That is all
``TargetEncoder`` needs (its prior, its smoothing, its out-of-fold tables) and all
a profile needs about a categorical column (its category frequencies).
"""

import numpy as np
import pandas as pd

from sklearn_workflow.utils._dataframe import argsort_values, factorize_codes

__all__ = ["CategoryTargetState"]

_TARGET_TYPES = (None, "classes", "continuous")


def _sorted_order(values):
    """Sorting permutation of distinct values; mixed types by (type, text)."""
    try:
        return np.asarray(argsort_values(values), dtype=np.intp)
    except TypeError:
        keys = [(type(v).__name__, repr(v)) for v in values.tolist()]
        return np.asarray(sorted(range(len(keys)), key=keys.__getitem__), np.intp)


def _used_codes(col):
    """Codes in [0, n_cat] (n_cat = missing) and the categories that occur."""
    codes, uniques = factorize_codes(col)
    uniques = np.asarray(uniques, dtype=object)
    used = np.bincount(codes + 1, minlength=len(uniques) + 1)[1:] > 0
    remap = np.full(len(uniques) + 1, -1, dtype=np.int64)
    remap[np.flatnonzero(used)] = np.arange(int(used.sum()))
    n_cat = int(used.sum())
    remap[-1] = n_cat  # code -1 (missing) goes to the last cell
    return remap[codes], uniques[used]


class CategoryTargetState:
    """Per category and fold of one column: row count, weight and target sums.

    The cells are indexed ``[category, fold]``; the last category row holds the
    missing values (NaN, None, pd.NA, NaT, polars null). ``update`` adds a chunk
    in place and returns the state; ``merge`` returns a new state and leaves
    both inputs unchanged.

    Parameters
    ----------
    target_type : {None, "classes", "continuous"}, default=None
        None counts categories only (frequencies). "classes" one-hot encodes the
        labels of ``y`` (the classes are the union over the merged states, in
        sorted order) and keeps one weighted count per class. "continuous" keeps
        the weighted sum of ``y`` and the centred sum of squares per cell.
    n_folds : int, default=1
        Number of fold ids given to ``update`` (``fold_ids`` in ``0 .. n_folds-1``).
    extremes : bool, default=False
        Continuous target: also keep the minimum and maximum of ``y`` per cell
        (group statistics).

    Attributes
    ----------
    categories : ndarray of object
        Distinct non-missing values, in order of first appearance.
    count : ndarray of int64 of shape (n_categories + 1, n_folds)
        Number of rows per cell.
    weight : ndarray of shape (n_categories + 1, n_folds)
        Sum of the row weights per cell.
    sums : ndarray of shape (n_categories + 1, n_folds, n_targets)
        Weighted sum of the (one-hot) target per cell: one column per class, or
        one for a continuous target; no column when ``target_type`` is None.
    m2 : ndarray of shape (n_categories + 1, n_folds) or None
        Continuous target: weighted centred sum of squares per cell.
    classes : ndarray or None
        Class labels, sorted ("classes" only).
    min, max : ndarray of shape (n_categories + 1, n_folds) or None
        With ``extremes``: the smallest and largest ``y`` per cell (``inf`` and
        ``-inf`` for an empty cell).

    Notes
    -----
    Counts are exact. Without ``sample_weight`` the weights and class counts
    are whole numbers and therefore exact too, whatever the partitioning; the
    continuous sums are floating-point and agree to a relative ``1e-12``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_workflow.scale._categories import CategoryTargetState
    >>> city = pd.Series(["Paris", "Rome", None, "Paris"])
    >>> y = np.array(["no", "yes", "yes", "yes"])
    >>> a = CategoryTargetState("classes").update(city[:2], y[:2])
    >>> b = CategoryTargetState("classes").update(city[2:], y[2:])
    >>> stats = a.merge(b).finalize()
    >>> stats["categories"], stats["classes"]
    (array(['Paris', 'Rome'], dtype=object), array(['no', 'yes'], dtype='<U3'))
    >>> stats["sums"][:, 0, :]  # Paris, Rome, then the missing values
    array([[1., 1.],
           [0., 1.],
           [0., 1.]])
    """

    def __init__(self, target_type=None, n_folds=1, extremes=False):
        if target_type not in _TARGET_TYPES:
            raise ValueError(
                f"target_type must be one of {_TARGET_TYPES}, got {target_type!r}."
            )
        if extremes and target_type != "continuous":
            raise ValueError(
                f"extremes=True needs target_type='continuous', got {target_type!r}."
            )
        self.target_type = target_type
        self.n_folds = int(n_folds)
        self.extremes = bool(extremes)
        self.categories = np.empty(0, dtype=object)
        self.classes = np.empty(0) if target_type == "classes" else None
        self._allocate(0, self._n_targets(), self.n_folds)

    def _n_targets(self):
        if self.target_type is None:
            return 0
        return 1 if self.target_type == "continuous" else len(self.classes)

    def _allocate(self, n_categories, n_targets, n_folds):
        shape = (n_categories + 1, n_folds)
        self.count = np.zeros(shape, dtype=np.int64)
        self.weight = np.zeros(shape)
        self.sums = np.zeros((*shape, n_targets))
        self.m2 = np.zeros(shape) if self.target_type == "continuous" else None
        self.min = np.full(shape, np.inf) if self.extremes else None
        self.max = np.full(shape, -np.inf) if self.extremes else None

    def update(self, values, y=None, sample_weight=None, fold_ids=None):
        """Add a chunk: a column of values, its target, weights and fold ids.

        Returns self.
        """
        codes, categories = _used_codes(values)
        n = codes.shape[0]
        if fold_ids is None:
            folds = np.zeros(n, dtype=np.int64)
        else:
            folds = np.asarray(fold_ids, dtype=np.int64).reshape(-1)
            if folds.shape[0] != n or (n and not 0 <= folds.min() <= folds.max()):
                raise ValueError("fold_ids must hold one fold id >= 0 per row.")
            if n and folds.max() >= self.n_folds:
                raise ValueError(
                    f"fold_ids holds the fold {int(folds.max())} but the state has "
                    f"n_folds={self.n_folds}."
                )
        if (y is None) != (self.target_type is None):
            raise ValueError(
                f"target_type={self.target_type!r} needs y "
                f"{'to be None' if self.target_type is None else 'to be given'}."
            )
        weights = None if sample_weight is None else np.asarray(sample_weight, float)
        if weights is not None and weights.shape != (n,):
            raise ValueError(f"sample_weight must have {n} values.")
        chunk = CategoryTargetState(self.target_type, self.n_folds, self.extremes)
        chunk._fill(codes, categories, folds, y, weights)
        self.__dict__.update(self.merge(chunk).__dict__)
        return self

    def _fill(self, codes, categories, folds, y, weights):
        """Cell statistics of one chunk, by ``bincount`` on code * n_folds + fold."""
        n_cells = (len(categories) + 1) * self.n_folds
        shape = (len(categories) + 1, self.n_folds)
        cell = codes * self.n_folds + folds
        self.categories = categories
        self.count = np.bincount(cell, minlength=n_cells).reshape(shape)
        w = np.ones(cell.shape[0]) if weights is None else weights
        self.weight = np.bincount(cell, weights=w, minlength=n_cells).reshape(shape)
        if self.target_type == "classes":
            self.classes, labels = np.unique(np.asarray(y), return_inverse=True)
            k = len(self.classes)
            flat = np.bincount(cell * k + labels, weights=w, minlength=n_cells * k)
            self.sums = flat.reshape(*shape, k)
        elif self.target_type == "continuous":
            target = np.asarray(y, dtype=np.float64).reshape(-1)
            if not np.isfinite(target).all():
                raise ValueError("A continuous target must be finite.")
            total = np.bincount(cell, weights=w * target, minlength=n_cells)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(self.weight.ravel() > 0, total / self.weight.ravel(), 0)
            deviation = target - mean[cell]
            m2 = np.bincount(cell, weights=w * deviation * deviation, minlength=n_cells)
            self.sums = total.reshape(*shape, 1)
            self.m2 = m2.reshape(shape)
            if self.extremes:
                self.min = np.full(n_cells, np.inf)
                self.max = np.full(n_cells, -np.inf)
                np.minimum.at(self.min, cell, target)
                np.maximum.at(self.max, cell, target)
                self.min, self.max = self.min.reshape(shape), self.max.reshape(shape)
        else:
            self.sums = np.zeros((*shape, 0))

    def merge(self, other):
        """A new state holding the rows of both states."""
        kind = (self.target_type, self.n_folds, self.extremes)
        if (other.target_type, other.n_folds, other.extremes) != kind:
            raise ValueError(
                "Cannot merge states of different target types, fold counts or "
                f"extremes: {kind!r} and "
                f"{(other.target_type, other.n_folds, other.extremes)!r}."
            )
        both = np.concatenate([self.categories, other.categories])
        codes, categories = pd.factorize(both)
        rows = (
            np.append(codes[: len(self.categories)], len(categories)),
            np.append(codes[len(self.categories) :], len(categories)),
        )
        out = CategoryTargetState(*kind)
        out.categories = np.asarray(categories, dtype=object)
        if self.target_type == "classes":
            parts = [s.classes for s in (self, other) if len(s.classes)]
            out.classes = np.unique(np.concatenate(parts)) if parts else self.classes
            columns = [np.searchsorted(out.classes, s.classes) for s in (self, other)]
        else:
            columns = [np.arange(out._n_targets())] * 2
        out._allocate(len(categories), out._n_targets(), self.n_folds)
        folds = np.arange(self.n_folds)
        for state, row, column in zip((self, other), rows, columns):
            if state.target_type == "continuous":
                out.m2[row] = _merge_m2(
                    (out.weight[row], out.sums[row, :, 0], out.m2[row]),
                    (state.weight, state.sums[:, :, 0], state.m2),
                )
            if state.extremes:
                out.min[row] = np.minimum(out.min[row], state.min)
                out.max[row] = np.maximum(out.max[row], state.max)
            out.count[row] += state.count
            out.weight[row] += state.weight
            out.sums[np.ix_(row, folds, column)] += state.sums
        return out

    def finalize(self):
        """The statistics with the categories sorted, as a dict.

        Returns
        -------
        stats : dict
            ``categories`` (sorted; mixed types by type name, then text),
            ``count``, ``weight``, ``sums``, ``m2``, ``min`` and ``max`` (NaN for
            an empty cell) and ``classes``, with the rows in that order, the
            missing-value cell last.
        """
        order = _sorted_order(self.categories)
        rows = np.append(order, len(self.categories))
        return {
            "categories": self.categories[order],
            "count": self.count[rows],
            "weight": self.weight[rows],
            "sums": self.sums[rows],
            "m2": None if self.m2 is None else self.m2[rows],
            "min": None if self.min is None else _empty_nan(self.min[rows]),
            "max": None if self.max is None else _empty_nan(self.max[rows]),
            "classes": None if self.classes is None else self.classes.copy(),
        }

    def encoder_statistics(self, center=None):
        """Cell statistics in the form ``TargetEncoder`` computes them.

        Rows follow ``finalize()`` (sorted categories, the missing cell last).
        A class target gives ``(counts,)``: the weighted count per cell and
        class, shape (n_categories + 1, n_folds, n_classes). A continuous one
        gives ``(weight, s1, s2)``, each of shape (n_categories + 1, n_folds, 1),
        with the target centred on ``center`` (default: its weighted mean):
        ``s1 = sum w (y - center)`` and ``s2 = sum w (y - center)**2``.
        """
        stats = self.finalize()
        if self.target_type == "classes":
            return (stats["sums"],)
        if self.target_type is None:
            raise ValueError("A state without target has no target statistics.")
        weight, total = stats["weight"], stats["sums"][:, :, 0]
        if center is None:
            center = total.sum() / weight.sum()
        s1 = total - weight * center
        with np.errstate(invalid="ignore", divide="ignore"):
            shift = np.where(weight > 0, total / weight - center, 0.0)
        s2 = stats["m2"] + weight * shift * shift
        return weight[:, :, None], s1[:, :, None], s2[:, :, None]


def _empty_nan(values):
    """NaN for the cells without rows (the target is finite: inf marks them)."""
    return np.where(np.isinf(values), np.nan, values)


def _merge_m2(a, b):
    """Centred sum of squares of the union of two cells (weight, sum, M2)."""
    wa, sa, m2a = a
    wb, sb, m2b = b
    w = wa + wb
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = sb / wb - sa / wa
        merged = m2a + m2b + delta * delta * wa * wb / w
    return np.where(wa == 0, m2b, np.where(wb == 0, m2a, merged))
