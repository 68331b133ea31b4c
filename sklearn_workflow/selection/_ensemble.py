"""Ensembles of the race's survivors: greedy weights, their honest test, the model.

:func:`greedy_weights` is Caruana's ensemble selection: starting from the best
single model, add (with replacement) the member whose addition most improves the
score of the averaged out-of-fold predictions, until no addition improves it; the
weights are the counts over the number of additions. :func:`ensemble_fold_scores`
chooses the weights on the out-of-fold rows of every fold but one and scores the
ensemble on the one left out, so that no fold score of the ensemble comes from
rows its weights were chosen on. :func:`paired_test` compares those fold scores
with the best single model's on the same folds. :class:`WeightedEnsemble` is the
fitted model: a weighted soft vote (a weighted mean for regression) of its members
refitted on all the rows.
"""

import time
from numbers import Real

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, clone
from sklearn.utils import ClassifierTags, RegressorTags, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_workflow.utils._param_validation import _fit_context

__all__ = [
    "ENSEMBLE_ALPHA",
    "ENSEMBLE_NAME",
    "WeightedEnsemble",
    "aligned_proba",
    "ensemble_fold_scores",
    "greedy_weights",
    "offer_ensemble",
    "one_row_latency_ms",
    "paired_test",
]

# One-sided level of the paired test that keeps an ensemble.
ENSEMBLE_ALPHA = 0.05
# The most additions of the greedy selection.
MAX_ADDITIONS = 20


def aligned_proba(proba, model_classes, classes):
    """Probability columns in the order of ``classes`` (0 for a class the model
    never saw).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.selection._ensemble import aligned_proba
    >>> aligned_proba(np.array([[0.2, 0.8]]), ["b", "c"], np.array(["a", "b", "c"]))
    array([[0. , 0.2, 0.8]])
    """
    proba = np.asarray(proba, dtype=float)
    out = np.zeros((proba.shape[0], len(classes)))
    position = {c: k for k, c in enumerate(np.asarray(classes).tolist())}
    for j, c in enumerate(np.asarray(model_classes).tolist()):
        out[:, position[c]] = proba[:, j]
    return out


def _blend(predictions, counts):
    """The weighted mean of the members' predictions (weights ``counts``)."""
    total = 0.0
    for p, w in zip(predictions, counts):
        if w:
            total = total + w * p
    return total / np.sum(counts)


def greedy_weights(predictions, score, *, max_additions=MAX_ADDITIONS):
    """Caruana's greedy ensemble selection, with replacement.

    Parameters
    ----------
    predictions : list of ndarray
        Each member's out-of-fold predictions on the same rows (class
        probabilities, or values for a regression).
    score : callable
        ``score(blended predictions)``, greater is better.
    max_additions : int, default=20
        The most members added (the first, the best single one, included).

    Returns
    -------
    weights : ndarray of shape (n_members,)
        Non-negative, summing to 1.

    Examples
    --------
    Two members whose errors cancel get equal weights; a useless third none:

    >>> import numpy as np
    >>> from sklearn_workflow.selection._ensemble import greedy_weights
    >>> y = np.array([0.0, 1.0, 2.0, 3.0])
    >>> members = [y + [1, -1, 1, -1], y - [1, -1, 1, -1], np.zeros(4)]
    >>> greedy_weights(members, lambda p: -np.mean((p - y) ** 2)).tolist()
    [0.5, 0.5, 0.0]
    """
    n = len(predictions)
    counts = np.zeros(n)
    singles = [score(p) for p in predictions]
    counts[int(np.nanargmax(singles))] = 1
    best = float(np.nanmax(singles))
    for _ in range(max_additions - 1):
        trials = []
        for m in range(n):
            counts[m] += 1
            trials.append(score(_blend(predictions, counts)))
            counts[m] -= 1
        m = int(np.nanargmax(trials))
        if not trials[m] > best + 1e-12:
            break
        counts[m] += 1
        best = float(trials[m])
    return counts / counts.sum()


def ensemble_fold_scores(predictions, fold_rows, score):
    """The ensemble's score on each fold, its weights chosen on the other folds.

    Parameters
    ----------
    predictions : list of ndarray
        Each member's out-of-fold predictions, rows in the order of the
        concatenated validation folds.
    fold_rows : list of ndarray
        The positions, in those rows, of each fold.
    score : callable
        ``score(blended predictions, rows)``: the score on ``rows``.

    Returns
    -------
    fold_scores : ndarray of shape (n_folds,)
    weights : ndarray of shape (n_folds, n_members)
        The weights each fold was scored with.
    """
    fold_scores, weights = [], []
    for f, rows in enumerate(fold_rows):
        others = np.concatenate([r for g, r in enumerate(fold_rows) if g != f])
        w = greedy_weights(
            [p[others] for p in predictions], lambda b, rows=others: score(b, rows)
        )
        fold_scores.append(score(_blend([p[rows] for p in predictions], w), rows))
        weights.append(w)
    return np.array(fold_scores, dtype=float), np.array(weights)


def paired_test(ensemble, single, test_train_ratio, alpha=ENSEMBLE_ALPHA):
    """Is the ensemble better than the single model on the same folds?

    One-sided paired t-test on the fold differences, with Nadeau and Bengio's
    corrected standard error ``sqrt(s2 * (1 / k + n_test / n_train))`` (the
    training sets of the folds overlap).

    Parameters
    ----------
    ensemble, single : ndarray of shape (n_folds,)
        Fold scores, greater is better.
    test_train_ratio : float
        Validation size over training size of a fold.
    alpha : float, default=0.05
        The level.

    Returns
    -------
    better : bool
    mean_difference : float
    p_value : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.selection._ensemble import paired_test
    >>> single = np.array([0.80, 0.82, 0.79, 0.81, 0.80])
    >>> paired_test(single + [0.02, 0.03, 0.02, 0.025, 0.03], single, 0.25)[0]
    True
    >>> paired_test(single + [0.02, -0.01, 0.0, 0.01, -0.005], single, 0.25)[0]
    False
    """
    diffs = np.asarray(ensemble, dtype=float) - np.asarray(single, dtype=float)
    k = diffs.shape[0]
    mean = float(np.mean(diffs))
    if k < 2 or not np.isfinite(diffs).all():
        return False, mean, float("nan")
    s2 = float(diffs.var(ddof=1))
    se = np.sqrt(s2 * (1.0 / k + test_train_ratio))
    if se == 0.0:
        p_value = 0.0 if mean > 0 else 1.0
    else:
        p_value = float(stats.t.sf(mean / se, k - 1))
    return bool(mean > 0 and p_value < alpha), mean, p_value


def one_row_latency_ms(model, X, n_calls=21):
    """The 95th percentile, in milliseconds, of ``n_calls`` one-row predictions.

    The rows are the first ``n_calls`` of ``X`` (cycled); the method is
    ``predict_proba`` when the model has it, else ``predict``.
    """
    method = getattr(model, "predict_proba", None) or model.predict
    times = []
    for i in range(n_calls):
        row = X[i % X.shape[0]][None, :]
        start = time.perf_counter()
        method(row)
        times.append(time.perf_counter() - start)
    return 1000.0 * float(np.percentile(times, 95))


def _classifier_members(ensemble):
    """``available_if`` check: every member is a classifier."""
    return ensemble._classifier()


class WeightedEnsemble(BaseEstimator):
    """A weighted soft vote of estimators (a weighted mean for a regression).

    Each estimator is cloned and fitted on all the rows; ``predict_proba`` is
    the weighted mean of their class probabilities (columns aligned on
    ``classes_``), ``predict`` the class of highest mean probability, or, for
    regressors, the weighted mean of their predictions. This is the model
    ``ModelSelector(ensemble="auto")`` keeps when the ensemble of its race's
    survivors beats the best single one.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The members, all classifiers with ``predict_proba`` or all regressors.
    weights : tuple of float or None, default=None
        Non-negative weights, one per member; None: equal weights.

    Attributes
    ----------
    estimators_ : list of estimator
        The fitted members.
    weights_ : ndarray of shape (n_estimators,)
        The weights, summing to 1.
    classes_ : ndarray of shape (n_classes,)
        The class labels (classifiers only).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.ensemble.VotingClassifier : The same soft vote; this class is the
        one both tasks share, and the one the selector's files carry.
    sklearn.ensemble.StackingClassifier : Learns the combination by a model on
        out-of-fold predictions instead of fixed weights.

    Examples
    --------
    A member that cannot take missing values gets them imputed by its own
    pipeline; the ensemble passes the NaN through:

    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from sklearn.impute import SimpleImputer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_workflow.selection import WeightedEnsemble
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> X[0, 0] = np.nan
    >>> ensemble = WeightedEnsemble(
    ...     [("logit", make_pipeline(SimpleImputer(), LogisticRegression())),
    ...      ("hgb", HistGradientBoostingClassifier(max_iter=20))],
    ...     weights=(0.75, 0.25),
    ... ).fit(X, y)
    >>> ensemble.predict_proba(X[:2]).shape, ensemble.predict(X[:1]).shape
    ((2, 2), (1,))
    """

    _parameter_constraints = {
        "estimators": [list],
        "weights": [tuple, list, np.ndarray, None],
    }

    def __init__(self, estimators, *, weights=None):
        self.estimators = estimators
        self.weights = weights

    def _classifier(self):
        members = [est for _, est in self.estimators]
        return bool(members) and all(
            get_tags(est).estimator_type == "classifier" for est in members
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        members = [est for _, est in self.estimators]
        if self._classifier():
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags()
        elif members and all(
            get_tags(est).estimator_type == "regressor" for est in members
        ):
            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags()
        tags.input_tags.allow_nan = bool(members) and all(
            get_tags(est).input_tags.allow_nan for est in members
        )
        return tags

    def _checked_weights(self):
        n = len(self.estimators)
        if not n:
            raise ValueError("estimators must hold at least one (name, estimator).")
        if self.weights is None:
            return np.full(n, 1.0 / n)
        weights = np.asarray(self.weights, dtype=float)
        valid = all(isinstance(w, Real) for w in np.asarray(self.weights).tolist())
        if (
            not valid
            or weights.shape != (n,)
            or (weights < 0).any()
            or weights.sum() <= 0
        ):
            raise ValueError(
                f"weights must be {n} non-negative numbers with a positive sum, "
                f"got {self.weights!r}."
            )
        return weights / weights.sum()

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit every member on all the rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Passed to each member's ``fit`` (to a pipeline's last step).

        Returns
        -------
        self : WeightedEnsemble
        """
        from sklearn_workflow.selection._weights import fit_weighted

        self.weights_ = self._checked_weights()
        X, y = validate_data(
            self, X, y, ensure_all_finite=self._finite(), y_numeric=False
        )
        if self._classifier():
            check_classification_targets(y)
            self.classes_ = np.unique(y)
        self.estimators_ = [
            fit_weighted(clone(est), X, y, sample_weight) for _, est in self.estimators
        ]
        return self

    def _X(self, X):
        check_is_fitted(self, "estimators_")
        return validate_data(self, X, reset=False, ensure_all_finite=self._finite())

    def _finite(self):
        # the members check their own input: a pipeline that imputes takes NaN
        # although its tags say otherwise
        return False

    @available_if(_classifier_members)
    def predict_proba(self, X):
        """The weighted mean of the members' class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        X = self._X(X)
        probas = [
            aligned_proba(est.predict_proba(X), est.classes_, self.classes_)
            for est in self.estimators_
        ]
        return _blend(probas, self.weights_)

    def predict(self, X):
        """The class of highest mean probability, or the weighted mean value.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        if hasattr(self, "classes_"):
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        X = self._X(X)
        return _blend(
            [np.asarray(est.predict(X), dtype=float) for est in self.estimators_],
            self.weights_,
        )

    def score(self, X, y, sample_weight=None):
        """Accuracy for classifiers, R² for regressors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,)
            True targets.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights.

        Returns
        -------
        score : float
        """
        from sklearn.metrics import accuracy_score, r2_score

        metric = accuracy_score if hasattr(self, "classes_") else r2_score
        return float(metric(y, self.predict(X), sample_weight=sample_weight))


# -- the offer of ModelSelector(ensemble="auto") -----------------------------------
# The most members considered: the best survivors by mean score.
MAX_MEMBERS = 6
ENSEMBLE_NAME = "Ensemble"


class _Fixed:
    """Answers ``predict_proba``/``predict`` with given predictions, so that a
    scorer scores blended out-of-fold predictions as it scores a model."""

    def __init__(self, like, predictions, classes):
        self._like = like
        self._predictions = predictions
        if classes is not None:
            self.classes_ = classes

    def predict_proba(self, X):
        return self._predictions

    def predict(self, X):
        if hasattr(self, "classes_"):
            return self.classes_[np.argmax(self._predictions, axis=1)]
        return self._predictions

    def __sklearn_tags__(self):
        return get_tags(self._like)


def _member_predictions(outcomes, c, n_folds, classes):
    """Candidate ``c``'s validation predictions over the folds, concatenated."""
    parts = []
    for f in range(n_folds):
        model_classes, values = outcomes[c, f]["predictions"]
        if classes is not None:
            values = aligned_proba(values, model_classes, classes)
        parts.append(values)
    return np.concatenate(parts)


def _eligible(outcomes, candidates, n_folds):
    """The candidates with validation predictions on every fold."""
    keep = []
    for c in candidates:
        results = [outcomes.get((c, f)) for f in range(n_folds)]
        if all(
            r is not None and r["error"] is None and r.get("predictions") is not None
            for r in results
        ):
            keep.append(c)
    return keep


def offer_ensemble(
    outcomes,
    survivors,
    winner,
    winner_scores,
    splits,
    y,
    *,
    scorer,
    like,
    classes=None,
    sample_weight=None,
):
    """The ensemble of the survivors, and whether it beats the best single one.

    Parameters
    ----------
    outcomes : dict
        ``{(candidate, fold): result}``, the results holding ``predictions``.
    survivors : list of int
        The candidates that ran every fold, best mean first (the winner first).
    winner : int
        The best single candidate (which may have no probabilities, and then is
        not a member).
    winner_scores : ndarray of shape (n_folds,)
        Its fold scores.
    splits : list of (train, test)
        The folds.
    y : ndarray
        The target.
    scorer : callable
        The primary scorer, ``scorer(estimator, X, y, sample_weight=...)``.
    like : estimator
        A candidate whose tags the scorer reads (classifier or regressor).
    classes : ndarray or None, default=None
        The classes (classification).
    sample_weight : ndarray or None, default=None
        Row weights of the scores.

    Returns
    -------
    offer : dict or None
        None when fewer than two survivors have predictions on every fold;
        else ``members`` (candidates), ``weights`` (chosen on every fold's
        predictions), ``fold_scores`` (each fold scored with weights chosen on
        the others), ``better`` (the paired test), ``mean_difference``,
        ``p_value`` and ``note``.
    """
    n_folds = len(splits)
    members = _eligible(outcomes, survivors, n_folds)[:MAX_MEMBERS]
    if len(members) < 2:
        return None
    predictions = [_member_predictions(outcomes, c, n_folds, classes) for c in members]
    tests = [test for _, test in splits]
    y_oof = np.concatenate([y[t] for t in tests])
    w_oof = (
        None
        if sample_weight is None
        else np.concatenate([sample_weight[t] for t in tests])
    )
    ends = np.cumsum([0] + [len(t) for t in tests])
    fold_rows = [np.arange(ends[f], ends[f + 1]) for f in range(n_folds)]
    dummy = np.zeros((len(y_oof), 1))

    def score(blended, rows):
        weights = {} if w_oof is None else {"sample_weight": w_oof[rows]}
        fixed = _Fixed(like, blended, classes)
        return float(scorer(fixed, dummy[rows], y_oof[rows], **weights))

    all_rows = np.arange(len(y_oof))
    weights = greedy_weights(predictions, lambda b: score(b, all_rows))
    fold_scores, _ = ensemble_fold_scores(predictions, fold_rows, score)
    ratio = float(np.mean([len(te) / len(tr) for tr, te in splits]))
    better, diff, p_value = paired_test(fold_scores, winner_scores, ratio)
    if np.count_nonzero(weights) < 2:
        better = False
        note = "the greedy selection kept the best single model alone"
    elif better:
        note = f"better than the best single model (+{diff:.4f}, p={p_value:.3f})"
    else:
        note = (
            f"not significantly better than the best single model ({diff:+.4f}, "
            f"p={p_value:.3f}, on folds its weights were not chosen on)"
        )
    return {
        "members": members,
        "weights": weights,
        "fold_scores": fold_scores,
        "better": better,
        "mean_difference": diff,
        "p_value": p_value,
        "note": note,
    }
