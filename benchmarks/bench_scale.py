"""Mergeable fitted state on a Dask LocalCluster against the same fit in memory.

The job: the statistics behind target encoding (per category and per hash fold:
row count, weight and class counts) and behind a data-quality profile (moments,
missing values, KLL quantiles, HLL distinct counts, duplicate rows from sorted row
hashes) of a generated table written to Parquet in row groups: 5 text columns of
10 to 100,000 levels, 10 numeric columns with missing values, a binary target.

Rows of the table (one pass each):

- ``dask 2 workers``: ``fit_partitions`` on ``dd.read_parquet`` (one partition per
  file), on a ``LocalCluster`` of two worker processes with one thread each;
- ``local row groups``: ``fit_partitions`` on the list of Parquet files, one row
  group at a time in this process;
- ``in memory, one pass``: the same states from the whole table read at once;
- ``TargetEncoder.fit_transform`` and ``DataQualityChecker.fit`` in memory on
  ``--memory-rows`` rows, the estimators as they are today;
- ``dask transform``: ``transform_partitions`` of a fitted ``TargetEncoder`` on
  the cluster.

    python benchmarks/bench_scale.py [--rows N] [--rows-per-file R] [--row-group G]
    python benchmarks/bench_scale.py --rows 50000000   # the full-size run

Each in-memory run happens in a fresh process, so its peak resident memory
(``ru_maxrss``, the interpreter and libraries included, about 150 MB) is its own;
the workers' peak is read the same way in each worker at the end. The states of the
three fits are checked equal (exact counts; the sketches within their bound).
Timings depend on the machine and on what else runs on it; compare ratios.
"""

import argparse
import concurrent.futures
import multiprocessing
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TEXT_LEVELS = (10, 100, 1_000, 10_000, 100_000)
N_NUMERIC = 10
N_FOLDS = 5
TARGET = "target"


def make_row_group(n_rows, seed):
    """One row group of the table, as a pyarrow Table (strings built by Arrow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    columns, logit = {}, np.zeros(n_rows)
    for j, levels in enumerate(TEXT_LEVELS):
        codes = (levels * rng.random(n_rows) ** 2).astype(np.int32)  # skewed
        dictionary = pa.array([f"t{j}_{k}" for k in range(levels)])
        text = pc.cast(pa.DictionaryArray.from_arrays(codes, dictionary), pa.string())
        missing = rng.random(n_rows) < 0.01
        columns[f"text_{j}"] = pc.if_else(pa.array(missing), None, text)
        logit += np.sin(codes * (j + 1.3)) * 0.5
    for j in range(N_NUMERIC):
        values = rng.lognormal(0, 1, n_rows) if j % 2 else rng.normal(j, 1, n_rows)
        logit += 0.1 * values if j < 3 else 0.0
        values[rng.random(n_rows) < 0.02] = np.nan
        columns[f"num_{j}"] = pa.array(values)
    target = rng.random(n_rows) < 1 / (1 + np.exp(-(logit - 1.0)))
    columns[TARGET] = pa.array(target.astype(np.int8))
    return pa.table(columns)


def write_dataset(folder, n_rows, rows_per_file, row_group):
    """Parquet files of ``rows_per_file`` rows in row groups of ``row_group``."""
    import pyarrow.parquet as pq

    paths, done, seed = [], 0, 0
    while done < n_rows:
        path = folder / f"part-{len(paths):05d}.parquet"
        size = min(rows_per_file, n_rows - done)
        with pq.ParquetWriter(path, make_row_group(1, 0).schema) as writer:
            for start in range(0, size, row_group):
                writer.write_table(make_row_group(min(row_group, size - start), seed))
                seed += 1
        paths.append(str(path))
        done += size
    return paths


class ScaleProfile:
    """The mergeable states of the benchmark, following the protocol.

    A plain class with ``get_params`` so that ``clone`` accepts it.
    """

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self

    def partial_fit(self, X, y):
        from sklearn_workflow.scale._categories import CategoryTargetState
        from sklearn_workflow.scale._folds import hash_fold_ids
        from sklearn_workflow.scale._moments import MomentState
        from sklearn_workflow.scale._sketch import (
            DistinctSketch,
            QuantileSketch,
            RowHashState,
        )
        from sklearn_workflow.utils._dataframe import row_hashes

        text = [c for c in X.columns if c.startswith("text_")]
        numeric = [c for c in X.columns if c.startswith("num_")]
        hashes = row_hashes(X)  # once: the folds and the duplicates
        folds = hash_fold_ids(hashes, N_FOLDS)  # as HashFolds(key=None)
        states = {
            "moments": MomentState().update(X[numeric]),
            "quantiles": QuantileSketch().update(X[numeric]),
            "distinct": DistinctSketch().update(X[numeric]),
            "duplicates": RowHashState().update_hashes(hashes),
        }
        for name in text:
            states[name] = CategoryTargetState("classes", N_FOLDS).update(
                X[name], y, fold_ids=folds
            )
        if hasattr(self, "states_"):
            return self.merge_states(states)
        self.states_ = states
        return self

    def merge_states(self, states):
        self.states_ = {k: s.merge(states[k]) for k, s in self.states_.items()}
        return self

    def merge(self, other):
        return self.merge_states(other.states_)


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm_up():
    """Import the libraries a task needs, before the clock starts."""
    import datasketches  # noqa: F401

    import sklearn_workflow.scale._categories
    import sklearn_workflow.scale._sketch  # noqa: F401


def _timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def _in_memory_states(paths):
    frame = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    y = frame.pop(TARGET).to_numpy()
    start = time.perf_counter()
    fitted = ScaleProfile().partial_fit(frame, y)
    return fitted, time.perf_counter() - start, _peak_mb()


def _local_states(paths):
    from sklearn_workflow.scale import fit_partitions

    fitted, seconds = _timed(fit_partitions, ScaleProfile(), paths, TARGET)
    return fitted, seconds, _peak_mb()


def _in_memory_estimators(paths, n_rows):
    from sklearn_workflow.features import TargetEncoder
    from sklearn_workflow.quality import DataQualityChecker

    frame = pd.read_parquet(paths[0])
    for path in paths[1:]:
        if len(frame) >= n_rows:
            break
        frame = pd.concat([frame, pd.read_parquet(path)], ignore_index=True)
    frame = frame.iloc[:n_rows]
    y = frame.pop(TARGET).to_numpy()
    text = [c for c in frame.columns if c.startswith("text_")]
    _, te_seconds = _timed(TargetEncoder(columns=text).fit_transform, frame, y)
    te_peak = _peak_mb()
    _, dq_seconds = _timed(DataQualityChecker().fit, frame, y)
    return len(frame), te_seconds, te_peak, dq_seconds, _peak_mb()


def _in_fresh_process(function, *args):
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def _dask_runs(paths, n_rows, memory_limit):
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from sklearn_workflow.features import TargetEncoder
    from sklearn_workflow.scale import fit_partitions, transform_partitions

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(_warm_up)
        data = dd.read_parquet(paths)
        fitted, fit_seconds = _timed(fit_partitions, ScaleProfile(), data, TARGET)
        fit_peak = max(client.run(_peak_mb).values())
        sample = pd.read_parquet(paths[0]).iloc[:200_000]
        y = sample.pop(TARGET).to_numpy()
        text = [c for c in sample.columns if c.startswith("text_")]
        encoder = TargetEncoder(columns=text).fit(sample, y)
        transformed = transform_partitions(encoder, data)
        _, transform_seconds = _timed(lambda: transformed.sum().compute())
        peaks = list(client.run(_peak_mb).values())
    return fitted, fit_seconds, fit_peak, transform_seconds, max(peaks)


def check_same_states(a, b):
    """Exact statistics equal; floating sums to 1e-9; sketches within bound."""
    sa, sb = a.states_, b.states_
    for name in sa:
        if name.startswith("text_"):
            fa, fb = sa[name].finalize(), sb[name].finalize()
            assert fa["categories"].tolist() == fb["categories"].tolist()
            np.testing.assert_array_equal(fa["count"], fb["count"])
            np.testing.assert_array_equal(fa["sums"], fb["sums"])
    ma, mb = sa["moments"].finalize(), sb["moments"].finalize()
    np.testing.assert_array_equal(ma["count"], mb["count"])
    np.testing.assert_array_equal(ma["min"], mb["min"])
    np.testing.assert_allclose(ma["mean"], mb["mean"], rtol=1e-9)
    np.testing.assert_allclose(ma["skewness"], mb["skewness"], rtol=1e-9)
    assert sa["duplicates"].n_duplicates == sb["duplicates"].n_duplicates
    qa = sa["quantiles"].quantiles([0.25, 0.5, 0.75])
    qb = sb["quantiles"].quantiles([0.25, 0.5, 0.75])
    assert np.all(np.abs(qa - qb) <= 0.2 * (np.abs(qb) + 1))  # loose: values, not ranks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--rows-per-file", type=int, default=250_000)
    parser.add_argument("--row-group", type=int, default=125_000)
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument("--memory-limit", default="1.5GB")
    parser.add_argument("--folder", default=None, help="where to write the data")
    args = parser.parse_args()

    folder = Path(args.folder or tempfile.mkdtemp(prefix="bench_scale_"))
    folder.mkdir(parents=True, exist_ok=True)
    paths, write_seconds = _timed(
        write_dataset, folder, args.rows, args.rows_per_file, args.row_group
    )
    size_mb = sum(Path(p).stat().st_size for p in paths) / 2**20
    print(
        f"{args.rows:,} rows in {len(paths)} Parquet files ({size_mb:.0f} MB, row "
        f"groups of {args.row_group:,}), written in {write_seconds:.1f} s"
    )
    try:
        dask_fit, dask_s, dask_peak, transform_s, transform_peak = _dask_runs(
            paths, args.rows, args.memory_limit
        )
        local_fit, local_s, local_peak = _in_fresh_process(_local_states, paths)
        memory_fit, memory_s, memory_peak = _in_fresh_process(_in_memory_states, paths)
        n_est, te_s, te_peak, dq_s, dq_peak = _in_fresh_process(
            _in_memory_estimators, paths, args.memory_rows
        )
    finally:
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    check_same_states(dask_fit, memory_fit)
    check_same_states(local_fit, memory_fit)

    rows = [
        ("states: dask 2 workers", args.rows, dask_s, dask_peak),
        ("states: local row groups", args.rows, local_s, local_peak),
        ("states: in memory, one pass", args.rows, memory_s, memory_peak),
        ("TargetEncoder.fit_transform, in memory", n_est, te_s, te_peak),
        ("DataQualityChecker.fit, in memory", n_est, dq_s, dq_peak),
        (
            "TargetEncoder transform: dask 2 workers",
            args.rows,
            transform_s,
            transform_peak,
        ),
    ]
    header = ("step", "rows", "seconds", "rows/s", "ratio", "peak MB")
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for name, n, seconds, peak in rows:
        ratio = (n / seconds) / (args.rows / memory_s)
        cells = (
            name,
            f"{n:,}",
            f"{seconds:.1f}",
            f"{n / seconds:,.0f}",
            f"{ratio:.2f}",
        )
        print("| " + " | ".join(cells) + f" | {peak:.0f} |")
    print(
        "\nratio: rows/s over the in-memory one-pass states' rows/s. peak MB: the "
        "largest worker's peak resident memory (dask rows) or the process's."
    )


if __name__ == "__main__":
    main()
