import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from sklearn_workflow.monitor import Monitor, attach_reference, build_reference
from sklearn_workflow.monitor._drift import psi_rows
from sklearn_workflow.monitor._monitor import NO_PREDICTION_SUMMARY, NO_PROBABILITIES
from sklearn_workflow.monitor._reference import prediction_summary

from .conftest import load_table, simple_model, take


def _naive_bin(row, edges):
    # The predicted class, then the number of its edges at or below its
    # probability, after the bins of the classes before it.
    k = int(np.argmax(row))
    before = sum(len(e) + 1 for e in edges[:k])
    return before + sum(1 for edge in edges[k] if edge <= row[k])


def test_prediction_summary_counts_equal_a_naive_loop(rng):
    proba = rng.dirichlet([0.5, 1.0, 2.0, 0.3], size=700)
    proba[:50] = np.round(proba[:50], 1)  # ties on the edges
    summary = prediction_summary(proba, n_bins=4)
    naive = np.zeros(len(summary["counts"]))
    for row in proba:
        naive[_naive_bin(row, summary["edges"])] += 1
    np.testing.assert_array_equal(summary["counts"], naive)
    predicted = np.argmax(proba, axis=1)
    for k, edges in enumerate(summary["edges"]):
        assert len(edges) <= 3  # four quantile bins at most
        frequency = summary["counts"][
            sum(len(e) + 1 for e in summary["edges"][:k]) : sum(
                len(e) + 1 for e in summary["edges"][: k + 1]
            )
        ].sum()
        assert frequency == np.sum(predicted == k)


def _three_classes(rng, n, shift=0.0):
    a, b = rng.normal(shift, 1, n), rng.normal(size=n)
    logits = np.column_stack([2 * a, -a + b, 0.5 * b])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    u = rng.uniform(size=(n, 1))
    codes = np.minimum((u > np.cumsum(p, axis=1)).sum(axis=1), 2)
    X = pd.DataFrame({"a": a, "b": b})
    return X, pd.Series(np.array(["x", "y", "z"])[codes], name="class")


def test_multiclass_prediction_drift_equals_a_naive_psi(rng):
    X, y = _three_classes(rng, 2000)
    model = LogisticRegression().fit(X, y)
    reference = build_reference(model, X, y, reference_rows=0)
    assert reference["scores"]["kind"] == "multiclass"
    assert reference["scores"]["counts"].sum() == 2000
    attach_reference(model, reference)
    X_new, _ = _three_classes(rng, 600, shift=0.4)
    monitor = Monitor(model, multivariate=False, n_bootstrap=100).update(X_new)
    drift = monitor.chunks_[0]["prediction"]
    expected = reference["scores"]["counts"] / 2000
    bins = [
        _naive_bin(row, reference["scores"]["edges"])
        for row in model.predict_proba(X_new)
    ]
    actual = np.bincount(bins, minlength=expected.size) / 600
    assert drift["psi"] == pytest.approx(float(psi_rows(expected, actual)))
    assert drift["available"] and drift["psi_low"] <= drift["psi"] <= drift["psi_high"]
    assert drift["alarm"] == (drift["psi"] > drift["alarm_level"])
    table = monitor.column_table()
    assert table["column"].tolist()[-1] == "(prediction)"


def test_old_reference_monitors_multiclass_without_prediction_drift(rng):
    X, y = _three_classes(rng, 1200)
    model = LogisticRegression().fit(X, y)
    reference = build_reference(model, X, y, reference_rows=200)
    reference["scores"] = None  # as saved before the prediction distribution
    attach_reference(model, reference)
    X_new, y_new = _three_classes(rng, 400)
    monitor = Monitor(model, chunk_size=200, n_bootstrap=50).update(X_new, y_new)
    for chunk in monitor.chunks_:
        assert chunk["prediction"]["available"] is False
        assert chunk["prediction"]["reason"] == NO_PREDICTION_SUMMARY
        assert chunk["estimated"]["accuracy"] > 0
        assert not any(a.startswith("prediction") for a in chunk["alarms"])
    assert "(prediction)" not in set(monitor.column_table()["column"])
    assert monitor.decide().action == "keep"


def test_multiclass_model_without_probabilities_says_why(rng):
    X, y = _three_classes(rng, 600)
    model = LinearSVC().fit(X, y)
    attach_reference(model, build_reference(model, X, y, reference_rows=0))
    monitor = Monitor(model, multivariate=False).update(X.iloc[:100], y.iloc[:100])
    chunk = monitor.chunks_[0]
    assert chunk["prediction"]["reason"] == NO_PROBABILITIES
    assert chunk["realised"]["accuracy"] > 0.5


def _class_mix(y, rows, label, share, size, rng):
    """``size`` rows of ``rows``, a ``share`` of them of class ``label``."""
    own = rows[np.asarray(y)[rows] == label]
    other = rows[np.asarray(y)[rows] != label]
    n_own = int(round(share * size))
    return np.r_[
        rng.choice(own, n_own, replace=False),
        rng.choice(other, size - n_own, replace=False),
    ]


@pytest.mark.slow
def test_multiclass_prediction_drift_on_a_real_table():
    # The cut of diamonds (five classes, 54,000 rows): a model and its
    # reference on 6,000 rows; 60 unseen chunks of 500 rows raise no
    # prediction drift alarm (the nominal rate is alpha shared among the
    # tests: 0.01 / 10 per chunk), and chunks whose rows are 70% "Very Good"
    # (22% of the table) raise one each.
    rng = np.random.default_rng(0)
    X, y = load_table("diamonds_cut")
    rows = rng.permutation(len(y))
    train, unseen = rows[:6000], rows[6000:]
    model = simple_model(*take(X, y, train), classification=True)
    attach_reference(model, build_reference(model, *take(X, y, train)))
    n_chunks = 60
    monitor = Monitor(model, chunk_size=500, multivariate=False, n_bootstrap=50)
    monitor.update(*take(X, y, unseen[: 500 * n_chunks]))
    alarmed = [
        c["prediction"]["psi"] for c in monitor.chunks_ if c["prediction"]["alarm"]
    ]
    assert alarmed == [], alarmed
    levels = [c["prediction"]["alarm_level"] for c in monitor.chunks_]
    rest = unseen[500 * n_chunks :]
    shifted = Monitor(model, chunk_size=500, multivariate=False, n_bootstrap=50)
    for _ in range(5):
        chunk_rows = _class_mix(y, rest, "Very Good", 0.7, 500, rng)
        shifted.update(*take(X, y, chunk_rows))
    for chunk in shifted.chunks_:
        assert chunk["prediction"]["alarm"], (chunk["prediction"], levels[0])
        assert any(
            a.startswith("prediction drift: predicted classes") for a in chunk["alarms"]
        )


def test_multiclass_prediction_distribution_is_saved_with_the_model(rng, tmp_path):
    import skops.io as sio

    from sklearn_workflow.deploy import load, save, trusted_types

    X, y = _three_classes(rng, 900)
    model = LogisticRegression().fit(X, y)
    attach_reference(model, build_reference(model, X, y, reference_rows=100))
    reference = model.monitoring_reference_
    untrusted = sio.get_untrusted_types(data=sio.dumps(reference))
    assert set(untrusted) <= set(trusted_types())
    save(model, tmp_path / "model.skops")
    loaded = load(tmp_path / "model.skops")
    assert (
        loaded.monitoring_reference_["scores"]["edges"] == reference["scores"]["edges"]
    )
    X_new, _ = _three_classes(rng, 300)
    first = Monitor(model, multivariate=False).update(X_new).chunks_[0]
    again = Monitor(loaded, multivariate=False).update(X_new).chunks_[0]
    assert first["prediction"] == again["prediction"]
