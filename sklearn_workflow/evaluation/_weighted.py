"""Test metrics under row weights, for many weightings at once.

``evaluate`` computes each metric under the user's ``sample_weight`` and under
bootstrap replicates of the test rows. A replicate is a weighting too (how many
times each row was drawn, times its weight), so one function per metric takes a
matrix of weights of shape ``(n_weightings, n_rows)`` and returns one value per
weighting: the counts, sums and cumulative sums behind the metric are matrix
products, with no loop over replicates. The formulas are scikit-learn's
(``zero_division=0``); the tests compare them with scikit-learn's weighted metrics.
"""

import warnings

import numpy as np

__all__ = ["bootstrap_weights", "weighted_metric"]


def bootstrap_weights(n_rows, n_bootstrap, rng):
    """How many times each row is drawn in each replicate, shape ``(B, n)``."""
    draws = rng.randint(0, n_rows, size=(n_bootstrap, n_rows))
    offsets = np.arange(n_bootstrap)[:, None] * n_rows
    counts = np.bincount((draws + offsets).ravel(), minlength=n_bootstrap * n_rows)
    return counts.reshape(n_bootstrap, n_rows).astype(np.float64)


def _divide(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _binary_counts(W, y_true, y_pred, pos_label):
    t, p = y_true == pos_label, y_pred == pos_label
    return W @ (t & p), W @ (~t & p), W @ (t & ~p)


def _per_class(W, y_true, y_pred):
    """Weighted true positives, predicted and true totals per label."""
    labels = np.unique(np.concatenate([np.unique(y_true), np.unique(y_pred)]))
    true = (y_true[:, None] == labels).astype(np.float64)
    pred = (y_pred[:, None] == labels).astype(np.float64)
    return W @ (true * pred), W @ pred, W @ true


def _macro(W, y_true, y_pred, kind):
    tp, predicted, support = _per_class(W, y_true, y_pred)
    precision, recall = _divide(tp, predicted), _divide(tp, support)
    f1 = _divide(2 * tp, predicted + support)
    value = {"precision": precision, "recall": recall, "f1": f1}[kind.split("_")[0]]
    if kind.endswith("weighted"):
        return _divide((value * support).sum(axis=1), support.sum(axis=1))
    return value.mean(axis=1)


def _balanced_accuracy(W, y_true, y_pred):
    tp, _, support = _per_class(W, y_true, y_pred)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(support > 0, tp / support, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(recall, axis=1)


def _ranking_curve(W, t, score):
    """Cumulative weighted positives and negatives at each distinct score."""
    order = np.argsort(-score, kind="mergesort")
    ends = np.r_[np.flatnonzero(np.diff(score[order])), score.size - 1]
    Ws = W[:, order]
    tps = np.cumsum(Ws * t[order], axis=1)[:, ends]
    fps = np.cumsum(Ws * ~t[order], axis=1)[:, ends]
    return tps, fps


def _roc_auc(W, t, score):
    tps, fps = _ranking_curve(W, t, score)
    P, N = tps[:, -1:], fps[:, -1:]
    tpr = np.hstack([np.zeros_like(P), _divide(tps, P)])
    fpr = np.hstack([np.zeros_like(N), _divide(fps, N)])
    auc = (np.diff(fpr, axis=1) * (tpr[:, 1:] + tpr[:, :-1]) / 2).sum(axis=1)
    return np.where((P[:, 0] > 0) & (N[:, 0] > 0), auc, np.nan)


def _average_precision(W, t, score):
    tps, fps = _ranking_curve(W, t, score)
    P = tps[:, -1:]
    recall = _divide(tps, P)
    precision = _divide(tps, tps + fps)
    gains = np.diff(np.hstack([np.zeros_like(P), recall]), axis=1)
    return np.where(P[:, 0] > 0, (gains * precision).sum(axis=1), np.nan)


def _binary_log_loss(W, t, proba):
    eps = np.finfo(np.float64).eps
    p = np.clip(proba, eps, 1 - eps)
    losses = -(t * np.log(p) + (~t) * np.log1p(-p))
    return _divide(W @ losses, W.sum(axis=1))


def _regression(W, y_true, y_pred, name):
    total = W.sum(axis=1)
    error = y_pred - y_true
    if name in ("mse", "rmse"):
        mse = _divide(W @ error**2, total)
        return np.sqrt(mse) if name == "rmse" else mse
    if name == "mae":
        return _divide(W @ np.abs(error), total)
    if name == "mape":
        scale = np.maximum(np.abs(y_true), np.finfo(np.float64).eps)
        return _divide(W @ (np.abs(error) / scale), total)
    mean = _divide(W @ y_true, total)[:, None]
    spread = (W * (y_true - mean) ** 2).sum(axis=1)
    residual = W @ error**2
    r2 = 1.0 - _divide(residual, spread)
    return np.where(spread > 0, r2, np.where(residual > 0, 0.0, 1.0))


def _class_columns(y_true, labels, n_columns):
    """The column of each row's true class among the probability columns."""
    labels = np.arange(n_columns) if labels is None else np.asarray(labels)
    return (y_true[:, None] == labels).astype(bool)


def _multiclass_log_loss(W, y_true, proba, labels):
    eps = np.finfo(np.float64).eps
    onehot = _class_columns(y_true, labels, proba.shape[1])
    p = np.clip(proba, eps, 1 - eps)
    p = p / p.sum(axis=1, keepdims=True)
    losses = -np.log((p * onehot).sum(axis=1))
    return _divide(W @ losses, W.sum(axis=1))


def _roc_auc_ovr(W, y_true, proba, labels):
    """Macro average of each class against the rest (scikit-learn's "ovr")."""
    onehot = _class_columns(y_true, labels, proba.shape[1])
    per_class = [_roc_auc(W, onehot[:, k], proba[:, k]) for k in range(proba.shape[1])]
    return np.mean(per_class, axis=0)


def weighted_metric(name, W, y_true, out, *, pos_label=None, labels=None):
    """The metric ``name`` under each row weighting of ``W``.

    Parameters
    ----------
    name : str
        A canonical metric name of :data:`sklearn_workflow.problem.METRICS`.
    W : ndarray of shape (n_weightings, n_rows)
    y_true : ndarray of shape (n_rows,)
    out : ndarray
        Predictions, the positive-class score or the probabilities, as the
        metric needs.
    pos_label : object, default=None
        The positive class of a binary problem.
    labels : array-like, default=None
        The model's classes (the columns of multiclass probabilities).

    Returns
    -------
    values : ndarray of shape (n_weightings,)
        NaN where the metric is undefined (one class only for a ranking metric).
    """
    W = np.atleast_2d(np.asarray(W, dtype=np.float64))
    if name in ("rmse", "mse", "mae", "mape", "r2"):
        return _regression(W, y_true.astype(np.float64), out.astype(np.float64), name)
    if name == "accuracy":
        return _divide(W @ (y_true == out), W.sum(axis=1))
    if name == "balanced_accuracy":
        return _balanced_accuracy(W, y_true, out)
    if name.endswith(("_macro", "_weighted")):
        return _macro(W, y_true, out, name)
    if name == "log_loss" and np.ndim(out) == 2:
        return _multiclass_log_loss(W, y_true, np.asarray(out, np.float64), labels)
    if name == "roc_auc_ovr":
        return _roc_auc_ovr(W, y_true, np.asarray(out, np.float64), labels)
    if name in ("precision", "recall", "f1"):
        tp, fp, fn = _binary_counts(W, y_true, out, pos_label)
        den = {"precision": tp + fp, "recall": tp + fn, "f1": 2 * tp + fp + fn}
        return _divide(2 * tp if name == "f1" else tp, den[name])
    t = y_true == pos_label
    score = np.asarray(out, dtype=np.float64)
    if name == "roc_auc":
        return _roc_auc(W, t, score)
    if name == "average_precision":
        return _average_precision(W, t, score)
    if name == "brier_score":
        return _divide(W @ (score - t) ** 2, W.sum(axis=1))
    if name == "log_loss":
        return _binary_log_loss(W, t, score)
    raise ValueError(f"no weighted form of the metric {name!r}")
