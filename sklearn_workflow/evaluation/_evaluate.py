"""evaluate(): a fitted model on held-out data, against its baselines and its card."""

import time
import warnings
from numbers import Integral

import numpy as np
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.metrics import classification_report, confusion_matrix
from sklearn.model_selection import cross_val_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, column_or_1d

from sklearn_workflow.evaluation._diagnostics import metric_output
from sklearn_workflow.evaluation._report import EvaluationReport
from sklearn_workflow.evaluation._weighted import bootstrap_weights, weighted_metric
from sklearn_workflow.exceptions import DataQualityWarning
from sklearn_workflow.problem._metrics import METRICS, resolve_metric
from sklearn_workflow.problem._task import TASK_TYPES, infer_task, normalize_task
from sklearn_workflow.utils._dataframe import (
    column_names,
    head_rows,
    n_rows,
    row_hashes,
)
from sklearn_workflow.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)

__all__ = ["evaluate"]

# Metrics every report shows, per task (the card's own metrics are added).
_REPORTED = {
    "binary_classification": (
        "accuracy",
        "balanced_accuracy",
        "precision",
        "recall",
        "f1",
        "roc_auc",
        "average_precision",
        "brier_score",
        "log_loss",
    ),
    "multiclass_classification": (
        "accuracy",
        "balanced_accuracy",
        "f1_macro",
        "f1_weighted",
        "precision_macro",
        "recall_macro",
        "roc_auc_ovr",
        "log_loss",
    ),
    "regression": ("rmse", "mae", "r2"),
}
# The cross-validated metric without a card: F1 (macro F1 for multiclass), RMSE.
_DEFAULT_CV_METRIC = {
    "binary_classification": "f1",
    "multiclass_classification": "f1_macro",
    "regression": "rmse",
}
_WARMUP_CALLS = 3


@validate_params(
    {
        "estimator": [HasMethods(["predict"])],
        "X_test": ["array-like"],
        "y_test": ["array-like"],
        "spec": [None, HasMethods(["verdict", "scorer"])],
        "task": [None, StrOptions(set(TASK_TYPES))],
        "X_train": [None, "array-like"],
        "y_train": [None, "array-like"],
        "cv": [None, "cv_object"],
        "latency_calls": [Interval(Integral, 0, None, closed="left")],
        "sample_weight": [None, "array-like"],
        "n_bootstrap": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def evaluate(
    estimator,
    X_test,
    y_test,
    *,
    spec=None,
    task=None,
    X_train=None,
    y_train=None,
    cv=None,
    latency_calls=50,
    sample_weight=None,
    n_bootstrap=200,
    random_state=0,
):
    """Evaluate a fitted model on held-out data: metrics, baselines, verdict.

    Stage 7's evaluation checklist as one call. For classification: the
    classification report, the confusion matrix with TN/FP/FN/TP named,
    ROC-AUC, PR-AUC (average precision), Brier score and log loss (when the
    model has ``predict_proba``). For regression: RMSE, MAE, R² and the
    improvement over predicting the training mean. In both cases: the same
    metrics for the baselines (a dummy model, and the card's rule when it has
    one) on the same test rows, the cross-validated score with ``cv``,
    single-row prediction latency, a warning when test rows also appear in the
    training data, and the card's verdict.

    Parameters
    ----------
    estimator : fitted estimator
        A fitted classifier or regressor (or a Pipeline ending in one).
    X_test : DataFrame or array-like of shape (n_samples, n_features)
        Held-out rows the model never saw.
    y_test : array-like of shape (n_samples,)
        Their targets.
    spec : ProblemSpec, default=None
        The problem card: its task, positive class, success and secondary
        metrics, rule baseline and latency constraint are used, and
        ``report.verdict`` is its verdict. None: the task is read from the
        estimator and the target (see ``task``), the positive class is the
        greater label.
    task : {"binary_classification", "multiclass_classification", \
"regression"}, default=None
        The learning task. The first of these decides: ``task`` when given;
        the card's ``spec.type``; the estimator's kind, a classifier being a
        binary or multiclass problem by the number of its fitted ``classes_``
        (however many integer labels there are) and a regressor a regression
        problem; for an estimator that is neither, the task
        :func:`~sklearn_workflow.problem.infer_task` reads from ``y_test``. A
        given task or card type that contradicts the estimator's kind (a
        regression task for a classifier), or a task that contradicts the
        card, is a ``ValueError``.
    X_train, y_train : DataFrame or array-like, default=None
        The training data. With ``X_train``, test rows that also appear in it
        are counted and warned about (train/test contamination). With
        ``y_train``, the baselines are fitted on the training data; without it
        they are fitted on the test data (an optimistic baseline: the report
        says so).
    cv : int, cross-validation generator or iterable, default=None
        When given, an unfitted clone of ``estimator`` is cross-validated on
        ``X_train, y_train`` with the card's success metric (f1 for binary,
        f1_macro for multiclass, RMSE for regression without a card).
    latency_calls : int, default=50
        Number of timed single-row ``predict`` calls (after 3 warm-up calls);
        0 skips the latency measurement.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the test rows. Every test metric, the confusion matrix, the
        classification report and the bootstrap intervals are weighted by
        them (as scikit-learn's metrics weight by ``sample_weight``), and so
        are the baselines' metrics; the baselines and the cross-validation
        are fitted without weights.
    n_bootstrap : int, default=200
        Number of bootstrap replicates of the test rows (drawn with
        replacement) behind the 95% interval of every test metric
        (``report.intervals``); 0 skips the intervals.
    random_state : int, RandomState instance or None, default=0
        Draws the bootstrap replicates. The default gives the same intervals
        for the same predictions.

    Returns
    -------
    report : EvaluationReport
        ``report.metrics``, ``report.intervals``, ``report.baselines``,
        ``report.verdict`` (None
        without a card), ``to_dict()``, ``to_markdown()``, ``to_html()``,
        ``plot()``.

    Warns
    -----
    DataQualityWarning
        When rows of ``X_test`` also appear in ``X_train``: the test score is
        then optimistic (a common mistake: evaluating on training data).

    See Also
    --------
    sklearn.metrics.classification_report : One of the pieces; ``evaluate`` adds
        the threshold-free metrics, the baselines, latency, the contamination
        check and the card's verdict.
    sklearn.model_selection.cross_val_score : What ``cv`` runs.

    Notes
    -----
    Metrics that are undefined on the test rows (ROC-AUC with one class
    present) are None in ``to_dict()``. Latency is wall-clock time of
    ``predict`` on the first test row, in milliseconds; the verdict compares its
    95th percentile with the card's ``constraints.latency_ms``.

    The 95% interval of a metric is the percentile bootstrap: the 2.5th and
    97.5th percentiles of the metric over ``n_bootstrap`` test sets of the
    same size drawn with replacement from the test rows (the model is not
    refitted; it says how much the score depends on which rows were held
    out). A replicate on which the metric is undefined (one class only) is
    left out.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn_workflow.datasets import make_churn
    >>> from sklearn_workflow.evaluation import evaluate
    >>> from sklearn_workflow.problem import churn_spec
    >>> X, y = make_churn(2000, random_state=0)
    >>> X = X[["tenure_months", "num_sessions", "support_tickets"]]
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X, y, stratify=y, random_state=0)
    >>> model = LogisticRegression().fit(X_train, y_train)
    >>> report = evaluate(model, X_test, y_test, spec=churn_spec(),
    ...                   X_train=X_train, y_train=y_train, latency_calls=5)
    >>> sorted(report.confusion_matrix)
    ['fn', 'fp', 'labels', 'matrix', 'tn', 'tp']

    At the default 0.5 cut-off the model misses the card's recall >= 0.80, so
    the verdict is "not met" (threshold tuning is what fixes that):

    >>> report.verdict.met, round(report.metrics["recall"], 2) < 0.8
    (False, True)

    Three numeric columns repeat across customers, so some test rows equal
    training rows; ``evaluate`` warned about it and counted them:

    >>> report.contamination["n_test_rows_in_train"] > 0
    True

    Every test metric has a 95% bootstrap interval around it:

    >>> low, high = report.intervals["recall"]
    >>> bool(low < report.metrics["recall"] < high)
    True

    Test rows can weigh differently (``sample_weight``); a row of weight 0 is a
    row that is not there:

    >>> import numpy as np
    >>> weights = np.r_[np.zeros(100), np.ones(len(y_test) - 100)]
    >>> weighted = evaluate(model, X_test, y_test, sample_weight=weights,
    ...                     latency_calls=0, n_bootstrap=0)
    >>> kept = evaluate(model, X_test[100:], y_test[100:], latency_calls=0,
    ...                 n_bootstrap=0)
    >>> bool(np.isclose(weighted.metrics["roc_auc"], kept.metrics["roc_auc"]))
    True

    The task comes from the estimator before the target: support tickets take
    six integer values, which :func:`~sklearn_workflow.problem.infer_task`
    reads as classes, but a regressor predicts them as a number, and a task
    that says otherwise is an error:

    >>> from sklearn.linear_model import Ridge
    >>> tickets = Ridge().fit(X_train[["tenure_months"]], X_train["support_tickets"])
    >>> evaluate(tickets, X_test[["tenure_months"]], X_test["support_tickets"],
    ...          latency_calls=0).task
    'regression'
    >>> evaluate(tickets, X_test[["tenure_months"]], X_test["support_tickets"],
    ...          task="multiclass_classification")
    Traceback (most recent call last):
    ...
    ValueError: task='multiclass_classification' but the estimator is a regressor
    """
    check_is_fitted(estimator)
    y_test = _target(y_test, "y_test")
    if n_rows(X_test) != y_test.shape[0]:
        raise ValueError(
            f"X_test and y_test have different numbers of rows: {n_rows(X_test)} "
            f"and {y_test.shape[0]}"
        )
    if y_train is not None:
        y_train = _target(y_train, "y_train")
        if X_train is None:
            raise ValueError("y_train is given without X_train; got X_train=None")
        if n_rows(X_train) != y_train.shape[0]:
            raise ValueError(
                "X_train and y_train have different numbers of rows: "
                f"{n_rows(X_train)} and {y_train.shape[0]}"
            )
    if cv is not None and (X_train is None or y_train is None):
        raise ValueError(
            f"cv={cv!r} cross-validates on the training data; pass X_train and "
            "y_train too"
        )
    sample_weight = _weights(sample_weight, y_test.shape[0])
    task = _task(estimator, y_test, spec, task)
    report = EvaluationReport(
        task=task,
        model=_model_name(estimator),
        n_test=int(y_test.shape[0]),
        success_metric=None if spec is None else spec.metric.name,
        spec=None if spec is None else spec.to_dict(),
    )
    if X_train is not None:
        report.contamination = _contamination(X_train, X_test)
    if task == "regression":
        _evaluate_regression(report, estimator, X_test, y_test, spec, sample_weight)
    else:
        _evaluate_classification(report, estimator, X_test, y_test, spec, sample_weight)
    if n_bootstrap:
        report.intervals = _intervals(
            report, sample_weight, n_bootstrap, check_random_state(random_state)
        )
    report.baselines = _baselines(
        report, X_test, y_test, spec, X_train, y_train, sample_weight
    )
    if task == "regression":
        _regression_improvement(report)
    if cv is not None:
        report.cv = _cross_validate(report, estimator, X_train, y_train, spec, cv)
    if latency_calls:
        report.latency = _latency(estimator, X_test, latency_calls, spec)
    if spec is not None:
        report.verdict = spec.verdict(report)
    return report


def _target(y, name):
    if hasattr(y, "to_numpy"):
        y = y.to_numpy()
    y = column_or_1d(np.asarray(y), warn=False)
    if y.shape[0] == 0:
        raise ValueError(f"{name} is empty; got 0 rows")
    return y


def _weights(sample_weight, n):
    if sample_weight is None:
        return None
    weights = column_or_1d(np.asarray(sample_weight, dtype=np.float64), warn=False)
    if weights.shape[0] != n:
        raise ValueError(
            f"sample_weight has {weights.shape[0]} values for {n} test rows"
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("sample_weight must be finite and non-negative")
    if not weights.sum() > 0:
        raise ValueError("sample_weight sums to 0: no test row counts")
    return weights


def _task(estimator, y_test, spec, task):
    """The task: given, else the card's, else the estimator's kind, else ``y``'s."""
    kind = (
        "classifier"
        if is_classifier(estimator)
        else "regressor"
        if is_regressor(estimator)
        else None
    )
    spec_type = None if spec is None else spec.type
    if task is not None and spec_type is not None and task != spec_type:
        raise ValueError(f"task={task!r} but spec.type is {spec_type!r}")
    for source, chosen in (("task=", task), ("spec.type is ", spec_type)):
        if chosen is None:
            continue
        if kind is not None and (chosen == "regression") != (kind == "regressor"):
            raise ValueError(f"{source}{chosen!r} but the estimator is a {kind}")
        return chosen
    if kind == "regressor":
        return "regression"
    if kind == "classifier":
        classes = getattr(estimator, "classes_", None)
        return normalize_task(
            "classification", np.unique(y_test) if classes is None else classes
        )
    return infer_task(y_test)


def _model_name(estimator):
    steps = getattr(estimator, "steps", None)
    if steps:
        return f"{type(estimator).__name__}({type(steps[-1][1]).__name__})"
    return type(estimator).__name__


def _responses(estimator, X, task, pos_label):
    """Predictions, the positive-class score and probabilities of a classifier."""
    y_pred = np.asarray(estimator.predict(X))
    classes = np.asarray(estimator.classes_)
    proba = score = None
    if hasattr(estimator, "predict_proba"):
        proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
        if task == "binary_classification":
            score = proba[:, int(np.flatnonzero(classes == pos_label)[0])]
    elif hasattr(estimator, "decision_function"):
        decision = np.asarray(estimator.decision_function(X), dtype=np.float64)
        if task == "binary_classification":
            score = decision if pos_label == classes[-1] else -decision
    return y_pred, score, proba


def _metric_values(
    names,
    y_true,
    y_pred,
    score,
    proba,
    pos_label,
    task,
    sample_weight=None,
    labels=None,
):
    values = {}
    for name in names:
        metric = METRICS[name]
        out = metric_output(name, y_pred, score, proba, task)
        if out is None:
            continue
        if sample_weight is not None:
            values[name] = float(
                weighted_metric(
                    name,
                    sample_weight,
                    y_true,
                    out,
                    pos_label=pos_label,
                    labels=labels,
                )[0]
            )
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                values[name] = metric(y_true, out, pos_label=pos_label)
        except ValueError:
            values[name] = float("nan")
    return values


def _metric_names(task, spec):
    names = list(_REPORTED[task])
    if spec is not None:
        for name in [spec.success_metric, *spec.secondary_metrics]:
            canonical = resolve_metric(name, task).name
            if canonical not in names:
                names.append(canonical)
    return names


def _positive_class(estimator, y_test, spec, task):
    if task != "binary_classification":
        return None
    classes = getattr(estimator, "classes_", np.unique(y_test))
    if spec is not None and spec.positive_class is not None:
        if not np.any(np.asarray(classes) == spec.positive_class):
            raise ValueError(
                f"spec.positive_class {spec.positive_class!r} is not one of the "
                f"model's classes {list(classes)}"
            )
        return spec.positive_class
    last = np.asarray(classes)[-1]
    return last.item() if isinstance(last, np.generic) else last


def _evaluate_classification(report, estimator, X_test, y_test, spec, weights):
    task = report.task
    pos_label = _positive_class(estimator, y_test, spec, task)
    y_pred, score, proba = _responses(estimator, X_test, task, pos_label)
    report.positive_class = pos_label
    report.metrics = _metric_values(
        _metric_names(task, spec),
        y_test,
        y_pred,
        score,
        proba,
        pos_label,
        task,
        weights,
        estimator.classes_,
    )
    labels = np.asarray(estimator.classes_)
    if task == "binary_classification":
        labels = np.array(
            [labels[labels != pos_label][0], labels[labels == pos_label][0]],
            dtype=labels.dtype,
        )
    matrix = confusion_matrix(y_test, y_pred, labels=labels, sample_weight=weights)
    if weights is not None:
        matrix = np.round(matrix, 6)
    report.confusion_matrix = {"labels": labels.tolist(), "matrix": matrix.tolist()}
    if task == "binary_classification":
        cast = int if weights is None else float
        tn, fp, fn, tp = (cast(v) for v in matrix.ravel())
        report.confusion_matrix.update({"tn": tn, "fp": fp, "fn": fn, "tp": tp})
    kwargs = {"labels": labels, "zero_division": 0.0, "sample_weight": weights}
    report.classification_report = classification_report(
        y_test, y_pred, output_dict=True, **kwargs
    )
    report.classification_report_text = classification_report(y_test, y_pred, **kwargs)
    report._arrays = {"y_true": y_test, "y_pred": y_pred, "score": score}
    report._arrays.update(proba=proba, labels=np.asarray(estimator.classes_))


def _evaluate_regression(report, estimator, X_test, y_test, spec, weights):
    y_pred = np.asarray(estimator.predict(X_test), dtype=np.float64)
    y_true = y_test.astype(np.float64)
    report.metrics = _metric_values(
        _metric_names("regression", spec),
        y_true,
        y_pred,
        None,
        None,
        None,
        "regression",
        weights,
    )
    report._arrays = {"y_true": y_true, "y_pred": y_pred, "score": None}
    report._arrays.update(proba=None, labels=None)


def _intervals(report, weights, n_bootstrap, rng):
    """The 95% percentile-bootstrap interval of every test metric."""
    arrays = report._arrays
    y_true = arrays["y_true"]
    W = bootstrap_weights(y_true.shape[0], n_bootstrap, rng)
    if weights is not None:
        W *= weights
    intervals = {}
    for name in report.metrics:
        out = metric_output(
            name, arrays["y_pred"], arrays["score"], arrays["proba"], report.task
        )
        values = weighted_metric(
            name,
            W,
            y_true,
            out,
            pos_label=report.positive_class,
            labels=arrays["labels"],
        )
        values = values[np.isfinite(values)]
        if values.size:
            low, high = np.percentile(values, [2.5, 97.5])
            intervals[name] = (float(low), float(high))
        else:
            intervals[name] = (float("nan"), float("nan"))
    return intervals


def _baselines(report, X_test, y_test, spec, X_train, y_train, weights):
    task = report.task
    fit_on = "train" if y_train is not None else "test"
    X_fit, y_fit = (X_train, y_train) if y_train is not None else (X_test, y_test)
    candidates = []
    if task == "regression":
        candidates.append(("dummy (predict the mean)", "dummy", DummyRegressor()))
    else:
        candidates.append(
            ("dummy (class prior)", "dummy", DummyClassifier(strategy="prior"))
        )
    if spec is not None and (spec.baseline or {}).get("rule") is not None:
        candidates.append(
            (
                f"rule: {spec.baseline['rule']}",
                "problem card",
                spec.baseline_estimator(),
            )
        )
    names = list(report.metrics)
    rows = []
    for name, source, baseline in candidates:
        baseline = clone(baseline).fit(X_fit, y_fit)
        if task == "regression":
            y_pred = np.asarray(baseline.predict(X_test), dtype=np.float64)
            values = _metric_values(
                names,
                y_test.astype(np.float64),
                y_pred,
                None,
                None,
                None,
                task,
                weights,
            )
        else:
            y_pred, score, proba = _responses(
                baseline, X_test, task, report.positive_class
            )
            values = _metric_values(
                names,
                y_test,
                y_pred,
                score,
                proba,
                report.positive_class,
                task,
                weights,
                baseline.classes_,
            )
        rows.append({"name": name, "source": source, "fit_on": fit_on, **values})
    return rows


def _regression_improvement(report):
    dummy = next(row for row in report.baselines if row["source"] == "dummy")
    model, base = report.metrics.get("rmse"), dummy.get("rmse")
    improvement = (1.0 - model / base) * 100.0 if base else float("nan")
    report.baseline_improvement = {
        "metric": "rmse",
        "model": model,
        "baseline": base,
        "baseline_name": dummy["name"],
        "improvement_pct": improvement,
    }


def _cross_validate(report, estimator, X_train, y_train, spec, cv):
    if spec is not None:
        metric = spec.metric
        scorer = spec.scorer()
    else:
        metric = METRICS[_DEFAULT_CV_METRIC[report.task]]
        scorer = metric.scorer(
            report.positive_class if report.task == "binary_classification" else None
        )
    scores = cross_val_score(clone(estimator), X_train, y_train, cv=cv, scoring=scorer)
    if not metric.greater_is_better:
        scores = -scores
    return {
        "metric": metric.name,
        "scores": [float(s) for s in scores],
        "mean": float(np.mean(scores)),
        "std": float(np.std(scores)),
        "n_splits": int(len(scores)),
    }


def _latency(estimator, X_test, calls, spec):
    row = head_rows(X_test, 1)
    timings = np.empty(calls)
    # The probe repeats one row: what a model's own checks say of that one row
    # (a missing value read as a 100% missing rate) is not a finding of the test set.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(_WARMUP_CALLS):
            estimator.predict(row)
        for i in range(calls):
            start = time.perf_counter()
            estimator.predict(row)
            timings[i] = time.perf_counter() - start
    timings *= 1000.0
    limit = None if spec is None else (spec.constraints or {}).get("latency_ms")
    return {
        "n_calls": int(calls),
        "median_ms": float(np.median(timings)),
        "p95_ms": float(np.percentile(timings, 95)),
        "limit_ms": None if limit is None else float(limit),
    }


def _contamination(X_train, X_test):
    train_names, test_names = column_names(X_train), column_names(X_test)
    columns = None
    if train_names is not None and test_names is not None:
        if set(train_names) != set(test_names):
            return None
        columns = train_names
    elif np.shape(X_train)[1:] != np.shape(X_test)[1:]:
        return None
    train = row_hashes(X_train, columns)
    test = row_hashes(X_test, columns)
    n_shared = int(np.isin(test, train).sum())
    fraction = n_shared / max(test.size, 1)
    if n_shared:
        warnings.warn(
            f"{n_shared} of {test.size} test rows ({fraction:.1%}) also appear in "
            "the training data (train/test contamination): the test scores are "
            "optimistic. Remove duplicate rows before splitting.",
            DataQualityWarning,
            stacklevel=4,
        )
    return {"n_test_rows_in_train": n_shared, "fraction": fraction}
