"""Stage 6, decision thresholds tuned to the business objective and its constraints.

:class:`ThresholdTunedClassifier` wraps any binary classifier and chooses its
decision threshold on out-of-fold scores: maximise an objective (F1, precision, a
cost, ...) subject to constraints such as "recall at least 0.80" or an alert
budget, evaluating every distinct threshold exactly.
"""

from sklearn_workflow.thresholds._classifier import ThresholdTunedClassifier

__all__ = ["ThresholdTunedClassifier"]
