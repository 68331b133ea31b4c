import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_workflow.report import (
    figure_to_html,
    html_page,
    section,
    table_to_html,
)


def test_table_to_html_escapes_and_formats():
    frame = pd.DataFrame(
        {"column": ["<script>", "b"], "value": [0.123456, np.nan], "n": [1000, 2]}
    )
    html = table_to_html(frame)
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "0.1235" in html and "1,000" in html
    assert "nan" not in html and '<td class=""></td>' in html


def test_table_to_html_leaves_missing_text_cells_empty():
    html = table_to_html(pd.DataFrame({"column": [None, "a"]}))
    assert "None" not in html and '<td class=""></td>' in html


def test_table_to_html_marks_severity():
    html = table_to_html(pd.DataFrame({"severity": ["error", "info"]}))
    assert 'class="text severity-error"' in html


def test_figure_to_html_embeds_png():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    html = figure_to_html(fig, alt="line")
    plt.close(fig)
    assert html.startswith('<img alt="line" src="data:image/png;base64,iVBOR')


def test_html_page_is_self_contained():
    page = html_page("T & T", section("A", "<p>x</p>"))
    assert "<title>T &amp; T</title>" in page
    assert "http" not in page
