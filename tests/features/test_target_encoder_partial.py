"""TargetEncoder fitted chunk by chunk: partial_fit, merge, out-of-fold by HashFolds."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.model_selection import KFold

from sklearn_workflow.features import TargetEncoder
from sklearn_workflow.scale import HashFolds, fit_partitions, transform_partitions


def _frame(seed, n, kind):
    """A frame with a text column (missing values, rare levels), an integer-coded
    column and a customer key, and a target of the given kind."""
    rng = np.random.default_rng(seed)
    city = rng.choice(np.array(["Paris", "Rome", "Oslo", "Lima", None], object), n)
    X = pd.DataFrame(
        {
            "city": city,
            "plan": rng.integers(0, 4, n),
            "customer": rng.choice([f"c{i}" for i in range(12)], n),
        }
    )
    if kind == "binary":
        y = rng.choice(np.array(["no", "yes"]), n, p=[0.7, 0.3])
    elif kind == "multiclass":
        y = rng.integers(0, 3, n)
    else:
        y = rng.normal(5.0, 3.0, n)
    return X, y


def _assert_same_fit(merged, full):
    assert merged.target_type_ == full.target_type_
    assert merged.columns_ == full.columns_
    if full.classes_ is None:
        assert merged.classes_ is None
    else:
        np.testing.assert_array_equal(merged.classes_, full.classes_)
    np.testing.assert_allclose(merged.target_mean_, full.target_mean_, rtol=1e-12)
    for got, expected in zip(merged.categories_, full.categories_, strict=True):
        assert pd.Series(got).equals(pd.Series(expected))
    assert len(merged.encodings_) == len(full.encodings_)
    for got, expected in zip(merged.encodings_, full.encodings_):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def _fit_by_chunks(enc, X, y, weights, cuts, merge_pairs):
    """partial_fit on the chunks given by ``cuts``, then merged pairwise (a tree)
    or all accumulated into one encoder by partial_fit."""
    bounds = [0, *sorted(set(cuts)), len(X)]
    chunks = [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    w = (lambda a, b: None) if weights is None else (lambda a, b: weights[a:b])
    if not merge_pairs:
        one = clone(enc)
        for a, b in chunks:
            one.partial_fit(X.iloc[a:b], y[a:b], sample_weight=w(a, b))
        return one
    fitted = [
        clone(enc).partial_fit(X.iloc[a:b], y[a:b], sample_weight=w(a, b))
        for a, b in chunks
    ]
    while len(fitted) > 1:
        pairs = [fitted[i : i + 2] for i in range(0, len(fitted), 2)]
        fitted = [p[0].merge(p[1]) if len(p) == 2 else p[0] for p in pairs]
    return fitted[0]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(2, 60),
    cuts=st.lists(st.integers(1, 59), max_size=5),
    kind=st.sampled_from(["binary", "multiclass", "continuous"]),
    weighted=st.booleans(),
    smooth=st.sampled_from(["auto", 0.0, 2.5]),
    handle_missing=st.sampled_from(["category", "prior", "nan"]),
    merge_pairs=st.booleans(),
)
def test_target_encoder_partial_fit_any_partitioning_equals_fit(
    seed, n, cuts, kind, weighted, smooth, handle_missing, merge_pairs
):
    X, y = _frame(seed, n, kind)
    weights = np.random.default_rng(seed + 1).uniform(0.1, 3.0, n) if weighted else None
    enc = TargetEncoder(
        columns=["city", "plan"],
        smooth=smooth,
        handle_missing=handle_missing,
        target_type="continuous" if kind == "continuous" else "auto",
    )
    cuts = [c for c in cuts if c < n]
    merged = _fit_by_chunks(enc, X, y, weights, cuts, merge_pairs)
    full = clone(enc).fit(X, y, sample_weight=weights)
    _assert_same_fit(merged, full)
    X_new = pd.DataFrame({"city": ["Rome", None, "Tokyo"], "plan": [1, 7, 0]})
    X_new["customer"] = "c0"
    pd.testing.assert_frame_equal(
        merged.transform(X_new), full.transform(X_new), rtol=1e-12, atol=1e-12
    )


def test_target_encoder_partial_fit_one_class_chunk_binary():
    """A chunk holding one class only, merged with one holding the other."""
    X = pd.DataFrame({"city": ["Paris", "Rome", "Rome", "Paris"]})
    y = np.array([1, 1, 0, 0])
    first = TargetEncoder(smooth=1.0).partial_fit(X[:2], y[:2])
    assert first.target_type_ == "binary"
    _assert_same_fit(first, TargetEncoder(smooth=1.0).fit(X[:2], y[:2]))
    merged = first.merge(TargetEncoder(smooth=1.0).partial_fit(X[2:], y[2:]))
    _assert_same_fit(merged, TargetEncoder(smooth=1.0).fit(X, y))


def test_target_encoder_fit_partitions_equals_fit():
    X, y = _frame(3, 200, "multiclass")
    data = X.assign(target=y)
    parts = [data.iloc[a : a + 37] for a in range(0, len(data), 37)]
    enc = TargetEncoder(columns=["city", "plan"], smooth="auto")
    merged = fit_partitions(enc, parts, target="target")
    _assert_same_fit(merged, clone(enc).fit(X, y))


@pytest.mark.parametrize("handle_missing", ["category", "prior", "nan"])
@pytest.mark.parametrize("kind", ["binary", "multiclass", "continuous"])
def test_target_encoder_transform_out_of_fold_equals_fit_transform(
    kind, handle_missing
):
    X, y = _frame(11, 150, kind)
    weights = np.random.default_rng(5).uniform(0.5, 2.0, len(X))
    enc = TargetEncoder(
        columns=["city", "plan"],
        cv=HashFolds("customer", 3),
        handle_missing=handle_missing,
    )
    data = X.assign(target=y, w=weights)
    merged = None
    for a in range(0, len(X), 40):
        part = data.iloc[a : a + 40]
        fitted = clone(enc).partial_fit(
            part[X.columns], part["target"], sample_weight=part["w"]
        )
        merged = fitted if merged is None else merged.merge(fitted)
    parts = [X.iloc[a : a + 25] for a in range(0, len(X), 25)]
    out = pd.concat(transform_partitions(merged, parts, method="transform_out_of_fold"))
    expected = clone(enc).fit_transform(X, y, sample_weight=weights)
    pd.testing.assert_frame_equal(out, expected, rtol=1e-12, atol=1e-12)


def test_target_encoder_hash_folds_on_polars_frame():
    pl = pytest.importorskip("polars")
    X, y = _frame(2, 80, "binary")
    enc = TargetEncoder(columns=["city"], cv=HashFolds("customer", 4), smooth=1.0)
    X_pl = pl.from_pandas(X)
    got = clone(enc).fit_transform(X_pl, y)
    expected = clone(enc).fit_transform(X, y)
    np.testing.assert_allclose(got["city_te"].to_numpy(), expected["city_te"])
    merged = clone(enc).partial_fit(X_pl[:30], y[:30])
    merged.merge(clone(enc).partial_fit(X_pl[30:], y[30:]))
    oof = merged.transform_out_of_fold(X_pl)
    np.testing.assert_allclose(
        oof["city_te"].to_numpy(), expected["city_te"], rtol=1e-12
    )


def test_target_encoder_partial_fit_after_fit_starts_afresh():
    X, y = _frame(4, 40, "binary")
    enc = TargetEncoder(columns=["city"]).fit(X, y)
    enc.partial_fit(X[:20], y[:20])
    _assert_same_fit(enc, TargetEncoder(columns=["city"]).fit(X[:20], y[:20]))
    enc.fit(X, y)
    with pytest.raises(ValueError, match="fitted by partial_fit; self was not"):
        enc.merge(TargetEncoder(columns=["city"]).partial_fit(X, y))


def _fitted(y, **params):
    X = pd.DataFrame({"city": ["a", "b", "a"], "key": ["p", "q", "r"]})
    return TargetEncoder(columns=["city"], **params).partial_fit(X, y)


@pytest.mark.parametrize(
    "action, err_msg",
    [
        (
            lambda: _fitted([0.5, 1.5, 2.5]).partial_fit(
                pd.DataFrame({"city": ["a"], "key": ["p"]}), [1]
            ),
            r"This chunk's target is classes .*earlier ones were continuous "
            r"\(target_type='auto'\)",
        ),
        (
            lambda: _fitted([0.5, 1.5, 2.5]).merge(_fitted([0, 1, 1])),
            r"different columns or kinds of target \(target_type='auto'\)",
        ),
        (
            lambda: _fitted([0, 1, 1]).merge(TargetEncoder()),
            "fitted by partial_fit; other was not",
        ),
        (
            lambda: _fitted([0, 1, 1], cv=HashFolds("key", 2)).merge(
                _fitted([0, 1, 1], cv=HashFolds("key", 3))
            ),
            "different numbers of folds: cv=HashFolds",
        ),
        (
            lambda: _fitted([0, 1, 1], cv=KFold(2)).transform_out_of_fold(
                pd.DataFrame({"city": ["a"], "key": ["p"]})
            ),
            r"cv=HashFolds\(\.\.\.\), got cv=KFold",
        ),
        (
            lambda: _fitted([0, 1, 2], target_type="binary"),
            r"target_type='binary' but y has 3 classes",
        ),
        (
            lambda: _fitted([0, 1, 1], cv=HashFolds("customer", 2)),
            "key='customer' names columns that X lacks",
        ),
        (
            lambda: _fitted([0.5, np.nan, 1.0], target_type="continuous"),
            "a continuous target must be finite",
        ),
    ],
)
def test_target_encoder_partial_fit_errors(action, err_msg):
    with pytest.raises(ValueError, match=err_msg):
        action()
