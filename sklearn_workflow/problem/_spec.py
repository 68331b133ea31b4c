"""The problem card as an object: it builds the scorer, the threshold objective,
the baseline model and the pass/fail verdict of a model."""

import json
import math
import tomllib
from dataclasses import asdict, dataclass, field, fields
from numbers import Real
from pathlib import Path

from sklearn_workflow.problem._metrics import resolve_metric
from sklearn_workflow.problem._rule import RuleSyntaxError, parse_rule
from sklearn_workflow.problem._task import TASK_TYPES

__all__ = ["ProblemSpec", "Verdict", "churn_spec"]

# The threshold-free success metric of a card read from the target alone.
INFERRED_METRICS = {
    "binary_classification": "roc_auc",
    "multiclass_classification": "balanced_accuracy",
    "regression": "rmse",
}
_CONSTRAINT_KEYS = ("latency_ms", "interpretability", "retraining_frequency")
_INTERPRETABILITY = ("low", "medium", "high")
# Metrics a decision threshold moves, as ThresholdTunedClassifier names them.
_TUNABLE = ("precision", "recall", "f1", "balanced_accuracy", "accuracy")
_CONSTRAINABLE = ("precision", "recall")
_PARTNER = {"recall": "precision", "precision": "recall"}


def _is_scalar_label(value):
    return isinstance(value, (str, bool, Real))


@dataclass(kw_only=True)
class ProblemSpec:
    """The problem card of a supervised learning problem, executable.

    The usual ``problem`` dict of stage 1 (goal, success metric, baseline,
    constraints) as an object that drives the rest of the workflow:
    :meth:`scorer` is the success metric as a scikit-learn scorer,
    :meth:`threshold_params` the keyword arguments of
    :class:`~sklearn_workflow.thresholds.ThresholdTunedClassifier`,
    :meth:`baseline_estimator` the baseline to beat and :meth:`verdict` says,
    criterion by criterion, whether an evaluated model meets the card. Read it
    from a dict (:meth:`from_dict`) or a TOML file (:meth:`from_toml`); every
    field is checked on construction and an error names the field.

    Parameters
    ----------
    name : str
        What the model is for ("Customer Churn Prediction").
    type : {"binary_classification", "multiclass_classification", "regression"}
        The learning task.
    target : str
        Name of the target column.
    positive_class : int, float, bool or str, default=None
        The positive event of a binary problem (``churned = 1``). None means the
        greater of the two labels. Must be None for other tasks.
    success_metric : str
        The metric the card is judged on; one of the names in the Notes.
    threshold : float, default=None
        The value ``success_metric`` must reach: a minimum for a metric to
        maximise (recall >= 0.80), a maximum for an error (rmse <= 0.5). None
        means no target value (the verdict then only asks to beat the baseline).
    secondary_metrics : list of str, default=[]
        Other metrics to report; the first one that a decision threshold moves
        is the objective of threshold tuning (see :meth:`threshold_params`).
    baseline : dict, default=None
        The current approach: ``method`` (free text, required), optionally
        ``rule``, a :class:`RuleClassifier` rule (binary problems only) that
        :meth:`baseline_estimator` turns into a model, and the baseline's
        known scores as ``metric name: value`` (``recall = 0.55``).
    constraints : dict, default=None
        ``latency_ms`` (positive number: the 95th percentile of single-row
        prediction time must not exceed it), ``interpretability`` ("low",
        "medium" or "high"; recorded, not measured) and
        ``retraining_frequency`` (free text; recorded).
    stakeholders : list of str, default=[]
    data_sources : list of str, default=[]

    See Also
    --------
    sklearn.metrics.get_scorer : Builds a scorer from a name; a card also
        carries the positive class, the target value, the baseline and the
        constraints, and checks that they agree with the task.

    Notes
    -----
    Metric names (scikit-learn's function names are accepted too, e.g.
    ``root_mean_squared_error`` for ``rmse``, ``pr_auc`` for
    ``average_precision``):

    - binary: precision, recall, f1, roc_auc, average_precision, brier_score
      (lower is better), accuracy, balanced_accuracy, log_loss (lower is
      better), f1_macro, f1_weighted, precision_macro, recall_macro;
    - multiclass: accuracy, balanced_accuracy, log_loss, f1_macro, f1_weighted,
      precision_macro, recall_macro, roc_auc_ovr;
    - regression: rmse, mse, mae, mape (lower is better), r2.

    Examples
    --------
    >>> from sklearn_workflow.problem import ProblemSpec
    >>> spec = ProblemSpec.from_dict({
    ...     "name": "Churn", "type": "binary_classification", "target": "churned",
    ...     "positive_class": 1, "success_metric": "recall", "threshold": 0.8,
    ...     "secondary_metrics": ["precision"],
    ...     "baseline": {"method": "rule-based", "rule": "tenure_months < 3"}})
    >>> spec.threshold_params()
    {'objective': 'precision', 'constraint': {'recall': 0.8}, 'pos_label': 1}
    >>> spec.baseline_estimator()
    RuleClassifier(pos_label=1, rule='tenure_months < 3')

    An inconsistent card fails on construction and names the field:

    >>> ProblemSpec(name="Prices", type="regression", target="price",
    ...             success_metric="recall", threshold=0.8)
    Traceback (most recent call last):
    ...
    ValueError: success_metric: metric 'recall' does not apply to a regression ...
    """

    name: str
    type: str
    target: str
    positive_class: object = None
    success_metric: str
    threshold: float | None = None
    secondary_metrics: list = field(default_factory=list)
    baseline: dict | None = None
    constraints: dict | None = None
    stakeholders: list = field(default_factory=list)
    data_sources: list = field(default_factory=list)

    def __post_init__(self):
        for name in ("name", "target"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string; got {value!r}")
        if self.type not in TASK_TYPES:
            raise ValueError(f"type must be one of {TASK_TYPES}; got {self.type!r}")
        if self.positive_class is not None:
            if self.type != "binary_classification":
                raise ValueError(
                    "positive_class only applies to binary_classification; got "
                    f"{self.positive_class!r} for a {self.type} problem"
                )
            if hasattr(self.positive_class, "item"):  # a numpy scalar
                self.positive_class = self.positive_class.item()
            if not _is_scalar_label(self.positive_class):
                raise ValueError(
                    "positive_class must be a class label (int, str, ...); got "
                    f"{self.positive_class!r}"
                )
        metric = resolve_metric(self.success_metric, self.type, "success_metric")
        if self.threshold is not None:
            self._check_value("threshold", self.threshold, metric)
            self.threshold = float(self.threshold)
        self.secondary_metrics = self._string_list("secondary_metrics")
        for i, name in enumerate(self.secondary_metrics):
            resolve_metric(name, self.type, f"secondary_metrics[{i}]")
        self.stakeholders = self._string_list("stakeholders")
        self.data_sources = self._string_list("data_sources")
        if self.baseline is not None:
            self.baseline = self._check_baseline(dict(self.baseline))
        if self.constraints is not None:
            self.constraints = self._check_constraints(dict(self.constraints))

    # ---------------------------------------------------------------- checks
    @staticmethod
    def _check_value(field_name, value, metric):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ValueError(f"{field_name} must be a number; got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{field_name} must be finite; got {value!r}")
        if metric.bounded and not 0.0 <= value <= 1.0:
            raise ValueError(
                f"{field_name} must lie in [0, 1] for {metric.name!r}; got {value!r}"
            )
        if not metric.greater_is_better and value < 0:
            raise ValueError(
                f"{field_name} must be >= 0 for the error {metric.name!r}; "
                f"got {value!r}"
            )

    def _string_list(self, field_name):
        value = getattr(self, field_name)
        if value is None:
            return []
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{field_name} must be a list of strings; got {value!r}")
        return list(value)

    def _check_baseline(self, baseline):
        method = baseline.get("method")
        if not isinstance(method, str) or not method:
            raise ValueError(
                f"baseline.method must describe the baseline (a string); got {method!r}"
            )
        rule = baseline.get("rule")
        if rule is not None:
            if self.type != "binary_classification":
                raise ValueError(
                    "baseline.rule only applies to binary_classification; got a "
                    f"rule for a {self.type} problem"
                )
            try:
                parse_rule(rule)
            except (RuleSyntaxError, TypeError) as exc:
                raise ValueError(f"baseline.rule: {exc}") from None
        scores = {}
        for key, value in baseline.items():
            if key in ("method", "rule"):
                continue
            try:
                metric = resolve_metric(key, self.type, f"baseline.{key}")
            except ValueError as exc:
                raise ValueError(
                    f"{exc}; a baseline holds 'method', 'rule' and known scores"
                ) from None
            self._check_value(f"baseline.{key}", value, metric)
            scores[metric.name] = float(value)
        return {key: baseline[key] for key in ("method", "rule") if key in baseline} | (
            scores
        )

    def _check_constraints(self, constraints):
        for key in constraints:
            if key not in _CONSTRAINT_KEYS:
                raise ValueError(
                    f"constraints.{key}: unknown constraint; the constraints are "
                    f"{', '.join(_CONSTRAINT_KEYS)}"
                )
        latency = constraints.get("latency_ms")
        if latency is not None and (
            isinstance(latency, bool)
            or not isinstance(latency, Real)
            or not latency > 0
            or not math.isfinite(latency)
        ):
            raise ValueError(
                f"constraints.latency_ms must be a positive number; got {latency!r}"
            )
        level = constraints.get("interpretability")
        if level is not None and level not in _INTERPRETABILITY:
            raise ValueError(
                f"constraints.interpretability must be one of {_INTERPRETABILITY}; "
                f"got {level!r}"
            )
        freq = constraints.get("retraining_frequency")
        if freq is not None and not isinstance(freq, str):
            raise ValueError(
                f"constraints.retraining_frequency must be a string; got {freq!r}"
            )
        return constraints

    # ------------------------------------------------------------ conversion
    @classmethod
    def from_dict(cls, data):
        """Build a card from a ``problem`` dict, the fields of :meth:`to_dict`.

        Parameters
        ----------
        data : dict
            The fields; unknown keys are an error that names them.

        Returns
        -------
        spec : ProblemSpec
        """
        if not isinstance(data, dict):
            raise TypeError(f"a problem card must be a dict; got {type(data).__name__}")
        known = [f.name for f in fields(cls)]
        for key in data:
            if key not in known:
                raise ValueError(
                    f"unknown field {key!r} in the problem card; the fields are "
                    f"{', '.join(known)}"
                )
        for name in ("name", "type", "target", "success_metric"):
            if name not in data:
                raise ValueError(f"the problem card lacks the required field {name!r}")
        return cls(**data)

    @classmethod
    def from_target(cls, y, *, task=None, positive_class=None, name=None):
        """A card read from the target alone, for a problem without one.

        The task is ``task`` or :func:`~sklearn_workflow.problem.infer_task`'s
        answer; the success metric is threshold-free (binary: ROC-AUC;
        multiclass: balanced accuracy; regression: RMSE) and there is no target
        value, so the verdict (``verdict(report, beat_dummy=True)``) asks the
        model to beat the dummy baseline. The positive class of a binary target
        is ``positive_class``, else the minority class (churn, default and fraud
        are the rare events a model is built to find; on a tie the greater
        label).

        Parameters
        ----------
        y : pandas Series or array-like of shape (n_samples,)
            The target; a Series' name is the card's target.
        task : str, default=None
            One of ``ProblemSpec.type``'s values; None infers it from ``y``.
        positive_class : object, default=None
            The positive label of a binary target (text names a label whose text
            is the same: ``"1"`` names ``1``); None takes the minority class.
        name : str, default=None
            The card's name; None uses the target's name.

        Returns
        -------
        spec : ProblemSpec

        Examples
        --------
        >>> import pandas as pd
        >>> salary = pd.Series(range(30_000, 90_000, 2_000), name="salary")
        >>> spec = ProblemSpec.from_target(salary)
        >>> spec.type, spec.success_metric, spec.threshold
        ('regression', 'rmse', None)
        >>> churned = pd.Series(["No", "No", "Yes", "No"], name="Churn")
        >>> ProblemSpec.from_target(churned).positive_class
        'Yes'
        """
        from sklearn_workflow.problem._task import (
            match_class,
            minority_class,
            normalize_task,
        )

        task = normalize_task(task, y)
        target = str(getattr(y, "name", None) or "target")
        if task != "binary_classification":
            positive_class = None
        elif positive_class is None:
            positive_class = minority_class(y)
        else:
            positive_class = match_class(y, positive_class)
        return cls(
            name=name or target,
            type=task,
            target=target,
            positive_class=positive_class,
            success_metric=INFERRED_METRICS[task],
        )

    @classmethod
    def from_toml(cls, path):
        """Read a card from a TOML file (top-level keys are the fields).

        ``baseline`` and ``constraints`` are TOML tables. A file written by
        :meth:`to_toml` reads back to an equal card.

        Parameters
        ----------
        path : str or path-like

        Returns
        -------
        spec : ProblemSpec
        """
        with open(path, "rb") as handle:
            try:
                data = tomllib.load(handle)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path} is not valid TOML: {exc}") from None
        return cls.from_dict(data)

    def to_dict(self):
        """The card as a plain dict (JSON-serialisable), fields in card order."""
        return json.loads(json.dumps(asdict(self)))

    def to_toml(self, path=None):
        """The card as TOML text; written to ``path`` when one is given.

        Fields that are None are left out (TOML has no null).

        Returns
        -------
        text : str
        """
        lines, tables = [], []
        for key, value in self.to_dict().items():
            if value is None:
                continue
            if isinstance(value, dict):
                body = [
                    f"{k} = {_toml_value(v)}" for k, v in value.items() if v is not None
                ]
                tables.append("\n".join([f"[{key}]", *body]))
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        text = "\n\n".join(["\n".join(lines), *tables]) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    # ------------------------------------------------------------ what it drives
    @property
    def metric(self):
        """The success metric (:class:`~sklearn_workflow.problem._metrics.Metric`)."""
        return resolve_metric(self.success_metric, self.type)

    def scorer(self, metric=None):
        """The success metric (or ``metric``) as a scikit-learn scorer.

        For binary metrics the scorer uses ``positive_class``. Errors and losses
        are negated, as scikit-learn's scorers are: greater is always better.

        Parameters
        ----------
        metric : str, default=None
            Another metric of the card's task; None means ``success_metric``.

        Returns
        -------
        scorer : callable ``scorer(estimator, X, y) -> float``
        """
        name = self.success_metric if metric is None else metric
        return resolve_metric(name, self.type, "metric").scorer(self.positive_class)

    def threshold_params(self):
        """Keyword arguments for ``ThresholdTunedClassifier``.

        The mapping, for binary problems:

        - ``success_metric`` precision or recall with a ``threshold``: the
          threshold becomes the constraint (``{"recall": 0.8}``) and the
          objective is the first secondary metric that a threshold moves
          (precision, recall, f1, balanced_accuracy, accuracy) other than the
          success metric; without one, the partner metric (precision for a
          recall constraint, recall for a precision constraint).
        - any other threshold-dependent success metric (f1, balanced_accuracy,
          accuracy): it is the objective and there is no constraint (its
          threshold is checked by :meth:`verdict`).
        - ``pos_label`` is ``positive_class``.

        Returns
        -------
        params : dict
            ``{"objective": str, "constraint": dict or None, "pos_label": ...}``

        Raises
        ------
        ValueError
            For a task other than binary classification, or a success metric a
            decision threshold does not move (roc_auc, average_precision, ...).
        """
        if self.type != "binary_classification":
            raise ValueError(
                "threshold_params() needs a binary_classification problem; got "
                f"type={self.type!r}"
            )
        metric = self.metric.name
        if metric not in _TUNABLE:
            raise ValueError(
                f"success_metric {self.success_metric!r} does not depend on the "
                f"decision threshold; threshold tuning needs one of {_TUNABLE}"
            )
        if metric in _CONSTRAINABLE and self.threshold is not None:
            secondary = [
                resolve_metric(name, self.type).name for name in self.secondary_metrics
            ]
            candidates = [m for m in secondary if m in _TUNABLE and m != metric]
            objective = candidates[0] if candidates else _PARTNER[metric]
            constraint = {metric: self.threshold}
        else:
            objective, constraint = metric, None
        return {
            "objective": objective,
            "constraint": constraint,
            "pos_label": self.positive_class,
        }

    def baseline_estimator(self):
        """The baseline to beat, unfitted.

        A :class:`RuleClassifier` when ``baseline`` has a ``rule``; otherwise
        ``DummyClassifier(strategy="prior")`` for classification and
        ``DummyRegressor(strategy="mean")`` (predict the training mean) for
        regression.

        Returns
        -------
        estimator : estimator instance
        """
        from sklearn.dummy import DummyClassifier, DummyRegressor

        from sklearn_workflow.problem._rule import RuleClassifier

        if self.baseline is not None and self.baseline.get("rule") is not None:
            return RuleClassifier(self.baseline["rule"], pos_label=self.positive_class)
        if self.type == "regression":
            return DummyRegressor(strategy="mean")
        return DummyClassifier(strategy="prior")

    def verdict(self, report, *, beat_dummy=False):
        """Whether an evaluated model meets the card, criterion by criterion.

        Criteria (each is met, not met, or not measured):

        1. ``success_metric`` reaches ``threshold`` (>= for a score, <= for an
           error), when the card has a threshold;
        2. it beats the baseline measured on the same test set (the report's
           baseline row from the card's own baseline), when the report has one;
        3. it beats the baseline's known score on the card (``baseline.recall``),
           when the card has one;
        4. the 95th percentile of single-row prediction latency is at most
           ``constraints.latency_ms``, when both are known.

        With ``beat_dummy=True`` the model must also beat each dummy baseline
        of the report (the prior for classification, the mean for regression):
        the whole verdict of a card inferred from the target, which has no
        threshold of its own.

        The card is met when every measured criterion is met and at least one
        was measured. Interpretability and retraining frequency are recorded but
        not measured.

        Parameters
        ----------
        report : EvaluationReport or dict
            The report of :func:`~sklearn_workflow.evaluation.evaluate`, or its
            ``to_dict()``.
        beat_dummy : bool, default=False
            Add a criterion per dummy baseline of the report.

        Returns
        -------
        verdict : Verdict
        """
        metrics = _read(report, "metrics") or {}
        baselines = _read(report, "baselines") or []
        latency = _read(report, "latency") or {}
        metric = self.metric
        value = metrics.get(metric.name)
        op = metric.comparison
        rows = []
        if self.threshold is not None:
            rows.append(
                _criterion(
                    f"{metric.name} {op} {self.threshold:g}",
                    metric.name,
                    value,
                    self.threshold,
                    op,
                    "problem card threshold",
                )
            )
        strict = ">" if metric.greater_is_better else "<"
        sources = {"problem card": "baseline measured on the test set"}
        if beat_dummy:
            sources["dummy"] = "inferred card: beat the dummy baseline"
        for row in baselines:
            if row.get("source") in sources and row.get(metric.name) is not None:
                rows.append(
                    _criterion(
                        f"beats baseline {row['name']!s} on the test set",
                        metric.name,
                        value,
                        row[metric.name],
                        strict,
                        sources[row["source"]],
                    )
                )
        known = (self.baseline or {}).get(metric.name)
        if known is not None:
            rows.append(
                _criterion(
                    f"beats the card's baseline ({metric.name} {known:g})",
                    metric.name,
                    value,
                    known,
                    strict,
                    "baseline score on the problem card",
                )
            )
        limit = (self.constraints or {}).get("latency_ms")
        if limit is not None:
            rows.append(
                _criterion(
                    f"p95 single-row latency <= {limit:g} ms",
                    "latency_p95_ms",
                    latency.get("p95_ms"),
                    float(limit),
                    "<=",
                    "constraints.latency_ms",
                )
            )
        measured = [row["met"] for row in rows if row["met"] is not None]
        return Verdict(met=bool(measured) and all(measured), criteria=rows)


def _read(report, key):
    if isinstance(report, dict):
        return report.get(key)
    return getattr(report, key, None)


def _criterion(criterion, metric, value, target, comparison, source):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        met = None
    else:
        value = float(value)
        met = {
            ">=": value >= target,
            "<=": value <= target,
            ">": value > target,
            "<": value < target,
        }[comparison]
    return {
        "criterion": criterion,
        "metric": metric,
        "value": value,
        "comparison": comparison,
        "target": float(target),
        "met": met,
        "source": source,
    }


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


@dataclass
class Verdict:
    """The verdict of a problem card on an evaluated model.

    Attributes
    ----------
    met : bool
        True when every measured criterion is met (and at least one was).
    criteria : list of dict
        One row per criterion: ``criterion`` (text), ``metric``, ``value``
        (the model's), ``comparison``, ``target``, ``met`` (True, False, or None
        when not measured) and ``source`` (where the target comes from).
    """

    met: bool
    criteria: list

    def __bool__(self):
        return self.met

    def to_dict(self):
        """JSON-serialisable dict: ``{"met": bool, "criteria": [...]}``."""
        return {"met": self.met, "criteria": [dict(row) for row in self.criteria]}

    def to_frame(self):
        """The criteria as a pandas DataFrame."""
        import pandas as pd

        columns = ["criterion", "metric", "value", "comparison", "target", "met"]
        columns.append("source")
        return pd.DataFrame(self.criteria, columns=columns)

    def __str__(self):
        from sklearn_workflow.report import format_value, verdict_word

        lines = [f"verdict: {verdict_word(self.met).upper()}"]
        for row in self.criteria:
            value = format_value(row["value"])
            lines.append(f"  [{verdict_word(row['met'])}] {row['criterion']}: {value}")
        return "\n".join(lines)


def churn_spec():
    """The churn problem card, for the demo data of ``make_churn``.

    Recall >= 0.80 on the churners (precision and f1 secondary), the rule-based
    baseline ``tenure_months < 3`` (the card's known scores: recall 0.55,
    precision 0.40), 100 ms latency, high interpretability, weekly retraining.

    Returns
    -------
    spec : ProblemSpec

    Examples
    --------
    >>> from sklearn_workflow.problem import churn_spec
    >>> spec = churn_spec()
    >>> spec.success_metric, spec.threshold, spec.baseline["rule"]
    ('recall', 0.8, 'tenure_months < 3')
    """
    return ProblemSpec(
        name="Customer Churn Prediction",
        type="binary_classification",
        target="churned",
        positive_class=1,
        success_metric="recall",
        threshold=0.80,
        secondary_metrics=["precision", "f1"],
        baseline={
            "method": "rule-based (tenure < 3 months)",
            "rule": "tenure_months < 3",
            "recall": 0.55,
            "precision": 0.40,
        },
        constraints={
            "latency_ms": 100,
            "interpretability": "high",
            "retraining_frequency": "weekly",
        },
        stakeholders=["product team", "customer success"],
        data_sources=["CRM", "usage_logs", "billing"],
    )
