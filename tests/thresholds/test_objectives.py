import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.metrics import geometric_mean_score
from scipy.stats import binomtest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    fbeta_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
)

from sklearn_workflow.thresholds._objectives import (
    CONSTRAINT_METRICS,
    clopper_pearson,
    confusion_counts,
    constraint_metric,
    effective_proportion,
    expected_cost,
    objective_scores,
    parse_constraints,
    parse_cost,
)


def _naive_counts(y_true, y_score, threshold):
    """Confusion counts at one threshold with scikit-learn (the reference)."""
    y_pred = (y_score >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    return tp, fp, tn, fn


def _scores_with_ties(rng, n=150):
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    # rounding makes many ties, within and across the classes
    score = np.round(rng.normal(size=n) + y, 1)
    return y, score


def test_confusion_counts_match_a_naive_loop_with_sklearn(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    y, score = _scores_with_ties(rng)
    thresholds, tp, fp, tn, fn = confusion_counts(y == 1, score)
    distinct = np.unique(score)
    assert thresholds.shape == (distinct.size + 1,)
    assert np.all(np.diff(thresholds) < 0)
    for i, threshold in enumerate(thresholds):
        assert (tp[i], fp[i], tn[i], fn[i]) == _naive_counts(y, score, threshold)


def test_weighted_confusion_counts_match_sklearn_weighted_matrix(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    y, score = _scores_with_ties(rng)
    weights = rng.random(y.size) * 3
    thresholds, tp, fp, tn, fn = confusion_counts(y == 1, score, weights)
    assert thresholds.shape == (np.unique(score).size + 1,)
    for i, threshold in enumerate(thresholds):
        y_pred = (score >= threshold).astype(int)
        expected = confusion_matrix(
            y, y_pred, labels=[0, 1], sample_weight=weights
        ).ravel()
        np.testing.assert_allclose([tn[i], fp[i], fn[i], tp[i]], expected)


@pytest.mark.parametrize("name", sorted(CONSTRAINT_METRICS))
def test_effective_proportion_of_unit_weights_is_the_plain_count(
    name, global_random_seed
):
    rng = np.random.default_rng(global_random_seed)
    y, score = _scores_with_ties(rng)
    counts = confusion_counts(y == 1, score)[1:]
    weighted = confusion_counts(y == 1, score, np.full(y.size, 2.5))[1:]
    squared = confusion_counts(y == 1, score, np.full(y.size, 6.25))[1:]
    successes, trials, _ = constraint_metric(name, *counts)
    effective = effective_proportion(name, weighted, squared)
    np.testing.assert_allclose(effective[0], successes, atol=1e-9)
    np.testing.assert_allclose(effective[1], trials)


def test_confusion_counts_thresholds_are_midpoints_of_distinct_scores():
    score = np.array([0.1, 0.3, 0.3, 0.9])
    thresholds, *_ = confusion_counts(np.array([0, 1, 0, 1], dtype=bool), score)
    np.testing.assert_allclose(thresholds, [np.inf, 0.6, 0.2, -np.inf])


def test_confusion_counts_adjacent_floats_still_separate():
    # No float lies strictly between two adjacent floats: the upper one is used.
    low = 0.5
    high = np.nextafter(low, 1)
    thresholds, tp, fp, tn, fn = confusion_counts(
        np.array([False, True]), np.array([low, high])
    )
    assert thresholds[1] == high
    assert (tp[1], fp[1]) == (1, 0)
    assert _naive_counts(np.array([0, 1]), np.array([low, high]), thresholds[1]) == (
        1,
        0,
        1,
        0,
    )


def test_confusion_counts_constant_scores_give_two_candidates():
    thresholds, tp, fp, tn, fn = confusion_counts(
        np.array([True, False, True]), np.zeros(3)
    )
    np.testing.assert_array_equal(thresholds, [np.inf, -np.inf])
    np.testing.assert_array_equal(tp, [0, 2])
    np.testing.assert_array_equal(fp, [0, 1])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_confusion_counts_property_every_threshold_reproduces_its_counts(rows):
    y = np.array([r[0] for r in rows])
    score = np.array([r[1] for r in rows])
    thresholds, tp, fp, tn, fn = confusion_counts(y, score)
    assert np.all(np.diff(thresholds) < 0)
    assert np.all(tp + fp + tn + fn == len(rows))
    for i, threshold in enumerate(thresholds):
        pred = score >= threshold
        assert tp[i] == np.sum(pred & y) and fp[i] == np.sum(pred & ~y)
        assert fn[i] == np.sum(~pred & y) and tn[i] == np.sum(~pred & ~y)


def _reference_metric(name, y, y_pred, beta=1.0):
    if name == "f1":
        return f1_score(y, y_pred, zero_division=0)
    if name == "fbeta":
        return fbeta_score(y, y_pred, beta=beta, zero_division=0)
    if name == "precision":
        return precision_score(y, y_pred, zero_division=0)
    if name == "recall":
        return recall_score(y, y_pred, zero_division=0)
    if name == "specificity":
        return recall_score(y, y_pred, pos_label=0, zero_division=0)
    if name == "balanced_accuracy":
        return balanced_accuracy_score(y, y_pred)
    if name == "mcc":
        return matthews_corrcoef(y, y_pred)
    if name == "youden":
        return balanced_accuracy_score(y, y_pred, adjusted=True)
    if name == "gmean":
        return geometric_mean_score(y, y_pred, average="binary")
    if name == "accuracy":
        return accuracy_score(y, y_pred)
    raise AssertionError(name)


@pytest.mark.parametrize(
    "name",
    [
        "f1",
        "fbeta",
        "precision",
        "recall",
        "specificity",
        "balanced_accuracy",
        "mcc",
        "youden",
        "gmean",
        "accuracy",
    ],
)
def test_objective_scores_match_sklearn_metrics_at_every_threshold(
    name, global_random_seed
):
    rng = np.random.default_rng(global_random_seed)
    y, score = _scores_with_ties(rng, n=80)
    thresholds, tp, fp, tn, fn = confusion_counts(y == 1, score)
    values = objective_scores(name, tp, fp, tn, fn, beta=2.0)
    for i, threshold in enumerate(thresholds):
        y_pred = (score >= threshold).astype(int)
        expected = _reference_metric(name, y, y_pred, beta=2.0)
        assert values[i] == pytest.approx(expected, abs=1e-12), (name, threshold)


def test_objective_scores_cost_is_the_negative_mean_cost():
    tp, fp, tn, fn = (np.array([v]) for v in (3, 2, 4, 1))
    cost = parse_cost({"fp": 1, "fn": 5, "tp": -2})
    expected = (3 * -2 + 2 * 1 + 1 * 5) / 10
    assert expected_cost(cost, tp, fp, tn, fn)[0] == pytest.approx(expected)
    assert objective_scores("cost", tp, fp, tn, fn, cost=cost)[0] == pytest.approx(
        -expected
    )


def test_objective_scores_callable_gets_arrays_and_must_return_one_per_threshold():
    tp, fp, tn, fn = (np.array([1, 2]),) * 4
    np.testing.assert_allclose(
        objective_scores(lambda tp, fp, tn, fn: tp - fp / 2, tp, fp, tn, fn),
        [0.5, 1.0],
    )
    with pytest.raises(ValueError, match=r"one score per threshold.*got \(\)"):
        objective_scores(lambda tp, fp, tn, fn: 1.0, tp, fp, tn, fn)


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95])
def test_clopper_pearson_matches_scipy_exact_interval(confidence):
    # The one-sided bound at level c is the two-sided exact interval's end at 2c - 1.
    for trials in (1, 7, 40):
        for successes in range(trials + 1):
            ci = binomtest(successes, trials).proportion_ci(
                confidence_level=2 * confidence - 1, method="exact"
            )
            lower = clopper_pearson(successes, trials, confidence, "lower")
            upper = clopper_pearson(successes, trials, confidence, "upper")
            assert float(lower) == pytest.approx(ci.low, abs=1e-10)
            assert float(upper) == pytest.approx(ci.high, abs=1e-10)


def test_clopper_pearson_without_trials_is_uninformative():
    assert float(clopper_pearson(0, 0, 0.9, "lower")) == 0.0
    assert float(clopper_pearson(0, 0, 0.9, "upper")) == 1.0


def _reference_constraint(name, y, y_pred):
    if name == "recall":
        return recall_score(y, y_pred, zero_division=0)
    if name == "precision":
        return precision_score(y, y_pred, zero_division=0)
    if name == "specificity":
        return recall_score(y, y_pred, pos_label=0)
    if name == "npv":
        return precision_score(y, y_pred, pos_label=0, zero_division=0)
    if name == "accuracy":
        return accuracy_score(y, y_pred)
    if name == "fpr":
        return 1 - recall_score(y, y_pred, pos_label=0)
    if name == "fnr":
        return 1 - recall_score(y, y_pred)
    if name == "alert_rate":
        return y_pred.mean()
    raise AssertionError(name)


@pytest.mark.parametrize("name", sorted(CONSTRAINT_METRICS))
def test_constraint_metric_matches_sklearn(name, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    y, score = _scores_with_ties(rng, n=60)
    thresholds, tp, fp, tn, fn = confusion_counts(y == 1, score)
    _, _, values = constraint_metric(name, tp, fp, tn, fn)
    for i, threshold in enumerate(thresholds):
        y_pred = (score >= threshold).astype(int)
        expected = _reference_constraint(name, y, y_pred)
        assert values[i] == pytest.approx(expected, abs=1e-12)


def test_parse_constraints_kinds_aliases_and_alert_rate():
    assert parse_constraints(None) == []
    assert parse_constraints({"sensitivity": 0.8, "fnr": 0.3}, alert_rate=0.1) == [
        ("recall", "lower", 0.8),
        ("fnr", "upper", 0.3),
        ("alert_rate", "upper", 0.1),
    ]


@pytest.mark.parametrize(
    "constraint, alert_rate, err_msg",
    [
        ({"roc_auc": 0.8}, None, r"Unknown metric 'roc_auc' in constraint"),
        ({"recall": 1.5}, None, r"bound of 'recall'.*\[0, 1\], got 1.5"),
        ({"recall": "high"}, None, r"bound of 'recall'.*got 'high'"),
        ({"recall": True}, None, r"bound of 'recall'.*got True"),
        ({"recall": 0.8, "tpr": 0.9}, None, r"'recall' is constrained twice"),
        ({"alert_rate": 0.1}, 0.2, r"alert rate is set twice"),
    ],
)
def test_parse_constraints_errors(constraint, alert_rate, err_msg):
    with pytest.raises(ValueError, match=err_msg):
        parse_constraints(constraint, alert_rate)


def test_parse_cost_defaults_and_fills_missing_outcomes():
    assert parse_cost(None) == {"tp": 0.0, "fp": 1.0, "tn": 0.0, "fn": 1.0}
    assert parse_cost({"fn": 5}) == {"tp": 0.0, "fp": 0.0, "tn": 0.0, "fn": 5.0}


@pytest.mark.parametrize(
    "cost, err_msg",
    [
        ({"false_positive": 1}, r"Unknown outcome 'false_positive' in cost"),
        ({"fp": "1"}, r"cost of 'fp' must be a finite real number, got '1'"),
        ({"fn": np.inf}, r"cost of 'fn' must be a finite real number, got inf"),
        (
            [[1, 2], [3, 4]],
            r"keys among 'tp', 'fp', 'tn' and 'fn'.*"
            r"it is cost=\{'tn': 1, 'fp': 2, 'fn': 3, 'tp': 4\}",
        ),
        ([1, 2], r"keys among 'tp', 'fp', 'tn' and 'fn'.*got cost=\[1, 2\]\.$"),
    ],
)
def test_parse_cost_errors(cost, err_msg):
    with pytest.raises(ValueError, match=err_msg):
        parse_cost(cost)


@pytest.mark.parametrize("side", ["lower", "upper"])
def test_clopper_pearson_long_arrays_equal_pair_by_pair(side, global_random_seed):
    # Long arrays compute each distinct (successes, trials) pair once.
    rng = np.random.default_rng(global_random_seed)
    successes = rng.integers(0, 30, 500)
    trials = successes + rng.integers(0, 30, 500)
    together = clopper_pearson(successes, trials, 0.9, side)
    one_by_one = [
        clopper_pearson(successes[i : i + 1], trials[i : i + 1], 0.9, side)[0]
        for i in range(500)
    ]
    np.testing.assert_array_equal(together, one_by_one)
