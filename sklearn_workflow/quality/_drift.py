"""Population stability index (PSI) of a column against the bins fitted on train.

Numeric and datetime columns use the quantile bin edges learned at fit; categorical
and boolean columns use the fitted frequencies of the categories that cover at
least 1% of the rows, every other category (rare, unseen, beyond
``max_categories``) pooled in one "other" bin.
Missing values are left out here; the missing-fraction check covers them.

A drift alarm needs a shift both large and real (:func:`drift_alarm`): the PSI
less the PSI that sampling noise alone produces (:func:`psi_noise`) above the
threshold, and the binned counts of the batch and of the fitted rows unlikely
to come from one distribution (:func:`homogeneity_chance`, a chi-square test).
"""

import numpy as np
from scipy import special

__all__ = [
    "EPSILON",
    "batch_bin_counts",
    "batch_bin_fractions",
    "drift_alarm",
    "fitted_bin_counts",
    "homogeneity_chance",
    "population_stability_index",
    "psi_noise",
]

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


def batch_bin_counts(profile, data):
    """Counts of a new batch's non-missing values in the fitted bins.

    Returns ``(expected, counts)``: the fitted bin fractions and the batch's
    counts, or None when the column has nothing to compare (no bins at fit, or
    no non-missing value in the batch).
    """
    kind = profile["kind"]
    if kind in ("numeric", "datetime") and data.values is not None:
        expected = profile["bin_fractions"]
        counts = bin_counts(data.values, profile["edges"])
        if counts is None or not expected:
            return None
        return np.asarray(expected), counts
    if kind in ("categorical", "boolean") and data.codes is not None:
        k = profile["n_drift_categories"]
        present = data.codes[data.codes >= 0]
        if k == 0 or present.size == 0:
            return None
        categories = profile["categories"][:k]
        bin_of_unique = category_positions(categories, data, k)
        counts = np.bincount(bin_of_unique[present], minlength=k + 1)
        kept = profile["category_fractions"][:k]
        expected = np.append(kept, max(0.0, 1.0 - float(np.sum(kept))))
        return expected, counts
    return None


def batch_bin_fractions(profile, data):
    """Fractions of a new batch's non-missing values in the fitted bins.

    Returns ``(expected, actual)`` or None (see :func:`batch_bin_counts`).
    """
    binned = batch_bin_counts(profile, data)
    if binned is None:
        return None
    expected, counts = binned
    return expected, counts / counts.sum()


def fitted_bin_counts(profile):
    """The fitted rows' counts in the drift bins (numeric, datetime or categories).

    The values the fitted fractions were computed on: the finite values of a
    numeric or datetime column, the non-missing values of a categorical one
    (the last bin pools the categories not kept for drift).
    """
    if profile["kind"] in ("numeric", "datetime"):
        fractions = np.asarray(profile["bin_fractions"], dtype=np.float64)
        return np.round(fractions * profile["n_finite"])
    k = profile["n_drift_categories"]
    kept = np.asarray(profile["category_counts"][:k], dtype=np.float64)
    n_present = profile["n"] - profile["n_missing"]
    return np.append(kept, max(0.0, n_present - kept.sum()))


def psi_noise(k, m, n):
    """The PSI expected from sampling alone: ``(k - 1) (1 / m + 1 / n)``.

    With ``k`` bins, ``m`` batch values and ``n`` fitted ones drawn from one
    distribution, PSI is close to ``(1 / m + 1 / n)`` times a chi-square with
    ``k - 1`` degrees of freedom (its second-order expansion is Pearson's
    statistic), hence this mean.

    Examples
    --------
    >>> from sklearn_workflow.quality._drift import psi_noise
    >>> round(psi_noise(10, 100, 10_000), 4)  # 10 bins, a batch of 100
    0.0909
    """
    return (k - 1) * (1.0 / max(m, 1) + 1.0 / max(n, 1))


def homogeneity_chance(fitted, batch):
    """Chi-square p-value that two count vectors come from one distribution.

    Pearson's test of homogeneity on the 2 x k table of the fitted and the
    batch's counts (bins empty in both left out, no continuity correction), as
    ``scipy.stats.chi2_contingency(table, correction=False)``.

    Examples
    --------
    >>> from sklearn_workflow.quality._drift import homogeneity_chance
    >>> homogeneity_chance([50, 50], [5, 5])
    1.0
    >>> homogeneity_chance([500, 500], [90, 10]) < 1e-4
    True
    """
    table = np.vstack(
        [np.asarray(fitted, dtype=np.float64), np.asarray(batch, dtype=np.float64)]
    )
    table = table[:, table.sum(axis=0) > 0]
    rows = table.sum(axis=1, keepdims=True)
    if table.shape[1] < 2 or np.any(rows == 0):
        return 1.0
    expected = rows * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    return float(special.chdtrc(table.shape[1] - 1, statistic))


def drift_alarm(profile, data, threshold, alpha):
    """PSI of the batch against the fitted bins, and whether it is drift.

    Drift is a shift both large and real: ``PSI - psi_noise(k, m, n)`` above
    ``threshold`` and ``homogeneity_chance`` of the binned counts below
    ``alpha``.

    Returns
    -------
    alarm : tuple of (float, float, bool) or None
        ``(psi, noise, drifted)``; None when the column has no bins to compare.
    """
    binned = batch_bin_counts(profile, data)
    if binned is None:
        return None
    expected, counts = binned
    m = int(counts.sum())
    psi = population_stability_index(expected, counts / m)
    fitted = fitted_bin_counts(profile)
    noise = psi_noise(len(expected), m, int(fitted.sum()))
    drifted = psi - noise > threshold and homogeneity_chance(fitted, counts) < alpha
    return psi, noise, drifted


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
