import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_workflow.selection import ModelSelector
from sklearn_workflow.selection._catalog import _CATALOG, find_entry
from sklearn_workflow.selection._labels import _LabelEncodingClassifier


class _IntegerLabelsOnly(ClassifierMixin, BaseEstimator):
    """A stand-in for XGBClassifier: a logistic regression that refuses any
    labels but 0 to n_classes - 1, and records the row weights it got."""

    def __init__(self, C=1.0):
        self.C = C

    def fit(self, X, y, sample_weight=None):
        y = np.asarray(y)
        expected = np.arange(len(np.unique(y)))
        if y.dtype.kind not in "iu" or not np.array_equal(np.unique(y), expected):
            raise ValueError(
                f"Invalid classes inferred from unique values of `y`. "
                f"Expected: {expected}, got {np.unique(y)}"
            )
        self.sample_weight_ = sample_weight
        self.model_ = LogisticRegression(C=self.C).fit(X, y, sample_weight)
        self.classes_ = self.model_.classes_
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


def _data(n_classes=2, seed=0):
    X, codes = make_classification(
        n_samples=120,
        n_features=5,
        n_informative=3,
        n_classes=n_classes,
        random_state=seed,
    )
    return X, codes


@parametrize_with_checks([_LabelEncodingClassifier(LogisticRegression())])
def test_label_encoding_classifier_passes_the_common_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["churn", "stay"]),
        np.array([False, True]),
        np.array([1, 2]),
        np.array(["a", "b", "c"], dtype=object),
        np.array([-5, 7, 40]),
    ],
)
def test_label_encoding_classifier_equals_a_fit_on_the_codes(labels):
    X, codes = _data(n_classes=len(labels))
    y = labels[codes]
    with pytest.raises(ValueError, match="Invalid classes"):
        _IntegerLabelsOnly().fit(X, y)
    weights = np.linspace(0.5, 2.0, len(y))
    model = _LabelEncodingClassifier(_IntegerLabelsOnly(C=0.3))
    model.fit(X, y, sample_weight=weights)
    # the naive reference: encode by hand (np.unique sorts, as LabelEncoder)
    classes, encoded = np.unique(y, return_inverse=True)
    reference = _IntegerLabelsOnly(C=0.3).fit(X, encoded, sample_weight=weights)
    np.testing.assert_array_equal(model.classes_, classes)
    np.testing.assert_array_equal(model.predict(X), classes[reference.predict(X)])
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X))
    np.testing.assert_array_equal(model.estimator_.sample_weight_, weights)
    assert model.predict(X).dtype == y.dtype
    assert model.score(X, y) == np.mean(model.predict(X) == y)


def test_label_encoding_classifier_without_weights_and_methods_of_its_own():
    X, codes = _data()
    model = _LabelEncodingClassifier(_IntegerLabelsOnly()).fit(X, codes + 1)
    assert model.estimator_.sample_weight_ is None
    # the stand-in has no decision_function: neither has the wrapper
    assert not hasattr(model, "decision_function")
    assert hasattr(_LabelEncodingClassifier(LogisticRegression()), "decision_function")
    assert model.n_features_in_ == X.shape[1]


def test_label_encoding_classifier_params_reach_the_inner_classifier():
    model = _LabelEncodingClassifier(_IntegerLabelsOnly(C=1.0))
    assert model.get_params()["estimator__C"] == 1.0
    model.set_params(estimator__C=0.01)
    assert clone(model).estimator.C == 0.01
    X, codes = _data()
    assert model.fit(X, codes).estimator_.C == 0.01


def test_catalog_marks_the_classifiers_that_need_encoded_labels():
    marked = {entry.name for entry in _CATALOG if entry.encodes_labels}
    assert marked == {"XGBoost"}
    # the regressor of the same family takes any target
    assert not find_entry(type("XGBRegressor", (), {})(), "regression").encodes_labels


@pytest.fixture
def xgboost():
    return pytest.importorskip("xgboost")


@pytest.mark.parametrize(
    "labels",
    [np.array(["no", "yes"]), np.array([1, 2]), np.array(["a", "b", "c"])],
)
@pytest.mark.parametrize("search", ["none", "random"])
def test_selector_races_xgboost_on_any_labels(xgboost, labels, search):
    X, codes = _data(n_classes=len(labels))
    y = labels[codes]
    estimator = xgboost.XGBClassifier(n_estimators=10, n_jobs=1, random_state=0)
    selector = ModelSelector(
        {"XGBoost": estimator},
        cv=3,
        strategy="racing",
        search=search,
        n_configs=2,
        random_state=0,
    ).fit(X, y)
    rows = selector.results_.set_index("name")
    assert rows.loc["XGBoost", "status"] == "completed"
    assert rows.loc["XGBoost", "error"] == ""
    np.testing.assert_array_equal(selector.classes_, np.unique(y))
    assert set(selector.predict(X)) <= set(labels)
    # refitted as a fit of the tuned XGBClassifier on the codes would be
    params = {k: v for k, v in selector.best_params_.items() if k != "candidate"}
    assert search == "none" or set(params) <= set(estimator.get_params())
    reference = clone(estimator).set_params(**params)
    reference.fit(X, np.unique(y, return_inverse=True)[1])
    np.testing.assert_allclose(
        selector.predict_proba(X), reference.predict_proba(X), rtol=1e-6
    )


def test_selector_passes_row_weights_through_the_encoding(xgboost):
    X, codes = _data()
    y = np.array(["no", "yes"])[codes]
    weights = np.where(codes == 1, 3.0, 1.0)
    estimator = xgboost.XGBClassifier(n_estimators=10, n_jobs=1, random_state=0)
    selector = ModelSelector({"XGBoost": estimator}, cv=3, baseline=False).fit(
        X, y, sample_weight=weights
    )
    reference = clone(estimator).fit(X, codes, sample_weight=weights)
    np.testing.assert_allclose(
        selector.predict_proba(X), reference.predict_proba(X), rtol=1e-6
    )
    unweighted = clone(estimator).fit(X, codes)
    assert not np.allclose(selector.predict_proba(X), unweighted.predict_proba(X))
