import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from sklearn_workflow.selection import ModelSelector
from sklearn_workflow.workflow._model_stages import tuning_comparison

COLUMNS = ["model", "params", "cv_mean", "cv_std", "kept", "note"]


def _half(columns):
    return Pipeline(
        [
            ("pick", ColumnTransformer([("keep", "passthrough", columns)])),
            ("model", LogisticRegression()),
        ]
    )


def test_tuning_comparison_rows_come_from_the_two_races():
    X, y = make_classification(n_samples=300, n_informative=4, random_state=0)
    candidates = {
        "logit": LogisticRegression(),
        "tree": DecisionTreeClassifier(max_depth=3, random_state=0),
    }
    untuned = ModelSelector(candidates, cv=3).fit(X, y)
    tuned = ModelSelector(
        candidates, cv=3, search="random", n_configs=3, ensemble="auto", random_state=0
    ).fit(X, y)
    comparison = tuning_comparison(tuned, untuned=untuned)
    assert list(comparison.columns) == COLUMNS
    assert comparison.index[:2].tolist() == ["untuned winner", "tuned"]
    assert comparison["kept"].sum() == 1
    first = comparison.loc["untuned winner"]
    assert first["model"] == untuned.best_name_ and not first["kept"]
    assert first["cv_mean"] == pytest.approx(untuned.best_score_)
    single = tuned.ensemble_["single"] if tuned.ensemble_ else tuned.best_index_
    row = comparison.loc["tuned"]
    assert row["cv_mean"] == tuned.cv_results_["mean_test_accuracy"][single]
    assert row["cv_std"] == tuned.cv_results_["std_test_accuracy"][single]
    if tuned.ensemble_ is not None:
        ensemble = comparison.loc["ensemble"]
        assert ensemble["kept"] == tuned.ensemble_["kept"]
        assert ensemble["note"] == tuned.ensemble_["note"]
        assert ensemble["cv_mean"] == pytest.approx(
            np.mean(tuned.ensemble_["fold_scores"])
        )


def test_tuning_comparison_marks_a_kept_ensemble_and_a_single_race():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 6))
    y = (X.sum(axis=1) + rng.logistic(size=1000) > 0).astype(int)
    candidates = {"left": _half([0, 1, 2]), "right": _half([3, 4, 5])}
    selector = ModelSelector(
        candidates, scoring="roc_auc", ensemble="auto", random_state=0
    ).fit(X, y)
    comparison = tuning_comparison(selector)
    assert comparison.index.tolist() == ["untuned winner", "ensemble"]
    assert comparison["kept"].tolist() == [False, True]
    assert set(comparison.loc["ensemble", "params"].split(", ")) == {
        f"{name}: {w:.3g}" for name, w in selector.best_params_["weights"].items()
    }


def test_tuning_comparison_of_a_race_without_search_has_one_row():
    X, y = make_classification(n_samples=200, random_state=0)
    selector = ModelSelector({"logit": LogisticRegression()}, cv=3).fit(X, y)
    for untuned in (None, selector):
        comparison = tuning_comparison(selector, untuned=untuned)
        assert comparison.index.tolist() == ["untuned winner"]
        row = comparison.loc["untuned winner"]
        assert row["kept"] and row["params"] == "defaults"
        assert row["cv_mean"] == pytest.approx(selector.best_score_)


def test_tuning_comparison_marks_the_untuned_winner_when_it_stays():
    X, y = make_classification(n_samples=300, n_informative=4, random_state=0)
    candidates = {
        "logit": LogisticRegression(),
        "tree": DecisionTreeClassifier(max_depth=3, random_state=0),
    }
    untuned = ModelSelector(candidates, cv=3).fit(X, y)
    tuned = ModelSelector(
        candidates, cv=3, search="random", n_configs=2, ensemble="auto", random_state=0
    ).fit(X, y)
    comparison = tuning_comparison(tuned, untuned=untuned, untuned_kept=True)
    assert comparison["kept"].tolist() == [True] + [False] * (len(comparison) - 1)


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_the_run_selector_prefers_probabilities_for_classification_only(task):
    from types import SimpleNamespace

    from sklearn_workflow.workflow._model_stages import _selector

    metric = "f1" if task == "binary" else "r2"
    spec = SimpleNamespace(scorer=lambda name: name, constraints={})
    problem = SimpleNamespace(
        spec=spec, ranked_by=metric, task=task, is_classification=task == "binary"
    )
    selector = _selector({}, problem, 3, 100, 0, 0)
    assert selector.prefer_proba is (task == "binary")
