import re

import numpy as np
import pandas as pd

from sklearn_workflow.report import format_value, markdown_table


def _cells(line):
    """The cells of a Markdown table row, split on pipes that are not escaped."""
    assert line.startswith("| ") and line.endswith(" |"), line
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]


def test_markdown_table_matches_a_naive_writer():
    rows = [("recall", 0.81234, True, 1500), ("precision", None, False, 2)]
    columns = ["metric", "value", "met", "n"]
    expected = [
        "| metric | value | met | n |",
        "|---|---|---|---|",
        "| recall | 0.8123 | yes | 1,500 |",
        "| precision | - | no | 2 |",
    ]
    assert markdown_table(rows, columns).splitlines() == expected


def test_markdown_table_escapes_pipes_and_line_breaks():
    rows = [("a|b", "first\nsecond"), ("x || y", "|")]
    table = markdown_table(rows, ["na|me", "text"])
    lines = table.splitlines()
    assert len(lines) == 2 + len(rows)  # no line break leaked out of a cell
    assert _cells(lines[0]) == ["na\\|me", "text"]
    assert [_cells(line) for line in lines[2:]] == [
        ["a\\|b", "first second"],
        ["x \\|\\| y", "\\|"],
    ]


def test_markdown_table_of_a_dataframe():
    frame = pd.DataFrame(
        {"model": ["dummy", "tree"], 2024: [np.nan, 0.123456], "n": [10, 20000]}
    )
    lines = markdown_table(frame).splitlines()
    assert _cells(lines[0]) == ["model", "2024", "n"]  # a name is not a number
    assert [_cells(line) for line in lines[2:]] == [
        ["dummy", "-", "10"],
        ["tree", "0.1235", "20,000"],
    ]


def test_markdown_table_digits_and_every_cell_through_format_value():
    rows = [(np.float64(np.pi), pd.NA, np.int64(12345), "text")]
    line = markdown_table(rows, ["a", "b", "c", "d"], digits=2).splitlines()[2]
    expected = [format_value(v, digits=2, style="markdown") for v in rows[0]]
    assert _cells(line) == expected == ["3.1", "-", "12,345", "text"]


def test_markdown_table_without_rows_is_a_header():
    assert markdown_table([], ["a", "b"]) == "| a | b |\n|---|---|"
