"""The retrain decision: retrain, keep or investigate, with the reasons listed."""

import datetime as dt
import re
from dataclasses import dataclass, field

__all__ = ["RetrainDecision", "decide_retrain", "parse_frequency"]

# Days in each named retraining period of the problem card.
PERIOD_DAYS = {
    "hourly": 1 / 24,
    "daily": 1.0,
    "weekly": 7.0,
    "biweekly": 14.0,
    "monthly": 30.4375,
    "quarterly": 91.3125,
    "yearly": 365.25,
    "annually": 365.25,
}
UNIT_DAYS = {"H": 1 / 24, "D": 1.0, "W": 7.0, "M": 30.4375, "Q": 91.3125, "Y": 365.25}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([HDWMQY])\s*$", re.IGNORECASE)


def parse_frequency(text):
    """Days between retrainings from the card's ``retraining_frequency``.

    Named periods (daily, weekly, monthly, quarterly, yearly, ...) or a
    duration: a number and a unit among H, D, W, M, Q, Y (``"30D"``, ``"2W"``).

    Returns
    -------
    days : float or None
        None for any other text (recorded and noted by the decision).

    Examples
    --------
    >>> from sklearn_workflow.monitor import parse_frequency
    >>> parse_frequency("weekly"), parse_frequency("30D"), parse_frequency(" 2w ")
    (7.0, 30.0, 14.0)
    >>> parse_frequency("when the data changes") is None
    True
    """
    if text is None:
        return None
    key = str(text).strip().lower()
    if key in PERIOD_DAYS:
        return PERIOD_DAYS[key]
    match = _DURATION.match(key)
    if match is None:
        return None
    return float(match.group(1)) * UNIT_DAYS[match.group(2).upper()]


@dataclass
class RetrainDecision:
    """What to do with a monitored model, and why.

    Attributes
    ----------
    action : {"retrain", "investigate", "keep"}
    reasons : list of str
        One line per finding that led to the action (empty for "keep").
    notes : list of str
        What was recorded but not judged (a frequency that is not a period,
        performance not estimated for regression, ...).
    facts : dict
        The numbers behind the decision (age in days, alarms per chunk, ...).

    Examples
    --------
    >>> from sklearn_workflow.monitor import RetrainDecision
    >>> decision = RetrainDecision("investigate", ["chunk 3: drift: age"])
    >>> decision.exit_code
    1
    >>> print(decision)
    decision: investigate
      - chunk 3: drift: age
    """

    action: str
    reasons: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    @property
    def exit_code(self):
        """0 for keep, 1 for retrain or investigate (the ``monitor`` command)."""
        return 0 if self.action == "keep" else 1

    def to_dict(self):
        return {
            "action": self.action,
            "reasons": list(self.reasons),
            "notes": list(self.notes),
            "facts": dict(self.facts),
        }

    def __str__(self):
        lines = [f"decision: {self.action}"]
        lines += [f"  - {reason}" for reason in self.reasons]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def _age_reason(reference, now, notes, facts):
    """A reason when the model is older than the card's retraining period."""
    frequency = ((reference.get("spec") or {}).get("constraints") or {}).get(
        "retraining_frequency"
    )
    trained = reference.get("trained_at")
    if trained is None:
        notes.append("the model's training time was not saved: its age is unknown")
        return None
    trained = dt.datetime.fromisoformat(str(trained))
    if trained.tzinfo is None:
        trained = trained.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    age = (now - trained).total_seconds() / 86400.0
    facts["age_days"] = round(age, 3)
    if frequency is None:
        return None
    days = parse_frequency(frequency)
    if days is None:
        notes.append(
            f"retraining_frequency {frequency!r} is not a period (daily, weekly, "
            "monthly, quarterly, yearly or e.g. '30D'): recorded, not checked"
        )
        return None
    facts["retraining_period_days"] = days
    if age > days:
        return (
            f"the model is {age:.1f} days old; the card asks for retraining "
            f"{frequency} ({days:g} days)"
        )
    return None


def _recent_alarms(chunks, kind):
    return [c["chunk"] for c in chunks if any(a.startswith(kind) for a in c["alarms"])]


def decide_retrain(chunks, reference, *, now=None, recent=2):
    """Retrain, keep or investigate from the monitored chunks and the model's age.

    Retrain when the realised performance is below the card's bar, when
    concept drift is detected, when the estimated performance is below the bar,
    or when the model is older than the card's ``retraining_frequency``.
    Investigate when data drift (columns, multivariate, predictions) or
    contract violations show without a performance reason. Keep otherwise.
    Only the last ``recent`` chunks are judged.

    Parameters
    ----------
    chunks : list of dict
        ``Monitor.chunks_``.
    reference : dict
        The model's monitoring reference.
    now : datetime, default=None
        The time to age the model against (UTC now when None).
    recent : int, default=2

    Returns
    -------
    decision : RetrainDecision

    Examples
    --------
    >>> import datetime as dt
    >>> from sklearn_workflow.monitor import decide_retrain
    >>> reference = {"trained_at": "2026-01-01T00:00:00+00:00",
    ...              "spec": {"constraints": {"retraining_frequency": "30D"}}}
    >>> chunk = {"chunk": 0, "alarms": ["drift: age"]}
    >>> decision = decide_retrain([chunk], reference,
    ...                           now=dt.datetime(2026, 1, 10, tzinfo=dt.timezone.utc))
    >>> decision.action, decision.reasons
    ('investigate', ['chunk 0: drift: age'])
    >>> later = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    >>> decide_retrain([], reference, now=later).reasons
    ['the model is 59.0 days old; the card asks for retraining 30D (30 days)']
    """
    notes, facts = [], {}
    age = _age_reason(reference, now, notes, facts)
    judged = chunks[-recent:] if recent else chunks
    retrain, investigate = [], []
    for chunk in judged:
        for alarm in chunk["alarms"]:
            line = f"chunk {chunk['chunk']}: {alarm}"
            if alarm.startswith(("realised", "concept", "estimated")):
                retrain.append(line)
            else:
                investigate.append(line)
    if age:
        retrain.insert(0, age)
    for kind in ("drift", "multivariate", "prediction", "realised", "concept"):
        facts[f"chunks_with_{kind}_alarm"] = _recent_alarms(judged, kind)
    if reference.get("task") == "regression":
        notes.append("regression: performance is not estimated without labels")
    action = "retrain" if retrain else ("investigate" if investigate else "keep")
    return RetrainDecision(action, retrain + investigate, notes, facts)
