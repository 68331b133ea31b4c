import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_workflow.features import RatioFeatures

pl = pytest.importorskip("polars")


def _housing_like(rng, n=300):
    # The columns of the guide's California-housing example, with zeros and
    # missing values added where a real table would have them.
    df = pd.DataFrame(
        {
            "AveRooms": rng.gamma(5.0, 1.0, n),
            "AveBedrms": rng.gamma(1.0, 1.0, n),
            "AveOccup": rng.gamma(2.0, 1.0, n),
            "Population": rng.poisson(1000, n).astype(float),
            "ocean": rng.choice(["near", "far"], n),
        }
    )
    df.loc[rng.random(n) < 0.05, "AveOccup"] = 0.0
    df.loc[rng.random(n) < 0.05, "AveOccup"] = 0.05
    for col in ["AveRooms", "AveOccup", "Population"]:
        df.loc[rng.random(n) < 0.1, col] = np.nan
    return df


PAIRS = (
    ("AveRooms", "AveOccup"),
    ("AveBedrms", "AveRooms"),
    ("Population", "AveOccup"),
)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_ratio_features_reproduce_the_guide_ratios(kind, rng):
    df = _housing_like(rng)
    X = pl.from_pandas(df) if kind == "polars" else df
    out = RatioFeatures(PAIRS, min_denominator=0.1).fit_transform(X)
    if kind == "polars":
        assert isinstance(out, pl.DataFrame)
        out = out.to_pandas()
    # The guide's own lines, with pandas.
    expected = {
        "AveRooms_per_AveOccup": df["AveRooms"] / df["AveOccup"].clip(0.1),
        "AveBedrms_per_AveRooms": df["AveBedrms"] / df["AveRooms"].clip(0.1),
        "Population_per_AveOccup": df["Population"] / df["AveOccup"].clip(0.1),
    }
    assert list(out.columns) == list(df.columns) + list(expected)
    for name, values in expected.items():
        np.testing.assert_allclose(out[name].to_numpy(), values.to_numpy())
    pd.testing.assert_frame_equal(out[df.columns], df, check_dtype=False)


@pytest.mark.parametrize(
    "operation, name, func",
    [
        ("ratio", "a_per_b", lambda a, b: a / b),
        ("product", "a_x_b", lambda a, b: a * b),
        ("difference", "a_minus_b", lambda a, b: a - b),
    ],
)
def test_ratio_features_match_a_naive_loop(operation, name, func, rng):
    n = 100
    a = rng.normal(size=n)
    b = rng.normal(size=n)
    a[rng.random(n) < 0.1] = np.nan
    b[rng.random(n) < 0.1] = np.nan
    b[::13] = 0.0
    X = pd.DataFrame({"a": a, "b": b})
    out = RatioFeatures([("a", "b")], operation=operation).fit_transform(X)[name]
    expected = []
    for x, y in zip(a, b):
        if np.isnan(x) or np.isnan(y) or (operation == "ratio" and y == 0):
            expected.append(np.nan)
        else:
            expected.append(func(x, y))
    np.testing.assert_allclose(out.to_numpy(), expected)


def test_ratio_features_match_feature_engine_relative_and_math_features():
    # feature_engine refuses zero denominators and needs missing_values="ignore".
    creation = pytest.importorskip("feature_engine.creation")
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {"a": rng.normal(size=200), "b": rng.uniform(0.5, 2.0, 200), "c": 1.0}
    )
    df.loc[::11, "a"] = np.nan
    rel = creation.RelativeFeatures(
        variables=["a"], reference=["b"], func=["div", "mul", "sub"]
    )
    rel.set_params(missing_values="ignore")
    theirs = rel.fit_transform(df)
    for operation, ours_name, their_name in [
        ("ratio", "a_per_b", "a_div_b"),
        ("product", "a_x_b", "a_mul_b"),
        ("difference", "a_minus_b", "a_sub_b"),
    ]:
        ours = RatioFeatures([("a", "b")], operation=operation).fit_transform(df)
        np.testing.assert_allclose(ours[ours_name], theirs[their_name])
    math = creation.MathFeatures(
        variables=["a", "b"], func="prod", missing_values="ignore"
    ).fit_transform(df)
    ours = RatioFeatures([("a", "b")], operation="product").fit_transform(df)
    # MathFeatures skips missing values in a product (prod of b alone); ours
    # keeps NaN: compare on complete rows.
    complete = df["a"].notna()
    np.testing.assert_allclose(ours["a_x_b"][complete], math["prod_a_b"][complete])


def test_ratio_features_min_denominator_clips_like_the_guide():
    X = pd.DataFrame({"s": [10.0, 10.0, 10.0, 10.0], "d": [0.0, -4.0, 0.5, 20.0]})
    out = RatioFeatures([("s", "d")], min_denominator=1).fit_transform(X)
    np.testing.assert_allclose(out["s_per_d"], [10.0, 10.0, 10.0, 0.5])


def test_ratio_features_never_output_infinity():
    X = pd.DataFrame({"a": [1e308, 5.0, 1e308], "b": [1e-308, 0.0, 1e308]})
    for operation in ["ratio", "product"]:
        out = RatioFeatures([("a", "b")], operation=operation).fit_transform(X)
        assert not np.isinf(out.iloc[:, -1].to_numpy()).any()
    ratio = RatioFeatures([("a", "b")]).fit_transform(X).iloc[:, -1]
    assert np.isnan(ratio.iloc[0]) and np.isnan(ratio.iloc[1])


def test_ratio_features_boolean_and_nullable_columns():
    X = pd.DataFrame(
        {
            "is_premium": pd.array([True, False, None, True], dtype="boolean"),
            "tenure": pd.array([12, 5, 7, None], dtype="Int64"),
        }
    )
    out = RatioFeatures([("is_premium", "tenure")], operation="product").fit_transform(
        X
    )
    np.testing.assert_allclose(
        out["is_premium_x_tenure"].to_numpy(), [12.0, 0.0, np.nan, np.nan]
    )


def test_ratio_features_numpy_positions_and_set_output(rng):
    X = rng.uniform(1.0, 2.0, (20, 3))
    ratio = RatioFeatures([(0, 2), (-1, 1)]).fit(X)
    names = ["x0", "x1", "x2", "x0_per_x2", "x2_per_x1"]
    np.testing.assert_array_equal(ratio.get_feature_names_out(), names)
    out = ratio.transform(X)
    np.testing.assert_allclose(out[:, 3], X[:, 0] / X[:, 2])
    np.testing.assert_allclose(out[:, 4], X[:, 2] / X[:, 1])
    assert ratio.pairs_ == [("x0", "x2"), ("x2", "x1")]
    frame = ratio.set_output(transform="pandas").transform(X)
    assert list(frame.columns) == names


@pytest.mark.parametrize(
    "pairs, X, err_type, err_msg",
    [
        (
            [("a", "zz")],
            pd.DataFrame({"a": [1.0], "b": [2.0]}),
            ValueError,
            r"pairs=\[\('a', 'zz'\)\]: column 'zz' is not in X",
        ),
        (
            [("a", "city")],
            pd.DataFrame({"a": [1.0], "city": ["x"]}),
            TypeError,
            r"column 'city' is a categorical \(string\) column; RatioFeatures needs a "
            "numeric or boolean column",
        ),
        (
            ("a", "b"),
            pd.DataFrame({"a": [1.0], "b": [2.0]}),
            ValueError,
            r"pairs=\('a', 'b'\): expected a sequence of \(a, b\) column pairs .* "
            "got the element 'a'",
        ),
        (
            [("a", "b", "a")],
            pd.DataFrame({"a": [1.0], "b": [2.0]}),
            ValueError,
            "got the element",
        ),
        (
            [],
            pd.DataFrame({"a": [1.0], "b": [2.0]}),
            ValueError,
            r"pairs=\[\]: it must name at least one column",
        ),
        (
            [(0, 3)],
            np.ones((2, 2)),
            ValueError,
            r"column 3 is not in X, which has 2 feature\(s\)",
        ),
        (
            [("a", "b")],
            pd.DataFrame({"a": [1.0], "b": [np.inf]}),
            ValueError,
            "column 'b' contains infinity",
        ),
        (
            [("a", "b")],
            pd.DataFrame({"a": [1.0], "b": [2.0], "a_per_b": [0.5]}),
            ValueError,
            r"duplicate column names \['a_per_b'\]",
        ),
    ],
)
def test_ratio_features_errors(pairs, X, err_type, err_msg):
    with pytest.raises(err_type, match=err_msg):
        RatioFeatures(pairs).fit(X)


def test_ratio_features_check_columns_again_at_transform():
    ratio = RatioFeatures([("a", "b")]).fit(pd.DataFrame({"a": [1.0], "b": [2.0]}))
    with pytest.raises(TypeError, match="column 'b' is a categorical"):
        ratio.transform(pd.DataFrame({"a": [1.0], "b": ["x"]}))


@settings(max_examples=50, deadline=None)
@given(
    X=arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.just(2)),
        elements=st.floats(allow_nan=True, allow_infinity=False),
    ),
    operation=st.sampled_from(["ratio", "product", "difference"]),
    min_denominator=st.sampled_from([None, 1e-3, 1.0]),
)
def test_ratio_features_output_is_never_infinite(X, operation, min_denominator):
    ratio = RatioFeatures(
        [(0, 1)], operation=operation, min_denominator=min_denominator
    )
    out = ratio.fit_transform(X)
    assert out.shape == (X.shape[0], 3)
    assert not np.isinf(out).any()
    np.testing.assert_array_equal(out[:, :2], X)
    missing = np.isnan(X).any(axis=1)
    assert np.isnan(out[missing, 2]).all()
