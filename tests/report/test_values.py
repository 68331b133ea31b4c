import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_workflow.report import format_value, to_jsonable, verdict_word


def _naive_jsonable(value):
    """The conversion spelled out: containers walked, numpy unwrapped, NaN/inf None."""
    if isinstance(value, dict):
        return {str(k): _naive_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_naive_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (value != value or value in (math.inf, -math.inf)):
        return None
    return value


def test_to_jsonable_round_trips_numpy_and_pandas_values():
    value = {
        "auc": np.float64(0.91),
        "n": np.int64(3),
        "small": np.float32(0.5),
        "ok": np.bool_(True),
        "labels": np.array(["a", "b"], dtype=object),
        "matrix": np.array([[1, 2], [3, 4]]),
        "series": pd.Series([1.5, np.nan]),
        "nullable": pd.Series([2, None], dtype="Int64"),
        "index": pd.Index([10, 20]),
        "frame": pd.DataFrame({"a": [1, 2], "b": ["x", None]}),
        ("tuple", "key"): (1, "two"),
        7: {"deep": [np.float64(np.inf), -np.inf, float("nan")]},
    }
    expected = {
        "auc": 0.91,
        "n": 3,
        "small": 0.5,
        "ok": True,
        "labels": ["a", "b"],
        "matrix": [[1, 2], [3, 4]],
        "series": [1.5, None],
        "nullable": [2, None],
        "index": [10, 20],
        "frame": [{"a": 1, "b": "x"}, {"a": 2, "b": None}],
        "('tuple', 'key')": [1, "two"],
        "7": {"deep": [None, None, None]},
    }
    converted = to_jsonable(value)
    assert json.loads(json.dumps(converted, allow_nan=False)) == expected
    assert type(converted["n"]) is int and type(converted["ok"]) is bool


@pytest.mark.parametrize(
    "missing",
    [
        None,
        float("nan"),
        float("inf"),
        -float("inf"),
        np.float32("nan"),
        np.float64("-inf"),
        pd.NA,
        pd.NaT,
        np.datetime64("NaT"),
    ],
    ids=repr,
)
def test_to_jsonable_missing_and_infinite_values_are_none(missing):
    assert to_jsonable(missing) is None
    assert to_jsonable([missing]) == [None]


def test_to_jsonable_other_objects_become_their_text():
    day = pd.Timestamp("2024-01-02 03:04")
    assert to_jsonable({"when": day, "kind": complex(1, 2)}) == {
        "when": str(day),
        "kind": "(1+2j)",
    }
    assert to_jsonable(np.datetime64("2024-01-02")) == "2024-01-02"
    assert to_jsonable(np.array(2.5)) == 2.5  # a 0-d array is its value


_NUMPY_SCALARS = st.one_of(
    st.integers(-(2**63), 2**63 - 1).map(np.int64),
    st.integers(0, 255).map(np.uint8),
    st.floats().map(np.float64),
    st.floats(width=32).map(np.float32),
    st.booleans().map(np.bool_),
)
_LEAVES = st.one_of(
    _NUMPY_SCALARS,
    st.floats(),  # nan and infinities included
    st.integers(),
    st.text(),
    st.none(),
    st.booleans(),
)
_NESTED = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(), st.integers()), children, max_size=4),
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(value=_NESTED)
def test_to_jsonable_always_dumps_to_strict_json(value):
    converted = to_jsonable(value)
    text = json.dumps(converted, allow_nan=False)  # never raises
    assert json.loads(text) == _naive_jsonable(value)


@pytest.mark.parametrize(
    "value, style, expected",
    [
        (0.912345, "text", "0.9123"),
        (np.float32(0.5), "text", "0.5"),
        (1e-05, "text", "1e-05"),
        (123456.7, "markdown", "1.235e+05"),
        (float("inf"), "text", "inf"),
        (12500, "text", "12,500"),
        (np.int64(-3000), "markdown", "-3,000"),
        (True, "text", "yes"),
        (np.bool_(False), "html", "no"),
        (None, "text", "n/a"),
        (None, "markdown", "-"),
        (None, "html", ""),
        (float("nan"), "markdown", "-"),
        (np.float32("nan"), "text", "n/a"),
        (pd.NA, "markdown", "-"),
        (pd.NaT, "text", "n/a"),
        (np.datetime64("NaT"), "html", ""),
        ("a|b", "markdown", "a\\|b"),
        ("a|b", "text", "a|b"),
        ("two\nlines\r\nhere", "markdown", "two lines here"),
        ([1, 2], "text", "[1, 2]"),
    ],
)
def test_format_value_styles(value, style, expected):
    assert format_value(value, style=style) == expected


@pytest.mark.parametrize("digits", [1, 2, 4, 6])
def test_format_value_digits_are_significant_digits(digits):
    for value in (3.14159265, -0.000271828, 98765.4321):
        text = format_value(value, digits=digits)
        mantissa = text.lower().split("e")[0].lstrip("-").replace(".", "")
        assert len(mantissa.lstrip("0")) <= digits, text
        assert float(text) == pytest.approx(value, rel=10 ** (1 - digits))


@settings(max_examples=100, deadline=None)
@given(n=st.integers())
def test_format_value_integers_read_back(n):
    text = format_value(n)
    assert int(text.replace(",", "")) == n
    assert all(len(group) == 3 for group in text.lstrip("-").split(",")[1:])


@pytest.mark.parametrize(
    "met, expected",
    [
        (True, "met"),
        (False, "NOT met"),
        (None, "not measured"),
        (np.bool_(True), "met"),
        (np.bool_(False), "NOT met"),
        (1, "met"),
        (0, "NOT met"),
        (float("nan"), "not measured"),  # a criteria table's missing cell
        (pd.NA, "not measured"),
    ],
)
def test_verdict_word(met, expected):
    assert verdict_word(met) == expected
