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
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.problem._task import (
    MAX_CLASSES,
    infer_task,
    is_classification,
    minority_class,
    normalize_task,
    task_choice_note,
)
from sklearn_workflow.utils._dataframe import (
    column_kind,
    is_date_strings,
    row_hashes,
    to_float_array,
)

__all__ = [
    "SplitChoice",
    "check_quality",
    "choose_split",
    "define_problem",
    "drop_missing_target",
    "read_target_numbers",
    "engineer_features",
    "explore",
    "holdout_split",
    "time_holdout",
    "time_order",
    "plan_columns",
    "record_warnings",
]

# A categorical column with more distinct training values than this is target
# encoded; the others are one-hot encoded.
MAX_ONEHOT_LEVELS = 10
TEST_SIZE = 0.2
# A class of a multiclass target with fewer rows than this stays in training whole.
MIN_TEST_CLASS_ROWS = 5
# The split of the held-out rows and of every cross-validation: "auto" splits by
# time when a time column is given or time predicts the data (the checker's
# temporal_order finding), at random otherwise.
SPLITS = ("auto", "random", "time")
# The time axis is found on at most this many rows of the whole table.
TIME_SCREEN_ROWS = 20_000
# Quality findings (check name -> why) whose column is dropped before modelling.
DROPPED_BY_CHECK = {"id_like": "ID-like", "constant": "constant"}
LEAKAGE_CHECK = "leakage"
# Share of a many-valued text target that must parse as numbers to be read as one.
TARGET_NUMERIC_SHARE = 0.8
# The feature steps of the column plan, in the order of the ColumnTransformer.
FEATURE_STEPS = ("dates", "target", "onehot", "text", "numeric", "boolean")
# The cleaner's column types that change what a column is (said and noted).
RETYPED = ("numeric", "boolean", "datetime", "text", "id_like")
# Dimensions of the text encoding of a free-text column.
TEXT_COMPONENTS = 30
# Folds of the target encoder's out-of-fold encoding (shuffled after a random
# split, forward-chaining after a split by time).
ENCODER_FOLDS = 5
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
    notes: list
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


def define_problem(
    X,
    y,
    *,
    spec,
    task,
    source,
    say,
    positive_class=None,
    n_missing_target=0,
    target_note=None,
):
    """Stage 1: the problem card, the task, the positive class, the objective.

    ``y`` has no missing value (:func:`drop_missing_target` ran first).
    """
    if task is not None:
        task = normalize_task(task, y)
    if spec is not None:
        _check_spec(spec, y, task, positive_class)
        how = "from the spec"
    else:
        spec = _from_target(y, task, positive_class, source)
        how = "given" if task is not None else "inferred from the target"
    if is_classification(spec.type) and y.nunique() < 2:
        (label,) = pd.unique(y.to_numpy(dtype=object))
        raise BadInputError(
            f"target {y.name!r} has a single class ({label!r}): there is "
            "nothing to predict"
        )
    params = _threshold_params(spec)
    notes = _problem_notes(y, spec, task, inferred=how != "from the spec")
    if target_note:
        notes.insert(0, target_note)
    if n_missing_target:
        notes.insert(
            0,
            f"{n_missing_target:,} rows without a target value were dropped "
            "before the split.",
        )
    say(
        f"      {len(X):,} rows x {X.shape[1]} columns from {source}; "
        f"task {spec.type}, metric {spec.success_metric} ({how})"
    )
    for note in notes:
        say("      " + note)
    if params:
        say(f"      threshold objective: {params}")
    fields = {
        "source": source,
        "rows": len(X),
        "columns": X.shape[1],
        "target": y.name,
        "task": spec.type,
        "positive class": spec.positive_class,
        "success metric": spec.success_metric,
        "metric chosen": how,
        "required value": spec.threshold,
        "secondary metrics": spec.secondary_metrics,
        "baseline": spec.baseline,
        "constraints": spec.constraints,
        "threshold tuning": params or "none",
    }
    return ProblemResult(spec, how != "from the spec", params, notes, fields)


def read_target_numbers(y, say):
    """A target of numbers stored as text (``"1,234.5"``, blanks) read as numbers,
    by the rule :class:`~sklearn_workflow.quality.TableCleaner` applies to columns;
    with more distinct values than classes can have, 80% of numbers suffice (the
    values that are not numbers become missing, and their rows are dropped).

    Returns the target and a note (None when it was left as it is).
    """
    from sklearn_workflow.quality import TableCleaner

    if column_kind(y) != "categorical" or isinstance(y.dtype, pd.CategoricalDtype):
        return y, None
    frame = y.to_frame()
    # Labels are few; a text target with more distinct values than a task of
    # classes has is a number typed by hand when most of it parses as one.
    share = TARGET_NUMERIC_SHARE if y.nunique() > MAX_CLASSES else 0.95
    cleaner = TableCleaner(on_invalid="ignore", numeric_share=share).fit(frame)
    if cleaner.column_types_.get(y.name) != "numeric":
        return y, None
    message = cleaner.conversions_["message"].iloc[0]
    note = f"Target {y.name!r}: {message}"
    say(f"      {note}")
    return cleaner.transform(frame)[y.name], note


def drop_missing_target(X, y, say):
    """Rows whose target is missing cannot be learned from: dropped, counted, said.

    The index is kept: it is the rows' position in the input table.
    """
    missing = y.isna().to_numpy()
    if missing.all():
        raise BadInputError(f"target {y.name!r} has no non-missing value")
    if not missing.any():
        return X, y, 0
    n_missing = int(missing.sum())
    say(f"      dropped {n_missing:,} rows whose target {y.name!r} is missing")
    keep = ~missing
    return X.loc[keep], y.loc[keep], n_missing


def _check_spec(spec, y, task, positive_class):
    """A given card must name this target, agree with --task and fit its values."""
    if spec.target != y.name:
        raise BadInputError(
            f"the spec's target {spec.target!r} is not the target column {y.name!r}"
        )
    if task is not None and task != spec.type:
        raise BadInputError(f"--task {task} disagrees with the spec's {spec.type}")
    if positive_class is not None and str(positive_class) != str(spec.positive_class):
        raise BadInputError(
            f"--positive-class {positive_class!r} disagrees with the spec's "
            f"positive_class {spec.positive_class!r}"
        )
    _check_target_fits(spec.type, y)


def _problem_notes(y, spec, task, *, inferred):
    """What the run decided that the user may want to change, one sentence each."""
    notes = []
    if task is None and spec.type == infer_task(y):
        close_call = task_choice_note(y)
        if close_call:
            notes.append(close_call.replace("\n", " "))
    if inferred and spec.type == "binary_classification":
        share = float((y == spec.positive_class).mean())
        rare = minority_class(y) == spec.positive_class
        how = "the minority class" if rare else "as asked"
        notes.append(
            f"Positive class: {spec.positive_class!r} ({how}, {share:.1%} of the "
            "rows); --positive-class (positive_class=) names another."
        )
    return notes


def _from_target(y, task, positive_class, source):
    from sklearn_workflow.problem import ProblemSpec

    try:
        return ProblemSpec.from_target(
            y, task=task, positive_class=positive_class, name=f"{y.name} ({source})"
        )
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
    """Stage 2: the held-out split, the fitted cleaner and checker, the columns."""

    cleaner: object
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
    split: object = None  # SplitChoice: random or by time, and why
    split_scores: dict = None  # the winner's scores under both splits

    @property
    def findings(self):
        return self.checker.findings_

    @property
    def times_train(self):
        """The time of each training row (in ``X_train``'s order), or None."""
        if self.split is None or self.split.kind != "time":
            return None
        return self.split.times[self.train_idx]

    def cv(self, n_splits, rows=None):
        """The cross-validation of the training rows at positions ``rows`` (all
        of them when None): ``n_splits`` shuffled folds after a random split, a
        :class:`~sklearn_workflow.selection.TimeSplitter` on their times after a
        split by time.

        After a split by time the training rows are in time order (see
        :func:`time_order`), so the folds follow ``X_train``'s order: the rows
        without a time (first, and never among the held-out rows) count as the
        earliest."""
        times = self.times_train
        if times is None:
            return n_splits
        from sklearn_workflow.selection import TimeSplitter

        times = times if rows is None else times[rows]
        missing = pd.isna(times)
        if missing.any():
            times = np.where(missing, times[~missing].min(), times)
        return TimeSplitter(times, n_splits=n_splits)

    def encoder_cv(self):
        """The folds of the target encoder's out-of-fold encoding of the rows
        it is fitted on: ``ENCODER_FOLDS`` shuffled folds after a random split;
        after a split by time, a
        :class:`~sklearn_workflow.selection.TimeSplitter` on row counts, which
        follows the rows' order: the model stages receive the training rows in
        time order, and every fold of :meth:`cv` keeps that order, so each row
        is encoded from the targets of earlier rows only, and the earliest
        block of rows gets the prior.

        Rows of equal time are in random order (:func:`time_order`): a fold
        boundary inside a run of equal times encodes some of them from the
        others, as the folds of :meth:`cv` train on some of them and test on
        the others; never from a row's own target, nor from a later time."""
        if self.times_train is None:
            return ENCODER_FOLDS
        from sklearn_workflow.selection import TimeSplitter

        return TimeSplitter(n_splits=ENCODER_FOLDS)


def check_quality(
    X,
    y,
    problem,
    *,
    keep_suspects,
    random_state,
    say,
    time_column=None,
    split="auto",
):
    """Stage 2: hold out the test rows (at random, or the latest ones when the
    split is by time), fit the checker, decide the columns."""
    from sklearn_workflow.quality import DataQualityChecker, TableCleaner

    notes = []
    if problem.is_classification:
        X, y = _drop_single_row_classes(X, y, say, notes)
    choice = choose_split(
        X, y, problem, time_column=time_column, split=split, say=say, notes=notes
    )
    choice, (train_idx, test_idx, n_duplicates), how = _hold_out(
        X, y, problem, choice, random_state, say, notes
    )
    X_train, y_train = X.iloc[train_idx], y.iloc[train_idx]
    say(f"      held out {len(test_idx):,} test rows ({how}); nothing below sees them")
    cleaner = TableCleaner(on_invalid="ignore").fit(X_train)
    X_clean = cleaner.transform(X_train)
    _say_conversions(cleaner, say, notes)
    checker = DataQualityChecker(
        on_violation="ignore",
        task=problem.task,
        time_column=choice.time_column if time_column is not None else None,
    )
    findings = checker.fit(X_clean, y_train).findings_
    severities = findings["severity"].value_counts().to_dict()
    say(
        "      findings: "
        + ", ".join(f"{n} {s}" for s, n in sorted(severities.items()))
    )
    suspects = _flagged_columns(findings, {LEAKAGE_CHECK})
    plan, dropped = plan_columns(
        X_clean,
        findings,
        drop_suspects=not keep_suspects,
        types=cleaner.column_types_,
    )
    kept = [c for c in X.columns if c not in dropped]
    if choice.kind == "time":
        # The checker saw the rows in the file's order (its row-order findings);
        # the model stages see them in time order, and so do their folds.
        train_idx = train_idx[time_order(choice.times[train_idx], random_state)]
        X_train, y_train = X.iloc[train_idx], y.iloc[train_idx]
    result = QualityResult(
        cleaner=cleaner,
        checker=checker,
        plan=plan,
        dropped=dropped,
        kept_suspects=list(suspects) if keep_suspects else [],
        train_idx=train_idx,
        test_idx=test_idx,
        n_duplicates=n_duplicates,
        X_train=X_train[kept],
        X_test=X.iloc[test_idx][kept],
        y_train=y_train,
        y_test=y.iloc[test_idx],
        notes=notes,
        split=choice,
    )
    _say_quality(result, len(X), say)
    return result


@dataclass
class SplitChoice:
    """How the rows are split: at random, or by time (the latest rows tested).

    Attributes
    ----------
    kind : {"random", "time"}
    reason : str
        Why, in a sentence (said and noted).
    time_column : str or None
        The column of the time axis (the first of a year and a month column).
    axis : dict or None
        The checker's ``time_axis_`` on (a sample of) the whole table: the
        axis, the late-vs-early AUC, the rank correlation, ``strong``.
    times : ndarray or None
        The time of every row of the table, when split by time.
    """

    kind: str
    reason: str
    time_column: object = None
    axis: dict = None
    times: np.ndarray = None


def _find_time_axis(X, y, problem, time_column):
    """The checker's time axis and temporal test, on at most
    ``TIME_SCREEN_ROWS`` rows of the whole table (a decision like the
    stratification of the split: no model sees the test rows)."""
    from sklearn_workflow.quality import DataQualityChecker

    rows = np.arange(len(X))
    if len(X) > TIME_SCREEN_ROWS:
        rng = np.random.default_rng(0)
        rows = np.sort(rng.choice(len(X), TIME_SCREEN_ROWS, replace=False))
    checker = DataQualityChecker(
        on_violation="ignore", task=problem.task, time_column=time_column
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            checker.fit(X.iloc[rows], y.iloc[rows])
    except ValueError as exc:
        raise BadInputError(f"--time-column: {exc}") from exc
    return checker.time_axis_


def choose_split(X, y, problem, *, time_column, split, say, notes):
    """Random or by time: ``split`` ("auto", "random" or "time"), the time axis
    (``time_column``, or the one the checker finds) and whether time predicts
    the data (its ``temporal_order`` test)."""
    from sklearn_workflow.quality._temporal import time_values

    if split not in SPLITS:
        raise BadInputError(f"--split must be one of {SPLITS}; got {split!r}")
    if time_column is not None and time_column not in X.columns:
        raise BadInputError(
            f"--time-column {time_column!r} is not a feature column; columns are "
            f"{list(X.columns)}"
        )
    axis = _find_time_axis(X, y, problem, time_column)
    kind, reason = _split_reason(axis, time_column, split)
    choice = SplitChoice(kind, reason, axis["column"] if axis else None, axis)
    if kind == "time":
        choice.times = time_values(X, axis)
    say(f"      split: {kind} -- {reason}")
    notes.append(f"Split: {kind}. {reason[0].upper()}{reason[1:]}.")
    return choice


def _split_reason(axis, time_column, split):
    """The kind of split and why, in words."""
    if axis is None:
        if split == "time":
            raise BadInputError(
                "--split time needs a time axis: no datetime, date or year column "
                "was found; name one with --time-column"
            )
        return "random", "no time axis in the table (no datetime, date or year column)"
    name = axis["column"]
    evidence = (
        f"late-vs-early ROC-AUC {axis.get('auc', 0.5):.2f}, rank correlation "
        f"of the target with {name} {axis.get('rank_corr', 0.0):.2f}"
    )
    if split == "random":
        if axis.get("strong"):
            return "random", (
                f"--split random, although time predicts the data along {name} "
                f"({evidence}): the scores may be too good for future rows"
            )
        return "random", f"--split random ({name} is the time axis)"
    if split == "time":
        return "time", f"--split time along {name}"
    if time_column is not None:
        return "time", f"--time-column {name}: the latest rows are the test rows"
    if axis.get("strong"):
        return "time", (
            f"time predicts the data along {name} ({evidence}): a random split "
            "would train on the future of its test rows"
        )
    if axis.get("predicts"):
        return "random", (
            f"time predicts the data along {name} ({evidence}), but the rows are "
            f"not in time order: a random split, with --split time to split along "
            f"{name}"
        )
    return "random", (
        f"{name} is the time axis but time does not predict the data ({evidence})"
    )


def _hold_out(X, y, problem, choice, random_state, say, notes):
    """The held-out rows of the split chosen: ``(choice, (train_idx, test_idx,
    n_duplicates), how)``; a split by time whose latest rows hold one class
    falls back to random."""
    if choice.kind == "time":
        split = time_holdout(X, y, choice.times)
        if not (problem.is_classification and y.iloc[split[1]].nunique() < 2):
            return choice, split, f"the latest rows by {choice.time_column}"
        choice = _one_class_fallback(choice, y.iloc[split[1]], say, notes)
    split = holdout_split(
        X, y, stratify=problem.is_classification, random_state=random_state
    )
    how = "stratified, " if problem.is_classification else ""
    return choice, split, how + "duplicates kept together"


def _one_class_fallback(choice, y_test, say, notes):
    """The latest rows hold one class only: nothing to evaluate; split at random."""
    label = y_test.iloc[0]
    reason = (
        f"the latest rows by {choice.time_column} all have class {label!r}: a "
        "test split by time could not be evaluated, so the split is random"
    )
    say(f"      split: random -- {reason}")
    notes.append(f"Split: random. {reason[0].upper()}{reason[1:]}.")
    return SplitChoice("random", reason, choice.time_column, choice.axis)


def _duplicate_codes(X, y):
    """A code per row, equal for rows identical in every feature and the target."""
    target_hash = pd.util.hash_array(y.to_numpy(dtype=object))
    hashed = row_hashes(X) ^ (target_hash * np.uint64(0x9E3779B97F4A7C15))
    codes, _ = pd.factorize(hashed)
    return codes


def time_holdout(X, y, times):
    """The latest rows by ``times`` are the test rows (rows without a time stay
    in training: they cannot be placed in time).

    Returns
    -------
    train_idx, test_idx : ndarray of int
        Row positions, sorted.
    n_duplicates : int
        Rows that repeat an earlier row exactly (features and target).
    """
    n = len(times)
    present = ~pd.isna(times)
    order = np.flatnonzero(present)[np.argsort(times[present], kind="stable")]
    n_test = max(1, int(round(TEST_SIZE * n)))
    if n_test >= order.size:
        raise BadInputError(f"too few rows with a time to hold out a test split: {n}")
    test = np.sort(order[-n_test:])
    train = np.setdiff1d(np.arange(n), test)
    codes = _duplicate_codes(X, y)
    return train, test, int(n - np.unique(codes).size)


def time_order(times, random_state):
    """Positions of the rows in time order: the rows without a time first (they
    cannot be placed in time), rows of equal time in a random order drawn from
    ``random_state`` (the file's order within a time may follow the target).

    Parameters
    ----------
    times : ndarray of datetime64 or float
        The time of each row; NaT or NaN when it has none.
    random_state : int, RandomState instance or None
        Seeds the order of equal times.

    Returns
    -------
    order : ndarray of int
        Row positions, earliest first.
    """
    from sklearn.utils import check_random_state

    shuffled = check_random_state(random_state).permutation(len(times))
    present = ~pd.isna(times)
    if not present.any():
        return shuffled
    filled = np.where(present, times, times[present].min())
    return np.lexsort((shuffled, filled, present))


def retyped_columns(cleaner):
    """The cleaner's conversions that change what a column is: ``column``,
    ``type`` and ``message`` of the numbers, booleans and dates read from text,
    the free text and the identifiers."""
    frame = cleaner.conversions_
    return frame[frame["type"].isin(RETYPED)][["column", "type", "message"]]


def _say_conversions(cleaner, say, notes):
    """Each column the cleaner retyped (numbers or booleans stored as text, date
    strings, free text, identifiers), with its count and an example."""
    for row in retyped_columns(cleaner).itertuples(index=False):
        message = f"{row.column}: {row.message}"
        say(f"      {message}")
        notes.append(f"`{row.column}`: {row.message}")


def _drop_single_row_classes(X, y, say, notes):
    """A class seen in one row can be neither learned nor tested: its row goes."""
    counts = y.value_counts()
    single = counts.index[counts.to_numpy() == 1]
    if len(single) == 0:
        return X, y
    if len(counts) - len(single) < 2:
        raise BadInputError(
            f"target {y.name!r} has fewer than two classes with more than one row: "
            f"{counts.to_dict()}"
        )
    keep = ~y.isin(single).to_numpy()
    labels = ", ".join(repr(v) for v in single[:10])
    message = (
        f"{len(single)} class(es) of {y.name!r} with a single row dropped "
        f"({labels}): a class needs rows to learn from and to test on"
    )
    say(f"      {message}")
    notes.append(message[0].upper() + message[1:] + ".")
    return X.loc[keep], y.loc[keep]


def max_folds(y, classification, default):
    """Folds a cross-validation of ``y`` can have: ``default`` at most, and no
    more than the rows of the rarest class (at least 2)."""
    if not classification:
        return default
    return int(np.clip(y.value_counts().min(), 2, default))


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
    # one hash per row of features and target, without copying the frame
    codes = _duplicate_codes(X, y)
    first = np.unique(codes, return_index=True)[1]
    group_y = y.to_numpy()[first]
    candidates, strata = np.arange(len(first)), None
    if stratify:
        candidates = _testable_groups(group_y)
        counts = pd.Series(group_y[candidates]).value_counts()
        if len(counts) > 1 and counts.min() >= 2:
            strata = group_y[candidates]
    n_test_groups = max(1, int(round(TEST_SIZE * len(first))))
    if n_test_groups >= len(candidates):
        raise BadInputError(f"too few rows to hold out a test split: {len(X)}")
    _, test_groups = train_test_split(
        candidates,
        test_size=n_test_groups,
        stratify=strata,
        random_state=random_state,
    )
    test = np.isin(codes, test_groups)
    return np.flatnonzero(~test), np.flatnonzero(test), int(len(codes) - len(first))


def _testable_groups(group_y):
    """Groups that may go to the test split: with three or more classes, a class
    of fewer than ``MIN_TEST_CLASS_ROWS`` rows stays in training whole (the
    folds need its rows; a test with one of them measures nothing)."""
    counts = pd.Series(group_y).value_counts()
    rare = counts.index[counts.to_numpy() < MIN_TEST_CLASS_ROWS]
    if len(counts) < 3 or len(rare) == 0 or len(counts) - len(rare) < 2:
        return np.arange(len(group_y))
    return np.flatnonzero(~pd.Series(group_y).isin(rare).to_numpy())


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


def plan_columns(X, findings, *, drop_suspects, types=None):
    """What happens to each column: dropped (with why), or its feature step.

    Columns with an ID-like or constant finding are dropped, and leakage
    suspects when ``drop_suspects``; so are the columns that
    :class:`~sklearn_workflow.quality.TableCleaner` typed ``"id_like"`` (names,
    row labels) when ``types`` (its ``column_types_``) is given, and its
    ``"text"`` columns go to the text encoder. The others go to the feature step
    of their kind, unless every value is missing or the kind is not supported.

    Returns
    -------
    plan : dict of {step: list of str}
        ``dates``, ``target`` (target encoding), ``onehot``, ``text`` (a text
        encoder), ``numeric`` and ``boolean`` columns.
    dropped : dict of {str: str}
        Dropped column -> the reason.
    """
    reasons = dict(DROPPED_BY_CHECK)
    if drop_suspects:
        reasons[LEAKAGE_CHECK] = "leakage suspect"
    types = types or {}
    dropped = {
        column: f"{reasons[check]} ({message})"
        for column, (check, message) in _flagged_columns(findings, reasons).items()
        # free text is mostly distinct too, but it is encoded, not an identifier
        if column in X.columns
        and not (check == "id_like" and types.get(column) == "text")
    }
    for name in X.columns:
        if types.get(name) == "id_like" and name not in dropped:
            dropped[name] = "ID-like (mostly distinct labels: names or row labels)"
    plan = {step: [] for step in FEATURE_STEPS}
    for name in X.columns:
        if name in dropped:
            continue
        col = X[name]
        step = "text" if types.get(name) == "text" else _feature_step(col)
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
    X_train = quality.cleaner.transform(X.iloc[quality.train_idx])
    return ExplorationResult(lambda: quality.checker.plot(X_train, quality.y_train))


# --------------------------------------------------------- 4 feature engineering
@dataclass
class FeaturesResult:
    """Stage 4: the ColumnTransformer and which columns go to which step."""

    features: object
    routes: dict

    def random_split_features(self):
        """An unfitted copy of the features whose target encoder draws shuffled
        folds, as after a random split (the random-split comparison)."""
        from sklearn.base import clone

        features = clone(self.features)
        if "target_encoding" in self.routes:
            features.set_params(target_encoding__cv=ENCODER_FOLDS)
        return features


def engineer_features(quality, problem, *, random_state, say):
    """Stage 4: date features, target and one-hot encoding, text encoding (skrub's
    StringEncoder: character n-grams and a truncated SVD), log of skewed columns."""
    from skrub import StringEncoder

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
        cv=quality.encoder_cv(),
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
        *[
            (f"text_{name}", StringEncoder(n_components=TEXT_COMPONENTS), name)
            for name in plan["text"]
        ],
        ("log_skewed", LogTransformer(), plan["numeric"]),
        # yes/no columns as 1.0/0.0 (read as numbers: the median's float input
        # turns pandas.NA into NaN); a missing value is the column's median at
        # fit, its most frequent value
        (
            "boolean",
            SimpleImputer(strategy="median", keep_empty_features=True),
            plan["boolean"],
        ),
    ]
    steps = [
        (name, step, cols if isinstance(cols, str) else list(cols))
        for name, step, cols in candidates
        if len(cols)
    ]
    if not steps:
        raise BadInputError("no usable feature column left after the quality checks")
    features = ColumnTransformer(steps, remainder="drop").set_output(transform="pandas")
    routes = {
        name: [cols] if isinstance(cols, str) else cols for name, _, cols in steps
    }
    for name, cols in routes.items():
        say(f"      {name}: {', '.join(map(str, cols))}")
    if plan["target"] and quality.times_train is not None:
        note = (
            "Target encoding out of fold by time: each training row is encoded "
            "from the targets of earlier rows only (the earliest "
            f"1/{ENCODER_FOLDS + 1} of the rows, with none before them, get the "
            "mean target)."
        )
        say(f"      {note}")
        quality.notes.append(note)
    return FeaturesResult(features, routes)
