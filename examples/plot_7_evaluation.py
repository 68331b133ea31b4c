"""
Evaluation and the verdict
==========================

:func:`~sklearn_workflow.evaluation.evaluate` measures a fitted model on held-out
rows: every metric of the task with a 95% bootstrap interval, the same metrics
for the baselines (a dummy model and the problem card's rule), the confusion
matrix, single-row latency, a check that no test row is also a training row, and
the card's verdict, criterion by criterion.
"""

# %%
# A tuned model on held-out rows
# ------------------------------
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_workflow import TargetEncoder, ThresholdTunedClassifier
from sklearn_workflow.datasets import make_churn
from sklearn_workflow.evaluation import evaluate
from sklearn_workflow.problem import churn_spec

spec = churn_spec()
X, y = make_churn(4000, random_state=0)
X = X[["tenure_months", "num_sessions", "support_tickets", "city", "contract"]]
# Customers who share these five values are one row for the model: keep one of
# each, so that no test row is also a training row.
X = X.drop_duplicates()
y = y.loc[X.index]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, stratify=y, test_size=0.3, random_state=0
)
model = make_pipeline(
    make_column_transformer(
        (TargetEncoder(random_state=0), ["city", "contract"]),
        remainder=StandardScaler(),
    ),
    LogisticRegression(max_iter=1000),
)
tuned = ThresholdTunedClassifier(model, **spec.threshold_params(), random_state=0).fit(
    X_train, y_train
)
report = evaluate(tuned, X_test, y_test, spec=spec, X_train=X_train, y_train=y_train)
print(report.verdict)

# %%
# The test metrics next to the baselines
# --------------------------------------
report.metrics_frame().round(3)

# %%
# Each metric with its 95% bootstrap interval (test rows drawn with
# replacement): the width says how much the score could move on another test set
# of the same size.
report.intervals_frame().round(3)

# %%
# The verdict compares the test value with the card's target; the interval says
# how sure that comparison is. A threshold tuned for a recall of exactly 0.80 on
# the training rows lands on either side of 0.80 on new rows about as often:
# ``ThresholdTunedClassifier(confidence=0.9)`` asks for a margin instead.
low, high = report.intervals["recall"]
print(f"recall {report.metrics['recall']:.3f}, 95% interval [{low:.3f}, {high:.3f}]")

# %%
# The plots: confusion matrix, ROC and precision-recall curves, calibration.
fig = report.plot()
