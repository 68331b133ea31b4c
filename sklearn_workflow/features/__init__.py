"""Stage 4, feature engineering: fitted transformers that learn on training data only.

Date features, target encoding, log transform, binning, ratios and interactions, and
group aggregations.
"""

from sklearn_workflow.features._binner import Binner
from sklearn_workflow.features._dates import DateFeatureExtractor
from sklearn_workflow.features._group import GroupAggregator
from sklearn_workflow.features._log import LogTransformer
from sklearn_workflow.features._ratio import RatioFeatures
from sklearn_workflow.features._target_encoder import TargetEncoder

__all__ = [
    "Binner",
    "DateFeatureExtractor",
    "GroupAggregator",
    "LogTransformer",
    "RatioFeatures",
    "TargetEncoder",
]
