import numpy as np
import pandas as pd
import pytest

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.monitor import Monitor, get_reference
from sklearn_workflow.monitor._estimate import (
    estimate_performance,
    realised_performance,
)
from sklearn_workflow.monitor._stats import clopper_pearson_interval

from .conftest import load_table, monitored_model, take


def _detected_within_two_chunks(model, X, y, kind):
    monitor = Monitor(model, chunk_size=1000, n_bootstrap=50).update(X, y)
    return any(
        line.startswith(kind)
        for chunk in monitor.chunks_[:2]
        for line in chunk["alarms"]
    )


def test_monitor_detects_a_subpopulation_shift_within_two_chunks(churn, churn_model):
    # Customers of the first tenure tertile only (under 30% of the rows).
    _, _, X_new, y_new = churn
    low = X_new["tenure_months"] < X_new["tenure_months"].quantile(0.3)
    X_sub, y_sub = take(X_new, y_new, np.flatnonzero(low)[:2000])
    assert _detected_within_two_chunks(churn_model, X_sub, y_sub, "drift")


def test_monitor_detects_a_subpopulation_shift_on_a_real_table():
    X, y = load_table("isl_default")
    model = monitored_model(X, y)
    students = np.flatnonzero(X["student"].to_numpy() == "Yes")  # 29% of the rows
    assert students.size <= 0.3 * len(y)
    rows = np.random.default_rng(0).choice(students, 2000)
    assert _detected_within_two_chunks(model, *take(X, y, rows), "drift")


@pytest.mark.parametrize("table", ["churn", "isl_default"])
def test_monitor_detects_twenty_percent_of_labels_flipped(churn, churn_model, table):
    rng = np.random.default_rng(0)
    if table == "churn":
        _, _, X_new, y_new = churn
        model, (X, y) = churn_model, take(X_new, y_new, np.arange(2000))
    else:
        X_all, y_all = load_table(table)
        model = monitored_model(X_all, y_all)
        X, y = take(X_all, y_all, rng.integers(0, len(y_all), 2000))
    labels = np.unique(y)
    flipped = rng.random(len(y)) < 0.2
    y = np.where(flipped, np.where(y == labels[0], labels[1], labels[0]), y)
    assert _detected_within_two_chunks(model, X, y, "concept drift")


def test_monitor_keeps_quiet_and_keeps_the_model_on_fresh_rows(churn, churn_model):
    _, _, X_new, y_new = churn
    monitor = Monitor(churn_model, chunk_size=1000, n_bootstrap=50)
    monitor.update(*take(X_new, y_new, np.arange(3000, 5000)))
    assert [chunk["alarms"] for chunk in monitor.chunks_] == [[], []]
    decision = monitor.decide()
    assert decision.action == "keep", decision
    timeline = monitor.timeline()
    assert list(timeline["n_rows"]) == [1000, 1000]
    assert timeline["estimated_recall"].between(0, 1).all()


def test_cbpe_intervals_cover_the_realised_recall_and_precision(global_random_seed):
    # Calibrated probabilities: each chunk's labels are drawn from them, so the
    # estimate's 95% interval should cover the realised value about 95% of the
    # time, and be no wider than 1.5 times the realised value's own interval.
    rng = np.random.default_rng(global_random_seed)
    covered = {"recall": 0, "precision": 0}
    widths = {"recall": [], "precision": []}
    n_chunks = 200
    for _ in range(n_chunks):
        p = 1.0 / (1.0 + np.exp(-rng.normal(-1.0, 2.0, size=1000)))
        decided = p >= 0.3
        y = rng.random(p.size) < p
        estimate = estimate_performance(p, decided, n_draws=300, rng=rng)
        realised = realised_performance(y, decided)
        trials = {"recall": y.sum(), "precision": decided.sum()}
        for name in covered:
            low, high = estimate[f"{name}_low"], estimate[f"{name}_high"]
            covered[name] += low <= realised[name] <= high
            cp_low, cp_high = clopper_pearson_interval(realised["tp"], trials[name])
            widths[name].append((high - low) / (cp_high - cp_low))
    for name in covered:
        assert 0.90 <= covered[name] / n_chunks <= 0.99, (name, covered)
        assert np.mean(widths[name]) <= 1.5


def test_monitor_cbpe_coverage_through_a_calibrated_model(global_random_seed):
    # The whole path: a model's out-of-fold scores, the calibration map, the
    # threshold, the estimate on new chunks against their realised recall.
    rng = np.random.default_rng(global_random_seed)

    def draw(n):
        X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
        p = 1.0 / (1.0 + np.exp(-(2.0 * X["a"] - X["b"] - 1.0)))
        return X, (rng.random(n) < p).astype(int)

    model = monitored_model(*draw(5000))
    monitor = Monitor(model, chunk_size=500, multivariate=False, n_bootstrap=200)
    monitor.update(*draw(500 * 40))
    hits = [
        c["estimated"]["recall_low"]
        <= c["realised"]["recall"]
        <= c["estimated"]["recall_high"]
        for c in monitor.chunks_
    ]
    assert np.mean(hits) >= 0.85


def test_monitor_chunks_by_period_of_the_row_times(churn, churn_model):
    _, _, X_new, y_new = churn
    X, y = take(X_new, y_new, np.arange(600))
    times = np.datetime64("2026-01-05") + np.arange(600) // 300 * np.timedelta64(7, "D")
    monitor = Monitor(churn_model, period="W", multivariate=False, n_bootstrap=20)
    monitor.update(X, y, timestamp=times)
    assert [c["n_rows"] for c in monitor.chunks_] == [300, 300]
    assert monitor.chunks_[1]["start"].startswith("2026-01-12")


def test_monitor_of_a_regression_reports_the_realised_error_only():
    X, y = load_table("diabetes")
    model = monitored_model(X, y, classification=False, reference_rows=200)
    monitor = Monitor(model, multivariate=False, n_bootstrap=20).update(X, y)
    chunk = monitor.chunks_[0]
    assert chunk["estimated"] is None
    residual = model.predict(X) - y.to_numpy()
    assert chunk["realised"]["rmse"] == pytest.approx(np.sqrt(np.mean(residual**2)))
    assert "not estimated" in " ".join(monitor.decide().notes)


def test_monitor_refuses_a_model_without_its_reference():
    from sklearn.dummy import DummyClassifier

    with pytest.raises(BadInputError, match="no monitoring reference"):
        Monitor(DummyClassifier().fit([[0], [1]], [0, 1]))


def test_reference_counts_match_a_naive_binning(churn):
    X, y, _, _ = churn
    X = X[["age", "income", "contract"]]
    model = monitored_model(X, y, reference_rows=300)
    reference = get_reference(model)
    income = reference["columns"]["income"]
    values = X["income"].to_numpy()
    edges = [-np.inf, *income["edges"], np.inf]
    naive = [np.sum((values >= lo) & (values < hi)) for lo, hi in zip(edges, edges[1:])]
    assert income["counts"].tolist() == [*naive, np.isnan(values).sum()]
    contract = reference["columns"]["contract"]
    frequencies = X["contract"].value_counts()
    assert contract["counts"][: len(frequencies)].tolist() == frequencies.tolist()
    assert reference["sample"]["rows"].shape == (300, 3)
    assert np.mean(reference["sample"]["labels"]) == pytest.approx(y.mean(), abs=0.01)
