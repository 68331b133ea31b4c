"""ONNX export of scikit-learn's trees and forests with missing values."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    ExtraTreesClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from sklearn_workflow.quality import DataQualityChecker

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")

from sklearn_workflow.deploy._onnx import onnx_inputs, onnx_parity, to_onnx
from sklearn_workflow.deploy._onnx._export import session

ESTIMATORS = [
    DecisionTreeClassifier(random_state=0),
    DecisionTreeRegressor(max_depth=6, random_state=0),
    RandomForestClassifier(n_estimators=15, random_state=0),
    RandomForestRegressor(n_estimators=10, random_state=0),
    ExtraTreesClassifier(n_estimators=10, random_state=0),
]


def missing_table(rng, n=500):
    """NaN in two columns at fit, more often where y is 1 (their direction
    matters); the held-out rows also have NaN in a column without any at fit."""
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=list("abc"))
    y = (X["a"] + X["b"] > 0).astype(int)
    X.loc[rng.random(n) < 0.2, "a"] = np.nan
    X.loc[(rng.random(n) < 0.4) & (y == 1), "b"] = np.nan
    X_test = X.iloc[350:].copy()
    X_test.loc[X_test.index[::4], "c"] = np.nan
    return X.iloc[:350], y[:350], X_test


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_trees_send_missing_values_where_scikit_learn_does(
    estimator, global_random_seed
):
    rng = np.random.default_rng(global_random_seed)
    X, y, X_test = missing_table(rng)
    if not hasattr(estimator, "predict_proba"):
        y = y + rng.normal(scale=0.1, size=len(y))
    model = make_pipeline(DataQualityChecker(on_violation="ignore"), estimator)
    model.fit(X, y)
    onx = to_onnx(model)
    sess = session(onx)
    out = sess.run(None, onnx_inputs(onx, X_test, model))
    if hasattr(estimator, "predict_proba"):
        # ONNX-ML trees hold their leaf values in float32
        proba = model.predict_proba(X_test)
        np.testing.assert_allclose(out[1], proba, rtol=0, atol=1e-6)
        tie = np.abs(proba[:, 1] - 0.5) <= 1e-6
        labels = model.predict(X_test)
        np.testing.assert_array_equal(out[0][~tie], labels[~tie])
    else:
        np.testing.assert_allclose(
            out[0].ravel(), model.predict(X_test), rtol=1e-6, atol=1e-6
        )
    parity = onnx_parity(model, onx, X_test, n_calls=1)
    assert parity.ok
