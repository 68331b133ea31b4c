"""Stages 2 and 3, data understanding and exploratory analysis.

The types of a raw table's text columns read from their values (numbers stored as
text, booleans, dates, free text), the data contract learned at fit and checked at
transform, the quality findings, distribution drift (PSI) and the EDA overview plot.
"""

from sklearn_workflow.quality._checker import DataQualityChecker
from sklearn_workflow.quality._cleaner import TableCleaner
from sklearn_workflow.quality._drift import population_stability_index
from sklearn_workflow.quality._plot import plot_eda
from sklearn_workflow.quality._report import QualityReport

__all__ = [
    "DataQualityChecker",
    "QualityReport",
    "TableCleaner",
    "plot_eda",
    "population_stability_index",
]
