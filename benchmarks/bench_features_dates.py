"""DateFeatureExtractor against feature_engine, skrub and bare pandas ``.dt`` calls.

Three inputs of ``--rows`` timestamps each (datetime64[us] naive, tz-aware in
America/New_York, and ISO 8601 strings), none missing by default (feature_engine's
ISO week fails on NaT: "cannot convert NA to integer"; ``--missing 0.05`` shows the
others with missing values). Each tool computes the same features where they
overlap:

- the 20 features of feature_engine's ``DatetimeFeatures(features_to_extract="all")``
  (ours: ``features="all"`` without ``is_business_day``), against feature_engine
  and one pandas ``.dt`` accessor call per feature (the least work of the accessor
  approach: no validation, no output frame beyond the columns);
- the 8 features skrub's ``DatetimeEncoder(resolution="second", add_weekday=True,
  add_day_of_year=True, add_total_seconds=False)`` computes (year, month, day,
  hour, minute, second, day of week, day of year).

A fourth case, ``--interleaved``, measures as a user on a busy machine would:
tz-aware timestamps in America/New_York, the 13 features year, quarter, month,
ISO week, day, day of week, day of year, hour, weekend, month start, month end,
leap year and days in month, ours and feature_engine's ``DatetimeFeatures``
run alternately (``--runs`` pairs, 5 by default), with the ratio of each pair,
their median and their minimum; a busy machine slows both tools of a pair
alike, so the ratios are steadier than the seconds.

Every row is ``fit_transform`` on a one-column DataFrame (skrub: a Series), the
best of ``--repeat`` runs (use at least 2: on a virtual machine the first run of a
tool can spend most of its time faulting in fresh memory pages for its output,
which is 20 float64 columns for us); peak memory is measured with tracemalloc in a
separate run. Usage::

    python benchmarks/bench_features_dates.py --rows 1000000
    python benchmarks/bench_features_dates.py --quick
    python benchmarks/bench_features_dates.py --interleaved --rows 2000000 10000000
"""

import argparse
import gc
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from sklearn_workflow.features import DateFeatureExtractor
from sklearn_workflow.features._dates import CALENDAR_FEATURES

FE_FEATURES = tuple(f for f in CALENDAR_FEATURES if f != "is_business_day")
SKRUB_FEATURES = (
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "day_of_week",
    "day_of_year",
)
PANDAS_DT = {
    "year": lambda dt: dt.year,
    "quarter": lambda dt: dt.quarter,
    "semester": lambda dt: (dt.month + 5) // 6,
    "month": lambda dt: dt.month,
    "week": lambda dt: dt.isocalendar().week,
    "day": lambda dt: dt.day,
    "day_of_week": lambda dt: dt.day_of_week,
    "day_of_year": lambda dt: dt.day_of_year,
    "hour": lambda dt: dt.hour,
    "minute": lambda dt: dt.minute,
    "second": lambda dt: dt.second,
    "is_weekend": lambda dt: dt.day_of_week >= 5,
    "is_month_start": lambda dt: dt.is_month_start,
    "is_month_end": lambda dt: dt.is_month_end,
    "is_quarter_start": lambda dt: dt.is_quarter_start,
    "is_quarter_end": lambda dt: dt.is_quarter_end,
    "is_year_start": lambda dt: dt.is_year_start,
    "is_year_end": lambda dt: dt.is_year_end,
    "is_leap_year": lambda dt: dt.is_leap_year,
    "days_in_month": lambda dt: dt.days_in_month,
}


# The interleaved case: our names and feature_engine's for the same 13 features.
INTERLEAVED_FEATURES = {
    "year": "year",
    "quarter": "quarter",
    "month": "month",
    "week": "week",
    "day": "day_of_month",
    "day_of_week": "day_of_week",
    "day_of_year": "day_of_year",
    "hour": "hour",
    "is_weekend": "weekend",
    "is_month_start": "month_start",
    "is_month_end": "month_end",
    "is_leap_year": "leap_year",
    "days_in_month": "days_in_month",
}


def make_data(n_rows, kind, missing=0.0, seed=0):
    rng = np.random.default_rng(seed)
    low = np.datetime64("2000-01-01T00:00", "s").astype(np.int64)
    high = np.datetime64("2030-01-01T00:00", "s").astype(np.int64)
    micro = rng.integers(low * 10**6, high * 10**6, n_rows)
    values = micro.view("datetime64[us]")
    values[rng.random(n_rows) < missing] = np.datetime64("NaT")
    series = pd.Series(values, name="t")
    if kind == "tz-aware":
        series = series.dt.tz_localize("UTC").dt.tz_convert("America/New_York")
    elif kind == "ISO strings":
        series = series.dt.strftime("%Y-%m-%dT%H:%M:%S")
    return series


def ours(features):
    def run(series):
        extractor = DateFeatureExtractor("t", features=features)
        return extractor.fit_transform(series.to_frame())

    return run


def feature_engine_all(series):
    from feature_engine.datetime import DatetimeFeatures

    transformer = DatetimeFeatures(
        variables=["t"], features_to_extract="all", missing_values="ignore"
    )
    return transformer.fit_transform(series.to_frame())


def feature_engine_13(series):
    from feature_engine.datetime import DatetimeFeatures

    transformer = DatetimeFeatures(
        variables=["t"],
        features_to_extract=list(INTERLEAVED_FEATURES.values()),
        missing_values="ignore",
    )
    return transformer.fit_transform(series.to_frame())


def check_same_values(series):
    """Ours and feature_engine's values agree on the 13 features (a sample)."""
    sample = series.iloc[:20_000]
    mine = ours(tuple(INTERLEAVED_FEATURES))(sample)
    theirs = feature_engine_13(sample)
    for feature, name in INTERLEAVED_FEATURES.items():
        np.testing.assert_array_equal(
            mine[f"t_{feature}"].to_numpy(), theirs[f"t_{name}"].to_numpy(float)
        )


def interleaved(n_rows, runs):
    """Ours and feature_engine alternately: the ratio of each pair."""
    series = make_data(n_rows, "tz-aware")
    check_same_values(series)
    run_ours = ours(tuple(INTERLEAVED_FEATURES))
    run_ours(series), feature_engine_13(series)  # warm up both
    ratios = []
    for run in range(runs):
        seconds = {}
        for tool, func in (("ours", run_ours), ("feature_engine", feature_engine_13)):
            gc.collect()
            start = time.perf_counter()
            func(series)
            seconds[tool] = time.perf_counter() - start
        ratio = seconds["feature_engine"] / seconds["ours"]
        ratios.append(ratio)
        print(
            f"{n_rows:>11,}  {run + 1:>3}  {seconds['ours']:>8.3f} "
            f"{seconds['feature_engine']:>14.3f} {ratio:>6.2f}",
            flush=True,
        )
    print(
        f"{n_rows:>11,}  median ratio {np.median(ratios):.2f}, "
        f"lowest {min(ratios):.2f}",
        flush=True,
    )


def skrub_encoder(series):
    import skrub

    encoder = skrub.DatetimeEncoder(
        resolution="second",
        add_weekday=True,
        add_day_of_year=True,
        add_total_seconds=False,
    )
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        series = pd.to_datetime(series, format="%Y-%m-%dT%H:%M:%S")
    return encoder.fit_transform(series)


def pandas_dt_floor(features):
    def run(series):
        if not pd.api.types.is_datetime64_any_dtype(series.dtype):
            series = pd.to_datetime(series, format="%Y-%m-%dT%H:%M:%S")
        dt = series.dt
        return {f: PANDAS_DT[f](dt) for f in features}

    return run


def measure(func, series, repeat):
    best = np.inf
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func(series)
        best = min(best, time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    func(series)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak / 2**20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--missing", type=float, default=0.0)
    parser.add_argument(
        "--kinds",
        nargs="+",
        default=["naive", "tz-aware", "ISO strings"],
        choices=["naive", "tz-aware", "ISO strings"],
    )
    parser.add_argument(
        "--skip", nargs="*", default=[], help="tools to leave out, e.g. skrub"
    )
    parser.add_argument(
        "--interleaved",
        action="store_true",
        help="13 tz-aware features, ours and feature_engine alternately",
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeat, args.runs = [10_000], 1, 2
    warnings.simplefilter("ignore")
    if args.interleaved:
        print(f"{'rows':>11}  {'run':>3}  {'ours s':>8} {'feature_engine s':>14} ratio")
        for n_rows in args.rows:
            interleaved(n_rows, args.runs)
        return

    cases = [
        ("20 features", "ours", ours(FE_FEATURES)),
        ("20 features", "feature_engine", feature_engine_all),
        ("20 features", "pandas .dt", pandas_dt_floor(FE_FEATURES)),
        ("8 features", "ours", ours(SKRUB_FEATURES)),
        ("8 features", "skrub", skrub_encoder),
        ("8 features", "pandas .dt", pandas_dt_floor(SKRUB_FEATURES)),
    ]
    header = (
        f"{'rows':>10}  {'input':<12} {'features':<12} {'tool':<15} "
        f"{'seconds':>8} {'ratio':>6} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    for n_rows in args.rows:
        for kind in args.kinds:
            series = make_data(n_rows, kind, args.missing)
            baseline = {}
            for group, tool, func in cases:
                if tool in args.skip or (tool == "feature_engine" and args.missing):
                    continue
                seconds, peak = measure(func, series, args.repeat)
                if tool == "ours":
                    baseline[group] = seconds
                ratio = seconds / baseline[group]
                print(
                    f"{n_rows:>10,}  {kind:<12} {group:<12} {tool:<15} "
                    f"{seconds:>8.3f} {ratio:>6.2f} {peak:>8.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
