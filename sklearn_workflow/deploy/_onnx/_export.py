"""ONNX export of a fitted pipeline: the graph, its inputs, and a parity report.

The graph takes one input per column of the table the pipeline was fitted on,
typed as the pipeline's :class:`~sklearn_workflow.quality.TableCleaner` leaves
it: numbers (and booleans, as 1.0/0.0) as float64 (float32 with
``double=False``), dates as int64 microseconds since 1970-01-01 (the UTC instant
of a tz-aware date, the wall-clock time of a naive one; NaT's smallest int64 for
a missing date), text as strings (``""`` for a missing value), each of shape
``(n_rows, 1)``. :func:`onnx_inputs` builds them from a DataFrame.
"""

import json
import warnings

import numpy as np

from sklearn_workflow.utils._dataframe import (
    column_kind,
    column_names,
    get_column,
    is_dataframe,
    to_datetime_series,
    to_float_array,
)

__all__ = ["input_schema", "onnx_inputs", "session", "to_onnx", "unconvertible_step"]

INSTALL = "pip install sklearn-workflow[onnx]"
# Largest |probability difference| and label rule that export_onnx accepts.
MAX_PROBA_DIFF = 1e-5
NEAR_THRESHOLD = 1e-6
_DATES = (
    "int64 microseconds since 1970-01-01T00:00: the UTC instant of a tz-aware "
    "date, the wall-clock time of a naive one; -9223372036854775808 (NaT) for a "
    "missing date"
)
_DOOR = ("TableCleaner", "DataQualityChecker")
# The cleaner's column types that it converts (the others pass unchanged).
_CONVERTED = {"numeric", "boolean", "datetime"}


def _require():
    """skl2onnx, onnx and onnxruntime, or an ImportError saying how to get them."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import skl2onnx  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"ONNX export needs skl2onnx, onnx and onnxruntime ({exc}): {INSTALL}"
        ) from exc


# -- what the graph takes --------------------------------------------------------------
def _steps(model):
    return list(model.steps) if hasattr(model, "steps") else [("model", model)]


def _door_steps(model):
    """The leading TableCleaner / DataQualityChecker steps of a pipeline."""
    door = []
    for name, step in _steps(model):
        if type(step).__name__ not in _DOOR:
            break
        door.append((name, step))
    return door


def _schema_from_door(door):
    """``[(name, kind)]`` from the fitted checker's contract (or None)."""
    kinds = {"numeric": "number", "boolean": "number", "datetime": "date"}
    for _, step in door:
        contract = getattr(step, "contract_", None)
        if contract is not None:
            return [
                (str(p["name"]), kinds.get(p["kind"], "string"))
                for p in contract["columns"]
            ]
    return None


def input_schema(model, X_sample=None):
    """The graph's inputs: ``[(column, kind)]`` with kind "number", "date" or
    "string"; ``[("X", "number")]`` for a model fitted on an array."""
    door = _door_steps(model)
    if X_sample is not None and is_dataframe(X_sample):
        X = _clean(model, X_sample)
        kinds = {"numeric": "number", "boolean": "number", "datetime": "date"}
        return [
            (str(name), kinds.get(column_kind(get_column(X, name)), "string"))
            for name in column_names(X)
        ]
    schema = _schema_from_door(door)
    if schema is not None:
        return schema
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        raise ValueError(
            f"to_onnx: the types of the columns {list(names)[:5]} are unknown "
            "without a DataQualityChecker in the pipeline; pass X_sample, a few "
            "rows of the training table."
        )
    return [("X", "number")]


def _clean(model, X):
    """``X`` through the pipeline's TableCleaner (typed as the graph takes it)."""
    for _, step in _door_steps(model):
        types = set(getattr(step, "column_types_", {}).values())
        if type(step).__name__ == "TableCleaner" and types & _CONVERTED:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                X = step.transform(X)
    return X


def _initial_types(schema, dtype, n_features=None):
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    number = DoubleTensorType if dtype == np.float64 else FloatTensorType
    types = {"number": number, "date": Int64TensorType, "string": StringTensorType}
    if schema == [("X", "number")]:
        return [("X", number([None, n_features]))]
    return [(name, types[kind]([None, 1])) for name, kind in schema]


# -- which step does not convert -------------------------------------------------------
def _children(step):
    """The fitted sub-estimators a converter reads, with their names."""
    if hasattr(step, "steps"):
        return list(step.steps)
    if hasattr(step, "transformers_"):
        return [(n, t) for n, t, _ in step.transformers_ if not isinstance(t, str)]
    name = type(step).__name__
    if name == "ThresholdTunedClassifier":
        return [("estimator_", step.estimator_)]
    if name == "ModelSelector":
        return [("best_estimator_", step.best_estimator_)]
    if name == "WeightedEnsemble":
        return [(n, e) for (n, _), e in zip(step.estimators, step.estimators_)]
    if hasattr(step, "estimators_") and hasattr(step, "named_estimators_"):
        return list(step.named_estimators_.items())
    return []


def unconvertible_step(model):
    """``"path (Class)"`` of the first step without an ONNX converter, or None."""
    found = _first_unconvertible(model)
    return None if found is None else found[0]


# Why the steps that skl2onnx does not know stay unconverted, by class name.
_WITHOUT_CONVERTER = {
    "StringEncoder": (
        "skrub's StringEncoder counts character n-grams within words "
        "(TfidfVectorizer(analyzer='char_wb')), which skl2onnx's text converter "
        "refuses (it converts word tokens only), and standard ONNX has no "
        "operator that splits a string into characters"
    ),
    "LGBMClassifier": "LightGBM's converter is in onnxmltools, not in skl2onnx",
    "LGBMRegressor": "LightGBM's converter is in onnxmltools, not in skl2onnx",
    "XGBClassifier": "XGBoost's converter is in onnxmltools, not in skl2onnx",
    "XGBRegressor": "XGBoost's converter is in onnxmltools, not in skl2onnx",
}


def _refusal(step):
    """Why a step does not convert, where we know (None: no known reason)."""
    name = type(step).__name__
    if name == "Binner" and step.encode == "label":
        return (
            "Binner(encode='label') outputs text labels, which the graph's "
            "numeric output cannot hold; use encode='ordinal' or 'onehot'"
        )
    if name == "GroupAggregator" and step.handle_unknown == "error":
        return (
            "GroupAggregator(handle_unknown='error') raises on a group not seen "
            "at fit, which an ONNX graph cannot do; use handle_unknown='global' "
            "or 'nan'"
        )
    return _WITHOUT_CONVERTER.get(name)


def not_converted(found):
    """The message of a step that does not convert (``_first_unconvertible``)."""
    step, reason = found
    return f"step {step} does not convert to ONNX" + (f": {reason}" if reason else "")


def _first_unconvertible(model):
    """``("path (Class)", reason or None)`` of the first step that does not
    convert, or None."""
    _require()
    from skl2onnx._supported_operators import sklearn_operator_name_map

    from sklearn_workflow.deploy._onnx._converters import register_converters
    from sklearn_workflow.deploy._onnx._decision import (
        decision_refusal,
        decision_scored,
    )

    register_converters()
    scored = decision_scored(model)

    def walk(step, path):
        children = _children(step)
        if children and not hasattr(step, "named_estimators_"):
            for name, child in children:
                found = walk(child, f"{path} > {name}" if path else name)
                if found:
                    return found
            return None
        reason = _refusal(step) or decision_refusal(step, scored)
        if reason is not None or type(step) not in sklearn_operator_name_map:
            return f"{path or 'model'} ({type(step).__name__})", reason
        return None

    return walk(model, "")


def _classifier_options(model):
    """Plain arrays out of every classifier (``zipmap=False``), and the raw
    scores (the decision function) of the one the graph scores by it."""
    from sklearn.base import is_classifier

    from sklearn_workflow.deploy._onnx._decision import (
        allowed_options,
        decision_scored,
    )

    scored = decision_scored(model)
    options, stack = {}, [model]
    while stack:
        step = stack.pop()
        children = _children(step)
        stack.extend(child for _, child in children)
        if is_classifier(step) and not hasattr(step, "steps"):
            allowed = allowed_options(step)
            chosen = {}
            if allowed is None or "zipmap" in allowed:
                chosen["zipmap"] = False
            if id(step) in scored:
                chosen["raw_scores"] = True
            if chosen:
                options[id(step)] = chosen
    return options


# -- to_onnx ---------------------------------------------------------------------------
def to_onnx(model, X_sample=None, *, target_opset=None, double=True):
    """Convert a fitted pipeline to an ONNX model that keeps its threshold.

    Every step of the package converts (see Notes), with scikit-learn's own
    steps through skl2onnx; the graph's label output of a
    :class:`~sklearn_workflow.thresholds.ThresholdTunedClassifier` uses the tuned
    threshold. The graph takes one input per column, typed as the pipeline's
    :class:`~sklearn_workflow.quality.TableCleaner` leaves it (numbers as
    floats, dates as int64 microseconds since 1970-01-01, text as strings); use
    :func:`onnx_inputs` to build them from a DataFrame.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        A pipeline saved by the workflow, or any pipeline of the package's
        steps and scikit-learn estimators that skl2onnx converts.
    X_sample : DataFrame or None, default=None
        A few training rows; their column types give the graph's input types.
        None reads them from the pipeline's fitted
        :class:`~sklearn_workflow.quality.DataQualityChecker`.
    target_opset : int or None, default=None
        The ONNX opset; None is skl2onnx's latest tested one.
    double : bool or "auto", default=True
        Compute in float64 (the parity of a scikit-learn model); False computes
        in float32; "auto" tries float64 and falls back to float32 when a step
        or onnxruntime cannot run float64.

    Returns
    -------
    onnx_model : onnx.ModelProto
        Outputs ``label`` (shape ``(n,)``) and, for a classifier,
        ``probabilities`` (``(n, n_classes)``, in the order of ``classes_``);
        ``variable`` for a regressor. A classifier without ``predict_proba``,
        or whose threshold is tuned on ``decision_function``, outputs
        ``decision_function`` in place of ``probabilities``, shaped as
        scikit-learn's (``(n,)``, positive toward ``classes_[1]``, for two
        classes; ``(n, n_classes)`` otherwise). The metadata records the date
        convention, the threshold and the outputs.

    Raises
    ------
    ImportError
        Without the ``onnx`` extra (``pip install sklearn-workflow[onnx]``).
    NotImplementedError
        When a step does not convert; the message names it.

    See Also
    --------
    skl2onnx.to_onnx : Converts scikit-learn's own estimators; it exports
        ``TunedThresholdClassifierCV`` with the inner model's default threshold.

    Notes
    -----
    The converted steps: ``TableCleaner`` and ``DataQualityChecker`` (identities
    on the typed inputs: the text parsing and the contract checks stay before the
    graph), ``TargetEncoder``, ``DateFeatureExtractor`` (the local time of a
    tz-aware date comes from a table of its zone's UTC offsets, exact between
    1900 and 2100), ``LogTransformer``, ``Binner`` (ordinal and one-hot),
    ``RatioFeatures``, ``GroupAggregator`` (the fitted table, looked up per
    row; not with ``handle_unknown="error"``, which no graph can raise),
    ``ThresholdTunedClassifier`` (on probabilities or on the decision
    function) and ``ModelSelector`` (its winner).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_workflow.deploy._onnx import onnx_inputs, to_onnx
    >>> from sklearn_workflow.features import LogTransformer
    >>> from sklearn_workflow.quality import DataQualityChecker
    >>> X = pd.DataFrame({"amount": [1.0, 10.0, 100.0, np.nan, 5.0, 50.0]})
    >>> y = [0, 0, 1, 0, 0, 1]
    >>> model = make_pipeline(DataQualityChecker(), LogTransformer(columns=["amount"]),
    ...                       LogisticRegression()).fit(X.fillna(3.0), y)
    >>> onx = to_onnx(model)
    >>> [i.name for i in onx.graph.input], [o.name for o in onx.graph.output]
    (['amount'], ['label', 'probabilities'])
    """
    _require()
    from skl2onnx import convert_sklearn

    from sklearn_workflow.deploy._onnx import _converters

    _converters.register_converters()
    missing = _first_unconvertible(model)
    if missing is not None:
        raise NotImplementedError(not_converted(missing))
    schema = input_schema(model, X_sample)
    target, joined = _with_column_join(model, schema)
    dtypes = {True: [np.float64], False: [np.float32], "auto": [np.float64, np.float32]}
    errors = []
    for dtype in dtypes[double]:
        _converters.FLOAT.update(dtype=dtype, join_after=_join_after(model) | joined)
        try:
            onx = convert_sklearn(
                target,
                initial_types=_initial_types(
                    schema, dtype, getattr(model, "n_features_in_", None)
                ),
                target_opset=target_opset,
                options=_classifier_options(model),
            )
            _bare_decision(onx, model)
            if double == "auto":
                session(onx)  # onnxruntime must run it
        except Exception as exc:
            if double != "auto":
                raise
            errors.append(exc)
            continue
        finally:
            _converters.FLOAT.update(dtype=np.float64, join_after=set(), keep=[])
        _describe(onx, model, dtype, [name for name, _ in schema])
        return onx
    raise errors[-1]


def _bare_decision(onx, model):
    """A final classifier scored by its decision function (not under a tuned
    threshold): its raw scores become the ``decision_function`` output."""
    from sklearn_workflow.deploy._onnx._decision import (
        decision_output,
        decision_scored,
        final_classifier,
    )

    final = final_classifier(model)
    if decision_scored(model) and type(final).__name__ != "ThresholdTunedClassifier":
        decision_output(onx, np.asarray(final.classes_))


def _with_column_join(model, schema):
    """``(model to convert, ids of the steps that join)``: a model fitted on a
    DataFrame of numbers without a door step, whose first step takes one
    matrix, gets a ``_ColumnJoin`` first (skl2onnx would join its columns in
    float32, or not at all)."""
    from sklearn.pipeline import Pipeline

    from sklearn_workflow.deploy._onnx._converters import _ColumnJoin

    first = _steps(model)[0][1]
    by_column = (
        type(first).__module__.startswith("sklearn_workflow.")
        or hasattr(first, "transformers")
        or len(schema) < 2
        or any(kind != "number" for _, kind in schema)
    )
    if by_column:
        return model, set()
    join = _ColumnJoin()
    return Pipeline([("columns", join), ("model", model)]), {id(join)}


def _join_after(model):
    """The steps that hand the graph's columns on one by one (the door steps,
    a ``GroupAggregator``) and are followed by an estimator that takes one
    matrix: their columns are joined (a ColumnTransformer, the door steps and
    the feature steps take the columns one by one)."""
    steps = [step for _, step in _steps(model)]
    joined = set()
    for step, following in zip(steps, steps[1:]):
        if type(step).__name__ not in (*_DOOR, "GroupAggregator"):
            continue
        by_column = (
            type(following).__module__.startswith("sklearn_workflow.features")
            or type(following).__name__ in _DOOR
            or hasattr(following, "transformers")
        )
        if not by_column:
            joined.add(id(step))
    return joined


def _describe(onx, model, dtype, columns):
    """Metadata: the inputs' conventions, their columns and the threshold.

    skl2onnx renames inputs whose column name is not an identifier (``"mean
    radius"`` becomes ``mean_radius``): the columns, in the inputs' order, are
    kept under ``sklearn_workflow.columns``.
    """
    threshold = getattr(_steps(model)[-1][1], "threshold_", None)
    outputs = [o.name for o in onx.graph.output]
    meta = {
        "sklearn_workflow.outputs": json.dumps(outputs),
        "sklearn_workflow.dates": _DATES,
        "sklearn_workflow.missing_text": '""',
        "sklearn_workflow.float": np.dtype(dtype).name,
        "sklearn_workflow.threshold": "" if threshold is None else repr(threshold),
        "sklearn_workflow.columns": json.dumps([str(c) for c in columns]),
    }
    for key, value in meta.items():
        entry = onx.metadata_props.add()
        entry.key, entry.value = key, value
    onx.doc_string = "Exported by sklearn_workflow.deploy.to_onnx"


def session(onnx_model):
    """An onnxruntime session on the CPU, quiet."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


# -- inputs ----------------------------------------------------------------------------
def onnx_inputs(onnx_model, X, model=None):
    """The graph's inputs from a DataFrame: a dict of name -> array.

    Parameters
    ----------
    onnx_model : onnx.ModelProto
        From :func:`to_onnx`.
    X : DataFrame or array-like
        Rows with the columns the pipeline was fitted on.
    model : Pipeline or None, default=None
        The fitted pipeline: its ``TableCleaner`` types the raw columns first
        (numbers written as text, yes/no, date strings), as in ``predict``.

    Returns
    -------
    feeds : dict of str to ndarray
        One ``(n_rows, 1)`` array per input: float64/float32 numbers (NaN when
        missing), int64 microseconds since 1970-01-01 for dates (the smallest
        int64 when missing), strings (``""`` when missing).

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_workflow.deploy._onnx._export import _date_ticks
    >>> when = pd.Series(pd.to_datetime(["2024-03-31 03:30", None]))
    >>> _date_ticks(when.dt.tz_localize("Europe/Paris")).ravel().tolist()
    [1711848600000000, -9223372036854775808]
    """
    if model is not None:
        X = _clean(model, X)
    feeds = {}
    inputs = list(onnx_model.graph.input)
    meta = {entry.key: entry.value for entry in onnx_model.metadata_props}
    columns = json.loads(meta.get("sklearn_workflow.columns", "null"))
    if columns is None or len(columns) != len(inputs):
        columns = [variable.name for variable in inputs]
    for variable, column in zip(inputs, columns):
        elem = variable.type.tensor_type.elem_type
        if not is_dataframe(X):
            feeds[variable.name] = np.asarray(X, dtype=_NUMPY[elem])
            continue
        col = get_column(X, column)
        if elem == 7:
            feeds[variable.name] = _date_ticks(col)
        elif elem == 8:
            values = np.asarray(col, dtype=object)
            missing = np.asarray(_is_missing(values))
            text = np.where(missing, "", values).astype(str)
            feeds[variable.name] = text.astype(object).reshape(-1, 1)
        else:
            feeds[variable.name] = to_float_array(col).astype(_NUMPY[elem])[:, None]
    return feeds


_NUMPY = {1: np.float32, 11: np.float64, 7: np.int64}


def _is_missing(values):
    import pandas as pd

    return pd.isna(values)


def _date_ticks(col):
    """A date column as (n, 1) int64 microseconds (UTC instants when tz-aware)."""
    series = to_datetime_series(col)
    if getattr(series.dtype, "tz", None) is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    values = series.to_numpy().astype("datetime64[us]")
    return values.view(np.int64).reshape(-1, 1)
