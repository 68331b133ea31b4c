"""Stages 2 and 3, data understanding and exploratory analysis.

The data contract learned at fit and checked at transform, the quality findings,
distribution drift (PSI) and the EDA overview plot.
"""

__all__ = []
