"""Benchmark: TargetEncoder against scikit-learn, category_encoders, feature_engine.

Five columns of cardinality 10, 1,000, 100,000, 10 and 50 (Zipf-free uniform draws),
stored as pandas ``str``, ``object`` or ``category``, with a binary or a continuous
target. ``fit_transform`` (5-fold out-of-fold for ours, scikit-learn's and the
bare numpy encoder; category_encoders and feature_engine do not cross-fit) and
``transform`` are timed separately, plus the latency of ``transform`` on a single row
(serving). The bare numpy encoder (``numpy floor`` in the table) is the least work
any encoder must do: ``pd.factorize`` of each column, fold ids, ``np.bincount`` of
counts and sums per (fold, category), an m-estimate and a gather; for ``transform``,
factorize + hash lookup of the uniques + gather.

Ratios are the other library's time divided by ours (above 1: ours is faster);
the bare numpy encoder's ratio, below 1, says how far ours is from that least
work. Peak memory is measured with ``tracemalloc`` in a separate run of each
operation (Arrow buffers are not traced). Never asserts timings.

Usage::

    python benchmarks/bench_features_target_encoder.py            # 100k and 1M rows
    python benchmarks/bench_features_target_encoder.py --rows 1000000
    python benchmarks/bench_features_target_encoder.py --quick    # smoke run
"""

import argparse
import gc
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import TargetEncoder as SklearnTargetEncoder

from sklearn_workflow import TargetEncoder

CARDINALITIES = (10, 1_000, 100_000, 10, 50)
COLUMNS = [f"c{i}_{k}" for i, k in enumerate(CARDINALITIES)]


def make_data(n_rows, dtype, target, seed=0):
    rng = np.random.default_rng(seed)
    data = {}
    for name, k in zip(COLUMNS, CARDINALITIES):
        labels = np.array([f"v{j}" for j in range(k)], dtype=object)
        values = labels[rng.integers(0, k, n_rows)]
        data[name] = pd.Series(
            values, dtype={"str": "str", "object": object}.get(dtype)
        )
        if dtype == "category":
            data[name] = data[name].astype("category")
    X = pd.DataFrame(data)
    effect = sum(pd.factorize(X[c])[0] % 7 for c in COLUMNS[:2]) / 12.0
    if target == "binary":
        y = (rng.random(n_rows) < 0.2 + 0.3 * effect).astype(np.int64)
    else:
        y = effect + rng.normal(size=n_rows)
    return X, y


def splitter(target):
    if target == "binary":
        return StratifiedKFold(5, shuffle=True, random_state=0)
    return KFold(5, shuffle=True, random_state=0)


class NumpyFloor:
    """factorize + bincount: the least work of a 5-fold m-estimate encoder."""

    def __init__(self, smooth=10.0, n_folds=5):
        self.smooth = smooth
        self.n_folds = n_folds

    def fit_transform(self, X, y):
        y = np.asarray(y, dtype=np.float64)
        n = len(y)
        fold = np.random.default_rng(0).permutation(n) % self.n_folds
        prior = y.mean()
        self.index_, self.table_ = [], []
        out = np.empty((n, X.shape[1]))
        for j, name in enumerate(X.columns):
            codes, uniques = pd.factorize(X[name])
            n_cat = len(uniques)
            key = codes * self.n_folds + fold
            counts = np.bincount(key, minlength=n_cat * self.n_folds)
            sums = np.bincount(key, weights=y, minlength=n_cat * self.n_folds)
            counts = counts.reshape(n_cat, self.n_folds)
            sums = sums.reshape(n_cat, self.n_folds)
            total_c, total_s = counts.sum(1), sums.sum(1)
            train_c = total_c[:, None] - counts
            train_s = total_s[:, None] - sums
            oof = (train_s + self.smooth * prior) / (train_c + self.smooth)
            out[:, j] = oof.ravel()[key]
            self.index_.append(pd.Index(uniques))
            full = (total_s + self.smooth * prior) / (total_c + self.smooth)
            self.table_.append(np.append(full, prior))
        return out

    def transform(self, X):
        out = np.empty((X.shape[0], X.shape[1]))
        for j, name in enumerate(X.columns):
            codes, uniques = pd.factorize(X[name])
            found = self.index_[j].get_indexer(uniques)
            found[found < 0] = len(self.index_[j])
            out[:, j] = self.table_[j][found[codes]]
        return out


def make_encoders(target, has_references):
    encoders = {
        "ours": lambda: TargetEncoder(cv=splitter(target)),
        "scikit-learn": lambda: SklearnTargetEncoder(
            cv=splitter(target), target_type=target
        ),
        "numpy floor": NumpyFloor,
    }
    if has_references.get("category_encoders"):
        import category_encoders

        encoders["category_encoders"] = lambda: category_encoders.TargetEncoder(
            cols=COLUMNS
        )
    if has_references.get("feature_engine"):
        from feature_engine.encoding import MeanEncoder

        encoders["feature_engine"] = lambda: MeanEncoder(
            variables=COLUMNS, ignore_format=True
        )
    return encoders


def best_time(func, repeat):
    best = np.inf
    result = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_mb(func):
    gc.collect()
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def single_row_latency(encoder, X, n_calls):
    rows = [X.iloc[[i]] for i in range(min(n_calls, len(X)))]
    encoder.transform(rows[0])
    times = []
    for row in rows:
        start = time.perf_counter()
        encoder.transform(row)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure(factory, X, y, X_new, repeat, with_memory, latency_calls):
    """Times, peak memory and single-row latency of one encoder."""
    t_fit, _ = best_time(lambda: factory().fit_transform(X, y), repeat)
    encoder = factory()
    encoder.fit_transform(X, y)
    t_tr, _ = best_time(lambda: encoder.transform(X_new), repeat)
    m_fit = m_tr = latency = np.nan
    if with_memory:
        m_fit = peak_mb(lambda: factory().fit_transform(X, y))
        m_tr = peak_mb(lambda: encoder.transform(X_new))
    if latency_calls:
        latency = single_row_latency(encoder, X_new, latency_calls)
    return t_fit, t_tr, m_fit, m_tr, latency


def run(
    sizes,
    dtypes,
    targets,
    repeat,
    latency_calls,
    with_memory,
    progress=False,
    libraries=None,
):
    has_references = {}
    for module in ("category_encoders", "feature_engine"):
        try:
            __import__(module)
            has_references[module] = True
        except ImportError:
            has_references[module] = False
    rows = []
    for n in sizes:
        for dtype in dtypes:
            for target in targets:
                X, y = make_data(n, dtype, target)
                X_new, _ = make_data(n, dtype, target, seed=1)
                results = {}
                encoders = make_encoders(target, has_references)
                for name, factory in encoders.items():
                    if libraries and name != "ours" and name not in libraries:
                        continue
                    calls = latency_calls if name != "numpy floor" else 0
                    results[name] = measure(
                        factory, X, y, X_new, repeat, with_memory, calls
                    )
                    gc.collect()
                ours = results["ours"]
                for name, (t_fit, t_tr, m_fit, m_tr, latency) in results.items():
                    rows.append(
                        {
                            "rows": n,
                            "dtype": dtype,
                            "target": target,
                            "library": name,
                            "fit_transform s": t_fit,
                            "ratio": t_fit / ours[0],
                            "peak MB": m_fit,
                            "transform s": t_tr,
                            "ratio ": t_tr / ours[1],
                            "peak MB ": m_tr,
                            "1-row ms": latency * 1e3,
                            "ratio  ": latency / ours[4],
                        }
                    )
                del X, X_new, y
                gc.collect()
                if progress:
                    print(_format(pd.DataFrame(rows[-len(results) :])), flush=True)
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=[100_000, 1_000_000],
        help="data sizes (10000000 needs several GiB per library)",
    )
    parser.add_argument("--dtypes", nargs="+", default=["str", "object", "category"])
    parser.add_argument("--targets", nargs="+", default=["binary", "continuous"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-calls", type=int, default=200)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument(
        "--libraries",
        nargs="+",
        default=None,
        help="subset of: scikit-learn, 'numpy floor', category_encoders, "
        "feature_engine (ours always runs)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.repeat, args.latency_calls = [5_000], 1, 20
    warnings.simplefilter("ignore")  # reference libraries' deprecation chatter
    table = run(
        args.rows,
        args.dtypes,
        args.targets,
        args.repeat,
        args.latency_calls,
        not args.no_memory,
        progress=True,
        libraries=args.libraries,
    )
    print("\nAll results:")
    print(_format(table))
    return table


def _format(table):
    with pd.option_context(
        "display.width", 200, "display.max_columns", 20, "display.max_rows", 500
    ):
        return table.round(3).to_string(index=False)


if __name__ == "__main__":
    main()
