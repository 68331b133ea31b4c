"""The check that lets :class:`~sklearn_workflow.deploy.PreparedModel` answer
through ONNX: the graph and the Python path on the same door-cleaned rows.

The rows are the ones the model carries (the monitoring reference's sample,
decoded back to a table: numbers, dates and category codes as the values they
code; a rare category becomes a text the model never saw) or the caller's. Beside
them, one row per input column and per kind of flagged value, made from the
first row: a missing value, an infinite number, values far outside the
training range, a category never seen. Labels must be identical and
probabilities (a regressor's predictions) within ``MAX_DIFF``. Missing or
infinite values that the pipeline refuses (an error) are handed back to it by
the engine at each call instead.
"""

import re
import warnings

import numpy as np
import pandas as pd

from sklearn_workflow.monitor._reference import REFERENCE_ATTRIBUTE
from sklearn_workflow.utils._dataframe import is_pandas
from sklearn_workflow.workflow._door import _pipeline_door, pass_door

__all__ = ["MAX_DIFF", "check_engine", "reference_rows"]

# Largest |probability difference| (relative to the predictions' scale for a
# regressor) under which the ONNX engine may answer.
MAX_DIFF = 1e-9
MAX_CHECK_ROWS = 1000
UNSEEN = "<a category never seen>"
# Kinds of flagged values the engine can hand back to the pipeline.
REFUSABLE = ("missing", "infinite")


# -- the rows the model carries ----------------------------------------------------
def reference_rows(model):
    """The monitoring reference's sample as raw rows, and why not when None."""
    reference = getattr(model, REFERENCE_ATTRIBUTE, None)
    if not isinstance(reference, dict):
        return None, "the model carries no monitoring reference"
    sample = np.asarray(reference.get("sample", {}).get("rows", []), dtype=np.float64)
    columns = reference.get("columns") or {}
    names = [str(c) for c in getattr(model, "feature_names_in_", [])]
    lacking = [name for name in names if name not in columns]
    if sample.ndim != 2 or sample.shape[0] == 0 or sample.shape[1] != len(columns):
        return None, "the model's monitoring reference holds no sample of rows"
    if not names or lacking:
        return None, f"the monitoring reference lacks the input columns {lacking[:5]}"
    dtypes = _fitted_dtypes(model)
    sample = sample[:MAX_CHECK_ROWS]
    frame = {
        name: _decode(sample[:, j], summary, dtypes.get(name, ""))
        for j, (name, summary) in enumerate(columns.items())
        if name in names
    }
    return pd.DataFrame(frame)[names], "the model's monitoring reference"


def _fitted_dtypes(model):
    _, checker = _pipeline_door(model)
    contract = getattr(checker, "contract_", None) or {"columns": []}
    return {str(p["label"]): str(p.get("dtype")) for p in contract["columns"]}


def _decode(values, summary, dtype):
    """One column of the reference sample as the values it codes."""
    kind = summary.get("kind")
    if "categories" in summary:
        categories = list(summary["categories"])
        codes = np.nan_to_num(values, nan=len(categories) + 1).astype(np.int64)
        if kind == "boolean":
            table = [c == "True" for c in categories] + [None, None]
            return pd.array([table[c] for c in codes], dtype="boolean")
        table = np.array([*categories, UNSEEN, None], dtype=object)
        return table[np.clip(codes, 0, len(categories) + 1)]
    if kind != "datetime":
        return values
    stamps = pd.Series(pd.to_datetime(values, unit="s"))
    zone = re.search(r", (.+)\]", dtype)
    if zone:
        return stamps.dt.tz_localize(
            zone.group(1), ambiguous="NaT", nonexistent="shift_forward"
        ).to_numpy()
    if dtype.startswith("datetime64["):
        return stamps.astype(dtype).to_numpy()
    return stamps.to_numpy()


def door_rows(model, rows):
    """``rows`` as the door leaves them (the server's ``clean``), or None."""
    if not is_pandas(rows) or getattr(model, "feature_names_in_", None) is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, clean, _ = pass_door(model, rows)
    return clean


# -- flagged values ------------------------------------------------------------------
def _edge_values(col, kind):
    """``[(flag, one-row Series)]`` of flagged values for a one-row column."""
    nothing = col.where(np.zeros(len(col), dtype=bool))
    if kind == "number":
        value = float(col.astype(np.float64).iloc[0])
        far = 1e3 * abs(value) + 1e6 if np.isfinite(value) else 1e6
        numbers = [("infinite", np.inf), ("infinite", -np.inf)]
        numbers += [("range", far), ("range", -far)]
        return [("missing", nothing)] + [
            (flag, pd.Series([v], index=col.index, dtype=np.float64))
            for flag, v in numbers
        ]
    if kind == "date":
        years = pd.Timedelta(days=365 * 40)
        return [("missing", nothing), ("range", col - years), ("range", col + years)]
    unseen = pd.Series([UNSEEN], index=col.index, dtype=object)
    return [("missing", nothing), ("unseen", unseen)]


def _array_edge_rows(rows):
    """``[(flag, column, one-row array)]`` for a model fitted on an array."""
    try:
        base = np.array(rows, dtype=np.float64)[:1]
    except (TypeError, ValueError):
        return []
    edges = []
    for j in range(base.shape[1] if base.ndim == 2 else 0):
        far = 1e3 * abs(base[0, j]) + 1e6 if np.isfinite(base[0, j]) else 1e6
        values = [("missing", np.nan), ("infinite", np.inf), ("infinite", -np.inf)]
        for flag, value in values + [("range", far), ("range", -far)]:
            row = base.copy()
            row[0, j] = value
            edges.append((flag, j, row))
    return edges


def edge_rows(clean, inputs):
    """``[(flag, column, one-row frame)]`` made from the first row of ``clean``."""
    if not is_pandas(clean):
        return _array_edge_rows(clean)
    base = clean.iloc[[0]]
    rows = []
    for _, column, kind, _ in inputs:
        if column not in base.columns:
            continue
        for flag, values in _edge_values(base[column], kind):
            rows.append((flag, column, base.assign(**{column: values})))
    return rows


# -- the comparison ------------------------------------------------------------------
def _difference(python, onnx):
    """Largest |difference| of two answers and whether their labels agree."""
    (labels, proba), (onnx_labels, onnx_proba) = python, onnx
    if proba is None and np.asarray(labels).dtype.kind not in "fc":  # classes
        return 0.0, np.array_equal(np.asarray(labels), np.asarray(onnx_labels))
    if proba is None:
        scale = max(1.0, float(np.nanmax(np.abs(labels), initial=0.0)))
        diff = np.abs(np.asarray(labels, np.float64) - onnx_labels) / scale
        same = np.array_equal(np.isnan(labels), np.isnan(onnx_labels))
        return float(np.nanmax(diff, initial=0.0)), same
    if proba.shape != onnx_proba.shape:
        return np.inf, False
    diff = float(np.max(np.abs(proba - onnx_proba), initial=0.0))
    if np.isnan(proba).any() or np.isnan(onnx_proba).any():
        diff = np.inf
    same = np.array_equal(np.asarray(labels), np.asarray(onnx_labels))
    return diff, same


def _answers(python_path, engine, rows):
    """Both engines' answers on cleaned ``rows``; the Python path's error, or
    None for the graph's when it hands the rows back."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = python_path(rows)
    except (ValueError, TypeError) as exc:
        return exc, None
    feeds = engine.feeds(rows)
    return expected, None if feeds is None else engine.predict_with_proba(feeds)


def check_engine(python_path, engine, clean):
    """Compare the graph with the Python path on ``clean`` and its flagged rows.

    Parameters
    ----------
    python_path : callable
        Cleaned rows -> (labels, probabilities or None), the Python path.
    engine : OnnxEngine
        Its ``refused`` set is filled with the flagged values the pipeline
        refuses.
    clean : DataFrame or ndarray
        Rows as the door leaves them.

    Returns
    -------
    ok : bool
    message : str
        What was compared and the largest difference, or what disagreed.
    """
    expected, answer = _answers(python_path, engine, clean)
    if isinstance(expected, Exception):
        return False, f"the pipeline fails on the check rows ({expected})"
    if answer is None:
        return False, "the check rows do not convert to the graph's inputs"
    worst, same = _difference(expected, answer)
    if not same or worst > MAX_DIFF:
        return False, _disagreement("the check rows", worst, same)
    n_rows = len(expected[0])
    for flag, column, rows in edge_rows(clean, engine.inputs):
        expected, answer = _answers(python_path, engine, rows)
        if isinstance(expected, Exception):
            if flag not in REFUSABLE:
                return False, (
                    f"the pipeline refuses a {flag} value in column {column!r} "
                    f"({expected}); the graph would answer it"
                )
            engine.refused.add(flag)
            continue
        if answer is None:
            continue
        diff, same = _difference(expected, answer)
        if not same or diff > MAX_DIFF:
            return False, _disagreement(
                f"a {flag} value in column {column!r}", diff, same
            )
        worst, n_rows = max(worst, diff), n_rows + 1
    return True, (
        f"the ONNX graph agrees with the pipeline on {n_rows:,} rows "
        f"(largest |difference| {worst:.3g})"
    )


def _disagreement(where, diff, same):
    labels = "labels differ" if not same else "labels agree"
    return (
        f"the ONNX graph disagrees with the pipeline on {where}: {labels}, "
        f"largest |difference| {diff:.3g} (at most {MAX_DIFF:g} allowed)"
    )
