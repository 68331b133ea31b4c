"""skl2onnx parsers, shape calculators and converters of the package's estimators.

:func:`register_converters` registers them with ``update_registered_converter``:

- ``TableCleaner`` and ``DataQualityChecker`` are identities on the graph's typed
  inputs (numbers, int64 dates, strings): their parsers hand the inputs on. The
  cleaner's reading of text as numbers and the checker's contract checks happen
  before the graph (see :func:`~sklearn_workflow.deploy._onnx.onnx_inputs`);
- ``LogTransformer``, ``Binner`` (ordinal and one-hot), ``RatioFeatures``,
  ``TargetEncoder`` and ``DateFeatureExtractor`` compute their columns as numpy
  does, in the graph's float type (float64 by default);
- ``ThresholdTunedClassifier`` converts its fitted estimator and labels the rows
  with the tuned threshold (``score >= threshold_``);
- ``ModelSelector`` converts its refitted winner, ``WeightedEnsemble`` the
  weighted mean of its members' probabilities (or predictions);
- ``GroupAggregator``: see ``_groups.py``;
- scikit-learn's imputer and trees: see ``_sklearn.py``;
- ``Binner(encode="label")`` and ``GroupAggregator(handle_unknown="error")`` are
  refused by name (``_export._refusal``).
"""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from sklearn_workflow.deploy._onnx._dates import convert_dates
from sklearn_workflow.deploy._onnx._graph import GraphBuilder

__all__ = ["FLOAT", "_ColumnJoin", "register_converters", "tuned_threshold"]

# The float type of the graph being converted (set by to_onnx).
FLOAT = {"dtype": np.float64, "join_after": set(), "keep": []}
_PREFIX = "SklearnWorkflow"
_ONNX_TYPES = {1: "float", 11: "float", 7: "int64", 8: "string", 9: "bool"}


def _float_tensor(shape):
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    kind = DoubleTensorType if FLOAT["dtype"] == np.float64 else FloatTensorType
    return kind(shape)


def _input_columns(g, operator):
    """One node per input column of the operator: ``(node, kind)`` with kind
    "float", "int64" or "string"."""
    columns = []
    for variable in operator.inputs:
        kind = _ONNX_TYPES.get(variable.type.to_onnx_type().tensor_type.elem_type)
        width = variable.type.shape[1] if len(variable.type.shape) == 2 else 1
        if width is None:
            raise ValueError(
                f"input {variable.raw_name!r} has an unknown number of columns"
            )
        for j in range(width):
            node = variable.onnx_name if width == 1 else g.column(variable.onnx_name, j)
            if kind == "float":
                node = g.to_float(node)  # float32 or float64 to the graph's type
            columns.append((node, kind))
    return columns


def _numeric(model, column, name):
    node, kind = column
    if kind == "string":
        raise TypeError(
            f"{type(model).__name__}: column {name!r} is text in the ONNX graph; "
            "it must be a number there."
        )
    return node if kind == "float" else None


def _as_float(g, model, column, name):
    """A passed-through or numeric column as a float node."""
    node = _numeric(model, column, name)
    return g.to_float(column[0]) if node is None else node


# -- the feature transformers: their output columns as float nodes ---------------------
def _log_columns(g, model, columns):
    names = model._input_names()
    logs = {}
    for k, i in enumerate(model.column_indices_):
        x = _as_float(g, model, columns[i], names[i])
        if np.isnan(model.min_[k]):
            logs[int(i)] = [
                g.op("Add", g.op("Mul", x, g.const([0.0])), g.const([np.nan]))
            ]
            continue
        shifted = g.op("Add", g.op("Max", x, g.const([model.min_[k]])),
                       g.const([model.offset_[k] + 1.0]))  # fmt: skip
        logs[int(i)] = [g.nan_where(g.op("IsNaN", x), g.op("Log", shifted))]
    return model._in_place(lambda i: _as_float(g, model, columns[i], names[i]), logs)


def _binner_columns(g, model, columns):
    if model.encode == "label":
        raise NotImplementedError(
            "Binner(encode='label') outputs text labels, which the ONNX graph's "
            "numeric output cannot hold; use encode='ordinal' or 'onehot'."
        )
    names = model._input_names()
    binned = {}
    for k, i in enumerate(model.column_indices_):
        x = _as_float(g, model, columns[i], names[i])
        inner = np.asarray(model.bin_edges_[k][1:-1], dtype=FLOAT["dtype"])
        missing = g.op("IsNaN", x)
        if inner.size:
            numbers = g.to_float(
                g.count_at_most(x, inner, strict=model.closed == "right")
            )
        else:
            numbers = g.op("Mul", x, g.const([0.0]))
        numbers = g.nan_where(missing, numbers)
        if model.encode == "ordinal":
            binned[int(i)] = [numbers]
            continue
        binned[int(i)] = [
            g.nan_where(
                missing, g.to_float(g.op("Equal", numbers, g.const([float(b)])))
            )
            for b in range(model.n_bins_[k])
        ]
    return model._in_place(lambda i: _as_float(g, model, columns[i], names[i]), binned)


def _ratio_columns(g, model, columns):
    names = model._input_names()
    out = [_as_float(g, model, column, name) for column, name in zip(columns, names)]
    for a, b in model.pair_indices_:
        x, y = out[a], out[b]
        if model.operation == "ratio":
            if model.min_denominator is not None:
                floor = g.op("Max", y, g.const([model.min_denominator]))
                y = g.nan_where(g.op("IsNaN", y), floor)
            value = g.op("Div", x, y)
        else:
            value = g.op("Mul" if model.operation == "product" else "Sub", x, y)
        bad = g.op("Or", g.op("IsNaN", value), g.op("IsInf", value))
        out.append(g.nan_where(bad, value))
    return out


def _category_index(g, column, categories, n_cat):
    """Per row, the position of the value in ``categories``; ``n_cat`` for a
    missing value, ``n_cat + 1`` for an unknown one (an (N,) int64 node)."""
    node, kind = column
    if kind == "string":
        index = g.op(
            "LabelEncoder",
            node,
            domain="ai.onnx.ml",
            keys_strings=[str(c) for c in categories],
            values_int64s=list(range(n_cat)),
            default_int64=n_cat + 1,
        )
        index = g.op("Where", g.op("Equal", node, g.const([""], str)),
                     g.i64(n_cat), index)  # fmt: skip
    else:
        values = node if kind == "float" else g.to_float(node)
        try:
            table = np.asarray(categories, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                "TargetEncoder: a numeric column in the ONNX graph whose fitted "
                f"categories are not numbers ({categories[:3].tolist()!r})"
            ) from exc
        hits = g.op("Equal", values, g.const(table[None, :]))
        position = g.op("ArgMax", g.bool_to_i64(hits), axis=1, keepdims=1)
        found = g.op("ReduceMax", g.bool_to_i64(hits), g.const([1], np.int64),
                     keepdims=1)  # fmt: skip
        index = g.op("Where", g.op("Cast", found, to=9), position, g.i64(n_cat + 1))
        index = g.op("Where", g.op("IsNaN", values), g.i64(n_cat), index)
    return g.op("Reshape", index, g.const([-1], np.int64))


def _target_encoder_columns(g, model, columns):
    names = model._input_names()
    out = []
    lookups = iter(zip(model._lookup, model.categories_))
    for position, encoded in enumerate(model._encoded_mask):
        if not encoded:
            out.append(_as_float(g, model, columns[position], names[position]))
            continue
        (index, table), categories = next(lookups)
        n_cat = index.n_categories
        codes = _category_index(g, columns[position], categories[:n_cat], n_cat)
        table = np.asarray(table, dtype=FLOAT["dtype"]).reshape(n_cat + 2, -1)
        out.append(g.op("Gather", g.const(table), codes, axis=0))
    return out


def _date_columns(g, model, columns):
    names = model._input_names()
    nodes = {}
    date_positions = set(model._positions_.values())
    for position, (node, kind) in enumerate(columns):
        if position in date_positions:
            if kind != "int64" and model._sources_[_key_at(model, position)] != "epoch":
                raise TypeError(
                    f"DateFeatureExtractor: column {names[position]!r} must enter "
                    "the ONNX graph as int64 microseconds since 1970-01-01, got "
                    f"{kind}."
                )
            if kind != "int64":  # epoch seconds: to microseconds
                micros = g.op(
                    "Mul", g.op("Cast", node, to=11), g.const([1e6], np.float64)
                )
                node = g.op("Cast", g.op("Round", micros), to=7)
            nodes[position] = node
    features = convert_dates(g, model, nodes)
    dropped = date_positions if model.drop_original else set()
    passthrough = [
        _as_float(g, model, columns[i], names[i])
        for i in range(model.n_features_in_)
        if i not in dropped
    ]
    return passthrough + features


def _key_at(model, position):
    return next(k for k, p in model._positions_.items() if p == position)


_COLUMNS = {
    "LogTransformer": _log_columns,
    "Binner": _binner_columns,
    "RatioFeatures": _ratio_columns,
    "TargetEncoder": _target_encoder_columns,
    "DateFeatureExtractor": _date_columns,
}


def _feature_parser(scope, model, inputs, custom_parsers=None):
    """One operator with one output in the graph's float type (skl2onnx would
    guess float32 from int64 or string inputs)."""
    operator = scope.declare_local_operator(f"{_PREFIX}{type(model).__name__}", model)
    operator.inputs = list(inputs)
    n_out = len(model.get_feature_names_out())
    output = scope.declare_local_variable("variable", _float_tensor([None, n_out]))
    operator.outputs.append(output)
    return operator.outputs


def _feature_shape(operator):
    n_rows = operator.inputs[0].type.shape[0]
    n_out = len(operator.raw_operator.get_feature_names_out())
    operator.outputs[0].type = _float_tensor([n_rows, n_out])


def _feature_converter(scope, operator, container):
    model = operator.raw_operator
    g = GraphBuilder(scope, container, FLOAT["dtype"])
    columns = _COLUMNS[type(model).__name__](g, model, _input_columns(g, operator))
    g.output(g.concat(columns), operator.outputs[0].full_name)


# -- steps that hand their inputs on ---------------------------------------------------
class _ColumnJoin(TransformerMixin, BaseEstimator):
    """The graph's columns, joined in one matrix for a model that takes one
    (a pipeline fitted on a DataFrame without a ``DataQualityChecker``, whose
    first step is a scikit-learn estimator): ``to_onnx`` puts it first."""


def _identity_parser(scope, model, inputs, custom_parsers=None):
    """TableCleaner and DataQualityChecker: the typed inputs, unchanged; joined
    in one matrix when the next step is a scikit-learn estimator (in
    ``FLOAT["join_after"]``), which takes one input."""
    if id(model) not in FLOAT["join_after"] or len(inputs) == 1:
        return list(inputs)
    for variable in inputs:
        elem = variable.type.to_onnx_type().tensor_type.elem_type
        if elem not in (1, 11):
            raise TypeError(
                f"column {variable.raw_name!r} enters the ONNX graph as "
                f"{_ONNX_TYPES.get(elem, elem)}, but the step after "
                f"{type(model).__name__} takes numbers only: add a feature step "
                "(a ColumnTransformer) that encodes it."
            )
    operator = scope.declare_local_operator("SklearnConcat")
    operator.inputs = list(inputs)
    joined = _float_tensor([None, len(inputs)])
    operator.outputs.append(scope.declare_local_variable("joined", joined))
    return operator.outputs


def _selector_parser(scope, model, inputs, custom_parsers=None):
    """ModelSelector: its refitted winner."""
    from skl2onnx._parse import _parse_sklearn

    return _parse_sklearn(scope, model.best_estimator_, inputs, custom_parsers)


def _unused_shape(operator):  # pragma: no cover - the parser declares no operator
    raise RuntimeError("this step is parsed away before conversion")


def _unused(scope, operator, container):  # pragma: no cover - as above
    raise RuntimeError("this step is parsed away before conversion")


# -- the tuned threshold ---------------------------------------------------------------
def _on_decision(model):
    return model.response_method_ == "decision_function"


def _threshold_parser(scope, model, inputs, custom_parsers=None):
    """The estimator's probabilities (its decision function, for a threshold on
    ``decision_function``), then the labels at ``threshold_``."""
    from skl2onnx._parse import _parse_sklearn
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    # The estimator's converter gives its decision function in place of its
    # probabilities when to_onnx asks for its raw scores (see _decision.py).
    outputs = _parse_sklearn(scope, model.estimator_, inputs, custom_parsers)
    operator = scope.declare_local_operator(f"{_PREFIX}ThresholdTunedClassifier", model)
    operator.inputs = [outputs[1]]
    label_type = (
        StringTensorType if model.classes_.dtype.kind in "OUS" else Int64TensorType
    )
    operator.outputs.append(scope.declare_local_variable("label", label_type()))
    if _on_decision(model):
        score = scope.declare_local_variable("decision_function", _float_tensor([None]))
    else:
        score = scope.declare_local_variable("probabilities", _float_tensor([None, 2]))
    operator.outputs.append(score)
    return operator.outputs


def _threshold_shape(operator):
    n_rows = operator.inputs[0].type.shape[0]
    operator.outputs[0].type = operator.outputs[0].type.__class__([n_rows])
    shape = [n_rows] if _on_decision(operator.raw_operator) else [n_rows, 2]
    operator.outputs[1].type = _float_tensor(shape)


def _threshold_converter(scope, operator, container):
    model = operator.raw_operator
    g = GraphBuilder(scope, container, FLOAT["dtype"])
    classes = model.classes_
    column = int(np.flatnonzero(classes == model.pos_label_)[0])
    # In the graph's type: a tree ensemble hands float32 on.
    scores = g.op("Cast", operator.inputs[0].onnx_name, to=g.onnx_float)
    if _on_decision(model):
        # The last column is the decision function, positive toward classes_[1]
        # (a binary converter writes [-d, d] or [d]).
        decision = g.column(scores, -1)
        score = decision if column == 1 else g.op("Neg", decision)
        scores = g.op("Reshape", decision, g.const([-1], np.int64))
    else:
        score = g.column(scores, column)
    positive = g.op("GreaterOrEqual", score, g.const([tuned_threshold(model)]))
    labels = [classes[classes != model.pos_label_][0], classes[column]]
    if classes.dtype.kind in "OUS":
        neg, pos = (g.const([str(v)], str) for v in labels)
    else:
        neg, pos = (g.const([int(v)], np.int64) for v in labels)
    label = g.op("Where", positive, pos, neg)
    g.output(
        g.op("Reshape", label, g.const([-1], np.int64)), operator.outputs[0].full_name
    )
    g.output(scores, operator.outputs[1].full_name)


# -- the soft-voting ensemble of the selector -----------------------------------------
def _ensemble_parser(scope, model, inputs, custom_parsers=None):
    """WeightedEnsemble: each member's probabilities (predictions), then their
    weighted mean."""
    from skl2onnx._parse import _parse_sklearn
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    members = [
        _parse_sklearn(scope, member, inputs, custom_parsers)
        for member in model.estimators_
    ]
    operator = scope.declare_local_operator(f"{_PREFIX}WeightedEnsemble", model)
    if hasattr(model, "classes_"):
        operator.inputs = [outputs[1] for outputs in members]
        kind = (
            StringTensorType if model.classes_.dtype.kind in "OUS" else Int64TensorType
        )
        operator.outputs.append(scope.declare_local_variable("label", kind()))
        operator.outputs.append(
            scope.declare_local_variable("probabilities", _float_tensor([None, None]))
        )
    else:
        operator.inputs = [outputs[0] for outputs in members]
        operator.outputs.append(
            scope.declare_local_variable("variable", _float_tensor([None, 1]))
        )
    return operator.outputs


def _ensemble_shape(operator):
    n_rows = operator.inputs[0].type.shape[0]
    model = operator.raw_operator
    if hasattr(model, "classes_"):
        label = operator.outputs[0].type.__class__([n_rows])
        operator.outputs[0].type = label
        operator.outputs[1].type = _float_tensor([n_rows, len(model.classes_)])
    else:
        operator.outputs[0].type = _float_tensor([n_rows, 1])


def _ensemble_converter(scope, operator, container):
    model = operator.raw_operator
    g = GraphBuilder(scope, container, FLOAT["dtype"])
    weights = np.asarray(model.weights_, dtype=np.float64)
    weights = weights / weights.sum()
    classes = getattr(model, "classes_", None)
    total = None
    for variable, member, weight in zip(operator.inputs, model.estimators_, weights):
        if not weight:
            continue
        value = g.to_float(variable.onnx_name)
        if classes is None:
            value = g.op("Reshape", value, g.const([-1, 1], np.int64))
        else:  # the member's columns moved to the ensemble's classes
            align = (np.asarray(member.classes_)[:, None] == classes[None, :]) * 1.0
            value = g.op("MatMul", value, g.const(align))
        value = g.op("Mul", value, g.const([weight]))
        total = value if total is None else g.op("Add", total, value)
    if classes is None:
        g.output(total, operator.outputs[0].full_name)
        return
    best = g.op("ArgMax", total, axis=1, keepdims=0)
    if classes.dtype.kind in "OUS":
        table = g.const(classes.astype(str), str)
    else:
        table = g.const(classes.astype(np.int64), np.int64)
    g.output(g.op("Gather", table, best, axis=0), operator.outputs[0].full_name)
    g.output(total, operator.outputs[1].full_name)


def tuned_threshold(model):
    """The fitted threshold of a ThresholdTunedClassifier (``best_threshold_``,
    or ``threshold_`` in models saved before that name)."""
    state = vars(model)
    if "best_threshold_" in state:
        return float(state["best_threshold_"])
    if "threshold_" in state:
        return float(state["threshold_"])
    return float(model.threshold_)


def register_converters():
    """Register the package's estimators with skl2onnx (idempotent)."""
    from skl2onnx import update_registered_converter as update

    from sklearn_workflow.deploy._onnx._decision import register_svc
    from sklearn_workflow.deploy._onnx._groups import register_group_aggregator
    from sklearn_workflow.deploy._onnx._sklearn import register_scikit_learn
    from sklearn_workflow.features import (
        Binner,
        DateFeatureExtractor,
        LogTransformer,
        RatioFeatures,
        TargetEncoder,
    )
    from sklearn_workflow.quality import DataQualityChecker, TableCleaner
    from sklearn_workflow.selection import ModelSelector
    from sklearn_workflow.thresholds import ThresholdTunedClassifier

    register_scikit_learn(update)
    register_group_aggregator(update)
    register_svc(update)
    features = (LogTransformer, Binner, RatioFeatures, TargetEncoder)
    for cls in (*features, DateFeatureExtractor):
        alias = f"{_PREFIX}{cls.__name__}"
        update(cls, alias, _feature_shape, _feature_converter, parser=_feature_parser)
    classifier_options = {"zipmap": [False, True], "nocl": [False, True]}
    try:
        from sklearn_workflow.selection._ensemble import WeightedEnsemble
    except ImportError:  # pragma: no cover - a package without ensembles
        WeightedEnsemble = None
    if WeightedEnsemble is not None:
        update(WeightedEnsemble, f"{_PREFIX}WeightedEnsemble", _ensemble_shape,
               _ensemble_converter, parser=_ensemble_parser,
               options=classifier_options)  # fmt: skip
    for cls, parser in (
        (TableCleaner, _identity_parser),
        (DataQualityChecker, _identity_parser),
        (_ColumnJoin, _identity_parser),
        (ModelSelector, _selector_parser),
    ):
        update(cls, f"{_PREFIX}{cls.__name__}", _unused_shape, _unused, parser=parser)
    update(ThresholdTunedClassifier, f"{_PREFIX}ThresholdTunedClassifier",
           _threshold_shape, _threshold_converter, parser=_threshold_parser,
           options=classifier_options)  # fmt: skip
