import json

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, make_classification, make_regression
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import make_scorer, mean_absolute_error
from sklearn.model_selection import KFold, StratifiedKFold, learning_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sklearn_workflow.selection import LearningCurveDiagnosis, diagnose_learning_curve
from sklearn_workflow.selection._learning_curve import _diagnose

SIZES = np.array([100, 200, 300, 400, 500])


def _curves(train_means, valid_means, n_splits=4):
    # Constant across splits: the mean is the given value.
    train = np.repeat(np.asarray(train_means, float)[:, None], n_splits, axis=1)
    valid = np.repeat(np.asarray(valid_means, float)[:, None], n_splits, axis=1)
    return train, valid


THRESHOLDS = {"high": 0.7, "max_gap": 0.15, "tol": 0.02}


@pytest.mark.parametrize(
    "train, valid, chance, perfect, expected",
    [
        # accuracy, dummy at 0.6: train 1.0, validation 0.7 -> gap 0.75.
        ([1, 1, 1, 1, 1], [0.6, 0.65, 0.68, 0.7, 0.7], 0.6, 1.0, "overfitting"),
        # both close to the dummy: underfitting.
        (
            [0.66, 0.65, 0.64, 0.64, 0.64],
            [0.6, 0.62, 0.63, 0.63, 0.63],
            0.6,
            1.0,
            "underfitting",
        ),
        # both high, small gap.
        (
            [0.97, 0.96, 0.96, 0.95, 0.95],
            [0.9, 0.92, 0.93, 0.93, 0.94],
            0.6,
            1.0,
            "good fit",
        ),
        # train high (skill 0.75), validation flat at skill 0.65 from mid-way.
        (
            [0.92, 0.91, 0.9, 0.9, 0.9],
            [0.8, 0.85, 0.86, 0.86, 0.86],
            0.6,
            1.0,
            "not enough features",
        ),
        # same levels but validation still climbing: more data helps.
        (
            [0.92, 0.91, 0.9, 0.9, 0.9],
            [0.7, 0.74, 0.78, 0.82, 0.86],
            0.6,
            1.0,
            "overfitting",
        ),
        # negated RMSE: dummy -10, perfect 0; model -1 train, -1.5 validation.
        ([-1, -1, -1, -1, -1], [-1.8, -1.6, -1.5, -1.5, -1.5], -10.0, 0.0, "good fit"),
        (
            [-0.1, -0.1, -0.1, -0.1, -0.1],
            [-9, -7, -6, -5, -4],
            -10.0,
            0.0,
            "overfitting",
        ),
    ],
)
def test_diagnose_decision_table(train, valid, chance, perfect, expected):
    train_scores, valid_scores = _curves(train, valid)
    diagnosis, evidence = _diagnose(
        train_scores, valid_scores, chance, perfect, **THRESHOLDS
    )
    assert diagnosis == expected
    # Skill computed by hand.
    span = perfect - chance
    assert evidence["train_skill"] == pytest.approx((train[-1] - chance) / span)
    assert evidence["validation_skill"] == pytest.approx((valid[-1] - chance) / span)
    assert evidence["gap"] == pytest.approx((train[-1] - valid[-1]) / span)
    assert evidence["validation_gain_second_half"] == pytest.approx(
        (valid[-1] - valid[2]) / span
    )


def test_diagnose_thresholds_are_boundaries():
    train_scores, valid_scores = _curves([1.0] * 3, [0.75] * 3)
    # gap is exactly 0.25 -> not overfitting (strict), validation skill 0.75.
    diagnosis, _ = _diagnose(train_scores, valid_scores, 0.0, 1.0, 0.7, 0.25, 0.02)
    assert diagnosis == "good fit"
    diagnosis, _ = _diagnose(train_scores, valid_scores, 0.0, 1.0, 0.75, 0.25, 0.02)
    assert diagnosis == "good fit"  # validation skill exactly high
    diagnosis, _ = _diagnose(train_scores, valid_scores, 0.0, 1.0, 0.7, 0.2499, 0.02)
    assert diagnosis == "overfitting"


def test_unlimited_tree_on_noisy_data_reads_as_overfitting(global_random_seed):
    X, y = make_classification(400, flip_y=0.3, random_state=global_random_seed)
    result = diagnose_learning_curve(
        DecisionTreeClassifier(random_state=global_random_seed), X, y, cv=3
    )
    assert result.diagnosis == "overfitting"
    assert result.fix == "More data, regularization, simpler model"
    assert result.evidence["train_skill"] == pytest.approx(1.0)
    assert result.evidence["gap"] > 0.15


@pytest.mark.parametrize(
    "model",
    [DummyClassifier(strategy="prior"), LogisticRegression(C=1e-6)],
    ids=["dummy", "over-regularised"],
)
def test_constant_model_reads_as_underfitting(model, global_random_seed):
    X, y = make_classification(300, weights=[0.7, 0.3], random_state=global_random_seed)
    result = diagnose_learning_curve(model, X, y, cv=3)
    assert result.diagnosis == "underfitting"
    assert result.fix == "More features, complex model, less regularization"
    assert abs(result.evidence["validation_skill"]) < 0.1


def test_scaled_logistic_regression_on_breast_cancer_is_a_good_fit(global_random_seed):
    X, y = load_breast_cancer(return_X_y=True)
    cv = StratifiedKFold(3, shuffle=True, random_state=global_random_seed)
    model = make_pipeline(StandardScaler(), LogisticRegression())
    result = diagnose_learning_curve(model, X, y, cv=cv, train_sizes=(0.5, 1.0))
    assert result.diagnosis == "good fit"
    assert result.fix == "Deploy"


def test_diagnose_learning_curve_matches_scikit_learn_curves(global_random_seed):
    X, y = make_classification(200, random_state=global_random_seed)
    cv = StratifiedKFold(3, shuffle=True, random_state=global_random_seed)
    model = LogisticRegression()
    result = diagnose_learning_curve(
        model, X, y, cv=cv, scoring="roc_auc", train_sizes=(0.5, 1.0)
    )
    sizes, train, valid = learning_curve(
        model, X, y, cv=cv, scoring="roc_auc", train_sizes=[0.5, 1.0]
    )
    np.testing.assert_array_equal(result.train_sizes, sizes)
    np.testing.assert_allclose(result.train_scores, train)
    np.testing.assert_allclose(result.validation_scores, valid)
    assert result.chance_score == pytest.approx(0.5)
    assert result.perfect_score == 1.0
    assert result.scoring == "roc_auc"


def test_diagnose_learning_curve_regression_metric_names():
    X, y = make_regression(150, n_features=3, noise=5.0, random_state=0)
    for scoring in ("rmse", "neg_root_mean_squared_error"):
        result = diagnose_learning_curve(
            Ridge(), X, y, cv=KFold(3), scoring=scoring, train_sizes=(0.5, 1.0)
        )
        assert result.perfect_score == 0.0
        assert result.chance_score < 0
        assert result.diagnosis == "good fit"
    assert result.scoring == "neg_root_mean_squared_error"


def test_diagnose_learning_curve_callable_scoring_needs_perfect_score():
    X, y = make_regression(100, n_features=2, random_state=0)
    scorer = make_scorer(mean_absolute_error, greater_is_better=False)
    with pytest.raises(ValueError, match="perfect_score is needed"):
        diagnose_learning_curve(Ridge(), X, y, scoring=scorer)
    result = diagnose_learning_curve(
        Ridge(), X, y, cv=3, scoring=scorer, perfect_score=0.0, train_sizes=(0.5, 1.0)
    )
    assert result.perfect_score == 0.0


@pytest.mark.parametrize(
    "params, err_msg",
    [
        ({"scoring": "not_a_metric"}, "scoring must be a scikit-learn scorer name"),
        ({"high": 1.5}, "high"),
        ({"max_gap": -0.1}, "max_gap"),
    ],
)
def test_diagnose_learning_curve_errors(params, err_msg):
    X, y = make_classification(60, random_state=0)
    with pytest.raises(ValueError, match=err_msg):
        diagnose_learning_curve(LogisticRegression(), X, y, **params)


def test_diagnosis_exports_and_plot():
    X, y = make_classification(200, flip_y=0.3, random_state=0)
    result = diagnose_learning_curve(
        DecisionTreeClassifier(random_state=0), X, y, cv=3, train_sizes=(0.3, 0.6, 1.0)
    )
    assert isinstance(result, LearningCurveDiagnosis)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["diagnosis"] == "overfitting"
    assert data["curve"]["train_size"] == [float(s) for s in result.train_sizes]
    frame = result.to_frame()
    np.testing.assert_allclose(
        frame["validation_mean"], result.validation_scores.mean(axis=1)
    )
    assert "**Diagnosis: overfitting**" in result.to_markdown()
    assert result.to_html(plots=False).startswith("<section><h2>Learning curve")
    figure = result.plot()
    ax = figure.axes[0]
    assert [line.get_label() for line in ax.get_lines()][:2] == [
        "Training",
        "Validation",
    ]
    assert len(ax.collections) == 2  # the two one-std bands
    matplotlib.pyplot.close(figure)
