"""The examples in docs/*.md run (doctest syntax, ``>>>``, inside code fences)."""

import doctest
import re
from pathlib import Path

import pandas as pd
import pytest

DOCS = sorted((Path(__file__).resolve().parents[1] / "docs").glob("*.md"))


# The pages show what the current versions print (pandas 3 dtypes, for instance);
# the run on the oldest supported versions checks the code, not the printed pages.
@pytest.mark.skipif(
    int(pd.__version__.split(".")[0]) < 3, reason="the docs show pandas 3 output"
)
@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_docs_examples_run(page, tmp_path, monkeypatch):
    # Fence lines end an example's expected output, as a blank line would.
    text = re.sub(r"^\s*```.*$", "", page.read_text(), flags=re.M)
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} example(s) failed in {page.name}"
