import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from sklearn_workflow.monitor import apply_calibration, fit_calibration


def test_isotonic_map_equals_scikit_learn(rng):
    scores = rng.uniform(size=1000)
    y = rng.uniform(size=1000) < scores**2
    calibration = fit_calibration(scores, y, method="isotonic")
    iso = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(scores, y)
    new = np.r_[-1.0, rng.uniform(size=50), 2.0]
    np.testing.assert_allclose(apply_calibration(calibration, new), iso.predict(new))


def test_calibration_is_kept_only_when_it_lowers_the_out_of_fold_brier(rng):
    p = rng.uniform(size=3000)
    y = rng.uniform(size=3000) < p
    squeezed = 0.5 + 0.3 * (p - 0.5)  # underconfident: a map helps
    kept = fit_calibration(squeezed, y)
    assert kept["kept"] and kept["brier_calibrated"] < kept["brier_raw"]
    assert kept["brier_raw"] == pytest.approx(np.mean((squeezed - y) ** 2))
    calibrated = apply_calibration(kept, squeezed)
    assert np.mean((calibrated - y) ** 2) < kept["brier_raw"]


def test_decision_values_are_always_mapped_to_probabilities(rng):
    scores = rng.normal(size=500) * 3
    y = rng.uniform(size=500) < 1 / (1 + np.exp(-scores))
    calibration = fit_calibration(scores, y, method="sigmoid")
    assert calibration["brier_raw"] is None and calibration["kept"]
    assert calibration["slope"] == pytest.approx(1.0, abs=0.3)
    assert apply_calibration(calibration, [0.0])[0] == pytest.approx(0.5, abs=0.1)
