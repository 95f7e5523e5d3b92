"""An API that is not ours: it answers /predict with a body of its own shape and records nothing, but carries the
same metrics (so its SLOs can be judged). `python -m tests.drift.foreign_app PORT SHAPE`, SHAPE one of:
`no-request-id` ({"prediction": 0, "probability": 0.25, "model_version": "x"}) or `none` ({"ok": true})."""
from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI
from starlette.responses import Response

from api.instrumented import instrumented_app

BODIES = {"no-request-id": b'{"prediction": 0, "probability": 0.25, "model_version": "x"}', "none": b'{"ok": true}'}


def create(shape: str) -> FastAPI:
    app = instrumented_app("foreign")

    @app.post("/predict")
    @app.post("/predict/features")
    async def predict():
        return Response(BODIES[shape], media_type="application/json")

    return app


if __name__ == "__main__":
    uvicorn.run(create(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
