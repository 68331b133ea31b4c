"""The end-to-end workflow: a table and a problem card to a report and a model.

:func:`run_workflow` is what ``python -m sklearn_workflow run`` calls. It composes
the package's objects in the order of the seven stages, the leakage-safe way:

1. problem definition -- the :class:`~sklearn_workflow.problem.ProblemSpec`, or a
   card read from the target (:meth:`ProblemSpec.from_target
   <sklearn_workflow.problem.ProblemSpec.from_target>`, the task by
   :func:`~sklearn_workflow.problem.infer_task`);
2. data quality -- a stratified test split is held out first (exact duplicate
   rows kept on one side); a :class:`~sklearn_workflow.quality.DataQualityChecker`
   is fitted on the training rows only; leakage suspects and ID-like columns are
   dropped (said in the output);
3. exploratory analysis -- the checker's EDA figure;
4. feature engineering -- date features, target encoding of high-cardinality
   categoricals, one-hot encoding of the others, log of skewed numeric columns;
5. model selection -- a :class:`~sklearn_workflow.selection.ModelSelector`
   (racing) at the end of the Pipeline;
6. training and tuning -- threshold tuning when the problem has a threshold
   objective (:class:`~sklearn_workflow.thresholds.ThresholdTunedClassifier`), and
   the learning-curve diagnosis of the winner;
7. evaluation and deployment -- :func:`~sklearn_workflow.evaluation.evaluate` on
   the held-out split with the verdict and the baselines, then the saved model,
   its card, the metrics and the HTML report.

Each stage is one function of ``_data_stages.py`` or ``_model_stages.py``; the
task found in stage 1 is passed to every later object, none infers it again.
"""

import json
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.report import format_value, to_jsonable, verdict_word
from sklearn_workflow.utils._dataframe import load_table
from sklearn_workflow.workflow import _data_stages as data_stages
from sklearn_workflow.workflow import _model_stages as model_stages
from sklearn_workflow.workflow._budget import (
    COMPARE_FOLDS,
    plan_run,
    stratified_subsample,
)
from sklearn_workflow.workflow._door import check_data, predict_table
from sklearn_workflow.workflow._render import render_report, selection_table
from sklearn_workflow.workflow._ship import ship_model

__all__ = [
    "BadInputError",
    "WorkflowResult",
    "check_data",
    "load_table",
    "predict_table",
    "run_workflow",
    "split_target",
]

STAGES = (
    "problem definition",
    "data quality",
    "exploratory analysis",
    "feature engineering",
    "model selection",
    "training and tuning",
    "evaluation and deployment",
)
# The plan of a run given no time budget (``time_budget=None``): long enough for
# every candidate on 5 folds over all the rows of any table that fits in memory.
NO_BUDGET_S = 1e9
OUTPUT_FILES = (
    "report.html",
    "model.skops",
    "metrics.json",
    "model_card.md",
    "findings.csv",
    "test_predictions.csv",
)


@dataclass
class WorkflowResult:
    """What :func:`run_workflow` produced.

    Attributes
    ----------
    model : Pipeline
        The fitted pipeline that was saved (DataQualityChecker first).
    metrics : dict
        The content of ``metrics.json``.
    verdict : dict
        ``{"met": bool, "criteria": [...]}``, the rows of
        :class:`~sklearn_workflow.problem.Verdict`.
    files : dict of {str: Path}
        The files written, by name.
    summary : str
        The short text summary printed at the end.
    timings : dict of {str: float}
        Seconds spent in each stage.
    """

    model: object
    metrics: dict
    verdict: dict
    files: dict
    summary: str
    timings: dict = field(default_factory=dict)

    @property
    def exit_code(self):
        """0 when the verdict is met, 1 otherwise."""
        return 0 if self.verdict.get("met") else 1


class _Progress:
    """Plain-text progress: one line per stage with its duration."""

    def __init__(self, verbose, stream=None):
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.timings = {}
        self._start = time.perf_counter()

    def say(self, message):
        if self.verbose:
            print(message, file=self.stream, flush=True)

    def stage(self, index):
        return _StageTimer(self, index)

    @property
    def elapsed(self):
        return time.perf_counter() - self._start


class _StageTimer:
    def __init__(self, progress, index):
        self.progress, self.index, self.name = progress, index, STAGES[index - 1]

    def __enter__(self):
        self.start = time.perf_counter()
        self.progress.say(f"[{self.index}/{len(STAGES)}] {self.name} ...")
        return self

    def __exit__(self, exc_type, exc, tb):
        seconds = time.perf_counter() - self.start
        self.progress.timings[self.name] = round(seconds, 3)
        if exc_type is None:
            self.progress.say(f"      done in {seconds:.1f} s")
        return False


# --------------------------------------------------------------------- input
def split_target(frame, target, source):
    """Separate the target column from the features (missing targets stay)."""
    if target is None:
        raise BadInputError(
            f"--target is required for {source}; columns are {list(frame.columns)}"
        )
    if target not in frame.columns:
        raise BadInputError(
            f"--target {target!r} is not a column of {source}; "
            f"columns are {list(frame.columns)}"
        )
    X = frame.drop(columns=target)
    if X.shape[1] == 0:
        raise BadInputError(f"{source} has no feature column besides {target!r}")
    return X, frame[target]


def load_spec(spec):
    """A ProblemSpec from a path (TOML), a dict or a ProblemSpec."""
    from sklearn_workflow.problem import ProblemSpec

    if spec is None or isinstance(spec, ProblemSpec):
        return spec
    if isinstance(spec, dict):
        return ProblemSpec.from_dict(spec)
    path = Path(spec)
    if not path.is_file():
        raise BadInputError(f"cannot read spec {str(path)!r}: no such file")
    try:
        return ProblemSpec.from_toml(path)
    except (ValueError, TypeError, KeyError) as exc:
        raise BadInputError(f"invalid spec {str(path)!r}: {exc}") from exc


# ----------------------------------------------------------------------- run
def run_workflow(
    X,
    y,
    *,
    spec=None,
    task=None,
    positive_class=None,
    out="workflow-output",
    random_state=0,
    time_budget=60,
    keep_suspects=False,
    verbose=1,
    source="data",
    time_column=None,
    split="auto",
):
    """Run the seven stages on a table and write the output folder.

    Parameters
    ----------
    X : DataFrame
        The feature columns.
    y : Series
        The target; its name is the target column's. Rows whose target is
        missing are dropped first, counted and said.
    spec : ProblemSpec, dict, path or None, default=None
        The problem card. Without it, the task and the metric are inferred from
        ``y`` (binary: ROC-AUC; multiclass: balanced accuracy; regression: RMSE)
        and the verdict is whether the model beats the dummy baseline.
    task : {"binary_classification", "multiclass_classification", \
"regression"}, default=None
        The task, when the card does not give it and the target's values should
        not decide (:func:`~sklearn_workflow.problem.infer_task`): integer
        scores with 10 to 20 distinct values are read as classes unless told.
    positive_class : object, default=None
        The positive label of a binary target when no card gives it; None takes
        the minority class (the rare event a model is usually built to find).
        Text names the label whose text is the same (``"1"`` names ``1``).
    out : str or Path, default="workflow-output"
        Output folder: ``report.html``, ``model.skops``, ``metrics.json``,
        ``model_card.md``, ``findings.csv`` and ``test_predictions.csv``.
    random_state : int, default=0
        Seed of the split, the cross-validation and the models.
    time_budget : float or None, default=60
        Seconds the run should take (FLAML's default). The run is planned to end
        within 1.2 times the budget plus 10 s on a 2-core machine: on large tables
        the model selection races the fast candidates on a stratified subsample
        with a time limit, and the learning curve and the threshold tuning use
        fewer rows and folds; the winner is refitted on every training row. The
        run says each of these decisions. None: no budget (every candidate, 5
        folds, all the rows).
    keep_suspects : bool, default=False
        Keep the leakage-suspect columns instead of dropping them.
    verbose : int, default=1
        0 prints nothing; 1 prints one line per stage and the summary.
    source : str, default="data"
        How the data is named in the output.
    time_column : str, default=None
        The column of the rows' time (datetimes, date strings or numbers): the
        latest rows are held out and every cross-validation splits by time
        (:class:`~sklearn_workflow.selection.TimeSplitter`). None: the time
        axis the quality checker finds (a datetime, date or year column; never
        the row order alone) is used when time predicts the data (its
        ``temporal_order`` finding).
    split : {"auto", "random", "time"}, default="auto"
        "random" and "time" override the choice. After a split by time the
        winner's cross-validated score under a random split is shown beside
        the time split's, so the leak a random split would hide is visible.

    Returns
    -------
    result : WorkflowResult
    """
    X, y = _checked_input(X, y, source)
    progress = _Progress(verbose)
    seeded = {"random_state": random_state, "say": progress.say}
    with progress.stage(1):
        X, y, problem = _define_problem(
            X, y, spec, task, positive_class, source, progress.say
        )
    with progress.stage(2):
        quality = data_stages.check_quality(
            X,
            y,
            problem,
            keep_suspects=keep_suspects,
            time_column=time_column,
            split=split,
            **seeded,
        )
    with progress.stage(3):
        exploration = data_stages.explore(X, quality)
    with progress.stage(4):
        features = data_stages.engineer_features(quality, problem, **seeded)
    with progress.stage(5):
        plan = _plan(quality, problem, time_budget)
        selection = model_stages.select_model(
            quality, features, problem, plan, verbose=int(verbose > 0), **seeded
        )
    with progress.stage(6):
        tuning = model_stages.train_and_tune(
            quality, features, selection, problem, plan, **seeded
        )
        quality.split_scores = _compare_splits(
            quality, features, selection, problem, plan, time_budget, progress
        )
        if time_budget is not None and progress.elapsed > time_budget:
            over = progress.elapsed - time_budget
            progress.say(f"      over the time budget by {over:.0f} s")
    with progress.stage(7):
        evaluation = model_stages.evaluate_model(quality, tuning, problem, progress.say)
        stages = {
            "problem": problem,
            "quality": quality,
            "exploration": exploration,
            "features": features,
            "selection": selection,
            "tuning": tuning,
            "evaluation": evaluation,
        }
        files, metrics = _write_outputs(
            Path(out), stages, source, time_budget, progress, random_state
        )
    metrics["timings_s"] = progress.timings
    metrics["total_s"] = round(progress.elapsed, 3)
    files["metrics.json"].write_text(json.dumps(to_jsonable(metrics), indent=2))
    summary = _summary(metrics, evaluation.verdict, files["report.html"])
    progress.say(summary)
    return WorkflowResult(
        model=tuning.model,
        metrics=metrics,
        verdict=evaluation.verdict.to_dict(),
        files=files,
        summary=summary,
        timings=progress.timings,
    )


def _define_problem(X, y, spec, task, positive_class, source, say):
    """Stage 1: the target read as numbers when it is, its missing rows dropped,
    the problem card."""
    y, target_note = data_stages.read_target_numbers(y, say)
    X, y, n_missing = data_stages.drop_missing_target(X, y, say)
    problem = data_stages.define_problem(
        X,
        y,
        spec=load_spec(spec),
        task=task,
        positive_class=positive_class,
        n_missing_target=n_missing,
        target_note=target_note,
        source=source,
        say=say,
    )
    return X, y, problem


def _plan(quality, problem, time_budget):
    """Where the run's time goes, from the training table's size and the budget."""
    y = quality.y_train
    return plan_run(
        len(y),
        quality.X_train.shape[1],
        problem.task,
        NO_BUDGET_S if time_budget is None else time_budget,
        n_classes=y.nunique() if problem.is_classification else None,
    )


def _compare_splits(quality, features, selection, problem, plan, budget, progress):
    """After a split by time, the winner's score under a random split beside
    its score under the time split (the same rows, folds and scorer), so the
    optimism of a random split is visible. None after a random split, or when
    the run is already past the end its plan allows (said)."""
    from sklearn.base import clone
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
    from sklearn.pipeline import Pipeline

    say = progress.say
    if quality.split is None or quality.split.kind != "time":
        return None
    # The run is planned to end within 1.2 times its budget plus 10 s: past
    # that, the comparison (6 fits on at most 5,000 rows) is left out, and said.
    if budget is not None and progress.elapsed > 1.2 * budget + 10:
        say("      random-split comparison skipped: the time budget is spent")
        return None
    y_all = quality.y_train
    rows = np.arange(len(y_all))
    if plan.compare_rows < len(rows):
        rows = stratified_subsample(y_all, plan.compare_rows, 0, task=problem.task)
    X, y = quality.X_train.iloc[rows], y_all.iloc[rows]
    shuffled = StratifiedKFold if problem.is_classification else KFold
    scorer = problem.spec.scorer(problem.ranked_by)
    scores = {"metric": problem.ranked_by, "rows": int(len(rows))}
    # Each split with the target encoder's folds of a run split that way.
    splits = {
        "time": (quality.cv(COMPARE_FOLDS, rows), clone(features.features)),
        "random": (
            shuffled(COMPARE_FOLDS, shuffle=True, random_state=0),
            features.random_split_features(),
        ),
    }
    for name, (cv, steps) in splits.items():
        pipeline = Pipeline(
            [
                ("clean", clone(quality.cleaner)),
                ("features", steps),
                ("model", clone(selection.selector.best_estimator_)),
            ]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = cross_val_score(
                pipeline, X, y, cv=cv, scoring=scorer, error_score=np.nan
            )
        scores[name] = float(np.nanmean(values)) if np.isfinite(values).any() else None
    say(
        f"      {problem.ranked_by} of the winner cross-validated on "
        f"{len(rows):,} rows: {_score(scores['time'])} split by time, "
        f"{_score(scores['random'])} split at random"
    )
    quality.notes.append(
        f"Cross-validated {problem.ranked_by} of the winner: "
        f"{_score(scores['time'])} with folds by time, {_score(scores['random'])} "
        "with random folds (what a random split would have reported)."
    )
    return scores


def _score(value):
    return "n/a" if value is None else f"{value:.4f}"


def _checked_input(X, y, source):
    """X and y indexed by row position (what ``test_predictions.csv`` reports)."""
    if len(X) == 0:
        raise BadInputError(f"{source} has no rows")
    if len(y) != len(X):
        raise BadInputError(
            f"{source}: X has {len(X):,} rows but the target has {len(y):,}"
        )
    if hasattr(X, "to_pandas"):  # polars
        X = X.to_pandas()
    if hasattr(y, "to_pandas"):
        y = y.to_pandas()
    y = y.reset_index(drop=True) if isinstance(y, pd.Series) else pd.Series(y)
    if y.name is None:
        y = y.rename("target")
    return X.reset_index(drop=True), y


# ------------------------------------------------------------------- outputs
def _write_outputs(out, stages, source, time_budget, progress, random_state):
    """Save the model (with its identity and monitoring reference), the ONNX
    graph when it converts, the findings, the predictions, the card and the
    report."""
    from sklearn_workflow.deploy import model_identity

    say = progress.say
    out.mkdir(parents=True, exist_ok=True)
    files = {name: out / name for name in OUTPUT_FILES}
    stages["quality"].findings.to_csv(files["findings.csv"], index=False)
    stages["evaluation"].predictions.to_csv(files["test_predictions.csv"], index=False)
    metrics = _metrics(stages, source, time_budget)
    identity = model_identity(
        stages["quality"].X_train,
        stages["quality"].y_train,
        spec=stages["problem"].spec,
        source=source,
    )
    card = _model_card(stages, metrics, source, identity)
    metrics["deployment"] = ship_model(
        stages["tuning"].model,
        stages,
        files,
        {**identity, "card": card},
        random_state=random_state,
        say=say,
    )
    if metrics["deployment"]["onnx"]["written"]:
        files["model.onnx"] = out / "model.onnx"
    files["model_card.md"].write_text(card)
    problem = stages["problem"]
    title = f"sklearn_workflow report: {problem.spec.name or problem.spec.target}"
    html = render_report(
        title,
        stages,
        files["model.skops"],
        say,
        timings=progress.timings,
        deployment=metrics["deployment"],
    )
    files["report.html"].write_text(html, encoding="utf-8")
    return files, metrics


def _metrics(stages, source, time_budget):
    """The content of metrics.json (timings are added when the run ends)."""
    problem, quality = stages["problem"], stages["quality"]
    evaluation = stages["evaluation"]
    report = to_jsonable(evaluation.evaluation.to_dict())
    selector = stages["selection"].selector
    return {
        "source": source,
        "task": problem.task,
        "target": problem.spec.target,
        "success_metric": problem.metric,
        "metric_inferred": problem.inferred,
        "n_train": int(quality.train_idx.size),
        "n_test": int(quality.test_idx.size),
        "duplicate_rows": quality.n_duplicates,
        "dropped_columns": quality.dropped,
        "converted_columns": _conversions(quality.cleaner),
        "notes": problem.notes,
        "model": selector.best_name_,
        "threshold": stages["tuning"].threshold,
        "verdict": to_jsonable(evaluation.verdict.to_dict()),
        "test": _numbers(report.get("metrics") or {}),
        "baselines": {
            str(row.get("name", i)): _numbers(row)
            for i, row in enumerate(report.get("baselines") or [])
        },
        "evaluation": report,
        "learning_curve": str(stages["tuning"].curve.diagnosis),
        "selection": to_jsonable(selection_table(selector.results_)),
        "split": _split_metrics(quality),
        "time_budget_s": time_budget,
    }


def _split_metrics(quality):
    """How the rows were split, why, and the winner's scores under both splits."""
    choice = quality.split
    axis = choice.axis or {}
    return to_jsonable(
        {
            "kind": choice.kind,
            "reason": choice.reason,
            "time_column": choice.time_column,
            "temporal_order": bool(axis.get("strong", False)),
            "late_vs_early_auc": axis.get("auc"),
            "target_time_rank_correlation": axis.get("rank_corr"),
            "scores": quality.split_scores,
        }
    )


def _conversions(cleaner):
    """``{column: what the cleaner did}`` for the columns it retyped."""
    frame = data_stages.retyped_columns(cleaner)
    return dict(zip(frame["column"], frame["message"]))


def _numbers(mapping):
    """The number-valued entries of a dict (booleans excluded)."""
    return {
        str(k): v
        for k, v in mapping.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }


def _model_card(stages, metrics, source, identity):
    from sklearn_workflow.deploy import make_model_card

    problem, quality = stages["problem"], stages["quality"]
    spec = problem.spec
    notes = quality.notes + stages["tuning"].notes + stages["evaluation"].notes
    intended = spec.name
    if spec.stakeholders:
        intended = f"{spec.name} -- for {', '.join(spec.stakeholders)}"
    return make_model_card(
        stages["tuning"].model,
        name=spec.name or spec.target,
        task=problem.task,
        target=spec.target,
        data={
            "source": source,
            "training rows": metrics["n_train"],
            "test rows (held out)": metrics["n_test"],
            "columns used": quality.X_train.shape[1],
            "columns dropped": ", ".join(quality.dropped) or "none",
        },
        metrics=metrics["test"],
        baseline=metrics["baselines"],
        threshold=metrics["threshold"],
        verdict=metrics["verdict"],
        limitations=notes,
        intended_use=intended,
        identity=identity,
    )


def _summary(metrics, verdict, report_path):
    """The lines printed at the end of a run."""
    lines = ["", "Summary"]
    lines += [f"  note:      {note}" for note in metrics["notes"]]
    for column, what in metrics["converted_columns"].items():
        lines.append(f"  read:      {column}: {what}")
    for column, why in metrics["dropped_columns"].items():
        lines.append(f"  dropped:   {column}: {why}")
    split = metrics.get("split") or {}
    if split:
        lines.append(f"  split:     {split['kind']} ({split['reason']})")
        scores = split.get("scores") or {}
        if scores:
            lines.append(
                f"  {scores['metric']} cross-validated: {_score(scores['time'])} "
                f"split by time, {_score(scores['random'])} split at random"
            )
    lines.append(f"  model:     {metrics['model']}")
    if metrics["threshold"] is not None:
        lines.append(f"  threshold: {metrics['threshold']:.4f}")
    for row in verdict.criteria:
        required = f"{row['comparison']} {format_value(row['target'])}"
        lines.append(
            f"  {row['criterion']}: {format_value(row['value'])} "
            f"(required {required}) {verdict_word(row['met'])}"
        )
    metric = metrics["success_metric"]
    for name, scores in metrics["baselines"].items():
        if metric in scores:
            lines.append(f"  baseline {name}: {metric} {scores[metric]:.4f}")
    lines.append(f"  verdict:   {verdict_word(verdict.met)}")
    budget = metrics.get("time_budget_s")
    spent = f"  time:      {metrics['total_s']:.0f} s"
    if budget is not None:
        over = ", exceeded" if metrics["total_s"] > budget else ""
        spent += f" (budget {budget:.0f} s{over})"
    lines += [spent, f"  report:    {report_path}"]
    return "\n".join(lines)
