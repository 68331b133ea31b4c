"""The vectorised pieces of the checks against naive references."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from sklearn_workflow.quality._findings import RowKey, correlation_matrix
from sklearn_workflow.quality._leakage import (
    _auc_from_tables,
    crossfit_table,
    leakage_score,
    split_halves,
)


def test_auc_from_tables_matches_sklearn(rng):
    table = rng.uniform(size=15).round(1)  # ties on purpose
    index = rng.integers(0, 15, 500)
    positive = (rng.random(500) < 0.4).astype(float)
    ours = _auc_from_tables(table, index, positive)
    assert ours == pytest.approx(roc_auc_score(positive, table[index]))


def test_crossfit_table_matches_a_loop(rng):
    n, n_codes = 200, 5
    codes = rng.integers(0, n_codes, n)
    target = rng.normal(size=n)
    second = split_halves(n)
    prior = target.mean()
    table, index = crossfit_table(codes, n_codes, target, prior, second)
    for i in range(n):
        # the row is scored by the other half's smoothed mean of its code
        other = [j for j in range(n) if second[j] != second[i] and codes[j] == codes[i]]
        expected = (sum(target[j] for j in other) + prior) / (len(other) + 1)
        assert table[index[i]] == pytest.approx(expected)


def test_split_halves_is_balanced_and_not_periodic():
    second = split_halves(10_000)
    assert 0.45 < second.mean() < 0.55
    # unlike even/odd positions, both halves hold even and odd rows
    assert 0.4 < second[::2].mean() < 0.6


def test_leakage_score_of_a_random_column_is_about_one_half(rng):
    n = 4000
    codes = rng.integers(0, 20, n)
    y = rng.integers(0, 2, n)
    score = leakage_score(codes, 20, y, "classification", split_halves(n))
    assert 0.45 < score < 0.55


def test_row_key_groups_equal_rows(rng):
    frame = pd.DataFrame(
        {"a": rng.integers(0, 3, 100), "b": rng.integers(0, 2, 100).astype(float)}
    )
    frame.loc[::9, "b"] = np.nan
    key = RowKey(100)
    codes, _ = pd.factorize(frame["a"])
    key.add(codes.astype(np.int64))
    key.add_floats(frame["b"].to_numpy(dtype=float))
    groups, n_groups = key.groups()
    assert n_groups == len(frame.drop_duplicates())
    for i in range(100):
        for j in range(100):
            same = frame.iloc[i].equals(frame.iloc[j])
            assert (groups[i] == groups[j]) == same


def test_row_key_treats_signed_zero_and_nans_alike():
    a = np.array([0.0, -0.0, np.nan, -np.nan, 1.0])
    key = RowKey(5)
    key.add_floats(a)
    groups, n_groups = key.groups()
    assert n_groups == 3 and groups[0] == groups[1] and groups[2] == groups[3]


def test_correlation_matrix_matches_numpy_and_skips_missing(rng):
    a, b, c = rng.normal(size=(3, 300))
    b = a + 0.3 * b
    ours = correlation_matrix([a, b, c])
    np.testing.assert_allclose(ours, np.corrcoef([a, b, c]), atol=1e-12)
    a_missing = a.copy()
    a_missing[:30] = np.nan
    with_nan = correlation_matrix([a_missing, b])
    expected = np.corrcoef(a[30:], b[30:])[0, 1]
    assert with_nan[0, 1] == pytest.approx(expected, abs=0.02)


def test_leak_codes_bin_numbers_by_quantile_and_missing_apart(rng):
    from sklearn_workflow.quality._leakage import leak_codes
    from sklearn_workflow.quality._profile import profile_column, read_column

    values = rng.normal(size=500)
    values[:10] = np.nan
    values[10:12] = [np.inf, -np.inf]
    data = read_column("v", "v", values)
    profile, sorted_values = profile_column(data, n_bins=10, max_categories=10)
    codes, n_codes = leak_codes(data, profile, sorted_values)
    edges = np.unique(np.quantile(sorted_values, np.linspace(0, 1, 33)))[1:]
    expected = np.searchsorted(edges, values, side="right")
    expected[np.isnan(values)] = n_codes - 1
    np.testing.assert_array_equal(codes, expected)
