"""Classifiers scored by their decision function in the ONNX graph.

A ``ThresholdTunedClassifier`` whose threshold is on ``decision_function``, and
a final classifier without ``predict_proba`` (``SVC(probability=False)``,
``LinearSVC``, ``RidgeClassifier``, ...), give the graph a ``decision_function``
output in place of ``probabilities``: skl2onnx's converter of the scoring
classifier is asked for its raw scores (its ``raw_scores`` option), which for a
binary classifier are ``[-d, d]`` with ``d`` the decision function, positive
toward ``classes_[1]``. The tuned threshold's labels compare the positive
class's score with ``threshold_`` (see ``_converters._threshold_converter``); a
bare classifier keeps skl2onnx's labels (the class of the largest score, as its
``predict``). An ``SVC`` or ``NuSVC`` computes its decision function here, in
float64 (ONNX-ML's ``SVMClassifier`` holds its support vectors in float32).
"""

import warnings

import numpy as np

__all__ = [
    "allowed_options",
    "decision_output",
    "decision_refusal",
    "decision_scored",
    "final_classifier",
    "register_svc",
]

# The graph's output of a classifier scored by its decision function.
DECISION = "decision_function"


def final_classifier(step):
    """The estimator that predicts for a (nested) pipeline or model selector."""
    while True:
        if hasattr(step, "steps"):
            step = step.steps[-1][1]
        elif type(step).__name__ == "ModelSelector":
            step = step.best_estimator_
        else:
            return step


def decision_scored(model):
    """``{id: classifier}`` of the classifier whose decision function the graph
    outputs (empty when the graph outputs probabilities or predictions)."""
    from sklearn.base import is_classifier

    final = final_classifier(model)
    if type(final).__name__ == "ThresholdTunedClassifier":
        if final.response_method_ != "decision_function":
            return {}
        scorer = final_classifier(final.estimator_)
    elif is_classifier(final) and not hasattr(final, "predict_proba"):
        scorer = final
    else:
        return {}
    return {id(scorer): scorer}


def allowed_options(step):
    """The options skl2onnx's converter of ``step`` accepts (None: any)."""
    from skl2onnx._supported_operators import sklearn_operator_name_map
    from skl2onnx.common._registration import get_converter

    alias = sklearn_operator_name_map.get(type(step))
    if alias is None:
        return set()
    allowed = get_converter(alias).get_allowed_options()
    return None if allowed is None else set(allowed)


def decision_refusal(step, scored):
    """Why ``step``, scored by its decision function, does not convert (None:
    it does)."""
    from skl2onnx._supported_operators import sklearn_operator_name_map

    if id(step) not in scored or type(step) not in sklearn_operator_name_map:
        return None  # not scored by its decision function, or no converter at all
    name = type(step).__name__
    if not hasattr(step, "decision_function"):
        return f"{name} has neither predict_proba nor decision_function"
    allowed = allowed_options(step)
    if allowed is not None and "raw_scores" not in allowed:
        return (
            f"the graph needs the decision function of {name}, which skl2onnx's "
            "converter does not give (it has no raw_scores option)"
        )
    return None


def decision_output(onnx_model, classes):
    """Rename a bare classifier's raw scores: the graph's ``probabilities``
    output becomes ``decision_function``, shaped as scikit-learn's (``(n,)``,
    the last column, for two classes; ``(n, n_classes)`` otherwise)."""
    from onnx import TensorProto, helper, numpy_helper

    graph = onnx_model.graph
    output = next(o for o in graph.output if o.name == "probabilities")
    elem = output.type.tensor_type.elem_type
    used = {name for node in graph.node for name in [*node.input, *node.output]}
    raw = next(
        f"raw_scores_{i}" for i in range(len(used) + 1) if f"raw_scores_{i}" not in used
    )
    for node in graph.node:  # the producer and the readers (the labels' ArgMax)
        node.input[:] = [raw if name == output.name else name for name in node.input]
        node.output[:] = [raw if name == output.name else name for name in node.output]
    if len(classes) == 2:
        constants = {
            "decision_start": [-1],
            "decision_end": [np.iinfo(np.int64).max],
            "decision_axis": [1],
            "decision_shape": [-1],
        }
        for name, value in constants.items():
            graph.initializer.append(
                numpy_helper.from_array(np.asarray(value, np.int64), name)
            )
        graph.node.extend(
            [
                helper.make_node(
                    "Slice",
                    [raw, "decision_start", "decision_end", "decision_axis"],
                    ["decision_last"],
                    name="DecisionLast",
                ),
                helper.make_node(
                    "Reshape",
                    ["decision_last", "decision_shape"],
                    [DECISION],
                    name="DecisionShape",
                ),  # fmt: skip
            ]
        )
        shape = [None]
    else:
        graph.node.append(helper.make_node("Identity", [raw], [DECISION]))
        shape = [None, len(classes)]
    position = list(graph.output).index(output)
    graph.output.remove(output)
    graph.output.insert(
        position,
        helper.make_tensor_value_info(DECISION, elem or TensorProto.DOUBLE, shape),
    )


# -- a binary SVC's decision function in float64 -----------------------------------
def _kernel(g, x, model):
    """``K(x, support_vectors_)`` as scikit-learn's libsvm computes it, in
    float64: an (N, n_support_vectors) node."""
    vectors = np.asarray(model.support_vectors_, dtype=np.float64)
    gamma = float(model._gamma)
    if model.kernel in ("linear", "rbf"):
        dot = g.op("MatMul", x, g.const(vectors.T))
    if model.kernel == "linear":
        return dot
    if model.kernel == "rbf":
        squares = g.op("ReduceSum", g.op("Mul", x, x), g.const([1], np.int64),
                       keepdims=1)  # fmt: skip
        distances = g.op(
            "Add",
            g.op("Sub", squares, g.op("Mul", dot, g.const([2.0]))),
            g.const((vectors * vectors).sum(axis=1)[None, :]),
        )
        return g.op("Exp", g.op("Mul", distances, g.const([-gamma])))
    # gamma goes into the support vectors: onnxruntime before 1.32 fuses a
    # MatMul, a Mul by a scalar and an Add into one kernel that loses about
    # 1e-6 in float64.
    scaled = g.op("MatMul", x, g.const(gamma * vectors.T))
    inner = g.op("Add", scaled, g.const([model.coef0]))
    if model.kernel == "poly":
        return g.op("Pow", inner, g.const([float(model.degree)]))
    return g.op("Tanh", inner)  # sigmoid


def _pair_matrices(model):
    """The one-vs-one layout of a multiclass SVC: ``W`` (n_support_vectors,
    n_pairs) so that ``K @ W + intercept_`` are the pairs' decision values, and
    ``first``, ``second`` (n_pairs, n_classes) marking each pair's classes."""
    n_classes = len(model.classes_)
    starts = np.r_[0, np.cumsum(model.n_support_)]
    pairs = [(i, j) for i in range(n_classes) for j in range(i + 1, n_classes)]
    dual = np.asarray(model.dual_coef_, dtype=np.float64)
    weights = np.zeros((dual.shape[1], len(pairs)))
    first, second = np.zeros((2, len(pairs), n_classes))
    for p, (i, j) in enumerate(pairs):
        rows_i, rows_j = (
            slice(starts[i], starts[i + 1]),
            slice(starts[j], starts[j + 1]),
        )
        weights[rows_i, p] = dual[j - 1, rows_i]
        weights[rows_j, p] = dual[i, rows_j]
        first[p, i], second[p, j] = 1.0, 1.0
    return weights, first, second


def _svc_scores(g, kernel, model):
    """``(decision, winner)``: scikit-learn's ``decision_function`` (``(N, 1)``
    for two classes, ``(N, n_classes)`` from the one-vs-one votes and
    confidences otherwise) and the index of the predicted class."""
    intercept = g.const(np.asarray(model.intercept_, np.float64))
    if len(model.classes_) == 2:
        weights = np.asarray(model.dual_coef_, dtype=np.float64).T
        decision = g.op("Add", g.op("MatMul", kernel, g.const(weights)), intercept)
        winner = g.op("Cast", g.op("Greater", decision, g.const([0.0])), to=7)
        return decision, g.op("Reshape", winner, g.const([-1], np.int64))
    weights, first, second = _pair_matrices(model)
    pairs = g.op("Add", g.op("MatMul", kernel, g.const(weights)), intercept)
    wins = g.to_float(g.op("GreaterOrEqual", pairs, g.const([0.0])))
    losses = g.op("Sub", g.const([1.0]), wins)
    votes = g.op("Add", g.op("MatMul", wins, g.const(first)),
                 g.op("MatMul", losses, g.const(second)))  # fmt: skip
    confidence = g.op("MatMul", pairs, g.const(first - second))
    scale = g.op("Mul", g.op("Add", g.op("Abs", confidence), g.const([1.0])),
                 g.const([3.0]))  # fmt: skip
    decision = g.op("Add", votes, g.op("Div", confidence, scale))
    ranked = decision if model.break_ties else votes
    return decision, g.op("ArgMax", ranked, axis=1, keepdims=0)


def _svc_converter(converter):
    """skl2onnx's SVC converter, except for the raw scores (the decision
    function) of an SVC with a built-in kernel and one-vs-rest scores:
    ONNX-ML's SVMClassifier computes in float32 (its scores are about 1e-6
    off); the graph computes ``K(x, SV) @ dual_coef_ + intercept_`` in float64
    and, for more than two classes, scikit-learn's votes and confidences."""

    def convert(scope, operator, container):
        from sklearn_workflow.deploy._onnx._graph import GraphBuilder

        model = operator.raw_operator
        variable = operator.inputs[0]
        elem = variable.type.to_onnx_type().tensor_type.elem_type
        raw = scope.get_options(model, {"raw_scores": False})["raw_scores"]
        ours = (
            raw
            and elem == 11
            and isinstance(model.kernel, str)
            and (len(model.classes_) == 2 or model.decision_function_shape == "ovr")
        )
        if not ours:
            with warnings.catch_warnings():
                # skl2onnx reads probA_ and probB_, deprecated in scikit-learn 1.9
                warnings.filterwarnings("ignore", "Attribute `prob", FutureWarning)
                return converter(scope, operator, container)
        g = GraphBuilder(scope, container, np.float64)
        kernel = _kernel(g, variable.onnx_name, model)
        decision, winner = _svc_scores(g, kernel, model)
        if len(model.classes_) == 2:
            decision = g.concat([g.op("Neg", decision), decision])
        g.output(decision, operator.outputs[1].full_name)
        classes = np.asarray(model.classes_)
        if classes.dtype.kind in "OUS":
            table = g.const(classes.astype(str), str)
        else:
            table = g.const(classes.astype(np.int64), np.int64)
        label = g.op("Gather", table, winner, axis=0)
        g.output(label, operator.outputs[0].full_name)

    convert.wrapped = converter
    return convert


def register_svc(update):
    """Register the float64 decision function of SVC and NuSVC."""
    from skl2onnx.common._registration import get_converter, get_shape_calculator
    from sklearn.svm import SVC, NuSVC

    for cls in (SVC, NuSVC):
        registered = get_converter("SklearnSVC")
        original = getattr(registered._fct, "wrapped", registered._fct)
        options = registered.get_allowed_options()
        update(cls, "SklearnSVC", get_shape_calculator("SklearnSVC"),
               _svc_converter(original), options=options)  # fmt: skip
