"""The target at fit: the runs test of its order, the rows sorted by it, and a
target with missing values given as a Series, a frame or through the command."""

import numpy as np
import pandas as pd
import pytest

from sklearn_workflow import DataQualityChecker
from sklearn_workflow.datasets import make_churn
from sklearn_workflow.quality._target import runs_test, target_order


def _changes_naive(codes):
    changes = 0
    for i in range(1, len(codes)):
        changes += codes[i] != codes[i - 1]
    return changes


@pytest.mark.parametrize("counts", [(30, 30), (50, 10), (20, 15, 5), (8, 8, 8, 8)])
def test_runs_test_moments_match_random_orders(counts, global_random_seed):
    # The mean and variance of the changes of a random order, by shuffling.
    rng = np.random.default_rng(global_random_seed)
    codes = np.repeat(np.arange(len(counts)), counts)
    changes = [_changes_naive(rng.permutation(codes)) for _ in range(4000)]
    test = runs_test(codes)
    assert test["changes"] == _changes_naive(codes)
    assert np.mean(changes) == pytest.approx(test["expected"], rel=0.02)
    sd = (test["expected"] - test["changes"]) / -test["z"]
    assert np.std(changes) == pytest.approx(sd, rel=0.1)


def test_runs_test_two_classes_is_wald_wolfowitz():
    n1, n2 = 37, 63
    n = n1 + n2
    codes = np.r_[np.zeros(n1, dtype=int), np.ones(n2, dtype=int)]
    test = runs_test(codes)
    mean = 2 * n1 * n2 / n + 1
    variance = 2 * n1 * n2 * (2 * n1 * n2 - n) / (n**2 * (n - 1))
    assert test["expected"] == pytest.approx(mean - 1)
    assert test["z"] == pytest.approx((2 - mean) / variance**0.5)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_random_orders_are_not_ordered(task, global_random_seed):
    # Property: a shuffled target is never reported ordered (0.0001 chance each).
    rng = np.random.default_rng(global_random_seed)
    for _ in range(200):
        n = int(rng.integers(20, 500))
        if task == "regression":
            y = rng.lognormal(size=n)
        else:
            y = rng.integers(0, int(rng.integers(2, 5)), n)
        order = target_order(y, task)
        assert order is None or not order["ordered"]


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_sorted_target_is_ordered(task, rng):
    y = rng.integers(0, 3, 300) if task == "classification" else rng.normal(size=300)
    assert target_order(np.sort(y), task)["ordered"]
    assert target_order(y[:19], task) is None  # too few rows to tell


def _sorted_churn():
    X, y = make_churn(2000, random_state=0)
    order = np.argsort(y.to_numpy(), kind="stable")
    X = X.iloc[order].reset_index(drop=True)
    X.insert(0, "row", np.arange(len(X)))
    return X, y.iloc[order].reset_index(drop=True)


def _found(checker):
    f = checker.findings_
    return set(zip(f["check"], f["column"].fillna("")))


def test_row_number_on_rows_sorted_by_the_target_is_target_ordered():
    X, y = _sorted_churn()
    checker = DataQualityChecker().fit(X, y)
    found = _found(checker)
    assert ("target_ordered", "churned") in found
    assert ("leakage", "row") not in found
    assert ("leakage", "cancellation_requested") in found  # leaky for itself
    hit = checker.findings_.set_index("check").loc["target_ordered"]
    assert hit["severity"] == "warning" and hit["value"] < -10
    assert "row follows the row order" in hit["message"]
    assert "Shuffle" in hit["suggestion"]


def test_row_number_is_a_leakage_suspect_without_the_rule():
    # What the rule changes: screened, the row number "predicts" the target.
    from sklearn_workflow.quality._leakage import column_leakage
    from sklearn_workflow.quality._profile import profile_column, read_column
    from sklearn_workflow.quality._target import prepare_target

    X, y = _sorted_churn()
    target = prepare_target(y, len(y), task="auto", imbalance_ratio=0.2)
    data = read_column("row", "row", X["row"])
    profile, sorted_values = profile_column(data, n_bins=10, max_categories=1000)
    kwargs = {"id_like": True, "threshold": 0.95}
    rows = column_leakage(data, profile, sorted_values, target, **kwargs)
    assert [r["check"] for r in rows] == ["leakage"]
    rows = column_leakage(
        data, profile, sorted_values, target, row_number=True, **kwargs
    )
    assert rows == []


def test_other_columns_that_predict_a_sorted_target_stay_leakage_suspects(rng):
    n = 400
    y = pd.Series(np.repeat([0, 1], n // 2), name="y")
    X = pd.DataFrame(
        {
            "row": np.arange(n),
            # monotone too, but fractional: a measurement, not a row number
            "score": np.arange(n) + rng.uniform(0, 0.5, n),
            "copy": np.where(y == 1, "yes", "no"),
            # the row number's missingness still counts
            "row_gaps": np.where(y == 1, np.nan, np.arange(n)),
        }
    )
    found = _found(DataQualityChecker().fit(X, y))
    assert ("target_ordered", "y") in found
    assert ("leakage", "row") not in found
    for column in ("score", "copy", "row_gaps"):
        assert ("leakage", column) in found


def test_unsorted_data_keeps_its_leakage_suspects():
    X, y = make_churn(2000, random_state=0)
    X = X.assign(row=np.arange(len(X)))
    found = _found(DataQualityChecker().fit(X, y))
    assert "target_ordered" not in {check for check, _ in found}
    leakage = {column for check, column in found if check == "leakage"}
    assert leakage == {"cancellation_requested"}


def test_sorted_regression_target_is_ordered(rng):
    n = 300
    y = pd.Series(np.sort(rng.lognormal(size=n)), name="price")
    X = pd.DataFrame({"row": np.arange(n), "a": rng.normal(size=n)})
    found = _found(DataQualityChecker().fit(X, y))
    assert ("target_ordered", "price") in found
    assert ("leakage", "row") not in found


# -- a target with missing values ----------------------------------------------


def _target_with_missing(container):
    values = [0, 1] * 9 + [np.nan, np.nan]
    if container == "series":
        return pd.Series(values, name="T")
    if container == "frame":
        return pd.DataFrame({"T": values})
    if container == "nullable":
        return pd.DataFrame({"T": pd.array([0, 1] * 9 + [None, None], "Int64")})
    if container == "text":
        return pd.DataFrame({"T": ["u", "v"] * 9 + [None, None]})
    pl = pytest.importorskip("polars")
    return pl.DataFrame({"T": [0, 1] * 9 + [None, None]})


@pytest.mark.parametrize("container", ["frame", "nullable", "text", "polars"])
def test_frame_target_with_missing_values_gives_the_series_findings(container, rng):
    X = pd.DataFrame({"a": rng.normal(size=20), "b": rng.choice(["x", "y"], 20)})
    expected = DataQualityChecker().fit(X, _target_with_missing("series")).findings_
    findings = DataQualityChecker().fit(X, _target_with_missing(container)).findings_
    pd.testing.assert_frame_equal(
        findings[["check", "column", "severity", "value"]],
        expected[["check", "column", "severity", "value"]],
    )
    missing = findings.set_index("check").loc["target_missing"]
    assert (missing["column"], missing["severity"], missing["value"]) == (
        "T",
        "error",
        2.0,
    )


def test_check_command_reports_the_missing_target_as_the_api_does(tmp_path, rng):
    from sklearn_workflow.workflow._cli import main

    X = pd.DataFrame({"a": rng.normal(size=20), "b": rng.choice(["x", "y"], 20)})
    y = _target_with_missing("frame")
    pd.concat([X, y], axis=1).to_csv(tmp_path / "data.csv", index=False)
    out = tmp_path / "out"
    code = main(
        [
            "check",
            str(tmp_path / "data.csv"),
            "--target",
            "T",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 1  # an error finding
    command = pd.read_csv(out / "findings.csv")
    api = DataQualityChecker().fit(X, y).findings_
    assert list(command["check"]) == list(api["check"])
    assert list(command["severity"]) == list(api["severity"])
    np.testing.assert_allclose(command["value"], api["value"])
