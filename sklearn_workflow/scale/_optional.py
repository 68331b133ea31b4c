"""Optional engines and sketch libraries, imported when first used."""

import importlib

__all__ = ["import_optional"]


def import_optional(module, extra, purpose):
    """Import ``module``, or raise an ImportError that names the extra to install.

    Examples
    --------
    >>> import_optional("not_a_module_xyz", "dask", "fitting on a Dask DataFrame")
    Traceback (most recent call last):
    ...
    ImportError: fitting on a Dask DataFrame needs the package 'not_a_module_xyz': \
pip install "sklearn-workflow[dask]"
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        raise ImportError(
            f"{purpose} needs the package {top!r}: "
            f'pip install "sklearn-workflow[{extra}]"'
        ) from exc
