"""The document toolkit: every HTML, Markdown and JSON document goes through it.

JSON conversion (:func:`to_jsonable`), value formatting (:func:`format_value`), the
verdict's words (:func:`verdict_word`), Markdown tables (:func:`markdown_table`) and
self-contained HTML pages (:func:`html_page`, :func:`section`,
:func:`table_to_html`, :func:`figure_to_html`, :func:`escape`, and the blocks
:func:`paragraph`, :func:`bullet_list`, :func:`details`, :func:`preformatted`,
:func:`fields_table`, :func:`draw_figure`, :func:`html_body`, :func:`folded`,
:func:`facts`, :func:`table_of_contents`). The quality and
evaluation reports, the model card and the workflow's report are built from them,
so every document reads alike.
"""

from sklearn_workflow.report._blocks import (
    bullet_list,
    details,
    draw_figure,
    facts,
    fields_table,
    folded,
    html_body,
    paragraph,
    preformatted,
)
from sklearn_workflow.report._html import (
    escape,
    figure_to_html,
    html_page,
    section,
    table_of_contents,
    table_to_html,
)
from sklearn_workflow.report._markdown import markdown_table
from sklearn_workflow.report._values import format_value, to_jsonable, verdict_word

__all__ = [
    "bullet_list",
    "details",
    "draw_figure",
    "escape",
    "facts",
    "fields_table",
    "folded",
    "figure_to_html",
    "format_value",
    "html_body",
    "html_page",
    "markdown_table",
    "paragraph",
    "preformatted",
    "section",
    "table_of_contents",
    "table_to_html",
    "to_jsonable",
    "verdict_word",
]
