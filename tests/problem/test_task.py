"""infer_task, the one task rule, against a plain reference and on every container."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_workflow.problem import infer_task
from sklearn_workflow.problem._task import (
    MAX_CLASSES,
    is_classification,
    normalize_task,
    task_choice_note,
)


def naive_task(values):
    """The rule written out on a Python list (None/NaN are missing)."""
    present = [
        v
        for v in values
        if v is not None and not (isinstance(v, float) and np.isnan(v))
    ]
    if any(isinstance(v, (str, bool, np.bool_)) for v in present):
        kind = "labels"
    elif any(not float(v).is_integer() for v in present):
        return "regression"
    else:
        kind = "numbers"
    distinct = len(set(present))
    if kind == "numbers" and distinct > MAX_CLASSES:
        return "regression"
    return "binary_classification" if distinct <= 2 else "multiclass_classification"


@pytest.mark.parametrize(
    "y, expected",
    [
        (pd.Series(["yes", "no", "yes"]), "binary_classification"),
        (pd.Series(["a", "b", "c", None]), "multiclass_classification"),
        (pd.Series([True, False, True]), "binary_classification"),
        (pd.Series([True, None, False], dtype="boolean"), "binary_classification"),
        (pd.Series(["x", "y"] * 30, dtype="category"), "binary_classification"),
        (pd.Series(list(range(50)), dtype="category"), "multiclass_classification"),
        (pd.Series([0, 1, 1, 0]), "binary_classification"),
        (pd.Series([1, 2, 3, 4, 5] * 4), "multiclass_classification"),
        (pd.Series(np.arange(21)), "regression"),
        (pd.Series(np.arange(20)), "multiclass_classification"),
        (pd.Series(np.arange(30_000, 90_000, 500)), "regression"),
        (pd.Series([1.0, 2.0, 3.0, np.nan]), "multiclass_classification"),
        (pd.Series([0.5, 1.0, 1.5]), "regression"),
        (pd.Series([1.0, np.inf]), "regression"),
        (pd.Series([1, None, 3], dtype="Int64"), "binary_classification"),
        (pd.Series(np.arange(100), dtype="UInt32"), "regression"),
        (np.array([0, 1, 2]), "multiclass_classification"),
        (["good", "bad"], "binary_classification"),
        ([1.25, 2.5], "regression"),
        (pd.Series([1, 2.5], dtype=object), "regression"),
    ],
)
def test_infer_task_table(y, expected):
    assert infer_task(y) == expected


def test_infer_task_polars_and_pandas_3_strings():
    pl = pytest.importorskip("polars")
    assert infer_task(pl.Series(["a", "b", None])) == "binary_classification"
    assert infer_task(pl.Series(np.arange(40))) == "regression"
    assert infer_task(pd.Series(["a", "b", "c"], dtype="str")) == (
        "multiclass_classification"
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(-50, 50),
            st.floats(-100, 100, allow_nan=False).map(lambda v: round(v, 1)),
            st.none(),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_infer_task_matches_the_naive_rule_on_numbers(values):
    if all(v is None for v in values):
        values = values + [1]
    y = pd.Series([np.nan if v is None else float(v) for v in values])
    assert infer_task(y) == naive_task(values)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d", None]), min_size=1, max_size=40))
def test_infer_task_matches_the_naive_rule_on_labels(values):
    if all(v is None for v in values):
        values = values + ["a"]
    assert infer_task(pd.Series(values, dtype=object)) == naive_task(values)


def test_infer_task_refuses_two_columns_and_dates():
    with pytest.raises(ValueError, match="one column; got shape"):
        infer_task(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="kind 'datetime'"):
        infer_task(pd.Series(pd.date_range("2024-01-01", periods=3)))


@pytest.mark.parametrize(
    "task, y, expected",
    [
        ("auto", [0, 1, 0], "binary_classification"),
        (None, np.arange(30), "regression"),
        ("classification", [3, 1, 2], "multiclass_classification"),
        ("classification", ["a", "b"], "binary_classification"),
        ("regression", None, "regression"),
        ("binary_classification", None, "binary_classification"),
    ],
)
def test_normalize_task(task, y, expected):
    assert normalize_task(task, y) == expected


@pytest.mark.parametrize(
    "task, y, message",
    [
        ("classify", [0, 1], "task must be one of .* got 'classify'"),
        ("auto", None, "task='auto' needs the target"),
    ],
)
def test_normalize_task_errors(task, y, message):
    with pytest.raises(ValueError, match=message):
        normalize_task(task, y)


def test_task_choice_note_only_for_close_calls():
    assert task_choice_note(np.arange(9)) is None
    note = task_choice_note(np.arange(15))
    assert "15 distinct integer values" in note and "--task regression" in note
    assert task_choice_note(np.arange(21)) is None  # regression, no close call
    assert task_choice_note(np.arange(15), task="regression") is None
    assert task_choice_note([str(i) for i in range(15)]) is None


def test_is_classification():
    assert is_classification("binary_classification")
    assert is_classification("multiclass_classification")
    assert is_classification("classification")
    assert not is_classification("regression")
