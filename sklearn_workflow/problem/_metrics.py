"""The metrics a problem card may name, with how each is computed and read.

One table serves the problem card (its ``success_metric``, ``threshold`` and
``secondary_metrics``), the scorer it builds and the evaluation report, so that the
verdict compares exactly the number the report shows. Every function is a
module-level function (scorers built from them pickle, so they cross process
boundaries in ``cross_val_score(n_jobs=...)``).
"""

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    make_scorer,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

__all__ = ["METRICS", "Metric", "metric_names", "resolve_metric"]

_SCORES = ("decision_function", "predict_proba")


def _pos(y_true, pos_label):
    return np.unique(y_true)[-1] if pos_label is None else pos_label


def _precision(y_true, y_pred, pos_label=None):
    return precision_score(
        y_true, y_pred, pos_label=_pos(y_true, pos_label), zero_division=0.0
    )


def _recall(y_true, y_pred, pos_label=None):
    return recall_score(
        y_true, y_pred, pos_label=_pos(y_true, pos_label), zero_division=0.0
    )


def _f1(y_true, y_pred, pos_label=None):
    return f1_score(
        y_true, y_pred, pos_label=_pos(y_true, pos_label), zero_division=0.0
    )


def _accuracy(y_true, y_pred, pos_label=None):
    return accuracy_score(y_true, y_pred)


def _balanced_accuracy(y_true, y_pred, pos_label=None):
    return balanced_accuracy_score(y_true, y_pred)


def _f1_macro(y_true, y_pred, pos_label=None):
    return f1_score(y_true, y_pred, average="macro", zero_division=0.0)


def _f1_weighted(y_true, y_pred, pos_label=None):
    return f1_score(y_true, y_pred, average="weighted", zero_division=0.0)


def _precision_macro(y_true, y_pred, pos_label=None):
    return precision_score(y_true, y_pred, average="macro", zero_division=0.0)


def _recall_macro(y_true, y_pred, pos_label=None):
    return recall_score(y_true, y_pred, average="macro", zero_division=0.0)


def _roc_auc(y_true, y_score, pos_label=None):
    return roc_auc_score(np.asarray(y_true) == _pos(y_true, pos_label), y_score)


def _average_precision(y_true, y_score, pos_label=None):
    return average_precision_score(
        np.asarray(y_true) == _pos(y_true, pos_label), y_score
    )


def _brier_score(y_true, y_proba, pos_label=None):
    return brier_score_loss(np.asarray(y_true) == _pos(y_true, pos_label), y_proba)


def _log_loss(y_true, y_proba, pos_label=None):
    y_proba = np.asarray(y_proba, dtype=np.float64)
    if y_proba.ndim == 1:
        y_true = np.asarray(y_true) == _pos(y_true, pos_label)
    return log_loss(y_true, y_proba)


def _roc_auc_ovr(y_true, y_proba, pos_label=None):
    return roc_auc_score(y_true, y_proba, multi_class="ovr")


def _rmse(y_true, y_pred, pos_label=None):
    return float(np.sqrt(mean_squared_error(y_true, y_pred)))


def _mse(y_true, y_pred, pos_label=None):
    return mean_squared_error(y_true, y_pred)


def _mae(y_true, y_pred, pos_label=None):
    return mean_absolute_error(y_true, y_pred)


def _mape(y_true, y_pred, pos_label=None):
    return mean_absolute_percentage_error(y_true, y_pred)


def _r2(y_true, y_pred, pos_label=None):
    return r2_score(y_true, y_pred)


@dataclass(frozen=True)
class Metric:
    """A metric of the problem card.

    Attributes
    ----------
    name : str
        Canonical name.
    tasks : tuple of str
        Problem types it applies to.
    response : {"predict", "score", "proba"}
        What it is computed from: hard predictions, a ranking score of the
        positive class (``decision_function`` or ``predict_proba``), or
        probabilities.
    greater_is_better : bool
        Direction; the card's ``threshold`` is a minimum when True, a maximum
        otherwise.
    bounded : bool
        Whether values lie in [0, 1] (then a threshold must too).
    func : callable
        ``func(y_true, y_out, pos_label=None) -> float``.
    """

    name: str
    tasks: tuple
    response: str
    greater_is_better: bool
    bounded: bool
    func: object

    def __call__(self, y_true, y_out, pos_label=None):
        return float(self.func(y_true, y_out, pos_label=pos_label))

    @property
    def comparison(self):
        """``">="`` for a metric to maximise, ``"<="`` for one to minimise."""
        return ">=" if self.greater_is_better else "<="

    def scorer(self, pos_label=None):
        """This metric as a scikit-learn scorer (``make_scorer``)."""
        response_method = {
            "predict": "predict",
            "score": _SCORES,
            "proba": "predict_proba",
        }[self.response]
        kwargs = {}
        if "binary_classification" in self.tasks and len(self.tasks) == 1:
            kwargs["pos_label"] = pos_label
        return make_scorer(
            self.func,
            greater_is_better=self.greater_is_better,
            response_method=response_method,
            **kwargs,
        )


_B = ("binary_classification",)
_C = ("binary_classification", "multiclass_classification")
_M = ("multiclass_classification",)
_R = ("regression",)

METRICS = {
    m.name: m
    for m in (
        Metric("precision", _B, "predict", True, True, _precision),
        Metric("recall", _B, "predict", True, True, _recall),
        Metric("f1", _B, "predict", True, True, _f1),
        Metric("roc_auc", _B, "score", True, True, _roc_auc),
        Metric("average_precision", _B, "score", True, True, _average_precision),
        Metric("brier_score", _B, "proba", False, True, _brier_score),
        Metric("accuracy", _C, "predict", True, True, _accuracy),
        Metric("balanced_accuracy", _C, "predict", True, True, _balanced_accuracy),
        Metric("log_loss", _C, "proba", False, False, _log_loss),
        Metric("f1_macro", _C, "predict", True, True, _f1_macro),
        Metric("f1_weighted", _C, "predict", True, True, _f1_weighted),
        Metric("precision_macro", _C, "predict", True, True, _precision_macro),
        Metric("recall_macro", _C, "predict", True, True, _recall_macro),
        Metric("roc_auc_ovr", _M, "proba", True, True, _roc_auc_ovr),
        Metric("rmse", _R, "predict", False, False, _rmse),
        Metric("mse", _R, "predict", False, False, _mse),
        Metric("mae", _R, "predict", False, False, _mae),
        Metric("mape", _R, "predict", False, False, _mape),
        Metric("r2", _R, "predict", True, False, _r2),
    )
}

# scikit-learn's own names (metric functions and positive scorer names).
ALIASES = {
    "pr_auc": "average_precision",
    "brier_score_loss": "brier_score",
    "root_mean_squared_error": "rmse",
    "mean_squared_error": "mse",
    "mean_absolute_error": "mae",
    "mean_absolute_percentage_error": "mape",
    "r2_score": "r2",
    "precision_score": "precision",
    "recall_score": "recall",
    "f1_score": "f1",
    "accuracy_score": "accuracy",
    "balanced_accuracy_score": "balanced_accuracy",
    "roc_auc_score": "roc_auc",
    "average_precision_score": "average_precision",
}


def metric_names(task=None):
    """The canonical metric names, all or those valid for ``task``."""
    return [name for name, m in METRICS.items() if task is None or task in m.tasks]


def resolve_metric(name, task=None, field="success_metric"):
    """The :class:`Metric` called ``name`` (or an alias), checked for ``task``.

    Raises
    ------
    ValueError
        Naming ``field`` when the name is unknown or does not fit the task.
    """
    if not isinstance(name, str):
        raise TypeError(f"{field} must be a metric name (str); got {name!r}")
    metric = METRICS.get(ALIASES.get(name, name))
    if metric is None:
        raise ValueError(
            f"{field}: unknown metric {name!r}; known metrics are "
            f"{', '.join(metric_names())} (and scikit-learn's function names such "
            "as 'root_mean_squared_error')"
        )
    if task is not None and task not in metric.tasks:
        raise ValueError(
            f"{field}: metric {name!r} does not apply to a {task} problem; "
            f"use one of {', '.join(metric_names(task))}"
        )
    return metric
