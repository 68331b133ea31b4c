"""ONNX export of classifiers scored by their decision function: a threshold
tuned on ``decision_function``, and classifiers without ``predict_proba``."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.multiclass import OneVsOneClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC, NuSVC

from sklearn_workflow.quality import DataQualityChecker, TableCleaner
from sklearn_workflow.thresholds import ThresholdTunedClassifier

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")

from sklearn_workflow.deploy._onnx import (
    export_onnx,
    onnx_inputs,
    onnx_parity,
    to_onnx,
)
from sklearn_workflow.deploy._onnx._converters import tuned_threshold
from sklearn_workflow.deploy._onnx._export import session


def run_graph(onx, X, model):
    sess = session(onx)
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, onnx_inputs(onx, X, model))))


@pytest.fixture(scope="module")
def cancer():
    """A real table with text labels: the malignant class is the rarer one."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :10]
    y = np.where(y == 1, "benign", "malignant")
    return X.iloc[:400], y[:400], X.iloc[400:], y[400:]


SCORERS = [
    (LinearSVC(), "auto"),
    (RidgeClassifier(), "auto"),
    (SVC(), "auto"),
    (SVC(kernel="poly", degree=2), "auto"),
    (NuSVC(kernel="sigmoid", nu=0.3), "auto"),
    (LogisticRegression(), "decision_function"),
]


@pytest.mark.parametrize("scorer, response_method", SCORERS, ids=repr)
@pytest.mark.parametrize("pos_label", ["malignant", "benign"])
def test_threshold_on_the_decision_function(cancer, scorer, response_method, pos_label):
    X, y, X_test, _ = cancer
    tuned = ThresholdTunedClassifier(
        make_pipeline(StandardScaler(), scorer),
        objective="f1",
        pos_label=pos_label,
        response_method=response_method,
        cv=3,
    )
    model = make_pipeline(TableCleaner(), DataQualityChecker(), tuned)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    assert model[-1].response_method_ == "decision_function"
    onx = to_onnx(model)
    assert [o.name for o in onx.graph.output] == ["label", "decision_function"]
    out = run_graph(onx, X_test, model)
    decision = model.decision_function(X_test)
    assert out["decision_function"].shape == decision.shape
    np.testing.assert_allclose(out["decision_function"], decision, rtol=0, atol=1e-9)
    # The labels: the positive class where its score reaches the tuned
    # threshold (the score is -decision when the positive class is classes_[0]).
    score = decision if model.classes_[1] == pos_label else -decision
    threshold = tuned_threshold(model[-1])
    negative = [c for c in model.classes_ if c != pos_label][0]
    expected = np.where(score >= threshold, pos_label, negative)
    near = np.abs(score - threshold) <= 1e-6
    assert not ((out["label"] != expected) & ~near).any()
    np.testing.assert_array_equal(out["label"][~near], model.predict(X_test)[~near])
    parity = onnx_parity(model, onx, X_test, n_calls=2)
    assert parity.compared == "decision_function" and parity.ok
    assert parity.threshold == threshold


@pytest.mark.parametrize(
    "classifier, table, atol",
    [
        (LinearSVC(), "cancer", 1e-9),
        (RidgeClassifier(), "cancer", 1e-9),
        (SVC(), "cancer", 1e-9),
        (LinearSVC(), "wine", 1e-9),
        (RidgeClassifier(), "wine", 1e-9),
        (SVC(), "wine", 1e-9),
        (SVC(kernel="poly", degree=3, break_ties=True), "wine", 1e-9),
        (NuSVC(nu=0.2), "wine", 1e-9),
        # one-vs-one scores: ONNX-ML's SVMClassifier, in float32
        (SVC(decision_function_shape="ovo"), "wine", 1e-5),
    ],
    ids=repr,
)
def test_classifier_without_probabilities(classifier, table, atol, cancer):
    if table == "cancer":
        X, y, X_test, _ = cancer
    else:
        X, y = load_wine(return_X_y=True, as_frame=True)
        X, y, X_test = X.iloc[::2], y.iloc[::2], X.iloc[1::2]
    model = make_pipeline(DataQualityChecker(), StandardScaler(), classifier)
    model.fit(X, y)
    onx = to_onnx(model)
    assert [o.name for o in onx.graph.output] == ["label", "decision_function"]
    out = run_graph(onx, X_test, model)
    decision = model.decision_function(X_test)
    assert out["decision_function"].shape == decision.shape
    np.testing.assert_allclose(out["decision_function"], decision, rtol=0, atol=atol)
    np.testing.assert_array_equal(out["label"], model.predict(X_test))
    meta = {p.key: p.value for p in onx.metadata_props}
    assert "decision_function" in meta["sklearn_workflow.outputs"]


def test_export_writes_a_classifier_without_probabilities(cancer, tmp_path):
    X, y, X_test, _ = cancer
    model = make_pipeline(DataQualityChecker(), StandardScaler(), SVC()).fit(X, y)
    written, message = export_onnx(model, tmp_path / "model.onnx", X_test)
    assert written, message
    parity = onnx_parity(model, to_onnx(model), X_test, n_calls=2)
    assert parity.compared == "decision_function" and parity.threshold == 0.0
    assert parity.max_abs_diff < 1e-9 and parity.n_label_disagreements == 0


def test_a_decision_function_without_a_converter_is_refused(cancer, tmp_path):
    # skl2onnx converts OneVsOneClassifier's votes, not its decision function.
    X, y, X_test, _ = cancer
    model = make_pipeline(DataQualityChecker(), OneVsOneClassifier(LinearSVC())).fit(
        X, y
    )
    with pytest.raises(NotImplementedError, match="no raw_scores option"):
        to_onnx(model)
    written, message = export_onnx(model, tmp_path / "model.onnx", X_test)
    assert not written and "OneVsOneClassifier" in message
