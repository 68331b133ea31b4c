"""Champion against challenger on the same rows: paired tests and a verdict.

The verdict reads the paired bootstrap interval of ``metric(challenger) -
metric(champion)`` against a non-inferiority ``margin``: promote when the
interval's lower end is at or above ``-margin`` and the challenger is ahead; keep when
the challenger is not ahead or is worse beyond doubt; need more data otherwise,
with the number of rows at which the interval would clear ``-margin``.
McNemar's test (on the decisions) and DeLong's (on the ROC-AUC of binary
scores) are reported beside it.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats
from sklearn import metrics as skm

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.monitor._reference import (
    REFERENCE_ATTRIBUTE,
    final_step,
    positive_scores,
)
from sklearn_workflow.monitor._stats import (
    delong_test,
    mcnemar_test,
    paired_bootstrap,
    rows_needed,
)

__all__ = [
    "ComparisonResult",
    "compare_models",
    "compare_outputs",
    "compare_shadow_log",
    "read_shadow_log",
]


def _recall(y, p, pos):
    positive = y == pos
    return float(np.sum(positive & (p == pos)) / max(np.sum(positive), 1))


def _precision(y, p, pos):
    decided = p == pos
    return float(np.sum(decided & (y == pos)) / max(np.sum(decided), 1))


def _f1(y, p, pos):
    tp = np.sum((y == pos) & (p == pos))
    wrong = np.sum((y == pos) != (p == pos))
    return float(2 * tp / max(2 * tp + wrong, 1))


def _balanced_accuracy(y, p, pos):
    return float(np.mean([np.mean(p[y == c] == c) for c in np.unique(y)]))


def _roc_auc(y, s, pos):
    """ROC-AUC by the rank-sum (Mann-Whitney) formula, ties counting one half;
    NaN when one class is absent."""
    positive = y == pos
    m = int(positive.sum())
    n = positive.size - m
    if m == 0 or n == 0:
        return float("nan")
    ranks = stats.rankdata(s)
    return float((ranks[positive].sum() - m * (m + 1) / 2.0) / (m * n))


# Metrics of the decisions and of the scores (greater is better: errors negated),
# with numpy only: the paired bootstrap calls them a thousand times.
_DECISION_METRICS = {
    "accuracy": lambda y, p, pos: float(np.mean(y == p)),
    "balanced_accuracy": _balanced_accuracy,
    "recall": _recall,
    "precision": _precision,
    "f1": _f1,
    "rmse": lambda y, p, pos: -float(np.sqrt(np.mean((y - p) ** 2))),
    "mae": lambda y, p, pos: -float(np.mean(np.abs(y - p))),
}
_SCORE_METRICS = {
    "roc_auc": _roc_auc,
    "average_precision": lambda y, s, pos: skm.average_precision_score(y == pos, s),
    "brier": lambda y, s, pos: -float(np.mean((s - (y == pos)) ** 2)),
}


@dataclass
class ComparisonResult:
    """The paired comparison of a challenger with the champion.

    Attributes
    ----------
    verdict : {"promote", "keep", "need more data"}
    reasons : list of str
    metric : str
    margin : float
    n_rows : int
    bootstrap : dict
        :func:`~sklearn_workflow.monitor.paired_bootstrap` of the metric.
    mcnemar : dict
        ``{"exact": ..., "corrected": ...}`` of :func:`mcnemar_test`, None
        for regression.
    delong : dict or None
        :func:`delong_test` of binary scores.
    rows_needed : int or None
        Rows for the interval to clear ``-margin`` (need more data).
    notes : list of str

    Examples
    --------
    >>> from sklearn_workflow.monitor import compare_outputs
    >>> y = [0, 1] * 20
    >>> result = compare_outputs(y, {"prediction": y}, {"prediction": y},
    ...                          n_bootstrap=50)
    >>> result.verdict, result.exit_code
    ('keep', 0)
    >>> print(result.reasons[0])
    the challenger is not ahead (difference +0.0000, 95% interval +0.0000 to +0.0000)
    """

    verdict: str
    reasons: list
    metric: str
    margin: float
    n_rows: int
    bootstrap: dict
    mcnemar: dict = None
    delong: dict = None
    rows_needed: int = None
    notes: list = field(default_factory=list)

    @property
    def exit_code(self):
        """1 when the challenger should be promoted (the ``compare`` command)."""
        return 1 if self.verdict == "promote" else 0

    def to_dict(self):
        return dict(self.__dict__)

    def __str__(self):
        b = self.bootstrap
        lines = [
            f"verdict: {self.verdict}",
            f"  {self.metric}: champion {b['value_a']:.4f}, challenger "
            f"{b['value_b']:.4f}, difference {b['difference']:+.4f} "
            f"(95% {b['ci_low']:+.4f} to {b['ci_high']:+.4f}), margin {self.margin:g}",
        ]
        if self.mcnemar:
            lines.append(f"  McNemar exact p = {self.mcnemar['exact']['pvalue']:.4g}")
        if self.delong:
            lines.append(f"  DeLong p = {self.delong['pvalue']:.4g}")
        return "\n".join(lines + [f"  - {r}" for r in self.reasons])


def _verdict(bootstrap, margin, n):
    """Verdict, reasons and rows needed from the bootstrap interval."""
    diff, low, high = bootstrap["difference"], bootstrap["ci_low"], bootstrap["ci_high"]
    interval = f"difference {diff:+.4f}, 95% interval {low:+.4f} to {high:+.4f}"
    if low >= -margin:
        if diff > 0:
            return (
                "promote",
                [f"the challenger is ahead and not worse than the margin ({interval})"],
                None,
            )
        return "keep", [f"the challenger is not ahead ({interval})"], None
    if high < 0:
        return "keep", [f"the challenger is worse ({interval})"], None
    if diff <= -margin:
        return "keep", [f"the challenger is behind by the margin ({interval})"], None
    needed = rows_needed(n, diff, (high - low) / 2.0, margin)
    return (
        "need more data",
        [
            f"the interval reaches below -{margin:g} ({interval}); "
            f"about {needed:,} rows would settle it"
        ],
        needed,
    )


def compare_outputs(
    y,
    champion,
    challenger,
    *,
    metric=None,
    pos_label=None,
    margin=0.0,
    n_bootstrap=1000,
    confidence=0.95,
    random_state=0,
):
    """Compare two models from their outputs on the same rows.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The true labels or values.
    champion, challenger : dict
        ``{"prediction": array, "scores": array or None}``; ``scores`` are the
        positive class's probabilities of a binary model.
    metric : str, default=None
        One of accuracy, balanced_accuracy, recall, precision, f1, roc_auc,
        average_precision, brier, rmse, mae; None: roc_auc when both have
        scores, else accuracy (classes) or rmse (numbers).
    pos_label : object, default=None
        Positive class of a binary problem (default: the greater label).
    margin : float, default=0.0
        Non-inferiority margin in the metric's units.
    n_bootstrap : int, default=1000
    confidence : float, default=0.95
    random_state : int, default=0

    Returns
    -------
    result : ComparisonResult

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.monitor import compare_outputs
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 2000)
    >>> noisy = np.where(rng.random(2000) < 0.3, 1 - y, y)  # 70% right
    >>> better = np.where(rng.random(2000) < 0.1, 1 - y, y)  # 90% right
    >>> result = compare_outputs(y, {"prediction": noisy}, {"prediction": better},
    ...                          n_bootstrap=200)
    >>> result.verdict, result.metric, result.mcnemar["exact"]["pvalue"] < 1e-6
    ('promote', 'accuracy', True)
    """
    y = np.asarray(y)
    classes = y.dtype.kind in "OUSb" or np.unique(y).size <= 20
    binary = classes and np.unique(y).size == 2
    has_scores = (
        champion.get("scores") is not None and challenger.get("scores") is not None
    )
    if pos_label is None and binary:
        pos_label = np.unique(y)[-1]
    if metric is None:
        metric = (
            "roc_auc" if binary and has_scores else ("accuracy" if classes else "rmse")
        )
    if metric in _SCORE_METRICS:
        if not has_scores:
            raise BadInputError(f"metric {metric!r} needs both models' scores")
        score, key = _SCORE_METRICS[metric], "scores"
    elif metric in _DECISION_METRICS:
        score, key = _DECISION_METRICS[metric], "prediction"
    else:
        raise BadInputError(
            f"metric {metric!r} is not one of "
            f"{sorted(_DECISION_METRICS | _SCORE_METRICS)}"
        )
    a = np.asarray(champion[key], dtype=np.float64 if key == "scores" else None)
    b = np.asarray(challenger[key], dtype=np.float64 if key == "scores" else None)
    bootstrap = paired_bootstrap(
        y,
        a,
        b,
        lambda t, o: score(t, o, pos_label),
        n_rounds=n_bootstrap,
        confidence=confidence,
        rng=random_state,
    )
    verdict, reasons, needed = _verdict(bootstrap, margin, len(y))
    result = ComparisonResult(
        verdict, reasons, metric, margin, len(y), bootstrap, rows_needed=needed
    )
    if classes:
        right_a = np.asarray(champion["prediction"]) == y
        right_b = np.asarray(challenger["prediction"]) == y
        result.mcnemar = {
            "exact": mcnemar_test(right_a, right_b, exact=True),
            "corrected": mcnemar_test(right_a, right_b, exact=False, correction=True),
        }
    if binary and has_scores:
        result.delong = delong_test(
            y == pos_label,
            champion["scores"],
            challenger["scores"],
            confidence=confidence,
        )
    return result


def _model_outputs(model, X, pos_label):
    out = {"prediction": np.asarray(model.predict(X)), "scores": None}
    classes = getattr(model, "classes_", None)
    if classes is not None and len(classes) == 2 and pos_label is not None:
        out["scores"] = positive_scores(model, X, pos_label)
    return out


def compare_models(champion, challenger, X, y, *, metric=None, margin=0.0, **kwargs):
    """Compare two fitted models on the same rows (see :func:`compare_outputs`).

    The positive class and, when ``metric`` is None and the card's metric is
    one of the supported ones, the metric come from the champion's monitoring
    reference (else the challenger's) or the champion's tuned threshold step.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_workflow.monitor import compare_models
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 2))
    >>> y = (X[:, 0] + rng.normal(size=600) > 0).astype(int)
    >>> dummy = DummyClassifier().fit(X, y)
    >>> result = compare_models(dummy, LogisticRegression().fit(X, y), X, y,
    ...                         n_bootstrap=200)
    >>> result.verdict, result.metric, round(result.delong["auc_a"], 2)
    ('promote', 'roc_auc', 0.5)
    """
    reference = (
        getattr(champion, REFERENCE_ATTRIBUTE, None)
        or getattr(challenger, REFERENCE_ATTRIBUTE, None)
        or {}
    )
    pos_label = kwargs.pop("pos_label", None)
    if pos_label is None:
        pos_label = reference.get(
            "pos_label", getattr(final_step(champion), "pos_label_", None)
        )
    classes = getattr(champion, "classes_", None)
    if pos_label is None and classes is not None and len(classes) == 2:
        pos_label = classes[-1]
    if metric is None:
        card_metric = (reference.get("spec") or {}).get("success_metric")
        if card_metric in _DECISION_METRICS or card_metric in _SCORE_METRICS:
            metric = card_metric
    return compare_outputs(
        y,
        _model_outputs(champion, X, pos_label),
        _model_outputs(challenger, X, pos_label),
        metric=metric,
        pos_label=pos_label,
        margin=margin,
        **kwargs,
    )


def _positive_probability(probabilities, pos_label, classes):
    """The positive class's probability from a dict by class, or a list in the
    order of the sorted classes."""
    if probabilities is None:
        return np.nan
    if isinstance(probabilities, dict):
        for key, value in probabilities.items():
            if str(key) == str(pos_label):
                return float(value)
        return np.nan
    return float(probabilities[[str(c) for c in classes].index(str(pos_label))])


def _read_labels(labels, label_column, id_column):
    """``{str(id): label}`` from a table (frame or file) of ids and labels."""
    if isinstance(labels, dict):
        return {str(k): v for k, v in labels.items()}
    if isinstance(labels, (str, Path)):
        from sklearn_workflow.utils._files import load_table

        labels = load_table(labels)
    for column in (id_column, label_column):
        if column not in labels.columns:
            raise BadInputError(
                f"the labels have no column {column!r}; columns are "
                f"{list(labels.columns)}"
            )
    return dict(zip(labels[id_column].astype(str), labels[label_column]))


def read_shadow_log(
    path, labels, *, label_column="label", id_column="id", pos_label=None
):
    """Read a serving shadow log (JSON lines) and join the true labels by id.

    Each line holds ``id``, ``time``, ``champion`` and ``challenger``, each
    model's output a dict with ``prediction`` and ``probabilities`` (a dict by
    class, or a list in the order of the sorted classes). Rows without a label
    are left out; lines that are not JSON are refused with their number.

    Parameters
    ----------
    path : str or Path
    labels : DataFrame, dict or path
        ``{id: label}``, or a table with ``id_column`` and ``label_column``.
    label_column : str, default="label"
    id_column : str, default="id"
    pos_label : object, default=None
        Positive class of a binary problem (default: the greater label).

    Returns
    -------
    y : ndarray
    champion, challenger : dict
        ``{"prediction": ndarray, "scores": ndarray or None}``.
    pos_label : object or None

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from sklearn_workflow.monitor import read_shadow_log
    >>> log = Path(tempfile.mkdtemp()) / "shadow.jsonl"
    >>> lines = [{"id": i, "time": "2026-01-01T00:00:00",
    ...           "champion": {"prediction": 1, "probabilities": {"0": 0.4, "1": 0.6}},
    ...           "challenger": {"prediction": 0, "probabilities": [0.7, 0.3]}}
    ...          for i in range(3)]
    >>> _ = log.write_text("\\n".join(json.dumps(line) for line in lines))
    >>> labels = {0: 1, 1: 0}  # id 2 has no label yet
    >>> y, champion, challenger, pos = read_shadow_log(log, labels)
    >>> y.tolist(), champion["scores"].tolist(), challenger["scores"].tolist()
    ([1, 0], [0.6, 0.6], [0.3, 0.3])
    """
    known = _read_labels(labels, label_column, id_column)
    records = []
    for number, line in enumerate(
        Path(path).read_text(encoding="utf-8").splitlines(), 1
    ):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInputError(
                f"{path}: line {number} is not JSON ({exc.msg})"
            ) from exc
        if str(record.get("id")) in known:
            records.append(record)
    if not records:
        raise BadInputError(
            f"{path}: no logged row has a label (joined on {id_column!r})"
        )
    y = np.asarray([known[str(r["id"])] for r in records])
    classes = sorted(
        {str(v) for v in y} | {str(r["champion"]["prediction"]) for r in records}
    )
    if pos_label is None and len(classes) == 2:
        pos_label = np.unique(y)[-1]
    outputs = []
    for side in ("champion", "challenger"):
        prediction = np.asarray([r[side]["prediction"] for r in records])
        scores = None
        if pos_label is not None:
            scores = np.array(
                [
                    _positive_probability(
                        r[side].get("probabilities"), pos_label, classes
                    )
                    for r in records
                ]
            )
            scores = None if np.isnan(scores).any() else scores
        outputs.append(
            {"prediction": prediction.astype(y.dtype, copy=False), "scores": scores}
        )
    return y, outputs[0], outputs[1], pos_label


def compare_shadow_log(
    path, labels, *, label_column="label", id_column="id", pos_label=None, **kwargs
):
    """Compare the champion and the challenger of a shadow log (see
    :func:`read_shadow_log` and :func:`compare_outputs`)."""
    y, champion, challenger, pos_label = read_shadow_log(
        path,
        labels,
        label_column=label_column,
        id_column=id_column,
        pos_label=pos_label,
    )
    return compare_outputs(y, champion, challenger, pos_label=pos_label, **kwargs)
