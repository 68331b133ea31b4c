"""The target at fit: its task, its summary in the contract, its checks.

The task comes from :func:`sklearn_workflow.problem._task.normalize_task` (given,
or read by ``infer_task``, the package's one rule); the leakage and missingness
scores only need to know whether it is a classification.
"""

import numpy as np

from sklearn_workflow.problem._task import is_classification, normalize_task
from sklearn_workflow.quality._findings import target_findings
from sklearn_workflow.quality._leakage import split_halves
from sklearn_workflow.quality._profile import read_column

__all__ = ["prepare_target"]


def _read_target(y, n_rows):
    """The target's name and ``ColumnData``, or None when it cannot be checked."""
    name = getattr(y, "name", None)
    columns = getattr(y, "columns", None)
    if name is None and columns is not None and len(columns) == 1:
        name = columns[0]  # a one-column frame
    name = "target" if name is None else str(name)
    y_values = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if y_values.ndim == 2 and y_values.shape[1] == 1:
        y_values = y_values.ravel()
    if y_values.ndim != 1:
        return None
    if y_values.shape[0] != n_rows:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: X has {n_rows} "
            f"rows, y has {y_values.shape[0]}."
        )
    ydata = read_column(name, name, y_values, encode_numbers=True)
    if ydata.codes is None:
        return None
    return name, ydata


def _resolve_task(task, y, ydata):
    """The task given, or read from ``y`` by the package's rule."""
    task = normalize_task(task, y)
    if task == "regression" and ydata.kind not in ("numeric", "boolean"):
        raise ValueError(
            f"task='regression' needs a numeric target; got the {ydata.kind} "
            f"target {ydata.name!r} (dtype {ydata.dtype})."
        )
    return task


def _sorted_labels(ydata, keep):
    """Class labels sorted (when comparable) and each kept row's class index."""
    uniques = ydata.uniques
    codes = ydata.codes[keep]
    try:
        order = np.argsort(uniques, kind="stable")
    except TypeError:
        order = np.arange(len(uniques))
    remap = np.empty(len(uniques), dtype=np.int64)
    remap[order] = np.arange(len(uniques))
    labels = [v.item() if isinstance(v, np.generic) else v for v in uniques[order]]
    if ydata.kind in ("numeric", "boolean"):
        labels = [int(v) if float(v).is_integer() else v for v in labels]
    return labels, remap[codes]


def _continuous_summary(ydata, keep, summary):
    """Mean, std and range of a regression target; the rows and values kept."""
    keep = keep & np.isfinite(ydata.values)
    values = ydata.values[keep]
    empty = values.size == 0
    for key, statistic in (
        ("mean", np.mean),
        ("std", np.std),
        ("min", np.min),
        ("max", np.max),
    ):
        summary[key] = float("nan") if empty else float(statistic(values))
    return keep, values


def _class_summary(ydata, keep, summary):
    """Labels, counts and smallest-to-largest ratio of a class target."""
    labels, y_target = _sorted_labels(ydata, keep)
    counts = np.bincount(y_target, minlength=len(labels))
    summary["labels"] = labels
    summary["counts"] = counts.tolist()
    summary["ratio"] = float(counts.min() / counts.max()) if len(labels) >= 2 else None
    return labels, y_target


def prepare_target(y, n_rows, *, task, imbalance_ratio):
    """Resolve the task, summarise the target and run the target-only checks.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    n_rows : int
        Rows of ``X``.
    task : str
        The checker's ``task`` parameter.
    imbalance_ratio : float
        The checker's parameter of the same name.

    Returns
    -------
    target : dict or None
        None for a target that cannot be checked (2-D, or values that cannot be
        compared), else ``task`` (full vocabulary), ``summary`` (kept in the
        contract, with the coarse task "classification" or "regression"),
        ``rows`` (findings), ``keep`` (rows with a target), ``y`` (class index or
        float target on those rows, None when fewer than 2), ``codes`` and
        ``n_labels`` (for conflicting labels) and what the leakage screen needs.
    """
    read = _read_target(y, n_rows)
    if read is None:
        return None
    name, ydata = read
    full_task = _resolve_task(task, y, ydata)
    coarse = "classification" if is_classification(full_task) else "regression"
    keep = ~ydata.missing
    n_missing = int(ydata.missing.sum())
    summary = {"name": name, "task": coarse, "n_missing": n_missing}
    if coarse == "regression":
        keep, y_target = _continuous_summary(ydata, keep, summary)
        labels = []
    else:
        labels, y_target = _class_summary(ydata, keep, summary)
    rows = target_findings(
        y_target,
        name=name,
        task=coarse,
        labels=labels,
        imbalance_ratio=imbalance_ratio,
        n_missing=n_missing,
    )
    return {
        "task": full_task,
        "coarse_task": coarse,
        "summary": summary,
        "rows": rows,
        "keep": keep,
        "all_kept": bool(keep.all()),
        "y": y_target if y_target.size >= 2 else None,
        "half": split_halves(y_target.size),
        "codes": ydata.codes,
        "n_labels": max(ydata.n_unique, 1),
    }
