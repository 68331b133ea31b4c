"""Run the model server with uvicorn: one process, or several workers.

With ``workers=1`` the app is built here and handed to uvicorn. With more,
uvicorn starts the worker processes itself and each builds its own app from the
settings this process leaves in the environment (``app_from_environment``);
the workers' metrics meet in a shared temporary folder, one file per worker,
added up at each scrape.
"""

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["load_served", "serve"]

# The environment variable carrying the settings to each worker process.
SETTINGS_VARIABLE = "SKLEARN_WORKFLOW_SERVE_SETTINGS"
TOKEN_VARIABLE = "SKLEARN_WORKFLOW_TOKEN"


def load_served(path):
    """Load a saved model and its identity; the version is the file's hash when
    no identity was saved with it."""
    from sklearn_workflow.deploy._identity import read_identity
    from sklearn_workflow.deploy._persistence import load

    path = Path(path)
    model = load(path)
    identity = read_identity(path) or {}
    if not identity.get("model_version"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        identity = {**identity, "model_version": digest}
    return model, identity


def _app(settings):
    from sklearn_workflow.deploy._server_app import create_app

    model, identity = load_served(settings["model"])
    challenger = None
    if settings.get("challenger"):
        challenger, _ = load_served(settings["challenger"])
    return create_app(
        model,
        strict=settings.get("strict", False),
        token=settings.get("token") or os.environ.get(TOKEN_VARIABLE) or None,
        max_rows=settings["max_rows"],
        max_bytes=settings["max_bytes"],
        identity=identity,
        challenger=challenger,
        shadow_log=settings.get("shadow_log"),
        metrics_dir=settings.get("metrics_dir"),
        engine=settings.get("engine", "auto"),
    )


def app_from_environment():
    """The app of one worker process, from the settings ``serve`` left."""
    return _app(json.loads(os.environ[SETTINGS_VARIABLE]))


def serve(
    model,
    *,
    host="127.0.0.1",
    port=8000,
    workers=1,
    strict=False,
    token=None,
    max_rows=10_000,
    max_bytes=10_000_000,
    challenger=None,
    shadow_log=None,
    engine="auto",
    log_level="info",
):
    """Serve a saved model over HTTP until interrupted.

    Parameters
    ----------
    model : str or path-like
        A skops file written by :func:`~sklearn_workflow.deploy.save` (loaded
        with only the trusted types).
    host : str, default="127.0.0.1"
        The address to bind; the default accepts local connections only.
    port : int, default=8000
    workers : int, default=1
        Worker processes; their metrics are added up at ``GET /metrics``.
    strict : bool, default=False
        Refuse (422) batches with contract violations.
    token : str, default=None
        Bearer token required on every route but ``/health``; the
        ``SKLEARN_WORKFLOW_TOKEN`` environment variable is read when None.
    max_rows : int, default=10_000
    max_bytes : int, default=10_000_000
    challenger : str or path-like, default=None
        A second saved model scored in the shadow of the first.
    shadow_log : str or path-like, default=None
        JSON-lines file for the challenger's scores (required with it).
    engine : {"auto", "python", "onnx"}, default="auto"
        What computes the answers (see
        :class:`~sklearn_workflow.deploy.PreparedModel`): the exported ONNX
        graph where it agrees with the model, else the Python pipeline.
    log_level : str, default="info"

    See Also
    --------
    sklearn_workflow.deploy.create_app : The app itself, for tests and for
        other ASGI servers.
    """
    import uvicorn

    settings = {
        "model": str(model),
        "strict": bool(strict),
        "token": token,
        "max_rows": int(max_rows),
        "max_bytes": int(max_bytes),
        "challenger": None if challenger is None else str(challenger),
        "shadow_log": None if shadow_log is None else str(shadow_log),
        "engine": str(engine),
    }
    if workers <= 1:
        app = _app(settings)
        uvicorn.run(app, host=host, port=port, log_level=log_level)
        return
    _app(settings)  # fail here, once, on a bad model file
    folder = tempfile.mkdtemp(prefix="sklearn-workflow-metrics-")
    settings["metrics_dir"] = folder
    os.environ[SETTINGS_VARIABLE] = json.dumps(settings)
    try:
        uvicorn.run(
            "sklearn_workflow.deploy._serve:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
        )
    finally:
        os.environ.pop(SETTINGS_VARIABLE, None)
        shutil.rmtree(folder, ignore_errors=True)
