"""The model card: what a saved model predicts, from what, how well, and its limits."""

import math
from numbers import Integral, Real

__all__ = ["make_model_card"]


def _format_value(value):
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "-"}[value]
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        value = float(value)
        return "nan" if math.isnan(value) else f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header, rows):
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(_format_value(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _label(estimator):
    """A class name, a Pipeline spelled out as its steps."""
    steps = getattr(estimator, "steps", None)
    if steps is None:
        return type(estimator).__name__
    inner = ", ".join(
        type(step).__name__ for _, step in steps if step not in (None, "passthrough")
    )
    return f"Pipeline({inner})"


def _describe_steps(model):
    """One line per step of a Pipeline (wrapped estimators spelled out)."""
    steps = getattr(model, "steps", None)
    if steps is None:
        return [f"`{_label(model)}`"]
    lines = []
    for name, step in steps:
        if step in (None, "passthrough"):
            lines.append(f"`{name}`: skipped")
            continue
        inner = getattr(step, "estimator_", None)
        detail = f" around `{_label(inner)}`" if inner is not None else ""
        best = getattr(step, "best_name_", None)
        if best is not None:
            detail += f" (selected: {best})"
        lines.append(f"`{name}`: `{type(step).__name__}`{detail}")
    return lines


def make_model_card(
    model,
    *,
    name,
    task,
    target,
    data,
    metrics,
    baseline=None,
    threshold=None,
    verdict=None,
    limitations=(),
    intended_use=None,
):
    """Write the model card of a fitted model as Markdown.

    The card answers what a person deciding whether to use the model asks: what
    it predicts, from which data, how well it does on held-out data compared
    with a baseline, which decision threshold it applies, whether it meets the
    success criteria of the problem, and what it must not be used for.

    Parameters
    ----------
    model : estimator
        The fitted model (usually a Pipeline); its steps and input columns are
        listed.
    name : str
        Title of the card, e.g. the problem's name.
    task : str
        ``"binary_classification"``, ``"multiclass_classification"`` or
        ``"regression"``.
    target : str
        What is predicted (the target column).
    data : dict
        Facts about the data: ``{"source": ..., "train rows": ..., ...}``, shown
        as a table in this order.
    metrics : dict
        Metric name to value on the held-out test split.
    baseline : dict of {str: dict}, default=None
        Baseline name to its metrics on the same split.
    threshold : float, default=None
        The decision threshold applied to the positive-class probability, if the
        model was tuned.
    verdict : dict, default=None
        ``{"met": bool, "criteria": [{"criterion", "required", "observed",
        "met"}, ...]}``: the problem specification's pass/fail result.
    limitations : sequence of str, default=()
        Known limitations, one bullet each (data quality findings, dropped
        columns, diagnosis of the learning curve...).
    intended_use : str, default=None
        The decision the model supports.

    Returns
    -------
    card : str
        Markdown.

    See Also
    --------
    skops.card.Card : skops' Hugging Face Hub model card; this one is plain
        Markdown with the workflow's verdict and baseline comparison.

    Examples
    --------
    A metric that could not be computed (NaN) is shown as such, not hidden:

    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_workflow.deploy import make_model_card
    >>> model = DummyClassifier().fit([[0], [1]], [0, 1])
    >>> card = make_model_card(
    ...     model, name="Churn", task="binary_classification", target="churned",
    ...     data={"train rows": 2}, metrics={"recall": 0.5, "roc_auc": float("nan")},
    ...     verdict={"met": False, "criteria": [
    ...         {"criterion": "recall", "required": ">= 0.8", "observed": 0.5,
    ...          "met": False}]},
    ... )
    >>> print(card.splitlines()[0])
    # Model card: Churn
    >>> "| roc_auc | nan |" in card and "**not met**" in card
    True
    """
    out = [f"# Model card: {name}", ""]
    out += ["## What it predicts", ""]
    out.append(f"- Task: {task.replace('_', ' ')}")
    out.append(f"- Target: `{target}`")
    if intended_use:
        out.append(f"- Intended use: {intended_use}")
    if threshold is not None:
        out.append(
            f"- Decision threshold: {_format_value(threshold)} on the positive-class "
            "probability (tuned on out-of-fold training predictions)"
        )
    out.append("")
    out += ["## Model", ""]
    out += [f"- {line}" for line in _describe_steps(model)]
    columns = getattr(model, "feature_names_in_", None)
    if columns is not None:
        listed = ", ".join(f"`{c}`" for c in columns)
        out.append(f"- Input columns ({len(columns)}): {listed}")
    out.append("")
    out += ["## Data", "", _table(["", "value"], list(data.items())), ""]
    out += ["## Metrics on the held-out test split", ""]
    out += [_table(["metric", "value"], list(metrics.items())), ""]
    if baseline:
        names = list(dict.fromkeys(k for scores in baseline.values() for k in scores))
        rows = [
            [label] + [scores.get(k, float("nan")) for k in names]
            for label, scores in baseline.items()
        ]
        out += ["## Baselines on the same split", "", _table(["model"] + names, rows)]
        out.append("")
    if verdict is not None:
        state = "met" if verdict.get("met") else "**not met**"
        out += ["## Success criteria", "", f"Verdict: {state}", ""]
        criteria = verdict.get("criteria") or []
        if criteria:
            keys = ["criterion", "required", "observed", "met"]
            rows = [[row.get(k) for k in keys] for row in criteria]
            out += [_table(keys, rows), ""]
    out += ["## Limitations", ""]
    items = list(limitations) or ["None recorded."]
    out += [f"- {item}" for item in items]
    out.append("")
    return "\n".join(out)
