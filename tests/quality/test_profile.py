import numpy as np
import pandas as pd
import pytest

from sklearn_workflow.quality._profile import (
    profile_column,
    quantiles_from_sorted,
    read_column,
)


def test_quantiles_from_sorted_match_numpy(rng):
    values = np.sort(rng.normal(size=101))
    q = np.linspace(0, 1, 17)
    np.testing.assert_allclose(quantiles_from_sorted(values, q), np.quantile(values, q))


@pytest.mark.parametrize(
    "values, kind",
    [
        (pd.Series([1.0, None]), "numeric"),
        (pd.Series([1, None], dtype="Int64"), "numeric"),
        (pd.Series(["a", None], dtype=object), "categorical"),
        (pd.Series(["a", None], dtype="str"), "categorical"),
        (pd.Series([True, None], dtype=object), "boolean"),
        (pd.Series([1, "a"], dtype=object), "categorical"),
        (pd.Series([{"k": 1}, None], dtype=object), "other"),
        (pd.Series(pd.to_datetime(["2024-01-01", None])), "datetime"),
        (pd.Series(pd.to_datetime(["2024-01-01"]).tz_localize("UTC")), "datetime"),
        (np.array([1.0, np.nan]), "numeric"),
        (np.array(["a", "b"]), "categorical"),
    ],
)
def test_read_column_kinds(values, kind):
    assert read_column("c", "c", values).kind == kind


def test_profile_bins_cover_every_value(rng):
    values = pd.Series(rng.integers(0, 4, 1000).astype(float))
    profile, _ = profile_column(
        read_column("c", "c", values), n_bins=10, max_categories=10
    )
    assert sum(profile["bin_fractions"]) == pytest.approx(1.0)
    counts = values.value_counts(normalize=True).sort_index().to_numpy()
    np.testing.assert_allclose(profile["bin_fractions"], counts)


def test_profile_keeps_the_most_frequent_categories():
    values = pd.Series(["a"] * 5 + ["b"] * 3 + ["c"] * 2 + [None])
    profile, _ = profile_column(
        read_column("c", "c", values), n_bins=10, max_categories=2
    )
    assert profile["categories"] == ["a", "b"]
    assert profile["category_counts"] == [5, 3]
    assert profile["other_fraction"] == pytest.approx(0.2)
    assert profile["high_cardinality"] and profile["n_missing"] == 1
