"""Values for documents: JSON conversion, number formatting, verdict words.

Every report of the package (the quality report, the evaluation report, the
model card, the workflow's ``metrics.json``, its terminal summary and its HTML
page) formats values and verdicts through these functions, so a number or a
"met" reads the same everywhere.
"""

import math
from numbers import Integral, Real

import numpy as np

__all__ = ["format_value", "to_jsonable", "verdict_word"]


def to_jsonable(value):
    """A copy of ``value`` made only of JSON types.

    dicts (keys as strings), lists, tuples, numpy arrays and pandas DataFrames
    (as lists of records) are converted recursively; numpy scalars become Python
    numbers; NaN and infinities become None (JSON has no NaN); any other object
    becomes its ``str``.

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
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if hasattr(value, "to_dict") and hasattr(value, "columns"):
        return to_jsonable(value.to_dict(orient="records"))
    if isinstance(value, np.generic) and not isinstance(value, np.datetime64):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
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
        Where the value goes: a missing value (None, NaN) is "n/a" in text, "-"
        in Markdown and an empty cell in HTML; Markdown also escapes ``|`` and
        line breaks so that the value stays in its cell.

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
    if value is None or (
        isinstance(value, Real)
        and not isinstance(value, bool)
        and not isinstance(value, Integral)
        and math.isnan(value)
    ):
        return _MISSING[style]
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        return f"{float(value):.{digits}g}"
    text = str(value)
    if style == "markdown":
        text = text.replace("|", "\\|").replace("\n", " ")
    return text


_VERDICT_WORDS = {True: "met", False: "NOT met", None: "not measured"}


def verdict_word(met):
    """How every report says whether a verdict or a criterion is met.

    Parameters
    ----------
    met : bool or None
        None: the criterion could not be measured.

    Returns
    -------
    word : {"met", "NOT met", "not measured"}

    Examples
    --------
    >>> verdict_word(True), verdict_word(False), verdict_word(None)
    ('met', 'NOT met', 'not measured')
    """
    return _VERDICT_WORDS[None if met is None else bool(met)]
