import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from sklearn_workflow.features import TargetEncoder
from sklearn_workflow.scale import HashFolds


def _frame(rng, n=300):
    return pd.DataFrame(
        {
            "customer": rng.integers(0, 60, size=n).astype(str),
            "city": rng.choice(["Paris", "Rome", "Oslo"], size=n),
            "amount": rng.normal(size=n).round(2),
        }
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=2, max_size=60), st.randoms())
def test_hash_folds_depend_on_the_key_only(keys, random):
    X = pd.DataFrame({"key": keys, "other": range(len(keys))})
    folds = HashFolds("key", n_splits=3)
    ids = folds.fold_ids(X)
    order = list(range(len(keys)))
    random.shuffle(order)
    shuffled = folds.fold_ids(X.iloc[order])
    np.testing.assert_array_equal(shuffled, ids[order])  # not on position
    one_by_one = [folds.fold_ids(X.iloc[[i]])[0] for i in range(len(keys))]
    np.testing.assert_array_equal(one_by_one, ids)  # not on the other rows
    for key in set(keys):  # a key's rows share one fold
        assert len(set(ids[np.asarray(keys) == key])) == 1


def test_hash_folds_follow_the_splitter_conventions(global_random_seed):
    X = _frame(np.random.default_rng(global_random_seed))
    folds = HashFolds("customer", n_splits=4)
    assert folds.get_n_splits() == 4 == folds.get_n_splits(X)
    seen = np.zeros(len(X), dtype=int)
    for train, test in folds.split(X):
        assert np.intersect1d(train, test).size == 0
        assert train.size + test.size == len(X)
        seen[test] += 1
        shared = set(X["customer"].iloc[train]) & set(X["customer"].iloc[test])
        assert not shared
    np.testing.assert_array_equal(seen, 1)
    assert repr(folds) == "HashFolds(key='customer', n_splits=4, random_state=0)"
    # list(split) twice gives the same folds: the splitter is deterministic
    a = [t.tolist() for _, t in folds.split(X)]
    assert a == [t.tolist() for _, t in folds.split(X)]


def test_hash_folds_sizes_are_close_to_equal():
    X = pd.DataFrame({"id": np.arange(20_000)})
    sizes = np.bincount(HashFolds("id", n_splits=5).fold_ids(X))
    assert np.abs(sizes - 4000).max() < 4 * np.sqrt(20_000 * 0.2 * 0.8)


def test_hash_folds_random_state_changes_the_assignment():
    X = pd.DataFrame({"id": np.arange(1000)})
    a = HashFolds("id", random_state=0).fold_ids(X)
    b = HashFolds("id", random_state=1).fold_ids(X)
    assert (a != b).mean() > 0.5
    np.testing.assert_array_equal(a, HashFolds("id", random_state=0).fold_ids(X))


def test_hash_folds_without_key_hash_the_row():
    X = pd.DataFrame({"a": [1, 1, 2, 1], "b": ["x", "x", "x", "y"]})
    ids = HashFolds(n_splits=7).fold_ids(X)
    assert ids[0] == ids[1]  # identical rows, one fold
    np.testing.assert_array_equal(
        HashFolds(n_splits=7).fold_ids(X.iloc[::-1]), ids[::-1]
    )


def test_hash_folds_same_folds_for_pandas_polars_and_arrays():
    pl = pytest.importorskip("polars")
    X = _frame(np.random.default_rng(0))
    expected = HashFolds(["customer", "city"], n_splits=3).fold_ids(X)
    from_polars = HashFolds(["customer", "city"], n_splits=3).fold_ids(
        pl.from_pandas(X)
    )
    np.testing.assert_array_equal(from_polars, expected)
    as_array = X.to_numpy(dtype=object)
    from_array = HashFolds([0, 1], n_splits=3).fold_ids(as_array)
    np.testing.assert_array_equal(from_array, expected)


def test_hash_folds_as_cv_of_cross_val_score(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = _frame(rng)
    y = (X["city"] == "Paris").to_numpy() ^ (rng.random(len(X)) < 0.1)
    model = make_pipeline(TargetEncoder(columns=["city"]), LogisticRegression())
    folds = HashFolds("customer", n_splits=3)
    scores = cross_val_score(model, X, y, cv=folds)
    assert scores.shape == (3,) and scores.min() > 0.7
    expected = cross_val_score(model, X, y, cv=list(folds.split(X)))
    np.testing.assert_array_equal(scores, expected)


def test_hash_folds_as_cv_of_the_target_encoder_equal_explicit_folds():
    rng = np.random.default_rng(0)
    X = _frame(rng)
    y = rng.integers(0, 2, size=len(X))
    folds = HashFolds("customer", n_splits=3)
    with_splitter = TargetEncoder(columns=["city"], cv=folds).fit_transform(X, y)
    explicit = TargetEncoder(columns=["city"], cv=list(folds.split(X))).fit_transform(
        X, y
    )
    np.testing.assert_array_equal(with_splitter["city_te"], explicit["city_te"])


@pytest.mark.parametrize(
    "folds, X, err_msg",
    [
        (HashFolds("id", n_splits=1), pd.DataFrame({"id": [1, 2]}), "n_splits must"),
        (HashFolds("id", n_splits=2.5), pd.DataFrame({"id": [1, 2]}), "n_splits must"),
        (
            HashFolds("id", random_state=np.random.RandomState(0)),
            pd.DataFrame({"id": [1, 2]}),
            "random_state must be an int",
        ),
        (
            HashFolds("user", n_splits=2),
            pd.DataFrame({"id": [1, 2]}),
            "lacks: \\['user'\\]",
        ),
        (HashFolds("id", n_splits=5), pd.DataFrame({"id": [1, 1, 1]}), "has no row"),
    ],
)
def test_hash_folds_errors(folds, X, err_msg):
    with pytest.raises(ValueError, match=err_msg):
        list(folds.split(X))
