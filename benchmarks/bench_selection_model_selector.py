"""ModelSelector against the plain model-comparison loop.

On scikit-learn's bundled data sets (breast cancer, wine, digits, diabetes), the
churn demo data and ``make_classification``, the same candidates (the default
catalog with its per-model preprocessing) on the same five stratified folds:

- ``plain loop``: the plain ``for name, model in models.items():
  cross_val_score(...)`` loop, one candidate after the other (``cross_validate`` to
  read the fit times), one thread per fit as in ModelSelector;
- ``full n_jobs=1`` / ``full n_jobs=2``: ``ModelSelector(strategy="full")``;
- ``racing n_jobs=1`` / ``racing n_jobs=2``: ``ModelSelector(strategy="racing")``.

Columns: wall ``seconds`` (the fastest of ``--repeat`` runs, default 3, fewer once
they took 20 s: single runs of one or two seconds vary by a third on a shared
machine; the other columns come from that fastest run); ``ratio`` = plain loop
seconds / these seconds (above 1: faster than the loop); ``fit s`` = the sum of the
fit times of every (candidate, fold) fit, racing's rung-0 fits on subsamples
included, of which ``rung0 s`` on rung 0; ``work`` = ``fit s`` over the one of
``full`` with the same n_jobs (racing's target: at most 0.5); ``fits`` = the
full-size (candidate, fold) fits run, baseline aside; ``folds share`` = the fraction
of the plain loop's fit time that those full-size fits took there (a noise-free view
of the full-size part, rung 0 aside); the ``winner`` with its mean ± std; ``ok`` =
the same winner as the plain loop (for racing: as ``full``), or one whose mean is
within one standard deviation of it; ``peak MB`` = tracemalloc peak of a separate
n_jobs=1 run (workers of n_jobs=2 are not traced: "-"). The worker processes of
``n_jobs=2`` are started (and import the candidates' modules) before the first
timing: that start, a second or two, happens once per Python session.

PyCaret and LazyPredict are reported when they are installed (their own model
lists and splits, so their winners can differ; ``pip install lazypredict`` works
next to this package, PyCaret 3 pins older pandas and needs its own environment,
PyCaret 4 is a pre-release); they are not dependencies.

Run ``python benchmarks/bench_selection_model_selector.py`` (``--rows`` sets the
size of the ``make_classification`` data, default 20,000; ``--quick`` is a smoke
run on small data; ``--no-memory`` skips the tracemalloc runs).

``--time-budget 2,5`` prints another table instead: the search race of the
workflow's stage 6 (``strategy="racing"``, ``search="random"``, 8 configurations
per candidate, the catalog's candidates) on each data set, without a limit (the
anchor) and under each ``time_budget``: wall ``seconds`` (cross-validation and
refit), ``over`` = seconds / time_budget (the refit and the fits running when
the budget passes come on top of it), ``full-size fits`` = the (configuration,
fold) fits run on full-size folds (rung 0 aside), ``configs`` = the
configurations raced (the ensemble aside), ``not run`` = those that never
started, and the winner with its status.
"""

import argparse
import importlib.util
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_wine,
    make_classification,
)
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from threadpoolctl import threadpool_limits

from sklearn_workflow.datasets import make_churn
from sklearn_workflow.selection import ModelSelector

SEED = 42


def churn_numeric(n_samples):
    """The churn demo data with a plain numeric encoding (no leaky column)."""
    X, y = make_churn(n_samples, random_state=0)
    snapshot = pd.Timestamp("2024-07-01")
    frame = pd.DataFrame(
        {
            "tenure_months": X["tenure_months"],
            "age": X["age"],
            "income": X["income"],  # NaN kept: imputed per candidate
            "purchase_amount": X["purchase_amount"],
            "num_sessions": X["num_sessions"],
            "support_tickets": X["support_tickets"],
            "days_since_login": (snapshot - X["last_login"]).dt.days,
            "annual": (X["contract"] == "Annual").astype(float),
            "two_year": (X["contract"] == "Two-Year").astype(float),
            "city_frequency": X["city"]
            .map(X["city"].value_counts(normalize=True))
            .astype(float),
        }
    )
    return frame.to_numpy(dtype=float), y.to_numpy()


def datasets(rows, quick):
    out = {
        "breast_cancer": load_breast_cancer(return_X_y=True),
        "wine": load_wine(return_X_y=True),
        "digits": load_digits(return_X_y=True),
        "diabetes": load_diabetes(return_X_y=True),
        "churn": churn_numeric(1000 if quick else 5000),
        f"classification_{rows}": make_classification(
            n_samples=rows, n_features=20, n_informative=10, random_state=0
        ),
    }
    if quick:
        out = {k: out[k] for k in ("breast_cancer", "diabetes", "churn")}
    return out


def plain_loop(X, y, task, scoring):
    """The plain ``cross_validate`` loop over the same candidate pipelines and folds."""
    helper = ModelSelector(random_state=SEED)
    helper.task_ = task
    candidates = [
        (name, est)
        for name, est, _ in helper._candidate_list(SEED)
        if name != "Baseline"
    ]
    splitter = StratifiedKFold if task == "classification" else KFold
    cv = splitter(n_splits=5, shuffle=True, random_state=SEED)
    scores, fit_time = {}, {}
    for name, model in candidates:
        # one thread per fit, as ModelSelector runs them: the comparison measures
        # the selector, not OpenMP oversubscription on a shared machine
        with threadpool_limits(limits=1):
            result = cross_validate(clone(model), X, y, cv=cv, scoring=scoring)
        scores[name] = result["test_score"]
        fit_time[name] = result["fit_time"].sum()
    best = max(scores, key=lambda k: scores[k].mean())
    return best, scores, fit_time


def start_workers(n_jobs):
    """Start joblib's worker processes, and their imports, before any timing.

    Two small selections (one classification, one regression) run every
    catalog candidate in the workers. Starting them takes a second or two, once
    per Python session (joblib reuses them); the table compares the fits, not
    that start.
    """
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    ModelSelector(cv=4, n_jobs=n_jobs, random_state=0).fit(X, y)
    ModelSelector(cv=4, n_jobs=n_jobs, random_state=0).fit(X, X @ np.arange(5.0))


def run_selector(X, y, strategy, n_jobs):
    selector = ModelSelector(strategy=strategy, n_jobs=n_jobs, random_state=SEED)
    selector.fit(X, y)
    return selector


def peak_mb(func, *args):
    tracemalloc.start()
    try:
        func(*args)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def third_party(X, y, task):
    """PyCaret / LazyPredict, when installed: (name, seconds, winner).

    Each with its own model list and its own split: LazyPredict fits its models
    once on a 75/25 train/test split, PyCaret's ``compare_models`` cross-validates
    its models (10 folds) on a 70% training split. One job for both, as ours.
    """
    rows = []
    if importlib.util.find_spec("lazypredict") is not None:
        from lazypredict.Supervised import LazyClassifier, LazyRegressor
        from sklearn.model_selection import train_test_split

        X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=SEED)
        lazy = LazyClassifier if task == "classification" else LazyRegressor
        start = time.perf_counter()
        models = lazy(verbose=0, ignore_warnings=True).fit(X_tr, X_te, y_tr, y_te)
        seconds = time.perf_counter() - start
        models = models[0] if isinstance(models, tuple) else models  # by version
        rows.append(("lazypredict", seconds, str(models.index[0])))
    if importlib.util.find_spec("pycaret") is not None:
        rows.append(pycaret_run(X, y, task))
    return rows


def pycaret_run(X, y, task):
    """PyCaret's ``compare_models``: the 4.x experiment API, else 3.x ``setup``."""
    import pycaret

    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["target"] = y
    kind = "classification" if task == "classification" else "regression"
    module = importlib.import_module(f"pycaret.{kind}")
    options = {"target": "target", "session_id": SEED, "verbose": False, "n_jobs": 1}
    start = time.perf_counter()
    if int(pycaret.__version__.split(".")[0]) >= 4:
        experiment = getattr(module, f"{kind.capitalize()}Experiment")(**options)
        result = experiment.fit(frame).compare_models(n_select=1, verbose=False)
        best = result.best[-1] if hasattr(result.best, "steps") else result.best
    else:
        module.setup(frame, **options)
        best = module.compare_models(n_select=1, verbose=False)
        best = best[-1] if hasattr(best, "steps") else best
    seconds = time.perf_counter() - start
    return (f"pycaret {pycaret.__version__}", seconds, type(best).__name__)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="best of this many runs, fewer once they took 20 s (default: 3)",
    )
    parser.add_argument(
        "--datasets", default=None, help="comma-separated names (default: all)"
    )
    parser.add_argument(
        "--n-jobs", default="1,2", help="comma-separated n_jobs values (default: 1,2)"
    )
    parser.add_argument(
        "--time-budget",
        default=None,
        help="comma-separated time budgets in seconds: the search race under each",
    )
    args = parser.parse_args()
    if args.time_budget is not None:
        budgets = [float(v) for v in args.time_budget.split(",")]
        return bench_time_budgets(args.rows, args.quick, args.datasets, budgets)
    rows = 2000 if args.quick else args.rows
    memory = not (args.no_memory or args.quick)
    n_jobs_list = (1,) if args.quick else tuple(int(v) for v in args.n_jobs.split(","))
    for package in ("pycaret", "lazypredict"):
        if importlib.util.find_spec(package) is None:
            print(f"note: {package} is not installed; not benchmarked.")
    warnings.filterwarnings("ignore", category=UserWarning)
    for n_jobs in n_jobs_list:
        if n_jobs != 1:
            start_workers(n_jobs)
    table = []
    for name, (X, y) in datasets(rows, args.quick).items():
        if args.datasets and not any(d in name for d in args.datasets.split(",")):
            continue
        table += bench_one(name, X, y, n_jobs_list, memory, args.repeat)
        print(f"done: {name}", flush=True)
    frame = pd.DataFrame(
        table,
        columns=["data", "method", "seconds", "ratio", "fit s", "rung0 s", "work",
                 "fits", "folds share", "winner",
                 "score (mean ± std)", "ok", "peak MB"],
    )  # fmt: skip
    frame["peak MB"] = frame["peak MB"].map(
        lambda v: "-" if v is None or pd.isna(v) else f"{v:.1f}"
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(frame.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def best_of(repeat, func, *args):
    """The fastest of up to ``repeat`` runs (fewer once they took 20 s in all):
    (seconds, result of that run)."""
    best, spent = None, 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(*args)
        seconds = time.perf_counter() - start
        if best is None or seconds < best[0]:
            best = (seconds, result)
        spent += seconds
        if spent > 20:
            break
    return best


def bench_one(name, X, y, n_jobs_list, memory, repeat):
    """The rows of one data set."""
    table = []
    probe = ModelSelector(random_state=SEED)
    task = probe._resolve_task(y)
    probe.task_ = task
    scoring = next(iter(probe._scorers(y)))
    loop_seconds, (loop_best, loop_scores, loop_fits) = best_of(
        repeat, plain_loop, X, y, task, scoring
    )
    loop_fit = sum(loop_fits.values())
    loop_mean = loop_scores[loop_best].mean()
    loop_std = loop_scores[loop_best].std()

    def ok(winner, means):
        return winner == loop_best or means[winner] >= loop_mean - loop_std

    loop_means = {k: v.mean() for k, v in loop_scores.items()}
    loop_mem = peak_mb(plain_loop, X, y, task, scoring) if memory else None
    table.append(
        [name, "plain loop", loop_seconds, 1.0, loop_fit, np.nan, np.nan, "all", 1.0,
         loop_best,
         f"{loop_mean:.4f} ± {loop_std:.4f}", "yes", loop_mem]
    )  # fmt: skip
    full_fit = {}
    for strategy in ("full", "racing"):
        for n_jobs in n_jobs_list:
            seconds, selector = best_of(repeat, run_selector, X, y, strategy, n_jobs)
            rung0 = selector.results_.get("rung0_fit_time", pd.Series([0.0])).sum()
            fit = selector.results_["fit_time"].sum() + rung0
            if strategy == "full":
                full_fit[n_jobs] = fit
                full_results = selector.results_.set_index("name")
            mem = None
            if memory and n_jobs == 1:
                mem = peak_mb(run_selector, X, y, strategy, 1)
            results = selector.results_.set_index("name").drop("Baseline")
            row = results.loc[selector.best_name_]
            # Noise-free saving: the folds each candidate ran, weighted by its fit
            # time in the plain loop (timings on a shared machine are noisy).
            n_fits = int(results["n_folds"].sum())
            work = (
                sum(results.loc[c, "n_folds"] / 5 * loop_fits[c] for c in loop_fits)
                / loop_fit
            )
            if strategy == "racing" and n_jobs == n_jobs_list[0]:
                status = selector.results_.set_index("name")["status"]
                print(
                    f"{name} racing: "
                    + "; ".join(f"{c}: {st}" for c, st in status.items()),
                    flush=True,
                )
            if strategy == "full":
                good = ok(selector.best_name_, loop_means)
            else:
                full_best = full_results.iloc[0]
                good = (
                    selector.best_name_ == full_best.name
                    or full_results.loc[selector.best_name_, f"mean_{scoring}"]
                    >= full_best[f"mean_{scoring}"] - full_best[f"std_{scoring}"]
                )
            table.append(
                [
                    name,
                    f"{strategy} n_jobs={n_jobs}",
                    seconds,
                    loop_seconds / seconds,
                    fit,
                    rung0 if strategy == "racing" else np.nan,
                    fit / full_fit[n_jobs],
                    f"{n_fits}/{5 * len(loop_fits)}",
                    work,
                    selector.best_name_,
                    f"{row[f'mean_{scoring}']:.4f} ± {row[f'std_{scoring}']:.4f}",
                    "yes" if good else "NO",
                    mem,
                ]
            )
    for tool, seconds, winner in third_party(X, y, task):
        table.append(
            [name, tool, seconds, loop_seconds / seconds, np.nan, np.nan, np.nan, "",
             np.nan,
             winner,
             "", "", None]
        )  # fmt: skip
    return table


def search_race(X, y, time_budget):
    """The workflow's search race: racing, 8 configurations per candidate."""
    return ModelSelector(
        strategy="racing",
        search="random",
        n_configs=8,
        random_state=SEED,
        time_budget=time_budget,
    ).fit(X, y)


def full_size_fits(selector):
    """The full-size (configuration, fold) fits a race ran, baseline included."""
    score = selector.scorer_names_[0]
    results = selector.cv_results_
    return int(
        sum(
            np.isfinite(
                np.asarray(results[f"split{f}_test_{score}"], dtype=float)
            ).sum()
            for f in range(selector.n_splits_)
        )
    )


def bench_time_budgets(rows, quick, names, budgets):
    """The search race without a limit and under each budget, per data set."""
    warnings.filterwarnings("ignore", category=UserWarning)
    table = []
    for name, (X, y) in datasets(2000 if quick else rows, quick).items():
        if names and not any(d in name for d in names.split(",")):
            continue
        for budget in (None, *budgets):
            start = time.perf_counter()
            selector = search_race(X, y, budget)
            seconds = time.perf_counter() - start
            status = selector.cv_results_["status"]
            winner = selector.best_index_
            table.append(
                [
                    name,
                    "none" if budget is None else f"{budget:g}",
                    seconds,
                    np.nan if budget is None else seconds / budget,
                    full_size_fits(selector),
                    len(status) - 1,
                    int(sum(st == "not run (time)" for st in status)),
                    f"{selector.best_name_} ({status[winner]})",
                ]
            )
        print(f"done: {name}", flush=True)
    frame = pd.DataFrame(
        table,
        columns=["data", "time_budget", "seconds", "over", "full-size fits",
                 "configs", "not run", "winner"],
    )  # fmt: skip
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(frame.to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
