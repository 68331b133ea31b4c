"""The identity stored with a saved model, read back and shown on the card."""

import json
import zipfile

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from sklearn_workflow.deploy import (
    data_fingerprint,
    load,
    make_model_card,
    model_identity,
    read_identity,
    save,
)
from sklearn_workflow.deploy._identity import IDENTITY_MEMBER
from sklearn_workflow.problem import ProblemSpec


@pytest.fixture
def frame():
    return pd.DataFrame(
        {"age": [31.0, None, 50.0], "city": ["Lyon", "Nice", None]}
    ), pd.Series([0, 1, 0])


def test_data_fingerprint_follows_every_value_row_column_and_label(frame):
    X, y = frame
    base = data_fingerprint(X, y)
    assert base == data_fingerprint(X.copy(), y.copy())
    assert base.startswith("sha256:") and len(base) == 7 + 64
    changed = [
        data_fingerprint(X.assign(age=[31.0, None, 51.0]), y),
        data_fingerprint(X.iloc[::-1].reset_index(drop=True), y),
        data_fingerprint(X.rename(columns={"age": "years"}), y),
        data_fingerprint(X, y.replace({1: 2})),
        data_fingerprint(X),
    ]
    assert len({base, *changed}) == 6


def test_model_identity_contents_and_version(frame):
    X, y = frame
    spec = ProblemSpec(
        name="Churn", type="binary_classification", target="churned",
        success_metric="recall", threshold=0.8, positive_class=1,
        constraints={"latency_ms": 50},
    )  # fmt: skip
    identity = model_identity(X, y, spec=spec, card="# Card", source="x.csv",
                              trained_at="2026-01-05T00:00:00+00:00")  # fmt: skip
    assert identity["latency_ms"] == 50
    assert identity["spec"]["target"] == "churned"
    assert identity["card"] == "# Card" and identity["source"] == "x.csv"
    assert identity["data"] == {
        "fingerprint": data_fingerprint(X, y),
        "n_rows": 3,
        "columns": ["age", "city"],
    }
    import sklearn

    assert identity["versions"]["scikit-learn"] == sklearn.__version__
    again = model_identity(X, y, spec=spec, card="# Card", source="x.csv",
                           trained_at="2026-01-05T00:00:00+00:00")  # fmt: skip
    assert again["model_version"] == identity["model_version"]
    other = model_identity(X.assign(age=1.0), y, trained_at="2026-01-05T00:00:00+00:00")
    assert other["model_version"] != identity["model_version"]
    json.dumps(identity)  # plain JSON


def test_save_stores_the_identity_readable_after_load(frame, tmp_path):
    X, y = frame
    model = DummyClassifier().fit(X[["age"]].fillna(0), y)
    identity = model_identity(X, y, card="# Card")
    path = save(model, tmp_path / "model.skops", identity=identity)
    loaded = load(path)
    assert loaded.predict([[1.0]]).tolist() == model.predict([[1.0]]).tolist()
    assert read_identity(path) == identity
    with zipfile.ZipFile(path) as archive:
        assert IDENTITY_MEMBER in archive.namelist()
    save(model, path)  # saved again without one
    assert read_identity(path) is None


def test_model_card_lists_the_identity(frame):
    X, y = frame
    model = DummyClassifier().fit(X[["age"]].fillna(0), y)
    identity = model_identity(X, y, trained_at="2026-01-05T00:00:00+00:00")
    card = make_model_card(model, name="Churn", task="binary_classification",
                           target="churned", data={}, metrics={},
                           identity=identity)  # fmt: skip
    section = card[card.index("## Identity") :]
    assert f"| model version | {identity['model_version']} |" in section
    assert "| trained at | 2026-01-05T00:00:00+00:00 |" in section
    assert identity["data"]["fingerprint"] in section
    assert "## Identity" not in make_model_card(
        model, name="Churn", task="binary_classification", target="churned",
        data={}, metrics={},
    )  # fmt: skip
