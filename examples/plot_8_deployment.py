"""
Deployment: save, load, predict
===============================

A fitted pipeline is saved with skops, not pickle: loading a skops file never
runs code it was not told to trust. :func:`~sklearn_workflow.deploy.save` and
:func:`~sklearn_workflow.deploy.load` trust the package's own types, so a
pipeline made of them loads without a list of types to approve, and
:func:`~sklearn_workflow.deploy.make_model_card` writes the card that travels
with it.
"""

# %%
# Save and load
# -------------
import tempfile
from pathlib import Path

from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_workflow import DataQualityChecker, DateFeatureExtractor
from sklearn_workflow.datasets import make_churn
from sklearn_workflow.deploy import load, save

X, y = make_churn(2000, random_state=0)
X = X[["tenure_months", "num_sessions", "support_tickets", "last_login"]]
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
model = make_pipeline(
    DataQualityChecker(),
    DateFeatureExtractor(features=("month",)),
    SimpleImputer(),
    LogisticRegression(max_iter=1000),
).fit(X_train, y_train)

folder = Path(tempfile.mkdtemp())
path = save(model, folder / "churn.skops")
print(path.name, f"{path.stat().st_size / 1e3:.1f} kB")
loaded = load(path)

# %%
# Predict on new rows
# -------------------
# The loaded model predicts what the fitted one does; its own
# :class:`~sklearn_workflow.DataQualityChecker` checks the new rows at the door
# (here a batch with an unseen range of tenures is warned about).
import warnings

new = make_churn(200, random_state=1)[0][X.columns]
print((loaded.predict_proba(new) == model.predict_proba(new)).all())
new.loc[new.index[:20], "tenure_months"] = 500.0
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    loaded.predict(new)
for warning in caught:
    print(type(warning.message).__name__, str(warning.message)[:120])

# %%
# The model card
# --------------
from sklearn_workflow.deploy import make_model_card

card = make_model_card(
    loaded,
    name="Churn in 30 days",
    task="binary_classification",
    target="churned",
    data={
        "training rows": len(X_train),
        "test rows (held out)": len(X_test),
        "source": "make_churn(2000, random_state=0)",
    },
    metrics={"accuracy": float(loaded.score(X_test, y_test))},
    limitations=("synthetic data",),
)
print(card)
