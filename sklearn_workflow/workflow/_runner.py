"""The end-to-end workflow: a table and a problem card to a report and a model.

:func:`run_workflow` is what ``python -m sklearn_workflow run`` calls. It composes
the package's objects in the order of the seven stages, the leakage-safe way:

1. problem definition -- the :class:`~sklearn_workflow.problem.ProblemSpec`, or a
   task and a metric inferred from the target;
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
"""

import json
import math
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.multiclass import type_of_target

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.utils._dataframe import column_kind

__all__ = [
    "BadInputError",
    "WorkflowResult",
    "check_data",
    "load_table",
    "predict_table",
    "run_workflow",
]

# A categorical column with more distinct training values than this is target
# encoded; the others are one-hot encoded.
MAX_ONEHOT_LEVELS = 10
# Share of a string column's values that must parse as ISO-8601 dates for the
# column to be treated as a date column (CSV files carry dates as text).
DATE_PARSE_SHARE = 0.95
TEST_SIZE = 0.2
# Below this --time-budget only the fast candidates race, on 3 folds.
FAST_BUDGET_S = 60
# Above this many training rows, SVM and KNN candidates are left out.
MAX_ROWS_SLOW_CANDIDATES = 20_000
# From this many training rows on, the candidates' folds run on every core.
PARALLEL_MIN_ROWS = 2_000
STAGES = (
    "problem definition",
    "data quality",
    "exploratory analysis",
    "feature engineering",
    "model selection",
    "training and tuning",
    "evaluation and deployment",
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
        ``{"met": bool, "criteria": [...]}``.
    files : dict of {str: Path}
        The files written, by name.
    summary : str
        The short text summary printed at the end.
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
        import sys

        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.timings = {}
        self._start = time.perf_counter()

    def say(self, message):
        if self.verbose:
            print(message, file=self.stream, flush=True)

    def stage(self, index, name):
        return _StageTimer(self, index, name)

    @property
    def elapsed(self):
        return time.perf_counter() - self._start


class _StageTimer:
    def __init__(self, progress, index, name):
        self.progress, self.index, self.name = progress, index, name

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


# --------------------------------------------------------------------------- input
def load_table(path):
    """Read a CSV or Parquet file into a pandas DataFrame.

    Text columns whose values are ISO-8601 dates (``2024-07-01``,
    ``2024-07-01 12:30:00``; at least 95% of the non-missing values) are parsed
    to datetimes, as a CSV cannot say they are dates; the ``run``, ``predict``
    and ``check`` commands all read files this way, so a model sees the same
    types at fit and at prediction time.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    frame : DataFrame

    Raises
    ------
    BadInputError
        The file does not exist, cannot be parsed, or has no rows or columns.
    """
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"cannot read {str(path)!r}: no such file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError, ImportError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise BadInputError(
            f"cannot read {str(path)!r} as a table: {type(exc).__name__}: {first_line}"
        ) from exc
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise BadInputError(
            f"{str(path)!r} is empty: {frame.shape[0]} rows, {frame.shape[1]} columns"
        )
    for name in frame.columns:
        col = frame[name]
        if column_kind(col) == "categorical" and _is_date_strings(col):
            frame[name] = pd.to_datetime(col, errors="coerce", format="ISO8601")
    return frame


def split_target(frame, target, source):
    """Separate the target column; rows with a missing target are dropped."""
    if target is None:
        raise BadInputError(
            f"--target is required for {source}; columns are {list(frame.columns)}"
        )
    if target not in frame.columns:
        raise BadInputError(
            f"--target {target!r} is not a column of {source}; "
            f"columns are {list(frame.columns)}"
        )
    y = frame[target]
    keep = ~y.isna().to_numpy()
    X = frame.drop(columns=target).loc[keep].reset_index(drop=True)
    y = y.loc[keep].reset_index(drop=True)
    if len(y) == 0:
        raise BadInputError(f"target {target!r} of {source} has no non-missing value")
    if X.shape[1] == 0:
        raise BadInputError(f"{source} has no feature column besides {target!r}")
    return X, y, int((~keep).sum())


# --------------------------------------------------------------------- the problem
@dataclass
class _Problem:
    """The problem the run solves: a ProblemSpec, given or inferred from y."""

    spec: object
    inferred: bool = False
    threshold_params: dict = field(default_factory=dict)

    @property
    def task(self):
        return self.spec.type

    @property
    def metric(self):
        return self.spec.success_metric

    @property
    def name(self):
        return self.spec.name

    @property
    def is_classification(self):
        return self.task != "regression"


# Success metric of a problem without a card, by task.
INFERRED_METRICS = {
    "binary_classification": "roc_auc",
    "multiclass_classification": "balanced_accuracy",
    "regression": "rmse",
}


def _infer_problem(y, source):
    """A card from the target alone: task from its values, a threshold-free metric.

    Without a threshold the verdict only asks the model to beat the baseline
    (the prior for classification, the mean for regression).
    """
    from sklearn_workflow.problem import ProblemSpec

    kind = type_of_target(y)
    if kind == "binary":
        task = "binary_classification"
    elif kind == "multiclass" and not pd.api.types.is_float_dtype(y):
        task = "multiclass_classification"
    elif kind in ("continuous", "multiclass"):
        task = "regression"
    else:
        raise BadInputError(
            f"cannot infer the task from target {y.name!r}: scikit-learn reads it as "
            f"{kind!r}; give a --spec"
        )
    spec = ProblemSpec(
        name=f"{y.name} ({source})",
        type=task,
        target=str(y.name),
        success_metric=INFERRED_METRICS[task],
    )
    return _Problem(spec=spec, inferred=True)


def _problem_from_spec(spec, y):
    problem = _Problem(spec=spec)
    kind = type_of_target(y)
    if spec.type == "regression" and kind in ("binary", "multiclass"):
        if y.nunique() < 3:
            raise BadInputError(
                f"the spec says regression but target {y.name!r} has "
                f"{y.nunique()} distinct values"
            )
    elif spec.type != "regression" and kind == "continuous":
        raise BadInputError(
            f"the spec says {spec.type} but target {y.name!r} is continuous"
        )
    elif spec.type == "binary_classification" and kind != "binary":
        raise BadInputError(
            f"the spec says binary_classification but target {y.name!r} has "
            f"{y.nunique()} classes"
        )
    if spec.type == "binary_classification" and spec.threshold is not None:
        try:
            params = dict(spec.threshold_params())
        except ValueError:  # a threshold-free metric (roc_auc...): nothing to tune
            params = {}
        if params:
            # The constraint must hold for the 90% Clopper-Pearson lower bound of
            # the out-of-fold estimate, so that it keeps holding on new data.
            if params.get("constraint"):
                params.setdefault("confidence", 0.9)
            problem.threshold_params = params
    return problem


def _load_spec(spec):
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


# --------------------------------------------------------------------- the split
def _holdout_split(X, y, problem, random_state):
    """Stratified train/test split that keeps exact duplicate rows together.

    Rows identical in every feature and in the target form one group; groups,
    not rows, are split, so no test row has a copy in the training set.

    Returns
    -------
    train_idx, test_idx : ndarray of int
        Row positions.
    n_duplicates : int
        Rows that repeat an earlier row exactly (features and target).
    """
    both = X.copy()
    both["__target__"] = y.to_numpy()
    hashed = pd.util.hash_pandas_object(both, index=False).to_numpy()
    codes, uniques = pd.factorize(hashed)
    first = np.unique(codes, return_index=True)[1]
    group_y = y.to_numpy()[first]
    stratify = None
    if problem.is_classification:
        counts = pd.Series(group_y).value_counts()
        if counts.min() >= 2:
            stratify = group_y
    n_test_groups = max(1, int(round(TEST_SIZE * len(first))))
    if n_test_groups >= len(first):
        raise BadInputError(f"too few rows to hold out a test split: {len(X)}")
    _, test_groups = train_test_split(
        np.arange(len(first)),
        test_size=n_test_groups,
        stratify=stratify,
        random_state=random_state,
    )
    test = np.isin(codes, test_groups)
    train_idx, test_idx = np.flatnonzero(~test), np.flatnonzero(test)
    return train_idx, test_idx, int(len(codes) - len(first))


# ------------------------------------------------------------------- the columns
def _is_date_strings(col):
    values = col.dropna()
    if len(values) == 0:
        return False
    sample = values.iloc[:: max(1, len(values) // 500)].astype(str)
    if not sample.str.contains(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}").mean() > 0.5:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="ISO8601")
    return parsed.notna().mean() >= DATE_PARSE_SHARE


def _plan_columns(X, findings, *, keep_suspects):
    """Decide what happens to each column: dropped, or which feature step."""
    plan = {"dates": [], "target": [], "onehot": [], "numeric": [], "boolean": []}
    dropped = {}
    for check, column, message in _column_findings(findings):
        if column not in X.columns or column in dropped:
            continue
        if "leak" in check:
            if not keep_suspects:
                dropped[column] = f"leakage suspect ({message})"
        elif "id" in check.split("_") or check in ("id_like", "identifier"):
            dropped[column] = f"ID-like ({message})"
        elif check in ("constant", "all_missing"):
            dropped[column] = f"{check.replace('_', ' ')} ({message})"
    for name in X.columns:
        if name in dropped:
            continue
        col = X[name]
        kind = column_kind(col)
        if col.isna().all():
            dropped[name] = "every training value is missing"
        elif kind == "datetime":
            plan["dates"].append(name)
        elif kind == "categorical":
            if _is_date_strings(col):
                plan["dates"].append(name)
            elif col.nunique(dropna=True) > MAX_ONEHOT_LEVELS:
                plan["target"].append(name)
            else:
                plan["onehot"].append(name)
        elif kind == "numeric":
            plan["numeric"].append(name)
        elif kind == "boolean":
            plan["boolean"].append(name)
        else:
            dropped[name] = f"unsupported column type {col.dtype}"
    return plan, dropped


def _column_findings(findings):
    if findings is None or len(findings) == 0:
        return []
    frame = findings
    severity = frame["severity"].astype(str).to_numpy()
    rows = []
    for check, column, sev, message in zip(
        frame["check"].astype(str),
        frame["column"],
        severity,
        frame["message"].astype(str),
    ):
        if isinstance(column, str) and sev in ("error", "warning"):
            rows.append((check.lower(), column, message))
    return rows


def _build_features(plan, task, random_state):
    from sklearn_workflow.features import (
        DateFeatureExtractor,
        LogTransformer,
        TargetEncoder,
    )

    steps = []
    dates = plan["dates"]
    if dates:
        pairs = tuple((a, b) for i, a in enumerate(dates) for b in dates[i + 1 :])[:3]
        steps.append(
            (
                "dates",
                DateFeatureExtractor(
                    columns=list(dates),
                    differences=pairs or None,
                    elapsed="fit_min",
                ),
                list(dates),
            )
        )
    if plan["target"]:
        steps.append(
            (
                "target_encoding",
                TargetEncoder(
                    columns=list(plan["target"]),
                    random_state=random_state,
                    target_type="continuous" if task == "regression" else "auto",
                ),
                list(plan["target"]),
            )
        )
    if plan["onehot"]:
        steps.append(
            (
                "one_hot",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                list(plan["onehot"]),
            )
        )
    if plan["numeric"]:
        steps.append(("log_skewed", LogTransformer(), list(plan["numeric"])))
    if plan["boolean"]:
        steps.append(("boolean", "passthrough", list(plan["boolean"])))
    if not steps:
        raise BadInputError("no usable feature column left after the quality checks")
    features = ColumnTransformer(steps, remainder="drop")
    return features.set_output(transform="pandas")


# ----------------------------------------------------------------------- verdict
def _normalise_verdict(verdict):
    """A :class:`~sklearn_workflow.problem.Verdict` as plain, printable rows.

    Returns ``{"met": bool, "criteria": [{"criterion", "required", "observed",
    "met", "source"}, ...]}``; ``met`` of a criterion is None when it could not
    be measured.
    """
    data = verdict.to_dict() if hasattr(verdict, "to_dict") else dict(verdict)
    criteria = []
    for row in data.get("criteria", []):
        target = row.get("target")
        required = row.get("comparison", "")
        if target is not None:
            required = f"{required} {target:.4g}".strip()
        criteria.append(
            {
                "criterion": row.get("criterion"),
                "required": required,
                "observed": row.get("value"),
                "met": row.get("met"),
                "source": row.get("source"),
            }
        )
    return {"met": bool(data.get("met")), "criteria": criteria}


def _candidates(problem, n_rows, fast_only, random_state):
    """The selector's candidates: the whole catalog unless time or size says no.

    Below ``FAST_BUDGET_S`` seconds of budget only the candidates the catalog
    rates fast to train race; above ``MAX_ROWS_SLOW_CANDIDATES`` training rows
    the ones whose training or prediction time grows quadratically (SVM, KNN)
    are left out.
    """
    if not fast_only and n_rows <= MAX_ROWS_SLOW_CANDIDATES:
        return "default", ""
    from sklearn_workflow.selection._catalog import default_candidates

    task = "classification" if problem.is_classification else "regression"
    catalog = default_candidates(task, random_state)
    if fast_only:
        keep = {"Fast", "Very fast"}
        chosen = {
            name: est
            for name, (est, entry) in catalog.items()
            if entry.training_speed in keep and entry.prediction_speed != "Slow"
        }
        why = f"time budget: racing the fast candidates only ({', '.join(chosen)})"
    else:
        chosen = {
            name: est
            for name, (est, entry) in catalog.items()
            if not entry.training_speed.startswith(("Slow", "None"))
        }
        why = (
            f"{n_rows:,} training rows: leaving out the candidates that do not "
            f"scale ({', '.join(sorted(set(catalog) - set(chosen)))})"
        )
    return chosen, why


def _with_dummy_criterion(verdict, spec, report):
    """A card without a target value: the model must beat the dummy baseline."""
    metric = spec.metric
    value = (report.get("metrics") or {}).get(metric.name)
    rows = [
        row for row in report.get("baselines") or [] if row.get("source") == "dummy"
    ]
    criteria = list(verdict["criteria"])
    for row in rows:
        target = row.get(metric.name)
        met = None
        if value is not None and target is not None:
            met = value > target if metric.greater_is_better else value < target
        sign = ">" if metric.greater_is_better else "<"
        criteria.append(
            {
                "criterion": f"beats baseline {row.get('name')} on the test set",
                "required": f"{sign} {target:.4g}" if target is not None else sign,
                "observed": value,
                "met": met,
                "source": "inferred card: beat the dummy baseline",
            }
        )
    measured = [row["met"] for row in criteria if row["met"] is not None]
    return {"met": bool(measured) and all(measured), "criteria": criteria}


def _learning_curve(
    diagnose, problem, spec, features, selector, X, y, ranked_by, cv, random_state
):
    """The winner's learning curve, features refitted inside every fold."""
    return diagnose(
        Pipeline(
            [
                ("features", clone(features)),
                ("model", clone(selector.best_estimator_)),
            ]
        ),
        X,
        y,
        cv=cv,
        # The card's scorer knows its positive class; scores are skills
        # between the dummy's and a perfect score (0 for negated errors).
        scoring=spec.scorer(ranked_by),
        perfect_score=(
            1.0 if problem.threshold_params or spec.metric.greater_is_better else 0.0
        ),
        n_jobs=selector.n_jobs,
        shuffle=True,
        random_state=random_state,
    )


def _summarise_warnings(caught, say):
    """One line per kind of warning raised while fitting, with its count."""
    counts = {}
    for warning in caught:
        name = warning.category.__name__
        first = str(warning.message).strip().splitlines()[0][:160]
        counts.setdefault(name, [0, first])[0] += 1
    for name, (count, first) in counts.items():
        say(f"      {name} x{count} while fitting, e.g.: {first}")


def _report_test_warnings(caught, say, notes):
    """Say what the held-out rows revealed: contract violations, contamination."""
    from sklearn_workflow.exceptions import DataQualityWarning

    reported = False
    for warning in caught:
        text = str(warning.message)
        first = text.splitlines()[0]
        if issubclass(warning.category, DataQualityWarning):
            if reported:  # the first is on the whole split; later ones on rows
                continue
            reported = True
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


# ----------------------------------------------------------------------- helpers
def _jsonable(value):
    """Recursively turn numpy/pandas values into JSON-serialisable ones."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, pd.DataFrame):
        return _jsonable(value.to_dict(orient="records"))
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _evaluation_html(evaluation, say):
    """The evaluation report's HTML (its plots included) as a fragment."""
    from sklearn_workflow.report import escape

    try:
        return _html_fragment(evaluation.to_html())
    except Exception as exc:  # a plotting bug must not cost the model
        say(f"      WARNING: evaluation plots could not be drawn: {exc}")
        return f"<pre>{escape(evaluation.to_markdown())}</pre>"


def _html_fragment(html):
    """The body of a complete HTML page (or the fragment itself)."""
    match = re.search(r"<body[^>]*>(.*)</body>", html, flags=re.S | re.I)
    if match is None:
        return html
    body = match.group(1)
    return re.sub(r"^\s*<h1>.*?</h1>", "", body, count=1, flags=re.S)


def _figure(draw, alt, say):
    """Draw a figure with ``draw()``, embed it and close it.

    A figure that cannot be drawn does not stop the run: the report and the
    terminal say which one is missing and why.
    """
    import matplotlib.pyplot as plt

    from sklearn_workflow.report import escape, figure_to_html

    try:
        fig = draw()
        if not hasattr(fig, "savefig"):
            fig = getattr(fig, "figure_", None) or np.ravel(fig)[0].figure
        html = figure_to_html(fig, alt=alt)
    except Exception as exc:  # a plotting bug must not cost the model
        message = f"figure '{alt}' could not be drawn: {type(exc).__name__}: {exc}"
        say(f"      WARNING: {message}")
        return f"<p><b>{escape(message)}</b></p>"
    finally:
        plt.close("all")
    return html


# -------------------------------------------------------------------------- run
def run_workflow(
    X,
    y,
    *,
    spec=None,
    out="workflow-output",
    random_state=0,
    time_budget=None,
    keep_suspects=False,
    verbose=1,
    source="data",
):
    """Run the seven stages on a table and write the output folder.

    Parameters
    ----------
    X : DataFrame
        The feature columns.
    y : Series
        The target; its name is the target column's.
    spec : ProblemSpec, dict, path or None, default=None
        The problem card. Without it, the task and the metric are inferred from
        ``y`` (binary: ROC-AUC; multiclass: balanced accuracy; regression: R²)
        and the verdict is whether the model beats the dummy baseline.
    out : str or Path, default="workflow-output"
        Output folder: ``report.html``, ``model.skops``, ``metrics.json``,
        ``model_card.md``, ``findings.csv`` and ``test_predictions.csv``.
    random_state : int, default=0
        Seed of the split, the cross-validation and the models.
    time_budget : float, default=None
        Seconds the run should take. Planned, not enforced: below 60 s only the
        fast candidates race with 3 folds; the learning curve uses 3 folds.
    keep_suspects : bool, default=False
        Keep the leakage-suspect columns instead of dropping them.
    verbose : int, default=1
        0 prints nothing; 1 prints one line per stage and the summary.
    source : str, default="data"
        How the data is named in the output.

    Returns
    -------
    result : WorkflowResult
    """
    from sklearn_workflow.deploy import make_model_card, save
    from sklearn_workflow.evaluation import evaluate
    from sklearn_workflow.quality import DataQualityChecker
    from sklearn_workflow.report import (
        escape,
        html_page,
        section,
        table_to_html,
    )
    from sklearn_workflow.selection import ModelSelector, diagnose_learning_curve

    progress = _Progress(verbose)
    say = progress.say
    out = Path(out)
    html = []
    notes = []  # limitations for the model card
    if len(X) == 0:
        raise BadInputError(f"{source} has no rows")
    if y.name is None:
        y = y.rename("target")

    # 1 ------------------------------------------------------------ problem
    with progress.stage(1, STAGES[0]):
        spec = _load_spec(spec)
        if spec is not None and spec.target != y.name:
            raise BadInputError(
                f"the spec's target {spec.target!r} is not the target column {y.name!r}"
            )
        problem = (
            _problem_from_spec(spec, y)
            if spec is not None
            else _infer_problem(y, source)
        )
        spec = problem.spec
        if problem.is_classification and y.nunique() < 2:
            raise BadInputError(f"target {y.name!r} has a single class")
        how = "inferred from the target" if problem.inferred else "from the spec"
        say(
            f"      {len(X):,} rows x {X.shape[1]} columns from {source}; "
            f"task {problem.task}, metric {problem.metric} ({how})"
        )
        if problem.threshold_params:
            say(f"      threshold objective: {problem.threshold_params}")
        problem_rows = {
            "source": source,
            "rows": len(X),
            "columns": X.shape[1],
            "target": y.name,
            "task": problem.task,
            "success metric": problem.metric,
            "metric chosen": how,
            "required value": spec.threshold,
            "secondary metrics": spec.secondary_metrics,
            "baseline": spec.baseline,
            "constraints": spec.constraints,
            "threshold tuning": problem.threshold_params or "none",
        }
        html.append(
            section(
                "1. Problem definition",
                table_to_html(
                    pd.DataFrame(
                        {
                            "field": list(problem_rows),
                            "value": [str(v) for v in problem_rows.values()],
                        }
                    )
                ),
            )
        )

    # 2 ------------------------------------------------------- data quality
    with progress.stage(2, STAGES[1]):
        train_idx, test_idx, n_duplicates = _holdout_split(X, y, problem, random_state)
        X_train, X_test = X.iloc[train_idx], X.iloc[test_idx]
        y_train, y_test = y.iloc[train_idx], y.iloc[test_idx]
        say(
            f"      held out {len(test_idx):,} test rows "
            f"({'stratified, ' if problem.is_classification else ''}"
            "duplicates kept together); nothing below sees them"
        )
        checker = DataQualityChecker(on_violation="ignore").fit(X_train, y_train)
        findings = checker.findings_
        plan, dropped = _plan_columns(X_train, findings, keep_suspects=keep_suspects)
        severity_counts = findings["severity"].value_counts().to_dict()
        say(
            "      findings: "
            + ", ".join(f"{n} {s}" for s, n in sorted(severity_counts.items()))
        )
        if n_duplicates:
            # Counted on the whole table: the split keeps copies on one side,
            # so the training findings may see none of them.
            say(
                f"      duplicate rows: {n_duplicates:,} exact copies of other rows "
                f"({n_duplicates / len(X):.2%}), each kept with its original on "
                "one side of the split"
            )
            notes.append(
                f"{n_duplicates:,} exact duplicate rows in the data "
                f"({n_duplicates / len(X):.2%})."
            )
        kept_suspects = [
            column
            for check, column, _ in _column_findings(findings)
            if "leak" in check and keep_suspects
        ]
        for column, why in dropped.items():
            say(f"      dropped {column!r}: {why}")
            notes.append(f"`{column}` dropped before modelling: {why}.")
        if kept_suspects:
            say(
                "      WARNING: leakage suspects kept (--keep-suspects): "
                + ", ".join(kept_suspects)
            )
            notes.append(
                "Leakage suspects were kept on request: "
                + ", ".join(f"`{c}`" for c in kept_suspects)
                + ". Test metrics may be over-optimistic."
            )
        kept = [c for c in X.columns if c not in dropped]
        X_train, X_test = X_train[kept], X_test[kept]
        report = checker.report_
        html.append(
            section(
                "2. Data quality",
                f"<p>Fitted on the {len(train_idx):,} training rows only. "
                f"Exact duplicate rows in the whole table: {n_duplicates:,}. "
                f"Dropped columns: {'' if dropped else 'none.'}</p>",
                "<ul>"
                + "".join(
                    f"<li><code>{escape(c)}</code>: {escape(why)}</li>"
                    for c, why in dropped.items()
                )
                + "</ul>"
                if dropped
                else "",
                table_to_html(findings),
                f"<details><summary>Text report</summary><pre>{escape(str(report))}"
                "</pre></details>",
            )
        )

    # 3 -------------------------------------------------- exploratory analysis
    with progress.stage(3, STAGES[2]):
        html.append(
            section(
                "3. Exploratory analysis",
                _figure(
                    lambda: checker.plot(X.iloc[train_idx], y_train),
                    "EDA overview: target, correlations, missing values",
                    say,
                ),
            )
        )

    # 4 --------------------------------------------------- feature engineering
    with progress.stage(4, STAGES[3]):
        features = _build_features(plan, problem.task, random_state)
        routes = {name: cols for name, _, cols in features.transformers}
        for name, cols in routes.items():
            say(f"      {name}: {', '.join(map(str, cols))}")
        html.append(
            section(
                "4. Feature engineering",
                table_to_html(
                    pd.DataFrame(
                        {
                            "step": list(routes),
                            "columns": [
                                ", ".join(map(str, c)) for c in routes.values()
                            ],
                        }
                    )
                ),
                "<p>Every statistic (date range, category encodings, log offsets) "
                "is learned in <code>fit</code> on the training rows; target "
                "encoding is out-of-fold.</p>",
            )
        )

    # 5 ------------------------------------------------------- model selection
    fast_only = time_budget is not None and time_budget < FAST_BUDGET_S
    with progress.stage(5, STAGES[4]):
        candidates, why = _candidates(problem, len(X_train), fast_only, random_state)
        if why:
            say(f"      {why}")
        selector = ModelSelector(
            candidates,
            # With a threshold to tune, rank candidates by how well they order
            # the positives (the threshold is set afterwards).
            scoring=(
                spec.scorer("average_precision")
                if problem.threshold_params
                else spec.scorer()
            ),
            cv=3 if fast_only else 5,
            strategy="racing",
            random_state=random_state,
            # Worker processes cost seconds to start: worth it on larger data only.
            n_jobs=-1 if len(X_train) >= PARALLEL_MIN_ROWS else None,
        )
        selection = Pipeline(
            [
                ("quality", DataQualityChecker(on_violation="warn")),
                ("features", features),
                ("model", selector),
            ]
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            selection.fit(X_train, y_train)
        _summarise_warnings(caught, say)
        selector = selection.named_steps["model"]
        ranked_by = "average_precision" if problem.threshold_params else problem.metric
        say(
            f"      winner: {selector.best_name_} "
            f"(cross-validated {ranked_by} {selector.best_score_:.4f})"
        )
        parts = [table_to_html(_results_table(selector.results_, folds=False))]
        if hasattr(selector, "plot"):
            parts.append(_figure(selector.plot, "fold scores per candidate", say))
        html.append(section("5. Model selection", *parts))

    # 6 ---------------------------------------------------- training and tuning
    with progress.stage(6, STAGES[5]):
        threshold = None
        if problem.threshold_params:
            from sklearn_workflow.thresholds import ThresholdTunedClassifier

            tuned = ThresholdTunedClassifier(
                clone(selector.best_estimator_),
                **problem.threshold_params,
                cv=5,
                random_state=random_state,
            )
            # Refit from the raw training rows: the tuner must learn on the
            # out-of-fold encodings that fit_transform gives, as the selector did.
            model = Pipeline(
                [
                    ("quality", DataQualityChecker(on_violation="warn")),
                    ("features", clone(features)),
                    ("model", tuned),
                ]
            )
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model.fit(X_train, y_train)
            _summarise_warnings(caught, say)
            tuned = model.named_steps["model"]
            threshold = float(tuned.threshold_)
            say(
                f"      threshold {threshold:.4f} for {problem.threshold_params} "
                f"(constraint met out of fold: {tuned.constraint_satisfied_})"
            )
            tuning_parts = [
                f"<p>Decision threshold {threshold:.4f}, tuned on out-of-fold "
                f"training scores for {escape(problem.threshold_params)}.</p>",
                _figure(tuned.plot, "precision and recall against the threshold", say),
            ]
        else:
            # The selector's fitted steps with its refitted winner: the selector
            # itself (its results table) stays in the report, not in the model.
            model = Pipeline(
                [
                    ("quality", selection.named_steps["quality"]),
                    ("features", selection.named_steps["features"]),
                    ("model", selector.best_estimator_),
                ]
            )
            say(
                "      no threshold objective in the problem card: the winner keeps "
                "its own decision rule"
            )
            tuning_parts = [
                "<p>No threshold objective in the problem: the winner, refitted "
                "on every training row by the selector, predicts as it is.</p>"
            ]
        budget_left = None if time_budget is None else time_budget - progress.elapsed
        lc_cv = 3
        # Read with the ranking metric when the threshold is tuned afterwards:
        # recall at the default 0.5 cut-off says nothing about the tuned model.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            curve = _learning_curve(
                diagnose_learning_curve,
                problem,
                spec,
                features,
                selector,
                X_train,
                y_train,
                ranked_by,
                lc_cv,
                random_state,
            )
        _summarise_warnings(caught, say)
        diagnosis, fix = str(curve.diagnosis), str(curve.fix)
        say(f"      learning curve ({ranked_by}): {diagnosis} -> {fix}")
        say(f"        {curve.reason}")
        if budget_left is not None and budget_left < 0:
            say(f"      over the time budget by {-budget_left:.0f} s")
        notes.append(
            f"Learning-curve diagnosis of the winner: {diagnosis} "
            f"(suggested fix: {fix})."
        )
        tuning_parts += [
            f"<p>Learning-curve diagnosis ({escape(ranked_by)}, {lc_cv} folds): "
            f"<b>{escape(diagnosis)}</b>. Fix: {escape(fix)}. "
            f"{escape(curve.reason)}</p>",
            _figure(curve.plot, "learning curve of the winner", say),
        ]
        html.append(section("6. Training and tuning", *tuning_parts))

    # 7 ------------------------------------------------ evaluation, deployment
    with progress.stage(7, STAGES[6]):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            evaluation = evaluate(
                model,
                X_test,
                y_test,
                spec=spec,
                X_train=X_train,
                y_train=y_train,
            )
            test_pred = model.predict(X_test)
        _report_test_warnings(caught, say, notes)
        report_dict = _jsonable(evaluation.to_dict())
        verdict = _normalise_verdict(evaluation.verdict or spec.verdict(evaluation))
        if problem.inferred:
            verdict = _with_dummy_criterion(verdict, spec, report_dict)
        out.mkdir(parents=True, exist_ok=True)
        files = {name: out / name for name in _OUTPUT_FILES}
        save(model, files["model.skops"])
        findings.to_csv(files["findings.csv"], index=False)
        predictions = pd.DataFrame({"row": test_idx, y.name: y_test.to_numpy()})
        predictions["prediction"] = test_pred
        predictions.to_csv(files["test_predictions.csv"], index=False)
        test_metrics = _headline_metrics(report_dict, problem)
        baselines = _baseline_metrics(report_dict)
        metrics = {
            "source": source,
            "task": problem.task,
            "target": y.name,
            "success_metric": problem.metric,
            "metric_inferred": problem.inferred,
            "n_train": int(train_idx.size),
            "n_test": int(test_idx.size),
            "duplicate_rows": n_duplicates,
            "dropped_columns": dropped,
            "model": selector.best_name_,
            "threshold": threshold,
            "verdict": verdict,
            "test": test_metrics,
            "baselines": baselines,
            "evaluation": report_dict,
            "learning_curve": diagnosis,
            "selection": _jsonable(_results_table(selector.results_)),
            "timings_s": progress.timings,
            "time_budget_s": time_budget,
        }
        card = make_model_card(
            model,
            name=problem.name or getattr(spec, "name", "") or str(y.name),
            task=problem.task,
            target=str(y.name),
            data={
                "source": source,
                "training rows": int(train_idx.size),
                "test rows (held out)": int(test_idx.size),
                "columns used": len(kept),
                "columns dropped": ", ".join(dropped) or "none",
            },
            metrics=test_metrics,
            baseline=baselines,
            threshold=threshold,
            verdict=verdict,
            limitations=notes,
            intended_use=_intended_use(spec),
        )
        files["model_card.md"].write_text(card)
        html.append(
            section(
                "7. Evaluation and deployment",
                f"<p>Verdict: <b>{'met' if verdict['met'] else 'NOT met'}</b>.</p>",
                table_to_html(pd.DataFrame(verdict["criteria"]))
                if verdict["criteria"]
                else "",
                _evaluation_html(evaluation, say),
                f"<p>Saved model: <code>{escape(files['model.skops'].name)}</code> "
                f"({files['model.skops'].stat().st_size / 1e6:.2f} MB, skops).</p>",
            )
        )
        title = f"sklearn_workflow report: {problem.name or y.name}"
        files["report.html"].write_text(html_page(title, *html), encoding="utf-8")
    metrics["timings_s"] = progress.timings
    metrics["total_s"] = round(progress.elapsed, 3)
    files["metrics.json"].write_text(json.dumps(_jsonable(metrics), indent=2))
    summary = _summary(problem, metrics, verdict, files["report.html"])
    say(summary)
    return WorkflowResult(
        model=model,
        metrics=metrics,
        verdict=verdict,
        files=files,
        summary=summary,
        timings=progress.timings,
    )


_OUTPUT_FILES = (
    "report.html",
    "model.skops",
    "metrics.json",
    "model_card.md",
    "findings.csv",
    "test_predictions.csv",
)


def _results_table(results, *, folds=True):
    """The selector's results; without the per-fold columns for the report."""
    frame = pd.DataFrame(results)
    if not folds:
        frame = frame.drop(
            columns=[c for c in frame.columns if re.fullmatch(r"fold_\d+", str(c))]
        )
    return frame


def _headline_metrics(report, problem):
    """The flat test metrics of an EvaluationReport's dict."""
    metrics = report.get("metrics", report)
    flat = {}
    for key, value in metrics.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[key] = value
    return flat


def _baseline_metrics(report):
    baselines = report.get("baselines") or report.get("baseline") or {}
    if isinstance(baselines, list):
        baselines = {str(row.get("name", i)): row for i, row in enumerate(baselines)}
    return {
        str(name): {
            k: v
            for k, v in (scores or {}).items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        for name, scores in baselines.items()
        if isinstance(scores, dict)
    }


def _intended_use(spec):
    if spec is None:
        return None
    name = getattr(spec, "name", None)
    stakeholders = getattr(spec, "stakeholders", None)
    if stakeholders:
        return f"{name} -- for {', '.join(stakeholders)}"
    return name


def _summary(problem, metrics, verdict, report_path):
    lines = ["", "Summary"]
    lines.append(f"  model:     {metrics['model']}")
    if metrics["threshold"] is not None:
        lines.append(f"  threshold: {metrics['threshold']:.4f}")
    for row in verdict["criteria"]:
        observed = row["observed"]
        shown = f"{observed:.4f}" if isinstance(observed, float) else observed
        mark = {True: "ok", False: "FAILED", None: "not measured"}[row["met"]]
        lines.append(
            f"  {row['criterion']}: {shown} (required {row['required']}) {mark}"
        )
    for name, scores in metrics["baselines"].items():
        if problem.metric in scores:
            lines.append(
                f"  baseline {name}: {problem.metric} {scores[problem.metric]:.4f}"
            )
    lines.append(f"  verdict:   {'met' if verdict['met'] else 'NOT met'}")
    budget = metrics.get("time_budget_s")
    spent = f"  time:      {metrics['total_s']:.0f} s"
    if budget is not None:
        over = ", exceeded" if metrics["total_s"] > budget else ""
        spent += f" (budget {budget:.0f} s{over})"
    lines.append(spent)
    lines.append(f"  report:    {report_path}")
    return "\n".join(lines)


# ---------------------------------------------------------------- check, predict
def check_data(X, y=None, *, verbose=1):
    """Fit a DataQualityChecker on a whole table and return it (``check``)."""
    from sklearn_workflow.quality import DataQualityChecker

    if len(X) == 0:
        raise BadInputError("the data has no rows")
    checker = DataQualityChecker(on_violation="ignore").fit(X, y)
    if verbose:
        print(str(checker.report_))
    return checker


def predict_table(model, X, *, verbose=1, strict=False):
    """Validate ``X`` with the model's DataQualityChecker, then predict.

    Returns
    -------
    predictions : DataFrame
        ``prediction`` and, for classifiers, ``proba_<class>`` columns.
    violations : DataFrame or None
    """
    expected = getattr(model, "feature_names_in_", None)
    if expected is not None:
        missing = [c for c in expected if c not in X.columns]
        if missing:
            raise BadInputError(f"the data lacks the model's input columns {missing}")
        extra = [c for c in X.columns if c not in set(expected)]
        if extra and verbose:
            print(f"ignoring columns the model does not use: {extra}")
        X = X[list(expected)]
    checker = model.steps[0][1] if hasattr(model, "steps") else None
    violations = None
    if checker is not None and hasattr(checker, "validate"):
        violations = checker.validate(X)
        drift = checker.drift(X)
        if verbose:
            if len(violations):
                print(f"{len(violations)} contract violation(s):")
                print(violations.to_string(index=False))
            else:
                print("no contract violation")
            drifted = _drifted(drift, getattr(checker, "drift_threshold", 0.2))
            if drifted:
                print(f"drift (PSI above threshold): {drifted}")
        if strict and len(violations):
            raise BadInputError(
                f"--strict: {len(violations)} contract violation(s) in the data"
            )
        model.set_params(**{f"{model.steps[0][0]}__on_violation": "ignore"})
    result = pd.DataFrame({"prediction": model.predict(X)})
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        for k, label in enumerate(model.classes_):
            result[f"proba_{label}"] = proba[:, k]
    return result, violations


def _drifted(drift, threshold):
    series = drift if isinstance(drift, pd.Series) else pd.Series(drift)
    if isinstance(drift, pd.DataFrame):
        column = "psi" if "psi" in drift.columns else drift.columns[-1]
        series = drift.set_index(drift.columns[0])[column]
    series = pd.to_numeric(series, errors="coerce")
    return {str(k): round(float(v), 3) for k, v in series.items() if v > threshold}
