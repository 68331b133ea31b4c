"""Row weights in model selection: which step of a candidate takes them.

A candidate is often a pipeline (imputation, scaling, the model): the weights go
to its last step, the model, and only when that model's ``fit`` takes
``sample_weight``. The candidates are fitted with metadata routing off, whatever
the global setting, so that the weights reach the model the same way whether the
selector itself received them through routing or directly.
"""

from sklearn import config_context
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import has_fit_parameter

__all__ = ["fit_weighted", "weight_key"]


def weight_key(estimator):
    """The fit parameter that gives ``estimator``'s model the row weights.

    ``"sample_weight"`` for an estimator whose ``fit`` takes it,
    ``"<step>__sample_weight"`` through the last step of a pipeline (of
    pipelines), None when the model takes no weights.

    Examples
    --------
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_workflow.selection._weights import weight_key
    >>> weight_key(make_pipeline(StandardScaler(), LogisticRegression()))
    'logisticregression__sample_weight'
    >>> print(weight_key(KNeighborsClassifier()))
    None
    """
    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        inner = weight_key(last)
        return None if inner is None else f"{name}__{inner}"
    if has_fit_parameter(estimator, "sample_weight"):
        return "sample_weight"
    return None


def fit_weighted(estimator, X, y, sample_weight=None):
    """``estimator.fit(X, y)`` with the row weights given to its model.

    Parameters
    ----------
    estimator : estimator
        A candidate (a pipeline or not).
    X, y : ndarray
        The rows.
    sample_weight : ndarray or None, default=None
        The row weights; None, or a model that takes none: an unweighted fit.

    Returns
    -------
    estimator : estimator
        Fitted.
    """
    key = None if sample_weight is None else weight_key(estimator)
    if key is None:
        return estimator.fit(X, y)
    with config_context(enable_metadata_routing=False):
        return estimator.fit(X, y, **{key: sample_weight})
