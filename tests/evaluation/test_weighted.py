import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

from sklearn_workflow.evaluation._weighted import bootstrap_weights, weighted_metric

BINARY = {
    "accuracy": ("pred", lambda y, o, w: accuracy_score(y, o, sample_weight=w)),
    "balanced_accuracy": (
        "pred",
        lambda y, o, w: balanced_accuracy_score(y, o, sample_weight=w),
    ),
    "precision": (
        "pred",
        lambda y, o, w: precision_score(y, o, pos_label="yes", sample_weight=w),
    ),
    "recall": (
        "pred",
        lambda y, o, w: recall_score(y, o, pos_label="yes", sample_weight=w),
    ),
    "f1": ("pred", lambda y, o, w: f1_score(y, o, pos_label="yes", sample_weight=w)),
    "roc_auc": ("score", lambda y, o, w: roc_auc_score(y == "yes", o, sample_weight=w)),
    "average_precision": (
        "score",
        lambda y, o, w: average_precision_score(y == "yes", o, sample_weight=w),
    ),
    "brier_score": (
        "score",
        lambda y, o, w: brier_score_loss(y == "yes", o, sample_weight=w),
    ),
    "log_loss": ("score", lambda y, o, w: log_loss(y == "yes", o, sample_weight=w)),
}


@pytest.fixture
def binary_data(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n = 120
    y = np.where(rng.random(n) < 0.35, "yes", "no").astype(object)
    # Rounded scores: ties, which the ranking metrics must handle as scikit-learn.
    score = np.round(np.clip(0.3 * (y == "yes") + rng.random(n) * 0.7, 0, 1), 1)
    pred = np.where(score > 0.5, "yes", "no").astype(object)
    weights = rng.random(n) * 3
    weights[:10] = 0.0  # rows that do not count at all
    return y, pred, score, weights


@pytest.mark.parametrize("name", sorted(BINARY))
def test_weighted_metric_binary_matches_scikit_learn(name, binary_data):
    y, pred, score, weights = binary_data
    kind, reference = BINARY[name]
    out = pred if kind == "pred" else score
    got = weighted_metric(name, weights[None, :], y, out, pos_label="yes")
    assert got.shape == (1,)
    assert got[0] == pytest.approx(reference(y, out, weights), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_weighted_metric_rows_of_weights_are_independent(name, binary_data):
    # Three weightings at once give what each gives alone.
    y, pred, score, weights = binary_data
    out = pred if BINARY[name][0] == "pred" else score
    rng = np.random.default_rng(0)
    W = np.vstack([weights, rng.random(y.size), np.ones(y.size)])
    together = weighted_metric(name, W, y, out, pos_label="yes")
    alone = [weighted_metric(name, w, y, out, pos_label="yes")[0] for w in W]
    np.testing.assert_allclose(together, alone)
    assert together[2] == pytest.approx(BINARY[name][1](y, out, None))


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
@pytest.mark.parametrize(
    "name, reference",
    [
        ("accuracy", lambda y, p, w: accuracy_score(y, p, sample_weight=w)),
        (
            "balanced_accuracy",
            lambda y, p, w: balanced_accuracy_score(y, p, sample_weight=w),
        ),
        (
            "f1_macro",
            lambda y, p, w: f1_score(
                y, p, average="macro", sample_weight=w, zero_division=0
            ),
        ),
        (
            "f1_weighted",
            lambda y, p, w: f1_score(
                y, p, average="weighted", sample_weight=w, zero_division=0
            ),
        ),
        (
            "precision_macro",
            lambda y, p, w: precision_score(
                y, p, average="macro", sample_weight=w, zero_division=0
            ),
        ),
        (
            "recall_macro",
            lambda y, p, w: recall_score(
                y, p, average="macro", sample_weight=w, zero_division=0
            ),
        ),
    ],
)
def test_weighted_metric_multiclass_matches_scikit_learn(
    name, reference, global_random_seed
):
    rng = np.random.default_rng(global_random_seed)
    y = rng.integers(0, 3, 150)
    # A label predicted but never true: its precision is 0 (zero_division).
    pred = np.where(rng.random(150) < 0.7, y, rng.integers(0, 4, 150))
    weights = rng.random(150)
    got = weighted_metric(name, weights, y, pred)[0]
    assert got == pytest.approx(reference(y, pred, weights))


def test_weighted_metric_multiclass_probabilities_match_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 90)
    proba = rng.dirichlet(np.ones(3), 90)
    weights = rng.random(90)
    for name, reference in [
        ("log_loss", lambda: log_loss(y, proba, sample_weight=weights)),
        (
            "roc_auc_ovr",
            lambda: roc_auc_score(y, proba, multi_class="ovr", sample_weight=weights),
        ),
    ]:
        got = weighted_metric(name, weights, y, proba, labels=[0, 1, 2])[0]
        assert got == pytest.approx(reference())


@pytest.mark.parametrize(
    "name, reference",
    [
        ("rmse", lambda y, p, w: np.sqrt(mean_squared_error(y, p, sample_weight=w))),
        ("mse", lambda y, p, w: mean_squared_error(y, p, sample_weight=w)),
        ("mae", lambda y, p, w: mean_absolute_error(y, p, sample_weight=w)),
        (
            "mape",
            lambda y, p, w: mean_absolute_percentage_error(y, p, sample_weight=w),
        ),
        ("r2", lambda y, p, w: r2_score(y, p, sample_weight=w)),
    ],
)
def test_weighted_metric_regression_matches_scikit_learn(
    name, reference, global_random_seed
):
    rng = np.random.default_rng(global_random_seed)
    y = rng.normal(10, 3, 80)
    y[0] = 0.0  # mape divides by a floor, not by zero
    pred = y + rng.normal(0, 1, 80)
    weights = rng.random(80)
    got = weighted_metric(name, weights, y, pred)[0]
    assert got == pytest.approx(reference(y, pred, weights))


def test_weighted_metric_ranking_is_undefined_with_one_class():
    y = np.array(["no"] * 5 + ["yes"] * 5, dtype=object)
    score = np.linspace(0, 1, 10)
    weights = np.r_[np.ones(5), np.zeros(5)]  # only the negatives count
    got = weighted_metric("roc_auc", weights, y, score, pos_label="yes")
    assert np.isnan(got[0])


def test_bootstrap_weights_count_draws_per_row():
    counts = bootstrap_weights(7, 50, np.random.RandomState(0))
    assert counts.shape == (50, 7)
    assert (counts.sum(axis=1) == 7).all()
    # Against a plain loop over the same draws.
    draws = np.random.RandomState(0).randint(0, 7, size=(50, 7))
    expected = np.zeros((50, 7))
    for b in range(50):
        for i in draws[b]:
            expected[b, i] += 1
    np.testing.assert_array_equal(counts, expected)
