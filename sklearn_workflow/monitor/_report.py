"""monitor.html: the decision, the drift timeline, estimated against realised."""

import numpy as np

from sklearn_workflow.report import (
    bullet_list,
    draw_figure,
    html_page,
    paragraph,
    section,
    table_to_html,
)

__all__ = ["monitor_report"]


def _draw_timeline(monitor):
    """Per column, the PSI over its alarm level by chunk (above 1 is an alarm);
    below, the card's metric estimated (with its interval) and realised."""
    import matplotlib.pyplot as plt

    table = monitor.column_table()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for column, rows in table.groupby("column", sort=False):
        ratio = rows["psi"] / rows["alarm_level"].where(rows["alarm_level"] > 0)
        top.plot(rows["chunk"], ratio, marker="o", label=str(column))
    top.axhline(1.0, color="red", linestyle="--", label="alarm level")
    top.set_ylabel("PSI / alarm level")
    top.legend(fontsize="x-small", ncol=3)
    metric = monitor._metric()
    chunks = [c["chunk"] for c in monitor.chunks_]
    estimated = [c["estimated"] or {} for c in monitor.chunks_]
    realised = [c["realised"] or {} for c in monitor.chunks_]
    value = [e.get(metric, np.nan) for e in estimated]
    low = [e.get(f"{metric}_low", np.nan) for e in estimated]
    high = [e.get(f"{metric}_high", np.nan) for e in estimated]
    bottom.fill_between(chunks, low, high, alpha=0.3, label="estimated, 95%")
    bottom.plot(chunks, value, marker="o", label=f"estimated {metric}")
    bottom.plot(
        chunks,
        [r.get(metric, np.nan) for r in realised],
        marker="s",
        label=f"realised {metric}",
    )
    bar = monitor._bar()
    if bar is not None:
        bottom.axhline(bar[1], color="red", linestyle="--", label="the card's bar")
    bottom.set_xlabel("chunk")
    bottom.set_ylabel(metric)
    bottom.legend(fontsize="x-small")
    fig.tight_layout()
    return fig


def monitor_report(monitor, decision, *, title="Model monitoring"):
    """The monitoring report as a self-contained HTML page.

    Parameters
    ----------
    monitor : Monitor
        With its chunks.
    decision : RetrainDecision

    Returns
    -------
    html : str

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn_workflow.monitor import (
    ...     Monitor, attach_reference, build_reference, monitor_report)
    >>> X = pd.DataFrame({"x": np.arange(200.0)})
    >>> y = 2 * X["x"] + 1
    >>> model = LinearRegression().fit(X, y)
    >>> model = attach_reference(model, build_reference(model, X, y, reference_rows=0))
    >>> monitor = Monitor(model).update(X + 100, y)  # every value beyond the fit
    >>> html = monitor_report(monitor, monitor.decide())
    >>> "Decision: investigate" in html, "drift: x" in html
    (True, True)
    """
    figure, _ = draw_figure(lambda: _draw_timeline(monitor), "drift timeline")
    reasons = decision.reasons or ["no alarm in the recent chunks"]
    columns = monitor.column_table()
    alarms = [
        f"chunk {c['chunk']}: {line}" for c in monitor.chunks_ for line in c["alarms"]
    ]
    return html_page(
        title,
        section(
            "Decision",
            paragraph(f"Decision: {decision.action}", strong=(decision.action,)),
            bullet_list(reasons),
            bullet_list(decision.notes) if decision.notes else "",
        ),
        section("Drift timeline", figure, table_to_html(monitor.timeline())),
        section("Alarms", bullet_list(alarms) if alarms else paragraph("none")),
        section("Columns", table_to_html(columns)),
    )
