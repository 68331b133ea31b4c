"""Converters of scikit-learn's own estimators that replace or wrap skl2onnx's.

- ``SimpleImputer`` fills NaN in the graph's float type (skl2onnx's rounds its
  statistics to float32);
- ``HistGradientBoosting`` models map each value to the model's own bin
  (compared in float64), then skl2onnx's trees split on bin numbers, which the
  float32 thresholds of ONNX-ML hold exactly;
- ``OneHotEncoder`` matches a missing text category (None, NaN) with the
  graph's missing text ``""``;
- decision trees and forests in a float64 graph: see ``_forests.py``; in a
  float32 graph skl2onnx's trees, which send a missing value where
  scikit-learn's tree sends it (skl2onnx 1.20 sends it right everywhere);
  every tree converter writes
  boolean list attributes as 0/1 integers (skl2onnx 1.20 writes booleans that
  onnx 1.17+ refuses).
"""

import numpy as np

from sklearn_workflow.deploy._onnx._converters import (
    _PREFIX,
    FLOAT,
    _float_tensor,
    _unused,
    _unused_shape,
)
from sklearn_workflow.deploy._onnx._forests import (
    convert_exact_trees,
    exact_trees_apply,
)
from sklearn_workflow.deploy._onnx._graph import GraphBuilder

__all__ = ["register_scikit_learn"]

# The subclass of each HistGradientBoosting class whose trees split on bins.
_BINNED = {}
# scikit-learn's tree models (skl2onnx's converters).
_TREES = {
    f"{family}{task}"
    for family in ("DecisionTree", "ExtraTree", "RandomForest", "ExtraTrees",
                   "HistGradientBoosting")
    for task in ("Classifier", "Regressor")
}  # fmt: skip


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
    """An operator seen with other inputs and outputs, or another fitted model
    (the rest is its own)."""

    def __init__(self, operator, inputs, outputs, raw_operator=None):
        self._operator, self.inputs, self.outputs = operator, inputs, outputs
        if raw_operator is not None:
            self.raw_operator = raw_operator

    @property
    def input_full_names(self):
        return [variable.full_name for variable in self.inputs]

    @property
    def output_full_names(self):
        return [variable.full_name for variable in self.outputs]

    def __getattr__(self, name):
        return getattr(self._operator, name)


def _in_float32(scope, operator, container):
    """The operator reading its float64 input as float32 and writing float32
    outputs, cast back to float64 after it: ``(operator, casts)``."""
    from skl2onnx.common.data_types import FloatTensorType

    g = GraphBuilder(scope, container, np.float64)
    variable = operator.inputs[0]
    rounded = scope.declare_local_variable(
        "rounded", FloatTensorType(variable.type.shape)
    )
    container.add_node(
        "Cast", [variable.onnx_name], [rounded.onnx_name], to=1, name=g.name("Cast")
    )
    outputs, casts = [], []
    for output in operator.outputs:
        if output.type.to_onnx_type().tensor_type.elem_type == 11:
            temporary = scope.declare_local_variable(
                "tree_output", FloatTensorType(output.type.shape)
            )
            casts.append((temporary.onnx_name, output.onnx_name))
            output = temporary
        outputs.append(output)
    return _WithInputs(operator, [rounded, *operator.inputs[1:]], outputs), casts


def _missing_directions(attrs, model):
    """Where a missing value goes at each split, as scikit-learn's trees send
    it (``tree_.missing_go_to_left``: the true branch of ``x <= threshold``);
    skl2onnx 1.20 writes "false" (right) everywhere."""
    estimators = getattr(model, "estimators_", None)
    trees = [e.tree_ for e in estimators] if estimators is not None else [model.tree_]
    if not all(hasattr(tree, "missing_go_to_left") for tree in trees):
        return  # scikit-learn < 1.3: no missing values in trees
    attrs["nodes_missing_value_tracks_true"] = [
        int(mode != "LEAF" and trees[t].missing_go_to_left[n])
        for t, n, mode in zip(
            attrs["nodes_treeids"], attrs["nodes_nodeids"], attrs["nodes_modes"]
        )
    ]


def _tree_shape(calculate):
    """skl2onnx's shape calculator of a tree model, its float outputs in float64
    when its input is (a forest's probabilities are declared float32)."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    calculate = getattr(calculate, "wrapped", calculate)

    def shape(operator):
        calculate(operator)
        if operator.inputs[0].type.to_onnx_type().tensor_type.elem_type != 11:
            return
        for output in operator.outputs:
            if type(output.type) is FloatTensorType:
                output.type = DoubleTensorType(output.type.shape)

    shape.wrapped = calculate
    return shape


def _tree_converter(converter):
    """A skl2onnx tree converter that reads float64 inputs as scikit-learn's
    trees do, and writes boolean list attributes as 0/1 integers.

    scikit-learn's decision trees and forests round X to float32 before
    comparing it with their thresholds: so does the graph, and skl2onnx then
    writes thresholds that are exact for float32 values (in a float64 graph it
    writes float64 switch points that ONNX-ML attributes round to float32).
    skl2onnx 1.20 writes HistGradientBoosting's missing-value directions as
    booleans, which onnx 1.17+ refuses in an integer attribute.
    """

    def convert(scope, operator, container):
        add_node = container.add_node
        elem = operator.inputs[0].type.to_onnx_type().tensor_type.elem_type
        binned = type(operator.raw_operator).__name__.startswith("_Binned")
        casts = []
        if elem == 11 and not binned and exact_trees_apply(scope, operator):
            return convert_exact_trees(scope, operator, container)
        if elem == 11 and not binned:
            operator, casts = _in_float32(scope, operator, container)

        def add_node_ints(op_type, inputs, outputs, *args, **attrs):
            if not binned and "nodes_nodeids" in attrs:
                _missing_directions(attrs, operator.raw_operator)
            for key, value in attrs.items():
                if isinstance(value, list) and any(
                    isinstance(v, bool | np.bool_) for v in value
                ):
                    attrs[key] = [int(v) for v in value]
            return add_node(op_type, inputs, outputs, *args, **attrs)

        container.add_node = add_node_ints
        try:
            converter(scope, operator, container)
        finally:
            del container.add_node
        for source, target in casts:
            container.add_node("Cast", [source], [target], to=11,
                               name=scope.get_unique_operator_name("Cast"))  # fmt: skip

    convert.wrapped = converter
    return convert


def _missing_as_empty(categories):
    """The fitted categories with a missing one (None, NaN) written ``""``, the
    graph's missing text; None when no text category is missing."""
    import pandas as pd

    patched, changed = [], False
    for values in categories:
        values = np.asarray(values)
        missing = pd.isna(values) if values.dtype == object else None
        if missing is not None and missing.any() and "" not in set(values[~missing]):
            values = np.where(missing, "", values).astype(object)
            changed = True
        patched.append(values)
    return patched if changed else None


def _one_hot_parser(scope, model, inputs, custom_parsers=None):
    """OneHotEncoder: its 0/1 columns in the graph's float type (skl2onnx
    declares float32, and a ColumnTransformer whose first step it is then
    declares float32 columns, on which a float64 model's outputs clash)."""
    from skl2onnx.common.data_types import Int64TensorType

    operator = scope.declare_local_operator("SklearnOneHotEncoder", model)
    operator.inputs = list(inputs)
    integers = np.issubdtype(model.dtype, np.signedinteger)
    kind = Int64TensorType([None, None]) if integers else _float_tensor([None, None])
    operator.outputs.append(scope.declare_local_variable("variable", kind))
    return operator.outputs


def _one_hot_shape(calculate):
    def shape(operator):  # the declared type, skl2onnx's shape
        declared = operator.outputs[0].type.__class__
        calculate(operator)
        operator.outputs[0].type = declared(operator.outputs[0].type.shape)

    return shape


def _one_hot_converter(converter):
    """skl2onnx's OneHotEncoder converter, with a missing text category (None
    or NaN, which scikit-learn encodes as a category of its own) matched by the
    graph's missing text ``""`` (skl2onnx writes it "None" or "nan", which no
    input holds), and its float32 columns cast to the declared float64."""
    import copy

    from skl2onnx.common.data_types import FloatTensorType

    def convert(scope, operator, container):
        model = operator.raw_operator
        patched = _missing_as_empty(model.categories_)
        if patched is not None:
            model = copy.copy(model)
            model.categories_ = patched
        output = operator.outputs[0]
        cast = output.type.to_onnx_type().tensor_type.elem_type == 11
        if cast:
            temporary = scope.declare_local_variable(
                "one_hot", FloatTensorType(output.type.shape)
            )
        view = _WithInputs(
            operator, operator.inputs, [temporary] if cast else [output], model
        )
        converter(scope, view, container)
        if cast:
            name = scope.get_unique_operator_name("Cast")
            container.add_node(
                "Cast", [temporary.onnx_name], [output.onnx_name], to=11, name=name
            )

    convert.wrapped = converter
    return convert


def _register_trees_and_imputer(update):
    """A float64 SimpleImputer; tree converters that write integer attributes;
    a OneHotEncoder that reads a missing text category."""
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
            _tree_shape(get_shape_calculator(alias)),
            _tree_converter(original),
            options=registered.get_allowed_options(),
        )
    _register_one_hot(update)


def _register_one_hot(update):
    """OneHotEncoder: our parser, shape calculator and converter around
    skl2onnx's (see ``_one_hot_converter``)."""
    from skl2onnx.common._registration import get_converter, get_shape_calculator
    from sklearn.preprocessing import OneHotEncoder

    alias = "SklearnOneHotEncoder"
    registered = get_converter(alias)
    converter = getattr(registered._fct, "wrapped", registered._fct)
    calculate = get_shape_calculator(alias)
    calculate = getattr(calculate, "wrapped", calculate)
    shape = _one_hot_shape(calculate)
    shape.wrapped = calculate
    options = registered.get_allowed_options()
    update(OneHotEncoder, alias, shape, _one_hot_converter(converter),
           parser=_one_hot_parser, options=options)  # fmt: skip


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


def register_scikit_learn(update):
    """Register the converters above with ``update`` (skl2onnx's
    ``update_registered_converter``)."""
    _register_trees_and_imputer(update)
    _register_hist_gradient_boosting(update)
