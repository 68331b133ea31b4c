"""The leakage screen: does one column alone, or its missingness, predict y?

Each column is coded (numeric and datetime columns cut at up to ``N_LEAK_BINS``
quantiles, categories kept, missing a code of its own); the target rate (or mean)
per code is learned on one half of the rows and scores the other half
(:func:`crossfit_table`), so an identifier cannot look predictive by memorising
each row. Classification is scored by ROC-AUC, regression by the absolute
correlation.

On rows ordered by the target, a column that follows the row order (a row
number, :func:`follows_row_order`) predicts the target through the order alone:
it is not screened then (the ``target_ordered`` finding names it instead).
"""

import numpy as np

from sklearn_workflow.quality._findings import finding
from sklearn_workflow.quality._profile import N_LEAK_BINS, quantiles_from_sorted

__all__ = [
    "column_leakage",
    "crossfit_table",
    "follows_row_order",
    "leak_codes",
    "leakage_findings",
    "leakage_score",
    "missingness_score",
    "split_halves",
]

MAX_LEAK_CLASSES = 10


def leak_codes(data, profile, sorted_values):
    """Integer codes of a column for the leakage screen; missing is its own code.

    Numeric and datetime columns are cut at up to ``N_LEAK_BINS`` quantiles.
    Returns ``(codes, n_codes)`` or None for columns that cannot be coded.
    """
    if data.kind in ("numeric", "datetime") and sorted_values is not None:
        if sorted_values.size == 0:
            codes = np.zeros(data.missing.size, dtype=np.int64)
            return codes, 1
        edges = np.unique(
            quantiles_from_sorted(sorted_values, np.linspace(0, 1, N_LEAK_BINS + 1))
        )[1:]
        # One comparison per edge (faster than a binary search per value, same
        # result as searchsorted(edges, values, side="right")).
        codes = np.zeros(data.values.size, dtype=np.int8)  # N_LEAK_BINS + 2 < 128
        for edge in edges:
            codes += data.values >= edge
        n_codes = edges.size + 2
        codes[np.isnan(data.values)] = n_codes - 1
        return codes, n_codes
    if data.codes is not None:
        codes = data.codes.copy()
        codes[codes < 0] = data.n_unique
        return codes, data.n_unique + 1
    return None


def _auc_from_tables(table_values, table_index, positive):
    """ROC-AUC of scores that take values from a small table (ties averaged)."""
    n_pos = positive.sum()
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return 0.5
    size = table_values.size
    pos = np.bincount(table_index, weights=positive, minlength=size)
    tot = np.bincount(table_index, minlength=size)
    order_values, group = np.unique(table_values, return_inverse=True)
    pos_g = np.bincount(group, weights=pos, minlength=order_values.size)
    neg_g = np.bincount(group, weights=tot - pos, minlength=order_values.size)
    neg_below = np.cumsum(neg_g) - neg_g
    return float(np.sum(pos_g * (neg_below + 0.5 * neg_g)) / (n_pos * n_neg))


def split_halves(n):
    """Deterministic, well-mixed split of ``range(n)`` into two halves.

    Fibonacci hashing of the row position (no random state, so the screen is
    reproducible; unlike even/odd positions, it does not line up with periodic
    data).

    Returns
    -------
    second : ndarray of bool, shape (n,)
        True for the rows of the second half.
    """
    position = np.arange(n, dtype=np.uint64)
    return ((position * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)) & np.uint64(
        1
    ) == 1


def crossfit_table(codes, n_codes, target, prior, second):
    """Smoothed mean of ``target`` per code, learned on one half, applied to other.

    Returns the table of values (``2 * n_codes``: the rates learned on the first
    half, then on the second) and each row's index in it (rows of the first half
    use the second half's rates and vice versa), so that a row never scores with
    its own target.
    """
    # One pass: code c of the first half is cell c, of the second n_codes + c.
    cell = codes + n_codes * second
    count = np.bincount(cell, minlength=2 * n_codes)
    total = np.bincount(cell, weights=target, minlength=2 * n_codes)
    table = (total + prior) / (count + 1.0)
    # A row of the first half reads the second half's cell, and vice versa.
    index = codes + n_codes * (~second)
    return table, index


def _class_score(codes, n_codes, positive, second):
    prior = positive.mean()
    table, index = crossfit_table(codes, n_codes, positive, prior, second)
    return _auc_from_tables(table, index, positive)


def leakage_score(codes, n_codes, target, task, second):
    """How well one column alone predicts the target, out of sample.

    Classification: cross-fitted ROC-AUC of the per-code positive rate (macro
    one-vs-rest over the ``MAX_LEAK_CLASSES`` most frequent classes).
    Regression: absolute correlation of the cross-fitted per-code mean with y.
    """
    if task == "regression":
        table, index = crossfit_table(codes, n_codes, target, target.mean(), second)
        score = table[index]
        if score.std() == 0 or target.std() == 0:
            return 0.0
        return float(abs(np.corrcoef(score, target)[0, 1]))
    classes = np.bincount(target)
    order = np.argsort(-classes, kind="stable")
    if classes.size == 2:
        return _class_score(codes, n_codes, (target == 1).astype(np.float64), second)
    aucs = [
        _class_score(codes, n_codes, (target == c).astype(np.float64), second)
        for c in order[:MAX_LEAK_CLASSES]
        if classes[c] > 0
    ]
    return float(np.mean(aucs)) if aucs else 0.5


def missingness_score(missing, target, task):
    """How well the missing indicator alone predicts the target (in sample)."""
    if not missing.any() or missing.all():
        return 0.0
    codes = missing.astype(np.int64)
    if task == "regression":
        if target.std() == 0:
            return 0.0
        return float(abs(np.corrcoef(codes, target)[0, 1]))
    classes = np.bincount(target)
    aucs = []
    for c in np.argsort(-classes, kind="stable")[:MAX_LEAK_CLASSES]:
        if classes[c] == 0 or (classes.size == 2 and c == 0):
            continue
        positive = (target == c).astype(np.float64)
        auc = _auc_from_tables(np.array([0.0, 1.0]), codes, positive)
        aucs.append(max(auc, 1.0 - auc))
    return float(np.mean(aucs)) if aucs else 0.0


def leakage_findings(name, score, missing_score, task, threshold):
    metric = "ROC-AUC" if task == "classification" else "|correlation|"
    rows = []
    if score > threshold:
        rows.append(
            finding(
                "leakage",
                name,
                "error",
                score,
                f"{name} alone predicts the target almost perfectly "
                f"(out-of-sample {metric} {score:.3f}): a leakage suspect.",
                "Check that it is known at prediction time; if it is recorded "
                "after the outcome, drop it.",
            )
        )
    elif missing_score > threshold:
        rows.append(
            finding(
                "leakage",
                name,
                "error",
                missing_score,
                f"Whether {name} is missing predicts the target almost perfectly "
                f"({metric} {missing_score:.3f}): a leakage suspect.",
                "Find out why it is missing; if the gap is filled only after the "
                "outcome, drop the column.",
            )
        )
    return rows


def follows_row_order(data):
    """Whether a column looks like a row number: integers, strictly monotone.

    Its non-missing values are whole numbers that increase (or decrease) from
    each row to the next.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_workflow.quality._leakage import follows_row_order
    >>> from sklearn_workflow.quality._profile import read_column
    >>> def check(values):
    ...     return follows_row_order(read_column("c", "c", pd.Series(values)))
    >>> check([3, 4, None, 9, 12]), check([5.0, 3.0, 1.0]), check([1, 3, 2])
    (True, True, False)
    >>> check([0.5, 1.5, 2.5])  # not integers: a measurement, not a row number
    False
    """
    if data.kind != "numeric" or data.values is None:
        return False
    present = data.values[~data.missing]
    if present.size < 2 or not np.all(present == np.floor(present)):
        return False
    steps = np.diff(present)
    return bool(np.all(steps > 0) or np.all(steps < 0))


def column_leakage(
    data, profile, sorted_values, target, *, id_like, threshold, row_number=False
):
    """Leakage findings of one column: it, or whether it is missing, predicts y.

    An identifier is unique per row: out of sample, it scores every row with the
    prior, so its screen is skipped (its missingness is not); so is a row
    number (``row_number=True``) on rows ordered by the target.
    """
    task, keep, y_target = target["coarse_task"], target["keep"], target["y"]
    missing = data.missing if target["all_kept"] else data.missing[keep]
    score = 0.0
    if not (id_like and profile["kind"] == "categorical") and not row_number:
        coded = leak_codes(data, profile, sorted_values)
        if coded is not None:
            codes, n_codes = coded
            if not target["all_kept"]:
                codes = codes[keep]
            score = leakage_score(codes, n_codes, y_target, task, target["half"])
    miss = missingness_score(missing, y_target, task)
    return leakage_findings(profile["name"], score, miss, task, threshold)
