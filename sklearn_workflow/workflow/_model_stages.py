"""Stages 5 to 7 of the workflow: model selection, training and tuning, evaluation.

Like ``_data_stages.py``: one function per stage, each returning a plain result
object. The candidates are chosen in ``selection/``, the verdict is the card's own
(``problem/``).
"""

import warnings
from dataclasses import dataclass, field

import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from sklearn_workflow.workflow._budget import stratified_subsample
from sklearn_workflow.workflow._data_stages import max_folds, record_warnings

__all__ = ["evaluate_model", "select_model", "train_and_tune"]

# From this many training rows on, the candidates' folds run on every core.
PARALLEL_MIN_ROWS = 2_000


# -------------------------------------------------------------- 5 model selection
@dataclass
class SelectionResult:
    """Stage 5: the fitted selection pipeline, its selector, the rows it saw."""

    pipeline: object
    reason: str
    rows: object = None  # positions in the training rows; None: all of them

    @property
    def selector(self):
        return self.pipeline.named_steps["model"]


def select_model(quality, features, problem, plan, *, random_state, say, verbose=0):
    """Stage 5: race the candidates at the end of cleaner + checker + features,
    on the rows, folds, candidates and time the run's plan gives."""
    from sklearn_workflow.selection import ModelSelector
    from sklearn_workflow.selection._catalog import filter_candidates

    n_train = len(quality.X_train)
    # Candidates by the size of the model to ship: the winner is refitted on all.
    candidates, reason = filter_candidates(
        problem.task, n_train, fast_only=plan.fast_only, random_state=random_state
    )
    for line in (*plan.reasons, reason):
        if line:
            say(f"      {line}")
    rows = None
    if plan.selection_rows < n_train:
        rows = stratified_subsample(
            quality.y_train, plan.selection_rows, random_state, task=problem.task
        )
    X, y = _rows(quality, rows)
    selector = ModelSelector(
        candidates,
        scoring=problem.spec.scorer(problem.ranked_by),
        cv=max_folds(y, problem.is_classification, plan.folds),
        strategy="racing",
        task=problem.task,
        random_state=random_state,
        # Worker processes cost seconds to start: worth it on larger data only.
        n_jobs=-1 if len(y) >= PARALLEL_MIN_ROWS else None,
        time_budget=plan.selection_time,
        verbose=verbose,
    )
    pipeline = Pipeline(
        [*_door(quality, problem), ("features", features.features), ("model", selector)]
    )
    record_warnings(pipeline.fit, say, X, y)
    say(
        f"      winner: {selector.best_name_} "
        f"(cross-validated {problem.ranked_by} {selector.best_score_:.4f})"
    )
    return SelectionResult(pipeline, reason, rows)


def _rows(quality, rows):
    """The training rows at positions ``rows`` (all of them when None)."""
    if rows is None:
        return quality.X_train, quality.y_train
    return quality.X_train.iloc[rows], quality.y_train.iloc[rows]


def _door(quality, problem):
    """The first steps of every pipeline: the cleaner types the columns as at
    fit, the checker validates them against the training contract."""
    from sklearn_workflow.quality import DataQualityChecker

    return [
        ("clean", clone(quality.cleaner).set_params(on_invalid="warn")),
        ("quality", DataQualityChecker(on_violation="warn", task=problem.task)),
    ]


# ---------------------------------------------------------- 6 training and tuning
@dataclass
class TuningResult:
    """Stage 6: the model to ship, its tuned threshold, the learning curve."""

    model: object
    tuned: object
    curve: object
    notes: list = field(default_factory=list)

    @property
    def threshold(self):
        return None if self.tuned is None else float(self.tuned.threshold_)


def train_and_tune(quality, features, selection, problem, plan, *, random_state, say):
    """Stage 6: the model to ship (the winner, tuned when the card asks, on every
    training row), and the learning-curve diagnosis of the winner."""
    if problem.threshold_params:
        model = _tuned_model(quality, features, selection, problem, plan, say)
        tuned = model.named_steps["model"]
        say(
            f"      threshold {tuned.threshold_:.4f} for {problem.threshold_params} "
            f"(constraint met out of fold: {tuned.constraint_satisfied_})"
        )
    else:
        model, tuned = _winner_model(quality, features, selection, problem, say), None
        say(
            "      no threshold objective in the problem card: the winner keeps "
            "its own decision rule"
        )
    curve = _learning_curve(quality, features, selection, problem, plan, say)
    diagnosis, fix = str(curve.diagnosis), str(curve.fix)
    say(f"      learning curve ({problem.ranked_by}): {diagnosis} -> {fix}")
    say(f"        {curve.reason}")
    note = (
        f"Learning-curve diagnosis of the winner: {diagnosis} (suggested fix: {fix})."
    )
    return TuningResult(model, tuned, curve, [note])


def _winner_model(quality, features, selection, problem, say):
    """The winner behind the cleaner, the checker and the features, fitted on
    every training row."""
    if selection.rows is not None:  # selected on a subsample: refit on all rows
        model = Pipeline(
            [
                *_door(quality, problem),
                ("features", clone(features.features)),
                ("model", clone(selection.selector.best_estimator_)),
            ]
        )
        say(f"      the winner refitted on all {len(quality.X_train):,} training rows")
        record_warnings(model.fit, say, quality.X_train, quality.y_train)
        return model
    # The selector's fitted steps with its refitted winner: the selector itself
    # (its results table) stays in the report, not in the model. The winner was
    # refitted on the selector's checked arrays, so the features hand it arrays
    # too (a frame would make it warn about feature names).
    steps = selection.pipeline.named_steps
    return Pipeline(
        [
            ("clean", steps["clean"]),
            ("quality", steps["quality"]),
            ("features", steps["features"].set_output(transform="default")),
            ("model", selection.selector.best_estimator_),
        ]
    )


def _tuned_model(quality, features, selection, problem, plan, say):
    """Checker + features + the winner under a ThresholdTunedClassifier, fitted.

    Refitted from the raw training rows: the tuner must learn on the out-of-fold
    encodings that ``fit_transform`` gives, as the selector did.
    """
    from sklearn_workflow.thresholds import ThresholdTunedClassifier

    tuned = ThresholdTunedClassifier(
        clone(selection.selector.best_estimator_),
        **problem.threshold_params,
        cv=max_folds(quality.y_train, True, plan.tuning_folds),
        random_state=selection.selector.random_state,
    )
    model = Pipeline(
        [
            *_door(quality, problem),
            ("features", clone(features.features)),
            ("model", tuned),
        ]
    )
    record_warnings(model.fit, say, quality.X_train, quality.y_train)
    return model


def _learning_curve(quality, features, selection, problem, plan, say):
    """The winner's learning curve, features refitted inside every fold, on the
    plan's subsample of the training rows."""
    from sklearn_workflow.selection import diagnose_learning_curve

    selector = selection.selector
    pipeline = Pipeline(
        [
            ("clean", clone(quality.cleaner)),
            ("features", clone(features.features)),
            ("model", clone(selector.best_estimator_)),
        ]
    )
    # The card's scorer knows its positive class; scores are skills between
    # the dummy's and a perfect score (0 for negated errors).
    ranked_by_score = problem.threshold_params or problem.spec.metric.greater_is_better
    perfect = 1.0 if ranked_by_score else 0.0
    rows = None
    n_train = len(quality.y_train)
    if plan.curve_rows < n_train:
        rows = stratified_subsample(
            quality.y_train, plan.curve_rows, selector.random_state, task=problem.task
        )
    X, y = _rows(quality, rows)
    curve, _ = record_warnings(
        diagnose_learning_curve,
        say,
        pipeline,
        X,
        y,
        cv=max_folds(y, problem.is_classification, plan.curve_folds),
        scoring=problem.spec.scorer(problem.ranked_by),
        perfect_score=perfect,
        n_jobs=selector.n_jobs,
        shuffle=True,
        random_state=selector.random_state,
    )
    return curve


# ------------------------------------------------------- 7 evaluation, deployment
@dataclass
class EvaluationResult:
    """Stage 7: the held-out evaluation, the verdict, the test predictions."""

    evaluation: object
    verdict: object
    predictions: pd.DataFrame
    notes: list = field(default_factory=list)


def evaluate_model(quality, tuning, problem, say):
    """Stage 7: evaluate on the held-out rows and judge by the card."""
    from sklearn_workflow.evaluation import evaluate

    def measure():
        evaluation = evaluate(
            tuning.model,
            quality.X_test,
            quality.y_test,
            spec=problem.spec,
            task=problem.task,
            X_train=quality.X_train,
            y_train=quality.y_train,
        )
        return evaluation, tuning.model.predict(quality.X_test)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluation, test_pred = measure()
    notes = _test_warnings(caught, say)
    verdict = problem.spec.verdict(evaluation, beat_dummy=problem.inferred)
    y_test = quality.y_test
    # The index is the row's position in the input table.
    predictions = pd.DataFrame(
        {"row": quality.X_test.index.to_numpy(), y_test.name: y_test.to_numpy()}
    )
    predictions["prediction"] = test_pred
    return EvaluationResult(evaluation, verdict, predictions, notes)


def _test_warnings(caught, say):
    """Say what the held-out rows revealed: contract violations, contamination."""
    from sklearn_workflow.exceptions import DataQualityWarning

    notes = []
    for warning in caught:
        text = str(warning.message)
        first = text.splitlines()[0]
        if issubclass(warning.category, DataQualityWarning):
            if notes:  # the first is on the whole split; later ones on rows
                continue
            say(f"      test rows vs the training contract: {first}")
            details = [line.strip() for line in text.splitlines()[1:] if line.strip()]
            for line in details[:5]:
                say(f"        {line}")
            notes.append(
                "The held-out rows already differ from the training data's "
                f"contract: {'; '.join(details[:5]) or first}."
            )
        elif "contamination" in text.lower() or "also appear" in text.lower():
            say(f"      WARNING: {first}")
    return notes
