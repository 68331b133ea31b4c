"""Latency percentiles against the card, the Prometheus text, several workers."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_workflow.deploy import latency_summary, measure_latency
from sklearn_workflow.deploy._metrics import ServerMetrics, prometheus_text


def test_latency_summary_matches_numpy_percentiles(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    values = rng.lognormal(1.0, 0.5, 501)
    summary = latency_summary(list(values) + [np.nan], limit_ms=4.0)
    assert summary["n"] == 501
    for q in (50, 95, 99):
        ordered = np.sort(values)
        position = q / 100 * (len(ordered) - 1)  # linear interpolation, naive
        low = int(np.floor(position))
        high = min(low + 1, len(ordered) - 1)
        naive = ordered[low] + (position - low) * (ordered[high] - ordered[low])
        assert summary[f"p{q}_ms"] == pytest.approx(naive)
    assert summary["within_limit"] == (summary["p95_ms"] <= 4.0)
    assert latency_summary(values)["within_limit"] is None


def test_measure_latency_counts_its_calls():
    X = pd.DataFrame({"x": np.arange(20.0)})
    model = LogisticRegression().fit(X, X["x"] > 9)
    for prepared in (True, False):
        summary = measure_latency(model, X, n_calls=30, prepared=prepared,
                                  limit_ms=1e6)  # fmt: skip
        assert summary["n"] == 30 and summary["within_limit"] is True
        assert 0 < summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"]


def _parse(text):
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            samples[key] = float(value)
    return samples


def test_prometheus_text_histogram_is_cumulative_and_labels_escaped():
    metrics = ServerMetrics()
    seconds = [0.0005, 0.003, 0.003, 0.2, 5.0]
    for s in seconds:
        metrics.observe("/predict", 200, s, n_rows=1)
    problems = [[{"column": 'odd "name"', "kind": "invalid"}]]
    metrics.observe("/predict", 200, 0.001, n_rows=1, problems=problems)
    text = prometheus_text(metrics.snapshot())
    samples = _parse(text)
    bounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5]
    everything = [*seconds, 0.001]
    for bound in bounds:
        naive = sum(s <= bound for s in everything)
        assert (
            samples[f'sklearn_workflow_request_seconds_bucket{{le="{bound:g}"}}']
            == naive
        )
    assert samples['sklearn_workflow_request_seconds_bucket{le="+Inf"}'] == 6
    assert samples["sklearn_workflow_request_seconds_sum"] == pytest.approx(
        sum(everything)
    )
    key = 'sklearn_workflow_violations_total{column="odd \\"name\\"",kind="invalid"}'
    assert samples[key] == 1
    assert "# TYPE sklearn_workflow_request_seconds histogram" in text


def test_metrics_of_several_workers_add_up(tmp_path):
    workers = [ServerMetrics(folder=tmp_path, worker=f"w{k}") for k in range(3)]
    for k, metrics in enumerate(workers):
        for _ in range(k + 1):
            metrics.observe("/predict", 200, 0.002, n_rows=2)
        metrics.flush()
    total = workers[0].snapshot()
    assert total["requests"] == {"/predict|200": 6}
    assert total["rows"] == 12 and total["latency_count"] == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "worker-w0.json",
        "worker-w1.json",
        "worker-w2.json",
    ]
    alone = ServerMetrics().snapshot()
    assert alone["requests"] == {}
