"""Hundreds of requests, a fifth of them malformed in every way a client gets a
request wrong: never a 5xx, every 4xx names its column or its problem, and the
rows served get the answers ``predict`` gives (the bad cells read as missing)."""

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from sklearn_workflow.deploy import create_app
from sklearn_workflow.workflow._door import predict_table

from .conftest import records

N_REQUESTS = 200
MAX_ROWS = 50


def _mistakes(numeric, text, date):
    """Each mistake: (name, how it changes the records, what the typed rows
    become for the reference, or None when the request must be refused)."""

    def set_cell(column, value, missing=True):
        def body(rows):
            rows[0][column] = value
            return {"records": rows}

        def typed(frame):
            frame = frame.copy()
            if missing:
                if frame[column].dtype.kind in "iu":
                    frame[column] = frame[column].astype(float)
                frame.loc[frame.index[0], column] = None
            return frame

        return body, typed

    def refuse(change):
        return change, None

    def drop(column):
        return lambda rows: {"records": [_without(r, column) for r in rows]}

    def rename(column):
        return lambda rows: {
            "records": [
                {**_without(r, column), column.upper(): r[column]} for r in rows
            ]
        }

    keep = lambda frame: frame  # noqa: E731
    return [
        ("missing column", *refuse(drop(text))),
        ("misspelled column", *refuse(rename(numeric))),
        ("extra column", lambda rows: {"records": [dict(r, note="x") for r in rows]},
         keep),  # fmt: skip
        ("text in a numeric column", *set_cell(numeric, "forty")),
        ("boolean in a numeric column", *set_cell(numeric, True)),
        ("null", *set_cell(numeric, None)),
        ("null text", *set_cell(text, None)),
        ("text in a date column", *set_cell(date, "yesterday")),
        ("nested value", *refuse(lambda rows: {"records": [dict(rows[0], **{
            text: [1]})]})),  # fmt: skip
        ("empty body", *refuse(lambda rows: b"")),
        ("not JSON", *refuse(lambda rows: b"{records: oops")),
        ("a list", *refuse(lambda rows: rows)),
        ("records not objects", *refuse(lambda rows: {"records": [[1, 2]]})),
        ("ragged columns", *refuse(lambda rows: {"columns": {numeric: [1, 2],
                                                             text: [None]}})),
        ("no rows", *refuse(lambda rows: {"records": []})),
        ("huge batch", *refuse(lambda rows: {"records": rows[:1] * (MAX_ROWS + 1)})),
    ]  # fmt: skip


def _without(row, column):
    return {k: v for k, v in row.items() if k != column}


def _exercise(model, X_new, numeric, text, date, seed):
    rng = np.random.default_rng(seed)
    client = TestClient(create_app(model, max_rows=MAX_ROWS))
    mistakes = _mistakes(numeric, text, date)
    served, answers = [], []
    counts = {"2xx": 0, "4xx": 0, "refusals expected": 0}
    for i in range(N_REQUESTS):
        start = int(rng.integers(0, len(X_new) - 3))
        typed = X_new.iloc[start : start + int(rng.integers(1, 4))]
        rows = records(typed)
        if i % 5:
            body, expected = {"records": rows}, typed
        else:
            _, change, fix = mistakes[(i // 5) % len(mistakes)]
            body, expected = change(rows), None if fix is None else fix(typed)
            counts["refusals expected"] += fix is None
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        answer = client.post("/predict", content=content)
        assert answer.status_code < 500, answer.text
        if expected is None:
            assert 400 <= answer.status_code < 500, (body, answer.text)
            for item in answer.json()["detail"]:
                assert item.get("column") or item.get("problem"), item
                assert item["message"]
            counts["4xx"] += 1
            continue
        assert answer.status_code == 200, (body, answer.text)
        counts["2xx"] += 1
        served.append(expected)
        answers.append(answer.json())
    return served, answers, counts


def _check_answers(model, served, answers, atol=0.0):
    frame = pd.concat(served, ignore_index=True)
    table, _ = predict_table(model, frame, verbose=0)
    predictions = [p for a in answers for p in a["predictions"]]
    proba = np.array([p for a in answers for p in a["probabilities"]])
    assert predictions == table["prediction"].tolist()
    columns = [f"proba_{c}" for c in answers[0]["classes"]]
    expected = table[columns].to_numpy()
    np.testing.assert_allclose(
        proba, expected, rtol=1e-12 if not atol else 0, atol=atol
    )


def test_server_malformed_requests_demo(churn_model, churn):
    _, _, X_new = churn
    served, answers, counts = _exercise(
        churn_model, X_new, "tenure_months", "contract", "signup_date", seed=0
    )
    _check_answers(churn_model, served, answers)
    assert counts["4xx"] == counts["refusals expected"] > 0


def test_server_malformed_requests_real_table(penguins_model, penguins):
    X, _ = penguins
    # no date column: text in the integer "year" instead
    served, answers, counts = _exercise(
        penguins_model, X, "body_mass_g", "island", "year", seed=1
    )
    _check_answers(penguins_model, served, answers)
    assert counts["4xx"] == counts["refusals expected"] > 0


def _carrying_its_reference(model, X, y):
    """A copy of ``model`` with the monitoring reference the workflow saves:
    its server answers through ONNX where the graph agrees with the pipeline."""
    import copy

    from sklearn_workflow.monitor import attach_reference, build_reference

    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    model = copy.deepcopy(model)
    scores = model.predict_proba(X)
    scores = scores[:, 1] if scores.shape[1] == 2 else scores
    reference = build_reference(model, X, y, oof_scores=scores, reference_rows=100)
    return attach_reference(model, reference)


@pytest.mark.parametrize("table", ["demo", "real"])
def test_server_malformed_requests_through_the_onnx_engine(
    table, churn_model, churn, penguins_model, penguins
):
    if table == "demo":
        X, y, X_new = churn
        model = _carrying_its_reference(churn_model, X, y)
        columns = ("tenure_months", "contract", "signup_date")
    else:
        X_new, y = penguins
        model = _carrying_its_reference(penguins_model, X_new, y)
        columns = ("body_mass_g", "island", "year")
    engine = TestClient(create_app(model)).get("/model").json()["engine"]
    assert engine["name"] == "onnx", engine["reason"]
    served, answers, counts = _exercise(model, X_new, *columns, seed=2)
    _check_answers(model, served, answers, atol=1e-9)
    assert counts["4xx"] == counts["refusals expected"] > 0
