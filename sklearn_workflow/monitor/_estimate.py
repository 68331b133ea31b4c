"""Performance without labels (CBPE-style), realised performance, concept drift.

With calibrated probabilities ``p`` and the model's decisions at its threshold,
a row decided positive is a true positive with chance ``p`` and a false one with
chance ``1 - p``; summing gives the expected confusion matrix (confidence-based
performance estimation, as NannyML's CBPE). The interval is that of the
realised value: labels are drawn from ``p`` ``n_draws`` times and each draw's
recall, precision and accuracy computed (the chunk's sampling variance), and
each draw is moved by the error of the calibration map fitted on a finite
reference (:func:`map_shifts`).

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


def map_shifts(per_map, value, n_draws, rng):
    """Normal draws of a metric's shift under the calibration map's uncertainty.

    ``per_map`` holds the metric (over a leading axis) computed from the
    probabilities of each map refitted on a resample of the reference;
    ``value`` is the estimate. The shifts ``per_map - value`` have a mean (the
    resampled maps' lean, and, for raw scores whose map was not kept, the
    distance between the scores and the map) and a spread (the map's own
    estimation error). The draws are normal with that mean and that spread
    widened to a Student quantile for the number of maps: the tails of a mixture
    of ``B`` maps are at best their range, which holds a new value with chance
    ``(B - 1) / (B + 1)`` only (90% for 20 maps).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.monitor._estimate import map_shifts
    >>> per_map = np.array([0.60, 0.62, 0.58, 0.61, 0.59])  # spread 0.016
    >>> shifts = map_shifts(per_map, 0.55, 100_000, np.random.default_rng(0))
    >>> round(float(shifts.mean()), 3), round(float(shifts.std()), 3)  # five maps
    (0.05, 0.022)
    >>> map_shifts(np.array([0.5]), 0.5, 3, None)  # one map: no spread measured
    array([0., 0., 0.])
    """
    per_map = np.asarray(per_map, dtype=np.float64)
    shift = per_map - np.asarray(value, dtype=np.float64)
    shape = (n_draws, *shift.shape[1:])
    if shift.shape[0] < 2:
        return np.zeros(shape)
    widen = stats.t.ppf(0.975, shift.shape[0] - 1) / stats.norm.ppf(0.975)
    spread = widen * shift.std(axis=0, ddof=1)
    return np.random.default_rng(rng).normal(shift.mean(axis=0), spread, size=shape)


def _interval(drawn, value):
    """The draws' 2.5% and 97.5% quantiles, stretched to hold the estimate
    (the maps' shift may lean away from raw scores whose map was not kept)."""
    low, high = np.quantile(drawn, [0.025, 0.975], axis=0)
    return np.minimum(low, value), np.maximum(high, value)


def _expected_counts(p, decided):
    """Expected ``tp, fp, tn, fn`` of probabilities over their last axis."""
    flagged, passed = p[..., decided], p[..., ~decided]
    return (
        flagged.sum(axis=-1),
        (1 - flagged).sum(axis=-1),
        (1 - passed).sum(axis=-1),
        passed.sum(axis=-1),
    )


def estimate_performance(
    probabilities, decided_positive, *, n_draws=500, rng=None, map_draws=None
):
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
    map_draws : array-like of shape (n_maps, n_samples), default=None
        The probabilities under maps refitted on resamples of the reference
        (:func:`~sklearn_workflow.monitor.calibration_draws`): each metric's
        value under each map gives the calibration map's share of the
        interval (:func:`map_shifts`), added to each label draw. None draws
        from ``probabilities`` alone.

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
    tp, fp, tn, fn = _expected_counts(p, decided)
    estimate = {"tp": tp, "fp": fp, "tn": tn, "fn": fn}
    values = _metrics(tp, fp, tn, fn)
    rng = np.random.default_rng(rng)
    labels = rng.random((n_draws, p.size)) < p
    hits = labels[:, decided].sum(axis=1)
    missed = labels[:, ~decided].sum(axis=1)
    drawn = _metrics(hits, decided.sum() - hits, (~decided).sum() - missed, missed)
    if map_draws is not None:
        per_map = _metrics(*_expected_counts(np.asarray(map_draws, float), decided))
        for name in METRICS:
            shifts = map_shifts(per_map[name], values[name], n_draws, rng)
            drawn[name] = np.clip(drawn[name] + shifts, 0.0, 1.0)
    for name in METRICS:
        low, high = _interval(drawn[name], values[name])
        estimate[name] = float(values[name])
        estimate[f"{name}_low"], estimate[f"{name}_high"] = float(low), float(high)
    return {key: float(value) for key, value in estimate.items()}


def _concept_test(n_right, right):
    """``z`` of the number of right decisions against the number expected from
    each decision's probability of being right, and its one-sided p-value."""
    sd = float(np.sqrt(np.sum(right * (1 - right))))
    z = (n_right - right.sum()) / sd if sd > 0 else 0.0
    return {"concept_z": float(z), "concept_pvalue": float(stats.norm.cdf(z))}


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
        out.update(_concept_test(tp + tn, np.where(decided, p, 1 - p)))
    return out


# ------------------------------------------------------------------ multiclass
def _confusion_metrics(confusion):
    """Accuracy, per-class recall and precision of confusion matrices
    ``(..., true, predicted)`` (0 where undefined)."""
    confusion = np.asarray(confusion, dtype=np.float64)
    diagonal = np.diagonal(confusion, axis1=-2, axis2=-1)
    true_totals, predicted_totals = confusion.sum(axis=-1), confusion.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(true_totals > 0, diagonal / true_totals, 0.0)
        precision = np.where(predicted_totals > 0, diagonal / predicted_totals, 0.0)
    total = np.maximum(confusion.sum(axis=(-2, -1)), 1)
    return {
        "accuracy": diagonal.sum(axis=-1) / total,
        "recall": recall,
        "precision": precision,
    }


def _drawn_confusions(source, predicted, n_classes, n_draws, rng, batch=50):
    """Confusion matrices of labels drawn row by row from class probabilities
    (``source`` of shape (n_sources, n_samples, n_classes), taken in turn)."""
    out = np.empty((n_draws, n_classes, n_classes))
    for start in range(0, n_draws, batch):
        draws = np.arange(start, min(start + batch, n_draws))
        cumulative = np.cumsum(source[draws % len(source)], axis=-1)
        u = rng.random((draws.size, cumulative.shape[1], 1))
        labels = np.minimum((u > cumulative).sum(axis=-1), n_classes - 1)
        cells = labels * n_classes + predicted[None]
        for i, row in enumerate(cells):
            out[draws[i]] = np.bincount(row, minlength=n_classes**2).reshape(
                n_classes, n_classes
            )
    return out


def estimate_multiclass(
    probabilities, predicted, classes, *, n_draws=500, rng=None, map_draws=None
):
    """Expected confusion matrix, accuracy and per-class metrics of a chunk.

    A row predicted as class ``k`` adds its calibrated probability of each
    true class ``t`` to cell ``(t, k)``; accuracy, each class's recall and
    precision are read from that matrix. The 95% intervals come from labels
    drawn from the probabilities ``n_draws`` times (from ``map_draws`` in
    turn when given, see :func:`estimate_performance`).

    Parameters
    ----------
    probabilities : array-like of shape (n_samples, n_classes)
        Calibrated class probabilities.
    predicted : array-like of int of shape (n_samples,)
        Position of each row's predicted class.
    classes : list
        The class labels, in column order.
    n_draws : int, default=500
    rng : numpy Generator, int or None
    map_draws : array-like of shape (n_maps, n_samples, n_classes), default=None

    Returns
    -------
    estimate : dict
        ``confusion`` (true by predicted, nested lists), ``accuracy``,
        ``accuracy_low``, ``accuracy_high`` and ``per_class``: for each class
        (as text) its ``recall`` and ``precision`` with ``_low`` and ``_high``.

    Examples
    --------
    >>> from sklearn_workflow.monitor._estimate import estimate_multiclass
    >>> p = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.0, 0.5, 0.5]]
    >>> estimate = estimate_multiclass(p, [0, 1, 2], ["a", "b", "c"], rng=0)
    >>> round(estimate["accuracy"], 3), estimate["confusion"][1]
    (0.667, [0.1, 0.7, 0.5])
    >>> round(estimate["per_class"]["c"]["precision"], 3)
    0.5
    """
    p = np.asarray(probabilities, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.int64)
    k = p.shape[1]
    onehot = np.eye(k)[predicted]
    confusion = p.T @ onehot
    values = _confusion_metrics(confusion)
    rng = np.random.default_rng(rng)
    drawn = _confusion_metrics(_drawn_confusions(p[None], predicted, k, n_draws, rng))
    if map_draws is not None:
        maps = np.asarray(map_draws, dtype=np.float64)
        per_map = _confusion_metrics(np.einsum("bnt,nk->btk", maps, onehot))
        for name, value in values.items():
            shifts = map_shifts(per_map[name], value, n_draws, rng)
            drawn[name] = np.clip(drawn[name] + shifts, 0.0, 1.0)
    bounds = {n: np.array(_interval(v, values[n])) for n, v in drawn.items()}
    estimate = {"confusion": confusion.tolist(), "accuracy": float(values["accuracy"])}
    estimate["accuracy_low"], estimate["accuracy_high"] = bounds["accuracy"].tolist()
    estimate["per_class"] = {
        str(c): {
            f"{name}{suffix}": float(v[j])
            for name in ("recall", "precision")
            for suffix, v in (
                ("", values[name]),
                ("_low", bounds[name][0]),
                ("_high", bounds[name][1]),
            )
        }
        for j, c in enumerate(classes)
    }
    return estimate


def realised_multiclass(y_codes, predicted, classes, probabilities=None):
    """Realised confusion matrix, accuracy and per-class metrics of a chunk,
    with Clopper-Pearson intervals; with calibrated ``probabilities``, the
    concept-drift test of :func:`realised_performance` (right decisions
    against the number expected).

    Examples
    --------
    >>> from sklearn_workflow.monitor._estimate import realised_multiclass
    >>> realised = realised_multiclass([0, 1, 2, 2], [0, 1, 1, 2], ["a", "b", "c"])
    >>> realised["accuracy"], realised["per_class"]["b"]["precision"]
    (0.75, 0.5)
    """
    y = np.asarray(y_codes, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    k = len(classes)
    confusion = np.bincount(y * k + predicted, minlength=k * k).reshape(k, k)
    values = _confusion_metrics(confusion)
    diagonal = np.diag(confusion)
    out = {"confusion": confusion.astype(float).tolist()}
    out["accuracy"] = float(values["accuracy"])
    out["accuracy_low"], out["accuracy_high"] = clopper_pearson_interval(
        diagonal.sum(), y.size
    )
    trials = {"recall": confusion.sum(axis=1), "precision": confusion.sum(axis=0)}
    out["per_class"] = {}
    for j, c in enumerate(classes):
        row = {}
        for name in ("recall", "precision"):
            row[name] = float(values[name][j])
            low, high = clopper_pearson_interval(diagonal[j], trials[name][j])
            row[f"{name}_low"], row[f"{name}_high"] = low, high
        out["per_class"][str(c)] = row
    if probabilities is not None:
        p = np.asarray(probabilities, dtype=np.float64)
        out.update(_concept_test(diagonal.sum(), p[np.arange(y.size), predicted]))
    return out
