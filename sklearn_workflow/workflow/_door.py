"""New rows at a saved model's door: one rule for ``predict`` (and any server).

A batch is typed by the model's fitted :class:`~sklearn_workflow.quality.TableCleaner`
and judged by its :class:`~sklearn_workflow.quality.DataQualityChecker`, both
fitted on the training rows; what they find is reported, never a crash:

- a column the model needs and the batch lacks is an error naming it;
- columns the model does not use are ignored and listed;
- text in a numeric column, unparseable dates and booleans become missing and are
  counted per column, with an example;
- contract violations (ranges, categories, missing rates) are judged for the
  batch's size by the checker; drift is not computed below the checker's
  ``drift_min_samples`` rows;
- with ``strict``, any of these is an error (exit 2) naming the column.
"""

import warnings
from dataclasses import dataclass, field

import pandas as pd

from sklearn_workflow.exceptions import BadInputError

__all__ = ["BatchReport", "check_data", "inspect_batch", "predict_table"]


@dataclass
class BatchReport:
    """What the door found in a batch of new rows.

    Attributes
    ----------
    n_rows : int
    extra_columns : list of str
        Columns the model does not use (ignored).
    invalid : DataFrame
        Per column retyped by the cleaner with values that did not parse:
        ``column``, ``type``, ``n_invalid``, ``example``.
    violations : DataFrame
        The checker's violations (``check``, ``column``, ``observed``,
        ``expected``, ``message``...).
    drift : dict of {str: float}
        Columns whose PSI passed the checker's threshold; empty below the
        checker's minimum batch size (``drift_skipped`` says so).
    """

    n_rows: int
    extra_columns: list = field(default_factory=list)
    invalid: pd.DataFrame = None
    violations: pd.DataFrame = None
    drift: dict = field(default_factory=dict)
    drift_skipped: str = ""

    @property
    def problems(self):
        """One ``(column, what)`` pair per invalid column and per violation."""
        rows = []
        if self.invalid is not None:
            for row in self.invalid.itertuples(index=False):
                rows.append(
                    (
                        row.column,
                        f"{row.n_invalid:,} value(s) that are not {row.type} "
                        f"(e.g. {row.example!r}), read as missing",
                    )
                )
        if self.violations is not None:
            for row in self.violations.itertuples(index=False):
                rows.append((row.column, str(row.message)))
        return rows

    def lines(self):
        """The report as printed by ``predict``."""
        out = []
        if self.extra_columns:
            out.append(f"ignoring columns the model does not use: {self.extra_columns}")
        problems = self.problems
        if problems:
            out.append(
                f"{len(problems)} contract violation(s) in {self.n_rows:,} row(s):"
            )
            out += [f"  {column}: {what}" for column, what in problems]
        else:
            out.append(f"no contract violation in {self.n_rows:,} row(s)")
        if self.drift:
            out.append(f"drift (PSI above threshold): {self.drift}")
        elif self.drift_skipped:
            out.append(self.drift_skipped)
        return out


def _pipeline_door(model):
    """The model's cleaner and checker (either may be absent in older models)."""
    steps = dict(getattr(model, "steps", []))
    cleaner = steps.get("clean")
    checker = steps.get("quality")
    if checker is None and steps:
        first = model.steps[0][1]
        checker = first if hasattr(first, "validate") else None
    return cleaner, checker


def inspect_batch(model, X):
    """Select the model's columns of ``X`` and judge them at the door.

    Returns
    -------
    X : DataFrame
        The model's input columns, in its order.
    report : BatchReport

    Raises
    ------
    BadInputError
        ``X`` lacks columns the model needs (named).
    """
    report = BatchReport(n_rows=len(X))
    expected = getattr(model, "feature_names_in_", None)
    if expected is not None:
        missing = [c for c in expected if c not in X.columns]
        if missing:
            raise BadInputError(f"the data lacks the model's input columns {missing}")
        report.extra_columns = [c for c in X.columns if c not in set(expected)]
        X = X[list(expected)]
    cleaner, checker = _pipeline_door(model)
    clean = X
    if cleaner is not None:
        found = cleaner.transform_report(X)
        report.invalid = found[found["n_invalid"] > 0].reset_index(drop=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # counted in report.invalid
            clean = cleaner.transform(X)
    if checker is not None:
        report.violations = checker.validate(clean)
        _judge_drift(checker, clean, report)
    return X, report


def _judge_drift(checker, X, report):
    """The columns the checker's own drift rule flags (PSI beyond its sampling
    noise and a chi-square test), or why drift was not judged."""
    minimum = getattr(checker, "drift_min_samples", 0)
    if len(X) < minimum:
        report.drift_skipped = (
            f"drift not judged: {len(X):,} row(s), fewer than the {minimum:,} "
            "the checker needs (drift_min_samples)"
        )
        return
    violations = report.violations
    if violations is None or "check" not in violations:
        return
    drift = violations[violations["check"].astype(str) == "drift"]
    report.drift = {
        str(column): round(float(value), 3)
        for column, value in zip(drift["column"], drift["value"])
    }
    report.violations = violations[violations["check"].astype(str) != "drift"]


def predict_table(model, X, *, verbose=1, strict=False):
    """Judge ``X`` at the model's door, then predict.

    Parameters
    ----------
    model : Pipeline
        A model saved by the workflow (cleaner and checker first).
    X : DataFrame
    verbose : int, default=1
        Print the door's report.
    strict : bool, default=False
        Any invalid value or contract violation is a :class:`BadInputError`
        naming the column and what was wrong.

    Returns
    -------
    predictions : DataFrame
        ``prediction`` and, for classifiers, ``proba_<class>`` columns.
    report : BatchReport
    """
    X, report = inspect_batch(model, X)
    if verbose:
        print("\n".join(report.lines()))
    problems = report.problems
    if strict and problems:
        column, what = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise BadInputError(f"--strict: column {column!r}: {what}{more}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the door has reported them
        result = pd.DataFrame({"prediction": model.predict(X)})
        if hasattr(model, "predict_proba"):
            proba = model.predict_proba(X)
            for k, label in enumerate(model.classes_):
                result[f"proba_{label}"] = proba[:, k]
    return result, report


def check_data(X, y=None, *, verbose=1):
    """Fit a DataQualityChecker on a whole table and return it (``check``).

    The target is given as it is, missing values included: the checker reports
    them (``target_missing``), as ``DataQualityChecker().fit(X, y)`` does.
    """
    from sklearn_workflow.quality import DataQualityChecker

    if len(X) == 0:
        raise BadInputError("the data has no rows")
    checker = DataQualityChecker(on_violation="ignore").fit(X, y)
    if verbose:
        print(str(checker.report_))
    return checker
