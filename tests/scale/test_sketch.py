import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("datasketches")

from sklearn_workflow.scale._sketch import (
    DistinctSketch,
    QuantileSketch,
    RowHashState,
)
from sklearn_workflow.utils._dataframe import row_hashes


def _merged(make, parts):
    state = make()
    for part in parts:
        state = state.merge(make().update(part))
    return state


def _rank_interval(data, value):
    """Fractions of the data strictly below and at most ``value``."""
    data = np.sort(data)
    below = np.searchsorted(data, value, side="left") / data.size
    at_most = np.searchsorted(data, value, side="right") / data.size
    return below, at_most


def test_quantile_sketch_within_its_rank_error(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    x = np.column_stack([rng.lognormal(size=20_000), rng.integers(0, 20, 20_000)])
    x[rng.random(20_000) < 0.1, 0] = np.nan
    sketch = _merged(QuantileSketch, np.array_split(x, 11))
    assert sketch.n.tolist() == [int((~np.isnan(x[:, 0])).sum()), 20_000]
    q = np.linspace(0, 1, 11)
    quantiles = sketch.quantiles(q)
    eps = sketch.rank_error
    assert 0 < eps < 0.02
    for j in range(2):
        present = x[:, j][~np.isnan(x[:, j])]
        assert quantiles[j, 0] == present.min() and quantiles[j, -1] == present.max()
        for rank, value in zip(q, quantiles[j]):
            below, at_most = _rank_interval(present, value)
            assert below - eps <= rank <= at_most + eps
        # bin fractions for PSI reference bins: within the rank error too
        edges = np.quantile(present, [0.25, 0.5, 0.75])
        expected = np.searchsorted(np.sort(present), edges, side="left") / present.size
        np.testing.assert_allclose(sketch.cdf(edges)[j], expected, atol=eps)


def test_quantile_sketch_is_exact_below_k_and_gives_binner_edges():
    x = np.array([5.0, 1.0, 3.0, np.nan, 2.0, 4.0])
    sketch = QuantileSketch(k=200).update(x[:3]).merge(QuantileSketch().update(x[3:]))
    np.testing.assert_array_equal(
        sketch.quantiles([0, 0.2, 0.4, 0.6, 0.8, 1]), [[1.0, 1.0, 2.0, 3.0, 4.0, 5.0]]
    )


def test_quantile_sketch_pickles_across_processes():
    sketch = QuantileSketch().update(np.arange(5000.0)[:, None])
    copy = pickle.loads(pickle.dumps(sketch))
    np.testing.assert_array_equal(
        copy.quantiles([0.1, 0.5]), sketch.quantiles([0.1, 0.5])
    )
    assert copy.merge(sketch).n.tolist() == [10_000]
    empty = pickle.loads(pickle.dumps(QuantileSketch()))
    assert empty.merge(sketch).n.tolist() == [5000]
    assert np.isnan(QuantileSketch(1).quantiles([0.5])).all()


def test_distinct_sketch_within_its_bounds(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    frame = pd.DataFrame(
        {
            "few": rng.choice(["a", "b", "c", None], size=30_000),
            "many": rng.integers(0, 20_000, size=30_000).astype(str),
            "numbers": rng.integers(0, 5000, size=30_000).astype(float),
        }
    )
    parts = [frame.iloc[p] for p in np.array_split(np.arange(len(frame)), 7)]
    sketch = pickle.loads(pickle.dumps(_merged(DistinctSketch, parts)))
    exact = frame.nunique().to_numpy()
    lower, upper = sketch.bounds(3)
    assert (lower <= exact).all() and (exact <= upper).all()
    np.testing.assert_allclose(sketch.estimate(), exact, rtol=0.05)
    assert round(sketch.estimate()[0]) == 3


def test_distinct_sketch_same_value_in_any_string_dtype():
    values = ["x", "y", None]
    object_col = DistinctSketch().update(
        pd.DataFrame({"c": pd.Series(values, dtype=object)})
    )
    category = DistinctSketch().update(
        pd.DataFrame({"c": pd.Series(values, dtype="category")})
    )
    assert object_col.merge(category).estimate().round().tolist() == [2.0]


@st.composite
def frames_and_cuts(draw):
    n = draw(st.integers(1, 30))
    rows = draw(
        st.lists(
            st.tuples(st.sampled_from([1, 2, 3]), st.sampled_from(["a", "b", None])),
            min_size=n,
            max_size=n,
        )
    )
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=5)))
    return pd.DataFrame(rows, columns=["id", "city"]), cuts


@settings(max_examples=60, deadline=None)
@given(frames_and_cuts(), st.randoms())
def test_row_hash_state_counts_duplicates_exactly(data, random):
    frame, cuts = data
    bounds = [0, *cuts, len(frame)]
    parts = [RowHashState().update(frame.iloc[a:b]) for a, b in zip(bounds, bounds[1:])]
    random.shuffle(parts)
    merged = RowHashState()
    for part in parts:
        merged = merged.merge(part)
    assert merged.n_rows == len(frame)
    assert merged.n_duplicates == int(frame.duplicated().sum())
    assert np.all(merged.hashes[1:] > merged.hashes[:-1])  # sorted, distinct
    from_hashes = RowHashState().update_hashes(row_hashes(frame))
    np.testing.assert_array_equal(from_hashes.hashes, merged.hashes)
    assert from_hashes.n_rows == len(frame)


@pytest.mark.parametrize(
    "action, err_type, err_msg",
    [
        (lambda: QuantileSketch(2).update(np.ones((3, 1))), ValueError, "1 columns"),
        (
            lambda: QuantileSketch(1).merge(QuantileSketch(2)),
            ValueError,
            "different shapes",
        ),
        (
            lambda: DistinctSketch().update(np.ones((2, 2))).update(np.ones((2, 3))),
            ValueError,
            "3 columns",
        ),
        (
            lambda: (
                DistinctSketch()
                .update(np.ones((2, 2)))
                .merge(DistinctSketch().update(np.ones((2, 1))))
            ),
            ValueError,
            "2 and 1",
        ),
    ],
)
def test_sketch_errors(action, err_type, err_msg):
    with pytest.raises(err_type, match=err_msg):
        action()


@pytest.mark.parametrize("n_distinct", [0, 1, 7, 300, 5_000, 200_000])
def test_distinct_sketch_error_within_its_stated_bound(n_distinct, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    values = rng.permutation(np.arange(n_distinct, dtype=np.float64) * 1.5 - 77.0)
    repeated = np.concatenate([values, values[: n_distinct // 3]])[:, None]
    sketch = _merged(DistinctSketch, np.array_split(repeated, 5))
    estimate = sketch.estimate()[0]
    # 4 standard errors: a false failure about once in 16,000 runs
    assert abs(estimate - n_distinct) <= 4 * sketch.relative_error * n_distinct + 1
    assert sketch.relative_error == pytest.approx(1.04 / 64)
    # any partitioning gives the same registers
    one = DistinctSketch().update(rng.permutation(repeated))
    np.testing.assert_array_equal(one.registers, sketch.registers)


def test_distinct_sketch_ranks_from_leading_zeros():
    sketch = DistinctSketch(lg_k=4, n_columns=1)
    # register 0b0011 (top 4 bits); then 5 zero bits before the first one
    word = np.uint64((0b0011 << 60) | (1 << 54))
    sketch.update_hashes(sketch.registers[0], np.array([word]))
    assert sketch.registers[0, 3] == 6 and sketch.registers[0].sum() == 6
    # all-zero remaining bits: the largest rank, 64 - lg_k + 1
    sketch.update_hashes(sketch.registers[0], np.array([np.uint64(0)]))
    assert sketch.registers[0, 0] == 61


def test_row_hash_state_merges_without_second_copy():
    hashes = np.array([5, 1, 5, 9, 1, 2], dtype=np.uint64)
    state = (
        RowHashState()
        .update_hashes(hashes[:3])
        .merge(RowHashState().update_hashes(hashes[3:]))
    )
    assert state.hashes.tolist() == [1, 2, 5, 9] and state.n_duplicates == 2
    big = np.random.default_rng(0).integers(0, 50_000, 300_000).astype(np.uint64)
    from sklearn_workflow.scale._sketch import _sorted_distinct

    np.testing.assert_array_equal(
        _sorted_distinct(np.sort(big), is_sorted=True, block=1000), np.unique(big)
    )
