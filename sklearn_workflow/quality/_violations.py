"""The checks run at transform: a batch against the contract learned at fit.

Every check takes the fitted column profiles (``contract_["columns"]`` of
:class:`~sklearn_workflow.quality.DataQualityChecker`) and the batch's columns,
and returns violation rows (plain dicts with the keys of ``VIOLATION_COLUMNS``):
the schema (missing, extra or reordered columns), then per column its kind, its
missing fraction, its range, its unseen categories and its drift (PSI).

Each rule compares the batch with what sampling alone gives, so that it holds
for a batch of any size, down to one row (``m`` values in the batch, ``n`` at
fit). Every column of every batch is a test: the chance thresholds are
``_ALPHA = 0.0001``.

- missing: ``P(K >= k) < 0.0001`` for the batch's ``k`` missing values of ``m``,
  with ``K ~ Binomial(m, p)`` and ``p = (n_missing + 1) / (n + 2)`` the fitted
  missing fraction smoothed by Laplace's rule of succession
  (:func:`missing_chance`): one missing value in one row is a violation only
  when the fitted rows make it that unlikely (a column without missing values
  in 10,000 rows or more);
- drift: only with ``drift_min_samples`` non-missing values or more; then
  ``PSI - (k - 1) (1 / m + 1 / n) > drift_threshold``, the second term being
  the PSI that noise alone produces with ``k`` bins, and a chi-square test of
  homogeneity of the binned counts with p-value below 0.0001 (a shift both
  large and real, see ``_drift``);
- out_of_range: under exchangeability each new value lies above the fitted max,
  or below the min, with probability at most ``1 / (n + 1)``; the ``s`` values
  outside the range widened by ``range_tolerance`` are a violation when
  ``P(S >= s) = q_s (1 + s n / (n + m - s)) < 0.0001``, with
  ``q_s = prod_{i<s} (m - i) / (n + m - i)`` (:func:`out_of_range_chance`), or
  when one value is more than three range widths beyond the widened range (in a
  column positive at fit, also one width beyond the log range);
- unseen_categories: the Good-Turing chance that a new row's category is unseen
  is ``n1 / n`` (``n1`` categories seen once at fit, ``n2`` twice); the ``u``
  unseen rows are a violation when ``u > e + 3 sd + 1``, ``e = m n1 / n``,
  ``sd**2 = e + m**2 (n1 (1 - n1 / n) + 2 n2) / n**2`` (batch noise plus the
  estimate's own error, Esty 1983); without ``n1`` any unseen category is.
"""

import math

import numpy as np
import pandas as pd
from scipy import special

from sklearn_workflow.quality._drift import (
    batch_bin_fractions,
    category_positions,
    drift_alarm,
    population_stability_index,
)
from sklearn_workflow.quality._profile import read_column
from sklearn_workflow.report import format_value
from sklearn_workflow.utils._dataframe import get_column

__all__ = [
    "VIOLATION_CHECKS",
    "VIOLATION_COLUMNS",
    "batch_drift",
    "batch_violations",
    "column_violations",
    "missing_chance",
    "out_of_range_chance",
    "pair_frame_columns",
    "schema_violations",
    "violations_message",
]

VIOLATION_COLUMNS = (
    "check",
    "column",
    "severity",
    "value",
    "observed",
    "expected",
    "message",
)
VIOLATION_CHECKS = (
    "missing_column",
    "extra_column",
    "column_order",
    "kind",
    "missing",
    "infinite",
    "out_of_range",
    "unseen_categories",
    "drift",
)
_MAX_LISTED = 5
# Chance of a false alarm (missing, out_of_range, drift) per column of a batch
# drawn like the training data.
_ALPHA = 1e-4
# Range widths beyond the tolerated range where a single value is a violation
# (one width is reached by sampling alone in lognormal columns).
_FAR = 3.0


def violation(check, column, severity, value, observed, expected, message):
    """One violation row; ``value`` None is stored as NaN."""
    value = float("nan") if value is None else float(value)
    return dict(
        zip(
            VIOLATION_COLUMNS,
            (check, column, severity, value, observed, expected, message),
        )
    )


def _listed(labels):
    return ", ".join(map(str, labels[:_MAX_LISTED]))


def schema_violations(profiles, labels):
    """Columns of a frame that are missing, extra, or in another order than at fit.

    Parameters
    ----------
    profiles : list of dict
        The fitted column profiles.
    labels : list
        The batch's column labels.

    Returns
    -------
    rows : list of dict
    """
    present = set(labels)
    fitted = [p["label"] for p in profiles]
    fitted_set = set(fitted)
    rows = [
        violation(
            "missing_column",
            p["name"],
            "error",
            None,
            "absent",
            "present",
            f"column {p['name']} seen at fit is missing",
        )
        for p in profiles
        if p["label"] not in present
    ]
    rows += [
        violation(
            "extra_column",
            str(label),
            "error",
            None,
            "present",
            "absent",
            f"column {label} was not seen at fit",
        )
        for label in labels
        if label not in fitted_set
    ]
    if not rows and labels != fitted:
        rows.append(
            violation(
                "column_order",
                None,
                "error",
                None,
                _listed(labels),
                _listed(fitted),
                "the columns are not in the order seen at fit",
            )
        )
    return rows


def pair_frame_columns(profiles, X):
    """Pair each fitted profile with the frame's column of the same label.

    Returns
    -------
    pairs : list of (dict, column)
        The fitted columns present in ``X``.
    schema_rows : list of dict
        :func:`schema_violations` of ``X``'s columns.
    """
    labels = list(X.columns)
    present = set(labels)
    pairs = [(p, get_column(X, p["label"])) for p in profiles if p["label"] in present]
    return pairs, schema_violations(profiles, labels)


def violations_message(violations):
    """The text of the warning or error that lists a batch's violations."""
    lines = [
        f"  {r.column}: {r.check} (observed {r.observed}, expected {r.expected})"
        for r in violations.itertuples(index=False)
    ]
    return (
        f"X violates the data contract learned at fit "
        f"({len(violations)} violation(s)):\n" + "\n".join(lines)
    )


def read_batch_column(profile, col):
    """The batch's column as ``ColumnData``, factorized only where a check needs it.

    An object column categorical at fit stays categorical, whatever the types
    of the batch's values: a few rows of a column that mixes numbers and
    strings may hold numbers only.
    """
    categorical = profile["kind"] == "categorical"
    encode = categorical and (
        not profile["high_cardinality"] or profile["n_drift_categories"] > 0
    )
    return read_column(
        profile["label"], profile["name"], col, encode=encode, categorical=categorical
    )


def batch_violations(pairs, schema_rows=(), **params):
    """Every violation of a batch, as a table.

    Parameters
    ----------
    pairs : list of (dict, column)
        Each fitted profile with the batch's column.
    schema_rows : list of dict, default=()
        The schema violations found while pairing the columns.
    **params : dict
        ``range_tolerance``, ``drift_threshold`` and ``drift_min_samples``, as
        :func:`column_violations` takes them.

    Returns
    -------
    violations : DataFrame
        One row per violation, columns ``VIOLATION_COLUMNS``.
    """
    rows = list(schema_rows)
    with np.errstate(all="ignore"):
        for profile, col in pairs:
            data = read_batch_column(profile, col)
            rows.extend(column_violations(profile, data, **params))
    frame = pd.DataFrame(
        {c: [r[c] for r in rows] for c in VIOLATION_COLUMNS},
        columns=list(VIOLATION_COLUMNS),
    )
    frame["value"] = frame["value"].astype(np.float64)
    return frame


def batch_drift(pairs, min_samples=1):
    """PSI of each paired column against its fitted bins (NaN where none).

    Parameters
    ----------
    pairs : list of (dict, column)
        Each fitted profile with the batch's column.
    min_samples : int, default=1
        Columns with fewer non-missing values in the batch get NaN: their PSI
        would be sampling noise.

    Returns
    -------
    psi : Series
        Indexed by column name.
    """
    values = {}
    with np.errstate(all="ignore"):
        for profile, col in pairs:
            data = read_batch_column(profile, col)
            fractions = None
            n_present = data.missing.size - int(data.missing.sum())
            if data.kind == profile["kind"] and n_present >= min_samples:
                fractions = batch_bin_fractions(profile, data)
            values[profile["name"]] = (
                np.nan if fractions is None else population_stability_index(*fractions)
            )
    return pd.Series(values, name="psi", dtype=np.float64)


def column_violations(
    profile, data, *, range_tolerance, drift_threshold, drift_min_samples
):
    """The violations of one column: kind, missing, range, categories, drift.

    Parameters
    ----------
    profile : dict
        The column's fitted profile.
    data : ColumnData
        The batch's column (:func:`read_batch_column`).
    range_tolerance, drift_threshold, drift_min_samples : float, float, int
        The checker's parameters of the same names.

    Returns
    -------
    rows : list of dict
    """
    m = data.missing.size
    n_missing = int(data.missing.sum())
    if n_missing < m and data.kind != profile["kind"]:
        return [_kind_violation(profile, data)]
    rows = _missing_violations(profile, n_missing, m)
    if n_missing == m:
        return rows
    kind = profile["kind"]
    if kind in ("numeric", "datetime") and data.values is not None:
        rows.extend(range_violations(profile, data, range_tolerance))
    if kind == "categorical" and not profile["high_cardinality"]:
        rows.extend(unseen_violations(profile, data))
    if m - n_missing >= drift_min_samples:
        rows.extend(_drift_violations(profile, data, drift_threshold))
    return rows


def _kind_violation(profile, data):
    name, kind = profile["name"], profile["kind"]
    return violation(
        "kind",
        name,
        "error",
        None,
        data.kind,
        kind,
        f"{name} is {data.kind} ({data.dtype}), it was {kind} at fit",
    )


def missing_chance(k, m, n_missing, n):
    """Chance of ``k`` or more missing values in ``m`` rows, given the fit's.

    ``P(K >= k)`` for ``K ~ Binomial(m, p)``, with ``p = (n_missing + 1) /
    (n + 2)`` (Laplace's rule of succession: the fitted fraction, never 0, so
    that a column without missing values in a few fitted rows still allows one).

    Examples
    --------
    >>> from sklearn_workflow.quality._violations import missing_chance
    >>> missing_chance(1, 1, 99, 1998)  # one row: the smoothed fitted rate
    0.05
    >>> missing_chance(1, 1, 0, 100_000) < 1e-4  # none in 100,000 rows
    True
    >>> missing_chance(0, 5, 0, 10)
    1.0
    """
    if k <= 0:
        return 1.0
    p = (n_missing + 1.0) / (n + 2.0)
    return float(special.bdtrc(k - 1, m, p))


def _missing_violations(profile, n_missing, m):
    """More missing values than a batch of ``m`` rows shows by chance."""
    if not n_missing:
        return []
    chance = missing_chance(n_missing, m, profile["n_missing"], profile["n"])
    if chance >= _ALPHA:
        return []
    p = profile["missing_fraction"]
    q = n_missing / m
    name = profile["name"]
    return [
        violation(
            "missing",
            name,
            "warning",
            q,
            f"{q:.2%}",
            f"{p:.2%} at fit",
            f"{name} has {n_missing:,} missing values in {m:,} rows ({q:.2%}), "
            f"{p:.2%} at fit (chance {chance:.1e})",
        )
    ]


def _drift_violations(profile, data, drift_threshold):
    """A shift both large and real: see :func:`~._drift.drift_alarm`."""
    alarm = drift_alarm(profile, data, drift_threshold, _ALPHA)
    if alarm is None or not alarm[2]:
        return []
    psi, noise, _ = alarm
    name = profile["name"]
    return [
        violation(
            "drift",
            name,
            "warning",
            psi,
            f"PSI {psi:.3f}",
            f"<= {drift_threshold} (+ noise {noise:.3f})",
            f"{name} has drifted from its fitted distribution (PSI {psi:.3f})",
        )
    ]


def _fmt(value, kind):
    """A range bound: a date for datetime columns (stored as microseconds)."""
    if kind == "datetime" and math.isfinite(value):
        return str(np.datetime64(int(round(value)), "us"))
    return format_value(value, digits=6)


def _infinite_violations(profile, n_inf):
    if not n_inf or profile.get("n_infinite"):
        return []
    name = profile["name"]
    return [
        violation(
            "infinite",
            name,
            "warning",
            n_inf,
            f"{n_inf:,} infinite",
            "none",
            f"{name} has {n_inf:,} infinite values, none at fit",
        )
    ]


def _far_values(profile, values, low, high):
    """Values beyond the tolerated range by more than ``_FAR`` range widths.

    In a column positive at fit (often skewed: amounts, incomes) a far value must
    also lie one log-range width beyond the log range.
    """
    width = profile["max"] - profile["min"]
    far = (values < low - _FAR * width) | (values > high + _FAR * width)
    if profile["kind"] == "numeric" and profile["min"] > 0:
        log_min, log_max = np.log(profile["min"]), np.log(profile["max"])
        log_width = log_max - log_min
        with np.errstate(divide="ignore", invalid="ignore"):
            log_values = np.log(np.where(values > 0, values, np.nan))
        # NaN (a value <= 0, never seen at fit) compares False: far.
        far &= ~(
            (log_values <= log_max + log_width) & (log_values >= log_min - log_width)
        )
    return int(np.count_nonzero(far))


def range_violations(profile, data, range_tolerance):
    """Infinite values new since fit, and values outside the fitted range.

    The values outside ``[min, max]`` widened by ``range_tolerance`` range widths
    are a violation when any is far out (:func:`_far_values`) or when so many
    are unlikely by chance (:func:`out_of_range_chance` below 0.0001).
    """
    values = data.values
    n_inf = int(np.count_nonzero(np.isinf(values)))
    rows = _infinite_violations(profile, n_inf)
    if n_inf:
        values = values[np.isfinite(values)]
    if profile["min"] is None or values.size == 0:
        return rows
    kind = profile["kind"]
    width = profile["max"] - profile["min"]
    low = profile["min"] - range_tolerance * width
    high = profile["max"] + range_tolerance * width
    # NaN compares False: missing values are never out of range.
    n_out = int(np.count_nonzero(values < low) + np.count_nonzero(values > high))
    if not n_out:
        return rows
    n_far = _far_values(profile, values, low, high)
    m = int(np.count_nonzero(~np.isnan(values)))
    n_fit = profile["n_finite"]
    if not n_far and out_of_range_chance(n_out, m, n_fit) >= _ALPHA:
        return rows
    chance = 2.0 * m / (n_fit + 1)
    v_min, v_max = float(np.nanmin(values)), float(np.nanmax(values))
    far = f", {n_far:,} of them far out" if n_far else ""
    rows.append(
        violation(
            "out_of_range",
            profile["name"],
            "warning",
            n_out,
            f"[{_fmt(v_min, kind)}, {_fmt(v_max, kind)}]",
            f"[{_fmt(low, kind)}, {_fmt(high, kind)}]",
            f"{profile['name']} has {n_out:,} values outside the fitted range "
            f"({chance:.1f} expected by chance{far})",
        )
    )
    return rows


def out_of_range_chance(s, m, n):
    """Chance that ``s`` or more of ``m`` new values fall outside ``n`` fitted ones.

    Under exchangeability (the batch and the fitted rows drawn alike, continuous
    values) the ``j`` most extreme of the ``n + m`` values all come from the batch
    with probability ``q_j = prod_{i<j} (m - i) / (n + m - i)``; counting the ways
    to split ``s`` between the two ends gives exactly
    ``P(S >= s) = (s + 1) q_s - s q_{s+1} = q_s (1 + s n / (n + m - s))``.
    Ties and a positive ``range_tolerance`` only make the count smaller, so this
    is an upper bound for discrete columns. Each new value is outside with
    probability ``2 / (n + 1)``, but the count is overdispersed (the fitted
    extremes are themselves random), hence the exact tail, not a Poisson one.

    Examples
    --------
    >>> from sklearn_workflow.quality._violations import out_of_range_chance
    >>> round(out_of_range_chance(1, 1, 9), 3)  # 2 / (n + 1)
    0.2
    >>> out_of_range_chance(3, 2, 100)  # more outside than new values
    0.0
    """
    if s > m:
        return 0.0
    log_q = (
        math.lgamma(m + 1)
        - math.lgamma(m - s + 1)
        - math.lgamma(n + m + 1)
        + math.lgamma(n + m - s + 1)
    )
    return math.exp(log_q) * (1.0 + s * n / (n + m - s))


def unseen_violations(profile, data):
    """Rows whose category was not seen at fit, beyond the Good-Turing estimate."""
    categories = profile["categories"]
    k = len(categories)
    positions = category_positions(categories, data, k)
    unseen = positions == k
    if not unseen.any():
        return []
    present = data.codes[data.codes >= 0]
    n_rows = int(np.count_nonzero(unseen[present]))
    # Good-Turing: the share of fitted rows whose category was seen once
    # estimates the chance that a new row's category is unseen. Without
    # singletons (older contracts store none) every unseen category counts.
    n_fit = max(profile["n"] - profile["n_missing"], 1)
    n1 = profile.get("n_singletons", 0)
    n2 = profile.get("n_doubletons", 0)
    m = present.size
    expected = m * n1 / n_fit
    # Poisson noise of the batch plus the error of the estimate itself, whose
    # variance is about (n1 (1 - n1 / n) + 2 n2) / n**2 (Esty, 1983).
    variance = expected + m**2 * (n1 * (1.0 - n1 / n_fit) + 2.0 * n2) / n_fit**2
    if n1 and n_rows <= expected + 3.0 * np.sqrt(variance) + 1.0:
        return []
    values = [repr(v) for v in data.uniques[unseen][:_MAX_LISTED]]
    more = ", ..." if unseen.sum() > _MAX_LISTED else ""
    by_chance = f" ({expected:.1f} rows expected by chance)" if n1 else ""
    return [
        violation(
            "unseen_categories",
            profile["name"],
            "warning",
            n_rows,
            f"{n_rows:,} row{'s' if n_rows > 1 else ''}: {', '.join(values)}{more}",
            f"one of {k:,} categories",
            f"{profile['name']} has {int(unseen.sum()):,} categories not seen at "
            f"fit{by_chance}",
        )
    ]
