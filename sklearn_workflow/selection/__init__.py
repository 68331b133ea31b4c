"""Stages 5 and 6, model selection and training.

The candidate catalog, the model selector with racing, and the learning-curve
diagnosis.
"""

# ModelSelector and its candidate catalog (issue 6)
from sklearn_workflow.selection._catalog import candidate_table
from sklearn_workflow.selection._selector import ModelSelector

__all__ = [
    # ModelSelector and its candidate catalog (issue 6)
    "ModelSelector",
    "candidate_table",
]
