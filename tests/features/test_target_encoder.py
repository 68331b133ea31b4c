"""TargetEncoder: exactness against scikit-learn and naive loops, no leakage,
weights, dtypes, unknown/missing policies, splitters, and scikit-learn citizenship."""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    LeaveOneOut,
    ShuffleSplit,
    StratifiedKFold,
    TimeSeriesSplit,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import TargetEncoder as SklearnTargetEncoder
from sklearn.utils.fixes import parse_version

from sklearn_workflow import TargetEncoder

polars = pytest.importorskip("polars")

SKLEARN_TAKES_SPLITTERS = parse_version(sklearn.__version__) >= parse_version("1.7")


# -- naive references ---------------------------------------------------------


def naive_encoding(values, y, w, smooth, prior=None, variance=None):
    """{category: encoding} with plain Python loops (weighted, missing = None)."""
    values = [None if pd.isna(v) else v for v in values]
    total = sum(w)
    if prior is None:
        prior = sum(wi * yi for wi, yi in zip(w, y)) / total
    if variance is None:
        variance = sum(wi * (yi - prior) ** 2 for wi, yi in zip(w, y)) / total
    out = {}
    for cat in set(values):
        rows = [i for i, v in enumerate(values) if v == cat]
        n = sum(w[i] for i in rows)
        if n == 0:
            out[cat] = prior
            continue
        mean = sum(w[i] * y[i] for i in rows) / n
        if smooth == "auto":
            within = sum(w[i] * (y[i] - mean) ** 2 for i in rows) / n
            denominator = variance * n + within
            if denominator == 0:
                out[cat] = prior
                continue
            lam = variance * n / denominator
            out[cat] = lam * mean + (1 - lam) * prior
        else:
            out[cat] = (n * mean + smooth * prior) / (n + smooth)
    return out, prior


def naive_out_of_fold(values, y, w, smooth, splits):
    """Encode each validation fold from its training rows only, with loops."""
    values = [None if pd.isna(v) else v for v in values]
    out = [np.nan] * len(values)
    for train, test in splits:
        table, prior = naive_encoding(
            [values[i] for i in train],
            [y[i] for i in train],
            [w[i] for i in train],
            smooth,
        )
        for i in test:
            out[i] = table.get(values[i], prior)
    return np.array(out)


def make_frame(rng, n=300, n_cats=12, missing=True):
    labels = np.array([f"c{k:02d}" for k in range(n_cats)], dtype=object)
    values = labels[rng.integers(0, n_cats, n)]
    if missing:
        values[rng.random(n) < 0.05] = None
    return pd.DataFrame({"city": values, "n": rng.normal(size=n)})


# -- exactness ----------------------------------------------------------------


@pytest.mark.parametrize("target_type", ["binary", "multiclass", "continuous"])
@pytest.mark.parametrize("smooth", ["auto", 0.0, 4.5])
def test_target_encoder_equals_sklearn(target_type, smooth, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n = 400
    X = pd.DataFrame(
        {
            "a": rng.choice([f"a{i}" for i in range(25)], n),
            "b": rng.choice(["x", "y", "z"], n),
        }
    ).astype("str")
    if target_type == "binary":
        y = rng.integers(0, 2, n)
    elif target_type == "multiclass":
        y = rng.choice(["lo", "mid", "hi"], n)
    else:
        y = 1e3 + 5 * rng.normal(size=n)  # offset: tests the centred sums
    cls = KFold if target_type == "continuous" else StratifiedKFold
    # scikit-learn's encoder takes a splitter from 1.7 on; before, an int with
    # shuffle and random_state makes the same folds.
    cv = cls(5, shuffle=True, random_state=global_random_seed)
    if not SKLEARN_TAKES_SPLITTERS:
        cv = 5
    params = dict(smooth=smooth, cv=cv, target_type=target_type, shuffle=True)
    ours = TargetEncoder(**params, random_state=global_random_seed)
    theirs = SklearnTargetEncoder(**params, random_state=global_random_seed)
    X_np = X.to_numpy(dtype=object)
    assert_allclose(
        ours.fit_transform(X, y).to_numpy(),
        theirs.fit_transform(X_np, y),
        rtol=1e-10,
        atol=1e-10,
    )
    X_new = X.iloc[::-3]
    assert_allclose(
        ours.transform(X_new).to_numpy(),
        theirs.transform(X_new.to_numpy(dtype=object)),
        rtol=1e-10,
        atol=1e-10,
    )
    for c_ours, c_theirs in zip(ours.categories_, theirs.categories_):
        assert_array_equal(c_ours, c_theirs)
    assert len(ours.encodings_) == len(theirs.encodings_)
    for e_ours, e_theirs in zip(ours.encodings_, theirs.encodings_):
        assert_allclose(e_ours, e_theirs, rtol=1e-10, atol=1e-10)
    assert_allclose(ours.target_mean_, theirs.target_mean_, rtol=1e-12)
    if target_type != "continuous":
        assert_array_equal(ours.classes_, theirs.classes_)


@pytest.mark.parametrize("smooth", [0.0, 3.0, "auto"])
def test_target_encoder_matches_naive_loop(smooth, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = make_frame(rng, n=150)
    y = rng.normal(size=len(X))
    w = rng.integers(0, 4, len(X)).astype(float)
    values = [v for v in X["city"]]
    splits = list(KFold(4, shuffle=True, random_state=0).split(X))
    enc = TargetEncoder(smooth=smooth, cv=splits, target_type="continuous")
    out = enc.fit_transform(X, y, sample_weight=w)
    expected = naive_out_of_fold(values, y, w, smooth, splits)
    assert_allclose(out["city_te"], expected, rtol=1e-10, atol=1e-12)
    # transform: statistics of all the rows
    table, _ = naive_encoding(values, y, w, smooth)
    missing_as_none = [None if pd.isna(v) else v for v in values]
    assert_allclose(
        enc.transform(X)["city_te"], [table[v] for v in missing_as_none], rtol=1e-10
    )
    assert_array_equal(out["n"], X["n"])  # numeric column passed through


def test_target_encoder_binary_m_estimate_loop():
    X = pd.DataFrame({"c": ["a", "a", "a", "b", "b", "c"]})
    y = np.array([1, 0, 1, 1, 1, 0])
    enc = TargetEncoder(smooth=2.0).fit(X, y)
    prior = y.mean()
    expected = {"a": (2 + 2 * prior) / 5, "b": (2 + 2 * prior) / 4, "c": 2 * prior / 3}
    assert_allclose(enc.encodings_[0], [expected[c] for c in "abc"])
    assert enc.target_mean_ == pytest.approx(prior)


# -- no leakage -----------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    n=st.integers(8, 40),
    smooth=st.sampled_from(["auto", 0.0, 1.0, 10.0]),
    continuous=st.booleans(),
)
def test_target_encoder_out_of_fold_never_sees_own_target(data, n, smooth, continuous):
    cats = data.draw(st.lists(st.sampled_from("abcde"), min_size=n, max_size=n))
    if continuous:
        y = np.array(
            data.draw(st.lists(st.floats(-5, 5), min_size=n, max_size=n)), float
        )
    else:
        y = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    i = data.draw(st.integers(0, n - 1))
    X = pd.DataFrame({"c": cats})
    target_type = "continuous" if continuous else "binary"
    enc = TargetEncoder(
        smooth=smooth,
        cv=KFold(4, shuffle=True, random_state=1),
        target_type=target_type,
    )
    before = enc.fit_transform(X, y)["c_te"].to_numpy()
    y_changed = y.copy()
    y_changed[i] = (y[i] + 3.5) if continuous else 1 - y[i]
    # a binary target needs both classes before and after the change (with one
    # class left, which one is positive is a different question)
    assume(continuous or (len(set(y)) == 2 and len(set(y_changed)) == 2))
    after = enc.fit_transform(X, y_changed)["c_te"].to_numpy()
    assert before[i] == pytest.approx(after[i], rel=1e-9, abs=1e-9)


def test_target_encoder_fit_then_transform_differs_from_out_of_fold():
    # A category seen once: fit().transform() reproduces its own target,
    # fit_transform() cannot.
    X = pd.DataFrame({"c": ["a", "b", "c", "d", "e", "f"]})
    y = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    full = TargetEncoder(smooth=0.0, cv=KFold(3)).fit(X, y).transform(X)["c_te"]
    assert_allclose(full, y)
    oof = TargetEncoder(smooth=0.0, cv=KFold(3)).fit_transform(X, y)["c_te"]
    assert not np.allclose(oof, y)


# -- weights ----------------------------------------------------------------------


@pytest.mark.parametrize("target_type", ["binary", "multiclass", "continuous"])
@pytest.mark.parametrize("smooth", ["auto", 2.0])
def test_target_encoder_integer_weights_equal_repeated_rows(
    target_type, smooth, global_random_seed
):
    rng = np.random.default_rng(global_random_seed)
    X = make_frame(rng, n=120)
    if target_type == "continuous":
        y = rng.normal(size=len(X))
    else:
        y = rng.integers(0, 2 if target_type == "binary" else 3, len(X))
    w = rng.integers(0, 4, len(X))
    w[:3] = 1  # keep every class present
    repeat = np.repeat(np.arange(len(X)), w)
    X_rep, y_rep = X.iloc[repeat].reset_index(drop=True), y[repeat]

    kwargs = dict(smooth=smooth, target_type=target_type)
    weighted = TargetEncoder(**kwargs).fit(X, y, sample_weight=w)
    repeated = TargetEncoder(**kwargs).fit(X_rep, y_rep)
    assert_allclose(weighted.transform(X), repeated.transform(X), rtol=1e-10)

    # Out-of-fold: the same folds, the repeated copies following their row.
    splits = list(KFold(4, shuffle=True, random_state=0).split(X))
    position = np.concatenate([[0], np.cumsum(w)])
    splits_rep = [
        tuple(
            np.concatenate([np.arange(position[i], position[i + 1]) for i in idx])
            for idx in split
        )
        for split in splits
    ]
    oof_w = TargetEncoder(cv=splits, **kwargs).fit_transform(X, y, sample_weight=w)
    oof_r = TargetEncoder(cv=splits_rep, **kwargs).fit_transform(X_rep, y_rep)
    kept = w > 0
    assert_allclose(
        oof_w.to_numpy()[kept], oof_r.to_numpy()[position[:-1][kept]], rtol=1e-10
    )


def test_target_encoder_rejects_negative_weights():
    X = pd.DataFrame({"c": ["a", "b"]})
    with pytest.raises(ValueError, match="Negative values in data"):
        TargetEncoder().fit(X, [0, 1], sample_weight=[1.0, -1.0])


# -- dtypes -------------------------------------------------------------------------


def test_target_encoder_same_numbers_in_every_dtype(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    labels = np.array(["red", "green", "blue", "black"], dtype=object)
    values = labels[rng.integers(0, 4, 200)]
    values[::17] = None
    y = rng.integers(0, 2, 200)
    cv = KFold(5, shuffle=True, random_state=0)
    mixed = values.copy()
    mixed[::34] = np.nan  # object column mixing None and NaN
    category = pd.Series(values, dtype="category").cat.add_categories(["unused"])
    inputs = {
        "str": pd.DataFrame({"c": pd.Series(values, dtype="str")}),
        "object": pd.DataFrame({"c": pd.Series(mixed, dtype=object)}),
        "category": pd.DataFrame({"c": category}),
        "string[python]": pd.DataFrame({"c": pd.Series(values, dtype="string")}),
        "polars String": polars.DataFrame({"c": values.tolist()}),
        "polars Categorical": polars.DataFrame(
            {"c": polars.Series(values.tolist(), dtype=polars.Categorical)}
        ),
        "polars Enum": polars.DataFrame(
            {
                "c": polars.Series(
                    values.tolist(),
                    dtype=polars.Enum(["black", "blue", "green", "red", "pink"]),
                )
            }
        ),
        "numpy object": values.reshape(-1, 1),
    }
    results = {}
    for name, X in inputs.items():
        enc = TargetEncoder(cv=cv)
        oof = np.asarray(enc.fit_transform(X, y), dtype=float).ravel()
        full = np.asarray(enc.transform(X), dtype=float).ravel()
        results[name] = (oof, full, list(enc.categories_[0]))
    reference = results["str"]
    for name, (oof, full, cats) in results.items():
        assert_allclose(oof, reference[0], rtol=1e-12, err_msg=name)
        assert_allclose(full, reference[1], rtol=1e-12, err_msg=name)
        assert cats[:-1] == ["black", "blue", "green", "red"], name
        assert cats[-1] != cats[-1], name  # the missing category, NaN, last


def test_target_encoder_bool_and_nullable_dtypes():
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    flags = [True, False, True, None, False, True, None, False]
    numbers = [3, 1, 3, None, 1, 2, None, 1]
    as_object = TargetEncoder(columns=["f", "k"], smooth=1.0).fit(
        pd.DataFrame(
            {"f": pd.Series(flags, dtype=object), "k": pd.Series(numbers, dtype=object)}
        ),
        y,
    )
    nullable = TargetEncoder(smooth=1.0, columns=["f", "k"]).fit(
        pd.DataFrame(
            {
                "f": pd.Series(flags, dtype="boolean"),
                "k": pd.Series(numbers, dtype="Int64"),
            }
        ),
        y,
    )
    for a, b in zip(as_object.encodings_, nullable.encodings_):
        assert_allclose(a, b)
    # bool (no missing) is selected by default; an integer column only when named
    X = pd.DataFrame({"f": np.array(flags[:3] * 2 + [True, False], dtype=bool)})
    X["k"] = np.arange(8)
    enc = TargetEncoder().fit(X, y)
    assert enc.columns_ == ["f"]
    assert list(enc.get_feature_names_out()) == ["f_te", "k"]
    assert list(enc.categories_[0]) == [False, True]


def test_target_encoder_categories_sorted_without_unused():
    X = pd.DataFrame(
        {"c": pd.Categorical(["b", "a", "b"], categories=["z", "b", "a", "q"])}
    )
    enc = TargetEncoder(smooth=0.0).fit(X, [1, 0, 0])
    assert list(enc.categories_[0]) == ["a", "b"]
    assert_allclose(enc.encodings_[0], [0.0, 0.5])
    # an unused category is unknown at transform
    X_new = pd.DataFrame({"c": pd.Categorical(["q"], categories=["z", "b", "a", "q"])})
    with pytest.raises(ValueError, match=r"unknown categories \['q'\] in column 'c'"):
        TargetEncoder(handle_unknown="error").fit(X, [1, 0, 0]).transform(X_new)


# -- unknown and missing values ---------------------------------------------


@pytest.mark.parametrize(
    "handle_unknown, handle_missing, expected",
    [
        ("prior", "category", [0.5, 0.25, 0.5]),
        ("nan", "category", [np.nan, 0.25, np.nan]),
        ("prior", "prior", [0.5, 0.5, 0.5]),
        ("nan", "nan", [np.nan, np.nan, np.nan]),
    ],
)
def test_target_encoder_unknown_and_missing_policies(
    handle_unknown, handle_missing, expected
):
    X = pd.DataFrame({"c": ["a", "a", None, None]})
    y = [1, 1, 0, 0]
    enc = TargetEncoder(
        smooth=2.0, handle_unknown=handle_unknown, handle_missing=handle_missing
    ).fit(X, y)
    out = enc.transform(pd.DataFrame({"c": ["zz", None, "yy"]}))["c_te"]
    assert_allclose(out, expected)
    if handle_missing == "category":
        assert enc.categories_[0][-1] != enc.categories_[0][-1]
    else:
        assert list(enc.categories_[0]) == ["a"]


def test_target_encoder_missing_never_seen_in_fit_gets_prior():
    enc = TargetEncoder(handle_unknown="error", smooth=1.0)
    enc.fit(pd.DataFrame({"c": ["a", "b"]}), [0, 1])
    out = enc.transform(pd.DataFrame({"c": [None, np.nan]}))["c_te"]
    assert_allclose(out, [0.5, 0.5])


def test_target_encoder_unknown_error_names_column_and_values():
    enc = TargetEncoder(handle_unknown="error").fit(
        pd.DataFrame({"city": ["Paris", "Rome"]}), [0, 1]
    )
    with pytest.raises(ValueError, match=r"\['Oslo'\] in column 'city'"):
        enc.transform(pd.DataFrame({"city": ["Paris", "Oslo"]}))


def test_target_encoder_out_of_fold_missing_policies():
    X = pd.DataFrame({"c": ["a", None, "a", None, "a", None]})
    y = np.array([1, 0, 1, 1, 0, 0])
    cv = KFold(2)
    prior_oof = TargetEncoder(cv=cv, handle_missing="prior").fit_transform(X, y)
    # rows 1, 3, 5 are missing: the prior of the other half's rows
    assert_allclose(prior_oof["c_te"].to_numpy()[1], y[3:].mean())
    assert_allclose(prior_oof["c_te"].to_numpy()[[3, 5]], [y[:3].mean()] * 2)
    nan_oof = TargetEncoder(cv=cv, handle_missing="nan").fit_transform(X, y)
    assert np.isnan(nan_oof["c_te"].to_numpy()[[1, 3, 5]]).all()


# -- splitters -------------------------------------------------------------------


def test_target_encoder_group_kfold_with_groups(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = make_frame(rng, n=120, missing=False)
    y = rng.normal(size=len(X))
    groups = rng.integers(0, 10, len(X))
    cv = GroupKFold(3)
    out = TargetEncoder(cv=cv, smooth=2.0).fit_transform(X, y, groups=groups)
    splits = list(cv.split(X, y, groups))
    expected = naive_out_of_fold(list(X["city"]), y, [1.0] * len(X), 2.0, splits)
    assert_allclose(out["city_te"], expected, rtol=1e-10)


def test_target_encoder_pipeline_routes_groups_to_fit_transform():
    rng = np.random.default_rng(0)
    X = make_frame(rng, n=90, missing=False)
    y = rng.integers(0, 2, 90)
    groups = np.arange(90) % 6
    pipe = make_pipeline(
        TargetEncoder(cv=GroupKFold(3), smooth=1.0, columns=["city"]),
        LogisticRegression(),
    )
    pipe.fit(X, y, targetencoder__groups=groups)
    direct = TargetEncoder(cv=GroupKFold(3), smooth=1.0, columns=["city"])
    expected = direct.fit_transform(X, y, groups=groups)
    model = LogisticRegression().fit(expected, y)
    assert_allclose(pipe[-1].coef_, model.coef_)


def test_target_encoder_time_series_split_encodes_from_the_past(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = make_frame(rng, n=100, missing=False)
    y = rng.normal(size=len(X))
    cv = TimeSeriesSplit(4)
    out = TargetEncoder(cv=cv, smooth="auto").fit_transform(X, y)["city_te"]
    splits = list(cv.split(X))
    expected = naive_out_of_fold(list(X["city"]), y, [1.0] * len(X), "auto", splits)
    # the first block has no past: it gets the prior of all the rows
    first = splits[0][1][0]
    assert_allclose(out[:first], np.mean(y))
    assert_allclose(out[first:], expected[first:], rtol=1e-10)


def test_target_encoder_time_series_split_leaves_the_prior_for_a_class_target():
    X = pd.DataFrame({"city": list("abcabcabcabc") * 3})
    y = np.array(["no", "yes", "maybe"] * 12)
    out = TargetEncoder(cv=TimeSeriesSplit(2)).fit_transform(X, y)
    first = next(TimeSeriesSplit(2).split(X))[1][0]
    assert_allclose(out.iloc[:first].to_numpy(), np.full((first, 3), 1 / 3))
    assert not np.isnan(out.to_numpy()).any()


@pytest.mark.parametrize(
    "cv, message",
    [
        (ShuffleSplit(3, test_size=0.5, random_state=0), "overlap"),
        (LeaveOneOut(), None),
    ],
)
def test_target_encoder_general_splitters(cv, message):
    rng = np.random.default_rng(0)
    X = make_frame(rng, n=30, missing=False)
    y = rng.normal(size=30)
    enc = TargetEncoder(cv=cv, smooth=1.0)
    if message:
        with pytest.raises(ValueError, match=message):
            enc.fit_transform(X, y)
    else:
        out = enc.fit_transform(X, y)["city_te"]
        splits = list(cv.split(X))
        expected = naive_out_of_fold(list(X["city"]), y, [1.0] * 30, 1.0, splits)
        assert_allclose(out, expected, rtol=1e-10)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("target", ["binary", "multiclass", "continuous"])
def test_target_encoder_int_cv_uses_the_splitters_folds(
    shuffle, target, global_random_seed
):
    rng = np.random.default_rng(global_random_seed)
    n = int(rng.integers(40, 90))
    X = pd.DataFrame({"c": rng.choice(list("abcdefgh"), n)})
    if target == "continuous":
        y = rng.normal(size=n)
        cv = KFold(5, shuffle=shuffle, random_state=7 if shuffle else None)
    else:
        y = rng.choice(["b", "a", "c"][: 2 if target == "binary" else 3], n)
        y[:15] = ["b", "a", "c"] * 5  # every class has at least five rows
        if target == "binary":
            y[y == "c"] = "a"
        cv = StratifiedKFold(5, shuffle=shuffle, random_state=7 if shuffle else None)
    ours = TargetEncoder(cv=5, shuffle=shuffle, random_state=7, smooth=0.5)
    reference = TargetEncoder(cv=list(cv.split(X, y)), smooth=0.5)  # sklearn's split
    assert_allclose(ours.fit_transform(X, y), reference.fit_transform(X, y))


def test_target_encoder_int_cv_folds_and_seed():
    rng = np.random.default_rng(0)
    X = make_frame(rng, n=200)
    y = rng.integers(0, 2, 200)
    a = TargetEncoder(random_state=3).fit_transform(X, y)
    b = TargetEncoder(cv=StratifiedKFold(5, shuffle=True, random_state=3))
    assert_allclose(a, b.fit_transform(X, y))
    c = TargetEncoder(shuffle=False).fit_transform(X, y)
    d = TargetEncoder(cv=StratifiedKFold(5)).fit_transform(X, y)
    assert_allclose(c, d)


# -- errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, X, y, fit_params, err_type, err_msg",
    [
        (
            {"columns": ["nope"]},
            pd.DataFrame({"c": ["a", "b"]}),
            [0, 1],
            {},
            ValueError,
            r"columns=\['nope'\]: column 'nope' is not in X",
        ),
        (
            {"columns": [3]},
            np.array([["a"], ["b"]], dtype=object),
            [0, 1],
            {},
            ValueError,
            r"columns=\[3\]: column 3 is not in X, which has 1 feature",
        ),
        (
            {"target_type": "binary"},
            pd.DataFrame({"c": ["a", "b", "c"]}),
            [0, 1, 2],
            {},
            ValueError,
            "target_type='binary' but y has 3 classes",
        ),
        (
            {},
            pd.DataFrame({"c": ["a", "b"]}),
            None,
            {},
            ValueError,
            "requires y to be passed",
        ),
        (
            {},
            pd.DataFrame({"c": ["a", "b"]}),
            [[0, 1], [1, 0]],
            {},
            ValueError,
            "Unknown label type.*multilabel-indicator",
        ),
        (
            {"cv": 2},
            pd.DataFrame({"c": ["a", "b", "a", "b"]}),
            [0, 1, 0, 1],
            {"groups": [0, 0, 1, 1]},
            ValueError,
            "groups was passed to fit_transform but cv is an int",
        ),
        (
            {"target_type": "continuous"},
            pd.DataFrame({"c": ["a", "b"]}),
            [0.0, np.nan],
            {},
            ValueError,
            "y contains NaN",
        ),
        (
            {"smooth": -1.0},
            pd.DataFrame({"c": ["a", "b"]}),
            [0, 1],
            {},
            ValueError,
            "'smooth' parameter of TargetEncoder must be",
        ),
    ],
)
def test_target_encoder_errors(params, X, y, fit_params, err_type, err_msg):
    enc = TargetEncoder(**params)
    with pytest.raises(err_type, match=err_msg):
        if fit_params:
            enc.fit_transform(X, y, **fit_params)
        else:
            enc.fit(X, y)


# -- output --------------------------------------------------------------------


def test_target_encoder_output_names_and_containers():
    X = pd.DataFrame(
        {"age": [30, 40, 50, 60], "city": ["a", "b", "a", "b"], "k": ["u"] * 4},
        index=[10, 11, 12, 13],
    )
    y = np.array(["no", "yes", "maybe", "no"])
    enc = TargetEncoder(cv=KFold(2), columns=["city"])
    out = enc.fit_transform(X, y)
    expected = ["age", "city_te_maybe", "city_te_no", "city_te_yes", "k"]
    assert list(out.columns) == expected
    assert list(enc.get_feature_names_out()) == expected
    assert list(out.index) == [10, 11, 12, 13]
    assert out["k"].tolist() == ["u"] * 4
    assert_allclose(out.filter(like="city_te").sum(axis=1), 1.0)
    pl_out = enc.set_output(transform="polars").transform(X)
    assert isinstance(pl_out, polars.DataFrame) and pl_out.columns == expected
    np_out = TargetEncoder(columns="all", smooth=1.0).fit(
        X[["city", "k"]].to_numpy(), y
    )
    assert list(np_out.get_feature_names_out()) == [
        f"x{j}_te_{c}" for j in (0, 1) for c in ("maybe", "no", "yes")
    ]
    assert np_out.transform(X[["city", "k"]].to_numpy()).shape == (4, 6)


def test_target_encoder_polars_in_polars_out():
    X = polars.DataFrame({"c": ["a", "b", None, "a"], "v": [1.0, 2.0, 3.0, 4.0]})
    enc = TargetEncoder(cv=KFold(2), smooth=1.0)
    out = enc.fit_transform(X, polars.Series([1, 0, 1, 1]))
    assert isinstance(out, polars.DataFrame)
    assert out.columns == ["c_te", "v"]
    assert out["v"].to_list() == [1.0, 2.0, 3.0, 4.0]


# -- scikit-learn citizenship --------------------------------------------------------


def test_target_encoder_column_transformer_grid_search_over_smooth():
    rng = np.random.default_rng(0)
    X = make_frame(rng, n=300)
    y = (rng.random(300) < 0.3 + 0.4 * (X["city"].fillna("c00") < "c05")).astype(int)
    pipe = make_pipeline(
        make_column_transformer(
            (TargetEncoder(random_state=0), ["city"]), remainder="passthrough"
        ),
        LogisticRegression(),
    )
    search = GridSearchCV(
        pipe, {"columntransformer__targetencoder__smooth": ["auto", 1.0, 50.0]}, cv=3
    )
    search.fit(X, y)
    assert search.best_params_["columntransformer__targetencoder__smooth"] in (
        "auto",
        1.0,
        50.0,
    )
    names = search.best_estimator_[:-1].get_feature_names_out()
    assert list(names) == ["targetencoder__city_te", "remainder__n"]


def test_target_encoder_pickle_and_skops_round_trip():
    skops_io = pytest.importorskip("skops.io")
    rng = np.random.default_rng(0)
    X = make_frame(rng, n=100)
    y = rng.integers(0, 3, 100)
    enc = TargetEncoder(handle_unknown="nan").fit(X, y)
    X_new = pd.concat([X, pd.DataFrame({"city": ["new"], "n": [0.0]})])
    expected = enc.transform(X_new)
    restored = pickle.loads(pickle.dumps(enc))
    pd.testing.assert_frame_equal(restored.transform(X_new), expected)
    dumped = skops_io.dumps(enc)
    untrusted = skops_io.get_untrusted_types(data=dumped)
    assert all(t.startswith(("sklearn_workflow.", "numpy.")) for t in untrusted), (
        untrusted
    )
    loaded = skops_io.loads(dumped, trusted=untrusted)
    pd.testing.assert_frame_equal(loaded.transform(X_new), expected)


def test_target_encoder_single_row_transform():
    rng = np.random.default_rng(0)
    X = make_frame(rng, n=200)
    y = rng.integers(0, 2, 200)
    enc = TargetEncoder().fit(X, y)
    full = enc.transform(X)
    for i in (0, 7, 42):
        assert_allclose(enc.transform(X.iloc[[i]]), full.iloc[[i]])


# -- columns left alone ---------------------------------------------------------------


def _cars(n=40):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "Cylinders": rng.choice([4, 6, 8], n),
            "Origin": rng.choice(["usa", "europe", "japan"], n),
            "Weight": rng.normal(3000, 500, n),
        }
    )
    return X, (rng.random(n) < 0.4).astype(int)


def test_integer_categories_left_alone_are_named_in_a_warning():
    X, y = _cars()
    ct = make_column_transformer((TargetEncoder(cv=3), ["Cylinders", "Origin"]))
    with pytest.warns(UserWarning, match=r"'Cylinders' unchanged.*columns=\[\.\.\.\]"):
        out = ct.fit_transform(X, y)
    assert_array_equal(out[:, 0], X["Cylinders"])


@pytest.mark.parametrize("columns", ["all", ["Cylinders", "Origin"], ["Origin"], None])
def test_named_columns_and_continuous_columns_raise_no_warning(columns):
    import warnings

    X, y = _cars()
    X = X[["Cylinders", "Origin"]] if columns is not None else X[["Origin", "Weight"]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc = TargetEncoder(columns=columns, cv=3).fit(X, y)
    if columns in ("all", ["Cylinders", "Origin"]):
        assert enc.columns_ == ["Cylinders", "Origin"]


# -- metadata routing -----------------------------------------------------------------


def _grouped(n=60):
    X, y = _cars(n)
    groups = np.arange(n) % 6
    return X[["Origin"]], y, groups


def test_routing_sends_groups_to_the_folds_through_a_column_transformer():
    X, y, groups = _grouped()
    expected = TargetEncoder(cv=GroupKFold(3)).fit_transform(X, y, groups=groups)
    with sklearn.config_context(enable_metadata_routing=True):
        encoder = TargetEncoder(cv=GroupKFold(3)).set_fit_request(groups=True)
        ct = make_column_transformer((encoder, ["Origin"]))
        out = ct.fit_transform(X, y, groups=groups)
        assert_allclose(out[:, 0], expected["Origin_te"])
        # an unrequested group is refused, as scikit-learn does
        with pytest.raises(ValueError, match="groups"):
            make_column_transformer(
                (TargetEncoder(cv=GroupKFold(3)), ["Origin"])
            ).fit_transform(X, y, groups=groups)


def test_routing_through_pipeline_grid_search_and_cross_validate():
    from sklearn.metrics import accuracy_score, make_scorer

    X, y, groups = _grouped(90)
    weights = np.random.default_rng(0).random(len(y)) + 0.5
    with sklearn.config_context(enable_metadata_routing=True):
        encoder = TargetEncoder(cv=GroupKFold(3)).set_fit_request(
            groups=True, sample_weight=True
        )
        pipe = make_pipeline(
            make_column_transformer((encoder, ["Origin"])),
            LogisticRegression()
            .set_fit_request(sample_weight=False)
            .set_score_request(sample_weight=False),
        )
        pipe.fit(X, y, groups=groups, sample_weight=weights)
        grouped = make_pipeline(
            make_column_transformer(
                (
                    TargetEncoder(cv=GroupKFold(3)).set_fit_request(groups=True),
                    ["Origin"],
                )
            ),
            LogisticRegression(),
        )
        search = GridSearchCV(
            grouped,
            {"columntransformer__targetencoder__smooth": [1.0, "auto"]},
            cv=GroupKFold(3),
        ).fit(X, y, groups=groups)
        result = cross_validate(
            pipe,
            X,
            y,
            cv=GroupKFold(3),
            scoring=make_scorer(accuracy_score).set_score_request(sample_weight=False),
            params={"groups": groups, "sample_weight": weights},
            return_estimator=True,
            return_indices=True,
        )
    fitted = pipe[0].named_transformers_["targetencoder"]
    reference = TargetEncoder(cv=GroupKFold(3))
    encoded = reference.fit_transform(X, y, sample_weight=weights, groups=groups)
    assert_allclose(fitted.encodings_[0], reference.encodings_[0])
    # the model learned on the out-of-fold encodings of the group folds
    model = LogisticRegression().fit(encoded, y)
    assert_allclose(pipe[-1].coef_, model.coef_)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    train = result["indices"]["train"][0]
    inner = result["estimator"][0][0].named_transformers_["targetencoder"]
    reference = TargetEncoder(cv=GroupKFold(3)).fit(
        X.iloc[train], y[train], sample_weight=weights[train]
    )
    assert_allclose(inner.encodings_[0], reference.encodings_[0])
