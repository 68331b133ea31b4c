"""The workflow's report: the answer first, then one HTML section per stage.

The page opens with a summary (the verdict and each criterion, the model, its
score against the card's bar with a 95% interval, the threshold, what was
dropped or converted and why, the time), then a table of contents, the seven
stages, what drives the model, where it errs and the next steps. Every piece is
built with report/, so the page is one self-contained file.
"""

import re

import numpy as np
import pandas as pd

from sklearn_workflow.evaluation._diagnostics import categorical_columns, model_drivers
from sklearn_workflow.evaluation._report import format_interval
from sklearn_workflow.problem._metrics import METRICS
from sklearn_workflow.report import (
    bullet_list,
    details,
    draw_figure,
    facts,
    fields_table,
    folded,
    format_value,
    html_body,
    html_page,
    paragraph,
    section,
    table_of_contents,
    table_to_html,
    verdict_word,
)
from sklearn_workflow.workflow._data_stages import retyped_columns
from sklearn_workflow.workflow._render_parts import (
    next_steps,
    selection_summary,
    selection_table,
)

__all__ = ["render_report", "selection_summary", "selection_table"]

_CONTENTS = (
    ("problem", "1. Problem definition"),
    ("quality", "2. Data quality"),
    ("exploration", "3. Exploratory analysis"),
    ("features", "4. Feature engineering"),
    ("selection", "5. Model selection"),
    ("tuning", "6. Training and tuning"),
    ("evaluation", "7. Evaluation and deployment"),
    ("drivers", "What drives the model"),
    ("errors", "Where it errs"),
    ("next-steps", "Next steps"),
)


def render_report(title, stages, saved, say, *, timings=None, deployment=None):
    """The report page: the summary, the contents, a section per stage.

    Parameters
    ----------
    title : str
    stages : dict
        The results of the seven stages, by name (``problem``, ``quality``,
        ``exploration``, ``features``, ``selection``, ``tuning``,
        ``evaluation``).
    saved : Path
        The saved model file, named in the last section.
    say : callable
        Prints a warning for each figure or reading that could not be made.
    timings : dict of str to float, default=None
        Seconds spent per stage, shown in the summary when given.
    deployment : dict, default=None
        What went out with the model (``model_version``, ``onnx``,
        ``latency``), shown under the evaluation when given.

    Returns
    -------
    html : str
    """
    figure = _figure_drawer(say)
    drivers = _drivers(stages, say)
    by_level = _errors_by_level(stages, drivers, say)
    bodies = {
        "problem": _problem(stages["problem"]),
        "quality": _quality(stages["quality"]),
        "exploration": [figure(stages["exploration"].draw, stages["exploration"].alt)],
        "features": _features(stages["features"]),
        "selection": _selection(stages["selection"], figure),
        "tuning": _tuning(stages["tuning"], stages["problem"], figure),
        "evaluation": _evaluation(stages["evaluation"], saved, say, deployment),
        "drivers": _drivers_section(drivers, stages["problem"], figure),
        "errors": _errors_section(by_level, stages),
        "next-steps": [bullet_list(next_steps(stages, drivers, by_level))],
    }
    sections = [
        section(heading, *bodies[anchor], anchor=anchor)
        for anchor, heading in _CONTENTS
    ]
    return html_page(
        title,
        _summary(stages, timings),
        table_of_contents(_CONTENTS),
        *sections,
    )


def _figure_drawer(say):
    def figure(draw, alt):
        html, error = draw_figure(draw, alt)
        if error:
            say(f"      WARNING: {error}")
        return html

    return figure


# ------------------------------------------------------------------- summary
def _summary(stages, timings):
    """The answer: verdict, criteria, model, score, threshold, changes, time."""
    result = stages["evaluation"]
    verdict = result.verdict
    word = verdict_word(verdict.met)
    css = "met" if verdict.met else "not-met"
    parts = [f'<p class="verdict {css}">Verdict: {word.upper()}</p>']
    if verdict.criteria:
        parts.append(table_to_html(_criteria(verdict, result.evaluation)))
    parts.append(facts(_summary_facts(stages, timings)))
    return section("Summary", *parts, anchor="summary", css="summary")


def _criteria(verdict, report):
    """The card's criteria with the 95% interval of each metric's value."""
    frame = verdict.to_frame()
    intervals = report.intervals or {}
    frame["95% interval"] = [
        format_interval(intervals[m]) if m in intervals else "" for m in frame["metric"]
    ]
    frame["met"] = [verdict_word(met) for met in frame["met"]]
    return frame[["criterion", "value", "95% interval", "comparison", "target", "met"]]


def _summary_facts(stages, timings):
    problem, quality = stages["problem"], stages["quality"]
    report = stages["evaluation"].evaluation
    tuning = stages["tuning"]
    pairs = [
        ("question", problem.spec.name or f"predict {problem.spec.target}"),
        ("model", stages["selection"].selector.best_name_),
        ("score", _score_against_bar(problem, report)),
    ]
    if tuning.threshold is not None:
        pairs.append(("threshold", f"{tuning.threshold:.4f} ({_objective(problem)})"))
    pairs.append(
        (
            "rows",
            f"{len(quality.train_idx):,} for training, {len(quality.test_idx):,} "
            "held out for the test",
        )
    )
    split = getattr(quality, "split", None)
    if split is not None:
        pairs.append(("test rows", _split_text(split, quality.split_scores)))
    dropped = "; ".join(f"{c}: {why}" for c, why in quality.dropped.items())
    pairs.append(("dropped", dropped or "no column"))
    retyped = retyped_columns(quality.cleaner)
    converted = "; ".join(f"{r.column}: {r.message}" for r in retyped.itertuples())
    pairs.append(("converted", converted or "no column"))
    if timings:
        total = sum(float(t) for t in timings.values())
        pairs.append(("time", f"{total:.0f} s for the seven stages"))
    return pairs


def _split_text(split, scores):
    """Which split chose the test rows, why, and the random split's score."""
    text = f"split {split.kind}: {split.reason}"
    if scores and scores.get("time") is not None and scores.get("random") is not None:
        text += (
            f"; cross-validated {scores['metric']} {scores['time']:.4f} with folds "
            f"by time, {scores['random']:.4f} with random folds"
        )
    return text


def _score_against_bar(problem, report):
    metric = problem.metric
    value = report.metrics.get(metric)
    if value is None:
        return f"{metric}: not measured"
    text = f"{metric} {format_value(value)}"
    if report.intervals and metric in report.intervals:
        text += f", 95% interval {format_interval(report.intervals[metric])}"
    threshold = problem.spec.threshold
    if threshold is not None:
        comparison = METRICS[metric].comparison
        text += f"; the card asks for {comparison} {format_value(threshold)}"
    else:
        dummy = next((b for b in report.baselines if b["source"] == "dummy"), None)
        if dummy is not None and metric in dummy:
            text += f"; the dummy baseline scores {format_value(dummy[metric])}"
    return text


def _objective(problem):
    params = problem.threshold_params or {}
    text = f"best {params.get('objective', 'objective')}"
    for name, bound in (params.get("constraint") or {}).items():
        text += f" with {name} >= {format_value(bound)}"
    return text


# -------------------------------------------------------------------- stages
def _problem(problem):
    parts = [fields_table(problem.fields)]
    parts += [paragraph(note) for note in problem.notes]
    return parts


def _quality(quality):
    intro = paragraph(
        f"Fitted on the {len(quality.train_idx):,} training rows only. "
        f"Exact duplicate rows in the whole table: {quality.n_duplicates:,}. "
        f"Dropped columns: {'' if quality.dropped else 'none.'}"
    )
    retyped = retyped_columns(quality.cleaner)
    read = [paragraph("Columns read by their values:"), table_to_html(retyped)]
    return [
        intro,
        bullet_list(quality.dropped.items()) if quality.dropped else "",
        *(read if len(retyped) else []),
        table_to_html(quality.findings),
        details("Text report", str(quality.checker.report_)),
    ]


def _features(features):
    routes = pd.DataFrame(
        {
            "step": list(features.routes),
            "columns": [", ".join(map(str, c)) for c in features.routes.values()],
        }
    )
    return [
        table_to_html(routes),
        paragraph(
            "Every statistic (date range, category encodings, log offsets) is "
            "learned in fit on the training rows; target encoding is out-of-fold."
        ),
    ]


def _selection(selection, figure):
    """The first race (the families as the catalog gives them), then the
    search over the best families' parameters when there was one."""
    selector = selection.selector
    screen = getattr(selection, "screen", None) or selector
    parts = [
        paragraph(selection.reason) if getattr(selection, "reason", "") else "",
        table_to_html(selection_summary(screen.results_, screen.best_name_)),
        folded(
            "Every column of the results (scores per fold, times, improvement)",
            table_to_html(selection_table(screen.results_)),
        ),
    ]
    if screen is not selector:
        parts += [
            paragraph(
                "The search over the parameters of the best families, with an "
                "ensemble of the survivors offered:"
            ),
            table_to_html(selection_summary(selector.results_, selector.best_name_)),
        ]
    if hasattr(selector, "plot"):
        parts.append(figure(selector.plot, "fold scores per candidate"))
    return parts


def _tuning(tuning, problem, figure):
    comparison = getattr(tuning, "comparison", None)
    parts = []
    if comparison is not None:
        parts += [
            paragraph(
                "The winner as selected, tuned and in an ensemble, each "
                "cross-validated on the training rows; the one kept goes on:"
            ),
            table_to_html(pd.DataFrame(comparison)),
        ]
    if tuning.tuned is None:
        parts.append(
            paragraph(
                "No threshold objective in the problem: the winner, refitted on "
                "every training row by the selector, predicts as it is."
            )
        )
    else:
        parts += [
            paragraph(
                f"Decision threshold {tuning.threshold:.4f}, tuned on out-of-fold "
                f"training scores for {_objective(problem)}."
            ),
            figure(tuning.tuned.plot, "precision and recall against the threshold"),
        ]
    curve = tuning.curve
    diagnosis = str(curve.diagnosis)
    parts += [
        paragraph(
            f"Learning-curve diagnosis ({problem.ranked_by}, "
            f"{curve.train_scores.shape[1]} folds, "
            f"{int(curve.train_sizes[-1]):,} training rows at most): ",
            diagnosis,
            f". Fix: {curve.fix}. {curve.reason}",
            strong=(diagnosis,),
        ),
        figure(curve.plot, "learning curve of the winner"),
    ]
    return parts


def _evaluation(result, saved, say, deployment=None):
    try:
        parts = [html_body(result.evaluation.to_html())]
    except Exception as exc:  # a plotting bug must not cost the model
        say(f"      WARNING: evaluation plots could not be drawn: {exc}")
        parts = [details("Evaluation", result.evaluation.to_markdown())]
    parts.append(
        paragraph(
            f"Saved model: {saved.name} ({saved.stat().st_size / 1e6:.2f} MB, skops)."
        )
    )
    if deployment:
        parts.append(facts(_deployment_facts(deployment)))
    return _demote_headings(parts)


def _deployment_facts(deployment):
    """Model version, one-row latency against the card, the ONNX export."""
    latency, onnx = deployment["latency"], deployment["onnx"]
    timing = "not measured"
    if latency.get("p50_ms") is not None:
        timing = (
            f"p50 {latency['p50_ms']:.1f} ms, p95 {latency['p95_ms']:.1f} ms, "
            f"p99 {latency['p99_ms']:.1f} ms over {latency['n']} calls"
        )
        if latency.get("limit_ms") is not None:
            within = "within" if latency["within_limit"] else "over"
            timing += f": {within} the card's {latency['limit_ms']:g} ms"
    written = "model.onnx written: " if onnx["written"] else "not written: "
    return [
        ("model version", deployment["model_version"]),
        ("one-row latency", timing),
        ("ONNX", written + onnx["message"]),
    ]


def _demote_headings(parts):
    """The evaluation report's own sections, one level below the stage's."""
    return [re.sub(r"<(/?)h2>", r"<\1h3>", part) for part in parts]


# --------------------------------------------------- drivers and weak spots
def _drivers(stages, say):
    """Permutation importance of the input columns on the test rows, or None."""
    quality, problem = stages["quality"], stages["problem"]
    try:
        return model_drivers(
            stages["tuning"].model,
            quality.X_test,
            quality.y_test,
            problem.metric,
            task=problem.task,
            pos_label=stages["evaluation"].evaluation.positive_class,
        )
    except Exception as exc:  # a reading of the model must not cost the report
        say(f"      WARNING: permutation importance could not be computed: {exc}")
        return None


def _drivers_section(drivers, problem, figure):
    if drivers is None:
        return [paragraph("Permutation importance could not be computed.")]
    top = drivers.head(15)
    intro = paragraph(
        "Permutation importance on the held-out rows: how much the test "
        f"{problem.metric} drops when the values of one column are shuffled "
        "(the mean over repeats, and its spread). A column near 0 does not help "
        "the model on new rows."
    )

    def draw():
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 0.3 * len(top) + 1.2))
        ax.barh(top["column"][::-1], top["importance"][::-1], xerr=top["std"][::-1])
        ax.axvline(0, color="0.5", linewidth=0.8)
        ax.set_xlabel(f"drop of the test {problem.metric}")
        return fig

    return [intro, table_to_html(top), figure(draw, "permutation importance")]


def _errors_by_level(stages, drivers, say):
    """The metric by level of the most important categorical column, or None."""
    X_test = stages["quality"].X_test
    columns = categorical_columns(X_test)
    if not columns:
        return None
    if drivers is not None:
        rank = {c: i for i, c in enumerate(drivers["column"])}
        columns = sorted(columns, key=lambda c: rank.get(str(c), len(rank)))
    column = columns[0]
    report = stages["evaluation"].evaluation
    try:
        table = report.metric_by_level(
            X_test[column].to_numpy(), metric=stages["problem"].metric
        )
    except Exception as exc:
        say(f"      WARNING: the metric by level could not be computed: {exc}")
        return None
    return column, table


def _errors_section(by_level, stages):
    if by_level is None:
        return [paragraph("No categorical column to slice the test rows by.")]
    column, table = by_level
    metric = stages["problem"].metric
    overall = stages["evaluation"].evaluation.metrics.get(metric, np.nan)
    return [
        paragraph(
            f"The test {metric} on the rows of each level of {column!r}, the most "
            f"important categorical column (all the test rows: "
            f"{format_value(overall)}). A level far from it is a slice the model "
            "serves worse."
        ),
        table_to_html(table),
    ]
