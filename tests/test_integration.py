"""The central objects compose: one pipeline from raw churn data to a tuned decision."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

from sklearn_workflow import (
    DataQualityChecker,
    DateFeatureExtractor,
    ModelSelector,
    TargetEncoder,
    ThresholdTunedClassifier,
)
from sklearn_workflow.datasets import make_churn

# The checker validates each held-out fold against its training folds; folds of
# the same data must not make it warn (sampling alone is not a violation).
pytestmark = pytest.mark.filterwarnings(
    "error::sklearn_workflow.exceptions.DataQualityWarning"
)


def _churn():
    X, y = make_churn(n_samples=1500, random_state=0)
    # The quality findings: a leaky column and an identifier.
    return X.drop(columns=["cancellation_requested", "customer_id"]), y


def _pipeline():
    selector = ModelSelector(
        {
            "logit": LogisticRegression(max_iter=1000),
            "tree": DecisionTreeClassifier(max_depth=4, random_state=0),
        },
        cv=3,
        random_state=0,
    )
    return make_pipeline(
        DataQualityChecker(),
        DateFeatureExtractor(),
        TargetEncoder(random_state=0),
        ThresholdTunedClassifier(
            selector, objective="precision", constraint={"recall": 0.8}
        ),
    )


def test_design_pipeline_cross_validates():
    X, y = _churn()
    scores = cross_val_score(_pipeline(), X, y, cv=3, scoring="roc_auc")
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    assert scores.mean() > 0.7

    fitted = _pipeline().fit(X, y)
    assert fitted.feature_names_in_.tolist() == X.columns.tolist()
    checker, dates, encoder, tuned = (step for _, step in fitted.steps)
    # The dates became numbers and the categories encodings before the selector.
    assert tuned.estimator_.n_features_in_ == len(
        encoder.get_feature_names_out(dates.get_feature_names_out())
    )
    assert np.isfinite(tuned.threshold_)
    proba = fitted.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(fitted.predict(X), (proba >= tuned.threshold_) * 1)


def test_design_pipeline_in_grid_search():
    X, y = _churn()
    search = GridSearchCV(
        _pipeline(),
        {"targetencoder__smooth": ["auto", 50.0]},
        cv=3,
        scoring="roc_auc",
    ).fit(X, y)
    assert search.cv_results_["mean_test_score"].shape == (2,)
    assert np.all(search.cv_results_["mean_test_score"] > 0.7)
    assert search.best_params_["targetencoder__smooth"] in ("auto", 50.0)
    # The refitted best pipeline is the same as fitting its parameters directly.
    direct = clone(_pipeline()).set_params(**search.best_params_).fit(X, y)
    np.testing.assert_allclose(
        search.predict_proba(X), direct.predict_proba(X), rtol=1e-12
    )
