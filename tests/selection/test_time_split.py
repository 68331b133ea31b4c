import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import TimeSeriesSplit, cross_val_score

from sklearn_workflow.selection import ModelSelector, TimeSplitter


def _folds(cv, X, groups=None):
    return [
        (train.tolist(), test.tolist()) for train, test in cv.split(X, None, groups)
    ]


@pytest.mark.parametrize(
    "n_splits, test_size, gap, max_train_size",
    [(5, None, 0, None), (3, 4, 2, None), (4, 3, 0, 5), (2, None, 3, 7)],
)
def test_time_splitter_same_folds_as_time_series_split(
    n_splits, test_size, gap, max_train_size
):
    X = np.zeros((30, 2))
    params = dict(
        n_splits=n_splits, test_size=test_size, gap=gap, max_train_size=max_train_size
    )
    assert _folds(TimeSplitter(**params), X) == _folds(TimeSeriesSplit(**params), X)


def test_time_splitter_sorts_rows_by_the_time_column(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n = 40
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.permutation(n), unit="D")
    X = pd.DataFrame({"day": days, "x": rng.normal(size=n)})
    order = np.argsort(days.to_numpy(), kind="stable")
    expected = [
        (sorted(order[train]), sorted(order[test]))
        for train, test in TimeSeriesSplit(n_splits=4).split(np.zeros((n, 1)))
    ]
    assert _folds(TimeSplitter("day", n_splits=4), X) == expected
    # the same times given as an array, or as date strings
    assert _folds(TimeSplitter(days.to_numpy(), n_splits=4), X.to_numpy()) == expected
    strings = X.assign(day=X["day"].dt.strftime("%Y-%m-%d"))
    assert _folds(TimeSplitter("day", n_splits=4), strings) == expected


@settings(max_examples=60, deadline=None)
@given(
    days=st.lists(st.integers(0, 60), min_size=12, max_size=60),
    n_groups=st.integers(1, 15),
    n_splits=st.integers(2, 4),
    gap_days=st.integers(0, 5),
    test_days=st.integers(1, 10),
)
def test_time_splitter_no_test_row_before_a_training_row(
    days, n_groups, n_splits, gap_days, test_days
):
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.array(days), unit="D")
    groups = np.arange(len(days)) % n_groups
    X = np.zeros((len(days), 1))
    t = times.to_numpy()
    for cv, by_rows in (
        (TimeSplitter(t, n_splits=n_splits, gap=f"{gap_days}D"), False),
        (TimeSplitter(t, n_splits=n_splits, test_size=f"{test_days}D"), False),
        (TimeSplitter(t, n_splits=n_splits, gap=gap_days % 3), True),
    ):
        try:
            folds = list(cv.split(X, None, groups))
        except ValueError:  # a fold with no row: said, never a silent empty fold
            continue
        assert len(folds) == cv.get_n_splits() == n_splits
        for train, test in folds:
            assert test.size
            assert not set(groups[train]) & set(groups[test])
            if train.size:
                assert t[train].max() <= t[test].min()
                if not by_rows:
                    gap = np.timedelta64(gap_days if cv.gap != 0 else 0, "D")
                    assert t[test].min() - t[train].max() > gap or gap == 0


def test_time_splitter_durations_for_test_size_gap_and_max_train_size():
    times = pd.date_range("2024-01-01", periods=90, freq="D").to_numpy()
    cv = TimeSplitter(
        times, n_splits=3, test_size="10D", gap="7D", max_train_size="20D"
    )
    folds = list(cv.split(np.zeros((90, 1))))
    day = np.timedelta64(1, "D")
    for i, (train, test) in enumerate(folds):
        assert test.size == 10
        assert times[test].max() == times[-1] - (2 - i) * 10 * day
        # the training rows end 7 days before the first test day, span 20 days
        assert times[test].min() - times[train].max() == 8 * day
        assert times[train].max() - times[train].min() == 20 * day


def test_time_splitter_keeps_groups_whole_and_tests_a_group_once():
    # 30 days, one customer per 4 days: the 5-day test folds cut through them
    rng = np.random.default_rng(0)
    order = rng.permutation(30)
    times = np.arange(30.0)[order]
    groups = (np.arange(30) // 4)[order]
    cv = TimeSplitter(times, n_splits=3, test_size=5)
    tested = []
    for train, test in cv.split(np.zeros((30, 1)), groups=groups):
        assert not set(groups[train]) & set(groups[test])
        assert times[train].max() < times[test].min()
        # every row of a tested group is tested with it
        assert set(np.flatnonzero(np.isin(groups, groups[test]))) == set(test)
        tested += list(set(groups[test]))
    assert len(tested) == len(set(tested))


def test_time_splitter_summary_shows_the_dates_of_each_fold():
    X = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=12, freq="MS")})
    summary = TimeSplitter("when", n_splits=2, test_size=3).summary(X)
    assert summary[["n_train", "n_test"]].to_numpy().tolist() == [[6, 3], [9, 3]]
    assert str(summary["test_start"].iloc[1].date()) == "2024-10-01"
    assert str(summary["train_end"].iloc[0].date()) == "2024-06-01"


@pytest.mark.parametrize(
    "params, X, err_msg",
    [
        ({"test_size": "soon"}, "frame", "test_size must be a number of rows or"),
        ({"gap": -1}, "frame", "gap must be an int >= 0"),
        ({"n_splits": 1}, "frame", "n_splits must be an int >= 2"),
        ({"time": "date"}, "frame", r"'date'\): no such column"),
        ({"time": "day"}, "array", "names a column, but X has no column names"),
        ({"time": None, "test_size": "3D"}, "frame", "needs times that are dates"),
        ({"time": "day", "test_size": "300D"}, "frame", "fold 0 has no test row"),
        ({"time": "day", "n_splits": 9, "test_size": 3}, "frame", "Too many splits"),
        ({"time": "gappy"}, "frame", "'gappy' has 1 missing values"),
    ],
)
def test_time_splitter_errors_name_the_parameter(params, X, err_msg):
    frame = pd.DataFrame(
        {
            "day": pd.date_range("2024-01-01", periods=20, freq="D"),
            "gappy": [None] + list(range(19)),
        }
    )
    data = frame if X == "frame" else np.zeros((20, 2))
    with pytest.raises(ValueError, match=err_msg):
        list(TimeSplitter(**params).split(data))


def test_time_splitter_as_cv_of_scikit_learn_and_model_selector():
    rng = np.random.default_rng(0)
    n = 200
    X = pd.DataFrame({"x": rng.normal(size=n), "day": np.arange(n)[::-1]})
    y = (X["x"] + rng.normal(size=n) > 0).astype(int)
    cv = TimeSplitter(X["day"].to_numpy(), n_splits=3)
    scores = cross_val_score(LogisticRegression(), X[["x"]], y, cv=cv)
    assert scores.shape == (3,)
    selector = ModelSelector(
        {"logistic": LogisticRegression()}, cv=cv, scoring="roc_auc"
    ).fit(X[["x"]], y)
    assert selector.best_score_ > 0.6
    assert "n_splits=3" in repr(TimeSplitter(n_splits=3))
