"""The model server: a FastAPI app around a fitted workflow pipeline.

:class:`ModelService` holds what does not depend on HTTP (reading a request
body, the door, the prediction, the shadow model, the metrics) and
:func:`create_app` puts it behind four routes. FastAPI is imported only when an
app is created (the ``serve`` extra).

Every answer to a bad request is a 4xx whose ``detail`` is a list of
``{"column": ..., "kind": ..., "message": ...}`` for a column's problem, or
``{"problem": ..., "message": ...}`` for a problem of the body itself.
"""

import json
import threading
import time
import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from sklearn_workflow.deploy._fast import PreparedModel
from sklearn_workflow.deploy._metrics import ServerMetrics
from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.report import to_jsonable
from sklearn_workflow.workflow._door import (
    _pipeline_door,
    pass_door,
    row_problems,
)

__all__ = ["ModelService", "Refusal", "create_app"]

MAX_BYTES = 10_000_000
MAX_ROWS = 10_000


class Refusal(Exception):
    """A request answered with a 4xx: its status and its ``detail`` list."""

    def __init__(self, status, detail):
        super().__init__(detail[0].get("message", ""))
        self.status = status
        self.detail = detail


def _body_problem(status, problem, message):
    return Refusal(status, [{"problem": problem, "message": message}])


def _column_problem(status, column, kind, message):
    return Refusal(status, [{"column": column, "kind": kind, "message": message}])


def input_schema(model):
    """The model's input columns: kind, dtype, missing rate, range, categories."""
    _, checker = _pipeline_door(model)
    columns = [str(c) for c in getattr(model, "feature_names_in_", [])]
    if checker is None or not hasattr(checker, "contract_"):
        return [{"name": c} for c in columns]
    schema = []
    for p in checker.contract_["columns"]:
        item = {
            "name": str(p["label"]),
            "kind": p["kind"],
            "dtype": p.get("dtype"),
            "missing_fraction": p.get("missing_fraction"),
        }
        if p["kind"] in ("numeric", "datetime") and p.get("min") is not None:
            low, high = p["min"], p["max"]
            if p["kind"] == "datetime":
                low, high = (str(np.datetime64(int(v), "us")) for v in (low, high))
            item.update(min=low, max=high)
        if p.get("categories") is not None:
            item["categories"] = list(p["categories"])
            item["high_cardinality"] = bool(p.get("high_cardinality"))
        schema.append(item)
    return to_jsonable(schema)


class ModelService:
    """A fitted model answering requests: the door, the prediction, the log.

    Parameters
    ----------
    model : Pipeline
        A fitted workflow pipeline (or any fitted estimator).
    strict : bool, default=False
        Refuse (422) a batch with contract violations instead of serving it
        with warnings.
    max_rows, max_bytes : int
        Larger requests are refused with 413.
    identity : dict, default=None
        The model's identity (:func:`~sklearn_workflow.deploy.read_identity`).
    challenger : estimator, default=None
        A second model scoring every request in the shadow of the first.
    shadow_log : path-like, default=None
        The JSON-lines file the shadow scores are appended to.
    metrics : ServerMetrics, default=None
    engine : {"auto", "python", "onnx"}, default="auto"
        The engine of the prepared model
        (:class:`~sklearn_workflow.deploy.PreparedModel`); the challenger's
        is "auto" unless "python" is asked for.
    """

    def __init__(
        self,
        model,
        *,
        strict=False,
        max_rows=MAX_ROWS,
        max_bytes=MAX_BYTES,
        identity=None,
        challenger=None,
        shadow_log=None,
        metrics=None,
        engine="auto",
    ):
        self.model = model
        self.fast = PreparedModel(model, engine=engine)
        self.strict = strict
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.identity = identity or {}
        self.version = self.identity.get("model_version") or "unversioned"
        # the challenger never stops the server: ONNX only where it agrees
        shadow_engine = "python" if engine == "python" else "auto"
        self.challenger = (
            None
            if challenger is None
            else PreparedModel(challenger, engine=shadow_engine)
        )
        self.challenger_model = challenger
        self.shadow_log = shadow_log
        self._shadow_lock = threading.Lock()
        limit = self.identity.get("latency_ms")
        _, checker = _pipeline_door(model)
        self.metrics = metrics or ServerMetrics(checker, limit_ms=limit)
        self.columns = [str(c) for c in getattr(model, "feature_names_in_", [])]
        final = self.fast.final
        self.threshold = getattr(final, "threshold_", None)
        classes = getattr(final, "classes_", None)
        self.classes = None if classes is None else to_jsonable(list(classes))

    # -- reading a request --------------------------------------------------------
    def parse(self, body):
        """The request's rows as a DataFrame, and their ids (or None)."""
        if len(body) > self.max_bytes:
            raise _body_problem(
                413,
                "too_large",
                f"the body has {len(body):,} bytes, more than the "
                f"{self.max_bytes:,} this server accepts",
            )
        if not body.strip():
            raise _body_problem(
                400,
                "empty_body",
                'the body is empty; send {"records": [{...}]} or '
                '{"columns": {"col": [...]}}',
            )
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _body_problem(
                400, "not_json", f"the body is not JSON: {exc}"
            ) from exc
        except RecursionError as exc:
            raise _body_problem(
                400, "not_json", "the body nests JSON deeper than Python can read"
            ) from exc
        return self._rows(document)

    def _rows(self, document):
        shape = 'send {"records": [{...}, ...]} or {"columns": {"col": [...]}}'
        if not isinstance(document, dict) or not (
            ("records" in document) ^ ("columns" in document)
        ):
            raise _body_problem(422, "bad_shape", f"unexpected JSON document; {shape}")
        if "records" in document:
            records = document["records"]
            if not isinstance(records, list) or not all(
                isinstance(r, dict) for r in records
            ):
                raise _body_problem(
                    422, "bad_shape", f'"records" must be a list of objects; {shape}'
                )
            frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
        else:
            columns = document["columns"]
            if not isinstance(columns, dict) or not all(
                isinstance(v, list) for v in columns.values()
            ):
                raise _body_problem(
                    422, "bad_shape", f'"columns" must map names to lists; {shape}'
                )
            lengths = {len(v) for v in columns.values()}
            if len(lengths) > 1:
                raise _body_problem(
                    422, "ragged_columns", f"the columns have lengths {sorted(lengths)}"
                )
            frame = pd.DataFrame(columns)
        return self._checked_rows(frame)

    def _checked_rows(self, frame):
        if len(frame) == 0:
            raise _body_problem(422, "no_rows", "the request holds no rows")
        if len(frame) > self.max_rows:
            raise _body_problem(
                413,
                "too_many_rows",
                f"the request holds {len(frame):,} rows, more than the "
                f"{self.max_rows:,} this server accepts",
            )
        ids = None
        if "id" in frame.columns and "id" not in self.columns:
            ids = to_jsonable(frame["id"].tolist())
            frame = frame.drop(columns="id")
        frame.columns = [str(c) for c in frame.columns]
        for name in frame.columns:
            nested = frame[name].map(lambda v: isinstance(v, (dict, list)))
            if nested.any():
                raise _column_problem(
                    422,
                    name,
                    "unsupported_value",
                    f"column {name!r} holds a nested object or list in row "
                    f"{int(np.flatnonzero(nested)[0])}",
                )
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise Refusal(
                422,
                [
                    {
                        "column": c,
                        "kind": "missing_column",
                        "message": f"the request lacks the model's input column {c!r}",
                    }
                    for c in missing
                ],
            )
        return frame, ids

    def too_large(self, size, start):
        """The 413 answer to a body of ``size`` bytes over the limit."""
        refusal = _body_problem(
            413,
            "too_large",
            f"the body has {size:,} bytes or more, more than the "
            f"{self.max_bytes:,} this server accepts",
        )
        self.metrics.observe("/predict", 413, time.perf_counter() - start)
        return 413, {"detail": refusal.detail}, None

    # -- answering ------------------------------------------------------------------
    def predict(self, body):
        """Answer a ``POST /predict`` body.

        Returns
        -------
        status : int
        payload : dict
        after : callable or None
            Work to do once the answer is sent (the shadow model).
        """
        start = time.perf_counter()
        try:
            frame, ids = self.parse(body)
            payload, problems, clean = self._answer(frame, ids)
        except Refusal as refusal:
            self.metrics.observe(
                "/predict", refusal.status, time.perf_counter() - start
            )
            return refusal.status, {"detail": to_jsonable(refusal.detail)}, None
        self.metrics.observe(
            "/predict",
            200,
            time.perf_counter() - start,
            n_rows=len(frame),
            problems=problems,
            rows=clean,
        )
        after = None
        if self.challenger is not None and self.shadow_log is not None:

            def after():
                self._shadow(frame, ids, payload)

        return 200, payload, after

    def _answer(self, frame, ids):
        raw = frame[self.columns] if self.columns else frame
        try:
            X, clean, report = pass_door(self.model, frame)
        except BadInputError as exc:
            raise _body_problem(422, "bad_input", str(exc)) from exc
        problems = row_problems(self.model, raw, clean, report)
        if self.strict and report.problems:
            raise Refusal(422, _strict_detail(report))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the door has reported them
                predictions, proba = self.fast.predict_with_proba(clean, cleaned=True)
        except (ValueError, TypeError) as exc:
            raise _body_problem(422, "unprocessable", str(exc)) from exc
        lines = report.lines() if report.problems or report.extra_columns else []
        payload = {
            "predictions": to_jsonable(list(predictions)),
            "probabilities": None if proba is None else _floats(proba),
            "classes": self.classes,
            "threshold": self.threshold,
            "violations": to_jsonable(problems),
            "warnings": lines,
            "model_version": self.version,
        }
        if ids is not None:
            payload["ids"] = ids
        return payload, problems, clean

    def _shadow(self, frame, ids, payload):
        """Score the request with the challenger; append one JSON line per row."""
        try:
            _, clean, _ = pass_door(self.challenger_model, frame)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                labels, proba = self.challenger.predict_with_proba(clean, cleaned=True)
            other = {
                "predictions": to_jsonable(list(labels)),
                "probabilities": None if proba is None else _floats(proba),
            }
        except Exception as exc:  # the challenger never changes the answer
            other = {"error": f"{type(exc).__name__}: {exc}"}
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        lines = []
        for i in range(len(frame)):
            row = {"id": None if ids is None else ids[i], "time": now}
            row["champion"] = _row_output(payload, i)
            row["challenger"] = other if "error" in other else _row_output(other, i)
            lines.append(json.dumps(to_jsonable(row)))
        with self._shadow_lock, open(self.shadow_log, "a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")

    def describe(self):
        """The ``GET /model`` document."""
        return to_jsonable(
            {
                "model_version": self.version,
                "identity": {k: v for k, v in self.identity.items() if k != "card"},
                "card": self.identity.get("card"),
                "input_schema": input_schema(self.model),
                "classes": self.classes,
                "threshold": self.threshold,
                "strict": self.strict,
                "limits": {"max_rows": self.max_rows, "max_bytes": self.max_bytes},
                "latency": self.metrics.latency(),
                "challenger": self.challenger is not None,
                "engine": {
                    "name": self.fast.engine_,
                    "reason": self.fast.engine_reason_,
                },
            }
        )


def _floats(proba):
    return [[float(v) for v in row] for row in np.asarray(proba)]


def _row_output(payload, i):
    probabilities = payload.get("probabilities")
    return {
        "prediction": payload["predictions"][i],
        "probabilities": None if probabilities is None else probabilities[i],
    }


def _strict_detail(report):
    """The 422 detail of ``--strict``: one entry per column problem."""
    detail = []
    if report.invalid is not None:
        for row in report.invalid.itertuples(index=False):
            detail.append(
                {
                    "column": row.column,
                    "kind": "invalid",
                    "message": f"{row.n_invalid:,} value(s) that are not {row.type} "
                    f"(e.g. {row.example!r})",
                }
            )
    if report.violations is not None:
        for row in report.violations.itertuples(index=False):
            detail.append(
                {"column": row.column, "kind": str(row.check), "message": row.message}
            )
    return to_jsonable(detail)


def create_app(
    model,
    *,
    strict=False,
    token=None,
    max_rows=MAX_ROWS,
    max_bytes=MAX_BYTES,
    identity=None,
    challenger=None,
    shadow_log=None,
    metrics_dir=None,
    engine="auto",
):
    """The FastAPI app serving a fitted model.

    Routes: ``POST /predict``, ``GET /health``, ``GET /model`` and
    ``GET /metrics`` (Prometheus text), described in ``docs/deploy.md``.

    Parameters
    ----------
    model : Pipeline
        A fitted workflow pipeline (or any fitted estimator).
    strict : bool, default=False
        Refuse a batch with contract violations (422) instead of serving it
        with warnings.
    token : str, default=None
        When given, every route but ``/health`` requires the header
        ``Authorization: Bearer <token>`` (401 otherwise).
    max_rows : int, default=10_000
        Rows per request; more is refused with 413.
    max_bytes : int, default=10_000_000
        Bytes per request body; more is refused with 413.
    identity : dict, default=None
        The model's identity, shown by ``GET /model``.
    challenger : estimator, default=None
        A second model scored on every request after the answer is sent.
    shadow_log : path-like, default=None
        Where the challenger's scores are appended (JSON lines).
    metrics_dir : path-like, default=None
        A folder shared by the worker processes, for metrics over all of them.
    engine : {"auto", "python", "onnx"}, default="auto"
        How the rows that passed the door are scored
        (:class:`~sklearn_workflow.deploy.PreparedModel`): "auto" uses ONNX
        when the model converts and its graph agrees with the pipeline on the
        rows the model carries; ``GET /model`` says which engine answers and
        why.

    Returns
    -------
    app : fastapi.FastAPI

    See Also
    --------
    sklearn_workflow.deploy.serve : Runs the app with uvicorn.

    Examples
    --------
    >>> import pandas as pd
    >>> from fastapi.testclient import TestClient
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_workflow.deploy import create_app
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> client = TestClient(create_app(LogisticRegression().fit(X, [0, 0, 1, 1])))
    >>> client.post("/predict", json={"records": [{"x": 2.5}]}).json()["predictions"]
    [1]
    >>> answer = client.post("/predict", json={"records": [{"y": 2.5}]})
    >>> answer.status_code, answer.json()["detail"][0]["column"]
    (422, 'x')
    >>> client.post("/predict", content=b"x=1").json()["detail"][0]["problem"]
    'not_json'
    """
    from sklearn_workflow.deploy._routes import build_app

    _, checker = _pipeline_door(model)
    limit = (identity or {}).get("latency_ms")
    metrics = ServerMetrics(checker, folder=metrics_dir, limit_ms=limit)
    service = ModelService(
        model,
        strict=strict,
        max_rows=max_rows,
        max_bytes=max_bytes,
        identity=identity,
        challenger=challenger,
        shadow_log=shadow_log,
        metrics=metrics,
        engine=engine,
    )
    return build_app(service, token=token)
