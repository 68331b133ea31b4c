import json
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification, make_regression
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    classification_report,
    f1_score,
    mean_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from sklearn_workflow.evaluation import EvaluationReport, evaluate
from sklearn_workflow.exceptions import DataQualityWarning
from sklearn_workflow.problem import ProblemSpec, churn_spec


@pytest.fixture
def binary(global_random_seed):
    X, y = make_classification(
        n_samples=400, n_features=5, weights=[0.7, 0.3], random_state=global_random_seed
    )
    X_train, X_test = X[:300], X[300:]
    y_train, y_test = y[:300], y[300:]
    model = LogisticRegression().fit(X_train, y_train)
    return model, X_train, X_test, y_train, y_test


def test_evaluate_binary_metrics_match_scikit_learn(binary):
    model, X_train, X_test, y_train, y_test = binary
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        report = evaluate(
            model, X_test, y_test, X_train=X_train, y_train=y_train, latency_calls=3
        )
    assert isinstance(report, EvaluationReport)
    y_pred = model.predict(X_test)
    proba = model.predict_proba(X_test)[:, 1]
    expected = {
        "accuracy": accuracy_score(y_test, y_pred),
        "precision": precision_score(y_test, y_pred, zero_division=0.0),
        "recall": recall_score(y_test, y_pred),
        "f1": f1_score(y_test, y_pred),
        "roc_auc": roc_auc_score(y_test, proba),
        "average_precision": average_precision_score(y_test, proba),
        "brier_score": brier_score_loss(y_test, proba),
    }
    for name, value in expected.items():
        assert report.metrics[name] == pytest.approx(value), name
    # Confusion counts from a plain loop.
    counts = {"tn": 0, "fp": 0, "fn": 0, "tp": 0}
    for truth, pred in zip(y_test, y_pred):
        key = ("t" if truth == pred else "f") + ("p" if pred == 1 else "n")
        counts[key] += 1
    cm = report.confusion_matrix
    assert {k: cm[k] for k in counts} == counts
    assert cm["labels"] == [0, 1]
    assert report.classification_report == classification_report(
        y_test, y_pred, output_dict=True, zero_division=0.0
    )
    assert report.positive_class == 1
    assert report.verdict is None
    assert report.contamination == {"n_test_rows_in_train": 0, "fraction": 0.0}
    assert report.latency["n_calls"] == 3
    assert 0 < report.latency["median_ms"] <= report.latency["p95_ms"]
    dummy = report.baselines[0]
    assert dummy["name"] == "dummy (class prior)" and dummy["fit_on"] == "train"
    assert dummy["recall"] == 0.0 and dummy["roc_auc"] == pytest.approx(0.5)


def test_evaluate_positive_class_zero_flips_the_confusion_names(binary):
    model, X_train, X_test, y_train, y_test = binary
    spec = ProblemSpec(
        name="p",
        type="binary_classification",
        target="y",
        positive_class=0,
        success_metric="recall",
    )
    report = evaluate(model, X_test, y_test, spec=spec, latency_calls=0)
    y_pred = model.predict(X_test)
    assert report.confusion_matrix["labels"] == [1, 0]
    assert report.confusion_matrix["tp"] == int(np.sum((y_test == 0) & (y_pred == 0)))
    assert report.metrics["recall"] == pytest.approx(
        recall_score(y_test, y_pred, pos_label=0)
    )
    assert report.metrics["roc_auc"] == pytest.approx(
        roc_auc_score(y_test == 0, model.predict_proba(X_test)[:, 0])
    )
    assert report.latency is None
    assert report.baselines[0]["fit_on"] == "test"
    assert "fitted on the test rows" in report.to_markdown()


def test_evaluate_decision_function_only_model(binary):
    _, X_train, X_test, y_train, y_test = binary
    model = LinearSVC().fit(X_train, y_train)
    report = evaluate(model, X_test, y_test, latency_calls=0)
    assert report.metrics["roc_auc"] == pytest.approx(
        roc_auc_score(y_test, model.decision_function(X_test))
    )
    assert "brier_score" not in report.metrics
    figure = report.plot()
    assert isinstance(figure, matplotlib.figure.Figure)
    matplotlib.pyplot.close(figure)


def test_evaluate_multiclass(global_random_seed):
    X, y = make_classification(
        n_samples=300,
        n_classes=3,
        n_informative=4,
        random_state=global_random_seed,
    )
    labels = np.array(["a", "b", "c"], dtype=object)[y]
    model = LogisticRegression().fit(X[:200], labels[:200])
    report = evaluate(model, X[200:], labels[200:], latency_calls=0)
    assert report.task == "multiclass_classification"
    y_pred = model.predict(X[200:])
    assert report.metrics["f1_macro"] == pytest.approx(
        f1_score(labels[200:], y_pred, average="macro")
    )
    assert report.metrics["roc_auc_ovr"] == pytest.approx(
        roc_auc_score(labels[200:], model.predict_proba(X[200:]), multi_class="ovr")
    )
    assert report.confusion_matrix["labels"] == ["a", "b", "c"]
    assert "tn" not in report.confusion_matrix
    assert np.sum(report.confusion_matrix["matrix"]) == 100
    json.dumps(report.to_dict(), allow_nan=False)
    matplotlib.pyplot.close(report.plot())


def test_evaluate_regression_baseline_and_improvement(global_random_seed):
    X, y = make_regression(
        n_samples=300, n_features=4, noise=20.0, random_state=global_random_seed
    )
    X_train, X_test, y_train, y_test = X[:200], X[200:], y[:200], y[200:]
    model = LinearRegression().fit(X_train, y_train)
    report = evaluate(
        model,
        X_test,
        y_test,
        X_train=X_train,
        y_train=y_train,
        cv=KFold(5),
        latency_calls=0,
    )
    y_pred = model.predict(X_test)
    rmse = np.sqrt(np.mean((y_test - y_pred) ** 2))
    assert report.metrics["rmse"] == pytest.approx(rmse)
    assert report.metrics["mae"] == pytest.approx(mean_absolute_error(y_test, y_pred))
    assert report.metrics["r2"] == pytest.approx(r2_score(y_test, y_pred))
    # The guide's baseline: predict the training mean.
    baseline_rmse = np.sqrt(np.mean((y_test - y_train.mean()) ** 2))
    improvement = report.baseline_improvement
    assert improvement["baseline"] == pytest.approx(baseline_rmse)
    assert improvement["improvement_pct"] == pytest.approx(
        (1 - rmse / baseline_rmse) * 100
    )
    expected_cv = -cross_val_score(
        LinearRegression(),
        X_train,
        y_train,
        cv=KFold(5),
        scoring="neg_root_mean_squared_error",
    )
    assert report.cv["metric"] == "rmse"
    np.testing.assert_allclose(report.cv["scores"], expected_cv)
    assert report.cv["mean"] == pytest.approx(expected_cv.mean())
    assert report.confusion_matrix is None
    markdown = report.to_markdown()
    assert f"| rmse | {rmse:.4g} | [" in markdown  # then the 95% interval
    assert f"] | {baseline_rmse:.4g} |" in markdown
    assert f"{(1 - rmse / baseline_rmse) * 100:.4g}% better" in markdown
    matplotlib.pyplot.close(report.plot())


def test_evaluate_cv_uses_the_card_metric(binary):
    model, X_train, X_test, y_train, y_test = binary
    spec = churn_spec()
    spec.baseline = None
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    report = evaluate(
        model,
        X_test,
        y_test,
        spec=spec,
        X_train=X_train,
        y_train=y_train,
        cv=cv,
        latency_calls=0,
    )
    expected = cross_val_score(
        LogisticRegression(), X_train, y_train, cv=cv, scoring="recall"
    )
    np.testing.assert_allclose(report.cv["scores"], expected)
    assert report.cv["metric"] == "recall"


def test_evaluate_without_card_cv_is_the_default_f1(binary):
    model, X_train, X_test, y_train, y_test = binary
    report = evaluate(
        model, X_test, y_test, X_train=X_train, y_train=y_train, cv=3, latency_calls=0
    )
    expected = cross_val_score(
        LogisticRegression(), X_train, y_train, cv=3, scoring="f1"
    )
    np.testing.assert_allclose(report.cv["scores"], expected)


@pytest.mark.parametrize("container", ["numpy", "pandas", "polars"])
def test_evaluate_warns_on_train_test_contamination(container, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.integers(0, 3, size=(120, 3)).astype(float)  # many repeated rows
    y = (X[:, 0] + rng.random(120) > 1.5).astype(int)
    X_train, X_test, y_train, y_test = X[:80], X[80:], y[:80], y[80:]
    expected = sum(
        any(np.array_equal(row, other) for other in X_train) for row in X_test
    )
    model = LogisticRegression().fit(X_train, y_train)
    if container != "numpy":
        pd_train = pd.DataFrame(X_train, columns=["a", "b", "c"])
        pd_test = pd.DataFrame(X_test, columns=["a", "b", "c"])
        model = LogisticRegression().fit(pd_train, y_train)
        if container == "pandas":
            X_train, X_test = pd_train, pd_test
        else:
            pl = pytest.importorskip("polars")
            X_train, X_test = pl.from_pandas(pd_train), pl.from_pandas(pd_test)
    assert expected > 0
    with pytest.warns(DataQualityWarning, match=f"{expected} of 40 test rows"):
        report = evaluate(model, X_test, y_test, X_train=X_train, latency_calls=2)
    assert report.contamination["n_test_rows_in_train"] == expected


def test_evaluate_contamination_ignores_column_order():
    train = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]})
    test = pd.DataFrame({"b": ["y", "q"], "a": [2.0, 9.0]})
    model = make_pipeline(
        make_column_transformer(("passthrough", ["a"])), LogisticRegression()
    ).fit(train, [0, 1, 1])
    with pytest.warns(DataQualityWarning, match="1 of 2 test rows"):
        evaluate(model, test, [1, 1], X_train=train, latency_calls=0)


def test_evaluate_verdict_with_the_churn_card(binary):
    model, X_train, X_test, y_train, y_test = binary
    X_train = pd.DataFrame(X_train).add_prefix("f")
    X_test = pd.DataFrame(X_test).add_prefix("f")
    X_train["tenure_months"] = np.arange(len(X_train)) % 10
    X_test["tenure_months"] = np.arange(len(X_test)) % 10
    model = LogisticRegression().fit(X_train, y_train)
    spec = churn_spec()
    report = evaluate(
        model,
        X_test,
        y_test,
        spec=spec,
        X_train=X_train,
        y_train=y_train,
        latency_calls=5,
    )
    rule_row = report.baselines[1]
    assert rule_row["source"] == "problem card"
    holds = (X_test["tenure_months"] < 3).to_numpy()
    assert rule_row["recall"] == pytest.approx(recall_score(y_test, holds.astype(int)))
    recall = report.metrics["recall"]
    rows = report.verdict.criteria
    assert [row["source"] for row in rows] == [
        "problem card threshold",
        "baseline measured on the test set",
        "baseline score on the problem card",
        "constraints.latency_ms",
    ]
    assert rows[0]["met"] is (recall >= 0.8)
    assert rows[1]["met"] is (recall > rule_row["recall"])
    assert rows[2]["met"] is (recall > 0.55)
    assert report.verdict.met is all(row["met"] for row in rows)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["verdict"]["met"] is report.verdict.met
    assert data["spec"]["name"] == "Customer Churn Prediction"
    html = report.to_html()
    assert html.startswith("<section>") and "Verdict" in html and "<img" in html
    assert report.to_html(full_page=True, plots=False).startswith("<!DOCTYPE html>")
    markdown = report.to_markdown()
    assert "TN = " in markdown and "| recall >= 0.8 |" in markdown
    words = {True: "met", False: "NOT met"}
    recall_row = f"| recall >= 0.8 | {recall:.4g} | >= | 0.8 | {words[recall >= 0.8]} |"
    assert recall_row in markdown
    title = "MET" if report.verdict.met else "NOT MET"
    assert f"## Verdict: {title}\n" in markdown
    verdict_repr = words[report.verdict.met]
    assert repr(report).endswith(f"verdict={verdict_repr})")


def test_evaluate_undefined_metric_is_none_in_json(binary):
    model, _, X_test, _, y_test = binary
    only_ones = y_test == 1
    report = evaluate(model, X_test[only_ones], y_test[only_ones], latency_calls=0)
    assert np.isnan(report.metrics["roc_auc"])
    assert report.to_dict()["metrics"]["roc_auc"] is None
    assert "| roc_auc | - | " in report.to_markdown()  # the row stays, written "-"
    assert "nan" not in report.to_html(plots=False).lower()


@pytest.mark.parametrize(
    "kwargs, err_type, err_msg",
    [
        ({"y_test": np.zeros(5)}, ValueError, "different numbers of rows"),
        ({"cv": 3}, ValueError, "pass X_train and y_train"),
        ({"y_train": np.zeros(300)}, ValueError, "y_train is given without X_train"),
        (
            {"X_train": np.zeros((10, 5)), "y_train": np.zeros(300)},
            ValueError,
            "X_train and y_train have different",
        ),
        (
            {
                "spec": ProblemSpec(
                    name="p", type="regression", target="y", success_metric="rmse"
                )
            },
            ValueError,
            "spec.type is 'regression' but the estimator is a classifier",
        ),
        (
            {
                "spec": ProblemSpec(
                    name="p",
                    type="binary_classification",
                    target="y",
                    positive_class="yes",
                    success_metric="recall",
                )
            },
            ValueError,
            "positive_class 'yes' is not one of",
        ),
        ({"latency_calls": -1}, ValueError, "latency_calls"),
        (
            {"task": "regression"},
            ValueError,
            "task='regression' but the estimator is a classifier",
        ),
        ({"task": "classification"}, ValueError, "'task' parameter of evaluate"),
        (
            {
                "task": "multiclass_classification",
                "spec": ProblemSpec(
                    name="p",
                    type="binary_classification",
                    target="y",
                    success_metric="recall",
                ),
            },
            ValueError,
            "task='multiclass_classification' but spec.type is 'binary_classification'",
        ),
    ],
)
def test_evaluate_errors(binary, kwargs, err_type, err_msg):
    model, _, X_test, _, y_test = binary
    params = {"y_test": y_test, **kwargs}
    with pytest.raises(err_type, match=err_msg):
        evaluate(model, X_test, **params)


def test_evaluate_unfitted_model():
    with pytest.raises(NotFittedError):
        evaluate(LogisticRegression(), np.zeros((3, 2)), [0, 1, 0])


def test_evaluate_string_labels_rule_baseline_uses_the_positive_class(rng):
    n = 300
    X = pd.DataFrame(
        {"tenure_months": rng.uniform(0, 24, n), "tickets": rng.poisson(1, n)}
    )
    churn = rng.random(n) < 1 / (1 + np.exp(0.3 * X["tenure_months"] - 2))
    y = np.where(churn, "yes", "no")
    spec = ProblemSpec(
        name="churn",
        type="binary_classification",
        target="churned",
        positive_class="yes",
        success_metric="recall",
        threshold=0.5,
        baseline={"method": "rule", "rule": "tenure_months < 3"},
    )
    model = LogisticRegression().fit(X[:200], y[:200])
    report = evaluate(
        model,
        X[200:],
        y[200:],
        spec=spec,
        X_train=X[:200],
        y_train=y[:200],
        latency_calls=0,
    )
    rule_pred = np.where(X["tenure_months"][200:] < 3, "yes", "no")
    rule_row = report.baselines[1]
    assert rule_row["recall"] == pytest.approx(
        recall_score(y[200:], rule_pred, pos_label="yes")
    )
    assert report.confusion_matrix["labels"] == ["no", "yes"]
    assert report.metrics["recall"] == pytest.approx(
        recall_score(y[200:], model.predict(X[200:]), pos_label="yes")
    )
    assert [row["met"] for row in report.verdict.criteria][0] is (
        report.metrics["recall"] >= 0.5
    )


def test_evaluate_multiclass_verdict():
    X, y = make_classification(
        n_samples=300, n_classes=3, n_informative=4, random_state=0
    )
    spec = ProblemSpec(
        name="p",
        type="multiclass_classification",
        target="y",
        success_metric="f1_macro",
        threshold=0.3,
        baseline={"method": "majority class", "f1_macro": 0.17},
    )
    model = LogisticRegression().fit(X[:200], y[:200])
    report = evaluate(model, X[200:], y[200:], spec=spec, latency_calls=0)
    assert report.verdict.met
    assert [row["target"] for row in report.verdict.criteria] == [0.3, 0.17]


class _PlainModel(BaseEstimator):
    """Neither a classifier nor a regressor: predicts the first training target."""

    def __init__(self, with_classes=False):
        self.with_classes = with_classes

    def fit(self, X, y):
        self.constant_ = np.asarray(y)[0]
        if self.with_classes:
            self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.constant_)


def test_evaluate_task_of_a_regressor_on_many_integer_values(rng):
    X = rng.normal(size=(200, 3))
    y = np.round(40 * X[:, 0] + 100).astype(np.int64)  # counts: integers
    assert np.unique(y).size > 20
    model = LinearRegression().fit(X[:150], y[:150])
    report = evaluate(model, X[150:], y[150:], latency_calls=0)
    assert report.task == "regression"
    rmse = np.sqrt(np.mean((y[150:] - model.predict(X[150:])) ** 2))
    assert report.metrics["rmse"] == pytest.approx(rmse)


def test_evaluate_task_of_a_classifier_on_25_integer_classes(rng):
    y = np.repeat(np.arange(25), 12)
    X = y[:, None] + rng.normal(scale=0.3, size=(y.size, 2))
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    report = evaluate(model, X, y, latency_calls=0)
    assert report.task == "multiclass_classification"
    assert report.confusion_matrix["labels"] == list(range(25))
    assert report.metrics["accuracy"] == pytest.approx(np.mean(model.predict(X) == y))


def test_evaluate_task_of_a_classifier_on_two_integer_classes(binary):
    model, _, X_test, _, y_test = binary
    report = evaluate(model, X_test, y_test.astype(np.float64), latency_calls=0)
    assert report.task == "binary_classification"


@pytest.mark.parametrize(
    "y, expected",
    [
        (np.arange(60) % 30, "regression"),  # 30 integer values
        (np.arange(60) % 4 + 0.5, "regression"),  # fractional
        (np.arange(60) % 4 * 1.0, "multiclass_classification"),  # 4 whole numbers
        (np.arange(60) % 2 == 0, "binary_classification"),
    ],
)
def test_evaluate_task_of_an_untagged_estimator_is_read_from_the_target(y, expected):
    X = np.arange(60.0)[:, None]
    model = _PlainModel(with_classes=expected != "regression").fit(X, y)
    report = evaluate(model, X, y, latency_calls=0)
    assert report.task == expected
    correct = [truth == model.constant_ for truth in y]
    if expected == "regression":
        assert report.metrics["mae"] == pytest.approx(
            np.mean([abs(truth - model.constant_) for truth in y])
        )
    else:
        assert report.metrics["accuracy"] == pytest.approx(np.mean(correct))


def test_evaluate_given_task_wins_over_the_target(rng):
    X = rng.normal(size=(120, 2))
    y = (X[:, 0] > 0).astype(np.int64) * 3  # two integer values
    model = _PlainModel().fit(X, y)
    report = evaluate(model, X, y, task="regression", latency_calls=0)
    assert report.task == "regression"
    assert report.metrics["mae"] == pytest.approx(np.mean(np.abs(y - y[0])))


def test_evaluate_given_task_agrees_with_the_card(binary):
    model, _, X_test, _, y_test = binary
    spec = ProblemSpec(
        name="p", type="binary_classification", target="y", success_metric="f1"
    )
    report = evaluate(
        model,
        X_test,
        y_test,
        spec=spec,
        task="binary_classification",
        latency_calls=0,
    )
    assert report.task == "binary_classification" and report.verdict is not None


def test_evaluate_report_shows_a_verdict_that_is_not_met(binary):
    _, X_train, X_test, y_train, y_test = binary
    model = DummyClassifier(strategy="most_frequent").fit(X_train, y_train)
    spec = ProblemSpec(
        name="p",
        type="binary_classification",
        target="y",
        success_metric="recall",
        threshold=0.5,
    )
    report = evaluate(model, X_test, y_test, spec=spec, latency_calls=0)
    assert report.metrics["recall"] == 0.0 and not report.verdict.met
    markdown = report.to_markdown()
    assert "## Verdict: NOT MET\n" in markdown
    assert "| recall >= 0.5 | 0 | >= | 0.5 | NOT met |" in markdown
    html = report.to_html(plots=False)
    assert "<h2>Verdict: NOT MET</h2>" in html and "NOT met</td>" in html
    assert repr(report).endswith("verdict=NOT met)")


def test_evaluate_sample_weight_weights_every_metric(binary):
    model, X_train, X_test, y_train, y_test = binary
    weights = np.random.default_rng(0).random(y_test.shape[0]) * 2
    report = evaluate(
        model,
        X_test,
        y_test,
        X_train=X_train,
        y_train=y_train,
        sample_weight=weights,
        latency_calls=0,
        n_bootstrap=0,
    )
    y_pred = model.predict(X_test)
    proba = model.predict_proba(X_test)[:, 1]
    expected = {
        "accuracy": accuracy_score(y_test, y_pred, sample_weight=weights),
        "precision": precision_score(y_test, y_pred, sample_weight=weights),
        "recall": recall_score(y_test, y_pred, sample_weight=weights),
        "f1": f1_score(y_test, y_pred, sample_weight=weights),
        "roc_auc": roc_auc_score(y_test, proba, sample_weight=weights),
        "average_precision": average_precision_score(
            y_test, proba, sample_weight=weights
        ),
        "brier_score": brier_score_loss(y_test, proba, sample_weight=weights),
    }
    for name, value in expected.items():
        assert report.metrics[name] == pytest.approx(value), name
    assert report.intervals is None
    cm = report.confusion_matrix
    assert cm["tp"] == pytest.approx(weights[(y_test == 1) & (y_pred == 1)].sum())
    assert report.classification_report["1"]["support"] == pytest.approx(
        weights[y_test == 1].sum()
    )
    # The baselines are scored with the same weights.
    dummy = DummyClassifier(strategy="prior").fit(X_train, y_train)
    assert report.baselines[0]["roc_auc"] == pytest.approx(
        roc_auc_score(y_test, dummy.predict_proba(X_test)[:, 1], sample_weight=weights)
    )


def test_evaluate_sample_weight_regression_matches_scikit_learn():
    X, y = make_regression(n_samples=200, n_features=3, noise=5.0, random_state=0)
    model = LinearRegression().fit(X[:100], y[:100])
    weights = np.linspace(0.1, 2.0, 100)
    report = evaluate(
        model, X[100:], y[100:], sample_weight=weights, latency_calls=0, n_bootstrap=0
    )
    y_pred = model.predict(X[100:])
    assert report.metrics["mae"] == pytest.approx(
        mean_absolute_error(y[100:], y_pred, sample_weight=weights)
    )
    assert report.metrics["r2"] == pytest.approx(
        r2_score(y[100:], y_pred, sample_weight=weights)
    )


@pytest.mark.parametrize(
    "weights, err_msg",
    [
        (np.ones(99), "sample_weight has 99 values for 100 test rows"),
        (np.r_[-1.0, np.ones(99)], "finite and non-negative"),
        (np.zeros(100), "sums to 0"),
    ],
)
def test_evaluate_sample_weight_errors(binary, weights, err_msg):
    model, _, X_test, _, y_test = binary
    with pytest.raises(ValueError, match=err_msg):
        evaluate(model, X_test, y_test, sample_weight=weights, latency_calls=0)


def test_evaluate_bootstrap_intervals_match_a_naive_bootstrap(binary):
    model, X_train, X_test, y_train, y_test = binary
    report = evaluate(
        model, X_test, y_test, latency_calls=0, n_bootstrap=60, random_state=3
    )
    # The same replicates, drawn and scored one by one with scikit-learn.
    draws = np.random.RandomState(3).randint(0, y_test.shape[0], size=(60, 100))
    y_pred = model.predict(X_test)
    proba = model.predict_proba(X_test)[:, 1]
    recall = [recall_score(y_test[d], y_pred[d]) for d in draws]
    auc = [roc_auc_score(y_test[d], proba[d]) for d in draws]
    assert report.intervals["recall"] == pytest.approx(
        tuple(np.percentile(recall, [2.5, 97.5]))
    )
    assert report.intervals["roc_auc"] == pytest.approx(
        tuple(np.percentile(auc, [2.5, 97.5]))
    )
    assert set(report.intervals) == set(report.metrics)
    frame = report.intervals_frame()
    assert list(frame.columns) == ["metric", "value", "low", "high"]
    assert (frame["low"] <= frame["high"]).all()
    assert "95% interval" in report.to_markdown()
    assert json.loads(json.dumps(report.to_dict()))["intervals"]["recall"] == list(
        report.intervals["recall"]
    )
