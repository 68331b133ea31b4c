"""Paired tests of two models on the same rows: McNemar, DeLong, paired bootstrap.

:func:`mcnemar_test` compares two classifiers' hit-or-miss on each row (as
``statsmodels.stats.contingency_tables.mcnemar``), :func:`delong_test` the areas
under their ROC curves (DeLong, DeLong and Clarke-Pearson 1988, with the
midrank algorithm of Sun and Xu 2014: O(n log n) instead of O(n^2)), and
:func:`paired_bootstrap` any metric, resampling the rows once for both models.
"""

import numpy as np
from scipy import stats

__all__ = [
    "clopper_pearson_interval",
    "delong_test",
    "mcnemar_test",
    "paired_bootstrap",
    "rows_needed",
]


def mcnemar_test(correct_a, correct_b, *, exact=True, correction=True):
    """McNemar's test that two classifiers make as many errors on the same rows.

    Only the discordant rows count: ``b`` rows right for ``a`` and wrong for
    ``b``, ``c`` the other way round.

    Parameters
    ----------
    correct_a, correct_b : array-like of bool
        Whether each model's prediction of each row is right.
    exact : bool, default=True
        The exact binomial test (statistic ``min(b, c)``); else the chi-square
        approximation.
    correction : bool, default=True
        Continuity correction of the chi-square approximation:
        ``(|b - c| - 1) ** 2 / (b + c)``.

    Returns
    -------
    result : dict
        ``statistic``, ``pvalue``, ``b`` (only ``a`` right), ``c`` (only ``b``
        right). With no discordant row the p-value is 1.

    See Also
    --------
    statsmodels.stats.contingency_tables.mcnemar : The same test on a 2 x 2
        table; here from the rows' hits, and 1 instead of NaN without any
        discordant row.

    Examples
    --------
    >>> from sklearn_workflow.monitor import mcnemar_test
    >>> a = [True] * 10 + [False] * 2
    >>> b = [True] * 2 + [False] * 8 + [True] * 2
    >>> result = mcnemar_test(a, b)
    >>> result["b"], result["c"], round(result["pvalue"], 4)
    (8, 2, 0.1094)
    >>> mcnemar_test(a, a)["pvalue"]  # no discordant row
    1.0
    """
    correct_a = np.asarray(correct_a, dtype=bool)
    correct_b = np.asarray(correct_b, dtype=bool)
    b = int(np.count_nonzero(correct_a & ~correct_b))
    c = int(np.count_nonzero(~correct_a & correct_b))
    if b + c == 0:
        return {"statistic": 0.0, "pvalue": 1.0, "b": b, "c": c}
    if exact:
        statistic = float(min(b, c))
        pvalue = min(1.0, 2.0 * float(stats.binom.cdf(statistic, b + c, 0.5)))
    else:
        statistic = (abs(b - c) - float(correction)) ** 2 / (b + c)
        pvalue = float(stats.chi2.sf(statistic, 1))
    return {"statistic": float(statistic), "pvalue": pvalue, "b": b, "c": c}


def _structural_components(positive, negative):
    """DeLong's placement values by midranks, one row per model.

    ``v10[k, i]`` is the share of negatives that positive ``i`` outranks for
    model ``k`` (ties count one half), ``v01[k, j]`` the share of positives that
    outrank negative ``j``.
    """
    m, n = positive.shape[1], negative.shape[1]
    together = stats.rankdata(np.hstack([positive, negative]), axis=1)
    rank_pos = stats.rankdata(positive, axis=1)
    rank_neg = stats.rankdata(negative, axis=1)
    v10 = (together[:, :m] - rank_pos) / n
    v01 = 1.0 - (together[:, m:] - rank_neg) / m
    return v10, v01


def delong_covariance(y_positive, scores):
    """ROC-AUCs of several score vectors and DeLong's covariance of them.

    Parameters
    ----------
    y_positive : array-like of bool, shape (n_samples,)
    scores : array-like of shape (n_models, n_samples)

    Returns
    -------
    aucs : ndarray of shape (n_models,)
    covariance : ndarray of shape (n_models, n_models)
    """
    y_positive = np.asarray(y_positive, dtype=bool)
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    m, n = int(y_positive.sum()), int((~y_positive).sum())
    if m < 2 or n < 2:
        raise ValueError(
            "DeLong's test needs at least two rows of each class; got "
            f"{m} positive and {n} negative rows."
        )
    v10, v01 = _structural_components(scores[:, y_positive], scores[:, ~y_positive])
    aucs = v10.mean(axis=1)
    covariance = np.atleast_2d(np.cov(v10) / m + np.cov(v01) / n)
    return aucs, covariance


def delong_test(y_positive, scores_a, scores_b, *, confidence=0.95):
    """DeLong's test of two correlated ROC-AUCs on the same rows.

    Parameters
    ----------
    y_positive : array-like of bool
        Whether each row is of the positive class.
    scores_a, scores_b : array-like of float
        The two models' scores of the positive class.
    confidence : float, default=0.95
        Level of the interval of the difference.

    Returns
    -------
    result : dict
        ``auc_a``, ``auc_b``, ``difference`` (``auc_b - auc_a``), its standard
        error ``se``, ``z``, the two-sided ``pvalue`` and the interval
        ``ci_low``, ``ci_high``.

    See Also
    --------
    sklearn.metrics.roc_auc_score : One AUC, without its variance.

    Notes
    -----
    Neither scikit-learn, SciPy nor statsmodels has this test. Ties count one
    half, as in the Mann-Whitney statistic.

    References
    ----------
    DeLong, DeLong and Clarke-Pearson (1988), Biometrics 44(3), 837-845.
    Sun and Xu (2014), IEEE Signal Processing Letters 21(11), 1389-1393.

    Examples
    --------
    >>> from sklearn_workflow.monitor import delong_test
    >>> y = [0, 0, 0, 1, 1, 1]
    >>> a = [0.1, 0.4, 0.35, 0.8, 0.3, 0.9]
    >>> result = delong_test(y, a, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    >>> round(result["auc_a"], 4), result["auc_b"]
    (0.7778, 1.0)

    Tied scores count one half:

    >>> delong_test(y, [0.5] * 6, [0, 0, 1, 1, 1, 1])["auc_a"]
    0.5
    """
    aucs, cov = delong_covariance(y_positive, np.vstack([scores_a, scores_b]))
    difference = float(aucs[1] - aucs[0])
    variance = float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1])
    se = float(np.sqrt(max(variance, 0.0)))
    z = difference / se if se > 0 else (0.0 if difference == 0 else np.inf)
    pvalue = float(2.0 * stats.norm.sf(abs(z)))
    half = float(stats.norm.ppf(0.5 + confidence / 2.0)) * se
    return {
        "auc_a": float(aucs[0]),
        "auc_b": float(aucs[1]),
        "difference": difference,
        "se": se,
        "z": float(z),
        "pvalue": pvalue,
        "ci_low": difference - half,
        "ci_high": difference + half,
    }


def paired_bootstrap(
    y, outputs_a, outputs_b, metric, *, n_rounds=1000, confidence=0.95, rng=None
):
    """Percentile interval of ``metric(b) - metric(a)``, resampling rows in pairs.

    Each round draws the rows with replacement once and scores both models on
    that draw, so the interval holds the correlation of the two models.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    outputs_a, outputs_b : array-like of shape (n_samples, ...)
        What ``metric`` scores: predictions, or scores of the positive class.
    metric : callable
        ``metric(y, outputs) -> float``, greater is better.
    n_rounds : int, default=1000
    confidence : float, default=0.95
    rng : numpy Generator, int or None, default=None

    Returns
    -------
    result : dict
        ``value_a``, ``value_b``, ``difference``, ``se`` (of the rounds),
        ``ci_low``, ``ci_high``, ``n_rounds``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.monitor import paired_bootstrap
    >>> y = np.array([0, 1] * 50)
    >>> accuracy = lambda y, p: float(np.mean(y == p))
    >>> result = paired_bootstrap(y, y, 1 - y, accuracy, n_rounds=200, rng=0)
    >>> result["difference"], result["ci_low"], result["ci_high"]
    (-1.0, -1.0, -1.0)
    """
    rng = np.random.default_rng(rng)
    y, a, b = np.asarray(y), np.asarray(outputs_a), np.asarray(outputs_b)
    n = len(y)
    differences = np.empty(n_rounds)
    for r in range(n_rounds):
        rows = rng.integers(0, n, n)
        differences[r] = metric(y[rows], b[rows]) - metric(y[rows], a[rows])
    value_a, value_b = float(metric(y, a)), float(metric(y, b))
    tail = (1.0 - confidence) / 2.0
    low, high = np.nanquantile(differences, [tail, 1.0 - tail])
    return {
        "value_a": value_a,
        "value_b": value_b,
        "difference": value_b - value_a,
        "se": float(np.nanstd(differences, ddof=1)),
        "ci_low": float(low),
        "ci_high": float(high),
        "n_rounds": int(n_rounds),
    }


def rows_needed(n, difference, half_width, margin):
    """Rows for the interval's lower end to clear ``-margin`` at this difference.

    The half-width shrinks as ``1 / sqrt(n)``: the lower end ``difference -
    half_width * sqrt(n / N)`` passes ``-margin`` once ``N > n * (half_width /
    (difference + margin)) ** 2``. None when the difference itself is not above
    ``-margin`` (no number of rows would do).

    Examples
    --------
    >>> from sklearn_workflow.monitor._stats import rows_needed
    >>> rows_needed(1000, 0.01, 0.02, 0.0)  # twice the difference: 4 times the rows
    4000
    >>> rows_needed(1000, -0.02, 0.02, 0.01) is None
    True
    """
    gap = difference + margin
    if gap <= 0:
        return None
    return int(np.ceil(n * (half_width / gap) ** 2))


def clopper_pearson_interval(successes, trials, confidence=0.95):
    """Two-sided exact (Clopper-Pearson) interval of a proportion.

    ``(nan, nan)`` without any trial.

    Examples
    --------
    >>> from sklearn_workflow.monitor._stats import clopper_pearson_interval
    >>> low, high = clopper_pearson_interval(5, 10)
    >>> round(low, 4), round(high, 4)
    (0.1871, 0.8129)
    """
    if trials <= 0:
        return float("nan"), float("nan")
    tail = (1.0 - confidence) / 2.0
    low = stats.beta.ppf(tail, successes, trials - successes + 1) if successes else 0.0
    high = (
        stats.beta.ppf(1 - tail, successes + 1, trials - successes)
        if successes < trials
        else 1.0
    )
    return float(low), float(high)
