"""The target at fit: its task, its summary in the contract, its checks.

The task comes from :func:`sklearn_workflow.problem._task.normalize_task` (given,
or read by ``infer_task``, the package's one rule); the leakage and missingness
scores only need to know whether it is a classification.

The order of the rows is checked with a runs test (:func:`target_order`): a
table sorted by the target has its values in a few long runs.
"""

import math

import numpy as np
from scipy import special

from sklearn_workflow.problem._task import is_classification, normalize_task
from sklearn_workflow.quality._findings import target_findings
from sklearn_workflow.quality._leakage import split_halves
from sklearn_workflow.quality._profile import read_column
from sklearn_workflow.utils._dataframe import get_column

__all__ = ["prepare_target", "runs_test", "target_order"]

# The rows are "ordered by the target" when the target changes value along them
# at most ORDER_SHARE times as often as in a random order and a runs test gives
# a p-value below ORDER_ALPHA; on ORDER_MIN_ROWS rows at least.
ORDER_SHARE = 0.5
ORDER_ALPHA = 1e-4
ORDER_MIN_ROWS = 20


def _read_target(y, n_rows):
    """The target's name, ``ColumnData`` and 1-D form, or None if not checkable.

    A one-column pandas or polars frame is read as its column, so that it gets
    the findings of the same Series.
    """
    name = getattr(y, "name", None)
    columns = getattr(y, "columns", None)
    if name is None and columns is not None and len(columns) == 1:
        name = columns[0]  # a one-column frame
        y = get_column(y, name)
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
    return name, ydata, y


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


def runs_test(codes):
    """Changes of value along ``codes`` against a random order of the same values.

    The number of runs ``R`` (changes + 1) of a random permutation of ``N``
    values with ``n_i`` of category ``i`` has mean ``(N (N + 1) - S2) / N`` and
    variance ``(S2 (S2 + N (N + 1)) - 2 N S3 - N**3) / (N**2 (N - 1))``, with
    ``S2 = sum n_i**2`` and ``S3 = sum n_i**3`` (the runs test of Wald and
    Wolfowitz for two categories, Barton and David's for more); ``z`` is
    normal for large ``N``.

    Parameters
    ----------
    codes : ndarray of int, shape (n,)
        The category of each row, in row order.

    Returns
    -------
    test : dict or None
        ``changes``, ``expected`` (changes in a random order), ``z`` and ``p``
        (one-sided: fewer changes than a random order gives); None when there
        are fewer than two rows or one category.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.quality._target import runs_test
    >>> sorted_codes = np.repeat([0, 1], 50)  # sorted: a single change
    >>> test = runs_test(sorted_codes)
    >>> test["changes"], round(test["expected"], 1), round(test["z"], 1)
    (1, 50.0, -9.8)
    >>> runs_test(np.zeros(10, dtype=int)) is None  # one class: no order to see
    True
    """
    n = codes.size
    counts = np.bincount(codes).astype(np.float64)
    s2, s3 = float(np.sum(counts**2)), float(np.sum(counts**3))
    if n < 2 or s2 == n * n:
        return None
    variance = (s2 * (s2 + n * (n + 1.0)) - 2.0 * n * s3 - float(n) ** 3) / (
        n * n * (n - 1.0)
    )
    changes = int(np.count_nonzero(codes[1:] != codes[:-1]))
    expected = (n * (n + 1.0) - s2) / n - 1.0
    z = (changes - expected) / math.sqrt(variance) if variance > 0 else 0.0
    return {
        "changes": changes,
        "expected": expected,
        "z": z,
        "p": float(special.ndtr(z)),
    }


def target_order(y_target, task):
    """Whether the rows are ordered by the target: the runs test of its values.

    Class targets are tested on their labels, continuous ones on the side of
    the median each value lies (values equal to it left out).

    Returns
    -------
    order : dict or None
        :func:`runs_test`'s result plus ``ordered``: at most ``ORDER_SHARE`` of
        the changes a random order gives and ``p < ORDER_ALPHA``; None below
        ``ORDER_MIN_ROWS`` rows or without two categories.
    """
    if task == "regression":
        median = np.median(y_target) if y_target.size else 0.0
        codes = (y_target[y_target != median] > median).astype(np.int64)
    else:
        codes = np.asarray(y_target, dtype=np.int64)
    if codes.size < ORDER_MIN_ROWS:
        return None
    test = runs_test(codes)
    if test is None:
        return None
    test["ordered"] = bool(
        test["changes"] <= ORDER_SHARE * test["expected"] and test["p"] < ORDER_ALPHA
    )
    return test


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
        ``n_labels`` (for conflicting labels), ``order`` (:func:`target_order`
        of the rows with a target) and what the leakage screen needs.
    """
    read = _read_target(y, n_rows)
    if read is None:
        return None
    name, ydata, y = read
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
        "order": target_order(y_target, coarse),
        "codes": ydata.codes,
        "n_labels": max(ydata.n_unique, 1),
    }
