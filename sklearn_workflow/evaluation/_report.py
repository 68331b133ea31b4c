"""EvaluationReport: what evaluate() measured, as JSON, Markdown, HTML and plots."""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sklearn_workflow.evaluation._diagnostics import metric_by_level, metric_output
from sklearn_workflow.report import (
    figure_to_html,
    format_value,
    html_page,
    markdown_table,
    section,
    table_to_html,
    to_jsonable,
    verdict_word,
)
from sklearn_workflow.report._blocks import paragraph, preformatted

__all__ = ["EvaluationReport"]


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
    intervals : dict of str to tuple of float, or None
        The 95% bootstrap interval ``(low, high)`` of each test metric (None
        with ``n_bootstrap=0``).
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
        ``baseline_name`` and ``improvement_pct`` (how many percent lower the
        model's RMSE is than the baseline's).
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
    intervals: dict | None = None
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
        return to_jsonable(
            {
                "task": self.task,
                "model": self.model,
                "n_test": self.n_test,
                "positive_class": self.positive_class,
                "success_metric": self.success_metric,
                "metrics": self.metrics,
                "intervals": None
                if self.intervals is None
                else {k: list(v) for k, v in self.intervals.items()},
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

    def metric_by_level(self, values, *, metric=None, max_levels=8):
        """A test metric on the rows of each level of a categorical column.

        Where the model errs: a level whose value is far below the whole test
        set's is a slice of the data the model serves worse.

        Parameters
        ----------
        values : array-like of shape (n_test,)
            The column's values on the test rows, in the order given to
            ``evaluate``; a missing value is the level ``"(missing)"``.
        metric : str, default=None
            A metric of ``metrics``; None: the card's success metric (the
            first metric without a card).
        max_levels : int, default=8
            The most frequent levels get a row each, the others share one.

        Returns
        -------
        table : DataFrame
            ``level``, ``rows`` and the metric.
        """
        if not self._arrays:
            raise ValueError(
                "this report holds no predictions (it was not built by evaluate "
                "in this session)"
            )
        metric = metric or self.success_metric or next(iter(self.metrics))
        if metric not in self.metrics:
            raise ValueError(
                f"metric={metric!r} is not one of the report's metrics "
                f"{sorted(self.metrics)}"
            )
        arrays = self._arrays
        out = metric_output(
            metric, arrays["y_pred"], arrays["score"], arrays["proba"], self.task
        )
        return metric_by_level(
            np.asarray(values, dtype=object),
            arrays["y_true"],
            out,
            metric,
            pos_label=self.positive_class,
            max_levels=max_levels,
        )

    def intervals_frame(self):
        """Each test metric with its 95% bootstrap interval, one row per metric.

        Columns ``metric``, ``value``, ``low`` and ``high`` (NaN bounds without
        intervals).
        """
        intervals = self.intervals or {}
        bounds = [intervals.get(name, (np.nan, np.nan)) for name in self.metrics]
        return pd.DataFrame(
            {
                "metric": list(self.metrics),
                "value": list(self.metrics.values()),
                "low": [low for low, _ in bounds],
                "high": [high for _, high in bounds],
            }
        )

    # ----------------------------------------------------- document contents
    def _tables(self):
        """(title, content) pairs shared by Markdown and HTML, in reading order.

        A content is a DataFrame (a table), a str (a paragraph) or
        ``("pre", text)`` (preformatted text); a part that does not apply to
        this report (its attribute is None) is left out.
        """
        met = None if self.verdict is None else self.verdict.met
        parts = [
            (f"Verdict: {verdict_word(met).upper()}", self.verdict, _verdict_frame),
            ("Test metrics against the baselines", self, _metrics_frame),
            ("Improvement over the baseline", self.baseline_improvement, _improvement),
            ("Confusion matrix", self.confusion_matrix, _confusion_frame),
            ("Classification report", self.classification_report_text, _pre),
            ("Cross-validation", self.cv, _cv_sentence),
            ("Single-row prediction latency", self.latency, _latency_sentence),
            (
                "Train/test contamination",
                self.contamination,
                lambda con: _contamination_sentence(con, self.n_test),
            ),
            ("Note", self.baselines, _baseline_note),
        ]
        contents = [
            (title, write(value)) for title, value, write in parts if value is not None
        ]
        return [(title, content) for title, content in contents if content is not None]

    # --------------------------------------------------------------- exports
    def to_markdown(self):
        """The report as Markdown (tables and short paragraphs).

        Numbers are written by :func:`sklearn_workflow.report.format_value`
        (four significant digits; an undefined metric is "-").
        """
        lines = [f"# Evaluation of {self.model} on {self.n_test} test rows", ""]
        for title, content in self._tables():
            lines += [f"## {title}", ""]
            if isinstance(content, pd.DataFrame):
                lines.append(markdown_table(content))
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
                body = preformatted(content[1])
            else:
                body = paragraph(content)
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
        if not self._arrays:
            raise ValueError(
                "this report holds no predictions to plot (it was not built by "
                "evaluate in this session)"
            )
        if self.task == "regression":
            figure = self._plot_regression()
        elif self.task == "multiclass_classification":
            figure = self._plot_multiclass()
        else:
            figure = self._plot_binary()
        figure.tight_layout()
        return figure

    def _plot_regression(self):
        """Residuals against predictions, and actual against predicted values."""
        import matplotlib.pyplot as plt
        from sklearn.metrics import PredictionErrorDisplay

        y_true, y_pred = self._arrays["y_true"], self._arrays["y_pred"]
        figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
        kinds = [("residual_vs_predicted", "Residuals")]
        kinds.append(("actual_vs_predicted", "Actual vs predicted"))
        for ax, (kind, title) in zip(axes, kinds):
            PredictionErrorDisplay.from_predictions(
                y_true, y_pred, kind=kind, ax=ax, random_state=0
            )
            ax.set_title(title)
        return figure

    def _plot_confusion(self, ax):
        from sklearn.metrics import ConfusionMatrixDisplay

        ConfusionMatrixDisplay.from_predictions(
            self._arrays["y_true"],
            self._arrays["y_pred"],
            labels=self.confusion_matrix["labels"],
            ax=ax,
            colorbar=False,
        )
        ax.set_title("Confusion matrix")

    def _plot_multiclass(self):
        import matplotlib.pyplot as plt

        figure, ax = plt.subplots(figsize=(5.5, 5))
        self._plot_confusion(ax)
        return figure

    def _plot_binary(self):
        """Confusion matrix, ROC, precision-recall and calibration curves."""
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(2, 2, figsize=(11, 9))
        axes = axes.ravel()
        self._plot_confusion(axes[0])
        if self._arrays["score"] is None:
            for ax in axes[1:]:
                _say_instead(ax, "no score: the model has no predict_proba")
            return figure
        self._plot_score_curves(axes[1], axes[2])
        if self._arrays["proba"] is None:
            _say_instead(axes[3], "no predict_proba: no calibration curve")
        else:
            from sklearn.calibration import CalibrationDisplay

            CalibrationDisplay.from_predictions(
                self._arrays["y_true"],
                self._arrays["score"],
                pos_label=self.positive_class,
                n_bins=10,
                ax=axes[3],
                name=self.model,
            )
            axes[3].set_title("Calibration")
        return figure

    def _plot_score_curves(self, roc_ax, pr_ax):
        """The ROC and precision-recall curves of the positive-class score."""
        from sklearn.metrics import PrecisionRecallDisplay, RocCurveDisplay

        curves = [(RocCurveDisplay, roc_ax, "ROC curve")]
        curves.append((PrecisionRecallDisplay, pr_ax, "Precision-recall curve"))
        for display, ax, title in curves:
            display.from_predictions(
                self._arrays["y_true"],
                self._arrays["score"],
                pos_label=self.positive_class,
                ax=ax,
                name=self.model,
                plot_chance_level=True,
            )
            ax.set_title(title)

    def __repr__(self):
        verdict = (
            ""
            if self.verdict is None
            else f", verdict={verdict_word(self.verdict.met)}"
        )
        return (
            f"EvaluationReport(task={self.task!r}, model={self.model!r}, "
            f"n_test={self.n_test}{verdict})"
        )


def _say_instead(ax, text):
    """An empty axis that says why its plot is missing."""
    ax.text(0.5, 0.5, text, ha="center", va="center")
    ax.set_axis_off()


def _metrics_frame(report):
    """The metrics table, with the model's 95% interval beside its value."""
    frame = report.metrics_frame()
    if report.intervals:
        spans = [
            format_interval(report.intervals.get(name)) for name in frame["metric"]
        ]
        frame.insert(2, "95% interval", spans)
    return frame


def format_interval(bounds):
    """``"[low, high]"`` with four significant digits; "-" when undefined.

    Examples
    --------
    >>> format_interval((0.71234, 0.80411))
    '[0.7123, 0.8041]'
    >>> format_interval((float("nan"), float("nan")))
    '-'
    """
    if bounds is None or not np.all(np.isfinite(bounds)):
        return "-"
    return f"[{format_value(bounds[0])}, {format_value(bounds[1])}]"


def _verdict_frame(verdict):
    """The card's criteria: value, comparison, target and the verdict word."""
    columns = ["criterion", "value", "comparison", "target", "met"]
    frame = verdict.to_frame()[columns]
    frame["met"] = [verdict_word(met) for met in frame["met"]]
    return frame


def _improvement(imp):
    return (
        f"RMSE {format_value(imp['model'])} against "
        f"{format_value(imp['baseline'])} for {imp['baseline_name']}: "
        f"{format_value(imp['improvement_pct'])}% better."
    )


def _confusion_frame(cm):
    """The confusion matrix; a binary one names its cells TN, FP, FN, TP."""
    labels = cm["labels"]
    if "tn" in cm:
        cells = [[f"TN = {cm['tn']}", f"FP = {cm['fp']}"]]
        cells.append([f"FN = {cm['fn']}", f"TP = {cm['tp']}"])
    else:
        cells = cm["matrix"]
    frame = pd.DataFrame(cells, columns=[f"predicted {lab}" for lab in labels])
    frame.insert(0, "", [f"true {lab}" for lab in labels])
    return frame


def _pre(text):
    return ("pre", text)


def _cv_sentence(cv):
    mean, std = format_value(cv["mean"]), format_value(cv["std"])
    return f"{cv['n_splits']}-fold CV {cv['metric']}: {mean} +/- {std}"


def _latency_sentence(lat):
    limit = "" if lat["limit_ms"] is None else f" (limit {lat['limit_ms']:g} ms)"
    return (
        f"median {lat['median_ms']:.2f} ms, p95 {lat['p95_ms']:.2f} ms "
        f"over {lat['n_calls']} calls{limit}"
    )


def _contamination_sentence(con, n_test):
    return (
        f"{con['n_test_rows_in_train']} of {n_test} test rows "
        f"({con['fraction']:.1%}) also appear in the training data."
    )


def _baseline_note(baselines):
    if not any(row["fit_on"] == "test" for row in baselines):
        return None
    return (
        "No training data was given: the baselines were fitted on the test "
        "rows (an optimistic baseline)."
    )
