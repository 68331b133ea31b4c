"""``time_budget`` inside a rung or a fold of the race: no fit starts once it
has passed, and what the race did not run is recorded.

The races read a fake clock (the ``fake_clock`` fixture) that only the fits of
its ticking estimators advance, so each test knows at which fit the budget
passes, whatever the load of the machine.
"""

import time

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from scipy.stats import loguniform
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from sklearn_workflow.selection import ModelSelector


def _data():
    return make_classification(
        n_samples=300, n_features=5, n_informative=3, random_state=0
    )


def _fit_search_race(fake_clock, time_budget, n_jobs=None):
    """A search race of 6 configurations of a ticking logistic regression,
    3 folds, each configuration fitted on a subsample of the first 3."""
    X, y = _data()
    return ModelSelector(
        {"logit": fake_clock.ticking()},
        cv=3,
        strategy="racing",
        search="random",
        n_configs=6,
        search_spaces={"logit": {"C": loguniform(1e-2, 1e2)}},
        racing_params={"min_rows": 0, "budget": None},
        random_state=0,
        preprocessing=None,
        refit=False,
        n_jobs=n_jobs,
        time_budget=time_budget,
    ).fit(X, y)


def _by_config(selector):
    """The configurations of ``logit``: status and stopped_at, by number."""
    results = selector.cv_results_
    table = pd.DataFrame(
        {
            "candidate": results["candidate"],
            "config": results["config"],
            "status": results["status"],
            "stopped_at": results["stopped_at"],
        }
    )
    return table[table["candidate"] == "logit"].set_index("config")


def test_time_budget_stops_launching_configurations_inside_rung_0(fake_clock):
    # each fit takes one (fake) second: configuration 1 runs its 3 rung-0 fits
    # whatever the time (to 3 s); configuration 2 starts its first two (at 3 s
    # and 4 s, before 4.5 s), not its third; the others never start
    selector = _fit_search_race(fake_clock, time_budget=4.5)
    configs = _by_config(selector)
    rows = pd.Series(selector.results_["n_folds"].to_numpy())
    assert configs.loc[1, "status"] == "stopped at fold 1 (time)"
    assert configs.loc[2, "status"] == "dropped at rung 0 (time)"
    assert configs.loc[2, "stopped_at"].startswith("rung 0 (")
    assert configs.loc[3:, "status"].eq("not run (time)").all()
    assert configs.loc[3:, "stopped_at"].eq("not started").all()
    # no configuration added near the leader once the budget has passed
    assert list(configs.index) == [1, 2, 3, 4, 5, 6]
    # 3 + 2 rung-0 fits and the winner's first full-size fold, of the
    # 6 x 3 rung-0 fits offered
    assert fake_clock.fits == 3 + 2 + 1
    # the winner ran its rung 0 and a full-size fold; its score is that fold's
    assert selector.best_params_["candidate"] == "logit"
    assert selector.results_.loc[0, "config"] == 1
    assert selector.best_n_folds_ == 1 and rows.iloc[0] == 1
    assert selector.best_score_ == selector.cv_results_["split0_test_accuracy"][0]


def test_time_budget_never_crowns_a_configuration_cut_inside_rung_0(fake_clock):
    # the configuration cut in rung 0 (config 2) has no full-size fold, the
    # rung-0 mean of those not started is NaN: neither can win
    selector = _fit_search_race(fake_clock, time_budget=4.5)
    status = selector.cv_results_["status"]
    winner = selector.best_index_
    assert status[winner] == "stopped at fold 1 (time)"
    assert np.isfinite(selector.cv_results_["mean_test_accuracy"][winner])
    for c in range(1, 6):
        assert np.isnan(selector.cv_results_["mean_test_accuracy"][c])


def test_a_generous_time_budget_runs_every_configuration(fake_clock):
    selector = _fit_search_race(fake_clock, time_budget=1e9)
    configs = _by_config(selector)
    assert not configs["status"].str.contains("time").any()
    # the configurations near the leaders were added: more than 6
    assert len(configs) > 6
    assert not configs["stopped_at"].eq("not started").any()


@pytest.mark.parametrize(
    "time_budget, status, fits",
    [
        # a and b start fold 1 (at 0 and 1 s, before 1.5 s): b is then
        # dropped for time; c and d never start
        (
            1.5,
            {
                "a": "stopped at fold 1 (time)",
                "b": "dropped at fold 1 (time)",
                "c": "not run (time)",
                "d": "not run (time)",
            },
            2,
        ),
        # all four run fold 1 (to 4 s); in fold 2 the leader a starts
        # whatever the time, b, c and d do not (4.5 s has passed)
        (
            4.5,
            {
                "a": "stopped at fold 2 (time)",
                "b": "dropped at fold 1 (time)",
                "c": "dropped at fold 1 (time)",
                "d": "dropped at fold 1 (time)",
            },
            5,
        ),
    ],
)
def test_time_budget_stops_launching_racers_inside_a_full_size_fold(
    fake_clock, time_budget, status, fits
):
    X, y = _data()
    # four equal candidates: a tie the racing test never breaks
    candidates = {name: fake_clock.ticking() for name in "abcd"}
    selector = ModelSelector(
        candidates,
        cv=3,
        strategy="racing",
        racing_params={"subsample": None},
        random_state=0,
        preprocessing=None,
        refit=False,
        time_budget=time_budget,
    ).fit(X, y)
    rows = selector.results_.set_index("name")
    assert rows["status"].drop("Baseline").to_dict() == status
    assert fake_clock.fits == fits
    not_run = rows["status"] == "not run (time)"
    assert rows.loc[not_run, "stopped_at"].eq("not started").all()
    assert rows.loc[not_run, "n_folds"].eq(0).all()
    assert selector.best_name_ == "a"
    assert rows.loc["Baseline", "n_folds"] == rows.loc["a", "n_folds"]


def test_time_budget_inside_a_rung_with_parallel_workers(fake_clock):
    # two threads: a job starts only when a worker is free, so once the
    # budget has passed (after the third fit) at most the two in flight end
    with parallel_config(backend="threading"):
        selector = _fit_search_race(fake_clock, time_budget=2.5, n_jobs=2)
    configs = _by_config(selector)
    assert fake_clock.fits <= 3 + 2 + 1
    assert configs["status"].eq("not run (time)").sum() >= 4
    assert configs.loc[1, "status"] == "stopped at fold 1 (time)"


class _SleepingLogit(LogisticRegression):
    """A logistic regression whose fit sleeps 0.05 s, and counts its fits."""

    fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        time.sleep(0.05)
        return super().fit(X, y, sample_weight)


def test_time_budget_with_slow_fits_launches_few_of_the_fits_offered():
    # a real clock: the first racer's 3 rung-0 fits take at least 0.15 s,
    # then at most one more starts before 0.2 s; the leader then runs one
    # full-size fold, and the winner is refitted
    X, y = _data()
    candidates = {f"logit {k}": _SleepingLogit(C=10.0**-k) for k in range(6)}
    _SleepingLogit.fits = 0
    selector = ModelSelector(
        candidates,
        cv=3,
        strategy="racing",
        racing_params={"min_rows": 0},
        random_state=0,
        preprocessing=None,
        time_budget=0.2,
    ).fit(X, y)
    offered = len(candidates) * 3  # the rung-0 fits alone
    assert _SleepingLogit.fits <= 3 + 1 + 1 + 1 < offered
    rows = selector.results_.set_index("name")
    assert (rows["status"] == "not run (time)").sum() >= 4
    assert set(rows.loc[rows["status"] == "not run (time)", "stopped_at"]) == {
        "not started"
    }
    assert rows.loc[selector.best_name_, "status"].startswith(("stopped", "completed"))
    assert selector.best_n_folds_ >= 1
