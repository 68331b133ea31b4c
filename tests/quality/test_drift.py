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


def test_bin_counts_matches_searchsorted(rng):
    from sklearn_workflow.quality._drift import bin_counts

    values = rng.normal(size=1000)
    values[:5] = [np.nan, np.inf, -np.inf, 0.0, 0.0]
    edges = np.array([-1.0, 0.0, 0.5, 2.0])
    finite = values[np.isfinite(values)]
    expected = np.bincount(np.searchsorted(edges, finite, "right"), minlength=5)
    np.testing.assert_array_equal(bin_counts(values, edges), expected)
    many = np.linspace(-3, 3, 40)
    expected = np.bincount(np.searchsorted(many, finite, "right"), minlength=41)
    np.testing.assert_array_equal(bin_counts(values, many), expected)
