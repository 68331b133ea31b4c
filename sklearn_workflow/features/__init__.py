"""Stage 4, feature engineering: fitted transformers that learn on training data only.

Date features, target encoding, log transform, binning, ratios and interactions, and
group aggregations.
"""

from sklearn_workflow.features._dates import DateFeatureExtractor

__all__ = ["DateFeatureExtractor"]
