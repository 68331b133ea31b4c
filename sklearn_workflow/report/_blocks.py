"""HTML blocks of a report page beyond tables: paragraphs, lists, details, figures.

Text arguments are escaped here; arguments named ``html`` are fragments that are
already HTML (the output of another function of this package).
"""

import re

from sklearn_workflow.report._html import escape, figure_to_html, table_to_html

__all__ = [
    "bullet_list",
    "details",
    "draw_figure",
    "facts",
    "fields_table",
    "folded",
    "html_body",
    "paragraph",
    "preformatted",
]


def paragraph(*parts, strong=()):
    """A ``<p>``: text parts escaped and joined, those in ``strong`` in bold.

    Examples
    --------
    >>> paragraph("Verdict: ", "met", ".", strong=("met",))
    '<p>Verdict: <b>met</b>.</p>'
    >>> paragraph("a < b")
    '<p>a &lt; b</p>'
    """
    text = "".join(
        f"<b>{escape(part)}</b>" if part in strong else escape(part) for part in parts
    )
    return f"<p>{text}</p>"


def bullet_list(items, *, code_prefix=False):
    """A ``<ul>`` of ``(label, text)`` pairs or of plain texts.

    With pairs, the label is shown as code (a column name) before its text.

    Examples
    --------
    >>> bullet_list([("id", "ID-like")])
    '<ul><li><code>id</code>: ID-like</li></ul>'
    >>> bullet_list(["one"])
    '<ul><li>one</li></ul>'
    """
    rows = []
    for item in items:
        if isinstance(item, tuple):
            label, text = item
            rows.append(f"<li><code>{escape(label)}</code>: {escape(text)}</li>")
        else:
            rows.append(f"<li>{escape(item)}</li>")
    return f"<ul>{''.join(rows)}</ul>"


def preformatted(text):
    """A ``<pre>`` block of text.

    Examples
    --------
    >>> preformatted("a < b")
    '<pre>a &lt; b</pre>'
    """
    return f"<pre>{escape(text)}</pre>"


def details(summary, text):
    """A collapsed ``<details>`` block holding preformatted text.

    Examples
    --------
    >>> details("Text report", "rows: 5")
    '<details><summary>Text report</summary><pre>rows: 5</pre></details>'
    """
    return (
        f"<details><summary>{escape(summary)}</summary>{preformatted(text)}</details>"
    )


def folded(summary, html):
    """A collapsed ``<details>`` block holding HTML (a wide table, say).

    Examples
    --------
    >>> folded("All columns", "<table></table>")
    '<details><summary>All columns</summary><table></table></details>'
    """
    return f"<details><summary>{escape(summary)}</summary>{html}</details>"


def facts(pairs):
    """A definition list of ``(label, text)`` pairs, text escaped.

    A text given as ``("html", fragment)`` is a fragment that is already HTML.

    Examples
    --------
    >>> print(facts([("model", "Random forest"), ("rows", "1 < 2")]))
    <dl class="facts"><dt>model</dt><dd>Random forest</dd><dt>rows</dt><dd>1 &lt; 2...
    """
    items = []
    for label, text in pairs:
        body = text[1] if isinstance(text, tuple) else escape(text)
        items.append(f"<dt>{escape(label)}</dt><dd>{body}</dd>")
    return f'<dl class="facts">{"".join(items)}</dl>'


def fields_table(mapping):
    """A two-column table (field, value) of a dict, values as text.

    Examples
    --------
    >>> "<td class=\\"text\\">rows</td>" in fields_table({"rows": 5})
    True
    """
    import pandas as pd

    return table_to_html(
        pd.DataFrame(
            {"field": list(mapping), "value": [str(v) for v in mapping.values()]}
        )
    )


def draw_figure(draw, alt):
    """Draw a figure with ``draw()``, embed it and close every figure.

    ``draw`` returns a matplotlib Figure, an object with a ``figure_``
    attribute (a scikit-learn display) or an array of Axes. A figure that cannot
    be drawn does not stop the caller: the HTML says which one is missing and
    why.

    Returns
    -------
    html : str
    error : str or None
        The reason the figure is missing, None when it was drawn.

    Examples
    --------
    >>> html, error = draw_figure(lambda: 1 / 0, "a broken plot")
    >>> error
    "figure 'a broken plot' could not be drawn: ZeroDivisionError: division by zero"
    """
    import matplotlib.pyplot as plt
    import numpy as np

    try:
        fig = draw()
        if not hasattr(fig, "savefig"):
            fig = getattr(fig, "figure_", None) or np.ravel(fig)[0].figure
        return figure_to_html(fig, alt=alt), None
    except Exception as exc:  # a plotting bug must not cost the document
        message = f"figure '{alt}' could not be drawn: {type(exc).__name__}: {exc}"
        return paragraph(message, strong=(message,)), message
    finally:
        plt.close("all")


def html_body(page):
    """The body of a complete HTML page without its ``<h1>``, to embed it.

    A fragment (no ``<body>``) is returned as it is.

    Examples
    --------
    >>> html_body("<html><body><h1>T</h1><p>x</p></body></html>")
    '<p>x</p>'
    """
    match = re.search(r"<body[^>]*>(.*)</body>", page, flags=re.S | re.I)
    if match is None:
        return page
    return re.sub(r"^\s*<h1>.*?</h1>", "", match.group(1), count=1, flags=re.S)
