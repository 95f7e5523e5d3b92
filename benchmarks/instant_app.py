"""A target that answers /predict at once, with the API's real instrumentation (metrics, event-loop probe):
what the generator and the histogram add to a request that costs nothing. `python -m benchmarks.instant_app PORT`."""
from __future__ import annotations

import asyncio
import sys
from contextlib import asynccontextmanager
from types import SimpleNamespace

import uvicorn
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from starlette.responses import Response

from api.metrics import build_metrics, probe_loop_lag
from api.middleware import InstrumentationMiddleware

BODY = b'{"request_id": "bench", "probability": 0.5, "prediction": 0, "model_version": "bench"}'


def create() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app):
        probe = asyncio.create_task(probe_loop_lag(app.state.metrics))
        yield
        probe.cancel()

    app = FastAPI(lifespan=lifespan)
    app.state.metrics = build_metrics(CollectorRegistry())
    app.state.model = SimpleNamespace(version="instant")
    app.state.recorder = None
    app.add_middleware(InstrumentationMiddleware, state=app.state, max_body_bytes=65536)

    @app.post("/predict")
    async def predict():
        return Response(BODY, media_type="application/json")

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics():
        return Response(app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


if __name__ == "__main__":
    uvicorn.run(create(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
