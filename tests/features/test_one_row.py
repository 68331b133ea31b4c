"""One-row transforms of the feature transformers and the cleaner equal the batch path.

The mixin skips ``validate_data`` when a DataFrame has exactly the columns seen
at fit, and writes new float columns as one block; these tests compare every
transformer's one-row and batch outputs with the checked path (the shortcut
switched off), with a fresh fit on the same data and with scikit-learn's
``config_context(assume_finite=True, skip_parameter_validation=True)``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_workflow.deploy import PreparedModel
from sklearn_workflow.exceptions import DataQualityWarning, DataValidationError
from sklearn_workflow.features import (
    Binner,
    DateFeatureExtractor,
    GroupAggregator,
    LogTransformer,
    RatioFeatures,
    TargetEncoder,
)
from sklearn_workflow.features._base import _ColumnTransformerMixin
from sklearn_workflow.quality import TableCleaner
from sklearn_workflow.quality import _cleaner as cleaner_module
from sklearn_workflow.utils._dataframe import make_output


def _table(seed, n=60):
    rng = np.random.default_rng(seed)
    start = np.datetime64("2021-01-01T00:00:00")
    X = pd.DataFrame(
        {
            "signup": start + rng.integers(0, 10**8, n).astype("timedelta64[s]"),
            "amount": rng.lognormal(3, 1.5, n),
            "visits": rng.integers(0, 50, n),
            "city": rng.choice(["Lyon", "Paris", "Nice"], n),
            "income": rng.normal(1000, 100, n),
            "member": rng.random(n) < 0.5,
            "score": pd.array(rng.integers(0, 9, n), dtype="Int64"),
        },
        index=np.arange(100, 100 + n),
    )
    X.loc[X.index[3], "amount"] = np.nan
    X.loc[X.index[4], "score"] = pd.NA
    y = (rng.random(n) < 0.4).astype(int)
    return X, y


TRANSFORMERS = [
    DateFeatureExtractor(columns=["signup"]),
    LogTransformer(columns=["amount"], drop_original=False),
    LogTransformer(),
    TargetEncoder(columns=["city"], random_state=0),
    Binner(["income"], bins=4),
    RatioFeatures([("amount", "income")]),
    GroupAggregator("city", {"amount": ["mean"]}),
]


def _checked_path(monkeypatch):
    """The transform path without the shortcuts (validate_data, per column)."""
    monkeypatch.setattr(
        _ColumnTransformerMixin, "_same_columns_as_fit", lambda self, X: False
    )
    monkeypatch.setattr(
        _ColumnTransformerMixin,
        "_output",
        lambda self, X, names, values: make_output(self, X, dict(zip(names, values))),
    )


def _fit(transformer, X, y):
    return sklearn.clone(transformer).fit(X, y)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=repr)
def test_one_row_transform_equals_batch_and_checked_path(
    transformer, global_random_seed, monkeypatch
):
    X, y = _table(global_random_seed)
    fitted = _fit(transformer, X, y)
    batch = fitted.transform(X)
    rows = pd.concat([fitted.transform(X.iloc[[k]]) for k in range(len(X))])
    pd.testing.assert_frame_equal(rows, batch)
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        pd.testing.assert_frame_equal(fitted.transform(X.iloc[[5]]), batch.iloc[[5]])
    refit = _fit(transformer, X, y)
    with monkeypatch.context() as patch:
        _checked_path(patch)
        pd.testing.assert_frame_equal(refit.transform(X), batch)
        pd.testing.assert_frame_equal(refit.transform(X.iloc[[7]]), batch.iloc[[7]])


def test_one_row_output_keeps_passthrough_dtypes_and_index(monkeypatch):
    X, y = _table(0)
    fitted = LogTransformer(columns=["amount"]).fit(X)
    out = fitted.transform(X.iloc[[2]])
    assert out.index.tolist() == [102]
    assert out["visits"].dtype == X["visits"].dtype
    assert out["signup"].dtype == X["signup"].dtype
    assert out["member"].dtype == bool
    assert out["score"].dtype == "Int64"
    with monkeypatch.context() as patch:
        _checked_path(patch)
        expected = fitted.transform(X.iloc[[2]])
    pd.testing.assert_frame_equal(out, expected)


@pytest.mark.parametrize(
    "change, err_type, err_msg",
    [
        (lambda X: X.drop(columns="amount"), ValueError, "amount"),
        (lambda X: X[X.columns[::-1]], ValueError, "same order"),
        (lambda X: X.assign(extra=1.0), ValueError, "extra"),
        (lambda X: X.rename(columns={"income": "incme"}), ValueError, "incme"),
        (lambda X: X.iloc[:0], ValueError, "0 sample"),
    ],
)
def test_one_row_wrong_columns_still_raise(change, err_type, err_msg):
    X, _ = _table(0)
    fitted = LogTransformer().fit(X)
    with pytest.raises(err_type, match=err_msg):
        fitted.transform(change(X.iloc[[0]]))


def test_prepared_model_one_row_equals_pipeline(global_random_seed):
    X, y = _table(global_random_seed)
    features = ColumnTransformer(
        [
            ("dates", DateFeatureExtractor(columns=["signup"]), ["signup"]),
            ("te", TargetEncoder(columns=["city"], random_state=0), ["city"]),
            ("log", LogTransformer(), ["amount", "visits", "income"]),
        ]
    )
    model = make_pipeline(features, StandardScaler(), LogisticRegression()).fit(
        X.fillna(0), y
    )
    prepared = PreparedModel(model)
    X = X.fillna(0)
    expected = model.predict_proba(X)
    rows = np.vstack([prepared.predict_proba(X.iloc[[k]]) for k in range(len(X))])
    np.testing.assert_allclose(rows, expected, rtol=0, atol=1e-12)


def _messy_table():
    X = pd.DataFrame(
        {
            "charges": ["29.85", "1,889.5", " ", "108.15", "oops", "7"],
            "churn": ["No", "Yes", "yes", None, "no", "maybe"],
            "code": ["A-1", "-", "B-2", "A-1", "C", "D"],
            "when": ["2021-01-02", "2021-02-03", "", "2021-03-04", "x", "2021-05-06"],
        },
        index=[5, 6, 7, 8, 9, 10],
    )
    return X


@pytest.mark.parametrize("rows", [slice(None), [4], [0]])
def test_cleaner_transform_with_report_equals_two_passes(rows):
    X = _messy_table()
    cleaner = TableCleaner().fit(X.iloc[:4])
    new = X.iloc[rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        out, report = cleaner.transform(new, return_report=True)
        expected = cleaner.transform(new)
    pd.testing.assert_frame_equal(out, expected)
    pd.testing.assert_frame_equal(report, cleaner.transform_report(new))
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            fast, _ = cleaner.transform(new, return_report=True)
    pd.testing.assert_frame_equal(fast, expected)


def test_cleaner_transform_with_report_warns_raises_and_wraps():
    X = _messy_table()
    cleaner = TableCleaner().fit(X.iloc[:4])
    with pytest.warns(DataQualityWarning, match="'oops'"):
        _, report = cleaner.transform(X.iloc[[4]], return_report=True)
    assert report.set_index("column").loc["charges", "n_invalid"] == 1
    strict = TableCleaner(on_invalid="raise").fit(X.iloc[:4])
    with pytest.raises(DataValidationError, match="charges"):
        strict.transform(X.iloc[[4]], return_report=True)
    cleaner.set_output(transform="polars")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        out, report = cleaner.transform(X.iloc[[4]], return_report=True)
    assert type(out).__module__.startswith("polars")
    assert list(report["column"]) == list(cleaner.transform_report(X.iloc[[4]]).column)
    with pytest.raises(ValueError, match="charges"):
        cleaner.transform(X.drop(columns="charges"), return_report=True)


def test_cleaner_output_keeps_dtypes_and_index(monkeypatch):
    X, _ = _table(0)
    X = X.assign(charges=["1,234.5", "2", " ", "7"] * 15)
    cleaner = TableCleaner(on_invalid="ignore").fit(X)
    out = cleaner.transform(X.iloc[[3]])
    with monkeypatch.context() as patch:
        patch.setattr(cleaner_module, "_plain_values", lambda values: values)
        pd.testing.assert_frame_equal(out, cleaner.transform(X.iloc[[3]]))
        batch = cleaner.transform(X)
    pd.testing.assert_frame_equal(cleaner.transform(X), batch)
    assert out.index.tolist() == [103]
    assert out.dtypes.to_dict() == batch.dtypes.to_dict()
    assert out["score"].dtype == "Int64" and out["charges"].dtype == np.float64
