"""Write the intersphinx inventories of scikit-learn, pandas and numpy.

The documentation builds without network, so the inventories that link our
pages to those libraries' references are committed under ``docs/inventories``.
This script writes them from the installed packages: every public class and
function of each package's public modules, with the address of its page in the
package's online reference (each project's own naming of those pages). Rerun it
after upgrading one of them::

    python docs/make_inventories.py
"""

import importlib
import inspect
import pkgutil
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent / "inventories"

# project -> (package, display name, page of an object, modules to read)
PROJECTS = {
    "sklearn": ("sklearn", "scikit-learn", "modules/generated/{name}.html#$"),
    "pandas": ("pandas", "pandas", "reference/api/{name}.html#$"),
    "numpy": ("numpy", "NumPy", "reference/generated/{name}.html#$"),
}


def _public_modules(package):
    """The package and its public submodules (no leading underscore, no tests)."""
    root = importlib.import_module(package)
    yield root
    if package != "sklearn":  # pandas and numpy document their top-level names
        return
    for info in pkgutil.iter_modules(root.__path__):
        if info.name.startswith("_") or "test" in info.name:
            continue
        try:
            yield importlib.import_module(f"{package}.{info.name}")
        except ImportError:  # an optional dependency of that module is missing
            continue


def _entries(package):
    """``(full name, role)`` of every public class and function, sorted."""
    found = {}
    for module in _public_modules(package):
        names = getattr(module, "__all__", None) or dir(module)
        for name in names:
            if name.startswith("_"):
                continue
            try:
                obj = getattr(module, name, None)
            except ImportError:  # experimental names that need an opt-in import
                continue
            role = "class" if inspect.isclass(obj) else None
            if role is None and callable(obj):
                role = "function"
            if role is not None:
                found.setdefault(f"{module.__name__}.{name}", role)
    return sorted(found.items())


def write_inventory(project):
    """Write ``inventories/<project>.inv`` (Sphinx inventory version 2)."""
    package, title, page = PROJECTS[project]
    version = importlib.import_module(package).__version__
    lines = [
        f"{name} py:{role} 1 {page.format(name=name)} -"
        for name, role in _entries(package)
    ]
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {title}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    body = zlib.compress(("\n".join(lines) + "\n").encode("utf-8"))
    HERE.mkdir(exist_ok=True)
    (HERE / f"{project}.inv").write_bytes(header.encode("utf-8") + body)
    return len(lines)


if __name__ == "__main__":
    for project in PROJECTS:
        print(f"{project}: {write_inventory(project)} objects")
