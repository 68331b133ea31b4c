"""The documentation: the examples of docs/*.md run, the pages and the site hold
together (every public object in the API reference, no link to a missing file)."""

import doctest
import importlib
import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
# Pages that the site's build writes (see docs/.gitignore): links to them from the
# user guide resolve in the built site, not in a fresh clone.
BUILT = ("api.rst", "auto_examples/", "generated/")


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


@pytest.mark.parametrize("page", [*DOCS, ROOT / "README.md"], ids=lambda p: p.name)
def test_docs_pages_link_and_cite_files_that_exist(page):
    text = page.read_text()
    missing = []
    # Links and images of the page: relative paths, outside code blocks.
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", prose):
        if re.match(r"[a-z]+:", target) or target.startswith(BUILT):
            continue  # another site, or a page of the built site
        if not (page.parent / target).exists():
            missing.append(target)
    # Files a page names, `path/file.py`: in the repository or in the package.
    for cited in re.findall(r"`([\w./-]+\.py)`", text):
        if not any(
            (base / cited).exists() for base in (ROOT, ROOT / "sklearn_workflow")
        ):
            missing.append(cited)
    assert missing == [], f"{page.name} points to files that do not exist: {missing}"


def test_api_reference_lists_every_public_object():
    conf = _load(ROOT / "docs" / "conf.py", "docs_conf")
    page = conf.api_page()
    listed = set(re.findall(r"^   (\w+)$", page, flags=re.M))
    modules = set(re.findall(r"automodule:: sklearn_workflow\.(\w+)", page))
    package = ROOT / "sklearn_workflow"
    public_modules = {
        path.parent.name
        for path in package.glob("*/__init__.py")
        if getattr(
            importlib.import_module(f"sklearn_workflow.{path.parent.name}"),
            "__all__",
            None,
        )
    } | {"exceptions"}
    assert public_modules <= modules, public_modules - modules
    for name in modules:
        module = importlib.import_module(f"sklearn_workflow.{name}")
        assert set(module.__all__) <= listed, (name, set(module.__all__) - listed)
    # The top-level names are the stage modules' own objects.
    import sklearn_workflow

    top = set(sklearn_workflow.__all__) - {"__version__"}
    assert top <= listed


def test_index_toctree_takes_every_page():
    # New pages join the site by the glob at the end of the toctree.
    index = (ROOT / "docs" / "index.md").read_text()
    toctree = re.search(r"```\{toctree\}(.*?)```", index, flags=re.S).group(1)
    assert ":glob:" in toctree and re.search(r"^\*$", toctree, flags=re.M)


def test_link_checker_finds_broken_links_and_images(tmp_path):
    check_links = _load(ROOT / "docs" / "check_links.py", "check_links")
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="sub/page.html#here">ok</a><a href="sub/page.html#gone">x</a>'
        '<a href="missing.html">x</a><img src="img/none.png">'
        '<img src="data:image/png;base64,AAAA"><a href="https://example.org/x">x</a>'
        '<a href="#top" id="top">top</a>'
    )
    (tmp_path / "sub" / "page.html").write_text('<h2 id="here">h</h2>')
    broken = {(str(page), url) for page, url, _ in check_links.broken_links(tmp_path)}
    assert broken == {
        ("index.html", "sub/page.html#gone"),
        ("index.html", "missing.html"),
        ("index.html", "img/none.png"),
    }
    assert check_links.main(["check_links", str(tmp_path)]) == 1
    (tmp_path / "index.html").write_text('<a href="sub/page.html#here">ok</a>')
    assert check_links.main(["check_links", str(tmp_path)]) == 0


def test_intersphinx_inventories_name_the_pages_of_the_libraries():
    # The committed inventories (docs/make_inventories.py): Sphinx's version 2
    # format, a zlib body of "name domain:role priority address display" lines.
    import zlib

    expected = {
        "sklearn": ("sklearn.pipeline.Pipeline", "modules/generated/"),
        "pandas": ("pandas.DataFrame", "reference/api/"),
        "numpy": ("numpy.ndarray", "reference/generated/"),
    }
    for project, (name, page) in expected.items():
        data = (ROOT / "docs" / "inventories" / f"{project}.inv").read_bytes()
        header = data.split(b"\n", 4)
        assert header[0] == b"# Sphinx inventory version 2"
        lines = zlib.decompress(header[4]).decode().splitlines()
        entries = {line.split()[0]: line.split() for line in lines}
        assert entries[name][1] == "py:class"
        assert entries[name][3] == f"{page}{name}.html#$"
        assert len(entries) > 50
