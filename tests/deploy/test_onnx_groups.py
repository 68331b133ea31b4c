"""ONNX export of GroupAggregator: the graph's group lookup against transform."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_workflow.features import GroupAggregator, TargetEncoder
from sklearn_workflow.quality import DataQualityChecker, TableCleaner

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")

from sklearn_workflow.deploy._onnx import export_onnx, onnx_inputs, onnx_parity, to_onnx
from sklearn_workflow.deploy._onnx._export import session

ALL = ("count", "sum", "mean", "median", "min", "max", "std", "var", "nunique")


def run_graph(onx, X, model=None):
    sess = session(onx)
    return sess.run(None, onnx_inputs(onx, X, model))


def group_table(rng, n):
    """Keys of every kind the graph takes, each with missing values."""
    when = pd.Series(
        pd.to_datetime("2024-01-01")
        + pd.to_timedelta(rng.integers(0, 4, n) * 36, unit="h")
    )
    when[rng.random(n) < 0.1] = pd.NaT
    X = pd.DataFrame(
        {
            "city": rng.choice(np.array(["Paris", "Lyon", "Nice", None]), n),
            "store": rng.choice([1.0, 2.0, 30.0, -4.0, np.nan], n),
            "rate": rng.choice([0.5, 0.25, 1.0 / 3.0, np.nan], n),
            "when": when.dt.tz_localize("Europe/Paris"),
            "x": rng.normal(size=n),
            "label": rng.choice(np.array(["a", "b", "c"]), n),
        }
    )
    X.loc[rng.random(n) < 0.1, "x"] = np.nan
    return X


def new_rows(X):
    """Held-out rows with unseen keys: a city, a store (a whole number and a
    fraction), a rate, a date; and missing keys."""
    X = X.copy()
    new = {
        "city": ["Rome", None, "Paris", "Lyon", "Nice", None],
        "store": [7.0, np.nan, 1.5, 2.0, 1e20, -4.0],
        "rate": [0.75, np.nan, 0.5, 0.25, 0.5, 1.0 / 3.0],
        "when": [pd.Timestamp("2030-01-01", tz="Europe/Paris"), pd.NaT],
    }
    for column, values in new.items():
        if column in X:
            X.loc[X.index[: len(values)], column] = values
    return X


def assert_same_or_nan(actual, expected):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    keep = ~np.isnan(expected)
    np.testing.assert_allclose(actual[keep], expected[keep], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "by, aggregations, handle_unknown",
    [
        ("city", {"x": ALL}, "global"),
        ("store", {"x": ("mean", "count"), "label": "nunique"}, "nan"),
        (("rate", "city"), {"x": ("max", "std")}, "global"),
        ("when", {"x": ("median", "sum")}, "global"),
        (("city", "store", "when"), {"x": ("mean", "count")}, "nan"),
    ],
)
def test_group_aggregator_matches_transform(
    by, aggregations, handle_unknown, global_random_seed
):
    rng = np.random.default_rng(global_random_seed)
    X = group_table(rng, 400)
    step = GroupAggregator(by, aggregations, handle_unknown=handle_unknown)
    step.fit(X.iloc[:300])
    X_new = new_rows(X.iloc[300:])
    outputs = run_graph(to_onnx(step, X), X_new)
    expected = step.transform(X_new)
    n_in = X.shape[1]
    # One output per column, named as the step names its columns.
    assert len(outputs) == len(step.get_feature_names_out())
    statistics = np.hstack(outputs[n_in:])
    assert_same_or_nan(statistics, expected.iloc[:, n_in:].to_numpy(np.float64))
    # The columns pass through, text as text.
    assert outputs[0].ravel().tolist() == X_new["city"].fillna("").tolist()
    assert_same_or_nan(outputs[4].ravel(), X_new["x"])


def test_group_lookup_matches_a_loop_over_rows():
    # The naive reference: each row's key tuple looked up in a dict of groups.
    rng = np.random.default_rng(0)
    X = group_table(rng, 200)
    step = GroupAggregator(("city", "store"), {"x": "mean"}).fit(X.iloc[:150])
    train = X.iloc[:150]
    means = {}
    for key, x in zip(zip(train["city"], train["store"]), train["x"]):
        key = tuple("missing" if pd.isna(k) else k for k in key)
        means.setdefault(key, []).append(x)
    X_new = new_rows(X.iloc[150:])
    outputs = run_graph(to_onnx(step, X), X_new)
    for row, (city, store) in enumerate(zip(X_new["city"], X_new["store"])):
        key = tuple("missing" if pd.isna(k) else k for k in (city, store))
        values = np.asarray(means.get(key, train["x"]), dtype=np.float64)
        assert outputs[-1][row, 0] == pytest.approx(np.nanmean(values), abs=1e-12)


def test_group_aggregator_in_a_column_transformer_outputs_one_matrix():
    rng = np.random.default_rng(0)
    X = group_table(rng, 300)[["store", "rate", "x"]]
    y = (X["x"].fillna(0.0) > 0).astype(int)
    features = ColumnTransformer(
        [
            (
                "group",
                GroupAggregator("store", {"x": ("mean", "count")}),
                ["store", "x"],
            ),
            ("rate", "passthrough", ["rate"]),
        ]  # fmt: skip
    )
    model = make_pipeline(
        DataQualityChecker(),
        features,
        pytest.importorskip("sklearn.impute").SimpleImputer(),
        LogisticRegression(),
    )
    model.fit(X.iloc[:200], y[:200])
    X_new = new_rows(X.iloc[200:])
    parity = onnx_parity(model, to_onnx(model), X_new, n_calls=2)
    assert parity.max_abs_diff < 1e-12 and parity.n_label_disagreements == 0


def test_group_aggregator_before_a_column_transformer_by_name(tmp_path):
    # The text key passes through as text to the target encoder; the statistics
    # are selected by their names.
    rng = np.random.default_rng(0)
    X = group_table(rng, 400).drop(columns=["when", "label"])
    y = np.where(X["x"].fillna(0.0) + rng.normal(size=400) > 0, "yes", "no")
    features = ColumnTransformer(
        [
            ("stats", "passthrough", ["x_mean_by_city_store", "x_count_by_city_store"]),
            ("city", TargetEncoder(random_state=0), ["city"]),
        ]
    )
    model = make_pipeline(
        TableCleaner(),
        DataQualityChecker(),
        GroupAggregator(("city", "store"), {"x": ("mean", "count")}),
        features,
        LogisticRegression(),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X.iloc[:300], y[:300])
    X_new = new_rows(X.iloc[300:])
    parity = onnx_parity(model, to_onnx(model), X_new, n_calls=2)
    assert parity.max_abs_diff < 1e-12 and parity.n_label_disagreements == 0
    written, message = export_onnx(model, tmp_path / "model.onnx", X_new)
    assert written, message


def test_group_aggregator_before_an_estimator_is_joined():
    rng = np.random.default_rng(1)
    X = group_table(rng, 300)[["store", "x"]].fillna({"x": 0.0})
    y = (X["x"] + rng.normal(size=300) > 0).astype(int)
    model = make_pipeline(
        DataQualityChecker(),
        GroupAggregator("store", {"x": ("mean", "std")}, handle_unknown="global"),
        pytest.importorskip("sklearn.impute").SimpleImputer(),
        LogisticRegression(),
    ).fit(X.iloc[:200], y[:200])
    X_new = X.iloc[200:].copy()
    X_new.loc[X_new.index[:2], "store"] = [99.0, 0.5]
    parity = onnx_parity(model, to_onnx(model), X_new, n_calls=2)
    assert parity.max_abs_diff < 1e-12 and parity.n_label_disagreements == 0


def test_merged_group_aggregator_converts():
    rng = np.random.default_rng(2)
    X = group_table(rng, 300)[["city", "x"]]
    aggs = {"x": ("mean", "count", "min")}
    merged = GroupAggregator("city", aggs).partial_fit(X.iloc[:150])
    merged = merged.merge(GroupAggregator("city", aggs).partial_fit(X.iloc[150:]))
    X_new = new_rows(X)
    outputs = run_graph(to_onnx(merged, X), X_new)
    assert_same_or_nan(
        np.hstack(outputs[2:]), merged.transform(X_new).iloc[:, 2:].to_numpy(float)
    )


def test_group_aggregator_raising_on_unseen_groups_is_refused(tmp_path):
    X = pd.DataFrame({"store": [1.0, 2.0, 1.0, 2.0], "x": [1.0, 2.0, 3.0, 4.0]})
    step = GroupAggregator("store", {"x": "mean"}, handle_unknown="error").fit(X)
    with pytest.raises(NotImplementedError, match="handle_unknown='error'"):
        to_onnx(step, X)
    written, message = export_onnx(step, tmp_path / "model.onnx", X)
    assert not written and "GroupAggregator" in message


def test_group_aggregator_of_one_column_in_a_column_transformer():
    # The size of each store's group, the store itself passed through.
    rng = np.random.default_rng(3)
    X = group_table(rng, 300)[["store", "x"]].fillna({"x": 0.0})
    y = (X["x"] > 0).astype(int)
    features = ColumnTransformer(
        [
            ("size", GroupAggregator("store", {"store": "count"}), ["store"]),
            ("x", "passthrough", ["x"]),
        ]  # fmt: skip
    )
    model = make_pipeline(
        DataQualityChecker(),
        features,
        pytest.importorskip("sklearn.impute").SimpleImputer(),
        LogisticRegression(),
    ).fit(X.iloc[:200], y[:200])
    parity = onnx_parity(model, to_onnx(model), new_rows(X.iloc[200:]), n_calls=1)
    assert parity.max_abs_diff < 1e-12 and parity.n_label_disagreements == 0
