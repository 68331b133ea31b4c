"""Self-contained HTML pages: escaped text, tables and embedded matplotlib figures.

The quality report, the evaluation report and the workflow report are built from
these pieces, so every page looks alike and opens offline (no external files).
"""

import base64
import html
import io

__all__ = [
    "escape",
    "figure_to_html",
    "html_page",
    "section",
    "table_of_contents",
    "table_to_html",
]

# Nothing is wider than the page: a wide table or text block scrolls inside its
# own box, long words wrap, images shrink. Printed, the folded details open and
# the sections do not split their tables and figures across pages.
_STYLE = """
*,*::before,*::after{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1rem auto;
max-width:72rem;padding:0 1rem;color:#1b1b1b;line-height:1.45;overflow-wrap:anywhere}
h1{border-bottom:2px solid #444;padding-bottom:.3rem;margin:.5rem 0 1rem;
font-size:1.6rem}
h2{margin-top:2rem;border-bottom:1px solid #ccc}
h3{margin-top:1.2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem;display:block;
max-width:100%;overflow-x:auto}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right;
overflow-wrap:normal}
th{background:#f2f2f2}
td.text,th.text{text-align:left;overflow-wrap:anywhere;min-width:6rem}
.severity-error{color:#b00020;font-weight:600}
.severity-warning{color:#a15c00}
.severity-info{color:#555}
pre{background:#f7f7f7;padding:.75rem;overflow-x:auto;max-width:100%}
img{max-width:100%;height:auto}
details{margin:.5rem 0}
summary{cursor:pointer;color:#174ea6}
nav.toc{font-size:.95rem;margin:1rem 0}
nav.toc ul{margin:.25rem 0;padding-left:1.2rem;columns:2 18rem}
.summary{border:1px solid #bbb;border-radius:6px;padding:.25rem 1rem;
background:#fafafa}
.summary h2{margin-top:.5rem}
.verdict{font-size:1.35rem;font-weight:700;margin:.25rem 0}
.verdict.met{color:#0a7a2f}
.verdict.not-met{color:#b00020}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;
margin:.5rem 0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
@media print{
body{max-width:none;margin:0;font-size:10pt}
nav.toc,summary{display:none}
details>*{display:block}
table{display:table;overflow:visible;font-size:8pt;page-break-inside:avoid}
pre{white-space:pre-wrap;overflow:visible}
section,img,.summary{page-break-inside:avoid}
h2{page-break-after:avoid}
a{color:inherit;text-decoration:none}
}
"""


# Printing opens the folded details, whose content a browser hides otherwise.
_PRINT_SCRIPT = (
    "<script>window.addEventListener('beforeprint',function(){"
    "document.querySelectorAll('details').forEach(function(d){d.open=true;});"
    "});</script>"
)


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


def section(title, *parts, anchor=None, css=None):
    """An ``<h2>`` section; parts are HTML fragments (already escaped).

    ``anchor`` is the section's ``id`` (the target of a table of contents);
    ``css`` its class.

    Examples
    --------
    >>> section("Data & target", "<p>5 rows</p>")
    '<section><h2>Data &amp; target</h2><p>5 rows</p></section>'
    >>> section("Data", anchor="data")
    '<section id="data"><h2>Data</h2></section>'
    """
    attributes = "" if anchor is None else f' id="{escape(anchor)}"'
    attributes += "" if css is None else f' class="{escape(css)}"'
    return f"<section{attributes}><h2>{escape(title)}</h2>{''.join(parts)}</section>"


def table_of_contents(entries):
    """A ``<nav>`` listing ``(anchor, title)`` pairs as links, in order.

    Examples
    --------
    >>> print(table_of_contents([("data", "1. Data & target")]))
    <nav class="toc" ...><li><a href="#data">1. Data &amp; target</a></li></ul></nav>
    """
    items = "".join(
        f'<li><a href="#{escape(anchor)}">{escape(title)}</a></li>'
        for anchor, title in entries
    )
    return (
        f'<nav class="toc" aria-label="Contents"><b>Contents</b><ul>{items}</ul></nav>'
    )


def html_page(title, *parts):
    """A complete, self-contained HTML document.

    The page's style sheet keeps every part within the width of the page
    (wide tables scroll inside their own box) and has print rules (folded
    details open, no table or figure split across pages).

    Examples
    --------
    >>> page = html_page("Report", section("Data", "<p>5 rows</p>"))
    >>> page.startswith("<!DOCTYPE html>") and "<h2>Data</h2>" in page
    True
    >>> "@media print" in page
    True
    """
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{''.join(parts)}{_PRINT_SCRIPT}"
        "</body></html>\n"
    )
