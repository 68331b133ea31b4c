"""Stages 5 and 6, model selection and training.

The candidate catalog, the model selector with racing, and the learning-curve
diagnosis.
"""

__all__ = []

# learning-curve diagnosis (issue 9)
from sklearn_workflow.selection._learning_curve import (
    LearningCurveDiagnosis,
    diagnose_learning_curve,
)

__all__ += ["LearningCurveDiagnosis", "diagnose_learning_curve"]
