"""The model card: what a saved model predicts, from what, how well, and its limits."""

from sklearn_workflow.report import format_value, markdown_table, verdict_word

__all__ = ["make_model_card"]


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
    identity=None,
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
    verdict : Verdict or dict, default=None
        The problem card's pass/fail result: a
        :class:`~sklearn_workflow.problem.Verdict` or its ``to_dict()``,
        ``{"met": bool, "criteria": [{"criterion", "comparison", "target",
        "value", "met", ...}, ...]}``. ``met`` is written "met", "NOT met" (in
        bold for the verdict) or "not measured" (None), as in every report of
        the package.
    limitations : sequence of str, default=()
        Known limitations, one bullet each (data quality findings, dropped
        columns, diagnosis of the learning curve...).
    intended_use : str, default=None
        The decision the model supports.
    identity : dict, default=None
        The model's identity (:func:`~sklearn_workflow.deploy.model_identity`):
        its version, training time, training-data fingerprint and package
        versions are listed under "Identity".

    Returns
    -------
    card : str
        Markdown. Values are written by
        :func:`sklearn_workflow.report.format_value`: integers with thousands
        separators, reals with four significant digits, booleans "yes"/"no", a
        missing or undefined value (None, NaN) "-".

    See Also
    --------
    skops.card.Card : skops' Hugging Face Hub model card; this one is plain
        Markdown with the workflow's verdict and baseline comparison.

    Examples
    --------
    A metric that could not be computed (NaN) keeps its row, written "-", and a
    verdict that is not met stands out in bold:

    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_workflow.deploy import make_model_card
    >>> model = DummyClassifier().fit([[0], [1]], [0, 1])
    >>> card = make_model_card(
    ...     model, name="Churn", task="binary_classification", target="churned",
    ...     data={"train rows": 2}, metrics={"recall": 0.5, "roc_auc": float("nan")},
    ...     verdict={"met": False, "criteria": [
    ...         {"criterion": "recall >= 0.8", "comparison": ">=", "target": 0.8,
    ...          "value": 0.5, "met": False}]},
    ... )
    >>> print(card.splitlines()[0])
    # Model card: Churn
    >>> "| roc_auc | - |" in card, "Verdict: **NOT met**" in card
    (True, True)
    >>> "| recall >= 0.8 | >= 0.8 | 0.5 | NOT met |" in card
    True

    The identity stored with the saved model is listed at the end:

    >>> from sklearn_workflow.deploy import model_identity
    >>> identity = model_identity([[0], [1]], [0, 1], trained_at="2026-01-05")
    >>> card = make_model_card(
    ...     model, name="Churn", task="binary_classification", target="churned",
    ...     data={}, metrics={}, identity=identity)
    >>> "| trained at | 2026-01-05 |" in card
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
            f"- Decision threshold: {format_value(threshold)} on the positive-class "
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
    out += ["## Data", "", markdown_table(list(data.items()), ["", "value"]), ""]
    out += ["## Metrics on the held-out test split", ""]
    out += [markdown_table(list(metrics.items()), ["metric", "value"]), ""]
    if baseline:
        names = list(dict.fromkeys(k for scores in baseline.values() for k in scores))
        rows = [
            [label] + [scores.get(k, float("nan")) for k in names]
            for label, scores in baseline.items()
        ]
        table = markdown_table(rows, ["model", *names])
        out += ["## Baselines on the same split", "", table]
        out.append("")
    if verdict is not None:
        verdict = verdict.to_dict() if hasattr(verdict, "to_dict") else verdict
        out += ["## Success criteria", "", f"Verdict: {_verdict_text(verdict)}", ""]
        criteria = verdict.get("criteria") or []
        if criteria:
            rows = [
                [
                    row.get("criterion"),
                    f"{row.get('comparison', '')} {format_value(row.get('target'))}",
                    row.get("value"),
                    verdict_word(row.get("met")),
                ]
                for row in criteria
            ]
            out += [markdown_table(rows, ["criterion", "required", "observed", "met"])]
            out.append("")
    out += ["## Limitations", ""]
    items = list(limitations) or ["None recorded."]
    out += [f"- {item}" for item in items]
    out.append("")
    if identity:
        out += [
            "## Identity",
            "",
            markdown_table(_identity_rows(identity), ["", "value"]),
        ]
        out.append("")
    return "\n".join(out)


def _identity_rows(identity):
    """The identity's facts as table rows (the card itself left out)."""
    rows = [
        ("model version", identity.get("model_version")),
        ("trained at", identity.get("trained_at")),
    ]
    data = identity.get("data") or {}
    if data:
        rows.append(("training data", f"{data.get('fingerprint')} "
                     f"({format_value(data.get('n_rows'))} rows)"))  # fmt: skip
    for name, version in (identity.get("versions") or {}).items():
        rows.append((name, version))
    return rows


def _verdict_text(verdict):
    """The verdict's word, in bold unless it is met."""
    met = verdict.get("met")
    word = verdict_word(met)
    return word if met is not None and bool(met) else f"**{word}**"
