"""The quality checks run at fit: one function per family, each vectorised.

Every check returns finding rows (plain dicts with the keys of ``FINDING_COLUMNS``).
Column checks read the column's profile (and its factorized distinct values);
dataset checks combine the columns' integer codes (duplicates, conflicting labels),
their standardised values (correlations) or the target (distribution, imbalance,
leakage).
"""

import numpy as np
import pandas as pd

from sklearn_workflow.quality._profile import (
    N_LEAK_BINS,
    NULL_LIKE,
    quantiles_from_sorted,
    type_families,
)

__all__ = [
    "CHECKS",
    "FINDING_COLUMNS",
    "SEVERITIES",
    "column_findings",
    "correlation_findings",
    "RowKey",
    "finding",
    "leakage_findings",
    "target_findings",
]

FINDING_COLUMNS = ("check", "column", "severity", "value", "message", "suggestion")
SEVERITIES = ("error", "warning", "info")
# Every check name the checker can report at fit, in report order.
CHECKS = (
    "few_rows",
    "unsupported_values",
    "missing",
    "duplicates",
    "constant",
    "quasi_constant",
    "id_like",
    "high_cardinality",
    "mixed_types",
    "null_like",
    "category_variants",
    "infinite",
    "skewness",
    "outliers",
    "correlation",
    "target_missing",
    "target_distribution",
    "imbalance",
    "leakage",
    "conflicting_labels",
)
# Rules of the column checks, documented in DataQualityChecker's Notes.
FEW_ROWS = 10
QUASI_CONSTANT_SHARE = 0.99
ID_LIKE_UNIQUE_SHARE = 0.99
ID_LIKE_MIN_ROWS = 10
SKEWNESS_LIMIT = 1.0
OUTLIER_SHARE = 0.01
MAX_LEAK_CLASSES = 10
_CORRELATION_CHUNK = 65536
try:
    import pyarrow  # noqa: F401

    _STRING_DTYPE = "string[pyarrow]"
except ImportError:  # pragma: no cover
    _STRING_DTYPE = "string[python]"


def finding(check, column, severity, value, message, suggestion):
    """One finding row."""
    return {
        "check": check,
        "column": column,
        "severity": severity,
        "value": float(value) if value is not None else float("nan"),
        "message": message,
        "suggestion": suggestion,
    }


def _pct(fraction):
    return f"{100 * fraction:.2f}%"


def _integral(sorted_values):
    return bool(sorted_values.size) and bool(
        np.all(sorted_values == np.floor(sorted_values))
    )


def column_findings(data, profile, sorted_values, params):
    """Findings of one column: missing, constant, ID-like, cardinality, types...

    Parameters
    ----------
    data : ColumnData
    profile : dict
        From :func:`~sklearn_workflow.quality._profile.profile_column`.
    sorted_values : ndarray or None
        The column's finite values, sorted (numeric and datetime columns).
    params : dict
        ``missing_threshold``, ``cardinality_threshold``, ``max_categories``.
    """
    name = profile["name"]
    kind = profile["kind"]
    n = profile["n"]
    n_present = n - profile["n_missing"]
    n_unique = profile["n_unique"]
    rows = []

    if profile["n_unsupported"]:
        types = ", ".join(
            f"{t}: {c}" for t, c in (profile["type_counts"] or {}).items()
        )
        rows.append(
            finding(
                "unsupported_values",
                name,
                "error",
                profile["n_unsupported"],
                f"{name} holds {profile['n_unsupported']:,} values that are not "
                f"scalars (types: {types or profile['dtype']}); they cannot be "
                "compared, counted or encoded.",
                "Flatten them into scalar columns (one column per key or item) "
                "or drop the column.",
            )
        )

    fraction = profile["missing_fraction"]
    if profile["n_missing"] and fraction > params["missing_threshold"]:
        if fraction == 1.0:
            rows.append(
                finding(
                    "missing",
                    name,
                    "error",
                    fraction,
                    f"{name} is entirely missing ({n:,} of {n:,} rows).",
                    "Drop the column: it carries no information.",
                )
            )
        else:
            rows.append(
                finding(
                    "missing",
                    name,
                    "warning",
                    fraction,
                    f"{name}: {profile['n_missing']:,} missing values "
                    f"({_pct(fraction)}).",
                    "Impute (SimpleImputer; add_indicator=True keeps the "
                    "missingness as a feature) or use a model that handles NaN.",
                )
            )

    if kind == "other" or n_present == 0:
        return rows

    if n_unique == 1:
        rows.append(
            finding(
                "constant",
                name,
                "warning",
                1,
                f"{name} has a single value on every non-missing row.",
                "Drop the column: a constant carries no signal.",
            )
        )
    elif (profile["top_fraction"] or 0.0) >= QUASI_CONSTANT_SHARE:
        rows.append(
            finding(
                "quasi_constant",
                name,
                "info",
                profile["top_fraction"],
                f"{name}: one value covers {_pct(profile['top_fraction'])} of the "
                "non-missing rows.",
                "Check that the rare values matter; otherwise drop the column "
                "(VarianceThreshold).",
            )
        )

    id_like = False
    if (
        n_present >= ID_LIKE_MIN_ROWS
        and n_unique >= ID_LIKE_UNIQUE_SHARE * n_present
        and (kind == "categorical" or (kind == "numeric" and _integral(sorted_values)))
    ):
        id_like = True
        rows.append(
            finding(
                "id_like",
                name,
                "warning",
                n_unique / n_present,
                f"{name} looks like an identifier: {n_unique:,} distinct values "
                f"in {n_present:,} non-missing rows.",
                "Drop it from the features (keep it as an index or a group key "
                "for GroupKFold): an identifier does not generalise.",
            )
        )

    if (
        kind == "categorical"
        and not id_like
        and n_unique > params["cardinality_threshold"]
    ):
        beyond = n_unique > params["max_categories"]
        rows.append(
            finding(
                "high_cardinality",
                name,
                "warning",
                n_unique,
                f"{name} has {n_unique:,} categories"
                + (
                    f" (more than max_categories={params['max_categories']}: only "
                    "the most frequent are kept, unseen categories are not checked)"
                    if beyond
                    else ""
                )
                + ".",
                "Target-encode it (TargetEncoder) or group rare levels; one-hot "
                f"encoding would add {n_unique:,} columns.",
            )
        )

    type_counts = profile["type_counts"]
    if type_counts and len(type_families(type_counts)) > 1:
        types = ", ".join(f"{t}: {c:,}" for t, c in type_counts.items())
        rows.append(
            finding(
                "mixed_types",
                name,
                "warning",
                len(type_counts),
                f"{name} mixes Python types ({types}).",
                "Cast the column to one type when loading (e.g. numbers stored "
                "as text: pd.to_numeric(errors='coerce')).",
            )
        )

    if kind == "categorical" and data.uniques is not None and n_unique:
        rows.extend(_string_findings(data, name, variants=not id_like))

    if kind == "numeric":
        rows.extend(_numeric_findings(profile, sorted_values, name))
    return rows


def _string_findings(data, name, variants=True):
    """Null-like strings and categories equal up to case or white space.

    ``variants=False`` skips the second check (for identifiers, whose values are
    not categories).

    Works on the column's distinct values only, with vectorised string kernels
    (Arrow's when pyarrow is installed).
    """
    rows = []
    uniques = data.uniques
    if data.type_counts is None:
        is_str = np.ones(len(uniques), dtype=bool)
    else:
        is_str = np.frompyfunc(lambda v: isinstance(v, str), 1, 1)(uniques).astype(bool)
    if not is_str.any():
        return rows
    strings = pd.Series(uniques[is_str], dtype=_STRING_DTYPE)
    normalised = strings.str.strip().str.lower()
    null_like = normalised.isin(list(NULL_LIKE)).to_numpy(dtype=bool)
    if null_like.any():
        counts = np.bincount(data.codes[data.codes >= 0], minlength=len(uniques))
        positions = np.flatnonzero(is_str)[null_like]
        n_rows = int(counts[positions].sum())
        tokens = ", ".join(repr(v) for v in strings[null_like].tolist()[:10])
        rows.append(
            finding(
                "null_like",
                name,
                "warning",
                n_rows,
                f"{name}: {n_rows:,} values are strings that mean 'missing' "
                f"({tokens}).",
                "Read them as missing (pd.read_csv(na_values=...) or "
                "replace(..., np.nan)) before imputing.",
            )
        )
    if not variants:
        return rows
    keep = ~null_like
    codes, _ = pd.factorize(normalised[keep])
    n_forms = np.bincount(codes) if codes.size else np.zeros(0, dtype=np.int64)
    groups = np.flatnonzero(n_forms > 1)
    if groups.size:
        originals = strings[keep].to_numpy(dtype=object)
        examples = []
        for g in groups[:5]:
            forms = originals[codes == g][:4]
            examples.append(" / ".join(repr(v) for v in forms))
        rows.append(
            finding(
                "category_variants",
                name,
                "warning",
                groups.size,
                f"{name}: {groups.size:,} categories are written in several ways "
                f"that differ only by case or surrounding white space "
                f"({'; '.join(examples)}).",
                "Normalise the strings (str.strip().str.lower()) before encoding.",
            )
        )
    return rows


def _numeric_findings(profile, sorted_values, name):
    rows = []
    if profile.get("n_infinite"):
        rows.append(
            finding(
                "infinite",
                name,
                "warning",
                profile["n_infinite"],
                f"{name} has {profile['n_infinite']:,} infinite values.",
                "Replace them by NaN (and impute) or clip them; most models "
                "reject infinities.",
            )
        )
    if profile["n_unique"] <= 2 or sorted_values is None or sorted_values.size < 3:
        return rows
    skew = profile["skewness"]
    if skew is not None and abs(skew) > SKEWNESS_LIMIT:
        positive = profile["min"] >= 0
        rows.append(
            finding(
                "skewness",
                name,
                "info",
                skew,
                f"{name} is {'right' if skew > 0 else 'left'}-skewed "
                f"(skewness {skew:.2f}).",
                "Log-transform it (log1p; LogTransformer)."
                if positive and skew > 0
                else "Use a power transform (PowerTransformer, Yeo-Johnson).",
            )
        )
    share = profile["n_outliers"] / sorted_values.size
    if share > OUTLIER_SHARE:
        rows.append(
            finding(
                "outliers",
                name,
                "info",
                share,
                f"{name}: {profile['n_outliers']:,} values ({_pct(share)}) lie "
                "beyond 1.5 IQR from the quartiles.",
                "Check them; clip (winsorise), transform, or use a robust model "
                "or scaler (RobustScaler).",
            )
        )
    return rows


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def _mix(z):
    """splitmix64's finaliser, in place on a uint64 array (a bijection)."""
    z ^= z >> np.uint64(30)
    z *= _MIX_1
    z ^= z >> np.uint64(27)
    z *= _MIX_2
    z ^= z >> np.uint64(31)


class RowKey:
    """A 64-bit hash of every row, built one column at a time.

    Each column contributes integer codes (categorical columns) or the bits of
    its float values (numeric and datetime columns, with -0.0 as 0.0 and every
    NaN alike), through ``key = mix(key * golden + value)``, where ``mix`` is
    splitmix64's bijective finaliser. Equal rows always get equal keys; rows that
    differ in one column never collide, and rows that differ in several collide
    with probability about 2**-64 per pair.
    """

    def __init__(self, n_rows):
        self.key = np.zeros(n_rows, dtype=np.uint64)

    def _combine(self, bits):
        self.key *= _GOLDEN
        self.key += bits
        _mix(self.key)

    def add(self, codes):
        """Fold in a column of integer codes (-1 for missing)."""
        self._combine(codes.astype(np.uint64))

    def add_floats(self, values):
        """Fold in a float column (NaN for missing)."""
        canonical = values + 0.0  # -0.0 becomes 0.0
        canonical[np.isnan(canonical)] = np.nan
        self._combine(canonical.view(np.uint64))

    def groups(self):
        """``(groups, n_groups)``: a group id per row, equal rows sharing one."""
        key, uniques = pd.factorize(self.key)
        return key.astype(np.int64, copy=False), len(uniques)


def duplicate_findings(n_duplicates, n_rows):
    if not n_duplicates:
        return []
    return [
        finding(
            "duplicates",
            None,
            "warning",
            n_duplicates,
            f"{n_duplicates:,} duplicate rows ({_pct(n_duplicates / n_rows)}).",
            "Drop them (drop_duplicates) before splitting, or copies of a row "
            "land in both train and test.",
        )
    ]


def correlation_matrix(arrays):
    """Pearson correlation of float columns, missing values left out.

    Each column is centred on its own mean and scaled; missing and infinite values
    contribute zero, and each pair is normalised by the sums of squares over the
    rows where both are present (exact Pearson when nothing is missing).
    Computed in chunks of rows (two matrix products per chunk).

    Parameters
    ----------
    arrays : list of ndarray of float64, each of shape (n_rows,)

    Returns
    -------
    corr : ndarray of shape (len(arrays), len(arrays))
    """
    k = len(arrays)
    if k < 2:
        return np.eye(k)
    n = arrays[0].size
    means = np.empty(k)
    scales = np.empty(k)
    for j, values in enumerate(arrays):
        v = values[np.isfinite(values)]
        means[j] = v.mean() if v.size else 0.0
        scales[j] = (v.std() if v.size else 0.0) or 1.0
    cross = np.zeros((k, k))
    masked_sq = np.zeros((k, k))
    for start in range(0, n, _CORRELATION_CHUNK):
        stop = min(start + _CORRELATION_CHUNK, n)
        block = np.empty((stop - start, k))
        for j, values in enumerate(arrays):
            block[:, j] = (values[start:stop] - means[j]) / scales[j]
        present = np.isfinite(block)
        block[~present] = 0.0
        cross += block.T @ block
        masked_sq += (block * block).T @ present.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cross / np.sqrt(masked_sq * masked_sq.T)
    np.fill_diagonal(corr, 1.0)
    return np.clip(np.nan_to_num(corr), -1.0, 1.0)


def correlation_findings(names, corr, threshold):
    rows = []
    upper = np.triu(np.abs(corr) > threshold, k=1)
    for i, j in zip(*np.nonzero(upper)):
        r = corr[i, j]
        rows.append(
            finding(
                "correlation",
                names[j],
                "warning",
                r,
                f"{names[j]} is highly correlated with {names[i]} (r = {r:.3f}).",
                f"Multicollinearity: keep one of {names[i]} and {names[j]} "
                "(drop the column named here) or combine them.",
            )
        )
    return rows


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


def target_findings(target, *, name, task, labels, imbalance_ratio, n_missing):
    """Target distribution, class imbalance and missing targets."""
    rows = []
    if n_missing:
        rows.append(
            finding(
                "target_missing",
                name,
                "error",
                n_missing,
                f"The target {name} is missing on {n_missing:,} rows.",
                "Drop those rows before training (or label them).",
            )
        )
    if target.size == 0:
        return rows
    if task == "regression":
        mean, std = float(target.mean()), float(target.std())
        rows.append(
            finding(
                "target_distribution",
                name,
                "info",
                mean,
                f"Target {name}: continuous, mean {mean:.4g}, std {std:.4g}, "
                f"range [{target.min():.4g}, {target.max():.4g}].",
                "Check its skewness; a log target (TransformedTargetRegressor) "
                "helps with right-skewed targets.",
            )
        )
        return rows
    counts = np.bincount(target, minlength=len(labels))
    fractions = counts / counts.sum()
    text = ", ".join(f"{lab}: {_pct(f)}" for lab, f in zip(labels, fractions))
    rows.append(
        finding(
            "target_distribution",
            name,
            "info",
            len(labels),
            f"Target {name}: {len(labels)} classes ({text}).",
            "Stratify the splits (StratifiedKFold).",
        )
    )
    present = counts[counts > 0]
    if present.size >= 2:
        ratio = float(present.min() / present.max())
        if ratio < imbalance_ratio:
            rows.append(
                finding(
                    "imbalance",
                    name,
                    "warning",
                    ratio,
                    f"Imbalanced target: minority/majority ratio = {ratio:.2f} "
                    f"(below imbalance_ratio={imbalance_ratio}).",
                    "Use class weights, resampling (SMOTE) or tune the decision "
                    "threshold (ThresholdTunedClassifier); score with PR-AUC, "
                    "not accuracy.",
                )
            )
    return rows


def conflicting_label_findings(groups, n_groups, target_codes, n_labels, name):
    """Identical feature rows that carry different targets."""
    pair = groups * n_labels + target_codes
    unique_pairs = pd.unique(pair)
    labels_per_group = np.bincount(unique_pairs // n_labels, minlength=n_groups)
    conflicted = labels_per_group > 1
    if not conflicted.any():
        return []
    n_rows = int(conflicted[groups].sum())
    n_sets = int(conflicted.sum())
    return [
        finding(
            "conflicting_labels",
            name,
            "warning",
            n_rows,
            f"{n_sets:,} sets of identical rows ({n_rows:,} rows) carry different "
            "targets.",
            "Check the labelling; the features cannot separate these rows "
            "(the error floor of any model).",
        )
    ]
