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
