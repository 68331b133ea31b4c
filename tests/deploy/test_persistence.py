"""save/load through skops: round trips, the trusted list, refusals."""

import collections
import io
import json
import os
import pickle
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import clone, is_regressor
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    ShuffleSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
    StratifiedShuffleSplit,
    TimeSeriesSplit,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

from sklearn_workflow.deploy import UntrustedTypesError, load, save, trusted_types
from sklearn_workflow.deploy._persistence import PICKLE_SUFFIXES, THIRD_PARTY_TYPES
from sklearn_workflow.utils._testing import all_estimator_instances

METHODS = ("predict", "predict_proba", "decision_function", "transform")


def _fit_generic(estimator, seed):
    """Fit on positive numeric data, the input the common checks use."""
    X, y = make_classification(
        n_samples=120, n_features=5, n_informative=3, random_state=seed
    )
    X = np.abs(X) + 0.5
    if is_regressor(estimator):
        y = X[:, 0] * 2.0 + np.random.default_rng(seed).normal(size=len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X, y), X


def _outputs(estimator, X):
    out = {}
    for method in METHODS:
        if hasattr(estimator, method):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = getattr(estimator, method)(X)
            if hasattr(result, "to_numpy"):
                result = result.to_numpy()
            out[method] = np.asarray(result)
    return out


def _assert_same_outputs(before, after):
    assert before.keys() == after.keys()
    for method in before:
        np.testing.assert_array_equal(before[method], after[method], err_msg=method)


@pytest.mark.parametrize(
    "estimator", all_estimator_instances(), ids=lambda est: type(est).__name__
)
def test_save_load_every_public_estimator_round_trips(
    estimator, tmp_path, global_random_seed
):
    fitted, X = _fit_generic(clone(estimator), global_random_seed)
    path = tmp_path / "model.skops"
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # nothing untrusted
        save(fitted, path)
    loaded = load(path)
    assert type(loaded) is type(fitted)
    outputs = _outputs(fitted, X)
    assert outputs, f"{type(fitted).__name__} has none of {METHODS}"
    _assert_same_outputs(outputs, _outputs(loaded, X))


def test_save_load_dataframe_pipeline_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "amount": rng.lognormal(size=200),
            "city": rng.choice(["a", "b", "c"], size=200),
            "age": np.where(rng.random(200) < 0.1, np.nan, rng.normal(40, 9, 200)),
        }
    )
    y = (X["amount"] > 1).astype(int)
    model = make_pipeline(
        ColumnTransformer(
            [
                ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"]),
                ("num", SimpleImputer(), ["amount", "age"]),
            ]
        ),
        HistGradientBoostingClassifier(max_iter=10, random_state=0),
    ).fit(X, y)
    save(model, tmp_path / "pipe.skops")
    loaded = load(tmp_path / "pipe.skops")
    np.testing.assert_array_equal(model.predict_proba(X), loaded.predict_proba(X))
    assert list(loaded.feature_names_in_) == ["amount", "city", "age"]


@pytest.mark.parametrize("suffix", PICKLE_SUFFIXES + (".PKL",))
@pytest.mark.parametrize("action", ["save", "load"])
def test_save_load_refuse_pickle_paths(tmp_path, suffix, action):
    path = tmp_path / f"model{suffix}"
    model = LogisticRegression()
    if action == "load":
        path.write_bytes(pickle.dumps(model))
    with pytest.raises(ValueError, match=rf"Refusing to {action} .*pickle format"):
        save(model, path) if action == "save" else load(path)
    if action == "save":
        assert not path.exists()


def test_load_refuses_a_pickle_renamed_skops(tmp_path):
    path = tmp_path / "model.skops"
    path.write_bytes(pickle.dumps(LogisticRegression()))
    with pytest.raises(ValueError, match="is not a skops file"):
        load(path)


def test_load_missing_file_raises_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.skops")


@pytest.mark.parametrize(
    "payload, names",
    [
        ({"run": os.system}, [f"{os.system.__module__}.system"]),
        (collections.Counter(a=1), ["collections.Counter"]),
        ([collections.deque([1]), eval], ["builtins.eval", "collections.deque"]),
    ],
)
def test_load_refuses_untrusted_types_and_lists_them(tmp_path, payload, names):
    path = tmp_path / "bad.skops"
    sio.dump(payload, path)
    with pytest.raises(UntrustedTypesError, match="not trusted") as info:
        load(path)
    assert info.value.types == sorted(names)
    for name in names:
        assert name in str(info.value)


def test_load_accepts_explicitly_trusted_types(tmp_path):
    path = tmp_path / "counter.skops"
    sio.dump(collections.Counter(a=2), path)
    assert load(path, trusted=[collections.Counter]) == collections.Counter(a=2)
    assert load(path, trusted=["collections.Counter"])["a"] == 2


def test_save_warns_about_types_load_will_refuse(tmp_path):
    with pytest.warns(UserWarning, match=r"collections\.Counter"):
        save(collections.Counter(a=1), tmp_path / "c.skops")
    assert (tmp_path / "c.skops").exists()


def test_save_writes_atomically_and_creates_the_folder(tmp_path):
    path = tmp_path / "deep" / "folder" / "model.skops"
    X, y = make_classification(n_samples=50, random_state=0)
    assert save(LogisticRegression().fit(X, y), path) == path
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.skops"]


def test_trusted_types_include_every_package_estimator():
    names = set(trusted_types())
    for estimator in all_estimator_instances():
        cls = type(estimator)
        assert f"{cls.__module__}.{cls.__qualname__}" in names


def _needs(name):
    """An object whose skops file holds the third-party type ``name``."""
    X, y = make_classification(n_samples=60, random_state=0)
    splitters = {
        cls.__name__: cls
        for cls in (
            KFold,
            StratifiedKFold,
            GroupKFold,
            StratifiedGroupKFold,
            ShuffleSplit,
            StratifiedShuffleSplit,
            RepeatedKFold,
            RepeatedStratifiedKFold,
            TimeSeriesSplit,
        )
    }
    short = name.rsplit(".", 1)[1]
    if short in splitters:
        return splitters[short]()
    if short == "Tree":
        return DecisionTreeClassifier(max_depth=2).fit(X, y)
    if short in ("TreePredictor", "_BinMapper", "Interval"):
        return HistGradientBoostingClassifier(max_iter=2).fit(X, y)
    if short in ("HalfBinomialLoss", "LogitLink"):
        return HistGradientBoostingClassifier(max_iter=2).fit(X, y)._loss
    if short in ("HalfMultinomialLoss", "MultinomialLogit", "CyHalfMultinomialLoss"):
        X3, y3 = make_classification(
            n_samples=90, n_classes=3, n_informative=4, random_state=0
        )
        return HistGradientBoostingClassifier(max_iter=2).fit(X3, y3)
    if short == "_RemainderColsList":
        frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
        return ColumnTransformer(
            [("a", SimpleImputer(), ["a"])], remainder="passthrough"
        ).fit(frame)
    if short in ("HalfSquaredError", "IdentityLink"):
        return HistGradientBoostingRegressor(max_iter=2).fit(X, X[:, 0])
    if short == "dtype":  # the input dtype a SimpleImputer keeps from a frame
        return SimpleImputer().fit(pd.DataFrame({"a": [1.0, np.nan, 3.0]}))
    if short in ("StringEncoder", "ToStr"):  # the workflow's free-text encoder
        from skrub import StringEncoder

        notes = pd.Series([f"note number {i} about the customer" for i in range(30)])
        return StringEncoder(n_components=2).fit(notes)
    if name.startswith("xgboost."):
        xgboost = pytest.importorskip("xgboost")
        if short == "XGBRegressor":
            return xgboost.XGBRegressor(n_estimators=2).fit(X, X[:, 0])
        return xgboost.XGBClassifier(n_estimators=2).fit(X, y)
    lightgbm = pytest.importorskip("lightgbm")
    if short in ("LGBMClassifier", "Booster", "OrderedDict"):
        return lightgbm.LGBMClassifier(n_estimators=2, verbose=-1).fit(X, y)
    if short == "LGBMRegressor":
        return lightgbm.LGBMRegressor(n_estimators=2, verbose=-1).fit(X, X[:, 0])
    raise AssertionError(f"no object known to need {name}")


def _types_in(data):
    """Every ``module.class`` named in a skops file's schema."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    found, stack = set(), [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__module__" in node and "__class__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


@pytest.mark.parametrize("name", THIRD_PARTY_TYPES)
def test_every_third_party_trusted_type_is_needed(name):
    # The list is exact: each entry is a type that an object a sklearn_workflow
    # model can hold puts in its skops file, spelled as skops spells it (some are
    # trusted by default in recent skops, not in the oldest one we support).
    found = _types_in(sio.dumps(_needs(name)))
    if name in OLDER_SCIKIT_LEARN_ONLY and name not in found:
        pytest.skip(f"{name} is held by older scikit-learn versions only")
    if name in NEWER_SKRUB_ONLY and name not in found:
        pytest.skip(f"{name} is held by newer skrub versions only")
    assert name in found


# Types that recent skrub puts in a fitted StringEncoder and skrub 0.8 does not.
NEWER_SKRUB_ONLY = ("skrub._to_str.ToStr",)

# Types that scikit-learn 1.6 puts in fitted models and later versions do not.
OLDER_SCIKIT_LEARN_ONLY = (
    "_loss.CyHalfMultinomialLoss",
    "sklearn.compose._column_transformer._RemainderColsList",
)


@pytest.mark.parametrize("name", THIRD_PARTY_TYPES)
def test_every_third_party_trusted_type_round_trips(tmp_path, name):
    obj = _needs(name)
    save(obj, tmp_path / "obj.skops")
    loaded = load(tmp_path / "obj.skops")
    assert type(loaded) is type(obj)


def test_a_selected_xgboost_model_with_text_labels_loads_and_predicts_the_same(
    tmp_path,
):
    # XGBoost takes labels 0 to n_classes - 1 only: the selector wraps it, and the
    # saved wrapper and booster load without naming any type.
    xgboost = pytest.importorskip("xgboost")
    from sklearn_workflow.selection import ModelSelector

    X, y = make_classification(n_samples=120, random_state=0)
    labels = np.where(y == 1, "churn", "stay")
    selector = ModelSelector(
        {"xgb": xgboost.XGBClassifier(n_estimators=5)}, strategy="full", cv=3
    ).fit(X, labels)
    save(selector, tmp_path / "xgb.skops")
    loaded = load(tmp_path / "xgb.skops")
    np.testing.assert_array_equal(loaded.predict(X), selector.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), selector.predict_proba(X))
    assert set(loaded.predict(X)) == {"churn", "stay"}
