"""Values for documents: JSON conversion, number formatting, verdict words.

Every report of the package (the quality report, the evaluation report, the
model card, the workflow's ``metrics.json``, its terminal summary and its HTML
page) formats values and verdicts through these functions, so a number or a
"met" reads the same everywhere.
"""

import math
from numbers import Integral, Real

import numpy as np

from sklearn_workflow.utils._dataframe import missing_mask

__all__ = ["format_value", "to_jsonable", "verdict_word"]


def to_jsonable(value):
    """A copy of ``value`` made only of JSON types.

    dicts (keys as strings), lists, tuples, numpy arrays, pandas Series and
    DataFrames (as lists of records) are converted recursively; numpy scalars
    become Python numbers; missing values (None, NaN, NaT, ``pd.NA``) and
    infinities become None (JSON has no NaN); any other object becomes its
    ``str``. ``json.dumps`` of the result never fails.

    Parameters
    ----------
    value : object

    Returns
    -------
    value : dict, list, str, int, float, bool or None

    Examples
    --------
    >>> import numpy as np
    >>> to_jsonable({"auc": np.float64(0.91), "n": np.int64(3), "gap": float("nan")})
    {'auc': 0.91, 'n': 3, 'gap': None}
    >>> day = np.datetime64("2024-01-02")
    >>> to_jsonable({1: (np.array([1.5, np.inf]), {"when": day})})
    {'1': [[1.5, None], {'when': '2024-01-02'}]}

    A nullable pandas column keeps its missing values as None:

    >>> import pandas as pd
    >>> to_jsonable(pd.Series([3, None], dtype="Int64"))
    [3, None]
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "to_dict") and hasattr(value, "columns"):
        return to_jsonable(value.to_dict(orient="records"))
    if hasattr(value, "tolist") and not isinstance(value, np.generic):
        items = value.tolist()  # an array, a Series, an Index
        if isinstance(items, list):
            return [to_jsonable(v) for v in items]
        return to_jsonable(items)  # a 0-d array's one value
    if _is_missing(value):
        return None
    if isinstance(value, np.generic) and not isinstance(value, np.datetime64):
        value = value.item()
    if isinstance(value, float) and math.isinf(value):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


_MISSING = {"text": "n/a", "markdown": "-", "html": ""}


def format_value(value, *, digits=4, style="text"):
    """A value as a document shows it.

    Parameters
    ----------
    value : object
    digits : int, default=4
        Significant digits of a real number.
    style : {"text", "markdown", "html"}, default="text"
        Where the value goes: a missing value (None, NaN, NaT, ``pd.NA``) is
        "n/a" in text, "-" in Markdown and an empty cell in HTML; Markdown also
        escapes ``|`` and turns line breaks into spaces so that the value stays
        in its cell.

    Returns
    -------
    text : str
        Booleans as "yes"/"no", integers with thousands separators, reals with
        ``digits`` significant digits.

    Examples
    --------
    >>> format_value(0.912345), format_value(12500), format_value(True)
    ('0.9123', '12,500', 'yes')
    >>> format_value(float("nan")), format_value(None, style="markdown")
    ('n/a', '-')
    >>> format_value("a|b", style="markdown")
    'a\\\\|b'
    """
    if _is_missing(value):
        return _MISSING[style]
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        return f"{float(value):.{digits}g}"
    text = str(value)
    if style == "markdown":
        text = text.replace("|", "\\|").replace("\r\n", " ")
        text = text.replace("\n", " ").replace("\r", " ")
    return text


def _is_missing(value):
    """Whether a scalar is a missing value: None, NaN, NaT or ``pd.NA``."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    if isinstance(value, (str, bytes, bool, np.bool_, Integral)):
        return False
    if hasattr(value, "__len__"):  # a container, not a missing scalar
        return False
    return bool(missing_mask(np.array([value], dtype=object))[0])


_VERDICT_WORDS = {True: "met", False: "NOT met", None: "not measured"}


def verdict_word(met):
    """How every report says whether a verdict or a criterion is met.

    Parameters
    ----------
    met : bool or None
        None (or any missing value, such as NaN in a table's column): the
        criterion could not be measured.

    Returns
    -------
    word : {"met", "NOT met", "not measured"}

    Examples
    --------
    >>> verdict_word(True), verdict_word(False), verdict_word(None)
    ('met', 'NOT met', 'not measured')
    """
    return _VERDICT_WORDS[None if _is_missing(met) else bool(met)]
