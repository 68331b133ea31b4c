import numpy as np
import pytest
from scipy import stats

from sklearn_workflow.quality import population_stability_index
from sklearn_workflow.quality._drift import homogeneity_chance, psi_noise


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


@pytest.mark.parametrize(
    "fitted, batch",
    [
        ([50, 30, 20], [5, 3, 2]),
        ([500, 300, 200], [90, 5, 5]),
        ([100, 0, 50, 7], [3, 4, 0, 1]),  # a bin seen only in the batch
        ([10, 0, 10], [2, 0, 9]),  # a bin empty in both is left out
    ],
)
def test_homogeneity_chance_matches_scipy(fitted, batch):
    table = np.array([fitted, batch])
    table = table[:, table.sum(axis=0) > 0]
    expected = stats.chi2_contingency(table, correction=False).pvalue
    assert homogeneity_chance(fitted, batch) == pytest.approx(expected, rel=1e-9)


def test_homogeneity_chance_of_one_bin_is_one():
    assert homogeneity_chance([10, 0], [3, 0]) == 1.0


@pytest.mark.parametrize("k, m", [(5, 200), (10, 100), (10, 400)])
def test_psi_noise_matches_simulation(k, m, global_random_seed):
    # PSI of a batch drawn from the fitted distribution itself: its mean over
    # many batches is psi_noise (bins of equal mass, so no bin is left empty).
    rng = np.random.default_rng(global_random_seed)
    n = 20_000
    fitted = rng.multinomial(n, np.full(k, 1 / k))
    psis = [
        population_stability_index(fitted / n, rng.multinomial(m, fitted / n) / m)
        for _ in range(2000)
    ]
    # The batch is drawn from the fitted fractions, so only the 1 / m term of
    # the noise applies here.
    assert np.mean(psis) == pytest.approx(psi_noise(k, m, np.inf), rel=0.1)


def test_psi_noise_of_two_samples_matches_simulation(global_random_seed):
    # Both the fitted rows and the batch drawn from one distribution.
    rng = np.random.default_rng(global_random_seed)
    k, m, n = 8, 150, 600
    truth = np.full(k, 1 / k)
    psis = [
        population_stability_index(
            rng.multinomial(n, truth) / n, rng.multinomial(m, truth) / m
        )
        for _ in range(2000)
    ]
    assert np.mean(psis) == pytest.approx(psi_noise(k, m, n), rel=0.1)
