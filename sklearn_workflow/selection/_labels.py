"""Classifiers that need the class labels as the integers 0 to n_classes - 1.

XGBoost's ``XGBClassifier`` refuses any other labels (text, booleans, or
integers such as ``{1, 2}``). :class:`_LabelEncodingClassifier` fits such a
classifier on the positions of the labels in ``classes_`` and maps its
predictions back, so that it takes the labels every other candidate takes.
``ModelSelector`` wraps the catalog classifiers that need it (see
``CatalogEntry.encodes_labels``) around the model, inside the preprocessing.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from sklearn_workflow.utils._param_validation import HasMethods, _fit_context

__all__ = ["_LabelEncodingClassifier"]


def _estimator_has(attr):
    """``available_if`` check: the fitted (else the given) classifier has ``attr``."""

    def check(self):
        inner = getattr(self, "estimator_", self.estimator)
        return hasattr(inner, attr)

    return check


class _LabelEncodingClassifier(ClassifierMixin, BaseEstimator):
    """A classifier fitted on the labels encoded as 0 to n_classes - 1.

    ``fit`` encodes ``y`` with a ``LabelEncoder`` and fits a clone of
    ``estimator`` on the codes; ``predict`` decodes the predicted codes, and
    ``predict_proba``, ``predict_log_proba`` and ``decision_function`` are the
    classifier's own (their columns follow ``classes_``, the original labels in
    sorted order, as the codes do).

    Parameters
    ----------
    estimator : classifier
        The classifier that needs integer labels (``XGBClassifier``).

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``.
    classes_ : ndarray of shape (n_classes,)
        The original class labels.
    n_features_in_ : int
        Number of features seen during fit (the classifier's).

    See Also
    --------
    sklearn.compose.TransformedTargetRegressor : Transforms a regressor's
        target; this maps a classifier's labels, and keeps its probabilities.

    Examples
    --------
    A stand-in for a classifier that takes only integer labels (here a logistic
    regression) now takes text labels, and predicts them:

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_workflow.selection._labels import _LabelEncodingClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array(["stay", "stay", "churn", "churn"])
    >>> model = _LabelEncodingClassifier(LogisticRegression()).fit(X, y)
    >>> model.classes_, model.estimator_.classes_
    (array(['churn', 'stay'], dtype='<U5'), array([0, 1]))
    >>> model.predict([[0.5], [2.5]])
    array(['stay', 'churn'], dtype='<U5')
    >>> model.predict_proba([[2.5]]).round(2)  # columns: churn, stay
    array([[0.72, 0.28]])
    """

    _parameter_constraints = {"estimator": [HasMethods(["fit", "predict"])]}

    def __init__(self, estimator):
        self.estimator = estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit a clone of ``estimator`` on the encoded labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, as ``estimator`` takes it.
        y : array-like of shape (n_samples,)
            Class labels of any kind.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights, passed to ``estimator.fit`` when given.

        Returns
        -------
        self : _LabelEncodingClassifier
            The fitted classifier.
        """
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
        self.estimator_ = clone(self.estimator).fit(
            X, encoder.transform(y), **fit_params
        )
        return self

    @property
    def n_features_in_(self):
        """Number of features seen during fit."""
        return self.estimator_.n_features_in_

    def predict(self, X):
        """The predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        codes = np.asarray(self.estimator_.predict(X))
        return self.classes_.take(codes.astype(np.intp).ravel())

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """The classifier's class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """The classifier's log class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """The classifier's decision function.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Positive values favour ``classes_[1]`` (binary), else one column
            per class of ``classes_``.
        """
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags = inner.input_tags
        tags.target_tags.required = True
        if inner.classifier_tags is not None:
            tags.classifier_tags.poor_score = inner.classifier_tags.poor_score
        return tags
