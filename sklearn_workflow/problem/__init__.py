"""Stage 1, problem definition: the problem card and the rule-based baseline.

:class:`ProblemSpec` is the problem card made executable: it builds the
scorer, the threshold-tuning objective, the baseline model and the pass/fail
verdict (:class:`Verdict`). :class:`RuleClassifier` is the rule-based baseline as a
classifier; :func:`churn_spec` is the card of the demo churn problem; :func:`infer_task`
is the one rule that reads the task from a target.
"""

from sklearn_workflow.problem._rule import RuleClassifier, RuleSyntaxError
from sklearn_workflow.problem._spec import ProblemSpec, Verdict, churn_spec
from sklearn_workflow.problem._task import infer_task

__all__ = [
    "ProblemSpec",
    "RuleClassifier",
    "RuleSyntaxError",
    "Verdict",
    "churn_spec",
    "infer_task",
]
