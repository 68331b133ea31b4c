"""Fast instances of every public estimator, for the common scikit-learn checks.

``tests/test_common.py`` runs ``parametrize_with_checks`` and the extra public
checks over :func:`all_estimator_instances`; ``tests/test_public_api.py`` asserts that
every estimator class of the package appears here, so none escapes the checks.
Add an instance here when adding an estimator, and its known failures, each with a
reason, to :data:`EXPECTED_FAILED_CHECKS`.
"""

__all__ = [
    "EXPECTED_FAILED_CHECKS",
    "all_estimator_instances",
    "expected_failed_checks",
]

# {class name: {check name: reason}} -- every entry must really fail (xfail_strict).
EXPECTED_FAILED_CHECKS = {
    "ThresholdTunedClassifier": {
        "check_classifiers_train": (
            "decision_function passes the estimator's scores through while predict "
            "applies the tuned threshold, so they disagree at the cut-off 0 (as for "
            "scikit-learn's TunedThresholdClassifierCV)"
        ),
    },
}


def all_estimator_instances():
    """One fast, fully parametrised instance of every public estimator.

    Returns
    -------
    instances : list of estimator instances
    """
    # Problem definition
    from sklearn_workflow.problem import RuleClassifier

    instances = []
    # Arrays name their columns by position: x0 is the first column.
    instances.append(RuleClassifier(rule="x0 > 0"))

    # Features: log transform, binning, ratios, group aggregations
    from sklearn_workflow.features import (
        Binner,
        GroupAggregator,
        LogTransformer,
        RatioFeatures,
    )

    instances += [
        LogTransformer(skew_threshold=-10.0),
        Binner(columns=None, bins=3),
        RatioFeatures(pairs=((0, 1),)),
        GroupAggregator(by=0, aggregations={1: ("mean", "count")}),
    ]

    # Data quality: DataQualityChecker with on_violation="raise" so that
    # a batch with other column names fails with scikit-learn's feature-name
    # message, as check_dataframe_column_names_consistency expects (the default
    # "warn" only warns); range_tolerance=1.0 so that a test split of the same
    # distribution (check_fit_idempotent) is not out of range.
    from sklearn_workflow.quality import DataQualityChecker

    instances.append(DataQualityChecker(on_violation="raise", range_tolerance=1.0))

    # TableCleaner: the checks pass numeric arrays and frames, which it leaves as
    # they are; its text conversions are tested in tests/quality/test_cleaner.py.
    from sklearn_workflow.quality import TableCleaner

    instances.append(TableCleaner())

    # TargetEncoder with columns="all": the checks pass numeric arrays,
    # which columns=None leaves alone; and with default parameters.
    from sklearn_workflow.features import TargetEncoder

    instances += [TargetEncoder(columns="all", cv=3), TargetEncoder()]

    # DateFeatureExtractor with columns="all" reads the checks' numeric arrays
    # as epoch seconds; with default parameters it leaves them alone and warns.
    from sklearn_workflow.features import DateFeatureExtractor

    instances += [DateFeatureExtractor(columns="all"), DateFeatureExtractor()]

    # ThresholdTunedClassifier
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    from sklearn_workflow.thresholds import ThresholdTunedClassifier

    instances += [
        # balanced accuracy (scikit-learn's default objective) treats both
        # classes alike, so the text labels of the checks need no pos_label
        ThresholdTunedClassifier(
            LogisticRegression(), objective="balanced_accuracy", cv=3
        ),
        # default parameters
        ThresholdTunedClassifier(LogisticRegression()),
    ]

    # ModelSelector: a classifier and a regressor selector, two fast
    # candidates each, three folds (the checks fit on a few dozen rows).
    from sklearn_workflow.selection import ModelSelector

    instances += [
        ModelSelector(
            {
                "logit": LogisticRegression(),
                "tree": DecisionTreeClassifier(max_depth=3),
            },
            cv=3,
            random_state=0,
        ),
        ModelSelector(
            {"ridge": Ridge(), "tree": DecisionTreeRegressor(max_depth=3)},
            cv=3,
            random_state=0,
        ),
        # random search: two candidates, two configurations each from the
        # catalog's spaces (and one more near each of the two leaders)
        ModelSelector(
            {
                "logit": LogisticRegression(),
                "tree": DecisionTreeClassifier(max_depth=3),
            },
            cv=3,
            search="random",
            n_configs=2,
            random_state=0,
        ),
    ]

    # WeightedEnsemble: a soft vote of two fast classifiers, a weighted mean
    # of two fast regressors.
    from sklearn_workflow.selection import WeightedEnsemble

    instances += [
        # Linear members: a tree's ties make weighted and repeated rows split
        # differently from one fit to the next.
        WeightedEnsemble(
            [
                ("logit", LogisticRegression()),
                ("logit_strong", LogisticRegression(C=0.1)),
            ],
            weights=(0.75, 0.25),
        ),
        WeightedEnsemble(
            [("ridge", Ridge()), ("linear", LinearRegression())],
            weights=(0.75, 0.25),
        ),
    ]
    return instances


# Failures of one configuration only: {class name: (parameters, {check: reason})}.
_EXPECTED_FAILED_WITH = {
    "ThresholdTunedClassifier": (
        {"objective": "auto", "pos_label": None},
        {
            "check_classifiers_classes": (
                "the default objective, F1, depends on which class is positive, "
                "and the checks' labels 'one'/'two' name none: fit raises and "
                "asks for pos_label, as scikit-learn's F1 does (scikit-learn's "
                "tuner passes with its default objective, balanced accuracy, "
                "which treats both classes alike; so does ours)"
            ),
        },
    ),
}


# Failures of the classifier instances only: {class name: {check: reason}}.
_EXPECTED_FAILED_CLASSIFIER = {
    "ModelSelector": {
        "check_sample_weight_equivalence_on_dense_data": (
            "the selection's stratified folds are drawn on the rows: a row "
            "repeated twice can fall in two folds, a row of weight 2 in one, so "
            "the two fits select on different folds (as GridSearchCV)"
        ),
    },
}


def _sklearn_before(major, minor):
    import sklearn

    found = tuple(int(part) for part in sklearn.__version__.split(".")[:2])
    return found < (major, minor)


def expected_failed_checks(estimator):
    """The expected failures of ``estimator``: ``{check name: reason}``."""
    from sklearn.base import is_classifier

    name = type(estimator).__name__
    failures = dict(EXPECTED_FAILED_CHECKS.get(name, {}))
    if is_classifier(estimator):
        failures.update(_EXPECTED_FAILED_CLASSIFIER.get(name, {}))
    if name == "ThresholdTunedClassifier" and _sklearn_before(1, 7):
        reason = (
            "scikit-learn < 1.7: its LogisticRegression fits weighted and "
            "repeated rows to different solutions (it lists this check as an "
            "expected failure of its own)"
        )
        for kind in ("dense", "sparse"):
            failures[f"check_sample_weight_equivalence_on_{kind}_data"] = reason
    if name in _EXPECTED_FAILED_WITH:
        params, checks = _EXPECTED_FAILED_WITH[name]
        current = estimator.get_params(deep=False)
        if all(current[key] == value for key, value in params.items()):
            failures.update(checks)
    return failures
