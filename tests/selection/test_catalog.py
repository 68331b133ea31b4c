import importlib.util

import numpy as np
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression

from sklearn_workflow.selection import candidate_table
from sklearn_workflow.selection._catalog import (
    _CATALOG,
    MAX_ROWS_SLOW_CANDIDATES,
    default_candidates,
    filter_candidates,
    find_entry,
)
from sklearn_workflow.selection._search import (
    auto_n_configs,
    check_space,
    sample_configurations,
)

# The guide's algorithm comparison table (stage 5), the rows it has.
SEED_TABLE = {
    "Logistic regression": ("Fast", "Very fast", "No", "Required", "High"),
    "Decision tree": ("Fast", "Very fast", "Yes (some)", "Not needed", "Very high"),
    "Random forest": ("Medium", "Medium", "Yes (some)", "Not needed", "Medium"),
    "XGBoost": ("Medium", "Fast", "Yes", "Not needed", "Low"),
    "LightGBM": ("Fast", "Fast", "Yes", "Not needed", "Low"),
    "SVM (RBF)": ("Slow (large n)", "Fast", "No", "Required", "Low"),
    "KNN (k=5)": ("None (lazy)", "Slow", "No", "Required", "Medium"),
    "Naive Bayes": ("Very fast", "Very fast", "Depends", "Not needed", "High"),
}
COLUMNS = [
    "training_speed",
    "prediction_speed",
    "handles_missing",
    "feature_scaling",
    "interpretable",
]


def test_candidate_table_has_the_seed_columns_and_rows():
    table = candidate_table("classification")
    assert list(table.columns) == [
        "name",
        "task",
        "estimator",
        *COLUMNS,
        "installed",
        "search_space",
    ]
    by_name = table.set_index("name")
    for name, expected in SEED_TABLE.items():
        assert tuple(by_name.loc[name, COLUMNS]) == expected, name


def test_candidate_table_task_filter_and_order():
    both = candidate_table()
    clf, reg = candidate_table("classification"), candidate_table("regression")
    assert len(both) == len(clf) + len(reg)
    assert set(clf["task"]) == {"classification"}
    assert set(reg["task"]) == {"regression"}
    # Order of preference: interpretability first, never less interpretable
    # before more interpretable.
    levels = {"Very high": 0, "High": 1, "Medium": 2, "Low": 3}
    for table in (clf, reg):
        ranks = [levels[v] for v in table["interpretable"]]
        assert ranks == sorted(ranks)


def test_candidate_table_installed_flag_follows_the_packages():
    table = candidate_table().set_index(["task", "name"])
    for package, name in (("lightgbm", "LightGBM"), ("xgboost", "XGBoost")):
        installed = importlib.util.find_spec(package) is not None
        assert table.loc[("classification", name), "installed"] == installed


def test_candidate_table_rejects_unknown_task():
    with pytest.raises(ValueError, match="task"):
        candidate_table("clustering")


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_default_candidates_build_the_catalog_estimators(task):
    candidates = default_candidates(task, random_state=7)
    installed = candidate_table(task).query("installed")
    assert list(candidates) == list(installed["name"])
    check = is_classifier if task == "classification" else is_regressor
    for name, (estimator, entry) in candidates.items():
        assert check(estimator), name
        assert type(estimator).__name__ == entry.estimator
        params = estimator.get_params()
        for key, value in entry.params.items():
            assert params[key] == value
        if "random_state" in params:
            assert params["random_state"] == 7


def test_default_candidates_have_the_seed_parameters():
    candidates = default_candidates("classification")
    assert candidates["Decision tree"][0].max_depth == 5
    assert candidates["Random forest"][0].n_estimators == 100
    assert candidates["KNN (k=5)"][0].n_neighbors == 5
    assert candidates["SVM (RBF)"][0].kernel == "rbf"
    assert type(candidates["Gradient boosting"][0]).__name__ == (
        "HistGradientBoostingClassifier"
    )


def test_find_entry_by_class_and_task():
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVR

    assert find_entry(LogisticRegression(C=3)).name == "Logistic regression"
    assert find_entry(SVR(), "regression").needs_scaling
    assert find_entry(SVR(), "classification") is None
    assert find_entry(object()) is None


def test_catalog_names_are_unique_per_task():
    for task in ("classification", "regression"):
        names = [e.name for e in _CATALOG if e.task == task]
        assert len(names) == len(set(names))


@pytest.mark.parametrize(
    "task", ["classification", "binary_classification", "multiclass_classification"]
)
def test_filter_candidates_keeps_the_default_below_the_limits(task):
    assert filter_candidates(task, MAX_ROWS_SLOW_CANDIDATES, fast_only=False) == (
        "default",
        "",
    )


@pytest.mark.parametrize(
    "task, catalog_task",
    [
        ("binary_classification", "classification"),
        ("multiclass_classification", "classification"),
        ("classification", "classification"),
        ("regression", "regression"),
    ],
)
def test_filter_candidates_leaves_out_what_does_not_scale(task, catalog_task):
    n_rows = MAX_ROWS_SLOW_CANDIDATES + 1
    candidates, reason = filter_candidates(
        task, n_rows, fast_only=False, random_state=3
    )
    catalog = default_candidates(catalog_task)
    # a naive rule: SVM/SVR train in time quadratic in the rows, KNN predicts so
    slow = {
        name
        for name, (_, entry) in catalog.items()
        if entry.estimator in ("SVC", "SVR") or entry.estimator.startswith("KNeighbors")
    }
    assert slow and list(candidates) == [name for name in catalog if name not in slow]
    assert reason == (
        f"{n_rows:,} training rows: leaving out the candidates that do not scale "
        f"({', '.join(sorted(slow))})"
    )
    for estimator in candidates.values():
        if "random_state" in estimator.get_params():
            assert estimator.get_params()["random_state"] == 3


@pytest.mark.parametrize(
    "task, catalog_task",
    [("binary_classification", "classification"), ("regression", "regression")],
)
def test_filter_candidates_fast_only_keeps_the_fast_ones(task, catalog_task):
    candidates, reason = filter_candidates(task, 100, fast_only=True)
    table = candidate_table(catalog_task).query("installed")
    fast = table["training_speed"].isin(["Fast", "Very fast"]) & (
        table["prediction_speed"] != "Slow"
    )
    expected = list(table.loc[fast, "name"])
    assert list(candidates) == expected
    assert "Random forest" not in candidates and "KNN (k=5)" not in candidates
    assert reason == (
        f"time budget: racing the fast candidates only ({', '.join(expected)})"
    )


def test_filter_candidates_rejects_an_unknown_task():
    with pytest.raises(ValueError, match="task must be .* got 'clustering'"):
        filter_candidates("clustering", 10, fast_only=True)


# -- search spaces ---------------------------------------------------------------------
# The parameters each family searches (stage 6), by the estimator's own names.
SEARCHED = {
    "Decision tree": {"max_depth", "min_samples_leaf"},
    "Naive Bayes": {"var_smoothing"},
    "Logistic regression": {"C"},
    "Ridge": {"alpha"},
    "KNN (k=5)": {"n_neighbors", "weights"},
    "Random forest": {"max_features", "min_samples_leaf"},
    "Gradient boosting": {
        "max_leaf_nodes",
        "learning_rate",
        "l2_regularization",
        "min_samples_leaf",
    },
    "LightGBM": {
        "num_leaves",
        "learning_rate",
        "reg_lambda",
        "min_child_samples",
        "max_depth",
    },
    "XGBoost": {"max_depth", "learning_rate", "reg_lambda", "min_child_weight"},
    "SVM (RBF)": {"C", "gamma"},
    "SVR (RBF)": {"C", "gamma"},
}


@pytest.mark.parametrize("entry", _CATALOG, ids=lambda e: f"{e.task}-{e.name}")
def test_every_catalog_entry_has_a_search_space_on_its_own_parameters(entry):
    assert set(entry.search_space) == SEARCHED[entry.name]
    if not entry.available:
        pytest.skip(f"{entry.requires or entry.module} is not installed")
    estimator = entry.build(random_state=0)
    space = check_space(entry.search_space, estimator, entry.name)
    # every sampled configuration is accepted by the estimator and in the space
    for params, point in sample_configurations(space, auto_n_configs(space), 0):
        estimator.set_params(**params)
        assert ((point >= 0) & (point <= 1)).all()
        for param, value in params.items():
            values = space[param]
            if isinstance(values, tuple):
                assert value in values
            else:
                low, high = values.support()
                assert low <= value <= high


def test_candidate_table_shows_each_search_space_as_text():
    table = candidate_table("classification").set_index("name")
    assert table.loc["Logistic regression", "search_space"] == (
        "C: log-uniform on [0.001, 100]"
    )
    assert table.loc["KNN (k=5)", "search_space"] == (
        "n_neighbors: integers in [3, 50]; weights: one of 'uniform', 'distance'"
    )
    for name, text in table["search_space"].items():
        assert all(param in text for param in SEARCHED[name])


def test_auto_n_configs_grows_with_the_space_between_4_and_8():
    sizes = {
        entry.name: auto_n_configs(entry.search_space)
        for entry in _CATALOG
        if entry.task == "classification"
    }
    assert sizes["Logistic regression"] == sizes["Naive Bayes"] == 4
    assert sizes["Random forest"] == sizes["SVM (RBF)"] == 4
    assert sizes["Gradient boosting"] == sizes["LightGBM"] == 8
    assert set(sizes.values()) <= set(range(4, 9))


def test_sample_configurations_is_reproducible_and_spreads_over_the_space():
    space = find_entry(LogisticRegression()).search_space  # C only
    first = sample_configurations(space, 8, seed=3)
    again = sample_configurations(space, 8, seed=3)
    other = sample_configurations(space, 8, seed=4)
    assert [c for c, _ in first] == [c for c, _ in again]
    assert [c for c, _ in first] != [c for c, _ in other]
    # a low-discrepancy sample: one point in each eighth of the quantile range
    points = np.sort([p[0] for _, p in first])
    assert (np.floor(points * 8) == np.arange(8)).all()
