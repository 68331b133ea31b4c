"""HTML rendering shared by the quality, evaluation and workflow reports."""

from sklearn_workflow.report._html import (
    escape,
    figure_to_html,
    html_page,
    section,
    table_to_html,
)

__all__ = ["escape", "figure_to_html", "html_page", "section", "table_to_html"]
