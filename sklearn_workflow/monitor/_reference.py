"""The monitoring reference: what a fitted model needs to be followed after release.

:func:`build_reference` summarises the training rows once: each column's bins
(quantile edges of numbers and datetimes, the frequent categories, a bin for
missing values) and their fractions, the out-of-fold score distribution, the
calibration map, the model's threshold and positive class, the problem card,
the training time, and a stratified sample of at most 5,000 rows (as numbers
and category codes) for the multivariate test. It is a plain dict of numbers,
strings, lists and numpy arrays, so skops saves it without any extra trusted
type; :func:`attach_reference` stores it on the model as
``model.monitoring_reference_``, where :class:`~sklearn_workflow.monitor.Monitor`
reads it. Monitoring then needs neither the training data nor a refit.
"""

import datetime as dt

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.monitor._calibration import (
    bootstrap_maps,
    fit_calibration,
    fit_multiclass_calibration,
)
from sklearn_workflow.problem._task import infer_task, minority_class
from sklearn_workflow.quality._drift import bin_counts
from sklearn_workflow.utils._dataframe import (
    column_kind,
    column_names,
    factorize,
    get_column,
    n_rows,
    to_datetime64,
    to_float_array,
)

__all__ = [
    "REFERENCE_ATTRIBUTE",
    "attach_reference",
    "build_reference",
    "get_reference",
]

REFERENCE_ATTRIBUTE = "monitoring_reference_"
# Rows of out-of-fold probabilities computed for a multiclass calibration.
MAX_CALIBRATION_ROWS = 20_000
# Calibration maps refitted on resamples, for the estimates' intervals.
N_CALIBRATION_BOOTSTRAP = 20
# Categories kept as bins of their own (the most frequent, each at least 1%).
MAX_CATEGORIES = 20
# Bins of the predicted class's probability, within each predicted class.
PREDICTION_BINS = 5
MIN_CATEGORY_SHARE = 0.01


# ------------------------------------------------------------ column summaries
def column_values(col, kind):
    """A column as float64 (numbers, booleans, datetimes as seconds), NaN missing."""
    if kind == "datetime":
        stamps = to_datetime64(col)[0].astype("datetime64[s]")
        values = stamps.astype(np.float64)
        values[np.isnat(stamps)] = np.nan
        return values
    return to_float_array(col)


def category_bins(col, categories):
    """Bin of each row among ``categories``: their position, then "other", then
    missing (``len(categories) + 1``)."""
    codes, uniques = factorize(col)
    lookup = {str(c): i for i, c in enumerate(categories)}
    other = len(categories)
    of_unique = np.array([lookup.get(str(u), other) for u in uniques] + [other + 1])
    return of_unique[codes]  # code -1 (missing) takes the last entry


def numeric_bins(values, edges):
    """Bin of each value: ``searchsorted`` over the edges, missing last."""
    bins = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right")
    bins[~np.isfinite(values)] = len(edges) + 1
    return bins


def numeric_edges(finite, n_bins):
    """Bin edges of a column's finite values.

    Quantile edges; a column with at most ``2 * n_bins`` distinct values (counts,
    flags, scores) gets one bin per value and one between each two values, so
    that a value never seen at fit (``1.8`` tickets) lands in an empty bin.
    """
    distinct = np.unique(finite)
    if distinct.size <= 2 * n_bins:
        return np.ravel([distinct, np.nextafter(distinct, np.inf)], order="F").tolist()
    quantiles = np.quantile(finite, np.linspace(0, 1, n_bins + 1)[1:-1])
    return np.unique(quantiles).tolist()


def _numeric_summary(values, n_bins):
    finite = values[np.isfinite(values)]
    edges = numeric_edges(finite, n_bins) if finite.size else []
    counts = bin_counts(values, edges) if finite.size else np.zeros(len(edges) + 1)
    counts = np.append(counts, np.count_nonzero(~np.isfinite(values)))
    scale = float(np.std(finite)) if finite.size else 0.0
    return {"edges": edges, "counts": counts.astype(np.float64), "scale": scale}


def _categorical_summary(col):
    codes, uniques = factorize(col)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    order = np.argsort(-counts, kind="stable")[:MAX_CATEGORIES]
    order = order[counts[order] >= MIN_CATEGORY_SHARE * len(codes)]
    categories = [str(uniques[i]) for i in order]
    bins = category_bins(col, categories)
    return {
        "categories": categories,
        "counts": np.bincount(bins, minlength=len(categories) + 2).astype(np.float64),
    }


def summarise_columns(X, n_bins):
    """Per column: its kind, bins and counts (see :func:`build_reference`)."""
    summaries = {}
    for name in column_names(X):
        col = get_column(X, name)
        kind = column_kind(col)
        if kind in ("numeric", "datetime"):
            summary = _numeric_summary(column_values(col, kind), n_bins)
        elif kind in ("categorical", "boolean"):
            summary = _categorical_summary(col)
        else:
            continue
        summaries[str(name)] = {"kind": kind, **summary}
    return summaries


def encode_rows(X, columns):
    """The rows as a float matrix: numbers as they are, categories as bin codes."""
    out = np.empty((n_rows(X), len(columns)))
    for j, (name, summary) in enumerate(columns.items()):
        col = get_column(X, name)
        if "edges" in summary:
            out[:, j] = column_values(col, summary["kind"])
        else:
            out[:, j] = category_bins(col, summary["categories"])
    return out


# --------------------------------------------------------------- model facts
def final_step(model):
    """The last step of a Pipeline, or the model itself."""
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def positive_scores(model, X, pos_label):
    """Scores of the positive class (``predict_proba``, else the decision)."""
    classes = list(getattr(model, "classes_", []))
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(X))[:, classes.index(pos_label)]
    decision = np.asarray(model.decision_function(X), dtype=np.float64)
    return decision if classes.index(pos_label) == 1 else -decision


def _out_of_fold_scores(model, X, y, pos_label, random_state):
    """Out-of-fold scores of a clone, the tuned-threshold wrapper left out."""
    estimator = clone(model)
    last = final_step(model)
    if hasattr(last, "threshold_") and hasattr(model, "steps"):
        estimator.steps[-1] = (model.steps[-1][0], clone(last.estimator))
    folds = StratifiedKFold(3, shuffle=True, random_state=random_state)
    method = "predict_proba" if hasattr(model, "predict_proba") else "decision_function"
    raw = cross_val_predict(estimator, X, y, cv=folds, method=method)
    if raw.ndim == 2:
        return raw[:, list(model.classes_).index(pos_label)]
    return raw if list(model.classes_).index(pos_label) == 1 else -raw


def _model_facts(model, y, spec):
    """Task, classes, positive class and threshold of the fitted model."""
    task = spec.type if spec is not None else infer_task(y)
    facts = {"task": task, "classes": None, "pos_label": None, "threshold": None}
    if not is_classifier(model):
        return facts
    last = final_step(model)
    facts["classes"] = [c.item() if hasattr(c, "item") else c for c in model.classes_]
    if len(facts["classes"]) == 2:
        pos = getattr(last, "pos_label_", None)
        if pos is None and spec is not None and spec.positive_class is not None:
            pos = spec.positive_class
        if pos is None:
            pos = minority_class(y)
        facts["pos_label"] = pos.item() if hasattr(pos, "item") else pos
        threshold = getattr(last, "threshold_", None)
        if threshold is None:
            threshold = 0.5 if hasattr(model, "predict_proba") else 0.0
        facts["threshold"] = float(threshold)
    return facts


def _sample_rows(y, task, reference_rows, random_state):
    from sklearn_workflow.workflow._budget import stratified_subsample

    if reference_rows == 0:
        return np.array([], dtype=np.int64)
    rows = stratified_subsample(y, reference_rows, random_state, task=task)
    return np.sort(np.asarray(rows, dtype=np.int64))


def _score_summary(model, X, y, facts, oof_scores, random_state):
    """Out-of-fold scores, their bins and the calibration map (binary models)."""
    pos = facts["pos_label"]
    if oof_scores is None:
        oof_scores = _out_of_fold_scores(model, X, y, pos, random_state)
    scores = np.asarray(oof_scores, dtype=np.float64)
    if scores.shape != (len(y),):
        raise BadInputError(
            f"oof_scores must have one score per training row ({len(y)}); got "
            f"shape {scores.shape}"
        )
    y_positive = np.asarray(y) == pos
    calibration = fit_calibration(scores, y_positive, random_state=random_state)
    calibration["bootstrap"] = bootstrap_maps(
        calibration,
        scores,
        y_positive,
        n_bootstrap=N_CALIBRATION_BOOTSTRAP,
        random_state=random_state,
    )
    summary = _numeric_summary(scores, 10)
    return scores, {"kind": "numeric", **summary}, calibration


def prediction_bins(probabilities, summary):
    """Bin of each row of a multiclass model's probabilities in ``summary``.

    The bins are the predicted class (the largest probability) and, within it,
    the predicted class's probability cut at that class's ``edges``; the
    classes' bins follow each other in class order.

    Examples
    --------
    >>> from sklearn_workflow.monitor._reference import prediction_bins
    >>> summary = {"edges": [[0.6], [0.5, 0.8], []]}  # 2, 3 and 1 bins
    >>> proba = [[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.1, 0.1, 0.8], [0.5, 0.4, 0.1]]
    >>> prediction_bins(proba, summary).tolist()
    [1, 3, 5, 0]
    """
    proba = np.asarray(probabilities, dtype=np.float64)
    predicted = np.argmax(proba, axis=1)
    top = proba[np.arange(len(proba)), predicted]
    sizes = [len(edges) + 1 for edges in summary["edges"]]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    bins = np.empty(len(proba), dtype=np.int64)
    for k, edges in enumerate(summary["edges"]):
        rows = predicted == k
        cut = np.asarray(edges, dtype=np.float64)
        bins[rows] = offsets[k] + np.searchsorted(cut, top[rows], side="right")
    return bins


def prediction_summary(probabilities, n_bins=PREDICTION_BINS):
    """The distribution of a multiclass model's out-of-fold predictions.

    Rows binned by :func:`prediction_bins`: the predicted class, then
    ``n_bins`` quantile bins of the predicted class's probability among the
    rows predicted as that class (fewer when values tie). The counts hold the
    predicted-class frequencies and how sure each class's predictions are;
    prediction drift compares a chunk's counts with them.

    Returns
    -------
    summary : dict
        ``kind`` ("multiclass"), ``edges`` (one list per class) and ``counts``.
    """
    proba = np.asarray(probabilities, dtype=np.float64)
    predicted = np.argmax(proba, axis=1)
    top = proba[np.arange(len(proba)), predicted]
    edges = []
    for k in range(proba.shape[1]):
        values = top[predicted == k]
        edges.append(numeric_edges(values, n_bins) if values.size else [])
    summary = {"kind": "multiclass", "edges": edges}
    size = sum(len(e) + 1 for e in edges)
    counts = np.bincount(prediction_bins(proba, summary), minlength=size)
    summary["counts"] = counts.astype(np.float64)
    return summary


def _multiclass_summary(model, X, y, facts, oof_proba, random_state):
    """Prediction distribution and per-class calibration of a multiclass model's
    out-of-fold probabilities.

    None given: 3-fold cross-validated probabilities of a clone on a
    stratified sample of at most :data:`MAX_CALIBRATION_ROWS` rows. ``(None,
    None)`` when the model has no ``predict_proba``.
    """
    if not hasattr(model, "predict_proba"):
        return None, None
    y = np.asarray(y)
    classes = [str(c) for c in facts["classes"]]
    rows = np.arange(len(y))
    if oof_proba is None:
        rows = _sample_rows(
            y, facts["task"], min(MAX_CALIBRATION_ROWS, len(y)), random_state
        )
        folds = StratifiedKFold(3, shuffle=True, random_state=random_state)
        X_rows = X.iloc[rows] if hasattr(X, "iloc") else X[rows]
        oof_proba = cross_val_predict(
            clone(model), X_rows, y[rows], cv=folds, method="predict_proba"
        )
    proba = np.asarray(oof_proba, dtype=np.float64)
    if proba.shape != (rows.size, len(classes)):
        raise BadInputError(
            f"oof_scores of a multiclass model must have one row per training row "
            f"and one column per class {(len(y), len(classes))}; got shape "
            f"{proba.shape}"
        )
    codes = np.array([classes.index(str(c)) for c in y[rows]])
    calibration = fit_multiclass_calibration(proba, codes, random_state=random_state)
    calibration["bootstrap"] = bootstrap_maps(
        calibration,
        proba,
        codes,
        n_bootstrap=N_CALIBRATION_BOOTSTRAP,
        random_state=random_state,
    )
    return prediction_summary(proba), calibration


def build_reference(
    model,
    X,
    y,
    *,
    oof_scores=None,
    spec=None,
    reference_rows=5000,
    n_bins=10,
    trained_at=None,
    random_state=0,
):
    """Summarise the training rows of a fitted model for monitoring.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        The model that will be monitored, fitted on ``X, y``.
    X : DataFrame of shape (n_samples, n_features)
        The training rows, as the model takes them.
    y : array-like of shape (n_samples,)
        The training target.
    oof_scores : array-like of shape (n_samples,), default=None
        Out-of-fold scores of the positive class of a binary model (the
        threshold tuner's, for instance). The positive class is the tuned
        threshold step's ``pos_label_``, else the card's ``positive_class``,
        else the minority class. None computes them by 3-fold
        cross-validation of a clone (the tuned-threshold wrapper left out).
        For a multiclass model, out-of-fold probabilities of shape
        (n_samples, n_classes); None computes them by 3-fold cross-validation
        of a clone on a stratified sample of at most 20,000 rows. They are
        binned by predicted class and how sure (:func:`prediction_summary`,
        for prediction drift) and calibrated per class
        (:func:`fit_multiclass_calibration`).
    spec : ProblemSpec, default=None
        The problem card: its bar, its positive class and its
        ``retraining_frequency`` are read by the retrain decision.
    reference_rows : int, default=5000
        Size of the stratified sample kept for the multivariate test; 0 keeps
        none (the multivariate test is then skipped).
    n_bins : int, default=10
        Quantile bins of numeric and datetime columns (fewer when values tie).
    trained_at : datetime or str, default=None
        When the model was trained (ISO 8601); None is now (UTC).
    random_state : int, default=0

    Returns
    -------
    reference : dict
        ``task``, ``classes``, ``pos_label``, ``threshold``, ``columns`` (per
        column: ``kind``, ``edges`` or ``categories``, ``counts`` per bin with
        the missing values last), ``scores`` (the out-of-fold scores' bins;
        for a multiclass model, the out-of-fold predictions' bins of
        :func:`prediction_summary`: predicted class, then how sure),
        ``calibration`` (with ``bootstrap``: the map refitted on resamples
        of the rows, whose spread widens the estimates' intervals),
        ``sample`` (codes of the sampled rows, their
        out-of-fold scores and labels), ``spec``, ``trained_at``, ``n_rows``.

    See Also
    --------
    attach_reference : Store it on the model, where ``Monitor`` finds it.
    sklearn_workflow.quality.DataQualityChecker : The data contract checked at
        the door; the reference adds what drift, noise levels and estimates
        without labels need.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_workflow.monitor import build_reference
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=400), "city": ["a", "b"] * 200})
    >>> X.loc[0, "city"] = None  # a missing category has a bin of its own
    >>> y = (X["x"] + rng.normal(size=400) > 0).astype(int)
    >>> model = LogisticRegression().fit(X[["x"]], y)
    >>> reference = build_reference(model, X[["x"]], y, reference_rows=100)
    >>> reference["task"], reference["threshold"], len(reference["sample"]["rows"])
    ('binary_classification', 0.5, 100)
    >>> scores = model.predict_proba(X[["x"]])[:, 1]  # or out-of-fold ones
    >>> reference = build_reference(model, X, y, oof_scores=scores, reference_rows=0)
    >>> reference["columns"]["city"]["counts"]
    array([199., 200.,   0.,   1.])
    """
    n = len(y)
    facts = _model_facts(model, y, spec)
    columns = summarise_columns(X, n_bins)
    if not columns:
        raise BadInputError("build_reference: X has no numeric or categorical column")
    rows = _sample_rows(y, facts["task"], min(reference_rows, n), random_state)
    sample = {
        "rows": encode_rows(X, columns)[rows] if rows.size else np.empty((0, 0)),
        "labels": np.asarray(y)[rows].tolist(),
        "scores": None,
    }
    scores_summary, calibration = None, None
    if facts["pos_label"] is not None:
        scores, scores_summary, calibration = _score_summary(
            model, X, y, facts, oof_scores, random_state
        )
        sample["scores"] = scores[rows]
    elif facts["classes"] is not None and len(facts["classes"]) > 2:
        scores_summary, calibration = _multiclass_summary(
            model, X, y, facts, oof_scores, random_state
        )
    if trained_at is None:
        trained_at = dt.datetime.now(dt.UTC)
    return {
        **facts,
        "columns": columns,
        "scores": scores_summary,
        "calibration": calibration,
        "sample": sample,
        "spec": None if spec is None else spec.to_dict(),
        "trained_at": str(getattr(trained_at, "isoformat", lambda: trained_at)()),
        "n_rows": int(n),
        "n_bins": int(n_bins),
    }


def attach_reference(model, reference):
    """Store ``reference`` on ``model`` (``model.monitoring_reference_``).

    The reference is then saved with the model by
    :func:`~sklearn_workflow.deploy.save` and found by ``Monitor(model)``.

    Returns
    -------
    model : the same object

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_workflow.monitor import attach_reference, get_reference
    >>> model = attach_reference(DummyClassifier(), {"task": "regression"})
    >>> get_reference(model)["task"]
    'regression'
    """
    setattr(model, REFERENCE_ATTRIBUTE, reference)
    return model


def get_reference(model):
    """The reference stored on ``model``, or a one-line :class:`BadInputError`.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_workflow.monitor import get_reference
    >>> get_reference(DummyClassifier())
    Traceback (most recent call last):
    ...
    sklearn_workflow.exceptions.BadInputError: the model has no monitoring reference ...
    """
    reference = getattr(model, REFERENCE_ATTRIBUTE, None)
    if reference is None:
        raise BadInputError(
            "the model has no monitoring reference (saved without it); build one "
            "with sklearn_workflow.monitor.build_reference and attach_reference"
        )
    return reference
