"""An API that is not ours: it answers /predict with a body of its own shape and records nothing, but carries the
same metrics (so its SLOs can be judged). `python -m tests.drift.foreign_app PORT SHAPE`, SHAPE one of:
`no-request-id` ({"prediction": 0, "probability": 0.25, "model_version": "x"}) or `none` ({"ok": true})."""
from __future__ import annotations

import sys
from types import SimpleNamespace

import uvicorn
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from starlette.responses import Response

from api.metrics import build_metrics
from api.middleware import InstrumentationMiddleware

BODIES = {"no-request-id": b'{"prediction": 0, "probability": 0.25, "model_version": "x"}', "none": b'{"ok": true}'}


def create(shape: str) -> FastAPI:
    app = FastAPI()
    app.state.metrics = build_metrics(CollectorRegistry())
    app.state.model = SimpleNamespace(version="foreign")
    app.state.recorder = None
    app.add_middleware(InstrumentationMiddleware, state=app.state, max_body_bytes=65536)

    @app.post("/predict")
    @app.post("/predict/features")
    async def predict():
        return Response(BODIES[shape], media_type="application/json")

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics():
        return Response(app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return app


if __name__ == "__main__":
    uvicorn.run(create(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
