"""The candidate catalog: the algorithm comparison table, as data.

Each entry names an estimator (module, class and parameters, so the table stays
plain data), the task it solves and the comparison columns: training speed,
prediction speed, whether it handles missing values, whether it needs feature
scaling and how interpretable it is. The order of the entries is the order of
preference of ``ModelSelector(selection="one_se")``: most interpretable first,
then fastest to train.
"""

import importlib
import importlib.util
from dataclasses import dataclass, field

import pandas as pd
from scipy.stats import loguniform, randint, uniform

from sklearn_workflow.selection._search import describe_space
from sklearn_workflow.utils._param_validation import StrOptions, validate_params

__all__ = [
    "MAX_ROWS_SLOW_CANDIDATES",
    "CatalogEntry",
    "candidate_table",
    "default_candidates",
    "filter_candidates",
    "find_entry",
]

# Above this many training rows, the candidates whose training or prediction time
# grows quadratically with the rows (SVM, KNN) are left out.
MAX_ROWS_SLOW_CANDIDATES = 20_000
# The classifiers that take only the labels 0 to n_classes - 1: ModelSelector
# fits them through ``_LabelEncodingClassifier``.
_INTEGER_LABELS = ("XGBClassifier",)
# The catalog's training speeds that make a candidate fast enough for a short
# time budget (its prediction speed must not be "Slow" either).
_FAST_SPEEDS = ("Fast", "Very fast")


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
    search_space: dict = field(default_factory=dict)

    @property
    def needs_scaling(self):
        return self.feature_scaling == "Required"

    @property
    def encodes_labels(self):
        """Whether the classifier needs the labels encoded as 0 to n_classes - 1."""
        return self.task == _C and self.estimator in _INTEGER_LABELS

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

# The search space of each family (``ModelSelector(search="random")``): the few
# parameters that matter most, on the estimator's own parameter names. Rates and
# penalties are log-uniform (their effect is multiplicative); sizes are integers.
# The ranges hold the usual good values, the defaults included where they are
# inside a range.
_BOOSTING_RATE = loguniform(0.02, 0.3)
_SEARCH_SPACES = {
    "Decision tree": {"max_depth": randint(2, 16), "min_samples_leaf": randint(1, 21)},
    "Naive Bayes": {"var_smoothing": loguniform(1e-11, 1e-2)},
    "Logistic regression": {"C": loguniform(1e-3, 1e2)},
    "Ridge": {"alpha": loguniform(1e-3, 1e3)},
    "KNN (k=5)": {"n_neighbors": randint(3, 51), "weights": ["uniform", "distance"]},
    "Random forest": {
        "max_features": uniform(0.1, 0.9),
        "min_samples_leaf": randint(1, 11),
    },
    "Gradient boosting": {
        "max_leaf_nodes": randint(8, 65),
        "learning_rate": _BOOSTING_RATE,
        "l2_regularization": loguniform(1e-4, 10.0),
        "min_samples_leaf": randint(5, 61),
    },
    "LightGBM": {
        "num_leaves": randint(8, 65),
        "learning_rate": _BOOSTING_RATE,
        "reg_lambda": loguniform(1e-4, 10.0),
        "min_child_samples": randint(5, 61),
        "max_depth": [-1, 4, 6, 8, 12],
    },
    "XGBoost": {
        "max_depth": randint(3, 11),
        "learning_rate": _BOOSTING_RATE,
        "reg_lambda": loguniform(1e-3, 10.0),
        "min_child_weight": loguniform(0.5, 20.0),
    },
    "SVM (RBF)": {"C": loguniform(1e-1, 1e3), "gamma": loguniform(1e-4, 1.0)},
}

# One row per family of algorithms: its name (or its classification and
# regression names), module, classifier and regressor classes (None: not for that
# task), parameters, then the comparison columns: training speed, prediction
# speed, handles missing values, feature scaling, interpretable. Ordered by
# interpretability (Very high, High, Medium, Low), then training speed.
_FAMILIES = (
    ("Decision tree", "sklearn.tree",
     ("DecisionTreeClassifier", "DecisionTreeRegressor"),
     {"max_depth": 5}, "Fast", "Very fast", "Yes (some)", "Not needed", "Very high"),
    ("Naive Bayes", "sklearn.naive_bayes", ("GaussianNB", None),
     {}, "Very fast", "Very fast", "Depends", "Not needed", "High"),
    ("Logistic regression", "sklearn.linear_model", ("LogisticRegression", None),
     {"max_iter": 1000}, "Fast", "Very fast", "No", "Required", "High"),
    ("Ridge", "sklearn.linear_model", (None, "Ridge"),
     {"alpha": 1.0}, "Fast", "Very fast", "No", "Required", "High"),
    ("KNN (k=5)", "sklearn.neighbors", ("KNeighborsClassifier", "KNeighborsRegressor"),
     {"n_neighbors": 5}, "None (lazy)", "Slow", "No", "Required", "Medium"),
    ("Random forest", "sklearn.ensemble",
     ("RandomForestClassifier", "RandomForestRegressor"),
     {"n_estimators": 100}, "Medium", "Medium", "Yes (some)", "Not needed", "Medium"),
    ("Gradient boosting", "sklearn.ensemble",
     ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor"),
     {}, "Fast", "Fast", "Yes", "Not needed", "Low"),
    ("LightGBM", "lightgbm", ("LGBMClassifier", "LGBMRegressor"),
     _LGBM, "Fast", "Fast", "Yes", "Not needed", "Low"),
    ("XGBoost", "xgboost", ("XGBClassifier", "XGBRegressor"),
     _XGB, "Medium", "Fast", "Yes", "Not needed", "Low"),
    (("SVM (RBF)", "SVR (RBF)"), "sklearn.svm", ("SVC", "SVR"),
     {"kernel": "rbf"}, "Slow (large n)", "Fast", "No", "Required", "Low"),
)  # fmt: skip


def _family_entries(task):
    """The catalog entries of ``task``, in the order of ``_FAMILIES``."""
    which = 0 if task == _C else 1
    for names, module, classes, params, *columns in _FAMILIES:
        if classes[which] is None:
            continue
        name = names if isinstance(names, str) else names[which]
        space = _SEARCH_SPACES[names if isinstance(names, str) else names[0]]
        yield CatalogEntry(
            name, task, module, classes[which], params, *columns, search_space=space
        )


_CATALOG = (*_family_entries(_C), *_family_entries(_R))


def _catalog_task(task):
    """``"classification"`` or ``"regression"`` from a task in either vocabulary."""
    if task in ("classification", "binary_classification", "multiclass_classification"):
        return _C
    if task == _R:
        return _R
    raise ValueError(
        "task must be 'classification', 'binary_classification', "
        f"'multiclass_classification' or 'regression', got {task!r}."
    )


def default_candidates(task, random_state=None):
    """The installed catalog entries of ``task``, in preference order.

    Parameters
    ----------
    task : {"classification", "binary_classification", \
"multiclass_classification", "regression"}
        The task of the target.
    random_state : int or None, default=None
        Seed given to every candidate that takes one.

    Returns
    -------
    candidates : dict
        ``{name: (estimator, entry)}``.
    """
    task = _catalog_task(task)
    return {
        entry.name: (entry.build(random_state), entry)
        for entry in _CATALOG
        if entry.task == task and entry.available
    }


def filter_candidates(task, n_rows, *, fast_only, random_state=None):
    """The candidates to race: the whole catalog unless time or size says no.

    With ``fast_only`` (a short time budget) only the candidates the catalog
    rates fast to train, and not slow to predict, race; above
    ``MAX_ROWS_SLOW_CANDIDATES`` training rows the ones whose training time
    grows quadratically with the rows (SVM) or that have no training step and
    predict slowly (KNN) are left out.

    Parameters
    ----------
    task : {"classification", "binary_classification", \
"multiclass_classification", "regression"}
        The task of the target.
    n_rows : int
        The number of training rows.
    fast_only : bool
        Keep only the fast candidates.
    random_state : int or None, default=None
        Seed given to every candidate that takes one.

    Returns
    -------
    candidates : "default" or dict
        ``"default"`` when nothing is left out (the ``candidates`` of
        :class:`~sklearn_workflow.selection.ModelSelector` that races the whole
        catalog), else ``{name: estimator}``.
    reason : str
        Why candidates were left out, naming them or the ones kept; ``""`` when
        nothing is left out.

    Examples
    --------
    >>> from sklearn_workflow.selection._catalog import filter_candidates
    >>> filter_candidates("binary_classification", 5_000, fast_only=False)
    ('default', '')
    >>> candidates, reason = filter_candidates("regression", 50_000, fast_only=False)
    >>> reason  # doctest: +NORMALIZE_WHITESPACE
    '50,000 training rows: leaving out the candidates that do not scale
    (KNN (k=5), SVR (RBF))'
    >>> "SVR (RBF)" in candidates
    False
    """
    task = _catalog_task(task)
    if not fast_only and n_rows <= MAX_ROWS_SLOW_CANDIDATES:
        return "default", ""
    catalog = default_candidates(task, random_state)
    if fast_only:
        chosen = {
            name: est
            for name, (est, entry) in catalog.items()
            if entry.training_speed in _FAST_SPEEDS and entry.prediction_speed != "Slow"
        }
        why = f"time budget: racing the fast candidates only ({', '.join(chosen)})"
    else:
        chosen = {
            name: est
            for name, (est, entry) in catalog.items()
            if not entry.training_speed.startswith(("Slow", "None"))
        }
        why = (
            f"{n_rows:,} training rows: leaving out the candidates that do not "
            f"scale ({', '.join(sorted(set(catalog) - set(chosen)))})"
        )
    return chosen, why


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
    """The candidate catalog as a table: the algorithm comparison table.

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
        ``interpretable``, ``installed`` (False for LightGBM or XGBoost when
        the package is missing; such candidates are left out of the defaults)
        and ``search_space`` (the parameters ``ModelSelector(search="random")``
        searches, and their distributions, as text).

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
    >>> print(table.loc[1, "search_space"])
    alpha: log-uniform on [0.001, 1000]
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
            "search_space": describe_space(entry.search_space),
        }
        for entry in _CATALOG
        if task is None or entry.task == task
    ]
    return pd.DataFrame(rows)
