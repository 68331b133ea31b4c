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
    check_quality,
    define_problem,
    drop_missing_target,
    holdout_split,
    max_folds,
    plan_columns,
    read_target_numbers,
    time_holdout,
)

from .conftest import output_files


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
    assert problem.notes == []
    rating = pd.Series(np.arange(120) % 12, name="rating")
    problem = define_problem(X, rating, spec=None, task=None, source="t", say=_quiet)
    assert problem.task == "multiclass_classification"
    assert "12 distinct integer values" in problem.notes[0]
    problem = define_problem(
        X, rating, spec=None, task="regression", source="t", say=_quiet
    )
    assert problem.task == "regression" and problem.notes == []


@pytest.mark.parametrize(
    "spec, task, y, message",
    [
        (None, None, pd.Series([1] * 10, name="y"), "single class \\(1\\)"),
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
        "text": [],
        "numeric": ["amount"],
        "boolean": ["flag"],
    }
    plan, dropped = plan_columns(
        X, findings, drop_suspects=True, types={"city": "text", "plan": "id_like"}
    )
    assert plan["text"] == ["city"] and "plan" in dropped
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
    assert sorted(result.files) == output_files(tmp_path)
    html = (tmp_path / "report.html").read_text()
    for number in range(1, 8):
        assert f"<h2>{number}. " in html
    assert result.exit_code == (0 if result.verdict["met"] else 1)
    assert result.model.predict(X.iloc[:3]).shape == (3,)


@pytest.mark.parametrize(
    "y, expected, share",
    [
        (pd.Series(["No"] * 7 + ["Yes"] * 3, name="Churn"), "Yes", "30.0%"),
        (pd.Series([True] * 8 + [False] * 2, name="paid"), False, "20.0%"),
        (pd.Series([0] * 6 + [1] * 4, name="default"), 1, "40.0%"),
        (pd.Series(["bad"] * 5 + ["good"] * 5, name="credit"), "good", "50.0%"),
        (
            pd.Series(["alive"] * 6 + ["dead"] * 4, dtype="category", name="status"),
            "dead",
            "40.0%",
        ),
    ],
)
def test_define_problem_positive_class_is_the_minority_and_said(y, expected, share):
    X = pd.DataFrame({"x": np.arange(len(y))})
    said = []
    problem = define_problem(X, y, spec=None, task=None, source="t", say=said.append)
    assert problem.spec.positive_class == expected
    assert problem.task == "binary_classification"
    assert any(
        f"Positive class: {expected!r}" in line and share in line for line in said
    )
    assert problem.fields["positive class"] == expected


def test_define_problem_positive_class_given_as_text():
    X = pd.DataFrame({"x": np.arange(10)})
    y = pd.Series([0] * 6 + [1] * 4, name="default")
    problem = define_problem(
        X, y, spec=None, task=None, positive_class="0", source="t", say=_quiet
    )
    assert problem.spec.positive_class == 0
    assert "as asked" in problem.notes[0]
    with pytest.raises(BadInputError, match=r"positive class 'maybe' is not a class"):
        define_problem(
            X, y, spec=None, task=None, positive_class="maybe", source="t", say=_quiet
        )


def test_drop_missing_target_keeps_row_positions_and_says_it():
    X = pd.DataFrame({"x": np.arange(6)})
    y = pd.Series(["a", None, "b", np.nan, "a", "b"], name="t")
    said = []
    X2, y2, n = drop_missing_target(X, y, said.append)
    assert (
        n == 2 and list(X2.index) == [0, 2, 4, 5] and list(y2) == ["a", "b", "a", "b"]
    )
    assert said == ["      dropped 2 rows whose target 't' is missing"]
    with pytest.raises(BadInputError, match="no non-missing value"):
        drop_missing_target(X, pd.Series([None] * 6, name="t"), _quiet)


def test_check_quality_drops_single_row_classes_and_keeps_rare_ones_in_training():
    rng = np.random.default_rng(0)
    labels = ["a"] * 90 + ["b"] * 80 + ["c"] * 70 + ["d"] * 3 + ["e"] * 2 + ["f"]
    y = pd.Series(labels, name="species")
    X = pd.DataFrame({"x": rng.normal(size=len(y)), "z": rng.normal(size=len(y))})
    problem = define_problem(X, y, spec=None, task=None, source="t", say=_quiet)
    said = []
    quality = check_quality(
        X, y, problem, keep_suspects=False, random_state=0, say=said.append
    )
    assert "f" not in set(quality.y_train) | set(quality.y_test)
    assert any("single row dropped ('f')" in line for line in said)
    assert set(quality.y_test) <= {"a", "b", "c"}  # rare classes: training only
    assert (quality.y_train == "d").sum() == 3 and (quality.y_train == "e").sum() == 2
    assert max_folds(quality.y_train, True, 5) == 2
    assert max_folds(quality.y_train, False, 5) == 5
    assert not set(quality.X_train.index) & set(quality.X_test.index)


def test_read_target_numbers_reads_a_text_target_of_numbers():
    said = []
    y = pd.Series([f"{v:,}" for v in range(1_000, 41_000, 1_000)] + [" "], name="price")
    typed, note = read_target_numbers(y, said.append)
    assert typed.dtype == np.float64 and typed.iloc[0] == 1000.0
    assert np.isnan(typed.iloc[-1]) and "numbers stored as text" in note
    labels = pd.Series(["yes", "no", "yes"], name="churn")
    assert read_target_numbers(labels, said.append) == (labels, None)
    # many hand-typed values, most of them numbers: the rest become missing
    heights = pd.Series(
        [str(v) for v in range(150, 190)] + ["5' 4\"", "tall"], name="h"
    )
    typed, note = read_target_numbers(heights, said.append)
    assert typed.notna().sum() == 40 and "do not parse made missing" in note


def _dated_table(n=600, trend=True, seed=0):
    """Daily rows; the target rises with the date when ``trend``."""
    rng = np.random.default_rng(seed)
    day = pd.Timestamp("2021-01-01") + pd.to_timedelta(np.arange(n), "D")
    x = rng.normal(size=n)
    late = (day - day.min()).days.to_numpy() / n
    logit = x + (4 * late - 2 if trend else 0)
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), name="y")
    return pd.DataFrame({"day": day.strftime("%Y-%m-%d"), "x": x}), y


def test_time_holdout_tests_the_latest_rows_and_keeps_timeless_rows_in_training():
    times = np.array(
        ["2024-01-05", "NaT", "2024-01-01", "2024-01-09", "2024-01-03"] * 4,
        dtype="datetime64[D]",
    )
    X = pd.DataFrame({"a": np.arange(20)})
    y = pd.Series(np.arange(20) % 2)
    train, test, _ = time_holdout(X, y, times)
    assert test.size == 4 and set(times[test]) == {np.datetime64("2024-01-09")}
    assert np.isnat(times[train]).sum() == 4
    assert times[train][~np.isnat(times[train])].max() <= times[test].min()


@pytest.mark.parametrize(
    "trend, split, time_column, kind",
    [
        (True, "auto", None, "time"),  # time predicts the target: by time
        (False, "auto", None, "random"),  # a time axis, but nothing to leak
        (False, "auto", "day", "time"),  # --time-column
        (True, "random", None, "random"),  # --split random overrides
        (False, "time", None, "time"),
    ],
)
def test_check_quality_chooses_the_split(trend, split, time_column, kind):
    X, y = _dated_table(trend=trend)
    problem = define_problem(X, y, spec=None, task=None, source="t", say=_quiet)
    said = []
    quality = check_quality(
        X,
        y,
        problem,
        keep_suspects=False,
        random_state=0,
        say=said.append,
        time_column=time_column,
        split=split,
    )
    assert quality.split.kind == kind
    assert any(line.startswith(f"      split: {kind}") for line in said)
    assert any(note.startswith(f"Split: {kind}.") for note in quality.notes)
    days = pd.to_datetime(X["day"])
    if kind == "time":
        assert days.iloc[quality.train_idx].max() <= days.iloc[quality.test_idx].min()
        cv = quality.cv(3)
        assert cv.get_n_splits() == 3
        for train, test in cv.split(quality.X_train):
            assert quality.times_train[train].max() <= quality.times_train[test].min()
    else:
        assert quality.cv(3) == 3 and quality.times_train is None
    if split == "random" and trend:
        assert "although time predicts the data" in quality.split.reason


@pytest.mark.parametrize(
    "X, time_column, split, err_msg",
    [
        (pd.DataFrame({"x": np.arange(40.0)}), None, "time", "--split time needs"),
        (pd.DataFrame({"x": np.arange(40.0)}), "when", "auto", "'when' is not a"),
        (pd.DataFrame({"x": np.arange(40.0)}), None, "sometimes", "--split must"),
    ],
)
def test_check_quality_split_errors(X, time_column, split, err_msg):
    y = pd.Series(np.arange(40) % 2, name="y")
    problem = define_problem(X, y, spec=None, task=None, source="t", say=_quiet)
    with pytest.raises(BadInputError, match=err_msg):
        check_quality(
            X,
            y,
            problem,
            keep_suspects=False,
            random_state=0,
            say=_quiet,
            time_column=time_column,
            split=split,
        )


@pytest.mark.slow
def test_run_workflow_splits_by_time_and_shows_the_random_score(tmp_path):
    X, y = _dated_table(n=500)
    result = run_workflow(X, y, out=tmp_path, time_budget=10, verbose=0)
    split = result.metrics["split"]
    assert split["kind"] == "time" and split["time_column"] == "day"
    assert split["temporal_order"]
    assert (
        split["late_vs_early_auc"] >= 0.65
        or abs(split["target_time_rank_correlation"]) >= 0.1
    )
    scores = split["scores"]
    assert scores["metric"] == "roc_auc" and scores["rows"] > 0
    assert scores["time"] is not None and scores["random"] is not None
    assert "split:     time" in result.summary
    predictions = pd.read_csv(tmp_path / "test_predictions.csv")
    days = pd.to_datetime(X["day"])
    assert days.iloc[predictions["row"]].min() >= days.drop(predictions["row"]).max()
    card = (tmp_path / "model_card.md").read_text()
    assert "with folds by time" in card


def test_check_quality_says_why_shuffled_dated_rows_stay_random():
    # The same trend, rows in random order: time predicts the target, but the
    # file is not in time order, so the split stays random and says so.
    X, y = _dated_table(trend=True)
    order = np.random.default_rng(1).permutation(len(y))
    X, y = X.iloc[order].reset_index(drop=True), y.iloc[order].reset_index(drop=True)
    problem = define_problem(X, y, spec=None, task=None, source="t", say=_quiet)
    quality = check_quality(
        X, y, problem, keep_suspects=False, random_state=0, say=_quiet
    )
    assert quality.split.kind == "random"
    assert "not in time order" in quality.split.reason
    assert "--split time" in quality.split.reason
