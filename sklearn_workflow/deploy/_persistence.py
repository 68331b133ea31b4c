"""Secure persistence of fitted models through skops, never plain pickle.

A pickle file runs arbitrary code when it is loaded. skops stores the object as a
tree of typed nodes and refuses, at load time, every type that the caller did not
trust. :func:`load` trusts exactly what a fitted ``sklearn_workflow`` model needs:
the package's own classes and a short, reviewed list of scikit-learn, numpy and
LightGBM types that skops does not trust by default (:func:`trusted_types`).
Anything else in a file is refused with the list of the offending types.
"""

import importlib
import inspect
import io
import os
import pkgutil
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path

import skops.io as sio

from sklearn_workflow.deploy._identity import add_identity
from sklearn_workflow.exceptions import UntrustedTypesError
from sklearn_workflow.utils._param_validation import validate_params

__all__ = ["UntrustedTypesError", "load", "save", "trusted_types"]

# File suffixes of pickle-based formats: ``save`` and ``load`` refuse them.
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pck", ".p")

# Types outside the package that a fitted sklearn_workflow model holds and that
# skops does not trust by default, each with the reason it is safe to trust.
# ``tests/deploy/test_persistence.py`` saves every public estimator fitted (and the
# workflow's whole pipeline) and fails, naming the type, when one is missing here.
THIRD_PARTY_TYPES = (
    # The fitted tree structure of decision trees and random forests (a Cython
    # class whose state is numpy arrays).
    "sklearn.tree._tree.Tree",
    # The fitted trees of HistGradientBoosting* (numpy arrays of nodes), its bin
    # edges, and its loss and link objects (numbers only). Recent skops trusts
    # all but the first by default; skops 0.11 with scikit-learn 1.6 does not.
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.MultinomialLogit",
    "sklearn._loss.link.Interval",
    "_loss.CyHalfMultinomialLoss",
    # The list of remainder columns a fitted ColumnTransformer keeps (scikit-learn
    # 1.6; a plain list in later versions).
    "sklearn.compose._column_transformer._RemainderColsList",
    # A dtype instance kept in fitted state (SimpleImputer fitted on a DataFrame
    # stores the input's ``np.dtype``).
    "numpy.dtype",
    # Cross-validation splitters stored as parameters (``cv=StratifiedKFold(...)``):
    # plain configuration objects without code.
    "sklearn.model_selection._split.KFold",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.model_selection._split.GroupKFold",
    "sklearn.model_selection._split.StratifiedGroupKFold",
    "sklearn.model_selection._split.ShuffleSplit",
    "sklearn.model_selection._split.StratifiedShuffleSplit",
    "sklearn.model_selection._split.RepeatedKFold",
    "sklearn.model_selection._split.RepeatedStratifiedKFold",
    "sklearn.model_selection._split.TimeSeriesSplit",
    # LightGBM candidates of ModelSelector (when the lightgbm extra is installed):
    # the booster is stored as LightGBM's own text model format.
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
    "lightgbm.basic.Booster",
    "collections.OrderedDict",
    # XGBoost candidates (when xgboost is installed): the booster's state is its
    # own serialized model (bytes), no code.
    "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor",
    "xgboost.core.Booster",
    # The workflow's text encoder of free-text columns (skrub's StringEncoder and
    # the step that turns its input to strings): scikit-learn vectorizer and SVD
    # state, no code.
    "skrub._string_encoder.StringEncoder",
    "skrub._to_str.ToStr",
)


@lru_cache(maxsize=1)
def _package_types():
    """Every class defined in the ``sklearn_workflow`` package, by full name."""
    import sklearn_workflow

    names = set()
    modules = [sklearn_workflow]
    for info in pkgutil.walk_packages(
        sklearn_workflow.__path__, prefix="sklearn_workflow."
    ):
        if info.name.endswith("__main__"):
            continue
        modules.append(importlib.import_module(info.name))
    for module in modules:
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__.startswith("sklearn_workflow") and not issubclass(
                obj, BaseException
            ):
                names.add(f"{obj.__module__}.{obj.__qualname__}")
    return frozenset(names)


def trusted_types():
    """The types :func:`load` trusts beyond skops' own defaults.

    skops trusts builtins, numpy arrays and scikit-learn's public estimators by
    default. On top of those, a fitted ``sklearn_workflow`` model needs the
    package's own classes and a few scikit-learn internals (fitted trees),
    numpy dtypes, cross-validation splitters and LightGBM's booster.

    Returns
    -------
    types : list of str
        Fully qualified type names, sorted.

    Examples
    --------
    >>> from sklearn_workflow.deploy import trusted_types
    >>> "sklearn.tree._tree.Tree" in trusted_types()
    True
    >>> "builtins.eval" in trusted_types()
    False
    """
    return sorted(_package_types() | set(THIRD_PARTY_TYPES))


def _check_not_pickle(path, action):
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise ValueError(
            f"Refusing to {action} {str(path)!r}: {path.suffix!r} is a pickle format, "
            "which runs arbitrary code when loaded. Use a '.skops' file."
        )


def _type_name(value):
    if isinstance(value, str):
        return value
    return f"{value.__module__}.{value.__qualname__}"


@validate_params(
    {"path": [str, os.PathLike], "identity": [dict, None]},
    prefer_skip_nested_validation=True,
)
def save(model, path, *, identity=None):
    """Save a fitted model to a skops file.

    The file is a zip archive of typed nodes (no pickle inside), written
    atomically: a crash while saving never leaves a truncated file behind.

    Parameters
    ----------
    model : object
        Usually a fitted estimator or Pipeline.
    path : str or path-like
        Destination, conventionally ending in ``.skops``. Pickle suffixes
        (``.pkl``, ``.pickle``, ``.joblib``, ...) are refused with a
        ``ValueError``.
    identity : dict, default=None
        The model's identity (:func:`~sklearn_workflow.deploy.model_identity`:
        package versions, training time, fingerprint of the training data,
        card), stored as a JSON member of the archive;
        :func:`~sklearn_workflow.deploy.read_identity` reads it back, and
        ``serve`` shows it at ``GET /model``.

    Returns
    -------
    path : Path
        The file written.

    Warns
    -----
    UserWarning
        When the model holds types that :func:`load` does not trust by default;
        the warning lists them, and ``load(path, trusted=[...])`` must name them.

    See Also
    --------
    skops.io.dump : What this calls; ``save`` adds the pickle-suffix guard, the
        atomic write and the trust check.
    joblib.dump : Pickle-based, fast, and unsafe to load from an untrusted source.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_workflow.deploy import load, save
    >>> folder = Path(tempfile.mkdtemp())
    >>> model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> save(model, folder / "model.skops").name
    'model.skops'
    >>> load(folder / "model.skops").predict([[2.5]])
    array([1])
    >>> save(model, "model.pkl")
    Traceback (most recent call last):
    ...
    ValueError: Refusing to save 'model.pkl': '.pkl' is a pickle format, ...
    """
    path = Path(path)
    _check_not_pickle(path, "save")
    data = sio.dumps(model, compression=zipfile.ZIP_DEFLATED)
    if identity is not None:
        data = add_identity(data, identity)
    untrusted = sorted(set(sio.get_untrusted_types(data=data)) - set(trusted_types()))
    if untrusted:
        warnings.warn(
            f"{str(path)!r} holds types that load() does not trust by default: "
            f"{untrusted}. Load it with load(path, trusted={untrusted!r}) once you "
            "have checked that these types are safe.",
            UserWarning,
            stacklevel=2,
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)
    return path


@validate_params(
    {"path": [str, os.PathLike], "trusted": [list, tuple, None]},
    prefer_skip_nested_validation=True,
)
def load(path, *, trusted=None):
    """Load a model saved with :func:`save` (or any skops file), securely.

    Only the types of :func:`trusted_types`, skops' defaults and those named in
    ``trusted`` are allowed; a file carrying any other type is refused before
    anything in it is constructed.

    Parameters
    ----------
    path : str or path-like
        A skops file. Pickle suffixes are refused with a ``ValueError``.
    trusted : list of str or type, default=None
        Extra types to trust for this file, by fully qualified name (as listed in
        the error message) or as the type itself. Review them first: trusting a
        type allows the file to construct it.

    Returns
    -------
    model : object
        The loaded object.

    Raises
    ------
    UntrustedTypesError
        The file carries types that are not trusted; ``.types`` lists them.
    ValueError
        The file is not a skops file (for instance a pickle renamed ``.skops``).

    See Also
    --------
    skops.io.load : What this calls, with our trusted list computed for you.

    Examples
    --------
    A file that holds a type nobody trusted is refused, with the type named:

    >>> import collections
    >>> import tempfile
    >>> from pathlib import Path
    >>> import skops.io
    >>> from sklearn_workflow.deploy import load
    >>> path = Path(tempfile.mkdtemp()) / "counter.skops"
    >>> skops.io.dump(collections.Counter(a=1), path)
    >>> load(path)
    Traceback (most recent call last):
    ...
    sklearn_workflow.exceptions.UntrustedTypesError: '.../counter.skops' ...
    >>> load(path, trusted=["collections.Counter"])
    Counter({'a': 1})
    """
    path = Path(path)
    _check_not_pickle(path, "load")
    data = path.read_bytes()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValueError(
            f"{str(path)!r} is not a skops file (expected a zip archive written by "
            "sklearn_workflow.deploy.save or skops.io.dump)."
        )
    allowed = set(trusted_types()) | {_type_name(t) for t in (trusted or ())}
    found = set(sio.get_untrusted_types(data=data))
    untrusted = sorted(found - allowed)
    if untrusted:
        raise UntrustedTypesError(
            f"{str(path)!r} carries types that are not trusted: {untrusted}. "
            "Nothing was loaded. If you trust this file's origin and these types, "
            "pass them as load(path, trusted=[...]).",
            untrusted,
        )
    return sio.loads(data, trusted=sorted(found))
