"""The one rule that reads the learning task from a target.

Every object that needs the task (the workflow runner, ``ModelSelector``,
``DataQualityChecker``, ``evaluate``) calls :func:`infer_task` when the task is
not given, so they cannot disagree.
"""

import numpy as np
import pandas as pd

from sklearn_workflow.utils._dataframe import (
    column_kind,
    factorize,
    missing_mask,
    to_float_array,
)

__all__ = [
    "TASK_TYPES",
    "infer_task",
    "is_classification",
    "match_class",
    "minority_class",
    "normalize_task",
    "task_choice_note",
]

TASK_TYPES = ("binary_classification", "multiclass_classification", "regression")
# Integer-valued targets with more distinct values than this are regression.
MAX_CLASSES = 20
# From this many distinct integer values on, reading them as classes is a close
# call: the workflow's report says which task was chosen and how to change it.
AMBIGUOUS_FROM = 10
# The short names ModelSelector also takes.
_ALIASES = ("classification", "regression")


def _read_target(y):
    """``(task, n_distinct, kind)`` of a target; kind is "labels" or "numbers"."""
    col = _as_column(y)
    kind = column_kind(col)
    present = ~missing_mask(col)
    if kind in ("boolean", "categorical"):
        codes, _ = factorize(col)
        n_distinct = int(np.unique(codes[present]).size)
        return _classes(n_distinct), n_distinct, "labels"
    if kind != "numeric":
        raise ValueError(
            f"cannot infer the task from a target of kind {kind!r} "
            f"(dtype {getattr(col, 'dtype', None)}): expected numbers, booleans, "
            "strings or categories"
        )
    values = to_float_array(col)[present]
    n_distinct = int(np.unique(values).size)
    whole = np.all(np.isfinite(values)) and np.all(values == np.round(values))
    if not whole or n_distinct > MAX_CLASSES:
        return "regression", n_distinct, "numbers"
    return _classes(n_distinct), n_distinct, "numbers"


def _as_column(y):
    """A 1-D column (pandas or polars Series, or ndarray) from any target."""
    if isinstance(y, pd.DataFrame) or (hasattr(y, "shape") and len(y.shape) == 2):
        if y.shape[1] != 1:
            raise ValueError(f"a target has one column; got shape {tuple(y.shape)}")
        if isinstance(y, pd.DataFrame):
            y = y.iloc[:, 0]
        elif hasattr(y, "columns"):  # a polars frame
            y = y.get_column(y.columns[0])
        else:
            y = np.asarray(y)[:, 0]
    if isinstance(y, pd.Series) or hasattr(y, "to_numpy"):
        return y
    values = np.asarray(y)
    if values.dtype.kind in "OUS":
        values = np.asarray(y, dtype=object)
    return values


def _classes(n_distinct):
    return "binary_classification" if n_distinct <= 2 else "multiclass_classification"


def infer_task(y):
    """The learning task a target asks for.

    The rule, the same everywhere in the package: booleans, strings and
    categories are classes; any fractional (or infinite) number means regression;
    integer-valued numbers, whatever their dtype (one missing value turns an
    integer column into floats), are classes when they take at most 20 distinct
    values and regression otherwise. Two distinct labels (or fewer) make a binary
    problem. Missing values are ignored.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The target: a pandas or polars Series, a numpy array or a list.

    Returns
    -------
    task : {"binary_classification", "multiclass_classification", "regression"}
        The vocabulary of :attr:`ProblemSpec.type
        <sklearn_workflow.problem.ProblemSpec>`.

    See Also
    --------
    sklearn.utils.multiclass.type_of_target : Reads any integer-valued column as
        "multiclass", however many values it takes, and a float column of whole
        numbers the same way.
    task_choice_note : The sentence a report gives when the choice is close.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.problem import infer_task
    >>> infer_task(["yes", "no", "yes"])
    'binary_classification'
    >>> infer_task([1.5, 2.0, 3.25])
    'regression'

    A salary stored as integers is regression, a 1-to-5 rating is classes, and
    a missing value (which makes the column float) changes neither:

    >>> infer_task(np.arange(30_000, 90_000, 1_000))
    'regression'
    >>> infer_task([1, 5, 3, 2, 4, np.nan])
    'multiclass_classification'
    """
    return _read_target(y)[0]


def task_choice_note(y, task=None):
    """A sentence naming a close call of :func:`infer_task`, else None.

    Integer-valued targets with 10 to 20 distinct values are read as classes by
    :func:`infer_task`; they might as well be counts or scores. The note says
    which task was chosen and how to ask for the other one.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The target.
    task : str, default=None
        The task in use; None means the inferred one. A task that was given
        (not inferred) gets no note.

    Returns
    -------
    note : str or None

    Examples
    --------
    >>> from sklearn_workflow.problem._task import task_choice_note
    >>> print(task_choice_note(list(range(12)) * 3))
    The target takes 12 distinct integer values: read as classes
    (multiclass_classification); pass task="regression" (--task regression) to
    predict it as a number.
    >>> task_choice_note([0, 1, 1]) is None
    True
    """
    inferred, n_distinct, kind = _read_target(y)
    if task is not None and normalize_task(task, y) != inferred:
        return None
    if kind != "numbers" or not AMBIGUOUS_FROM <= n_distinct <= MAX_CLASSES:
        return None
    return (
        f"The target takes {n_distinct} distinct integer values: read as classes\n"
        f'({inferred}); pass task="regression" (--task regression) to\n'
        "predict it as a number."
    )


def normalize_task(task, y=None):
    """A task in :func:`infer_task`'s vocabulary.

    ``"auto"`` or None read the task from ``y``; ``"classification"`` (the short
    alias that :class:`~sklearn_workflow.selection.ModelSelector` also takes)
    becomes binary or multiclass by the number of distinct values of ``y``.

    Parameters
    ----------
    task : {"auto", "binary_classification", "multiclass_classification", \
"regression", "classification"} or None
    y : array-like of shape (n_samples,), default=None
        Needed for ``"auto"``, None and ``"classification"``.

    Returns
    -------
    task : {"binary_classification", "multiclass_classification", "regression"}

    Examples
    --------
    >>> from sklearn_workflow.problem._task import normalize_task
    >>> normalize_task("classification", [3, 1, 2])
    'multiclass_classification'
    >>> normalize_task("regression")
    'regression'
    """
    if task in TASK_TYPES:
        return task
    if task not in (None, "auto", *_ALIASES):
        raise ValueError(
            f"task must be one of {('auto', *TASK_TYPES, *_ALIASES)}; got {task!r}"
        )
    if task == "regression":
        return task
    if y is None:
        raise ValueError(f"task={task!r} needs the target to be resolved")
    if task == "classification":
        col = _as_column(y)
        codes, _ = factorize(col)
        return _classes(int(np.unique(codes[codes >= 0]).size))
    return infer_task(y)


def is_classification(task):
    """Whether a task (either vocabulary) is a classification task.

    Examples
    --------
    >>> from sklearn_workflow.problem._task import is_classification
    >>> is_classification("binary_classification"), is_classification("regression")
    (True, False)
    """
    return task != "regression"


def minority_class(y):
    """The positive class of a binary target read without a card: the rarer label.

    Churn, default and fraud are the rare events a binary model is usually built
    to find, so a card read from the target (:meth:`ProblemSpec.from_target
    <sklearn_workflow.problem.ProblemSpec.from_target>`) calls the less frequent
    label positive; on a tie, the greater label, as scikit-learn does. Missing
    values are ignored.

    Parameters
    ----------
    y : array-like of shape (n_samples,)

    Returns
    -------
    label : object
        A Python scalar (numpy scalars are unwrapped).

    Examples
    --------
    >>> from sklearn_workflow.problem._task import minority_class
    >>> minority_class(["No", "Yes", "No", None])
    'Yes'
    >>> minority_class([1, 0, 0, 1])
    1
    """
    codes, uniques = factorize(_as_column(y))
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    if len(uniques) == 0:
        raise ValueError("the target has no non-missing value")
    rarest = np.flatnonzero(counts == counts.min())
    labels = [uniques[i] for i in rarest]
    label = max(labels) if len(labels) > 1 else labels[0]
    return label.item() if isinstance(label, np.generic) else label


def match_class(y, value):
    """The label of ``y`` that ``value`` names, also when given as text.

    A class given on the command line arrives as a string ("1", "True"): it
    names the label whose text is the same.

    Raises
    ------
    ValueError
        No label of ``y`` is ``value`` or reads as it; the message lists the
        labels.

    Examples
    --------
    >>> from sklearn_workflow.problem._task import match_class
    >>> match_class([0, 1, 1], "1"), match_class(["a", "b"], "b")
    (1, 'b')
    """
    _, uniques = factorize(_as_column(y))
    labels = [u.item() if isinstance(u, np.generic) else u for u in uniques]
    for same in (
        lambda a, b: type(a) is type(b) and a == b,
        lambda a, b: str(a) == str(b),
    ):
        for label in labels:
            if same(label, value):
                return label
    raise ValueError(
        f"positive class {value!r} is not a class of the target; its classes are "
        f"{sorted(map(str, labels))}"
    )
