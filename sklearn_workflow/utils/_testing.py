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
EXPECTED_FAILED_CHECKS = {}


def all_estimator_instances():
    """One fast, fully parametrised instance of every public estimator.

    Returns
    -------
    instances : list of estimator instances
    """
    instances = []
    # ModelSelector (issue 6): a classifier and a regressor selector, two fast
    # candidates each, three folds (the checks fit on a few dozen rows).
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

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
    ]
    return instances


def expected_failed_checks(estimator):
    """The expected failures of ``estimator``: ``{check name: reason}``."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
