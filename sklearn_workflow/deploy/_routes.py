"""The HTTP routes of the model server (FastAPI is imported when an app is built).

The body of ``POST /predict`` is read as bytes, with the size limit applied
while reading (a client that announces or sends more gets 413 without the
server holding the rest), then handed to
:class:`~sklearn_workflow.deploy._server_app.ModelService`: FastAPI's own
request parsing never sees it, so no body can produce its 5xx or its
differently shaped 422.
"""

import hmac
import time

__all__ = ["build_app"]


def build_app(service, *, token=None):
    """The FastAPI app around a :class:`ModelService` (see ``create_app``)."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, PlainTextResponse
    from starlette.background import BackgroundTask

    app = FastAPI(
        title="sklearn_workflow model server",
        version=service.version,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.service = service

    def refused(request, route):
        """A 401 answer when a token is required and not given, else None."""
        if token is None:
            return None
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return None
        service.metrics.observe(route, 401, 0.0)
        return JSONResponse(
            {
                "detail": [
                    {
                        "problem": "unauthorized",
                        "message": "a bearer token "
                        "is required: Authorization: Bearer <token>",
                    }
                ]
            },  # fmt: skip
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.post("/predict")
    async def predict(request: Request):
        denied = refused(request, "/predict")
        if denied is not None:
            return denied
        start = time.perf_counter()
        body, too_large = await _read_body(request, service.max_bytes)
        if too_large:
            status, payload, after = service.too_large(too_large, start)
        else:
            status, payload, after = service.predict(body)
        task = None if after is None else BackgroundTask(after)
        return JSONResponse(payload, status_code=status, background=task)

    @app.get("/health")
    async def health():
        return {"status": "ok", "model_version": service.version}

    @app.get("/model")
    async def describe(request: Request):
        denied = refused(request, "/model")
        return denied if denied is not None else service.describe()

    @app.get("/metrics")
    async def metrics(request: Request):
        denied = refused(request, "/metrics")
        if denied is not None:
            return denied
        return PlainTextResponse(
            service.metrics.text(), media_type="text/plain; version=0.0.4"
        )

    return app


async def _read_body(request, limit):
    """The body, or how many bytes it had (at least) when over ``limit``."""
    announced = request.headers.get("content-length")
    if announced is not None and announced.isdigit() and int(announced) > limit:
        return b"", int(announced)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return b"", size
        chunks.append(chunk)
    return b"".join(chunks), 0
