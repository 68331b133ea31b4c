"""The end-to-end runner behind ``python -m sklearn_workflow``.

:func:`run_workflow` takes a table and a problem card through the seven stages
to a report and a deployable model; ``python -m sklearn_workflow run``,
``predict`` and ``check`` are its command line.
"""

from sklearn_workflow.workflow._runner import (
    BadInputError,
    WorkflowResult,
    run_workflow,
)

__all__ = ["BadInputError", "WorkflowResult", "run_workflow"]
