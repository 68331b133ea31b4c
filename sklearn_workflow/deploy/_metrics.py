"""What a model server counts, and the Prometheus text format it is read in.

:class:`ServerMetrics` counts requests by route and status, rows, violations by
column and kind, keeps a latency histogram and the latest one-row latencies
(for p50/p95/p99 against the card's ``constraints.latency_ms``) and the last
1,000 rows served (for PSI against the fitted checker's bins). With several
worker processes each writes its state to its own file in a shared folder,
every second while requests come in and at each scrape of its own; a scrape
adds up the files of all workers (see ``docs/deploy.md``).

:func:`latency_summary` and :func:`measure_latency` are the one definition of
"one-row latency against the card" that ``serve`` and the report share.
"""

import json
import os
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np
import pandas as pd

from sklearn_workflow.report import to_jsonable

__all__ = ["ServerMetrics", "latency_summary", "measure_latency", "prometheus_text"]

# Upper bounds (seconds) of the latency histogram's buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# One-row latencies kept for the percentiles, and rows kept for PSI.
N_LATENCIES = 10_000
N_RECENT_ROWS = 1_000
# How often a worker writes its state for the others (seconds).
FLUSH_SECONDS = 1.0


def latency_summary(latencies_ms, limit_ms=None):
    """p50, p95 and p99 of one-row latencies, against the card's limit.

    Parameters
    ----------
    latencies_ms : array-like of float
        One-row latencies in milliseconds.
    limit_ms : float, default=None
        ``constraints.latency_ms`` of the problem card (the p95 must stay under
        it).

    Returns
    -------
    summary : dict
        ``n``, ``p50_ms``, ``p95_ms``, ``p99_ms`` (None without any latency),
        ``limit_ms`` and ``within_limit`` (None without a limit or latencies).

    Examples
    --------
    >>> from sklearn_workflow.deploy import latency_summary
    >>> summary = latency_summary([2.0] * 95 + [50.0] * 5, limit_ms=10)
    >>> summary["p50_ms"], summary["within_limit"]
    (2.0, True)
    >>> latency_summary([], limit_ms=10)["within_limit"] is None
    True
    """
    values = np.asarray(latencies_ms, dtype=np.float64)
    values = values[np.isfinite(values)]
    out = {"n": int(values.size)}
    for q in (50, 95, 99):
        out[f"p{q}_ms"] = float(np.percentile(values, q)) if values.size else None
    out["limit_ms"] = None if limit_ms is None else float(limit_ms)
    within = None
    if limit_ms is not None and values.size:
        within = bool(out["p95_ms"] <= float(limit_ms))
    out["within_limit"] = within
    return out


def measure_latency(
    model, X, *, n_calls=200, limit_ms=None, prepared=True, engine="auto"
):
    """Time one-row predictions of ``model`` on rows of ``X``, in-process.

    Each call predicts one row (cycling through the rows of ``X``) with
    probabilities, as the server does; ten warm-up calls are not counted.

    Parameters
    ----------
    model : estimator
        A fitted model (the workflow's Pipeline).
    X : DataFrame
        Rows with the model's input columns.
    n_calls : int, default=200
    limit_ms : float, default=None
        ``constraints.latency_ms`` of the problem card.
    prepared : bool, default=True
        Time the prepared path the server uses
        (:class:`~sklearn_workflow.deploy.PreparedModel`, the cleaner included);
        False times ``model.predict_proba`` itself.
    engine : {"auto", "python", "onnx"}, default="auto"
        The prepared model's engine (the server's is "auto").

    Returns
    -------
    summary : dict
        :func:`latency_summary` of the calls.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> import pandas as pd
    >>> from sklearn_workflow.deploy import measure_latency
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> model = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> summary = measure_latency(model, X, n_calls=20, limit_ms=1000)
    >>> summary["n"], summary["within_limit"]
    (20, True)
    """
    import warnings

    from sklearn_workflow.deploy._fast import PreparedModel

    predict = None
    if prepared:
        predict = PreparedModel(model, engine=engine).predict_with_proba
    if predict is None:
        predict = model.predict_proba if hasattr(model, "predict_proba") else None
        predict = predict or model.predict
    rows = [X.iloc[[i]] for i in range(min(len(X), 50))]
    timings = np.empty(n_calls)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(10):
            predict(rows[i % len(rows)])
        for i in range(n_calls):
            start = time.perf_counter()
            predict(rows[i % len(rows)])
            timings[i] = time.perf_counter() - start
    return latency_summary(timings * 1000.0, limit_ms)


class ServerMetrics:
    """The counters, histogram and recent rows of one server process.

    Parameters
    ----------
    checker : DataQualityChecker or None
        The model's fitted checker (PSI of the recent rows against its bins).
    folder : path-like, default=None
        A folder shared by all worker processes: each writes its state to
        ``worker-<pid>.json`` there, and :meth:`snapshot` adds them all up.
        None: this process alone.
    limit_ms : float, default=None
        The card's ``constraints.latency_ms``.
    worker : str, default=None
        This worker's name in the folder; its process id when None.
    """

    def __init__(self, checker=None, folder=None, limit_ms=None, worker=None):
        self.checker = checker
        self.worker = str(os.getpid()) if worker is None else str(worker)
        self.folder = None if folder is None else Path(folder)
        self.limit_ms = limit_ms
        self._lock = threading.Lock()
        self._dirty = False
        self._flusher = None
        self.state = _empty_state(
            deque(maxlen=N_LATENCIES), deque(maxlen=N_RECENT_ROWS)
        )

    def observe(self, route, status, seconds, *, n_rows=0, problems=(), rows=None):
        """Count one request: its status, latency, rows and their problems."""
        with self._lock:
            state = self.state
            key = f"{route}|{status}"
            state["requests"][key] = state["requests"].get(key, 0) + 1
            if route == "/predict":
                bucket = int(np.searchsorted(LATENCY_BUCKETS, seconds))
                state["buckets"][bucket] += 1
                state["latency_sum"] += seconds
                state["latency_count"] += 1
                if n_rows == 1 and status == 200:
                    state["one_row_ms"].append(seconds * 1000.0)
            state["rows"] += n_rows
            for row in problems:
                for item in row:
                    key = f"{item['column']}|{item['kind']}"
                    state["violations"][key] = state["violations"].get(key, 0) + 1
            if rows is not None:
                recent = rows.tail(N_RECENT_ROWS).to_dict("records")
                state["recent"].extend(to_jsonable(recent))
        if self.folder is not None:
            self._dirty = True
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_often, daemon=True)
                self._flusher.start()

    def _flush_often(self):
        """Write the state file once a second while requests come in."""
        while True:
            time.sleep(FLUSH_SECONDS)
            if self._dirty:
                self.flush()

    def _plain_state(self):
        with self._lock:
            state = dict(self.state)
            state["one_row_ms"] = list(state["one_row_ms"])
            state["recent"] = list(state["recent"])
            state["requests"] = dict(state["requests"])
            state["violations"] = dict(state["violations"])
            state["buckets"] = list(state["buckets"])
        return state

    def flush(self):
        """Write this worker's state to its file (no-op without a folder)."""
        if self.folder is None:
            return
        self._dirty = False
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"worker-{self.worker}.json"
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(self._plain_state(), default=str))
        os.replace(partial, path)

    def snapshot(self):
        """The state of all workers added up (this process's own, live)."""
        states = [self._plain_state()]
        if self.folder is not None:
            self.flush()
            own = f"worker-{self.worker}.json"
            for path in sorted(self.folder.glob("worker-*.json")):
                if path.name != own:
                    try:
                        states.append(json.loads(path.read_text()))
                    except (OSError, ValueError):
                        continue  # a worker writing its file right now
        return _merge(states)

    def latency(self):
        """:func:`latency_summary` of the one-row requests served so far."""
        return latency_summary(self.snapshot()["one_row_ms"], self.limit_ms)

    def psi(self, snapshot=None):
        """PSI of the last 1,000 rows served against the checker's bins."""
        snapshot = snapshot or self.snapshot()
        recent = snapshot["recent"][-N_RECENT_ROWS:]
        if self.checker is None or not recent:
            return {}
        frame = pd.DataFrame(recent)
        for profile in self.checker.contract_["columns"]:
            name = profile["label"]
            if profile["kind"] == "datetime" and name in frame:
                frame[name] = pd.to_datetime(frame[name], errors="coerce")
        try:
            psi = self.checker.drift(frame)
        except (ValueError, TypeError):
            return {}
        return {str(k): float(v) for k, v in psi.items() if np.isfinite(v)}

    def text(self):
        """All metrics in the Prometheus text exposition format."""
        snapshot = self.snapshot()
        return prometheus_text(snapshot, self.psi(snapshot), self.limit_ms)


def _empty_state(one_row_ms, recent):
    """The counters of a worker before its first request."""
    return {
        "requests": {},
        "rows": 0,
        "violations": {},
        "buckets": [0] * (len(LATENCY_BUCKETS) + 1),
        "latency_sum": 0.0,
        "latency_count": 0,
        "one_row_ms": one_row_ms,
        "recent": recent,
    }


def _merge(states):
    total = _empty_state([], [])
    for state in states:
        for key in ("requests", "violations"):
            for k, v in state[key].items():
                total[key][k] = total[key].get(k, 0) + v
        total["buckets"] = [a + b for a, b in zip(total["buckets"], state["buckets"])]
        for key in ("rows", "latency_sum", "latency_count"):
            total[key] += state[key]
        total["one_row_ms"] += list(state["one_row_ms"])
        total["recent"] += list(state["recent"])
    return total


def _number(value):
    """A sample value: integers as such, reals with all their digits."""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return repr(float(value))


def _label(value):
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def prometheus_text(snapshot, psi=None, limit_ms=None):
    """Write a metrics snapshot in the Prometheus text exposition format (0.0.4).

    Parameters
    ----------
    snapshot : dict
        :meth:`ServerMetrics.snapshot`.
    psi : dict of {str: float}, default=None
        PSI per column of the recent rows.
    limit_ms : float, default=None
        The card's latency limit, written as a gauge when given.

    Returns
    -------
    text : str

    Examples
    --------
    >>> from sklearn_workflow.deploy._metrics import ServerMetrics, prometheus_text
    >>> metrics = ServerMetrics()
    >>> metrics.observe("/predict", 422, 0.003, n_rows=1)
    >>> text = prometheus_text(metrics.snapshot())
    >>> 'sklearn_workflow_requests_total{route="/predict",status="422"} 1' in text
    True
    >>> 'sklearn_workflow_request_seconds_bucket{le="0.005"} 1' in text
    True
    """
    out = []

    def metric(name, kind, help_text, samples):
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            inner = ",".join(f"{k}={_label(v)}" for k, v in labels.items())
            text = _number(value)
            out.append(f"{name}{{{inner}}} {text}" if inner else f"{name} {text}")

    requests = [
        ({"route": key.split("|")[0], "status": key.split("|")[1]}, count)
        for key, count in sorted(snapshot["requests"].items())
    ]
    metric("sklearn_workflow_requests_total", "counter", "Requests.", requests)
    metric("sklearn_workflow_rows_total", "counter", "Rows scored.",
           [({}, snapshot["rows"])])  # fmt: skip
    cumulative = np.cumsum(snapshot["buckets"])
    bounds = [f"{b:g}" for b in LATENCY_BUCKETS] + ["+Inf"]
    buckets = [({"le": b}, int(c)) for b, c in zip(bounds, cumulative)]
    out.append("# HELP sklearn_workflow_request_seconds Latency of /predict.")
    out.append("# TYPE sklearn_workflow_request_seconds histogram")
    for labels, value in buckets:
        le = labels["le"]
        out.append(f'sklearn_workflow_request_seconds_bucket{{le="{le}"}} {value}')
    total = _number(snapshot["latency_sum"])
    out.append(f"sklearn_workflow_request_seconds_sum {total}")
    out.append(f"sklearn_workflow_request_seconds_count {snapshot['latency_count']}")
    violations = [
        ({"column": key.rsplit("|", 1)[0], "kind": key.rsplit("|", 1)[1]}, count)
        for key, count in sorted(snapshot["violations"].items())
    ]
    metric("sklearn_workflow_violations_total", "counter",
           "Row-level contract violations by column and kind.", violations)  # fmt: skip
    summary = latency_summary(snapshot["one_row_ms"], limit_ms)
    quantiles = [
        ({"quantile": q}, summary[f"p{q}_ms"])
        for q in (50, 95, 99)
        if summary[f"p{q}_ms"] is not None
    ]
    metric("sklearn_workflow_one_row_latency_ms", "gauge",
           "One-row /predict latency percentiles (ms).", quantiles)  # fmt: skip
    if limit_ms is not None:
        limit = [({}, limit_ms)]
        metric("sklearn_workflow_latency_limit_ms", "gauge",
               "constraints.latency_ms of the model card.", limit)  # fmt: skip
    metric("sklearn_workflow_psi", "gauge",
           "PSI of the last 1,000 rows against the fitted bins.",
           [({"column": c}, v) for c, v in sorted((psi or {}).items())])  # fmt: skip
    return "\n".join(out) + "\n"
