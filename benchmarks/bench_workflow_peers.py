"""The ``run`` command against a one-line scikit-learn model and FLAML, same split.

Each table of ``_tables.py`` (real tables shipped inside pip packages, no network)
is written to a CSV, then ``python -m sklearn_workflow run FILE --target T
--time-budget B`` runs on it in its own process. Its ``test_predictions.csv``
gives the split (``row``: the position of each held-out row in the table, rows
with a missing target included; the other rows with a target are the training
rows). On that same split:

- ``ours``: the saved model (``sklearn_workflow.deploy.load``), predicting the
  held-out rows as ``sklearn_workflow.utils._files.load_table`` reads them, the
  way ``predict`` would;
- ``one-line HGB``: ``OrdinalEncoder`` on the text columns (unknown and missing
  values encoded as missing) then ``HistGradientBoosting*(categorical_features=...)``
  with default parameters;
- ``FLAML (same time)``: ``flaml.AutoML`` with ``time_budget`` equal to the wall
  time our command took (process start included), on the metric below; the
  ``--budget`` itself when our run gave no score.

Every model is scored here, the same way, from its ``predict_proba`` or
``predict`` on the held-out rows (the metric of ``metrics.json`` is not used):
ROC-AUC for a binary target, positive class the one the run used
(``evaluation.positive_class`` of ``metrics.json``); the macro average of the
one-vs-rest ROC-AUC of the classes present in the held-out rows for a multiclass
target (a class a model never saw scores 0.5); R2 for a regression. The task is
the one the run read (the table's ``kind`` when the run wrote nothing).

A failure of one tool on one table is a cell with its error's first line, never
a crash; timings are reported, never asserted. Per kind: the mean differences
ours - HGB and ours - FLAML over the tables where both have a score, and on how
many tables ours is at least HGB - 0.005.

Usage::

    python benchmarks/bench_workflow_peers.py                    # every table, 60 s
    python benchmarks/bench_workflow_peers.py --quick            # 6 small tables, 20 s
    python benchmarks/bench_workflow_peers.py --kinds binary,regression --budget 30
    python benchmarks/bench_workflow_peers.py --only isl_oj,wine --markdown peers.md
"""

import argparse
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _tables import BINARY, MULTICLASS, REGRESSION, select_tables
from bench_workflow_tables import (
    _read_outputs,
    first_error_line,
    reference_model,
    run_command,
    split_rows,
)
from sklearn.metrics import r2_score, roc_auc_score

from sklearn_workflow.deploy import load
from sklearn_workflow.report import markdown_table
from sklearn_workflow.utils._files import load_table

KINDS = {"binary": BINARY, "multiclass": MULTICLASS, "regression": REGRESSION}
SHORT = {task: kind for kind, task in KINDS.items()}
# two small tables of each kind
QUICK = [
    "isl_oj", "penguins_sex", "glass_fgl", "wine", "housing_price", "credit_balance",
]  # fmt: skip
FLAML_METRIC = {BINARY: "roc_auc", MULTICLASS: "roc_auc_ovr", REGRESSION: "r2"}
COLUMNS = [
    "table", "kind", "rows", "ours", "one-line HGB", "FLAML (same time)",
    "our seconds", "FLAML seconds",
]  # fmt: skip
TOLERANCE = 0.005


# ------------------------------------------------------------------ scoring
def label_key(value):
    """A label as text, so that 1, 1.0, "1" and True/"True" compare as equal."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else str(number)


def class_scores(proba, classes, key):
    """The column of ``proba`` for the class whose key is ``key`` (0 if unseen)."""
    keys = [label_key(c) for c in classes]
    if key not in keys:
        return np.zeros(len(proba))
    return np.asarray(proba)[:, keys.index(key)]


def class_matrix(model, X):
    """One score column per class: ``predict_proba``, else ``decision_function``.

    A model without probabilities (an SVC) ranks the rows by its decision
    function, which gives the same ROC-AUC; a binary one's single column is the
    score of ``classes_[1]``, so ``classes_[0]`` gets its opposite.
    """
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    scores = np.asarray(model.decision_function(X), dtype=float)
    return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores


def score_model(model, X, y, task, positive=None):
    """ROC-AUC (binary), macro one-vs-rest ROC-AUC (multiclass) or R2.

    The multiclass score is the mean over the classes present in ``y`` of the
    ROC-AUC of one class against the others (``roc_auc_score(...,
    multi_class="ovr")`` when every class is present), so that a class the
    model never saw, or one missing from the held-out rows, is no error.
    """
    if task == REGRESSION:
        return float(r2_score(y, np.asarray(model.predict(X), dtype=float)))
    proba = class_matrix(model, X)
    y_keys = np.array([label_key(value) for value in y])
    if task == BINARY:
        return float(
            roc_auc_score(
                y_keys == positive, class_scores(proba, model.classes_, positive)
            )
        )
    aucs = [
        roc_auc_score(y_keys == key, class_scores(proba, model.classes_, key))
        for key in np.unique(y_keys)
    ]
    return float(np.mean(aucs))


def error_cell(exc):
    """The first line of an error, short enough for a table cell."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:100]


# ------------------------------------------------------------------ the three tools
def our_score(out, csv, target, test, y_test, task, positive):
    """Our saved model, predicting the held-out rows as ``load_table`` reads them."""
    model = load(out / "model.skops")
    X = load_table(csv).iloc[test].drop(columns=target)
    return score_model(model, X, y_test, task, positive)


def hgb_score(X, y, train, test, task, positive):
    """The one-line reference, trained on the run's training rows."""
    X = X.astype({c: float for c in X.columns if X[c].dtype == bool})
    model = reference_model(X, task).fit(X.iloc[train], y.iloc[train])
    return score_model(model, X.iloc[test], y.iloc[test], task, positive)


def flaml_score(X, y, train, test, task, positive, seconds):
    """FLAML's AutoML with the given time budget; its score and its wall time."""
    from flaml import AutoML

    automl = AutoML()
    start = time.perf_counter()
    automl.fit(
        X.iloc[train],
        y.iloc[train],
        task="regression" if task == REGRESSION else "classification",
        metric=FLAML_METRIC[task],
        time_budget=max(1.0, seconds),
        seed=0,
        verbose=0,
    )
    elapsed = time.perf_counter() - start
    return score_model(automl, X.iloc[test], y.iloc[test], task, positive), elapsed


# ------------------------------------------------------------------ one table
def bench_table(table, folder, budget, timeout):
    """One row of the result table; never raises."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(table=table.name, kind=SHORT[table.kind])
    try:
        frame = table.load()
        csv, out = folder / f"{table.name}.csv", folder / table.name
        frame.to_csv(csv, index=False)
        frame = pd.read_csv(csv, low_memory=False)
    except Exception as exc:  # a table that does not load is a row too
        row["ours"] = error_cell(exc)
        return row
    row["rows"] = len(frame)
    code, seconds, _, stderr = run_command(csv, table.target, out, budget, timeout)
    row["our seconds"] = seconds
    metrics, predictions = _read_outputs(out)
    task = metrics.get("task") or table.kind
    row["kind"] = SHORT.get(task, task)
    positive = label_key((metrics.get("evaluation") or {}).get("positive_class"))
    try:
        train, test, own_split = split_rows(frame, table.target, predictions)
    except Exception:  # unreadable predictions: the peers still get a split
        train, test, own_split = split_rows(frame, table.target, None)
    X, y = frame.drop(columns=table.target), frame[table.target]
    if task == REGRESSION:
        y = pd.to_numeric(y, errors="coerce")
        train, test = train[y.iloc[train].notna()], test[y.iloc[test].notna()]
    elif task == BINARY and positive == "None":
        positive = _minority_key(y.iloc[train])
    if own_split or code not in (0, 1):
        note = first_error_line(stderr)[:100] or "(no stderr)"
        row["ours"] = f"exit {code}: {note}"
    else:
        row["ours"] = _attempt(
            our_score, out, csv, table.target, test, y.iloc[test], task, positive
        )
    row["one-line HGB"] = _attempt(hgb_score, X, y, train, test, task, positive)
    same_time = seconds if isinstance(row["ours"], float) else budget
    flaml = _attempt(flaml_score, X, y, train, test, task, positive, same_time)
    row["FLAML (same time)"], row["FLAML seconds"] = (
        flaml if isinstance(flaml, tuple) else (flaml, "")
    )
    if own_split:
        for column in ("one-line HGB", "FLAML (same time)"):
            if isinstance(row[column], float):
                row[column] = f"{row[column]:.4g}*"
    return row


def _attempt(function, *args):
    """``function(*args)``, or the error's first line when it raises."""
    try:
        return function(*args)
    except Exception as exc:  # one tool failing on one table is a cell
        return error_cell(exc)


def _minority_key(y):
    """The key of the rarest label: the positive class when the run gave none."""
    counts = pd.Series([label_key(v) for v in y.dropna()]).value_counts()
    return counts.index[-1]


# ------------------------------------------------------------------ the report
def summary(rows):
    """Per kind: the mean differences to HGB and FLAML and the count within 0.005."""
    lines = []
    for kind in KINDS:
        of_kind = [row for row in rows if row["kind"] == kind]
        if not of_kind:
            continue
        vs_hgb = _differences(of_kind, "one-line HGB")
        vs_flaml = _differences(of_kind, "FLAML (same time)")
        close = sum(d >= -TOLERANCE for d in vs_hgb)
        lines.append(
            (
                kind,
                len(of_kind),
                _mean(vs_hgb),
                _mean(vs_flaml),
                f"{close}/{len(vs_hgb)}",
            )
        )
    columns = [
        "kind", "tables", "mean ours - HGB", "mean ours - FLAML",
        f"ours >= HGB - {TOLERANCE}",
    ]  # fmt: skip
    return markdown_table(lines, columns)


def _differences(rows, column):
    return [
        row["ours"] - row[column]
        for row in rows
        if isinstance(row["ours"], float) and isinstance(row[column], float)
    ]


def _mean(values):
    return f"{np.mean(values):+.4f}" if values else None


def markdown(rows, budget):
    """The result table and the per-kind summary, as Markdown."""
    cells = [[_cell(row[column], column) for column in COLUMNS] for row in rows]
    return (
        f"budget {budget} s; ROC-AUC (binary), macro one-vs-rest ROC-AUC "
        "(multiclass), R2 (regression); * the run wrote no split, the peers "
        "used one of their own\n\n"
        + markdown_table(cells, COLUMNS)
        + "\n\n"
        + summary(rows)
        + "\n"
    )


def _cell(value, column):
    if isinstance(value, float) and "seconds" in column:
        return f"{value:.0f}"
    if isinstance(value, float):
        return f"{value:.4f}"
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated table names")
    parser.add_argument("--kinds", help="comma-separated: binary,multiclass,regression")
    parser.add_argument("--budget", type=float, help="--time-budget of each run")
    parser.add_argument("--quick", action="store_true", help="6 small tables, 20 s")
    parser.add_argument("--timeout", type=float, help="seconds before a run is killed")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    args = parser.parse_args(argv)
    only = args.only.split(",") if args.only else (QUICK if args.quick else None)
    tables = select_tables(only)
    if args.kinds:
        unknown = set(args.kinds.split(",")) - set(KINDS)
        if unknown:
            raise SystemExit(f"unknown kinds {sorted(unknown)}; known: {list(KINDS)}")
        kinds = {KINDS[kind] for kind in args.kinds.split(",")}
        tables = [table for table in tables if table.kind in kinds]
    budget = args.budget or (20 if args.quick else 60)
    budget = int(budget) if float(budget).is_integer() else budget
    timeout = args.timeout or 3 * budget + 60
    warnings.filterwarnings("ignore")
    logging.getLogger("flaml").setLevel(logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as folder:
        for table in tables:
            print(f"{table.name} ...", file=sys.stderr, flush=True)
            rows.append(bench_table(table, Path(folder), budget, timeout))
            cells = [_cell(rows[-1][column], column) for column in COLUMNS[3:]]
            print(f"  {cells}", file=sys.stderr, flush=True)
    text = markdown(rows, budget)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
