"""The one place that imports scikit-learn's private API.

Everything else in the package imports these names from here, so a change in
scikit-learn's internals is fixed in one file.
"""

from sklearn.base import _fit_context

# ThresholdTunedClassifier: row indexing of X, y and fit params for the folds.
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    Options,
    RealNotInt,
    StrOptions,
    validate_params,
)
from sklearn.utils._set_output import _get_output_config

# TargetEncoder: feature names of transformers and sample-weight validation.
from sklearn.utils.validation import (
    _check_feature_names,
    _check_feature_names_in,
    _check_sample_weight,
)

__all__ = [
    "HasMethods",
    "Hidden",
    "Interval",
    "Options",
    "RealNotInt",
    "StrOptions",
    "_check_feature_names",
    "_check_feature_names_in",
    "_check_sample_weight",
    "_fit_context",
    "_safe_indexing",
    "get_output_container",
    "validate_params",
]


def get_output_container(estimator, method="transform"):
    """Return the container requested by ``set_output`` for ``method``.

    Parameters
    ----------
    estimator : estimator instance
        The transformer whose output configuration is read.
    method : {"transform", "fit_transform"}, default="transform"
        The method whose configuration is read.

    Returns
    -------
    container : {"default", "pandas", "polars"}
        ``"default"`` when ``set_output`` was not called (or set to "default").
    """
    return _get_output_config(method, estimator)["dense"]
