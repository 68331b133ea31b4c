"""
The problem card
================

The first stage of the workflow writes down the question before any model: what
is predicted, how success is measured, the score to reach and the simple rule a
model must beat. :class:`~sklearn_workflow.problem.ProblemSpec` holds that card
and turns it into working objects: a scorer, the rule-based baseline model and,
once a model is evaluated, the verdict.

The churn demo asks "which customers will churn in the next 30 days?".
"""

# %%
# The card
# --------
# :func:`~sklearn_workflow.problem.churn_spec` is the card of the churn demo. Its
# TOML form is what ``python -m sklearn_workflow run --spec problem.toml`` reads.
from sklearn_workflow.problem import churn_spec

spec = churn_spec()
print(spec.to_toml())

# %%
# The baseline the model must beat
# --------------------------------
# The card names a rule ("customers in their first three months churn"). It is a
# real classifier, :class:`~sklearn_workflow.problem.RuleClassifier`, so it is
# cross-validated like any model, with the card's own scorer (recall here).
import matplotlib.pyplot as plt
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import cross_val_score

from sklearn_workflow.datasets import make_churn

X, y = make_churn(2000, random_state=0)
scores = {
    "rule: " + spec.baseline["rule"]: cross_val_score(
        spec.baseline_estimator(), X, y, scoring=spec.scorer(), cv=5
    ),
    "always predict churn": cross_val_score(
        DummyClassifier(strategy="constant", constant=1),
        X,
        y,
        scoring=spec.scorer(),
        cv=5,
    ),
}
for name, values in scores.items():
    print(f"{name}: recall {values.mean():.3f} +/- {values.std():.3f}")

# %%
# A constant "churn" answer reaches a recall of 1 and is useless: the card
# therefore asks for a recall of at least 0.80 *with the best precision*, the
# objective that :class:`~sklearn_workflow.ThresholdTunedClassifier` reads from
# ``spec.threshold_params()``.
print(spec.threshold_params())

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(list(scores), [v.mean() for v in scores.values()], color=["C0", "C7"])
ax.axvline(spec.threshold, color="C3", linestyle="--", label="the card's target")
ax.set_xlabel("cross-validated recall")
ax.legend(loc="lower right")
fig.tight_layout()
