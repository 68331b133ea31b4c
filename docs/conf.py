"""Sphinx configuration of the sklearn_workflow documentation site.

The user guide is the Markdown pages of this folder (myst-parser), the API reference
is generated from the ``__all__`` lists of the package (autosummary and numpydoc),
and the gallery runs the scripts of ``examples/`` (sphinx-gallery). The build needs
no network: the intersphinx inventories of scikit-learn, pandas and numpy are the
files of ``inventories/``, written from the installed packages by
``make_inventories.py``.
"""

import importlib
import os
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import sklearn_workflow  # noqa: E402

project = "sklearn_workflow"
author = "the sklearn_workflow developers"
copyright = "the sklearn_workflow developers"
release = sklearn_workflow.__version__
version = release

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]

# Links to the libraries the package builds on, from committed inventories.
intersphinx_mapping = {
    "sklearn": ("https://scikit-learn.org/stable/", "inventories/sklearn.inv"),
    "pandas": ("https://pandas.pydata.org/docs/", "inventories/pandas.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "inventories/numpy.inv"),
}

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_templates", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# ------------------------------------------------------------------ user guide
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# --------------------------------------------------------------- API reference
# Each public module's ``__all__`` is its API: the stages in the order of the
# workflow, then any other subpackage (alphabetically), then the exceptions.
STAGE_ORDER = (
    "problem",
    "quality",
    "features",
    "selection",
    "thresholds",
    "evaluation",
    "deploy",
    "monitor",
    "scale",
    "datasets",
    "workflow",
    "report",
)


def api_modules():
    """The names of the public modules: every subpackage with an ``__all__``."""
    found = sorted(
        path.parent.name
        for path in (ROOT / "sklearn_workflow").glob("*/__init__.py")
        if not path.parent.name.startswith("_") and path.parent.name != "utils"
    )
    ordered = [name for name in STAGE_ORDER if name in found]
    return [*ordered, *(n for n in found if n not in ordered), "exceptions"]


def api_page():
    """The text of ``api.rst``: one autosummary table per public module."""
    lines = [
        ".. This page is written by conf.py from the package's __all__ lists.",
        "",
        "API reference",
        "=============",
        "",
        "Every public object of the package, one stage per section. The five",
        "central objects are also importable from ``sklearn_workflow`` itself.",
        "",
    ]
    for name in api_modules():
        try:
            module = importlib.import_module(f"sklearn_workflow.{name}")
        except ImportError:  # a stage that this version does not have
            continue
        public = sorted(getattr(module, "__all__", ()))
        if not public:
            continue
        title = f":mod:`sklearn_workflow.{name}`"
        lines += [
            title,
            "-" * len(title),
            "",
            f".. automodule:: sklearn_workflow.{name}",
            "   :no-members:",
            "   :no-index:",
            "",
            f".. currentmodule:: sklearn_workflow.{name}",
            "",
            ".. autosummary::",
            "   :toctree: generated/",
            "   :template: object.rst",
            "",
        ]
        lines += [f"   {obj}" for obj in public]
        lines.append("")
    return "\n".join(lines) + "\n"


def _write_api_page(app, config):
    """Write ``api.rst`` before Sphinx lists the pages (autosummary reads it)."""
    path = DOCS / "api.rst"
    text = api_page()
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# --------------------------------------------------------------------- gallery
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("sklearn_workflow",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sklearn_workflow": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "show_memory": False,
    "min_reported_time": 10,
    "image_scrapers": ("matplotlib",),
    "plot_gallery": os.environ.get("SKW_DOCS_GALLERY", "True"),
}

# ------------------------------------------------------------------------ HTML
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_workflow {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_copy_source = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}


def _skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing setters.

    ``set_fit_request``, ``set_score_request``, ... are written by scikit-learn
    for every estimator; their docstrings point into scikit-learn's own site.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


# "name : ndarray of shape (n_features_in_,)": in reST a word ending in "_" is a
# link to a target of that name; in a type it is the name of an attribute.
_TYPE_LINE = re.compile(r"^\s*\*{0,2}\w[\w, ]*\s:\s")
_TRAILING_UNDERSCORE = re.compile(r"\b([A-Za-z]\w*?)_(?=[,)\]])")


def _escape_attribute_names(app, what, name, obj, options, lines):
    """Escape the trailing underscore of attribute names inside types."""
    for i, line in enumerate(lines):
        if _TYPE_LINE.match(line) and "shape" in line:
            lines[i] = _TRAILING_UNDERSCORE.sub(r"\1\\_", line)


def setup(app):
    app.connect("config-inited", _write_api_page)
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-docstring", _escape_attribute_names, priority=400)
