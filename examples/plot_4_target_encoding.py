"""
Target encoding against one-hot encoding
========================================

A categorical column with many levels (200 cities in the churn demo) becomes 200
sparse columns with one-hot encoding, most of them seen a handful of times.
:class:`~sklearn_workflow.TargetEncoder` replaces each level by a smoothed mean of
the target for that level instead: one column, learned out-of-fold in
``fit_transform`` so that a row's own target never leaks into its encoding.
"""

# %%
# The same model, two encodings
# -----------------------------
# A logistic regression on the numeric columns plus ``city`` and ``contract``,
# encoded either way, cross-validated on the same folds.
import time

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_workflow import TargetEncoder
from sklearn_workflow.datasets import make_churn

X, y = make_churn(3000, random_state=0)
numeric = ["tenure_months", "num_sessions", "support_tickets", "income"]
categorical = ["city", "contract"]
X = X[numeric + categorical]
print(X["city"].value_counts().describe()[["count", "min", "50%", "max"]])

encoders = {
    "one-hot": OneHotEncoder(handle_unknown="ignore"),
    "target encoding": TargetEncoder(random_state=0),
}
cv = StratifiedKFold(5, shuffle=True, random_state=0)
rows = []
for name, encoder in encoders.items():
    model = make_pipeline(
        make_column_transformer(
            (encoder, categorical),
            (make_pipeline(SimpleImputer(), StandardScaler()), numeric),
        ),
        LogisticRegression(max_iter=1000),
    )
    start = time.perf_counter()
    scores = cross_val_score(model, X, y, scoring="roc_auc", cv=cv)
    n_columns = model.fit(X, y)[0].transform(X).shape[1]
    rows.append(
        {
            "encoding": name,
            "columns": n_columns,
            "roc_auc": scores.mean(),
            "std": scores.std(),
            "seconds": time.perf_counter() - start,
        }
    )
results = pd.DataFrame(rows)
results.round(3)

# %%
# The target encoding gives the model six columns instead of more than two
# hundred, and scores within a standard deviation of one-hot encoding.
fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(results["encoding"], results["roc_auc"], xerr=results["std"], color="C0")
ax.set_xlim(0.5, 1)
ax.set_xlabel("cross-validated ROC-AUC")
fig.tight_layout()

# %%
# Why out-of-fold matters
# -----------------------
# Encoded on the rows it is fitted on, a rare city's encoding is its own rows'
# churn rate: a model learns it by heart. ``fit_transform`` encodes each row with
# the statistics of the other folds; ``transform`` (new rows) uses all of them.
encoder = TargetEncoder(random_state=0).set_output(transform="pandas")
out_of_fold = encoder.fit_transform(X[["city"]], y)
in_sample = encoder.transform(X[["city"]])
pd.DataFrame(
    {
        "city": X["city"],
        "out-of-fold": out_of_fold.iloc[:, 0],
        "refit on all rows": in_sample.iloc[:, 0],
    }
).head()
