"""run_workflow in-process on targets of every kind and on a table with the
defects of real CSV exports (numbers stored as text with blank cells, a Yes/No
target, an identifier, free text)."""

import json

import numpy as np
import pandas as pd
import pytest

from sklearn_workflow.workflow import run_workflow
from sklearn_workflow.workflow._cli import main
from sklearn_workflow.workflow._door import predict_table

from .conftest import output_files


def telco_like(n=600, seed=0):
    """A churn export as CRM tools write it: every number a string."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, n)
    monthly = np.round(rng.uniform(18, 120, n), 2)
    contract = rng.choice(
        ["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.25, 0.2]
    )
    logit = -1.0 + 2.0 * (contract == "Month-to-month") - 0.05 * tenure
    churn = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "Yes", "No")
    total = np.array([f"{v:.2f}" for v in tenure * monthly], dtype=object)
    total[tenure == 0] = " "  # new customers: a one-space cell, as in the export
    words = np.array(
        ["fast", "slow", "billing", "router", "support", "price", "outage"]
    )
    notes = [" ".join(rng.choice(words, 6)) + f" ticket {i}" for i in range(n)]
    return pd.DataFrame(
        {
            "customerID": [
                f"{i:04d}-{'ABCDEFGH'[i % 8]}{i % 97:02d}XQ" for i in range(n)
            ],
            "Partner": rng.choice(["Yes", "No"], n),
            "tenure": tenure,
            "Contract": contract,
            "MonthlyCharges": monthly.astype(str),
            "TotalCharges": total,
            "agent_notes": notes,
            "Churn": churn,
        }
    )


def _run(tmp_path, X, y, **kwargs):
    result = run_workflow(X, y, out=tmp_path, verbose=0, time_budget=15, **kwargs)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert sorted(result.files) == output_files(tmp_path)
    return result, metrics


@pytest.mark.slow
def test_run_workflow_reads_a_crm_export_as_typed_columns(tmp_path):
    frame = telco_like()
    result, metrics = _run(tmp_path, frame.drop(columns="Churn"), frame["Churn"])
    converted = metrics["converted_columns"]
    assert "numbers stored as text" in converted["TotalCharges"]
    assert "missing markers made missing (e.g. ' ')" in converted["TotalCharges"]
    assert "numbers stored as text" in converted["MonthlyCharges"]
    assert "booleans" in converted["Partner"]
    assert "free text" in converted["agent_notes"]
    assert "customerID" in metrics["dropped_columns"]
    report = (tmp_path / "report.html").read_text()
    assert "Columns read by their values" in report and "TotalCharges" in report
    assert metrics["task"] == "binary_classification"
    assert result.metrics["evaluation"]["positive_class"] == "Yes"
    assert (
        metrics["test"]["roc_auc"]
        > metrics["baselines"]["dummy (class prior)"]["roc_auc"]
    )
    features = result.model.named_steps["features"]
    assert "text_agent_notes" in dict((n, c) for n, _, c in features.transformers)
    rows = frame[list(result.model.feature_names_in_)].head(5)
    predictions = result.model.predict(rows)
    assert set(predictions) <= {"Yes", "No"}


TARGETS = {
    "str": (lambda y: np.where(y > 0, "good", "bad"), "binary_classification"),
    "object": (
        lambda y: pd.Series(np.where(y > 0, "alive", "dead"), dtype=object),
        "binary_classification",
    ),
    "category": (
        lambda y: pd.Categorical(np.where(y > 0, "up", "down")),
        "binary_classification",
    ),
    "bool": (lambda y: y > 0, "binary_classification"),
    "int classes": (
        lambda y: (y > 0).astype(int) + (y > 1),
        "multiclass_classification",
    ),
    "int regression": (lambda y: np.round(y * 1000).astype(int), "regression"),
    "float with missing": (
        lambda y: np.where(np.arange(len(y)) % 17 == 0, np.nan, y),
        "regression",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(TARGETS))
def test_run_workflow_on_each_kind_of_target(tmp_path, kind):
    rng = np.random.default_rng(1)
    n = 300
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    latent = X["a"] + 0.5 * rng.normal(size=n)
    make, task = TARGETS[kind]
    y = pd.Series(make(latent.to_numpy()), name="target")
    result, metrics = _run(tmp_path, X, y)
    assert metrics["task"] == task
    assert metrics["n_train"] + metrics["n_test"] == y.notna().sum()
    predictions = pd.read_csv(tmp_path / "test_predictions.csv")
    assert len(predictions) == metrics["n_test"]
    # `row` is the position in the input table, rows without a target included
    rows = predictions["row"].to_numpy()
    assert y.notna().to_numpy()[rows].all()
    if kind == "float with missing":
        assert any("without a target value were dropped" in n for n in metrics["notes"])
    if task == "binary_classification":
        minority = pd.Series(y).value_counts().idxmin()
        assert str(metrics["evaluation"]["positive_class"]) == str(minority)


@pytest.mark.slow
def test_command_on_a_semicolon_latin1_crm_export(tmp_path, capsys):
    frame = telco_like(400, seed=2)
    frame["MonthlyCharges"] = frame["MonthlyCharges"].str.replace(".", ",")
    frame["Contract"] = frame["Contract"].str.replace("One year", "Année")
    path = tmp_path / "export.csv"
    frame.to_csv(path, sep=";", index=False, encoding="latin-1")
    code = main(
        [
            "run",
            str(path),
            "--target",
            "Churn",
            "--out",
            str(tmp_path / "out"),
            "--time-budget",
            "15",
        ]
    )
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert "separator ';'" in out and "TotalCharges" in out
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert "numbers stored as text" in metrics["converted_columns"]["TotalCharges"]
    assert "Positive class: 'Yes'" in "\n".join(metrics["notes"])


@pytest.mark.slow
def test_run_workflow_on_a_csv_with_infinite_ratios_and_blank_yes_no_cells(tmp_path):
    # a spreadsheet's division by zero exported as "inf": read_csv reads infinity;
    # a yes/no column with blank cells: booleans with missing values
    frame = telco_like(400)
    frame.loc[frame.index[::25], "Partner"] = ""
    spend = frame["MonthlyCharges"].astype(float)
    ratio = np.where(frame["tenure"] > 0, spend / frame["tenure"].clip(lower=1), "inf")
    frame["spend_per_month"] = ratio
    frame.loc[frame.index[:3], "spend_per_month"] = "-inf"
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    table = pd.read_csv(path)
    assert np.isinf(table["spend_per_month"]).sum() > 3
    out = tmp_path / "out"
    result, metrics = _run(out, table.drop(columns="Churn"), table["Churn"])
    assert (
        "infinite values made missing"
        in metrics["converted_columns"]["spend_per_month"]
    )
    assert "booleans" in metrics["converted_columns"]["Partner"]
    rows = table[list(result.model.feature_names_in_)].head(5)
    assert rows["Partner"].isna().any()  # a blank yes/no cell to predict
    with pytest.warns(UserWarning, match="spend_per_month"):
        predictions = result.model.predict(rows)
    assert set(predictions) <= {"Yes", "No"}
    table, _ = predict_table(result.model, rows.assign(Partner=None), verbose=0)
    assert table["prediction"].isin(["Yes", "No"]).all()
