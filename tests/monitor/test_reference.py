import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.monitor import Monitor, build_reference, get_reference

from .conftest import monitored_model


def test_reference_is_saved_with_the_model_without_extra_trusted_types(churn, tmp_path):
    import skops.io as sio

    from sklearn_workflow.deploy import load, save, trusted_types

    X, y, X_new, y_new = churn
    X = X[["signup_date", "age", "income", "contract", "city"]]
    model = monitored_model(X, y, reference_rows=500)
    untrusted = sio.get_untrusted_types(data=sio.dumps(get_reference(model)))
    assert set(untrusted) <= set(trusted_types())
    save(model, tmp_path / "model.skops")
    loaded = load(tmp_path / "model.skops")
    reference, original = get_reference(loaded), get_reference(model)
    assert reference["columns"]["signup_date"]["kind"] == "datetime"
    np.testing.assert_array_equal(
        reference["sample"]["rows"], original["sample"]["rows"]
    )
    assert reference["calibration"] == original["calibration"]
    chunk = X_new[X.columns].iloc[:500]
    first = Monitor(model, multivariate=False).update(chunk).chunks_[0]
    again = Monitor(loaded, multivariate=False).update(chunk).chunks_[0]
    pd.testing.assert_frame_equal(
        pd.DataFrame(first["columns"]), pd.DataFrame(again["columns"])
    )


def test_reference_counts_a_discrete_column_value_by_value():
    X = pd.DataFrame({"tickets": [0, 1, 1, 2, 2, 2, np.nan, 3]})
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    model = LogisticRegression().fit(X.fillna(0), y)
    reference = build_reference(
        model, X, y, oof_scores=np.full(8, 0.5), reference_rows=0
    )
    tickets = reference["columns"]["tickets"]
    # below 0, then each value and the gap after it, then missing
    assert tickets["counts"].tolist() == [0, 1, 0, 2, 0, 3, 0, 1, 0, 1]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"oof_scores": np.zeros(3)},
            "oof_scores must have one score per training row",
        ),
    ],
)
def test_build_reference_errors(kwargs, message):
    X = pd.DataFrame({"a": np.arange(10.0)})
    y = np.arange(10) % 2
    model = LogisticRegression().fit(X, y)
    with pytest.raises(BadInputError, match=message):
        build_reference(model, X, y, **kwargs)
