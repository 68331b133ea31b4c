"""Warnings and errors raised by sklearn_workflow."""

__all__ = [
    "BadInputError",
    "DataQualityWarning",
    "DataValidationError",
    "InfeasibleConstraintWarning",
    "RuleSyntaxError",
    "UntrustedTypesError",
]


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


class BadInputError(ValueError):
    """The input cannot be used: unreadable file, unknown target, empty data...

    ``python -m sklearn_workflow`` turns it into a one-line message and exit
    code 2. Also importable as ``sklearn_workflow.workflow.BadInputError``.
    """


class RuleSyntaxError(ValueError):
    """A rule string does not follow the grammar of
    :class:`~sklearn_workflow.problem.RuleClassifier`.

    Also importable as ``sklearn_workflow.problem.RuleSyntaxError``.
    """


class UntrustedTypesError(TypeError):
    """A skops file carries types that :func:`~sklearn_workflow.deploy.load` was
    not told to trust.

    Also importable as ``sklearn_workflow.deploy.UntrustedTypesError``.

    Attributes
    ----------
    types : list of str
        The fully qualified names of the untrusted types, sorted.
    """

    def __init__(self, message, types=()):
        super().__init__(message)
        self.types = list(types)
