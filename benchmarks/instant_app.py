"""A target that answers /predict at once, with the API's real instrumentation (metrics, event-loop probe):
what the generator and the histogram add to a request that costs nothing. `python -m benchmarks.instant_app PORT`."""
from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI
from starlette.responses import Response

from api.instrumented import instrumented_app
from api.protocol import TimedHttpToolsProtocol

BODY = b'{"request_id": "bench", "probability": 0.5, "prediction": 0, "model_version": "bench"}'


def create() -> FastAPI:
    app = instrumented_app("instant")

    @app.post("/predict")
    async def predict():
        return Response(BODY, media_type="application/json")

    return app


if __name__ == "__main__":
    uvicorn.run(create(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
                http=TimedHttpToolsProtocol)
