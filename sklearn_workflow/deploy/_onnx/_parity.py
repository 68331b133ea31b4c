"""Parity of an ONNX graph with its scikit-learn pipeline, and the export step of
the workflow."""

import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.base import is_classifier

from sklearn_workflow.deploy._onnx._converters import tuned_threshold
from sklearn_workflow.deploy._onnx._export import (
    _first_unconvertible,
    not_converted,
    onnx_inputs,
    session,
    to_onnx,
)
from sklearn_workflow.utils._dataframe import is_dataframe

__all__ = ["OnnxParity", "export_onnx", "onnx_parity"]

# The parity export_onnx requires: probabilities within MAX_DIFF, and the same
# labels except on rows whose score is within NEAR of the threshold.
MAX_DIFF = 1e-5
NEAR = 1e-6
LATENCY_CALLS = 100


@dataclass
class OnnxParity:
    """How closely an ONNX graph reproduces its pipeline on some rows.

    Attributes
    ----------
    n_rows : int
    max_abs_diff : float
        Largest absolute probability difference over every row and class (of
        the decision function or the predictions: see ``compared``).
    n_label_disagreements : int
        Rows whose ONNX label differs from ``predict``'s.
    n_near_threshold : int
        Rows whose positive-class score is within 1e-6 of the threshold (the
        tuned one, or 0.5 on a probability and 0 on a decision function), or
        whose two best classes are within 1e-6 (more than two classes):
        rounding may flip their label.
    n_disagreements_off_threshold : int
        Label disagreements on the other rows (0 for a faithful graph).
    threshold : float or None
        The threshold the labels are compared at (None: regressor, multiclass).
    sklearn_ms, onnx_ms : float
        Median one-row latency (milliseconds) of the pipeline's
        method of ``compared`` (``predict_proba``, ``decision_function`` or
        ``predict``) on a one-row DataFrame,
        and of onnxruntime's ``run`` on that row's inputs.
    float_type : str
        The graph's float type ("float64" or "float32").
    """

    n_rows: int
    max_abs_diff: float
    n_label_disagreements: int
    n_near_threshold: int
    n_disagreements_off_threshold: int
    threshold: float | None
    sklearn_ms: float
    onnx_ms: float
    float_type: str
    compared: str = "probabilities"

    @property
    def ok(self):
        """Whether the graph passes: ``max_abs_diff < 1e-5`` and no label
        disagreement away from the threshold."""
        return self.max_abs_diff < MAX_DIFF and self.n_disagreements_off_threshold == 0

    def to_dict(self):
        return {**asdict(self), "ok": self.ok}

    def to_markdown(self):
        """The report as a two-column Markdown table."""
        from sklearn_workflow.report import markdown_table

        rows = [
            ("rows compared", self.n_rows),
            ("largest |difference|", f"{self.max_abs_diff:.3g}"),
            ("label disagreements", self.n_label_disagreements),
            ("rows within 1e-6 of the threshold", self.n_near_threshold),
            ("disagreements elsewhere", self.n_disagreements_off_threshold),
            ("threshold", self.threshold),
            ("one-row latency, scikit-learn (ms)", round(self.sklearn_ms, 3)),
            ("one-row latency, onnxruntime (ms)", round(self.onnx_ms, 3)),
            ("float type", self.float_type),
            ("compared", self.compared),
            ("parity", "ok" if self.ok else "FAILED"),
        ]
        return markdown_table(rows, ["quantity", "value"])

    def __str__(self):
        return self.to_markdown()


def _final_step(model):
    return model.steps[-1][1] if hasattr(model, "steps") else model


def _threshold(model, classes, compared="probabilities"):
    """The threshold of the positive class's score, and that class's column
    (0.5 on a probability, 0 on a decision function, without a tuned one)."""
    final = _final_step(model)
    if type(final).__name__ == "ThresholdTunedClassifier":
        column = int(np.flatnonzero(classes == final.pos_label_)[0])
        return tuned_threshold(final), column
    if len(classes) == 2:
        return (0.5 if compared == "probabilities" else 0.0), 1
    return None, None


def _near(proba, threshold, column):
    if threshold is not None:
        return np.abs(proba[:, column] - threshold) <= NEAR
    top = np.sort(proba, axis=1)[:, -2:]
    return (top[:, 1] - top[:, 0]) <= NEAR


def _median_ms(call, n_calls):
    call()  # warm
    times = []
    for _ in range(n_calls):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def _one_row(X):
    return X.iloc[:1] if is_dataframe(X) and hasattr(X, "iloc") else X[:1]


def onnx_parity(model, onnx_model, X, *, n_calls=LATENCY_CALLS):
    """Compare an ONNX graph with its pipeline on ``X`` (held-out rows).

    Parameters
    ----------
    model : fitted estimator or Pipeline
    onnx_model : onnx.ModelProto
        ``to_onnx(model)``.
    X : DataFrame
        Rows as ``predict`` takes them (raw columns: the pipeline's cleaner
        types them for the graph, see :func:`onnx_inputs`).
    n_calls : int, default=100
        Calls timed for each one-row latency (the median is reported).

    Returns
    -------
    parity : OnnxParity
        The differences, the rows near the threshold, both latencies;
        ``parity.ok`` says whether the graph passes.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_workflow.deploy._onnx import onnx_parity, to_onnx
    >>> from sklearn_workflow.quality import DataQualityChecker
    >>> from sklearn_workflow.thresholds import ThresholdTunedClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=200)})
    >>> y = (X["x"] + rng.normal(size=200) > 0.5).astype(int)
    >>> model = make_pipeline(DataQualityChecker(), ThresholdTunedClassifier(
    ...     LogisticRegression(), objective="f1", cv=3)).fit(X, y)
    >>> parity = onnx_parity(model, to_onnx(model), X, n_calls=5)
    >>> parity.ok, parity.max_abs_diff < 1e-12, parity.n_label_disagreements
    (True, True, 0)
    """
    onnx_session = session(onnx_model)
    names = [o.name for o in onnx_session.get_outputs()]
    outputs = dict(
        zip(names, onnx_session.run(None, onnx_inputs(onnx_model, X, model)))
    )
    compared = next(
        (name for name in ("probabilities", "decision_function") if name in outputs),
        "predictions",
    )
    if not is_classifier(_final_step(model)):
        compared = "predictions"
    method = {"predictions": "predict"}.get(compared, compared)
    method = "predict_proba" if method == "probabilities" else method
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = np.asarray(model.predict(X))
        reference = getattr(model, method)(X)
        row = _one_row(X)
        sklearn_ms = _median_ms(lambda: getattr(model, method)(row), n_calls)
    row_feeds = onnx_inputs(onnx_model, row, model)
    onnx_ms = _median_ms(lambda: onnx_session.run(None, row_feeds), n_calls)
    graph = outputs[names[0] if compared == "predictions" else compared]
    graph = np.asarray(graph, dtype=np.float64).reshape(np.shape(reference))
    reference = np.asarray(reference, dtype=np.float64)
    both_nan = np.isnan(graph) & np.isnan(reference)
    diff = np.where(both_nan, 0.0, np.abs(graph - reference))
    threshold, near = None, np.zeros(len(labels), dtype=bool)
    disagree = np.zeros(len(labels), dtype=bool)
    if compared != "predictions":
        classes = np.asarray(_final_step(model).classes_)
        if reference.ndim == 1:  # a binary decision function: [-d, d]
            reference = np.column_stack([-reference, reference])
        threshold, column = _threshold(model, classes, compared)
        near = _near(reference, threshold, column)
        graph_labels = np.asarray(outputs[names[0]]).ravel()
        disagree = graph_labels.astype(str) != labels.astype(str)
    float_type = {1: "float32", 11: "float64"}.get(
        onnx_model.graph.output[-1].type.tensor_type.elem_type, "float64"
    )
    return OnnxParity(
        n_rows=len(labels),
        max_abs_diff=float(np.max(diff)) if diff.size else 0.0,
        n_label_disagreements=int(disagree.sum()),
        n_near_threshold=int(near.sum()),
        n_disagreements_off_threshold=int((disagree & ~near).sum()),
        threshold=threshold,
        sklearn_ms=sklearn_ms,
        onnx_ms=onnx_ms,
        float_type=float_type,
        compared=compared,
    )


def export_onnx(model, path, X_sample=None, *, double="auto"):
    """Write ``model.onnx`` when every step converts and the graph agrees.

    The workflow's last stage calls it next to the saved skops file; it never
    raises for a model that does not convert, it says why.

    Parameters
    ----------
    model : fitted estimator or Pipeline
    path : str or Path
        The file to write.
    X_sample : DataFrame or None, default=None
        Held-out rows: the graph is written only when :func:`onnx_parity` on
        them passes (``max_abs_diff < 1e-5``, labels equal away from the
        threshold). None writes without checking.
    double : bool or "auto", default="auto"
        See :func:`to_onnx`: float64, or float32 where a step or onnxruntime
        has no float64 kernel (scikit-learn's HistGradientBoosting).

    Returns
    -------
    written : bool
    message : str
        What was written and its parity, or the step that does not convert
        (``"step features > binner (Binner) does not convert to ONNX: ..."``),
        the missing extra, or the parity that failed.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn_workflow.deploy._onnx import export_onnx
    >>> from sklearn_workflow.features import GroupAggregator
    >>> X = pd.DataFrame({"store": [1, 2, 1, 2], "x": [1.0, 2.0, 3.0, 4.0]})
    >>> group = GroupAggregator(by="store", aggregations={"x": "mean"},
    ...                         handle_unknown="error")
    >>> model = make_pipeline(group, LinearRegression()).fit(X, [1.0, 2.0, 3.0, 4.0])
    >>> written, message = export_onnx(model, "never-written.onnx")
    >>> written, message.split(":")[0]
    (False, 'step groupaggregator (GroupAggregator) does not convert to ONNX')
    """
    found = None
    try:
        found = _first_unconvertible(model)
        onx = None if found else to_onnx(model, X_sample, double=double)
    except ImportError as exc:
        return False, str(exc)
    except (NotImplementedError, TypeError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return False, f"ONNX export failed ({type(exc).__name__}): {first}"
    if found is not None:
        return False, not_converted(found)
    note = "parity not checked"
    if X_sample is not None:
        parity = onnx_parity(model, onx, X_sample, n_calls=20)
        note = (
            f"largest |difference| {parity.max_abs_diff:.2g} on {parity.n_rows} "
            f"rows, {parity.n_disagreements_off_threshold} label disagreements "
            f"away from the threshold; one row {parity.onnx_ms:.3f} ms "
            f"(scikit-learn {parity.sklearn_ms:.3f} ms)"
        )
        if not parity.ok:
            return False, f"ONNX graph not written: its parity failed ({note})"
    Path(path).write_bytes(onx.SerializeToString())
    return True, f"wrote {Path(path).name} ({note})"
