import json

import numpy as np
import pandas as pd
import pytest

from sklearn_workflow.workflow import _cli

from .conftest import take

COMMANDS = {
    "monitor": "sklearn_workflow.monitor._cli",
    "compare": "sklearn_workflow.monitor._cli_compare",
    "retrain": "sklearn_workflow.monitor._cli_retrain",
}


@pytest.fixture
def plugged(monkeypatch):
    for name, module in COMMANDS.items():
        monkeypatch.setitem(_cli._PLUGGED, name, module)
    return _cli.main


@pytest.fixture(scope="module")
def demo(churn, tmp_path_factory):
    """The demo model (the workflow on the demo churn rows, a budget that lets
    the race finish on a busy machine: cut short, its winner misses the card),
    its reference attached, saved; and the fresh rows."""
    from sklearn_workflow.deploy import save
    from sklearn_workflow.monitor import attach_reference, build_reference
    from sklearn_workflow.problem import churn_spec
    from sklearn_workflow.workflow import run_workflow

    X, y, X_new, y_new = churn
    folder = tmp_path_factory.mktemp("demo")
    result = run_workflow(
        X, y, spec=churn_spec(), out=folder / "run", time_budget=60, verbose=0
    )
    model = result.model
    reference = build_reference(model, X, y, spec=churn_spec(), reference_rows=2000)
    save(attach_reference(model, reference), folder / "model.skops")
    return model, folder, X_new, y_new


def _most_important_numeric(model, X, y, k=3):
    from sklearn.inspection import permutation_importance

    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    importance = permutation_importance(
        model, X, y, n_repeats=3, random_state=0, scoring="roc_auc"
    ).importances_mean
    ranked = sorted(zip(importance, X.columns), reverse=True)
    return [c for _, c in ranked if c in numeric][:k]


def _write(frame, y, path):
    frame.assign(churned=np.asarray(y)).to_csv(path, index=False)
    return str(path)


@pytest.mark.slow
def test_monitor_command_recommends_retraining_on_shifted_demo_data_only(
    demo, plugged, tmp_path, capsys
):
    model, folder, X_new, y_new = demo
    fresh, y_fresh = take(X_new, y_new, np.arange(3000))
    shifted, y_shifted = take(X_new, y_new, np.arange(3000, 6000))
    columns = _most_important_numeric(model, fresh, y_fresh)
    shifted[columns] = shifted[columns] * 1.8
    y_shifted = 1 - y_shifted
    arguments = ["monitor", str(folder / "model.skops")]
    options = ["--labels", "churned", "--chunk", "1000", "--out"]

    code = plugged(
        [*arguments, _write(fresh, y_fresh, tmp_path / "fresh.csv")]
        + options
        + [str(tmp_path / "a")]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "decision: keep" in printed

    code = plugged(
        [*arguments, _write(shifted, y_shifted, tmp_path / "shifted.csv")]
        + options
        + [str(tmp_path / "b")]
    )
    printed = capsys.readouterr().out
    assert code == 1
    assert "decision: retrain" in printed
    assert "concept drift" in printed
    for column in columns:
        assert f"drift: {column}" in printed
    html = (tmp_path / "b" / "monitor.html").read_text()
    assert "Drift timeline" in html and "<img" in html
    saved = json.loads((tmp_path / "b" / "monitor.json").read_text())
    assert saved["decision"]["action"] == "retrain"
    assert len(saved["chunks"]) == 3


def test_monitor_command_refuses_a_model_without_reference(plugged, tmp_path, capsys):
    from sklearn.linear_model import LogisticRegression

    from sklearn_workflow.deploy import save

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    save(LogisticRegression().fit(X, [0, 0, 1, 1]), tmp_path / "bare.skops")
    X.to_csv(tmp_path / "data.csv", index=False)
    code = plugged(
        ["monitor", str(tmp_path / "bare.skops"), str(tmp_path / "data.csv")]
    )
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith("error: the model has no monitoring reference")
    assert len(error.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--chunk", "weekly"], "--chunk must be a positive number"),
        (["--chunk", "W"], "needs --time-column"),
        (["--labels", "nope"], "--labels 'nope' is not a column"),
    ],
)
def test_monitor_command_bad_options(plugged, tmp_path, capsys, argv, message):
    from sklearn.linear_model import LogisticRegression

    from sklearn_workflow.deploy import save
    from sklearn_workflow.monitor import attach_reference, build_reference

    X = pd.DataFrame({"a": np.arange(40.0)})
    y = np.arange(40) % 2
    model = LogisticRegression().fit(X, y)
    reference = build_reference(model, X, y, oof_scores=np.full(40, 0.5))
    save(attach_reference(model, reference), tmp_path / "m.skops")
    X.to_csv(tmp_path / "data.csv", index=False)
    code = plugged(
        ["monitor", str(tmp_path / "m.skops"), str(tmp_path / "data.csv"), *argv]
    )
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_compare_command_promotes_the_demo_model_over_a_dummy(
    demo, plugged, tmp_path, capsys
):
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import make_pipeline

    from sklearn_workflow.deploy import save

    model, folder, X_new, y_new = demo
    X, y = take(X_new, y_new, np.arange(2000))
    dummy = make_pipeline(DummyClassifier()).fit(X, y)
    save(dummy, tmp_path / "dummy.skops")
    data = _write(X, y, tmp_path / "rows.csv")
    argv = ["compare", str(tmp_path / "dummy.skops"), str(folder / "model.skops"), data]
    code = plugged([*argv, "--labels", "churned", "--out", str(tmp_path)])
    assert code == 1
    assert "verdict: promote" in capsys.readouterr().out
    comparison = json.loads((tmp_path / "comparison.json").read_text())
    assert comparison["metric"] == "recall"  # the card's metric
    code = plugged(
        [
            "compare",
            str(folder / "model.skops"),
            str(tmp_path / "dummy.skops"),
            data,
            "--labels",
            "churned",
        ]
    )
    assert code == 0


def test_compare_command_reads_the_shadow_log(plugged, tmp_path, capsys):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good = np.clip(y * 0.6 + rng.uniform(0, 0.4, 400), 0, 1)
    poor = rng.uniform(size=400)
    lines = [
        {
            "id": f"r{i}",
            "time": "2026-01-01T00:00:00",
            "champion": {
                "prediction": int(poor[i] > 0.5),
                "probabilities": {"0": 1 - poor[i], "1": poor[i]},
            },
            "challenger": {
                "prediction": int(good[i] > 0.5),
                "probabilities": [1 - good[i], good[i]],
            },
        }
        for i in range(400)
    ]
    log = tmp_path / "shadow.jsonl"
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    pd.DataFrame({"id": [f"r{i}" for i in range(400)], "churned": y}).to_csv(
        tmp_path / "labels.csv", index=False
    )
    argv = [
        "compare",
        "--shadow-log",
        str(log),
        "--labels-file",
        str(tmp_path / "labels.csv"),
        "--labels",
        "churned",
    ]
    assert plugged(argv) == 1
    printed = capsys.readouterr().out
    assert "verdict: promote" in printed and "DeLong" in printed


def test_compare_command_refuses_a_shadow_log_without_labels_file(
    plugged, tmp_path, capsys
):
    (tmp_path / "log.jsonl").write_text("")
    code = plugged(
        ["compare", "--shadow-log", str(tmp_path / "log.jsonl"), "--labels", "y"]
    )
    assert code == 2
    assert "--labels-file" in capsys.readouterr().err
