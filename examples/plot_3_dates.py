"""
Features from dates
===================

A date is not a number a model can use as it is. :class:`~sklearn_workflow.DateFeatureExtractor`
turns each date column into calendar parts, flags and the time elapsed between
two dates, all learned at ``fit`` (the date range, the parsing of date strings)
and applied unchanged to new rows.
"""

# %%
# Calendar parts and elapsed time
# -------------------------------
# The churn demo has a signup date and a last login. The days between them, and
# the month of the last login, are features; the date columns themselves are
# replaced.
import matplotlib.pyplot as plt

from sklearn_workflow import DateFeatureExtractor
from sklearn_workflow.datasets import make_churn

X, y = make_churn(3000, random_state=0)
dates = X[["signup_date", "last_login"]]
extractor = DateFeatureExtractor(
    features=("month", "day_of_week"),
    differences=[("last_login", "signup_date")],
)
features = extractor.set_output(transform="pandas").fit_transform(dates)
print(extractor.get_feature_names_out())
features.head()

# %%
# Dates stored as text are parsed with the format learned at fit, and a missing
# date stays missing in every feature derived from it.
import pandas as pd

text = pd.DataFrame({"signup_date": ["2024-01-31", None, "2024-03-15"]})
DateFeatureExtractor(features=("year", "month")).set_output(
    transform="pandas"
).fit_transform(text)

# %%
# Does the elapsed time say something about churn?
# ------------------------------------------------
# The churn rate by decile of the days between signup and last login.
days = features.iloc[:, -1]
rate = y.groupby(pd.qcut(days, 10, duplicates="drop"), observed=True).mean()
fig, ax = plt.subplots(figsize=(7, 3))
rate.plot.bar(ax=ax, color="C0")
ax.set_xlabel(features.columns[-1] + " (deciles)")
ax.set_ylabel("churn rate")
fig.tight_layout()
