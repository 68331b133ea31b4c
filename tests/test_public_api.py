"""Every public name imports, and every estimator of the package is common-tested."""

import importlib
import inspect
import pkgutil

import pytest
from sklearn.base import BaseEstimator

import sklearn_workflow
from sklearn_workflow.utils._testing import all_estimator_instances


def _modules():
    yield sklearn_workflow
    for info in pkgutil.walk_packages(
        sklearn_workflow.__path__, prefix="sklearn_workflow."
    ):
        if info.name.endswith("__main__"):
            continue
        yield importlib.import_module(info.name)


MODULES = list(_modules())
PUBLIC_PACKAGES = [
    module
    for module in MODULES
    if hasattr(module, "__path__") or module.__name__.endswith("exceptions")
]


@pytest.mark.parametrize("module", PUBLIC_PACKAGES, ids=lambda m: m.__name__)
def test_every_name_in_all_imports(module):
    assert hasattr(module, "__all__"), f"{module.__name__} has no __all__"
    for name in module.__all__:
        assert hasattr(module, name), f"{module.__name__}.{name} does not import"
        imported = getattr(importlib.import_module(module.__name__), name)
        assert imported is getattr(module, name)


def _estimator_classes():
    classes = set()
    for module in MODULES:
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, BaseEstimator)
                and obj.__module__.startswith("sklearn_workflow")
                and not obj.__name__.startswith("_")
                and not inspect.isabstract(obj)
            ):
                classes.add(obj)
    return classes


def test_every_estimator_is_in_the_common_tests():
    checked = {type(est) for est in all_estimator_instances()}
    missing = sorted(cls.__name__ for cls in _estimator_classes() - checked)
    assert not missing, f"not in utils/_testing.py: {missing}"


def test_every_public_estimator_is_exported_by_its_stage():
    exported = {
        getattr(module, name)
        for module in PUBLIC_PACKAGES
        for name in getattr(module, "__all__", [])
    }
    hidden = sorted(cls.__name__ for cls in _estimator_classes() if cls not in exported)
    assert not hidden, f"not in any stage __all__: {hidden}"


def test_version_is_a_string():
    assert isinstance(sklearn_workflow.__version__, str)
