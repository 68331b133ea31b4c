import io
import pickle
import warnings

import matplotlib.figure
import numpy as np
import pandas as pd
import pytest
from scipy.special import logit
from scipy.stats import norm
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    confusion_matrix,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
)
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_val_predict,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

import sklearn_workflow
from sklearn_workflow.datasets import make_churn
from sklearn_workflow.exceptions import InfeasibleConstraintWarning
from sklearn_workflow.thresholds import ThresholdTunedClassifier
from sklearn_workflow.thresholds._objectives import clopper_pearson

CURVE_COLUMNS = [
    "threshold",
    "tp",
    "fp",
    "tn",
    "fn",
    "precision",
    "recall",
    "f1",
    "fpr",
    "alert_rate",
    "cost",
    "objective",
    "feasible",
]


def _data(seed=0, n=300, weights=(0.75, 0.25)):
    return make_classification(
        n_samples=n,
        n_features=5,
        n_informative=3,
        weights=list(weights),
        class_sep=0.6,
        flip_y=0.05,
        random_state=seed,
    )


def _oof_scores(X, y, estimator=None):
    """Out-of-fold positive-class probabilities, as the default cv=5 makes them."""
    estimator = LogisticRegression() if estimator is None else estimator
    return cross_val_predict(
        estimator, X, y, cv=StratifiedKFold(5), method="predict_proba"
    )[:, 1]


def test_threshold_tuned_classifier_is_exported_at_top_level():
    assert sklearn_workflow.ThresholdTunedClassifier is ThresholdTunedClassifier
    assert "ThresholdTunedClassifier" in sklearn_workflow.__all__


def test_curve_equals_a_naive_loop_with_sklearn_metrics(global_random_seed):
    X, y = _data(global_random_seed)
    clf = ThresholdTunedClassifier(
        LogisticRegression(), cost={"fp": 1, "fn": 4}, constraint={"recall": 0.7}
    ).fit(X, y)
    curve = clf.curve_
    assert list(curve.columns) == CURVE_COLUMNS
    scores = _oof_scores(X, y)
    assert len(curve) == np.unique(scores).size + 1
    assert np.all(np.diff(curve["threshold"]) > 0)
    for row in curve.itertuples():
        y_pred = (scores >= row.threshold).astype(int)
        tn, fp, fn, tp = confusion_matrix(y, y_pred, labels=[0, 1]).ravel()
        assert (row.tp, row.fp, row.tn, row.fn) == (tp, fp, tn, fn)
        recall = recall_score(y, y_pred)
        assert row.precision == pytest.approx(
            precision_score(y, y_pred, zero_division=0)
        )
        assert row.recall == pytest.approx(recall)
        assert row.f1 == pytest.approx(f1_score(y, y_pred, zero_division=0))
        assert row.fpr == pytest.approx(fp / (fp + tn))
        assert row.alert_rate == pytest.approx(y_pred.mean())
        assert row.cost == pytest.approx((fp + 4 * fn) / len(y))
        assert row.objective == pytest.approx(-row.cost)
        assert row.feasible == (recall >= 0.7)


def test_chosen_threshold_is_the_best_feasible_one_naively(global_random_seed):
    X, y = _data(global_random_seed)
    clf = ThresholdTunedClassifier(
        LogisticRegression(), objective="precision", constraint={"recall": 0.8}
    ).fit(X, y)
    scores = _oof_scores(X, y)
    candidates = np.concatenate(
        ([np.inf], (np.unique(scores)[1:] + np.unique(scores)[:-1]) / 2, [-np.inf])
    )
    best = (-1.0, None)
    for threshold in np.sort(candidates)[::-1]:  # highest first: ties keep it
        y_pred = (scores >= threshold).astype(int)
        if recall_score(y, y_pred) >= 0.8:
            precision = precision_score(y, y_pred, zero_division=0)
            if precision > best[0] + 1e-12:
                best = (precision, threshold)
    assert clf.constraint_satisfied_
    assert clf.best_score_ == pytest.approx(best[0])
    assert clf.threshold_ == pytest.approx(best[1])
    np.testing.assert_array_equal(
        clf.predict(X), (clf.predict_proba(X)[:, 1] >= clf.threshold_).astype(int)
    )


def test_f1_matches_tuned_threshold_classifier_cv_on_the_same_scores(
    global_random_seed,
):
    # With cv="prefit" both tune on the same scores (of held-out rows): ours is the
    # exact optimum, scikit-learn's the best of its grid; on our candidate
    # thresholds as its grid, they agree exactly.
    X, y = _data(global_random_seed, n=600)
    model = LogisticRegression().fit(X[:300], y[:300])
    X_val, y_val = X[300:], y[300:]
    ours = ThresholdTunedClassifier(model, objective="f1", cv="prefit").fit(
        X_val, y_val
    )
    grid = TunedThresholdClassifierCV(
        model, scoring="f1", cv="prefit", refit=False
    ).fit(X_val, y_val)
    assert ours.best_score_ >= grid.best_score_ - 1e-12
    assert ours.best_score_ - grid.best_score_ < 0.03
    # their threshold is one of ours in disguise: same predictions, lower f1
    scores = model.predict_proba(X_val)[:, 1]
    f1_grid = f1_score(y_val, scores >= grid.best_threshold_)
    assert f1_grid == pytest.approx(grid.best_score_)
    f1_ours = f1_score(y_val, scores >= ours.threshold_)
    assert f1_ours == pytest.approx(ours.best_score_)
    finite = ours.curve_["threshold"].to_numpy()
    finite = finite[np.isfinite(finite)]
    exact = TunedThresholdClassifierCV(
        model, scoring="f1", cv="prefit", refit=False, thresholds=finite
    ).fit(X_val, y_val)
    # (the infinite thresholds, flag no one or everyone, are not on its grid)
    curve = ours.curve_
    best_finite = curve.loc[np.isfinite(curve.threshold), "f1"].max()
    assert exact.best_score_ == pytest.approx(best_finite)
    assert curve.set_index("threshold")["f1"].loc[
        exact.best_threshold_
    ] == pytest.approx(best_finite)


def test_prefit_uses_the_fitted_estimator_and_needs_it_fitted():
    X, y = _data()
    model = LogisticRegression().fit(X, y)
    clf = ThresholdTunedClassifier(model, cv="prefit").fit(X, y)
    assert clf.estimator_ is model
    with pytest.raises(NotFittedError, match="cv='prefit'.*must be fitted"):
        ThresholdTunedClassifier(LogisticRegression(), cv="prefit").fit(X, y)


def test_refit_false_keeps_the_model_of_a_single_split():
    X, y = _data()
    clf = ThresholdTunedClassifier(
        LogisticRegression(), cv=0.3, refit=False, random_state=0
    ).fit(X, y)
    # tuned on the 90 held-out rows only
    assert clf.curve_[["tp", "fp", "tn", "fn"]].iloc[0].sum() == 90
    full = LogisticRegression().fit(X, y)
    assert not np.allclose(clf.estimator_.coef_, full.coef_)
    with pytest.raises(ValueError, match="refit=False.*exactly one split.*5 splits"):
        ThresholdTunedClassifier(LogisticRegression(), refit=False).fit(X, y)


def test_refit_true_refits_on_all_rows_with_fit_params():
    X, y = _data()
    weight = np.linspace(0.5, 2, len(y))
    clf = ThresholdTunedClassifier(LogisticRegression()).fit(X, y, sample_weight=weight)
    full = LogisticRegression().fit(X, y, sample_weight=weight)
    np.testing.assert_allclose(clf.estimator_.coef_, full.coef_)
    unweighted = ThresholdTunedClassifier(LogisticRegression()).fit(X, y)
    assert not np.allclose(unweighted.estimator_.coef_, full.coef_)


def test_parallel_folds_give_the_same_result():
    X, y = _data()
    one = ThresholdTunedClassifier(LogisticRegression(), n_jobs=1).fit(X, y)
    two = ThresholdTunedClassifier(LogisticRegression(), n_jobs=2).fit(X, y)
    assert one.threshold_ == two.threshold_
    pd.testing.assert_frame_equal(one.curve_, two.curve_)


def test_random_state_shuffles_the_folds_reproducibly():
    X, y = _data()
    a = ThresholdTunedClassifier(LogisticRegression(), random_state=0).fit(X, y)
    b = ThresholdTunedClassifier(LogisticRegression(), random_state=0).fit(X, y)
    c = ThresholdTunedClassifier(LogisticRegression()).fit(X, y)
    pd.testing.assert_frame_equal(a.curve_, b.curve_)
    assert not a.curve_["threshold"].equals(c.curve_["threshold"])


def test_pos_label_defaults_to_the_greater_label_and_can_be_set():
    X, y = _data()
    labels = np.where(y == 1, "yes", "no")
    clf = ThresholdTunedClassifier(LogisticRegression()).fit(X, labels)
    assert clf.pos_label_ == "yes"
    assert set(clf.predict(X)) <= {"yes", "no"}
    np.testing.assert_array_equal(clf.classes_, ["no", "yes"])
    flipped = ThresholdTunedClassifier(LogisticRegression(), pos_label="no").fit(
        X, labels
    )
    # "no" is now the positive class: its counts are the other class's
    assert flipped.curve_["tp"].iloc[0] == np.sum(labels == "no")
    proba_no = flipped.predict_proba(X)[:, 0]
    np.testing.assert_array_equal(
        flipped.predict(X) == "no", proba_no >= flipped.threshold_
    )


def test_decision_function_estimator_and_negative_pos_label():
    X, y = _data()
    clf = ThresholdTunedClassifier(LinearSVC(), pos_label=0).fit(X, y)
    assert clf.response_method_ == "decision_function"
    assert not hasattr(clf, "predict_proba")
    scores = -clf.decision_function(X)  # higher means class 0
    np.testing.assert_array_equal(clf.predict(X) == 0, scores >= clf.threshold_)
    oof = -cross_val_predict(
        LinearSVC(), X, y, cv=StratifiedKFold(5), method="decision_function"
    )
    curve = clf.curve_
    assert len(curve) == np.unique(oof).size + 1
    row = curve.iloc[len(curve) // 2]
    assert row.tp == np.sum((oof >= row.threshold) & (y == 0))


def test_response_method_decision_function_is_used_when_asked():
    X, y = _data()
    clf = ThresholdTunedClassifier(
        LogisticRegression(), response_method="decision_function"
    ).fit(X, y)
    assert clf.response_method_ == "decision_function"
    np.testing.assert_array_equal(
        clf.predict(X), (clf.decision_function(X) >= clf.threshold_).astype(int)
    )


def test_alert_rate_budget_is_respected_and_objective_maximised(global_random_seed):
    X, y = _data(global_random_seed)
    clf = ThresholdTunedClassifier(
        LogisticRegression(), objective="recall", alert_rate=0.1
    ).fit(X, y)
    curve = clf.curve_
    row = curve.set_index("threshold").loc[clf.threshold_]
    assert row.alert_rate <= 0.1
    assert row.recall == curve.loc[curve.alert_rate <= 0.1, "recall"].max()


def test_ties_in_the_objective_go_to_the_highest_threshold():
    # Recall stays 1 below the lowest positive score: the highest such threshold
    # (fewest rows flagged) is kept.
    X, y = _data()
    clf = ThresholdTunedClassifier(LogisticRegression(), objective="recall").fit(X, y)
    curve = clf.curve_
    perfect = curve[curve.recall == 1]
    assert len(perfect) > 1 or perfect.threshold.item() == -np.inf
    assert clf.threshold_ == perfect.threshold.max()
    assert curve.set_index("threshold").alert_rate[clf.threshold_] == (
        perfect.alert_rate.min()
    )


def test_cost_objective_minimises_expected_cost(global_random_seed):
    X, y = _data(global_random_seed)
    clf = ThresholdTunedClassifier(
        LogisticRegression(), cost={"fp": 1, "fn": 5, "tp": -1}
    ).fit(X, y)
    scores = _oof_scores(X, y)
    costs = []
    for threshold in clf.curve_["threshold"]:
        pred = scores >= threshold
        cost = np.sum(pred & (y == 0)) + 5 * np.sum(~pred & (y == 1))
        costs.append((cost - np.sum(pred & (y == 1))) / len(y))
    assert -clf.best_score_ == pytest.approx(min(costs))
    assert clf.curve_.set_index("threshold").loc[clf.threshold_].cost == min(costs)


def test_callable_objective_equals_the_named_one():
    X, y = _data()

    def f1(tp, fp, tn, fn):
        return 2 * tp / (2 * tp + fp + fn)

    named = ThresholdTunedClassifier(LogisticRegression()).fit(X, y)
    custom = ThresholdTunedClassifier(LogisticRegression(), objective=f1).fit(X, y)
    assert custom.threshold_ == named.threshold_
    assert custom.best_score_ == pytest.approx(named.best_score_)


def test_infeasible_constraint_warns_with_the_best_achievable_value():
    X, y = _data()
    with pytest.warns(InfeasibleConstraintWarning) as record:
        clf = ThresholdTunedClassifier(
            LogisticRegression(), constraint={"recall": 0.9}, alert_rate=0.05
        ).fit(X, y)
    curve = clf.curve_
    best_recall = curve.loc[curve.alert_rate <= 0.05, "recall"].max()
    message = str(record[0].message)
    assert "recall >= 0.9 and alert_rate <= 0.05" in message
    assert f"highest recall {best_recall:.4g} given the rest" in message
    assert not clf.constraint_satisfied_
    assert not curve["feasible"].any()
    # the closest: smallest summed shortfall
    shortfall = np.maximum(0.9 - curve.recall, 0) + np.maximum(
        curve.alert_rate - 0.05, 0
    )
    chosen = curve.threshold == clf.threshold_
    assert shortfall[chosen].item() == pytest.approx(shortfall.min())
    assert record[0].filename == __file__


def test_infeasible_constraint_raises_when_asked():
    X, y = _data()
    with pytest.raises(ValueError, match=r"No threshold satisfies.*precision >= 1"):
        ThresholdTunedClassifier(
            LogisticRegression(),
            constraint={"precision": 1.0},
            confidence=0.99,
            on_infeasible="raise",
        ).fit(X, y)


def test_confidence_uses_clopper_pearson_bounds():
    X, y = _data()
    clf = ThresholdTunedClassifier(
        LogisticRegression(),
        objective="precision",
        constraint={"recall": 0.8, "fpr": 0.95},
        confidence=0.9,
    ).fit(X, y)
    curve = clf.curve_
    np.testing.assert_allclose(
        curve.recall_bound,
        clopper_pearson(curve.tp, curve.tp + curve.fn, 0.9, "lower"),
    )
    np.testing.assert_allclose(
        curve.fpr_bound, clopper_pearson(curve.fp, curve.fp + curve.tn, 0.9, "upper")
    )
    feasible = (curve.recall_bound >= 0.8) & (curve.fpr_bound <= 0.95)
    assert feasible.any() and clf.constraint_satisfied_
    np.testing.assert_array_equal(curve.feasible, feasible)
    point = ThresholdTunedClassifier(
        LogisticRegression(), objective="precision", constraint={"recall": 0.8}
    ).fit(X, y)
    # the bound is stricter than the point estimate: a lower threshold
    assert clf.threshold_ <= point.threshold_


def _coverage(seed, confidence, n_repeats=200, n_rows=400):
    """How often the true recall at the tuned threshold reaches 0.80.

    Scores: x ~ N(y, 1) with 30% positives, a model fitted once (monotone in x), the
    threshold tuned on a fresh sample each time; the true recall at a cut-off c on
    x is P(N(1, 1) >= c).
    """
    rng = np.random.default_rng(seed)
    y_big = rng.random(5000) < 0.3
    model = LogisticRegression().fit(
        (rng.normal(size=5000) + y_big).reshape(-1, 1), y_big
    )
    w, b = model.coef_[0, 0], model.intercept_[0]
    held = []
    for _ in range(n_repeats):
        y = rng.random(n_rows) < 0.3
        x = (rng.normal(size=n_rows) + y).reshape(-1, 1)
        clf = ThresholdTunedClassifier(
            model,
            objective="precision",
            constraint={"recall": 0.8},
            cv="prefit",
            confidence=confidence,
        ).fit(x, y)
        cut = (logit(clf.threshold_) - b) / w
        held.append(norm.sf(cut - 1) >= 0.8)
    return np.mean(held)


def test_confidence_coverage_by_simulation(global_random_seed):
    with_confidence = _coverage(global_random_seed, 0.9)
    without = _coverage(global_random_seed, None)
    # Clopper-Pearson is conservative: at least ~90% (sampling noise allowed);
    # the point estimate misses about half of the time.
    assert with_confidence >= 0.85
    assert without <= 0.75
    assert with_confidence > without


def test_multiclass_target_raises():
    X, y = make_classification(60, n_classes=3, n_informative=3, random_state=0)
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        ThresholdTunedClassifier(LogisticRegression()).fit(X, y)


@pytest.mark.parametrize(
    "params, err_type, err_msg",
    [
        (
            {"objective": "precision", "cost": {"fp": 1}},
            ValueError,
            r"cost is set.*got objective='precision'",
        ),
        (
            {"objective": "f1", "cost": {"fp": 1}},
            ValueError,
            r"cost is set.*got objective='f1'",
        ),
        (
            {"cost": {"fp": 1}, "confidence": 0.9},
            ValueError,
            r"confidence applies to the constraints.*got confidence=0.9",
        ),
        (
            {"objective": "precision", "confidence": 0.9},
            ValueError,
            r"set constraint or alert_rate",
        ),
        (
            {"cost": [[0, 1], [5, 0]]},
            ValueError,
            r"keys among 'tp', 'fp', 'tn' and 'fn'.*it is cost=\{'fp': 1, 'fn': 5\}",
        ),
        ({"objective": "cost"}, ValueError, r"objective='cost' needs.*got cost=None"),
        ({"constraint": {"auc": 0.8}}, ValueError, r"Unknown metric 'auc'"),
        ({"constraint": {"recall": 2}}, ValueError, r"bound of 'recall'.*got 2"),
        ({"cost": {"fpr": 1}}, ValueError, r"Unknown outcome 'fpr' in cost"),
        ({"pos_label": 3}, ValueError, r"pos_label=3 is not a class of y"),
        (
            {"alert_rate": 0.1, "constraint": {"alert_rate": 0.2}},
            ValueError,
            r"alert rate is set twice",
        ),
        ({"confidence": 1.0}, ValueError, r"'confidence' parameter"),
        ({"on_infeasible": "ignore"}, ValueError, r"'on_infeasible' parameter"),
    ],
)
def test_parameter_errors(params, err_type, err_msg):
    X, y = _data(n=60)
    with pytest.raises(err_type, match=err_msg):
        ThresholdTunedClassifier(LogisticRegression(), **params).fit(X, y)


def test_constant_scores_keep_all_or_nothing():
    # A model without signal still tunes: flag everyone (recall 1) or no one.
    X = np.zeros((40, 1))
    y = np.repeat([0, 1], 20)
    model = LogisticRegression().fit(X, y)
    clf = ThresholdTunedClassifier(model, objective="recall", cv="prefit").fit(X, y)
    assert clf.threshold_ == -np.inf
    assert np.all(clf.predict(np.ones((3, 1))) == 1)


def _churn_pipeline():
    numeric = ["age", "income", "tenure_months", "num_sessions", "support_tickets"]
    prep = make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler()), numeric),
        (OneHotEncoder(handle_unknown="ignore"), ["contract"]),
    )
    return make_pipeline(prep, LogisticRegression())


def test_wraps_a_pipeline_on_a_dataframe_and_works_in_grid_search():
    # ModelSelector (issue 6) is not on main yet; a Pipeline stands in for it.
    X, y = make_churn(600, random_state=0)
    clf = ThresholdTunedClassifier(
        _churn_pipeline(), objective="precision", constraint={"recall": 0.8}, cv=3
    ).fit(X, y)
    assert clf.constraint_satisfied_
    assert clf.predict(X).shape == (600,)
    search = GridSearchCV(
        ThresholdTunedClassifier(
            _churn_pipeline(), objective="precision", constraint={"recall": 0.8}, cv=3
        ),
        {"estimator__logisticregression__C": [0.1, 1.0]},
        cv=2,
        scoring="recall",
    ).fit(X, y)
    assert search.best_estimator_.constraint_satisfied_
    assert set(search.cv_results_["param_estimator__logisticregression__C"]) == {
        0.1,
        1.0,
    }


def test_pickle_and_skops_round_trip():
    skops_io = pytest.importorskip("skops.io")
    X, y = _data()
    clf = ThresholdTunedClassifier(
        LogisticRegression(), constraint={"recall": 0.8}, confidence=0.9
    ).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    pd.testing.assert_frame_equal(restored.curve_, clf.curve_)
    buffer = io.BytesIO()
    skops_io.dump(clf, buffer)
    data = buffer.getvalue()
    untrusted = skops_io.get_untrusted_types(data=data)
    loaded = skops_io.loads(data, trusted=untrusted)
    assert untrusted == [
        "sklearn_workflow.thresholds._classifier.ThresholdTunedClassifier"
    ]
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    pd.testing.assert_frame_equal(loaded.curve_, clf.curve_)
    assert loaded.threshold_ == clf.threshold_


def test_plot_draws_the_curves_the_threshold_and_the_constraint():
    X, y = _data()
    clf = ThresholdTunedClassifier(
        LogisticRegression(), objective="precision", constraint={"recall": 0.8}
    ).fit(X, y)
    fig = clf.plot()
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert "precision" in labels and "recall" in labels
    assert any(label.startswith("chosen threshold") for label in labels)
    xs = [line.get_xdata() for line in ax.get_lines()]
    assert any(np.allclose(x, clf.threshold_) for x in xs if len(x) in (1, 2))
    ys = [line.get_ydata() for line in ax.get_lines()]
    assert any(len(v) == 2 and np.allclose(v, 0.8) for v in ys)


def test_verbose_prints_the_threshold(capsys):
    X, y = _data()
    ThresholdTunedClassifier(LogisticRegression(), verbose=1).fit(X, y)
    assert "threshold=" in capsys.readouterr().out
    ThresholdTunedClassifier(LogisticRegression()).fit(X, y)
    assert capsys.readouterr().out == ""


def test_unfitted_attributes_raise():
    clf = ThresholdTunedClassifier(LogisticRegression())
    with pytest.raises(NotFittedError):
        _ = clf.curve_
    with pytest.raises(NotFittedError):
        clf.predict(np.zeros((2, 5)))


def test_no_warning_when_feasible():
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tuned = ThresholdTunedClassifier(
            LogisticRegression(), constraint={"recall": 0.5}
        ).fit(X, y)
    assert tuned.constraint_satisfied_


def test_problem_card_threshold_params_drive_the_tuning():
    # The problem card (stage 1) turns "recall >= 0.80" into our keyword arguments.
    from sklearn_workflow.problem import ProblemSpec

    spec = ProblemSpec.from_dict(
        {
            "name": "Churn",
            "type": "binary_classification",
            "target": "churned",
            "positive_class": 1,
            "success_metric": "recall",
            "threshold": 0.8,
            "secondary_metrics": ["precision", "f1"],
            "baseline": {"method": "rule-based"},
        }
    )
    X, y = _data()
    clf = ThresholdTunedClassifier(LogisticRegression(), **spec.threshold_params()).fit(
        X, y
    )
    assert clf.objective == "precision" and clf.pos_label_ == 1
    row = clf.curve_.set_index("threshold").loc[clf.threshold_]
    assert clf.constraint_satisfied_ and row.recall >= 0.8
    assert clf.best_score_ == pytest.approx(row.precision)


@pytest.mark.parametrize("in_pipeline", [False, True], ids=["selector", "pipeline"])
def test_wraps_a_model_selector(in_pipeline):
    # The central objects compose: the tuned threshold sits on top of a model
    # selector (itself cross-validated in every fold), alone or ending a pipeline.
    from sklearn.tree import DecisionTreeClassifier

    from sklearn_workflow.selection import ModelSelector

    X, y = _data(n=240)
    selector = ModelSelector(
        {
            "logit": LogisticRegression(),
            "tree": DecisionTreeClassifier(max_depth=3, random_state=0),
        },
        cv=3,
        random_state=0,
    )
    inner = make_pipeline(StandardScaler(), selector) if in_pipeline else selector
    clf = ThresholdTunedClassifier(
        inner, objective="precision", constraint={"recall": 0.8}, cv=3
    ).fit(X, y)
    assert isinstance(clf.threshold_, float) and np.isfinite(clf.threshold_)
    fitted = clf.estimator_[-1] if in_pipeline else clf.estimator_
    assert fitted.best_name_ in {"logit", "tree"}
    # The decision is the positive-class probability against the tuned threshold.
    proba = clf.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(clf.predict(X), (proba >= clf.threshold_).astype(int))
    np.testing.assert_allclose(proba, clf.estimator_.predict_proba(X)[:, 1])
    row = clf.curve_.set_index("threshold").loc[clf.threshold_]
    assert clf.constraint_satisfied_ and row.recall >= 0.8


# -- sample weights ------------------------------------------------------------------


def _weighted_data(seed, n=80):
    X, y = make_classification(
        n, n_features=4, weights=[0.7, 0.3], flip_y=0.1, random_state=seed
    )
    weights = np.random.default_rng(seed).integers(0, 4, n)
    weights[:2] = 1  # keep both classes weighted
    weights[y == 1][:1] = 1
    return X, y, weights


def _repeated_splits(splits, weights):
    """The folds of the data with each row repeated ``weights`` times: each copy
    in its original row's fold."""
    origin = np.repeat(np.arange(len(weights)), weights)
    return [
        (np.flatnonzero(np.isin(origin, train)), np.flatnonzero(np.isin(origin, test)))
        for train, test in splits
    ]


WEIGHTED_SETTINGS = [
    {},
    {"objective": "precision", "constraint": {"recall": 0.6}},
    {"cost": {"fp": 1, "fn": 4, "tp": -0.5}},
    {"objective": "recall", "alert_rate": 0.3},
    {"objective": "mcc", "constraint": {"fpr": 0.2}},
]


@pytest.mark.parametrize("params", WEIGHTED_SETTINGS)
def test_integer_weights_tune_the_threshold_of_repeated_rows(
    params, global_random_seed
):
    from sklearn.naive_bayes import GaussianNB

    X, y, weights = _weighted_data(global_random_seed)
    # Without variance smoothing (which depends on the rows), GaussianNB fitted
    # with integer weights equals GaussianNB fitted on the repeated rows.
    model = GaussianNB(var_smoothing=0.0)
    splits = list(StratifiedKFold(3).split(X, y))
    weighted = ThresholdTunedClassifier(model, cv=splits, **params).fit(
        X, y, sample_weight=weights
    )
    origin = np.repeat(np.arange(len(y)), weights)
    repeated = ThresholdTunedClassifier(
        model, cv=_repeated_splits(splits, weights), **params
    ).fit(X[origin], y[origin])
    np.testing.assert_allclose(
        weighted.best_threshold_, repeated.best_threshold_, rtol=1e-9
    )
    np.testing.assert_allclose(weighted.best_score_, repeated.best_score_)
    curve, expected = weighted.curve_, repeated.curve_
    np.testing.assert_allclose(curve["threshold"], expected["threshold"], rtol=1e-9)
    for column in ("tp", "fp", "tn", "fn", "objective", "alert_rate", "cost"):
        np.testing.assert_allclose(curve[column], expected[column], atol=1e-9)


@pytest.mark.parametrize("params", WEIGHTED_SETTINGS)
def test_integer_weights_with_prefit_equal_repeated_rows(params, global_random_seed):
    X, y, weights = _weighted_data(global_random_seed)
    model = LogisticRegression().fit(X, y)
    origin = np.repeat(np.arange(len(y)), weights)
    weighted = ThresholdTunedClassifier(model, cv="prefit", **params).fit(
        X, y, sample_weight=weights
    )
    repeated = ThresholdTunedClassifier(model, cv="prefit", **params).fit(
        X[origin], y[origin]
    )
    assert weighted.best_threshold_ == repeated.best_threshold_
    assert weighted.threshold_ == weighted.best_threshold_
    np.testing.assert_allclose(weighted.best_score_, repeated.best_score_)


def test_weighted_curve_matches_a_naive_weighted_loop(global_random_seed):
    X, y, weights = _weighted_data(global_random_seed)
    weights = weights * 0.37
    model = LogisticRegression().fit(X, y)
    clf = ThresholdTunedClassifier(model, cv="prefit").fit(X, y, sample_weight=weights)
    scores = model.predict_proba(X)[:, 1]
    for row in clf.curve_.itertuples():
        flagged = scores >= row.threshold
        assert row.tp == pytest.approx(weights[flagged & (y == 1)].sum())
        assert row.fp == pytest.approx(weights[flagged & (y == 0)].sum())
        assert row.fn == pytest.approx(weights[~flagged & (y == 1)].sum())
        assert row.alert_rate == pytest.approx(weights[flagged].sum() / weights.sum())
    # rows of weight 0 separate no threshold
    kept = np.unique(scores[weights > 0]).size + 1
    assert len(clf.curve_) == kept


def test_confidence_with_weights_uses_the_effective_sample_size(global_random_seed):
    X, y, _ = _weighted_data(global_random_seed, n=200)
    model = LogisticRegression().fit(X, y)
    params = {"objective": "precision", "constraint": {"recall": 0.6}}
    unit = ThresholdTunedClassifier(model, cv="prefit", confidence=0.9, **params)
    unit.fit(X, y, sample_weight=np.full(len(y), 3.0))
    plain = ThresholdTunedClassifier(model, cv="prefit", confidence=0.9, **params)
    plain.fit(X, y)
    # Equal weights: as precise as the rows there are, whatever their value.
    np.testing.assert_allclose(
        unit.curve_["recall_bound"], plain.curve_["recall_bound"]
    )
    # Unequal weights: the bound follows Kish's effective number of positives.
    weights = np.where(np.arange(len(y)) % 2, 1.0, 4.0)
    clf = ThresholdTunedClassifier(model, cv="prefit", confidence=0.9, **params)
    clf.fit(X, y, sample_weight=weights)
    scores = model.predict_proba(X)[:, 1]
    row = clf.curve_.iloc[len(clf.curve_) // 2]
    positive = y == 1
    caught = positive & (scores >= row.threshold)
    n_eff = weights[positive].sum() ** 2 / (weights[positive] ** 2).sum()
    recall = weights[caught].sum() / weights[positive].sum()
    expected = clopper_pearson(recall * n_eff, n_eff, 0.9, "lower")
    assert row.recall_bound == pytest.approx(float(expected))


def test_a_class_of_zero_weight_is_an_error_naming_the_class():
    X, y = _data(n=60)
    with pytest.raises(ValueError, match=r"class 0 a total weight of 0"):
        ThresholdTunedClassifier(LogisticRegression()).fit(
            X, y, sample_weight=(y == 1).astype(float)
        )


# -- positive class of text labels ------------------------------------------------


@pytest.mark.parametrize(
    "labels, expected",
    [
        (("No", "Yes"), "Yes"),
        (("false", "TRUE"), "TRUE"),
        (("0", "1"), "1"),
        ((False, True), True),
        ((1, 2), 2),
    ],
)
def test_obvious_label_pairs_name_their_positive_class(labels, expected):
    X, y = _data(n=60)
    named = np.array(labels)[y]
    clf = ThresholdTunedClassifier(LogisticRegression(), cv=3).fit(X, named)
    assert clf.pos_label_ == expected


def test_other_text_labels_need_pos_label_as_in_sklearn():
    X, y = _data(n=60)
    species = np.where(y == 1, "Adelie", "other")
    with pytest.raises(ValueError, match=r"\['Adelie', 'other'\].*pass pos_label"):
        ThresholdTunedClassifier(LogisticRegression()).fit(X, species)
    # an objective that treats both classes alike needs no positive class
    symmetric = ThresholdTunedClassifier(
        LogisticRegression(), objective="balanced_accuracy"
    ).fit(X, species)
    assert symmetric.pos_label_ == "other"
    with pytest.raises(ValueError, match="pass pos_label"):
        ThresholdTunedClassifier(
            LogisticRegression(),
            objective="balanced_accuracy",
            constraint={"recall": 0.5},
        ).fit(X, species)
    # scikit-learn's threshold curves raise on the same labels
    with pytest.raises(ValueError, match="pos_label is not specified"):
        precision_recall_curve(species, X[:, 0])


# -- splitters that leave rows out ----------------------------------------------------


class _FixedScores(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose positive score of row ``i`` is ``scores[i]``."""

    def __init__(self, scores, classes):
        self.scores = scores
        self.classes = classes

    def fit(self, X, y):
        return self

    def __sklearn_is_fitted__(self):
        return True

    @property
    def classes_(self):
        return self.classes

    def predict_proba(self, X):
        positive = self.scores[np.asarray(X)[:, 0].astype(int)]
        return np.column_stack([1 - positive, positive])


def test_time_series_split_tunes_on_the_rows_it_scores(global_random_seed):
    from sklearn.model_selection import TimeSeriesSplit

    X, y = _data(n=120, seed=global_random_seed)
    cv = TimeSeriesSplit(3)
    clf = ThresholdTunedClassifier(LogisticRegression(), cv=cv).fit(X, y)
    scores, rows = [], []
    for train, test in cv.split(X):
        model = LogisticRegression().fit(X[train], y[train])
        scores.append(model.predict_proba(X[test])[:, 1])
        rows.append(test)
    scores, rows = np.concatenate(scores), np.concatenate(rows)
    assert len(rows) < len(y)  # the first block has no score
    expected = ThresholdTunedClassifier(
        _FixedScores(scores, np.array([0, 1])), cv="prefit"
    ).fit(np.arange(len(rows))[:, None], y[rows])
    assert clf.best_threshold_ == expected.best_threshold_
    assert clf.curve_["tp"].iloc[0] + clf.curve_["fn"].iloc[0] == y[rows].sum()


# -- metadata routing ------------------------------------------------------------------


def _routing_data(seed=0):
    X, y, weights = _weighted_data(seed, n=90)
    groups = np.arange(len(y)) % 9
    return X, y, weights.astype(float), groups


def _reference(X, y, weights, groups):
    """The threshold with the group folds and the weights given by hand."""
    from sklearn.model_selection import GroupKFold

    splits = list(GroupKFold(3).split(X, y, groups))
    return ThresholdTunedClassifier(LogisticRegression(), cv=splits).fit(
        X, y, sample_weight=weights
    )


def _routed_tuner():
    from sklearn.model_selection import GroupKFold

    return ThresholdTunedClassifier(
        LogisticRegression().set_fit_request(sample_weight=True), cv=GroupKFold(3)
    ).set_fit_request(sample_weight=True)  # the tuner's own weighted counts


def test_routing_sends_weights_and_groups_through_a_pipeline():
    import sklearn
    from sklearn.pipeline import Pipeline

    X, y, weights, groups = _routing_data()
    expected = _reference(X, y, weights, groups)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = Pipeline([("tuner", _routed_tuner())])
        pipe.fit(X, y, sample_weight=weights, groups=groups)
        assert pipe[-1].best_threshold_ == expected.best_threshold_
        np.testing.assert_allclose(pipe[-1].estimator_.coef_, expected.estimator_.coef_)
        # a weight that the tuner did not request is refused, as in scikit-learn
        unrequested = ThresholdTunedClassifier(LogisticRegression(), cv=3)
        with pytest.raises(ValueError, match="sample_weight"):
            Pipeline([("tuner", unrequested)]).fit(X, y, sample_weight=weights)


def test_routing_through_grid_search_and_cross_validate():
    import sklearn
    from sklearn.model_selection import GroupKFold, cross_validate

    X, y, weights, groups = _routing_data(1)
    with sklearn.config_context(enable_metadata_routing=True):
        tuner = _routed_tuner().set_score_request(sample_weight=False)
        search = GridSearchCV(
            tuner, {"objective": ["f1", "mcc"]}, cv=GroupKFold(3)
        ).fit(X, y, sample_weight=weights, groups=groups)
        result = cross_validate(
            tuner,
            X,
            y,
            cv=GroupKFold(3),
            params={"sample_weight": weights, "groups": groups},
            return_estimator=True,
            return_indices=True,
        )
    best = search.best_estimator_
    expected = ThresholdTunedClassifier(
        LogisticRegression(),
        objective=best.objective,
        cv=list(GroupKFold(3).split(X, y, groups)),
    ).fit(X, y, sample_weight=weights)
    assert best.best_threshold_ == expected.best_threshold_
    train = result["indices"]["train"][0]
    inner = _reference(X[train], y[train], weights[train], groups[train])
    assert result["estimator"][0].best_threshold_ == inner.best_threshold_


def test_without_routing_groups_go_to_the_splitter_and_weights_everywhere():
    from sklearn.model_selection import GroupKFold

    X, y, weights, groups = _routing_data(2)
    expected = _reference(X, y, weights, groups)
    clf = ThresholdTunedClassifier(LogisticRegression(), cv=GroupKFold(3))
    clf.fit(X, y, sample_weight=weights, groups=groups)
    assert clf.best_threshold_ == expected.best_threshold_
    refit = LogisticRegression().fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(clf.estimator_.coef_, refit.coef_)
    # inside a pipeline, by step name as before
    pipe = make_pipeline(
        ThresholdTunedClassifier(LogisticRegression(), cv=GroupKFold(3))
    )
    pipe.fit(
        X,
        y,
        thresholdtunedclassifier__sample_weight=weights,
        thresholdtunedclassifier__groups=groups,
    )
    assert pipe[-1].best_threshold_ == expected.best_threshold_


def test_routing_with_prefit_routes_nothing_to_the_fitted_estimator():
    import sklearn

    X, y, weights, _ = _routing_data(3)
    model = LogisticRegression().fit(X, y)
    expected = ThresholdTunedClassifier(model, cv="prefit").fit(
        X, y, sample_weight=weights
    )
    with sklearn.config_context(enable_metadata_routing=True):
        tuner = ThresholdTunedClassifier(model, cv="prefit")
        tuner.set_fit_request(sample_weight=True).fit(X, y, sample_weight=weights)
    assert tuner.best_threshold_ == expected.best_threshold_
    assert tuner.estimator_ is model


def test_oof_scores_are_the_out_of_fold_scores_the_threshold_was_tuned_on():
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import (
        StratifiedKFold,
        TimeSeriesSplit,
        cross_val_predict,
    )
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    estimator = make_pipeline(StandardScaler(), LogisticRegression())
    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    tuned = ThresholdTunedClassifier(estimator, cv=folds, pos_label=1).fit(X, y)
    expected = cross_val_predict(estimator, X, y, cv=folds, method="predict_proba")
    np.testing.assert_allclose(tuned.oof_scores_, expected[:, 1])
    # Rows in no validation set (the first block of a time split) have none.
    tuned = ThresholdTunedClassifier(estimator, cv=TimeSeriesSplit(3), pos_label=1)
    tuned.fit(X, y)
    first_test = next(TimeSeriesSplit(3).split(X))[1][0]
    assert np.isnan(tuned.oof_scores_[:first_test]).all()
    assert np.isfinite(tuned.oof_scores_[first_test:]).all()
