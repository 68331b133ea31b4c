"""Stages 5 and 6, model selection and training.

The candidate catalog, the model selector with racing and random search, the
weighted ensemble of the race's survivors, and the learning-curve diagnosis.
"""

from sklearn_workflow.selection._catalog import candidate_table
from sklearn_workflow.selection._ensemble import WeightedEnsemble
from sklearn_workflow.selection._learning_curve import (
    LearningCurveDiagnosis,
    diagnose_learning_curve,
)
from sklearn_workflow.selection._selector import ModelSelector
from sklearn_workflow.selection._time_split import TimeSplitter

__all__ = [
    "LearningCurveDiagnosis",
    "ModelSelector",
    "WeightedEnsemble",
    "TimeSplitter",
    "candidate_table",
    "diagnose_learning_curve",
]
