"""The API's instrumentation on an app of one's own: metrics, the timing middleware, the event-loop probe,
/health and /metrics. The base of the test and benchmark targets that stand in for APIs that are not ours."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from starlette.responses import Response

from api.metrics import build_metrics, probe_loop_lag
from api.middleware import InstrumentationMiddleware
from api.recorder import PredictionRecorder


def instrumented_app(version: str, predictions_db: str | None = None) -> FastAPI:
    """An app with /health and /metrics, its requests timed and counted as the API's are (recorded into
    predictions_db when given); add its /predict."""
    @asynccontextmanager
    async def lifespan(app):
        probe = asyncio.create_task(probe_loop_lag(app.state.metrics))
        if predictions_db:
            app.state.recorder = PredictionRecorder(predictions_db)
        yield
        probe.cancel()
        if app.state.recorder is not None:
            app.state.recorder.close()

    app = FastAPI(lifespan=lifespan)
    app.state.metrics = build_metrics(CollectorRegistry())
    app.state.model = SimpleNamespace(version=version)
    app.state.recorder = None
    app.add_middleware(InstrumentationMiddleware, state=app.state, max_body_bytes=65536)

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics():
        return Response(app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app
