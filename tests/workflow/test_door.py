"""New rows at a saved model's door: typed, judged for the batch size, reported."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.quality import DataQualityChecker, TableCleaner
from sklearn_workflow.workflow._door import inspect_batch, predict_table


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "age": [f"{v}" for v in rng.integers(18, 80, n)],
            "plan": rng.choice(["basic", "plus", "pro"], n),
            "paid": rng.choice(["yes", "no"], n),
        }
    )
    frame.loc[::50, "age"] = " "  # blank cells, read as missing
    y = (rng.random(n) < 0.3).astype(int)
    return frame, y


@pytest.fixture(scope="module")
def model(table):
    X, y = table
    features = ColumnTransformer(
        [
            ("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
            ("rest", "passthrough", ["age", "paid"]),
        ]
    )
    from sklearn.impute import SimpleImputer

    return Pipeline(
        [
            ("clean", TableCleaner()),
            ("quality", DataQualityChecker()),
            ("features", features),
            ("impute", SimpleImputer()),
            ("model", LogisticRegression()),
        ]
    ).fit(X, y)


def test_door_lacking_column_is_an_error_naming_it(model, table):
    X, _ = table
    with pytest.raises(
        BadInputError, match=r"lacks the model's input columns \['plan'\]"
    ):
        inspect_batch(model, X.drop(columns="plan"))


def test_door_lists_extra_columns_and_predicts_in_the_model_order(model, table):
    X, _ = table
    batch = X.head(5).assign(note="x")[["note", "paid", "plan", "age"]]
    predictions, report = predict_table(model, batch, verbose=0)
    assert report.extra_columns == ["note"]
    assert predictions.shape == (5, 3)
    assert list(predictions.columns) == ["prediction", "proba_0", "proba_1"]


def test_door_counts_text_in_a_numeric_column_and_strict_refuses_it(model, table):
    X, _ = table
    batch = X.head(30).copy()
    batch.loc[[1, 2, 3], "age"] = ["unknown", "forty", "unknown"]
    predictions, report = predict_table(model, batch, verbose=0)
    assert len(predictions) == 30
    invalid = report.invalid.set_index("column")
    assert invalid.loc["age", "n_invalid"] == 3
    assert report.problems[0][0] == "age"
    assert "3 value(s) that are not numeric" in report.problems[0][1]
    with pytest.raises(BadInputError, match=r"--strict: column 'age': 3 value\(s\)"):
        predict_table(model, batch, verbose=0, strict=True)


@pytest.mark.parametrize("size", [1, 4, 20])
def test_door_small_batches_of_training_rows_raise_no_alarm(model, table, size):
    X, _ = table
    rng = np.random.default_rng(size)
    false_alarms = 0
    for _ in range(20):
        rows = X.iloc[rng.choice(len(X), size, replace=False)]
        _, report = inspect_batch(model, rows)
        false_alarms += bool(report.problems) or bool(report.drift)
        if size < model.named_steps["quality"].drift_min_samples:
            assert report.drift == {} and "drift not judged" in report.drift_skipped
    assert false_alarms <= 1


def test_door_reports_an_unseen_category(model, table):
    X, _ = table
    batch = X.head(60).copy()
    batch["plan"] = "enterprise"
    _, report = inspect_batch(model, batch)
    assert any(column == "plan" for column, _ in report.problems)
    lines = report.lines()
    assert "contract violation(s) in 60 row(s)" in lines[0]


def test_conform_columns_reads_json_values_as_the_fitted_kinds():
    from sklearn_workflow.workflow._door import conform_columns

    X = pd.DataFrame(
        {
            "n": [1.5, 2.0, 3.0, 4.0] * 5,
            "when": pd.to_datetime(["2024-01-01", "2024-02-01"] * 10).as_unit("us"),
            "city": ["a", "b", "c", "d"] * 5,
        }
    )
    model = Pipeline([("clean", TableCleaner()), ("quality", DataQualityChecker())])
    model.fit(X)
    sent = pd.DataFrame(
        {
            "n": ["2.5", "forty", None, True],
            "when": ["2024-01-03", "yesterday", None, "2024-01-05T10:00:00"],
            "city": [1, 2, None, "c"],
        }
    )
    out, invalid = conform_columns(model, sent)
    # naive reference: each value on its own
    assert out["n"].tolist()[0] == 2.5 and out["n"].isna().tolist() == [
        False,
        True,
        True,
        True,
    ]
    assert out["when"].dtype == X["when"].dtype
    assert out["when"].iloc[0] == pd.Timestamp("2024-01-03")
    assert out["when"].iloc[3] == pd.Timestamp("2024-01-05 10:00")
    assert out["when"].isna().tolist() == [False, True, True, False]
    assert out["city"].tolist()[:2] == ["1", "2"] and out["city"].iloc[3] == "c"
    table = invalid[0].set_index("column")
    assert table.loc["n", "n_invalid"] == 2  # "forty" and True
    assert table.loc["when", "n_invalid"] == 1
    assert table.loc["when", "example"] == "yesterday"
    untouched, none = conform_columns(model, X)
    assert untouched is X and none == []


def test_conform_columns_reads_values_sent_for_a_boolean_column():
    from sklearn_workflow.workflow._door import conform_columns

    X = pd.DataFrame({"late": [True, False] * 10, "n": np.arange(20.0)})
    model = Pipeline([("clean", TableCleaner()), ("quality", DataQualityChecker())])
    model.fit(X)
    sent = pd.DataFrame(
        {
            "late": [True, "no", 1, 0.0, " Yes ", "zzz", float("inf"), None, 2],
            "n": np.arange(9.0),
        }
    )
    out, invalid = conform_columns(model, sent)
    # naive reference: each value on its own
    assert out["late"].dtype == "boolean"
    assert out["late"].tolist() == [
        True, False, True, False, True, pd.NA, pd.NA, pd.NA, pd.NA
    ]  # fmt: skip
    row = invalid[0].set_index("column").loc["late"]
    assert row["n_invalid"] == 3 and row["example"] == "zzz"  # zzz, inf and 2


def test_row_problems_points_at_the_rows_behind_each_violation(model, table):
    from sklearn_workflow.workflow._door import pass_door, row_problems

    X, _ = table
    batch = X.head(6).copy()
    batch.loc[1, "age"] = "unknown"
    batch.loc[3, "plan"] = "platinum"
    batch.loc[4, "age"] = "4000"
    raw = batch[list(model.feature_names_in_)]
    _, clean, report = pass_door(model, batch)
    rows = row_problems(model, raw, clean, report)
    kinds = {
        (i, p["column"], p["kind"], p["value"]) for i, r in enumerate(rows) for p in r
    }
    assert (1, "age", "invalid", "unknown") in kinds
    assert (3, "plan", "unseen_category", "platinum") in kinds
    assert (4, "age", "out_of_range", "4000") in kinds
    assert rows[0] == [] and rows[2] == [] and rows[5] == []
