"""Stages 1 to 4 of the workflow: problem, data quality, exploration, features.

Each stage is one function: it takes what the earlier stages produced, prints its
progress with ``say`` and returns a plain result object, which ``_render.py`` turns
into the report and :func:`~sklearn_workflow.workflow.run_workflow` passes on. The
decisions themselves live in the stage packages: the task and the card in
``problem/``, the contract and findings in ``quality/``, column kinds in
``utils/_dataframe.py``. Stages 5 to 7 are in ``_model_stages.py``.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.problem._task import (
    infer_task,
    is_classification,
    normalize_task,
    task_choice_note,
)
from sklearn_workflow.utils._dataframe import (
    column_kind,
    is_date_strings,
    to_float_array,
)

__all__ = [
    "check_quality",
    "define_problem",
    "engineer_features",
    "explore",
    "holdout_split",
    "plan_columns",
    "record_warnings",
]

# A categorical column with more distinct training values than this is target
# encoded; the others are one-hot encoded.
MAX_ONEHOT_LEVELS = 10
TEST_SIZE = 0.2
# Quality findings (check name -> why) whose column is dropped before modelling.
DROPPED_BY_CHECK = {"id_like": "ID-like", "constant": "constant"}
LEAKAGE_CHECK = "leakage"
# TargetEncoder's target_type for each task.
_ENCODER_TARGET = {
    "binary_classification": "binary",
    "multiclass_classification": "multiclass",
    "regression": "continuous",
}


def record_warnings(fit, say, *args, **kwargs):
    """Call ``fit(*args, **kwargs)`` and print one line per kind of warning.

    Returns ``(result, caught)``: what ``fit`` returned and the warnings.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit(*args, **kwargs)
    counts = {}
    for warning in caught:
        first = str(warning.message).strip().splitlines()[0][:160]
        counts.setdefault(warning.category.__name__, [0, first])[0] += 1
    for name, (count, first) in counts.items():
        say(f"      {name} x{count} while fitting, e.g.: {first}")
    return result, caught


# ------------------------------------------------------------------ 1 problem
@dataclass
class ProblemResult:
    """Stage 1: the card the run is judged by, given or read from the target."""

    spec: object
    inferred: bool
    threshold_params: dict
    task_note: str | None
    fields: dict

    @property
    def task(self):
        return self.spec.type

    @property
    def metric(self):
        return self.spec.success_metric

    @property
    def is_classification(self):
        return is_classification(self.task)

    @property
    def ranked_by(self):
        """The metric candidates are ranked by: average precision before a
        threshold is tuned (recall at 0.5 says nothing of the tuned model)."""
        return "average_precision" if self.threshold_params else self.metric


def define_problem(X, y, *, spec, task, source, say):
    """Stage 1: the problem card, the task, the threshold objective."""
    if task is not None:
        task = normalize_task(task, y)
    if spec is not None:
        if spec.target != y.name:
            raise BadInputError(
                f"the spec's target {spec.target!r} is not the target column {y.name!r}"
            )
        if task is not None and task != spec.type:
            raise BadInputError(f"--task {task} disagrees with the spec's {spec.type}")
        _check_target_fits(spec.type, y)
        how = "from the spec"
    else:
        spec = _from_target(y, task, source)
        how = "given" if task is not None else "inferred from the target"
    if is_classification(spec.type) and y.nunique() < 2:
        raise BadInputError(f"target {y.name!r} has a single class")
    params = _threshold_params(spec)
    note = task_choice_note(y) if task is None and spec.type == infer_task(y) else None
    say(
        f"      {len(X):,} rows x {X.shape[1]} columns from {source}; "
        f"task {spec.type}, metric {spec.success_metric} ({how})"
    )
    if note:
        say("      " + note.replace("\n", " "))
    if params:
        say(f"      threshold objective: {params}")
    fields = {
        "source": source,
        "rows": len(X),
        "columns": X.shape[1],
        "target": y.name,
        "task": spec.type,
        "success metric": spec.success_metric,
        "metric chosen": how,
        "required value": spec.threshold,
        "secondary metrics": spec.secondary_metrics,
        "baseline": spec.baseline,
        "constraints": spec.constraints,
        "threshold tuning": params or "none",
    }
    return ProblemResult(spec, how != "from the spec", params, note, fields)


def _from_target(y, task, source):
    from sklearn_workflow.problem import ProblemSpec

    try:
        return ProblemSpec.from_target(y, task=task, name=f"{y.name} ({source})")
    except ValueError as exc:
        raise BadInputError(f"{exc}; give a --spec or --task") from exc


def _check_target_fits(task, y):
    """A card's task must be possible with its target's values."""
    inferred, n_distinct = infer_task(y), y.nunique()
    if task == "regression" and n_distinct < 3:
        raise BadInputError(
            f"the spec says regression but target {y.name!r} has "
            f"{n_distinct} distinct values"
        )
    if is_classification(task) and inferred == "regression":
        values = to_float_array(y)
        if np.any(values != np.round(values)):
            raise BadInputError(
                f"the spec says {task} but target {y.name!r} is continuous"
            )
    if task == "binary_classification" and n_distinct != 2:
        raise BadInputError(
            f"the spec says binary_classification but target {y.name!r} has "
            f"{n_distinct} classes"
        )


def _threshold_params(spec):
    """ThresholdTunedClassifier's arguments from the card, or {} (nothing to tune)."""
    if spec.type != "binary_classification" or spec.threshold is None:
        return {}
    try:
        params = dict(spec.threshold_params())
    except ValueError:  # a threshold-free metric (roc_auc...): nothing to tune
        return {}
    # The constraint must hold for the 90% Clopper-Pearson lower bound of the
    # out-of-fold estimate, so that it keeps holding on new data.
    if params.get("constraint"):
        params.setdefault("confidence", 0.9)
    return params


# --------------------------------------------------------------- 2 data quality
@dataclass
class QualityResult:
    """Stage 2: the held-out split, the fitted checker, the columns kept."""

    checker: object
    train_idx: np.ndarray
    test_idx: np.ndarray
    n_duplicates: int
    dropped: dict
    kept_suspects: list
    plan: dict
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
    notes: list = field(default_factory=list)

    @property
    def findings(self):
        return self.checker.findings_


def check_quality(X, y, problem, *, keep_suspects, random_state, say):
    """Stage 2: hold out the test rows, fit the checker, decide the columns."""
    from sklearn_workflow.quality import DataQualityChecker

    train_idx, test_idx, n_duplicates = holdout_split(
        X, y, stratify=problem.is_classification, random_state=random_state
    )
    X_train, y_train = X.iloc[train_idx], y.iloc[train_idx]
    say(
        f"      held out {len(test_idx):,} test rows "
        f"({'stratified, ' if problem.is_classification else ''}"
        "duplicates kept together); nothing below sees them"
    )
    checker = DataQualityChecker(on_violation="ignore", task=problem.task)
    findings = checker.fit(X_train, y_train).findings_
    severities = findings["severity"].value_counts().to_dict()
    say(
        "      findings: "
        + ", ".join(f"{n} {s}" for s, n in sorted(severities.items()))
    )
    suspects = _flagged_columns(findings, {LEAKAGE_CHECK})
    plan, dropped = plan_columns(X_train, findings, drop_suspects=not keep_suspects)
    kept = [c for c in X.columns if c not in dropped]
    result = QualityResult(
        checker=checker,
        train_idx=train_idx,
        test_idx=test_idx,
        n_duplicates=n_duplicates,
        dropped=dropped,
        kept_suspects=list(suspects) if keep_suspects else [],
        plan=plan,
        X_train=X_train[kept],
        X_test=X.iloc[test_idx][kept],
        y_train=y_train,
        y_test=y.iloc[test_idx],
    )
    _say_quality(result, len(X), say)
    return result


def _say_quality(result, n_rows, say):
    """Print (and note for the model card) the duplicates and the dropped columns."""
    if result.n_duplicates:
        # Counted on the whole table: the split keeps copies on one side, so the
        # training findings may see none of them.
        share = f"{result.n_duplicates / n_rows:.2%}"
        say(
            f"      duplicate rows: {result.n_duplicates:,} exact copies of other "
            f"rows ({share}), each kept with its original on one side of the split"
        )
        result.notes.append(
            f"{result.n_duplicates:,} exact duplicate rows in the data ({share})."
        )
    for column, why in result.dropped.items():
        say(f"      dropped {column!r}: {why}")
        result.notes.append(f"`{column}` dropped before modelling: {why}.")
    if result.kept_suspects:
        say(
            "      WARNING: leakage suspects kept (--keep-suspects): "
            + ", ".join(result.kept_suspects)
        )
        result.notes.append(
            "Leakage suspects were kept on request: "
            + ", ".join(f"`{c}`" for c in result.kept_suspects)
            + ". Test metrics may be over-optimistic."
        )


def holdout_split(X, y, *, stratify, random_state):
    """Train/test split that keeps exact duplicate rows together.

    Rows identical in every feature and in the target form one group; groups,
    not rows, are split (stratified by the target when ``stratify`` and every
    class has two groups), so no test row has a copy in the training set.

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
    codes, _ = pd.factorize(hashed)
    first = np.unique(codes, return_index=True)[1]
    group_y = y.to_numpy()[first]
    strata = None
    if stratify and pd.Series(group_y).value_counts().min() >= 2:
        strata = group_y
    n_test_groups = max(1, int(round(TEST_SIZE * len(first))))
    if n_test_groups >= len(first):
        raise BadInputError(f"too few rows to hold out a test split: {len(X)}")
    _, test_groups = train_test_split(
        np.arange(len(first)),
        test_size=n_test_groups,
        stratify=strata,
        random_state=random_state,
    )
    test = np.isin(codes, test_groups)
    return np.flatnonzero(~test), np.flatnonzero(test), int(len(codes) - len(first))


def _flagged_columns(findings, checks):
    """``{column: (check, message)}`` of the error and warning findings of
    ``checks``, in the findings' order (the first finding of a column wins)."""
    rows = findings[
        findings["check"].astype(str).isin(checks)
        & findings["severity"].astype(str).isin(("error", "warning"))
    ]
    flagged = {}
    for check, column, message in zip(rows["check"], rows["column"], rows["message"]):
        if isinstance(column, str):
            flagged.setdefault(column, (str(check), str(message)))
    return flagged


def plan_columns(X, findings, *, drop_suspects):
    """What happens to each column: dropped (with why), or its feature step.

    Columns with an ID-like or constant finding are dropped, and leakage
    suspects when ``drop_suspects``; the others go to the feature step of their
    kind, unless every value is missing or the kind is not supported.

    Returns
    -------
    plan : dict of {step: list of str}
        ``dates``, ``target`` (target encoding), ``onehot``, ``numeric`` and
        ``boolean`` columns.
    dropped : dict of {str: str}
        Dropped column -> the reason.
    """
    reasons = dict(DROPPED_BY_CHECK)
    if drop_suspects:
        reasons[LEAKAGE_CHECK] = "leakage suspect"
    dropped = {
        column: f"{reasons[check]} ({message})"
        for column, (check, message) in _flagged_columns(findings, reasons).items()
        if column in X.columns
    }
    plan = {"dates": [], "target": [], "onehot": [], "numeric": [], "boolean": []}
    for name in X.columns:
        if name in dropped:
            continue
        col = X[name]
        step = _feature_step(col)
        if col.isna().all():
            dropped[name] = "every training value is missing"
        elif step is None:
            dropped[name] = f"unsupported column type {col.dtype}"
        else:
            plan[step].append(name)
    return plan, dropped


def _feature_step(col):
    kind = column_kind(col)
    if kind == "categorical":
        if is_date_strings(col):
            return "dates"
        return "target" if col.nunique(dropna=True) > MAX_ONEHOT_LEVELS else "onehot"
    return {"datetime": "dates", "numeric": "numeric", "boolean": "boolean"}.get(kind)


# ------------------------------------------------------- 3 exploratory analysis
@dataclass
class ExplorationResult:
    """Stage 3: the EDA figure of the training rows (drawn by the report)."""

    draw: object
    alt: str = "EDA overview: target, correlations, missing values"


def explore(X, quality):
    """Stage 3: the checker's overview figure of the training rows."""
    X_train = X.iloc[quality.train_idx]
    return ExplorationResult(lambda: quality.checker.plot(X_train, quality.y_train))


# --------------------------------------------------------- 4 feature engineering
@dataclass
class FeaturesResult:
    """Stage 4: the ColumnTransformer and which columns go to which step."""

    features: object
    routes: dict


def engineer_features(quality, problem, *, random_state, say):
    """Stage 4: date features, target and one-hot encoding, log of skewed columns."""
    from sklearn_workflow.features import (
        DateFeatureExtractor,
        LogTransformer,
        TargetEncoder,
    )

    plan = quality.plan
    dates = plan["dates"]
    pairs = tuple((a, b) for i, a in enumerate(dates) for b in dates[i + 1 :])[:3]
    encoder = TargetEncoder(
        columns=list(plan["target"]),
        random_state=random_state,
        target_type=_ENCODER_TARGET[problem.task],
    )
    candidates = [
        (
            "dates",
            DateFeatureExtractor(
                columns=list(dates), differences=pairs or None, elapsed="fit_min"
            ),
            dates,
        ),
        ("target_encoding", encoder, plan["target"]),
        (
            "one_hot",
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            plan["onehot"],
        ),
        ("log_skewed", LogTransformer(), plan["numeric"]),
        ("boolean", "passthrough", plan["boolean"]),
    ]
    steps = [(name, step, list(cols)) for name, step, cols in candidates if cols]
    if not steps:
        raise BadInputError("no usable feature column left after the quality checks")
    features = ColumnTransformer(steps, remainder="drop").set_output(transform="pandas")
    routes = {name: cols for name, _, cols in steps}
    for name, cols in routes.items():
        say(f"      {name}: {', '.join(map(str, cols))}")
    return FeaturesResult(features, routes)
