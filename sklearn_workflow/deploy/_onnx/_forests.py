"""Decision trees and forests in a float64 graph, as scikit-learn computes them.

ONNX-ML's tree ensembles hold their leaf values in float32, so skl2onnx's
graph of a forest is about 4e-8 off scikit-learn's probabilities. Here the
ensemble only finds each tree's leaf: a ``TreeEnsembleRegressor`` with one
target per tree, whose leaf values are the leaves' node numbers (whole numbers
below 2**24, exact in float32). The leaves' values are then looked up in a
float64 table and averaged over the trees, as ``predict_proba`` (``predict``)
averages them.

The splits compare the input rounded to float32 with each threshold rounded
down to float32 (``x32 <= t`` holds exactly when ``x32 <= floor32(t)``), as
scikit-learn compares float32 values with float64 thresholds; a missing value
goes where scikit-learn's tree sends it (``missing_go_to_left``).
"""

import numpy as np

from sklearn_workflow.deploy._onnx._graph import GraphBuilder

__all__ = ["convert_exact_trees", "exact_trees_apply"]

# The options of skl2onnx's tree converters under which its own graph is kept.
_OWN_OPTIONS = ("decision_path", "decision_leaf", "raw_scores", "nocl")
# Leaves are numbered by their node number, exact in float32 below this.
_EXACT_FLOAT32 = 2**24


def _trees(model):
    estimators = getattr(model, "estimators_", None)
    return [model.tree_] if estimators is None else [e.tree_ for e in estimators]


def exact_trees_apply(scope, operator):
    """Whether the float64 graph of this module replaces skl2onnx's."""
    model = operator.raw_operator
    options = scope.get_options(model) or {}
    if any(options.get(name) for name in _OWN_OPTIONS):
        return False
    if getattr(model, "n_outputs_", 1) != 1:
        return False
    trees = _trees(model)
    classifier = hasattr(model, "classes_")
    return (
        all(tree.node_count < _EXACT_FLOAT32 for tree in trees)
        and all(hasattr(tree, "missing_go_to_left") for tree in trees)
        and len(operator.outputs) == (2 if classifier else 1)
    )


def _floor32(thresholds):
    """The largest float32 at most each float64 threshold."""
    rounded = thresholds.astype(np.float32)
    above = rounded.astype(np.float64) > thresholds
    rounded[above] = np.nextafter(rounded[above], np.float32(-np.inf))
    return rounded


def _leaf_attributes(trees):
    """The attributes of a ``TreeEnsembleRegressor`` whose target ``t`` is the
    node number of tree ``t``'s leaf."""
    attrs = {key: [] for key in (
        "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes",
        "nodes_values", "nodes_truenodeids", "nodes_falsenodeids",
        "nodes_missing_value_tracks_true", "target_treeids", "target_nodeids",
        "target_ids", "target_weights",
    )}  # fmt: skip
    for t, tree in enumerate(trees):
        nodes = np.arange(tree.node_count)
        leaf = tree.children_left == -1
        attrs["nodes_treeids"] += [t] * tree.node_count
        attrs["nodes_nodeids"] += nodes.tolist()
        attrs["nodes_featureids"] += np.where(leaf, 0, tree.feature).tolist()
        attrs["nodes_modes"] += np.where(leaf, "LEAF", "BRANCH_LEQ").tolist()
        thresholds = _floor32(np.where(leaf, 0.0, tree.threshold))
        attrs["nodes_values"] += thresholds.astype(float).tolist()
        attrs["nodes_truenodeids"] += np.where(leaf, 0, tree.children_left).tolist()
        attrs["nodes_falsenodeids"] += np.where(leaf, 0, tree.children_right).tolist()
        missing_left = np.asarray(tree.missing_go_to_left, dtype=bool) & ~leaf
        attrs["nodes_missing_value_tracks_true"] += missing_left.astype(int).tolist()
        leaves = nodes[leaf]
        attrs["target_treeids"] += [t] * leaves.size
        attrs["target_nodeids"] += leaves.tolist()
        attrs["target_ids"] += [t] * leaves.size
        attrs["target_weights"] += leaves.astype(float).tolist()
    return attrs


def _leaf_values(model, trees):
    """Each node's prediction (rows: the trees' nodes one after the other),
    float64: the class probabilities of a classifier, the value of a
    regressor."""
    tables = []
    for tree in trees:
        value = np.asarray(tree.value, dtype=np.float64)[:, 0, :]
        if hasattr(model, "classes_"):
            total = value.sum(axis=1, keepdims=True)
            value = value / np.where(total == 0, 1.0, total)
        tables.append(value)
    return np.vstack(tables)


def convert_exact_trees(scope, operator, container):
    """The float64 graph of a decision tree or forest (see the module)."""
    model = operator.raw_operator
    g = GraphBuilder(scope, container, np.float64)
    trees = _trees(model)
    x32 = g.op("Cast", operator.inputs[0].onnx_name, to=1)
    leaves = g.op(
        "TreeEnsembleRegressor",
        x32,
        domain="ai.onnx.ml",
        n_targets=len(trees),
        post_transform="NONE",
        aggregate_function="SUM",
        **_leaf_attributes(trees),
    )
    offsets = np.cumsum([0] + [tree.node_count for tree in trees[:-1]])
    rows = g.op("Add", g.op("Cast", leaves, to=7), g.const(offsets[None, :], np.int64))
    values = g.op("Gather", g.const(_leaf_values(model, trees)), rows, axis=0)
    mean = g.op("ReduceMean", values, g.const([1], np.int64), keepdims=0)
    if not hasattr(model, "classes_"):
        g.output(mean, operator.outputs[0].full_name)
        return
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "OUS":
        table = g.const(classes.astype(str), str)
    else:
        table = g.const(classes.astype(np.int64), np.int64)
    best = g.op("ArgMax", mean, axis=1, keepdims=0)
    g.output(g.op("Gather", table, best, axis=0), operator.outputs[0].full_name)
    g.output(mean, operator.outputs[1].full_name)
