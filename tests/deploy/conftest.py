"""Fitted pipelines shaped like the workflow's saved model, shared by the
deployment tests: the churn demo (dates, target encoding, one-hot, logs, a
tuned threshold) and the Palmer penguins (a real table: text classes,
missing measurements and a missing sex)."""

import socket
import threading
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_workflow.datasets import make_churn
from sklearn_workflow.features import (
    DateFeatureExtractor,
    LogTransformer,
    TargetEncoder,
)
from sklearn_workflow.quality import DataQualityChecker, TableCleaner
from sklearn_workflow.thresholds import ThresholdTunedClassifier

NUMERIC = [
    "age",
    "income",
    "tenure_months",
    "purchase_amount",
    "num_sessions",
    "support_tickets",
]


def door(task):
    return [
        ("clean", TableCleaner()),
        ("quality", DataQualityChecker(task=task)),
    ]


@pytest.fixture(scope="session")
def churn():
    X, y = make_churn(1500, random_state=0)
    X = X.drop(columns=["customer_id", "cancellation_requested"])
    return X.iloc[:1200].reset_index(drop=True), y.iloc[:1200], X.iloc[1200:]


@pytest.fixture(scope="session")
def churn_model(churn):
    X, y, _ = churn
    features = ColumnTransformer(
        [
            ("dates", DateFeatureExtractor(), ["signup_date", "last_login"]),
            ("target_encoding", TargetEncoder(random_state=0), ["city"]),
            (
                "one_hot",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ["contract"],
            ),  # fmt: skip
            ("log_skewed", LogTransformer(), NUMERIC),
        ]
    ).set_output(transform="pandas")
    inner = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression())
    tuned = ThresholdTunedClassifier(inner, objective="f1", cv=3, random_state=0)
    model = Pipeline([*door("binary_classification"), ("features", features),
                      ("model", tuned)])  # fmt: skip
    return model.fit(X, y)


@pytest.fixture(scope="session")
def penguins():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    frame = palmerpenguins.load_penguins()
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    y = frame.pop("species")
    return frame, y


@pytest.fixture(scope="session")
def penguins_model(penguins):
    X, y = penguins
    numbers = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm",
               "body_mass_g", "year"]  # fmt: skip
    features = ColumnTransformer(
        [
            (
                "one_hot",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ["island", "sex"],
            ),  # fmt: skip
            ("numbers", "passthrough", numbers),
        ]
    ).set_output(transform="pandas")
    inner = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression())
    model = Pipeline([*door("multiclass_classification"), ("features", features),
                      ("model", inner)])  # fmt: skip
    return model.fit(X, y)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningServer:
    """A uvicorn server in a thread on a free loopback port."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="off")  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=30)


def records(frame):
    """JSON-ready records of a frame (dates as ISO text, missing as None)."""
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[name]):
            out[name] = out[name].dt.strftime("%Y-%m-%dT%H:%M:%S")
    out = out.astype(object).where(out.notna(), None)
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in out.to_dict("records")
    ]
