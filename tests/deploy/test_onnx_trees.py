"""ONNX export of scikit-learn's trees and forests: float64 leaves, float32
splits, missing values."""

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
        # the leaves' values in float64, averaged as scikit-learn averages them
        proba = model.predict_proba(X_test)
        np.testing.assert_allclose(out[1], proba, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(out[0], model.predict(X_test))
    else:
        np.testing.assert_allclose(
            out[0].ravel(), model.predict(X_test), rtol=1e-12, atol=1e-12
        )
    parity = onnx_parity(model, onx, X_test, n_calls=1)
    assert parity.ok


def test_float32_graph_of_a_forest_keeps_skl2onnx_trees():
    rng = np.random.default_rng(0)
    X, y, X_test = missing_table(rng)
    model = make_pipeline(
        DataQualityChecker(on_violation="ignore"),
        RandomForestClassifier(n_estimators=5, random_state=0),
    ).fit(X, y)
    onx = to_onnx(model, double=False)
    assert any(n.op_type == "TreeEnsembleClassifier" for n in onx.graph.node)
    out = session(onx).run(None, onnx_inputs(onx, X_test, model))
    np.testing.assert_allclose(out[1], model.predict_proba(X_test), atol=1e-6)


def test_forest_of_three_text_classes_on_a_real_table():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    table = palmerpenguins.load_penguins()
    X = table[["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]]
    X = X.astype(float)
    X.iloc[::7, 0] = np.nan  # missing values at fit and after
    y = table["species"].to_numpy()
    model = make_pipeline(
        DataQualityChecker(on_violation="ignore"),
        ExtraTreesClassifier(n_estimators=20, min_samples_leaf=3, random_state=0),
    ).fit(X.iloc[::2], y[::2])
    X_test = X.iloc[1::2]
    onx = to_onnx(model)
    out = session(onx).run(None, onnx_inputs(onx, X_test, model))
    np.testing.assert_allclose(out[1], model.predict_proba(X_test), atol=1e-12)
    np.testing.assert_array_equal(out[0], model.predict(X_test))
