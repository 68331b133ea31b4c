import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_workflow.datasets import load_demo, make_churn

NUMERIC = [
    "age",
    "income",
    "tenure_months",
    "purchase_amount",
    "num_sessions",
    "support_tickets",
]


def test_make_churn_shape_columns_and_dtypes():
    X, y = make_churn(n_samples=800, random_state=0)
    assert X.shape == (800, 12)
    assert y.shape == (800,) and y.name == "churned"
    assert list(X.columns) == [
        "customer_id",
        "signup_date",
        "last_login",
        "age",
        "income",
        "tenure_months",
        "contract",
        "city",
        "purchase_amount",
        "num_sessions",
        "support_tickets",
        "cancellation_requested",
    ]
    for name in ("signup_date", "last_login"):
        assert X[name].dtype == np.dtype("datetime64[us]")
    for name in ("customer_id", "contract", "city"):
        assert pd.api.types.is_string_dtype(X[name].dtype)
    for name in NUMERIC + ["cancellation_requested"]:
        assert pd.api.types.is_numeric_dtype(X[name].dtype)
    assert set(y.unique()) == {0, 1}
    assert set(X["contract"]) == {"Monthly", "Annual", "Two-Year"}


def test_make_churn_values_are_plausible():
    X, y = make_churn(n_samples=5000, random_state=1)
    assert (X["last_login"] > X["signup_date"]).all()
    assert X["tenure_months"].between(1, 72).all()
    assert 0.03 < X["income"].isna().mean() < 0.07
    assert X.drop(columns="income").notna().all().all()
    # customer_id is unique except for the duplicated rows
    assert X["customer_id"].nunique() == len(X) - X.duplicated().sum()
    # city: high cardinality with a long tail
    counts = X["city"].value_counts()
    assert counts.size > 150
    assert counts.iloc[0] > 20 * counts.iloc[-1]
    # purchase_amount is right-skewed
    assert X["purchase_amount"].skew() > 1


def test_make_churn_is_deterministic():
    X1, y1 = make_churn(n_samples=300, random_state=7)
    X2, y2 = make_churn(n_samples=300, random_state=7)
    pd.testing.assert_frame_equal(X1, X2)
    pd.testing.assert_series_equal(y1, y2)
    X3, _ = make_churn(n_samples=300, random_state=8)
    assert not X1.equals(X3)


@pytest.mark.parametrize("seed", range(5))
def test_make_churn_positive_rate_leak_and_duplicates(seed):
    X, y = make_churn(n_samples=5000, random_state=seed)
    assert 0.22 <= y.mean() <= 0.32
    assert (X["cancellation_requested"] == y).mean() > 0.95
    assert X.duplicated().sum() >= 5
    # duplicates repeat the whole record, target included
    full = X.assign(churned=y)
    assert full.duplicated().sum() == X.duplicated().sum()


def test_make_churn_signal_is_learnable(global_random_seed):
    X, y = make_churn(n_samples=5000, random_state=global_random_seed)
    X_train, X_test, y_train, y_test = train_test_split(
        X[NUMERIC], y, test_size=0.25, stratify=y, random_state=0
    )
    model = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression())
    model.fit(X_train, y_train)
    auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    assert auc > 0.70


def test_make_churn_as_arrays():
    X, y = make_churn(n_samples=100, random_state=0, as_frame=False)
    assert isinstance(X, np.ndarray) and X.shape == (100, 12) and X.dtype == object
    assert isinstance(y, np.ndarray) and y.dtype.kind == "i"


@pytest.mark.parametrize(
    "params, err_msg",
    [
        ({"n_samples": 5}, "n_samples"),
        ({"n_samples": 100.5}, "n_samples"),
        ({"random_state": "zero"}, "random_state"),
    ],
)
def test_make_churn_rejects_bad_parameters(params, err_msg):
    with pytest.raises(ValueError, match=err_msg):
        make_churn(**params)


def test_load_demo_is_the_fixed_demo():
    X, y = load_demo()
    X0, y0 = make_churn(5000, random_state=0)
    pd.testing.assert_frame_equal(X, X0)
    pd.testing.assert_series_equal(y, y0)
