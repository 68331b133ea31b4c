import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_workflow.features._log import _has_three_values, sample_skewness
from sklearn_workflow.scale._moments import MomentState

# Dyadic values (multiples of 1/8): the sums of a few of them are exact, so the
# references are exact too and only the merge formulas can differ.
_VALUES = st.one_of(
    st.integers(-8000, 8000).map(lambda v: v / 8),
    st.sampled_from([np.nan, np.inf, -np.inf, 3.0, 3.0]),
)


@st.composite
def frames_and_cuts(draw):
    n_rows = draw(st.integers(1, 40))
    n_columns = draw(st.integers(1, 3))
    values = draw(
        st.lists(
            st.lists(_VALUES, min_size=n_columns, max_size=n_columns),
            min_size=n_rows,
            max_size=n_rows,
        )
    )
    cuts = sorted(draw(st.lists(st.integers(0, n_rows), max_size=6)))
    order = draw(st.permutations(range(len(cuts) + 1)))
    return np.array(values, dtype=np.float64), cuts, order


def _merged_state(x, cuts, order, weights=None):
    bounds = [0, *cuts, x.shape[0]]
    states = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        w = None if weights is None else weights[start:stop]
        states.append(MomentState(x.shape[1]).update(x[start:stop], w))
    merged = MomentState()
    for k in order:  # merged in a shuffled order
        merged = merged.merge(states[k])
    return merged


def _assert_same(a, b, rtol=1e-12):
    for name in ("n_rows", "count", "n_missing", "n_infinite", "min", "max"):
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    np.testing.assert_array_equal(a["has_three_values"], b["has_three_values"])
    for name in ("weight", "mean", "var", "std", "skewness"):
        scale = np.nanmax(np.abs(b[name]), initial=1.0)
        np.testing.assert_allclose(
            a[name], b[name], rtol=rtol, atol=rtol * scale, err_msg=name
        )


@settings(max_examples=80, deadline=None)
@given(frames_and_cuts())
def test_moment_state_any_partitioning_equals_one_pass(data):
    x, cuts, order = data
    one_pass = MomentState().update(x).finalize()
    merged = _merged_state(x, cuts, order).finalize()
    _assert_same(merged, one_pass)


@settings(max_examples=60, deadline=None)
@given(frames_and_cuts())
def test_moment_state_matches_pandas_and_scipy(data):
    x, cuts, order = data
    stats = _merged_state(x, cuts, order).finalize()
    frame = pd.DataFrame(np.where(np.isfinite(x), x, np.nan))
    finite = frame.notna().sum().to_numpy()
    np.testing.assert_array_equal(stats["count"], finite)
    np.testing.assert_array_equal(stats["n_missing"], np.isnan(x).sum(axis=0))
    np.testing.assert_array_equal(stats["n_infinite"], np.isinf(x).sum(axis=0))
    np.testing.assert_array_equal(stats["n_posinf"], (x == np.inf).sum(axis=0))
    np.testing.assert_array_equal(stats["n_neginf"], (x == -np.inf).sum(axis=0))
    np.testing.assert_allclose(stats["mean"], frame.mean(), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(stats["std"], frame.std(), rtol=1e-10, atol=1e-9)
    np.testing.assert_array_equal(stats["min"], frame.min().to_numpy())
    np.testing.assert_array_equal(stats["max"], frame.max().to_numpy())
    for j in range(x.shape[1]):
        column = x[:, j]
        # The log transformer's own functions, on the values with infinities.
        expected_three = bool((~np.isnan(column)).any()) and _has_three_values(column)
        assert stats["has_three_values"][j] == expected_three
        finite_values = column[np.isfinite(column)]
        expected = sample_skewness(finite_values)
        np.testing.assert_allclose(stats["skewness"][j], expected, atol=1e-9)
        if finite_values.size >= 3 and np.ptp(finite_values) > 0:
            scipy_skew = scipy.stats.skew(finite_values, bias=False)
            np.testing.assert_allclose(stats["skewness"][j], scipy_skew, atol=1e-9)


def test_moment_state_skewness_equals_pandas_on_lognormal(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    x = rng.lognormal(size=(5000, 2)) * [1.0, 1e6] + [0.0, 1e9]  # a large offset
    x[rng.random(5000) < 0.1, 0] = np.nan
    state = MomentState()
    for part in np.array_split(x, 13):
        state = state.merge(MomentState().update(part))
    stats = state.finalize()
    frame = pd.DataFrame(x)
    np.testing.assert_allclose(stats["skewness"], frame.skew(), rtol=1e-9)
    np.testing.assert_allclose(stats["std"], frame.std(), rtol=1e-12)
    np.testing.assert_allclose(stats["missing_fraction"], frame.isna().mean())


@settings(max_examples=40, deadline=None)
@given(frames_and_cuts(), st.data())
def test_moment_state_integer_weights_equal_repeated_rows(data, draw):
    x, cuts, order = data
    weights = np.array(
        draw.draw(st.lists(st.integers(0, 3), min_size=len(x), max_size=len(x)))
    )
    weighted = _merged_state(x, cuts, order, weights.astype(float)).finalize()
    repeated = MomentState().update(np.repeat(x, weights, axis=0)).finalize()
    for name in ("weight", "mean", "var", "skewness"):
        present = repeated["count"] > 0
        scale = np.nanmax(np.abs(repeated[name]), initial=1.0)
        np.testing.assert_allclose(
            weighted[name][present],
            repeated[name][present],
            rtol=1e-12,
            atol=1e-12 * scale,
            err_msg=name,
        )


def test_moment_state_exact_statistics_are_bit_identical_in_any_order():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 4))
    x[rng.random((1000, 4)) < 0.05] = np.nan
    parts = [MomentState().update(p) for p in np.array_split(x, 9)]
    forward, backward = MomentState(), MomentState()
    for part in parts:
        forward = forward.merge(part)
    for part in parts[::-1]:
        backward = backward.merge(part)
    a, b = forward.finalize(), backward.finalize()
    for name in ("count", "n_missing", "min", "max", "has_three_values"):
        np.testing.assert_array_equal(a[name], b[name])
    np.testing.assert_allclose(a["mean"], b["mean"], rtol=1e-13, atol=1e-15)


def test_moment_state_reads_dataframe_columns():
    frame = pd.DataFrame(
        {
            "a": pd.array([1, None, 3], dtype="Int64"),
            "b": [True, False, True],
            "c": [0.5, np.nan, 1.5],
        }
    )
    stats = MomentState().update(frame).finalize()
    np.testing.assert_array_equal(stats["n_missing"], [1, 0, 1])
    np.testing.assert_allclose(stats["mean"], [2.0, 2 / 3, 1.0])


def test_moment_state_empty_and_all_missing_columns():
    state = MomentState().update(np.full((3, 2), np.nan))
    stats = state.merge(MomentState()).finalize()
    assert np.isnan(stats["mean"]).all() and np.isnan(stats["min"]).all()
    np.testing.assert_array_equal(stats["missing_fraction"], [1.0, 1.0])
    assert not stats["has_three_values"].any()


@pytest.mark.parametrize(
    "action, err_type, err_msg",
    [
        (lambda: MomentState(2).update(np.ones((3, 3))), ValueError, "3 columns"),
        (lambda: MomentState(2).merge(MomentState(3)), ValueError, "2 and 3"),
        (lambda: MomentState().finalize(), ValueError, "holds no column"),
        (
            lambda: MomentState().update(np.ones((3, 1)), [1.0, -1.0, 1.0]),
            ValueError,
            "non-negative",
        ),
        (lambda: MomentState().update(np.ones((3, 1)), [1.0]), ValueError, "1 values"),
        (lambda: MomentState().update(np.ones((2, 2, 2))), ValueError, "1-D or 2-D"),
    ],
)
def test_moment_state_errors(action, err_type, err_msg):
    with pytest.raises(err_type, match=err_msg):
        action()
