"""diagnose_learning_curve(): a learning curve read as a diagnosis with a fix."""

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import check_cv, cross_val_score, learning_curve

from sklearn_workflow.problem._metrics import ALIASES, METRICS
from sklearn_workflow.report import markdown_table, section, table_to_html
from sklearn_workflow.report._blocks import draw_figure, paragraph
from sklearn_workflow.utils._param_validation import (
    HasMethods,
    Interval,
    validate_params,
)

__all__ = ["LearningCurveDiagnosis", "diagnose_learning_curve"]

# The four patterns of a learning curve: what is seen, what it means, what to do.
PATTERNS = {
    "overfitting": (
        "training score high, validation score low, large gap",
        "More data, regularization, simpler model",
    ),
    "underfitting": (
        "both scores low, small gap",
        "More features, complex model, less regularization",
    ),
    "good fit": ("both scores high, small gap", "Deploy"),
    "not enough features": (
        "validation score plateaus early below the target",
        "Feature engineering",
    ),
}


@dataclass
class LearningCurveDiagnosis:
    """A learning curve and what it says about the model.

    Attributes
    ----------
    diagnosis : {"overfitting", "underfitting", "good fit", "not enough features"}
    pattern : str
        What the curve shows for that diagnosis.
    fix : str
        What to do about it.
    reason : str
        The numbers that decided it, in a sentence.
    evidence : dict
        ``train_score``, ``validation_score`` (means at the largest size, in
        the scorer's units), ``train_skill``, ``validation_skill``, ``gap``
        (train minus validation skill), ``validation_gain_second_half`` and the
        thresholds ``high``, ``max_gap``, ``plateau_tol``.
    train_sizes : ndarray of shape (n_sizes,)
        Absolute numbers of training rows.
    train_scores, validation_scores : ndarray of shape (n_sizes, n_splits)
        Scores per size and split, as the scorer returns them (greater is
        better; errors are negative).
    scoring : str
    chance_score : float
        Cross-validated score of a dummy model (class prior or mean).
    perfect_score : float
        Best possible score (1 for accuracy-like scores and R², 0 for negated
        errors).
    """

    diagnosis: str
    pattern: str
    fix: str
    reason: str
    evidence: dict
    train_sizes: np.ndarray = field(repr=False)
    train_scores: np.ndarray = field(repr=False)
    validation_scores: np.ndarray = field(repr=False)
    scoring: str = "score"
    chance_score: float = 0.0
    perfect_score: float = 1.0

    def to_frame(self):
        """Mean and standard deviation of both curves per training size."""
        return pd.DataFrame(
            {
                "train_size": self.train_sizes,
                "train_mean": self.train_scores.mean(axis=1),
                "train_std": self.train_scores.std(axis=1),
                "validation_mean": self.validation_scores.mean(axis=1),
                "validation_std": self.validation_scores.std(axis=1),
            }
        )

    def to_dict(self):
        """JSON-serialisable summary: diagnosis, fix, evidence and the curves."""
        return {
            "diagnosis": self.diagnosis,
            "pattern": self.pattern,
            "fix": self.fix,
            "reason": self.reason,
            "scoring": self.scoring,
            "chance_score": float(self.chance_score),
            "perfect_score": float(self.perfect_score),
            "evidence": {k: float(v) for k, v in self.evidence.items()},
            "curve": {k: [float(x) for x in v] for k, v in self.to_frame().items()},
        }

    def to_markdown(self):
        """The diagnosis and the curve table as Markdown."""
        return "\n".join(
            [
                f"**Diagnosis: {self.diagnosis}** ({self.pattern}). Fix: {self.fix}.",
                "",
                self.reason,
                "",
                markdown_table(self.to_frame()),
            ]
        )

    def to_html(self, *, plots=True):
        """A ``<section>`` for an HTML report (diagnosis, table, figure)."""
        diagnosis = f"Diagnosis: {self.diagnosis}"
        parts = [
            paragraph(
                diagnosis, f" ({self.pattern}). Fix: {self.fix}.", strong=(diagnosis,)
            ),
            paragraph(self.reason),
            table_to_html(self.to_frame()),
        ]
        if plots:
            html, _ = draw_figure(self.plot, "learning curve")
            parts.append(html)
        return section("Learning curve", *parts)

    def plot(self, ax=None):
        """Training and validation curves with one-standard-deviation bands.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None creates a new figure.

        Returns
        -------
        figure : matplotlib Figure
        """
        import matplotlib.pyplot as plt

        if ax is None:
            figure, ax = plt.subplots(figsize=(8, 5))
        else:
            figure = ax.figure
        frame = self.to_frame()
        sizes = frame["train_size"]
        for name, label in (("train", "Training"), ("validation", "Validation")):
            mean, std = frame[f"{name}_mean"], frame[f"{name}_std"]
            ax.plot(sizes, mean, "o-", label=label)
            ax.fill_between(sizes, mean - std, mean + std, alpha=0.15)
        ax.axhline(self.chance_score, color="grey", ls=":", label="Dummy baseline")
        ax.set_xlabel("Training set size")
        ax.set_ylabel(self.scoring)
        ax.set_title(f"Learning curve: {self.diagnosis} (fix: {self.fix})")
        ax.legend(loc="best")
        ax.grid(True, alpha=0.3)
        figure.tight_layout()
        return figure


def _resolve_scoring(estimator, scoring, perfect_score):
    """(scoring for scikit-learn, its name, its perfect score)."""
    if scoring is None:
        scoring = "r2" if is_regressor(estimator) else "accuracy"
    if callable(scoring):
        if perfect_score is None:
            raise ValueError(
                "perfect_score is needed with a callable scoring (the best value "
                f"it can return); got perfect_score=None for scoring={scoring!r}"
            )
        return scoring, getattr(scoring, "__name__", "score"), float(perfect_score)
    if scoring in get_scorer_names():
        best = 0.0 if scoring.startswith("neg_") else 1.0
        name = scoring
        sk_scoring = scoring
    elif ALIASES.get(scoring, scoring) in METRICS:
        metric = METRICS[ALIASES.get(scoring, scoring)]
        sk_scoring = metric.scorer()
        best = 1.0 if metric.greater_is_better else 0.0
        name = metric.name if metric.greater_is_better else f"neg_{metric.name}"
    else:
        raise ValueError(
            "scoring must be a scikit-learn scorer name, a metric name of the "
            f"problem card or a callable; got {scoring!r}"
        )
    if perfect_score is not None:
        best = float(perfect_score)
    return sk_scoring, name, best


def _diagnose(train_scores, validation_scores, chance, perfect, high, max_gap, tol):
    """Apply the decision table to mean curves; return (diagnosis, evidence).

    Scores are first put on a common scale, the skill: 0 for the dummy model's
    score, 1 for the perfect score. Then, at the largest training size, with
    ``gap = train skill - validation skill`` (first match wins):

    1. ``gap > max_gap``: overfitting;
    2. validation skill ``>= high``: good fit;
    3. train skill ``< high``: underfitting (both low, small gap);
    4. otherwise the model fits its training data (train skill ``>= high``),
       generalises with a small gap, yet validation stays below ``high``: if
       the validation skill gained less than ``plateau_tol`` over the second
       half of the training sizes it has plateaued early -- not enough
       features; if it is still climbing, more data will close the rest of the
       gap, which is the overfitting fix.
    """
    train = np.asarray(train_scores, dtype=np.float64).mean(axis=1)
    valid = np.asarray(validation_scores, dtype=np.float64).mean(axis=1)
    span = perfect - chance
    if not np.isfinite(span) or abs(span) < 1e-12:
        span = 1.0  # the dummy is perfect: compare raw differences
    train_skill = (train - chance) / span
    valid_skill = (valid - chance) / span
    gap = train_skill[-1] - valid_skill[-1]
    mid = (len(valid) - 1) // 2
    gain = valid_skill[-1] - valid_skill[mid] if len(valid) >= 3 else np.inf
    if gap > max_gap:
        diagnosis = "overfitting"
    elif valid_skill[-1] >= high:
        diagnosis = "good fit"
    elif train_skill[-1] < high:
        diagnosis = "underfitting"
    elif gain < tol:
        diagnosis = "not enough features"
    else:
        diagnosis = "overfitting"
    evidence = {
        "train_score": train[-1],
        "validation_score": valid[-1],
        "train_skill": train_skill[-1],
        "validation_skill": valid_skill[-1],
        "gap": gap,
        "validation_gain_second_half": gain if np.isfinite(gain) else np.nan,
        "high": high,
        "max_gap": max_gap,
        "plateau_tol": tol,
    }
    return diagnosis, {key: float(value) for key, value in evidence.items()}


def _reason(diagnosis, ev):
    numbers = (
        f"At the largest training size the training skill is "
        f"{ev['train_skill']:.2f} and the validation skill "
        f"{ev['validation_skill']:.2f} (0 = dummy model, 1 = perfect), a gap of "
        f"{ev['gap']:.2f}"
    )
    if diagnosis == "overfitting" and ev["gap"] > ev["max_gap"]:
        why = f"the gap exceeds max_gap={ev['max_gap']:g}"
    elif diagnosis == "overfitting":
        why = (
            f"the validation skill is below high={ev['high']:g} but still gained "
            f"{ev['validation_gain_second_half']:.3f} over the second half of the "
            "sizes: more data should close the gap"
        )
    elif diagnosis == "good fit":
        why = f"both reach high={ev['high']:g} with a gap within max_gap"
    elif diagnosis == "underfitting":
        why = (
            f"even the training skill is below high={ev['high']:g}: the model "
            "cannot fit the data it sees"
        )
    else:
        why = (
            f"the model fits its training data, but the validation skill gained "
            f"only {ev['validation_gain_second_half']:.3f} (< plateau_tol="
            f"{ev['plateau_tol']:g}) over the second half of the sizes while "
            f"staying below high={ev['high']:g}"
        )
    return f"{numbers}; {why}."


@validate_params(
    {
        "estimator": [HasMethods(["fit"])],
        "X": ["array-like"],
        "y": ["array-like"],
        "cv": ["cv_object"],
        "scoring": [None, str, callable],
        "train_sizes": ["array-like"],
        "high": [Interval(Real, 0, 1, closed="both")],
        "max_gap": [Interval(Real, 0, None, closed="left")],
        "plateau_tol": [Interval(Real, 0, None, closed="left")],
        "perfect_score": [None, Real],
        "n_jobs": [None, Integral],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=False,
)
def diagnose_learning_curve(
    estimator,
    X,
    y,
    *,
    cv=5,
    scoring=None,
    train_sizes=(0.1, 0.325, 0.55, 0.775, 1.0),
    high=0.7,
    max_gap=0.15,
    plateau_tol=0.02,
    perfect_score=None,
    n_jobs=None,
    shuffle=False,
    random_state=None,
):
    """Run a learning curve and diagnose it: over/underfitting, good fit, plateau.

    The usual "how to read learning curves" table, computed: scikit-learn's
    ``learning_curve`` gives training and validation scores per training-set
    size; a dummy model (class prior or mean) cross-validated on the same
    splits gives the chance level. Scores become skills (0 = the dummy's score,
    1 = perfect), so the same thresholds read accuracy, ROC-AUC, R² or a
    negated RMSE alike. The decision table, first match wins, at the largest
    training size (``gap`` = train skill - validation skill):

    1. ``gap > max_gap``: **overfitting** -- More data, regularization,
       simpler model.
    2. validation skill ``>= high``: **good fit** -- Deploy.
    3. train skill ``< high``: **underfitting** -- More features, complex
       model, less regularization.
    4. train skill ``>= high`` but validation skill ``< high``, with a gap
       within ``max_gap``: if the validation skill gained less than
       ``plateau_tol`` over the second half of the sizes, it plateaued early:
       **not enough features** -- Feature engineering. If it is still
       climbing, more data closes the rest: **overfitting** (mild).

    Parameters
    ----------
    estimator : estimator instance
        Unfitted; cloned for every fit.
    X : DataFrame or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    cv : int, cross-validation generator or iterable, default=5
        Splits, used for both the curve and the dummy baseline.
    scoring : str or callable, default=None
        A scikit-learn scorer name, a metric name of the problem card
        ("recall", "rmse", ...) or a callable scorer (then ``perfect_score`` is
        required). None: accuracy for classifiers, R² for regressors.
    train_sizes : array-like, default=(0.1, 0.325, 0.55, 0.775, 1.0)
        Fractions (or absolute numbers) of the training folds, as in
        ``learning_curve``.
    high : float, default=0.7
        Skill from which a score counts as high.
    max_gap : float, default=0.15
        Largest train-validation skill gap that counts as small.
    plateau_tol : float, default=0.02
        A validation curve that gains less skill than this over the second half
        of the sizes has plateaued.
    perfect_score : float, default=None
        The best possible score; None infers it (0 for ``neg_*`` scorers, 1
        otherwise).
    n_jobs : int, default=None
        Parallel fits (joblib).
    shuffle, random_state : bool and int or None, default=False and None
        Passed to ``learning_curve`` (shuffle the training rows before taking
        prefixes).

    Returns
    -------
    result : LearningCurveDiagnosis
        ``diagnosis``, ``fix``, ``reason``, ``evidence``, the curves,
        ``plot()``, ``to_dict()``, ``to_markdown()``, ``to_html()``.

    See Also
    --------
    sklearn.model_selection.learning_curve : Computes the curves; this function
        adds the chance level, the reading and the fix.
    sklearn.model_selection.LearningCurveDisplay : Plots the curves.

    Examples
    --------
    A tree grown without limit memorises noisy labels:

    >>> from sklearn.datasets import make_classification
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_workflow.selection import diagnose_learning_curve
    >>> X, y = make_classification(400, flip_y=0.3, random_state=0)
    >>> result = diagnose_learning_curve(DecisionTreeClassifier(random_state=0), X, y)
    >>> result.diagnosis, result.fix
    ('overfitting', 'More data, regularization, simpler model')
    >>> round(result.evidence["train_skill"], 2)
    1.0
    """
    sk_scoring, name, best = _resolve_scoring(estimator, scoring, perfect_score)
    splits = list(check_cv(cv, y, classifier=is_classifier(estimator)).split(X, y))
    sizes, train_scores, valid_scores = learning_curve(
        estimator,
        X,
        y,
        cv=splits,
        scoring=sk_scoring,
        train_sizes=np.asarray(train_sizes),
        n_jobs=n_jobs,
        shuffle=shuffle,
        random_state=random_state,
    )
    dummy = (
        DummyRegressor()
        if is_regressor(estimator)
        else DummyClassifier(strategy="prior")
    )
    chance = float(np.mean(cross_val_score(dummy, X, y, cv=splits, scoring=sk_scoring)))
    diagnosis, evidence = _diagnose(
        train_scores, valid_scores, chance, best, high, max_gap, plateau_tol
    )
    pattern, fix = PATTERNS[diagnosis]
    return LearningCurveDiagnosis(
        diagnosis=diagnosis,
        pattern=pattern,
        fix=fix,
        reason=_reason(diagnosis, evidence),
        evidence=evidence,
        train_sizes=sizes,
        train_scores=train_scores,
        validation_scores=valid_scores,
        scoring=name,
        chance_score=chance,
        perfect_score=best,
    )
