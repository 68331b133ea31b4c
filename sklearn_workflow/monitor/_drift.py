"""Drift of a chunk against the reference: effect sizes, intervals and alarm levels.

Each column of a chunk is binned with the reference's bins (missing values in
a bin of their own). The effect sizes are the population stability index
(PSI, :func:`~sklearn_workflow.quality._drift.population_stability_index`),
the Jensen-Shannon distance of the bin fractions and, for numbers, the
Wasserstein distance to the reference sample in reference standard deviations.
The PSI has a bootstrap interval (the chunk's counts redrawn).

The alarm level is the reference's own chunk-to-chunk noise at that chunk
size: chunks of ``m`` rows and training tables of ``n`` rows are drawn from
the reference fractions, their PSI computed, and a scaled chi-square fitted to
those values by their mean and variance (PSI is close to a scaled chi-square,
see :func:`~sklearn_workflow.quality._drift.psi_noise`); the level is its
quantile at ``1 - alpha / n_tests``, so that a chunk from the training
distribution raises any alarm, over all its tests, with chance ``alpha`` at
most. At large chunks that level falls below any shift that matters, so an
alarm also needs a minimal effect (``min_psi``, 0.02 by default: about a
mean shift of 0.14 standard deviations of a normal column). The smallest
detectable PSI is the alarm level less the noise's mean.

The multivariate test trains a domain classifier (gradient-boosted trees, 2 folds) to
tell reference rows from chunk rows; its out-of-fold ROC-AUC has a DeLong
interval and an alarm level from the AUC's null distribution.
"""

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

from sklearn_workflow.monitor._reference import (
    category_bins,
    column_values,
    numeric_bins,
)
from sklearn_workflow.quality._drift import EPSILON
from sklearn_workflow.utils._dataframe import get_column

__all__ = [
    "AlarmLevels",
    "bin_drift",
    "column_drift",
    "domain_classifier_auc",
    "psi_rows",
]

# Chunks drawn to measure the reference's noise at a chunk size.
NOISE_DRAWS = 400


def psi_rows(expected, actual):
    """PSI of each row of two arrays of bin fractions (floored at ``EPSILON``).

    The row-wise form of
    :func:`~sklearn_workflow.quality._drift.population_stability_index`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.monitor._drift import psi_rows
    >>> psi_rows(np.array([[0.5, 0.5]]), np.array([[0.9, 0.1]])).round(3)
    array([0.879])
    """
    expected = np.maximum(expected, EPSILON)
    actual = np.maximum(actual, EPSILON)
    return np.sum((actual - expected) * np.log(actual / expected), axis=-1)


class AlarmLevels:
    """Alarm levels of the PSI of each reference column, per chunk size (cached).

    Parameters
    ----------
    counts : dict of {str: ndarray}
        The reference counts per bin of each column.
    alpha : float
        Chance that a chunk from the training distribution raises an alarm.
    n_tests : int
        Tests per chunk sharing ``alpha`` (Bonferroni).
    min_psi : float, default=0.0
        The smallest PSI that raises an alarm, whatever the noise.
    random_state : int
    """

    def __init__(self, counts, alpha, n_tests, min_psi=0.0, random_state=0):
        self.counts = counts
        self.min_psi = min_psi
        self.quantile = 1.0 - alpha / max(n_tests, 1)
        self.random_state = random_state
        self._cache = {}

    def noise(self, name, m):
        """``(alarm level, mean noise)`` of column ``name`` for chunks of ``m``."""
        key = (name, int(m))
        if key not in self._cache:
            self._cache[key] = self._simulate(self.counts[name], int(m))
        return self._cache[key]

    def _simulate(self, counts, m):
        rng = np.random.default_rng(self.random_state)
        n = int(counts.sum())
        p = counts / n
        chunk = rng.multinomial(m, p, size=NOISE_DRAWS) / m
        train = rng.multinomial(n, p, size=NOISE_DRAWS) / n
        values = psi_rows(train, chunk)
        mean, var = float(values.mean()), float(values.var(ddof=1))
        if mean <= 0 or var <= 0:
            return max(EPSILON, self.min_psi), 0.0
        scale, dof = var / (2.0 * mean), 2.0 * mean**2 / var
        level = float(scale * stats.chi2.ppf(self.quantile, dof))
        return max(level, self.min_psi), mean


def _bins_of(col, summary):
    if "edges" in summary:
        values = column_values(col, summary["kind"])
        return numeric_bins(values, summary["edges"]), values
    return category_bins(col, summary["categories"]), None


def _wasserstein(values, reference, scale):
    """Wasserstein distance of the finite values, in reference standard deviations."""
    values = values[np.isfinite(values)]
    reference = reference[np.isfinite(reference)]
    if values.size == 0 or reference.size == 0 or scale <= 0:
        return float("nan")
    return float(stats.wasserstein_distance(values, reference) / scale)


def column_drift(name, col, summary, levels, *, sample=None, n_bootstrap=200, rng=None):
    """Drift of one column of a chunk (see the module docstring).

    Returns
    -------
    row : dict
        ``column``, ``kind``, ``psi``, ``psi_low``, ``psi_high`` (bootstrap
        interval), ``js`` (Jensen-Shannon distance), ``wasserstein`` (numbers
        only), ``alarm_level``, ``detectable_psi``, ``alarm``.
    """
    bins, values = _bins_of(col, summary)
    row = bin_drift(name, summary, bins, levels, n_bootstrap=n_bootstrap, rng=rng)
    wasserstein = float("nan")
    if values is not None and sample is not None:
        wasserstein = _wasserstein(values, sample, summary.get("scale", 0.0))
    row["wasserstein"] = wasserstein
    return _ordered(row)


_ORDER = (
    "column",
    "kind",
    "psi",
    "psi_low",
    "psi_high",
    "js",
    "wasserstein",
    "alarm_level",
    "detectable_psi",
    "alarm",
)


def _ordered(row):
    """The row's keys in the order of the column table."""
    return {key: row[key] for key in _ORDER if key in row}


def bin_drift(name, summary, bins, levels, *, n_bootstrap=200, rng=None):
    """Drift of a chunk's rows already binned as the reference's ``summary``.

    ``bins`` holds each row's bin (positions into ``summary["counts"]``). The
    PSI against the reference fractions, its bootstrap interval (the chunk's
    counts redrawn), the Jensen-Shannon distance and the alarm level of
    ``levels`` for the chunk's size under ``name``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.monitor._drift import AlarmLevels, bin_drift
    >>> summary = {"kind": "categorical", "counts": np.array([500.0, 500.0])}
    >>> levels = AlarmLevels({"flag": summary["counts"]}, alpha=0.01, n_tests=1)
    >>> row = bin_drift("flag", summary, np.array([0] * 90 + [1] * 10), levels, rng=0)
    >>> round(row["psi"], 3), row["alarm"]
    (0.879, True)
    >>> bin_drift("flag", summary, np.array([0, 1] * 50), levels, rng=0)["alarm"]
    False
    """
    expected = np.asarray(summary["counts"], dtype=np.float64)
    k = expected.size
    counts = np.bincount(bins, minlength=k)[:k].astype(np.float64)
    m = int(counts.sum())
    p_ref, p_chunk = expected / expected.sum(), counts / max(m, 1)
    psi = float(psi_rows(p_ref, p_chunk))
    rng = np.random.default_rng(rng)
    redrawn = rng.multinomial(m, p_chunk, size=n_bootstrap) / max(m, 1)
    low, high = np.quantile(psi_rows(p_ref, redrawn), [0.025, 0.975])
    level, noise = levels.noise(name, m)
    return {
        "column": name,
        "kind": summary["kind"],
        "psi": psi,
        "psi_low": float(low),
        "psi_high": float(high),
        "js": float(jensenshannon(p_ref, p_chunk, base=2)),
        "alarm_level": level,
        "detectable_psi": max(level - noise, 0.0),
        "alarm": bool(psi > level),
    }


def chunk_columns(X, columns):
    """The columns of a chunk that the reference summarised, by name."""
    return {name: get_column(X, name) for name in columns}


def domain_classifier_auc(
    reference_rows, chunk_rows, categorical, *, quantile, rng, min_auc=0.5
):
    """Out-of-fold ROC-AUC of a classifier telling chunk rows from reference rows.

    Returns
    -------
    result : dict
        ``auc``, ``auc_low``, ``auc_high`` (DeLong, 95%), ``alarm_level`` (the
        null AUC's ``quantile``: ``0.5 + z * sqrt((n1 + n2 + 1) / (12 n1 n2))``,
        at least ``min_auc``) and ``alarm``.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from threadpoolctl import threadpool_limits

    from sklearn_workflow.monitor._stats import delong_covariance

    n1, n2 = len(reference_rows), len(chunk_rows)
    X = np.vstack([reference_rows, chunk_rows])
    y = np.r_[np.zeros(n1, dtype=bool), np.ones(n2, dtype=bool)]
    model = HistGradientBoostingClassifier(
        max_iter=30,
        max_leaf_nodes=15,
        learning_rate=0.2,
        categorical_features=np.asarray(categorical, dtype=bool),
        early_stopping=False,
        random_state=int(rng.integers(2**31)),
    )
    folds = StratifiedKFold(2, shuffle=True, random_state=int(rng.integers(2**31)))
    # One thread: the trees are small, and threads fight on a busy machine.
    with threadpool_limits(1):
        scores = cross_val_predict(model, X, y, cv=folds, method="predict_proba")
    aucs, cov = delong_covariance(y, scores[:, 1])
    se = float(np.sqrt(max(cov[0, 0], 0.0)))
    auc = float(aucs[0])
    null_sd = np.sqrt((n1 + n2 + 1) / (12.0 * n1 * n2))
    level = max(0.5 + float(stats.norm.ppf(quantile)) * null_sd, min_auc)
    return {
        "auc": auc,
        "auc_low": auc - 1.96 * se,
        "auc_high": auc + 1.96 * se,
        "alarm_level": level,
        "alarm": bool(auc > level),
    }
