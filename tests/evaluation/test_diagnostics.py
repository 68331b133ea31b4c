import numpy as np
import pandas as pd
import pytest
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import mean_squared_error, recall_score, roc_auc_score

from sklearn_workflow.evaluation import evaluate
from sklearn_workflow.evaluation._diagnostics import (
    categorical_columns,
    metric_by_level,
    model_drivers,
)


@pytest.fixture
def table(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n = 400
    X = pd.DataFrame(
        {
            "strong": rng.normal(size=n),
            "weak": rng.normal(size=n),
            "noise": rng.normal(size=n),
        }
    )
    logit = 3 * X["strong"] + 0.7 * X["weak"]
    y = (logit + rng.logistic(size=n) > 0).astype(int).to_numpy()
    return X, y


def test_model_drivers_match_a_loop_over_shuffled_columns(table):
    X, y = table
    model = LogisticRegression().fit(X, y)
    drivers = model_drivers(
        model,
        X,
        y,
        "roc_auc",
        task="binary_classification",
        pos_label=1,
        n_repeats=2,
        max_rows=300,
        random_state=7,
    )
    # The same draws, one column and one repeat at a time.
    rng = np.random.RandomState(7)
    rows = np.sort(rng.choice(len(y), 300, replace=False))
    Xs, ys = X.iloc[rows], y[rows]
    base = roc_auc_score(ys, model.predict_proba(Xs)[:, 1])
    expected = {}
    for column in X.columns:
        drops = []
        for _ in range(2):
            shuffled = Xs.copy()
            shuffled[column] = Xs[column].to_numpy()[rng.permutation(300)]
            drops.append(base - roc_auc_score(ys, model.predict_proba(shuffled)[:, 1]))
        expected[column] = (np.mean(drops), np.std(drops))
    for row in drivers.itertuples():
        assert row.importance == pytest.approx(expected[row.column][0])
        assert row.std == pytest.approx(expected[row.column][1])
    assert drivers["column"].tolist()[:2] == ["strong", "weak"]


def test_model_drivers_rank_columns_as_scikit_learn_does(table):
    X, y = table
    model = LogisticRegression().fit(X, y)
    ours = model_drivers(
        model, X, y, "recall", task="binary_classification", pos_label=1
    )
    theirs = permutation_importance(
        model, X, y, scoring="recall", n_repeats=3, random_state=0
    )
    order = np.argsort(-theirs.importances_mean)
    assert ours["column"].tolist() == X.columns[order].tolist()


def test_model_drivers_sign_of_a_metric_to_minimise(table):
    # For RMSE a helpful column raises the error when shuffled: importance > 0.
    X, _ = table
    y = 2 * X["strong"].to_numpy() + 0.01 * X["noise"].to_numpy()
    model = LinearRegression().fit(X, y)
    drivers = model_drivers(model, X, y, "rmse", task="regression")
    top = drivers.iloc[0]
    assert top["column"] == "strong" and top["importance"] > 0
    rmse = np.sqrt(mean_squared_error(y, model.predict(X)))
    assert top["importance"] > 10 * rmse


def test_metric_by_level_matches_a_loop_over_levels(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n = 300
    city = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    city[:15] = None
    y_true = rng.integers(0, 2, n)
    y_pred = np.where(rng.random(n) < 0.8, y_true, 1 - y_true)
    table = metric_by_level(city, y_true, y_pred, "recall", pos_label=1, max_levels=3)
    labels = np.array(["(missing)" if c is None else c for c in city])
    counts = pd.Series(labels).value_counts()
    top = list(counts.index[:3])
    assert table["level"].tolist() == [*top, "(other levels)"]
    for row in table.itertuples():
        mask = (
            ~np.isin(labels, top)
            if row.level == "(other levels)"
            else (labels == row.level)
        )
        assert row.rows == mask.sum()
        assert row.recall == pytest.approx(recall_score(y_true[mask], y_pred[mask]))


def test_evaluation_report_metric_by_level_uses_the_test_predictions(table):
    X, y = table
    model = LogisticRegression().fit(X, y)
    level = np.where(X["weak"] > 0, "high", "low")
    report = evaluate(model, X, y, latency_calls=0, n_bootstrap=0)
    by_level = report.metric_by_level(level, metric="roc_auc")
    proba = model.predict_proba(X)[:, 1]
    for row in by_level.itertuples():
        mask = level == row.level
        assert row.roc_auc == pytest.approx(roc_auc_score(y[mask], proba[mask]))
    with pytest.raises(ValueError, match="metric='rmse' is not one of"):
        report.metric_by_level(level, metric="rmse")


def test_categorical_columns_reads_column_kinds():
    frame = pd.DataFrame(
        {"n": [1.0, 2.0], "city": ["a", "b"], "flag": [True, False], "k": [1, 2]}
    )
    assert categorical_columns(frame) == ["city", "flag"]
