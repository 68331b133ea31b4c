"""partial_fit and merge of the feature transformers: any partitioning fits as fit."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklearn_workflow.features import Binner, GroupAggregator, LogTransformer
from sklearn_workflow.features._binner import interval_labels
from sklearn_workflow.scale import fit_partitions
from sklearn_workflow.scale._sketch import QuantileSketch

HYPOTHESIS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Values with NaN (missing); integers scaled so that columns are skewed or not.
_value = st.one_of(
    st.integers(-20, 20).map(float),
    st.integers(0, 10**4).map(lambda v: v / 7.0),
    st.just(np.nan),
)


@st.composite
def frames_and_cuts(draw, min_rows=2, max_rows=60):
    """A frame of two numeric columns and cut points that split its rows."""
    n = draw(st.integers(min_rows, max_rows))
    a = draw(st.lists(_value, min_size=n, max_size=n))
    b = draw(st.lists(_value, min_size=n, max_size=n))
    a[0] = 1.0  # a value in every column, so both stay numeric
    b[0] = 0.5
    cuts = sorted(set(draw(st.lists(st.integers(1, n - 1), max_size=4))))
    X = pd.DataFrame({"a": a, "b": b, "city": ["Paris"] * n})
    return X, cuts


def _chunks(X, cuts):
    bounds = [0, *cuts, len(X)]
    return [X.iloc[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:])]


def _partial(estimator, chunks, how):
    """Fit chunk by chunk (``"partial"``) or one estimator per chunk, merged."""
    if how == "partial":
        for chunk in chunks:
            estimator.partial_fit(chunk)
        return estimator
    fitted = [
        estimator.__class__(**estimator.get_params()).partial_fit(c) for c in chunks
    ]
    for other in fitted[1:]:
        fitted[0].merge(other)
    return fitted[0]


def _naive_skewness(values):
    """Adjusted Fisher-Pearson skewness by plain sums (as pandas)."""
    x = [v for v in values if not np.isnan(v)]
    n = len(x)
    if n < 3:
        return np.nan
    mean = sum(x) / n
    m2 = sum((v - mean) ** 2 for v in x) / n
    m3 = sum((v - mean) ** 3 for v in x) / n
    if m2 <= 1e-14 * max(1.0, sum(v * v for v in x) / n):
        return 0.0
    return m3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)


# -- LogTransformer ----------------------------------------------------------------


@HYPOTHESIS
@given(data=frames_and_cuts(), how=st.sampled_from(["partial", "merge"]))
@pytest.mark.parametrize("params", [{}, {"columns": ["a", "b"], "offset": "auto"}])
def test_log_transformer_any_partitioning_fits_as_fit(data, how, params):
    X, cuts = data
    full = LogTransformer(**params).fit(X)
    parts = _partial(LogTransformer(**params), _chunks(X, cuts), how)
    assert full.skewness_.keys() == parts.skewness_.keys()
    for name, skew in full.skewness_.items():
        np.testing.assert_allclose(parts.skewness_[name], skew, rtol=1e-12, atol=1e-12)
        naive = _naive_skewness(X[name].to_numpy())
        np.testing.assert_allclose(skew, naive, rtol=1e-9, atol=1e-9)
    if all(abs(s - 1.0) > 1e-9 for s in full.skewness_.values()):
        assert parts.columns_ == full.columns_
        np.testing.assert_array_equal(parts.column_indices_, full.column_indices_)
        np.testing.assert_array_equal(parts.min_, full.min_)
        np.testing.assert_array_equal(parts.offset_, full.offset_)
        pd.testing.assert_frame_equal(parts.transform(X), full.transform(X))


def test_log_transformer_fit_partitions_equals_fit():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"amount": rng.lognormal(size=300), "age": rng.normal(40, 9, 300)})
    X.loc[[3, 50], "amount"] = np.nan
    chunks = [X.iloc[:40], X.iloc[40:41], X.iloc[41:200], X.iloc[200:]]
    full = LogTransformer().fit(X)
    parts = fit_partitions(LogTransformer(), chunks)
    assert parts.columns_ == full.columns_ == ["amount"]
    np.testing.assert_array_equal(parts.min_, np.nanmin(X["amount"]))
    for name in ("amount", "age"):
        expected = X[name].skew()
        assert parts.skewness_[name] == pytest.approx(expected, rel=1e-12)
    pd.testing.assert_frame_equal(parts.transform(X), full.transform(X))


def test_log_transformer_partial_fit_after_fit_accumulates():
    X = pd.DataFrame({"t": [-2.0, 0.0, 6.0, 1.0, 40.0, 3.0]})
    after_fit = LogTransformer(columns="t").fit(X.iloc[:3]).partial_fit(X.iloc[3:])
    whole = LogTransformer(columns="t").fit(X)
    assert after_fit.skewness_["t"] == pytest.approx(whole.skewness_["t"], rel=1e-12)
    np.testing.assert_array_equal(after_fit.offset_, [2.0])


def test_log_transformer_merge_leaves_other_unchanged():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 500.0, 7.0, 9.0]})
    left = LogTransformer().partial_fit(X.iloc[:3])
    right = LogTransformer().partial_fit(X.iloc[3:])
    before = dict(right.skewness_)
    left.merge(right)
    assert right.skewness_ == before
    assert left.skewness_["a"] == pytest.approx(X["a"].skew(), rel=1e-12)


# -- Binner ------------------------------------------------------------------------


def _rank_interval(values, edge):
    """Normalised ranks ``[P(x < edge), P(x <= edge)]`` of an edge in the data."""
    present = values[~np.isnan(values)]
    return np.mean(present < edge), np.mean(present <= edge)


@HYPOTHESIS
@given(
    data=frames_and_cuts(min_rows=2, max_rows=400),
    how=st.sampled_from(["partial", "merge"]),
    bins=st.integers(2, 6),
)
def test_binner_quantile_edges_within_the_sketch_rank_error(data, how, bins):
    X, cuts = data
    full = Binner(["a", "b"], bins=bins).fit(X)
    parts = _partial(Binner(["a", "b"], bins=bins), _chunks(X, cuts), how)
    eps = QuantileSketch().rank_error
    wanted = np.linspace(0.0, 1.0, bins + 1)
    for k, name in enumerate(["a", "b"]):
        values = X[name].to_numpy()
        edges = parts.bin_edges_[k]
        assert edges[0] == full.bin_edges_[k][0] == np.nanmin(values)
        assert edges[-1] == full.bin_edges_[k][-1] == np.nanmax(values)
        assert np.all(np.diff(edges) > 0) or len(edges) == 2
        for edge in edges:  # every edge is near the rank of an asked quantile
            low, high = _rank_interval(values, edge)
            distance = np.maximum(np.maximum(low - wanted, wanted - high), 0.0)
            assert distance.min() <= eps
        assert parts.labels_[k] == interval_labels(edges, "right")


@HYPOTHESIS
@given(data=frames_and_cuts(), how=st.sampled_from(["partial", "merge"]))
def test_binner_uniform_edges_equal_fit(data, how):
    X, cuts = data
    params = {"columns": None, "bins": 3, "strategy": "uniform", "encode": "onehot"}
    full = Binner(**params).fit(X)
    parts = _partial(Binner(**params), _chunks(X, cuts), how)
    assert parts.columns_ == full.columns_ == ["a", "b"]
    for mine, theirs in zip(parts.bin_edges_, full.bin_edges_):
        np.testing.assert_array_equal(mine, theirs)
    assert parts.labels_ == full.labels_
    pd.testing.assert_frame_equal(parts.transform(X), full.transform(X))


def test_binner_fit_partitions_equals_fit_on_small_data():
    # Fewer values than the sketch size: it keeps them all; edges are data values
    # at the asked ranks (lower value at a tie of ranks), not interpolated.
    X = pd.DataFrame({"n": [5.0, 1.0, np.nan, 3.0, 2.0, 4.0, 6.0, 7.0, 8.0]})
    chunks = [X.iloc[:2], X.iloc[2:3], X.iloc[3:]]
    parts = fit_partitions(Binner("n", bins=4), chunks)
    sketch = QuantileSketch().update(X[["n"]])
    expected = np.unique(sketch.quantiles(np.linspace(0, 1, 5))[0])
    np.testing.assert_array_equal(parts.bin_edges_[0], expected)
    np.testing.assert_array_equal(parts.bin_edges_[0], [1.0, 2.0, 4.0, 6.0, 8.0])
    given = fit_partitions(Binner("n", bins=(0, 3, 9), labels=("lo", "hi")), chunks)
    full = Binner("n", bins=(0, 3, 9), labels=("lo", "hi")).fit(X)
    np.testing.assert_array_equal(given.bin_edges_[0], full.bin_edges_[0])
    pd.testing.assert_frame_equal(given.transform(X), full.transform(X))


def test_binner_large_partitions_quantiles_within_rank_error():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"amount": rng.lognormal(size=20_000)})
    chunks = [X.iloc[i : i + 3_000] for i in range(0, 20_000, 3_000)]
    parts = fit_partitions(Binner("amount", bins=10), chunks)
    eps = QuantileSketch().rank_error
    values = X["amount"].to_numpy()
    for q, edge in zip(np.linspace(0, 1, 11), parts.bin_edges_[0]):
        low, high = _rank_interval(values, edge)
        assert low - eps <= q <= high + eps


def test_binner_partial_fit_after_fit_starts_over():
    X = pd.DataFrame({"n": [1.0, 2.0, 3.0, 100.0, 200.0, 300.0]})
    b = Binner("n", bins=2, strategy="uniform").fit(X.iloc[:3])
    b.partial_fit(X.iloc[3:])
    np.testing.assert_array_equal(b.bin_edges_[0], [100.0, 200.0, 300.0])


# -- GroupAggregator --------------------------------------------------------------

_AGGREGATIONS = {
    "a": ("count", "sum", "mean", "std", "var", "min", "max"),
    "city": "count",
}


@st.composite
def grouped_frames_and_cuts(draw):
    X, cuts = draw(frames_and_cuts(max_rows=50))
    keys = st.sampled_from(["Paris", "Rome", "Oslo", None])
    X["city"] = draw(st.lists(keys, min_size=len(X), max_size=len(X)))
    X["key"] = draw(st.lists(st.integers(0, 4), min_size=len(X), max_size=len(X)))
    return X, cuts


def _naive_group_statistics(X, by, column):
    """Per group (missing key included) statistics by plain loops over the rows."""
    groups = {}
    for key, value in zip(X[by], X[column]):
        key = None if pd.isna(key) else key
        groups.setdefault(key, [])
        if not pd.isna(value):
            groups[key].append(float(value))
    out = {}
    for key, values in groups.items():
        n = len(values)
        mean = sum(values) / n if n else np.nan
        var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else np.nan
        out[key] = {
            "count": n,
            "sum": sum(values),
            "mean": mean,
            "var": var,
            "std": np.sqrt(var),
            "min": min(values, default=np.nan),
            "max": max(values, default=np.nan),
        }
    return out


@HYPOTHESIS
@given(data=grouped_frames_and_cuts(), how=st.sampled_from(["partial", "merge"]))
@pytest.mark.parametrize("by", ["city", "key"])
def test_group_aggregator_any_partitioning_fits_as_fit(data, how, by):
    X, cuts = data
    aggregations = {"a": _AGGREGATIONS["a"], "b": ("count", "mean")}
    full = GroupAggregator(by, aggregations).fit(X)
    parts = _partial(GroupAggregator(by, aggregations), _chunks(X, cuts), how)
    assert parts.n_groups_ == full.n_groups_
    assert parts.aggregations_ == full.aggregations_
    # The groups are in another order: compare them through their keys.
    probe = X.drop_duplicates(subset=[by]).reset_index(drop=True)
    got, expected = parts.transform(probe), full.transform(probe)
    np.testing.assert_allclose(
        got.iloc[:, X.shape[1] :], expected.iloc[:, X.shape[1] :], rtol=1e-12
    )
    np.testing.assert_allclose(parts.unknown_values_, full.unknown_values_, rtol=1e-12)
    naive = _naive_group_statistics(X, by, "a")
    for row, key in enumerate(probe[by]):
        key = None if pd.isna(key) else key
        for agg in _AGGREGATIONS["a"]:
            value = got[f"a_{agg}_by_{by}"].iloc[row]
            np.testing.assert_allclose(value, naive[key][agg], rtol=1e-9, atol=1e-12)


def test_group_aggregator_fit_partitions_equals_fit():
    rng = np.random.default_rng(1)
    n = 500
    X = pd.DataFrame(
        {
            "city": rng.choice(["Paris", "Rome", "Oslo", None], n),
            "amount": rng.lognormal(size=n),
            "channel": rng.choice(["web", "shop", None], n),
        }
    )
    X.loc[X.index[::7], "amount"] = np.nan
    X.loc[(X["city"] == "Oslo").to_numpy(), "amount"] = np.nan  # no value at all
    chunks = [X.iloc[:90], X.iloc[90:91], X.iloc[91:300], X.iloc[300:]]
    params = {"by": "city", "aggregations": _AGGREGATIONS | {"channel": "count"}}
    params["aggregations"].pop("a")
    params["aggregations"]["amount"] = _AGGREGATIONS["a"]
    full = GroupAggregator(**params).fit(X)
    parts = fit_partitions(GroupAggregator(**params), chunks)
    test = pd.DataFrame(
        {"city": ["Paris", "Oslo", None, "Lima"], "amount": 1.0, "channel": "web"}
    )
    pd.testing.assert_frame_equal(parts.transform(test), full.transform(test))
    np.testing.assert_allclose(parts.unknown_values_, full.unknown_values_, rtol=1e-12)
    expected = X.groupby("city", dropna=False)["amount"].agg(["sum", "count"])
    got = parts.transform(test).set_index("city")
    for city in ("Paris", "Oslo"):
        assert got.loc[city, "amount_count_by_city"] == expected.loc[city, "count"]
        assert got.loc[city, "amount_sum_by_city"] == pytest.approx(
            expected.loc[city, "sum"], rel=1e-12
        )


@pytest.mark.parametrize(
    "params, err_msg",
    [
        ({"aggregations": {"a": ("mean", "median")}}, r"\['median'\] cannot be merged"),
        ({"aggregations": {"city": "nunique"}}, r"\['nunique'\] cannot be merged"),
        ({"by": ["city", "b"]}, "group by one column; got 2"),
    ],
)
def test_group_aggregator_partial_fit_refuses(params, err_msg):
    X = pd.DataFrame({"city": ["Paris", None], "a": [1.0, 2.0], "b": [0.0, 1.0]})
    estimator = GroupAggregator(
        **({"by": "city", "aggregations": {"a": "mean"}} | params)
    )
    with pytest.raises(ValueError, match=err_msg):
        estimator.partial_fit(X)
    estimator.fit(X)  # fit computes them


# -- errors ------------------------------------------------------------------------


def _fitted(cls, X, **params):
    return cls(**params).partial_fit(X)


_AB = pd.DataFrame({"a": [1.0, 2.0, 9.0], "b": [3.0, 4.0, 5.0]})
_BA = _AB[["b", "a"]]
_A_TEXT = _AB.assign(a=["x", "y", "z"])


@pytest.mark.parametrize(
    "left, right, err_type, err_msg",
    [
        (
            _fitted(LogTransformer, _AB),
            _fitted(LogTransformer, _BA),
            ValueError,
            r"different input columns \(\['a', 'b'\] and \['b', 'a'\]\)",
        ),
        (
            _fitted(LogTransformer, _AB),
            _fitted(LogTransformer, _A_TEXT),
            ValueError,
            r"use different columns \(\['a', 'b'\] and \['b'\]\).*picked by kind",
        ),
        (
            _fitted(LogTransformer, _AB),
            _fitted(LogTransformer, _AB, skew_threshold=0.5),
            ValueError,
            r"differ in skew_threshold \(1.0 and 0.5\)",
        ),
        (
            _fitted(LogTransformer, _AB),
            _fitted(Binner, _AB, columns=None),
            TypeError,
            "LogTransformer.merge needs another LogTransformer, got Binner",
        ),
        (
            _fitted(Binner, _AB, columns=None),
            Binner(None).fit(_AB),
            ValueError,
            "other has no accumulated state",
        ),
        (
            _fitted(Binner, _AB, columns=None),
            _fitted(Binner, _AB, columns=None, strategy="uniform"),
            ValueError,
            r"differ in strategy \('quantile' and 'uniform'\)",
        ),
        (
            _fitted(Binner, _AB, columns=None),
            _fitted(Binner, _A_TEXT, columns=None),
            ValueError,
            "use different columns",
        ),
        (
            _fitted(Binner, _AB, columns=None),
            _fitted(Binner, _AB.to_numpy(), columns=None),
            ValueError,
            r"different input columns \(\['a', 'b'\] and \[2\]\)",
        ),
        (
            _fitted(GroupAggregator, _AB, by="a", aggregations={"b": "mean"}),
            _fitted(GroupAggregator, _AB, by="b", aggregations={"a": "mean"}),
            ValueError,
            r"differ in aggregations \({'b': 'mean'} and {'a': 'mean'}\)",
        ),
        (
            _fitted(GroupAggregator, _AB, by="a", aggregations={"b": "mean"}),
            _fitted(GroupAggregator, _BA, by="a", aggregations={"b": "mean"}),
            ValueError,
            "different input columns",
        ),
    ],
)
def test_merge_refuses_incompatible_transformers(left, right, err_type, err_msg):
    with pytest.raises(err_type, match=err_msg):
        left.merge(right)


def test_partial_fit_checks_the_column_kind_of_later_chunks():
    log = LogTransformer(columns="a").partial_fit(_AB)
    with pytest.raises(TypeError, match="columns='a': column 'a' is a categorical"):
        log.partial_fit(_A_TEXT)
