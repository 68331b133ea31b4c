"""The ``run`` command on real public tables, against a one-line scikit-learn model.

Each table of ``_tables.py`` (real tables shipped inside pip packages, no network)
is written to a CSV as a user would have it, then
``python -m sklearn_workflow run FILE --target T --out DIR --time-budget B`` runs on
it in its own process with a wall-clock timeout. One row per table:

- ``exit``: the command's exit code (0 verdict met, 1 not met, 2 bad input,
  3 internal error), or ``timeout``;
- ``seconds`` and ``in budget`` (at most 1.2 x budget + 10 s); never asserted;
- ``test``: the run's success metric on its held-out rows; ``dummy``: the dummy
  baseline's on the same rows; ``reference``: ``OrdinalEncoder`` on the text
  columns then ``HistGradientBoosting*(categorical_features=...)`` with default
  parameters, trained on the run's training rows (every row with a target that is
  not in ``test_predictions.csv``) and scored with the same metric. When the run
  wrote no predictions, the reference is fitted on a split of its own (20% held
  out, marked ``*``) so the row still says how hard the table is;
- ``peak MB``: the peak resident memory of the command's own process (its
  worker processes, if any, are not counted);
- ``note``: for a failed run, the first line of its stderr that is not a warning.

A crash of one table is a row, never a crash of the benchmark; the exit status of
the benchmark is 0 whatever the runs return.

Usage::

    python benchmarks/bench_workflow_tables.py                  # every table, 60 s
    python benchmarks/bench_workflow_tables.py --quick          # 5 small tables, 15 s
    python benchmarks/bench_workflow_tables.py --only isl_oj,glass_fgl --budget 20
    python benchmarks/bench_workflow_tables.py --budget 30 --markdown tables.md
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from _tables import BINARY, MULTICLASS, select_tables
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

ROOT = Path(__file__).resolve().parents[1]
LOWER_IS_BETTER = {"rmse", "mae", "mse", "log_loss", "brier_score"}
DEFAULT_METRIC = {BINARY: "roc_auc", MULTICLASS: "balanced_accuracy"}
# metric name -> (function, needs class probabilities)
SCORERS = {
    "roc_auc": (roc_auc_score, True),
    "average_precision": (average_precision_score, True),
    "log_loss": (log_loss, True),
    "accuracy": (accuracy_score, False),
    "balanced_accuracy": (balanced_accuracy_score, False),
    "f1": (f1_score, False),
    "precision": (precision_score, False),
    "recall": (recall_score, False),
    "rmse": (root_mean_squared_error, False),
    "mae": (mean_absolute_error, False),
    "r2": (r2_score, False),
}
COLUMNS = [
    "table", "rows", "cols", "kind", "task", "exit", "seconds", "in budget",
    "metric", "test", "dummy", "reference", "peak MB", "note",
]  # fmt: skip


# ------------------------------------------------------------------ the command
def run_command(csv, target, out, budget, timeout):
    """Run the command in its own process; exit code, seconds, peak MB, stderr."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p]
    )
    args = [sys.executable, "-m", "sklearn_workflow", "run", str(csv)]
    args += ["--target", target, "--out", str(out), "--time-budget", str(budget)]
    err_path = Path(out).with_suffix(".stderr")
    start = time.perf_counter()
    with open(os.devnull, "wb") as devnull, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            args, stdout=devnull, stderr=err, env=env, start_new_session=True
        )
        code, peak_kb = _wait(proc, timeout)
    seconds = time.perf_counter() - start
    return code, seconds, peak_kb / 1024, err_path.read_text(errors="replace")


def _wait(proc, timeout):
    """Wait for the process, or kill it; its exit code and peak memory in kB.

    The peak is the process's own high-water mark (``VmHWM``, Linux), read while
    it runs: the ``ru_maxrss`` that ``wait4`` reports also counts the memory of
    this benchmark at the time of the fork, which grows with the tables loaded.
    Elsewhere it falls back to ``ru_maxrss``.
    """
    deadline, peak_kb = time.monotonic() + timeout, 0
    while True:
        peak_kb = max(peak_kb, _high_water_kb(proc.pid))
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, peak_kb or usage.ru_maxrss
        if time.monotonic() > deadline:
            os.killpg(proc.pid, 9)
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return "timeout", peak_kb or usage.ru_maxrss
        time.sleep(0.1)


def _high_water_kb(pid):
    """The peak resident memory of a running process (Linux), or 0."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def first_error_line(stderr):
    """The first line of stderr that is not a warning (or the first line)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "Warning" not in line and not line.startswith(("warnings.", "  ")):
            return line
    return lines[0] if lines else ""


# ------------------------------------------------------------------ the reference
def reference_model(X, task):
    """OrdinalEncoder on the text columns, then default HistGradientBoosting."""
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
        max_categories=255,
    )
    columns = ColumnTransformer(
        [("text", encoder, text)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    categorical = [True] * len(text) + [False] * (X.shape[1] - len(text))
    estimator = (
        HistGradientBoostingRegressor
        if task == "regression"
        else HistGradientBoostingClassifier
    )
    return make_pipeline(
        columns, estimator(categorical_features=categorical if text else None)
    )


def split_rows(frame, target, predictions):
    """Training and test positions of the rows that have a target.

    The run drops the rows with a missing target before its split; ``row`` in
    ``test_predictions.csv`` is read as a position in the table without them, or
    in the full table, whichever gives back the stored targets.
    """
    kept = np.flatnonzero(frame[target].notna().to_numpy())
    if predictions is None:
        train, test = train_test_split(kept, test_size=0.2, random_state=0)
        return train, test, True
    rows = predictions["row"].to_numpy()
    stored = predictions[target].astype(str).to_numpy()
    as_kept = kept[rows[rows < len(kept)]]
    if (
        len(as_kept) == len(rows)
        and (frame[target].iloc[as_kept].astype(str).to_numpy() == stored).all()
    ):
        test = as_kept
    else:
        test = rows
    return np.setdiff1d(kept, test), test, False


def score(metric, y_true, model, X):
    """The metric of the fitted model on (X, y_true), as the run computes it."""
    function, needs_proba = SCORERS[metric]
    if not needs_proba:
        return float(function(y_true, model.predict(X)))
    proba = model.predict_proba(X)
    if metric == "log_loss":
        return float(function(y_true, proba, labels=model.classes_))
    if proba.shape[1] == 2:
        y_true = np.asarray(y_true) == model.classes_[1]
        return float(function(y_true, proba[:, 1]))
    return float(function(y_true, proba, multi_class="ovr", labels=model.classes_))


def reference_score(frame, target, task, metric, predictions):
    """The reference's score on the run's split (or its own split, marked)."""
    train, test, own_split = split_rows(frame, target, predictions)
    X, y = frame.drop(columns=target), frame[target]
    X = X.astype({c: float for c in X.columns if X[c].dtype == bool})
    if task == "regression":
        y = pd.to_numeric(y, errors="coerce")
        train, test = train[y.iloc[train].notna()], test[y.iloc[test].notna()]
    model = reference_model(X, task).fit(X.iloc[train], y.iloc[train])
    value = score(metric, y.iloc[test], model, X.iloc[test])
    return value, own_split


# ------------------------------------------------------------------ one table
def bench_table(table, folder, budget, timeout):
    """One row of the result table; never raises."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(table=table.name, kind=table.kind)
    try:
        frame = table.load()
    except Exception as exc:  # a table that does not load is a row too
        row.update(exit="load", note=f"{type(exc).__name__}: {exc}"[:120])
        return row
    csv, out = folder / f"{table.name}.csv", folder / table.name
    frame.to_csv(csv, index=False)
    frame = pd.read_csv(csv)
    row.update(rows=len(frame), cols=frame.shape[1])
    code, seconds, peak_mb, stderr = run_command(
        csv, table.target, out, budget, timeout
    )
    row.update(exit=code, seconds=seconds)
    row["in budget"] = "yes" if seconds <= 1.2 * budget + 10 else "no"
    row["peak MB"] = peak_mb
    if code not in (0, 1):
        row["note"] = first_error_line(stderr)[:160] or "(no stderr)"
    metrics, predictions = _read_outputs(out)
    task = metrics.get("task") or table.kind
    metric = metrics.get("success_metric") or DEFAULT_METRIC.get(task, "rmse")
    row.update(task=metrics.get("task", ""), metric=metric)
    row["test"] = (metrics.get("test") or {}).get(metric)
    row["dummy"] = _dummy_score(metrics, metric)
    try:
        value, own_split = reference_score(
            frame, table.target, task, metric, predictions
        )
        row["reference"] = f"{value:.4g}" + ("*" if own_split else "")
    except Exception as exc:
        row["reference"] = f"error ({type(exc).__name__})"
    return row


def _read_outputs(out):
    """metrics.json and test_predictions.csv of a run, when it wrote them."""
    try:
        metrics = json.loads((out / "metrics.json").read_text())
    except (OSError, ValueError):
        metrics = {}
    try:
        predictions = pd.read_csv(out / "test_predictions.csv")
    except (OSError, ValueError):
        predictions = None
    return metrics, predictions


def _dummy_score(metrics, metric):
    baselines = metrics.get("baselines") or {}
    for name, scores in baselines.items():
        if "dummy" in name.lower() and isinstance(scores, dict):
            return scores.get(metric)
    return None


# ------------------------------------------------------------------ the report
def beats_dummy(row):
    """True when the run's test score is better than the dummy's."""
    test, dummy = row["test"], row["dummy"]
    if not isinstance(test, int | float) or not isinstance(dummy, int | float):
        return False
    return test < dummy if row["metric"] in LOWER_IS_BETTER else test > dummy


def markdown(rows):
    """The result table and its summary line, as Markdown."""
    cells = [[_cell(row[column]) for column in COLUMNS] for row in rows]
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(line) + " |" for line in cells]
    exits = Counter(str(row["exit"]) for row in rows)
    summary = (
        f"{len(rows)} tables; exit codes: "
        + ", ".join(f"{code}: {n}" for code, n in sorted(exits.items()))
        + f"; beats the dummy baseline: {sum(map(beats_dummy, rows))}/{len(rows)}"
        + "; within 1.2 x budget + 10 s: "
        + f"{sum(row['in budget'] == 'yes' for row in rows)}/{len(rows)}"
    )
    return "\n".join(lines) + "\n\n" + summary + "\n"


def _cell(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if np.isnan(value) else f"{value:.4g}"
    return str(value).replace("|", "/")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated table names")
    parser.add_argument("--budget", type=float, help="--time-budget of each run")
    parser.add_argument("--quick", action="store_true", help="5 small tables, 15 s")
    parser.add_argument("--timeout", type=float, help="seconds before a run is killed")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    args = parser.parse_args(argv)
    only = args.only.split(",") if args.only else None
    tables = select_tables(only, quick=args.quick)
    budget = args.budget or (15 if args.quick else 60)
    budget = int(budget) if float(budget).is_integer() else budget
    timeout = args.timeout or 3 * budget + 60
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-tables-") as folder:
        for table in tables:
            print(f"{table.name} ...", file=sys.stderr, flush=True)
            rows.append(bench_table(table, Path(folder), budget, timeout))
            print(f"  exit {rows[-1]['exit']}", file=sys.stderr, flush=True)
    text = markdown(rows)
    print(f"budget {budget} s, timeout {timeout} s\n\n{text}")
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
