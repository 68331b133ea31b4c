"""The candidate catalog: the seed's algorithm comparison table, as data.

Each entry names an estimator (module, class and parameters, so the table stays
plain data), the task it solves and the seed's columns: training speed,
prediction speed, whether it handles missing values, whether it needs feature
scaling and how interpretable it is. The order of the entries is the order of
preference of ``ModelSelector(selection="one_se")``: most interpretable first,
then fastest to train.
"""

import importlib
import importlib.util
from dataclasses import dataclass, field

import pandas as pd

from sklearn_workflow.utils._param_validation import StrOptions, validate_params

__all__ = ["CatalogEntry", "candidate_table", "default_candidates", "find_entry"]


@dataclass(frozen=True)
class CatalogEntry:
    """One algorithm of the catalog (plain data: the estimator is built lazily)."""

    name: str
    task: str
    module: str
    estimator: str
    params: dict = field(default_factory=dict)
    training_speed: str = ""
    prediction_speed: str = ""
    handles_missing: str = "No"
    feature_scaling: str = "Not needed"
    interpretable: str = ""
    requires: str | None = None

    @property
    def needs_scaling(self):
        return self.feature_scaling == "Required"

    @property
    def available(self):
        package = self.requires or self.module.split(".")[0]
        return importlib.util.find_spec(package) is not None

    def build(self, random_state=None):
        """A fresh estimator of this entry, seeded when it takes a seed."""
        cls = getattr(importlib.import_module(self.module), self.estimator)
        estimator = cls(**self.params)
        if random_state is not None and "random_state" in estimator.get_params():
            estimator.set_params(random_state=random_state)
        return estimator


_C, _R = "classification", "regression"
# One thread each: ModelSelector parallelises over (candidate, fold) pairs.
_LGBM = {"n_estimators": 100, "n_jobs": 1, "verbose": -1}
_XGB = {"n_estimators": 100, "n_jobs": 1, "tree_method": "hist", "verbosity": 0}

# Ordered by interpretability (Very high, High, Medium, Low), then training speed.
_CATALOG = (
    # -- classification ---------------------------------------------------------
    CatalogEntry(
        "Decision tree", _C, "sklearn.tree", "DecisionTreeClassifier",
        {"max_depth": 5}, "Fast", "Very fast", "Yes (some)", "Not needed",
        "Very high",
    ),
    CatalogEntry(
        "Naive Bayes", _C, "sklearn.naive_bayes", "GaussianNB", {},
        "Very fast", "Very fast", "Depends", "Not needed", "High",
    ),
    CatalogEntry(
        "Logistic regression", _C, "sklearn.linear_model", "LogisticRegression",
        {"max_iter": 1000}, "Fast", "Very fast", "No", "Required", "High",
    ),
    CatalogEntry(
        "KNN (k=5)", _C, "sklearn.neighbors", "KNeighborsClassifier",
        {"n_neighbors": 5}, "None (lazy)", "Slow", "No", "Required", "Medium",
    ),
    CatalogEntry(
        "Random forest", _C, "sklearn.ensemble", "RandomForestClassifier",
        {"n_estimators": 100}, "Medium", "Medium", "Yes (some)", "Not needed",
        "Medium",
    ),
    CatalogEntry(
        "Gradient boosting", _C, "sklearn.ensemble",
        "HistGradientBoostingClassifier", {}, "Fast", "Fast", "Yes", "Not needed",
        "Low",
    ),
    CatalogEntry(
        "LightGBM", _C, "lightgbm", "LGBMClassifier", _LGBM, "Fast", "Fast", "Yes",
        "Not needed", "Low",
    ),
    CatalogEntry(
        "XGBoost", _C, "xgboost", "XGBClassifier", _XGB, "Medium", "Fast", "Yes",
        "Not needed", "Low",
    ),
    CatalogEntry(
        "SVM (RBF)", _C, "sklearn.svm", "SVC", {"kernel": "rbf"},
        "Slow (large n)", "Fast", "No", "Required", "Low",
    ),
    # -- regression -------------------------------------------------------------
    CatalogEntry(
        "Decision tree", _R, "sklearn.tree", "DecisionTreeRegressor",
        {"max_depth": 5}, "Fast", "Very fast", "Yes (some)", "Not needed",
        "Very high",
    ),
    CatalogEntry(
        "Ridge", _R, "sklearn.linear_model", "Ridge", {"alpha": 1.0}, "Fast",
        "Very fast", "No", "Required", "High",
    ),
    CatalogEntry(
        "KNN (k=5)", _R, "sklearn.neighbors", "KNeighborsRegressor",
        {"n_neighbors": 5}, "None (lazy)", "Slow", "No", "Required", "Medium",
    ),
    CatalogEntry(
        "Random forest", _R, "sklearn.ensemble", "RandomForestRegressor",
        {"n_estimators": 100}, "Medium", "Medium", "Yes (some)", "Not needed",
        "Medium",
    ),
    CatalogEntry(
        "Gradient boosting", _R, "sklearn.ensemble", "HistGradientBoostingRegressor",
        {}, "Fast", "Fast", "Yes", "Not needed", "Low",
    ),
    CatalogEntry(
        "LightGBM", _R, "lightgbm", "LGBMRegressor", _LGBM, "Fast", "Fast", "Yes",
        "Not needed", "Low",
    ),
    CatalogEntry(
        "XGBoost", _R, "xgboost", "XGBRegressor", _XGB, "Medium", "Fast", "Yes",
        "Not needed", "Low",
    ),
    CatalogEntry(
        "SVR (RBF)", _R, "sklearn.svm", "SVR", {"kernel": "rbf"}, "Slow (large n)",
        "Fast", "No", "Required", "Low",
    ),
)  # fmt: skip


def default_candidates(task, random_state=None):
    """The installed catalog entries of ``task``, in preference order.

    Parameters
    ----------
    task : {"classification", "regression"}
        The task of the target.
    random_state : int or None, default=None
        Seed given to every candidate that takes one.

    Returns
    -------
    candidates : dict
        ``{name: (estimator, entry)}``.
    """
    return {
        entry.name: (entry.build(random_state), entry)
        for entry in _CATALOG
        if entry.task == task and entry.available
    }


def find_entry(estimator, task=None):
    """The catalog entry of ``estimator``'s class, or None for other estimators."""
    name = type(estimator).__name__
    for entry in _CATALOG:
        if entry.estimator == name and (task is None or entry.task == task):
            return entry
    return None


@validate_params(
    {"task": [StrOptions({"classification", "regression"}), None]},
    prefer_skip_nested_validation=True,
)
def candidate_table(task=None):
    """The candidate catalog as a table: the seed's algorithm comparison.

    Parameters
    ----------
    task : {"classification", "regression"} or None, default=None
        Only the candidates of this task; None lists both.

    Returns
    -------
    table : pandas.DataFrame
        One row per candidate, in the order of preference that
        ``ModelSelector(selection="one_se")`` uses, with the columns ``name``,
        ``task``, ``estimator`` (the class), ``training_speed``,
        ``prediction_speed``, ``handles_missing``, ``feature_scaling``,
        ``interpretable`` and ``installed`` (False for LightGBM or XGBoost when
        the package is missing; such candidates are left out of the defaults).

    See Also
    --------
    sklearn_workflow.selection.ModelSelector : Cross-validates these candidates.

    Examples
    --------
    >>> from sklearn_workflow.selection import candidate_table
    >>> table = candidate_table("regression")
    >>> table[["name", "feature_scaling"]].head(3)
                name feature_scaling
    0  Decision tree      Not needed
    1          Ridge        Required
    2      KNN (k=5)        Required
    """
    rows = [
        {
            "name": entry.name,
            "task": entry.task,
            "estimator": entry.estimator,
            "training_speed": entry.training_speed,
            "prediction_speed": entry.prediction_speed,
            "handles_missing": entry.handles_missing,
            "feature_scaling": entry.feature_scaling,
            "interpretable": entry.interpretable,
            "installed": entry.available,
        }
        for entry in _CATALOG
        if task is None or entry.task == task
    ]
    return pd.DataFrame(rows)
