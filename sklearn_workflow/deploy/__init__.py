"""Stage 7, deployment: persistence, identity, serving, batch scoring, latency.

:func:`save` and :func:`load` store fitted models as skops files, never as pickle,
and :func:`load` trusts exactly the types a fitted ``sklearn_workflow`` model
needs (:func:`trusted_types`); :func:`model_identity` describes what made a model
(package versions, training time, a fingerprint of the training data, the card),
stored by ``save(..., identity=...)`` and read back by :func:`read_identity`;
:func:`make_model_card` writes the Markdown card that goes next to the saved
model. :func:`create_app` and :func:`serve` put a model behind an HTTP API that
checks every request at the model's door; :func:`score_file` scores a large
CSV or Parquet file in chunks; :class:`PreparedModel` is the fast path for a
few rows at a time, and :func:`measure_latency` and :func:`latency_summary`
judge one-row latency against the card's ``constraints.latency_ms``.
:func:`to_onnx` converts a fitted pipeline to ONNX, keeping a tuned threshold,
:func:`onnx_parity` compares the graph with the pipeline and
:func:`export_onnx` writes it only when every step converts and they agree
(the ``onnx`` extra).
"""

from sklearn_workflow.deploy._batch import score_file
from sklearn_workflow.deploy._fast import PreparedModel
from sklearn_workflow.deploy._identity import (
    data_fingerprint,
    model_identity,
    read_identity,
)
from sklearn_workflow.deploy._metrics import latency_summary, measure_latency
from sklearn_workflow.deploy._model_card import make_model_card
from sklearn_workflow.deploy._onnx import (
    OnnxParity,
    export_onnx,
    onnx_inputs,
    onnx_parity,
    to_onnx,
)
from sklearn_workflow.deploy._persistence import (
    UntrustedTypesError,
    load,
    save,
    trusted_types,
)
from sklearn_workflow.deploy._serve import serve
from sklearn_workflow.deploy._server_app import create_app

__all__ = [
    "OnnxParity",
    "PreparedModel",
    "UntrustedTypesError",
    "create_app",
    "data_fingerprint",
    "export_onnx",
    "latency_summary",
    "load",
    "make_model_card",
    "measure_latency",
    "model_identity",
    "onnx_inputs",
    "onnx_parity",
    "read_identity",
    "save",
    "score_file",
    "serve",
    "to_onnx",
    "trusted_types",
]
