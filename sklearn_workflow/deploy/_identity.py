"""A saved model's identity: what made it, when, from which data.

:func:`model_identity` gathers the package versions, the training time, a
fingerprint of the training rows and the card; :func:`~sklearn_workflow.deploy.save`
stores it in the skops file as a JSON member next to the model (skops ignores
it; nothing in it is ever executed), and :func:`read_identity` reads it back
without loading the model.
"""

import dataclasses
import hashlib
import importlib.metadata
import json
import platform
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sklearn_workflow.report import to_jsonable
from sklearn_workflow.utils._dataframe import column_names, n_rows, row_hashes

__all__ = ["IDENTITY_MEMBER", "data_fingerprint", "model_identity", "read_identity"]

# The name of the identity's member inside a skops file.
IDENTITY_MEMBER = "sklearn_workflow_identity.json"
# The distributions whose versions decide what a model predicts.
PACKAGES = (
    "sklearn-workflow",
    "scikit-learn",
    "numpy",
    "scipy",
    "pandas",
    "skops",
    "lightgbm",
    "skrub",
)


def _versions():
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def data_fingerprint(X, y=None):
    """A SHA-256 of the training rows: equal data, equal fingerprint.

    The rows are hashed one by one (values in column order), then the row
    hashes, the column names and the target in order;
    a changed value, row order, column or label changes it.

    Parameters
    ----------
    X : DataFrame or 2-D array
    y : array-like, default=None

    Returns
    -------
    fingerprint : str
        ``"sha256:<hex>"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_workflow.deploy import data_fingerprint
    >>> X = pd.DataFrame({"age": [31, None], "city": ["Lyon", "Nice"]})
    >>> data_fingerprint(X) == data_fingerprint(X.copy())
    True
    >>> data_fingerprint(X) == data_fingerprint(X.fillna(0))
    False
    """
    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in column_names(X) or []]).encode())
    digest.update(np.ascontiguousarray(row_hashes(X)).tobytes())
    if y is not None:
        import pandas as pd

        digest.update(pd.util.hash_array(np.asarray(y, dtype=object)).tobytes())
    return f"sha256:{digest.hexdigest()}"


def model_identity(X=None, y=None, *, spec=None, card=None, trained_at=None, **facts):
    """The identity of a model trained on ``X`` and ``y``, to store with it.

    Parameters
    ----------
    X : DataFrame or 2-D array, default=None
        The training rows (fingerprinted, with their count and columns).
    y : array-like, default=None
        The training target.
    spec : ProblemSpec or dict, default=None
        The problem card; kept as a dict, and its ``constraints.latency_ms``
        as ``latency_ms`` (the limit ``serve`` compares one-row latency with).
    card : str or dict, default=None
        The model card (its Markdown, or any dict).
    trained_at : datetime or str, default=None
        When the model was trained; now (UTC) when None.
    **facts : dict
        Anything else worth keeping (``source=``, ``spec=``...), as JSON.

    Returns
    -------
    identity : dict
        ``model_version`` (the first 12 hex digits of a hash of the rest),
        ``trained_at`` (ISO 8601), ``versions`` (Python and packages),
        ``data`` (``fingerprint``, ``n_rows``, ``columns``), ``card``, and the
        ``facts``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_workflow.deploy import model_identity
    >>> X = pd.DataFrame({"tenure": [1.0, 24.0, None]})
    >>> identity = model_identity(X, [1, 0, 0], trained_at="2026-01-05T10:00:00+00:00")
    >>> identity["data"]["n_rows"], identity["data"]["columns"]
    (3, ['tenure'])
    >>> identity["trained_at"], len(identity["model_version"])
    ('2026-01-05T10:00:00+00:00', 12)
    >>> "scikit-learn" in identity["versions"]
    True
    """
    if trained_at is None:
        trained_at = datetime.now(UTC)
    if isinstance(trained_at, datetime):
        trained_at = trained_at.isoformat(timespec="seconds")
    identity = {"trained_at": str(trained_at), "versions": _versions()}
    if X is not None:
        identity["data"] = {
            "fingerprint": data_fingerprint(X, y),
            "n_rows": int(n_rows(X)),
            "columns": [str(c) for c in column_names(X) or []],
        }
    if spec is not None:
        spec = dataclasses.asdict(spec) if dataclasses.is_dataclass(spec) else spec
        identity["spec"] = dict(spec)
        identity["latency_ms"] = (spec.get("constraints") or {}).get("latency_ms")
    identity["card"] = card
    identity.update(to_jsonable(facts))
    body = json.dumps(to_jsonable(identity), sort_keys=True, default=str)
    identity = {
        "model_version": hashlib.sha256(body.encode()).hexdigest()[:12],
        **identity,
    }
    return to_jsonable(identity)


def add_identity(data, identity):
    """The bytes of a skops archive with ``identity`` added as a JSON member."""
    import io

    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(IDENTITY_MEMBER, json.dumps(to_jsonable(identity), indent=1))
    return buffer.getvalue()


def read_identity(path):
    """The identity :func:`~sklearn_workflow.deploy.save` stored with a model.

    Reads one JSON member of the archive; the model itself is not loaded.

    Parameters
    ----------
    path : str or path-like
        A skops file written by :func:`~sklearn_workflow.deploy.save`.

    Returns
    -------
    identity : dict or None
        None when the file holds no identity (saved without one, or by
        ``skops.io.dump``).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_workflow.deploy import model_identity, read_identity, save
    >>> model = DummyClassifier().fit([[0], [1]], [0, 1])
    >>> path = Path(tempfile.mkdtemp()) / "model.skops"
    >>> _ = save(model, path, identity=model_identity([[0], [1]], [0, 1]))
    >>> read_identity(path)["data"]["n_rows"]
    2
    >>> _ = save(model, path)
    >>> read_identity(path) is None
    True
    """
    with zipfile.ZipFile(Path(path)) as archive:
        if IDENTITY_MEMBER not in archive.namelist():
            return None
        return json.loads(archive.read(IDENTITY_MEMBER).decode("utf-8"))
