import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, get_scorer, roc_auc_score
from sklearn.model_selection import GridSearchCV, GroupKFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from sklearn_workflow.deploy import load, save
from sklearn_workflow.selection import ModelSelector, WeightedEnsemble
from sklearn_workflow.selection._ensemble import (
    ensemble_fold_scores,
    greedy_weights,
    paired_test,
)


# -- the greedy weights and their honest scores -------------------------------------
def test_greedy_weights_equal_a_naive_loop(rng):
    y = rng.normal(size=60)
    members = [y + rng.normal(scale=s, size=60) for s in (0.5, 0.7, 1.0, 3.0)]

    def score(p):
        return -np.mean((p - y) ** 2)

    # naive reference: the same rule, counts kept in a list
    counts = [0] * 4
    counts[int(np.argmax([score(p) for p in members]))] += 1
    best = max(score(p) for p in members)
    for _ in range(19):
        trials = []
        for m in range(4):
            c = counts.copy()
            c[m] += 1
            trials.append(score(sum(w * p for w, p in zip(c, members)) / sum(c)))
        if max(trials) <= best + 1e-12:
            break
        counts[int(np.argmax(trials))] += 1
        best = max(trials)
    expected = np.array(counts) / sum(counts)
    np.testing.assert_allclose(greedy_weights(members, score), expected)
    # the blend is at least as good as the best member on the rows it was chosen on
    blend = sum(w * p for w, p in zip(expected, members))
    assert score(blend) >= max(score(p) for p in members)


def test_ensemble_fold_scores_never_choose_weights_on_the_fold_they_score(rng):
    y = rng.normal(size=90)
    members = [y + rng.normal(scale=s, size=90) for s in (0.5, 0.6, 2.0)]
    fold_rows = [np.arange(0, 30), np.arange(30, 60), np.arange(60, 90)]

    def score(p, rows):
        return -np.mean((p - y[rows]) ** 2)

    scores, weights = ensemble_fold_scores(members, fold_rows, score)
    # spoil the first fold's predictions: its weights stay, only its score moves
    spoiled = [m.copy() for m in members]
    spoiled[0][:30] = 100.0
    spoiled_scores, spoiled_weights = ensemble_fold_scores(spoiled, fold_rows, score)
    np.testing.assert_allclose(spoiled_weights[0], weights[0])
    assert spoiled_scores[0] < scores[0]
    # each fold's score is the blend with its own weights, on its own rows
    for f, rows in enumerate(fold_rows):
        blend = sum(w * m[rows] for w, m in zip(weights[f], members))
        assert scores[f] == pytest.approx(score(blend, rows))


def test_paired_test_equals_scipy_one_sided_t_test_without_the_correction(rng):
    single = rng.uniform(0.7, 0.8, size=5)
    ensemble = single + rng.normal(0.01, 0.01, size=5)
    _, mean, p_value = paired_test(ensemble, single, test_train_ratio=0.0)
    expected = stats.ttest_1samp(ensemble - single, 0.0, alternative="greater")
    assert p_value == pytest.approx(expected.pvalue)
    assert mean == pytest.approx(np.mean(ensemble - single))
    # the correction for overlapping training sets only makes it more cautious
    assert paired_test(ensemble, single, test_train_ratio=0.25)[2] > p_value


# -- the fitted ensemble --------------------------------------------------------------
def test_weighted_ensemble_probabilities_are_the_weighted_mean_of_its_members():
    X, y = make_classification(
        n_samples=120, n_classes=3, n_informative=4, random_state=0
    )
    labels = np.array(["adelie", "chinstrap", "gentoo"])[y]
    members = [("logit", LogisticRegression()), ("nb", GaussianNB())]
    ensemble = WeightedEnsemble(members, weights=(3, 1)).fit(X, labels)
    expected = 0.75 * LogisticRegression().fit(X, labels).predict_proba(X)
    expected += 0.25 * GaussianNB().fit(X, labels).predict_proba(X)
    np.testing.assert_allclose(ensemble.predict_proba(X), expected)
    assert ensemble.classes_.tolist() == ["adelie", "chinstrap", "gentoo"]
    np.testing.assert_array_equal(
        ensemble.predict(X), ensemble.classes_[expected.argmax(axis=1)]
    )


def test_weighted_ensemble_regression_is_the_weighted_mean(rng):
    X = rng.normal(size=(80, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(size=80)
    members = [
        ("ols", LinearRegression()),
        ("tree", DecisionTreeRegressor(max_depth=2)),
    ]
    ensemble = WeightedEnsemble(members, weights=(0.2, 0.8)).fit(X, y)
    expected = 0.2 * LinearRegression().fit(X, y).predict(X)
    expected += 0.8 * DecisionTreeRegressor(max_depth=2).fit(X, y).predict(X)
    np.testing.assert_allclose(ensemble.predict(X), expected)
    assert not hasattr(ensemble, "predict_proba")


@pytest.mark.parametrize(
    "weights, err_msg",
    [((1.0,), "2 non-negative numbers"), ((1.0, -1.0), "got \\(1.0, -1.0\\)")],
)
def test_weighted_ensemble_rejects_bad_weights(weights, err_msg):
    X, y = make_classification(n_samples=40, random_state=0)
    members = [("logit", LogisticRegression()), ("nb", GaussianNB())]
    with pytest.raises(ValueError, match=err_msg):
        WeightedEnsemble(members, weights=weights).fit(X, y)


# -- ModelSelector(ensemble="auto") ---------------------------------------------------
def _half(columns):
    """A logistic regression that sees only ``columns``."""
    return Pipeline(
        [
            ("pick", ColumnTransformer([("keep", "passthrough", columns)])),
            ("model", LogisticRegression()),
        ]
    )


def _two_halves(seed=0, n=1200):
    """y depends on two groups of columns; each candidate sees one group."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    logit = X[:, :3].sum(axis=1) + X[:, 3:].sum(axis=1)
    y = (logit + rng.logistic(size=n) > 0).astype(int)
    return X, y, {"left": _half([0, 1, 2]), "right": _half([3, 4, 5])}


def test_ensemble_is_kept_when_it_beats_the_best_single_candidate():
    X, y, candidates = _two_halves()
    selector = ModelSelector(
        candidates, scoring="roc_auc", cv=5, ensemble="auto", random_state=0
    ).fit(X, y)
    offer = selector.ensemble_
    assert offer["kept"] and offer["p_value"] < 0.05
    assert selector.best_name_ == "Ensemble"
    assert set(selector.best_params_["weights"]) == {"left", "right"}
    model = selector.best_estimator_
    assert isinstance(model, WeightedEnsemble)
    # the refitted members, blended with the weights
    expected = sum(
        w * est.predict_proba(X) for w, est in zip(model.weights_, model.estimators_)
    )
    np.testing.assert_allclose(selector.predict_proba(X), expected)
    # one row in each table, first in results_, last in cv_results_
    assert selector.results_.loc[0, "name"] == "Ensemble"
    assert selector.results_.loc[0, "status"] == "ensemble (kept)"
    assert selector.results_["name"].iloc[-1] == "Baseline"
    table = pd.DataFrame(selector.cv_results_)
    last = table.iloc[-1]
    assert last["candidate"] == "Ensemble" and last["rank_test_roc_auc"] == 1
    assert last["mean_test_roc_auc"] == pytest.approx(selector.best_score_)
    # the fold scores: weights chosen on the other folds, scored on this one
    singles = [table.loc[table["candidate"] == n].iloc[0] for n in ("left", "right")]
    for f in range(5):
        assert last[f"split{f}_test_roc_auc"] > max(
            s[f"split{f}_test_roc_auc"] for s in singles
        )


def test_ensemble_out_of_fold_scores_equal_a_naive_reference():
    X, y, candidates = _two_halves(n=600)
    cv = StratifiedKFold(3, shuffle=True, random_state=1)
    selector = ModelSelector(
        candidates, scoring="roc_auc", cv=cv, ensemble="auto", baseline=False
    ).fit(X, y)
    splits = list(cv.split(X, y))
    oof = {name: np.zeros(len(y)) for name in candidates}
    for name, est in candidates.items():
        for train, test in splits:
            oof[name][test] = est.fit(X[train], y[train]).predict_proba(X[test])[:, 1]
    expected = []
    for f, (_, test) in enumerate(splits):
        others = np.concatenate([t for g, (_, t) in enumerate(splits) if g != f])
        members = [oof["left"][others], oof["right"][others]]
        w = greedy_weights(members, lambda p, r=others: roc_auc_score(y[r], p))
        blend = w[0] * oof["left"][test] + w[1] * oof["right"][test]
        expected.append(roc_auc_score(y[test], blend))
    assert sorted(selector.ensemble_["names"]) == ["left", "right"]
    np.testing.assert_allclose(selector.ensemble_["fold_scores"], expected)


def test_ensemble_over_the_latency_limit_is_not_kept():
    X, y, candidates = _two_halves()
    selector = ModelSelector(
        candidates,
        scoring="roc_auc",
        ensemble="auto",
        latency_ms=1e-6,
        random_state=0,
    ).fit(X, y)
    offer = selector.ensemble_
    assert offer["better"] and not offer["kept"]
    assert "latency" in offer["note"] and offer["latency_ms"] > 1e-6
    assert selector.best_name_ in ("left", "right")
    assert not isinstance(selector.best_estimator_, WeightedEnsemble)
    assert (selector.results_["status"] == "ensemble (not kept)").sum() == 1


def test_ensemble_of_a_candidate_and_its_copy_is_not_kept():
    X, y = make_classification(n_samples=300, random_state=0)
    candidates = {"logit": LogisticRegression(), "same": LogisticRegression()}
    selector = ModelSelector(candidates, cv=3, ensemble="auto").fit(X, y)
    assert not selector.ensemble_["kept"]
    assert selector.best_name_ == "logit"
    assert selector.cv_results_["status"][-1] == "ensemble (not kept)"


def test_no_ensemble_without_two_survivors_with_probabilities():
    X, y = make_classification(n_samples=200, random_state=0)
    selector = ModelSelector(
        {"logit": LogisticRegression()}, cv=3, ensemble="auto"
    ).fit(X, y)
    assert selector.ensemble_ is None
    assert "Ensemble" not in selector.cv_results_["candidate"]


def test_kept_ensemble_round_trips_through_deploy_save_and_load(tmp_path):
    X, y, candidates = _two_halves(n=600)
    selector = ModelSelector(
        candidates, scoring="roc_auc", ensemble="auto", random_state=0
    ).fit(X, y)
    assert selector.best_name_ == "Ensemble"
    save(selector, tmp_path / "model.skops")
    loaded = load(tmp_path / "model.skops")
    np.testing.assert_allclose(loaded.predict_proba(X), selector.predict_proba(X))
    assert loaded.best_params_ == selector.best_params_


# -- sample weights, metadata routing, reproducible folds -----------------------------
def test_weighted_fold_scores_equal_a_naive_weighted_loop(rng):
    X, y = make_classification(n_samples=200, random_state=0)
    w = rng.uniform(0.1, 3.0, size=200)
    cv = StratifiedKFold(3)
    candidates = {"tree": DecisionTreeClassifier(max_depth=3, random_state=0)}
    selector = ModelSelector(candidates, cv=cv, scoring="accuracy").fit(
        X, y, sample_weight=w
    )
    for f, (train, test) in enumerate(cv.split(X, y)):
        tree = DecisionTreeClassifier(max_depth=3, random_state=0)
        tree.fit(X[train], y[train], sample_weight=w[train])
        expected = accuracy_score(y[test], tree.predict(X[test]), sample_weight=w[test])
        assert selector.cv_results_[f"split{f}_test_accuracy"][0] == expected
    refit = DecisionTreeClassifier(max_depth=3, random_state=0).fit(
        X, y, sample_weight=w
    )
    np.testing.assert_array_equal(selector.predict(X), refit.predict(X))


def _routed(selector, X, y, w, groups, routing):
    if routing:
        selector.set_fit_request(sample_weight=True, groups=True)
        params = {"sample_weight": w, "groups": groups}
    else:
        params = {"sel__sample_weight": w, "sel__groups": groups}
    return Pipeline([("scale", MinMaxScaler()), ("sel", selector)]).fit(X, y, **params)


@pytest.mark.parametrize("routing", [False, True])
def test_sample_weight_and_groups_reach_the_selector_through_a_pipeline(routing, rng):
    X, y = make_classification(n_samples=180, random_state=0)
    w = rng.uniform(0.1, 3.0, size=180)
    groups = np.repeat(np.arange(9), 20)
    kwargs = {"cv": GroupKFold(3), "scoring": "accuracy"}
    candidates = {
        "logit": LogisticRegression(),
        "tree": DecisionTreeClassifier(max_depth=2, random_state=0),
    }
    direct = ModelSelector(candidates, **kwargs).fit(
        MinMaxScaler().fit_transform(X), y, sample_weight=w, groups=groups
    )
    with sklearn.config_context(enable_metadata_routing=routing):
        pipe = _routed(ModelSelector(candidates, **kwargs), X, y, w, groups, routing)
    routed = pipe.named_steps["sel"]
    for key in ("split0_test_accuracy", "split2_test_accuracy"):
        np.testing.assert_allclose(routed.cv_results_[key], direct.cv_results_[key])
    unweighted = ModelSelector(candidates, **kwargs).fit(
        MinMaxScaler().fit_transform(X), y, groups=groups
    )
    assert not np.allclose(
        routed.cv_results_["mean_test_accuracy"],
        unweighted.cv_results_["mean_test_accuracy"],
    )


def test_sample_weight_is_routed_by_grid_search():
    X, y = make_classification(n_samples=150, random_state=0)
    w = np.where(y == 1, 5.0, 1.0)
    candidates = {"ridge": LogisticRegression(), "nb": GaussianNB()}
    with sklearn.config_context(enable_metadata_routing=True):
        selector = ModelSelector(candidates, cv=3).set_fit_request(sample_weight=True)
        scorer = get_scorer("accuracy").set_score_request(sample_weight=True)
        search = GridSearchCV(
            selector, {"selection": ["best", "one_se"]}, cv=2, scoring=scorer
        ).fit(X, y, sample_weight=w)
    weighted = ModelSelector(candidates, cv=3).fit(X, y, sample_weight=w)
    assert search.best_estimator_.best_name_ in candidates
    full = search.best_estimator_
    np.testing.assert_allclose(
        full.cv_results_["mean_test_accuracy"],
        weighted.cv_results_["mean_test_accuracy"],
    )


def test_sample_weight_with_a_sampler_is_refused():
    from imblearn.under_sampling import RandomUnderSampler

    X, y = make_classification(n_samples=60, random_state=0)
    selector = ModelSelector({"nb": GaussianNB()}, cv=3, sampler=RandomUnderSampler())
    with pytest.raises(ValueError, match="sample_weight cannot be used with a sampler"):
        selector.fit(X, y, sample_weight=np.ones(60))


def test_an_integer_cv_gives_the_same_unshuffled_folds_on_every_fit():
    X, y = make_classification(n_samples=200, flip_y=0.2, random_state=0)
    candidates = {"tree": DecisionTreeClassifier(max_depth=4, random_state=0)}
    first = ModelSelector(candidates, cv=3).fit(X, y)
    second = ModelSelector(candidates, cv=3).fit(X, y)
    np.testing.assert_array_equal(
        first.cv_results_["split1_test_accuracy"],
        second.cv_results_["split1_test_accuracy"],
    )
    # scikit-learn's unshuffled stratified folds
    expected = GridSearchCV(candidates["tree"], {"max_depth": [4]}, cv=3).fit(X, y)
    for f in range(3):
        assert (
            first.cv_results_[f"split{f}_test_accuracy"][0]
            == expected.cv_results_[f"split{f}_test_score"][0]
        )
    # a random_state shuffles, seeded
    shuffled = [
        ModelSelector(candidates, cv=3, random_state=s).fit(X, y) for s in (0, 0, 1)
    ]
    scores = [s.cv_results_["split0_test_accuracy"][0] for s in shuffled]
    assert scores[0] == scores[1]
