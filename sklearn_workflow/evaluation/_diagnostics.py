"""What drives a fitted model and where it errs, measured on held-out rows.

Two readings of a model that the workflow's report prints after the verdict:
permutation importance of each input column on the test split (how much the
card's metric drops when that column's values are shuffled), and the card's
metric computed separately on each level of a categorical column (the slices
where the model does worse than on the whole test set).
"""

import warnings

import numpy as np
import pandas as pd

from sklearn_workflow.problem._metrics import METRICS
from sklearn_workflow.utils._dataframe import column_kind, column_names

__all__ = [
    "categorical_columns",
    "metric_by_level",
    "metric_output",
    "model_drivers",
]

# Beyond this many input columns, each is shuffled once instead of three times.
_MANY_COLUMNS = 30


def metric_output(name, y_pred, score, proba, task):
    """What a metric is computed from: predictions, score or probabilities."""
    response = METRICS[name].response
    if response == "predict":
        return y_pred
    if response == "score":
        return score
    if task == "binary_classification":
        return None if proba is None else score  # the positive class's proba
    return proba


def model_drivers(
    model,
    X,
    y,
    metric,
    *,
    task,
    pos_label=None,
    n_repeats=None,
    max_rows=1000,
    random_state=0,
):
    """Permutation importance of every column of ``X`` on held-out rows.

    Each column's values are shuffled among the rows (``n_repeats`` times) and
    the drop of ``metric`` is measured. All the shuffled copies of the table
    are predicted in one call of the model, so a pipeline's fixed cost per
    call (its checks, its encoders) is paid once, not once per column.

    Parameters
    ----------
    model : fitted estimator
        The whole pipeline, taking the raw columns of ``X``.
    X : DataFrame
        Held-out rows (at most ``max_rows`` of them are used, drawn at random).
    y : array-like
        Their targets.
    metric : str
        A canonical metric name of the problem card.
    task : {"binary_classification", "multiclass_classification", \
"regression"}
    pos_label : object, default=None
        The positive class of a binary problem.
    n_repeats : int, default=None
        Shuffles per column; None: 3, or 1 beyond 30 columns.
    max_rows : int, default=1000
    random_state : int, default=0

    Returns
    -------
    drivers : DataFrame
        ``column``, ``importance`` (mean drop of the metric when the column is
        shuffled, signed so that a positive value means the column helps, for a
        metric to minimise too) and ``std``, most important first.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"noise": rng.normal(size=300),
    ...                   "signal": rng.normal(size=300)})
    >>> y = (X["signal"] > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> drivers = model_drivers(model, X, y, "accuracy",
    ...                         task="binary_classification", pos_label=1)
    >>> drivers["column"].tolist()
    ['signal', 'noise']
    """
    rng = np.random.RandomState(random_state)
    y = np.asarray(y)
    if len(y) > max_rows:
        rows = np.sort(rng.choice(len(y), max_rows, replace=False))
        X, y = X.iloc[rows], y[rows]
    columns = list(column_names(X))
    if n_repeats is None:
        n_repeats = 3 if len(columns) <= _MANY_COLUMNS else 1
    blocks = [X]
    for column in columns:
        for _ in range(n_repeats):
            shuffled = X.copy()
            shuffled[column] = X[column].to_numpy()[rng.permutation(len(y))]
            blocks.append(shuffled)
    scores = _block_scores(model, pd.concat(blocks), y, metric, task, pos_label)
    sign = 1.0 if METRICS[metric].greater_is_better else -1.0
    drops = sign * (scores[0] - scores[1:].reshape(len(columns), n_repeats))
    frame = pd.DataFrame(
        {
            "column": [str(c) for c in columns],
            "importance": drops.mean(axis=1),
            "std": drops.std(axis=1),
        }
    )
    order = np.argsort(-frame["importance"].to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def _block_scores(model, stacked, y, metric, task, pos_label):
    """The metric on each block of ``len(y)`` rows of one prediction call."""
    from sklearn_workflow.evaluation._evaluate import _responses

    with warnings.catch_warnings():
        # Shuffled columns break the contract a pipeline's own checks enforce.
        warnings.simplefilter("ignore")
        if task == "regression" or METRICS[metric].response == "predict":
            out = np.asarray(model.predict(stacked))
        else:
            y_pred, score, proba = _responses(model, stacked, task, pos_label)
            out = metric_output(metric, y_pred, score, proba, task)
    if out is None:
        raise ValueError(f"the model gives no response for metric {metric!r}")
    n = len(y)
    scores = []
    for start in range(0, len(stacked), n):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores.append(METRICS[metric](y, out[start : start + n], pos_label))
    return np.asarray(scores)


def metric_by_level(values, y_true, out, metric, *, pos_label=None, max_levels=8):
    """The metric on the rows of each level of a categorical column.

    Parameters
    ----------
    values : array-like of shape (n_rows,)
        The column's values on the test rows; a missing value is its own
        level, ``"(missing)"``.
    y_true : ndarray of shape (n_rows,)
    out : ndarray
        What ``metric`` is computed from (predictions, scores or
        probabilities), row for row.
    metric : str
        A canonical metric name.
    pos_label : object, default=None
    max_levels : int, default=8
        The most frequent levels get a row each; the others share the row
        ``"(other levels)"``.

    Returns
    -------
    table : DataFrame
        ``level``, ``rows`` and the metric (NaN where it is undefined on the
        level's rows, one class only), the most frequent levels first.

    Examples
    --------
    >>> import numpy as np
    >>> city = np.array(["Paris", "Paris", "Lyon", "Lyon", None, "Nice"])
    >>> y_true = np.array([1, 0, 1, 1, 0, 1])
    >>> y_pred = np.array([1, 0, 0, 1, 0, 1])
    >>> metric_by_level(city, y_true, y_pred, "accuracy", max_levels=2)
                level  rows  accuracy
    0           Paris     2       1.0
    1            Lyon     2       0.5
    2  (other levels)     2       1.0
    """
    labels = pd.Series(values, dtype=object).astype(object)
    labels = labels.where(labels.notna(), "(missing)").astype(str).to_numpy()
    counts = pd.Series(labels).value_counts(sort=True)
    top = list(counts.index[:max_levels])
    groups = [(level, labels == level) for level in top]
    if len(counts) > max_levels:
        groups.append(("(other levels)", ~np.isin(labels, top)))
    rows = []
    for level, mask in groups:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = METRICS[metric](y_true[mask], out[mask], pos_label=pos_label)
        except ValueError:
            value = float("nan")
        rows.append({"level": level, "rows": int(mask.sum()), metric: value})
    return pd.DataFrame(rows)


def categorical_columns(X):
    """The names of the categorical and boolean columns of a DataFrame."""
    return [
        name
        for name in column_names(X)
        if column_kind(X[name]) in ("categorical", "boolean")
    ]
