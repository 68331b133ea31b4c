"""Shared pieces of the workflow tests: the command line and a small churn run."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sklearn_workflow.datasets import make_churn
from sklearn_workflow.workflow._runner import OUTPUT_FILES

ROOT = Path(__file__).resolve().parents[2]

# The demo's churn card without the latency constraint: single-row latency is
# measured on whatever machine runs the tests, the rest is deterministic.
CHURN_TOML = """\
name = "Customer Churn Prediction"
type = "binary_classification"
target = "churned"
positive_class = 1
success_metric = "recall"
threshold = 0.8
secondary_metrics = ["precision", "f1"]

[baseline]
method = "rule-based (tenure < 3 months)"
rule = "tenure_months < 3"
recall = 0.55
precision = 0.4
"""


def run_cli(*args, cwd=None, timeout=600):
    """Run the command line; returns the CompletedProcess."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p]
    )
    return subprocess.run(
        [sys.executable, "-m", "sklearn_workflow", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def _write_churn_files(folder, n_samples=800):
    X, y = make_churn(n_samples, random_state=0)
    frame = X.assign(churned=y)
    frame.to_csv(folder / "churn.csv", index=False)
    (folder / "churn.toml").write_text(CHURN_TOML)
    return frame


@pytest.fixture(scope="session")
def churn_run(tmp_path_factory):
    """One run on a small churn CSV with its card (dates as text, as in a CSV)."""
    folder = tmp_path_factory.mktemp("churn")
    frame = _write_churn_files(folder)
    result = run_cli(
        "run",
        folder / "churn.csv",
        "--spec",
        folder / "churn.toml",
        "--out",
        folder / "out",
        "--time-budget",
        "30",
    )
    return folder, frame, result


@pytest.fixture
def write_churn():
    """``write_churn(folder, n_samples)``: churn.csv and its card churn.toml."""
    return _write_churn_files


@pytest.fixture
def cli():
    """``cli(*args)`` runs ``python -m sklearn_workflow`` and returns the result."""
    return run_cli


def output_files(folder):
    """The files a run must have written to ``folder``: the fixed ones, and
    ``model.onnx`` when ``metrics.json`` says the model converted."""
    metrics = json.loads((Path(folder) / "metrics.json").read_text())
    written = metrics["deployment"]["onnx"]["written"]
    return sorted([*OUTPUT_FILES, *(["model.onnx"] if written else [])])
