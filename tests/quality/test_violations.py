"""The checks at transform, one function each, against naive references."""

import numpy as np
import pandas as pd
import pytest

from sklearn_workflow import DataQualityChecker
from sklearn_workflow.quality._profile import read_column
from sklearn_workflow.quality._violations import (
    VIOLATION_CHECKS,
    VIOLATION_COLUMNS,
    batch_violations,
    column_violations,
    missing_chance,
    out_of_range_chance,
    schema_violations,
)

PARAMS = {"range_tolerance": 0.0, "drift_threshold": 0.2, "drift_min_samples": 50}


def _profiles(labels):
    frame = pd.DataFrame({label: [1.0, 2.0, 3.0] for label in labels})
    return DataQualityChecker().fit(frame).contract_["columns"]


@pytest.mark.parametrize(
    "batch, expected",
    [
        (["a", "b", "c"], []),
        (["a", "c"], [("missing_column", "b")]),
        (["a", "b", "c", "d"], [("extra_column", "d")]),
        (["b", "a", "c"], [("column_order", None)]),
        # Missing or extra columns are reported; the order then is not.
        (["c", "a", "e"], [("missing_column", "b"), ("extra_column", "e")]),
    ],
)
def test_schema_violations(batch, expected):
    rows = schema_violations(_profiles(["a", "b", "c"]), batch)
    assert [(r["check"], r["column"]) for r in rows] == expected
    assert all(r["severity"] == "error" for r in rows)
    assert all(set(r) == set(VIOLATION_COLUMNS) for r in rows)


def test_column_violations_kind_change_is_the_only_violation():
    profile = _profiles(["a"])[0]
    data = read_column("a", "a", pd.Series(["x", None, "y"]))
    rows = column_violations(profile, data, **PARAMS)
    assert [(r["check"], r["observed"], r["expected"]) for r in rows] == [
        ("kind", "categorical", "numeric")
    ]


def _binomial_tail_naive(k, m, p):
    from math import comb

    return sum(comb(m, j) * p**j * (1 - p) ** (m - j) for j in range(k, m + 1))


@pytest.mark.parametrize("n_missing", [0, 1, 5, 20, 24, 25, 60])
def test_missing_violation_matches_the_binomial_tail(n_missing):
    # Fitted with 10 of 100 missing; a batch of 100 with n_missing missing values
    # is a violation when P(K >= n_missing) < 1e-4, K ~ Binomial(100, 11 / 102).
    fitted = pd.DataFrame({"a": np.r_[np.arange(90.0), [np.nan] * 10]})
    profile = DataQualityChecker().fit(fitted).contract_["columns"][0]
    values = np.r_[np.arange(100.0 - n_missing), [np.nan] * n_missing]
    data = read_column("a", "a", pd.Series(values))
    rows = column_violations(profile, data, **PARAMS)
    chance = _binomial_tail_naive(n_missing, 100, 11 / 102)
    assert missing_chance(n_missing, 100, 10, 100) == pytest.approx(chance, rel=1e-9)
    flagged = n_missing > 0 and chance < 1e-4
    assert ("missing" in [r["check"] for r in rows]) == flagged
    assert flagged == (n_missing >= 25)  # the boundary, not a vacuous rule


@pytest.mark.parametrize(
    "n_missing_fit, n_fit, k, m, flagged",
    [
        (5, 100, 1, 1, False),  # one missing value in one row: the fitted rate
        (5, 100, 4, 4, True),  # four of four: (6 / 102) ** 4 < 1e-4
        (0, 100, 1, 1, False),  # none at fit: 1 / 102 by Laplace's rule
        (0, 100, 1, 20, False),
        (0, 100, 3, 20, False),
        (0, 100, 4, 20, True),
        (0, 20_000, 1, 1, True),  # none in 20,000 rows: 1 / 20,002 < 1e-4
    ],
)
def test_missing_violation_knows_the_batch_size(n_missing_fit, n_fit, k, m, flagged):
    fitted = np.arange(float(n_fit))
    fitted[:n_missing_fit] = np.nan
    profile = (
        DataQualityChecker().fit(pd.DataFrame({"a": fitted})).contract_["columns"][0]
    )
    values = np.r_[[np.nan] * k, np.arange(float(m - k)) + n_missing_fit]
    rows = column_violations(
        profile, read_column("a", "a", pd.Series(values)), **PARAMS
    )
    assert [r["check"] for r in rows] == ["missing"] * flagged


def test_batch_violations_is_an_empty_typed_table_without_violations():
    frame = batch_violations([], [], **PARAMS)
    assert list(frame.columns) == list(VIOLATION_COLUMNS)
    assert frame.empty and frame["value"].dtype == np.float64


def test_every_violation_check_is_listed():
    X = pd.DataFrame({"a": np.arange(100.0), "c": ["u", "v"] * 50})
    checker = DataQualityChecker().fit(X)
    batch = pd.DataFrame({"a": np.r_[[np.inf], np.arange(99.0) + 1e6], "c": "w"})
    checks = set(checker.validate(batch)["check"])
    assert checks == {"infinite", "out_of_range", "unseen_categories", "drift"}
    assert checks <= set(VIOLATION_CHECKS)


def _out_of_range_chance_naive(s, m, n):
    # P(S >= s) summed over the exact distribution of the count, by enumerating
    # how many of the top and bottom slots of the n + m ranks the batch takes.
    from math import comb

    total = comb(n + m, m)
    p = 0.0
    for top in range(m + 1):
        for bottom in range(m + 1 - top):
            if top + bottom < s:
                continue
            # exactly `top` batch values above all fitted ones and exactly
            # `bottom` below: the ranks next to them (inside) are fitted values.
            inner = n + m - top - bottom
            rest = m - top - bottom
            if inner < 2 or rest > inner - 2:
                continue
            p += comb(inner - 2, rest) / total
    return p


@pytest.mark.parametrize("m, n", [(5, 3), (30, 50), (10, 10), (1, 20)])
def test_out_of_range_chance_matches_enumeration(m, n):
    for s in range(m + 1):
        assert out_of_range_chance(s, m, n) == pytest.approx(
            _out_of_range_chance_naive(s, m, n), rel=1e-9, abs=1e-12
        )
