"""Stages 5 and 6, model selection and training.

The candidate catalog, the model selector with racing, and the learning-curve
diagnosis.
"""

__all__ = []
