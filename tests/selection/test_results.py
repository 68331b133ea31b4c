import math

import numpy as np
import pandas as pd
import pytest

from sklearn_workflow.selection._results import (
    candidate_status,
    rank_order,
    select_winner,
)


def _table(rows):
    """A hand-made comparison table: (name, status, fold scores) per row."""
    n_folds = max(len(folds) for _, _, folds in rows)
    table = {"name": [], "status": [], "mean_score": []}
    for f in range(n_folds):
        table[f"fold_{f + 1}"] = []
    for name, status, folds in rows:
        table["name"].append(name)
        table["status"].append(status)
        ran = [v for v in folds if not math.isnan(v)]
        table["mean_score"].append(sum(ran) / len(ran) if ran else math.nan)
        for f in range(n_folds):
            table[f"fold_{f + 1}"].append(folds[f] if f < len(folds) else math.nan)
    table["error"] = ["boom" if s == "failed" else "" for s in table["status"]]
    return pd.DataFrame(table)


def test_select_winner_never_picks_the_baseline_a_dropped_or_a_failed_row():
    table = _table(
        [
            ("tree", "completed", [0.70, 0.72, 0.74]),
            ("forest", "dropped at fold 1", [0.99, math.nan, math.nan]),
            ("svm", "failed", [0.98, 0.99, 0.97]),
            ("logit", "completed", [0.80, 0.81, 0.82]),
            ("Baseline", "baseline", [0.95, 0.95, 0.95]),
        ]
    )
    assert select_winner(table, "score") == 3


def test_select_winner_breaks_a_tie_by_the_order_of_preference():
    table = _table(
        [
            ("nan", "completed", [math.nan, math.nan]),
            ("tree", "completed", [0.8, 0.6]),
            ("logit", "completed", [0.6, 0.8]),
            ("Baseline", "baseline", [0.5, 0.5]),
        ]
    )
    # "nan" has no finite mean; tree and logit tie: the first one wins
    assert table["name"].iloc[select_winner(table, "score")] == "tree"
    swapped = table.iloc[[0, 2, 1, 3]]
    assert swapped["name"].iloc[select_winner(swapped, "score")] == "logit"


def test_select_winner_one_se_matches_a_naive_rule():
    folds = {
        "tree": [0.78, 0.80, 0.79, 0.81],
        "logit": [0.80, 0.86, 0.81, 0.85],
        "forest": [0.80, 0.90, 0.82, 0.88],
        "boost": [0.83, 0.86, 0.84, 0.85],
    }
    table = _table([(name, "completed", v) for name, v in folds.items()])
    best = max(folds, key=lambda name: np.mean(folds[name]))
    se = np.std(folds[best], ddof=1) / np.sqrt(len(folds[best]))
    expected = next(
        name for name in folds if np.mean(folds[name]) >= np.mean(folds[best]) - se
    )
    assert best == "forest" and expected == "logit"
    assert table["name"][select_winner(table, "score", "one_se")] == expected
    assert table["name"][select_winner(table, "score")] == best


def test_select_winner_one_se_counts_only_the_folds_run():
    # a single fold run: no standard error, so one_se is "best"
    table = _table(
        [("tree", "completed", [0.7, math.nan]), ("logit", "completed", [0.8])]
    )
    assert select_winner(table, "score", "one_se") == 1


def _naive_winner_preferring_proba(folds, proba, selection):
    """The winner by the rule of ``prefer_proba``, written as a plain loop."""
    means = {name: float(np.mean(v)) for name, v in folds.items()}
    best = None
    for name in folds:  # the first of the highest means
        if best is None or means[name] > means[best]:
            best = name
    k = len(folds[best])
    se = np.std(folds[best], ddof=1) / np.sqrt(k) if k > 1 else 0.0
    close = []
    for name in folds:
        if means[name] >= means[best] - se:
            close.append(name)
    with_proba = []
    for name in close:
        if proba[name]:
            with_proba.append(name)
    if with_proba:
        close = with_proba
    if selection == "one_se":
        return close[0]
    winner = close[0]
    for name in close:
        if means[name] > means[winner]:
            winner = name
    return winner


@pytest.mark.parametrize("selection", ["best", "one_se"])
def test_select_winner_preferring_proba_matches_a_naive_rule(
    selection, global_random_seed
):
    rng = np.random.default_rng(global_random_seed)
    for _ in range(50):
        n, k = rng.integers(2, 6), rng.integers(1, 6)
        names = [f"m{i}" for i in range(n)]
        # a common level plus noise: ties within a standard error are common
        folds = {
            name: list(np.round(0.8 + rng.normal(0, 0.05, k) + rng.normal(0, 0.005), 3))
            for name in names
        }
        proba = dict(zip(names, rng.random(n) < 0.5))
        table = _table([(name, "completed", v) for name, v in folds.items()])
        mask = [proba[name] for name in names]
        got = table["name"][select_winner(table, "score", selection, proba=mask)]
        assert got == _naive_winner_preferring_proba(folds, proba, selection)
        # every row with probabilities (or none): the rule without preference
        for same in (True, False):
            plain = select_winner(table, "score", selection)
            assert select_winner(table, "score", selection, proba=[same] * n) == plain


def test_select_winner_preferring_proba_keeps_a_clear_winner_without():
    folds = {"svm": [0.90, 0.92, 0.91], "forest": [0.80, 0.81, 0.82]}
    table = _table([(name, "completed", v) for name, v in folds.items()])
    # the svm is 0.10 ahead, its standard error 0.006: it stays
    assert select_winner(table, "score", proba=[False, True]) == 0
    close = _table(
        [("svm", "completed", [0.90, 0.80, 0.85])]
        + [("forest", "completed", [0.84, 0.83, 0.82])]
    )
    # 0.02 ahead with a standard error of 0.029: the forest wins
    assert select_winner(close, "score", proba=[False, True]) == 1


@pytest.mark.parametrize("status", ["baseline", "failed", "dropped at rung 0"])
def test_select_winner_none_when_no_row_can_win(status):
    table = _table([("a", status, [0.9]), ("b", "completed", [math.nan])])
    assert select_winner(table, "score") is None


def test_candidate_status_and_rank_order():
    names = ["tree", "logit", "knn", "svm", "forest", "Baseline"]
    errors = [None, None, None, "fold 2: boom", None, None]
    dropped = {2: 0, 3: 2, 4: 1}
    status = candidate_status(names, errors, dropped, {2}, baseline="Baseline")
    assert status == [
        "completed",
        "completed",
        "dropped at rung 0 (budget)",
        "failed",
        "dropped at fold 1",
        "baseline",
    ]
    table = _table(
        [
            (name, state, folds)
            for name, state, folds in zip(
                names,
                status,
                [[0.7], [0.8], [math.nan], [0.9], [0.95], [0.5]],
            )
        ]
    )
    rung0 = {"racers": [0, 1, 2, 3, 4], "scores": np.array([[0.6]] * 5)}
    # completed by mean, then dropped (latest first), then failed; baseline last
    order = rank_order(table, "score", dropped, rung0, winner=1)
    assert [names[c] for c in order] == [
        "logit",
        "tree",
        "forest",
        "knn",
        "svm",
        "Baseline",
    ]
    # one_se picked the tree: it is ranked first, the rest keep their order
    order = rank_order(table, "score", dropped, rung0, winner=0)
    assert [names[c] for c in order][:3] == ["tree", "logit", "forest"]
