"""ThresholdTunedClassifier against scikit-learn's threshold tuning.

Two tables, everything in one run on the same data and the same folds:

(a) speed: fit time of ``ThresholdTunedClassifier`` (objective f1) against
    ``TunedThresholdClassifierCV`` (scoring f1) with the same cv, and against a
    plain ``cross_val_predict`` plus one refit, the least work any out-of-fold
    tuning has to do (the floor of the ``ours vs floor`` column), around
    LogisticRegression and HistGradientBoosting, on ``make_classification``
    (weights [0.9, 0.1]) and ``make_churn``.
(b) quality: "recall >= 0.80 with the best precision" over random train/test
    splits -- how often recall on the test split reaches 0.80, and the precision
    and recall reached -- for ours with and without ``confidence=0.9`` and for the
    scikit-learn workaround (``TunedThresholdClassifierCV`` with a scorer worth
    the precision where recall >= 0.80, else 0).

Usage::

    python benchmarks/bench_thresholds.py              # full run
    python benchmarks/bench_thresholds.py --quick      # tiny smoke run
    python benchmarks/bench_thresholds.py --rows 10000 --splits 20

Fits run single-threaded by default (``--threads``), the same for every method:
on a shared machine, OpenMP oversubscription otherwise dominates the timings.
"""

import argparse
import time
import tracemalloc
from functools import partial

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer, precision_score, recall_score
from sklearn.model_selection import (
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_val_predict,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_workflow.datasets import make_churn
from sklearn_workflow.thresholds import ThresholdTunedClassifier

CHURN_NUMERIC = [
    "age",
    "income",
    "tenure_months",
    "purchase_amount",
    "num_sessions",
    "support_tickets",
]
CHURN_CATEGORICAL = ["contract", "city"]


def _model(kind, churn):
    if kind == "logistic":
        model = LogisticRegression(max_iter=1000)
    else:
        model = HistGradientBoostingClassifier(random_state=0)
    if not churn:
        return model
    # The leaky column and the ID are left out, as a quality check advises.
    prep = make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler()), CHURN_NUMERIC),
        (
            OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=20,
                sparse_output=False,
            ),
            CHURN_CATEGORICAL,
        ),
    )
    return make_pipeline(prep, model)


def _datasets(rows, churn_rows):
    for n in rows:
        X, y = make_classification(
            n_samples=n,
            n_features=20,
            n_informative=8,
            weights=[0.9, 0.1],
            flip_y=0.02,
            random_state=0,
        )
        yield f"make_classification {n:,}", X, y, False
    X, y = make_churn(churn_rows, random_state=0)
    yield f"make_churn {churn_rows:,}", X, y, True


def _cvp_refit(model, X, y, cv):
    cross_val_predict(clone(model), X, y, cv=cv, method="predict_proba")
    return clone(model).fit(X, y)


def _ours(model, X, y, cv):
    return ThresholdTunedClassifier(model, objective="f1", cv=cv).fit(X, y)


def _sklearn(model, X, y, cv):
    return TunedThresholdClassifierCV(model, scoring="f1", cv=cv).fit(X, y)


def _measure(func, repeats):
    """Best wall time of ``repeats`` runs, then the peak traced memory in MB.

    The memory comes from one more run with tracemalloc on: it hooks every
    allocation, which would slow the timed runs (scorers that allocate many
    small arrays the most).
    """
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20


def speed_table(rows, churn_rows, repeats):
    records = []
    cv = StratifiedKFold(5)
    for name, X, y, churn in _datasets(rows, churn_rows):
        for kind in ("logistic", "hist_gradient_boosting"):
            model = _model(kind, churn)
            timings = {}
            for method, func in [
                ("ThresholdTunedClassifier", _ours),
                ("TunedThresholdClassifierCV", _sklearn),
                ("cross_val_predict + refit", _cvp_refit),
            ]:
                seconds, peak = _measure(partial(func, model, X, y, cv), repeats)
                timings[method] = seconds
                print(f"# {name} | {kind} | {method}: {seconds:.3f} s", flush=True)
                records.append(
                    {
                        "data": name,
                        "model": kind,
                        "method": method,
                        "seconds": seconds,
                        "peak MB": peak,
                    }
                )
            ours = timings["ThresholdTunedClassifier"]
            for record in records[-3:]:
                record["ratio"] = record["seconds"] / ours
                record["ours vs floor"] = (
                    f"{ours / timings['cross_val_predict + refit'] - 1:+.1%}"
                    if record["method"] == "ThresholdTunedClassifier"
                    else ""
                )
    return pd.DataFrame(records)[
        ["data", "model", "method", "seconds", "ratio", "ours vs floor", "peak MB"]
    ]


def _precision_if_recall(y_true, y_pred, min_recall=0.8):
    if recall_score(y_true, y_pred, zero_division=0) >= min_recall:
        return precision_score(y_true, y_pred, zero_division=0)
    return 0.0


def quality_table(n_splits, classification_rows, churn_rows):
    scorer = make_scorer(_precision_if_recall)
    methods = {
        "ours": lambda model, cv: ThresholdTunedClassifier(
            model, objective="precision", constraint={"recall": 0.8}, cv=cv
        ),
        "ours, confidence=0.9": lambda model, cv: ThresholdTunedClassifier(
            model,
            objective="precision",
            constraint={"recall": 0.8},
            confidence=0.9,
            cv=cv,
        ),
        "TunedThresholdClassifierCV + scorer": lambda model, cv: (
            TunedThresholdClassifierCV(model, scoring=scorer, cv=cv)
        ),
    }
    data = [
        (f"make_churn {churn_rows:,}",) + make_churn(churn_rows, random_state=1),
    ]
    X, y = make_classification(
        n_samples=classification_rows,
        n_features=20,
        n_informative=8,
        weights=[0.9, 0.1],
        flip_y=0.02,
        random_state=1,
    )
    data.append((f"make_classification {classification_rows:,}", X, y))
    records = []
    for name, X, y in data:
        model = _model("logistic", name.startswith("make_churn"))
        results = {method: [] for method in methods}
        for split in range(n_splits):
            X_train, X_test, y_train, y_test = train_test_split(
                X, y, test_size=0.3, stratify=y, random_state=split
            )
            cv = StratifiedKFold(5, shuffle=True, random_state=split)
            for method, make in methods.items():
                clf = make(model, cv).fit(X_train, y_train)
                y_pred = clf.predict(X_test)
                results[method].append(
                    (
                        recall_score(y_test, y_pred),
                        precision_score(y_test, y_pred, zero_division=0),
                    )
                )
        for method, values in results.items():
            values = np.array(values)
            records.append(
                {
                    "data": name,
                    "method": method,
                    "recall >= 0.80 on test": f"{np.mean(values[:, 0] >= 0.8):.0%}",
                    "mean test recall": values[:, 0].mean(),
                    "mean test precision": values[:, 1].mean(),
                    "splits": n_splits,
                }
            )
    return pd.DataFrame(records)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows",
        type=lambda s: [int(v) for v in s.split(",")],
        default=[10_000, 100_000],
        help="make_classification sizes for the speed table, comma-separated",
    )
    parser.add_argument("--churn-rows", type=int, default=5000)
    parser.add_argument("--splits", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS/OpenMP threads per fit (1: stable timings on a shared machine)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument(
        "--only", choices=["speed", "quality"], default=None, help="one table only"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.churn_rows, args.splits, args.repeats = [2000], 1000, 3, 1

    threadpool_limits(args.threads)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    if args.only in (None, "speed"):
        print("(a) fit time, 5 stratified folds, objective f1; ratio = time / ours")
        table = speed_table(args.rows, args.churn_rows, args.repeats)
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        print(flush=True)
    if args.only in (None, "quality"):
        print(
            f"(b) recall >= 0.80 with the best precision, {args.splits} random "
            "70/30 train/test splits, LogisticRegression"
        )
        table = quality_table(args.splits, min(args.rows), args.churn_rows)
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
