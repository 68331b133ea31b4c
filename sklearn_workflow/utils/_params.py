"""Storing an estimator's constructor arguments, scikit-learn's way."""

__all__ = ["store_params"]


def store_params(estimator, arguments):
    """Set each ``__init__`` argument as an attribute of the same name, unchanged.

    scikit-learn's rule for ``__init__`` is to store the parameters and do
    nothing else (no validation, no derived state); estimators with many
    parameters call ``store_params(self, locals())`` as their only statement
    instead of one assignment per parameter. ``get_params`` and ``clone`` read
    the signature, so they see the same thing either way.

    Parameters
    ----------
    estimator : object
    arguments : dict
        ``locals()`` at the start of ``__init__``: the parameters, ``self``
        (skipped) and, when the method uses ``super()``, ``__class__``
        (skipped).

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> class Model(BaseEstimator):
    ...     def __init__(self, alpha=1.0, *, fit_intercept=True):
    ...         store_params(self, locals())
    >>> Model(alpha=0.5).get_params()
    {'alpha': 0.5, 'fit_intercept': True}
    """
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)
