"""DataQualityChecker: a data contract learned at fit and checked at transform."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_workflow.exceptions import DataQualityWarning, DataValidationError
from sklearn_workflow.quality._drift import (
    batch_bin_fractions,
    category_positions,
    population_stability_index,
)
from sklearn_workflow.quality._findings import (
    CHECKS,
    FEW_ROWS,
    FINDING_COLUMNS,
    SEVERITIES,
    RowKey,
    column_findings,
    conflicting_label_findings,
    correlation_findings,
    correlation_matrix,
    duplicate_findings,
    finding,
    leak_codes,
    leakage_findings,
    leakage_score,
    missingness_score,
    split_halves,
    target_findings,
)
from sklearn_workflow.quality._profile import (
    iter_columns,
    profile_column,
    read_column,
)
from sklearn_workflow.quality._report import QualityReport
from sklearn_workflow.utils._dataframe import (
    is_dataframe,
    is_pandas,
    is_polars,
)
from sklearn_workflow.utils._param_validation import (
    Interval,
    StrOptions,
    _check_feature_names,
    _fit_context,
    get_output_container,
)

__all__ = ["VIOLATION_CHECKS", "VIOLATION_COLUMNS", "DataQualityChecker"]

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
# A numeric target with more distinct values than this is treated as continuous.
_MAX_CLASSES = 50
_MAX_LISTED = 5
# Chance of a false out_of_range alarm on a batch drawn like the training data.
_ALPHA = 1e-4
# Range widths beyond the tolerated range where a single value is a violation
# (one width is reached by sampling alone in lognormal columns).
_FAR = 3.0


def _fmt(value, kind):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "nan"
    if kind == "datetime":
        return str(np.datetime64(int(round(value)), "us"))
    return f"{value:.6g}"


class DataQualityChecker(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Learn a data contract at fit, report the data's problems, check new batches.

    ``fit`` profiles every column (kind, missing fraction, range, categories,
    quantile bins or category frequencies) and runs the quality checks, which
    produce :attr:`findings_` and the printable :attr:`report_`. ``transform``
    returns its input unchanged -- the checker is an identity step at the head of
    a :class:`~sklearn.pipeline.Pipeline` -- after validating it against the
    contract: schema, kinds, missing fractions, ranges, unseen categories and
    distribution drift (PSI). :meth:`validate` and :meth:`drift` return the same
    checks as tables, for monitoring.

    NaN, None, ``pd.NA`` and NaT all count as missing, in pandas, polars and
    numpy input alike.

    Parameters
    ----------
    on_violation : {"warn", "raise", "ignore"}, default="warn"
        What ``transform`` does when the batch violates the contract: emit one
        :class:`~sklearn_workflow.exceptions.DataQualityWarning` summarising the
        violations, raise :class:`~sklearn_workflow.exceptions.DataValidationError`
        listing every one (its ``violations`` attribute holds the table), or skip
        the validation.
    imbalance_ratio : float in [0, 1], default=0.2
        A class target is reported as imbalanced when the smallest class count
        divided by the largest is below this ratio.
    missing_threshold : float in [0, 1), default=0.0
        Report the columns whose missing fraction is above this value.
    correlation_threshold : float in (0, 1], default=0.95
        Report numeric pairs with absolute Pearson correlation above this value.
    leakage_threshold : float in (0, 1], default=0.95
        Report a column as a leakage suspect when it alone (or whether it is
        missing) predicts ``y`` with an out-of-sample ROC-AUC (class targets) or
        absolute correlation (continuous targets) above this value.
    drift_threshold : float >= 0, default=0.2
        PSI above which a column of a new batch has drifted (after subtracting the
        PSI expected from sampling noise alone, see Notes).
    n_bins : int >= 2, default=10
        Number of quantile bins of numeric and datetime columns for drift.
    range_tolerance : float >= 0, default=0.0
        New values may exceed the fitted ``[min, max]`` by this fraction of the
        fitted range before they count as out of range. A few values just
        outside are still expected by chance and not flagged (see Notes).
    max_categories : int >= 1, default=1000
        Categories kept per column in the contract (the most frequent). A column
        with more is high-cardinality: its unseen categories are not checked.
    cardinality_threshold : int >= 1, default=40
        A categorical column with more distinct values is reported as
        high-cardinality (one-hot encoding it would be wasteful).
    drift_min_samples : int >= 1, default=50
        Batches with fewer non-missing values in a column are not flagged for
        drift in that column (PSI on a handful of rows is noise);
        :meth:`drift` still returns the value.

    Attributes
    ----------
    contract_ : dict
        What was learned at fit, in plain Python values (it pickles and goes
        through skops): ``n_rows``, ``n_columns``, ``n_duplicates``,
        ``columns`` (one profile per column: name, label and position, kind,
        dtype, missing fraction,
        min/max, quartiles, bin edges and fractions or categories and their
        frequencies), ``target`` (None without ``y``).
    findings_ : DataFrame
        One row per finding, most severe first, with columns ``check``,
        ``column`` (None for the whole table), ``severity`` ("error", "warning"
        or "info"), ``value``, ``message`` and ``suggestion``. The check names:

        - ``few_rows``: fewer than 10 rows;
        - ``unsupported_values``: dicts, lists or arrays inside a column;
        - ``missing``: missing fraction above ``missing_threshold`` (error when
          the whole column is missing);
        - ``duplicates``: identical rows (value: their count);
        - ``constant`` / ``quasi_constant``: one value, or one value on at least
          99% of the rows;
        - ``id_like``: a string or integer column unique on at least 99% of its
          rows (10 rows at least);
        - ``high_cardinality``: more than ``cardinality_threshold`` categories;
        - ``mixed_types``: several Python types (numbers and strings...);
        - ``null_like``: strings meaning missing ("", "N/A", "null", "?",
          "none", "nan", "-", ...);
        - ``category_variants``: categories equal up to case or white space;
        - ``infinite``: infinite values;
        - ``skewness``: \\|skewness\\| > 1 (suggests a log transform);
        - ``outliers``: more than 1% of the values beyond 1.5 IQR;
        - ``correlation``: a pair with \\|r\\| above ``correlation_threshold``
          (``column`` names the second one, the one to drop);
        - with ``y``: ``target_missing``, ``target_distribution``,
          ``imbalance``, ``leakage`` (a column alone, or its missingness,
          predicts y) and ``conflicting_labels`` (identical rows, different y).
    report_ : QualityReport
        ``print(checker.report_)`` prints the data quality report; it also has
        ``to_dict()`` and ``to_html()``.
    n_features_in_ : int
        Number of columns seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen during fit (string names only).

    See Also
    --------
    skrub.TableReport : Interactive profile of one table; nothing is learned,
        so later data cannot be checked against it.
    sklearn.feature_selection.VarianceThreshold : Drops constant features; here
        they are reported, not dropped.
    sklearn_workflow.quality.plot_eda : The EDA overview figure.

    Notes
    -----
    Cost: every categorical column is factorized once (pandas' hash table) and
    every numeric and datetime column sorted once; the duplicate rows come from a
    64-bit hash of each row built from the codes and the values' bits (equal rows
    always match; two different rows collide with probability about 2**-64); the
    only cost quadratic in columns is the correlation matrix of the numeric
    columns. Nothing loops over rows in Python.

    Leakage screen: numeric and datetime columns are cut at 32 quantiles,
    categorical ones keep their categories, and missing values are a category of
    their own. The target rate (or mean) per category is learned on one half of
    the rows (a fixed hash of the row position) and scores the other half, and
    vice versa, so an identifier cannot look predictive by memorising each row.

    Validation at transform: a missing fraction is a violation when it exceeds
    the fitted one by more than three binomial standard errors (so any missing
    value in a column that had none). Drift is flagged when
    ``PSI - (k - 1) * (1 / m + 1 / n) > drift_threshold``, where ``k`` is the
    number of bins, ``m`` and ``n`` the non-missing counts of the batch and of the
    training data: ``(k - 1) * (1 / m + 1 / n)`` is the PSI that sampling noise
    alone produces, so small batches and many categories do not raise false
    alarms.

    Ranges: under exchangeability (the batch drawn like the training rows) each
    new value lies above the fitted max, or below the min, with probability at
    most ``1 / (n + 1)``, so ``m`` new values have about ``2 m / (n + 1)``
    outside by chance. The ``s`` values outside the range widened by
    ``range_tolerance`` are a violation only when so many are unlikely:
    ``P(S >= s) = q_s (1 + s n / (n + m - s)) < 0.0001`` (small, as every
    column of every batch, e.g. each cross-validation fold, is a test), with
    ``q_s = prod_{i<s} (m - i) / (n + m - i)`` (exact for continuous values,
    conservative with ties). A value more than three range widths beyond the
    widened range is a violation at any count -- in a column positive at fit,
    when it is also one width beyond the range on the log scale (a skewed
    amount's next sample can be several times the fitted max).

    Unseen categories: the Good-Turing estimate of the chance that a new row has
    a category not seen at fit is ``n1 / n``, ``n1`` the number of categories
    seen once at fit. The ``u`` unseen rows of a batch of ``m`` are a violation
    when ``u > e + 3 sd + 1``, ``e = m n1 / n``, ``sd**2 = e + m**2 (n1 (1 - n1
    / n) + 2 n2) / n**2`` (batch noise plus the estimate's own error, Esty 1983;
    ``n2`` categories seen twice). A column without categories seen once (few,
    well-populated levels) flags any unseen category.

    Columns that are missing, extra or reordered are violations too;
    with ``on_violation="raise"`` the error starts with scikit-learn's standard
    feature-name message.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_workflow.quality import DataQualityChecker
    >>> X = pd.DataFrame({
    ...     "age": [25, 32, 47, None, 51, 38, 29, 44, 36, 60],
    ...     "city": ["Paris", "paris ", "Lyon", "Lyon", "N/A", "Nice", "Lyon",
    ...              "Paris", "Nice", "Lyon"],
    ... })
    >>> checker = DataQualityChecker().fit(X)
    >>> checker.findings_[["check", "column"]].to_numpy().tolist()
    [['missing', 'age'], ['null_like', 'city'], ['category_variants', 'city']]

    ``transform`` returns the very same object, and checks it on the way:

    >>> X_new = pd.DataFrame({"age": [30.0, 400.0], "city": ["Lyon", "Rome"]})
    >>> checker.transform(X) is X
    True
    >>> checker.validate(X_new)[["check", "column", "observed"]]
              check column   observed
    0  out_of_range    age  [30, 400]

    400 is far out of the fitted [25, 60]; one value just above 60 would be
    chance. "Rome" passes: 2 of the 10 fitted rows had a city seen only once,
    so unseen cities are expected in about 20% of new rows. A column whose
    categories were all seen several times flags a new one at once:

    >>> plans = pd.DataFrame({"plan": ["basic", "pro"] * 5})
    >>> new_plans = pd.DataFrame({"plan": ["basic", "gold"]})
    >>> DataQualityChecker().fit(plans).validate(new_plans)[["check", "observed"]]
                   check     observed
    0  unseen_categories  1 row: 'gold'
    """

    _parameter_constraints = {
        "on_violation": [StrOptions({"warn", "raise", "ignore"})],
        "imbalance_ratio": [Interval(Real, 0, 1, closed="both")],
        "missing_threshold": [Interval(Real, 0, 1, closed="left")],
        "correlation_threshold": [Interval(Real, 0, 1, closed="right")],
        "leakage_threshold": [Interval(Real, 0, 1, closed="right")],
        "drift_threshold": [Interval(Real, 0, None, closed="left")],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "range_tolerance": [Interval(Real, 0, None, closed="left")],
        "max_categories": [Interval(Integral, 1, None, closed="left")],
        "cardinality_threshold": [Interval(Integral, 1, None, closed="left")],
        "drift_min_samples": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        on_violation="warn",
        imbalance_ratio=0.2,
        missing_threshold=0.0,
        correlation_threshold=0.95,
        leakage_threshold=0.95,
        drift_threshold=0.2,
        n_bins=10,
        range_tolerance=0.0,
        max_categories=1000,
        cardinality_threshold=40,
        drift_min_samples=50,
    ):
        self.on_violation = on_violation
        self.imbalance_ratio = imbalance_ratio
        self.missing_threshold = missing_threshold
        self.correlation_threshold = correlation_threshold
        self.leakage_threshold = leakage_threshold
        self.drift_threshold = drift_threshold
        self.n_bins = n_bins
        self.range_tolerance = range_tolerance
        self.max_categories = max_categories
        self.cardinality_threshold = cardinality_threshold
        self.drift_min_samples = drift_min_samples

    # -- input -------------------------------------------------------------------
    def _check_frame(self, X):
        if X.shape[1] == 0:
            raise ValueError(
                f"0 feature(s) (shape={tuple(X.shape)}) while a minimum of 1 is "
                "required by DataQualityChecker."
            )
        if X.shape[0] == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={tuple(X.shape)}) while a "
                "minimum of 1 is required by DataQualityChecker."
            )
        if is_pandas(X) and X.columns.duplicated().any():
            dup = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
            raise ValueError(
                f"DataQualityChecker needs unique column names; got duplicated "
                f"columns {dup!r}."
            )

    def _check_input(self, X, *, reset):
        """Validate the container; return what ``transform`` hands back."""
        if is_dataframe(X):
            self._check_frame(X)
            if reset:
                validate_data(self, X, reset=True, skip_check_array=True)
            return X
        array = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=False)
        return X if isinstance(X, np.ndarray) else array

    # -- fit ---------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the contract of ``X`` and run the quality checks.

        Parameters
        ----------
        X : pandas or polars DataFrame, or array-like of shape (n_samples, \
n_features)
            The training data.
        y : array-like of shape (n_samples,), default=None
            The target; enables the target distribution, imbalance, leakage and
            conflicting-label checks. Rows where it is missing are left out of
            those checks (and reported).

        Returns
        -------
        self : DataQualityChecker
        """
        # Huge or infinite values may overflow a statistic: it becomes inf or NaN
        # (reported as such), never a floating-point warning or error.
        with np.errstate(all="ignore"):
            return self._fit(X, y)

    def _fit(self, X, y):
        X = self._check_input(X, reset=True)
        n_rows = X.shape[0]
        params = {
            "missing_threshold": self.missing_threshold,
            "cardinality_threshold": self.cardinality_threshold,
            "max_categories": self.max_categories,
        }
        target = None if y is None else self._prepare_target(y, n_rows)
        rows = [] if target is None else list(target["rows"])
        profiles, corr_names, corr_arrays = [], [], []
        row_key = RowKey(n_rows)
        # One column at a time: read, profile, check, screen for leakage, fold
        # into the row key; only the numeric values stay (for the correlations).
        for label, name, col in iter_columns(X):
            data = read_column(label, name, col)
            profile, sorted_values = profile_column(
                data, n_bins=self.n_bins, max_categories=self.max_categories
            )
            profile["label"] = label.item() if isinstance(label, np.generic) else label
            profile["position"] = len(profiles)
            column_rows = column_findings(data, profile, sorted_values, params)
            rows.extend(column_rows)
            if target is not None and target["y"] is not None:
                id_like = any(r["check"] == "id_like" for r in column_rows)
                rows.extend(
                    self._leakage(data, profile, sorted_values, target, id_like)
                )
            if data.codes is not None:
                row_key.add(data.codes)
            elif data.values is not None:
                row_key.add_floats(data.values)
            if profile["kind"] in ("numeric", "boolean") and profile["n_unique"] > 1:
                corr_names.append(profile["name"])
                corr_arrays.append(data.values)
            profiles.append(profile)

        if n_rows < FEW_ROWS:
            rows.append(
                finding(
                    "few_rows",
                    None,
                    "warning",
                    n_rows,
                    f"Only {n_rows} row(s): the statistics and checks are not "
                    "reliable.",
                    "Collect more data before modelling.",
                )
            )
        groups, n_groups = row_key.groups()
        del row_key
        n_duplicates = n_rows - n_groups
        rows.extend(duplicate_findings(n_duplicates, n_rows))
        corr = correlation_matrix(corr_arrays)
        del corr_arrays
        rows.extend(correlation_findings(corr_names, corr, self.correlation_threshold))
        if target is not None and target["y"] is not None:
            keep = target["keep"]
            rows.extend(
                conflicting_label_findings(
                    groups[keep],
                    n_groups,
                    target["codes"][keep],
                    target["n_labels"],
                    target["summary"]["name"],
                )
            )

        self.contract_ = {
            "input": "pandas"
            if is_pandas(X)
            else "polars"
            if is_polars(X)
            else "numpy",
            "n_rows": int(n_rows),
            "n_columns": len(profiles),
            "n_duplicates": int(n_duplicates),
            "columns": profiles,
            "target": None if target is None else target["summary"],
            "imbalance_ratio": self.imbalance_ratio,
        }
        severity_rank = {s: i for i, s in enumerate(SEVERITIES)}
        check_rank = {c: i for i, c in enumerate(CHECKS)}
        rows.sort(key=lambda r: (severity_rank[r["severity"]], check_rank[r["check"]]))
        self._findings = {c: [r[c] for r in rows] for c in FINDING_COLUMNS}
        return self

    def _prepare_target(self, y, n_rows):
        """Classify the target, summarise it and run the target-only checks.

        Returns None for a target that cannot be checked (2-D), else a dict with
        ``summary`` (kept in the contract), ``rows`` (findings), ``keep`` (rows
        with a target), ``y`` (class index or float target on those rows, None
        when fewer than 2), ``codes``/``n_labels`` (for conflicting labels) and
        ``task``.
        """
        name = getattr(y, "name", None)
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
        keep = ~ydata.missing
        n_missing = int(ydata.missing.sum())
        task = "classification"
        if ydata.kind == "numeric":
            present = ydata.values[keep]
            if present.size and (
                not np.all(np.isfinite(present))
                or type_of_target(present) not in ("binary", "multiclass")
                or ydata.n_unique > _MAX_CLASSES
            ):
                task = "regression"
        summary = {"name": name, "task": task, "n_missing": n_missing}
        if task == "regression":
            finite = np.isfinite(ydata.values)
            keep = keep & finite
            values = ydata.values[keep]
            empty = values.size == 0
            summary.update(
                mean=float("nan") if empty else float(values.mean()),
                std=float("nan") if empty else float(values.std()),
                min=float("nan") if empty else float(values.min()),
                max=float("nan") if empty else float(values.max()),
            )
            labels, y_target = [], values
        else:
            labels, y_target = _sorted_labels(ydata, keep)
            counts = np.bincount(y_target, minlength=len(labels))
            summary["labels"] = labels
            summary["counts"] = counts.tolist()
            summary["ratio"] = (
                float(counts.min() / counts.max()) if len(labels) >= 2 else None
            )
        rows = target_findings(
            y_target,
            name=name,
            task=task,
            labels=labels,
            imbalance_ratio=self.imbalance_ratio,
            n_missing=n_missing,
        )
        return {
            "summary": summary,
            "rows": rows,
            "keep": keep,
            "all_kept": bool(keep.all()),
            "y": y_target if y_target.size >= 2 else None,
            "half": split_halves(y_target.size),
            "codes": ydata.codes,
            "n_labels": max(ydata.n_unique, 1),
            "task": task,
        }

    def _leakage(self, data, profile, sorted_values, target, id_like):
        # An identifier is unique per row: out of sample, it scores every row
        # with the prior, so its screen is skipped (its missingness is not).
        task, keep, y_target = target["task"], target["keep"], target["y"]
        missing = data.missing if target["all_kept"] else data.missing[keep]
        score = 0.0
        if not (id_like and profile["kind"] == "categorical"):
            coded = leak_codes(data, profile, sorted_values)
            if coded is not None:
                codes, n_codes = coded
                if not target["all_kept"]:
                    codes = codes[keep]
                score = leakage_score(codes, n_codes, y_target, task, target["half"])
        miss = missingness_score(missing, y_target, task)
        return leakage_findings(
            profile["name"], score, miss, task, self.leakage_threshold
        )

    def fit_transform(self, X, y=None, **fit_params):
        """Fit, then return ``X`` unchanged (it is the data the contract describes).

        Parameters
        ----------
        X : pandas or polars DataFrame, or array-like
        y : array-like of shape (n_samples,), default=None
        **fit_params : dict
            Unused, for API consistency.

        Returns
        -------
        X : the same object
            A DataFrame or ndarray is returned as is; other array-likes as the
            validated ndarray.
        """
        self.fit(X, y)
        return self._identity(
            X if is_dataframe(X) or isinstance(X, np.ndarray) else np.asarray(X)
        )

    def _identity(self, X):
        # set_output renames the columns of a returned frame in place: hand it a
        # shallow copy then (copy-on-write: no data copied), never the
        # caller's frame. With the default output, the very same object.
        if get_output_container(self, "transform") != "default":
            if is_pandas(X):
                return X.copy(deep=False)
            if is_polars(X):
                return X.clone()
        return X

    # -- transform ---------------------------------------------------------------
    def transform(self, X):
        """Validate ``X`` against the contract and return it unchanged.

        Parameters
        ----------
        X : pandas or polars DataFrame, or array-like
            A new batch.

        Returns
        -------
        X : the same object
            A DataFrame or ndarray is returned as is (no copy); other array-likes
            as the validated ndarray.

        Raises
        ------
        DataValidationError
            With ``on_violation="raise"``, when the batch violates the contract.
        """
        check_is_fitted(self)
        if self.on_violation == "ignore":
            return self._identity(self._batch(X, columns=False)[0])
        violations, sklearn_message, X_out = self._violations(X)
        if len(violations):
            self._report_violations(violations, sklearn_message)
        return self._identity(X_out)

    def _report_violations(self, violations, sklearn_message):
        lines = [
            f"  {r.column}: {r.check} (observed {r.observed}, expected {r.expected})"
            for r in violations.itertuples(index=False)
        ]
        summary = (
            f"X violates the data contract learned at fit "
            f"({len(violations)} violation(s)):\n" + "\n".join(lines)
        )
        if self.on_violation == "raise":
            prefix = f"{sklearn_message}\n" if sklearn_message else ""
            raise DataValidationError(prefix + summary, violations=violations)
        warnings.warn(summary, DataQualityWarning, stacklevel=3)

    def validate(self, X):
        """The batch's violations of the contract, without warning or raising.

        Parameters
        ----------
        X : pandas or polars DataFrame, or array-like
            A new batch, with the columns seen at fit.

        Returns
        -------
        violations : DataFrame
            One row per violation with columns ``check`` (one of
            "missing_column", "extra_column", "column_order", "kind", "missing",
            "infinite", "out_of_range", "unseen_categories", "drift"),
            ``column``, ``severity``, ``value``, ``observed``, ``expected`` and
            ``message``. Empty when the batch satisfies the contract.
        """
        check_is_fitted(self)
        return self._violations(X)[0]

    def drift(self, X):
        """Population stability index of every column against the fitted bins.

        Parameters
        ----------
        X : pandas or polars DataFrame, or array-like
            A new batch.

        Returns
        -------
        psi : Series
            PSI per fitted column present in ``X`` (NaN where the batch has no
            non-missing value or the column has no bins). Below 0.1 is usually
            read as stable, above 0.2 as a significant shift.
        """
        check_is_fitted(self)
        _, _, pairs, _ = self._batch(X)
        with np.errstate(all="ignore"):
            return self._drift(pairs)

    def _drift(self, pairs):
        values = {}
        for profile, col in pairs:
            data = read_column(
                profile["label"], profile["name"], col, encode=_needs_codes(profile)
            )
            fractions = None
            if _compatible(data.kind, profile["kind"]):
                fractions = batch_bin_fractions(profile, data)
            values[profile["name"]] = (
                np.nan if fractions is None else population_stability_index(*fractions)
            )
        return pd.Series(values, name="psi", dtype=np.float64)

    def _batch(self, X, columns=True):
        """Check the container; pair each fitted profile with its column."""
        profiles = self.contract_["columns"]
        schema, sklearn_message, pairs = [], None, []
        if is_dataframe(X) and self.contract_["input"] != "numpy":
            self._check_frame(X)
            if hasattr(self, "feature_names_in_"):
                try:
                    _check_feature_names(self, X, reset=False)
                except ValueError as exc:
                    sklearn_message = str(exc)
            X_out = X
            if not columns:
                return X_out, sklearn_message, pairs, schema
            labels = list(X.columns)
            present = set(labels)
            fitted = [p["label"] for p in profiles]
            fitted_set = set(fitted)
            for p in profiles:
                if p["label"] not in present:
                    schema.append(
                        _violation(
                            "missing_column",
                            p["name"],
                            "error",
                            None,
                            "absent",
                            "present",
                            f"column {p['name']} seen at fit is missing",
                        )
                    )
            for label in labels:
                if label not in fitted_set:
                    schema.append(
                        _violation(
                            "extra_column",
                            str(label),
                            "error",
                            None,
                            "present",
                            "absent",
                            f"column {label} was not seen at fit",
                        )
                    )
            if not schema and labels != fitted:
                schema.append(
                    _violation(
                        "column_order",
                        None,
                        "error",
                        None,
                        ", ".join(map(str, labels[:_MAX_LISTED])),
                        ", ".join(map(str, fitted[:_MAX_LISTED])),
                        "the columns are not in the order seen at fit",
                    )
                )
            for p in profiles:
                if p["label"] in present:
                    col = X[p["label"]] if is_pandas(X) else X.get_column(p["label"])
                    pairs.append((p, col))
            return X_out, sklearn_message, pairs, schema

        if is_dataframe(X):
            # Fitted on an array: the columns are matched by position and, as
            # from any transformer fitted without names, an array comes back.
            self._check_frame(X)
            try:
                X_out = validate_data(
                    self, X, reset=False, dtype=None, ensure_all_finite=False
                )
            except TypeError:
                # scikit-learn < 1.7 finds no common dtype for a frame that mixes
                # datetime and numeric columns; an object array holds them all.
                _check_feature_names(self, X, reset=False)
                values = np.asarray(X.to_numpy(), dtype=object)
                X_out = validate_data(
                    self, values, reset=False, dtype=object, ensure_all_finite=False
                )
        else:
            X_out = self._check_input(X, reset=False)
        if not columns:
            return X_out, sklearn_message, pairs, schema
        source = X if is_dataframe(X) else np.asarray(X_out)
        for p, (_, _, col) in zip(profiles, iter_columns(source)):
            pairs.append((p, col))
        return X_out, sklearn_message, pairs, schema

    def _violations(self, X):
        with np.errstate(all="ignore"):
            return self._violations_unguarded(X)

    def _violations_unguarded(self, X):
        X_out, sklearn_message, pairs, rows = self._batch(X)
        for profile, col in pairs:
            data = read_column(
                profile["label"], profile["name"], col, encode=_needs_codes(profile)
            )
            rows.extend(self._column_violations(profile, data))
        frame = pd.DataFrame(
            {c: [r[c] for r in rows] for c in VIOLATION_COLUMNS},
            columns=list(VIOLATION_COLUMNS),
        )
        frame["value"] = frame["value"].astype(np.float64)
        return frame, sklearn_message, X_out

    def _column_violations(self, profile, data):
        name, kind = profile["name"], profile["kind"]
        m = data.missing.size
        n_missing = int(data.missing.sum())
        rows = []
        if n_missing < m and not _compatible(data.kind, kind):
            return [
                _violation(
                    "kind",
                    name,
                    "error",
                    None,
                    data.kind,
                    kind,
                    f"{name} is {data.kind} ({data.dtype}), it was {kind} at fit",
                )
            ]
        p = profile["missing_fraction"]
        q = n_missing / m if m else 0.0
        if n_missing and q > p + 3.0 * np.sqrt(p * (1.0 - p) / m):
            rows.append(
                _violation(
                    "missing",
                    name,
                    "warning",
                    q,
                    f"{q:.2%}",
                    f"<= {p:.2%}",
                    f"{name} has {n_missing:,} missing values ({q:.2%}), "
                    f"{p:.2%} at fit",
                )
            )
        if n_missing == m:
            return rows
        if kind in ("numeric", "datetime") and data.values is not None:
            rows.extend(self._range_violations(profile, data))
        if kind == "categorical" and not profile["high_cardinality"]:
            rows.extend(_unseen_violations(profile, data))
        fractions = batch_bin_fractions(profile, data)
        if fractions is not None:
            expected, actual = fractions
            m_present = m - n_missing
            if m_present >= self.drift_min_samples:
                psi = population_stability_index(expected, actual)
                n_fit = profile["n"] - profile["n_missing"]
                noise = (len(expected) - 1) * (1.0 / m_present + 1.0 / max(n_fit, 1))
                if psi - noise > self.drift_threshold:
                    rows.append(
                        _violation(
                            "drift",
                            name,
                            "warning",
                            psi,
                            f"PSI {psi:.3f}",
                            f"<= {self.drift_threshold} (+ noise {noise:.3f})",
                            f"{name} has drifted from its fitted distribution "
                            f"(PSI {psi:.3f})",
                        )
                    )
        return rows

    def _range_violations(self, profile, data):
        name, kind = profile["name"], profile["kind"]
        rows = []
        values = data.values
        n_inf = int(np.count_nonzero(np.isinf(values)))
        if n_inf and not profile.get("n_infinite"):
            rows.append(
                _violation(
                    "infinite",
                    name,
                    "warning",
                    n_inf,
                    f"{n_inf:,} infinite",
                    "none",
                    f"{name} has {n_inf:,} infinite values, none at fit",
                )
            )
        if n_inf:
            values = values[np.isfinite(values)]
        if profile["min"] is None or values.size == 0:
            return rows
        width = profile["max"] - profile["min"]
        tol = self.range_tolerance
        low = profile["min"] - tol * width
        high = profile["max"] + tol * width
        # NaN compares False: missing values are never out of range.
        n_out = int(np.count_nonzero(values < low) + np.count_nonzero(values > high))
        if not n_out:
            return rows
        # A value beyond the range widened by _FAR more range widths is a
        # violation at any count; values just beyond the fitted extremes are
        # counted against what exchangeable data gives by chance (see
        # _out_of_range_chance).
        far = (values < low - _FAR * width) | (values > high + _FAR * width)
        if kind == "numeric" and profile["min"] > 0:
            # A column positive at fit is often skewed (amounts, incomes): its
            # far values must also be one log-range width beyond the log range.
            log_min, log_max = np.log(profile["min"]), np.log(profile["max"])
            log_width = log_max - log_min
            with np.errstate(divide="ignore", invalid="ignore"):
                log_values = np.log(np.where(values > 0, values, np.nan))
            # NaN (a value <= 0, never seen at fit) compares False: far.
            far &= ~(
                (log_values <= log_max + log_width)
                & (log_values >= log_min - log_width)
            )
        n_far = int(np.count_nonzero(far))
        m = int(np.count_nonzero(~np.isnan(values)))
        n_fit = profile["n_finite"]
        chance = 2.0 * m / (n_fit + 1)
        if n_far or _out_of_range_chance(n_out, m, n_fit) < _ALPHA:
            v_min, v_max = float(np.nanmin(values)), float(np.nanmax(values))
            far = f", {n_far:,} of them far out" if n_far else ""
            rows.append(
                _violation(
                    "out_of_range",
                    name,
                    "warning",
                    n_out,
                    f"[{_fmt(v_min, kind)}, {_fmt(v_max, kind)}]",
                    f"[{_fmt(low, kind)}, {_fmt(high, kind)}]",
                    f"{name} has {n_out:,} values outside the fitted range "
                    f"({chance:.1f} expected by chance{far})",
                )
            )
        return rows

    # -- outputs -----------------------------------------------------------------
    @property
    def findings_(self):
        check_is_fitted(self)
        frame = pd.DataFrame(self._findings, columns=list(FINDING_COLUMNS))
        frame["value"] = frame["value"].astype(np.float64)
        return frame

    @property
    def report_(self):
        check_is_fitted(self)
        return QualityReport(self.contract_, self.findings_)

    def plot(self, X, y=None):
        """Draw the EDA overview of ``X`` (and ``y``); see :func:`plot_eda`.

        Returns
        -------
        figure : matplotlib Figure
        """
        from sklearn_workflow.quality._plot import plot_eda

        return plot_eda(X, y)

    def _is_fitted(self):
        return hasattr(self, "contract_")

    @property
    def _repr_html_(self):
        if not self._is_fitted():
            return super()._repr_html_
        return self.report_._repr_html_

    def _repr_mimebundle_(self, **kwargs):
        if not self._is_fitted():
            return super()._repr_mimebundle_(**kwargs)
        return {"text/plain": repr(self), "text/html": self.report_._repr_html_()}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _needs_codes(profile):
    """Validation factorizes a categorical column only for what it checks."""
    return profile["kind"] == "categorical" and (
        not profile["high_cardinality"] or profile["n_drift_categories"] > 0
    )


def _compatible(batch_kind, fitted_kind):
    return batch_kind == fitted_kind


def _violation(check, column, severity, value, observed, expected, message):
    return {
        "check": check,
        "column": column,
        "severity": severity,
        "value": float(value) if value is not None else float("nan"),
        "observed": observed,
        "expected": expected,
        "message": message,
    }


def _out_of_range_chance(s, m, n):
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


def _unseen_violations(profile, data):
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
        _violation(
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
