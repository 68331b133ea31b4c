"""The ONNX engine of :class:`~sklearn_workflow.deploy.PreparedModel`.

The pipeline is converted once (:func:`~sklearn_workflow.deploy.to_onnx`) and
one onnxruntime session is opened once. What a call does is turn rows, typed as
the door's cleaner leaves them, into the graph's inputs: the input names, their
columns, kinds and dtypes are read from the graph once; a one-row pandas frame
is read in one ``to_numpy`` (its values converted one by one, no Series per
column), more rows column by column.

Rows the graph cannot answer as the pipeline would are handed back (the feeds
are None) and the caller runs the Python path on them: a column of an
unexpected dtype (numbers as text, dates as strings, text that is not all
strings), an empty string in a text column (the graph's missing text), and,
when the pipeline refuses them (a model without imputation), missing or
infinite values. Which values the pipeline refuses is learnt by the parity
check of :mod:`sklearn_workflow.deploy._fast`.
"""

import json

import numpy as np
import pandas as pd

from sklearn_workflow.utils._dataframe import is_pandas

__all__ = ["OnnxEngine", "threshold_labels"]

MISSING_TEXT = ""
NAT = np.iinfo(np.int64).min
_DTYPES = {1: np.float32, 11: np.float64, 7: np.int64, 8: object}
_KINDS = {1: "number", 11: "number", 7: "date", 8: "string"}
_NUMBER_TYPES = (int, float, bool, np.integer, np.floating, np.bool_)


def threshold_labels(final, proba):
    """Labels of a classifier tuned on a threshold of ``predict_proba``, as its
    ``predict`` gives them, or None for any other model."""
    threshold = getattr(final, "threshold_", None)
    method = getattr(final, "response_method_", None)
    if threshold is None or method != "predict_proba" or proba.shape[1] != 2:
        return None
    classes = final.classes_
    positive = classes == final.pos_label_
    hit = proba[:, positive][:, 0] >= threshold
    labels = np.where(hit, classes[positive][0], classes[~positive][0])
    return labels.astype(classes.dtype, copy=False)


def _is_missing(value):
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    )


class OnnxEngine:
    """A fitted pipeline as an onnxruntime session and its inputs' layout.

    Parameters
    ----------
    model : estimator
        The fitted pipeline (door included).
    final : estimator
        Its final step (labels, classes).

    Attributes
    ----------
    graph : onnx.ModelProto
    inputs : list of (name, column, kind, dtype)
        The graph's inputs: kind "number", "date" or "string", or "array" for
        the one input of a model fitted on an array.
    refused : set of str
        Values the pipeline refuses, so that rows holding them are handed back:
        "missing" and/or "infinite".
    """

    def __init__(self, model, final):
        from sklearn_workflow.deploy._onnx._export import to_onnx

        self.graph = to_onnx(model)
        self.session = _session(self.graph)
        self.final = final
        self.classes_ = getattr(final, "classes_", None)
        self.inputs = _graph_inputs(self.graph, model)
        self.columns = [column for _, column, _, _ in self.inputs]
        self.positions = {column: k for k, column in enumerate(self.columns)}
        outputs = [o.name for o in self.session.get_outputs()]
        self.proba_output = "probabilities" if "probabilities" in outputs else None
        self.label_output = "label" if "label" in outputs else outputs[0]
        self.refused = set()

    # -- inputs ---------------------------------------------------------------------
    def feeds(self, X):
        """The graph's inputs from rows, or None when the rows are handed back."""
        if self.inputs[0][2] == "array":
            return self._array_feeds(X)
        if not is_pandas(X):
            return None
        if len(X) == 1:
            feeds = self._one_row_feeds(X)
            if feeds is not None:
                return feeds
        return self._column_feeds(X)

    def _array_feeds(self, X):
        name, _, _, dtype = self.inputs[0]
        try:
            values = np.asarray(X, dtype=dtype)
        except (TypeError, ValueError):
            return None
        if values.ndim != 2 or self._refuses_numbers(values):
            return None
        return {name: values}

    def _refuses_numbers(self, values):
        if not self.refused or np.isfinite(values).all():
            return False
        missing = np.isnan(values).any()
        return ("missing" in self.refused and missing) or (
            "infinite" in self.refused and np.isinf(values).any()
        )

    def _one_row_feeds(self, X):
        """A one-row frame read in one ``to_numpy``; None when a value is not
        the plain Python value of its kind (the column path decides then)."""
        names = X.columns.tolist()
        try:
            values = X.to_numpy(dtype=object)[0]
        except (TypeError, ValueError):
            return None
        if names != self.columns:
            where = dict(zip(names, values))
            if len(where) != len(names) or any(c not in where for c in self.columns):
                return None
            values = [where[column] for column in self.columns]
        feeds = {}
        for (name, _, kind, dtype), value in zip(self.inputs, values):
            value = _one_value(value, kind, self.refused)
            if value is None:
                return None
            feeds[name] = np.array([[value]], dtype=dtype)
        return feeds

    def _column_feeds(self, X):
        """The inputs column by column; None when a column is handed back."""
        feeds = {}
        for name, column, kind, dtype in self.inputs:
            if column not in X.columns:
                return None
            convert = _COLUMN_CONVERTERS[kind]
            values = convert(X[column], dtype, self.refused)
            if values is None:
                return None
            feeds[name] = values.reshape(-1, 1)
        return feeds

    # -- outputs --------------------------------------------------------------------
    def predict_proba(self, feeds):
        """Class probabilities (n_rows, n_classes)."""
        return self.session.run([self.proba_output], feeds)[0]

    def predict_with_proba(self, feeds):
        """Labels (or a regressor's predictions) and probabilities (or None)."""
        if self.proba_output is None:
            out = self.session.run([self.label_output], feeds)[0].reshape(-1)
            if self.classes_ is not None:  # a classifier without probabilities
                return self._as_classes(out), None
            return np.asarray(out, dtype=np.float64), None
        proba = self.predict_proba(feeds)
        labels = threshold_labels(self.final, proba)
        if labels is None:
            out = self.session.run([self.label_output], feeds)[0].reshape(-1)
            labels = self._as_classes(out)
        return labels, proba

    def _as_classes(self, labels):
        """The graph's labels as the model's classes (their dtype)."""
        classes = self.classes_
        if classes is None:
            return labels
        order = np.argsort(classes, kind="stable")
        where = np.searchsorted(classes[order], labels)
        found = classes[order][np.minimum(where, len(classes) - 1)]
        if not np.array_equal(found.astype(object), labels.astype(object)):
            raise ValueError(
                f"the ONNX graph's labels {np.unique(labels)[:5].tolist()} are not "
                f"the model's classes {classes.tolist()[:5]}"
            )
        return found


def _session(graph):
    """One onnxruntime session on the CPU, on the calling thread: a few rows
    gain nothing from a thread pool, whose threads, spinning between calls,
    would take the cores from the Python around them (the door, the server)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(
        graph.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def _graph_inputs(graph, model):
    """``[(name, column, kind, dtype)]`` of the graph's inputs, in their order."""
    inputs = list(graph.graph.input)
    meta = {entry.key: entry.value for entry in graph.metadata_props}
    columns = json.loads(meta.get("sklearn_workflow.columns", "null"))
    if columns is None or len(columns) != len(inputs):
        columns = [variable.name for variable in inputs]
    layout = []
    for variable, column in zip(inputs, columns):
        elem = variable.type.tensor_type.elem_type
        layout.append((variable.name, column, _KINDS[elem], _DTYPES[elem]))
    if getattr(model, "feature_names_in_", None) is None and len(layout) == 1:
        name, column, kind, dtype = layout[0]
        if kind == "number":
            layout = [(name, column, "array", dtype)]
    return layout


def _one_value(value, kind, refused):
    """One cell as the graph takes it; None hands the row back."""
    missing = _is_missing(value)
    if missing and "missing" in refused:
        return None
    if kind == "number":
        if missing:
            return np.nan
        if not isinstance(value, _NUMBER_TYPES):
            return None
        value = float(value)
        if "infinite" in refused and value in (np.inf, -np.inf):
            return None
        return value
    if kind == "date":
        if missing:
            return NAT
        if not isinstance(value, pd.Timestamp):
            return None
        return value.to_datetime64().astype("datetime64[us]").astype(np.int64)
    if missing:
        return MISSING_TEXT
    if not isinstance(value, str) or value == MISSING_TEXT:
        return None
    return value


def _number_column(col, dtype, refused):
    kind = getattr(col.dtype, "kind", "O")
    if kind == "O" or not pd.api.types.is_numeric_dtype(col.dtype):
        return None
    if kind in "biuf" and isinstance(col.dtype, np.dtype):
        values = col.to_numpy().astype(dtype)
    else:
        values = col.to_numpy(dtype=np.float64, na_value=np.nan).astype(dtype)
    if refused and not np.isfinite(values).all():
        if "missing" in refused and np.isnan(values).any():
            return None
        if "infinite" in refused and np.isinf(values).any():
            return None
    return values


def _date_column(col, dtype, refused):
    if not pd.api.types.is_datetime64_any_dtype(col.dtype):
        return None
    if getattr(col.dtype, "tz", None) is not None:  # the UTC instants
        col = col.dt.tz_convert("UTC").dt.tz_localize(None)
    values = col.to_numpy().astype("datetime64[us]").view(np.int64)
    if "missing" in refused and (values == NAT).any():
        return None
    return values


def _string_column(col, dtype, refused):
    values = col.to_numpy(dtype=object)
    if col.dtype == object or isinstance(col.dtype, pd.CategoricalDtype):
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            return None
    elif not pd.api.types.is_string_dtype(col.dtype):
        return None
    missing = np.asarray(pd.isna(values), dtype=bool)
    if (values[~missing] == MISSING_TEXT).any():
        return None
    if missing.any():
        if "missing" in refused:
            return None
        values = values.copy()
        values[missing] = MISSING_TEXT
    return values


_COLUMN_CONVERTERS = {
    "number": _number_column,
    "date": _date_column,
    "string": _string_column,
}
