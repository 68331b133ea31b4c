"""The Markdown model card."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_workflow.deploy import make_model_card


@pytest.fixture
def model():
    X = pd.DataFrame({"tenure": [1.0, 5.0, 9.0, 2.0], "sessions": [3, 8, 9, 1]})
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, [1, 0, 0, 1])


def _card(model, **overrides):
    params = dict(
        name="Customer churn",
        task="binary_classification",
        target="churned",
        data={"source": "crm.csv", "train rows": 4000, "test rows": 1000},
        metrics={"recall": 0.8123, "precision": 0.55},
        baseline={"rule: tenure < 3": {"recall": 0.41}, "dummy": {"recall": 0.0}},
        threshold=0.3125,
        verdict={
            "met": True,
            "criteria": [
                {
                    "criterion": "recall",
                    "comparison": ">=",
                    "target": 0.8,
                    "value": 0.8123,
                    "met": True,
                }
            ],
        },
        limitations=["`cancellation_requested` dropped: leakage suspect"],
        intended_use="Which customers will churn in 30 days?",
    )
    params.update(overrides)
    return make_model_card(model, **params)


def test_model_card_has_every_section_in_order(model):
    card = _card(model)
    headings = [line for line in card.splitlines() if line.startswith("#")]
    assert headings == [
        "# Model card: Customer churn",
        "## What it predicts",
        "## Model",
        "## Data",
        "## Metrics on the held-out test split",
        "## Baselines on the same split",
        "## Success criteria",
        "## Limitations",
    ]


def test_model_card_shows_the_numbers(model):
    card = _card(model)
    assert "- Target: `churned`" in card
    assert "Decision threshold: 0.3125" in card
    assert "| recall | 0.8123 |" in card
    assert "| train rows | 4,000 |" in card
    assert "| rule: tenure < 3 | 0.41 |" in card
    assert "Verdict: met" in card
    assert "| recall | >= 0.8 | 0.8123 | met |" in card
    assert "- `cancellation_requested` dropped: leakage suspect" in card


def test_model_card_lists_steps_and_input_columns(model):
    card = _card(model)
    assert "- `standardscaler`: `StandardScaler`" in card
    assert "- `logisticregression`: `LogisticRegression`" in card
    assert "Input columns (2): `tenure`, `sessions`" in card


def test_model_card_optional_parts_and_missing_values(model):
    card = _card(
        model,
        baseline=None,
        threshold=None,
        verdict=None,
        limitations=(),
        metrics={"rmse": np.float64(1.5), "r2": float("nan"), "note": "a|b"},
    )
    assert "Baselines" not in card and "Success criteria" not in card
    assert "threshold" not in card
    assert "| r2 | - |" in card  # an undefined metric keeps its row
    assert "| note | a\\|b |" in card  # a pipe in a value does not break the table
    assert "- None recorded." in card


def test_model_card_not_met_is_highlighted(model):
    verdict = {
        "met": False,
        "criteria": [
            {
                "criterion": "recall",
                "comparison": ">=",
                "target": 0.8,
                "value": 0.7,
                "met": False,
            }
        ],
    }
    card = _card(model, verdict=verdict)
    assert "Verdict: **NOT met**" in card
    assert "| recall | >= 0.8 | 0.7 | NOT met |" in card


def test_model_card_criterion_not_measured(model):
    verdict = {
        "met": True,
        "criteria": [
            {
                "criterion": "recall",
                "comparison": ">=",
                "target": 0.8,
                "value": 0.9,
                "met": True,
            },
            {
                "criterion": "p95 latency <= 100 ms",
                "comparison": "<=",
                "target": 100.0,
                "value": None,
                "met": None,
            },
        ],
    }
    card = _card(model, verdict=verdict)
    assert "Verdict: met" in card and "**" not in card
    assert "| p95 latency <= 100 ms | <= 100 | - | not measured |" in card


def test_model_card_tables_match_the_report_toolkit(model):
    from sklearn_workflow.report import markdown_table

    metrics = {"recall": 0.8123, "log_loss": 11.4451, "n": 12500}
    card = _card(model, metrics=metrics)
    assert markdown_table(list(metrics.items()), ["metric", "value"]) in card
    assert "| log_loss | 11.45 |" in card and "| n | 12,500 |" in card


def test_model_card_takes_the_verdict_object_of_a_problem_card(model):
    from sklearn_workflow.problem import churn_spec

    spec = churn_spec()
    verdict = spec.verdict({"metrics": {"recall": 0.75}, "baselines": []})
    card = _card(model, verdict=verdict)
    assert card == _card(model, verdict=verdict.to_dict())
    assert "| recall >= 0.8 | >= 0.8 | 0.75 | NOT met |" in card
    assert "Verdict: **NOT met**" in card


def test_model_card_of_a_plain_estimator():
    est = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    card = _card(est)
    assert "- `LogisticRegression`" in card


def test_model_card_spells_out_a_wrapped_pipeline(model):
    from sklearn.model_selection import TunedThresholdClassifierCV

    X = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) % 7})
    y = (X["a"] > 20).astype(int)
    tuned = TunedThresholdClassifierCV(
        make_pipeline(StandardScaler(), LogisticRegression()), cv=2
    ).fit(X, y)
    outer = make_pipeline(StandardScaler(), tuned).fit(X, y)
    card = _card(outer)
    assert (
        "- `tunedthresholdclassifiercv`: `TunedThresholdClassifierCV` around "
        "`Pipeline(StandardScaler, LogisticRegression)`"
    ) in card
