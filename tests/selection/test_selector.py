import pickle
import re
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_wine,
    make_classification,
    make_regression,
)
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import FitFailedWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import balanced_accuracy_score, get_scorer
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import sklearn_workflow
from sklearn_workflow.problem import infer_task
from sklearn_workflow.selection import ModelSelector
from sklearn_workflow.selection._catalog import find_entry
from sklearn_workflow.selection._racing import (
    make_blocks,
    racing_drops,
    rung0_keep,
    subsample_rows,
)


def _clf_data(seed=0, n=240, weights=None):
    return make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        weights=weights,
        random_state=seed,
    )


def _candidates():
    return {
        "logit": LogisticRegression(),
        "tree": DecisionTreeClassifier(max_depth=3, random_state=0),
    }


# -- the comparison equals a naive loop ------------------------------------------------
def test_fold_scores_equal_a_naive_cross_val_score_loop(global_random_seed):
    X, y = _clf_data(global_random_seed)
    cv = StratifiedKFold(4, shuffle=True, random_state=global_random_seed)
    selector = ModelSelector(_candidates(), cv=cv, scoring="accuracy").fit(X, y)
    expected = {
        # preprocessing="auto": logistic regression is imputed and scaled.
        "logit": make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
            LogisticRegression(),
        ),
        "tree": DecisionTreeClassifier(max_depth=3, random_state=0),
        "Baseline": DummyClassifier(strategy="prior"),
    }
    results = selector.results_.set_index("name")
    for name, estimator in expected.items():
        scores = cross_val_score(estimator, X, y, cv=cv, scoring="accuracy")
        folds = results.loc[name, [f"fold_{i}" for i in range(1, 5)]]
        np.testing.assert_allclose(folds.to_numpy(dtype=float), scores)
        assert results.loc[name, "mean_accuracy"] == pytest.approx(scores.mean())
        assert results.loc[name, "std_accuracy"] == pytest.approx(scores.std())
    base = results.loc["Baseline", "mean_accuracy"]
    for name in ("logit", "tree"):
        gain = results.loc[name, "mean_accuracy"] - base
        assert results.loc[name, "improvement"] == pytest.approx(gain)
        assert results.loc[name, "improvement_pct"] == pytest.approx(100 * gain / base)
    best = max(("logit", "tree"), key=lambda n: results.loc[n, "mean_accuracy"])
    assert selector.best_name_ == best
    assert selector.best_score_ == pytest.approx(results.loc[best, "mean_accuracy"])
    assert list(selector.results_["rank"]) == [1, 2, 3]


def test_results_are_sorted_by_mean_and_cv_results_agree():
    X, y = _clf_data(1)
    candidates = {**_candidates(), "nb": GaussianNB()}
    selector = ModelSelector(candidates, cv=3, random_state=0).fit(X, y)
    means = selector.results_["mean_accuracy"].to_numpy()
    assert np.all(np.diff(means) <= 0)
    cv_results = selector.cv_results_
    assert list(cv_results["candidate"]) == ["logit", "tree", "nb", "Baseline"]
    for i, name in enumerate(cv_results["candidate"]):
        row = selector.results_.set_index("name").loc[name]
        folds = [cv_results[f"split{k}_test_accuracy"][i] for k in range(3)]
        np.testing.assert_allclose(
            folds, row[["fold_1", "fold_2", "fold_3"]].astype(float)
        )
        assert cv_results["rank_test_accuracy"][i] == row["rank"]
    assert set(cv_results["status"]) == {"completed", "baseline"}


def test_one_se_picks_the_first_candidate_within_one_standard_error(
    global_random_seed,
):
    X, y = _clf_data(global_random_seed, n=200)
    candidates = {
        "stump": DecisionTreeClassifier(max_depth=1, random_state=0),
        "tree": DecisionTreeClassifier(max_depth=3, random_state=0),
        "knn": KNeighborsClassifier(),
        "logit": LogisticRegression(),
    }
    selector = ModelSelector(candidates, cv=5, selection="one_se", random_state=0)
    selector.fit(X, y)
    results = selector.results_.set_index("name")
    folds = results[[f"fold_{i}" for i in range(1, 6)]].to_numpy(dtype=float)
    means = folds.mean(axis=1)
    names = list(results.index)
    # naive reference: best mean, its standard error, first in the dict's order
    top = names[int(np.argmax(np.where(np.array(names) == "Baseline", -1, means)))]
    top_folds = results.loc[top, [f"fold_{i}" for i in range(1, 6)]].astype(float)
    se = top_folds.std(ddof=1) / np.sqrt(5)
    expected = next(
        name
        for name in candidates
        if results.loc[name, "mean_accuracy"] >= results.loc[top, "mean_accuracy"] - se
    )
    assert selector.best_name_ == expected
    assert selector.results_["name"].iloc[0] == expected
    assert selector.results_["rank"].iloc[0] == 1


# -- task and scoring ------------------------------------------------------------------
@pytest.mark.parametrize(
    "weights, expected",
    [(None, "accuracy"), ([0.6, 0.4], "accuracy"), ([0.8, 0.2], "balanced_accuracy")],
)
def test_default_scoring_depends_on_class_balance(weights, expected):
    X, y = _clf_data(0, n=300, weights=weights)
    selector = ModelSelector(_candidates(), cv=3, random_state=0).fit(X, y)
    assert selector.scorer_names_ == [expected]
    assert f"mean_{expected}" in selector.results_.columns


def test_default_scoring_balanced_accuracy_matches_sklearn():
    X, y = _clf_data(0, n=300, weights=[0.85, 0.15])
    cv = KFold(3, shuffle=True, random_state=0)
    selector = ModelSelector({"tree": DecisionTreeClassifier(random_state=0)}, cv=cv)
    selector.fit(X, y)
    row = selector.results_.set_index("name").loc["tree"]
    for k, (train, test) in enumerate(cv.split(X, y)):
        model = DecisionTreeClassifier(random_state=0).fit(X[train], y[train])
        expected = balanced_accuracy_score(y[test], model.predict(X[test]))
        assert row[f"fold_{k + 1}"] == pytest.approx(expected)


def test_regression_task_uses_r2_and_the_regression_catalog():
    X, y = make_regression(n_samples=150, n_features=5, noise=5, random_state=0)
    selector = ModelSelector(
        {"ridge": Ridge(), "tree": DecisionTreeRegressor(max_depth=3)},
        cv=3,
        random_state=0,
    ).fit(X, y)
    assert selector.task_ == "regression"
    assert selector.scorer_names_ == ["r2"]
    assert selector.best_name_ == "ridge"
    assert not hasattr(selector, "classes_")
    assert selector.results_.set_index("name").loc["Baseline", "mean_r2"] < 0.05


def test_multiple_scorers_are_reported_and_the_first_selects():
    X, y = _clf_data(2)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    selector = ModelSelector(
        _candidates(), scoring=["neg_log_loss", "accuracy"], cv=cv
    ).fit(X, y)
    assert selector.scorer_names_ == ["neg_log_loss", "accuracy"]
    results = selector.results_.set_index("name")
    assert {"mean_neg_log_loss", "mean_accuracy", "std_accuracy"} <= set(
        results.columns
    )
    # the fold columns hold the primary score
    pipe = make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(),
    )
    expected = cross_validate(pipe, X, y, cv=cv, scoring=["neg_log_loss", "accuracy"])
    np.testing.assert_allclose(
        results.loc["logit", ["fold_1", "fold_2", "fold_3"]].astype(float),
        expected["test_neg_log_loss"],
    )
    assert results.loc["logit", "mean_accuracy"] == pytest.approx(
        expected["test_accuracy"].mean()
    )
    best = results.drop("Baseline")["mean_neg_log_loss"].idxmax()
    assert selector.best_name_ == best


def test_scoring_dict_and_callable():
    X, y = _clf_data(3)
    selector = ModelSelector(
        _candidates(), scoring={"acc": get_scorer("accuracy"), "f1": "f1"}, cv=3
    ).fit(X, y)
    assert selector.scorer_names_ == ["acc", "f1"]

    def minus_tree_depth(estimator, X, y):
        return -float(getattr(estimator, "max_depth", 0) or 0)

    selector = ModelSelector(
        _candidates(), scoring=minus_tree_depth, cv=3, baseline=False
    ).fit(X, y)
    assert selector.scorer_names_ == ["score"]
    assert selector.best_name_ == "logit"


@pytest.mark.parametrize(
    "y, task",
    [
        (np.array([0, 1] * 30), "classification"),
        (np.array(["a", "b", "c"] * 20), "classification"),
        (np.linspace(0, 1, 60), "regression"),
        (np.arange(60) % 5 * 1.0, "classification"),  # float class labels
        (np.arange(60) % 30 + 25.0, "regression"),  # integer-valued amounts
        (np.arange(60) % 21, "regression"),  # counts: 21 distinct values
        (np.arange(60) % 20, "classification"),
        (np.arange(60) * 1_000 + 30_000, "regression"),  # a salary in integers
        (np.array([f"city {i % 30}" for i in range(60)]), "classification"),
        (np.arange(60) % 3 == 0, "classification"),  # booleans
    ],
)
# many classes on few rows: the tree warns that y could be a regression target
@pytest.mark.filterwarnings("ignore:The number of unique classes:UserWarning")
def test_task_from_the_target(y, task):
    X = np.random.default_rng(0).normal(size=(60, 3))
    # candidates="default" reads the task from y; a tiny catalog stand-in keeps
    # the test fast: the task is resolved before any candidate is built.
    selector = ModelSelector(cv=2, random_state=0)
    assert selector._resolve_task(y) == task
    # the package's one rule decides
    assert (infer_task(y) == "regression") == (task == "regression")
    candidates = {"tree": (DecisionTreeClassifier if task == "classification"
                           else DecisionTreeRegressor)(max_depth=2)}  # fmt: skip
    selector = ModelSelector(candidates, cv=2, random_state=0).fit(X, y)
    assert selector.task_ == task
    if task == "classification":
        np.testing.assert_array_equal(selector.classes_, np.unique(y))
        assert set(selector.predict(X)) <= set(np.unique(y))


@pytest.mark.parametrize(
    "task", ["multiclass_classification", "binary_classification", "classification"]
)
def test_task_parameter_in_either_vocabulary(task):
    from sklearn.base import is_classifier

    assert is_classifier(ModelSelector(task=task))
    X = np.random.default_rng(0).normal(size=(100, 3))
    # 25 integer labels: "auto" reads them as regression, the parameter as classes
    n_classes = 2 if task == "binary_classification" else 25
    y = np.arange(100) % n_classes
    candidates = {"tree": DecisionTreeClassifier(max_depth=2, random_state=0)}
    selector = ModelSelector(candidates, cv=2, task=task, random_state=0).fit(X, y)
    assert selector.task_ == "classification"
    np.testing.assert_array_equal(selector.classes_, np.arange(n_classes))
    auto = ModelSelector({"tree": DecisionTreeRegressor()}, cv=2).fit(
        X, np.arange(100) % 25
    )
    assert auto.task_ == "regression"


def test_task_binary_classification_refuses_three_classes():
    X = np.random.default_rng(0).normal(size=(60, 3))
    selector = ModelSelector(
        {"tree": DecisionTreeClassifier()}, cv=2, task="binary_classification"
    )
    with pytest.raises(
        ValueError, match=r"task='binary_classification' needs .* got 3 classes"
    ):
        selector.fit(X, np.arange(60) % 3)


def test_task_parameter_sets_the_estimator_type_before_fit():
    from sklearn.base import is_classifier, is_regressor

    assert not is_classifier(ModelSelector()) and not is_regressor(ModelSelector())
    assert is_classifier(ModelSelector(task="classification"))
    assert is_regressor(ModelSelector(task="regression"))
    assert is_classifier(ModelSelector(_candidates()))
    # an integer count target, read as regression because the task says so
    X = np.random.default_rng(0).normal(size=(60, 3))
    y = np.arange(60) % 7
    selector = ModelSelector({"tree": DecisionTreeRegressor()}, cv=3).fit(X, y)
    assert selector.task_ == "regression" and selector.scorer_names_ == ["r2"]


# -- preprocessing and sampler ------------------------------------------------------
def test_preprocessing_auto_wraps_each_candidate_by_its_needs():
    X, y = _clf_data(4)
    X[::17, 0] = np.nan
    candidates = {
        "logit": LogisticRegression(),
        "knn": KNeighborsClassifier(),
        "tree": DecisionTreeClassifier(max_depth=3),
        "nb": GaussianNB(),
    }
    selector = ModelSelector(candidates, cv=3, random_state=0, refit=False).fit(X, y)
    wrapped = {name: est for name, est, _ in selector._candidate_list(0)}
    steps = {
        name: [s for s, _ in est.steps] if isinstance(est, Pipeline) else []
        for name, est in wrapped.items()
    }
    assert steps["logit"] == ["impute", "scale", "model"]
    assert steps["knn"] == ["impute", "scale", "model"]
    assert steps["tree"] == []  # decision trees take NaN as they are
    assert steps["nb"] == ["impute", "model"]
    assert steps["Baseline"] == []
    assert (selector.results_["status"] != "failed").all()


def test_preprocessing_none_uses_candidates_as_given():
    X, y = _clf_data(5)
    selector = ModelSelector(_candidates(), preprocessing=None, cv=3)
    selector.fit(X, y)
    wrapped = {name: est for name, est, _ in selector._candidate_list(0)}
    assert isinstance(wrapped["logit"], LogisticRegression)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        selector.fit(X, y)


class _RecordingUnderSampler(BaseEstimator):
    """Keeps one row in two of the majority class, records what it saw."""

    seen = []

    def fit_resample(self, X, y):
        type(self).seen.append(len(y))
        keep = np.ones(len(y), dtype=bool)
        majority = np.flatnonzero(y == np.bincount(y).argmax())
        keep[majority[::2]] = False
        return X[keep], y[keep]


def test_sampler_resamples_training_folds_only():
    X, y = _clf_data(6, n=300, weights=[0.8, 0.2])
    sizes = []

    def n_scored(estimator, X, y):
        sizes.append(len(y))
        return 0.0

    _RecordingUnderSampler.seen = []
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    selector = ModelSelector(
        {"tree": DecisionTreeClassifier(max_depth=2)},
        sampler=_RecordingUnderSampler(),
        scoring=n_scored,
        cv=cv,
        baseline=False,
    ).fit(X, y)
    train_sizes = [len(train) for train, _ in cv.split(X, y)]
    test_sizes = [len(test) for _, test in cv.split(X, y)]
    # the sampler saw the three training folds, then the whole data at refit
    assert _RecordingUnderSampler.seen == [*train_sizes, len(y)]
    assert sizes == test_sizes  # validation folds are scored whole
    assert type(selector.best_estimator_).__module__.startswith("imblearn")


def test_sampler_with_imbalanced_learn():
    from imblearn.under_sampling import RandomUnderSampler

    X, y = _clf_data(7, n=300, weights=[0.85, 0.15])
    selector = ModelSelector(
        _candidates(), sampler=RandomUnderSampler(random_state=0), cv=3
    ).fit(X, y)
    assert selector.results_["status"].isin(["completed", "baseline"]).all()


# -- failures ------------------------------------------------------------------------
class _FailingClassifier(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        raise RuntimeError("boom")

    def predict(self, X):
        return np.zeros(len(X))


def test_a_failing_candidate_is_recorded_not_fatal():
    X, y = _clf_data(8)
    candidates = {**_candidates(), "broken": _FailingClassifier()}
    with pytest.warns(FitFailedWarning, match="broken.*boom"):
        selector = ModelSelector(candidates, cv=3).fit(X, y)
    row = selector.results_.set_index("name").loc["broken"]
    assert row["status"] == "failed"
    assert "RuntimeError: boom" in row["error"]
    assert np.isnan(row["mean_accuracy"])
    # the failed candidate ranks last, before the baseline
    assert selector.results_["name"].tolist()[-2:] == ["broken", "Baseline"]
    assert selector.best_name_ in ("logit", "tree")


def test_numeric_error_score_is_used_for_failed_folds():
    X, y = _clf_data(8)
    candidates = {"broken": _FailingClassifier(), "tree": DecisionTreeClassifier()}
    with pytest.warns(FitFailedWarning):
        selector = ModelSelector(candidates, cv=3, error_score=-1.0).fit(X, y)
    row = selector.results_.set_index("name").loc["broken"]
    assert row["mean_accuracy"] == -1.0 and row["status"] == "failed"


def test_error_score_raise_raises():
    X, y = _clf_data(8)
    with pytest.raises(RuntimeError, match="boom"):
        ModelSelector({"broken": _FailingClassifier()}, error_score="raise").fit(X, y)


def test_all_candidates_failing_lists_each_exception():
    X, y = _clf_data(8)
    candidates = {"a": _FailingClassifier(), "b": _FailingClassifier()}
    with pytest.warns(FitFailedWarning):
        with pytest.raises(ValueError, match=r"failed.*a: fold 1.*boom.*b: fold 1"):
            ModelSelector(candidates, cv=3).fit(X, y)


@pytest.mark.parametrize(
    "params, err_type, err_msg",
    [
        ({"candidates": {}}, ValueError, "candidates must not be empty, got {}"),
        ({"candidates": {"x": 3}}, TypeError, r"candidates\['x'\] must be an"),
        (
            {"candidates": {"Baseline": LogisticRegression()}},
            ValueError,
            "'Baseline' is reserved",
        ),
        ({"cv": 1}, ValueError, "'cv' parameter of ModelSelector"),
        ({"scoring": ["accuracy", 3]}, ValueError, "must hold scorer names"),
        ({"scoring": {}}, ValueError, "at least one scorer"),
        ({"strategy": "halving"}, ValueError, "strategy"),
        ({"selection": "worst"}, ValueError, "selection"),
        ({"racing_params": 0.25}, ValueError, "racing_params"),
        (
            {"racing_params": {"subsmaple": 0.5}},
            ValueError,
            r"unknown keys \['subsmaple'\].*got \{'subsmaple': 0.5\}",
        ),
        (
            {"racing_params": {"subsample": 1.0}},
            ValueError,
            r"racing_params\['subsample'\] must be a float in \(0, 1\).*got 1.0",
        ),
        (
            {"racing_params": {"keep": 0}},
            ValueError,
            r"racing_params\['keep'\] must be an int >= 1, got 0",
        ),
        (
            {"racing_params": {"tolerance": -1.0}},
            ValueError,
            r"racing_params\['tolerance'\] must be a float >= 0, got -1.0",
        ),
        (
            {"racing_params": {"min_rows": 2.5}},
            ValueError,
            r"racing_params\['min_rows'\] must be an int >= 0, got 2.5",
        ),
        (
            {"racing_params": {"budget": 0}},
            ValueError,
            r"racing_params\['budget'\] must be a float > 0 or None, got 0",
        ),
        ({"time_budget": 0}, ValueError, "time_budget"),
        ({"time_budget": "60"}, ValueError, "time_budget"),
        ({"search": "grid"}, ValueError, "search"),
        ({"prefer_proba": "yes"}, ValueError, "prefer_proba"),
        ({"search": "random", "n_configs": 0}, ValueError, "n_configs"),
        (
            {"search": "random", "search_spaces": {"forest": {}}},
            ValueError,
            r"search_spaces names \['forest'\], which are not candidates",
        ),
        (
            {"search": "random", "search_spaces": {"logit": {"alpha": [1.0]}}},
            ValueError,
            "names 'alpha', which is not a parameter of LogisticRegression",
        ),
        (
            {"search": "random", "search_spaces": {"logit": {"C": []}}},
            ValueError,
            r"search_spaces\['logit'\]\['C'\] must be a scipy.stats distribution",
        ),
        (
            {"search": "random", "search_spaces": {"logit": [("C", [1.0])]}},
            ValueError,
            r"search_spaces\['logit'\] must be a dict",
        ),
    ],
)
def test_invalid_parameters(params, err_type, err_msg):
    X, y = _clf_data(9)
    params = {"candidates": _candidates(), **params}
    with pytest.raises(err_type, match=err_msg):
        ModelSelector(**params).fit(X, y)


def test_classifier_candidates_on_a_continuous_target_and_one_class():
    X, y = _clf_data(9)
    with pytest.raises(ValueError, match="Unknown label type"):
        ModelSelector(_candidates()).fit(X, y + 0.5)
    with pytest.raises(ValueError, match="at least two classes in y, got 1 class"):
        ModelSelector(_candidates(), task="classification").fit(X, np.zeros(len(y)))


# -- racing ----------------------------------------------------------------------------
def _naive_racing_statistic(fold_scores, block_scores, leader, c, ratio):
    diffs = [
        fold_scores[leader][f] - fold_scores[c][f] for f in range(len(fold_scores[0]))
    ]
    within, dof = [], 0
    for blocks in block_scores:
        d = [blocks[leader][b] - blocks[c][b] for b in range(len(blocks[0]))]
        within.append(np.var(d, ddof=1) / len(d))
        dof += len(d) - 1
    s2 = np.mean(within)
    if len(diffs) > 1:
        s2 = max(s2, np.var(diffs, ddof=1))
    return np.mean(diffs) / np.sqrt(s2 * (1 / len(diffs) + ratio)), dof


def test_racing_drops_matches_a_naive_paired_test(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n_alive, k, n_blocks = 5, 3, 8
    shift = np.array([0.0, -0.02, -0.2, 0.01, -0.05])[:, None]
    block_scores = [
        0.8 + shift + rng.normal(0, 0.05, size=(n_alive, n_blocks)) for _ in range(k)
    ]
    fold_scores = np.stack([b.mean(axis=1) for b in block_scores], axis=1)
    drop, statistic = racing_drops(
        fold_scores, block_scores, test_train_ratio=0.25, n_looks=4, n_compared=6
    )
    leader = int(np.argmax(fold_scores.mean(axis=1)))
    assert statistic[leader] == 0 and not drop[leader]
    alpha = 0.05 / (6 * 4)
    for c in range(n_alive):
        if c == leader:
            continue
        expected, dof = _naive_racing_statistic(
            fold_scores, block_scores, leader, c, 0.25
        )
        assert statistic[c] == pytest.approx(expected)
        assert drop[c] == (expected > stats.t.ppf(1 - alpha, dof))
    assert drop[2]  # 0.2 behind on every block of three folds


def test_racing_never_drops_without_evidence():
    # equal candidates: identical scores on every block, nothing is dropped
    blocks = [np.tile(np.linspace(0.5, 0.9, 6), (3, 1)) for _ in range(2)]
    folds = np.stack([b.mean(axis=1) for b in blocks], axis=1)
    drop, _ = racing_drops(
        folds, blocks, test_train_ratio=0.25, n_looks=4, n_compared=2
    )
    assert not drop.any()
    # folds that could not be cut into blocks give no evidence either
    drop, statistic = racing_drops(
        folds, [np.empty(0), np.empty(0)], test_train_ratio=0.25, n_looks=4,
        n_compared=2,
    )  # fmt: skip
    assert not drop.any() and np.isnan(statistic[1:]).all()


@pytest.mark.parametrize("classification", [True, False])
def test_make_blocks_partition_the_fold(classification, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    y = rng.integers(0, 3, size=95) if classification else rng.normal(size=95)
    blocks = make_blocks(y, classification, seed=global_random_seed)
    assert len(blocks) == 10
    np.testing.assert_array_equal(np.sort(np.concatenate(blocks)), np.arange(95))
    if classification:
        for block in blocks:
            assert set(y[block]) == set(y)
    again = make_blocks(y, classification, seed=global_random_seed)
    assert all(np.array_equal(a, b) for a, b in zip(blocks, again))
    assert make_blocks(np.array([0, 0, 0, 1]), True) == []  # a class with one row


def _racing_problem(seed):
    X, y = make_classification(
        n_samples=600, n_features=8, n_informative=5, class_sep=1.5, random_state=seed
    )
    candidates = {
        "logit": LogisticRegression(),
        "tree": DecisionTreeClassifier(max_depth=4, random_state=0),
        # clearly behind: predicts the majority class
        "constant": DummyClassifier(strategy="most_frequent"),
        # clearly behind: a stump on a single noisy feature
        "stump": DecisionTreeClassifier(max_depth=1, random_state=0),
    }
    return X, y, candidates


def test_racing_drops_clear_losers_and_keeps_the_full_winner(global_random_seed):
    X, y, candidates = _racing_problem(global_random_seed)
    kwargs = {"cv": 5, "random_state": global_random_seed}
    full = ModelSelector(candidates, **kwargs).fit(X, y)
    # the sequential test alone (no subsample rung, no budget: fit times vary)
    race = ModelSelector(
        candidates,
        strategy="racing",
        racing_params={"subsample": None, "budget": None},
        **kwargs,
    ).fit(X, y)
    status = race.results_.set_index("name")["status"]
    assert status["constant"] == "dropped at fold 1"
    assert status["Baseline"] == "baseline"
    assert race.best_name_ == full.best_name_
    assert race.best_score_ == pytest.approx(full.best_score_)
    # the folds a dropped candidate ran are scored exactly as in "full"
    for name, row in race.results_.set_index("name").iterrows():
        full_row = full.results_.set_index("name").loc[name]
        k = row["n_folds"]
        folds = [f"fold_{i}" for i in range(1, 6)]
        np.testing.assert_allclose(
            row[folds[:k]].astype(float), full_row[folds[:k]].astype(float)
        )
        assert row[folds[k:]].isna().all()
    dropped = race.results_[race.results_["status"].str.startswith("dropped")]
    assert (
        dropped["rank"] > race.results_.query("status == 'completed'")["rank"].max()
    ).all()
    assert race.results_["fit_time"].sum() > 0


# -- racing, rung 0 ----------------------------------------------------------------
def test_subsample_rows_is_a_stratified_subset(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    y_all = rng.choice([0, 1, 2], size=400, p=[0.7, 0.25, 0.05])
    train = np.sort(rng.choice(400, size=300, replace=False))
    rows = subsample_rows(
        train, y_all[train], 0.25, classification=True, seed=global_random_seed
    )
    assert np.isin(rows, train).all()
    assert np.unique(rows).shape == rows.shape
    for k in (0, 1, 2):
        n_k = int((y_all[train] == k).sum())
        expected = min(n_k, max(2, int(np.ceil(0.25 * n_k))))
        assert int((y_all[rows] == k).sum()) == expected
    # regression: a plain share of the rows
    rows = subsample_rows(train, y_all[train] + 0.5, 0.25, classification=False)
    assert rows.shape[0] == int(np.ceil(0.25 * 300))
    assert np.isin(rows, train).all()
    # nothing to gain: the training fold itself
    small = np.arange(4)
    assert subsample_rows(small, np.array([0, 0, 1, 1]), 0.5, True) is small


def test_rung0_keep_matches_a_naive_rule(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    scores = rng.normal(0.8, 0.05, size=(7, 5)) + np.linspace(0, 0.2, 7)[:, None]
    scores[3, 2] = np.nan  # a failed rung-0 fold: that candidate goes on
    go_on, margin, over_budget = rung0_keep(scores, keep=2, tolerance=1.0)
    assert not over_budget.any()  # no budget
    means = [row.mean() if np.isfinite(row).all() else -np.inf for row in scores]
    leader = int(np.argmax(means))
    expected_margin = np.std(scores[leader], ddof=1)
    assert margin == pytest.approx(expected_margin)
    second = sorted(means, reverse=True)[1]
    for c in range(7):
        expected = (
            means[c] >= second
            or not np.isfinite(scores[c]).all()
            or means[c] >= means[leader] - expected_margin
        )
        assert go_on[c] == expected
    # tolerance 0 and keep 1: only the leader (and the failed one)
    go_on, _, _ = rung0_keep(scores, keep=1, tolerance=0.0)
    assert set(np.flatnonzero(go_on)) == {leader, 3}
    # a tie with the last kept goes on too
    tied = np.array([[0.9, 0.8], [0.7, 0.6], [0.6, 0.7], [0.5, 0.5]])
    go_on, _, _ = rung0_keep(tied, keep=2, tolerance=0.0)
    np.testing.assert_array_equal(go_on, [True, True, True, False])
    # the spread can be given (one fold: the leader's block estimate)
    go_on, margin, _ = rung0_keep(tied[:, :1], keep=1, tolerance=1.0, spread=0.25)
    assert margin == 0.25
    np.testing.assert_array_equal(go_on, [True, True, False, False])


def test_rung0_budget_matches_a_naive_greedy_rule(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n = 9
    scores = rng.normal(0.8, 0.02, size=(n, 3))
    scores[4, 1] = np.nan  # failed at rung 0: goes on whatever the budget
    cost = rng.uniform(0.1, 3.0, size=n)
    spent, full_cost = 2.0, 5 * cost.sum()
    for budget in (0.02, 0.1, 0.3, 0.5, 1.0):
        go_on, _, over = rung0_keep(
            scores,
            keep=4,
            tolerance=1.0,
            spent=spent,
            cost_to_go=cost,
            full_cost=full_cost,
            budget=budget,
        )
        eligible, _, _ = rung0_keep(scores, keep=4, tolerance=1.0)
        means = np.where(np.isfinite(scores).all(axis=1), scores.mean(axis=1), -np.inf)
        leader = int(np.argmax(means))
        # naive: the leader and the failed one, then by rung-0 mean while it fits
        expected = {leader, 4}
        planned = spent + cost[leader] + cost[4]
        # an expensive leader: the others may add budget x its cost
        limit = max(budget * full_cost, planned + budget * cost[leader])
        for c in sorted(range(n), key=lambda c: -means[c]):
            if c in expected or not eligible[c]:
                continue
            if planned + cost[c] <= limit:
                expected.add(c)
                planned += cost[c]
        assert set(np.flatnonzero(go_on)) == expected
        assert set(np.flatnonzero(over)) == set(np.flatnonzero(eligible)) - expected
    # budget None, or a budget that covers everything: all the eligible go on
    go_on, _, over = rung0_keep(
        scores, keep=4, tolerance=1.0, spent=0.0, cost_to_go=cost,
        full_cost=full_cost, budget=1.0,
    )  # fmt: skip
    np.testing.assert_array_equal(go_on, eligible)
    assert not over.any()


def _slow_noise_forest():
    # expensive and clearly bad: a forest that only sees the last column, which
    # make_classification(shuffle=False) fills with noise
    return make_pipeline(
        FunctionTransformer(lambda X: X[:, -1:]),
        RandomForestClassifier(n_estimators=60, random_state=0),
    )


def _noise_forest_problem(seed):
    X, y = make_classification(
        n_samples=800,
        n_features=8,
        n_informative=5,
        class_sep=1.5,
        shuffle=False,
        random_state=seed,
    )
    candidates = {
        "logit": LogisticRegression(),
        "tree": DecisionTreeClassifier(max_depth=4, random_state=0),
        "knn": KNeighborsClassifier(),
        "noise forest": _slow_noise_forest(),
    }
    return X, y, candidates


def test_racing_drops_a_bad_expensive_candidate_at_rung_0(global_random_seed):
    X, y, candidates = _noise_forest_problem(global_random_seed)
    kwargs = {"cv": 5, "random_state": global_random_seed}
    full = ModelSelector(candidates, **kwargs).fit(X, y)
    # min_rows=0: rung 0 on subsamples even of these small folds
    race = ModelSelector(
        candidates,
        strategy="racing",
        racing_params={"keep": 2, "min_rows": 0},
        **kwargs,
    ).fit(X, y)
    row = race.results_.set_index("name").loc["noise forest"]
    assert row["status"] == "dropped at rung 0"
    # no full-size fold: no fit time, and where it stopped instead
    assert row["n_folds"] == 0 and np.isnan(row["fit_time"])
    assert re.fullmatch(r"rung 0 \(\d+ rows\)", row["stopped_at"])
    assert np.isnan(row["mean_accuracy"])
    assert row[[f"fold_{f}" for f in range(1, 6)]].isna().all()
    # its rung-0 cost is measured, and below its full-size cost
    assert 0 < row["rung0_fit_time"]
    full_time = full.results_.set_index("name").loc["noise forest", "fit_time"]
    assert row["rung0_fit_time"] < full_time
    assert 0.4 < row["rung0_mean"] < 0.65
    assert race.results_.iloc[-2]["name"] in ("noise forest", "tree")
    assert race.results_.iloc[-1]["name"] == "Baseline"
    assert race.best_name_ == full.best_name_


def test_small_folds_screen_on_the_first_full_size_fold(global_random_seed, capsys):
    # 800 rows: a quarter of a training fold is 160 rows, under min_rows=500, so
    # rung 0 is the first full-size fold, whose scores are kept
    X, y, candidates = _noise_forest_problem(global_random_seed)
    kwargs = {"cv": 5, "random_state": global_random_seed}
    full = ModelSelector(candidates, **kwargs).fit(X, y)
    race = ModelSelector(candidates, strategy="racing", verbose=1, **kwargs).fit(X, y)
    rows = race.results_.set_index("name")
    row = rows.loc["noise forest"]
    assert row["status"] == "dropped at fold 1"
    assert row["n_folds"] == 1 and row["fit_time"] > 0
    assert (
        row["fold_1"] == full.results_.set_index("name").loc["noise forest", "fold_1"]
    )
    assert rows["rung0_mean"].isna().all() and (rows["rung0_fit_time"] == 0).all()
    assert race.best_name_ == full.best_name_
    assert re.search(
        r"noise forest dropped after fold 1: more than 0\.\d{4} behind the leader",
        capsys.readouterr().out,
    )


def _sleep_then_pass(X):
    time.sleep(0.03)
    return X


def test_racing_budget_stops_an_expensive_tie(global_random_seed, capsys):
    # "slow logit" scores exactly as "logit" (a tie) but costs far more to fit
    X, y = make_classification(
        n_samples=300,
        n_features=6,
        n_informative=4,
        class_sep=2.0,
        random_state=global_random_seed,
    )
    candidates = {
        "logit": LogisticRegression(),
        "slow logit": make_pipeline(
            FunctionTransformer(_sleep_then_pass), LogisticRegression()
        ),
        "stump": DecisionTreeClassifier(max_depth=1, random_state=0),
    }
    kwargs = {
        "strategy": "racing",
        "preprocessing": None,
        "cv": 5,
        "random_state": global_random_seed,
    }
    race = ModelSelector(candidates, verbose=1, **kwargs).fit(X, y)
    rows = race.results_.set_index("name")
    assert rows.loc["slow logit", "status"] == "dropped at fold 1 (budget)"
    assert rows.loc["slow logit", "fold_1"] == rows.loc["logit", "fold_1"]
    assert rows.loc["logit", "status"] == "completed"
    assert race.best_name_ == "logit"
    out = capsys.readouterr().out
    assert "slow logit dropped after fold 1: its projected fit time is over" in out
    # without a budget the tie goes on, and its folds are those of "full"
    free = ModelSelector(candidates, racing_params={"budget": None}, **kwargs).fit(X, y)
    free_rows = free.results_.set_index("name")
    assert free_rows.loc["slow logit", "status"] == "completed"
    np.testing.assert_array_equal(
        free_rows.loc["slow logit", [f"fold_{f}" for f in range(1, 6)]].astype(float),
        free_rows.loc["logit", [f"fold_{f}" for f in range(1, 6)]].astype(float),
    )
    assert rows["fit_time"].sum() < 0.5 * free_rows["fit_time"].sum()


@pytest.mark.parametrize(
    "loader, candidates",
    [
        (
            load_breast_cancer,
            {
                "logit": LogisticRegression(max_iter=500),
                "tree": DecisionTreeClassifier(max_depth=5, random_state=0),
                "nb": GaussianNB(),
                "knn": KNeighborsClassifier(),
                "forest": RandomForestClassifier(n_estimators=30, random_state=0),
                "hgb": HistGradientBoostingClassifier(max_iter=30, random_state=0),
            },
        ),
        (
            load_wine,
            {
                "logit": LogisticRegression(max_iter=500),
                "tree": DecisionTreeClassifier(max_depth=5, random_state=0),
                "nb": GaussianNB(),
                "knn": KNeighborsClassifier(),
                "forest": RandomForestClassifier(n_estimators=30, random_state=0),
                "svm": SVC(),
            },
        ),
        (
            load_diabetes,
            {
                "ridge": Ridge(),
                "tree": DecisionTreeRegressor(max_depth=5, random_state=0),
                "forest": RandomForestRegressor(n_estimators=30, random_state=0),
                "hgb": HistGradientBoostingRegressor(max_iter=30, random_state=0),
            },
        ),
    ],
    ids=["breast_cancer", "wine", "diabetes"],
)
@pytest.mark.parametrize("min_rows", [0, None], ids=["subsample", "first_fold"])
def test_racing_winner_and_survivor_scores_equal_full(
    request, loader, candidates, min_rows
):
    X, y = loader(return_X_y=True)
    kwargs = {"cv": 5, "random_state": 0}
    full = ModelSelector(candidates, **kwargs).fit(X, y)
    # these data sets are small: by default rung 0 is the first full-size fold;
    # min_rows=0 forces the subsample rung. The budget rule reads measured fit
    # times, which a loaded machine changes: it is off here.
    params = {"budget": None}
    if min_rows is not None:
        params["min_rows"] = min_rows
    race = ModelSelector(
        candidates, strategy="racing", racing_params=params, **kwargs
    ).fit(X, y)
    primary = race.scorer_names_[0]
    full_rows = full.results_.set_index("name")
    if "wine" in request.node.name:
        # logistic regression and the SVM tie under "full" (0.983); rung 0
        # keeps the SVM only: the target, a winner within one std
        winner = full_rows.loc[full.best_name_]
        assert full_rows.loc[race.best_name_, f"mean_{primary}"] >= (
            winner[f"mean_{primary}"] - winner[f"std_{primary}"]
        )
        assert race.best_score_ == full_rows.loc[race.best_name_, f"mean_{primary}"]
    else:
        assert race.best_name_ == full.best_name_
        assert race.best_score_ == full.best_score_
    folds = [f"fold_{f}" for f in range(1, 6)]
    for name, row in race.results_.set_index("name").iterrows():
        k = row["n_folds"]
        # only full-size fold scores are reported, and they are full's
        np.testing.assert_array_equal(
            row[folds[:k]].astype(float), full_rows.loc[name, folds[:k]].astype(float)
        )
        assert row[folds[k:]].isna().all()
        if row["status"] in ("completed", "baseline"):
            assert row[f"mean_{primary}"] == full_rows.loc[name, f"mean_{primary}"]
            assert row[f"std_{primary}"] == full_rows.loc[name, f"std_{primary}"]
        elif row["status"].startswith("dropped at rung 0"):
            assert np.isnan(row[f"mean_{primary}"])
        elif row["status"].startswith("dropped at fold 1"):
            assert k == 1
    # the rung-0 mean is another number than the full-size one (fewer rows)
    base = race.results_["status"] == "baseline"
    assert race.results_.loc[base, "rung0_mean"].isna().all()
    if min_rows == 0:
        assert race.results_.loc[~base, "rung0_mean"].notna().all()
        assert (race.results_.loc[~base, "rung0_fit_time"] > 0).all()
    else:  # no subsample rung: the first fold's fits are reported as such
        assert race.results_["rung0_mean"].isna().all()
        assert (race.results_["rung0_fit_time"] == 0).all()
        assert not race.results_["status"].str.contains("rung 0").any()
        assert (race.results_["n_folds"] >= 1).all()


def test_a_decided_race_runs_its_remaining_folds_as_one_batch(monkeypatch):
    X, y, candidates = _racing_problem(0)
    candidates = {k: candidates[k] for k in ("logit", "constant")}
    from sklearn_workflow.selection._selector import _FoldJobs

    batches = []
    run = _FoldJobs.__call__

    def record(self, jobs, *args, **kwargs):
        batches.append(sorted({f for _, f in jobs}))
        return run(self, jobs, *args, **kwargs)

    monkeypatch.setattr(_FoldJobs, "__call__", record)
    race = ModelSelector(
        candidates,
        strategy="racing",
        random_state=0,
        racing_params={"subsample": None},
    ).fit(X, y)
    status = race.results_.set_index("name")["status"]
    assert status["constant"] == "dropped at fold 1"
    # fold 1, then (the race decided) folds 2-5 together
    assert batches == [[0], [1, 2, 3, 4]]
    assert race.results_.set_index("name").loc["logit", "n_folds"] == 5
    # a single candidate: nothing to race, all five folds at once
    batches.clear()
    ModelSelector({"logit": candidates["logit"]}, strategy="racing").fit(X, y)
    assert batches == [[0, 1, 2, 3, 4]]


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_a_decided_race_refits_its_winner_beside_the_last_folds(monkeypatch, n_jobs):
    from sklearn_workflow.selection import _selector

    X, y, candidates = _racing_problem(0)
    candidates = {k: candidates[k] for k in ("logit", "constant")}
    kwargs = {"strategy": "racing", "random_state": 0, "n_jobs": n_jobs}
    kwargs["racing_params"] = {"subsample": None}
    refits = []
    early = _selector._refit_one_thread

    def record(estimator, X, y, sample_weight=None):
        refits.append(type(estimator).__name__)
        return early(estimator, X, y)

    if n_jobs is None:  # in-process: the early refit is observable
        monkeypatch.setattr(_selector, "_refit_one_thread", record)
    race = ModelSelector(candidates, **kwargs).fit(X, y)
    assert race.best_name_ == "logit"
    if n_jobs is None:
        assert refits == ["Pipeline"]  # the scaled logit, once
    # the same model as a refit after the race
    late = ModelSelector(candidates, **kwargs, refit=False).fit(X, y)
    assert not hasattr(late, "best_estimator_")
    reference = clone(race.best_estimator_).fit(X, y)
    np.testing.assert_allclose(
        race.best_estimator_.predict_proba(X), reference.predict_proba(X)
    )
    assert race.score(X, y) == reference.score(X, y)
    # no early refit without refit=True
    refits.clear()
    ModelSelector(candidates, **kwargs, refit=False).fit(X, y)
    assert refits == []


def test_racing_reports_progress_and_drops(capsys):
    X, y, candidates = _racing_problem(0)
    kwargs = {"strategy": "racing", "random_state": 0}
    kwargs["racing_params"] = {"subsample": None}
    # verbose=1: the progress bar on stderr, each drop on stdout
    race = ModelSelector(candidates, verbose=1, **kwargs).fit(X, y)
    captured = capsys.readouterr()
    assert "constant dropped after fold 1" in captured.out
    assert "fold 1/5" not in captured.out
    # the bar ends at the fits run (the planned ones shrank with the drops)
    n_fits = int(race.results_["n_folds"].sum())
    assert f"{n_fits}/{n_fits}" in captured.err
    assert f"leader: {race.best_name_} " in captured.err
    # verbose=2: one line per (candidate, fold) too
    ModelSelector(candidates, verbose=2, **kwargs).fit(X, y)
    out = capsys.readouterr().out
    assert re.search(r"\[ModelSelector\] logit fold 1/5: accuracy=0\.\d{4}", out)
    assert "constant dropped after fold 1" in out
    assert "elapsed" in out


@pytest.mark.parametrize("strategy", ["full", "racing"])
def test_verbose_zero_prints_nothing(capsys, strategy):
    X, y = _clf_data(0)
    ModelSelector(_candidates(), cv=3, strategy=strategy).fit(X, y)
    assert capsys.readouterr() == ("", "")


# -- time_budget ----------------------------------------------------------------------
class _SlowLogit(LogisticRegression):
    """A logistic regression that sleeps in fit, and counts its fits."""

    fits = 0

    def fit(self, X, y, sample_weight=None):
        type(self).fits += 1
        time.sleep(0.01)
        return super().fit(X, y, sample_weight)


def _time_problem():
    # "slow" scores exactly as "logit" (the same model): a tie the racing test
    # never breaks, so only time_budget can stop it
    X, y = _clf_data(3, n=400)
    candidates = {"logit": LogisticRegression(), "slow": _SlowLogit()}
    return X, y, candidates


_TINY = 1e-9  # passed by the time the first fit ends


def test_time_budget_stops_the_race_after_the_first_fold(fake_clock):
    # "slow" scores exactly as "logit": a tie the racing test never breaks;
    # its fit takes a (fake) second: it starts within the budget, ends past it
    X, y, _ = _time_problem()
    candidates = {"logit": LogisticRegression(), "slow": fake_clock.ticking()}
    kwargs = {"strategy": "racing", "random_state": 0, "preprocessing": None}
    kwargs["racing_params"] = {"subsample": None}
    race = ModelSelector(candidates, time_budget=0.5, **kwargs).fit(X, y)
    rows = race.results_.set_index("name")
    assert rows.loc["slow", "status"] == "dropped at fold 1 (time)"
    assert rows.loc["logit", "status"] == "stopped at fold 1 (time)"
    assert rows["n_folds"].tolist() == [1, 1, 1]
    assert fake_clock.fits == 1  # its first fold, no refit
    # the winner's score is its one fold, the same as without a limit
    full = ModelSelector(candidates, **kwargs).fit(X, y).results_.set_index("name")
    assert full["status"].tolist() == ["completed", "completed", "baseline"]
    assert race.best_name_ == "logit" and race.best_n_folds_ == 1
    assert race.best_score_ == full.loc["logit", "fold_1"]
    assert np.isnan(rows.loc["logit", "fold_2"])
    assert rows.loc["Baseline", "fold_1"] == full.loc["Baseline", "fold_1"]
    # refitted on all the rows as usual
    reference = clone(race.best_estimator_).fit(X, y)
    np.testing.assert_array_equal(race.predict(X), reference.predict(X))


def test_time_budget_drops_at_rung_0_and_runs_one_full_size_fold(capsys, fake_clock):
    X, y, _ = _time_problem()
    candidates = {"logit": LogisticRegression(), "slow": fake_clock.ticking()}
    racing_params = {"keep": 1, "min_rows": 0, "budget": None, "tolerance": 1.0}
    # its three rung-0 fits start at 0, 0.2 and 0.4 (fake) seconds: in time
    fake_clock.step = 0.2
    race = ModelSelector(
        candidates,
        strategy="racing",
        random_state=0,
        preprocessing=None,
        racing_params=racing_params,
        time_budget=0.5,
        verbose=1,
    ).fit(X, y)
    rows = race.results_.set_index("name")
    assert rows.loc["slow", "status"] == "dropped at rung 0 (time)"
    captured = capsys.readouterr()
    assert "slow dropped at rung 0: out of time (time_budget=0.5s)" in captured.out
    # 2 x 3 rung-0 fits, then fold 1 of logit and the baseline
    assert "8/8" in captured.err
    assert rows.loc["logit", "status"] == "stopped at fold 1 (time)"
    assert fake_clock.fits == 3  # the three rung-0 folds only
    assert rows.loc["slow", "n_folds"] == 0 and rows.loc["logit", "n_folds"] == 1
    assert race.best_n_folds_ == 1 and race.n_splits_ == 5


def test_time_budget_full_strategy_skips_candidates_not_started(capsys):
    X, y, candidates = _time_problem()
    candidates = {"logit": candidates["logit"], "tree": DecisionTreeClassifier()}
    candidates["slow"] = _SlowLogit()
    _SlowLogit.fits = 0
    full = ModelSelector(
        candidates, cv=3, random_state=0, time_budget=_TINY, verbose=1
    ).fit(X, y)
    rows = full.results_.set_index("name")
    assert rows["status"].to_dict() == {
        "logit": "completed",
        "Baseline": "baseline",
        "tree": "not run (time)",
        "slow": "not run (time)",
    }
    assert rows["n_folds"].tolist() == [3, 0, 0, 3]
    assert rows["stopped_at"].tolist() == ["", "not started", "not started", ""]
    assert _SlowLogit.fits == 0
    assert full.best_name_ == "logit" and full.best_n_folds_ == 3
    # the bar ends at the fits run: the planned ones shrank
    assert "6/6" in capsys.readouterr().err


@pytest.mark.parametrize("strategy", ["full", "racing"])
def test_a_generous_time_budget_changes_nothing(strategy):
    X, y, candidates = _racing_problem(0)
    # no racing budget: it reads the measured fit times
    kwargs = {"strategy": strategy, "random_state": 0}
    kwargs["racing_params"] = {"budget": None}
    free = ModelSelector(candidates, **kwargs).fit(X, y)
    timed = ModelSelector(candidates, time_budget=1e9, **kwargs).fit(X, y)
    columns = [c for c in free.results_.columns if "time" not in c]
    pd.testing.assert_frame_equal(free.results_[columns], timed.results_[columns])
    assert free.best_n_folds_ == timed.best_n_folds_ == 5


# -- prefer_proba ---------------------------------------------------------------------
class _NoProbaLogit(ClassifierMixin, BaseEstimator):
    """A logistic regression without predict_proba, like an SVC without
    probability=True: the same predictions as LogisticRegression."""

    def __init__(self, C=1.0):
        self.C = C

    def fit(self, X, y, sample_weight=None):
        self.model_ = LogisticRegression(C=self.C).fit(X, y, sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)

    def decision_function(self, X):
        return self.model_.decision_function(X)


@pytest.mark.parametrize("strategy", ["full", "racing"])
def test_prefer_proba_picks_a_tied_candidate_with_probabilities(strategy):
    X, y = _clf_data(4)
    # the same model twice, first without predict_proba: a tie
    candidates = {"no proba": _NoProbaLogit(), "logit": LogisticRegression()}
    kwargs = {"cv": 3, "random_state": 0, "strategy": strategy}
    kwargs["preprocessing"] = None  # no scaling for the catalog's logit
    plain = ModelSelector(candidates, **kwargs).fit(X, y)
    assert plain.best_name_ == "no proba" and "has_proba" not in plain.results_
    preferred = ModelSelector(candidates, prefer_proba=True, **kwargs).fit(X, y)
    assert preferred.best_name_ == "logit"
    assert hasattr(preferred, "predict_proba")
    np.testing.assert_allclose(
        preferred.predict_proba(X), LogisticRegression().fit(X, y).predict_proba(X)
    )
    rows = preferred.results_.set_index("name")
    assert rows["has_proba"].to_dict() == {
        "logit": True,
        "no proba": False,
        "Baseline": True,
    }
    # the scores are the same; only the pick (and so the rank) differs
    same = plain.results_.set_index("name")
    columns = [c for c in same.columns if c not in ("rank",) and "time" not in c]
    pd.testing.assert_frame_equal(rows.loc[same.index, columns], same[columns])


def test_prefer_proba_keeps_a_clearly_better_candidate_without():
    X, y = _clf_data(4)
    candidates = {
        "no proba": _NoProbaLogit(),
        "constant": DummyClassifier(strategy="most_frequent"),
    }
    selector = ModelSelector(candidates, cv=3, prefer_proba=True).fit(X, y)
    assert selector.best_name_ == "no proba"
    assert not hasattr(selector, "predict_proba")


def test_prefer_proba_with_the_ensemble_and_the_search():
    X, y = _clf_data(5)
    candidates = {"no proba": _NoProbaLogit(), "logit": LogisticRegression()}
    selector = ModelSelector(
        candidates,
        cv=3,
        random_state=0,
        search="random",
        n_configs=2,
        search_spaces={"no proba": {"C": [1.0, 0.5]}, "logit": {"C": [1.0, 0.5]}},
        ensemble="auto",
        preprocessing=None,
        prefer_proba=True,
    ).fit(X, y)
    assert selector.best_name_ in ("logit", "Ensemble")
    assert selector.results_["has_proba"].dtype == bool
    assert hasattr(selector.best_estimator_, "predict_proba")


def test_prefer_proba_is_ignored_for_regression():
    X, y = make_regression(n_samples=80, n_features=3, random_state=0)
    selector = ModelSelector({"ridge": Ridge()}, cv=3, prefer_proba=True).fit(X, y)
    assert "has_proba" not in selector.results_
    assert selector.best_name_ == "ridge"


# -- delegation, refit ---------------------------------------------------------------
def test_predict_methods_delegate_to_the_refitted_best():
    X, y = _clf_data(10)
    selector = ModelSelector({"logit": LogisticRegression()}, cv=3).fit(X, y)
    best = selector.best_estimator_
    reference = clone(best).fit(X, y)
    np.testing.assert_allclose(selector.predict_proba(X), reference.predict_proba(X))
    np.testing.assert_allclose(
        selector.decision_function(X), reference.decision_function(X)
    )
    np.testing.assert_array_equal(selector.predict(X), reference.predict(X))
    assert selector.score(X, y) == pytest.approx(reference.score(X, y))
    np.testing.assert_array_equal(selector.classes_, best.classes_)


def test_methods_are_available_only_when_the_best_has_them():
    X, y = _clf_data(11)
    selector = ModelSelector({"svm": SVC()}, cv=3).fit(X, y)
    assert hasattr(selector, "decision_function")
    assert not hasattr(selector, "predict_proba")
    selector = ModelSelector({"tree": DecisionTreeClassifier()}, cv=3).fit(X, y)
    assert hasattr(selector, "predict_proba")
    assert not hasattr(selector, "decision_function")


def test_refit_false_keeps_the_table_and_refuses_to_predict():
    X, y = _clf_data(12)
    selector = ModelSelector(_candidates(), cv=3, refit=False).fit(X, y)
    assert not hasattr(selector, "best_estimator_")
    assert selector.best_name_ in ("logit", "tree")
    with pytest.raises(AttributeError, match="refit=False"):
        selector.predict(X)


def test_pandas_input_names_and_missing_values():
    X, y = _clf_data(13)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    frame = frame.astype({"f0": "Float64"})
    frame.loc[3, "f0"] = pd.NA
    selector = ModelSelector(_candidates(), cv=3, random_state=0).fit(frame, y)
    np.testing.assert_array_equal(selector.feature_names_in_, frame.columns)
    assert selector.predict(frame).shape == (len(y),)


def test_polars_input():
    pl = pytest.importorskip("polars")
    X, y = _clf_data(14)
    frame = pl.DataFrame({f"f{i}": X[:, i] for i in range(X.shape[1])})
    selector = ModelSelector(_candidates(), cv=3, random_state=0).fit(frame, y)
    assert list(selector.feature_names_in_) == frame.columns
    assert selector.predict(frame).shape == (len(y),)


# -- scikit-learn citizenship ----------------------------------------------------------
def test_last_step_of_a_pipeline_in_grid_search_and_nested_cv():
    X, y = _clf_data(15)
    pipe = make_pipeline(StandardScaler(), ModelSelector(_candidates(), random_state=0))
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (len(y),)
    search = GridSearchCV(
        ModelSelector(_candidates(), random_state=0), {"cv": [3, 5]}, cv=3
    ).fit(X, y)
    assert search.best_params_["cv"] in (3, 5)
    nested = cross_val_score(ModelSelector(_candidates(), cv=3), X, y, cv=3)
    assert nested.shape == (3,) and (nested > 0.5).all()


@pytest.mark.parametrize("search", ["none", "random"])
def test_pickle_and_skops_round_trip(tmp_path, search):
    sio = pytest.importorskip("skops.io")
    X, y = _clf_data(16)
    selector = ModelSelector(_candidates(), cv=3, random_state=0, search=search)
    selector.fit(X, y)
    loaded = pickle.loads(pickle.dumps(selector))
    np.testing.assert_array_equal(loaded.predict(X), selector.predict(X))
    path = tmp_path / "selector.skops"
    sio.dump(selector, path)
    untrusted = sio.get_untrusted_types(file=path)
    loaded = sio.load(path, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict(X), selector.predict(X))
    pd.testing.assert_frame_equal(loaded.results_, selector.results_)
    assert loaded.best_params_ == selector.best_params_


def test_top_level_export():
    assert sklearn_workflow.ModelSelector is ModelSelector


@pytest.mark.slow
def test_default_candidates_on_a_small_problem():
    X, y = _clf_data(17, n=150)
    selector = ModelSelector(cv=3, random_state=0).fit(X, y)
    names = set(selector.results_["name"])
    assert {"Logistic regression", "Random forest", "SVM (RBF)", "Baseline"} <= names
    assert selector.best_name_ != "Baseline"
    assert selector.best_score_ > 0.75


@pytest.mark.slow
def test_n_jobs_gives_the_same_results():
    X, y = _clf_data(18)
    one = ModelSelector(_candidates(), cv=3, random_state=0).fit(X, y)
    two = ModelSelector(_candidates(), cv=3, random_state=0, n_jobs=2).fit(X, y)
    columns = ["name", "mean_accuracy", "fold_1", "fold_2", "fold_3", "status"]
    pd.testing.assert_frame_equal(one.results_[columns], two.results_[columns])


@pytest.mark.slow
def test_runs_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    import joblib

    X, y = _clf_data(19)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        with joblib.parallel_config(backend="dask"):
            on_dask = ModelSelector(
                _candidates(), cv=3, random_state=0, n_jobs=-1, strategy="racing"
            ).fit(X, y)
    local = ModelSelector(_candidates(), cv=3, random_state=0, strategy="racing")
    local.fit(X, y)
    pd.testing.assert_frame_equal(
        on_dask.results_[["name", "mean_accuracy", "status"]],
        local.results_[["name", "mean_accuracy", "status"]],
    )


# -- plot ------------------------------------------------------------------------------
def test_plot_draws_one_box_per_candidate_and_the_baseline():
    import matplotlib.figure

    X, y, candidates = _racing_problem(0)
    selector = ModelSelector(
        candidates,
        strategy="racing",
        random_state=0,
        racing_params={"min_rows": 0, "budget": None},
    ).fit(X, y)
    fig = selector.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(candidates)
    assert any("dropped at fold" in label for label in labels)
    baseline = selector.results_.set_index("name").loc["Baseline", "mean_accuracy"]
    lines = [line for line in ax.get_lines() if line.get_label() == "baseline"]
    assert lines and lines[0].get_xdata()[0] == pytest.approx(baseline)
    # a candidate dropped at rung 0 is marked at its rung-0 mean
    rows = selector.results_.set_index("name")
    screened = rows[rows["status"] == "dropped at rung 0"]
    assert len(screened) and any("dropped at rung 0" in label for label in labels)
    marks = [m for m in ax.get_lines() if m.get_label() == "rung-0 mean (subsamples)"]
    np.testing.assert_allclose(
        sorted(marks[0].get_xdata()), sorted(screened["rung0_mean"])
    )


def test_regressor_baseline_and_improvement_pct():
    X, y = make_regression(n_samples=120, n_features=4, noise=1, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    selector = ModelSelector(
        {"ridge": Ridge()}, scoring="neg_root_mean_squared_error", cv=cv
    ).fit(X, y)
    base = -cross_val_score(
        DummyRegressor(), X, y, cv=cv, scoring="neg_root_mean_squared_error"
    ).mean()
    row = selector.results_.set_index("name").loc["ridge"]
    rmse = -row["mean_neg_root_mean_squared_error"]
    # the guide's formula: (1 - model RMSE / baseline RMSE) * 100
    assert row["improvement_pct"] == pytest.approx((1 - rmse / base) * 100)


@pytest.mark.slow
def test_demo_data_racing_picks_a_sensible_model():
    from sklearn_workflow.datasets import make_churn

    X, y = make_churn(1500, random_state=0)
    snapshot = pd.Timestamp("2024-07-01")
    numeric = pd.DataFrame(
        {
            "tenure_months": X["tenure_months"],
            "income": X["income"],  # with NaN
            "num_sessions": X["num_sessions"],
            "support_tickets": X["support_tickets"],
            "days_since_login": (snapshot - X["last_login"]).dt.days,
            "annual": (X["contract"] == "Annual").astype(float),
            "two_year": (X["contract"] == "Two-Year").astype(float),
        }
    )
    selector = ModelSelector(strategy="racing", random_state=0).fit(numeric, y)
    results = selector.results_.set_index("name")
    assert selector.scorer_names_ == ["balanced_accuracy"]  # 28% churners
    assert selector.best_name_ != "Baseline"
    base = results.loc["Baseline", "mean_balanced_accuracy"]
    assert selector.best_score_ > base + 0.1
    assert results.loc[selector.best_name_, "status"] == "completed"


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("scoring", ["accuracy", "neg_log_loss", "roc_auc", "f1"])
def test_racing_block_scores_equal_scoring_each_block(scoring, weighted):
    from sklearn_workflow.selection._selector import _fit_and_score, _Scoring

    X, y = _clf_data(20, n=200)
    w = np.random.default_rng(0).uniform(0.2, 3, size=200) if weighted else None
    train, test = np.arange(120), np.arange(120, 200)
    blocks = make_blocks(y[test], True, seed=0)
    scorer = get_scorer(scoring)

    def multi(est, X, y, **kwargs):
        return {"s": scorer(est, X, y, **kwargs)}

    result = _fit_and_score(
        LogisticRegression(), X, y, train, test,
        _Scoring(multi, scorer, w, keep_predictions=True), blocks, np.nan,
    )  # fmt: skip
    fit_weights = {} if w is None else {"sample_weight": w[train]}
    model = LogisticRegression().fit(X[train], y[train], **fit_weights)

    def weights(rows):
        return {} if w is None else {"sample_weight": w[test][rows]}

    expected = [scorer(model, X[test][b], y[test][b], **weights(b)) for b in blocks]
    np.testing.assert_allclose(result["block_scores"], expected)
    everything = np.arange(len(test))
    assert result["scores"]["s"] == pytest.approx(
        scorer(model, X[test], y[test], **weights(everything))
    )
    classes, proba = result["predictions"]
    np.testing.assert_array_equal(classes, model.classes_)
    np.testing.assert_allclose(proba, model.predict_proba(X[test]))


# -- search="random" ---------------------------------------------------------------
def _searched(**kwargs):
    X, y = _clf_data(0)
    params = {"cv": 3, "search": "random", "random_state": 0, **kwargs}
    return ModelSelector(_candidates(), **params).fit(X, y)


def _configs(selector):
    """``cv_results_`` as a frame: one row per (candidate, configuration)."""
    return pd.DataFrame(
        {k: v for k, v in selector.cv_results_.items() if not k.startswith("split")}
    )


def test_search_none_has_one_row_per_candidate_and_no_params():
    selector = ModelSelector(_candidates(), cv=3, random_state=0).fit(*_clf_data(0))
    assert selector.best_params_ == {"candidate": selector.best_name_}
    assert not any(k.startswith("param") for k in selector.cv_results_)
    assert "params" not in selector.results_.columns
    assert list(selector.cv_results_["candidate"]) == ["logit", "tree", "Baseline"]


def test_search_random_configurations_are_reproducible_with_a_seed():
    first = _configs(_searched(random_state=3))
    again = _configs(_searched(random_state=3))
    other = _configs(_searched(random_state=4))
    assert first["params"].tolist() == again["params"].tolist()
    pd.testing.assert_series_equal(
        first["mean_test_accuracy"], again["mean_test_accuracy"]
    )
    assert first["params"].tolist() != other["params"].tolist()


def test_search_random_configurations_lie_in_the_catalog_spaces():
    selector = _searched(n_configs=4)
    configs = _configs(selector)
    logit = find_entry(LogisticRegression()).search_space
    tree = find_entry(DecisionTreeClassifier()).search_space
    # configuration 1 is the candidate as given; the others are samples
    first = configs[configs["config"] == 1].set_index("candidate")["params"]
    assert first["logit"] == {"C": 1.0}
    assert first["tree"] == {"max_depth": 3, "min_samples_leaf": 1}
    sampled = configs[configs["config"] > 1]
    for candidate, space in (("logit", logit), ("tree", tree)):
        rows = sampled[sampled["candidate"] == candidate]
        assert len(rows) >= 3  # n_configs - 1, and any added near a leader
        for params in rows["params"]:
            assert set(params) == set(space)
            for name, value in params.items():
                low, high = space[name].support()
                assert low <= value <= high
        assert rows["params"].map(str).nunique() == len(rows)


def test_search_random_auto_gives_four_configurations_to_a_one_parameter_space():
    selector = _searched(strategy="full")
    configs = _configs(selector)
    initial = configs[configs["config"] <= 4]
    # the catalog's spaces: C (logistic regression), max_depth and
    # min_samples_leaf (tree): 4 configurations each
    sizes = initial.groupby("candidate").size().to_dict()
    assert sizes == {"Baseline": 1, "logit": 4, "tree": 4}
    # then one more near each of the two leaders (max(1, 4 // 4))
    assert len(configs) == 1 + 4 + 4 + 2


def test_search_random_param_columns_are_nan_where_a_parameter_does_not_apply():
    configs = _configs(_searched())
    is_logit = configs["candidate"] == "logit"
    assert configs.loc[is_logit, "param_max_depth"].isna().all()
    assert configs.loc[~is_logit, "param_C"].isna().all()
    assert configs.loc[is_logit, "param_C"].notna().all()
    for _, row in configs.iterrows():
        for name, value in row["params"].items():
            assert row[f"param_{name}"] == value


def test_search_random_best_params_are_the_refitted_estimators():
    selector = _searched()
    best = selector.best_params_
    assert best["candidate"] == selector.best_name_
    model = selector.best_estimator_
    model = model.steps[-1][1] if isinstance(model, Pipeline) else model
    for name, value in best.items():
        if name != "candidate":
            assert model.get_params()[name] == value
    # the winner's row in cv_results_ has best_score_ and these params
    configs = _configs(selector)
    params = {k: v for k, v in best.items() if k != "candidate"}
    mine = (configs["candidate"] == best["candidate"]) & (
        configs["params"].map(lambda p: p == params)
    )
    assert mine.sum() == 1
    assert configs.loc[mine, "mean_test_accuracy"].iloc[0] == selector.best_score_


def test_search_random_results_have_one_row_per_candidate_its_best_configuration():
    selector = _searched(strategy="full")
    results = selector.results_
    assert sorted(results["name"]) == ["Baseline", "logit", "tree"]
    assert list(results["rank"]) == [1, 2, 3]
    assert results["n_configs"].sum() == len(selector.cv_results_["candidate"])
    configs = _configs(selector)
    for _, row in results.iterrows():
        mine = configs[configs["candidate"] == row["name"]]
        # with "full" every configuration completed: the best is the top mean
        assert row["mean_accuracy"] == mine["mean_test_accuracy"].max()
        assert row["config"] in set(mine["config"])
    assert results.loc[0, "name"] == selector.best_name_


def test_search_random_the_race_drops_configurations_like_candidates():
    # a user space replaces the default: C is 1 (the candidate as given) or
    # 1e-5, which predicts about the prior on these standardised features
    X, y = _clf_data(0)
    selector = ModelSelector(
        {"logit": LogisticRegression()},
        search="random",
        search_spaces={"logit": {"C": [1e-5, 1.0]}},
        strategy="racing",
        random_state=0,
    ).fit(X, y)
    configs = _configs(selector)
    assert configs["param_C"].tolist()[:2] == [1.0, 1e-5]
    status = configs["status"].tolist()
    assert status[0] == "completed" and status[2] == "baseline"
    assert re.fullmatch(r"dropped at fold [1-4]", status[1])
    assert selector.best_params_ == {"candidate": "logit", "C": 1.0}
    assert selector.results_["n_configs"].tolist() == [2, 1]
    assert selector.results_["params"].tolist() == ["C=1", ""]


def test_search_random_configurations_race_through_the_subsample_rung():
    X, y = _clf_data(0, n=600)
    selector = ModelSelector(
        _candidates(),
        search="random",
        strategy="racing",
        racing_params={"min_rows": 0, "budget": None},
        random_state=0,
    ).fit(X, y)
    configs = _configs(selector)
    statuses = set(configs["status"])
    assert "dropped at rung 0" in statuses and "completed" in statuses
    # the configurations added near the leaders (numbered after the 4 of each
    # candidate) ran rung 0 too: their rung-0 means are in the race's table
    assert (configs["config"] > 4).sum() == 2
    assert selector.best_name_ in ("logit", "tree")


def test_search_random_space_of_a_user_estimator_outside_the_catalog():
    X, y = _clf_data(0)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression())
    selector = ModelSelector(
        {"pipe": pipeline, "tree": DecisionTreeClassifier(random_state=0)},
        search="random",
        n_configs=3,
        search_spaces={
            "pipe": {"logisticregression__C": stats.loguniform(1e-2, 1e2)},
            "tree": {},
        },
        strategy="full",
        cv=3,
        random_state=0,
    ).fit(X, y)
    configs = _configs(selector)
    counts = configs.groupby("candidate").size().to_dict()
    assert counts["tree"] == 1 and counts["pipe"] >= 3
    assert configs.loc[configs["candidate"] == "tree", "params"].tolist() == [{}]


def test_search_random_composes_with_grid_search_and_nested_cv():
    X, y = _clf_data(1)
    selector = ModelSelector(
        _candidates(), cv=3, search="random", n_configs=2, random_state=0
    )
    grid = GridSearchCV(selector, {"search": ["none", "random"]}, cv=3).fit(X, y)
    assert grid.best_params_["search"] in ("none", "random")
    assert "candidate" in grid.best_estimator_.best_params_
    scores = cross_val_score(selector, X, y, cv=3)
    assert scores.shape == (3,) and np.isfinite(scores).all()
