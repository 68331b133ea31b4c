import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeRegressor

from sklearn_workflow.features import GroupAggregator, _group
from sklearn_workflow.features._group import AGGREGATIONS

pl = pytest.importorskip("polars")

ALL = tuple(AGGREGATIONS)


def _customers(rng, n=500):
    df = pd.DataFrame(
        {
            "city": rng.choice(["Paris", "Tokyo", "Berlin", "Lima", None], n),
            "contract": rng.choice(["Monthly", "Annual"], n),
            "purchase_amount": np.round(rng.lognormal(3.0, 1.0, n), 1),
            "num_sessions": rng.poisson(10, n),
        }
    )
    df.loc[rng.random(n) < 0.15, "purchase_amount"] = np.nan
    return df


def _as(df, kind):
    return pl.from_pandas(df) if kind == "polars" else df


def _to_pandas(out):
    return out.to_pandas() if isinstance(out, pl.DataFrame) else out


def _pandas_reference(train, test, by, column, aggs):
    # groupby on the training rows (missing keys as a group), then a left merge
    # onto the test rows: what people write by hand.
    stats = train.groupby(by, dropna=False)[column].agg(list(aggs))
    stats.columns = [f"{column}_{agg}" for agg in aggs]
    return test[by].merge(stats, how="left", left_on=by, right_index=True)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize("by", [["city"], ["city", "contract"]])
def test_group_aggregator_matches_pandas_groupby_and_merge(kind, by, rng):
    df = _customers(rng)
    train, test = df.iloc[:400], df.iloc[400:].reset_index(drop=True)
    agg = GroupAggregator(
        by, {"purchase_amount": ALL, "num_sessions": ("max", "mean")}
    ).fit(_as(train, kind))
    out = _to_pandas(agg.transform(_as(test, kind)))
    suffix = "_".join(by)
    for column, aggs in [("purchase_amount", ALL), ("num_sessions", ("max", "mean"))]:
        expected = _pandas_reference(train, test, by, column, aggs)
        for a in aggs:
            ours = out[f"{column}_{a}_by_{suffix}"].to_numpy()
            np.testing.assert_allclose(
                ours, expected[f"{column}_{a}"].to_numpy(dtype=float), rtol=1e-9
            )


@pytest.mark.parametrize("by", [["city"], ["city", "contract"]])
def test_group_aggregator_sorted_lookup_matches_dense_lookup(by, rng, monkeypatch):
    # Many distinct key combinations compared with the rows switch the group
    # lookup from a dense table to a sort; both give the same groups.
    df = _customers(rng)
    train, test = df.iloc[:400], df.iloc[400:]
    agg = GroupAggregator(by, {"purchase_amount": ("mean", "max")})
    dense = agg.fit(train).transform(test)
    monkeypatch.setattr(_group, "_use_table", lambda n_codes, n_rows: False)
    sorted_ = agg.fit(train).transform(test)
    pd.testing.assert_frame_equal(sorted_, dense)
    expected = _pandas_reference(train, test, by, "purchase_amount", ("mean",))
    np.testing.assert_allclose(sorted_.iloc[:, -2], expected["purchase_amount_mean"])


def test_group_aggregator_matches_a_naive_loop_over_groups(rng):
    df = _customers(rng, n=200)
    agg = GroupAggregator("city", {"purchase_amount": ("median", "nunique", "std")})
    out = agg.fit_transform(df)
    reference = {}
    for key in df["city"].unique():
        rows = df["city"].isna() if pd.isna(key) else df["city"] == key
        values = df.loc[rows, "purchase_amount"].dropna().to_numpy()
        reference[None if pd.isna(key) else key] = (
            np.median(values) if len(values) else np.nan,
            len(set(values.tolist())),
            np.std(values, ddof=1) if len(values) > 1 else np.nan,
        )
    for i, key in enumerate(df["city"]):
        expected = reference[None if pd.isna(key) else key]
        row = out.iloc[i, -3:].to_numpy(dtype=float)
        np.testing.assert_allclose(row, expected)


@pytest.mark.parametrize(
    "handle_unknown, expected",
    [
        # unseen "Rome": the whole training column's mean / max, and 0 rows.
        ("global", [[10.0, 1.0, 10.0], [20.0, 0.0, 30.0], [20.0, 0.0, 30.0]]),
        ("nan", [[10.0, 1.0, 10.0], [np.nan] * 3, [np.nan] * 3]),
    ],
)
def test_group_aggregator_unseen_groups(handle_unknown, expected):
    train = pd.DataFrame({"city": ["Paris", "Tokyo", "Tokyo"], "x": [10.0, 20, 30]})
    test = pd.DataFrame({"city": ["Paris", "Rome", None], "x": [0.0, 0.0, 0.0]})
    agg = GroupAggregator("city", {"x": ("mean", "count", "max")})
    agg.set_params(handle_unknown=handle_unknown)
    out = agg.fit(train).transform(test)
    np.testing.assert_allclose(out.iloc[:, 2:].to_numpy(), np.array(expected) * 1.0)
    assert agg.n_groups_ == 2


def test_group_aggregator_unseen_groups_get_whole_column_statistics(rng):
    df = _customers(rng)
    agg = GroupAggregator("city", {"purchase_amount": ALL}).fit(df)
    out = agg.transform(df.iloc[:1].assign(city="Atlantis"))
    column = df["purchase_amount"]
    for name in ALL:
        expected = 0.0 if name in ("count", "sum", "nunique") else column.agg(name)
        assert out[f"purchase_amount_{name}_by_city"].iloc[0] == pytest.approx(expected)
    empty = GroupAggregator("g", {"v": ALL}).fit(
        pd.DataFrame({"g": ["a", "b"], "v": [np.nan, np.nan]})
    )
    unseen = empty.transform(pd.DataFrame({"g": ["c"], "v": [1.0]})).iloc[0, 2:]
    expected = [0.0 if name in ("count", "sum", "nunique") else np.nan for name in ALL]
    np.testing.assert_array_equal(unseen.to_numpy(dtype=float), expected)


def test_group_aggregator_unseen_groups_error():
    train = pd.DataFrame({"city": ["Paris", "Tokyo"], "x": [1.0, 2.0]})
    agg = GroupAggregator("city", {"x": "mean"}, handle_unknown="error").fit(train)
    agg.transform(train)
    test = pd.DataFrame({"city": ["Paris", "Rome"], "x": [1.0, 2.0]}, index=[7, 3])
    msg = r"1 row\(s\) .* not seen at fit, such as \('Rome',\) \(row 1\)"
    with pytest.raises(ValueError, match=msg):
        agg.transform(test)
    with pytest.raises(ValueError, match=msg):
        agg.transform(pl.from_pandas(test))


def test_group_aggregator_keys_of_any_kind_match_across_dtypes():
    train = pd.DataFrame(
        {
            "store": pd.array([1, 2, 2, None], dtype="Int64"),
            "kind": pd.Categorical(["a", "b", "b", "a"]),
            "day": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-01-01"]),
            "x": [1.0, 2.0, 4.0, 8.0],
        }
    )
    test = pd.DataFrame(
        {
            "store": [2.0, np.nan, 3.0],  # floats at transform, ints at fit
            "kind": ["b", "a", "b"],  # strings at transform, category at fit
            "day": pd.to_datetime(["2024-01-02", "2024-01-01", None]),
            "x": [0.0, 0.0, 0.0],
        }
    )
    for by, expected in [
        ("store", [3.0, 8.0, 3.75]),
        ("kind", [3.0, 4.5, 3.0]),
        ("day", [2.0, 4.5, 4.0]),
    ]:
        agg = GroupAggregator(by, {"x": "mean"}).fit(train)
        np.testing.assert_allclose(agg.transform(test)[f"x_mean_by_{by}"], expected)


def test_group_aggregator_non_numeric_columns_count_and_nunique():
    X = pd.DataFrame(
        {
            "city": ["a", "a", "a", "b"],
            "product": ["p", "q", None, "p"],
        }
    )
    out = GroupAggregator("city", {"product": ("count", "nunique")}).fit_transform(X)
    np.testing.assert_allclose(out.iloc[:, 2:].to_numpy(), [[2, 2]] * 3 + [[1, 1]])


def test_group_aggregator_numpy_input_and_names(rng):
    X = np.column_stack([rng.integers(0, 4, 50), rng.normal(size=50)])
    agg = GroupAggregator(0, {1: ("sum", "min")}).fit(X)
    np.testing.assert_array_equal(
        agg.get_feature_names_out(), ["x0", "x1", "x1_sum_by_x0", "x1_min_by_x0"]
    )
    out = agg.transform(X)
    frame = pd.DataFrame(X)
    np.testing.assert_allclose(out[:, 2], frame.groupby(0)[1].transform("sum"))
    np.testing.assert_allclose(out[:, 3], frame.groupby(0)[1].transform("min"))
    assert agg.aggregations_ == [("x1", "sum"), ("x1", "min")]


def test_group_aggregator_numpy_object_array_with_string_keys():
    X = np.array(
        [["a", 1.0], ["b", 2.0], ["a", 3.0], [None, 4.0], ["b", np.nan]], dtype=object
    )
    out = GroupAggregator(0, {1: ("mean", "count")}).fit_transform(X)
    assert out.dtype == object
    expected = [[2.0, 2.0], [2.0, 1.0], [2.0, 2.0], [4.0, 1.0], [2.0, 1.0]]
    np.testing.assert_allclose(out[:, 2:].astype(float), expected)


def test_group_aggregator_round_trips_through_skops(rng):
    sio = pytest.importorskip("skops.io")
    df = _customers(rng)
    agg = GroupAggregator(["city", "contract"], {"purchase_amount": ALL}).fit(df)
    data = sio.dumps(agg)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    pd.testing.assert_frame_equal(loaded.transform(df), agg.transform(df))


def test_group_aggregator_has_no_leakage_in_cross_validation(rng):
    # Inside a cross-validated pipeline, the statistics used for a validation
    # fold come from the other folds only.
    X = pd.DataFrame({"g": rng.integers(0, 5, 60), "x": rng.normal(size=60)})
    y = rng.normal(size=60)
    pipe = make_pipeline(
        GroupAggregator("g", {"x": "mean"}, handle_unknown="nan"),
        DecisionTreeRegressor(max_depth=1),
    )
    cv = KFold(3)
    cross_val_predict(pipe, X, y, cv=cv)
    for train_idx, test_idx in cv.split(X):
        fitted = pipe.fit(X.iloc[train_idx], y[train_idx])[0]
        out = fitted.transform(X.iloc[test_idx])
        train_means = X.iloc[train_idx].groupby("g")["x"].mean()
        expected = X.iloc[test_idx]["g"].map(train_means)
        np.testing.assert_allclose(out["x_mean_by_g"], expected)


@pytest.mark.parametrize(
    "params, X, err_type, err_msg",
    [
        (
            {"by": "nope", "aggregations": {"x": "mean"}},
            pd.DataFrame({"g": [1], "x": [1.0]}),
            ValueError,
            "by='nope': column 'nope' is not in X",
        ),
        (
            {"by": "g", "aggregations": {"zz": "mean"}},
            pd.DataFrame({"g": [1], "x": [1.0]}),
            ValueError,
            "aggregations=.*: column 'zz' is not in X",
        ),
        (
            {"by": "g", "aggregations": {"x": "average"}},
            pd.DataFrame({"g": [1], "x": [1.0]}),
            ValueError,
            r"aggregations\['x'\] has the unknown aggregation 'average'",
        ),
        (
            {"by": "g", "aggregations": {"x": ()}},
            pd.DataFrame({"g": [1], "x": [1.0]}),
            ValueError,
            r"aggregations\['x'\] names no aggregation",
        ),
        (
            {"by": "g", "aggregations": {}},
            pd.DataFrame({"g": [1], "x": [1.0]}),
            ValueError,
            "aggregations={}: it must name at least one column",
        ),
        (
            {"by": (), "aggregations": {"x": "mean"}},
            pd.DataFrame({"g": [1], "x": [1.0]}),
            ValueError,
            r"by=\(\): it must name at least one column",
        ),
        (
            {"by": "g", "aggregations": {"s": ("count", "mean")}},
            pd.DataFrame({"g": [1], "s": ["a"]}),
            TypeError,
            "column 's' is a categorical .* GroupAggregator needs a numeric or boolean",
        ),
        (
            {"by": "g", "aggregations": {"x": "sum"}},
            pd.DataFrame({"g": [1, 2], "x": [1.0, np.inf]}),
            ValueError,
            "column 'x' contains infinity",
        ),
    ],
)
def test_group_aggregator_errors(params, X, err_type, err_msg):
    with pytest.raises(err_type, match=err_msg):
        GroupAggregator(**params).fit(X)


@settings(max_examples=40, deadline=None)
@given(
    keys=st.lists(st.sampled_from(["a", "b", "c", None]), min_size=1, max_size=40),
    data=st.data(),
)
def test_group_aggregator_training_rows_get_their_groupby_statistics(keys, data):
    values = data.draw(
        st.lists(
            st.one_of(st.none(), st.floats(-1e3, 1e3)),
            min_size=len(keys),
            max_size=len(keys),
        )
    )
    X = pd.DataFrame({"k": keys, "v": [np.nan if v is None else v for v in values]})
    out = GroupAggregator("k", {"v": ALL}).fit_transform(X)
    grouped = X.groupby("k", dropna=False)["v"]
    for agg in ALL:
        expected = grouped.transform(agg).to_numpy(dtype=float)
        np.testing.assert_allclose(
            out[f"v_{agg}_by_k"].to_numpy(), expected, rtol=1e-7, atol=1e-9
        )
