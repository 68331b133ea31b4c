"""DataQualityChecker: a data contract learned at fit and checked at transform."""

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_workflow.exceptions import DataQualityWarning, DataValidationError
from sklearn_workflow.problem._task import TASK_TYPES
from sklearn_workflow.quality._findings import (
    FINDING_COLUMNS,
    RowKey,
    column_findings,
    conflicting_label_findings,
    correlation_findings,
    correlation_matrix,
    duplicate_findings,
    few_rows_findings,
    sort_findings,
    target_order_findings,
)
from sklearn_workflow.quality._leakage import column_leakage, follows_row_order
from sklearn_workflow.quality._missingness import (
    mcar_findings,
    predictable_missing_findings,
)
from sklearn_workflow.quality._modality import (
    multimodal_findings,
    skipped_multimodal_findings,
)
from sklearn_workflow.quality._partial_checker import (
    SKIPPED_CHECKS,
    CheckerState,
    column_findings_from_state,
    column_profile,
    skipped_findings,
    table_findings_from_state,
    target_from_state,
)
from sklearn_workflow.quality._profile import (
    iter_columns,
    profile_column,
    read_column,
)
from sklearn_workflow.quality._report import QualityReport
from sklearn_workflow.quality._target import prepare_target
from sklearn_workflow.quality._temporal import ColumnScreen, time_findings
from sklearn_workflow.quality._violations import (
    VIOLATION_CHECKS,
    VIOLATION_COLUMNS,
    batch_drift,
    batch_violations,
    pair_frame_columns,
    violations_message,
)
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
from sklearn_workflow.utils._params import store_params

__all__ = ["VIOLATION_CHECKS", "VIOLATION_COLUMNS", "DataQualityChecker"]


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
    task : {"auto", "binary_classification", "multiclass_classification", \
"regression", "classification"}, default="auto"
        The learning task of ``y``, which decides how the target is summarised
        and screened (classes: counts, imbalance and ROC-AUC; regression: mean,
        range and correlation). "auto" reads it from ``y`` with
        :func:`~sklearn_workflow.problem.infer_task`, the rule of the whole
        package: booleans, strings and categories are classes, fractional numbers
        are regression, integer-valued numbers are classes up to 20 distinct
        values and regression beyond (a salary stored as integers).
        "classification" is binary or multiclass by the number of labels. Unused
        without ``y``.
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
        PSI expected from sampling noise alone, and only when a chi-square test
        says the shift is not noise, see Notes).
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
        Batches with fewer non-missing values in a column are not checked for
        drift in that column (PSI on a handful of rows is noise: 5 to 9 on four
        rows drawn from the training data itself): ``transform`` and
        :meth:`validate` report no drift there and :meth:`drift` returns NaN.
    time_column : str or None, default=None
        The column that is the time axis (datetimes, date strings or numbers).
        None: found from the columns (see Notes); the row order alone is never
        taken for time.

    Attributes
    ----------
    contract_ : dict
        What was learned at fit, in plain Python values (it pickles and goes
        through skops): ``n_rows``, ``n_columns``, ``n_duplicates``,
        ``columns`` (one profile per column: name, label and position, kind,
        dtype, missing fraction,
        min/max, quartiles, bin edges and fractions or categories and their
        frequencies), ``target`` (None without ``y``); after a fit by parts,
        ``skipped_checks`` (the findings not computed, see Notes).
    time_axis_ : dict or None
        The time axis and the test of whether time predicts the data (see
        Notes): ``column``, ``columns`` (a year and a month column make one
        axis), ``kind``, ``reason``, ``start``, ``end``, ``in_order``,
        ``proxies``, ``auc``, ``auc_p``, ``rank_corr``, ``rank_p``,
        ``predicts`` and ``strong`` (True: a random split would leak, split by
        time). None when no column is a time axis.
    task_ : {"binary_classification", "multiclass_classification", \
"regression"} or None
        The task of the target checks (``task``, resolved); None when fitted
        without ``y`` or with a target that cannot be checked (2-D).
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
        - ``missing_not_at_random``: Little's test rejects MCAR on the
          numeric columns (value: its effect size w, see Notes);
        - ``missing_predictable``: the other columns predict whether this one
          is missing (value: the out-of-sample ROC-AUC);
        - ``multimodal``: two modes or more (value: Hartigan's dip; the
          suggestion gives the modes and the valleys to bin at);
        - ``correlation``: a pair with \\|r\\| above ``correlation_threshold``
          (``column`` names the second one, the one to drop);
        - ``time_axis``: the column that is the time axis, and why;
        - ``temporal_order``: time predicts the data, a random split would
          leak (value: the late-vs-early ROC-AUC);
        - with ``y``: ``target_missing`` (error: rows without a target, value:
          their count; they are left out of the other target checks),
          ``target_distribution``, ``imbalance``, ``target_ordered`` (the rows
          are ordered by the target, value: the runs test's z-score, see
          Notes), ``leakage`` (a column alone, or its missingness, predicts y)
          and ``conflicting_labels`` (identical rows, different y).
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

    Row order: the target's values along the rows (classes, or the side of the
    median for a continuous target) are compared with a random order by a runs
    test. The rows are ordered by the target (``target_ordered``, on 20 rows at
    least) when the target changes value at most half as often as a random
    order gives and the one-sided p-value is below 0.0001. A row number then
    predicts the target through the order alone: an integer column strictly
    monotone along the rows is not screened for leakage (the finding names it;
    whether it is missing still is).

    Validation at transform judges a batch of any size, down to one row,
    against what sampling alone gives, so that single rows, small files and the
    folds of a cross-validation on data of one distribution do not warn. Every
    column of every batch is a test, with a false-alarm chance of 0.0001.
    Violations: more missing values than a batch of that size shows with
    probability 0.0001, the number of missing values being binomial with the
    fitted missing fraction smoothed by Laplace's rule,
    ``(n_missing + 1) / (n + 2)`` (one missing value in one row is then no
    violation, except in a column with no missing value in 10,000 fitted rows
    or more); more values outside the fitted range, widened by
    ``range_tolerance``, than a batch drawn like the training rows shows with
    probability 0.0001 (or one value more than three range widths beyond it --
    in a column positive at fit, also one width beyond on the log scale); more
    rows of unseen categories than the Good-Turing estimate (the share of
    training rows whose category was seen once) plus three standard errors, or
    any unseen category when none was seen once. Drift, in a column with at
    least ``drift_min_samples`` non-missing values in the batch: a PSI above
    ``drift_threshold`` plus ``(k - 1) * (1 / m + 1 / n)``, the PSI that
    sampling noise alone produces on average with ``k`` bins and ``m`` and ``n``
    non-missing values in the batch and at fit, and a chi-square test of
    homogeneity of the batch's and the fitted rows' bin counts with p-value
    below 0.0001 (PSI's noise has a long tail: a bin of 5% left empty by chance
    adds 0.3).

    Time: the time axis is a datetime column, a column of date strings, or an
    integer column named like a year (with values from 1000 to 2999; with a
    column named like a month, values 1 to 12, the two make one axis); the
    dates come first, then the column most in row order. Numeric and datetime
    columns whose rank correlation with it is at least 0.95 (an order number,
    a second date) encode the time too. Then, on at most 20,000 rows: the
    rank correlation of the target with the time, and a naive-Bayes
    classifier of "is this row in the later half?" from the other columns
    (cut at 32 quantiles) and the target, cross-fitted on two halves of the
    rows and scored by ROC-AUC (a column that alone reaches 0.9 is a period
    label and is left out). ``temporal_order`` is raised when the AUC is at
    least 0.65 or the rank correlation at least 0.1 in absolute value, either
    with p < 0.001 (Mann-Whitney for the AUC), on rows in time order (90% of
    their steps, forwards or backwards) or along the ``time_column`` given:
    rows in random order are a record of when each row happened, not a table
    that grows over time, and the ``time_axis`` finding says so instead.

    Missing values: Little's test fits the mean and covariance of the numeric
    columns by EM (normal model) and compares each missing-value pattern's
    means with them; it is reported at p < 0.01 with an effect size
    ``w = sqrt(max(chi2 - df, 0) / n)`` of at least 0.05, so that a huge table
    does not report a trivial departure. Whether a column is missing is
    predicted from the other columns by the naive-Bayes classifier above (on
    at most 5,000 missing and 5,000 present rows); reported at ROC-AUC 0.7.

    Modes: Hartigan's dip test (the ``diptest`` package, the ``stats``
    extra; without it the check is skipped and a finding says so) on at most
    5,000 order statistics of the column, whole numbers spread over their
    rounding step; multimodal at p < 0.05 with a dip of at least 0.02 and two
    modes of a kernel density separated by a valley at most 0.58 of the lower.

    Fit by parts: :meth:`partial_fit` and :meth:`merge` keep mergeable
    statistics instead of the rows (``sklearn_workflow.scale.fit_partitions``
    fits a checker that way on a Dask DataFrame, Parquet files or a polars
    LazyFrame), and the contract and findings are computed from them. Exact
    (the same as ``fit`` on all the rows, floating-point sums to a relative
    1e-12): the row and missing counts, kinds, types, minimum and maximum,
    mean, std and skewness, the categories and their counts (so the unseen
    categories and the categorical PSI bins), the duplicate rows (sorted 64-bit
    row hashes), the Pearson correlations (merged sums of x, x² and xy over each
    pair's rows), the target's summary and checks; and the quartiles, PSI bin
    edges and fractions, outliers, distinct values and the dip test's order
    statistics of every numeric or datetime column with at most 100,000
    distinct values (exact value counts). Beyond that, these come from a KLL
    quantile sketch (normalised rank error 1.33 % at 99 % confidence) and a
    HyperLogLog distinct count (1.6 % relative standard error). Skipped, each
    reported by an info finding and listed in ``contract_["skipped_checks"]``:
    ``missing_not_at_random`` (Little's test fits a mean and covariance by EM
    over the rows), ``missing_predictable`` (a classifier cross-fitted and
    scored on the rows), ``time_axis`` and ``temporal_order`` (they read the
    order of the rows), ``target_ordered`` (a runs test along the rows),
    ``leakage`` (scores cross-fitted on halves chosen by row position, on bins
    at the whole column's quantiles) and ``conflicting_labels`` (the row-hash
    state keeps each distinct row once, not its labels). The memory of a state
    grows with the distinct categories and the rows (8 bytes per distinct row
    for the duplicates), not with the columns' values.

    Columns that are missing, extra or reordered are violations too;
    with ``on_violation="raise"`` the error starts with scikit-learn's standard
    feature-name message.

    Examples
    --------
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

    A 1-to-5 rating is read as classes (integers, at most 20 distinct values);
    ``task`` overrides the rule when the numbers are scores:

    >>> rating = pd.Series([1, 2, 5, 4, 3, 5, 4, 1, 2, 3], name="rating")
    >>> DataQualityChecker().fit(X, rating).task_
    'multiclass_classification'
    >>> DataQualityChecker(task="regression").fit(X, rating).task_
    'regression'

    Fitted by parts, the checker learns the same contract; the checks that
    need the rows in one place say they were skipped:

    >>> parts = DataQualityChecker().partial_fit(X[:4]).partial_fit(X[4:])
    >>> parts.validate(X_new)[["check", "column", "observed"]]
              check column   observed
    0  out_of_range    age  [30, 400]
    >>> parts.contract_["skipped_checks"][:2]
    ['missing_not_at_random', 'missing_predictable']
    >>> parts.findings_["check"].tolist()[:3]
    ['missing', 'null_like', 'category_variants']
    """

    _parameter_constraints = {
        "on_violation": [StrOptions({"warn", "raise", "ignore"})],
        "task": [StrOptions({"auto", "classification", *TASK_TYPES})],
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
        "time_column": [str, None],
    }

    def __init__(
        self,
        *,
        on_violation="warn",
        task="auto",
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
        time_column=None,
    ):
        store_params(self, locals())

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
        self._state = None
        n_rows = X.shape[0]
        target = None
        if y is not None:
            target = prepare_target(
                y, n_rows, task=self.task, imbalance_ratio=self.imbalance_ratio
            )
        rows = [] if target is None else list(target["rows"])
        row_key = RowKey(n_rows)
        screen = ColumnScreen(n_rows, self.time_column)
        profiles, corr_names, corr_arrays = self._profile_columns(
            X, target, row_key, rows, screen
        )
        groups, n_groups = row_key.groups()
        del row_key
        rows.extend(self._table_findings(n_rows, n_groups, corr_names, corr_arrays))
        rows.extend(self._screen_findings(screen, profiles, corr_names, corr_arrays))
        del corr_arrays
        time_rows, self.time_axis_ = time_findings(screen, target)
        rows.extend(time_rows)
        del screen
        if target is not None and target["y"] is not None:
            rows.extend(
                target_order_findings(
                    target["order"], target["summary"]["name"], target["row_numbers"]
                )
            )
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
        self.task_ = None if target is None else target["task"]
        self.contract_ = {
            "input": "pandas"
            if is_pandas(X)
            else "polars"
            if is_polars(X)
            else "numpy",
            "n_rows": int(n_rows),
            "n_columns": len(profiles),
            "n_duplicates": int(n_rows - n_groups),
            "columns": profiles,
            "target": None if target is None else target["summary"],
            "imbalance_ratio": self.imbalance_ratio,
            "time_axis": self.time_axis_,
        }
        self._findings = sort_findings(rows)
        return self

    # -- fit by parts -------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Add the rows of ``X`` (and ``y``) to a fit by parts.

        On a checker not yet fitted by parts (unfitted, or fitted by ``fit``)
        this starts a new fit; afterwards each call adds rows. The fitted
        attributes are final after every call: the checker validates, reports
        drift and lists its findings as if fitted on all the rows added so far,
        exactly or within the quantile sketch's bound (see Notes), except the
        findings in ``contract_["skipped_checks"]``.

        Parameters
        ----------
        X : pandas or polars DataFrame, or array-like of shape (n_samples, \
n_features)
            A part of the training data, with the same columns in every part.
        y : array-like of shape (n_samples,), default=None
            The target of these rows; given for every part or for none.

        Returns
        -------
        self : DataQualityChecker
        """
        first = getattr(self, "_state", None) is None
        if not first and is_dataframe(X):
            # Later parts must have the columns of the first, by name and number.
            validate_data(self, X, reset=False, skip_check_array=True)
        with np.errstate(all="ignore"):
            X = self._check_input(X, reset=first)
            chunk = CheckerState.from_chunk(X, y)
            if first:
                self._input = (
                    "pandas" if is_pandas(X) else "polars" if is_polars(X) else "numpy"
                )
                self._state = chunk
            else:
                self._state = self._state.merge(chunk)
            return self._finalize_parts()

    def merge(self, other):
        """Add the rows of another checker fitted by parts; returns self.

        Parameters
        ----------
        other : DataQualityChecker
            Fitted by ``partial_fit`` (and merges) on other rows with the same
            columns and parameters (``on_violation`` may differ); left unchanged.

        Returns
        -------
        self : DataQualityChecker
        """
        for checker, which in ((self, "self"), (other, "other")):
            if getattr(checker, "_state", None) is None:
                raise ValueError(
                    f"merge needs two checkers fitted by partial_fit; {which} "
                    "was not (fit keeps no mergeable state)."
                )
        mine, theirs = self.get_params(), other.get_params()
        for name in mine:
            if name != "on_violation" and mine[name] != theirs[name]:
                raise ValueError(
                    f"Cannot merge checkers with different {name}: "
                    f"{mine[name]!r} and {theirs[name]!r}."
                )
        names = [list(getattr(c, "feature_names_in_", [])) for c in (self, other)]
        if names[0] != names[1] or self.n_features_in_ != other.n_features_in_:
            raise ValueError(
                f"Cannot merge checkers fitted on different columns: "
                f"{names[0][:20] or self.n_features_in_} and "
                f"{names[1][:20] or other.n_features_in_}."
            )
        with np.errstate(all="ignore"):
            self._state = self._state.merge(other._state)
            return self._finalize_parts()

    def drop_partial_state(self):
        """Drop the mergeable state of a fit by parts; keep what it fitted.

        The findings are computed now; the contract, the findings and the
        report stay, and ``transform``, ``validate`` and ``drift`` work as
        before, but the checker pickles without its state (the row hashes alone
        take 8 bytes per distinct row): send this copy to the workers that
        transform or to a server. Afterwards ``merge`` refuses it and
        ``partial_fit`` starts a new fit.

        Returns
        -------
        self : DataQualityChecker

        Examples
        --------
        >>> import pickle
        >>> import pandas as pd
        >>> from sklearn_workflow.quality import DataQualityChecker
        >>> X = pd.DataFrame({"id": range(10_000), "city": ["Rome", "Oslo"] * 5_000})
        >>> checker = DataQualityChecker().partial_fit(X)
        >>> big = len(pickle.dumps(checker))
        >>> small = len(pickle.dumps(checker.drop_partial_state()))
        >>> small < big / 5, checker.findings_["check"].tolist()[:1]
        (True, ['id_like'])
        """
        check_is_fitted(self)
        if getattr(self, "_state", None) is not None:
            self.findings_  # noqa: B018 - computed from the state, kept
            self._state = None
        return self

    def _finalize_parts(self):
        """The contract of the rows fitted by parts; findings when first read."""
        state = self._state
        profiles = []
        for j, column in enumerate(state.columns):
            profile, _ = column_profile(
                state, j, n_bins=self.n_bins, max_categories=self.max_categories
            )
            label = column.label
            profile["label"] = label.item() if isinstance(label, np.generic) else label
            profile["position"] = j
            profiles.append(profile)
        summary, self.task_ = None, None
        if state.target is not None:
            self.task_, summary, _ = target_from_state(
                state.target, task=self.task, imbalance_ratio=self.imbalance_ratio
            )
        self.time_axis_ = None
        with_target = state.target is not None
        self.contract_ = {
            "input": self._input,
            "n_rows": int(state.n_rows),
            "n_columns": len(profiles),
            "n_duplicates": state.rows.n_duplicates,
            "columns": profiles,
            "target": summary,
            "imbalance_ratio": self.imbalance_ratio,
            "time_axis": None,
            "skipped_checks": [
                c
                for c in SKIPPED_CHECKS
                if with_target
                or c not in ("target_ordered", "leakage", "conflicting_labels")
            ],
        }
        self._findings = None
        return self

    def _findings_of_parts(self):
        """The findings of a fit by parts (computed once, when first read)."""
        state, params = (
            self._state,
            {
                "missing_threshold": self.missing_threshold,
                "cardinality_threshold": self.cardinality_threshold,
                "max_categories": self.max_categories,
            },
        )
        rows, profiles = [], self.contract_["columns"]
        if state.target is not None:
            rows.extend(
                target_from_state(
                    state.target, task=self.task, imbalance_ratio=self.imbalance_ratio
                )[2]
            )
        for j in range(len(state.columns)):
            profile, order = column_profile(
                state, j, n_bins=self.n_bins, max_categories=self.max_categories
            )
            rows.extend(column_findings_from_state(state, j, profile, order, params))
        rows.extend(
            table_findings_from_state(state, profiles, self.correlation_threshold)
        )
        rows.extend(skipped_findings(state.target is not None))
        return sort_findings(rows)

    def _profile_columns(self, X, target, row_key, rows, table_screen):
        """Profile and check each column; fold it into the row key.

        One column at a time: read, profile, check, screen for leakage, fold into
        the row key; only the numeric values stay (for the correlations). The
        findings are appended to ``rows``; on rows ordered by the target, the
        names of the columns that follow the row order (not screened) to
        ``target["row_numbers"]``.
        """
        params = {
            "missing_threshold": self.missing_threshold,
            "cardinality_threshold": self.cardinality_threshold,
            "max_categories": self.max_categories,
        }
        screen = target is not None and target["y"] is not None
        ordered = screen and bool(target["order"] and target["order"]["ordered"])
        if screen:
            target["row_numbers"] = []
        profiles, corr_names, corr_arrays = [], [], []
        for label, name, col in iter_columns(X):
            data = read_column(label, name, col)
            profile, sorted_values = profile_column(
                data, n_bins=self.n_bins, max_categories=self.max_categories
            )
            profile["label"] = label.item() if isinstance(label, np.generic) else label
            profile["position"] = len(profiles)
            column_rows = column_findings(data, profile, sorted_values, params)
            if profile["kind"] == "numeric" and profile["n_missing"] < profile["n"]:
                column_rows += multimodal_findings(
                    profile["name"], sorted_values, profile["n_unique"]
                )
            rows.extend(column_rows)
            table_screen.add(data, profile, sorted_values, col)
            if screen:
                id_like = any(r["check"] == "id_like" for r in column_rows)
                row_number = ordered and follows_row_order(data)
                if row_number:
                    target["row_numbers"].append(profile["name"])
                rows.extend(
                    column_leakage(
                        data,
                        profile,
                        sorted_values,
                        target,
                        id_like=id_like,
                        threshold=self.leakage_threshold,
                        row_number=row_number,
                    )
                )
            if data.codes is not None:
                row_key.add(data.codes)
            elif data.values is not None:
                row_key.add_floats(data.values)
            if profile["kind"] in ("numeric", "boolean") and profile["n_unique"] > 1:
                corr_names.append(profile["name"])
                corr_arrays.append(data.values)
            profiles.append(profile)
        return profiles, corr_names, corr_arrays

    def _screen_findings(self, screen, profiles, corr_names, corr_arrays):
        """Findings across columns: how values go missing, the skipped dip test."""
        if self.time_column is not None and not screen.candidates:
            raise ValueError(
                f"time_column={self.time_column!r} is not a column of X; columns "
                f"are {[p['name'] for p in profiles][:20]}."
            )
        kinds = {p["name"]: p["kind"] for p in profiles}
        numeric = [i for i, n in enumerate(corr_names) if kinds[n] == "numeric"]
        rows = mcar_findings(
            [corr_arrays[i] for i in numeric], [corr_names[i] for i in numeric]
        )
        rows.extend(
            predictable_missing_findings(screen.names, screen.masks, screen.codes)
        )
        rows.extend(skipped_multimodal_findings(screen.n_numeric))
        return rows

    def _table_findings(self, n_rows, n_groups, corr_names, corr_arrays):
        """Findings about the whole table: few rows, duplicates, correlations."""
        rows = few_rows_findings(n_rows)
        rows.extend(duplicate_findings(n_rows - n_groups, n_rows))
        corr = correlation_matrix(corr_arrays)
        rows.extend(correlation_findings(corr_names, corr, self.correlation_threshold))
        return rows

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
        summary = violations_message(violations)
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
            A new batch; fitted columns it lacks are left out.

        Returns
        -------
        psi : Series
            PSI per fitted column present in ``X`` (NaN where the batch has
            fewer than ``drift_min_samples`` non-missing values or the column
            has no bins). Below 0.1 is usually read as stable, above 0.2 as a
            significant shift; on a batch of ``m`` values sampling alone gives
            about ``(k - 1) / m`` with ``k`` bins, and :meth:`validate` reports
            drift only beyond that noise.
        """
        check_is_fitted(self)
        return batch_drift(self._batch(X)[2], min_samples=self.drift_min_samples)

    def _violation_params(self):
        return {
            "range_tolerance": self.range_tolerance,
            "drift_threshold": self.drift_threshold,
            "drift_min_samples": self.drift_min_samples,
        }

    def _violations(self, X):
        X_out, sklearn_message, pairs, schema = self._batch(X)
        violations = batch_violations(pairs, schema, **self._violation_params())
        return violations, sklearn_message, X_out

    def _batch(self, X, columns=True):
        """Check the container; pair each fitted profile with its column.

        Returns ``(X_out, sklearn_message, pairs, schema_rows)``: what
        ``transform`` hands back, scikit-learn's feature-name message (None when
        the names match), the ``(profile, column)`` pairs and the schema
        violations.
        """
        if is_dataframe(X) and self.contract_["input"] != "numpy":
            return self._frame_batch(X, columns)
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
            return X_out, None, [], []
        source = X if is_dataframe(X) else np.asarray(X_out)
        profiles = self.contract_["columns"]
        pairs = [(p, col) for p, (_, _, col) in zip(profiles, iter_columns(source))]
        return X_out, None, pairs, []

    def _frame_batch(self, X, columns):
        """A frame checked against a contract fitted on a frame: columns by name."""
        self._check_frame(X)
        sklearn_message = None
        if hasattr(self, "feature_names_in_"):
            try:
                _check_feature_names(self, X, reset=False)
            except ValueError as exc:
                sklearn_message = str(exc)
        if not columns:
            return X, sklearn_message, [], []
        pairs, schema = pair_frame_columns(self.contract_["columns"], X)
        return X, sklearn_message, pairs, schema

    # -- outputs -----------------------------------------------------------------
    @property
    def findings_(self):
        check_is_fitted(self)
        if self._findings is None:
            self._findings = self._findings_of_parts()
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

        return plot_eda(X, y, task=getattr(self, "task_", None))

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
