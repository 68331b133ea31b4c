import numpy as np
import pytest
from scipy import stats

from sklearn_workflow.selection._search import (
    ConfigurationSearch,
    auto_n_configs,
    sample_configurations,
)

SPACES = {
    "logit": {"C": stats.loguniform(1e-3, 1e2)},
    "knn": {"n_neighbors": stats.randint(3, 51), "weights": ["uniform", "distance"]},
    "plain": {},
}
GIVEN = {"logit": {"C": 1.0}, "knn": {"n_neighbors": 5, "weights": "uniform"}}


def _search(seed=0, n_configs="auto"):
    search = ConfigurationSearch(SPACES, GIVEN, n_configs, seed)
    return search, search.initial()


def test_initial_configurations_start_with_the_candidate_as_given():
    _, configs = _search()
    by = {}
    for config in configs:
        by.setdefault(config.candidate, []).append(config)
    assert [len(by[name]) for name in SPACES] == [4, 4, 1]
    assert by["logit"][0].params == {"C": 1.0}
    assert by["logit"][0].point[0] == pytest.approx(stats.loguniform(1e-3, 1e2).cdf(1))
    # the middle of the share of a discrete value, of a list value
    assert by["knn"][0].point == pytest.approx([(2.5) / 48, 0.25])
    assert [c.name for c in by["knn"]] == ["knn #1", "knn #2", "knn #3", "knn #4"]
    assert by["plain"][0].name == "plain" and by["plain"][0].point is None


def test_initial_configurations_follow_the_seed_and_an_int_n_configs(
    global_random_seed,
):
    _, first = _search(global_random_seed, n_configs=6)
    _, again = _search(global_random_seed, n_configs=6)
    _, other = _search(global_random_seed + 1, n_configs=6)
    assert [c.params for c in first] == [c.params for c in again]
    assert [c.params for c in first] != [c.params for c in other]
    assert sum(c.candidate == "logit" for c in first) == 6


def test_refine_samples_near_the_two_leaders_in_a_quarter_wide_box():
    search, configs = _search()
    logit = [c for c in configs if c.candidate == "logit"]
    knn = [c for c in configs if c.candidate == "knn"]
    plain = next(c for c in configs if c.candidate == "plain")
    # the leaders: logit #3, then knn #2; a failure and the unsearched
    # candidate are never refined
    means = {logit[2]: 0.9, knn[1]: 0.8, logit[0]: 0.7, knn[0]: np.nan, plain: 1.0}
    added = search.refine(means)
    assert [(c.candidate, c.k) for c in added] == [("logit", 5), ("knn", 5)]
    for new, leader in zip(added, (logit[2], knn[1])):
        low = np.clip(leader.point - 0.125, 0.0, 0.75)
        assert ((new.point >= low) & (new.point <= low + 0.25)).all()
    assert search.configurations[-2:] == added


def test_configurations_of_a_finite_space_are_distinct(global_random_seed):
    space = {"weights": ["uniform", "distance"], "p": [1, 2]}
    assert auto_n_configs(space) == 4  # 2 x 2 values
    for params, _ in sample_configurations(space, 4, seed=global_random_seed):
        assert params["weights"] in space["weights"] and params["p"] in space["p"]
    search = ConfigurationSearch(
        {"knn": space}, {"knn": {"weights": "uniform", "p": 2}}, 8, global_random_seed
    )
    params = [str(c.params) for c in search.initial()]
    assert len(params) == len(set(params)) <= 4
    assert params[0] == str({"weights": "uniform", "p": 2})
