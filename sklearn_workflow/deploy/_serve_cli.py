"""The ``serve`` command of ``python -m sklearn_workflow`` (a plugged command)."""

from pathlib import Path

from sklearn_workflow.exceptions import BadInputError

__all__ = ["COMMAND", "handle"]


def _arg(flag, help_text=None, **options):
    return flag, dict(options, help=help_text)


# fmt: off
COMMAND = (
    "serve a saved model over HTTP",
    "Serve MODEL (skops, only trusted types) with FastAPI and uvicorn: POST "
    "/predict checks every request at the model's door, GET /health, GET /model "
    "(card, input schema, identity, latency) and GET /metrics (Prometheus text). "
    "Needs the serve extra: pip install sklearn-workflow[serve].",
    [
        _arg("model", "a model.skops file written by run"),
        _arg("--host", "address to bind (default: local connections only)",
             default="127.0.0.1"),
        _arg("--port", type=int, default=8000),
        _arg("--workers", "worker processes (metrics cover all of them)",
             type=int, default=1),
        _arg("--strict", "refuse (422) requests that violate the data contract",
             action="store_true"),
        _arg("--token", "bearer token required on every route but /health "
             "(default: $SKLEARN_WORKFLOW_TOKEN)"),
        _arg("--max-rows", "rows per request (413 above)", type=int,
             default=10_000),
        _arg("--max-bytes", "bytes per request body (413 above)", type=int,
             default=10_000_000),
        _arg("--challenger", "a second model scored in shadow on every request",
             metavar="MODEL2"),
        _arg("--shadow-log", "JSON-lines file of the challenger's scores",
             metavar="FILE"),
        _arg("--engine", "what answers: onnx where the exported graph agrees "
             "with the model (auto), always the Python pipeline (python), or "
             "the graph or an error (onnx)", choices=["auto", "python", "onnx"],
             default="auto"),
    ],
)
# fmt: on


def handle(args):
    """Run the server until interrupted; returns the exit code."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise BadInputError(
            f"serve needs FastAPI and uvicorn ({exc}): "
            "pip install sklearn-workflow[serve]"
        ) from exc
    for path in (args.model, args.challenger):
        if path is not None and not Path(path).is_file():
            raise BadInputError(f"cannot read model {path!r}: no such file")
    if (args.challenger is None) != (args.shadow_log is None):
        raise BadInputError("--challenger and --shadow-log go together")
    for flag, value in (
        ("--workers", args.workers),
        ("--max-rows", args.max_rows),
        ("--max-bytes", args.max_bytes),
        ("--port", args.port),
    ):
        if value < (0 if flag == "--port" else 1):
            raise BadInputError(f"{flag} must be positive; got {value}")
    from sklearn_workflow.deploy._serve import serve

    try:
        serve(
            args.model,
            host=args.host,
            port=args.port,
            workers=args.workers,
            strict=args.strict,
            token=args.token,
            max_rows=args.max_rows,
            max_bytes=args.max_bytes,
            challenger=args.challenger,
            engine=args.engine,
            shadow_log=args.shadow_log,
            log_level="warning" if args.quiet else "info",
        )
    except ValueError as exc:  # not a skops file
        raise BadInputError(str(exc)) from exc
    return 0
