"""
Model selection with racing
===========================

:class:`~sklearn_workflow.ModelSelector` cross-validates a catalog of candidate
models, each with the preprocessing it needs, next to a baseline, and refits the
best. With ``strategy="racing"`` it first scores every candidate on a subsample,
then adds one fold at a time and stops the candidates that cannot catch up with
the leader any more: the clear losers cost a fraction of their fit time.

This example runs on the breast cancer table that ships with scikit-learn.
"""

# %%
# A race on a real table
# ----------------------
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from sklearn_workflow import ModelSelector

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
selector = ModelSelector(
    scoring="roc_auc",
    strategy="racing",
    cv=5,
    random_state=0,
).fit(X_train, y_train)
columns = [
    "rank",
    "name",
    "mean_roc_auc",
    "fit_time",
    "n_folds",
    "status",
    "stopped_at",
]
selector.results_[[c for c in columns if c in selector.results_]]

# %%
# The winner, refitted on every training row, is the selector's own model:
# ``selector.predict`` and ``selector.predict_proba`` use it.
print("winner:", selector.best_name_)
print("test ROC-AUC:", round(selector.score(X_test, y_test), 3))

# %%
# The fold scores of each candidate; a candidate stopped early has fewer points.
ax = selector.plot()
