"""Confusion counts at every threshold, the metrics computed from them, constraints.

Everything here works on whole arrays of candidate thresholds at once: one sort of
the scores and cumulative sums give the confusion counts at every distinct score,
and each metric is then a few vectorised array operations.
"""

from numbers import Real

import numpy as np
from scipy.stats import beta as beta_distribution

__all__ = [
    "CONSTRAINT_METRICS",
    "OBJECTIVES",
    "clopper_pearson",
    "confusion_counts",
    "constraint_metric",
    "effective_proportion",
    "expected_cost",
    "objective_scores",
    "parse_constraints",
    "parse_cost",
]

# Constraint metrics are proportions successes / trials of the confusion counts, so
# that a Clopper-Pearson bound exists for each. "lower": the metric must be at least
# the bound; "upper": at most (the rates of errors and the alert rate).
# name -> (kind, successes, trials)
CONSTRAINT_METRICS = {
    "recall": ("lower", "tp", "tp+fn"),
    "precision": ("lower", "tp", "tp+fp"),
    "specificity": ("lower", "tn", "tn+fp"),
    "npv": ("lower", "tn", "tn+fn"),
    "accuracy": ("lower", "tp+tn", "n"),
    "fpr": ("upper", "fp", "tn+fp"),
    "fnr": ("upper", "fn", "tp+fn"),
    "alert_rate": ("upper", "tp+fp", "n"),
}
_CONSTRAINT_ALIASES = {
    "tpr": "recall",
    "sensitivity": "recall",
    "ppv": "precision",
    "tnr": "specificity",
}

OBJECTIVES = (
    "f1",
    "fbeta",
    "precision",
    "recall",
    "specificity",
    "balanced_accuracy",
    "mcc",
    "youden",
    "gmean",
    "accuracy",
    "cost",
)

_COST_KEYS = ("tp", "fp", "tn", "fn")


def confusion_counts(y_true, y_score, sample_weight=None):
    """Confusion counts at every threshold that separates distinct scores.

    A row is predicted positive when its score is at least the threshold. The
    candidate thresholds are, from the highest to the lowest: ``+inf`` (no row
    flagged), the midpoint between each pair of adjacent distinct scores, and
    ``-inf`` (every row flagged). Rows with equal scores always fall on the same
    side: no threshold separates them.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,), dtype=bool
        Whether each row belongs to the positive class.
    y_score : ndarray of shape (n_samples,)
        The score of each row, higher meaning more likely positive. Finite.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Weight of each row: the counts are sums of weights. Rows of weight 0
        still separate thresholds; leave them out first if they should not.

    Returns
    -------
    thresholds : ndarray of shape (n_distinct + 1,)
        Decreasing candidate thresholds.
    tp, fp, tn, fn : ndarray of shape (n_distinct + 1,)
        The confusion counts at each threshold: int64 without weights, float64
        sums of weights with them.

    Examples
    --------
    Two rows share the score 0.4, so no threshold separates them:

    >>> import numpy as np
    >>> y_true = np.array([True, False, True, False])
    >>> y_score = np.array([0.9, 0.4, 0.4, 0.1])
    >>> thresholds, tp, fp, tn, fn = confusion_counts(y_true, y_score)
    >>> thresholds
    array([ inf, 0.65, 0.25, -inf])
    >>> tp, fp
    (array([0, 1, 2, 2]), array([0, 0, 1, 2]))

    With weights the counts are sums of weights, as if each row were repeated
    that many times:

    >>> _, tp, fp, _, _ = confusion_counts(y_true, y_score, [1.0, 3.0, 2.0, 1.0])
    >>> tp, fp
    (array([0., 1., 3., 3.]), array([0., 0., 3., 4.]))
    """
    y_true = np.asarray(y_true, dtype=bool)
    y_score = np.asarray(y_score, dtype=np.float64)
    # One stable sort, then reversed: decreasing scores.
    order = np.argsort(y_score, kind="stable")[::-1]
    scores = y_score[order]
    positive = y_true[order]
    n_samples = scores.shape[0]
    # Index of the last row of each group of equal scores.
    ends = np.flatnonzero(scores[1:] != scores[:-1])
    ends = np.append(ends, n_samples - 1)
    if sample_weight is None:
        cum_tp = np.cumsum(positive, dtype=np.int64)
        cum_all = ends + 1
    else:
        weight = np.asarray(sample_weight, dtype=np.float64)[order]
        cum_tp = np.cumsum(np.where(positive, weight, 0.0))
        cum_all = np.cumsum(weight)[ends]
    tp = np.concatenate(([0], cum_tp[ends]))
    fp = np.concatenate(([0], cum_all - cum_tp[ends]))
    n_pos = tp[-1]
    n_neg = fp[-1]
    fn = n_pos - tp
    tn = n_neg - fp

    distinct = scores[ends]
    upper, lower = distinct[:-1], distinct[1:]
    midpoint = lower / 2 + upper / 2  # no overflow for huge decision values
    # Adjacent floating-point numbers have no midpoint strictly between them; the
    # upper one then separates them too, as rows at the threshold are positive.
    midpoint = np.where((midpoint > lower) & (midpoint <= upper), midpoint, upper)
    thresholds = np.concatenate(([np.inf], midpoint, [-np.inf]))
    return thresholds, tp, fp, tn, fn


def _divide(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (zero_division=0)."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.zeros(np.broadcast(numerator, denominator).shape)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _counts_expression(expression, tp, fp, tn, fn):
    """Evaluate "tp", "tp+fn", "n", ... on the count arrays."""
    counts = {"tp": tp, "fp": fp, "tn": tn, "fn": fn}
    if expression == "n":
        return tp + fp + tn + fn
    total = 0
    for name in expression.split("+"):
        total = total + counts[name]
    return np.asarray(total)


def constraint_metric(name, tp, fp, tn, fn):
    """Value of a constraint metric (a proportion) at every threshold.

    Parameters
    ----------
    name : str
        A key of :data:`CONSTRAINT_METRICS`.
    tp, fp, tn, fn : ndarray
        Confusion counts (sums of weights for weighted rows).

    Returns
    -------
    successes, trials : ndarray
        The proportion's numerator and denominator, of the counts' dtype.
    value : ndarray of float64
        ``successes / trials``, 0 where ``trials`` is 0.
    """
    _, successes, trials = CONSTRAINT_METRICS[name]
    successes = _counts_expression(successes, tp, fp, tn, fn)
    trials = _counts_expression(trials, tp, fp, tn, fn)
    return successes, trials, _divide(successes, trials)


def effective_proportion(name, counts, squared_counts):
    """Effective successes and trials of a constraint metric with weighted rows.

    A proportion of weighted rows is as precise as one of ``n_eff`` unweighted
    rows, with ``n_eff = (sum w) ** 2 / sum(w ** 2)`` (Kish's effective sample
    size) over the rows of its denominator; the effective successes are the
    weighted proportion times ``n_eff``. With unit weights ``n_eff`` is the
    number of rows, so the unweighted counts come back. Integer weights count
    as survey or importance weights here, not as repeated rows: weights of 2
    give the precision of the rows there are, not of twice as many.

    Parameters
    ----------
    name : str
        A key of :data:`CONSTRAINT_METRICS`.
    counts : tuple of 4 ndarray
        ``(tp, fp, tn, fn)`` as sums of weights.
    squared_counts : tuple of 4 ndarray
        The same counts as sums of squared weights.

    Returns
    -------
    successes, trials : ndarray of float64
        Effective counts, to pass to :func:`clopper_pearson`.

    Examples
    --------
    Recall of 3 positives of weights 1, 1 and 4, the first two caught: the
    weighted recall is 2 / 6 and the effective number of positives 36 / 18 = 2.

    >>> import numpy as np
    >>> counts = tuple(np.array([v]) for v in (2.0, 0.0, 0.0, 4.0))
    >>> squared = tuple(np.array([v]) for v in (2.0, 0.0, 0.0, 16.0))
    >>> successes, trials = effective_proportion("recall", counts, squared)
    >>> print(successes.round(4), trials)
    [0.6667] [2.]
    """
    _, _, value = constraint_metric(name, *counts)
    trials_expression = CONSTRAINT_METRICS[name][2]
    total = _counts_expression(trials_expression, *counts)
    squared = _counts_expression(trials_expression, *squared_counts)
    trials = _divide(np.asarray(total, np.float64) ** 2, squared)
    return value * trials, trials


def clopper_pearson(successes, trials, confidence, side):
    """One-sided Clopper-Pearson (exact binomial) bound of a proportion.

    Parameters
    ----------
    successes, trials : array-like of float
        Observed successes out of trials; real values (effective counts of
        weighted rows) are read through the beta distribution as integers are.
    confidence : float in (0, 1)
        Probability that the bound holds (is below, or above, the true
        proportion) over repeated samples.
    side : {"lower", "upper"}
        A lower bound (the proportion is at least it) or an upper bound.

    Returns
    -------
    bound : ndarray of float64
        The bound; 0 (lower) or 1 (upper) where there are no trials.

    Examples
    --------
    Ten successes out of ten trials: the 90% lower bound is ``0.1 ** (1 / 10)``.

    >>> print(clopper_pearson([10, 0], [10, 10], 0.9, "lower").round(4))
    [0.7943 0.    ]
    >>> print(clopper_pearson([10, 0], [10, 0], 0.9, "upper").round(4))
    [1. 1.]
    """
    successes = np.asarray(successes, dtype=np.float64)
    trials = np.asarray(trials, dtype=np.float64)
    if successes.ndim == 1 and successes.size > 64:
        # Along a curve the same (successes, trials) pairs repeat (recall has
        # one trials count): compute each distinct pair's quantile once.
        pairs = np.column_stack([successes, trials])
        first, inverse = np.unique(
            pairs, axis=0, return_index=True, return_inverse=True
        )[1:]
        bound = _clopper_pearson(successes[first], trials[first], confidence, side)
        return bound[inverse.ravel()]
    return _clopper_pearson(successes, trials, confidence, side)


def _clopper_pearson(successes, trials, confidence, side):
    # Effective counts of weighted rows are real numbers: rounding noise
    # around 0 successes or 0 failures counts as exactly 0.
    noise = 1e-9 * np.maximum(trials, 1.0)
    successes = np.where(successes < noise, 0.0, successes)
    failures = trials - successes
    failures = np.where(failures < noise, 0.0, failures)
    with np.errstate(invalid="ignore", divide="ignore"):
        if side == "lower":
            inside = successes > 0
            bound = beta_distribution.ppf(
                1 - confidence,
                np.where(inside, successes, 1),
                np.where(inside, failures + 1, 1),
            )
            return np.where(inside, bound, 0.0)
        inside = failures > 0
        bound = beta_distribution.ppf(
            confidence,
            np.where(inside, successes + 1, 1),
            np.where(inside, failures, 1),
        )
        return np.where(inside, bound, 1.0)


def objective_scores(objective, tp, fp, tn, fn, *, beta=1.0, cost=None):
    """Score of the objective at every threshold (higher is better).

    Parameters
    ----------
    objective : str or callable
        A name of :data:`OBJECTIVES`, or a callable ``f(tp, fp, tn, fn)`` that takes
        the four count arrays and returns one score per threshold.
    tp, fp, tn, fn : ndarray of int
        Confusion counts.
    beta : float, default=1.0
        The beta of ``"fbeta"``.
    cost : dict or None, default=None
        Parsed costs (see :func:`parse_cost`) for ``"cost"``: the score is the
        negative expected cost per row.

    Returns
    -------
    scores : ndarray of float64
    """
    tp, fp, tn, fn = (np.asarray(a, dtype=np.float64) for a in (tp, fp, tn, fn))
    if callable(objective):
        scores = np.asarray(objective(tp, fp, tn, fn), dtype=np.float64)
        if scores.shape != tp.shape:
            raise ValueError(
                "The objective callable must take the four arrays of confusion "
                "counts (tp, fp, tn, fn), one value per threshold, and return one "
                f"score per threshold: expected shape {tp.shape}, got {scores.shape}."
            )
        return scores
    tpr = _divide(tp, tp + fn)
    tnr = _divide(tn, tn + fp)
    if objective == "f1":
        return _divide(2 * tp, 2 * tp + fp + fn)
    if objective == "fbeta":
        beta2 = beta * beta
        return _divide((1 + beta2) * tp, (1 + beta2) * tp + beta2 * fn + fp)
    if objective == "precision":
        return _divide(tp, tp + fp)
    if objective == "recall":
        return tpr
    if objective == "specificity":
        return tnr
    if objective == "balanced_accuracy":
        return (tpr + tnr) / 2
    if objective == "mcc":
        denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        return _divide(tp * tn - fp * fn, denominator)
    if objective == "youden":
        return tpr + tnr - 1
    if objective == "gmean":
        return np.sqrt(tpr * tnr)
    if objective == "accuracy":
        return _divide(tp + tn, tp + fp + tn + fn)
    if objective == "cost":
        return -expected_cost(cost, tp, fp, tn, fn)
    raise ValueError(f"Unknown objective {objective!r}.")


def expected_cost(cost, tp, fp, tn, fn):
    """Expected cost per row: sum of count * cost per outcome, divided by n."""
    total = cost["tp"] * tp + cost["fp"] * fp + cost["tn"] * tn + cost["fn"] * fn
    return _divide(total, tp + fp + tn + fn)


def parse_cost(cost):
    """Validate ``cost`` and fill the missing outcomes with 0.

    Parameters
    ----------
    cost : dict or None
        Cost per row of each outcome among "tp", "fp", "tn", "fn"; a gain is a
        negative cost. None: a cost of 1 per error (the error rate).

    Returns
    -------
    cost : dict
        All four keys, float values.
    """
    if cost is None:
        return {"tp": 0.0, "fp": 1.0, "tn": 0.0, "fn": 1.0}
    if not isinstance(cost, dict):
        raise ValueError(_cost_form_message(cost))
    unknown = sorted(set(cost) - set(_COST_KEYS), key=str)
    if unknown:
        raise ValueError(
            f"Unknown outcome {unknown[0]!r} in cost; expected keys among "
            f"{list(_COST_KEYS)} (true positive, false positive, true negative, "
            f"false negative), got {cost!r}."
        )
    parsed = {}
    for key in _COST_KEYS:
        value = cost.get(key, 0.0)
        if (
            not isinstance(value, Real)
            or isinstance(value, bool)
            or not np.isfinite(value)
        ):
            raise ValueError(
                f"The cost of {key!r} must be a finite real number, got {value!r}."
            )
        parsed[key] = float(value)
    return parsed


def _cost_form_message(cost):
    """Why a cost that is not a dict is refused, with the dict it may mean."""
    message = (
        "cost must be a dict of the cost of each outcome, with keys among 'tp', "
        "'fp', 'tn' and 'fn' (true positive, false positive, true negative, false "
        f"negative), e.g. {{'fp': 1, 'fn': 5}}; got cost={cost!r}."
    )
    matrix = np.asarray(cost, dtype=object)
    if matrix.shape == (2, 2):
        # scikit-learn's confusion_matrix layout: rows are the true class
        # (negative, positive), columns the predicted class.
        meant = {
            key: matrix[row, col]
            for key, (row, col) in zip(
                ("tn", "fp", "fn", "tp"), ((0, 0), (0, 1), (1, 0), (1, 1))
            )
            if matrix[row, col] != 0
        }
        message += (
            " Read as scikit-learn's confusion matrix (rows the true class, "
            f"negative first; columns the predicted class), it is cost={meant!r}."
        )
    return message


def parse_constraints(constraint, alert_rate=None):
    """Validate ``constraint`` (and ``alert_rate``) into a list of bounds.

    Parameters
    ----------
    constraint : dict or None
        ``{metric: bound}``; the metrics of :data:`CONSTRAINT_METRICS` (or the
        aliases "tpr", "sensitivity", "ppv", "tnr"). Rates of errors ("fpr", "fnr")
        and "alert_rate" are upper bounds, the others lower bounds.
    alert_rate : float or None, default=None
        Shorthand for ``{"alert_rate": alert_rate}``.

    Returns
    -------
    constraints : list of (metric, kind, bound)
        ``kind`` is "lower" (metric >= bound) or "upper" (metric <= bound).

    Examples
    --------
    >>> parse_constraints({"tpr": 0.8, "fpr": 0.1})
    [('recall', 'lower', 0.8), ('fpr', 'upper', 0.1)]
    """
    constraint = {} if constraint is None else constraint
    parsed = []
    seen = set()
    for key, value in constraint.items():
        name = _CONSTRAINT_ALIASES.get(key, key)
        if name not in CONSTRAINT_METRICS:
            raise ValueError(
                f"Unknown metric {key!r} in constraint; expected one of "
                f"{sorted(CONSTRAINT_METRICS) + sorted(_CONSTRAINT_ALIASES)}, "
                f"got constraint={constraint!r}."
            )
        if name in seen:
            raise ValueError(
                f"The metric {name!r} is constrained twice in "
                f"constraint={constraint!r}."
            )
        if (
            not isinstance(value, Real)
            or isinstance(value, bool)
            or not 0 <= value <= 1
        ):
            raise ValueError(
                f"The bound of {key!r} in constraint must be a number in [0, 1], "
                f"got {value!r}."
            )
        seen.add(name)
        parsed.append((name, CONSTRAINT_METRICS[name][0], float(value)))
    if alert_rate is not None:
        if "alert_rate" in seen:
            raise ValueError(
                "The alert rate is set twice: by alert_rate="
                f"{alert_rate!r} and in constraint={constraint!r}; set one."
            )
        parsed.append(("alert_rate", "upper", float(alert_rate)))
    return parsed
