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
``predict``).
"""

import warnings

import numpy as np

__all__ = [
    "allowed_options",
    "decision_output",
    "decision_refusal",
    "decision_scored",
    "final_classifier",
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
    dot = g.op("MatMul", x, g.const(vectors.T))
    gamma = float(model._gamma)
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
    inner = g.op("Add", g.op("Mul", dot, g.const([gamma])), g.const([model.coef0]))
    if model.kernel == "poly":
        return g.op("Pow", inner, g.const([float(model.degree)]))
    return g.op("Tanh", inner)  # sigmoid


def _svc_converter(converter):
    """skl2onnx's SVC converter, except for the raw scores of a binary SVC
    with a built-in kernel: ONNX-ML's SVMClassifier computes in float32 (its
    scores are about 1e-6 off), the graph computes ``K(x, SV) @ dual_coef_ +
    intercept_`` in float64, as scikit-learn does."""

    def convert(scope, operator, container):
        from sklearn_workflow.deploy._onnx._graph import GraphBuilder

        model = operator.raw_operator
        variable = operator.inputs[0]
        elem = variable.type.to_onnx_type().tensor_type.elem_type
        raw = scope.get_options(model, {"raw_scores": False})["raw_scores"]
        if not (raw and elem == 11 and len(model.classes_) == 2) or not isinstance(
            model.kernel, str
        ):
            with warnings.catch_warnings():
                # skl2onnx reads probA_ and probB_, deprecated in scikit-learn 1.9
                warnings.filterwarnings("ignore", "Attribute `prob", FutureWarning)
                return converter(scope, operator, container)
        g = GraphBuilder(scope, container, np.float64)
        kernel = _kernel(g, variable.onnx_name, model)
        weights = np.asarray(model.dual_coef_, dtype=np.float64).T
        decision = g.op("Add", g.op("MatMul", kernel, g.const(weights)),
                        g.const(np.asarray(model.intercept_, np.float64)))  # fmt: skip
        g.output(g.concat([g.op("Neg", decision), decision]),
                 operator.outputs[1].full_name)  # fmt: skip
        classes = np.asarray(model.classes_)
        if classes.dtype.kind in "OUS":
            table = g.const(classes.astype(str), str)
        else:
            table = g.const(classes.astype(np.int64), np.int64)
        positive = g.op("Cast", g.op("Greater", decision, g.const([0.0])), to=7)
        positive = g.op("Reshape", positive, g.const([-1], np.int64))
        label = g.op("Gather", table, positive, axis=0)
        g.output(label, operator.outputs[0].full_name)

    convert.wrapped = converter
    return convert


def register_svc(update):
    """Register the float64 binary decision function of SVC and NuSVC."""
    from skl2onnx.common._registration import get_converter, get_shape_calculator
    from sklearn.svm import SVC, NuSVC

    for cls in (SVC, NuSVC):
        registered = get_converter("SklearnSVC")
        original = getattr(registered._fct, "wrapped", registered._fct)
        options = registered.get_allowed_options()
        update(cls, "SklearnSVC", get_shape_calculator("SklearnSVC"),
               _svc_converter(original), options=options)  # fmt: skip
