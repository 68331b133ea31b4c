"""How values go missing: Little's MCAR test and missingness predicted by the rest.

Little's test (numeric columns) asks whether the means of the observed values
differ between the missing-value patterns more than chance allows, under a
multivariate normal model fitted by EM; the missingness screen (any column kind)
asks how well the other columns predict whether a column is missing, as an
out-of-sample ROC-AUC. Both are findings of
:class:`~sklearn_workflow.quality.DataQualityChecker`.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from sklearn_workflow.quality._findings import finding
from sklearn_workflow.quality._leakage import (
    _auc_from_tables,
    crossfit_table,
    split_halves,
)

__all__ = [
    "MCARTestResult",
    "little_mcar_test",
    "mcar_findings",
    "naive_bayes_auc",
    "predictable_missing_findings",
]

# EM stops when no mean or covariance entry moves by more than this share of the
# column's scale, or after EM_MAX_ITER iterations.
EM_TOLERANCE = 1e-6
EM_MAX_ITER = 500
# Little's test is reported when p < MCAR_ALPHA and the effect size w (see
# MCARTestResult) is at least MCAR_MIN_EFFECT: on a huge table a trivial
# departure from MCAR is significant, and not worth a finding.
MCAR_ALPHA = 0.01
MCAR_MIN_EFFECT = 0.05
# The checker tests at most this many rows (a fixed random sample).
MCAR_ROWS = 100_000
# A column's missingness is predictable when its out-of-sample AUC from the other
# columns is at least this, with at least MIN_MISSING missing and present rows.
PREDICTABLE_AUC = 0.7
MIN_MISSING = 20
SCREEN_ROWS = 5_000
# Patterns with at least this many rows get their own matrix product.
_BIG_PATTERN = 64


@dataclass(frozen=True)
class MCARTestResult:
    """Little's test of missing completely at random.

    Attributes
    ----------
    statistic : float
        Little's d², chi-square distributed under MCAR.
    df : int
        Degrees of freedom: the observed columns summed over the patterns, less
        the number of columns.
    p_value : float
    n_patterns : int
        Distinct missing-value patterns among the rows with a value.
    effect_size : float
        ``sqrt(max(statistic - df, 0) / n)``: the departure from MCAR beyond
        what chance gives, per row (Cohen's w of a non-central chi-square), so
        that it does not grow with the sample size.
    columns : tuple of str
        The numeric columns tested.
    n_rows : int
        Rows with at least one observed value.
    """

    statistic: float
    df: int
    p_value: float
    n_patterns: int
    effect_size: float
    columns: tuple
    n_rows: int


def _patterns(values):
    """Each row's missing pattern (an index) and the patterns' observed masks."""
    observed = ~np.isnan(values)
    bits = np.packbits(observed, axis=1)
    keys = bits.view(np.dtype((np.void, bits.shape[1])))[:, 0]
    _, first, index = np.unique(keys, return_index=True, return_inverse=True)
    return index.ravel(), observed[first]


def _pattern_sums(values, index, n_patterns):
    """Per pattern: row count, sum and cross-product of the values (0 if missing)."""
    filled = np.where(np.isnan(values), 0.0, values)
    sizes = np.bincount(index, minlength=n_patterns)
    p = values.shape[1]
    sums = np.zeros((n_patterns, p))
    cross = np.zeros((n_patterns, p, p))
    order = np.argsort(index, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    # big patterns: one product each; the many small ones: outer products of
    # their rows, summed per pattern in one pass
    for j in np.flatnonzero(sizes >= _BIG_PATTERN):
        block = filled[order[bounds[j] : bounds[j + 1]]]
        sums[j] = block.sum(axis=0)
        cross[j] = block.T @ block
    small = np.flatnonzero((sizes > 0) & (sizes < _BIG_PATTERN))
    if small.size:
        block = filled[order[np.isin(index[order], small)]]
        starts = np.concatenate([[0], np.cumsum(sizes[small])[:-1]])
        sums[small] = np.add.reduceat(block, starts, axis=0)
        outer = block[:, :, None] * block[:, None, :]
        cross[small] = np.add.reduceat(outer, starts, axis=0)
    return sizes.astype(np.float64), sums, cross


def _missing_blocks(observed):
    """The patterns grouped by their number of missing columns ``k``: for each
    group, the patterns' positions and their missing columns, shape (m, k)."""
    missing = ~observed
    n_missing = missing.sum(axis=1)
    blocks = []
    for k in np.unique(n_missing):
        if k == 0:
            continue
        rows = np.flatnonzero(n_missing == k)
        columns = np.nonzero(missing[rows])[1].reshape(rows.size, k)
        blocks.append((rows, columns))
    return blocks


def _conditionals(cov, observed, blocks):
    """Per pattern, the regression of its missing columns on its observed ones.

    With ``P`` the inverse covariance, the missing values given the observed
    ones have mean ``mean_M - inv(P_MM) P_MO (x_O - mean_O)`` and covariance
    ``inv(P_MM)``: one small inverse per pattern, of its missing block only.

    Returns ``coef`` (zero outside the rows M and columns O) and ``residual``
    (zero outside the block M x M), both of shape (n_patterns, p, p).
    """
    n_patterns, p = observed.shape
    precision = np.linalg.inv(cov)
    coef = np.zeros((n_patterns, p, p))
    residual = np.zeros((n_patterns, p, p))
    for rows, columns in blocks:
        block = np.linalg.inv(precision[columns[:, :, None], columns[:, None, :]])
        cross = precision[columns] * observed[rows][:, None, :]
        coef[rows[:, None], columns] = -block @ cross
        residual[rows[:, None, None], columns[:, :, None], columns[:, None, :]] = block
    return coef, residual, precision


def _em(counts, sums, cross, observed, n_rows):
    """Maximum-likelihood mean and covariance of a normal sample with gaps (EM)."""
    p = observed.shape[1]
    n_obs = (counts[:, None] * observed).sum(axis=0)
    mean = sums.sum(axis=0) / np.maximum(n_obs, 1)
    diag = np.einsum("jkk->k", cross) / np.maximum(n_obs, 1) - mean**2
    cov = np.diag(np.maximum(diag, 1e-12))
    scale = np.sqrt(np.diag(cov))
    missing = ~observed
    blocks = _missing_blocks(observed)
    keep = observed[:, :, None] * np.eye(p)
    for _ in range(EM_MAX_ITER):
        coef, residual, _ = _conditionals(cov, observed, blocks)
        link = coef + keep  # x_hat = shift + link @ x0 (x0: zero where missing)
        shift = (mean[None] - np.einsum("jkl,l->jk", coef, mean)) * missing
        moved = np.einsum("jkl,jl->jk", link, sums)  # link @ sum of x0
        total = counts[:, None] * shift + moved
        second = (
            counts[:, None, None] * (shift[:, :, None] * shift[:, None, :] + residual)
            + shift[:, :, None] * moved[:, None, :]
            + moved[:, :, None] * shift[:, None, :]
            + link @ cross @ link.transpose(0, 2, 1)
        )
        new_mean = total.sum(axis=0) / n_rows
        new_cov = second.sum(axis=0) / n_rows - np.outer(new_mean, new_mean)
        done = (
            np.max(np.abs(new_mean - mean) / scale) < EM_TOLERANCE
            and np.max(np.abs(new_cov - cov) / np.outer(scale, scale)) < EM_TOLERANCE
        )
        mean, cov = new_mean, new_cov
        if done:
            break
    return mean, cov, blocks


def little_mcar_test(X, columns=None):
    """Little's test that numeric values are missing completely at random (MCAR).

    The rows are grouped by their pattern of missing values; the mean and
    covariance of all the columns are estimated by maximum likelihood (EM, under
    a multivariate normal model), and Little's statistic sums, over the
    patterns, the squared Mahalanobis distance of each pattern's mean of its
    observed columns from the overall mean, weighted by the pattern's rows.
    Under MCAR it is chi-square with ``sum(observed columns per pattern) -
    n_columns`` degrees of freedom.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        Numeric columns (NaN, None and ``pd.NA`` are missing); others are left out.
    columns : list of str, default=None
        Names of the columns (an array's are ``x0, x1, ...``).

    Returns
    -------
    result : MCARTestResult
        Statistic, degrees of freedom, p-value, number of patterns and the
        effect size.

    See Also
    --------
    pyampute.exploration.mcar_statistical_tests.MCARTest : The same test,
        numeric only; here the EM is batched over the patterns.

    Notes
    -----
    Rows with every value missing are left out. The patterns are fitted in
    one batch per EM step (no loop over patterns), so thousands of patterns
    stay fast; Little's statistic is the one of R's ``naniar::mcar_test``.

    References
    ----------
    Little, R. J. A. (1988). A test of missing completely at random for
    multivariate data with missing values. JASA 83(404), 1198-1202.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_workflow.quality import little_mcar_test
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(500, 3)), columns=["a", "b", "c"])
    >>> X.loc[X["a"] > 1, "b"] = np.nan      # b is missing when a is large
    >>> result = little_mcar_test(X)
    >>> result.n_patterns, result.df, bool(result.p_value < 1e-6)
    (2, 2, True)

    Values knocked out at random pass:

    >>> X = pd.DataFrame(rng.normal(size=(500, 3)), columns=["a", "b", "c"])
    >>> X[rng.random((500, 3)) < 0.1] = None
    >>> bool(little_mcar_test(X).p_value > 0.01)
    True
    """
    values, names = _numeric_values(X, columns)
    return _little(values, names)


def _numeric_values(X, columns):
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        numeric = X.select_dtypes(include=["number", "bool"])
        names = [str(c) for c in numeric.columns]
        values = numeric.astype("float64").to_numpy(na_value=np.nan)
        return values, names
    values = np.asarray(X, dtype=np.float64)
    names = columns or [f"x{i}" for i in range(values.shape[1])]
    return values, list(names)


def _little(values, names):
    """Little's test on a float matrix (NaN for missing)."""
    values = values[~np.isnan(values).all(axis=1)]
    n_rows, p = values.shape
    if n_rows == 0 or p == 0:
        return MCARTestResult(0.0, 0, 1.0, 0, 0.0, tuple(names), n_rows)
    index, observed = _patterns(values)
    counts, sums, cross = _pattern_sums(values, index, observed.shape[0])
    mean, cov, blocks = _em(counts, sums, cross, observed, n_rows)
    coef, _, precision = _conditionals(cov, observed, blocks)
    # d' inv(cov_OO) d = d' P d - u' inv(P_MM) u with u = (P d)_M, d zero on M
    diff = (sums / counts[:, None] - mean) * observed
    pd_ = diff @ precision
    u_term = np.einsum("jk,jk->j", pd_ * ~observed, np.einsum("jkl,jl->jk", coef, diff))
    d2 = float(np.sum(counts * (np.einsum("jk,jk->j", pd_, diff) + u_term)))
    df = int(observed.sum() - p)
    p_value = float(stats.chi2.sf(d2, df)) if df > 0 else 1.0
    effect = float(np.sqrt(max(d2 - df, 0.0) / n_rows))
    return MCARTestResult(
        d2, df, p_value, int(observed.shape[0]), effect, tuple(names), n_rows
    )


def mcar_findings(values, names):
    """The ``missing_not_at_random`` finding from Little's test, or none.

    ``values`` are the numeric columns (float, NaN for missing); the test runs
    when at least one of them has a missing value.
    """
    if len(names) < 2 or not any(np.isnan(v).any() for v in values):
        return []
    n_rows = values[0].size
    rows = slice(None)
    if n_rows > MCAR_ROWS:  # the effect size does not depend on the rows
        rng = np.random.default_rng(0)
        rows = np.sort(rng.choice(n_rows, MCAR_ROWS, replace=False))
    try:
        result = _little(np.column_stack([v[rows] for v in values]), names)
    except np.linalg.LinAlgError:  # collinear columns: no covariance to invert
        return []
    if not (result.p_value < MCAR_ALPHA and result.effect_size >= MCAR_MIN_EFFECT):
        return []
    return [
        finding(
            "missing_not_at_random",
            None,
            "warning",
            result.effect_size,
            f"The numeric values are not missing completely at random: Little's "
            f"test chi-square {result.statistic:.1f} on {result.df} degrees of "
            f"freedom (p = {result.p_value:.2g}, {result.n_patterns} missing "
            f"patterns, effect size w = {result.effect_size:.2f}"
            + (f", on {MCAR_ROWS:,} rows drawn at random" if n_rows > MCAR_ROWS else "")
            + "). The rows with gaps differ from the others, so dropping them "
            "biases the data.",
            "Impute rather than drop rows, with an imputer that uses the other "
            "columns (IterativeImputer, KNNImputer) and keep the missing "
            "indicators (add_indicator=True).",
        )
    ]


def naive_bayes_auc(positive, codes, second, drop_above=None):
    """Out-of-sample ROC-AUC of a binary label from coded columns.

    A naive-Bayes score: each column's log-odds of the label per code is
    learned on one half of the rows and scores the other half (cross-fitted,
    so an identifier cannot memorise rows), and the columns' log-odds add up.

    Parameters
    ----------
    positive : ndarray of bool of shape (n,)
    codes : list of (ndarray of int, int)
        The columns' codes (missing a code of its own) and code counts.
    second : ndarray of bool of shape (n,)
        The rows of the second half.
    drop_above : float, default=None
        Columns that alone reach this AUC are left out of the sum.

    Returns
    -------
    auc : float
        0.5 when nothing predicts it.
    aucs : list of float
        Each column's own AUC.
    """
    target = positive.astype(np.float64)
    prior = target.mean()
    base = np.log(prior / (1 - prior))
    score = np.zeros(target.size)
    aucs = []
    for code, n_codes in codes:
        table, index = crossfit_table(code, n_codes, target, prior, second)
        auc = _auc_from_tables(table, index, target)
        aucs.append(auc)
        if drop_above is not None and auc >= drop_above:
            continue
        rate = np.clip(table, 1e-6, 1 - 1e-6)
        score += (np.log(rate / (1 - rate)) - base)[index]
    return _rank_auc(score, positive), aucs


def _rank_auc(score, positive):
    """ROC-AUC by the Mann-Whitney rank sum (ties averaged)."""
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return 0.5
    ranks = stats.rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _spread(positions):
    """At most ``SCREEN_ROWS`` of ``positions``, evenly spread."""
    if positions.size <= SCREEN_ROWS:
        return positions
    return positions[np.linspace(0, positions.size - 1, SCREEN_ROWS).astype(np.int64)]


def predictable_missing_findings(names, masks, codes):
    """``missing_predictable`` findings: columns whose gaps the others predict.

    Parameters
    ----------
    names : list of str
    masks : list of ndarray of bool
        Each column's missing mask (on the rows screened).
    codes : list of (ndarray of int, int) or None
        Each column's codes for the screen (None: not coded).
    """
    rows = []
    n = masks[0].size if masks else 0
    for i, (name, missing) in enumerate(zip(names, masks)):
        n_missing = int(missing.sum())
        if min(n_missing, n - n_missing) < MIN_MISSING:
            continue
        others = [(j, c) for j, c in enumerate(codes) if j != i and c is not None]
        if not others:
            continue
        # The AUC does not depend on the share of missing rows: at most
        # SCREEN_ROWS missing and as many present rows are enough.
        sample = np.concatenate(
            [_spread(np.flatnonzero(missing)), _spread(np.flatnonzero(~missing))]
        )
        sampled = [(code[sample], n_codes) for _, (code, n_codes) in others]
        auc, aucs = naive_bayes_auc(missing[sample], sampled, split_halves(sample.size))
        if auc < PREDICTABLE_AUC:
            continue
        best = int(np.argmax(aucs))
        top = names[others[best][0]] if aucs[best] > 0.5 else None
        rows.append(
            finding(
                "missing_predictable",
                name,
                "info",
                auc,
                f"Whether {name} is missing is predictable from the other "
                f"columns (out-of-sample ROC-AUC {auc:.2f}"
                + (f"; {top} predicts it best" if top else "")
                + "): its values are not missing completely at random.",
                "Keep a missing indicator (SimpleImputer(add_indicator=True)) and "
                "impute from the other columns (IterativeImputer); do not drop "
                "the rows.",
            )
        )
    return rows
