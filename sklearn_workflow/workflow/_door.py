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

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.quality._cleaner import (
    BOOLEAN_PAIRS,
    CONVERTED_TYPES,
    is_infinite,
)
from sklearn_workflow.utils._dataframe import column_kind

__all__ = [
    "BatchReport",
    "check_data",
    "conform_columns",
    "cleaner_for",
    "has_infinite",
    "inspect_batch",
    "pass_door",
    "predict_table",
    "prediction_frame",
    "row_problems",
]


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
    X, _, report = pass_door(model, X)
    return X, report


def pass_door(model, X):
    """:func:`inspect_batch`, also returning the rows as the cleaner typed them.

    Columns whose values do not have the kind the model saw at fit (numbers
    sent as text, dates as ISO strings, a JSON number in a text column) are
    converted to that kind first (:func:`conform_columns`); what does not
    convert is missing and counted in ``report.invalid``.

    Returns
    -------
    X : DataFrame
        The model's input columns, in its order, converted to their fitted kind.
    clean : DataFrame
        ``X`` after the model's cleaner (``X`` itself without one): what the
        checker judged and what the steps after it receive.
    report : BatchReport
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
    X, invalid = conform_columns(model, X)
    clean = X
    if cleaner_for(cleaner, X) is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # counted in report.invalid
            clean, found = cleaner.transform(X, return_report=True)
        invalid.append(found[found["n_invalid"] > 0])
    report.invalid = pd.concat(invalid, ignore_index=True) if invalid else None
    if checker is not None:
        report.violations = checker.validate(clean)
        _judge_drift(checker, clean, report)
    return X, clean, report


def cleaner_for(cleaner, X):
    """The cleaner when it changes ``X``: it converts a column, or ``X`` holds
    an infinite number (read as missing); None when it would pass ``X`` as it
    is (checking a one-row frame costs microseconds, the cleaner a millisecond).
    A cleaner not fitted by this package's rules (no ``column_types_``) is
    always called.
    """
    if cleaner is None:
        return None
    kinds = set(getattr(cleaner, "column_types_", {"?": "unknown"}).values())
    if kinds & set(CONVERTED_TYPES) or "unknown" in kinds:
        return cleaner
    return cleaner if has_infinite(X) else None


def has_infinite(X):
    """Whether a DataFrame or array holds an infinite number (float columns)."""
    if isinstance(X, pd.DataFrame):
        return any(
            getattr(dtype, "kind", "") == "f"
            and bool(np.isinf(X[name].to_numpy(np.float64, na_value=np.nan)).any())
            for name, dtype in X.dtypes.items()
        )
    if not hasattr(X, "dtype") and not isinstance(X, (list, tuple)):
        return True  # polars and other frames: the cleaner looks
    values = np.asarray(X)
    if values.dtype.kind == "O":
        return True
    return values.dtype.kind == "f" and bool(np.isinf(values).any())


def _fitted_kinds(model):
    """``{column: kind}`` of the columns the model reads as they come.

    The kind is the checker's (numeric, datetime, categorical, boolean) for the
    columns the cleaner leaves as they are; the columns the cleaner parses
    itself are left out (it counts their invalid values).
    """
    cleaner, checker = _pipeline_door(model)
    if checker is None or not hasattr(checker, "contract_"):
        return {}
    parsed = {}
    if cleaner is not None:
        parsed = {
            name
            for name, kind in cleaner.column_types_.items()
            if kind in CONVERTED_TYPES
        }
    return {
        p["label"]: (p["kind"], str(p.get("dtype")))
        for p in checker.contract_["columns"]
        if p["label"] not in parsed
    }


def conform_columns(model, X):
    """Convert the columns of ``X`` to the kind the model saw at fit.

    Text in a numeric column, text that is no ISO-8601 date in a datetime
    column become missing; numbers in a text column become their text; a
    boolean column reads true/false, 1/0 and yes/no words (anything else is
    missing). A column of the right kind is kept as it is (no copy).

    Returns
    -------
    X : DataFrame
    invalid : list of DataFrame
        One table (``column``, ``type``, ``n_invalid``, ``example``) per batch
        with values that did not convert; empty when all did.
    """
    converted, rows = {}, []
    for name, (kind, dtype) in _fitted_kinds(model).items():
        if name not in X.columns:
            continue
        col = X[name]
        if col.dtype == object and col.isna().any():
            # one missing marker, NaN, as a table read from a file has: a JSON
            # null is None, which an encoder would take for a category
            col = converted[name] = col.where(col.notna(), np.nan)
        if _has_kind(col, kind):
            continue
        values = _convert(col, kind, dtype)
        if values is None:
            continue
        lost = col.notna().to_numpy() & values.isna().to_numpy()
        converted[name] = values
        if lost.any():
            example = col[lost].iloc[0]
            rows.append((name, kind, int(lost.sum()), example))
    if converted:
        X = X.assign(**converted)
    invalid = [pd.DataFrame(rows, columns=["column", "type", "n_invalid", "example"])]
    return X, invalid if rows else []


def _has_kind(col, kind):
    """Whether ``col`` is of ``kind`` (text: every value a string)."""
    if column_kind(col) != kind:
        return False
    if kind != "categorical" or col.dtype != object:
        return True
    return pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty")


def _convert(col, kind, dtype):
    """``col`` as ``kind`` (missing where a value does not convert), or None."""
    if kind == "numeric":
        booleans = np.array([_is_bool(v) for v in col], dtype=bool)
        numbers = pd.to_numeric(col.where(~booleans), errors="coerce")
        return numbers.astype(np.float64)
    if kind == "datetime":
        aware = "," in dtype or "UTC" in dtype
        text = col.astype(object).where(col.notna(), None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
        zone = re.search(r", (.+)\]", dtype)
        if aware and zone:
            return values.dt.tz_convert(zone.group(1))
        values = values.dt.tz_localize(None)
        return values.astype(dtype) if dtype.startswith("datetime64[") else values
    if kind == "categorical":
        return col.map(str, na_action="ignore").astype(object)
    if kind == "boolean":
        words = col.astype(str).str.strip().str.lower().map(_BOOLEAN_WORDS)
        return pd.Series(pd.array(words.to_numpy(), dtype="boolean"), index=col.index)
    return None


def _is_bool(value):
    """JSON true/false are not numbers."""
    return isinstance(value, (bool, np.bool_))


# What a value sent for a boolean column reads as, written as text and
# lower-cased: the cleaner's yes/no words, and 1/0 (anything else is missing).
_BOOLEAN_WORDS = {
    word: value
    for pair in (*BOOLEAN_PAIRS, ("1", "0"), ("1.0", "0.0"))
    for word, value in zip(pair, (True, False))
}


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
        predictions = model.predict(X)
        proba = model.predict_proba(X) if hasattr(model, "predict_proba") else None
    classes = getattr(model, "classes_", None)
    return prediction_frame(predictions, proba, classes), report


def prediction_frame(predictions, proba=None, classes=None):
    """What ``predict`` writes: ``prediction``, then ``proba_<class>`` columns."""
    result = pd.DataFrame({"prediction": predictions})
    if proba is not None:
        for k, label in enumerate(classes):
            result[f"proba_{label}"] = proba[:, k]
    return result


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


def row_problems(model, raw, clean, report):
    """Which rows hold the values behind each problem the door found.

    The door judges columns (a batch, a column: is this more than chance?);
    a server answers per row. For every invalid column and every contract
    violation of ``report``, the rows whose own value is the cause are listed:
    a value that did not convert, a missing value (``missing``), one outside the
    fitted range (``out_of_range``), a category not seen at fit
    (``unseen_category``), an infinite number, a value of another kind
    (``kind``). Drift concerns a batch, not a row: it is left out.

    Parameters
    ----------
    model : Pipeline
    raw : DataFrame
        The rows as received (the model's columns, before conversion).
    clean : DataFrame
        The rows after the door (:func:`pass_door`).
    report : BatchReport

    Returns
    -------
    problems : list of list of dict
        Per row, ``{"column", "kind", "value"}`` for each problem of the row.
    """
    rows = [[] for _ in range(len(raw))]

    def add(column, kind, mask):
        values = raw[column].to_numpy(dtype=object)
        for i in np.flatnonzero(mask):
            rows[i].append({"column": column, "kind": kind, "value": values[i]})

    cleaner, checker = _pipeline_door(model)
    if report.invalid is not None:
        markers = _missing_markers(cleaner)
        for column in dict.fromkeys(report.invalid["column"]):
            col = raw[column]
            lost = col.notna().to_numpy() & clean[column].isna().to_numpy()
            text = col[lost].map(lambda v: str(v).strip().lower())
            lost[lost] = ~(col[lost].map(type).eq(str) & text.isin(markers)).to_numpy()
            infinite = np.zeros(len(col), dtype=bool)
            infinite[lost] = col[lost].map(is_infinite).to_numpy(dtype=bool)
            add(column, "infinite", infinite)
            add(column, "invalid", lost & ~infinite)
    if report.violations is not None and checker is not None:
        profiles = {p["name"]: p for p in checker.contract_["columns"]}
        for check, column in zip(
            report.violations["check"], report.violations["column"]
        ):
            profile = profiles.get(column)
            if profile is not None and column in clean.columns:
                mask = _offending(str(check), clean[column], profile, checker)
                if mask is not None:
                    add(column, _ROW_KINDS.get(str(check), str(check)), mask)
    return rows


def _missing_markers(cleaner):
    """The strings the cleaner reads as missing (not invalid values)."""
    from sklearn_workflow.quality._profile import NULL_LIKE

    markers = getattr(cleaner, "missing_markers", None)
    if markers is None:
        return set(NULL_LIKE)
    return {str(m).strip().lower() for m in markers}


_ROW_KINDS = {"unseen_categories": "unseen_category"}


def _offending(check, col, profile, checker):
    """The rows of ``col`` behind one violation ``check`` (None: not per row)."""
    present = col.notna().to_numpy()
    if check == "missing":
        return ~present
    if check == "kind":
        return present
    if check == "unseen_categories":
        seen = set(profile.get("categories") or ())
        return present & ~col.map(lambda v: v in seen, na_action="ignore").fillna(
            True
        ).to_numpy(dtype=bool)
    if check not in ("out_of_range", "infinite"):
        return None
    if profile["kind"] == "datetime":
        if getattr(col.dt, "tz", None) is not None:
            col = col.dt.tz_convert("UTC").dt.tz_localize(None)
        stamps = col.to_numpy(dtype="datetime64[us]").astype(np.int64)
        values = np.where(present, stamps.astype(np.float64), np.nan)
    else:
        values = pd.to_numeric(col, errors="coerce").to_numpy(np.float64)
    if check == "infinite":
        return np.isinf(values)
    width = profile["max"] - profile["min"]
    tolerance = checker.range_tolerance * width
    with np.errstate(invalid="ignore"):
        return (values < profile["min"] - tolerance) | (
            values > profile["max"] + tolerance
        )
