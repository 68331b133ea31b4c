import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar

from sklearn_workflow.monitor import delong_test, mcnemar_test, paired_bootstrap
from sklearn_workflow.monitor._stats import clopper_pearson_interval, rows_needed


def _naive_delong(y, a, b):
    """DeLong's test by the O(n^2) definition: every positive against every
    negative."""
    y = np.asarray(y, dtype=bool)
    components = []
    for s in (np.asarray(a), np.asarray(b)):
        pos, neg = s[y], s[~y]
        kernel = np.zeros((pos.size, neg.size))
        for i, x in enumerate(pos):
            for j, z in enumerate(neg):
                kernel[i, j] = 1.0 if x > z else (0.5 if x == z else 0.0)
        components.append((kernel.mean(axis=1), kernel.mean(axis=0)))
    (v10a, v01a), (v10b, v01b) = components
    m, n = v10a.size, v01a.size

    def cov(u, v):
        return np.sum((u - u.mean()) * (v - v.mean())) / (u.size - 1)

    var = (cov(v10a, v10a) + cov(v10b, v10b) - 2 * cov(v10a, v10b)) / m + (
        cov(v01a, v01a) + cov(v01b, v01b) - 2 * cov(v01a, v01b)
    ) / n
    return v10a.mean(), v10b.mean(), v10b.mean() - v10a.mean(), np.sqrt(var)


def test_delong_test_equals_the_naive_quadratic_definition(rng):
    n = 120
    y = rng.random(n) < 0.4
    a = np.round(y + rng.normal(size=n), 1)  # rounded: ties inside and across
    b = np.round(y * 1.5 + rng.normal(size=n), 1)
    result = delong_test(y, a, b)
    auc_a, auc_b, difference, se = _naive_delong(y, a, b)
    assert result["auc_a"] == pytest.approx(auc_a, abs=1e-10)
    assert result["auc_b"] == pytest.approx(auc_b, abs=1e-10)
    assert result["difference"] == pytest.approx(difference, abs=1e-10)
    assert result["se"] == pytest.approx(se, abs=1e-10)
    assert result["auc_a"] == pytest.approx(roc_auc_score(y, a), abs=1e-12)


def test_delong_test_needs_two_rows_of_each_class():
    with pytest.raises(ValueError, match="1 positive and 3 negative"):
        delong_test([1, 0, 0, 0], [0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1])


@pytest.mark.parametrize(
    "exact, correction", [(True, True), (False, True), (False, False)]
)
@pytest.mark.parametrize("b, c", [(8, 2), (30, 12), (5, 5), (0, 7), (150, 190)])
def test_mcnemar_test_equals_statsmodels(b, c, exact, correction):
    correct_a = np.r_[np.ones(b + 40, bool), np.zeros(c + 9, bool)]
    correct_b = np.r_[
        np.zeros(b, bool), np.ones(40, bool), np.ones(c, bool), np.zeros(9, bool)
    ]
    ours = mcnemar_test(correct_a, correct_b, exact=exact, correction=correction)
    table = [[40, b], [c, 9]]
    theirs = mcnemar(table, exact=exact, correction=correction)
    assert (ours["b"], ours["c"]) == (b, c)
    assert ours["statistic"] == pytest.approx(theirs.statistic, rel=1e-12)
    assert ours["pvalue"] == pytest.approx(theirs.pvalue, rel=1e-10)


def test_paired_bootstrap_covers_the_true_difference_at_the_nominal_rate(
    global_random_seed,
):
    # Two correlated classifiers right with chance 0.80 and 0.75: the true
    # difference of accuracy is 0.05.
    rng = np.random.default_rng(global_random_seed)

    def accuracy(y, p):
        return float(np.mean(y == p))

    covered, n_simulations = 0, 300
    for _ in range(n_simulations):
        u = rng.random(200)
        y = np.ones(200)
        a = (u < 0.75).astype(float)
        b = ((u < 0.70) | ((u > 0.9) & (u < 1.0))).astype(float)  # right 0.80
        result = paired_bootstrap(y, a, b, accuracy, n_rounds=300, rng=rng)
        covered += result["ci_low"] <= 0.05 <= result["ci_high"]
    assert 0.93 <= covered / n_simulations <= 0.97


def test_rows_needed_scales_with_the_square_of_the_half_width():
    assert rows_needed(500, 0.02, 0.04, 0.0) == 2000
    assert rows_needed(500, 0.0, 0.04, 0.01) == 8000
    assert rows_needed(500, -0.02, 0.04, 0.0) is None


def test_clopper_pearson_interval_equals_scipy_binomtest():
    from scipy.stats import binomtest

    for k, n in [(0, 10), (3, 10), (10, 10), (57, 300)]:
        expected = binomtest(k, n).proportion_ci(0.95, method="exact")
        low, high = clopper_pearson_interval(k, n)
        assert low == pytest.approx(expected.low, abs=1e-12)
        assert high == pytest.approx(expected.high, abs=1e-12)
