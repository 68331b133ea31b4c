import numpy as np
import pytest
from scipy.special import expit

from sklearn_workflow.monitor import (
    apply_calibration,
    calibration_draws,
    fit_calibration,
)
from sklearn_workflow.monitor._calibration import _fit_map, bootstrap_maps
from sklearn_workflow.monitor._estimate import estimate_performance


def test_identical_bootstrap_maps_leave_the_interval_unchanged(rng):
    scores = rng.uniform(size=400)
    y = rng.uniform(size=400) < scores
    calibration = fit_calibration(scores**2, y)
    calibration["bootstrap"] = [dict(calibration)] * 5
    new = rng.uniform(size=300) ** 2
    draws = calibration_draws(calibration, new)
    p = apply_calibration(calibration, new)
    np.testing.assert_allclose(draws, np.broadcast_to(p, (5, 300)))
    decided = new > 0.3
    alone = estimate_performance(p, decided, n_draws=100, rng=0)
    with_maps = estimate_performance(p, decided, n_draws=100, rng=0, map_draws=draws)
    assert alone == pytest.approx(with_maps)


def test_map_uncertainty_restores_coverage_of_a_small_reference(global_random_seed):
    # Each trial fits the map on a small reference (300 rows) and estimates the
    # precision of one large chunk: the map's error, shared by every row of the
    # chunk, is what the label draws alone leave out of the interval.
    rng = np.random.default_rng(global_random_seed)
    covered = {"alone": 0, "with maps": 0}
    n_trials = 30
    for _ in range(n_trials):
        scores = rng.normal(size=300)
        y = rng.uniform(size=300) < expit(2 * scores)
        calibration = {**_fit_map("sigmoid", scores, y.astype(int)), "kept": True}
        calibration["bootstrap"] = bootstrap_maps(
            calibration, scores, y, n_bootstrap=20, random_state=0
        )
        new = rng.normal(size=3000)
        realised_y = rng.uniform(size=3000) < expit(2 * new)
        decided = new > 0.5
        realised = np.mean(realised_y[decided])
        p = apply_calibration(calibration, new)
        draws = calibration_draws(calibration, new)
        for name, maps in (("alone", None), ("with maps", draws)):
            estimate = estimate_performance(
                p, decided, n_draws=200, rng=rng, map_draws=maps
            )
            low, high = estimate["precision_low"], estimate["precision_high"]
            covered[name] += low <= realised <= high
    # Over seeds: about 88% of trials covered with the maps, 55% without.
    assert covered["with maps"] >= covered["alone"] + 4, covered
    assert covered["with maps"] / n_trials >= 0.7, covered
