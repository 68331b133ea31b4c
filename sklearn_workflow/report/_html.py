"""Self-contained HTML pages: escaped text, tables and embedded matplotlib figures.

The quality report, the evaluation report and the workflow report are built from
these pieces, so every page looks alike and opens offline (no external files).
"""

import base64
import html
import io

__all__ = ["escape", "figure_to_html", "html_page", "section", "table_to_html"]

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:72rem;padding:0 1rem;color:#1b1b1b;line-height:1.45}
h1{border-bottom:2px solid #444;padding-bottom:.3rem}
h2{margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th{background:#f2f2f2}
td.text,th.text{text-align:left}
.severity-error{color:#b00020;font-weight:600}
.severity-warning{color:#a15c00}
.severity-info{color:#555}
pre{background:#f7f7f7;padding:.75rem;overflow-x:auto}
img{max-width:100%}
"""


def escape(text):
    """HTML-escape any value's string form.

    Examples
    --------
    >>> escape("<b> & 'x'")
    '&lt;b&gt; &amp; &#x27;x&#x27;'
    """
    return html.escape(str(text), quote=True)


def table_to_html(frame, *, index=False, float_format="{:.4g}"):
    """A pandas DataFrame as an HTML table, every cell escaped.

    Numbers are right-aligned and formatted with ``float_format``; text is
    left-aligned; a missing value (None or NaN) is an empty cell. A ``severity``
    column gets a CSS class per value.

    Examples
    --------
    >>> import pandas as pd
    >>> html = table_to_html(pd.DataFrame({"column": ["<id>", None], "n": [1500, 2]}))
    >>> "&lt;id&gt;" in html, "1,500" in html, "None" in html
    (True, True, False)
    """
    import numpy as np

    columns = list(frame.columns)
    head = "".join(f"<th>{escape(c)}</th>" for c in ([""] if index else []) + columns)
    rows = []
    for label, values in zip(frame.index, frame.itertuples(index=False)):
        cells = [f'<th class="text">{escape(label)}</th>'] if index else []
        for name, value in zip(columns, values):
            if value is None or (
                isinstance(value, (float, np.floating)) and np.isnan(value)
            ):
                text, css = "", ""  # a missing cell stays empty
            elif isinstance(value, (float, np.floating)):
                text, css = float_format.format(value), ""
            elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                text, css = f"{value:,}", ""
            else:
                text, css = str(value), "text"
            if name == "severity":
                css = f"text severity-{escape(value)}"
            cells.append(f'<td class="{css}">{escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def figure_to_html(figure, *, alt="figure", dpi=100):
    """A matplotlib Figure as an ``<img>`` with the PNG embedded in base64.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure = Figure()
    >>> _ = figure.subplots().plot([0, 1], [1, 0])
    >>> figure_to_html(figure, alt="a line")[:49]
    '<img alt="a line" src="data:image/png;base64,iVBO'
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def section(title, *parts):
    """An ``<h2>`` section; parts are HTML fragments (already escaped).

    Examples
    --------
    >>> section("Data & target", "<p>5 rows</p>")
    '<section><h2>Data &amp; target</h2><p>5 rows</p></section>'
    """
    return f"<section><h2>{escape(title)}</h2>{''.join(parts)}</section>"


def html_page(title, *parts):
    """A complete, self-contained HTML document.

    Examples
    --------
    >>> page = html_page("Report", section("Data", "<p>5 rows</p>"))
    >>> page.startswith("<!DOCTYPE html>") and "<h2>Data</h2>" in page
    True
    """
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{''.join(parts)}</body></html>\n"
    )
