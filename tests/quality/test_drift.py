import numpy as np
import pytest

from sklearn_workflow.quality import population_stability_index


def test_psi_matches_the_formula(rng):
    expected = rng.dirichlet(np.ones(6))
    actual = rng.dirichlet(np.ones(6))
    naive = sum((a - e) * np.log(a / e) for a, e in zip(actual, expected))
    assert population_stability_index(expected, actual) == pytest.approx(naive)


def test_psi_is_finite_for_empty_bins():
    psi = population_stability_index([0.5, 0.5, 0.0], [0.4, 0.4, 0.2])
    assert np.isfinite(psi) and psi > 0.2
