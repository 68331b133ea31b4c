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
from sklearn.inspection import permutation_importance

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


def model_drivers(model, X, y, scorer, *, max_rows=2000, random_state=0):
    """Permutation importance of every column of ``X`` on held-out rows.

    Parameters
    ----------
    model : fitted estimator
        The whole pipeline, taking the raw columns of ``X``.
    X : DataFrame
        Held-out rows (at most ``max_rows`` of them are used, drawn at random).
    y : array-like
        Their targets.
    scorer : callable
        ``scorer(model, X, y)``, greater is better (a scikit-learn scorer).
    max_rows : int, default=2000
    random_state : int, default=0

    Returns
    -------
    drivers : DataFrame
        ``column``, ``importance`` (mean drop of the score when the column is
        shuffled) and ``std``, most important first.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.metrics import get_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"signal": rng.normal(size=300),
    ...                   "noise": rng.normal(size=300)})
    >>> y = (X["signal"] > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> model_drivers(model, X, y, get_scorer("accuracy"))["column"].tolist()
    ['signal', 'noise']
    """
    rng = np.random.RandomState(random_state)
    y = np.asarray(y)
    if len(y) > max_rows:
        rows = np.sort(rng.choice(len(y), max_rows, replace=False))
        X, y = X.iloc[rows], y[rows]
    n_repeats = 3 if X.shape[1] <= _MANY_COLUMNS else 1
    with warnings.catch_warnings():
        # Shuffled columns break the contract a pipeline's own checks enforce.
        warnings.simplefilter("ignore")
        result = permutation_importance(
            model, X, y, scoring=scorer, n_repeats=n_repeats, random_state=rng
        )
    frame = pd.DataFrame(
        {
            "column": [str(c) for c in column_names(X)],
            "importance": result.importances_mean,
            "std": result.importances_std,
        }
    )
    order = np.argsort(-frame["importance"].to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


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
