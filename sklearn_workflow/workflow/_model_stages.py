"""Stages 5 to 7 of the workflow: model selection, training and tuning, evaluation.

Like ``_data_stages.py``: one function per stage, each returning a plain result
object. The candidates are chosen in ``selection/``, the verdict is the card's own
(``problem/``).
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from sklearn_workflow.workflow._budget import stratified_subsample
from sklearn_workflow.workflow._data_stages import max_folds, record_warnings

__all__ = ["evaluate_model", "select_model", "train_and_tune"]

# From this many training rows on, the candidates' folds run on every core.
PARALLEL_MIN_ROWS = 2_000
# The first race (the families as the catalog gives them) may take this share of
# the plan's selection time; the search of the finalists gets the rest.
SCREEN_SHARE = 0.6
# The families whose parameters are searched, and the least time worth it.
N_FINALISTS = 2
MIN_SEARCH_S = 2.0
# The share of every configuration on every fold a search race is planned to
# run (the rung-0 screen and the drops save the rest; the configurations added
# near the leaders take some back), and the rung-0 fits per full fold.
SEARCH_FIT_SHARE = 0.8
RUNG0_FOLDS, RUNG0_SHARE = 3, 0.25


# -------------------------------------------------------------- 5 model selection
@dataclass
class SelectionResult:
    """Stage 5: the fitted selection pipeline, its selector, the rows it saw."""

    pipeline: object
    reason: str
    rows: object = None  # positions in the training rows; None: all of them
    screen: object = None  # the first race's selector (untuned families)
    searched: object = None  # the search's selector, shipped or not

    @property
    def selector(self):
        return self.pipeline.named_steps["model"]


def select_model(quality, features, problem, plan, *, random_state, say, verbose=0):
    """Stages 5 and 6: race the candidates at the end of cleaner + checker +
    features, on the rows, folds, candidates and time the run's plan gives;
    then race configurations of the two best families (``search="random"``)
    with an ensemble of the survivors offered, in the time the first race left.

    The first race compares the families as the catalog gives them (at most
    ``SCREEN_SHARE`` of the plan's time); the second searches the two best and
    keeps the ensemble only when it pays and meets the card's ``latency_ms``.
    Its selector is the one shipped; the first one is ``SelectionResult.screen``.
    """
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
    # Folds by time after a split by time, else the plan's number of folds.
    cv = quality.cv(max_folds(y, problem.is_classification, plan.folds), rows)
    start = time.perf_counter()
    screen = _selector(
        candidates, problem, cv, len(y), random_state, verbose,
        time_budget=SCREEN_SHARE * plan.selection_time,
    )  # fmt: skip
    pipeline = Pipeline(
        [*_door(quality, problem), ("features", features.features), ("model", screen)]
    )
    record_warnings(pipeline.fit, say, X, y)
    say(
        f"      untuned winner: {screen.best_name_} "
        f"(cross-validated {problem.ranked_by} {screen.best_score_:.4f})"
    )
    left = plan.selection_time - (time.perf_counter() - start)
    finalists = _finalists(screen, candidates, problem, random_state)
    n_configs = _affordable_configs(screen, finalists, left, len(y))
    if left < MIN_SEARCH_S or n_configs < 2:
        say("      no time left to search the parameters: the untuned winner stays")
        return SelectionResult(pipeline, reason, rows, screen=screen)
    say(
        f"      searching the parameters of {', '.join(finalists)} "
        f"({n_configs} configurations each, and their ensemble) for {left:.0f} s"
    )
    tuned = _selector(
        finalists, problem, cv, len(y), random_state, verbose, time_budget=left,
        search="random", ensemble="auto", n_configs=n_configs,
    )  # fmt: skip
    searched = Pipeline(
        [
            *_door(quality, problem),
            ("features", clone(features.features)),
            ("model", tuned),
        ]
    )
    record_warnings(searched.fit, say, X, y)
    if tuned.best_n_folds_ < tuned.n_splits_:
        # a winner the time stopped has fewer fold scores than the first race's:
        # its mean is not comparable, and the untuned winner stays
        say(
            f"      the search ran out of time ({tuned.best_name_} stopped after "
            f"{tuned.best_n_folds_} folds): the untuned winner stays"
        )
        return SelectionResult(pipeline, reason, rows, screen, searched=tuned)
    if tuned.best_score_ < screen.best_score_:
        # same folds: the search found nothing better than the first race's
        # winner (its own configuration 1 was dropped or is that winner)
        say(
            f"      the search's best ({tuned.best_name_}, {tuned.best_score_:.4f}) "
            "is behind the untuned winner, which stays"
        )
        return SelectionResult(pipeline, reason, rows, screen, searched=tuned)
    say(
        f"      winner: {tuned.best_name_} {_params_text(tuned.best_params_)}"
        f"(cross-validated {problem.ranked_by} {tuned.best_score_:.4f})"
    )
    return SelectionResult(searched, reason, rows, screen, searched=tuned)


def _affordable_configs(screen, finalists, seconds, n_rows):
    """How many configurations per finalist the search can race in ``seconds``.

    Each finalist's fold time is read from the first race (its full-size folds,
    else its rung-0 fits scaled to a full fold); a race runs about
    ``SEARCH_FIT_SHARE`` of every configuration on every fold. At most 8
    (``n_configs="auto"``'s largest), 0 without finalists.
    """
    if not finalists:
        return 0
    results = screen.results_.set_index("name")
    per_fold = 0.0
    for name in finalists:
        row = results.loc[name]
        if row["n_folds"] > 0 and np.isfinite(row["fit_time"]):
            per_fold += (row["fit_time"] + row["score_time"]) / row["n_folds"]
        else:
            rung0 = float(row.get("rung0_fit_time", np.nan))
            per_fold += rung0 / RUNG0_FOLDS / RUNG0_SHARE if np.isfinite(rung0) else 0
    workers = 2 if n_rows >= PARALLEL_MIN_ROWS else 1
    cost = SEARCH_FIT_SHARE * screen.n_splits_ * max(per_fold, 1e-3) / workers
    return int(min(8, seconds // cost))


def _selector(candidates, problem, cv, n_rows, random_state, verbose, **params):
    """The run's ``ModelSelector``: racing, the card's scorer and latency."""
    from sklearn_workflow.selection import ModelSelector

    constraints = problem.spec.constraints or {}
    return ModelSelector(
        candidates,
        scoring=problem.spec.scorer(problem.ranked_by),
        cv=cv,
        strategy="racing",
        task=problem.task,
        random_state=random_state,
        # Worker processes cost seconds to start: worth it on larger data only.
        n_jobs=-1 if n_rows >= PARALLEL_MIN_ROWS else None,
        verbose=verbose,
        latency_ms=constraints.get("latency_ms"),
        # A model without predict_proba leaves the threshold, calibration,
        # monitoring and ONNX export without scores: it wins a classification
        # race only when it is more than one standard error ahead.
        prefer_proba=problem.is_classification,
        **params,
    )


def _finalists(screen, candidates, problem, random_state):
    """``{name: estimator}`` of the two best families of the first race (by
    its ranking, failures left out) that have a search space."""
    from sklearn_workflow.selection._catalog import default_candidates, find_entry

    if isinstance(candidates, str):
        task = "classification" if problem.is_classification else "regression"
        candidates = {
            name: est
            for name, (est, _) in default_candidates(task, random_state).items()
        }
    results = screen.results_
    ranked = results.loc[
        ~results["status"].isin(["baseline", "failed", "not run (time)"]), "name"
    ]
    task = "classification" if problem.is_classification else "regression"
    finalists = {}
    for name in ranked:
        entry = find_entry(candidates[name], task)
        if entry is not None and entry.search_space:
            finalists[name] = clone(candidates[name])
        if len(finalists) == N_FINALISTS:
            break
    return finalists


def _params_text(params):
    from sklearn_workflow.selection._results import describe_params

    text = describe_params({k: v for k, v in params.items() if k != "candidate"})
    return f"({text}) " if text else ""


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
    """Stage 6: the model to ship, its tuned threshold, the learning curve, and
    ``comparison``: the untuned winner, the tuned model and the ensemble (when
    one was offered), one row each (``model``, ``params``, ``cv_mean``,
    ``cv_std``, ``kept``, ``note``)."""

    model: object
    tuned: object
    curve: object
    notes: list = field(default_factory=list)
    comparison: pd.DataFrame = None

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
    searched = selection.searched
    comparison = tuning_comparison(
        searched or selection.selector,
        untuned=selection.screen,
        untuned_kept=searched is not None and searched is not selection.selector,
    )
    say("      untuned winner, tuned model, ensemble (cross-validated):")
    for line in comparison.to_string().splitlines():
        say(f"        {line}")
    curve = _learning_curve(quality, features, selection, problem, plan, say)
    diagnosis, fix = str(curve.diagnosis), str(curve.fix)
    say(f"      learning curve ({problem.ranked_by}): {diagnosis} -> {fix}")
    say(f"        {curve.reason}")
    note = (
        f"Learning-curve diagnosis of the final model ({selection.selector.best_name_}"
        f"): {diagnosis} (suggested fix: {fix})."
    )
    return TuningResult(model, tuned, curve, [note], comparison)


def tuning_comparison(selector, untuned=None, *, untuned_kept=False):
    """The untuned winner, the tuned model and the ensemble, one row each.

    Parameters
    ----------
    selector : ModelSelector
        The selector whose model is shipped (``search="random"``: the tuned
        configurations and the ensemble; otherwise the untuned race itself).
    untuned : ModelSelector or None, default=None
        The first race, over the families as the catalog gives them; None (or
        ``selector`` itself): ``selector`` is that race and nothing was tuned.
    untuned_kept : bool, default=False
        The untuned winner is shipped (the search found nothing better, or
        ran out of time); else ``selector``'s model is.

    Returns
    -------
    comparison : pandas.DataFrame
        Indexed ``"untuned winner"``, ``"tuned"`` (absent when nothing was
        tuned) and ``"ensemble"`` (when one was offered), with ``model``,
        ``params``, ``cv_mean``, ``cv_std`` (of the fold scores), ``kept``
        (the model shipped) and ``note``.
    """
    offer = getattr(selector, "ensemble_", None)
    ensemble_kept = offer is not None and offer["kept"] and not untuned_kept
    single = selector.best_index_ if offer is None else offer["single"]
    rows = {}
    if untuned is None or untuned is selector:
        note = "the race's winner, as the catalog gives it; no search"
        rows["untuned winner"] = _comparison_row(
            selector, single, not ensemble_kept, note
        )
    else:
        tuned_kept = not ensemble_kept and not untuned_kept
        tuned_row = _comparison_row(selector, single, tuned_kept, "")
        first = _comparison_row(untuned, untuned.best_index_, untuned_kept, "")
        results = selector.cv_results_
        same = results["candidate"][single] == untuned.best_name_ and (
            results["config"][single] == 1
        )
        first["note"] = (
            "the first race's winner, as the catalog gives it "
            f"({untuned.cv_results_['status'][untuned.best_index_]})"
        )
        tuned_row["note"] = (
            "the best configuration of the search "
            f"({selector.cv_results_['status'][single]})"
        )
        if same:
            tuned_row["note"] += "; the catalog's own parameters won"
        rows["untuned winner"] = first
        rows["tuned"] = tuned_row
    if offer is not None:
        last = len(selector.cv_results_["candidate"]) - 1
        rows["ensemble"] = _comparison_row(selector, last, ensemble_kept, offer["note"])
        rows["ensemble"]["params"] = ", ".join(
            f"{name}: {w:.3g}"
            for name, w in zip(offer["names"], offer["weights"])
            if w > 0
        )
    return pd.DataFrame(list(rows.values()), index=list(rows))


def _comparison_row(selector, i, kept, note):
    """Row ``i`` of ``selector.cv_results_`` as a row of the comparison."""
    from sklearn_workflow.selection._results import describe_params

    results = selector.cv_results_
    score = selector.scorer_names_[0]
    params = results["params"][i] if "params" in results else {}
    return {
        "model": str(results["candidate"][i]),
        "params": describe_params(params) or "defaults",
        "cv_mean": float(results[f"mean_test_{score}"][i]),
        "cv_std": float(results[f"std_test_{score}"][i]),
        "kept": bool(kept),
        "note": note,
    }


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
        cv=quality.cv(max_folds(quality.y_train, True, plan.tuning_folds)),
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
    plan's subsample of the training rows (shuffled within each training fold
    after a random split, in time order after a split by time)."""
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
        cv=quality.cv(max_folds(y, problem.is_classification, plan.curve_folds), rows),
        scoring=problem.spec.scorer(problem.ranked_by),
        perfect_score=perfect,
        n_jobs=selector.n_jobs,
        # After a split by time the rows are in time order: each size trains on
        # the earliest rows of its fold, so the target encoder's folds stay in
        # time order too.
        shuffle=quality.times_train is None,
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
