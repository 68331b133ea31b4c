import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_workflow.monitor import (
    Monitor,
    apply_multiclass_calibration,
    attach_reference,
    build_reference,
    calibration_draws,
    fit_multiclass_calibration,
)
from sklearn_workflow.monitor._estimate import (
    estimate_multiclass,
    realised_multiclass,
)


def _brier(p, codes):
    # Naive multiclass Brier score: a loop over rows and classes.
    total = 0.0
    for row, code in zip(p, codes):
        total += sum((row[k] - (k == code)) ** 2 for k in range(len(row)))
    return total / len(codes)


def _draw_labels(rng, p):
    return np.array([rng.choice(p.shape[1], p=row) for row in p])


@pytest.mark.parametrize("power", [0.4, 1.0, 3.0])
def test_multiclass_calibration_never_raises_the_brier_it_was_kept_for(rng, power):
    p = rng.dirichlet([1, 1, 1, 1], size=1500)
    codes = _draw_labels(rng, p)
    distorted = p**power / (p**power).sum(axis=1, keepdims=True)
    calibration = fit_multiclass_calibration(distorted, codes)
    assert calibration["brier_raw"] == pytest.approx(_brier(distorted, codes))
    if calibration["kept"]:
        assert calibration["brier_calibrated"] < calibration["brier_raw"]
    else:
        assert calibration["brier_calibrated"] >= calibration["brier_raw"]
    calibrated = apply_multiclass_calibration(calibration, distorted)
    np.testing.assert_allclose(calibrated.sum(axis=1), 1.0)
    assert _brier(calibrated, codes) <= calibration["brier_raw"] + 1e-12
    if power != 1.0:  # distorted probabilities are always improved
        assert calibration["kept"]


def test_multiclass_calibration_maps_equal_one_vs_rest_isotonic(rng):
    from sklearn.isotonic import IsotonicRegression

    p = rng.dirichlet([2, 2, 2], size=800)
    codes = _draw_labels(rng, p)
    calibration = fit_multiclass_calibration(p**2, codes, method="isotonic")
    new = rng.dirichlet([2, 2, 2], size=20)
    naive = np.column_stack(
        [
            IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip")
            .fit(p[:, k] ** 2, codes == k)
            .predict(new[:, k])
            for k in range(3)
        ]
    )
    naive /= naive.sum(axis=1, keepdims=True)
    calibration["kept"] = True
    np.testing.assert_allclose(apply_multiclass_calibration(calibration, new), naive)


def test_expected_confusion_matrix_equals_a_naive_sum(rng):
    p = rng.dirichlet([1, 1, 1], size=50)
    predicted = rng.integers(0, 3, 50)
    estimate = estimate_multiclass(p, predicted, ["a", "b", "c"], n_draws=50, rng=0)
    naive = np.zeros((3, 3))
    for row, k in zip(p, predicted):
        for t in range(3):
            naive[t, k] += row[t]
    np.testing.assert_allclose(estimate["confusion"], naive)
    assert estimate["accuracy"] == pytest.approx(np.trace(naive) / 50)
    assert estimate["per_class"]["b"]["recall"] == pytest.approx(
        naive[1, 1] / naive[1].sum()
    )
    assert estimate["per_class"]["c"]["precision"] == pytest.approx(
        naive[2, 2] / naive[:, 2].sum()
    )


def test_multiclass_estimates_cover_the_realised_values(global_random_seed):
    # Calibrated probabilities by construction: the 95% intervals should cover
    # the realised accuracy and per-class recall about 95% of the time.
    rng = np.random.default_rng(global_random_seed)
    classes = ["x", "y", "z"]
    n_chunks, covered, widths = 150, {"accuracy": 0, "recall": 0}, []
    for _ in range(n_chunks):
        p = rng.dirichlet([0.6, 0.6, 0.6], size=300)
        predicted = np.argmax(p + rng.normal(0, 0.1, p.shape), axis=1)
        estimate = estimate_multiclass(p, predicted, classes, n_draws=200, rng=rng)
        realised = realised_multiclass(_draw_labels(rng, p), predicted, classes)
        low, high = estimate["accuracy_low"], estimate["accuracy_high"]
        covered["accuracy"] += low <= realised["accuracy"] <= high
        widths.append(
            (high - low) / (realised["accuracy_high"] - realised["accuracy_low"])
        )
        y_class = estimate["per_class"]["y"]
        covered["recall"] += (
            y_class["recall_low"]
            <= realised["per_class"]["y"]["recall"]
            <= y_class["recall_high"]
        )
    for name, hits in covered.items():
        assert 0.89 <= hits / n_chunks <= 0.99, (name, covered)
    assert np.mean(widths) <= 1.5


def test_realised_multiclass_equals_scikit_learn(rng):
    from sklearn.metrics import confusion_matrix, precision_score, recall_score

    y, predicted = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    realised = realised_multiclass(y, predicted, [10, 20, 30, 40])
    np.testing.assert_array_equal(realised["confusion"], confusion_matrix(y, predicted))
    recall = recall_score(y, predicted, average=None)
    precision = precision_score(y, predicted, average=None)
    for j, name in enumerate(["10", "20", "30", "40"]):
        assert realised["per_class"][name]["recall"] == pytest.approx(recall[j])
        assert realised["per_class"][name]["precision"] == pytest.approx(precision[j])


def _three_classes(rng, n):
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    a, b = X["a"].to_numpy(), X["b"].to_numpy()
    logits = np.column_stack([2 * a, -a + b, 0.5 * b])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    names = np.array(["setosa", "versicolor", "virginica"])
    return X, pd.Series(names[_draw_labels(rng, p)], name="species")


def test_monitor_follows_a_multiclass_model_with_and_without_labels(rng):
    X, y = _three_classes(rng, 1500)
    model = LogisticRegression().fit(X, y)
    reference = build_reference(model, X, y, reference_rows=300)
    calibration = reference["calibration"]
    assert len(calibration["maps"]) == 3 and len(calibration["bootstrap"]) > 0
    assert calibration_draws(calibration, model.predict_proba(X[:5])).shape[1:] == (
        5,
        3,
    )
    attach_reference(model, reference)
    X_new, y_new = _three_classes(rng, 1000)
    monitor = Monitor(model, chunk_size=500, multivariate=False, n_bootstrap=50)
    monitor.update(X_new)
    first = monitor.chunks_[0]
    assert first["realised"] is None
    assert 0 <= first["estimated"]["accuracy_low"] <= first["estimated"]["accuracy"]
    assert set(first["estimated"]["per_class"]) == {"setosa", "versicolor", "virginica"}
    monitor.update(X_new, y_new)
    labelled = monitor.chunks_[2]
    predicted = model.predict(X_new[:500])
    assert labelled["realised"]["accuracy"] == pytest.approx(
        np.mean(predicted == y_new[:500].to_numpy())
    )
    assert labelled["realised"]["concept_pvalue"] > 0.001
    estimate = labelled["estimated"]
    assert estimate["accuracy_low"] <= labelled["realised"]["accuracy"]
    assert labelled["realised"]["accuracy"] <= estimate["accuracy_high"]
    timeline = monitor.timeline()
    assert timeline["estimated_accuracy"].between(0, 1).all()
    assert timeline["realised_accuracy"].isna().tolist() == [True, True, False, False]
