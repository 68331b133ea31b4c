"""GroupAggregator against pandas groupby + merge and polars group_by + join.

The job: per-customer statistics (mean, sum and count of the purchase amount, max of
the sessions) learned on a training table and attached to every row of a test table,
unseen customers getting the training mean and a count of 0. pandas and polars do it
with a group-by on the training rows, a left join onto the test rows and a fill of
the unseen rows; ``GroupAggregator`` does it with ``fit`` and ``transform``.

    python benchmarks/bench_features_group_aggregator.py [--rows N] [--groups G]
    python benchmarks/bench_features_group_aggregator.py --quick

Prints one table: seconds (best of ``--repeat``, interleaved), ratio (their time /
ours, above 1 means ours is faster) and peak memory traced by ``tracemalloc``
(polars allocates outside Python's tracer, so its peak reads as about 0).
"""

import argparse
import gc
import time
import tracemalloc

import numpy as np
import pandas as pd

from sklearn_workflow.features import GroupAggregator

AGGREGATIONS = {"purchase_amount": ("mean", "sum", "count"), "num_sessions": ("max",)}


def make_tables(n_rows, n_groups, seed=0):
    """A training and a test table of purchases keyed by customer id (str)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{i:07d}" for i in range(int(n_groups * 1.05))], dtype=object)

    def table(n, high):
        amount = rng.lognormal(3.0, 1.0, n)
        amount[rng.random(n) < 0.05] = np.nan
        return pd.DataFrame(
            {
                "customer_id": pd.Series(ids[rng.integers(0, high, n)], dtype="str"),
                "purchase_amount": amount,
                "num_sessions": rng.poisson(10, n),
            }
        )

    # The test table has about 5% of customers never seen in training.
    return table(n_rows, n_groups), table(n_rows // 4, len(ids))


def ours(train, test):
    agg = GroupAggregator("customer_id", AGGREGATIONS).fit(train)
    return agg.transform(test)


def pandas_groupby_merge(train, test):
    stats = train.groupby("customer_id").agg(
        purchase_amount_mean=("purchase_amount", "mean"),
        purchase_amount_sum=("purchase_amount", "sum"),
        purchase_amount_count=("purchase_amount", "count"),
        num_sessions_max=("num_sessions", "max"),
    )
    out = test.merge(stats, how="left", left_on="customer_id", right_index=True)
    return out.fillna(
        {
            "purchase_amount_mean": train["purchase_amount"].mean(),
            "purchase_amount_sum": 0.0,
            "purchase_amount_count": 0.0,
            "num_sessions_max": train["num_sessions"].max(),
        }
    )


def polars_group_by_join(train, test):
    import polars as pl

    stats = train.group_by("customer_id").agg(
        pl.col("purchase_amount").mean().alias("purchase_amount_mean"),
        pl.col("purchase_amount").sum().alias("purchase_amount_sum"),
        pl.col("purchase_amount").count().alias("purchase_amount_count"),
        pl.col("num_sessions").max().alias("num_sessions_max"),
    )
    out = test.join(stats, on="customer_id", how="left")
    return out.with_columns(
        pl.col("purchase_amount_mean").fill_null(train["purchase_amount"].mean()),
        pl.col("purchase_amount_sum").fill_null(0.0),
        pl.col("purchase_amount_count").fill_null(0),
        pl.col("num_sessions_max").fill_null(train["num_sessions"].max()),
    )


def timings(rows, repeat):
    """Best wall time of each method; the repetitions are interleaved so that a
    burst of load on a shared machine hits every method alike."""
    best = [np.inf] * len(rows)
    for _ in range(repeat):
        for k, (_, func, data) in enumerate(rows):
            gc.collect()
            start = time.perf_counter()
            func(*data)
            best[k] = min(best[k], time.perf_counter() - start)
    return best


def peak_memory(func, *args):
    gc.collect()
    tracemalloc.start()
    func(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def check_same_result(train, test):
    # The benchmark compares equal work: the outputs agree.
    a = ours(train, test)
    b = pandas_groupby_merge(train, test)
    for name in ["purchase_amount_mean", "purchase_amount_sum"]:
        theirs = b[name].to_numpy(dtype=float)
        np.testing.assert_allclose(a[f"{name}_by_customer_id"], theirs, rtol=1e-9)
    for name in ["purchase_amount_count", "num_sessions_max"]:
        theirs = b[name].to_numpy(dtype=float)
        np.testing.assert_array_equal(a[f"{name}_by_customer_id"], theirs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="training rows")
    parser.add_argument("--groups", type=int, default=50_000, help="customers")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.groups, args.repeat = 5_000, 500, 1

    train, test = make_tables(args.rows, args.groups)
    check_same_result(train, test)
    rows = [("GroupAggregator (pandas in)", ours, (train, test))]
    rows.append(
        ("pandas groupby + merge + fillna", pandas_groupby_merge, (train, test))
    )
    try:
        import polars as pl
    except ImportError:
        pl = None
    if pl is not None:
        train_pl, test_pl = pl.from_pandas(train), pl.from_pandas(test)
        rows.insert(1, ("GroupAggregator (polars in)", ours, (train_pl, test_pl)))
        rows.append(
            ("polars group_by + join", polars_group_by_join, (train_pl, test_pl))
        )

    print(
        f"fit on {args.rows:,} rows ({args.groups:,} customers), transform "
        f"{len(test):,} rows; best of {args.repeat}"
    )
    print(f"{'method':<34}{'seconds':>10}{'ratio':>8}{'peak MB':>10}")
    seconds = timings(rows, args.repeat)
    for (name, func, data), sec in zip(rows, seconds):
        peak = peak_memory(func, *data)
        print(f"{name:<34}{sec:>10.3f}{sec / seconds[0]:>8.2f}{peak:>10.1f}")


if __name__ == "__main__":
    main()
