"""The workflow in-process: each stage function, and run_workflow end to end."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_wine
from sklearn.linear_model import LinearRegression, LogisticRegression

from sklearn_workflow.evaluation import evaluate
from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.problem import ProblemSpec, infer_task
from sklearn_workflow.quality import DataQualityChecker
from sklearn_workflow.selection import ModelSelector
from sklearn_workflow.workflow import run_workflow
from sklearn_workflow.workflow._data_stages import (
    define_problem,
    holdout_split,
    plan_columns,
)


def _quiet(_):
    pass


def _wine():
    data = load_wine(as_frame=True)
    return data.data.iloc[:, :4], data.target


# One table of targets on the same rows: what each kind of target is.
TARGETS = {
    "float": (lambda y: y + 0.5, "regression"),
    "int counts": (lambda y: y * 37 + np.arange(len(y)) % 40, "regression"),
    "int codes": (lambda y: y, "multiclass_classification"),
    "str": (
        lambda y: y.map({0: "low", 1: "mid", 2: "high"}),
        "multiclass_classification",
    ),
    "bool": (lambda y: y == 1, "binary_classification"),
    "category": (lambda y: y.astype("category"), "multiclass_classification"),
}


@pytest.mark.parametrize("kind", list(TARGETS))
def test_runner_selector_checker_and_evaluate_agree_on_the_task(kind):
    X, codes = _wine()
    make, expected = TARGETS[kind]
    y = make(codes).rename("target")
    assert infer_task(y) == expected
    problem = define_problem(X, y, spec=None, task=None, source="wine", say=_quiet)
    assert problem.task == expected
    assert DataQualityChecker().fit(X, y).task_ == expected
    regression = expected == "regression"
    candidates = {
        "linear": LinearRegression()
        if regression
        else LogisticRegression(max_iter=2000)
    }
    selector = ModelSelector(candidates, cv=2, strategy="full").fit(X, y)
    assert selector.task_ == ("regression" if regression else "classification")
    report = evaluate(selector, X, y)
    assert report.task == expected


def test_define_problem_reads_a_salary_as_regression_and_names_close_calls():
    X = pd.DataFrame({"years": np.arange(120) % 30})
    salary = pd.Series(30_000 + 1_000 * (np.arange(120) % 45), name="salary")
    problem = define_problem(X, salary, spec=None, task=None, source="t", say=_quiet)
    assert (problem.task, problem.metric, problem.inferred) == (
        "regression",
        "rmse",
        True,
    )
    assert problem.task_note is None
    rating = pd.Series(np.arange(120) % 12, name="rating")
    problem = define_problem(X, rating, spec=None, task=None, source="t", say=_quiet)
    assert problem.task == "multiclass_classification"
    assert "12 distinct integer values" in problem.task_note
    problem = define_problem(
        X, rating, spec=None, task="regression", source="t", say=_quiet
    )
    assert problem.task == "regression" and problem.task_note is None


@pytest.mark.parametrize(
    "spec, task, y, message",
    [
        (None, None, pd.Series([1] * 10, name="y"), "single class"),
        (
            ProblemSpec(name="c", type="regression", target="y", success_metric="rmse"),
            None,
            pd.Series([0, 1] * 5, name="y"),
            "says regression but target 'y' has 2 distinct values",
        ),
        (
            ProblemSpec(
                name="c",
                type="binary_classification",
                target="y",
                success_metric="roc_auc",
            ),
            None,
            pd.Series(np.linspace(0, 1, 10), name="y"),
            "says binary_classification but target 'y' is continuous",
        ),
        (
            ProblemSpec(
                name="c",
                type="binary_classification",
                target="y",
                success_metric="roc_auc",
            ),
            "regression",
            pd.Series([0, 1] * 5, name="y"),
            "--task regression disagrees with the spec's binary_classification",
        ),
        (
            ProblemSpec(name="c", type="regression", target="z", success_metric="rmse"),
            None,
            pd.Series(np.arange(10.0), name="y"),
            "the spec's target 'z' is not the target column 'y'",
        ),
    ],
)
def test_define_problem_errors(spec, task, y, message):
    X = pd.DataFrame({"x": np.arange(len(y))})
    with pytest.raises(BadInputError, match=message):
        define_problem(X, y, spec=spec, task=task, source="t", say=_quiet)


def test_holdout_split_keeps_duplicates_together_and_stratifies(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = pd.DataFrame({"a": rng.integers(0, 5, 400), "b": rng.integers(0, 3, 400)})
    y = pd.Series(rng.integers(0, 2, 400))
    train, test, n_duplicates = holdout_split(
        X, y, stratify=True, random_state=global_random_seed
    )
    assert np.intersect1d(train, test).size == 0 and train.size + test.size == 400
    rows = [tuple(r) for r in X.assign(y=y).to_numpy()]
    assert n_duplicates == len(rows) - len(set(rows))
    assert not {rows[i] for i in train} & {rows[i] for i in test}


def test_plan_columns_routes_and_drops_each_column():
    n = 60
    X = pd.DataFrame(
        {
            "id": np.arange(n).astype(str),
            "flat": ["a"] * n,
            "leak": np.arange(n) % 2,
            "day": pd.Series(pd.date_range("2024-01-01", periods=n)).astype(str),
            "city": [f"c{i % 15}" for i in range(n)],
            "plan": ["x", "y", "z"] * (n // 3),
            "amount": np.linspace(1, 100, n),
            "flag": [True, False] * (n // 2),
            "empty": [None] * n,
        }
    )
    findings = pd.DataFrame(
        {
            "check": ["id_like", "constant", "leakage", "skewness"],
            "column": ["id", "flat", "leak", "amount"],
            "severity": ["warning", "warning", "error", "warning"],
            "message": ["an id", "one value", "predicts y", "skewed"],
        }
    )
    plan, dropped = plan_columns(X, findings, drop_suspects=True)
    assert dropped == {
        "id": "ID-like (an id)",
        "flat": "constant (one value)",
        "leak": "leakage suspect (predicts y)",
        "empty": "every training value is missing",
    }
    assert plan == {
        "dates": ["day"],
        "target": ["city"],
        "onehot": ["plan"],
        "numeric": ["amount"],
        "boolean": ["flag"],
    }
    plan, dropped = plan_columns(X, findings, drop_suspects=False)
    assert "leak" not in dropped and plan["numeric"] == ["leak", "amount"]


@pytest.mark.slow
def test_run_workflow_in_process_on_an_integer_regression_target(tmp_path):
    data = load_diabetes(as_frame=True)
    X = data.data.iloc[:, :5]
    y = data.target.astype(int).rename("progression")
    assert infer_task(y) == "regression"
    result = run_workflow(
        X, y, out=tmp_path, time_budget=30, verbose=0, source="diabetes"
    )
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["task"] == "regression" and metrics["success_metric"] == "rmse"
    assert metrics["verdict"] == result.verdict
    criteria = [row["criterion"] for row in result.verdict["criteria"]]
    assert criteria and all("dummy" in c for c in criteria)
    assert set(result.files) == {
        "report.html",
        "model.skops",
        "metrics.json",
        "model_card.md",
        "findings.csv",
        "test_predictions.csv",
    }
    html = (tmp_path / "report.html").read_text()
    for number in range(1, 8):
        assert f"<h2>{number}. " in html
    assert result.exit_code == (0 if result.verdict["met"] else 1)
    assert result.model.predict(X.iloc[:3]).shape == (3,)
