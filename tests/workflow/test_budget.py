import dataclasses
import itertools

import numpy as np
import pytest

from sklearn_workflow.workflow._budget import (
    SELECTION_ROWS,
    RunPlan,
    plan_run,
    stratified_subsample,
)

SIZES = (200, 5_000, 50_000, 340_000)
BUDGETS = (10, 60, 300)


@pytest.mark.parametrize(
    "n_rows, budget, expected",
    [
        # a small table: every candidate on 5 folds over all the rows
        (5_000, 60, (5_000, 5, False, 5_000, 3, 5)),
        # a large one under the default budget: the fast candidates on a
        # subsample, a smaller learning curve, 2 folds to tune the threshold
        (340_000, 60, (SELECTION_ROWS, 5, True, 79_615, 3, 2)),
        # ten seconds: 3 folds, the smallest subsamples
        (340_000, 10, (1_000, 3, True, 5_354, 2, 2)),
        # five minutes: the learning curve on all the rows
        (340_000, 300, (SELECTION_ROWS, 5, True, 340_000, 3, 5)),
    ],
)
def test_plan_run_numbers(n_rows, budget, expected):
    plan = plan_run(n_rows, 20, "binary_classification", budget)
    got = (
        plan.selection_rows,
        plan.folds,
        plan.fast_only,
        plan.curve_rows,
        plan.curve_folds,
        plan.tuning_folds,
    )
    assert got == expected
    assert 0 < plan.selection_time <= budget


@pytest.mark.parametrize("n_rows", SIZES)
def test_plan_run_gives_more_with_more_budget(n_rows):
    plans = [plan_run(n_rows, 20, "binary_classification", b) for b in BUDGETS]
    for small, big in itertools.pairwise(plans):
        assert big.selection_rows >= small.selection_rows
        assert big.folds >= small.folds
        assert big.fast_only <= small.fast_only
        assert big.curve_rows >= small.curve_rows
    for plan in plans:
        assert plan.selection_rows <= n_rows and plan.curve_rows <= n_rows
        assert plan.folds in (3, 5) and plan.curve_folds in (2, 3)
        assert plan.tuning_folds in (2, 3, 5)


@pytest.mark.parametrize("budget", BUDGETS)
def test_plan_run_gives_the_race_less_time_on_bigger_tables(budget):
    plans = [plan_run(n, 20, "binary_classification", budget) for n in SIZES]
    for small, big in itertools.pairwise(plans):
        # (racing the whole catalog reserves more for its slowest candidate)
        if big.fast_only == small.fast_only:
            assert big.selection_time <= small.selection_time
        assert big.fast_only >= small.fast_only
    # small tables are selected on all their rows, big ones on a subsample
    assert plans[0].selection_rows == 200 and plans[1].selection_rows == 5_000
    assert plans[-1].selection_rows < 340_000


def test_plan_run_reasons_say_each_decision():
    plan = plan_run(272_000, 20, "binary_classification", 60)
    assert plan.reasons[0] == (
        "272,000 training rows: model selection on a stratified subsample of "
        "20,000 rows, the winner refitted on all of them"
    )
    assert plan.reasons[1].startswith("time budget 60 s: the fast candidates only")
    assert any("threshold tuning" in r for r in plan.reasons)
    # no threshold to tune for regression; a table too big for the budget says so
    plan = plan_run(340_000, 20, "regression", 10)
    assert not any("threshold" in r for r in plan.reasons)
    assert "the budget is short for this table" in plan.reasons[-1]
    small = plan_run(200, 20, "regression", 60)
    assert small.reasons[0] == "200 training rows: model selection on all of them"


def test_plan_run_multiclass_costs_more_than_binary():
    binary = plan_run(50_000, 20, "binary_classification", 60)
    multi = plan_run(50_000, 20, "multiclass_classification", 60, n_classes=10)
    assert multi.curve_rows < binary.curve_rows


def test_run_plan_is_frozen():
    plan = plan_run(5_000, 10, "regression", 60)
    assert isinstance(plan, RunPlan)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.folds = 3


@pytest.mark.parametrize("n", [10, 137, 1_000])
def test_stratified_subsample_keeps_proportions_and_every_class(n, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    y = rng.choice(["no", "yes", "maybe"], p=[0.7, 0.29, 0.01], size=3_000)
    y[:2] = "rare"  # two rows: kept even in a subsample of 10
    rows = stratified_subsample(y, n, random_state=global_random_seed)
    assert rows.shape == (n,) and len(set(rows)) == n
    assert np.all(np.diff(rows) > 0)
    classes, counts = np.unique(y, return_counts=True)
    taken = dict(zip(*np.unique(y[rows], return_counts=True)))
    # a class whose share is under one row gets one, taken from another class
    lifted = sum(count * n < len(y) for count in counts)
    for label, count in zip(classes, counts):
        # the class's share of n, in a plain loop: within one row
        share = count * n / len(y)
        assert taken.get(label, 0) >= 1
        assert abs(taken[label] - share) <= (1 if share < 1 else 1 + lifted)
        if not lifted:
            assert abs(taken[label] - share) < 1


def test_stratified_subsample_regression_and_small_targets(global_random_seed):
    y = np.random.default_rng(global_random_seed).normal(size=500)
    rows = stratified_subsample(y, 50, random_state=global_random_seed)
    assert rows.shape == (50,) and len(set(rows)) == 50
    # the same seed, the same rows; all the rows when n is not smaller
    np.testing.assert_array_equal(
        rows, stratified_subsample(y, 50, random_state=global_random_seed)
    )
    np.testing.assert_array_equal(stratified_subsample(y, 500), np.arange(500))
    np.testing.assert_array_equal(stratified_subsample(y, 900), np.arange(500))
