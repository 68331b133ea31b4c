import json

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.monitor import compare_models, compare_outputs, read_shadow_log
from sklearn_workflow.monitor._compare import (
    _DECISION_METRICS,
    _SCORE_METRICS,
    _verdict,
)


@pytest.mark.parametrize(
    "name, reference",
    [
        ("recall", lambda y, p: skm.recall_score(y, p, pos_label="yes")),
        ("precision", lambda y, p: skm.precision_score(y, p, pos_label="yes")),
        ("f1", lambda y, p: skm.f1_score(y, p, pos_label="yes")),
        ("balanced_accuracy", skm.balanced_accuracy_score),
        ("accuracy", skm.accuracy_score),
    ],
)
def test_decision_metrics_equal_scikit_learn(rng, name, reference):
    y = rng.choice(["yes", "no"], 300, p=[0.3, 0.7])
    p = np.where(rng.random(300) < 0.7, y, rng.choice(["yes", "no"], 300))
    assert _DECISION_METRICS[name](y, p, "yes") == pytest.approx(reference(y, p))


def test_roc_auc_equals_scikit_learn_with_ties(rng):
    y = rng.integers(0, 2, 300)
    s = np.round(y + rng.normal(size=300), 1)
    assert _SCORE_METRICS["roc_auc"](y, s, 1) == pytest.approx(skm.roc_auc_score(y, s))
    assert np.isnan(_SCORE_METRICS["roc_auc"](np.ones(5), s[:5], 1))


@pytest.mark.parametrize(
    "difference, low, high, margin, verdict, needed",
    [
        (0.03, 0.01, 0.05, 0.0, "promote", None),
        (0.01, -0.005, 0.025, 0.01, "promote", None),  # non-inferior and ahead
        (-0.002, -0.008, 0.004, 0.01, "keep", None),  # non-inferior, not ahead
        (-0.05, -0.08, -0.02, 0.0, "keep", None),  # worse
        (0.01, -0.01, 0.03, 0.0, "need more data", 4000),
    ],
)
def test_verdict_reads_the_interval_against_the_margin(
    difference, low, high, margin, verdict, needed
):
    bootstrap = {"difference": difference, "ci_low": low, "ci_high": high}
    got, reasons, rows = _verdict(bootstrap, margin, 1000)
    assert (got, rows) == (verdict, needed)
    assert len(reasons) == 1


def test_compare_models_promotes_a_better_challenger_and_keeps_a_worse_one(rng):
    X = rng.normal(size=(1500, 3))
    y = (X[:, 0] - X[:, 1] + rng.normal(size=1500) > 0).astype(int)
    good = LogisticRegression().fit(X[:500], y[:500])
    dummy = DummyClassifier(strategy="stratified", random_state=0).fit(X[:500], y[:500])
    options = {"n_bootstrap": 200}
    promoted = compare_models(dummy, good, X[500:], y[500:], **options)
    assert promoted.verdict == "promote" and promoted.exit_code == 1
    assert promoted.delong["pvalue"] < 1e-6
    assert promoted.bootstrap["value_b"] == pytest.approx(
        skm.roc_auc_score(y[500:], good.predict_proba(X[500:])[:, 1])
    )
    kept = compare_models(good, dummy, X[500:], y[500:], metric="accuracy", **options)
    assert kept.verdict == "keep" and kept.exit_code == 0
    assert kept.mcnemar["exact"]["pvalue"] < 1e-6
    same = compare_models(good, good, X[500:], y[500:], **options)
    assert same.verdict == "keep"
    assert "verdict: keep" in str(same)


def test_compare_outputs_of_a_regression_uses_the_error(rng):
    y = rng.normal(size=400)
    close, far = y + rng.normal(0, 0.1, 400), y + rng.normal(0, 1.0, 400)
    result = compare_outputs(
        y, {"prediction": far}, {"prediction": close}, n_bootstrap=100
    )
    assert result.metric == "rmse" and result.verdict == "promote"
    assert result.mcnemar is None and result.delong is None


def test_compare_outputs_refuses_an_unknown_metric_or_missing_scores():
    y = np.array([0, 1, 0, 1])
    outputs = {"prediction": y}
    with pytest.raises(BadInputError, match="metric 'lift' is not one of"):
        compare_outputs(y, outputs, outputs, metric="lift")
    with pytest.raises(BadInputError, match="needs both models' scores"):
        compare_outputs(y, outputs, outputs, metric="roc_auc")


def test_read_shadow_log_names_the_line_that_is_not_json(tmp_path):
    good = {
        "id": 1,
        "time": "t",
        "champion": {"prediction": 0},
        "challenger": {"prediction": 1},
    }
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(good) + "\n{oops\n")
    with pytest.raises(BadInputError, match="line 2 is not JSON"):
        read_shadow_log(path, {1: 0})
    path.write_text(json.dumps(good) + "\n")
    with pytest.raises(BadInputError, match="no logged row has a label"):
        read_shadow_log(path, {7: 0})


def test_read_shadow_log_without_probabilities_compares_decisions(tmp_path):
    lines = [
        {
            "id": i,
            "time": "t",
            "champion": {"prediction": "a"},
            "challenger": {"prediction": "b"},
        }
        for i in range(4)
    ]
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    y, champion, challenger, _ = read_shadow_log(path, {0: "a", 1: "a", 2: "b", 3: "c"})
    assert champion["scores"] is None and list(champion["prediction"]) == ["a"] * 4
    result = compare_outputs(y, champion, challenger, n_bootstrap=50)
    assert result.metric == "accuracy"
