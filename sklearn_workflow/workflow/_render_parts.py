"""Tables and lists of the workflow's report, computed from the stage results.

The selector's results as a table that fits the page (the candidates that ran
every fold first, then those the race stopped, with where it stopped them, the
baseline last), and the "next steps" built from the findings, the verdict, the
learning-curve diagnosis and the readings of the model.
"""

import re

import numpy as np
import pandas as pd

from sklearn_workflow.problem._metrics import METRICS
from sklearn_workflow.report import format_value

__all__ = ["next_steps", "selection_summary", "selection_table"]

# The order of the rows of the summary table, by what happened to a candidate.
_ORDER = {"completed": 0, "stopped": 1, "failed": 2, "baseline": 3}


def selection_table(results, *, folds=True):
    """The selector's results; without the per-fold columns for the report."""
    frame = pd.DataFrame(results)
    if not folds:
        frame = frame.drop(
            columns=[c for c in frame.columns if re.fullmatch(r"fold_\d+", str(c))]
        )
    return frame


def _outcome(status):
    status = str(status)
    if status == "baseline":
        return "baseline"
    if status == "completed" or status.startswith("ensemble"):
        return "completed"  # an ensemble offered is scored on every fold
    if status.startswith("failed"):
        return "failed"
    return "stopped"


def _stopping_point(row):
    """Where the race stopped a candidate, from ``stopped_at`` or its status."""
    stopped_at = row.get("stopped_at")
    if isinstance(stopped_at, str) and stopped_at:
        point = stopped_at
    else:
        match = re.search(r"(rung 0|fold \d+)", str(row.get("status", "")))
        point = match.group(1) if match else str(row.get("status", ""))
    reason = re.search(r"\((budget|time)\)", str(row.get("status", "")))
    return point + (f" ({reason.group(1)})" if reason else "")


def selection_summary(results, best=None):
    """The selector's results in a few columns, in the order a reader needs.

    The selected candidate (``best``, a name) comes first, then the
    candidates that ran every fold, by rank; then those the race stopped, each
    with the point where it was stopped and the score of the folds it ran
    (most folds first); then failures; the baseline last, without a rank.

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "rank": [1, 2, 3], "name": ["Baseline", "Forest", "Tree"],
    ...     "mean_f1": [0.0, 0.81, 0.6], "std_f1": [0.0, 0.02, 0.0],
    ...     "fit_time": [0.01, 2.0, 0.1], "n_folds": [5, 5, 1],
    ...     "status": ["baseline", "completed", "dropped at fold 1"],
    ...     "stopped_at": ["", "", "fold 1 of 5"]})
    >>> selection_summary(results)[["rank", "candidate", "f1", "outcome"]]
       rank candidate             f1                 outcome
    0   1.0    Forest  0.81 +/- 0.02               completed
    1   2.0      Tree   0.6 (1 fold)  stopped at fold 1 of 5
    2   NaN  Baseline              0                baseline
    """
    frame = pd.DataFrame(results).reset_index(drop=True)
    means = [c for c in frame.columns if str(c).startswith("mean_")]
    primary = means[0] if means else None
    outcome = frame["status"].map(_outcome)
    key = outcome.map(_ORDER).to_numpy() - (frame["name"] == best).to_numpy()
    rank = frame.get("rank", pd.Series(np.arange(len(frame)))).to_numpy()
    folds = -pd.to_numeric(frame.get("n_folds", 0), errors="coerce").fillna(0)
    order = np.lexsort((rank, np.where(outcome == "stopped", folds, 0), key))
    frame, outcome = frame.iloc[order], outcome.iloc[order]
    rows = []
    n_ranked = 0
    for (_, row), kind in zip(frame.iterrows(), outcome):
        ranked = kind in ("completed", "stopped")
        n_ranked += ranked
        rows.append(
            {
                "rank": float(n_ranked) if ranked else np.nan,
                "candidate": row["name"],
                primary[5:] if primary else "score": _score_text(row, primary, kind),
                "folds": row.get("n_folds"),
                "fit time (s)": _fit_time(row),
                "outcome": _outcome_text(row, kind),
            }
        )
    return pd.DataFrame(rows)


def _score_text(row, primary, kind):
    if primary is None:
        return ""
    mean = row.get(primary)
    if mean is None or (isinstance(mean, float) and np.isnan(mean)):
        rung0 = row.get("rung0_mean")
        if rung0 is not None and np.isfinite(rung0):
            return f"{format_value(rung0)} (subsample)"
        return ""
    if kind == "stopped":
        n = int(row.get("n_folds") or 0)
        return f"{format_value(mean)} ({n} fold{'s' if n != 1 else ''})"
    if kind == "baseline":
        return format_value(mean)
    std = row.get("std_" + primary[5:])
    return f"{format_value(mean)} +/- {format_value(std)}"


def _fit_time(row):
    seconds = float(row.get("fit_time") or 0.0) + float(
        row.get("rung0_fit_time") or 0.0
    )
    return round(seconds, 3) if seconds > 0 else np.nan


def _outcome_text(row, kind):
    if kind == "stopped":
        return f"stopped at {_stopping_point(row)}"
    if kind == "failed":
        error = str(row.get("error") or "")
        return f"failed: {error[:80]}" if error else "failed"
    has_proba = row.get("has_proba")
    if (
        kind == "completed"
        and isinstance(has_proba, (bool, np.bool_))
        and not has_proba
    ):
        # the race prefers models with probabilities (see ModelSelector's
        # prefer_proba): say which ones have none
        return "completed, no probabilities"
    return kind


# ---------------------------------------------------------------- next steps
def next_steps(stages, drivers, by_level):
    """What to do next, most pressing first, as plain sentences."""
    steps = _verdict_steps(stages)
    curve = stages["tuning"].curve
    steps.append(f"Learning curve: {curve.diagnosis}. {_sentence(curve.fix)}")
    steps += _interval_step(stages)
    steps += _finding_steps(stages["quality"].findings)
    steps += _race_step(stages["selection"].selector.results_)
    steps += _slice_step(stages, by_level)
    steps += _driver_step(drivers)
    return steps


def _sentence(text):
    text = str(text).strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _verdict_steps(stages):
    verdict = stages["evaluation"].verdict
    steps = []
    for row in verdict.criteria:
        if not row["met"]:
            steps.append(
                f"Not met: {row['criterion']} (test value "
                f"{format_value(row['value'])}). Work on this criterion first."
            )
    if verdict.met:
        steps.append(
            "Every criterion of the card is met: follow the model on new data "
            "with the saved model's own data checks, and retrain on schedule."
        )
    return steps


def _interval_step(stages):
    metric = stages["problem"].metric
    report = stages["evaluation"].evaluation
    bounds = (report.intervals or {}).get(metric)
    if bounds is None or not np.all(np.isfinite(bounds)):
        return []
    width = bounds[1] - bounds[0]
    if metric not in METRICS or not METRICS[metric].bounded or width <= 0.1:
        return []
    return [
        f"The test set is small for a precise {metric}: its 95% interval "
        f"[{format_value(bounds[0])}, {format_value(bounds[1])}] is "
        f"{format_value(width)} wide. More labelled rows would narrow it."
    ]


def _finding_steps(findings, limit=5):
    if findings is None or not len(findings) or "severity" not in findings:
        return []
    serious = findings[findings["severity"].isin(["error", "warning"])]
    steps = []
    for row in serious.head(limit).itertuples(index=False):
        suggestion = getattr(row, "suggestion", "") or getattr(row, "message", "")
        column = getattr(row, "column", "")
        where = f"{column}: " if isinstance(column, str) and column else ""
        steps.append(f"Data ({row.check}) {where}{_sentence(suggestion)}")
    return steps


def _race_step(results):
    outcome = pd.DataFrame(results)["status"].map(_outcome)
    n_stopped = int((outcome == "stopped").sum())
    if not n_stopped:
        return []
    return [
        f"The race stopped {n_stopped} candidate(s) before their last fold: "
        'ModelSelector(strategy="full") scores every candidate on every fold '
        "when the time is there."
    ]


def _slice_step(stages, by_level):
    if by_level is None:
        return []
    column, table = by_level
    metric = stages["problem"].metric
    overall = stages["evaluation"].evaluation.metrics.get(metric)
    values = table[metric].to_numpy(dtype=float)
    if overall is None or not np.isfinite(values).any():
        return []
    greater = metric not in METRICS or METRICS[metric].greater_is_better
    worst = int(np.nanargmin(values) if greater else np.nanargmax(values))
    gap = abs(values[worst] - overall)
    if gap < 0.05 * max(abs(overall), 1e-12):
        return []
    level = table["level"].iloc[worst]
    return [
        f"Where it errs: {column} = {level} ({table['rows'].iloc[worst]} test rows) "
        f"has {metric} {format_value(values[worst])} against "
        f"{format_value(overall)} overall; look at these rows."
    ]


def _driver_step(drivers):
    if drivers is None or not len(drivers):
        return []
    useless = drivers.loc[drivers["importance"] <= 0, "column"].tolist()
    if not useless or len(useless) == len(drivers):
        return []
    names = ", ".join(useless[:8]) + (", ..." if len(useless) > 8 else "")
    return [
        f"{len(useless)} column(s) do not help on the test rows (permutation "
        f"importance <= 0): {names}. A model without them is simpler to serve."
    ]
