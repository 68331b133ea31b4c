"""The quality checks run at fit: one function per family, each vectorised.

Every check returns finding rows (plain dicts with the keys of ``FINDING_COLUMNS``).
Column checks read the column's profile (and its factorized distinct values);
dataset checks combine the columns' integer codes (duplicates, conflicting labels),
their standardised values (correlations) or the target (distribution, imbalance).
The leakage screen is in ``_leakage``.
"""

import numpy as np
import pandas as pd

from sklearn_workflow.quality._profile import NULL_LIKE, type_families

__all__ = [
    "CHECKS",
    "FINDING_COLUMNS",
    "SEVERITIES",
    "RowKey",
    "column_findings",
    "conflicting_label_findings",
    "correlation_findings",
    "correlation_matrix",
    "duplicate_findings",
    "few_rows_findings",
    "finding",
    "sort_findings",
    "target_findings",
    "target_order_findings",
]

FINDING_COLUMNS = ("check", "column", "severity", "value", "message", "suggestion")
SEVERITIES = ("error", "warning", "info")
# Every check name the checker can report at fit, in report order.
CHECKS = (
    "few_rows",
    "unsupported_values",
    "missing",
    "missing_not_at_random",
    "missing_predictable",
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
    "multimodal",
    "correlation",
    "time_axis",
    "target_missing",
    "target_distribution",
    "imbalance",
    "target_ordered",
    "temporal_order",
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
    name, kind = profile["name"], profile["kind"]
    rows = _unsupported_findings(profile)
    rows += _missing_findings(profile, params["missing_threshold"])
    if kind == "other" or profile["n"] == profile["n_missing"]:
        return rows
    rows += _constant_findings(profile)
    id_rows = _id_like_findings(profile, sorted_values)
    rows += id_rows
    if kind == "categorical" and not id_rows:
        rows += _cardinality_findings(profile, params)
    rows += _mixed_type_findings(profile)
    if kind == "categorical" and data.uniques is not None and profile["n_unique"]:
        rows += _string_findings(data, name, variants=not id_rows)
    if kind == "numeric":
        rows += _numeric_findings(profile, sorted_values, name)
    return rows


def _unsupported_findings(profile):
    if not profile["n_unsupported"]:
        return []
    name = profile["name"]
    types = ", ".join(f"{t}: {c}" for t, c in (profile["type_counts"] or {}).items())
    return [
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
    ]


def _missing_findings(profile, missing_threshold):
    name, n = profile["name"], profile["n"]
    fraction = profile["missing_fraction"]
    if not profile["n_missing"] or fraction <= missing_threshold:
        return []
    if fraction == 1.0:
        return [
            finding(
                "missing",
                name,
                "error",
                fraction,
                f"{name} is entirely missing ({n:,} of {n:,} rows).",
                "Drop the column: it carries no information.",
            )
        ]
    return [
        finding(
            "missing",
            name,
            "warning",
            fraction,
            f"{name}: {profile['n_missing']:,} missing values ({_pct(fraction)}).",
            "Impute (SimpleImputer; add_indicator=True keeps the "
            "missingness as a feature) or use a model that handles NaN.",
        )
    ]


def _constant_findings(profile):
    name, top = profile["name"], profile["top_fraction"] or 0.0
    if profile["n_unique"] == 1:
        return [
            finding(
                "constant",
                name,
                "warning",
                1,
                f"{name} has a single value on every non-missing row.",
                "Drop the column: a constant carries no signal.",
            )
        ]
    if top < QUASI_CONSTANT_SHARE:
        return []
    return [
        finding(
            "quasi_constant",
            name,
            "info",
            top,
            f"{name}: one value covers {_pct(top)} of the non-missing rows.",
            "Check that the rare values matter; otherwise drop the column "
            "(VarianceThreshold).",
        )
    ]


def _id_like_findings(profile, sorted_values):
    """A string or integer column unique on nearly every row."""
    name, kind = profile["name"], profile["kind"]
    n_present = profile["n"] - profile["n_missing"]
    n_unique = profile["n_unique"]
    if not (
        n_present >= ID_LIKE_MIN_ROWS
        and n_unique >= ID_LIKE_UNIQUE_SHARE * n_present
        and (kind == "categorical" or (kind == "numeric" and _integral(sorted_values)))
    ):
        return []
    return [
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
    ]


def _cardinality_findings(profile, params):
    name, n_unique = profile["name"], profile["n_unique"]
    if n_unique <= params["cardinality_threshold"]:
        return []
    beyond = ""
    if n_unique > params["max_categories"]:
        beyond = (
            f" (more than max_categories={params['max_categories']}: only "
            "the most frequent are kept, unseen categories are not checked)"
        )
    return [
        finding(
            "high_cardinality",
            name,
            "warning",
            n_unique,
            f"{name} has {n_unique:,} categories{beyond}.",
            "Target-encode it (TargetEncoder) or group rare levels; one-hot "
            f"encoding would add {n_unique:,} columns.",
        )
    ]


def _mixed_type_findings(profile):
    type_counts = profile["type_counts"]
    if not type_counts or len(type_families(type_counts)) <= 1:
        return []
    types = ", ".join(f"{t}: {c:,}" for t, c in type_counts.items())
    return [
        finding(
            "mixed_types",
            profile["name"],
            "warning",
            len(type_counts),
            f"{profile['name']} mixes Python types ({types}).",
            "Cast the column to one type when loading (e.g. numbers stored "
            "as text: pd.to_numeric(errors='coerce')).",
        )
    ]


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


def few_rows_findings(n_rows):
    if n_rows >= FEW_ROWS:
        return []
    return [
        finding(
            "few_rows",
            None,
            "warning",
            n_rows,
            f"Only {n_rows} row(s): the statistics and checks are not reliable.",
            "Collect more data before modelling.",
        )
    ]


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


def target_order_findings(order, name, row_numbers=()):
    """Rows ordered by the target: its values come in a few long runs.

    Parameters
    ----------
    order : dict or None
        The runs test of the target along the rows
        (:func:`~sklearn_workflow.quality._target.target_order`).
    name : str
        The target's name.
    row_numbers : sequence of str, default=()
        Columns that follow the row order, left out of the leakage screen.
    """
    if order is None or not order["ordered"]:
        return []
    z, p = order["z"], order["p"]
    p_text = "p < 1e-16" if p < 1e-16 else f"p = {p:.1e}"
    message = (
        f"The rows are ordered by the target {name}: it changes value "
        f"{order['changes']:,} times along the rows, {order['expected']:,.0f} "
        f"expected in a random order (runs test z = {z:.1f}, {p_text})."
    )
    if len(row_numbers) == 1:
        message += (
            f" {row_numbers[0]} follows the row order and predicts the target "
            "through it alone: it is not reported as a leakage suspect."
        )
    elif row_numbers:
        message += (
            f" {', '.join(row_numbers)} follow the row order and predict the "
            "target through it alone: they are not reported as leakage suspects."
        )
    return [
        finding(
            "target_ordered",
            name,
            "warning",
            z,
            message,
            "Shuffle the rows before splitting (KFold(shuffle=True), "
            "StratifiedKFold(shuffle=True); train_test_split shuffles): folds cut "
            "from ordered rows miss whole classes or target ranges. If the order "
            "is time, split by time instead (TimeSeriesSplit).",
        )
    ]


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


def sort_findings(rows):
    """The findings as columns, most severe first, then in the order of CHECKS."""
    severity_rank = {s: i for i, s in enumerate(SEVERITIES)}
    check_rank = {c: i for i, c in enumerate(CHECKS)}
    rows = sorted(
        rows, key=lambda r: (severity_rank[r["severity"]], check_rank[r["check"]])
    )
    return {c: [r[c] for r in rows] for c in FINDING_COLUMNS}
