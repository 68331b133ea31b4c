"""Population stability index (PSI) of a column against the bins fitted on train.

Numeric and datetime columns use the quantile bin edges learned at fit; categorical
and boolean columns use the fitted frequencies of the categories that cover at
least 1% of the rows, every other category (rare, unseen, beyond
``max_categories``) pooled in one "other" bin.
Missing values are left out here; the missing-fraction check covers them.
"""

import numpy as np

__all__ = ["EPSILON", "batch_bin_fractions", "population_stability_index"]

# Bin fractions are floored at EPSILON so that an empty bin gives a large, finite
# PSI instead of an infinite one.
EPSILON = 1e-4


def population_stability_index(expected, actual):
    """PSI between two vectors of bin fractions.

    ``PSI = sum((actual - expected) * log(actual / expected))`` with both
    fractions floored at ``EPSILON``. Conventionally below 0.1 is stable, 0.1-0.2
    a moderate shift and above 0.2 a significant one.

    Examples
    --------
    >>> population_stability_index([0.5, 0.5], [0.5, 0.5])
    0.0
    >>> round(population_stability_index([0.5, 0.5], [0.9, 0.1]), 3)
    0.879
    """
    expected = np.maximum(np.asarray(expected, dtype=np.float64), EPSILON)
    actual = np.maximum(np.asarray(actual, dtype=np.float64), EPSILON)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def batch_bin_fractions(profile, data):
    """Fractions of a new batch's non-missing values in the fitted bins.

    Returns ``(expected, actual)`` or None when the column has nothing to compare
    (no bins at fit, or no non-missing value in the batch).
    """
    kind = profile["kind"]
    if kind in ("numeric", "datetime") and data.values is not None:
        expected = profile["bin_fractions"]
        counts = bin_counts(data.values, profile["edges"])
        if counts is None or not expected:
            return None
        return np.asarray(expected), counts / counts.sum()
    if kind in ("categorical", "boolean") and data.codes is not None:
        k = profile["n_drift_categories"]
        present = data.codes[data.codes >= 0]
        if k == 0 or present.size == 0:
            return None
        categories = profile["categories"][:k]
        bin_of_unique = category_positions(categories, data, k)
        actual = np.bincount(bin_of_unique[present], minlength=k + 1) / present.size
        kept = profile["category_fractions"][:k]
        expected = np.append(kept, max(0.0, 1.0 - float(np.sum(kept))))
        return expected, actual
    return None


def bin_counts(values, edges):
    """Count the finite values in the bins ``[e_i, e_{i+1})`` (first, last open).

    With few edges, one vectorised comparison per edge (``count(values < e)``)
    beats a binary search per value; NaN and infinities are left out, as at fit.
    Returns None when no value is finite.
    """
    edges = np.asarray(edges, dtype=np.float64)
    n_finite = int(np.count_nonzero(np.isfinite(values)))
    if n_finite == 0:
        return None
    if edges.size > 32:
        finite = values[np.isfinite(values)]
        bins = np.searchsorted(edges, finite, side="right")
        return np.bincount(bins, minlength=edges.size + 1)
    n_neg_inf = int(np.count_nonzero(values == -np.inf))
    below = [int(np.count_nonzero(values < e)) - n_neg_inf for e in edges]
    return np.diff(np.array([0, *below, n_finite], dtype=np.int64))


def category_positions(categories, data, other):
    """Position of each of the batch's distinct values among the fitted categories.

    Values not kept at fit get ``other``. Loops over the batch's distinct values
    (not its rows). Boolean columns compare their float values.
    """
    lookup = {_key(c): i for i, c in enumerate(categories)}
    return np.fromiter(
        (lookup.get(_key(u), other) for u in data.uniques),
        dtype=np.int64,
        count=len(data.uniques),
    )


def _key(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return float(value)
    return value
