"""onnxruntime against scikit-learn on the workflow's demo pipeline.

The pipeline the workflow saves for the churn demo (TableCleaner,
DataQualityChecker, date features, target and one-hot encoding, log transform,
then a ThresholdTunedClassifier around imputer + scaler + model), exported with
``to_onnx``, for five winners: logistic regression (float64 graph),
HistGradientBoosting (its trees on bin numbers), a random forest (its leaves
found by ONNX-ML, their values averaged in float64),
logistic regression after a ``GroupAggregator`` (per-city statistics of the
purchase amount, looked up per row), and a linear SVM whose threshold is tuned
on its decision function (no probabilities: its decision function is compared).
In one run, on the same rows:

- one-row latency (median and p95 over ``--calls`` calls): the pipeline's
  ``predict_proba`` (``decision_function`` for the SVM) on a one-row
  DataFrame; onnxruntime's ``run`` on that row's prepared inputs; and
  onnxruntime with the inputs built from the one-row DataFrame by
  ``onnx_inputs`` (what a Python server would do);
- batch: rows per second of ``predict_proba`` and of ``onnx_inputs`` + ``run`` on
  ``--batch`` rows;
- parity: the largest |probability difference| on the batch (of the decision
  function, for the SVM).

Both run single-threaded (``--threads``): on a shared machine, thread pools
otherwise dominate the timings. Ratios are scikit-learn's time over
onnxruntime's (above 1: onnxruntime is faster).

Usage::

    python benchmarks/bench_onnx.py            # full run
    python benchmarks/bench_onnx.py --quick    # tiny smoke run
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from sklearn_workflow.datasets import make_churn
from sklearn_workflow.deploy._onnx import onnx_inputs, to_onnx
from sklearn_workflow.features import (
    DateFeatureExtractor,
    GroupAggregator,
    LogTransformer,
    TargetEncoder,
)
from sklearn_workflow.quality import DataQualityChecker, TableCleaner
from sklearn_workflow.thresholds import ThresholdTunedClassifier

DATES = ["signup_date", "last_login"]
NUMERIC = ["age", "income", "tenure_months", "purchase_amount", "num_sessions"]


GROUP = ["purchase_amount_mean_by_city", "purchase_amount_count_by_city"]


def demo_pipeline(estimator, group=False):
    """The pipeline ``run`` saves for the churn demo, with ``estimator`` as
    winner (and per-city statistics of the purchase amount with ``group``)."""
    passthrough = ["support_tickets", *(GROUP if group else [])]
    features = ColumnTransformer(
        [
            (
                "dates",
                DateFeatureExtractor(
                    columns=DATES, differences=(tuple(DATES),), elapsed="fit_min"
                ),
                DATES,
            ),  # fmt: skip
            ("target_encoding", TargetEncoder(columns="all", random_state=0), ["city"]),
            (
                "one_hot",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ["contract"],
            ),  # fmt: skip
            ("log_skewed", LogTransformer(), NUMERIC),
            ("numeric", "passthrough", passthrough),
        ]
    )
    model = ThresholdTunedClassifier(
        make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), estimator),
        objective="precision",
        constraint={"recall": 0.8},
        cv=3,
        random_state=0,
    )
    steps = [
        ("clean", TableCleaner(on_invalid="ignore")),
        ("quality", DataQualityChecker(on_violation="ignore")),
        ("features", features),
        ("model", model),
    ]
    if group:
        aggregator = GroupAggregator("city", {"purchase_amount": ("mean", "count")})
        steps.insert(2, ("group", aggregator))
    return Pipeline(steps)


def timed(call, n_calls):
    """Median and 95th percentile of ``n_calls`` calls, in milliseconds."""
    call()
    times = np.empty(n_calls)
    for k in range(n_calls):
        start = time.perf_counter()
        call()
        times[k] = time.perf_counter() - start
    return np.median(times) * 1e3, np.percentile(times, 95) * 1e3


def session(onx, threads):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = threads
    return onnxruntime.InferenceSession(
        onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def measure(name, model, X_batch, args):
    onx = to_onnx(model, double="auto")
    sess = session(onx, args.threads)
    float_type = {1: "float32", 11: "float64"}[
        onx.graph.output[1].type.tensor_type.elem_type
    ]
    row = X_batch.iloc[:1]
    row_feeds = onnx_inputs(onx, row, model)
    score = getattr(model, "predict_proba", None) or model.decision_function
    sk = timed(lambda: score(row), args.calls)
    ort = timed(lambda: sess.run(None, row_feeds), args.calls)
    ort_df = timed(lambda: sess.run(None, onnx_inputs(onx, row, model)), args.calls)

    def batch_sklearn():
        return score(X_batch)

    def batch_onnx():
        return sess.run(None, onnx_inputs(onx, X_batch, model))[1]

    sk_batch = timed(batch_sklearn, args.batch_calls)[0] / 1e3
    ort_batch = timed(batch_onnx, args.batch_calls)[0] / 1e3
    diff = float(np.max(np.abs(batch_onnx() - batch_sklearn())))
    n = len(X_batch)
    return [
        (name, "one row, median (ms)", sk[0], ort[0], ort_df[0], float_type, diff),
        (name, "one row, p95 (ms)", sk[1], ort[1], ort_df[1], float_type, diff),
        (
            name,
            f"batch of {n:,} (rows/s)",
            n / sk_batch,
            None,
            n / ort_batch,
            float_type,
            diff,
        ),  # fmt: skip
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5_000, help="training rows")
    parser.add_argument("--batch", type=int, default=100_000, help="batch rows")
    parser.add_argument("--calls", type=int, default=500, help="one-row calls")
    parser.add_argument("--batch-calls", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.batch, args.calls, args.batch_calls = 600, 2_000, 30, 1
    X, y = make_churn(args.rows + args.batch, random_state=0)
    X = X.drop(columns=["customer_id", "cancellation_requested"])
    X_train, y_train = X.iloc[: args.rows], y.iloc[: args.rows]
    X_batch = X.iloc[args.rows :].reset_index(drop=True)
    rows = []
    winners = [
        ("logistic regression", LogisticRegression(max_iter=1000), False),
        ("HistGradientBoosting", HistGradientBoostingClassifier(random_state=0), False),
        ("group statistics + LR", LogisticRegression(max_iter=1000), True),
        ("linear SVM (decision)", LinearSVC(), False),
        (
            "random forest",
            RandomForestClassifier(n_estimators=100, random_state=0),
            False,
        ),  # fmt: skip
    ]
    with threadpool_limits(args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, estimator, group in winners:
            model = demo_pipeline(estimator, group).fit(X_train, y_train)
            rows.extend(measure(name, model, X_batch, args))
    table = pd.DataFrame(
        rows,
        columns=["winner", "measure", "scikit-learn", "onnxruntime run",
                 "onnxruntime from a DataFrame", "graph", "max |score diff|"],
    )  # fmt: skip
    one_row = table["measure"].str.startswith("one row")
    table["ratio"] = np.where(
        one_row,
        table["scikit-learn"] / table["onnxruntime run"].astype(float),
        table["onnxruntime from a DataFrame"] / table["scikit-learn"],
    )
    table["ratio (from a DataFrame)"] = np.where(
        one_row,
        table["scikit-learn"] / table["onnxruntime from a DataFrame"],
        table["onnxruntime from a DataFrame"] / table["scikit-learn"],
    )
    print(f"churn demo pipeline, {args.rows:,} training rows, {args.threads} thread(s)")
    print("ratio: how many times faster onnxruntime is than scikit-learn")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))


if __name__ == "__main__":
    main()
