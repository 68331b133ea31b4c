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
- ``ModelSelector`` converts its refitted winner;
- ``GroupAggregator`` and ``Binner(encode="label")`` are refused by name.
"""

import numpy as np

from sklearn_workflow.deploy._onnx._dates import convert_dates
from sklearn_workflow.deploy._onnx._graph import GraphBuilder

__all__ = ["FLOAT", "register_converters", "tuned_threshold"]

# The float type of the graph being converted (set by to_onnx).
FLOAT = {"dtype": np.float64, "join_after": set(), "keep": []}
_PREFIX = "SklearnWorkflow"
# The subclass of each HistGradientBoosting class whose trees split on bins.
_BINNED = {}
# scikit-learn's tree models (skl2onnx's converters).
_TREES = {
    f"{family}{task}"
    for family in ("DecisionTree", "ExtraTree", "RandomForest", "ExtraTrees",
                   "HistGradientBoosting")
    for task in ("Classifier", "Regressor")
}  # fmt: skip
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


def _refused_parser(scope, model, inputs, custom_parsers=None):
    raise NotImplementedError(
        f"{type(model).__name__} has no ONNX converter: its group lookup on "
        "several key columns of any type is not converted."
    )


def _unused_shape(operator):  # pragma: no cover - the parser declares no operator
    raise RuntimeError("this step is parsed away before conversion")


def _unused(scope, operator, container):  # pragma: no cover - as above
    raise RuntimeError("this step is parsed away before conversion")


# -- the tuned threshold ---------------------------------------------------------------
def _threshold_parser(scope, model, inputs, custom_parsers=None):
    """The estimator's probabilities, then the labels at ``threshold_``."""
    from skl2onnx._parse import _parse_sklearn
    from skl2onnx.common.data_types import Int64TensorType, StringTensorType

    if model.response_method_ != "predict_proba":
        raise NotImplementedError(
            "ThresholdTunedClassifier: only a threshold on predict_proba is "
            f"converted, got response_method_={model.response_method_!r}."
        )
    outputs = _parse_sklearn(scope, model.estimator_, inputs, custom_parsers)
    operator = scope.declare_local_operator(f"{_PREFIX}ThresholdTunedClassifier", model)
    operator.inputs = [outputs[1]]
    label_type = (
        StringTensorType if model.classes_.dtype.kind in "OUS" else Int64TensorType
    )
    operator.outputs.append(scope.declare_local_variable("label", label_type()))
    operator.outputs.append(
        scope.declare_local_variable("probabilities", _float_tensor([None, 2]))
    )
    return operator.outputs


def _threshold_shape(operator):
    n_rows = operator.inputs[0].type.shape[0]
    operator.outputs[0].type = operator.outputs[0].type.__class__([n_rows])
    operator.outputs[1].type = _float_tensor([n_rows, 2])


def _threshold_converter(scope, operator, container):
    model = operator.raw_operator
    proba = operator.inputs[0]
    g = GraphBuilder(scope, container, FLOAT["dtype"])
    classes = model.classes_
    column = int(np.flatnonzero(classes == model.pos_label_)[0])
    # In the graph's type: a tree ensemble hands float32 on.
    probabilities = g.op("Cast", proba.onnx_name, to=g.onnx_float)
    score = g.column(probabilities, column)
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
    g.output(probabilities, operator.outputs[1].full_name)


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


# -- HistGradientBoosting: its own bins, then trees on bin numbers ---------------------
def _binned_copy(model):
    """A copy of a HistGradientBoosting model whose trees split on bin numbers:
    ``x <= num_threshold`` is ``bin(x) <= bin_threshold``, and a bin number
    plus 0.5 is exact in float32, the precision of ONNX-ML tree thresholds."""
    import copy

    if getattr(model, "is_categorical_", None) is not None and np.any(
        model.is_categorical_
    ):
        raise NotImplementedError(
            f"{type(model).__name__} with categorical features does not convert "
            "to ONNX."
        )
    binned = copy.copy(model)
    binned.__class__ = _binned_class(type(model))
    binned._predictors = []
    for trees in model._predictors:
        copies = []
        for tree in trees:
            tree = copy.copy(tree)
            tree.nodes = tree.nodes.copy()
            tree.nodes["num_threshold"] = tree.nodes["bin_threshold"] + 0.5
            copies.append(tree)
        binned._predictors.append(copies)
    return binned


def _hgb_parser(scope, model, inputs, custom_parsers=None):
    """The bins of each feature (``_BinMapper``), then skl2onnx's trees."""
    from skl2onnx._parse import _parse_sklearn_classifier, _parse_sklearn_simple_model
    from skl2onnx.common.data_types import FloatTensorType

    operator = scope.declare_local_operator(f"{_PREFIX}HistGradientBoostingBins", model)
    operator.inputs = list(inputs)
    bins = FloatTensorType([None, model.n_features_in_])
    operator.outputs.append(scope.declare_local_variable("bins", bins))
    binned = _binned_copy(model)
    FLOAT["keep"].append(binned)  # alive while the graph is built (ids)
    if hasattr(model, "classes_"):
        scope.add_options(id(binned), scope.get_options(model, {"zipmap": True}))
        return _parse_sklearn_classifier(scope, binned, operator.outputs)
    return _parse_sklearn_simple_model(scope, binned, operator.outputs)


def _hgb_bins_shape(operator):
    n_rows = operator.inputs[0].type.shape[0]
    operator.outputs[0].type = operator.outputs[0].type.__class__(
        [n_rows, operator.raw_operator.n_features_in_]
    )


def _hgb_bins_converter(scope, operator, container):
    model = operator.raw_operator
    g = GraphBuilder(scope, container, np.float32)
    x = g.op("Cast", operator.inputs[0].onnx_name, to=11)
    columns = []
    for j, thresholds in enumerate(model._bin_mapper.bin_thresholds_):
        value = g.column(x, j)
        table = np.asarray(thresholds, dtype=np.float64)
        count = g.count_at_most(value, table, strict=True)  # searchsorted left
        columns.append(g.nan_where(g.op("IsNaN", value), g.to_float(count)))
    g.output(g.concat(columns), operator.outputs[0].full_name)


def _imputer_converter(scope, operator, container):
    """SimpleImputer of NaN in float64 or float32: ``Where(IsNaN(x), fill, x)``
    with the statistics in the input's type (skl2onnx's own rounds them to
    float32); other imputers go to skl2onnx's converter."""
    from skl2onnx.operator_converters.imputer_op import convert_sklearn_imputer

    model = operator.raw_operator
    variable = operator.inputs[0]
    elem = variable.type.to_onnx_type().tensor_type.elem_type
    nan_missing = isinstance(model.missing_values, float) and np.isnan(
        model.missing_values
    )
    if (
        elem not in (1, 11)
        or len(operator.inputs) != 1
        or not nan_missing
        or (model.add_indicator)
    ):
        return convert_sklearn_imputer(scope, operator, container)
    g = GraphBuilder(scope, container, np.float64 if elem == 11 else np.float32)
    statistics = np.asarray(model.statistics_, dtype=np.float64)
    x = variable.onnx_name
    if not model.keep_empty_features and np.isnan(statistics).any():
        kept = np.flatnonzero(~np.isnan(statistics))
        x = g.op("Gather", x, g.const(kept, np.int64), axis=1)
        statistics = statistics[kept]
    filled = g.op("Where", g.op("IsNaN", x), g.const(statistics[None, :]), x)
    g.output(filled, operator.outputs[0].full_name)


class _WithInputs:
    """An operator seen with other inputs (the rest is the operator's)."""

    def __init__(self, operator, inputs):
        self._operator, self.inputs = operator, inputs

    def __getattr__(self, name):
        return getattr(self._operator, name)


def _tree_converter(converter):
    """A skl2onnx tree converter that reads float64 inputs as scikit-learn's
    trees do, and writes boolean list attributes as 0/1 integers.

    scikit-learn's decision trees and forests round X to float32 before
    comparing it with their thresholds; so does the graph (a float64 value
    compared with the float32 rounding of a threshold would otherwise go to
    the other side of it). skl2onnx 1.20 writes HistGradientBoosting's
    missing-value directions as booleans, which onnx 1.17+ refuses in an
    integer attribute.
    """

    def convert(scope, operator, container):
        add_node = container.add_node
        variable = operator.inputs[0]
        elem = variable.type.to_onnx_type().tensor_type.elem_type
        rounds = elem == 11 and not type(operator.raw_operator).__name__.startswith(
            "_Binned"
        )
        if rounds:
            g = GraphBuilder(scope, container, np.float64)
            as_float32 = g.op("Cast", variable.onnx_name, to=1)
            rounded = scope.declare_local_variable("rounded", variable.type.__class__(
                variable.type.shape))  # fmt: skip
            container.add_node("Cast", [as_float32], [rounded.onnx_name], to=11,
                               name=g.name("Cast"))  # fmt: skip
            operator = _WithInputs(operator, [rounded, *operator.inputs[1:]])

        def add_node_ints(op_type, inputs, outputs, *args, **attrs):
            for key, value in attrs.items():
                if isinstance(value, list) and any(
                    isinstance(v, bool | np.bool_) for v in value
                ):
                    attrs[key] = [int(v) for v in value]
            return add_node(op_type, inputs, outputs, *args, **attrs)

        container.add_node = add_node_ints
        try:
            return converter(scope, operator, container)
        finally:
            del container.add_node

    convert.wrapped = converter
    return convert


def tuned_threshold(model):
    """The fitted threshold of a ThresholdTunedClassifier (``best_threshold_``,
    or ``threshold_`` in models saved before that name)."""
    state = vars(model)
    if "best_threshold_" in state:
        return float(state["best_threshold_"])
    if "threshold_" in state:
        return float(state["threshold_"])
    return float(model.threshold_)


def _register_scikit_learn(update):
    """A float64 SimpleImputer; tree converters that write integer attributes."""
    from skl2onnx._supported_operators import sklearn_operator_name_map
    from skl2onnx.common._registration import get_converter, get_shape_calculator
    from skl2onnx.shape_calculators.imputer import (
        calculate_sklearn_imputer_output_shapes,
    )
    from sklearn.impute import SimpleImputer

    update(
        SimpleImputer,
        "SklearnSimpleImputer",
        calculate_sklearn_imputer_output_shapes,
        _imputer_converter,
    )
    for cls, alias in list(sklearn_operator_name_map.items()):
        if cls.__name__ not in _TREES or alias.startswith(_PREFIX):
            continue
        registered = get_converter(alias)
        original = getattr(registered._fct, "wrapped", registered._fct)
        update(
            cls,
            alias,
            get_shape_calculator(alias),
            _tree_converter(original),
            options=registered.get_allowed_options(),
        )


def _binned_class(cls):
    """The subclass that the binned copy of a ``cls`` model is made of."""
    return _BINNED.setdefault(cls, type(f"_Binned{cls.__name__}", (cls,), {}))


def _register_hist_gradient_boosting(update):
    """HistGradientBoosting: our parser (bins, then skl2onnx's trees on a binned
    copy of the model, a subclass that keeps skl2onnx's converter)."""
    from skl2onnx.common._registration import (
        get_converter,
        get_shape_calculator,
        register_converter,
        register_shape_calculator,
    )
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    for cls in (HistGradientBoostingClassifier, HistGradientBoostingRegressor):
        alias = f"Sklearn{cls.__name__}"
        registered = get_converter(alias)
        options = registered.get_allowed_options()
        update(_binned_class(cls), alias, get_shape_calculator(alias),
               registered._fct, options=options)  # fmt: skip
        update(cls, f"{_PREFIX}{cls.__name__}", _unused_shape, _unused,
               parser=_hgb_parser, options=options)  # fmt: skip
    alias = f"{_PREFIX}HistGradientBoostingBins"
    register_converter(alias, _hgb_bins_converter, overwrite=True)
    register_shape_calculator(alias, _hgb_bins_shape, overwrite=True)


def register_converters():
    """Register the package's estimators with skl2onnx (idempotent)."""
    from skl2onnx import update_registered_converter as update

    from sklearn_workflow.features import (
        Binner,
        DateFeatureExtractor,
        GroupAggregator,
        LogTransformer,
        RatioFeatures,
        TargetEncoder,
    )
    from sklearn_workflow.quality import DataQualityChecker, TableCleaner
    from sklearn_workflow.selection import ModelSelector
    from sklearn_workflow.thresholds import ThresholdTunedClassifier

    _register_scikit_learn(update)
    _register_hist_gradient_boosting(update)
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
        (ModelSelector, _selector_parser),
        (GroupAggregator, _refused_parser),
    ):
        update(cls, f"{_PREFIX}{cls.__name__}", _unused_shape, _unused, parser=parser)
    update(ThresholdTunedClassifier, f"{_PREFIX}ThresholdTunedClassifier",
           _threshold_shape, _threshold_converter, parser=_threshold_parser,
           options=classifier_options)  # fmt: skip
