"""One-row ``predict_proba`` of the demo model, step by step.

The demo model is what ``run_workflow`` fits on ``make_churn(2000,
random_state=0)`` (``--time-budget`` seconds, 15 by default). Each row of the
table is the median of ``--calls`` warm calls (1,000 by default) on one row of
the training table as a one-row DataFrame:

- the whole pipeline's ``predict_proba``;
- :class:`~sklearn_workflow.deploy.PreparedModel`'s ``predict_proba`` with each
  engine: "python" (the flattened steps) and "auto" (ONNX when the graph agrees
  with the pipeline on the model's reference rows: the engine it chose is
  printed), then the ONNX engine's two parts: building the graph's inputs from
  the row, and onnxruntime's ``run`` on them;
- each step alone on its own input (the cleaner, the checker, the feature
  ``ColumnTransformer`` and each of its fitted transformers on its columns);
- the final estimator's own ``predict_proba`` on the features (the floor).

The last column is each median over the final estimator's; the lines below the
table are the ratios the deployment target is stated in (PreparedModel over the
final estimator, at most 2), and the largest |probability difference| of each
engine to the pipeline's batch ``predict_proba`` over the whole table, one row
at a time (the first ``--calls`` rows) and in one batch, with the labels'
disagreements. ``--skip-validation`` runs every call inside scikit-learn's
``config_context(assume_finite=True, skip_parameter_validation=True)``.
Usage::

    python benchmarks/bench_one_row.py
    python benchmarks/bench_one_row.py --calls 200 --skip-validation
"""

import argparse
import contextlib
import tempfile
import time
import warnings

import numpy as np
import sklearn

from sklearn_workflow.datasets import make_churn
from sklearn_workflow.deploy import PreparedModel
from sklearn_workflow.workflow import run_workflow


def demo_model(time_budget):
    """The demo model and its training table."""
    X, y = make_churn(2000, random_state=0)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_workflow(X, y, out=tmp, time_budget=time_budget, verbose=0)
    return result.model, X


def median_ms(call, calls):
    """Median wall time of ``call()`` in milliseconds, after 20 warm calls."""
    for _ in range(20):
        call()
    times = np.empty(calls)
    for k in range(calls):
        start = time.perf_counter()
        call()
        times[k] = time.perf_counter() - start
    return 1000 * float(np.median(times))


def step_calls(model, row):
    """``(name, call)`` for each step of ``model`` on its own one-row input."""
    calls = []
    X = row
    for name, step in model.steps[:-1]:
        calls.append((name, lambda step=step, X=X: step.transform(X)))
        if hasattr(step, "transformers_"):
            for part, transformer, columns in step.transformers_:
                if isinstance(transformer, str):
                    continue
                calls.append(
                    (
                        f"  {name}/{part}",
                        lambda t=transformer, X=X[columns]: t.transform(X),
                    )
                )
        X = step.transform(X)
    final = model.steps[-1][1]
    calls.append(("final estimator", lambda X=X: final.predict_proba(X)))
    return calls


def differences(model, prepared, X, n_rows):
    """Largest |probability difference| to the pipeline's batch answers and the
    number of label disagreements: one row at a time, and in one batch."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, labels = model.predict_proba(X), model.predict(X)
        ours, our_proba = prepared.predict_with_proba(X)
        rows = [prepared.predict_with_proba(X.iloc[[i]]) for i in range(n_rows)]
    row_labels = np.concatenate([r[0] for r in rows])
    row_proba = np.vstack([r[1] for r in rows])
    return (
        float(np.abs(row_proba - expected[:n_rows]).max()),
        int((row_labels != labels[:n_rows]).sum()),
        float(np.abs(our_proba - expected).max()),
        int((ours != labels).sum()),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--time-budget", type=float, default=15)
    parser.add_argument("--row", type=int, default=0)
    parser.add_argument("--skip-validation", action="store_true")
    args = parser.parse_args()

    model, X = demo_model(args.time_budget)
    X = X[list(model.steps[0][1].feature_names_in_)]
    row = X.iloc[[args.row]]
    python = PreparedModel(model, engine="python")
    auto = PreparedModel(model)
    print(f"engine='auto' chose {auto.engine_!r}: {auto.engine_reason_}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = model.predict_proba(row)
        assert np.array_equal(python.predict_proba(row), expected)
    context = (
        sklearn.config_context(assume_finite=True, skip_parameter_validation=True)
        if args.skip_validation
        else contextlib.nullcontext()
    )
    rows = [
        ("pipeline", lambda: model.predict_proba(row)),
        ("PreparedModel python", lambda: python.predict_proba(row)),
        (f"PreparedModel auto ({auto.engine_})", lambda: auto.predict_proba(row)),
    ]
    if auto.onnx_ is not None:
        feeds = auto.onnx_.feeds(row)
        rows += [
            ("  onnx: inputs from the row", lambda: auto.onnx_.feeds(row)),
            ("  onnx: onnxruntime run", lambda: auto.onnx_.predict_proba(feeds)),
        ]
    rows += step_calls(model, row)
    with context, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        medians = [(name, median_ms(call, args.calls)) for name, call in rows]
    floor = medians[-1][1]
    width = max(len(name) for name, _ in medians)
    print(f"{'step':<{width}}  median ms  / final")
    for name, ms in medians:
        print(f"{name:<{width}}  {ms:9.3f}  {ms / floor:7.2f}")
    for k, name in ((1, "python"), (2, auto.engine_)):
        print(f"PreparedModel {name} / final estimator: {medians[k][1] / floor:.2f}")
    n_rows = min(args.calls, len(X))
    for name, prepared in (("python", python), (auto.engine_, auto)):
        row_diff, row_labels, diff, n_labels = differences(model, prepared, X, n_rows)
        print(
            f"{name} vs pipeline, max |proba difference|: one row at a time "
            f"({n_rows:,} rows) {row_diff:.3g}, labels differing {row_labels}; "
            f"batch ({len(X):,} rows) {diff:.3g}, labels differing {n_labels}"
        )


if __name__ == "__main__":
    main()
