import json

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    mean_squared_error,
    precision_score,
    recall_score,
    roc_auc_score,
)

from sklearn_workflow.problem import ProblemSpec, RuleClassifier, Verdict, churn_spec

# The guide's problem dict, verbatim in content.
SEED_PROBLEM = {
    "name": "Customer Churn Prediction",
    "type": "binary_classification",
    "target": "churned",
    "positive_class": 1,
    "success_metric": "recall",
    "threshold": 0.80,
    "secondary_metrics": ["precision", "f1"],
    "baseline": {
        "method": "rule-based (tenure < 3 months)",
        "recall": 0.55,
        "precision": 0.40,
    },
    "constraints": {
        "latency_ms": 100,
        "interpretability": "high",
        "retraining_frequency": "weekly",
    },
    "stakeholders": ["product team", "customer success"],
    "data_sources": ["CRM", "usage_logs", "billing"],
}


def test_problem_spec_reads_the_seed_problem_dict():
    spec = ProblemSpec.from_dict(SEED_PROBLEM)
    assert spec.to_dict() == SEED_PROBLEM
    # Without a rule the baseline is a dummy.
    assert isinstance(spec.baseline_estimator(), DummyClassifier)
    assert list(spec.to_dict()) == list(SEED_PROBLEM)


def test_churn_spec_is_the_seed_card_with_its_rule():
    spec = churn_spec()
    expected = dict(SEED_PROBLEM)
    expected["baseline"] = {
        "method": "rule-based (tenure < 3 months)",
        "rule": "tenure_months < 3",
        "recall": 0.55,
        "precision": 0.40,
    }
    assert spec.to_dict() == expected
    baseline = spec.baseline_estimator()
    assert isinstance(baseline, RuleClassifier)
    assert baseline.get_params() == {"rule": "tenure_months < 3", "pos_label": 1}


def test_problem_spec_toml_round_trip(tmp_path):
    spec = churn_spec()
    spec.name = 'Churn "quoted" — ünïcode\\ and\nnew line'
    path = tmp_path / "problem.toml"
    text = spec.to_toml(path)
    assert path.read_text(encoding="utf-8") == text
    back = ProblemSpec.from_toml(path)
    assert back == spec
    assert back.to_dict() == spec.to_dict()


def test_problem_spec_toml_written_by_hand(tmp_path):
    path = tmp_path / "problem.toml"
    path.write_text(
        'name = "House prices"\ntype = "regression"\ntarget = "MedHouseVal"\n'
        'success_metric = "root_mean_squared_error"\nthreshold = 0.6\n'
        '[baseline]\nmethod = "predict the mean"\nrmse = 1.15\n'
    )
    spec = ProblemSpec.from_toml(path)
    assert spec.metric.name == "rmse"
    assert spec.baseline == {"method": "predict the mean", "rmse": 1.15}
    assert isinstance(spec.baseline_estimator(), DummyRegressor)
    assert json.loads(json.dumps(spec.to_dict())) == spec.to_dict()


def test_problem_spec_invalid_toml(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("name = \n")
    with pytest.raises(ValueError, match="not valid TOML"):
        ProblemSpec.from_toml(path)


def _with(**changes):
    data = json.loads(json.dumps(SEED_PROBLEM))
    for key, value in changes.items():
        if value is _DROP:
            data.pop(key)
        else:
            data[key] = value
    return data


_DROP = object()


@pytest.mark.parametrize(
    "data, err_msg",
    [
        (_with(owner="me"), "unknown field 'owner'"),
        (_with(target=_DROP), "required field 'target'"),
        (_with(type="clustering"), "type must be one of"),
        (_with(success_metric="recal"), "success_metric: unknown metric 'recal'"),
        (
            _with(type="regression", positive_class=None),
            "success_metric: metric 'recall' does not apply to a regression",
        ),
        (_with(type="regression"), "positive_class only applies"),
        (
            _with(type="multiclass_classification", positive_class=None),
            "success_metric: metric 'recall' does not apply to a multiclass",
        ),
        (_with(threshold=80), r"threshold must lie in \[0, 1\] for 'recall'"),
        (_with(threshold="high"), "threshold must be a number"),
        (_with(threshold=float("nan")), "threshold must be finite"),
        (_with(secondary_metrics=["precision", "rmse"]), r"secondary_metrics\[1\]"),
        (_with(secondary_metrics="precision"), "secondary_metrics must be a list"),
        (_with(baseline={"recall": 0.5}), "baseline.method must describe"),
        (
            _with(baseline={"method": "m", "owner": "x"}),
            "baseline.owner: unknown metric 'owner'",
        ),
        (_with(baseline={"method": "m", "recall": 1.5}), "baseline.recall must lie"),
        (
            _with(baseline={"method": "m", "rule": "__import__('os')"}),
            "baseline.rule: expected the end of the rule",
        ),
        (_with(constraints={"latency": 100}), "constraints.latency: unknown"),
        (_with(constraints={"latency_ms": -1}), "constraints.latency_ms must be"),
        (
            _with(constraints={"interpretability": "very"}),
            "constraints.interpretability must be one of",
        ),
        (_with(positive_class=[1]), "positive_class must be a class label"),
        (_with(name=""), "name must be a non-empty string"),
        (_with(stakeholders=["a", 2]), "stakeholders must be a list of strings"),
    ],
)
def test_problem_spec_errors_name_the_field(data, err_msg):
    with pytest.raises(ValueError, match=err_msg):
        ProblemSpec.from_dict(data)


def test_problem_spec_regression_rule_is_an_error():
    with pytest.raises(ValueError, match="baseline.rule only applies"):
        ProblemSpec(
            name="p",
            type="regression",
            target="y",
            success_metric="rmse",
            baseline={"method": "rule", "rule": "x0 > 1"},
        )


@pytest.fixture
def binary_data(rng):
    X = rng.normal(size=(300, 3))
    y = (X[:, 0] + rng.normal(scale=1.0, size=300) > 0.3).astype(int)
    return X, y


@pytest.mark.parametrize("positive_class", [1, 0])
@pytest.mark.parametrize(
    "metric, reference",
    [
        ("recall", lambda y, p, s, pos: recall_score(y, p, pos_label=pos)),
        ("precision", lambda y, p, s, pos: precision_score(y, p, pos_label=pos)),
        ("f1", lambda y, p, s, pos: f1_score(y, p, pos_label=pos)),
        ("roc_auc", lambda y, p, s, pos: roc_auc_score(y == pos, s)),
        ("pr_auc", lambda y, p, s, pos: average_precision_score(y == pos, s)),
        ("brier_score", lambda y, p, s, pos: -brier_score_loss(y == pos, s)),
    ],
)
def test_problem_spec_scorer_matches_scikit_learn(
    metric, reference, positive_class, binary_data
):
    X, y = binary_data
    spec = ProblemSpec(
        name="p",
        type="binary_classification",
        target="y",
        positive_class=positive_class,
        success_metric=metric,
    )
    model = LogisticRegression().fit(X, y)
    proba = model.predict_proba(X)[:, list(model.classes_).index(positive_class)]
    expected = reference(y, model.predict(X), proba, positive_class)
    assert spec.scorer()(model, X, y) == pytest.approx(expected)


def test_problem_spec_scorer_string_labels(binary_data):
    X, y = binary_data
    labels = np.where(y == 1, "yes", "no")
    spec = ProblemSpec(
        name="p",
        type="binary_classification",
        target="y",
        positive_class="no",
        success_metric="recall",
    )
    model = LogisticRegression().fit(X, labels)
    expected = recall_score(labels, model.predict(X), pos_label="no")
    assert spec.scorer()(model, X, labels) == pytest.approx(expected)
    assert spec.scorer("roc_auc")(model, X, labels) == pytest.approx(
        roc_auc_score(labels == "no", model.predict_proba(X)[:, 0])
    )


def test_problem_spec_regression_scorer_is_negated(rng):
    X = rng.normal(size=(100, 2))
    y = X @ [1.0, 2.0] + rng.normal(size=100)
    spec = ProblemSpec(name="p", type="regression", target="y", success_metric="rmse")
    model = LinearRegression().fit(X, y)
    rmse = np.sqrt(mean_squared_error(y, model.predict(X)))
    assert spec.scorer()(model, X, y) == pytest.approx(-rmse)


@pytest.mark.parametrize(
    "metric, threshold, secondary, expected",
    [
        ("recall", 0.8, ["precision", "f1"], ("precision", {"recall": 0.8})),
        ("recall", 0.8, ["f1", "precision"], ("f1", {"recall": 0.8})),
        ("recall", 0.8, ["roc_auc"], ("precision", {"recall": 0.8})),
        ("recall", 0.8, [], ("precision", {"recall": 0.8})),
        ("precision", 0.9, [], ("recall", {"precision": 0.9})),
        ("precision", 0.9, ["recall", "precision"], ("recall", {"precision": 0.9})),
        ("recall", None, ["precision"], ("recall", None)),
        ("f1", 0.7, ["precision"], ("f1", None)),
        ("balanced_accuracy", 0.7, [], ("balanced_accuracy", None)),
    ],
)
def test_problem_spec_threshold_params_mapping(metric, threshold, secondary, expected):
    spec = ProblemSpec(
        name="p",
        type="binary_classification",
        target="y",
        positive_class="churn",
        success_metric=metric,
        threshold=threshold,
        secondary_metrics=secondary,
    )
    objective, constraint = expected
    assert spec.threshold_params() == {
        "objective": objective,
        "constraint": constraint,
        "pos_label": "churn",
    }


@pytest.mark.parametrize(
    "changes, err_msg",
    [
        ({"success_metric": "roc_auc"}, "does not depend on the decision threshold"),
        (
            {"type": "multiclass_classification", "success_metric": "accuracy"},
            "needs a binary_classification problem",
        ),
    ],
)
def test_problem_spec_threshold_params_errors(changes, err_msg):
    data = {"name": "p", "type": "binary_classification", "target": "y"}
    data.update({"success_metric": "recall"} | changes)
    with pytest.raises(ValueError, match=err_msg):
        ProblemSpec(**data).threshold_params()


def _report(recall, rule_recall=None, p95=None):
    report = {"metrics": {"recall": recall, "precision": 0.5}}
    if rule_recall is not None:
        report["baselines"] = [
            {"name": "rule", "source": "problem card", "recall": rule_recall},
            {"name": "dummy", "source": "dummy", "recall": 0.0},
        ]
    if p95 is not None:
        report["latency"] = {"median_ms": p95 / 2, "p95_ms": p95}
    return report


@pytest.mark.parametrize(
    "report, met, rows",
    [
        (_report(0.85, 0.2, 3.0), True, [True, True, True, True]),
        (_report(0.79, 0.2, 3.0), False, [False, True, True, True]),
        (_report(0.85, 0.9, 3.0), False, [True, False, True, True]),
        (_report(0.85, 0.2, 250.0), False, [True, True, True, False]),
        (_report(0.85), True, [True, True, None]),
        (_report(0.50), False, [False, False, None]),
        ({}, False, [None, None, None]),
    ],
)
def test_problem_spec_verdict(report, met, rows):
    verdict = churn_spec().verdict(report)
    assert isinstance(verdict, Verdict)
    assert verdict.met is met
    assert bool(verdict) is met
    assert [row["met"] for row in verdict.criteria] == rows
    assert json.loads(json.dumps(verdict.to_dict())) == verdict.to_dict()
    assert list(verdict.to_frame()["met"]) == rows
    assert ("NOT MET" in str(verdict)) is not met


def test_problem_spec_verdict_error_metric_is_an_upper_bound():
    spec = ProblemSpec(
        name="p",
        type="regression",
        target="y",
        success_metric="rmse",
        threshold=0.5,
        baseline={"method": "mean", "rmse": 1.0},
    )
    assert spec.verdict({"metrics": {"rmse": 0.4}}).met
    verdict = spec.verdict({"metrics": {"rmse": 0.6}})
    assert [row["met"] for row in verdict.criteria] == [False, True]
    assert [row["comparison"] for row in verdict.criteria] == ["<=", "<"]
