"""Stages 2 and 3, data understanding and exploratory analysis.

The types of a raw table's text columns read from their values (numbers stored as
text, booleans, dates, free text), the data contract learned at fit and checked at
transform, the quality findings, distribution drift (PSI) and the EDA overview plot;
the time axis and whether a random split would leak, how values go missing
(Little's MCAR test) and multimodal columns (Hartigan's dip test) are findings too.
"""

from sklearn_workflow.quality._checker import DataQualityChecker
from sklearn_workflow.quality._cleaner import TableCleaner
from sklearn_workflow.quality._drift import population_stability_index
from sklearn_workflow.quality._missingness import MCARTestResult, little_mcar_test
from sklearn_workflow.quality._plot import plot_eda
from sklearn_workflow.quality._report import QualityReport

__all__ = [
    "DataQualityChecker",
    "MCARTestResult",
    "QualityReport",
    "TableCleaner",
    "little_mcar_test",
    "plot_eda",
    "population_stability_index",
]
