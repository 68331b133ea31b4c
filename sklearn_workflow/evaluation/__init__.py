"""Stage 7, evaluation: the evaluation report, baseline comparison and spec verdict.

:func:`evaluate` measures a fitted model on held-out rows -- metrics, baselines on
the same rows, cross-validation, single-row latency, train/test contamination and
the problem card's verdict -- and returns an :class:`EvaluationReport`.
"""

from sklearn_workflow.evaluation._evaluate import evaluate
from sklearn_workflow.evaluation._report import EvaluationReport

__all__ = ["EvaluationReport", "evaluate"]
