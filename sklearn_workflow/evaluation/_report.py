"""EvaluationReport: what evaluate() measured, as JSON, Markdown, HTML and plots."""

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sklearn_workflow.report import escape as _escape
from sklearn_workflow.report import figure_to_html, html_page, section, table_to_html

__all__ = ["EvaluationReport"]


def _jsonable(value):
    """Plain Python values only: numpy scalars unwrapped, NaN/inf as None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fmt(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _markdown_table(frame):
    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = [
        "| " + " | ".join(_fmt(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])


@dataclass
class EvaluationReport:
    """What :func:`~sklearn_workflow.evaluation.evaluate` measured.

    Built by ``evaluate``; read its attributes, or export it with
    :meth:`to_dict` (JSON-serialisable: the workflow's ``metrics.json``),
    :meth:`to_markdown`, :meth:`to_html` and :meth:`plot`.

    Attributes
    ----------
    task : {"binary_classification", "multiclass_classification", "regression"}
    model : str
        The estimator's class name (``Pipeline(LogisticRegression)``).
    n_test : int
        Number of test rows.
    success_metric : str or None
        The card's success metric (canonical name), None without a card.
    spec : dict or None
        The card, as ``ProblemSpec.to_dict()``.
    positive_class : object
        The positive class of a binary problem (None otherwise).
    metrics : dict of str to float
        The model's test-set metrics; NaN where undefined.
    baselines : list of dict
        One row per baseline: ``name``, ``source`` ("dummy" or "problem card"
        for the card's rule), ``fit_on`` ("train", or "test" when no training
        data was given) and the same metrics as ``metrics``.
    confusion_matrix : dict or None
        ``labels`` (negative class first for binary), ``matrix`` (rows: true,
        columns: predicted) and, for binary problems, ``tn``, ``fp``, ``fn``,
        ``tp``.
    classification_report : dict or None
        ``sklearn.metrics.classification_report(..., output_dict=True)``.
    classification_report_text : str or None
        The same as text.
    cv : dict or None
        ``metric``, ``scores``, ``mean``, ``std``, ``n_splits`` (errors as
        positive values).
    latency : dict or None
        ``n_calls``, ``median_ms``, ``p95_ms`` and ``limit_ms`` (the card's).
    contamination : dict or None
        ``n_test_rows_in_train`` and ``fraction``, when training data was given.
    baseline_improvement : dict or None
        Regression: ``metric`` ("rmse"), ``model``, ``baseline``,
        ``baseline_name`` and ``improvement_pct`` (the seed's "improves over
        baseline by x%").
    verdict : Verdict or None
        The card's verdict: ``verdict.met`` (bool) and ``verdict.criteria``.
    """

    task: str
    model: str
    n_test: int
    success_metric: str | None = None
    spec: dict | None = None
    positive_class: object = None
    metrics: dict = field(default_factory=dict)
    baselines: list = field(default_factory=list)
    confusion_matrix: dict | None = None
    classification_report: dict | None = None
    classification_report_text: str | None = None
    cv: dict | None = None
    latency: dict | None = None
    contamination: dict | None = None
    baseline_improvement: dict | None = None
    verdict: object = None
    _arrays: dict = field(default_factory=dict, repr=False, compare=False)

    # --------------------------------------------------------------- exports
    def to_dict(self):
        """Everything measured, as plain JSON-serialisable values.

        NaN and infinite values become None; the verdict is
        ``{"met": bool, "criteria": [...]}``.
        """
        return _jsonable(
            {
                "task": self.task,
                "model": self.model,
                "n_test": self.n_test,
                "positive_class": self.positive_class,
                "success_metric": self.success_metric,
                "metrics": self.metrics,
                "baselines": self.baselines,
                "confusion_matrix": self.confusion_matrix,
                "classification_report": self.classification_report,
                "cv": self.cv,
                "latency": self.latency,
                "contamination": self.contamination,
                "baseline_improvement": self.baseline_improvement,
                "verdict": None if self.verdict is None else self.verdict.to_dict(),
                "spec": self.spec,
            }
        )

    def metrics_frame(self):
        """Metrics of the model and of each baseline, one row per metric."""
        data = {"metric": list(self.metrics), self.model: list(self.metrics.values())}
        for row in self.baselines:
            data[row["name"]] = [row.get(name, np.nan) for name in self.metrics]
        return pd.DataFrame(data)

    def _tables(self):
        """(title, DataFrame or text) pairs shared by Markdown and HTML."""
        parts = []
        if self.verdict is not None:
            frame = self.verdict.to_frame()[
                ["criterion", "value", "comparison", "target", "met"]
            ]
            frame["value"] = frame["value"].map(_fmt)  # "n/a" when not measured
            frame["met"] = frame["met"].map(
                {True: "met", False: "NOT met", None: "not measured"}
            )
            title = f"Verdict: {'MET' if self.verdict.met else 'NOT MET'}"
            parts.append((title, frame))
        parts.append(("Test metrics against the baselines", self.metrics_frame()))
        if self.baseline_improvement is not None:
            imp = self.baseline_improvement
            parts.append(
                (
                    "Improvement over the baseline",
                    f"RMSE {_fmt(imp['model'])} against {_fmt(imp['baseline'])} "
                    f"for {imp['baseline_name']}: "
                    f"{_fmt(imp['improvement_pct'])}% better.",
                )
            )
        cm = self.confusion_matrix
        if cm is not None:
            if "tn" in cm:
                frame = pd.DataFrame(
                    {
                        "": [f"true {cm['labels'][0]}", f"true {cm['labels'][1]}"],
                        f"predicted {cm['labels'][0]}": [
                            f"TN = {cm['tn']}",
                            f"FN = {cm['fn']}",
                        ],
                        f"predicted {cm['labels'][1]}": [
                            f"FP = {cm['fp']}",
                            f"TP = {cm['tp']}",
                        ],
                    }
                )
            else:
                frame = pd.DataFrame(
                    cm["matrix"], columns=[f"predicted {lab}" for lab in cm["labels"]]
                )
                frame.insert(0, "", [f"true {lab}" for lab in cm["labels"]])
            parts.append(("Confusion matrix", frame))
        if self.classification_report_text is not None:
            parts.append(
                ("Classification report", ("pre", self.classification_report_text))
            )
        if self.cv is not None:
            parts.append(
                (
                    "Cross-validation",
                    f"{self.cv['n_splits']}-fold CV {self.cv['metric']}: "
                    f"{self.cv['mean']:.4f} +/- {self.cv['std']:.4f}",
                )
            )
        if self.latency is not None:
            lat = self.latency
            limit = (
                "" if lat["limit_ms"] is None else f" (limit {lat['limit_ms']:g} ms)"
            )
            parts.append(
                (
                    "Single-row prediction latency",
                    f"median {lat['median_ms']:.2f} ms, p95 {lat['p95_ms']:.2f} ms "
                    f"over {lat['n_calls']} calls{limit}",
                )
            )
        if self.contamination is not None:
            con = self.contamination
            parts.append(
                (
                    "Train/test contamination",
                    f"{con['n_test_rows_in_train']} of {self.n_test} test rows "
                    f"({con['fraction']:.1%}) also appear in the training data.",
                )
            )
        if any(row["fit_on"] == "test" for row in self.baselines):
            parts.append(
                (
                    "Note",
                    "No training data was given: the baselines were fitted on the "
                    "test rows (an optimistic baseline).",
                )
            )
        return parts

    def to_markdown(self):
        """The report as Markdown (tables and short paragraphs)."""
        lines = [f"# Evaluation of {self.model} on {self.n_test} test rows", ""]
        for title, content in self._tables():
            lines += [f"## {title}", ""]
            if isinstance(content, pd.DataFrame):
                lines.append(_markdown_table(content))
            elif isinstance(content, tuple):
                lines += ["```", content[1].rstrip(), "```"]
            else:
                lines.append(content)
            lines.append("")
        return "\n".join(lines)

    def to_html(self, *, full_page=False, plots=True):
        """The report as HTML, built from :mod:`sklearn_workflow.report` pieces.

        Parameters
        ----------
        full_page : bool, default=False
            False returns ``<section>`` fragments to embed in a larger report;
            True a complete, self-contained page.
        plots : bool, default=True
            Embed the figure of :meth:`plot` (PNG, base64).

        Returns
        -------
        html : str
        """
        parts = []
        for title, content in self._tables():
            if isinstance(content, pd.DataFrame):
                body = table_to_html(content)
            elif isinstance(content, tuple):
                body = f"<pre>{_escape(content[1])}</pre>"
            else:
                body = f"<p>{_escape(content)}</p>"
            parts.append(section(title, body))
        if plots and self._arrays:
            import matplotlib.pyplot as plt

            figure = self.plot()
            parts.append(section("Plots", figure_to_html(figure, alt="evaluation")))
            plt.close(figure)
        if full_page:
            return html_page(f"Evaluation of {self.model}", *parts)
        return "".join(parts)

    # ----------------------------------------------------------------- plots
    def plot(self):
        """Plots of the test predictions with scikit-learn's Display classes.

        Binary classification: confusion matrix, ROC curve, precision-recall
        curve and calibration curve (the last three need a score; calibration
        needs ``predict_proba``). Multiclass: the confusion matrix. Regression:
        residuals against predictions, and actual against predicted values.

        Returns
        -------
        figure : matplotlib Figure
        """
        import matplotlib.pyplot as plt
        from sklearn.calibration import CalibrationDisplay
        from sklearn.metrics import (
            ConfusionMatrixDisplay,
            PrecisionRecallDisplay,
            PredictionErrorDisplay,
            RocCurveDisplay,
        )

        if not self._arrays:
            raise ValueError(
                "this report holds no predictions to plot (it was not built by "
                "evaluate in this session)"
            )
        arrays = self._arrays
        y_true, y_pred = arrays["y_true"], arrays["y_pred"]
        if self.task == "regression":
            figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
            PredictionErrorDisplay.from_predictions(
                y_true, y_pred, kind="residual_vs_predicted", ax=axes[0], random_state=0
            )
            PredictionErrorDisplay.from_predictions(
                y_true, y_pred, kind="actual_vs_predicted", ax=axes[1], random_state=0
            )
            axes[0].set_title("Residuals")
            axes[1].set_title("Actual vs predicted")
            figure.tight_layout()
            return figure
        labels = self.confusion_matrix["labels"]
        if self.task == "multiclass_classification":
            figure, ax = plt.subplots(figsize=(5.5, 5))
            ConfusionMatrixDisplay.from_predictions(
                y_true, y_pred, labels=labels, ax=ax, colorbar=False
            )
            ax.set_title("Confusion matrix")
            figure.tight_layout()
            return figure
        figure, axes = plt.subplots(2, 2, figsize=(11, 9))
        axes = axes.ravel()
        ConfusionMatrixDisplay.from_predictions(
            y_true, y_pred, labels=labels, ax=axes[0], colorbar=False
        )
        axes[0].set_title("Confusion matrix")
        score, pos = arrays["score"], self.positive_class
        if score is None:
            for ax in axes[1:]:
                ax.text(
                    0.5,
                    0.5,
                    "no score: the model has no predict_proba",
                    ha="center",
                    va="center",
                )
                ax.set_axis_off()
        else:
            RocCurveDisplay.from_predictions(
                y_true,
                score,
                pos_label=pos,
                ax=axes[1],
                name=self.model,
                plot_chance_level=True,
            )
            axes[1].set_title("ROC curve")
            PrecisionRecallDisplay.from_predictions(
                y_true,
                score,
                pos_label=pos,
                ax=axes[2],
                name=self.model,
                plot_chance_level=True,
            )
            axes[2].set_title("Precision-recall curve")
            if arrays["proba"] is None:
                axes[3].text(
                    0.5,
                    0.5,
                    "no predict_proba: no calibration curve",
                    ha="center",
                    va="center",
                )
                axes[3].set_axis_off()
            else:
                CalibrationDisplay.from_predictions(
                    y_true,
                    score,
                    pos_label=pos,
                    n_bins=10,
                    ax=axes[3],
                    name=self.model,
                )
                axes[3].set_title("Calibration")
        figure.tight_layout()
        return figure

    def __repr__(self):
        verdict = (
            ""
            if self.verdict is None
            else (f", verdict={'met' if self.verdict.met else 'not met'}")
        )
        return (
            f"EvaluationReport(task={self.task!r}, model={self.model!r}, "
            f"n_test={self.n_test}{verdict})"
        )
