"""The time plan of a run: where ``--time-budget`` seconds go.

:func:`plan_run` decides, from the size of the training table and the budget, on
how many rows and folds the model selection runs, which candidates race, how
long the race may take (``ModelSelector(time_budget=...)``), and how big the
learning curve and the threshold tuning are, leaving time for what no plan can
shrink: the winner's refit on all the training rows and the evaluation on the
held-out rows. :func:`stratified_subsample` draws the rows the selection sees.

The cost model is a straight line per candidate: fitting ``r`` rows of ``p``
features on one thread takes ``a + b * (r / 1000) * (p / 10)`` seconds. The
constants were measured on the 2-core machine the run command is sized for
(``make_classification`` data, binary target, one OpenMP/BLAS thread, the
catalog's parameters and the preprocessing ``ModelSelector`` adds; fits on
20,000 and 272,000 rows of 20 features, the slope from the difference and the
intercept from the smaller fit):

=====================  ===========  ==========  ==========  ============
candidate              20,000 rows  272,000      ``a`` (s)  ``b`` (ms)
=====================  ===========  ==========  ==========  ============
Decision tree (depth 5)   0.30 s       5.90 s       0.0        11.1
Logistic regression       0.04 s       0.39 s       0.02        0.7
Gradient boosting (HGB)   0.81 s       4.91 s       0.49        8.1
LightGBM (100 trees)      0.61 s       4.31 s       0.31        7.3
Naive Bayes               0.01 s (5,000 rows)       0.0         0.8
Random forest (100)       2.29 s (5,000 rows)       0.5       230
=====================  ===========  ==========  ==========  ============

The SVM, the only candidate whose fit grows faster than the rows, took 0.10 s on
2,000 and 0.33 s on 5,000 rows of 20 features: ``13 ms * (r / 1000)^2 * (p / 20)``.
The multiclass boosters fit one tree per class and round, so the slopes are
multiplied by the number of classes.
"""

from dataclasses import dataclass

import numpy as np

from sklearn_workflow.problem._task import infer_task

__all__ = ["RunPlan", "plan_run", "stratified_subsample"]

# -- the cost model (see the module docstring) -------------------------------------
# (intercept s, slope s per 1,000 rows x 10 features) of one fit on one thread.
FAST_COST = (0.82, 0.028)  # tree + logistic/ridge + HGB + LightGBM + naive Bayes
FULL_COST = (1.32, 0.258)  # the fast ones + random forest
SVM_COST_PER_1K_ROWS_SQUARED = 0.013  # s per (1,000 rows)^2 x 20 features
# The slowest candidate that can win, for the refit, the tuning and the curve.
WORST_FAST_FIT = (0.5, 0.0111)  # the decision tree's slope, HGB's intercept
WORST_FULL_FIT = (0.5, 0.23)  # the random forest
# Scoring the validation fold and the pipeline's own steps, on top of the fits.
SCORING_OVERHEAD = 1.1
# A race runs rung 0 on subsamples, then drops candidates: about 0.6 of the fits
# of every candidate on every fold (racing_params' budget caps it at 0.4 plus
# rung 0's own fits).
RACE_SHARE = 0.6
# Starting the worker processes and sending them the data.
WORKER_START_S = 1.0
# The evaluation: 32 s for the 340,000-row table (272,000 training and 68,000
# test rows: contamination check, predictions, baselines), as measured by the
# run command on this machine, plus the 50-call latency probe.
EVAL_S_PER_1K_ROWS = 0.094
LATENCY_PROBE_S = 1.0
# Reading, checking and encoding the table, and writing the report.
OTHER_S = 2.0
OTHER_S_PER_1K_ROWS = 0.01
# Share of the training rows in the whole table (the held-out split is 0.2).
TRAIN_SHARE = 0.8
N_WORKERS = 2

# -- the decisions -----------------------------------------------------------------
# The selection sees at least this many rows (or all of them) before the number
# of folds or the candidates are cut; the fast candidates never see more.
SELECTION_ROWS = 20_000
MIN_ROWS = 1_000  # no subsample smaller than this
# Shares of what the budget leaves after the fixed costs (the refit, the
# evaluation, the other stages, the tuning): the race and the learning curve.
SELECTION_SHARE = 0.6
CURVE_SHARE = 0.4
# When the fixed costs take the whole budget, the race and the curve still get
# these shares of the budget (the run then goes over it; the plan says so).
MIN_SELECTION_SHARE = 0.15
MIN_CURVE_SHARE = 0.1
# The tuning may take this share of the budget (ThresholdTunedClassifier's folds
# plus its refit, one after the other).
TUNING_SHARE = 0.25
# The learning curve: 5 sizes from 10% to 100% of the training part of a fold,
# 2.75 full fits per fold in all, plus scoring the training rows.
CURVE_FITS_PER_FOLD = 2.75
CURVE_OVERHEAD = 1.3
CURVE_ROWS = 20_000  # the curve sees at least this many rows before 2 folds
# The random-vs-time comparison of the winner: 3 folds of each on at most this
# many rows (6 fits of the winner, fewer than the curve's).
COMPARE_ROWS = 5_000
COMPARE_FOLDS = 3


@dataclass(frozen=True)
class RunPlan:
    """Where a run spends its time budget.

    Attributes
    ----------
    selection_rows : int
        Rows of the stratified subsample the model selection sees (all the
        training rows when they are few).
    folds : int
        Folds of the model selection: 5, or 3 when the budget is short.
    fast_only : bool
        Race only the catalog's fast candidates.
    selection_time : float
        ``ModelSelector(time_budget=...)``: the seconds the race may take.
    curve_rows : int
        Rows of the learning curve's subsample.
    curve_folds : int
        Folds of the learning curve.
    tuning_folds : int
        Folds of the threshold tuning.
    reasons : tuple of str
        One sentence per decision, to print.
    compare_rows : int
        Rows on which the winner is cross-validated under a random split and
        under the split by time, side by side (after a split by time): at most
        ``COMPARE_ROWS`` and no more than the learning curve's.
    """

    selection_rows: int
    folds: int
    fast_only: bool
    selection_time: float
    curve_rows: int
    curve_folds: int
    tuning_folds: int
    reasons: tuple
    compare_rows: int = 0


def _fit_s(cost, rows, n_features):
    """Seconds of one fit of ``rows`` rows on one thread by the line ``cost``."""
    intercept, slope = cost
    return intercept + slope * rows / 1000 * n_features / 10


def _rows_for(seconds, cost, n_features, fits):
    """Rows such that ``fits`` fits (spread over the workers) take ``seconds``."""
    intercept, slope = cost
    per_fit = seconds * N_WORKERS / fits - intercept
    return max(0, int(per_fit / (slope * n_features / 10) * 1000))


def _selection_s(cost, rows, n_features, folds, with_svm):
    """Projected seconds of the race on ``rows`` rows and ``folds`` folds."""
    train = rows * (folds - 1) / folds
    per_fold = _fit_s(cost, train, n_features)
    if with_svm:
        per_fold += SVM_COST_PER_1K_ROWS_SQUARED * (train / 1000) ** 2 * n_features / 20
    fits_s = RACE_SHARE * SCORING_OVERHEAD * folds * per_fold / N_WORKERS
    return WORKER_START_S + fits_s


def _selection_rows(seconds, cost, n_features, folds):
    """The most rows the race on ``folds`` folds can see in ``seconds``."""
    fits = RACE_SHARE * SCORING_OVERHEAD * folds
    rows = _rows_for(seconds - WORKER_START_S, cost, n_features, fits)
    return int(rows * folds / (folds - 1))


def _scaled(cost, factor):
    return (cost[0], cost[1] * factor)


def _fixed_costs(n_rows, n_features, worst, binary, budget):
    """The refit, the evaluation, the other stages and the tuning (its folds)."""
    total_rows = n_rows / TRAIN_SHARE
    refit = _fit_s(worst, n_rows, n_features)
    evaluation = EVAL_S_PER_1K_ROWS * total_rows / 1000 + LATENCY_PROBE_S
    other = OTHER_S + OTHER_S_PER_1K_ROWS * total_rows / 1000
    tuning_folds = 2
    # k fits on (k - 1) / k of the rows and a refit: about k refits
    for k in (5, 3):
        if k * refit <= TUNING_SHARE * budget:
            tuning_folds = k
            break
    tuning = tuning_folds * refit if binary else 0.0
    return refit + evaluation + other + tuning, tuning_folds, evaluation


def _selection_choice(n_rows, n_features, budget, binary, factor):
    """The catalog, folds and rows of the selection, and the time left.

    Tried in order: every candidate on 5 folds over all the rows, then the
    fast ones on 5 folds, then on 3, over ``SELECTION_ROWS`` rows (or all);
    the first that fits is taken, else the fast ones on 3 folds over the rows
    the time allows.
    """
    target = min(n_rows, SELECTION_ROWS)
    with_svm = n_rows <= SELECTION_ROWS  # the catalog drops it above
    choices = (
        (False, 5, _scaled(FULL_COST, factor), WORST_FULL_FIT, n_rows),
        (True, 5, _scaled(FAST_COST, factor), WORST_FAST_FIT, target),
        (True, 3, _scaled(FAST_COST, factor), WORST_FAST_FIT, target),
    )
    for fast_only, folds, cost, worst, rows in choices:
        fixed, tuning_folds, evaluation = _fixed_costs(
            n_rows, n_features, _scaled(worst, factor), binary, budget
        )
        left = max(budget - fixed, 0.0)
        selection_time = max(SELECTION_SHARE * left, MIN_SELECTION_SHARE * budget)
        svm = with_svm and not fast_only
        if _selection_s(cost, rows, n_features, folds, svm) <= selection_time:
            break
    else:
        rows = _selection_rows(selection_time, cost, n_features, folds)
        rows = min(n_rows, max(rows, MIN_ROWS))
    return {
        "fast_only": fast_only,
        "folds": folds,
        "selection_rows": rows,
        "worst": _scaled(worst, factor),
        "left": left,
        "tuning_folds": tuning_folds,
        "fixed": fixed,
        "evaluation": evaluation,
    }


def _curve_choice(n_rows, n_features, seconds, worst):
    """The learning curve's folds and rows: 3 folds over ``CURVE_ROWS`` rows (or
    all, or more when the time allows), else 2 folds over what the time allows."""
    for folds in (3, 2):
        fits = folds * CURVE_FITS_PER_FOLD * (folds - 1) / folds * CURVE_OVERHEAD
        rows = _rows_for(seconds, worst, n_features, fits) * folds // (folds - 1)
        if rows >= min(n_rows, CURVE_ROWS):
            break
    return folds, min(n_rows, max(rows, MIN_ROWS))


def plan_run(n_rows, n_features, task, time_budget, n_classes=None):
    """Plan a run of ``time_budget`` seconds on ``n_rows`` training rows.

    The fixed costs come first: the winner's refit on all the training rows
    (priced as the slowest candidate that can win), the threshold tuning
    (binary tasks: 5 folds, or 3 or 2 when they would take more than a quarter
    of the budget), the evaluation and the other stages. Of what is left, 60%
    goes to the model selection and 40% to the learning curve. The selection
    races the whole catalog on 5 folds over all the rows when that fits, else
    the fast candidates on 5, then 3 folds over a stratified subsample of
    20,000 rows (or all of them), else on 3 folds over what fits.

    Parameters
    ----------
    n_rows : int
        Training rows (after the held-out split).
    n_features : int
        Columns the models see.
    task : {"binary_classification", "multiclass_classification", "regression"}
        The task.
    time_budget : float
        Seconds for the whole run.
    n_classes : int or None, default=None
        Classes of a multiclass target: the boosters' fit time grows with them.

    Returns
    -------
    plan : RunPlan

    Examples
    --------
    A small table is cheap: every candidate, 5 folds, all the rows.

    >>> from sklearn_workflow.workflow._budget import plan_run
    >>> plan = plan_run(5_000, 20, "binary_classification", 60)
    >>> plan.selection_rows, plan.folds, plan.fast_only, plan.curve_rows
    (5000, 5, False, 5000)

    A large one under the default budget: the fast candidates on a subsample,
    the winner refitted on all the rows.

    >>> plan = plan_run(272_000, 20, "binary_classification", 60)
    >>> plan.selection_rows, plan.folds, plan.fast_only, plan.tuning_folds
    (20000, 5, True, 2)
    >>> print(plan.reasons[0])  # doctest: +NORMALIZE_WHITESPACE
    272,000 training rows: model selection on a stratified subsample of 20,000
    rows, the winner refitted on all of them
    """
    n_rows, n_features = int(n_rows), max(int(n_features), 1)
    binary = task == "binary_classification"
    factor = n_classes if task == "multiclass_classification" and n_classes else 1
    budget = float(time_budget)
    choice = _selection_choice(n_rows, n_features, budget, binary, factor)
    left = choice["left"]
    curve_time = max(CURVE_SHARE * left, MIN_CURVE_SHARE * budget)
    curve_folds, curve_rows = _curve_choice(
        n_rows, n_features, curve_time, choice["worst"]
    )
    plan = {
        "selection_rows": int(choice["selection_rows"]),
        "folds": choice["folds"],
        "fast_only": choice["fast_only"],
        "selection_time": round(
            max(SELECTION_SHARE * left, MIN_SELECTION_SHARE * budget, 1.0), 1
        ),
        "curve_rows": int(curve_rows),
        "curve_folds": curve_folds,
        "tuning_folds": choice["tuning_folds"],
        "compare_rows": int(min(curve_rows, COMPARE_ROWS)),
    }
    reasons = _reasons(n_rows, budget, binary, plan, choice)
    return RunPlan(**plan, reasons=tuple(reasons))


def _reasons(n_rows, budget, binary, plan, choice):
    """One sentence per decision of the plan."""
    rows = plan["selection_rows"]
    if rows < n_rows:
        reasons = [
            f"{n_rows:,} training rows: model selection on a stratified subsample "
            f"of {rows:,} rows, the winner refitted on all of them"
        ]
    else:
        reasons = [f"{n_rows:,} training rows: model selection on all of them"]
    which = "the fast candidates only" if plan["fast_only"] else "every candidate"
    reasons.append(
        f"time budget {budget:g} s: {which} on {plan['folds']} folds, the race "
        f"stopped after {plan['selection_time']:g} s"
    )
    if plan["curve_rows"] < n_rows:
        reasons.append(
            f"learning curve on a subsample of {plan['curve_rows']:,} rows, "
            f"{plan['curve_folds']} folds"
        )
    if binary:
        reasons.append(
            f"threshold tuning (if the card asks) on {plan['tuning_folds']} folds"
        )
    if choice["fixed"] > budget:
        reasons.append(
            f"the budget is short for this table: the refit, the tuning and the "
            f"evaluation alone are estimated at {choice['fixed']:.0f} s "
            f"(the evaluation {choice['evaluation']:.0f} s)"
        )
    return reasons


def stratified_subsample(y, n, random_state=None, task=None):
    """Positions of ``n`` rows of ``y``, stratified on the classes.

    Each class gets its share of ``n`` (largest remainders), and at least one
    row, so every class is kept; a regression target (``task``, else read by
    :func:`~sklearn_workflow.problem.infer_task`) gets a plain random draw.
    All the rows when ``n`` is not smaller.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The target.
    n : int
        The rows to draw.
    random_state : int, RandomState instance or None, default=None
        Seeds the draw.
    task : str or None, default=None
        The task of ``y``; None reads it from ``y``.

    Returns
    -------
    rows : ndarray of int
        Sorted positions into ``y``.

    Examples
    --------
    A rare class keeps its one row:

    >>> import numpy as np
    >>> from sklearn_workflow.workflow._budget import stratified_subsample
    >>> y = np.array(["a"] * 90 + ["b"] * 9 + ["c"])
    >>> rows = stratified_subsample(y, 10, random_state=0)
    >>> np.unique(y[rows], return_counts=True)[1].tolist()
    [8, 1, 1]
    """
    y = np.asarray(y)
    size = y.shape[0]
    rng = np.random.default_rng(
        random_state
        if not isinstance(random_state, np.random.RandomState)
        else random_state.randint(np.iinfo(np.int32).max)
    )
    if n >= size:
        return np.arange(size)
    if (task or infer_task(y)) == "regression":
        return np.sort(rng.choice(size, size=n, replace=False))
    classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    take = _shares(counts, n)
    order = rng.permutation(size)
    by_class = order[np.argsort(codes[order], kind="stable")]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank_in_class = np.arange(size) - np.repeat(starts, counts)
    return np.sort(by_class[rank_in_class < np.repeat(take, counts)])


def _shares(counts, n):
    """Rows per class: proportional to ``counts`` by largest remainders, each
    class at least one row (taken from the largest classes)."""
    exact = counts * n / counts.sum()
    take = np.floor(exact).astype(int)
    short = n - take.sum()
    take[np.argsort(take - exact, kind="stable")[:short]] += 1
    take = np.minimum(np.maximum(take, 1), counts)
    while take.sum() > n:
        take[np.argmax(take)] -= 1
    return take
