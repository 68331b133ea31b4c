"""Markdown tables, for the model card and the Markdown reports."""

from sklearn_workflow.report._values import format_value

__all__ = ["markdown_table"]


def markdown_table(rows, columns=None, *, digits=4):
    """A GitHub-flavoured Markdown table, every cell formatted by format_value.

    The header names are written as text (a column named 2024 stays "2024"); a
    ``|`` or a line break in a name or a cell is escaped so the table holds.

    Parameters
    ----------
    rows : DataFrame or iterable of sequences
        A pandas DataFrame (its columns are the header), or rows of values.
    columns : sequence of str, default=None
        The header; required unless ``rows`` is a DataFrame.
    digits : int, default=4
        Significant digits of real numbers.

    Returns
    -------
    table : str

    Examples
    --------
    >>> print(markdown_table([("recall", 0.81234, True), ("a|b", None, None)],
    ...                      ["metric", "value", "met"]))
    | metric | value | met |
    |---|---|---|
    | recall | 0.8123 | yes |
    | a\\|b | - | - |
    """
    if columns is None:
        columns = list(rows.columns)
        rows = rows.itertuples(index=False)
    lines = [
        "| "
        + " | ".join(format_value(str(c), style="markdown") for c in columns)
        + " |",
        "|" + "---|" * len(columns),
    ]
    lines += [
        "| "
        + " | ".join(format_value(v, digits=digits, style="markdown") for v in row)
        + " |"
        for row in rows
    ]
    return "\n".join(lines)
