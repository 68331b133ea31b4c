"""scikit-learn's estimator checks on every public estimator of the package.

``parametrize_with_checks`` runs the checks of ``check_estimator``; the tests below
add the public checks it does not run. The instances and their expected failures,
each with a reason, come from ``sklearn_workflow/utils/_testing.py``.
"""

import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_set_output_transform_polars,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from sklearn_workflow.utils._testing import (
    all_estimator_instances,
    expected_failed_checks,
)

ESTIMATORS = all_estimator_instances()
TRANSFORMERS = [est for est in ESTIMATORS if hasattr(est, "transform")]
PREDICTORS = [est for est in ESTIMATORS if is_classifier(est) or is_regressor(est)]


def _id(estimator):
    return type(estimator).__name__


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_id)
def test_param_validation(estimator):
    check_param_validation(_id(estimator), estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_id)
def test_dataframe_column_names_consistency(estimator):
    check_dataframe_column_names_consistency(_id(estimator), estimator)


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
def test_transformer_get_feature_names_out(estimator):
    check_transformer_get_feature_names_out(_id(estimator), estimator)


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
def test_transformer_get_feature_names_out_pandas(estimator):
    check_transformer_get_feature_names_out_pandas(_id(estimator), estimator)


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
def test_set_output_transform(estimator):
    check_set_output_transform(_id(estimator), estimator)


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
def test_set_output_transform_pandas(estimator):
    check_set_output_transform_pandas(_id(estimator), estimator)


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=_id)
def test_set_output_transform_polars(estimator):
    pytest.importorskip("polars")
    check_set_output_transform_polars(_id(estimator), estimator)


def test_every_estimator_kind_is_checked():
    # Each estimator is either a transformer or a predictor, so the lists above
    # together cover the whole list of instances.
    for estimator in ESTIMATORS:
        assert estimator in TRANSFORMERS or estimator in PREDICTORS, _id(estimator)
