import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("datasketches")

from sklearn_workflow.quality import DataQualityChecker, _partial_checker
from sklearn_workflow.quality._partial_checker import SKIPPED_CHECKS
from sklearn_workflow.scale import fit_partitions

# Profile keys that are floating-point sums (mean, std, skewness of the values):
# equal to a relative 1e-12; every other key is exact.
_SUMS = ("mean", "std", "skewness")
_FINDINGS = ("check", "column", "severity")


def _condition(profile):
    """How many digits the centred values lose to the mean: ``|mean| / std``."""
    mean, std = profile.get("mean"), profile.get("std")
    if mean is None or not std:
        return 1.0
    return max(1.0, abs(mean) / std)


def _assert_profiles_equal(expected, merged):
    assert merged.keys() == expected.keys()
    tolerance = 1e-12 * _condition(expected)
    for key, value in expected.items():
        if key in _SUMS and value is not None:
            np.testing.assert_allclose(
                merged[key], value, rtol=tolerance, atol=tolerance
            )
        else:
            assert merged[key] == value, (expected["name"], key)


def _assert_contracts_equal(fitted, merged):
    a, b = fitted.contract_, merged.contract_
    for key in ("input", "n_rows", "n_columns", "n_duplicates", "imbalance_ratio"):
        assert a[key] == b[key], key
    for pa, pb in zip(a["columns"], b["columns"], strict=True):
        _assert_profiles_equal(pa, pb)
    if a["target"] is None:
        assert b["target"] is None
    else:
        _assert_profiles_equal(
            {k: v for k, v in a["target"].items() if k != "std"},
            {k: v for k, v in b["target"].items() if k != "std"},
        )
        if "std" in a["target"]:
            np.testing.assert_allclose(b["target"]["std"], a["target"]["std"])
    assert merged.task_ == fitted.task_


def _assert_findings_equal(fitted, merged):
    """Every finding of fit but the skipped checks; those are reported skipped."""
    skipped = set(merged.contract_["skipped_checks"])
    expected = fitted.findings_[~fitted.findings_["check"].isin(skipped)]
    got = merged.findings_
    said_skipped = got[got["check"].isin(skipped)]
    assert set(said_skipped["check"]) == skipped
    assert said_skipped["message"].str.contains("not checked").all()
    got = got[~got["check"].isin(skipped)]
    assert got[list(_FINDINGS)].to_numpy().tolist() == (
        expected[list(_FINDINGS)].to_numpy().tolist()
    )
    np.testing.assert_allclose(
        got["value"].to_numpy(), expected["value"].to_numpy(), rtol=1e-9, atol=1e-12
    )


def _parts(frame, cuts):
    bounds = [0, *sorted(set(cuts)), len(frame)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def _fit_by_parts(frame, y, cuts, merge=True, **params):
    """partial_fit on each part; merged as a tree (merge) or one after another."""
    fitted = []
    for a, b in _parts(frame, cuts):
        part_y = None if y is None else y[a:b]
        if merge:
            fitted.append(DataQualityChecker(**params).partial_fit(frame[a:b], part_y))
        elif fitted:
            fitted[0].partial_fit(frame[a:b], part_y)
        else:
            fitted.append(DataQualityChecker(**params).partial_fit(frame[a:b], part_y))
    while len(fitted) > 1:
        pairs = [fitted[i : i + 2] for i in range(0, len(fitted), 2)]
        fitted = [p[0].merge(p[1]) if len(p) == 2 else p[0] for p in pairs]
    return fitted[0]


@st.composite
def tables(draw):
    n = draw(st.integers(1, 60))
    # Quarters: values a fit computes to 1e-12 (a spread of 1e-9 around 2 is
    # computed to 1e-7 by any method, fit included).
    numbers = st.one_of(
        st.integers(-4000, 4000).map(lambda v: v / 4),
        st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.0, 2.5]),
    )
    frame = pd.DataFrame(
        {
            "amount": draw(st.lists(numbers, min_size=n, max_size=n)),
            "count": draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)),
            "city": draw(
                st.lists(
                    st.sampled_from(["Lyon", "lyon ", "Nice", "N/A", None, "Oslo"]),
                    min_size=n,
                    max_size=n,
                )
            ),
            "flag": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        }
    )
    frame["double"] = 2.0 * frame["count"] + frame["amount"].fillna(0.0)
    y = np.array(
        draw(st.lists(st.sampled_from(["no", "yes", None]), min_size=n, max_size=n)),
        dtype=object,
    )
    cuts = draw(st.lists(st.integers(0, n), max_size=6))
    return frame, y, cuts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.booleans(), st.booleans())
def test_any_partitioning_fits_the_checker_as_fit(table, with_target, merge):
    frame, y, cuts = table
    y = y if with_target else None
    with np.errstate(all="ignore"):
        fitted = DataQualityChecker().fit(frame, y)
    merged = _fit_by_parts(frame, y, cuts, merge=merge)
    _assert_contracts_equal(fitted, merged)
    _assert_findings_equal(fitted, merged)
    batch = frame.iloc[::-1].reset_index(drop=True)
    pd.testing.assert_frame_equal(merged.validate(batch), fitted.validate(batch))
    pd.testing.assert_series_equal(merged.drift(batch), fitted.drift(batch))


def test_the_merged_checker_validates_and_reports_drift_like_fit(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n = 4000
    frame = pd.DataFrame(
        {
            "income": rng.lognormal(10, 1, n).round(-2),
            "age": rng.integers(18, 90, n),
            "plan": pd.Categorical(
                rng.choice(["basic", "pro", "team", None], n, p=[0.6, 0.3, 0.05, 0.05]),
                categories=["unused", "team", "pro", "basic"],
            ),
            "signup": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        }
    )
    frame.loc[rng.random(n) < 0.05, "income"] = np.nan
    y = rng.normal(size=n) + frame["age"].to_numpy() / 30
    fitted = DataQualityChecker(on_violation="ignore").fit(frame, y)
    merged = _fit_by_parts(frame, y, [700, 2100, 3333], on_violation="ignore")
    _assert_contracts_equal(fitted, merged)
    _assert_findings_equal(fitted, merged)
    assert merged.task_ == "regression"
    shifted = frame.assign(
        income=frame["income"] * 3, plan=np.where(frame["plan"] == "pro", "gold", "x")
    )
    pd.testing.assert_frame_equal(merged.validate(shifted), fitted.validate(shifted))
    pd.testing.assert_series_equal(merged.drift(shifted), fitted.drift(shifted))
    assert {"out_of_range", "unseen_categories", "drift"} <= set(
        merged.validate(shifted)["check"]
    )
    assert "leakage not checked" in str(merged.report_)


def test_columns_beyond_the_exact_cap_use_the_sketches(monkeypatch):
    monkeypatch.setattr(_partial_checker, "VALUE_CAP", 200)
    rng = np.random.default_rng(0)
    n = 20_000
    values = np.concatenate([rng.normal(0, 1, n // 2), rng.normal(6, 1, n // 2)])
    frame = pd.DataFrame(
        {"x": rng.permutation(values).round(4), "k": rng.integers(0, 50, n)}
    )
    fitted = DataQualityChecker().fit(frame)
    merged = _fit_by_parts(frame, None, [3000, 9000, 15000])
    a, b = fitted.contract_["columns"][0], merged.contract_["columns"][0]
    eps = merged._state.quantiles.rank_error
    ordered = np.sort(frame["x"].to_numpy())

    def rank(value):
        return np.searchsorted(ordered, value) / n, np.searchsorted(
            ordered, value, side="right"
        ) / n

    for q, key in ((0.25, "q25"), (0.5, "q50"), (0.75, "q75")):
        below, at_most = rank(b[key])
        assert below - eps <= q <= at_most + eps
    for edge_a, edge_b in zip(a["edges"], b["edges"], strict=True):
        assert abs(rank(edge_b)[0] - rank(edge_a)[0]) <= 2 * eps
    np.testing.assert_allclose(b["bin_fractions"], a["bin_fractions"], atol=2 * eps)
    assert abs(b["n_outliers"] - a["n_outliers"]) <= eps * n
    relative = merged._state.distinct.relative_error
    assert abs(b["n_unique"] - a["n_unique"]) <= 4 * relative * a["n_unique"]
    for key in ("n", "n_missing", "min", "max", "n_finite"):
        assert a[key] == b[key]
    np.testing.assert_allclose(b["mean"], a["mean"], rtol=1e-12)
    # the small integer column keeps exact counts
    _assert_profiles_equal(
        fitted.contract_["columns"][1], merged.contract_["columns"][1]
    )
    # the two modes are found from the sketch's order statistics too
    assert "multimodal" in set(merged.findings_["check"])
    assert "multimodal" in set(fitted.findings_["check"])


def test_fit_partitions_fits_the_checker_on_parts_and_on_dask():
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(1)
    n = 600
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "city": rng.choice(["a", "b", "c", None], n),
            "y": rng.integers(0, 2, n),
        }
    )
    frame.loc[::9, "x"] = np.nan
    fitted = DataQualityChecker().fit(frame.drop(columns="y"), frame["y"].to_numpy())
    parts = [frame.iloc[a:b] for a, b in ((0, 100), (100, 450), (450, n))]
    merged = fit_partitions(DataQualityChecker(), parts, target="y")
    _assert_contracts_equal(fitted, merged)
    with (
        distributed.LocalCluster(
            n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        data = dd.from_pandas(frame, npartitions=5)
        on_dask = fit_partitions(DataQualityChecker(), data, target="y")
        # Dask reads text as Arrow strings: compare with the fit of what it holds
        in_memory = data.compute()
    y = in_memory.pop("y").to_numpy()
    fitted = DataQualityChecker().fit(in_memory, y)
    _assert_contracts_equal(fitted, on_dask)
    _assert_findings_equal(fitted, on_dask)


@pytest.mark.parametrize(
    "make, err_msg",
    [
        (
            lambda: (
                DataQualityChecker()
                .partial_fit(pd.DataFrame({"a": [1.0]}))
                .merge(DataQualityChecker().fit(pd.DataFrame({"a": [1.0]})))
            ),
            "other was not",
        ),
        (
            lambda: (
                DataQualityChecker(n_bins=5)
                .partial_fit(pd.DataFrame({"a": [1.0]}))
                .merge(DataQualityChecker().partial_fit(pd.DataFrame({"a": [1.0]})))
            ),
            "different n_bins: 5 and 10",
        ),
        (
            lambda: (
                DataQualityChecker()
                .partial_fit(pd.DataFrame({"a": [1.0]}))
                .merge(DataQualityChecker().partial_fit(pd.DataFrame({"b": [1.0]})))
            ),
            "different columns",
        ),
        (
            lambda: (
                DataQualityChecker()
                .partial_fit(pd.DataFrame({"a": ["x"]}))
                .partial_fit(pd.DataFrame({"a": [1.0]}))
            ),
            "Column 'a' is categorical in one part and numeric",
        ),
        (
            lambda: (
                DataQualityChecker()
                .partial_fit(pd.DataFrame({"a": [1.0]}), [1])
                .merge(DataQualityChecker().partial_fit(pd.DataFrame({"a": [1.0]})))
            ),
            "with y and one without",
        ),
    ],
)
def test_merge_errors(make, err_msg):
    with pytest.raises(ValueError, match=err_msg):
        make()


def test_a_fit_after_partial_fit_starts_over_and_skips_nothing():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0] * 5})
    checker = DataQualityChecker().partial_fit(frame.iloc[:4])
    assert "skipped_checks" in checker.contract_
    checker.fit(frame)
    assert "skipped_checks" not in checker.contract_
    assert checker.contract_["n_rows"] == 15
    checker.partial_fit(frame.iloc[:2])  # starts a new fit by parts
    assert checker.contract_["n_rows"] == 2
    assert set(SKIPPED_CHECKS) >= set(checker.contract_["skipped_checks"])


def test_drop_partial_state_keeps_the_fit_and_refuses_merging():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"x": rng.normal(size=300), "city": rng.choice(["a", "b"], 300)})
    checker = _fit_by_parts(X, None, [100, 200])
    contract, findings = checker.contract_, checker.findings_
    batch = X.assign(x=X["x"] + 5)
    violations = checker.validate(batch)
    checker.drop_partial_state()
    assert checker.contract_ is contract
    pd.testing.assert_frame_equal(checker.findings_, findings)
    pd.testing.assert_frame_equal(checker.validate(batch), violations)
    with pytest.raises(ValueError, match="self was not"):
        checker.merge(DataQualityChecker().partial_fit(X))
    assert checker.partial_fit(X[:10]).contract_["n_rows"] == 10
