"""The ONNX converter of ``GroupAggregator``: each row's group looked up in the
fitted table.

The graph replays ``GroupAggregator._group_of_rows``: each key column gives a
code (the value's position among the fitted values, the missing key after them,
-1 for a value not seen at fit), the codes are combined one column at a time
and looked up among the combinations seen at fit. A row whose group was not
seen gets ``unknown_values_``, the others the statistics of their group. The
lookups are hash tables (ONNX-ML ``LabelEncoder``) on strings and int64 values:
a text key as its string, a date as its int64 microseconds, a number as the
int64 it equals (a key column of whole numbers, the usual id) or, when the
fitted keys are not all whole numbers, by comparison with each fitted value.

Where the step's inputs are one matrix (inside a ``ColumnTransformer``, or a
model fitted on an array), the output is one float matrix, as for the other
feature steps. Where they are the graph's columns one by one (the step right
after the ``DataQualityChecker``), the output is one variable per output
column, named as ``get_feature_names_out`` names it and typed as its input (text
stays text), so that a following ``ColumnTransformer`` selects them by name; a
following estimator that takes one matrix gets them joined.
"""

import numpy as np

from sklearn_workflow.deploy._onnx._converters import (
    _ONNX_TYPES,
    _PREFIX,
    FLOAT,
    _as_float,
    _float_tensor,
    _input_columns,
)
from sklearn_workflow.deploy._onnx._graph import INT64_MISSING, GraphBuilder

__all__ = ["register_group_aggregator"]

# Whole numbers that float64 holds exactly: keys compared as int64 below this.
_EXACT_INTEGERS = 2.0**53


def _key_table(uniques, kind, name):
    """The fitted values of one key column as the graph holds them: strings,
    int64 microseconds, int64 whole numbers or float64 (``(table, how)``)."""
    if kind == "string":
        table = [str(value) for value in uniques]
        if len(set(table)) != len(table):
            raise TypeError(
                f"GroupAggregator: the fitted keys of column {name!r} are not "
                "distinct as text (such as 1 and '1'), which the ONNX graph's "
                "text input cannot tell apart."
            )
        return table, "string"
    if kind == "int64":
        import pandas as pd

        from sklearn_workflow.deploy._onnx._export import _date_ticks

        ticks = _date_ticks(pd.Series(list(uniques))).ravel()
        return ticks.astype(np.int64), "int64"
    try:
        values = np.asarray(uniques, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"GroupAggregator: key column {name!r} is a number in the ONNX graph, "
            f"but its fitted keys are not numbers ({list(uniques[:3])!r})."
        ) from exc
    whole = np.all((np.floor(values) == values) & (np.abs(values) < _EXACT_INTEGERS))
    if whole:
        return values.astype(np.int64), "whole"
    return values, "float"


def _hash_codes(g, node, keys, n_keys):
    """``LabelEncoder``: each key's position in ``keys``, -1 elsewhere."""
    attrs = {"values_int64s": list(range(n_keys)), "default_int64": -1}
    if isinstance(keys, list):
        attrs["keys_strings"] = keys
    else:
        attrs["keys_int64s"] = [int(k) for k in keys]
    return g.op("LabelEncoder", node, domain="ai.onnx.ml", **attrs)


def _key_codes(g, column, uniques, name):
    """Per row (an (N, 1) int64 node): the position of the key among the fitted
    ``uniques``, ``len(uniques)`` for a missing key, -1 for an unseen one."""
    node, kind = column
    k = len(uniques)
    table, how = _key_table(uniques, kind, name)
    if how == "string":
        codes = _hash_codes(g, node, table, k)
        missing = g.op("Equal", node, g.const([""], str))
    elif how == "int64":
        codes = _hash_codes(g, node, table, k)
        missing = g.equal(node, INT64_MISSING)
    else:
        x = node if kind == "float" else g.to_float(node)
        x = g.op("Cast", x, to=11)  # keys are compared in float64
        missing = g.op("IsNaN", x)
        if how == "whole":
            whole = g.op("And", g.op("Equal", g.op("Floor", x), x),
                         g.op("Less", g.op("Abs", x),
                              g.const([_EXACT_INTEGERS], np.float64)))  # fmt: skip
            safe = g.op("Where", whole, x, g.const([0.0], np.float64))
            codes = _hash_codes(g, g.op("Cast", safe, to=7), table, k)
            codes = g.op("Where", whole, codes, g.i64(-1))
        else:
            hits = g.op("Equal", x, g.const(table[None, :], np.float64))
            position = g.op("ArgMax", g.bool_to_i64(hits), axis=1, keepdims=1)
            found = g.op("ReduceMax", g.bool_to_i64(hits), g.const([1], np.int64),
                         keepdims=1)  # fmt: skip
            codes = g.op("Where", g.op("Cast", found, to=9), position, g.i64(-1))
    return g.op("Where", missing, g.i64(k), codes)


def _group_index(g, model, columns):
    """Per row, the fitted group's row of ``statistics_`` (``n_groups_`` for a
    group not seen at fit): an (N,) int64 node."""
    names = model._input_names()
    groups = None
    for position, uniques, step in zip(
        model.by_indices_, model._key_uniques, model._steps
    ):
        codes = _key_codes(g, columns[position], uniques, names[position])
        valid = g.op("GreaterOrEqual", codes, g.i64(0))
        if groups is None:
            combined = codes
        else:
            combined = g.add(g.mul(groups, len(uniques) + 1), codes)
            valid = g.op("And", valid, g.op("GreaterOrEqual", groups, g.i64(0)))
        combined = g.op("Where", valid, combined, g.i64(0))
        located = _hash_codes(g, combined, np.asarray(step), len(step))
        groups = g.op("Where", valid, located, g.i64(-1))
    unseen = g.op("Less", groups, g.i64(0))
    index = g.op("Where", unseen, g.i64(model.n_groups_), groups)
    return g.op("Reshape", index, g.const([-1], np.int64))


def _statistics(g, model, columns):
    """The (N, n_statistics) statistics of each row's group."""
    table = np.vstack([model.statistics_, model.unknown_values_[None, :]])
    table = np.asarray(table, dtype=FLOAT["dtype"])
    return g.op("Gather", g.const(table), _group_index(g, model, columns), axis=0)


# -- skl2onnx's parser, shape calculator and converter -------------------------------
def _by_column(model, inputs):
    """Whether the step's inputs are its columns one by one (and the output then
    one variable per column): several inputs of one column each (a step with one
    column, as inside a ColumnTransformer, gives one matrix)."""
    if id(model) in FLOAT["join_after"] or len(inputs) != model.n_features_in_:
        return False
    one_each = all(len(v.type.shape) == 2 and v.type.shape[1] == 1 for v in inputs)
    return one_each and len(inputs) > 1


def _group_parser(scope, model, inputs, custom_parsers=None):
    """One operator; its outputs: one float matrix, or one variable per output
    column (see the module's docstring)."""
    operator = scope.declare_local_operator(f"{_PREFIX}GroupAggregator", model)
    operator.inputs = list(inputs)
    names = [str(name) for name in model.get_feature_names_out()]
    if not _by_column(model, inputs):
        output = _float_tensor([None, len(names)])
        operator.outputs.append(scope.declare_local_variable("variable", output))
        return operator.outputs
    for position, name in enumerate(names):
        kind = "float"
        if position < len(inputs):
            elem = inputs[position].type.to_onnx_type().tensor_type.elem_type
            kind = _ONNX_TYPES.get(elem, "float")
        kind_type = _float_tensor([None, 1])
        if kind != "float":
            kind_type = inputs[position].type.__class__([None, 1])
        operator.outputs.append(scope.declare_local_variable(name, kind_type))
    return operator.outputs


def _group_shape(operator):
    n_rows = operator.inputs[0].type.shape[0]
    for output in operator.outputs:
        output.type = output.type.__class__([n_rows, output.type.shape[1]])


def _group_converter(scope, operator, container):
    model = operator.raw_operator
    g = GraphBuilder(scope, container, FLOAT["dtype"])
    columns = _input_columns(g, operator)
    statistics = _statistics(g, model, columns)
    names = model._input_names()
    if len(operator.outputs) == 1:
        passed = [
            _as_float(g, model, column, name) for column, name in zip(columns, names)
        ]
        g.output(g.concat([*passed, statistics]), operator.outputs[0].full_name)
        return
    n_in = model.n_features_in_
    for (node, _), output in zip(columns, operator.outputs[:n_in]):
        g.output(node, output.full_name)
    for j, output in enumerate(operator.outputs[n_in:]):
        g.output(g.column(statistics, j), output.full_name)


def register_group_aggregator(update):
    """Register ``GroupAggregator`` with ``update`` (skl2onnx's
    ``update_registered_converter``)."""
    from sklearn_workflow.features import GroupAggregator

    update(GroupAggregator, f"{_PREFIX}GroupAggregator", _group_shape,
           _group_converter, parser=_group_parser)  # fmt: skip
