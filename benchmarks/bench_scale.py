"""TargetEncoder and DataQualityChecker fitted by partitions on a Dask LocalCluster.

The job: a generated table written to Parquet in row groups (5 text columns of 10
to 100,000 levels, dictionary-encoded in the files and read as Arrow strings; 10
numeric columns with missing values; a binary target), fitted and transformed by
``TargetEncoder`` (out-of-fold by ``HashFolds`` on the whole row, 5 folds) and by
``DataQualityChecker`` through ``fit_partitions`` / ``transform_partitions`` on a
``LocalCluster`` of two worker processes with one thread each; then, for
comparison, both estimators fitted in memory on ``--memory-rows`` rows (the
anchor: what one process does with the whole table).

Rows of the table:

- ``dask fit`` / ``dask transform`` of each estimator, on all the rows (the
  encoder's transform is its out-of-fold transform of the training rows, the
  checker's transform validates each partition against the contract);
- ``in memory`` rows: ``TargetEncoder.fit_transform`` and
  ``DataQualityChecker.fit`` on the first ``--memory-rows`` rows, each in a fresh
  process.

    python benchmarks/bench_scale.py [--rows N] [--memory-rows M] [--row-group G]
    python benchmarks/bench_scale.py --rows 50000000 --memory-rows 5000000

Peak memory: each worker's peak resident memory (``ru_maxrss``, interpreter and
libraries included, about 200 MB), the largest of the two workers, read after each
step (a peak so far); an in-memory run's own process peak. The fitted states are
checked against the data (row counts, missing counts, category counts). Timings
depend on the machine and on what else runs on it; compare ratios.
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
        missing = pa.array(rng.random(n_rows) < 0.01)
        codes = pc.if_else(missing, None, pa.array(codes))
        # Stored dictionary-encoded (Parquet's default for strings), read back
        # as Arrow strings: to_pandas of a 100,000-level dictionary as a
        # categorical costs four times the plain strings (pandas 3).
        text = pa.DictionaryArray.from_arrays(codes, dictionary)
        columns[f"text_{j}"] = pc.cast(text, pa.string())
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


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm_up():
    """Import the libraries a task needs, before the clock starts."""
    import datasketches  # noqa: F401

    import sklearn_workflow.features
    import sklearn_workflow.quality  # noqa: F401


def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def _encoder():
    from sklearn_workflow.features import TargetEncoder
    from sklearn_workflow.scale import HashFolds

    text = [f"text_{j}" for j in range(len(TEXT_LEVELS))]
    return TargetEncoder(columns=text, cv=HashFolds(None, N_FOLDS))


def _read_rows(paths, n_rows):
    """The first ``n_rows`` rows of the files, as one pandas DataFrame."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables, done = [], 0
    for path in paths:
        if done >= n_rows:
            break
        tables.append(pq.read_table(path))
        done += tables[-1].num_rows
    table = pa.concat_tables(tables).slice(0, n_rows)
    frame = table.to_pandas()
    return frame, frame.pop(TARGET).to_numpy()


def _in_memory(name, paths, n_rows):
    from sklearn_workflow.quality import DataQualityChecker

    frame, y = _read_rows(paths, n_rows)
    before = _peak_mb()
    if name == "encoder":
        _, seconds = _timed(_encoder().fit_transform, frame, y)
    else:
        _, seconds = _timed(DataQualityChecker().fit, frame, y)
    return len(frame), seconds, _peak_mb(), before


def _in_fresh_process(function, *args):
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def _dask_steps(client, data):
    """Fit and transform both estimators; ``(name, seconds, peak MB)`` per step."""
    from sklearn_workflow.quality import DataQualityChecker
    from sklearn_workflow.scale import fit_partitions, transform_partitions

    steps, fitted = [], {}

    def peak():
        return max(client.run(_peak_mb).values())

    def done(name, seconds):
        steps.append((name, seconds, peak()))
        print(f"{name}: {seconds:.1f} s, peak {steps[-1][2]:.0f} MB", flush=True)

    encoder, seconds = _timed(fit_partitions, _encoder(), data, TARGET, split_every=2)
    done("TargetEncoder fit: dask 2 workers", seconds)
    encoded = transform_partitions(encoder, data, method="transform_out_of_fold")
    total, seconds = _timed(lambda: encoded.sum().compute())
    done("TargetEncoder out-of-fold transform: dask", seconds)
    checker, seconds = _timed(
        fit_partitions, DataQualityChecker(), data, TARGET, split_every=2
    )
    done("DataQualityChecker fit: dask 2 workers", seconds)
    findings = checker.findings_
    # The workers validate with the contract; the row hashes stay here.
    validated = transform_partitions(checker.drop_partial_state(), data)
    n_rows, seconds = _timed(lambda: validated.map_partitions(len).sum().compute())
    done("DataQualityChecker transform: dask", seconds)
    fitted.update(encoder=encoder, checker=checker, encoded=total, n_rows=n_rows)
    fitted["findings"] = findings
    return steps, fitted


def _dask_runs(paths, memory_limit):
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

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
        data = dd.read_parquet(paths, split_row_groups=True)
        return _dask_steps(client, data)


def check_fitted(fitted, n_rows):
    """The merged states against what the data must give."""
    checker = fitted["checker"]
    contract = checker.contract_
    assert contract["n_rows"] == n_rows == fitted["n_rows"]
    for profile in contract["columns"]:
        assert profile["n"] == n_rows
        if profile["kind"] == "categorical":
            n_present = profile["n"] - profile["n_missing"]
            assert sum(profile["category_counts"]) <= n_present
            assert abs(profile["n_missing"] / n_rows - 0.01) < 0.005
    summary = contract["target"]
    assert sum(summary["counts"]) == n_rows
    assert fitted["encoded"].notna().all()
    findings = set(fitted["findings"]["check"])
    assert "missing" in findings and "leakage" in findings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--rows-per-file", type=int, default=1_000_000)
    parser.add_argument("--row-group", type=int, default=125_000)
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--memory-limit",
        default="3GB",
        help="the nanny's limit per worker (above the peak measured: no spilling)",
    )
    parser.add_argument("--folder", default=None, help="where to write the data")
    args = parser.parse_args()
    memory_rows = min(args.memory_rows, args.rows)

    folder = Path(args.folder or tempfile.mkdtemp(prefix="bench_scale_"))
    folder.mkdir(parents=True, exist_ok=True)
    paths, write_seconds = _timed(
        write_dataset, folder, args.rows, args.rows_per_file, args.row_group
    )
    size_mb = sum(Path(p).stat().st_size for p in paths) / 2**20
    print(
        f"{args.rows:,} rows in {len(paths)} Parquet files ({size_mb:.0f} MB, row "
        f"groups of {args.row_group:,}), written in {write_seconds:.1f} s",
        flush=True,
    )
    try:
        steps, fitted = _dask_runs(paths, args.memory_limit)
        memory = {
            name: _in_fresh_process(_in_memory, name, paths, memory_rows)
            for name in ("encoder", "checker")
        }
    finally:
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    print_table(args.rows, steps, memory)
    check_fitted(fitted, args.rows)


def print_table(n_rows, steps, memory):
    rows = [(name, n_rows, seconds, peak, None) for name, seconds, peak in steps]
    for key, name in (
        ("encoder", "TargetEncoder.fit_transform, in memory"),
        ("checker", "DataQualityChecker.fit, in memory"),
    ):
        n, seconds, peak, before = memory[key]
        rows.append((name, n, seconds, peak, before))
    anchors = {
        "TargetEncoder": memory["encoder"],
        "DataQualityChecker": memory["checker"],
    }
    header = ("step", "rows", "seconds", "rows/s", "vs in memory", "peak MB")
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for name, n, seconds, peak, before in rows:
        anchor_n, anchor_s = anchors[name.split()[0].split(".")[0]][:2]
        ratio = (n / seconds) / (anchor_n / anchor_s)
        peak_text = (
            f"{peak:.0f}" if before is None else f"{peak:.0f} ({before:.0f} data)"
        )
        cells = (
            name,
            f"{n:,}",
            f"{seconds:.1f}",
            f"{n / seconds:,.0f}",
            f"{ratio:.2f}",
        )
        print("| " + " | ".join(cells) + f" | {peak_text} |")
    print(
        "\nvs in memory: rows/s over the in-memory fit's rows/s of the same "
        "estimator. peak MB: the largest worker's peak resident memory so far "
        "(dask rows) or the process's (in memory; in parentheses, after reading "
        "the data, before the fit)."
    )


if __name__ == "__main__":
    main()
