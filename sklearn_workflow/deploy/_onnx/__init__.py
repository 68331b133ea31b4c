"""ONNX export of fitted pipelines (needs the ``onnx`` extra).

:func:`to_onnx` converts a pipeline of the package's steps and scikit-learn
estimators, keeping a tuned threshold; :func:`onnx_inputs` builds the graph's
typed inputs from a DataFrame; :func:`onnx_parity` compares the graph with the
pipeline; :func:`export_onnx` writes the graph when it converts and agrees, and
says which step does not convert otherwise. Importing this package needs
neither skl2onnx nor onnxruntime: they are imported when a function runs.
"""

from sklearn_workflow.deploy._onnx._export import onnx_inputs, to_onnx
from sklearn_workflow.deploy._onnx._parity import OnnxParity, export_onnx, onnx_parity

__all__ = ["OnnxParity", "export_onnx", "onnx_inputs", "onnx_parity", "to_onnx"]
