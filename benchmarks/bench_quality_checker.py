"""Benchmark DataQualityChecker against skrub's TableReport and bare pandas/polars.

On a synthetic mixed frame (numeric, integer, boolean, low- and high-cardinality
strings, an identifier, datetimes, missing values; 20 columns) the script times
and measures the peak memory of:

- ours: ``fit(X, y)`` (contract + every check), ``transform`` of a new batch of
  the same size (validation + PSI drift), and the report (text + HTML);
- skrub's ``TableReport`` (build + HTML), and ydata-profiling in minimal mode
  when it is installed;
- the bare pandas calls, the least work any such report does (``pandas floor``
  in the table): ``isnull().sum()``, ``duplicated().sum()``, ``describe()``,
  ``nunique()``; and the same four in polars (``polars floor``).

Times are the best of ``--repeat`` runs (without tracing); peak memory comes from a
separate run under ``tracemalloc``. The table prints each time relative to our
``fit``, then a summary against four targets: ``fit`` within 3 times the bare pandas
calls, ``transform`` at least 5 times faster than ``fit``, the peak memory of ``fit``
under 3 times the frame, and ``TableReport`` at least 4 times slower than ``fit``.
It never asserts timings.

``--checks`` times the table-wide checks on their own, at the given sizes, on a
frame of 20 numeric columns with 5% of the values missing at random in each (about
2,700 missing-value patterns, the worst case of Little's test), with a date column
in row order and a target that trends with it: Little's MCAR test
(``little_mcar_test``; its published reference, pyampute, when installed), the
missingness screen (every column predicted from the 19 others), the dip test of the
20 columns (against the bare ``diptest.diptest`` on every value), the time screen
(the ``ColumnScreen`` and ``time_findings``), and ``fit`` with and without them.

Usage::

    python benchmarks/bench_quality_checker.py --rows 100000 1000000
    python benchmarks/bench_quality_checker.py --checks --rows 100000
    python benchmarks/bench_quality_checker.py --quick
"""

import argparse
import contextlib
import gc
import io
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from sklearn_workflow.quality import DataQualityChecker


def make_frame(n_rows, seed=0):
    """A mixed 20-column frame and a binary target."""
    rng = np.random.default_rng(seed)
    n = n_rows
    X = {}
    for j in range(5):
        X[f"num_{j}"] = rng.normal(j, 1 + j, n)
    X["income"] = rng.lognormal(10.5, 0.8, n)
    X["income"][rng.random(n) < 0.05] = np.nan
    X["amount"] = rng.lognormal(3, 1, n)
    X["ratio"] = rng.random(n)
    X["ratio"][rng.random(n) < 0.2] = np.nan
    X["age"] = rng.integers(18, 70, n)
    X["sessions"] = rng.poisson(10, n)
    X["tickets"] = rng.poisson(1, n)
    X["is_member"] = rng.random(n) < 0.3
    visits = pd.array(rng.poisson(3, n), dtype="Int64")
    visits[rng.random(n) < 0.1] = pd.NA
    X["visits"] = visits
    levels = np.array(["Monthly", "Annual", "Two-Year"])
    X["contract"] = levels[rng.integers(0, 3, n)]
    X["segment"] = np.array([f"seg_{k}" for k in range(12)])[rng.integers(0, 12, n)]
    colours = np.array(["red", "green", "blue", "black", "white"])
    X["colour"] = colours[rng.integers(0, 5, n)].astype(object)
    X["colour"][rng.random(n) < 0.1] = None
    cities = np.array([f"city_{k:05d}" for k in range(10_000)])
    weights = 1.0 / np.arange(1, cities.size + 1)
    X["city"] = cities[rng.choice(cities.size, n, p=weights / weights.sum())]
    X["customer_id"] = np.char.add("C", np.arange(n).astype(str))
    start = np.datetime64("2020-01-01", "s")
    X["signup"] = start + rng.integers(0, 4 * 365 * 86400, n).astype("timedelta64[s]")
    X["last_login"] = X["signup"] + rng.integers(0, 200 * 86400, n).astype(
        "timedelta64[s]"
    )
    frame = pd.DataFrame(X)
    for name in ("contract", "segment", "city", "customer_id"):
        frame[name] = frame[name].astype("str")
    frame["colour"] = frame["colour"].astype("str")
    frame["signup"] = frame["signup"].astype("datetime64[us]")
    frame["last_login"] = frame["last_login"].astype("datetime64[us]")
    logit = -1 + 0.5 * frame["num_0"].to_numpy() - 0.05 * (frame["sessions"] - 10)
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), name="y")
    return frame, y


def pandas_floor(X):
    X.isnull().sum()
    X.duplicated().sum()
    X.describe()
    X.nunique()


def polars_floor(X):
    X.null_count()
    X.is_duplicated().sum()
    X.describe()
    [X.get_column(c).n_unique() for c in X.columns]


def best_time(func, repeat):
    best = np.inf
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def peak_mb(func):
    gc.collect()
    tracemalloc.start()
    try:
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def run(n_rows, repeat, with_other_libraries=True):
    X, y = make_frame(n_rows, seed=0)
    X_new, _ = make_frame(n_rows, seed=1)
    frame_mb = X.memory_usage(deep=True).sum() / 2**20
    fitted = DataQualityChecker().fit(X, y)

    def transform():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted.transform(X_new)

    def report():
        report = fitted.report_
        str(report)
        report.to_html()

    cases = [
        ("ours", "fit(X, y)", lambda: DataQualityChecker().fit(X, y)),
        ("ours", "transform (validate + drift)", transform),
        ("ours", "report (text + HTML)", report),
        ("pandas floor", "isnull/duplicated/describe/nunique", lambda: pandas_floor(X)),
    ]
    if with_other_libraries:
        try:
            import polars as pl

            X_pl = pl.from_pandas(X)
            cases.append(
                (
                    "polars floor",
                    "null_count/is_duplicated/describe/n_unique",
                    lambda: polars_floor(X_pl),
                )
            )
        except ImportError:
            pass
        try:
            from skrub import TableReport

            def table_report():
                with contextlib.redirect_stderr(io.StringIO()):
                    TableReport(X).html()

            cases.append(("skrub", "TableReport build + html", table_report))
        except ImportError:
            pass
        try:
            from ydata_profiling import ProfileReport

            cases.append(
                (
                    "ydata-profiling",
                    "ProfileReport(minimal=True) html",
                    lambda: ProfileReport(
                        X, minimal=True, progress_bar=False
                    ).to_html(),
                )
            )
        except ImportError:
            pass

    results = []
    for tool, operation, func in cases:
        seconds = best_time(func, repeat)
        results.append([tool, operation, seconds, peak_mb(func)])
    fit_seconds = results[0][2]
    table = pd.DataFrame(results, columns=["tool", "operation", "seconds", "peak MB"])
    table.insert(3, "x ours fit", table["seconds"] / fit_seconds)
    table["peak / frame"] = table["peak MB"] / frame_mb
    return table, frame_mb


def make_gappy_frame(n_rows, seed=0):
    """20 numeric columns, 5% missing at random in each, a date column in row
    order, and a target that trends with the date."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n_rows, 20))
    values[rng.random(values.shape) < 0.05] = np.nan
    X = pd.DataFrame(values, columns=[f"x{j}" for j in range(20)])
    X["day"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(
        np.sort(rng.integers(0, 1000, n_rows)), "D"
    )
    late = np.linspace(0, 1, n_rows)
    y = pd.Series((rng.random(n_rows) < 0.2 + 0.3 * late).astype(int), name="y")
    return X, y


def _without_table_checks():
    """A context in which the checker skips the table-wide checks (time, MCAR,
    missingness, modes): the fit they are added to."""
    from unittest import mock

    from sklearn_workflow.quality import _checker

    return contextlib.ExitStack(), [
        mock.patch.object(_checker, "time_findings", lambda s, t: ([], None)),
        mock.patch.object(_checker, "mcar_findings", lambda v, n: []),
        mock.patch.object(_checker, "predictable_missing_findings", lambda *a: []),
        mock.patch.object(_checker, "multimodal_findings", lambda *a: []),
    ]


def run_checks(n_rows, repeat):
    """Seconds of each table-wide check on ``make_gappy_frame(n_rows)``."""
    from sklearn_workflow.quality import _modality, little_mcar_test
    from sklearn_workflow.quality._leakage import leak_codes
    from sklearn_workflow.quality._missingness import predictable_missing_findings
    from sklearn_workflow.quality._profile import (
        iter_columns,
        profile_column,
        read_column,
    )
    from sklearn_workflow.quality._temporal import ColumnScreen, time_findings

    X, y = make_gappy_frame(n_rows)
    numeric = X.drop(columns="day")
    columns = []
    for label, name, col in iter_columns(X):
        data = read_column(label, name, col)
        profile, sorted_values = profile_column(data, n_bins=10, max_categories=1000)
        columns.append((data, profile, sorted_values, col))
    numeric_columns = columns[:20]
    masks = [c[0].missing for c in numeric_columns]
    codes = [leak_codes(c[0], c[1], c[2]) for c in numeric_columns]
    names = [c[1]["name"] for c in numeric_columns]

    def dips():
        for _, profile, sorted_values, _ in numeric_columns:
            _modality.multimodal_findings(
                profile["name"], sorted_values, profile["n_unique"]
            )

    def screen():
        # the columns are read and profiled by fit anyway: only the screen here
        s = ColumnScreen(len(X))
        for data, profile, sorted_values, col in columns:
            s.add(data, profile, sorted_values, col)
        time_findings(s, None)

    def fit_without():
        stack, patches = _without_table_checks()
        with stack:
            for patch in patches:
                stack.enter_context(patch)
            DataQualityChecker().fit(X, y)

    cases = [
        ("Little's MCAR test, 20 columns", lambda: little_mcar_test(numeric)),
        (
            "missingness screen, 20 columns",
            lambda: predictable_missing_findings(names, masks, codes),
        ),
        ("dip test, 20 columns", dips),
        (
            "diptest.diptest on every value",
            lambda: [_modality.diptest.diptest(c[2]) for c in numeric_columns],
        ),
        ("time screen (axis, late-vs-early AUC)", screen),
        ("fit(X, y) without the table-wide checks", fit_without),
        ("fit(X, y)", lambda: DataQualityChecker().fit(X, y)),
    ]
    try:
        from pyampute.exploration.mcar_statistical_tests import MCARTest

        cases.insert(
            1,
            (
                "pyampute MCARTest.little_mcar_test",
                lambda: MCARTest().little_mcar_test(numeric),
            ),
        )
    except ImportError:
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = [[label, best_time(func, repeat)] for label, func in cases]
    return pd.DataFrame(rows, columns=["check", "seconds"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument(
        "--checks", action="store_true", help="time the table-wide checks alone"
    )
    args = parser.parse_args()
    rows = [2_000] if args.quick else args.rows
    repeat = 1 if args.quick else args.repeat
    if args.checks:
        for n_rows in rows:
            print(f"\n{n_rows:,} rows x 20 numeric columns, 5% missing in each")
            print(run_checks(n_rows, repeat).to_string(index=False))
        return
    for n_rows in rows:
        table, frame_mb = run(n_rows, repeat)
        print(f"\n{n_rows:,} rows x 20 columns (frame {frame_mb:.0f} MB in memory)")
        print(
            table.to_string(
                index=False,
                formatters={
                    "seconds": "{:.3f}".format,
                    "x ours fit": "{:.2f}".format,
                    "peak MB": "{:.0f}".format,
                    "peak / frame": "{:.2f}".format,
                },
            )
        )
        t = dict(zip(table["operation"], table["seconds"]))
        fit = t["fit(X, y)"]
        lines = [
            (
                "fit / pandas floor",
                fit / t["isnull/duplicated/describe/nunique"],
                "<= 3",
            ),
            ("fit / transform", fit / t["transform (validate + drift)"], ">= 5"),
            ("peak memory of fit / frame", table["peak / frame"].iloc[0], "< 3"),
        ]
        if "TableReport build + html" in t:
            lines.append(
                ("TableReport / fit", t["TableReport build + html"] / fit, ">= 4")
            )
        for label, value, target in lines:
            print(f"  {label}: {value:.2f} (target {target})")


if __name__ == "__main__":
    main()
