"""Benchmark the model server and chunked batch scoring.

The model is the churn demo's pipeline as ``run`` saves it (cleaner, checker,
dates, target encoding, one-hot, logs, a tuned threshold around a logistic
regression), fitted on ``make_churn`` (or ``--model`` a saved one).

One-row latency over loopback: ``--requests`` one-row ``POST /predict`` per
level of 1, 8 and 32 concurrent clients (threads with keep-alive connections,
in this process) against two servers, each in its own process:

- ours: ``python -m sklearn_workflow serve`` (the door on every request, the
  prepared model, violations per row, metrics);
- the floor: a bare FastAPI endpoint building a DataFrame from the records,
  parsing the two date columns and calling the same pipeline's
  ``predict_proba`` -- no door, no metrics.

Batch scoring: ``python -m sklearn_workflow predict MODEL big.parquet --out
preds.parquet`` on a ``--rows``-row Parquet file (default 5,000,000) at the
default chunk size (100,000), in a subprocess: wall time, rows per second and
the process's peak resident memory; the first 100,000 predictions are compared
with in-memory ``predict`` on the same rows.

The table gives each latency against the floor (ratio), and the card's limit
(100 ms). It never asserts timings.

Usage::

    python benchmarks/bench_deploy.py                     # 5,000,000 rows
    python benchmarks/bench_deploy.py --rows 1000000 --requests 300
    python benchmarks/bench_deploy.py --bare-server MODEL --port 8001  # (internal)
"""

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MS = 100.0
DATES = ("signup_date", "last_login")


def fit_demo_model():
    """The demo's pipeline, shaped as ``run`` saves it."""
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

    X, y = make_churn(5000, random_state=0)
    X = X.drop(columns=["customer_id", "cancellation_requested"])
    numeric = ["age", "income", "tenure_months", "purchase_amount",
               "num_sessions", "support_tickets"]  # fmt: skip
    features = ColumnTransformer(
        [
            ("dates", DateFeatureExtractor(), list(DATES)),
            ("target_encoding", TargetEncoder(random_state=0), ["city"]),
            (
                "one_hot",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ["contract"],
            ),  # fmt: skip
            ("log_skewed", LogTransformer(), numeric),
        ]
    ).set_output(transform="pandas")
    inner = make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression())
    model = Pipeline(
        [
            ("clean", TableCleaner()),
            ("quality", DataQualityChecker(task="binary_classification")),
            ("features", features),
            ("model", ThresholdTunedClassifier(inner, objective="f1", random_state=0)),
        ]
    )
    return model.fit(X, y), X


# -------------------------------------------------------------------- servers
def bare_app(model):
    """The floor: records to a DataFrame, dates and numbers typed,
    ``predict_proba``."""
    from fastapi import FastAPI, Request

    app = FastAPI()
    profiles = model.named_steps["quality"].contract_["columns"]
    numbers = [p["label"] for p in profiles if p["kind"] == "numeric"]

    @app.post("/predict")
    async def predict(request: Request):
        frame = pd.DataFrame.from_records((await request.json())["records"])
        for name in DATES:
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
        for name in numbers:  # a JSON null alone makes an object column
            frame[name] = pd.to_numeric(frame[name])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proba = model.predict_proba(frame[list(model.feature_names_in_)])
        return {"probabilities": proba.tolist()}

    return app


def records(frame):
    """The JSON records a client sends (dates as ISO text, missing as None)."""
    import json

    return json.loads(frame.to_json(orient="records", date_format="iso"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command, port):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)  # fmt: skip
    import httpx

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            httpx.post(f"http://127.0.0.1:{port}/predict", content=b"{}", timeout=2)
            return process
        except httpx.HTTPError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()) from None
            time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not start")


def load_test(url, rows, n_requests, n_clients):
    """Per-request latencies (ms) of one-row requests from ``n_clients`` threads."""
    import httpx

    timings, lock = [], threading.Lock()
    per_client = max(n_requests // n_clients, 1)

    def client(k):
        with httpx.Client(timeout=60) as session:
            session.post(url, json={"records": [rows[k % len(rows)]]})  # warm-up
            mine = []
            for i in range(per_client):
                body = {"records": [rows[(k * per_client + i) % len(rows)]]}
                start_ = time.perf_counter()
                answer = session.post(url, json=body)
                mine.append((time.perf_counter() - start_) * 1000.0)
                assert answer.status_code == 200, answer.text
        with lock:
            timings.extend(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(n_clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return np.array(timings)


def bench_latency(model_path, rows, n_requests):
    from sklearn_workflow.deploy import latency_summary

    ours_port, bare_port = free_port(), free_port()
    ours = start([sys.executable, "-m", "sklearn_workflow", "serve", str(model_path),
                  "--port", str(ours_port), "--quiet"], ours_port)  # fmt: skip
    bare = start([sys.executable, __file__, "--bare-server", str(model_path),
                  "--port", str(bare_port)], bare_port)  # fmt: skip
    results = []
    try:
        for n_clients in (1, 8, 32):
            for name, port in (("ours", ours_port), ("bare FastAPI", bare_port)):
                url = f"http://127.0.0.1:{port}/predict"
                timings = load_test(url, rows, n_requests, n_clients)
                summary = latency_summary(timings, LIMIT_MS)
                results.append((n_clients, name, summary))
    finally:
        for process in (ours, bare):
            process.terminate()
            process.wait(timeout=60)
    return results


# ---------------------------------------------------------------------- batch
def write_big_parquet(X, n_rows, path):
    """``n_rows`` rows tiled from ``X``, written 500,000 at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer, written = None, 0
    while written < n_rows:
        k = min(500_000, n_rows - written)
        reps = -(-k // len(X))
        block = pd.concat([X] * reps, ignore_index=True).iloc[:k]
        table = pa.Table.from_pandas(block, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
        written += k
    writer.close()


def bench_batch(model, model_path, X, n_rows, folder):
    from sklearn_workflow.workflow._door import predict_table

    data = folder / "big.parquet"
    write_big_parquet(X, n_rows, data)
    out = folder / "preds.parquet"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start_ = time.perf_counter()
    command = [sys.executable, "-m", "sklearn_workflow", "predict",
               str(model_path), str(data), "--out", str(out), "--quiet"]  # fmt: skip
    subprocess.run(command, env=env, check=True)
    seconds = time.perf_counter() - start_
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    head = pd.read_parquet(data).iloc[:100_000] if n_rows <= 1_000_000 else None
    if head is None:
        import pyarrow.parquet as pq

        head = next(pq.ParquetFile(data).iter_batches(batch_size=100_000)).to_pandas()
    expected, _ = predict_table(model, head, verbose=0)
    got = pd.read_parquet(out).iloc[: len(head)]
    same = bool(
        (got["prediction"].to_numpy() == expected["prediction"].to_numpy()).all()
        and np.allclose(got.iloc[:, 1:], expected.iloc[:, 1:], rtol=1e-12)
    )
    return {
        "rows": n_rows,
        "seconds": seconds,
        "rows_per_s": n_rows / seconds,
        "peak_rss_mb": peak_mb,
        "file_mb": data.stat().st_size / 1e6,
        "same_as_in_memory": same,
    }


def print_tables(latency, batch):
    from sklearn_workflow.report import markdown_table

    floor = {(c, n): s for c, n, s in latency}
    rows = []
    for clients, name, s in latency:
        base = floor[(clients, "bare FastAPI")]["p95_ms"]
        rows.append([clients, name, s["n"], s["p50_ms"], s["p95_ms"], s["p99_ms"],
                     s["p95_ms"] / base, s["within_limit"]])  # fmt: skip
    header = ["clients", "server", "requests", "p50 ms", "p95 ms", "p99 ms",
              "p95 / bare", f"p95 < {LIMIT_MS:g} ms"]  # fmt: skip
    print("\nOne-row POST /predict over loopback\n")
    print(markdown_table(rows, header))
    print("\nBatch scoring (predict, default --chunksize 100,000)\n")
    print(markdown_table([list(batch.values())], list(batch)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--model", help="a saved model (default: fit the demo's)")
    parser.add_argument("--bare-server", metavar="MODEL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=8001, help=argparse.SUPPRESS)
    args = parser.parse_args()
    from sklearn_workflow.deploy import load, save

    if args.bare_server:
        import uvicorn

        model = load(args.bare_server)
        uvicorn.run(bare_app(model), host="127.0.0.1", port=args.port,
                    log_level="warning")  # fmt: skip
        return
    from sklearn_workflow.datasets import make_churn

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if args.model:
            model = load(args.model)
            X = make_churn(5000, random_state=1)[0][list(model.feature_names_in_)]
        else:
            model, X = fit_demo_model()
        model_path = save(model, folder / "model.skops")
        # first the batch: the peak memory of children covers the batch alone
        batch = bench_batch(model, model_path, X, args.rows, folder)
        rows = records(make_churn(2000, random_state=2)[0][list(X.columns)])
        latency = bench_latency(model_path, rows, args.requests)
    print_tables(latency, batch)


if __name__ == "__main__":
    main()
