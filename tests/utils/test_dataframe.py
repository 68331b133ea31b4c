import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin

from sklearn_workflow.utils._dataframe import (
    column_kind,
    factorize,
    make_output,
    missing_mask,
    to_datetime64,
    to_float_array,
    to_object_array,
)

pl = pytest.importorskip("polars")


def _frame():
    return pd.DataFrame(
        {
            "num": [1.5, np.nan, 3.0, 4.0],
            "int": pd.array([1, None, 3, 4], dtype="Int64"),
            "flag": pd.array([True, None, False, True], dtype="boolean"),
            "text": pd.Series(["a", None, "b", "a"], dtype="str"),
            "obj": pd.Series(["a", np.nan, None, "c"], dtype=object),
            "cat": pd.Categorical(["x", "y", None, "x"], categories=["x", "y", "z"]),
            "when": pd.to_datetime(["2024-01-01", None, "2024-03-01", "2024-04-01"]),
        }
    )


EXPECTED_KINDS = {
    "num": "numeric",
    "int": "numeric",
    "flag": "boolean",
    "text": "categorical",
    "obj": "categorical",
    "cat": "categorical",
    "when": "datetime",
}


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_column_kind_and_missing_mask_agree_across_libraries(library):
    X = _frame() if library == "pandas" else pl.from_pandas(_frame())
    for name, kind in EXPECTED_KINDS.items():
        col = X[name] if library == "pandas" else X.get_column(name)
        assert column_kind(col) == kind, name
        expected = {
            "obj": [False, True, True, False],
            "cat": [False, False, True, False],
        }.get(name, [False, True, False, False])
        assert missing_mask(col).tolist() == expected, name


def test_column_kind_of_numpy_and_object_columns():
    assert column_kind(np.array([1, 2])) == "numeric"
    assert column_kind(np.array([True, False])) == "boolean"
    assert column_kind(np.array(["a", "b"])) == "categorical"
    assert column_kind(np.array([1, None, 2.5], dtype=object)) == "numeric"
    assert column_kind(np.array([True, None], dtype=object)) == "boolean"
    assert column_kind(np.array(["2024-01-01"], dtype="datetime64[D]")) == "datetime"


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_to_float_array_turns_every_missing_value_into_nan(library):
    X = _frame() if library == "pandas" else pl.from_pandas(_frame())
    for name in ("num", "int", "flag"):
        col = X[name] if library == "pandas" else X.get_column(name)
        values = to_float_array(col)
        assert values.dtype == np.float64
        assert np.isnan(values[1]) and not np.isnan(values[[0, 2, 3]]).any()


def test_factorize_matches_a_plain_loop():
    values = ["b", None, "a", "b", np.nan, "c", "a"]
    codes, uniques = factorize(pd.Series(values, dtype=object))
    seen = []
    for value, code in zip(values, codes):
        if value is None or value != value:
            assert code == -1
            continue
        if value not in seen:
            seen.append(value)
        assert code == seen.index(value)
    assert list(uniques) == seen


def test_factorize_category_keeps_only_used_categories_in_order_of_appearance():
    col = pd.Series(pd.Categorical(["y", None, "x", "y"], categories=["x", "y", "z"]))
    codes, uniques = factorize(col)
    assert codes.tolist() == [0, -1, 1, 0]
    assert list(uniques) == ["y", "x"]
    codes_pl, uniques_pl = factorize(
        pl.from_pandas(col.astype(str).replace("nan", None))
    )
    assert codes_pl.tolist() == [0, -1, 1, 0] and list(uniques_pl) == ["y", "x"]


def test_to_object_array_uses_none_for_missing():
    values = to_object_array(pd.Series(["a", pd.NA, None], dtype="string"))
    assert values.tolist() == ["a", None, None]


def test_to_datetime64_returns_wall_time_and_zone():
    s = pd.Series(pd.to_datetime(["2024-07-01 12:00", None]).tz_localize("UTC"))
    values, tz = to_datetime64(s.dt.tz_convert("Europe/Paris"))
    assert tz == "Europe/Paris"
    assert values[0] == np.datetime64("2024-07-01T14:00")
    assert np.isnat(values[1])


class _Identity(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X

    def get_feature_names_out(self, input_features=None):
        return np.asarray(["a", "b"], dtype=object)


@pytest.mark.parametrize("output", ["default", "pandas", "polars"])
@pytest.mark.parametrize("library", ["numpy", "pandas", "polars"])
def test_make_output_builds_the_requested_container(library, output):
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]}, index=[5, 6, 7])
    X = {
        "numpy": frame.to_numpy(),
        "pandas": frame,
        "polars": pl.from_pandas(frame),
    }[library]
    est = _Identity().set_output(transform=output)
    columns = {"a": np.array([1.0, 2.0, 3.0]), "b": frame["b"]}
    result = make_output(est, X, columns)
    expected = {"default": library, "pandas": "pandas", "polars": "polars"}[output]
    if expected == "pandas":
        assert isinstance(result, pd.DataFrame)
        assert list(result.columns) == ["a", "b"]
        assert list(result.index) == ([5, 6, 7] if library == "pandas" else [0, 1, 2])
        assert result["b"].tolist() == ["x", "y", "z"]
    elif expected == "polars":
        assert isinstance(result, pl.DataFrame)
        assert result.columns == ["a", "b"]
        assert result.get_column("b").to_list() == ["x", "y", "z"]
    else:
        assert isinstance(result, np.ndarray) and result.shape == (3, 2)
        assert result[:, 1].tolist() == ["x", "y", "z"]


def test_make_output_numeric_arrays_are_float():
    est = _Identity()
    result = make_output(est, np.zeros((2, 1)), {"a": np.array([1, 2])})
    assert result.dtype == np.float64 and result.shape == (2, 1)
