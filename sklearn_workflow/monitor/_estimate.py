"""Performance without labels (CBPE-style), realised performance, concept drift.

With calibrated probabilities ``p`` and the model's decisions at its threshold,
a row decided positive is a true positive with chance ``p`` and a false one with
chance ``1 - p``; summing gives the expected confusion matrix (confidence-based
performance estimation, as NannyML's CBPE). The interval is that of the
realised value if the probabilities are right: labels are drawn from ``p``
``n_draws`` times and each draw's recall, precision and accuracy computed.

When labels arrive, the realised values get Clopper-Pearson intervals, and
concept drift is tested: the number of right decisions against the number the
probabilities expect (a Poisson-binomial, approximated by a normal), a shortfall
meaning that the relation between the columns and the target has moved.
"""

import numpy as np
from scipy import stats

from sklearn_workflow.monitor._stats import clopper_pearson_interval

__all__ = ["METRICS", "estimate_performance", "realised_performance"]

METRICS = ("recall", "precision", "accuracy", "f1")


def _metrics(tp, fp, tn, fn):
    """Recall, precision, accuracy and F1 of count arrays (0 where undefined)."""
    tp, fp, tn, fn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, tn, fn))
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    accuracy = (tp + tn) / np.maximum(tp + fp + tn + fn, 1)
    return {"recall": recall, "precision": precision, "accuracy": accuracy, "f1": f1}


def estimate_performance(probabilities, decided_positive, *, n_draws=500, rng=None):
    """Expected confusion matrix and metrics of a chunk from calibrated probabilities.

    Parameters
    ----------
    probabilities : array-like of float
        Calibrated probabilities of the positive class.
    decided_positive : array-like of bool
        The model's decision at its threshold.
    n_draws : int, default=500
        Label draws for the 95% intervals.
    rng : numpy Generator, int or None

    Returns
    -------
    estimate : dict
        ``tp``, ``fp``, ``tn``, ``fn`` (expected counts) and per metric of
        :data:`METRICS` its value, ``<metric>_low`` and ``<metric>_high``.

    Examples
    --------
    >>> from sklearn_workflow.monitor._estimate import estimate_performance
    >>> decided = [True, True, False, False]
    >>> estimate = estimate_performance([0.9, 0.9, 0.2, 0.2], decided)
    >>> round(estimate["tp"], 2), round(estimate["fn"], 2), round(estimate["recall"], 3)
    (1.8, 0.4, 0.818)
    """
    p = np.asarray(probabilities, dtype=np.float64)
    decided = np.asarray(decided_positive, dtype=bool)
    tp, fp = p[decided].sum(), (1 - p[decided]).sum()
    fn, tn = p[~decided].sum(), (1 - p[~decided]).sum()
    estimate = {"tp": tp, "fp": fp, "tn": tn, "fn": fn}
    values = _metrics(tp, fp, tn, fn)
    rng = np.random.default_rng(rng)
    labels = rng.random((n_draws, p.size)) < p
    hits = labels[:, decided].sum(axis=1)
    missed = labels[:, ~decided].sum(axis=1)
    drawn = _metrics(hits, decided.sum() - hits, (~decided).sum() - missed, missed)
    for name in METRICS:
        low, high = np.quantile(drawn[name], [0.025, 0.975])
        estimate[name] = float(values[name])
        estimate[f"{name}_low"], estimate[f"{name}_high"] = float(low), float(high)
    return {key: float(value) for key, value in estimate.items()}


def realised_performance(y_positive, decided_positive, probabilities=None):
    """Realised confusion counts and metrics with Clopper-Pearson intervals.

    With calibrated ``probabilities``, also the concept-drift test: ``z`` of the
    number of right decisions against the number expected, and its one-sided
    ``concept_pvalue`` (small when the model is right less often than its
    probabilities say).

    Examples
    --------
    >>> from sklearn_workflow.monitor._estimate import realised_performance
    >>> realised = realised_performance([True, False, True], [True, False, False])
    >>> realised["recall"], realised["precision"], realised["tp"]
    (0.5, 1.0, 1.0)
    """
    y = np.asarray(y_positive, dtype=bool)
    decided = np.asarray(decided_positive, dtype=bool)
    tp, fp = float(np.sum(y & decided)), float(np.sum(~y & decided))
    tn, fn = float(np.sum(~y & ~decided)), float(np.sum(y & ~decided))
    out = {"tp": tp, "fp": fp, "tn": tn, "fn": fn}
    trials = {"recall": tp + fn, "precision": tp + fp, "accuracy": y.size}
    successes = {"recall": tp, "precision": tp, "accuracy": tp + tn}
    values = _metrics(tp, fp, tn, fn)
    for name in METRICS:
        out[name] = float(values[name])
        if name in trials:
            low, high = clopper_pearson_interval(successes[name], trials[name])
            out[f"{name}_low"], out[f"{name}_high"] = low, high
    if probabilities is not None:
        p = np.asarray(probabilities, dtype=np.float64)
        right = np.where(decided, p, 1 - p)
        sd = float(np.sqrt(np.sum(right * (1 - right))))
        z = (tp + tn - right.sum()) / sd if sd > 0 else 0.0
        out["concept_z"] = float(z)
        out["concept_pvalue"] = float(stats.norm.cdf(z))
    return out
