"""
The data quality report
=======================

Before modelling, :class:`~sklearn_workflow.DataQualityChecker` learns a data
contract from the training rows (types, ranges, categories, missing values,
distributions) and lists what is wrong with the table, each finding with a
severity and a suggested fix. Later, the same fitted checker validates every new
batch against that contract.
"""

# %%
# Findings on the churn demo
# --------------------------
# The demo table has the problems a real extract has: a column that leaks the
# target, duplicate rows, missing incomes, a skewed amount, an identifier.
import pandas as pd

from sklearn_workflow import DataQualityChecker
from sklearn_workflow.datasets import make_churn

X, y = make_churn(3000, random_state=0)
checker = DataQualityChecker().fit(X, y)
pd.set_option("display.max_colwidth", 60)
checker.findings_[["check", "column", "severity", "suggestion"]].head(10)

# %%
# The leakage suspect agrees with the target on almost every row: it is known
# only after the customer has left, so it must not be a feature.
checker.findings_.query("check == 'leakage'")[["column", "message"]]

# %%
# The exploratory overview
# ------------------------
# ``plot`` draws the overview of the table and the target. It returns a matplotlib
# ``Figure`` that belongs to no window (as a library's figure should); here it is
# saved and shown.
import io

import matplotlib.pyplot as plt

buffer = io.BytesIO()
checker.plot(X, y).savefig(buffer, format="png", dpi=80)
buffer.seek(0)
shown, ax = plt.subplots(figsize=(12, 8))
ax.imshow(plt.imread(buffer))
ax.set_axis_off()
shown.tight_layout()

# %%
# Validating a new batch
# ----------------------
# A new batch in which incomes are recorded in another unit and a contract type
# appears that training never saw: ``validate`` names the columns and what
# changed.
X_new = X.sample(1000, random_state=1)
X_new["income"] = X_new["income"] * 3
X_new.loc[X_new.index[:50], "contract"] = "Weekly"
checker.validate(X_new)[["check", "column", "observed", "expected"]]
