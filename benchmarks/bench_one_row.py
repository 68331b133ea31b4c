"""One-row ``predict_proba`` of the demo model, step by step.

The demo model is what ``run_workflow`` fits on ``make_churn(2000,
random_state=0)`` (``--time-budget`` seconds, 15 by default). Each row of the
table is the median of ``--calls`` warm calls (1,000 by default) on one row of
the training table as a one-row DataFrame:

- the whole pipeline's ``predict_proba``;
- :class:`~sklearn_workflow.deploy.PreparedModel`'s ``predict_proba``;
- each step alone on its own input (the cleaner, the checker, the feature
  ``ColumnTransformer`` and each of its fitted transformers on its columns);
- the final estimator's own ``predict_proba`` on the features (the floor).

The last column is each median over the final estimator's; the line below the
table is the ratio the deployment target is stated in (PreparedModel over the
final estimator). ``--skip-validation`` runs every call inside scikit-learn's
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--time-budget", type=float, default=15)
    parser.add_argument("--row", type=int, default=0)
    parser.add_argument("--skip-validation", action="store_true")
    args = parser.parse_args()

    model, X = demo_model(args.time_budget)
    row = X.iloc[[args.row]][list(model.steps[0][1].feature_names_in_)]
    prepared = PreparedModel(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = model.predict_proba(row)
        assert np.array_equal(prepared.predict_proba(row), expected)
    context = (
        sklearn.config_context(assume_finite=True, skip_parameter_validation=True)
        if args.skip_validation
        else contextlib.nullcontext()
    )
    rows = [
        ("pipeline", lambda: model.predict_proba(row)),
        ("PreparedModel", lambda: prepared.predict_proba(row)),
        *step_calls(model, row),
    ]
    with context, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        medians = [(name, median_ms(call, args.calls)) for name, call in rows]
    floor = medians[-1][1]
    width = max(len(name) for name, _ in medians)
    print(f"{'step':<{width}}  median ms  / final")
    for name, ms in medians:
        print(f"{name:<{width}}  {ms:9.3f}  {ms / floor:7.2f}")
    print(f"PreparedModel / final estimator: {medians[1][1] / floor:.2f}")


if __name__ == "__main__":
    main()
