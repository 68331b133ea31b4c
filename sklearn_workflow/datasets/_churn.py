"""Synthetic customer-churn data: the workflow's demo problem."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from sklearn_workflow.utils._param_validation import Interval, validate_params

__all__ = ["load_demo", "make_churn"]

# Reference date of the snapshot: tenure and recency are measured up to it.
_SNAPSHOT = np.datetime64("2024-07-01", "D")
_CONTRACT_LEVELS = np.array(["Monthly", "Annual", "Two-Year"], dtype=object)
_CONTRACT_PROBA = np.array([0.55, 0.25, 0.20])
_CONTRACT_EFFECT = np.array([0.9, -0.5, -1.3])
_N_CITIES = 200
# Coefficients of the churn logit, documented in make_churn's docstring.
_INTERCEPT = -0.55
_COEF_TENURE = -0.05
_COEF_SESSIONS = -0.18
_COEF_TICKETS = 0.6
_COEF_RECENCY = 0.025
_CITY_EFFECT_SD = 0.6
_LEAK_AGREEMENT = 0.97
_DUPLICATE_FRACTION = 0.005


@validate_params(
    {
        "n_samples": [Interval(Integral, 20, None, closed="left")],
        "random_state": ["random_state"],
        "as_frame": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_churn(n_samples=5000, *, random_state=None, as_frame=True):
    """Generate synthetic customers and whether they churned.

    The workflow's demo problem ("which customers will churn in 30 days?"), with
    real, learnable signal, the column types a real customer table has (an ID,
    datetimes, skewed amounts, counts, a low- and a high-cardinality category,
    missing values) and the problems a quality check should find: a leaky column,
    exact duplicate rows and missing incomes.

    Parameters
    ----------
    n_samples : int, default=5000
        Number of rows, duplicates included (at least 20).
    random_state : int, RandomState instance or None, default=None
        Seed of every random choice; the same seed gives the same data.
    as_frame : bool, default=True
        Return a pandas DataFrame and Series; otherwise an object ndarray and an
        int ndarray (column order as below).

    Returns
    -------
    X : DataFrame of shape (n_samples, 12)
        Columns:

        - ``customer_id`` (str): ``"C"`` and six digits, unique per customer (the
          duplicated rows repeat it, as a double-loaded record would).
        - ``signup_date`` (datetime64[us]): ``tenure_months`` before the snapshot
          date 2024-07-01, at midnight.
        - ``last_login`` (datetime64[us]): between signup and the snapshot, always
          after ``signup_date``; churners log in less recently.
        - ``age`` (int64): uniform on 18..69.
        - ``income`` (float64): lognormal(10.5, 0.8); about 5% missing (NaN).
        - ``tenure_months`` (float64): exponential with mean 20, clipped to [1, 72],
          rounded to one decimal.
        - ``contract`` (str): Monthly (55%), Annual (25%), Two-Year (20%).
        - ``city`` (str): 200 levels, Zipf-like frequencies (a long tail of rare
          cities: high cardinality).
        - ``purchase_amount`` (float64): lognormal(3, 1), right-skewed.
        - ``num_sessions`` (int64): Poisson with mean 10.
        - ``support_tickets`` (int64): Poisson with mean 1.
        - ``cancellation_requested`` (int64): a leaky copy of the target that agrees
          with it on about 97% of rows -- it is only known after the customer left.
    y : Series of shape (n_samples,)
        ``churned`` (int64, 1 = churned), about 27% positive.

    Notes
    -----
    The churn probability is ``sigmoid(z)`` with::

        z = -0.55 - 0.05 * tenure_months + contract_effect
            - 0.18 * (num_sessions - 10) + 0.6 * (support_tickets - 1)
            + 0.025 * (days_since_last_login - 30) + city_effect

    where ``contract_effect`` is +0.9 (Monthly), -0.5 (Annual), -1.3 (Two-Year),
    ``days_since_last_login`` counts days from ``last_login`` to the snapshot, and
    ``city_effect`` is drawn once per city from N(0, 0.6), then centred so that its
    frequency-weighted mean is zero. ``age``, ``income`` and
    ``purchase_amount`` carry no signal. Churners' last login is drawn further
    back in time: the recency term is what links ``last_login`` to the target.
    About 0.5% of the rows are exact copies of other rows (features and target).

    Examples
    --------
    >>> from sklearn_workflow.datasets import make_churn
    >>> X, y = make_churn(n_samples=1000, random_state=0)
    >>> X.shape, y.name
    ((1000, 12), 'churned')
    >>> bool(X["income"].isna().any())
    True
    >>> bool((X["last_login"] > X["signup_date"]).all())
    True
    """
    rng = check_random_state(random_state)
    n_dup = max(1, int(round(n_samples * _DUPLICATE_FRACTION)))
    n = n_samples - n_dup

    tenure = np.round(np.clip(rng.exponential(20.0, n), 1.0, 72.0), 1)
    signup_days = np.round(tenure * 30.44).astype(np.int64)
    signup = _SNAPSHOT - signup_days.astype("timedelta64[D]")

    contract = rng.choice(3, size=n, p=_CONTRACT_PROBA)
    sessions = rng.poisson(10.0, n)
    tickets = rng.poisson(1.0, n)
    city_weights = 1.0 / np.arange(1, _N_CITIES + 1) ** 1.1
    city_proba = city_weights / city_weights.sum()
    city = rng.choice(_N_CITIES, size=n, p=city_proba)
    city_effect = rng.normal(0.0, _CITY_EFFECT_SD, _N_CITIES)
    city_effect -= city_proba @ city_effect  # centred: zero on average over rows

    # Latent churn propensity (without recency) decides how long ago the customer
    # last logged in; recency then enters the churn logit as well.
    base = (
        _INTERCEPT
        + _COEF_TENURE * tenure
        + _CONTRACT_EFFECT[contract]
        + _COEF_SESSIONS * (sessions - 10)
        + _COEF_TICKETS * (tickets - 1)
        + city_effect[city]
    )
    recency = np.minimum(
        np.round(rng.exponential(20.0 + 25.0 / (1.0 + np.exp(-base)), n)),
        signup_days - 1,
    ).astype(np.int64)
    recency = np.maximum(recency, 0)
    last_login = _SNAPSHOT - recency.astype("timedelta64[D]")
    logit = base + _COEF_RECENCY * (recency - 30)
    churned = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    leak = np.where(rng.random(n) < _LEAK_AGREEMENT, churned, 1 - churned)

    income = rng.lognormal(10.5, 0.8, n)
    income[rng.random(n) < 0.05] = np.nan
    ids = np.array([f"C{i:06d}" for i in rng.permutation(n) + 1], dtype=object)
    city_names = np.array([f"city_{k:03d}" for k in range(_N_CITIES)], dtype=object)

    data = {
        "customer_id": ids,
        "signup_date": signup.astype("datetime64[us]"),
        "last_login": last_login.astype("datetime64[us]"),
        "age": rng.randint(18, 70, n).astype(np.int64),
        "income": income,
        "tenure_months": tenure,
        "contract": _CONTRACT_LEVELS[contract],
        "city": city_names[city],
        "purchase_amount": rng.lognormal(3.0, 1.0, n),
        "num_sessions": sessions.astype(np.int64),
        "support_tickets": tickets.astype(np.int64),
        "cancellation_requested": leak.astype(np.int64),
    }
    # Exact duplicate rows, inserted at random positions.
    rows = np.concatenate([np.arange(n), rng.choice(n, n_dup, replace=False)])
    rows = rows[rng.permutation(rows.size)]
    X = pd.DataFrame({name: values[rows] for name, values in data.items()})
    for name in ("customer_id", "contract", "city"):
        X[name] = X[name].astype("str" if _has_str_dtype() else object)
    y = pd.Series(churned[rows], name="churned")
    if not as_frame:
        return X.to_numpy(dtype=object), y.to_numpy()
    return X, y


def _has_str_dtype():
    """pandas 3 has the default ``str`` dtype; pandas 2.2 keeps ``object``."""
    return pd.api.types.is_string_dtype(pd.Series(["a"]).dtype) and (
        pd.Series(["a"]).dtype != object
    )


def load_demo():
    """Load the demo churn data: ``make_churn(5000, random_state=0)``.

    The data behind ``make demo`` and the examples in the documentation.

    Returns
    -------
    X : DataFrame of shape (5000, 12)
    y : Series of shape (5000,)

    Examples
    --------
    >>> from sklearn_workflow.datasets import load_demo
    >>> X, y = load_demo()
    >>> X.shape
    (5000, 12)
    >>> round(float(y.mean()), 2)
    0.28
    """
    return make_churn(5000, random_state=0)
