"""The machine-learning workflow, from problem definition to production.

Every stage of the workflow is a scikit-learn estimator that drops into
``Pipeline``, ``ColumnTransformer`` and ``GridSearchCV``:

1. problem definition -- :mod:`sklearn_workflow.problem`
2. data collection and understanding -- :mod:`sklearn_workflow.quality`
3. exploratory data analysis -- :mod:`sklearn_workflow.quality`
4. feature engineering -- :mod:`sklearn_workflow.features`
5. model selection -- :mod:`sklearn_workflow.selection`
6. training and tuning -- :mod:`sklearn_workflow.selection`,
   :mod:`sklearn_workflow.thresholds`
7. evaluation and deployment -- :mod:`sklearn_workflow.evaluation`,
   :mod:`sklearn_workflow.deploy`

Demo data lives in :mod:`sklearn_workflow.datasets`; the end-to-end runner behind
``python -m sklearn_workflow`` in :mod:`sklearn_workflow.workflow`.
"""

__version__ = "0.1.0.dev0"

# The central objects, importable from the top level; imported after the version
# so that any module may read ``sklearn_workflow.__version__`` while loading.
from sklearn_workflow.features import DateFeatureExtractor, TargetEncoder
from sklearn_workflow.quality import DataQualityChecker
from sklearn_workflow.selection import ModelSelector
from sklearn_workflow.thresholds import ThresholdTunedClassifier

__all__ = [
    "DataQualityChecker",
    "DateFeatureExtractor",
    "ModelSelector",
    "TargetEncoder",
    "ThresholdTunedClassifier",
    "__version__",
]
