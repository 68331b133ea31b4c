"""TableCleaner: each conversion on a table with the defects of real CSV files
(the Telco churn file's numbers stored as text with blank cells, yes/no columns,
currencies, percentages, dates, free text, identifiers, codes with dashes), the
counts at transform, the warn/raise/ignore policies, every container, and the
numbers compared with a plain per-value parse."""

import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_workflow.exceptions import DataQualityWarning, DataValidationError
from sklearn_workflow.quality import TableCleaner
from sklearn_workflow.quality._cleaner import (
    CONVERSION_COLUMNS,
    REPORT_COLUMNS,
    parse_numbers,
)

MARKERS = {"", "n/a", "na", "nan", "null", "none", "?", "-", "--", "missing", "#n/a"}
WORDS = np.array(
    ["good", "bad", "service", "slow", "fast", "the", "was", "very", "support"]
)
FIRST = ["John", "Mary", "Alice", "Bob", "Eve", "Carl", "Dora", "Émile", "Zoë", "Li"]
LAST = ["Smith", "Jones", "O'Brien", "McDonald", "Khan", "Diaz", "Ng", "Cruz", "Fox"]


def naive_number(value):
    """The reference: one value at a time, the way people clean by hand."""
    text = value.strip()
    if text.lower() in MARKERS:
        return np.nan
    cleaned = re.sub(r"[,$€£%\s]", "", text)
    try:
        number = float(cleaned)
    except ValueError:
        return np.nan
    return number if np.isfinite(number) else np.nan


def telco_table(rng, n=300):
    """A table with the defects of the Telco churn CSV and other real files."""
    charges = np.round(rng.uniform(18.0, 8700.0, n), 2)
    total = np.array([f"{v:,}" if v > 1000 else str(v) for v in charges], dtype=object)
    blanks = rng.choice(n, 11, replace=False)
    total[blanks] = " "
    fee = rng.uniform(10.0, 5000.0, n)
    names = [f"{a} {b}" for a in FIRST for b in LAST]
    return pd.DataFrame(
        {
            "customerID": [
                f"{i:04d}-{c}"
                for i, c in enumerate(
                    rng.choice(["VHVEG", "GNVDE", "QPYBK", "CFOCW"], n)
                )
            ],  # fmt: skip
            "TotalCharges": pd.Series(total, dtype="str"),
            "Churn": rng.choice(["Yes", "No"], n),
            "signup": pd.Series(
                pd.Timestamp("2020-01-01")
                + pd.to_timedelta(rng.integers(0, 900, n), "D")
            ).dt.strftime("%Y-%m-%d"),
            "review": [" ".join(rng.choice(WORDS, 7)) for _ in range(n)],
            "fee": [f"${v:,.2f}" for v in fee],
            "discount": [f"{v}%" for v in rng.integers(0, 60, n)],
            "code": rng.choice(["A-1", "B-2", "C-3", "-"], n),
            "owner": rng.permutation(names)[:n] if n <= len(names) else names[0],
            "tenure": rng.integers(0, 72, n),
        }
    )


def _row(cleaner, column):
    row = cleaner.conversions_.set_index("column").loc[column]
    return row.to_dict()


def test_table_cleaner_types_each_telco_defect(rng):
    X = telco_table(rng, n=90)
    cleaner = TableCleaner().fit(X)
    assert cleaner.column_types_ == {
        "customerID": "id_like",
        "TotalCharges": "numeric",
        "Churn": "boolean",
        "signup": "datetime",
        "review": "text",
        "fee": "numeric",
        "discount": "numeric",
        "code": "categorical",
        "owner": "id_like",
        "tenure": "unchanged",
    }
    assert list(cleaner.conversions_.columns) == list(CONVERSION_COLUMNS)
    assert "tenure" not in set(cleaner.conversions_["column"])

    total = _row(cleaner, "TotalCharges")
    assert (total["n_converted"], total["n_made_missing"]) == (90 - 11, 11)
    assert total["missing_example"] == " "
    # pandas 3 reads text as "str", pandas 2.2 as "object"
    assert total["from"] in ("str", "object") and total["to"] == "float64"
    assert "11 missing markers made missing (e.g. ' ')" in total["message"]

    churn = _row(cleaner, "Churn")
    assert (churn["n_converted"], churn["n_made_missing"], churn["to"]) == (
        90,
        0,
        "boolean",
    )
    assert cleaner.boolean_values_ == {"Churn": ("yes", "no")}

    fee = _row(cleaner, "fee")
    assert fee["example"].startswith("$")
    assert "thousands separators removed" in fee["message"]
    assert "currency signs removed" in fee["message"]

    discount = _row(cleaner, "discount")
    assert discount["example"].endswith("%")
    assert "values kept as written (45% -> 45.0)" in discount["message"]

    assert cleaner.datetime_formats_ == {"signup": "%Y-%m-%d"}
    assert "'-' kept as a level" in _row(cleaner, "code")["message"]
    assert "names or row labels" in _row(cleaner, "owner")["message"]
    assert "an identifier" in _row(cleaner, "customerID")["message"]
    assert "for a text encoder" in _row(cleaner, "review")["message"]


def test_table_cleaner_values_match_a_per_value_parse(rng):
    X = telco_table(rng)
    out = TableCleaner().fit_transform(X)
    for name in ("TotalCharges", "fee", "discount"):
        expected = np.array([naive_number(v) for v in X[name]])
        np.testing.assert_array_equal(out[name].to_numpy(), expected)
        assert out[name].dtype == np.float64
    expected = [{"Yes": True, "No": False}[v] for v in X["Churn"]]
    assert out["Churn"].dtype == "boolean"
    assert out["Churn"].tolist() == expected
    dates = [pd.Timestamp(v) for v in X["signup"]]
    assert out["signup"].tolist() == dates
    for name in ("customerID", "review", "code", "owner", "tenure"):
        pd.testing.assert_series_equal(out[name], X[name])
    # "-" is a level among the codes, not a missing value
    assert (out["code"] == "-").sum() == (X["code"] == "-").sum() > 0
    pd.testing.assert_index_equal(out.index, X.index)


def test_table_cleaner_fit_transform_equals_fit_then_transform(rng):
    X = telco_table(rng)
    row = np.flatnonzero(X["TotalCharges"] != " ")[0]
    X.loc[row, "TotalCharges"] = "unknown"  # 1 invalid value among numbers
    cleaner = TableCleaner()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted = cleaner.fit_transform(X)
    assert _row(cleaner, "TotalCharges")["n_made_missing"] == 12
    with pytest.warns(DataQualityWarning, match="'TotalCharges'"):
        again = cleaner.transform(X)
    pd.testing.assert_frame_equal(fitted, again)


def _new_rows():
    return pd.DataFrame(
        {
            "charges": ["12.5", "n/a", "abc", "abc", "7"],
            "paid": ["yes", "no", "maybe", None, "YES"],
            "day": ["2024-01-02", "2024/01/03", "", "2024-01-04", "2024-01-05"],
        }
    )


def _fitted_on_clean_rows(**params):
    X = pd.DataFrame(
        {
            "charges": ["1,000.5", " ", "3"] * 4,
            "paid": ["Yes", "No", "No"] * 4,
            "day": ["2024-01-01", "2024-02-01", "2024-03-01"] * 4,
        }
    )
    return TableCleaner(**params).fit(X)


def test_table_cleaner_counts_values_that_do_not_parse_at_transform():
    cleaner = _fitted_on_clean_rows()
    report = cleaner.transform_report(_new_rows())
    assert list(report.columns) == list(REPORT_COLUMNS)
    assert report.to_dict("records") == [
        {"column": "charges", "type": "numeric", "n_converted": 2, "n_markers": 1,
         "n_invalid": 2, "example": "abc"},
        {"column": "paid", "type": "boolean", "n_converted": 3, "n_markers": 0,
         "n_invalid": 1, "example": "maybe"},
        {"column": "day", "type": "datetime", "n_converted": 3, "n_markers": 1,
         "n_invalid": 1, "example": "2024/01/03"},
    ]  # fmt: skip
    with pytest.warns(DataQualityWarning) as record:
        out = cleaner.transform(_new_rows())
    assert len(record) == 1
    message = str(record[0].message)
    assert "2 values in 'charges' (numeric) did not parse" in message
    assert "1 value in 'paid' (boolean)" in message
    assert "'abc', 'maybe', '2024/01/03'" in message
    np.testing.assert_array_equal(out["charges"], [12.5, np.nan, np.nan, np.nan, 7.0])
    assert out["paid"].tolist() == [True, False, pd.NA, pd.NA, True]
    assert out["day"].isna().tolist() == [False, True, True, False, False]


def test_table_cleaner_raise_names_column_parameter_and_example():
    cleaner = _fitted_on_clean_rows(on_invalid="raise")
    with pytest.raises(DataValidationError, match="on_invalid='raise'") as info:
        cleaner.transform(_new_rows())
    message = str(info.value)
    assert "'charges' (numeric)" in message and "'abc'" in message
    assert list(info.value.violations["column"]) == ["charges", "paid", "day"]
    # a clean batch passes
    clean = pd.DataFrame({"charges": ["5"], "paid": ["no"], "day": ["2024-05-01"]})
    assert cleaner.transform(clean)["charges"].tolist() == [5.0]


def test_table_cleaner_ignore_says_nothing():
    cleaner = _fitted_on_clean_rows(on_invalid="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = cleaner.transform(_new_rows())
    assert out["charges"].isna().sum() == 3


@pytest.mark.parametrize(
    "values, kind",
    [
        (["1", "2", "-", "3"] * 5, "numeric"),  # "-" is a missing marker here
        (["A-1", "-", "B-2", "A-1"] * 5, "categorical"),  # and a level here
        (["02134", "10001", "94105"] * 5, "categorical"),  # leading zeros: codes
        (["0.5", "10", "0"] * 5, "numeric"),
        (["1,23", "4,56", "7,89"] * 5, "categorical"),  # not groups of three
        (["y", "N", "Y", "?"] * 5, "boolean"),
        (["T", "f", " t "] * 5, "boolean"),
        (["yes", "n"] * 5, "categorical"),  # words of two different pairs
        (["N/A", " ", "?"] * 5, "categorical"),  # nothing but markers
        (["-$5", "$-6", "7 €", "+1e3"] * 5, "numeric"),
    ],
)
def test_table_cleaner_decides_by_the_rest_of_the_column(values, kind):
    cleaner = TableCleaner().fit(pd.DataFrame({"c": values}))
    assert cleaner.column_types_ == {"c": kind}


def test_table_cleaner_marker_is_missing_only_in_a_converted_column():
    X = pd.DataFrame({"n": ["1", "-", "2"] * 4, "code": ["A-1", "-", "B-2"] * 4})
    out = TableCleaner().fit_transform(X)
    assert out["n"].isna().sum() == 4
    assert (out["code"] == "-").sum() == 4


def test_table_cleaner_numeric_share_sets_the_bar():
    values = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "high"]
    X = pd.DataFrame({"c": values * 2})
    assert TableCleaner().fit(X).column_types_ == {"c": "categorical"}
    cleaner = TableCleaner(numeric_share=0.9).fit(X)
    assert cleaner.column_types_ == {"c": "numeric"}
    row = _row(cleaner, "c")
    assert (row["n_converted"], row["n_made_missing"]) == (18, 2)
    assert row["missing_example"] == "high"
    assert "2 values that do not parse made missing (e.g. 'high')" in row["message"]


def test_table_cleaner_missing_markers_parameter():
    X = pd.DataFrame({"c": ["1", "unknown", "2", "-"] * 5})
    cleaner = TableCleaner(missing_markers=("UNKNOWN ", "-")).fit(X)
    assert _row(cleaner, "c")["n_made_missing"] == 10
    # "?" is no marker any more: text in a numeric column, counted as invalid
    report = cleaner.transform_report(pd.DataFrame({"c": ["?", "unknown"]}))
    assert report[["n_markers", "n_invalid"]].to_numpy().tolist() == [[1, 1]]


def test_table_cleaner_kept_text_and_identifier_columns(rng):
    n = 80
    names = [f"{a} {b}" for a in FIRST for b in LAST][:n]
    X = pd.DataFrame(
        {
            "name": names,
            "ticket": [f"PC-{i}x" for i in range(n)],
            "review": [" ".join(rng.choice(WORDS, 6)) for _ in range(n)],
            "job": rng.choice(["Data Scientist", "Senior Software Engineer"], n),
        }
    )
    cleaner = TableCleaner().fit(X)
    assert cleaner.column_types_ == {
        "name": "id_like",
        "ticket": "id_like",
        "review": "text",
        "job": "categorical",
    }
    pd.testing.assert_frame_equal(cleaner.transform(X), X)


def test_table_cleaner_few_rows_stay_categorical():
    X = pd.DataFrame({"name": ["Ann Lee", "Bob Ray", "Cy Orr"]})
    assert TableCleaner().fit(X).column_types_ == {"name": "categorical"}


@pytest.mark.parametrize("dtype", ["object", "str", "category"])
def test_table_cleaner_reads_every_text_dtype(dtype):
    X = pd.DataFrame(
        {
            "a": ["1,234", " ", "$5", "7%"] * 3,
            "b": ["Y", "n", None, "y"] * 3,
            "d": ["2024-01-01", "2024-02-01", "", "2024-03-05"] * 3,
        }
    ).astype(dtype)
    out = TableCleaner().fit_transform(X)
    assert [str(t) for t in out.dtypes[:2]] == ["float64", "boolean"]
    assert out["d"].dtype.kind == "M"
    np.testing.assert_array_equal(out["a"][:4], [1234.0, np.nan, 5.0, 7.0])
    assert out["b"][:4].tolist() == [True, False, pd.NA, True]


def test_table_cleaner_polars_in_polars_out():
    pl = pytest.importorskip("polars")
    X = pl.DataFrame(
        {
            "a": ["1,234", " ", "$5", "7%"],
            "b": ["Y", "n", None, "y"],
            "c": ["x", "y", "x", "-"],
        }
    )
    cleaner = TableCleaner().fit(X)
    assert _row(cleaner, "a")["from"] == "String"
    out = cleaner.transform(X)
    assert isinstance(out, pl.DataFrame)
    assert out.schema == pl.Schema({"a": pl.Float64, "b": pl.Boolean, "c": pl.String})
    assert out["a"].to_list() == [1234.0, None, 5.0, 7.0]
    assert out["b"].to_list() == [True, False, None, True]
    assert out["c"].to_list() == ["x", "y", "x", "-"]


def test_table_cleaner_arrays():
    X = np.array([["1,234", "yes", "a"], [" ", "no", "b"], ["5", None, "a"]] * 4)
    cleaner = TableCleaner().fit(X)
    assert cleaner.column_types_ == {
        "x0": "numeric",
        "x1": "boolean",
        "x2": "categorical",
    }
    out = cleaner.transform(X)
    assert out.dtype == object and out.shape == X.shape
    assert out[:3, 0].tolist()[::2] == [1234.0, 5.0] and np.isnan(out[1, 0])
    assert out[:3, 1].tolist()[:2] == [1.0, 0.0] and np.isnan(out[2, 1])
    numbers = TableCleaner().fit_transform(X[:, :2])
    assert numbers.dtype == np.float64
    floats = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    assert TableCleaner().fit(floats).transform(floats) is floats


def test_table_cleaner_columns_at_transform():
    cleaner = _fitted_on_clean_rows()
    new = _new_rows()
    with pytest.raises(ValueError, match="seen at fit time, yet now missing:\n- paid"):
        cleaner.transform(new.drop(columns="paid"))
    with pytest.raises(ValueError, match="same order"):
        cleaner.transform(new[["paid", "charges", "day"]])
    # extra columns pass through unchanged, at their place
    extra = new.assign(target=["a", "b", "c", "d", "e"])[
        ["charges", "target", "paid", "day"]
    ]
    out = cleaner.set_params(on_invalid="ignore").transform(extra)
    assert list(out.columns) == ["charges", "target", "paid", "day"]
    assert out["target"].tolist() == ["a", "b", "c", "d", "e"]
    assert out["charges"].dtype == np.float64
    # with set_output, the output is exactly get_feature_names_out()
    out = cleaner.set_output(transform="pandas").transform(extra)
    assert list(out.columns) == list(cleaner.get_feature_names_out())
    assert out["charges"].dtype == np.float64


def test_table_cleaner_already_typed_columns_at_transform():
    cleaner = _fitted_on_clean_rows()
    typed = pd.DataFrame(
        {
            "charges": [1.5, None],
            "paid": pd.array([True, None], dtype="boolean"),
            "day": pd.to_datetime(["2024-01-01", None]),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = cleaner.transform(typed)
    np.testing.assert_array_equal(out["charges"], [1.5, np.nan])
    assert out["paid"].tolist() == [True, pd.NA]
    assert out["day"].isna().tolist() == [False, True]
    assert cleaner.transform_report(typed)["n_converted"].tolist() == [1, 1, 1]


def test_table_cleaner_pickles_and_keeps_converting(rng):
    X = telco_table(rng, n=60)
    cleaner = TableCleaner().fit(X)
    loaded = pickle.loads(pickle.dumps(cleaner))
    pd.testing.assert_frame_equal(loaded.transform(X), cleaner.transform(X))


@pytest.mark.parametrize(
    "params, err_type, err_msg",
    [
        ({"numeric_share": 0.0}, ValueError, "numeric_share"),
        ({"numeric_share": 1.5}, ValueError, "numeric_share"),
        ({"on_invalid": "drop"}, ValueError, "on_invalid"),
        ({"missing_markers": ("-", 0)}, TypeError, r"missing_markers=\('-', 0\)"),
        ({"missing_markers": "n/a"}, ValueError, "missing_markers"),
        ({"dayfirst": "yes"}, ValueError, "dayfirst"),
    ],
)
def test_table_cleaner_parameter_errors(params, err_type, err_msg):
    X = pd.DataFrame({"c": ["1", "2"]})
    with pytest.raises(err_type, match=err_msg):
        TableCleaner(**params).fit(X)


# -- numbers: exact, against Python's own float() --------------------------------


def _decorate(value, style):
    text = f"{value:,}"
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    return {
        "plain": f"{sign}{text}",
        "dollar": f"{sign}${text}",
        "dollar_inside": f"${sign}{text}",
        "euro_after": f"{sign}{text} €",
        "pound": f"{sign}£{text}",
        "percent": f"{sign}{text}%",
        "spaces": f"  {sign}{text} ",
    }[style]


STYLES = [
    "plain",
    "dollar",
    "dollar_inside",
    "euro_after",
    "pound",
    "percent",
    "spaces",
]


@settings(max_examples=60, deadline=None)
@given(
    numbers=st.lists(
        st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=30
    ),
    style=st.sampled_from(STYLES),
    blanks=st.lists(st.sampled_from(["", " ", "N/A", "?", "-"]), max_size=3),
    dtype=st.sampled_from(["object", "str"]),
)
def test_table_cleaner_round_trips_formatted_floats(numbers, style, blanks, dtype):
    text = [_decorate(v, style) for v in numbers] + blanks
    X = pd.DataFrame({"c": pd.Series(text, dtype=dtype)})
    cleaner = TableCleaner().fit(X)
    assert cleaner.column_types_ == {"c": "numeric"}
    out = cleaner.transform(X)["c"].to_numpy()
    np.testing.assert_array_equal(out, numbers + [np.nan] * len(blanks))
    np.testing.assert_array_equal(out, [naive_number(v) for v in text])
    row = _row(cleaner, "c")
    assert (row["n_converted"], row["n_made_missing"]) == (len(numbers), len(blanks))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789,.$€%-+eE ", max_size=12), max_size=20))
def test_parse_numbers_agrees_with_float(strings):
    stripped = [s.strip() for s in strings]
    values, _ = parse_numbers(pd.Series(stripped, dtype=object))
    for text, value in zip(stripped, values):
        try:
            plain = float(text)  # a plain number: read exactly as Python does
        except ValueError:
            plain = None
        if plain is not None and np.isfinite(plain):
            assert value == plain, text
        if not np.isnan(value):  # what we read is the number without its signs
            assert value == float(re.sub(r"[,$€%\s]", "", text)), text


def test_table_cleaner_on_a_csv_read_by_pandas(tmp_path, rng):
    # What `run DATA` sees: read_csv keeps TotalCharges as text for 11 blank cells.
    X = telco_table(rng, n=120)
    path = tmp_path / "telco.csv"
    X.to_csv(path, index=False)
    read = pd.read_csv(path)
    assert read["TotalCharges"].dtype != np.float64
    out = TableCleaner().fit_transform(read)
    expected = pd.to_numeric(X["TotalCharges"].str.replace(",", ""), errors="coerce")
    np.testing.assert_array_equal(out["TotalCharges"], expected)
    assert out["TotalCharges"].isna().sum() == 11
    assert out["Churn"].dtype == "boolean"
    assert out["tenure"].dtype == read["tenure"].dtype


def test_table_cleaner_leaves_non_text_columns_alone():
    X = pd.DataFrame(
        {
            "levels": pd.Series([1, 2, 3, 1], dtype="category"),
            "mixed": pd.Series(["1", 2, "3", None], dtype=object),
            "flag": [True, False, True, True],
            "when": pd.to_datetime(["2024-01-01"] * 4),
        }
    )
    cleaner = TableCleaner().fit(X)
    assert set(cleaner.column_types_.values()) == {"unchanged"}
    assert cleaner.conversions_.empty
    pd.testing.assert_frame_equal(cleaner.transform(X), X)


def test_table_cleaner_reads_infinite_numbers_as_missing_and_counts_them():
    X = pd.DataFrame(
        {
            "ratio": [1.0, np.inf, 3.0, -np.inf],
            "charges": ["1.5", "2", "inf", "4"],
            "count": [1, 2, 3, 4],
            "share": pd.array([0.5, None, np.inf, 0.2], dtype="Float64"),
        },
        index=[10, 11, 12, 13],
    )
    cleaner = TableCleaner(numeric_share=0.7)
    out = cleaner.fit_transform(X)
    expected = X["ratio"].where(np.isfinite(X["ratio"]))
    pd.testing.assert_series_equal(out["ratio"], expected)
    assert out["share"].dtype == "Float64" and out["share"].isna().tolist() == [
        False, True, True, False
    ]  # fmt: skip
    assert out["count"].dtype == np.int64
    rows = cleaner.conversions_.set_index("column")
    assert rows.loc["ratio", "n_made_missing"] == 2
    assert rows.loc["ratio", "message"] == "2 infinite values made missing (e.g. inf)."
    assert rows.loc["share", "n_made_missing"] == 1
    assert "count" not in rows.index
    assert rows.loc["charges", "n_made_missing"] == 1  # "inf" as text is no number

    share = pd.array([-np.inf, 0.1], dtype="Float64")
    new = pd.DataFrame(
        {"ratio": [np.inf, 2.0], "charges": ["1", "2"], "count": [1, 2], "share": share}
    )
    with pytest.warns(DataQualityWarning, match="1 value in 'ratio' .numeric. was "):
        out, report = cleaner.transform(new, return_report=True)
    assert out["ratio"].isna().tolist() == [True, False]
    by_column = report.set_index("column")
    assert by_column.loc["ratio", "n_invalid"] == 1
    assert by_column.loc["share", "example"] == -np.inf
    with pytest.raises(DataValidationError, match="'ratio'"):
        TableCleaner(on_invalid="raise").fit(X).transform(new)


def test_table_cleaner_infinite_numbers_in_arrays_and_polars():
    X = np.array([[1.0, 2.0], [np.inf, 3.0]])
    with pytest.warns(DataQualityWarning, match="'x0'"):
        out = TableCleaner().fit(X).transform(np.array([[np.inf, -np.inf]]))
    assert np.isnan(out).all()
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"a": [1.0, float("inf")], "b": [1, 2]})
    out = TableCleaner(on_invalid="ignore").fit(frame).transform(frame)
    assert out["a"].is_null().to_list() == [False, True]
    assert out["b"].to_list() == [1, 2]
