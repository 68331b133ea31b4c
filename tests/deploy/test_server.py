"""The model server: the door at every request, answers equal to ``predict``,
no 5xx for any body a client can send, tokens, metrics, shadow mode."""

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from sklearn_workflow.deploy import create_app
from sklearn_workflow.workflow._door import predict_table

from .conftest import RunningServer, records


@pytest.fixture(scope="module")
def client(churn_model):
    return TestClient(create_app(churn_model, identity={"model_version": "abc"}))


def expected(model, frame):
    table, _ = predict_table(model, frame.reset_index(drop=True), verbose=0)
    return table


def assert_same_answers(answer, table, classes):
    assert answer["predictions"] == table["prediction"].tolist()
    proba = np.array(answer["probabilities"])
    columns = [f"proba_{c}" for c in classes]
    np.testing.assert_allclose(proba, table[columns].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape", ["records", "columns"])
def test_server_predictions_equal_predict(client, churn_model, churn, shape):
    _, _, X_new = churn
    batch = X_new.head(40)
    rows = records(batch)
    body = (
        {"records": rows}
        if shape == "records"
        else {"columns": {k: [r[k] for r in rows] for k in rows[0]}}
    )
    answer = client.post("/predict", json=body)
    assert answer.status_code == 200, answer.text
    payload = answer.json()
    assert_same_answers(payload, expected(churn_model, batch), payload["classes"])
    assert payload["classes"] == [0, 1]
    assert payload["threshold"] == pytest.approx(churn_model[-1].threshold_)
    assert payload["model_version"] == "abc"
    assert len(payload["violations"]) == 40


def test_server_one_row_equals_predict_and_keeps_ids(client, churn_model, churn):
    _, _, X_new = churn
    for i in range(5):
        row = records(X_new.iloc[[i]])[0]
        answer = client.post("/predict", json={"records": [{**row, "id": f"r{i}"}]})
        payload = answer.json()
        assert payload["ids"] == [f"r{i}"]
        table = expected(churn_model, X_new.iloc[[i]])
        assert_same_answers(payload, table, payload["classes"])


@pytest.mark.parametrize("column", ["city", "tenure_months"])
def test_server_missing_or_misspelled_column_is_422_naming_it(client, churn, column):
    _, _, X_new = churn
    row = records(X_new.head(1))[0]
    row[column + "_x"] = row.pop(column)
    answer = client.post("/predict", json={"records": [row]})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert detail == [
        {
            "column": column,
            "kind": "missing_column",
            "message": f"the request lacks the model's input column {column!r}",
        }
    ]


def test_server_text_in_a_numeric_column_warns_and_strict_refuses(churn_model, churn):
    _, _, X_new = churn
    rows = records(X_new.head(3))
    rows[1]["age"] = "forty"
    lenient = TestClient(create_app(churn_model)).post(
        "/predict", json={"records": rows}
    )
    assert lenient.status_code == 200
    payload = lenient.json()
    assert payload["violations"][1] == [
        {"column": "age", "kind": "invalid", "value": "forty"}
    ]
    assert payload["violations"][0] == []
    assert any("age" in line for line in payload["warnings"])
    # the row is scored with age missing, as predict scores it
    frame = X_new.head(3).reset_index(drop=True).copy()
    frame["age"] = frame["age"].astype(float)
    frame.loc[1, "age"] = np.nan
    assert_same_answers(payload, expected(churn_model, frame), payload["classes"])
    strict = TestClient(create_app(churn_model, strict=True)).post(
        "/predict", json={"records": rows}
    )
    assert strict.status_code == 422
    detail = strict.json()["detail"]
    assert detail[0]["column"] == "age" and detail[0]["kind"] == "invalid"


def test_server_unseen_category_and_far_value_are_row_violations(client, churn):
    _, _, X_new = churn
    rows = records(X_new.head(4))
    rows[2]["contract"] = "Lifetime"
    rows[3]["num_sessions"] = 10_000
    payload = client.post("/predict", json={"records": rows}).json()
    assert payload["violations"][2] == [
        {"column": "contract", "kind": "unseen_category", "value": "Lifetime"}
    ]
    assert payload["violations"][3] == [
        {"column": "num_sessions", "kind": "out_of_range", "value": 10_000}
    ]
    assert payload["violations"][0] == [] and payload["violations"][1] == []


@pytest.mark.parametrize(
    "body, status, problem",
    [
        (b"", 400, "empty_body"),
        (b"   ", 400, "empty_body"),
        (b"age=3", 400, "not_json"),
        (b'{"records": [{"age": 3}', 400, "not_json"),
        (b"[1, 2]", 422, "bad_shape"),
        (b'{"rows": []}', 422, "bad_shape"),
        (b'{"records": [1, 2]}', 422, "bad_shape"),
        (b'{"records": []}', 422, "no_rows"),
        (b'{"columns": {"age": [1, 2], "city": [1]}}', 422, "ragged_columns"),
        (b'{"records": [{}, {}], "columns": {}}', 422, "bad_shape"),
        (b'{"records": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "not_json"),
    ],
    ids=lambda value: value[:40] if isinstance(value, bytes) else value,
)
def test_server_body_errors_name_the_problem(client, body, status, problem):
    answer = client.post("/predict", content=body)
    assert answer.status_code == status
    assert answer.json()["detail"][0]["problem"] == problem
    assert answer.json()["detail"][0]["message"]


def test_server_limits_bytes_and_rows_with_413(churn_model, churn):
    _, _, X_new = churn
    app = create_app(churn_model, max_rows=5, max_bytes=2_000)
    client = TestClient(app)
    many = client.post("/predict", json={"records": records(X_new.head(6))[:1] * 6})
    assert many.status_code == 413
    assert many.json()["detail"][0]["problem"] == "too_many_rows"
    big = client.post("/predict", content=b" " * 3_000)
    assert big.status_code == 413
    assert big.json()["detail"][0]["problem"] == "too_large"


def test_server_nested_value_names_its_column(client, churn):
    _, _, X_new = churn
    row = records(X_new.head(1))[0]
    row["city"] = {"name": "Paris"}
    answer = client.post("/predict", json={"records": [row]})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["column"] == "city"


def test_server_token_guards_every_route_but_health(churn_model, churn):
    _, _, X_new = churn
    client = TestClient(create_app(churn_model, token="s3cret"))
    body = {"records": records(X_new.head(1))}
    assert client.get("/health").status_code == 200
    for method, route in [("post", "/predict"), ("get", "/model"), ("get", "/metrics")]:
        kwargs = {"json": body} if method == "post" else {}
        call = getattr(client, method)
        assert call(route, **kwargs).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert call(route, headers=wrong, **kwargs).status_code == 401
        good = {"Authorization": "Bearer s3cret"}
        assert call(route, headers=good, **kwargs).status_code == 200


def test_server_model_route_shows_schema_identity_and_latency(churn_model, churn):
    _, _, X_new = churn
    identity = {"model_version": "v1", "latency_ms": 100.0, "card": "# Card"}
    client = TestClient(create_app(churn_model, identity=identity))
    for i in range(3):
        client.post("/predict", json={"records": records(X_new.iloc[[i]])})
    info = client.get("/model").json()
    assert info["model_version"] == "v1" and info["card"] == "# Card"
    assert info["identity"]["latency_ms"] == 100.0
    schema = {item["name"]: item for item in info["input_schema"]}
    assert list(schema) == list(churn_model.feature_names_in_)
    assert schema["contract"]["categories"] == sorted(
        schema["contract"]["categories"], key=["Monthly", "Annual", "Two-Year"].index
    )
    assert schema["age"]["kind"] == "numeric"
    assert schema["age"]["min"] <= schema["age"]["max"]
    assert schema["signup_date"]["min"].startswith("20")
    assert info["latency"]["n"] == 3 and info["latency"]["limit_ms"] == 100.0
    assert info["latency"]["p95_ms"] > 0
    # a model without rows to check the ONNX graph on answers through Python
    assert info["engine"]["name"] == "python"
    assert "no rows to check" in info["engine"]["reason"]


@pytest.fixture(scope="module")
def reference_model(churn_model, churn):
    """The churn model carrying its monitoring reference (as the workflow saves it)."""
    import copy

    from sklearn_workflow.monitor import attach_reference, build_reference

    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    X, y, _ = churn
    model = copy.deepcopy(churn_model)
    scores = model.predict_proba(X)[:, 1]
    reference = build_reference(model, X, y, oof_scores=scores, reference_rows=100)
    return attach_reference(model, reference)


def test_server_onnx_engine_answers_equal_predict(reference_model, churn):
    _, _, X_new = churn
    client = TestClient(create_app(reference_model))
    engine = client.get("/model").json()["engine"]
    assert engine["name"] == "onnx", engine["reason"]
    assert "monitoring reference" in engine["reason"]
    rows = records(X_new.head(12))
    rows[1]["contract"], rows[2]["num_sessions"] = "Lifetime", 10_000
    rows[3]["age"], rows[4]["city"], rows[5]["signup_date"] = "forty", None, None
    rows[6]["income"], rows[7]["last_login"] = -1e9, "1901-01-01T00:00:00"
    for body in [rows, *[[row] for row in rows]]:
        payload = client.post("/predict", json={"records": body}).json()
        frame = pd.DataFrame.from_records(body)
        table = expected(reference_model, frame)
        assert payload["predictions"] == table["prediction"].tolist()
        np.testing.assert_allclose(
            np.array(payload["probabilities"]),
            table[["proba_0", "proba_1"]].to_numpy(),
            rtol=0,
            atol=1e-9,
        )
    assert sum(map(bool, payload["violations"])) == 0  # the last row is clean


def _samples(text, name):
    """``{labels: value}`` of one metric in Prometheus text."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            key, value = line.rsplit(" ", 1)
            out[key[len(name) :]] = float(value)
    return out


def test_server_metrics_count_requests_violations_and_psi(churn_model, churn):
    _, _, X_new = churn
    client = TestClient(create_app(churn_model))
    rows = records(X_new.head(200))
    for k in range(0, 200, 50):
        client.post("/predict", json={"records": rows[k : k + 50]})
    bad = dict(rows[0], contract="Lifetime")
    client.post("/predict", json={"records": [bad]})
    client.post("/predict", content=b"nope")
    text = client.get("/metrics").text
    requests = _samples(text, "sklearn_workflow_requests_total")
    assert requests['{route="/predict",status="200"}'] == 5
    assert requests['{route="/predict",status="400"}'] == 1
    assert _samples(text, "sklearn_workflow_rows_total")[""] == 201
    buckets = _samples(text, "sklearn_workflow_request_seconds_bucket")
    assert buckets['{le="+Inf"}'] == 6
    violations = _samples(text, "sklearn_workflow_violations_total")
    assert violations['{column="contract",kind="unseen_category"}'] == 1
    psi = _samples(text, "sklearn_workflow_psi")
    # PSI of the 201 recent rows equals the checker's own on those rows
    served = pd.concat([X_new.head(200), X_new.head(1).assign(contract="Lifetime")])
    reference = churn_model.named_steps["quality"].drift(served)
    assert psi['{column="age"}'] == pytest.approx(reference["age"], rel=1e-9)
    assert psi['{column="contract"}'] == pytest.approx(reference["contract"])


def test_server_shadow_mode_logs_both_models_without_changing_answers(
    churn_model, penguins_model, churn, tmp_path
):
    _, _, X_new = churn
    challenger = churn_model[:-1]  # no predict: the challenger fails, logged
    from sklearn.base import clone

    second = clone(churn_model).set_params(model__objective="precision")
    second.fit(*churn[:2])
    log = tmp_path / "shadow.jsonl"
    rows = [dict(r, id=i) for i, r in enumerate(records(X_new.head(7)))]
    plain = TestClient(create_app(churn_model)).post("/predict", json={"records": rows})
    shadowed = TestClient(
        create_app(churn_model, challenger=second, shadow_log=log)
    ).post("/predict", json={"records": rows})
    assert shadowed.json() == plain.json()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["id"] for line in lines] == list(range(7))
    table = expected(second, X_new.head(7))
    assert [line["challenger"]["prediction"] for line in lines] == table[
        "prediction"
    ].tolist()
    assert [line["champion"]["prediction"] for line in lines] == plain.json()[
        "predictions"
    ]
    broken = tmp_path / "broken.jsonl"
    TestClient(create_app(churn_model, challenger=challenger, shadow_log=broken)).post(
        "/predict", json={"records": rows[:2]}
    )
    assert all("error" in json.loads(x)["challenger"] for x in broken.open())


def test_server_runs_in_process_on_a_free_loopback_port(churn_model, churn):
    httpx = pytest.importorskip("httpx")
    _, _, X_new = churn
    app = create_app(churn_model, token="t")
    with RunningServer(app) as server:
        assert httpx.get(server.url + "/health").json()["status"] == "ok"
        answer = httpx.post(
            server.url + "/predict",
            json={"records": records(X_new.head(3))},
            headers={"Authorization": "Bearer t"},
        )
        assert answer.status_code == 200
        table = expected(churn_model, X_new.head(3))
        assert_same_answers(answer.json(), table, [0, 1])
        assert httpx.get(server.url + "/model").status_code == 401
    assert not server.thread.is_alive()


@pytest.mark.parametrize(
    "body",
    [
        b'{"records": [{"age": 1e400}]}',  # valid JSON, read as infinity
        b'{"records": [{"age": Infinity}]}',  # what Python's json writes
    ],
)
def test_server_infinite_number_is_a_row_violation_served_as_missing(
    churn_model, churn, body
):
    _, _, X_new = churn
    row = records(X_new.head(1))[0]
    text = json.dumps({k: v for k, v in row.items() if k != "age"})
    body = body.replace(b'"age"', text[1:-1].encode() + b', "age"')
    payload = TestClient(create_app(churn_model)).post("/predict", content=body)
    assert payload.status_code == 200, payload.text
    payload = payload.json()
    assert payload["violations"][0] == [
        {"column": "age", "kind": "infinite", "value": None}
    ]
    frame = X_new.head(1).reset_index(drop=True).astype({"age": float})
    frame.loc[0, "age"] = np.nan
    assert_same_answers(payload, expected(churn_model, frame), payload["classes"])
    strict = TestClient(create_app(churn_model, strict=True)).post(
        "/predict", content=body
    )
    assert strict.status_code == 422
    assert strict.json()["detail"][0]["column"] == "age"
