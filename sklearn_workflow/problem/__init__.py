"""Stage 1, problem definition: the problem card and the rule-based baseline.

:class:`ProblemSpec` is the seed's problem card made executable: it builds the
scorer, the threshold-tuning objective, the baseline model and the pass/fail
verdict. :class:`RuleClassifier` is the rule-based baseline as a classifier.
"""

from sklearn_workflow.problem._rule import RuleClassifier, RuleSyntaxError

__all__ = ["RuleClassifier", "RuleSyntaxError"]
