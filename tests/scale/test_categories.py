import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_workflow.features import TargetEncoder
from sklearn_workflow.scale import HashFolds
from sklearn_workflow.scale._categories import CategoryTargetState


@st.composite
def columns_and_cuts(draw):
    n = draw(st.integers(1, 40))
    values = draw(
        st.lists(st.sampled_from(["a", "b", "c", "d", None]), min_size=n, max_size=n)
    )
    labels = draw(
        st.lists(st.sampled_from(["no", "yes", "maybe"]), min_size=n, max_size=n)
    )
    target = draw(st.lists(st.integers(-50, 50), min_size=n, max_size=n))
    folds = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=5)))
    order = draw(st.permutations(range(len(cuts) + 1)))
    return (
        pd.Series(values, dtype=object),
        np.array(labels),
        np.array(target, dtype=np.float64) / 4,
        np.array(folds),
        cuts,
        order,
    )


def _merged(target_type, col, y, folds, cuts, order):
    bounds = [0, *cuts, len(col)]
    states = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        part_y = None if y is None else y[start:stop]
        states.append(
            CategoryTargetState(target_type, n_folds=3).update(
                col.iloc[start:stop], part_y, fold_ids=folds[start:stop]
            )
        )
    merged = CategoryTargetState(target_type, n_folds=3)
    for k in order:
        merged = merged.merge(states[k])
    return merged.finalize()


def _naive_cells(col, y, folds, categories, classes=None):
    """Per (category, fold): count, sums and M2, by a plain loop over rows."""
    n_cat = len(categories)
    index = {c: i for i, c in enumerate(categories)}
    count = np.zeros((n_cat + 1, 3), dtype=np.int64)
    values = [[[] for _ in range(3)] for _ in range(n_cat + 1)]
    for value, target, fold in zip(col, y, folds):
        row = n_cat if value is None else index[value]
        count[row, fold] += 1
        values[row][fold].append(target)
    return count, values


@settings(max_examples=60, deadline=None)
@given(columns_and_cuts())
def test_category_state_classes_any_partitioning_equals_a_loop(data):
    col, labels, _, folds, cuts, order = data
    stats = _merged("classes", col, labels, folds, cuts, order)
    categories = sorted({v for v in col if v is not None})
    assert stats["categories"].tolist() == categories
    assert stats["classes"].tolist() == sorted(set(labels))
    count, values = _naive_cells(col, labels, folds, categories)
    np.testing.assert_array_equal(stats["count"], count)
    np.testing.assert_array_equal(stats["weight"], count)
    for c, label in enumerate(stats["classes"]):
        expected = [[sum(v == label for v in cell) for cell in row] for row in values]
        np.testing.assert_array_equal(stats["sums"][:, :, c], expected)


@settings(max_examples=60, deadline=None)
@given(columns_and_cuts())
def test_category_state_continuous_any_partitioning_equals_a_loop(data):
    col, _, y, folds, cuts, order = data
    stats = _merged("continuous", col, y, folds, cuts, order)
    one_pass = _merged("continuous", col, y, folds, [], [0])
    categories = sorted({v for v in col if v is not None})
    _, values = _naive_cells(col, y, folds, categories)
    sums = [[sum(cell) for cell in row] for row in values]
    m2 = [
        [
            float(np.sum((np.array(cell) - np.mean(cell)) ** 2)) if cell else 0.0
            for cell in row
        ]
        for row in values
    ]
    np.testing.assert_allclose(stats["sums"][:, :, 0], sums, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(stats["m2"], m2, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(stats["m2"], one_pass["m2"], rtol=1e-12, atol=1e-9)


def test_category_state_extremes_give_group_statistics(global_random_seed):
    """count, mean, var, min and max per group, as pandas' groupby computes them."""
    rng = np.random.default_rng(global_random_seed)
    X, _ = _frame(rng)
    amount = rng.lognormal(size=len(X)) * 100
    state = CategoryTargetState("continuous", extremes=True)
    for part in np.array_split(rng.permutation(len(X)), 5):
        chunk = CategoryTargetState("continuous", extremes=True)
        state = state.merge(chunk.update(X["city"].iloc[part], amount[part]))
    stats = state.finalize()
    grouped = pd.Series(amount).groupby(X["city"].to_numpy(), dropna=False)
    expected = grouped.agg(["count", "mean", "var", "min", "max"])
    order = [*stats["categories"], np.nan]
    expected = expected.reindex(order)
    count = stats["count"][:, 0]
    np.testing.assert_array_equal(count, expected["count"])
    np.testing.assert_allclose(stats["sums"][:, 0, 0] / count, expected["mean"])
    var = stats["m2"][:, 0] / (count - 1)
    np.testing.assert_allclose(var, expected["var"], rtol=1e-12)
    np.testing.assert_array_equal(stats["min"][:, 0], expected["min"])
    np.testing.assert_array_equal(stats["max"][:, 0], expected["max"])
    empty = CategoryTargetState("continuous", n_folds=2, extremes=True)
    stats = empty.update(pd.Series(["a"]), [1.5], fold_ids=[1]).finalize()
    np.testing.assert_array_equal(stats["min"], [[np.nan, 1.5], [np.nan, np.nan]])


@settings(max_examples=30, deadline=None)
@given(columns_and_cuts())
def test_category_state_frequencies_without_target(data):
    col, _, _, folds, cuts, order = data
    stats = _merged(None, col, None, folds, cuts, order)
    counts = stats["count"].sum(axis=1)
    expected = col.value_counts(dropna=False)
    for category, n in zip(stats["categories"], counts[:-1]):
        assert expected[category] == n
    assert counts[-1] == col.isna().sum()
    assert stats["sums"].shape[-1] == 0


def _smoothed(counts, smooth):
    """The encoder's shrunk rates of a class target, from (cells, classes) counts
    (a plain reference of its documented formula)."""
    weight = counts.sum(axis=1, keepdims=True)
    prior = counts.sum(axis=0) / counts.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        if smooth == "auto":
            mean = counts / weight
            lam = (
                prior
                * (1 - prior)
                * weight
                / (prior * (1 - prior) * weight + mean * (1 - mean))
            )
            return np.where(np.isnan(lam), prior, prior + lam * (mean - prior)), prior
        return (counts + smooth * prior) / (weight + smooth), prior


def _frame(rng, n=600):
    city = rng.choice(
        ["Paris", "Rome", "Oslo", "Lima", None], size=n, p=[0.4, 0.3, 0.2, 0.05, 0.05]
    )
    X = pd.DataFrame(
        {
            "customer": rng.integers(0, 150, size=n).astype(str),
            "city": pd.Series(city, dtype=object),
        }
    )
    y = (rng.random(n) < np.where(city == "Paris", 0.7, 0.3)).astype(int)
    return X, y


@pytest.mark.parametrize("smooth", ["auto", 2.0])
def test_category_state_gives_the_target_encoder_encodings(global_random_seed, smooth):
    rng = np.random.default_rng(global_random_seed)
    X, y = _frame(rng)
    state = CategoryTargetState("classes")
    for part in np.array_split(np.arange(len(X)), 7):
        state = state.merge(
            CategoryTargetState("classes").update(X["city"].iloc[part], y[part])
        )
    (counts,) = state.encoder_statistics()
    enc, _ = _smoothed(counts[:, 0, :], smooth)
    encoder = TargetEncoder(columns=["city"], smooth=smooth).fit(X, y)
    assert (
        encoder.categories_[0][:-1].tolist() == state.finalize()["categories"].tolist()
    )
    np.testing.assert_allclose(encoder.encodings_[0], enc[:, 1], rtol=1e-12)


def test_category_state_continuous_gives_the_target_encoder_encodings():
    rng = np.random.default_rng(0)
    X, _ = _frame(rng)
    y = rng.normal(size=len(X)) * 10 + 1000
    state = CategoryTargetState("continuous")
    for part in np.array_split(np.arange(len(X)), 5):
        state = state.merge(
            CategoryTargetState("continuous").update(X["city"].iloc[part], y[part])
        )
    weight, s1, _ = state.encoder_statistics()
    prior = s1.sum() / weight.sum()  # centred on the mean: 0
    enc = (s1[:, 0, 0] + 3.0 * prior) / (weight[:, 0, 0] + 3.0) + y.mean()
    encoder = TargetEncoder(columns=["city"], smooth=3.0).fit(X, y)
    np.testing.assert_allclose(encoder.encodings_[0], enc, rtol=1e-12)
    # "auto" needs the within-category variance: s2 against a plain loop
    _, _, s2 = state.encoder_statistics(center=1000.0)
    stats = state.finalize()
    for row, category in enumerate(stats["categories"]):
        values = y[(X["city"] == category).to_numpy()]
        np.testing.assert_allclose(s2[row, 0, 0], np.sum((values - 1000.0) ** 2))


def test_category_state_multiclass_weights_equal_the_encoder(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X, _ = _frame(rng)
    y = rng.choice(["low", "mid", "high"], size=len(X))
    weights = rng.integers(0, 4, size=len(X)).astype(float)
    state = CategoryTargetState("classes")
    for part in np.array_split(np.arange(len(X)), 4):
        state = state.merge(
            CategoryTargetState("classes").update(
                X["city"].iloc[part], y[part], sample_weight=weights[part]
            )
        )
    (counts,) = state.encoder_statistics()
    enc, prior = _smoothed(counts[:, 0, :], 1.0)
    encoder = TargetEncoder(columns=["city"], smooth=1.0).fit(
        X, y, sample_weight=weights
    )
    np.testing.assert_allclose(encoder.target_mean_, prior, rtol=1e-12)
    for c in range(3):
        np.testing.assert_allclose(encoder.encodings_[c], enc[:, c], rtol=1e-12)


@pytest.mark.parametrize("smooth", ["auto", 5.0])
def test_out_of_fold_encodings_per_partition_equal_the_in_memory_ones(
    global_random_seed, smooth
):
    """Hash folds: statistics merged over partitions, each partition encoded
    alone, equal ``TargetEncoder(cv=HashFolds(...)).fit_transform`` in memory."""
    rng = np.random.default_rng(global_random_seed)
    X, y = _frame(rng)
    folds = HashFolds("customer", n_splits=4)
    parts = np.array_split(rng.permutation(len(X)), 6)  # shuffled partitions
    state = CategoryTargetState("classes", n_folds=4)
    for part in parts:
        chunk = X.iloc[part]
        state = state.merge(
            CategoryTargetState("classes", n_folds=4).update(
                chunk["city"], y[part], fold_ids=folds.fold_ids(chunk)
            )
        )
    (counts,) = state.encoder_statistics()
    train = counts.sum(axis=1, keepdims=True) - counts  # all folds but one
    tables = [_smoothed(train[:, k, :], smooth)[0][:, 1] for k in range(4)]
    categories = state.finalize()["categories"].tolist()
    lookup = {c: i for i, c in enumerate(categories)}

    encoded = np.empty(len(X))
    for part in parts:  # each partition encoded with its own rows only
        chunk = X.iloc[part]
        rows = [len(categories) if v is None else lookup[v] for v in chunk["city"]]
        fold = folds.fold_ids(chunk)
        encoded[part] = [tables[k][r] for r, k in zip(rows, fold)]

    encoder = TargetEncoder(columns=["city"], smooth=smooth, cv=folds)
    expected = encoder.fit_transform(X, y)["city_te"].to_numpy()
    np.testing.assert_allclose(encoded, expected, rtol=1e-12)


def test_category_state_reads_categorical_and_polars_columns():
    pl = pytest.importorskip("polars")
    values = ["b", None, "a", "b"]
    col = pd.Series(values, dtype="category").cat.add_categories(["unused"])
    a = CategoryTargetState().update(col).finalize()
    b = CategoryTargetState().update(pl.Series(values)).finalize()
    assert a["categories"].tolist() == b["categories"].tolist() == ["a", "b"]
    np.testing.assert_array_equal(a["count"], b["count"])
    np.testing.assert_array_equal(a["count"][:, 0], [1, 2, 1])


def test_category_state_mixed_types_sort_by_type_then_text():
    col = pd.Series([2, "x", 1, None, "a"], dtype=object)
    stats = CategoryTargetState().update(col).finalize()
    assert stats["categories"].tolist() == [1, 2, "a", "x"]


@pytest.mark.parametrize(
    "action, err_type, err_msg",
    [
        (lambda: CategoryTargetState("binary"), ValueError, "target_type must be"),
        (
            lambda: CategoryTargetState("classes", extremes=True),
            ValueError,
            "extremes=True needs",
        ),
        (
            lambda: CategoryTargetState("classes").update(pd.Series(["a"])),
            ValueError,
            "needs y to be given",
        ),
        (
            lambda: CategoryTargetState().update(pd.Series(["a"]), [1]),
            ValueError,
            "needs y to be None",
        ),
        (
            lambda: CategoryTargetState(n_folds=2).update(
                pd.Series(["a"]), fold_ids=[2]
            ),
            ValueError,
            "n_folds=2",
        ),
        (
            lambda: CategoryTargetState().update(pd.Series(["a", "b"]), fold_ids=[0]),
            ValueError,
            "one fold id",
        ),
        (
            lambda: CategoryTargetState("continuous").update(
                pd.Series(["a"]), [np.nan]
            ),
            ValueError,
            "must be finite",
        ),
        (
            lambda: CategoryTargetState("classes").merge(CategoryTargetState()),
            ValueError,
            "Cannot merge",
        ),
        (
            lambda: CategoryTargetState().encoder_statistics(),
            ValueError,
            "no target statistics",
        ),
    ],
)
def test_category_state_errors(action, err_type, err_msg):
    with pytest.raises(err_type, match=err_msg):
        action()
