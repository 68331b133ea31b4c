import datetime as dt

import pytest

from sklearn_workflow.monitor import decide_retrain, parse_frequency

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "text, days",
    [
        ("daily", 1.0),
        ("Weekly", 7.0),
        ("monthly", 30.4375),
        ("quarterly", 91.3125),
        ("yearly", 365.25),
        ("30D", 30.0),
        ("12h", 0.5),
        ("1.5W", 10.5),
        ("every so often", None),
        ("30 days", None),
        (None, None),
    ],
)
def test_parse_frequency(text, days):
    assert parse_frequency(text) == days


def _reference(frequency, trained="2026-05-30T00:00:00"):
    return {
        "trained_at": trained,
        "spec": {"constraints": {"retraining_frequency": frequency}},
    }


@pytest.mark.parametrize(
    "alarms, frequency, action, reason",
    [
        ([], "weekly", "keep", None),
        ([], "daily", "retrain", "days old"),
        (
            ["drift: age (PSI 0.5 > alarm level 0.1)"],
            "weekly",
            "investigate",
            "drift: age",
        ),
        (["contract: 3 violation(s)"], "weekly", "investigate", "contract"),
        (["concept drift: 0.6 right"], "weekly", "retrain", "concept drift"),
        (["realised recall 0.5 below"], "weekly", "retrain", "realised recall"),
        (["estimated recall 0.5 below"], "weekly", "retrain", "estimated recall"),
    ],
)
def test_decide_retrain_rules(alarms, frequency, action, reason):
    chunks = [{"chunk": 0, "alarms": []}, {"chunk": 1, "alarms": alarms}]
    decision = decide_retrain(chunks, _reference(frequency), now=NOW)
    assert decision.action == action
    assert decision.exit_code == (0 if action == "keep" else 1)
    if reason is None:
        assert decision.reasons == []
    else:
        assert any(reason in line for line in decision.reasons)
    assert decision.facts["age_days"] == 2.0


def test_decide_retrain_judges_only_the_recent_chunks():
    chunks = [{"chunk": 0, "alarms": ["concept drift: old"]}] + [
        {"chunk": i, "alarms": []} for i in (1, 2)
    ]
    assert decide_retrain(chunks, _reference("weekly"), now=NOW).action == "keep"
    assert (
        decide_retrain(chunks, _reference("weekly"), now=NOW, recent=3).action
        == "retrain"
    )


def test_decide_retrain_notes_a_frequency_that_is_not_a_period():
    decision = decide_retrain([], _reference("when sales change"), now=NOW)
    assert decision.action == "keep"
    assert "'when sales change' is not a period" in decision.notes[0]
    assert "retraining_period_days" not in decision.facts
