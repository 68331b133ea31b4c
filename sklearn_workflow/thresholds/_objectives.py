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


def confusion_counts(y_true, y_score):
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

    Returns
    -------
    thresholds : ndarray of shape (n_distinct + 1,)
        Decreasing candidate thresholds.
    tp, fp, tn, fn : ndarray of shape (n_distinct + 1,), dtype=int64
        The confusion counts at each threshold.

    Examples
    --------
    Two rows share the score 0.4, so no threshold separates them:

    >>> import numpy as np
    >>> thresholds, tp, fp, tn, fn = confusion_counts(
    ...     np.array([True, False, True, False]), np.array([0.9, 0.4, 0.4, 0.1])
    ... )
    >>> thresholds
    array([ inf, 0.65, 0.25, -inf])
    >>> tp, fp
    (array([0, 1, 2, 2]), array([0, 0, 1, 2]))
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
    cum_tp = np.cumsum(positive, dtype=np.int64)
    tp = np.concatenate(([0], cum_tp[ends]))
    fp = np.concatenate(([0], ends + 1 - cum_tp[ends]))
    n_pos = tp[-1]
    n_neg = n_samples - n_pos
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
    return np.asarray(total, dtype=np.int64)


def constraint_metric(name, tp, fp, tn, fn):
    """Value of a constraint metric (a proportion) at every threshold.

    Parameters
    ----------
    name : str
        A key of :data:`CONSTRAINT_METRICS`.
    tp, fp, tn, fn : ndarray of int
        Confusion counts.

    Returns
    -------
    successes, trials : ndarray of int64
        The proportion's numerator and denominator.
    value : ndarray of float64
        ``successes / trials``, 0 where ``trials`` is 0.
    """
    _, successes, trials = CONSTRAINT_METRICS[name]
    successes = _counts_expression(successes, tp, fp, tn, fn)
    trials = _counts_expression(trials, tp, fp, tn, fn)
    return successes, trials, _divide(successes, trials)


def clopper_pearson(successes, trials, confidence, side):
    """One-sided Clopper-Pearson (exact binomial) bound of a proportion.

    Parameters
    ----------
    successes, trials : array-like of int
        Observed successes out of trials.
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
    if successes.ndim == 1 and successes.size > 64 and trials.max() < 2**26:
        # Along a curve the same (successes, trials) pairs repeat (recall has
        # one trials count): compute each distinct pair's quantile once. Counts
        # are integers below 2**26, so one float key identifies a pair.
        key = successes * 2.0**26 + trials
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        bound = _clopper_pearson(successes[first], trials[first], confidence, side)
        return bound[inverse]
    return _clopper_pearson(successes, trials, confidence, side)


def _clopper_pearson(successes, trials, confidence, side):
    failures = trials - successes
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
    unknown = sorted(set(cost) - set(_COST_KEYS), key=str)
    if unknown:
        raise ValueError(
            f"Unknown outcome {unknown[0]!r} in cost; expected keys among "
            f"{list(_COST_KEYS)}, got {cost!r}."
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
