import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer

from sklearn_workflow.features import Binner

pl = pytest.importorskip("polars")

SEED_TIERS = (0, 10, 50, 200, np.inf)
SEED_LABELS = ("low", "medium", "high", "premium")


def _random_frame(rng, n=400):
    df = pd.DataFrame(
        {
            "amount": rng.lognormal(3.0, 1.0, n),
            "score": rng.normal(0.0, 1.0, n),
            "visits": rng.poisson(2.0, n).astype(float),  # many ties
            "city": rng.choice(["Paris", "Tokyo"], n),
        }
    )
    for col in ["amount", "score", "visits"]:
        df.loc[rng.random(n) < 0.1, col] = np.nan
    return df


def _as(df, kind):
    return pl.from_pandas(df) if kind == "polars" else df


def _to_pandas(out):
    return out.to_pandas() if isinstance(out, pl.DataFrame) else out


def _naive_bins(values, edges, closed):
    # A plain loop: the bin of a value is the number of inner edges below it
    # (below or equal to it for left-closed bins); NaN stays NaN.
    inner = edges[1:-1]
    out = []
    for v in values:
        if np.isnan(v):
            out.append(np.nan)
        elif closed == "right":
            out.append(sum(e < v for e in inner))
        else:
            out.append(sum(e <= v for e in inner))
    return np.array(out, dtype=float)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize("strategy", ["quantile", "uniform"])
@pytest.mark.parametrize("closed", ["right", "left"])
def test_binner_matches_naive_binning_with_missing_values(kind, strategy, closed, rng):
    df = _random_frame(rng)
    train, test = df.iloc[:300], df.iloc[300:].reset_index(drop=True)
    cols = ["amount", "score", "visits"]
    binner = Binner(cols, bins=4, strategy=strategy, closed=closed)
    binner.fit(_as(train, kind))
    out = _to_pandas(binner.transform(_as(test, kind)))
    assert list(out.columns) == ["amount_bin", "score_bin", "visits_bin", "city"]
    for k, col in enumerate(cols):
        present = train[col].dropna().to_numpy()
        if strategy == "quantile":
            expected_edges = np.unique(np.quantile(present, np.linspace(0, 1, 5)))
        else:
            expected_edges = np.linspace(present.min(), present.max(), 5)
        np.testing.assert_allclose(binner.bin_edges_[k], expected_edges)
        expected = _naive_bins(test[col].to_numpy(), expected_edges, closed)
        np.testing.assert_array_equal(out[f"{col}_bin"].to_numpy(), expected)
    pd.testing.assert_series_equal(out["city"], test["city"], check_dtype=False)


def test_binner_quantile_matches_feature_engine_equal_frequency():
    # feature_engine refuses missing values: compare on complete rows. Its bins
    # are right-closed with the outer edges at -inf / inf, like ours.
    discretisation = pytest.importorskip("feature_engine.discretisation")
    rng = np.random.default_rng(0)
    df = _random_frame(rng).dropna().reset_index(drop=True)
    train, test = df.iloc[:250], df.iloc[250:].copy()
    test.loc[test.index[0], "amount"] = -50.0  # out of the training range
    cols = ["amount", "score", "visits"]
    ours = Binner(cols, bins=5).fit(train)
    theirs = discretisation.EqualFrequencyDiscretiser(variables=cols, q=5).fit(train)
    out, expected = ours.transform(test), theirs.transform(test)
    for k, col in enumerate(cols):
        np.testing.assert_allclose(
            ours.bin_edges_[k][1:-1], theirs.binner_dict_[col][1:-1]
        )
        np.testing.assert_array_equal(out[f"{col}_bin"], expected[col])


def test_binner_uniform_matches_feature_engine_and_kbins_discretizer():
    discretisation = pytest.importorskip("feature_engine.discretisation")
    rng = np.random.default_rng(1)
    df = _random_frame(rng).dropna().reset_index(drop=True)
    cols = ["amount", "score"]
    ours = Binner(cols, bins=6, strategy="uniform").fit_transform(df)
    fe = discretisation.EqualWidthDiscretiser(variables=cols, bins=6).fit_transform(df)
    for col in cols:
        np.testing.assert_array_equal(ours[f"{col}_bin"], fe[col])
    # KBinsDiscretizer's bins are closed on the left.
    left = Binner(cols, bins=6, strategy="uniform", closed="left").fit_transform(df)
    kbins = KBinsDiscretizer(n_bins=6, strategy="uniform", encode="ordinal")
    np.testing.assert_array_equal(
        left[["amount_bin", "score_bin"]].to_numpy(), kbins.fit_transform(df[cols])
    )


def test_binner_seed_purchase_tiers_match_pandas_cut():
    rng = np.random.default_rng(3)
    amount = pd.Series(rng.lognormal(3.0, 1.0, 200), name="purchase_amount")
    amount[::9] = np.nan
    X = amount.to_frame()
    out = Binner(
        "purchase_amount", bins=SEED_TIERS, labels=SEED_LABELS, encode="label"
    ).fit_transform(X)
    expected = pd.cut(amount, bins=list(SEED_TIERS), labels=list(SEED_LABELS))
    assert isinstance(out["purchase_amount_bin"].dtype, pd.CategoricalDtype)
    assert out["purchase_amount_bin"].cat.ordered
    assert list(out["purchase_amount_bin"].cat.categories) == list(SEED_LABELS)
    pd.testing.assert_series_equal(
        out["purchase_amount_bin"].astype(object),
        expected.astype(object).rename("purchase_amount_bin"),
    )


def test_binner_out_of_range_values_go_to_the_edge_bins():
    X = pd.DataFrame({"x": [0.0, 10.0]})
    binner = Binner("x", bins=(0, 10, 50), labels=("a", "b")).fit(X)
    out = binner.transform(pd.DataFrame({"x": [-3.0, 0.0, 10.0, 10.5, 80.0, np.nan]}))
    np.testing.assert_array_equal(out["x_bin"], [0, 0, 0, 1, 1, np.nan])
    left = Binner("x", bins=(0, 10, 50), closed="left").fit(X)
    out = left.transform(pd.DataFrame({"x": [-3.0, 0.0, 10.0, 80.0]}))
    np.testing.assert_array_equal(out["x_bin"], [0, 0, 1, 1])


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_binner_onehot_names_and_missing_values(kind):
    X = pd.DataFrame({"id": [1, 2, 3, 4], "x": [1.0, 20.0, np.nan, 300.0]})
    binner = Binner("x", bins=SEED_TIERS, labels=SEED_LABELS, encode="onehot")
    out = _to_pandas(binner.fit_transform(_as(X, kind)))
    names = ["id", "x_low", "x_medium", "x_high", "x_premium"]
    assert list(out.columns) == names
    assert list(binner.get_feature_names_out()) == names
    expected = [[1, 0, 0, 0], [0, 1, 0, 0], [np.nan] * 4, [0, 0, 0, 1]]
    np.testing.assert_array_equal(out.iloc[:, 1:].to_numpy(), expected)
    unlabelled = Binner("x", bins=(0, 10, 50), encode="onehot").fit(X)
    assert list(unlabelled.get_feature_names_out()) == ["id", "x_bin0", "x_bin1"]


def test_binner_label_output_in_polars_and_numpy():
    X = pd.DataFrame({"x": [5.0, np.nan, 75.0]})
    binner = Binner("x", bins=SEED_TIERS, labels=SEED_LABELS, encode="label")
    out = binner.fit_transform(pl.from_pandas(X))
    assert out.schema["x_bin"] == pl.Enum(list(SEED_LABELS))
    assert out["x_bin"].to_list() == ["low", None, "high"]
    arr = Binner(0, bins=SEED_TIERS, labels=SEED_LABELS, encode="label")
    values = arr.fit_transform(X.to_numpy())
    assert values.dtype == object
    assert values[0, 0] == "low" and pd.isna(values[1, 0])


def test_binner_default_labels_say_the_intervals():
    X = pd.DataFrame({"x": [1.0, 2.0]})
    right = Binner("x", bins=(0, 10, 50, 200), encode="label").fit(X)
    assert right.labels_ == [["(-inf, 10]", "(10, 50]", "(50, inf)"]]
    left = Binner("x", bins=(0, 10, 50, 200), closed="left").fit(X)
    assert left.labels_ == [["(-inf, 10)", "[10, 50)", "[50, inf)"]]


def test_binner_default_labels_stay_distinct_for_close_edges():
    # Epoch seconds one second apart: the quartile edges (1700000002.75, ...)
    # differ only in the 10th digit, where 6 significant digits would merge them.
    X = pd.DataFrame({"t": 1_700_000_000.0 + np.arange(12)})
    binner = Binner("t", bins=4, encode="label").fit(X)
    assert binner.labels_[0] == [
        "(-inf, 1700000003]",
        "(1700000003, 1700000006]",
        "(1700000006, 1700000008]",
        "(1700000008, inf)",
    ]
    assert binner.transform(X)["t_bin"].nunique() == 4


def test_binner_constant_and_empty_columns_get_one_bin():
    X = pd.DataFrame({"c": [3.0, 3.0, 3.0], "e": [np.nan] * 3})
    binner = Binner(["c", "e"], bins=4).fit(X)
    np.testing.assert_array_equal(binner.n_bins_, [1, 1])
    out = binner.transform(pd.DataFrame({"c": [-1.0, 3.0, 9.0], "e": [1.0, 2.0, 3.0]}))
    np.testing.assert_array_equal(out.to_numpy(), np.zeros((3, 2)))


def test_binner_drop_original_false_and_columns_none():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["u", "v", "u", "v"]})
    kept = Binner("a", bins=2, drop_original=False).fit(X)
    assert list(kept.get_feature_names_out()) == ["a", "a_bin", "b"]
    out = kept.transform(X)
    np.testing.assert_array_equal(out["a"], X["a"])
    np.testing.assert_array_equal(out["a_bin"], [0, 0, 1, 1])
    assert Binner(None, bins=2).fit(X).columns_ == ["a"]


def test_binner_in_grid_search_and_column_transformer(rng):
    # The target switches at x = 0.5, a quartile edge: 8 bins find it, 2 cannot.
    x = rng.permutation(np.linspace(-1.0, 1.0, 120))
    X = pd.DataFrame({"x": x, "city": rng.choice(["a", "b"], 120)})
    y = (X["x"] > 0.5).astype(int)
    pipe = make_pipeline(
        Binner("x", encode="onehot"),
        ColumnTransformer([("drop_city", "drop", ["city"])], remainder="passthrough"),
        LogisticRegression(),
    )
    search = GridSearchCV(pipe, {"binner__bins": [2, 8]}, cv=3).fit(X, y)
    assert search.best_params_ == {"binner__bins": 8}
    ct = ColumnTransformer(
        [("bins", Binner(["x"], bins=3), ["x"])], remainder="passthrough"
    ).fit(X)
    assert list(ct.get_feature_names_out()) == ["bins__x_bin", "remainder__city"]


def test_binner_round_trips_through_skops():
    sio = pytest.importorskip("skops.io")
    X = pd.DataFrame({"a": [1.0, 5.0, 7.0, np.nan], "b": [0.0, 1.0, 2.0, 3.0]})
    binner = Binner(["a", "b"], bins=3, encode="label").fit(X)
    data = sio.dumps(binner)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    pd.testing.assert_frame_equal(loaded.transform(X), binner.transform(X))


@pytest.mark.parametrize(
    "params, X, err_type, err_msg",
    [
        (
            {"columns": "nope"},
            pd.DataFrame({"x": [1.0, 2.0]}),
            ValueError,
            "columns='nope': column 'nope' is not in X",
        ),
        (
            {"columns": "city"},
            pd.DataFrame({"city": ["a", "b"]}),
            TypeError,
            "columns='city': column 'city' is a categorical",
        ),
        (
            {"columns": "x", "bins": (0, 10, 5)},
            pd.DataFrame({"x": [1.0, 2.0]}),
            ValueError,
            r"strictly increasing numbers, got \(0, 10, 5\)",
        ),
        (
            {"columns": "x", "bins": (3,)},
            pd.DataFrame({"x": [1.0, 2.0]}),
            ValueError,
            "needs at least 2 of them",
        ),
        (
            {"columns": "x", "bins": ("a", "b")},
            pd.DataFrame({"x": [1.0, 2.0]}),
            TypeError,
            "bins must be an int or a sequence of numbers",
        ),
        (
            {"columns": "x", "bins": (0, 10, 50), "labels": ("a", "b", "c")},
            pd.DataFrame({"x": [1.0, 2.0]}),
            ValueError,
            r"labels has 3 entries but column 'x' has 2 bin\(s\)",
        ),
        (
            {"columns": "x", "bins": 4, "labels": ("a", "b", "c", "d")},
            pd.DataFrame({"x": [1.0, 1.0, 1.0, 2.0]}),
            ValueError,
            r"labels has 4 entries but column 'x' has 2 bin\(s\)",
        ),
        (
            {"columns": "x", "bins": (0, 10, 50), "labels": ("a", "a")},
            pd.DataFrame({"x": [1.0, 2.0]}),
            ValueError,
            "labels must be distinct",
        ),
        (
            {"columns": "x"},
            pd.DataFrame({"x": [1.0, -np.inf]}),
            ValueError,
            "columns='x': column 'x' contains infinity",
        ),
    ],
)
def test_binner_errors(params, X, err_type, err_msg):
    with pytest.raises(err_type, match=err_msg):
        Binner(**params).fit(X)


finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(
    train=arrays(np.float64, st.integers(1, 40), elements=finite),
    test=arrays(np.float64, st.integers(1, 40), elements=finite),
    n_bins=st.integers(2, 8),
    strategy=st.sampled_from(["quantile", "uniform"]),
)
def test_binner_bins_are_in_range_and_monotone(train, test, n_bins, strategy):
    binner = Binner(0, bins=n_bins, strategy=strategy).fit(train.reshape(-1, 1))
    out = binner.transform(test.reshape(-1, 1))[:, 0]
    assert 1 <= binner.n_bins_[0] <= n_bins
    assert ((out >= 0) & (out < binner.n_bins_[0])).all()
    order = np.argsort(test, kind="stable")
    assert (np.diff(out[order]) >= 0).all()


@pytest.mark.parametrize("keep, drop", [(True, False), (False, True)])
def test_keep_original_is_deprecated_for_drop_original(keep, drop):
    from sklearn_workflow.features import LogTransformer

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 40.0], "b": ["u", "v", "u", "v"]})
    for old, new in [
        (
            Binner("a", bins=2, keep_original=keep),
            Binner("a", bins=2, drop_original=drop),
        ),
        (
            LogTransformer("a", keep_original=keep),
            LogTransformer("a", drop_original=drop),
        ),
    ]:
        with pytest.warns(
            FutureWarning,
            match=r"keep_original is deprecated.*"
            f"drop_original={drop}",
        ):
            old.fit(X)
        assert list(old.get_feature_names_out()) == list(
            new.fit(X).get_feature_names_out()
        )
