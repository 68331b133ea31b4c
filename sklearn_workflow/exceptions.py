"""Warnings and errors raised by sklearn_workflow."""

__all__ = ["DataQualityWarning", "DataValidationError", "InfeasibleConstraintWarning"]


class DataQualityWarning(UserWarning):
    """Data does not satisfy the contract learned at fit, or has quality issues.

    Emitted by :class:`~sklearn_workflow.quality.DataQualityChecker` with
    ``on_violation="warn"``; the message summarises every violation found.
    """


class DataValidationError(ValueError):
    """Data violates the contract learned at fit.

    Raised by :class:`~sklearn_workflow.quality.DataQualityChecker` with
    ``on_violation="raise"``. The message lists every violation (column, check,
    observed and expected value); the ``violations`` attribute holds them as a
    DataFrame when one is available.
    """

    def __init__(self, message, violations=None):
        super().__init__(message)
        self.violations = violations


class InfeasibleConstraintWarning(UserWarning):
    """No decision threshold satisfies the requested constraint.

    Emitted by :class:`~sklearn_workflow.thresholds.ThresholdTunedClassifier`
    with ``on_infeasible="warn"``; the message gives the best achievable value.
    """
