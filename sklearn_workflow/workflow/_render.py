"""The workflow's report: one HTML section per stage result, built with report/."""

import re

import pandas as pd

from sklearn_workflow.report import (
    bullet_list,
    details,
    draw_figure,
    fields_table,
    html_body,
    html_page,
    paragraph,
    section,
    table_to_html,
    verdict_word,
)
from sklearn_workflow.workflow._data_stages import retyped_columns

__all__ = ["render_report", "selection_table"]


def selection_table(results, *, folds=True):
    """The selector's results; without the per-fold columns for the report."""
    frame = pd.DataFrame(results)
    if not folds:
        frame = frame.drop(
            columns=[c for c in frame.columns if re.fullmatch(r"fold_\d+", str(c))]
        )
    return frame


def render_report(title, stages, saved, say):
    """The report page: a section per stage, figures drawn now.

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
        Prints a warning for each figure that could not be drawn.

    Returns
    -------
    html : str
    """
    figure = _figure_drawer(say)
    sections = [
        section("1. Problem definition", *_problem(stages["problem"])),
        section("2. Data quality", *_quality(stages["quality"])),
        section(
            "3. Exploratory analysis",
            figure(stages["exploration"].draw, stages["exploration"].alt),
        ),
        section("4. Feature engineering", *_features(stages["features"])),
        section("5. Model selection", *_selection(stages["selection"], figure)),
        section(
            "6. Training and tuning",
            *_tuning(stages["tuning"], stages["problem"], figure),
        ),
        section(
            "7. Evaluation and deployment",
            *_evaluation(stages["evaluation"], saved, say),
        ),
    ]
    return html_page(title, *sections)


def _figure_drawer(say):
    def figure(draw, alt):
        html, error = draw_figure(draw, alt)
        if error:
            say(f"      WARNING: {error}")
        return html

    return figure


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
    selector = selection.selector
    parts = [table_to_html(selection_table(selector.results_, folds=False))]
    if hasattr(selector, "plot"):
        parts.append(figure(selector.plot, "fold scores per candidate"))
    return parts


def _tuning(tuning, problem, figure):
    if tuning.tuned is None:
        parts = [
            paragraph(
                "No threshold objective in the problem: the winner, refitted on "
                "every training row by the selector, predicts as it is."
            )
        ]
    else:
        parts = [
            paragraph(
                f"Decision threshold {tuning.threshold:.4f}, tuned on out-of-fold "
                f"training scores for {problem.threshold_params}."
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


def _evaluation(result, saved, say):
    verdict = result.verdict
    word = verdict_word(verdict.met)
    parts = [paragraph("Verdict: ", word, ".", strong=(word,))]
    if verdict.criteria:
        parts.append(table_to_html(verdict.to_frame()))
    try:
        parts.append(html_body(result.evaluation.to_html()))
    except Exception as exc:  # a plotting bug must not cost the model
        say(f"      WARNING: evaluation plots could not be drawn: {exc}")
        parts.append(details("Evaluation", result.evaluation.to_markdown()))
    parts.append(
        paragraph(
            f"Saved model: {saved.name} ({saved.stat().st_size / 1e6:.2f} MB, skops)."
        )
    )
    return parts
