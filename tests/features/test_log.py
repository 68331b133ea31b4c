import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline

from sklearn_workflow.features import LogTransformer

pl = pytest.importorskip("polars")


def _random_frame(rng, n=300):
    df = pd.DataFrame(
        {
            "amount": rng.lognormal(3.0, 1.0, n),
            "balance": rng.lognormal(1.0, 1.2, n) - 5.0,  # skewed, with negatives
            "age": rng.integers(18, 70, n),
            "score": rng.normal(0.0, 1.0, n),
            "city": rng.choice(["Paris", "Tokyo", "Berlin"], n),
            "flag": rng.random(n) < 0.05,
        }
    )
    for col in ["amount", "balance", "score"]:
        df.loc[rng.random(n) < 0.1, col] = np.nan
    return df


def _as(df, kind):
    if kind == "polars":
        return pl.from_pandas(df)
    return df


def _naive_log(train, test):
    # The definition, spelled out with pandas: clip to the training minimum, shift
    # by max(0, -minimum), log1p.
    minimum = train.min()
    return np.log1p(test.clip(lower=minimum) + max(0.0, -minimum))


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_log_transformer_matches_naive_log_with_missing_values(kind, rng):
    df = _random_frame(rng)
    train, test = df.iloc[:200], df.iloc[200:].reset_index(drop=True)
    log = LogTransformer().fit(_as(train, kind))
    expected_columns = [
        c
        for c in ["amount", "balance", "age", "score"]
        if train[c].skew() > 1.0 and train[c].nunique() >= 3
    ]
    assert "amount" in expected_columns and "score" not in expected_columns
    assert log.columns_ == expected_columns
    out = log.transform(_as(test, kind))
    if kind == "polars":
        assert isinstance(out, pl.DataFrame)
        out = out.to_pandas()
    for col in expected_columns:
        expected = _naive_log(train[col], test[col]).to_numpy()
        np.testing.assert_allclose(out[f"{col}_log"].to_numpy(), expected)
        assert np.isnan(out[f"{col}_log"].to_numpy()).sum() == test[col].isna().sum()


def test_log_transformer_skewness_matches_pandas(rng):
    df = _random_frame(rng)
    df["count"] = pd.array(rng.poisson(0.5, len(df)), dtype="Int64")
    df.loc[::7, "count"] = pd.NA
    log = LogTransformer().fit(df)
    numeric = ["amount", "balance", "age", "score", "count"]
    assert list(log.skewness_) == numeric
    for col in numeric:
        assert log.skewness_[col] == pytest.approx(df[col].astype(float).skew())


def test_log_transformer_matches_feature_engine_log_cp():
    # feature_engine's LogCpTransformer(C="auto") computes log(x + |min| + 1) when
    # the minimum is not positive, which is our log1p(x - min); on positive data
    # ours is log1p(x) = LogCpTransformer(C=1). It refuses missing values, so the
    # comparison uses complete rows.
    fe_transformation = pytest.importorskip("feature_engine.transformation")
    rng = np.random.default_rng(0)
    df = _random_frame(rng).dropna().reset_index(drop=True)
    assert df["balance"].min() < 0 < df["amount"].min()
    ours = LogTransformer(columns=["balance", "amount"]).fit_transform(df)
    fe_negative = fe_transformation.LogCpTransformer(variables=["balance"], C="auto")
    fe_positive = fe_transformation.LogCpTransformer(variables=["amount"], C=1)
    np.testing.assert_allclose(
        ours["balance_log"], fe_negative.fit_transform(df)["balance"]
    )
    np.testing.assert_allclose(
        ours["amount_log"], fe_positive.fit_transform(df)["amount"]
    )


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_log_transformer_matches_feature_engine_log_transformer(kind):
    # feature_engine's LogTransformer is log(x) on positive data without missing
    # values; ours with offset=-1 is log1p(x - 1) = log(x) for data >= 1.
    fe_transformation = pytest.importorskip("feature_engine.transformation")
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": 1.0 + rng.lognormal(0.0, 2.0, 200), "b": rng.random(200)})
    ours = LogTransformer(columns="a", offset=-1.0).fit_transform(_as(df, kind))
    theirs = fe_transformation.LogTransformer(variables=["a"]).fit_transform(df)
    np.testing.assert_allclose(np.asarray(ours["a_log"]), theirs["a"])
    np.testing.assert_array_equal(np.asarray(ours["b"]), df["b"])


def test_log_transformer_clips_below_the_fitted_minimum():
    train = pd.DataFrame({"x": [2.0, 3.0, 10.0]})
    log = LogTransformer(columns="x").fit(train)
    out = log.transform(pd.DataFrame({"x": [-100.0, 1.0, 2.0, np.nan, 50.0]}))
    np.testing.assert_allclose(
        out["x_log"], np.log1p([2.0, 2.0, 2.0, np.nan, 50.0]), equal_nan=True
    )


def test_log_transformer_numeric_offset():
    X = pd.DataFrame({"x": [-0.5, 0.0, 4.0]})
    log = LogTransformer(columns="x", offset=0.5).fit(X)
    np.testing.assert_allclose(log.offset_, [0.5])
    np.testing.assert_allclose(log.transform(X)["x_log"], np.log1p([0.0, 0.5, 4.5]))


def test_log_transformer_names_positions_and_passthrough_dtypes():
    X = pd.DataFrame(
        {
            "city": pd.Series(["a", "b", None], dtype="str"),
            "amount": [1.0, 10.0, 1000.0],
            "when": pd.to_datetime(["2024-01-01", None, "2024-03-01"]),
            "kind": pd.Categorical(["x", "y", "x"]),
        },
        index=[10, 20, 30],
    )
    log = LogTransformer(columns="amount").fit(X)
    out = log.transform(X)
    assert list(out.columns) == ["city", "amount_log", "when", "kind"]
    assert list(out.index) == [10, 20, 30]
    for col in ["city", "when", "kind"]:
        assert out[col].dtype == X[col].dtype
        pd.testing.assert_series_equal(out[col], X[col])
    kept = LogTransformer(columns="amount", drop_original=False).fit(X)
    assert list(kept.get_feature_names_out()) == [
        "city",
        "amount",
        "amount_log",
        "when",
        "kind",
    ]
    assert list(kept.transform(X).columns) == list(kept.get_feature_names_out())


def test_log_transformer_numpy_and_set_output(rng):
    X = rng.lognormal(0.0, 1.0, (50, 3))
    X[:, 1] = rng.normal(size=50)
    log = LogTransformer(columns=[0, 2]).fit(X)
    np.testing.assert_array_equal(
        log.get_feature_names_out(), ["x0_log", "x1", "x2_log"]
    )
    out = log.transform(X)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out[:, [0, 2]], np.log1p(X[:, [0, 2]]))
    np.testing.assert_array_equal(out[:, 1], X[:, 1])
    polars_out = log.set_output(transform="polars").transform(X)
    assert isinstance(polars_out, pl.DataFrame)
    assert polars_out.columns == ["x0_log", "x1", "x2_log"]


def test_log_transformer_ignores_indicators_and_all_missing_columns():
    X = pd.DataFrame(
        {
            "rare": [0] * 19 + [1],  # skewed, but a 0/1 indicator
            "empty": [np.nan] * 20,
            "amount": [1.0] * 17 + [50.0, 100.0, 1000.0],
        }
    )
    log = LogTransformer().fit(X)
    assert log.skewness_["rare"] > 1.0
    assert np.isnan(log.skewness_["empty"])
    assert log.columns_ == ["amount"]
    forced = LogTransformer(columns=["empty"]).fit(X)
    assert np.isnan(forced.transform(X)["empty_log"]).all()


def test_log_transformer_in_a_column_transformer(rng):
    X = pd.DataFrame({"a": rng.lognormal(size=30), "b": rng.normal(size=30)})
    ct = ColumnTransformer(
        [("log", LogTransformer(columns=["a"]), ["a"])], remainder="passthrough"
    ).set_output(transform="pandas")
    out = ct.fit_transform(X)
    assert list(out.columns) == ["log__a_log", "remainder__b"]
    np.testing.assert_allclose(out["log__a_log"], np.log1p(X["a"]))


def test_log_transformer_inside_a_pipeline_learns_on_train_only():
    train = pd.DataFrame({"x": [5.0, 6.0, 8.0]})
    test = pd.DataFrame({"x": [0.0, 7.0]})
    pipe = make_pipeline(LogTransformer(columns="x")).fit(train)
    np.testing.assert_allclose(pipe.transform(test)["x_log"], np.log1p([5.0, 7.0]))


@pytest.mark.parametrize(
    "params, X, err_type, err_msg",
    [
        (
            {"columns": "missing"},
            pd.DataFrame({"x": [1.0, 2.0]}),
            ValueError,
            "columns='missing': column 'missing' is not in X; X's columns are 'x'",
        ),
        (
            {"columns": "city"},
            pd.DataFrame({"city": ["a", "b"]}),
            TypeError,
            r"columns='city': column 'city' is a categorical \(string\) column; "
            "LogTransformer needs a numeric or boolean column",
        ),
        (
            {"columns": "x"},
            np.ones((3, 2)),
            ValueError,
            "columns='x': column 'x' is not in X, which has no string column names",
        ),
        (
            {"columns": 5},
            np.ones((3, 2)),
            ValueError,
            r"columns=5: column 5 is not in X, which has 2 feature\(s\)",
        ),
        (
            {"columns": "x", "offset": 1.0},
            pd.DataFrame({"x": [-3.0, 2.0]}),
            ValueError,
            r"offset=1.0 leaves column 'x' negative \(its minimum at fit is -3.0\); "
            "use offset='auto' or an offset of at least 3.0",
        ),
        (
            {"columns": "x"},
            pd.DataFrame({"x": [1.0, np.inf]}),
            ValueError,
            "columns='x': column 'x' contains infinity",
        ),
        (
            {"columns": [("x",)]},
            pd.DataFrame({"x": [1.0, 2.0]}),
            TypeError,
            r"columns=\[\('x',\)\]: columns are named by string or integer position, "
            r"got \('x',\)",
        ),
    ],
)
def test_log_transformer_errors(params, X, err_type, err_msg):
    with pytest.raises(err_type, match=err_msg):
        LogTransformer(**params).fit(X)


def test_log_transformer_refuses_an_output_name_that_exists():
    X = pd.DataFrame({"x": [1.0, 2.0], "x_log": [0.0, 0.0]})
    with pytest.raises(ValueError, match=r"duplicate column names \['x_log'\]"):
        LogTransformer(columns="x", drop_original=False).fit(X)


finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(
    train=arrays(np.float64, st.integers(1, 30), elements=finite),
    test=arrays(np.float64, st.integers(1, 30), elements=finite),
)
def test_log_transformer_is_finite_and_monotone(train, test):
    log = LogTransformer(columns=0).fit(train.reshape(-1, 1))
    out = log.transform(test.reshape(-1, 1))[:, 0]
    assert np.isfinite(out).all() and (out >= 0).all()
    order = np.argsort(test, kind="stable")
    assert (np.diff(out[order]) >= 0).all()
