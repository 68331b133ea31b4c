"""Monitor: a fitted model followed over chunks of new rows."""

import warnings

import numpy as np
import pandas as pd

from sklearn_workflow.exceptions import DataQualityWarning
from sklearn_workflow.monitor._calibration import (
    apply_calibration,
    apply_multiclass_calibration,
    calibration_draws,
)
from sklearn_workflow.monitor._decision import decide_retrain
from sklearn_workflow.monitor._drift import (
    AlarmLevels,
    bin_drift,
    chunk_columns,
    column_drift,
    domain_classifier_auc,
)
from sklearn_workflow.monitor._estimate import (
    METRICS,
    estimate_multiclass,
    estimate_performance,
    realised_multiclass,
    realised_performance,
)
from sklearn_workflow.monitor._reference import (
    encode_rows,
    get_reference,
    positive_scores,
    prediction_bins,
)
from sklearn_workflow.utils._dataframe import n_rows
from sklearn_workflow.utils._param_validation import _safe_indexing

__all__ = ["Monitor"]

PERIODS = ("h", "D", "W", "M", "Y")
# A chunk smaller than this gets no multivariate test.
MIN_DOMAIN_ROWS = 50
# Label draws of the estimates' intervals, at least: the 2.5% and 97.5%
# quantiles of a few hundred draws are noisy enough to lose coverage.
ESTIMATE_DRAWS = 1000
# Why a multiclass model's chunk has no prediction-drift test.
NO_PREDICTION_SUMMARY = (
    "the reference holds no distribution of the out-of-fold predictions (built "
    "before it was kept); rebuild it with build_reference to follow prediction "
    "drift"
)
NO_PROBABILITIES = "the model has no predict_proba"


class Monitor:
    """Follow a fitted model over chunks of new rows, with or without labels.

    Each chunk gets: per-column drift as effect sizes (PSI with a bootstrap
    interval, Jensen-Shannon, Wasserstein) against alarm levels set by the
    reference's own chunk-to-chunk noise at that chunk size, the smallest PSI
    it can detect, a multivariate test (domain classifier AUC with an
    interval), prediction drift (the scores against the out-of-fold scores;
    for a multiclass model, the predicted classes and how sure),
    the performance expected from calibrated probabilities at the model's
    threshold (binary models), and, when labels come, the realised performance
    and a concept-drift test. :meth:`decide` turns the chunks into a
    :class:`~sklearn_workflow.monitor.RetrainDecision`.

    Parameters
    ----------
    model : fitted estimator or Pipeline
        The model, with its reference attached (:func:`attach_reference`).
    reference : dict, default=None
        The reference, when not stored on the model.
    chunk_size : int, default=None
        Rows per chunk; None makes each batch one chunk (or one chunk per
        ``period``).
    period : {"h", "D", "W", "M", "Y"}, default=None
        Chunks by period of the rows' timestamps (hour, day, week, month,
        year) instead of by size.
    alpha : float, default=0.01
        Chance that a chunk drawn from the training distribution raises any
        drift alarm (shared among its tests), and level of the concept-drift
        test.
    min_psi : float, default=0.02
        The smallest PSI that raises an alarm: at large chunks the noise level
        falls below any shift that matters (0.02 is about a mean shift of 0.14
        standard deviations of a normal column; 0.1 is the usual "moderate").
    min_auc : float, default=0.55
        The smallest domain-classifier AUC that raises an alarm.
    n_bootstrap : int, default=200
        Redraws for the PSI intervals, and label draws for the estimates'
        intervals (1,000 at least).
    multivariate : bool, default=True
        Run the domain classifier on each chunk (the slowest test).
    random_state : int, default=0

    Attributes
    ----------
    chunks_ : list of dict
        One dict per chunk: ``chunk``, ``start``, ``end``, ``n_rows``,
        ``columns`` (one dict per column, see ``column_table``),
        ``prediction`` (as a column's row, with ``available``; a multiclass
        model whose reference holds no prediction distribution gets
        ``available=False`` and the ``reason``), ``multivariate``,
        ``estimated``, ``realised``,
        ``violations`` and ``alarms`` (one line each).

    See Also
    --------
    sklearn_workflow.quality.DataQualityChecker.drift : One PSI per column
        with a fixed cut-off; here the cut-off comes from the reference's noise
        at the chunk size, and the performance is followed too.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_workflow.monitor import Monitor, attach_reference, build_reference
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=3000), "z": rng.normal(size=3000)})
    >>> y = (X["x"] + rng.normal(size=3000) > 0).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> attach_reference(model, build_reference(model, X, y, reference_rows=1000))
    LogisticRegression()
    >>> monitor = Monitor(model, chunk_size=500, multivariate=False)
    >>> new = pd.DataFrame({"x": rng.normal(size=1000), "z": rng.normal(size=1000)})
    >>> new.loc[500:, "x"] += 1.0  # the second chunk drifts
    >>> monitor.update(new).timeline()["alarms"].tolist()
    [0, 2]
    >>> [line.split(":")[0] for line in monitor.chunks_[1]["alarms"]]
    ['drift', 'prediction drift']
    >>> monitor.decide().action
    'investigate'
    """

    def __init__(
        self,
        model,
        *,
        reference=None,
        chunk_size=None,
        period=None,
        alpha=0.01,
        min_psi=0.02,
        min_auc=0.55,
        n_bootstrap=200,
        multivariate=True,
        random_state=0,
    ):
        self.model = model
        self.reference = get_reference(model) if reference is None else reference
        self.chunk_size = chunk_size
        self.period = period
        self.alpha = alpha
        self.min_psi = min_psi
        self.min_auc = min_auc
        self.n_bootstrap = n_bootstrap
        self.multivariate = multivariate
        self.random_state = random_state
        self.chunks_ = []
        self._rng = np.random.default_rng(random_state)
        self._levels = self._alarm_levels()

    def _alarm_levels(self):
        reference = self.reference
        counts = {
            name: np.asarray(s["counts"], dtype=np.float64)
            for name, s in reference["columns"].items()
        }
        if reference.get("scores") is not None:
            counts["(prediction)"] = np.asarray(reference["scores"]["counts"])
        n_tests = len(counts) + int(self._multivariate_possible())
        return AlarmLevels(counts, self.alpha, n_tests, self.min_psi, self.random_state)

    def _multivariate_possible(self):
        return self.multivariate and np.size(self.reference["sample"]["rows"]) > 0

    # -- chunks -----------------------------------------------------------------
    def _chunk_rows(self, n, timestamp):
        """Positions of each chunk's rows and the chunk's (start, end) times."""
        stamps = None
        if timestamp is not None and np.ndim(timestamp) == 1:
            stamps = np.asarray(pd.to_datetime(np.asarray(timestamp)), "datetime64[s]")
        if self.period is not None and stamps is not None:
            if self.period not in PERIODS:
                raise ValueError(
                    f"period must be one of {PERIODS}; got {self.period!r}"
                )
            keys = stamps.astype(f"datetime64[{self.period}]")
            _, inverse = np.unique(keys, return_inverse=True)
            groups = [np.flatnonzero(inverse == g) for g in range(inverse.max() + 1)]
        elif self.chunk_size:
            groups = [
                np.arange(i, min(i + self.chunk_size, n))
                for i in range(0, n, self.chunk_size)
            ]
        else:
            groups = [np.arange(n)]
        for rows in groups:
            if stamps is not None:
                yield rows, (str(stamps[rows].min()), str(stamps[rows].max()))
            else:
                when = None if timestamp is None else str(timestamp)
                yield rows, (when, when)

    def update(self, X, y=None, timestamp=None):
        """Monitor a batch of rows, chunk by chunk.

        Parameters
        ----------
        X : DataFrame
            New rows, with the model's input columns (others are ignored).
        y : array-like, default=None
            Their labels, when known.
        timestamp : scalar or array-like, default=None
            The batch's time, or one time per row (chunks by ``period``).

        Returns
        -------
        self : Monitor
        """
        if hasattr(X, "to_pandas"):
            X = X.to_pandas()
        X = X.reset_index(drop=True)
        y = None if y is None else np.asarray(y)
        for rows, (start, end) in self._chunk_rows(n_rows(X), timestamp):
            if rows.size == 0:
                continue
            chunk = _safe_indexing(X, rows)
            labels = None if y is None else y[rows]
            self.chunks_.append(self._monitor_chunk(chunk, labels, start, end))
        return self

    def _monitor_chunk(self, X, y, start, end):
        from sklearn_workflow.workflow._door import inspect_batch

        with warnings.catch_warnings():
            # Contract violations are counted from the door's report.
            warnings.simplefilter("ignore", DataQualityWarning)
            return self._judge_chunk(X, y, start, end, inspect_batch)

    def _judge_chunk(self, X, y, start, end, inspect_batch):
        X_model, door = inspect_batch(self.model, X)
        result = {
            "chunk": len(self.chunks_),
            "start": start,
            "end": end,
            "n_rows": int(n_rows(X)),
            "violations": 0 if door.violations is None else len(door.violations),
        }
        result["columns"] = self._column_drift(X)
        result["multivariate"] = self._domain_test(X)
        result.update(self._performance(X_model, y))
        result["alarms"] = _alarm_lines(result, self._bar(), self.alpha)
        return result

    def _column_drift(self, X):
        sample = np.asarray(self.reference["sample"]["rows"], dtype=np.float64)
        rows = []
        for j, (name, col) in enumerate(
            chunk_columns(X, self.reference["columns"]).items()
        ):
            summary = self.reference["columns"][name]
            values = sample[:, j] if sample.size else None
            rows.append(
                column_drift(
                    name,
                    col,
                    summary,
                    self._levels,
                    sample=values,
                    n_bootstrap=self.n_bootstrap,
                    rng=self._rng,
                )
            )
        return rows

    def _domain_test(self, X):
        if not self._multivariate_possible() or n_rows(X) < MIN_DOMAIN_ROWS:
            return None
        columns = self.reference["columns"]
        sample = np.asarray(self.reference["sample"]["rows"], dtype=np.float64)
        chunk = encode_rows(X, columns)
        n_ref = min(len(sample), max(len(chunk), 1000))
        ref = sample[self._rng.choice(len(sample), n_ref, replace=False)]
        categorical = ["edges" not in s for s in columns.values()]
        return domain_classifier_auc(
            ref,
            chunk,
            categorical,
            quantile=self._levels.quantile,
            rng=self._rng,
            min_auc=self.min_auc,
        )

    def _performance(self, X, y):
        """Prediction drift, the estimate without labels and the realised values."""
        reference = self.reference
        out = {"prediction": None, "estimated": None, "realised": None}
        if reference.get("pos_label") is None:
            if _calibrated_multiclass(reference):
                return self._multiclass_performance(X, y)
            if len(reference.get("classes") or ()) > 2:
                out["prediction"] = _unavailable(NO_PROBABILITIES)
            if y is not None:
                out["realised"] = _realised_other(self.model.predict(X), y, reference)
            return out
        scores = positive_scores(self.model, X, reference["pos_label"])
        sample = reference["sample"]["scores"]
        out["prediction"] = column_drift(
            "(prediction)",
            scores,
            reference["scores"],
            self._levels,
            sample=None if sample is None else np.asarray(sample),
            n_bootstrap=self.n_bootstrap,
            rng=self._rng,
        )
        out["prediction"]["available"] = True
        p = apply_calibration(reference["calibration"], scores)
        decided = scores >= reference["threshold"]
        out["estimated"] = estimate_performance(
            p,
            decided,
            n_draws=max(self.n_bootstrap, ESTIMATE_DRAWS),
            rng=self._rng,
            map_draws=calibration_draws(reference["calibration"], scores),
        )
        if y is not None:
            positive = _as_positive(y, reference["pos_label"])
            out["realised"] = realised_performance(positive, decided, p)
        return out

    def _multiclass_performance(self, X, y):
        """Estimated and realised accuracy and per-class recall and precision."""
        calibration, classes = self.reference["calibration"], self.reference["classes"]
        proba = np.asarray(self.model.predict_proba(X), dtype=np.float64)
        p = apply_multiclass_calibration(calibration, proba)
        names = [str(c) for c in classes]
        lookup = {name: j for j, name in enumerate(names)}
        predicted = np.array([lookup[str(v)] for v in self.model.predict(X)])
        out = {"prediction": self._class_drift(proba), "realised": None}
        out["estimated"] = estimate_multiclass(
            p,
            predicted,
            classes,
            n_draws=max(self.n_bootstrap, ESTIMATE_DRAWS),
            rng=self._rng,
            map_draws=calibration_draws(calibration, proba),
        )
        if y is not None:
            codes = np.array([lookup.get(str(v), -1) for v in np.asarray(y)])
            known = codes >= 0
            out["realised"] = realised_multiclass(
                codes[known], predicted[known], classes, p[known]
            )
        return out

    def _class_drift(self, proba):
        """Prediction drift of a multiclass model: the chunk's rows binned by
        predicted class and how sure, against the out-of-fold predictions."""
        summary = self.reference.get("scores")
        if summary is None:
            return _unavailable(NO_PREDICTION_SUMMARY)
        row = bin_drift(
            "(prediction)",
            summary,
            prediction_bins(proba, summary),
            self._levels,
            n_bootstrap=self.n_bootstrap,
            rng=self._rng,
        )
        return {**row, "available": True}

    def _bar(self):
        """``(metric, value)`` of the card's bar when it is a confusion metric."""
        spec = self.reference.get("spec") or {}
        metric, value = spec.get("success_metric"), spec.get("threshold")
        if metric in METRICS and value is not None:
            return metric, float(value)
        return None

    def _metric(self):
        """The metric followed: the card's when it is a confusion metric, else
        recall (binary) or accuracy (multiclass)."""
        bar = self._bar()
        if bar is not None:
            return bar[0]
        return "accuracy" if _calibrated_multiclass(self.reference) else "recall"

    # -- results ----------------------------------------------------------------
    def timeline(self):
        """One row per chunk: rows, alarms, the largest PSI over its alarm level,
        the domain AUC, the estimated and realised values of the card's metric."""
        metric = self._metric()
        rows = []
        for c in self.chunks_:
            ratios = [
                r["psi"] / r["alarm_level"]
                for r in c["columns"]
                if r["alarm_level"] > 0
            ]
            rows.append(
                {
                    "chunk": c["chunk"],
                    "start": c["start"],
                    "n_rows": c["n_rows"],
                    "alarms": len(c["alarms"]),
                    "max_psi_over_level": max(ratios) if ratios else np.nan,
                    "domain_auc": (c["multivariate"] or {}).get("auc", np.nan),
                    f"estimated_{metric}": (c["estimated"] or {}).get(metric, np.nan),
                    f"realised_{metric}": (c["realised"] or {}).get(metric, np.nan),
                }
            )
        return pd.DataFrame(rows)

    def column_table(self):
        """One row per chunk and column: the effect sizes, interval and alarm."""
        rows = [
            {"chunk": c["chunk"], **row}
            for c in self.chunks_
            for row in c["columns"] + _available(c["prediction"])
        ]
        return pd.DataFrame(rows)

    def decide(self, now=None, recent=2):
        """The retrain decision from the last ``recent`` chunks and the model's age.

        See :func:`~sklearn_workflow.monitor.decide_retrain`.
        """
        return decide_retrain(self.chunks_, self.reference, now=now, recent=recent)


def _calibrated_multiclass(reference):
    """Whether the reference holds a per-class calibration (multiclass)."""
    calibration = reference.get("calibration")
    return calibration is not None and "maps" in calibration


def _unavailable(reason):
    """The prediction-drift result of a chunk that cannot be tested."""
    return {
        "column": "(prediction)",
        "kind": "multiclass",
        "available": False,
        "reason": reason,
        "alarm": False,
    }


def _available(prediction):
    """The prediction-drift row of a chunk for the column table, if tested."""
    return [prediction] if prediction and prediction.get("available", True) else []


def _as_positive(y, pos_label):
    y = np.asarray(y)
    if y.dtype.kind in "OUS":
        return y.astype(str) == str(pos_label)
    return y == pos_label


def _realised_other(predictions, y, reference):
    """Realised accuracy (classes) or RMSE and MAE (regression)."""
    y = np.asarray(y)
    if reference.get("classes") is not None:
        right = np.asarray(predictions).astype(str) == y.astype(str)
        return {"accuracy": float(right.mean())}
    error = np.asarray(predictions, dtype=np.float64) - y.astype(np.float64)
    return {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
    }


def _alarm_lines(result, bar, alpha):
    """One line per alarm of a chunk; the prefix says its kind."""
    lines = [
        f"drift: {r['column']} (PSI {r['psi']:.3f} > alarm level "
        f"{r['alarm_level']:.3f})"
        for r in result["columns"]
        if r["alarm"]
    ]
    multivariate = result["multivariate"]
    if multivariate and multivariate["alarm"]:
        lines.append(
            f"multivariate drift: domain classifier AUC {multivariate['auc']:.3f} "
            f"> alarm level {multivariate['alarm_level']:.3f}"
        )
    prediction = result["prediction"]
    if prediction and prediction["alarm"]:
        what = "predicted classes" if prediction["kind"] == "multiclass" else "scores"
        lines.append(
            f"prediction drift: {what} PSI {prediction['psi']:.3f} > alarm level "
            f"{prediction['alarm_level']:.3f}"
        )
    if result["violations"]:
        lines.append(
            f"contract: {result['violations']} violation(s) of the data contract"
        )
    lines += _performance_lines(result, bar, alpha)
    return lines


def _performance_lines(result, bar, alpha):
    lines = []
    realised, estimated = result["realised"], result["estimated"]
    if realised and realised.get("concept_pvalue", 1.0) < alpha:
        lines.append(
            f"concept drift: {realised['accuracy']:.3f} of the decisions right, "
            f"{estimated['accuracy']:.3f} expected "
            f"(p = {realised['concept_pvalue']:.2g})"
        )
    if bar is None:
        return lines
    metric, value = bar
    if realised and realised.get(f"{metric}_high", 1.0) < value:
        lines.append(
            f"realised {metric}: {realised[metric]:.3f} (95% up to "
            f"{realised[f'{metric}_high']:.3f}) below the card's {value:g}"
        )
    if estimated and estimated.get(f"{metric}_high", 1.0) < value:
        lines.append(
            f"estimated {metric}: {estimated[metric]:.3f} (95% up to "
            f"{estimated[f'{metric}_high']:.3f}) below the card's {value:g}"
        )
    return lines
