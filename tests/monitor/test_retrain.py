import json

import numpy as np
import pytest

from sklearn_workflow.workflow import _cli

from .conftest import load_table, monitored_model


@pytest.mark.slow
def test_retrain_command_reruns_the_card_and_compares(monkeypatch, tmp_path):
    from sklearn_workflow.deploy import save
    from sklearn_workflow.problem import ProblemSpec

    monkeypatch.setitem(
        _cli._PLUGGED, "retrain", "sklearn_workflow.monitor._cli_retrain"
    )
    X, y = load_table("credit_data")
    rows = np.random.default_rng(0).permutation(len(y))
    old, new = rows[:1000], rows[1000:2500]
    spec = ProblemSpec.from_target(y.rename("Status"), positive_class="bad")
    model = monitored_model(X.iloc[old], y.iloc[old], spec=spec, reference_rows=200)
    save(model, tmp_path / "model.skops")
    X.iloc[new].assign(Status=y.iloc[new].to_numpy()).to_csv(
        tmp_path / "new.csv", index=False
    )
    out = tmp_path / "retrain"
    argv = ["retrain", str(tmp_path / "model.skops"), str(tmp_path / "new.csv")]
    code = _cli.main([*argv, "--out", str(out), "--time-budget", "5", "--quiet"])
    comparison = json.loads((out / "comparison.json").read_text())
    assert code == (1 if comparison["verdict"] == "promote" else 0)
    assert comparison["metric"] == "roc_auc"  # the card read from the target
    assert (out / "model.skops").is_file()
    assert 0 < comparison["n_rows"] < 1500  # the run's held-out rows
