"""The six feature transformers select and check columns through one path.

Each mistake is made against every transformer that can meet it, and must get the
same message: ``"<param>=<value>: "`` then the same sentence about the column.
"""

import re

import numpy as np
import pandas as pd
import pytest

from sklearn_workflow.features import (
    Binner,
    DateFeatureExtractor,
    GroupAggregator,
    LogTransformer,
    RatioFeatures,
    TargetEncoder,
)

FRAME = pd.DataFrame(
    {
        "num": [1.0, 2.0, 3.0, 4.0],
        "when": pd.to_datetime(["2024-01-01", "2024-02-01", None, "2024-03-01"]),
        "city": ["a", "b", "a", "b"],
        "flag": [True, False, True, False],
    }
)
ARRAY = np.arange(8.0).reshape(4, 2)
Y = [0, 1, 0, 1]

# Per transformer: (build an instance whose selecting parameter names ``keys``,
# the column that must be numeric for the partner of a pair or an aggregation).
SELECTORS = {
    "LogTransformer": lambda keys, other: LogTransformer(columns=keys),
    "Binner": lambda keys, other: Binner(columns=keys, bins=2),
    "RatioFeatures": lambda keys, other: RatioFeatures(
        pairs=[(k, other) for k in keys]
    ),
    "GroupAggregator": lambda keys, other: GroupAggregator(
        by=keys, aggregations={other: "count"}
    ),
    "DateFeatureExtractor": lambda keys, other: DateFeatureExtractor(columns=keys),
    "TargetEncoder": lambda keys, other: TargetEncoder(columns=keys, cv=2),
}
SELECTING_PARAM = {
    "RatioFeatures": "pairs",
    "GroupAggregator": "by",
}

# mistake: (X, keys, error type, the sentence after "<param>=<value>: ")
MISTAKES = {
    "name not in X": (
        FRAME,
        ["nope"],
        ValueError,
        "column 'nope' is not in X; X's columns are 'num', 'when', 'city', 'flag'.",
    ),
    "position not in X": (
        ARRAY,
        [5],
        ValueError,
        "column 5 is not in X, which has 2 feature(s).",
    ),
    "name given for an array": (
        ARRAY,
        ["num"],
        ValueError,
        "column 'num' is not in X, which has no string column names (it is an "
        "array, or its column names are not all strings); name columns by integer "
        "position.",
    ),
    "key of another type": (
        FRAME,
        [1.5],
        TypeError,
        "columns are named by string or integer position, got 1.5.",
    ),
    "empty selection": (
        FRAME,
        [],
        ValueError,
        "it must name at least one column.",
    ),
}


def _fit(estimator, X):
    if isinstance(estimator, TargetEncoder):
        return estimator.fit(X, Y)
    return estimator.fit(X)


@pytest.mark.parametrize("mistake", list(MISTAKES))
@pytest.mark.parametrize("name", list(SELECTORS))
def test_the_same_mistake_gets_the_same_message(name, mistake):
    X, keys, err_type, sentence = MISTAKES[mistake]
    other = "num" if isinstance(X, pd.DataFrame) else 0
    estimator = SELECTORS[name](keys, other)
    param = SELECTING_PARAM.get(name, "columns")
    value = getattr(estimator, param)
    expected = re.escape(f"{param}={value!r}: {sentence}")
    with pytest.raises(err_type, match=f"^{expected}$"):
        _fit(estimator, X)


# A column of the wrong kind: (instance, parameter, column, its kind, needed kinds).
# TargetEncoder is not in the table: it encodes a column of any kind it is given.
WRONG_KIND = {
    "LogTransformer": (LogTransformer(columns="city"), "columns"),
    "Binner": (Binner(columns="city"), "columns"),
    "RatioFeatures": (RatioFeatures(pairs=[("num", "city")]), "pairs"),
    "GroupAggregator": (
        GroupAggregator(by="num", aggregations={"city": "mean"}),
        "aggregations",
    ),
    "DateFeatureExtractor": (DateFeatureExtractor(columns="flag"), "columns"),
}
NEEDED = {"DateFeatureExtractor": "datetime or numeric or categorical (string)"}


@pytest.mark.parametrize("name", list(WRONG_KIND))
def test_a_column_of_the_wrong_kind_gets_the_same_message(name):
    estimator, param = WRONG_KIND[name]
    column, kind = ("flag", "boolean") if name in NEEDED else ("city", "categorical")
    needed = NEEDED.get(name, "numeric or boolean")
    expected = re.escape(
        f"{param}={getattr(estimator, param)!r}: column {column!r} is a {kind}"
    ) + re.escape(f"{' (string)' * (kind == 'categorical')} column; {name} needs a ")
    expected += re.escape(f"{needed} column there.")
    with pytest.raises(TypeError, match=f"^{expected}$"):
        _fit(estimator, FRAME)


FITTED = {
    "LogTransformer": lambda: LogTransformer(columns="num"),
    "Binner": lambda: Binner(columns="num", bins=2),
    "RatioFeatures": lambda: RatioFeatures(pairs=[("num", "num")]),
    "GroupAggregator": lambda: GroupAggregator(by="city", aggregations={"num": "sum"}),
    "DateFeatureExtractor": lambda: DateFeatureExtractor(columns="when"),
    "TargetEncoder": lambda: TargetEncoder(columns=["city"], cv=2),
}


@pytest.mark.parametrize(
    "input_features, message",
    [
        (["num", "when", "town", "flag"], "input_features is not equal to"),
        (["x0", "x1"], "input_features is not equal to"),
    ],
)
@pytest.mark.parametrize("name", list(FITTED))
def test_input_features_are_checked_the_same_way(name, input_features, message):
    estimator = _fit(FITTED[name](), FRAME)
    assert list(estimator.get_feature_names_out(list(FRAME.columns))) == list(
        estimator.get_feature_names_out()
    )
    with pytest.raises(ValueError, match=message):
        estimator.get_feature_names_out(input_features)


ON_ARRAYS = {
    "LogTransformer": lambda: LogTransformer(columns=0),
    "Binner": lambda: Binner(columns=0, bins=2),
    "RatioFeatures": lambda: RatioFeatures(pairs=[(0, 0)]),
    "GroupAggregator": lambda: GroupAggregator(by=2, aggregations={0: "sum"}),
    "DateFeatureExtractor": lambda: DateFeatureExtractor(columns=1),
    "TargetEncoder": lambda: TargetEncoder(columns=[2], cv=2),
}


@pytest.mark.parametrize("name", list(ON_ARRAYS))
def test_input_features_of_an_array_must_have_its_length(name):
    estimator = _fit(ON_ARRAYS[name](), FRAME.to_numpy())
    names = estimator.get_feature_names_out(["a", "b", "c", "d"])
    assert len(names) == len(estimator.get_feature_names_out())
    expected = "input_features should have length equal to number of features (4)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        estimator.get_feature_names_out(["a", "b"])


@pytest.mark.parametrize("name", list(FITTED))
def test_no_rows_get_the_same_message(name):
    expected = (
        r"Found array with 0 sample\(s\) \(shape=\(0, 4\)\) while a minimum of 1 is "
        f"required by {name}."
    )
    with pytest.raises(ValueError, match=expected):
        _fit(FITTED[name](), FRAME.iloc[:0])
    estimator = _fit(FITTED[name](), FRAME)
    with pytest.raises(ValueError, match=expected):
        estimator.transform(FRAME.iloc[:0])


@pytest.mark.parametrize("name", ["LogTransformer", "Binner", "DateFeatureExtractor"])
def test_a_column_named_twice_is_used_once(name):
    key = "when" if name == "DateFeatureExtractor" else "num"
    once = _fit(SELECTORS[name]([key], "num"), FRAME)
    twice = _fit(SELECTORS[name]([key, key], "num"), FRAME)
    assert twice.columns_ == once.columns_ == [key]
    pd.testing.assert_frame_equal(twice.transform(FRAME), once.transform(FRAME))


def test_a_column_named_twice_is_used_once_by_the_group_and_target_encoders():
    once = _fit(SELECTORS["GroupAggregator"](["city"], "num"), FRAME)
    twice = _fit(SELECTORS["GroupAggregator"](["city", "city"], "num"), FRAME)
    assert twice.by_ == once.by_ == ["city"]
    pd.testing.assert_frame_equal(twice.transform(FRAME), once.transform(FRAME))
    once = _fit(TargetEncoder(columns=["city"], cv=2), FRAME)
    twice = _fit(TargetEncoder(columns=["city", "city", 2], cv=2), FRAME)
    assert twice.columns_ == once.columns_ == ["city"]
    pd.testing.assert_frame_equal(twice.transform(FRAME), once.transform(FRAME))


@pytest.mark.parametrize(
    "estimator, selected",
    [
        (LogTransformer(skew_threshold=-10.0), ["num"]),
        (Binner(columns=None, bins=2), ["num"]),
        (DateFeatureExtractor(), ["when"]),
        (TargetEncoder(cv=2), ["city", "flag"]),
    ],
)
def test_columns_none_selects_the_columns_of_the_transformers_kind(estimator, selected):
    assert _fit(estimator, FRAME).columns_ == selected
